/* repl.c - the interactive prompt (stdin is a terminal). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "repl.h"
#include "wire.h"

static void on_sigint(int sig)
{
	(void)sig;
	wire_cancel = 1;
}

static const char *prompt(const struct session *s, char *buf, size_t len)
{
	const char *base;

	if (!conn_connected(&s->conn)) {
		snprintf(buf, len, "vhuctl (not connected)> ");
		return buf;
	}
	base = strrchr(s->conn.path, '/');
	snprintf(buf, len, "vhuctl %s> ", base ? base + 1 : s->conn.path);
	return buf;
}

enum run_status repl_run(struct session *s)
{
	struct sigaction sa = { .sa_handler = on_sigint };
	enum run_status worst = RUN_OK;
	unsigned lineno = 0;
	char pbuf[160];

	rl_readline_name = "vhuctl";
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	s->keep_going = true;	/* a failed command never ends an interactive session */
	while (!s->quit) {
		char *line;
		struct run_src src;

		wire_cancel = 0;
		line = readline(prompt(s, pbuf, sizeof(pbuf)));
		if (!line) {
			putchar('\n');
			break;
		}
		lineno++;
		if (*line)
			add_history(line);
		src = (struct run_src){ .name = "<stdin>", .text = line, .len = strlen(line),
					.first_line = lineno };
		if (run_source(s, &src) == RUN_FAILED)
			worst = RUN_FAILED;
		free(line);
	}
	return worst;
}
