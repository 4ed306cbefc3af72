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
#include "cmd/cmd.h"
#include "core/jb.h"
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
	(void)s;
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
	if (st == RUN_FAILED)
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

static char **cands;
static size_t ncands, capcands;

static void cand_reset(void)
{
	for (size_t i = 0; i < ncands; i++)
		free(cands[i]);
	ncands = 0;
}

static void cand_add(const char *prefix, const char *word, const char *suffix)
{
	char *s;
	size_t n = strlen(prefix);

	if (strncasecmp(word, prefix, n) != 0)
		return;
	for (size_t i = 0; i < ncands; i++)
		if (strncmp(cands[i], word, strlen(word)) == 0 && cands[i][strlen(word)] == (suffix ? *suffix : 0))
			return;
	if (ncands == capcands) {
		char **nc = realloc(cands, (capcands ? capcands * 2 : 64) * sizeof(*nc));

		if (!nc)
			return;
		cands = nc;
		capcands = capcands ? capcands * 2 : 64;
	}
	s = malloc(strlen(word) + (suffix ? strlen(suffix) : 0) + 1);
	if (!s)
		return;
	strcpy(s, word);
	if (suffix)
		strcat(s, suffix);
	cands[ncands++] = s;
}

static size_t cand_index;

static char *cand_gen(const char *text, int state)
{
	(void)text;
	if (!state)
		cand_index = 0;
	return cand_index < ncands ? strdup(cands[cand_index++]) : NULL;
}

static void complete_commands(const char *text)
{
	unsigned n;
	const struct cmd_def *t = cmd_table(&n);
	bool upper = text[0] >= 'A' && text[0] <= 'Z';

	for (unsigned i = 0; i < n; i++) {
		char first[48];
		const char *sp = strchr(t[i].name, ' ');

		if (upper && t[i].req) {
			cand_add(text, t[i].req->name, NULL);
			continue;
		}
		if (sp) {
			snprintf(first, sizeof(first), "%.*s", (int)(sp - t[i].name), t[i].name);
			cand_add(text, first, NULL);
		} else {
			cand_add(text, t[i].name, NULL);
		}
	}
}

static bool list_item;

/* Feature names: the ones the back-end offered first (in table order, not
 * sorted), then the rest, which stay sendable on purpose. */
static void complete_features(const char *text, const struct arg_spec *a)
{
	bool known = a->type == ARG_PFEATURES ? sess->conn.have_proto : sess->conn.have_features;
	uint64_t offer = a->type == ARG_PFEATURES ? sess->conn.proto : sess->conn.features;
	unsigned n;

	list_item = true;
	if (known)
		rl_sort_completion_matches = 0;
	for (int pass = 0; pass < (known ? 2 : 1); pass++) {
		bool want = pass == 0;

		if (a->type == ARG_PFEATURES) {
			const struct vhu_proto_feature *f = proto_features(&n);

			for (unsigned i = 0; i < n; i++)
				if (!known || (bool)(offer >> f[i].bit & 1) == want)
					cand_add(text, f[i].name, NULL);
		} else if (a->type == ARG_STATUS) {
			const struct vhu_feature *f = features_status(&n);

			for (unsigned i = 0; pass == 0 && i < n; i++)
				cand_add(text, f[i].name, NULL);
		} else {
			const struct vhu_feature *f = features_transport(&n);

			for (unsigned i = 0; i < n; i++)
				if (!known || (bool)(offer >> f[i].bit & 1) == want)
					cand_add(text, f[i].name, NULL);
			f = features_device(sess->dev, &n);
			for (unsigned i = 0; f && i < n; i++)
				if (f[i].bit < 64 && (!known || (bool)(offer >> f[i].bit & 1) == want))
					cand_add(text, f[i].name, NULL);
		}
	}
}

static void complete_value(const char *text, const struct arg_spec *a, const char *cmd)
{
	static const char *const bools[] = { "on", "off", NULL };
	char num[16];

	switch (a->type) {
	case ARG_FEATURES:
	case ARG_PFEATURES:
	case ARG_STATUS:
		complete_features(text, a);
		break;
	case ARG_BOOL:
		for (unsigned i = 0; bools[i]; i++)
			cand_add(text, bools[i], NULL);
		break;
	case ARG_ENUM:
		for (const struct arg_enum *e = a->enums; e && e->name; e++)
			cand_add(text, e->name, NULL);
		break;
	case ARG_PATH:
		rl_attempted_completion_over = 0;	/* readline's own file names */
		break;
	case ARG_STRING:
		if (strcmp(cmd, "help") == 0) {
			complete_commands(text);
		} else if (strcmp(cmd, "device") == 0) {
			unsigned n;
			const enum vhu_device *d = features_devices(&n);

			for (unsigned i = 0; i < n; i++)
				cand_add(text, features_device_name(d[i]), NULL);
		} else if (strcmp(cmd, "raw") == 0) {
			unsigned n;
			const struct vhu_request *r = proto_requests(SIDE_FRONTEND, &n);

			for (unsigned i = 0; i < n; i++)
				cand_add(text, r[i].name, NULL);
		}
		break;
	case ARG_U32:
		if (strcmp(a->name, "index") == 0) {	/* rings that have fds */
			for (unsigned i = 0; i < SESSION_RINGS; i++) {
				const struct ring_fds *r = &sess->ring[i];

				if (r->kick >= 0 || r->call >= 0 || r->err >= 0) {
					snprintf(num, sizeof(num), "%u", i);
					cand_add(text, num, NULL);
				}
			}
		}
		break;
	default:
		break;
	}
}

