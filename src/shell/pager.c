/* pager.c - long text for a person through $PAGER, when it is taller than the terminal. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shell/out.h"

/* The rows TEXT takes on a terminal COLS wide (UTF-8: a character a column). */
static unsigned rows_of(const char *text, size_t len, unsigned cols)
{
	unsigned rows = 0, w = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '\n') {
			rows += w ? (w + cols - 1) / cols : 1;
			w = 0;
		} else if ((c & 0xc0) != 0x80) {
			w++;
		}
	}
	return rows + (w + cols - 1) / cols;
}

/* VHUCTL_PAGER, PAGER, or less; NULL for none ("" or "cat"). */
static const char *pager_command(void)
{
	const char *p = getenv("VHUCTL_PAGER");

	if (!p)
		p = getenv("PAGER");
	if (!p)
		p = "less -FRX";
	return *p && strcmp(p, "cat") != 0 ? p : NULL;
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;		/* the pager quit before reading it all */
		p += w;
		n -= (size_t)w;
	}
}

static void pager_exec(const char *cmd, int in)
{
	static const int sigs[] = { SIGINT, SIGQUIT, SIGPIPE, SIGTERM, SIGHUP };
	sigset_t none;

	/* What vhuctl ignores or blocks, the pager should not. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	if (dup2(in, 0) < 0)
		_exit(127);
	/* As git does: less and lv that quit when it all fits, keep colours,
	 * and leave the text on the screen, unless the user said otherwise. */
	setenv("LESS", "FRX", 0);
	setenv("LV", "-c", 0);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

/* 0 when the pager showed TEXT; -1 when it could not run (then TEXT is
 * still to be shown). */
static int run_pager(const char *cmd, const char *text, size_t len)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
	int p[2], st = 0;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0)
		pager_exec(cmd, p[0]);
	close(p[0]);
	/* Ctrl-C in the pager is the pager's, not a stop of the run. */
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	write_all(p[1], text, len);
	close(p[1]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	/* 127: sh found no such pager */
	return WIFEXITED(st) && WEXITSTATUS(st) == 127 ? -1 : 0;
}

bool pager_write(const struct session *s, const char *text, size_t len)
{
	struct winsize ws;
	const char *cmd;

	/* Fits when it leaves a row for what comes next (the prompt). */
	if (s->pager && ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col &&
	    rows_of(text, len, ws.ws_col) >= ws.ws_row && (cmd = pager_command()) &&
	    run_pager(cmd, text, len) == 0)
		return true;
	fwrite(text, 1, len, stdout);
	fflush(stdout);
	return !ferror(stdout);
}
