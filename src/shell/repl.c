/* repl.c - the interactive shell: readline's callback API inside our own poll loop. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "cmd/backend.h"
#include "cmd/gpu.h"
#include "cmd/cmd.h"
#include "core/jb.h"
#include "shell/complete.h"
#include "shell/out.h"
#include "core/proto.h"
#include "core/render.h"
#include "shell/repl.h"
#include "core/wire.h"

#define HISTORY_MAX 1000

static struct session *sess;
static volatile sig_atomic_t got_sigint;
static enum run_status worst;
static unsigned lineno;
static bool rl_callback_installed;
static char history_path[4096];
static char prompt_buf[160];

static void on_sigint(int sig)
{
	(void)sig;
	got_sigint = 1;
	wire_cancel = 1;	/* a command waiting on the back-end gives up */
}

static const char *prompt(void)
{
	const char *base;

	if (!conn_connected(&sess->conn)) {
		snprintf(prompt_buf, sizeof(prompt_buf), "vhuctl (not connected)> ");
	} else {
		base = strrchr(sess->conn.path, '/');
		snprintf(prompt_buf, sizeof(prompt_buf), "vhuctl %s> ", base ? base + 1 : sess->conn.path);
	}
	return prompt_buf;
}

/* Print something that happened on its own without clobbering the line
 * being typed: save it, clear, print, restore, redisplay. */
static void print_async(struct json_object *o)
{
	char *saved = rl_copy_text(0, rl_end);
	int point = rl_point;

	rl_save_prompt();
	rl_replace_line("", 0);
	rl_redisplay();
	out_print(sess, o);
	rl_restore_prompt();
	rl_replace_line(saved, 0);
	rl_point = point;
	rl_redisplay();
	free(saved);
}

/* The back-end spoke while nobody asked: show it as an event. */
static void backend_event(void)
{
	struct vhu_msg *m = calloc(1, sizeof(*m));
	struct json_object *o = json_object_new_object();
	struct vhu_err e = { 0 };
	int r;

	if (!m)
		return;
	r = conn_recv(&sess->conn, m, sess->deadline, &e);
	if (r == -ECONNRESET && m->consumed == 0) {
		jb_add(o, "event", json_object_new_string("disconnected"));
		jb_add(o, "socket", json_object_new_string(sess->conn.path));
		session_drop_connection_state(sess);
		conn_close_broken(&sess->conn, &e, true);
		run_note_gone(sess);
		jb_add(o, "reason", json_object_new_string(sess->gone_why));
	} else if (r < 0) {
		jb_add(o, "event", json_object_new_string("error"));
		jb_add(o, "reason", json_object_new_string(e.msg));
		conn_close_broken(&sess->conn, &e, r == -ECONNRESET);
		run_note_gone(sess);
	} else {
		const struct vhu_request *row = proto_request(SIDE_FRONTEND, m->request);

		jb_add(o, "event", json_object_new_string("unsolicited"));
		jb_add(o, "message", render_msg(m, row ? row->name : NULL, PL_OPAQUE, sess->dev));
		if (m->nfds)	/* looked at (render_msg), then closed: none is kept */
			jb_add(o, "fds_closed", json_object_new_int((int)m->nfds));
		wire_close_fds(m);
	}
	print_async(o);
	json_object_put(o);
	free(m);
	rl_set_prompt(prompt());
	rl_redisplay();
}