/* Split the line before START into words (plain spaces: enough to know
 * which command and argument the cursor is in). */
static unsigned line_words(int start, char words[][128], unsigned max)
{
	unsigned n = 0;
	int i = 0;

	while (i < start && n < max) {
		int b;

		while (i < start && (rl_line_buffer[i] == ' ' || rl_line_buffer[i] == '\t'))
			i++;
		b = i;
		while (i < start && rl_line_buffer[i] != ' ' && rl_line_buffer[i] != '\t')
			i++;
		if (i > b) {
			snprintf(words[n], 128, "%.*s", i - b, rl_line_buffer + b);
			n++;
		}
	}
	return n;
}

static void complete_args(const char *text, int start, char words[][128], unsigned nw)
{
	struct tok t[2] = { { .text = words[0] }, { .text = nw > 1 ? words[1] : NULL } };
	unsigned used = 0, npos = 0;
	const struct cmd_def *c = cmd_find(t, nw > 1 ? 2 : 1, &used);
	char before = start > 0 ? rl_line_buffer[start - 1] : ' ';

	if (!c) {
		/* Two-word commands: after "vring ", offer "setup", "post", ... */
		unsigned n;
		const struct cmd_def *tb = cmd_table(&n);
		size_t l = strlen(words[0]);

		for (unsigned i = 0; nw == 1 && i < n; i++)
			if (strncmp(tb[i].name, words[0], l) == 0 && tb[i].name[l] == ' ')
				cand_add(text, tb[i].name + l + 1, NULL);
		return;
	}
	if (before == '=' || before == ',') {
		/* The value of key=, or the next item of a comma list. */
		int k = start - 1;
		char key[64];
		int e;

		while (k > 0 && rl_line_buffer[k - 1] != ' ' && rl_line_buffer[k] != '=')
			k--;
		e = k;
		while (k > 0 && rl_line_buffer[k - 1] != ' ')
			k--;
		snprintf(key, sizeof(key), "%.*s", e - k, rl_line_buffer + k);
		for (unsigned i = 0; i < c->nargs; i++) {
			if (before == '=' ? strcmp(c->args[i].name, key) == 0 :
			    (c->args[i].type == ARG_FEATURES || c->args[i].type == ARG_PFEATURES ||
			     c->args[i].type == ARG_STATUS)) {
				complete_value(text, &c->args[i], c->name);
				break;
			}
		}
		return;
	}
	/* Positional arguments already typed, keys not yet used. */
	for (unsigned w = used; w < nw; w++)
		if (!strchr(words[w], '='))
			npos++;
	for (unsigned i = 0, pos = 0; i < c->nargs; i++) {
		const struct arg_spec *a = &c->args[i];
		bool given = false;

		for (unsigned w = used; w < nw; w++) {
			size_t l = strlen(a->name);

			if ((strncmp(words[w], a->name, l) == 0 && words[w][l] == '=') ||
			    (a->type == ARG_FLAG && strcmp(words[w], a->name) == 0))
				given = true;
		}
		if (a->type == ARG_FLAG) {
			if (!given)
				cand_add(text, a->name, NULL);
			continue;
		}
		if (!a->key_only && !given) {
			unsigned my = pos++;

			if (my < npos)
				continue;	/* already given by position */
			if (my == npos)
				complete_value(text, a, c->name);
		}
		if (!given)
			cand_add(text, a->name, "=");
	}
}

static char **complete(const char *text, int start, int end)
{
	char words[16][128];
	unsigned nw = line_words(start, words, 16);
	char **m;

	(void)end;
	rl_attempted_completion_over = 1;	/* no file names unless asked for */
	rl_sort_completion_matches = 1;
	list_item = false;
	cand_reset();
	if (nw == 0)
		complete_commands(text);
	else
		complete_args(text, start, words, nw);
	/* No space after "key=" or after an item of a comma-separated list. */
	if (ncands == 1 && (cands[0][strlen(cands[0]) - 1] == '=' || list_item))
		rl_completion_suppress_append = 1;
	m = rl_completion_matches(text, cand_gen);
	return m;
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
	rl_completer_word_break_characters = (char *)" \t=,";
	rl_variable_bind("completion-ignore-case", "on");
	rl_catch_signals = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);	/* no SA_RESTART: poll returns EINTR */
	history_init();
	s->emit = repl_emit;
	rl_callback_handler_install(prompt(), on_line);
	rl_callback_installed = true;
	while (!s->quit) {
		struct pollfd p[3] = {
			{ .fd = 0, .events = POLLIN },
			{ .fd = s->conn.fd, .events = POLLIN },
			{ .fd = backend_fd(s), .events = POLLIN },
		};
		/* A message read already (behind a reply) is not on the socket. */
		bool buffered = conn_connected(&s->conn) && s->conn.rx.len;
		int r = poll(p, 3, buffered ? 0 : -1);

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
	}
	rl_callback_handler_remove();
	return worst;
}