static void save_history_line(const char *line)
{
	HIST_ENTRY *last = history_length ? history_get(history_base + history_length - 1) : NULL;
	int fd;

	if (!*line || (last && strcmp(last->line, line) == 0))
		return;
	add_history(line);
	if (!history_path[0])
		return;
	/* Created 0600: commands can carry paths and payloads worth keeping private. */
	fd = open(history_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	append_history(1, history_path);
	history_truncate_file(history_path, HISTORY_MAX);
}

static void repl_emit(struct session *s, struct json_object *ev)
{
	if (s->quiet)
		return;
	if (rl_callback_installed)
		print_async(ev);
	else
		out_print(sess, ev);	/* a command is running: plain output */
}

static void on_line(char *line)
{
	enum run_status st;
	struct run_src src;

	if (!line) {	/* Ctrl-D */
		sess->quit = true;
		rl_callback_handler_remove();
		putchar('\n');
		return;
	}
	lineno++;
	save_history_line(line);
	src = (struct run_src){ .name = "<stdin>", .text = line, .len = strlen(line),
				.first_line = lineno, .typed = true };
	rl_callback_handler_remove();	/* plain terminal while the command runs */
	rl_callback_installed = false;
	wire_cancel = 0;
	st = run_source(sess, &src);
	if (st == RUN_FAILED || st == RUN_INVALID)
		worst = RUN_FAILED;
	if (st == RUN_SIGNALLED)
		sess->quit = true;
	wire_cancel = 0;
	got_sigint = 0;
	free(line);
	if (!sess->quit) {
		rl_callback_handler_install(prompt(), on_line);
		rl_callback_installed = true;
	}
}

static void history_init(void)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char dir[4000];

	if (state && *state)
		snprintf(dir, sizeof(dir), "%s/vhuctl", state);
	else if (home && *home)
		snprintf(dir, sizeof(dir), "%s/.local/state/vhuctl", home);
	else
		return;
	/* mkdir -p, owner only */
	for (char *p = dir + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(dir, 0700);
			*p = '/';
		}
	}
	mkdir(dir, 0700);
	snprintf(history_path, sizeof(history_path), "%s/history", dir);
	stifle_history(HISTORY_MAX);
	read_history(history_path);
}

/* --- completion ---------------------------------------------------------- */

static struct completion comp;
static size_t cand_index;

static char *cand_gen(const char *text, int state)
{
	(void)text;
	if (!state)
		cand_index = 0;
	return cand_index < comp.n ? strdup(comp.cands[cand_index++]) : NULL;
}

/* What complete.c finds for the word before the cursor, as readline wants it. */
static char **complete(const char *text, int start, int end)
{
	(void)end;
	rl_attempted_completion_over = 1;	/* our candidates, file names too */
	complete_line(&comp, sess, rl_line_buffer, (size_t)start, text);
	rl_sort_completion_matches = !comp.keep_order;
	if (comp.no_space)
		rl_completion_suppress_append = 1;
	return rl_completion_matches(text, cand_gen);
}

/* ------------------------------------------------------------------------- */

enum run_status repl_run(struct session *s)
{
	struct sigaction sa = { .sa_handler = on_sigint };

	sess = s;
	worst = RUN_OK;
	s->interactive = isatty(1);
	s->keep_going = true;	/* a failed command never ends an interactive session */
	rl_readline_name = "vhuctl";
	rl_attempted_completion_function = complete;
	rl_completer_word_break_characters = (char *)" \t=,;";
	rl_variable_bind("completion-ignore-case", "on");
	rl_catch_signals = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);	/* no SA_RESTART: poll returns EINTR */
	history_init();
	s->emit = repl_emit;
	rl_callback_handler_install(prompt(), on_line);
	rl_callback_installed = true;
	while (!s->quit) {
		struct pollfd p[4] = {
			{ .fd = 0, .events = POLLIN },
			{ .fd = s->conn.fd, .events = POLLIN },
			{ .fd = backend_fd(s), .events = POLLIN },
			{ .fd = gpu_socket_fd(s), .events = POLLIN },
		};
		/* A message read already (behind a reply) is not on the socket. */
		bool buffered = conn_connected(&s->conn) && s->conn.rx.len;
		int r = poll(p, 4, buffered ? 0 : -1);

		if (run_signal)		/* SIGTERM or SIGHUP: the session ends */
			break;
		if (got_sigint) {
			/* Ctrl-C at the prompt drops the line, never the session. */
			got_sigint = 0;
			wire_cancel = 0;
			rl_free_line_state();
			rl_crlf();
			rl_replace_line("", 0);
			rl_on_new_line();
			rl_redisplay();
			continue;
		}
		if (r < 0)
			continue;
		if (p[0].revents)
			rl_callback_read_char();
		if (!s->quit && conn_connected(&s->conn) && (p[1].revents || buffered))
			backend_event();
		if (!s->quit && p[2].revents && backend_fd(s) >= 0) {
			backend_on_readable(s);
			backend_flush(s);
		}
		/* The gpu socket at the prompt too: a back-end blocked writing an
		 * UPDATE waits for nobody's next command. */
		if (!s->quit && p[3].revents && gpu_socket_fd(s) >= 0)
			gpu_poll(s);
	}
	rl_callback_handler_remove();
	return worst;
}
