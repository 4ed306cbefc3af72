/* run.c - run a buffer of commands (script, -c, REPL line) through one dispatcher. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/jb.h"
#include "shell/out.h"
#include "shell/run.h"

#define SCRIPT_MAX (16u << 20)

volatile sig_atomic_t run_signal;

/* One row per exit status: --help, the man page and the code below read it. */
static const struct run_exit exits[] = {
	{ 0, "ok", "every command succeeded, and every expect held" },
	{ 1, "failed", "a command failed: the back-end refused a request, answered wrongly or "
		       "broke the protocol, or vhuctl could not do what was asked" },
	{ 2, "usage", "a bad option or argument on vhuctl's own command line" },
	{ 3, "invalid", "a script or -c text does not parse (a command, argument, name or number): "
			"nothing of it ran" },
	{ 4, "expect", "an expect did not hold" },
	{ 5, "connection", "no connection: the socket could not be reached, the back-end went away, "
			   "or a wait timed out" },
};

const struct run_exit *run_exits(unsigned *n)
{
	*n = sizeof(exits) / sizeof(exits[0]);
	return exits;
}

/* The first failure of the run decides the exit status. */
static int first_failure;

int run_exit_status(void)
{
	return first_failure ? first_failure : RUN_EXIT_FAILED;
}

/* What a failure of command NAME with CODE says about the run. */
static int failure_class(const char *name, int code)
{
	switch (code) {
	case VHU_EEXPECT:
		return RUN_EXIT_EXPECT;
	case ENOTCONN: case ETIMEDOUT: case ECONNRESET: case ECONNREFUSED: case EPIPE:
		return RUN_EXIT_CONNECTION;
	default:
		break;
	}
	if (name && (strcmp(name, "connect") == 0 || strcmp(name, "reconnect") == 0 ||
		     strcmp(name, "listen") == 0 || strcmp(name, "accept") == 0))
		return RUN_EXIT_CONNECTION;
	return RUN_EXIT_FAILED;
}

static void note_failure(int class)
{
	if (!first_failure)
		first_failure = class;
}

static void on_stop_signal(int sig)
{
	run_signal = sig;
	wire_cancel = 1;	/* the wait in progress gives up */
}

static const int stop_sigs[] = { SIGINT, SIGTERM, SIGHUP };

void run_catch_signals(void)
{
	/* SA_RESTART: a write of results to a slow pipe is not cut short (poll
	 * and reads bounded by SO_RCVTIMEO return EINTR all the same, and stdin
	 * is polled). SA_RESETHAND: a second signal kills at once. */
	struct sigaction sa = { .sa_handler = on_stop_signal, .sa_flags = SA_RESTART | SA_RESETHAND }, old;

	sigemptyset(&sa.sa_mask);
	for (unsigned i = 0; i < sizeof(stop_sigs) / sizeof(stop_sigs[0]); i++) {
		/* Ignored by whoever started us (nohup, a background job of a
		 * script): it stays ignored. */
		if (sigaction(stop_sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(stop_sigs[i], &sa, NULL);
	}
}

void run_hold_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	for (unsigned i = 0; i < sizeof(stop_sigs) / sizeof(stop_sigs[0]); i++)
		sigaddset(&set, stop_sigs[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

void run_die_of_signal(void)
{
	int sig = run_signal;

	fprintf(stderr, "vhuctl: stopped by SIG%s\n", sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(128 + sig);
}

/* "FILE:LINE:COL: KIND: MSG", the source line, and ^~~~ under the spot. */
static void print_at(const struct run_src *src, const char *kind, unsigned line, unsigned col,
		     unsigned len, const char *msg)
{
	size_t ll;
	const char *l;
	/* "error" in red, as compilers do, on a terminal that takes colour */
	bool red = strcmp(kind, "error") == 0 && out_stderr_color();
	const char *on = red ? "\033[1;31m" : "", *off = red ? "\033[0m" : "";

	/* At the prompt the line is on the screen: point at it, as nft -i does */
	if (src->typed)
		fprintf(stderr, "%s%s%s: %s\n", on, kind, off, msg);
	else
		fprintf(stderr, "%s:%u:%u: %s%s%s: %s\n", src->name, line, col, on, kind, off, msg);
	if (line < src->first_line)
		return;
	l = tok_source_line(src->text, src->len, line - src->first_line + 1, &ll);
	if (!l)
		return;
	fprintf(stderr, "%.*s\n", (int)ll, l);
	for (unsigned i = 1; i < col && i <= ll; i++)
		fputc(l[i - 1] == '\t' ? '\t' : ' ', stderr);
	fputc('^', stderr);
	for (unsigned i = 1; i < len; i++)
		fputc('~', stderr);
	fputc('\n', stderr);
}

static void print_located(const struct run_src *src, unsigned line, unsigned col,
			  unsigned len, const char *msg)
{
	print_at(src, "error", line, col, len, msg);
}

/* A note about the command at WHERE ("FILE:LINE"), LINE:COL in SRC when
 * SAME_RUN (then its text is quoted). */
static void print_note(const struct run_src *src, bool same_run, const char *where,
		       unsigned line, unsigned col, unsigned len, const char *msg)
{
	if (src->typed)		/* not on the screen any more: say which it was */
		fprintf(stderr, "note: %s (%s)\n", msg, where);
	else if (same_run)
		print_at(src, "note", line, col, len, msg);
	else
		fprintf(stderr, "%s:%u: note: %s\n", where, col, msg);
}

static struct json_object *error_object(const struct run_src *src, int code, const char *msg,
					unsigned line, unsigned col)
{
	struct json_object *e = json_object_new_object();

	jb_add(e, "code", json_object_new_string(vhu_errno_name(code)));
	jb_add(e, "message", json_object_new_string(msg));
	jb_add(e, "file", json_object_new_string(src->name));
	jb_add(e, "line", json_object_new_int((int)line));
	jb_add(e, "col", json_object_new_int((int)col));
	return e;
}

/* A failure: its object is out, its message on stderr waits for the next
 * command, which may be an 'expect' that says the failure was meant. */
struct pending {
	bool set;
	int class;
	unsigned line, col, len;
	char msg[1500];
	bool note;		/* and a note about the command that sent what broke */
	bool note_same_run;
	struct sender note_at;
};

/* MSG with what the session knows about it: the signal, why the
 * connection went. */
static void explain(const struct session *s, int code, const char *msg, char *why, size_t len)
{
	if (run_signal && code == ECANCELED)
		snprintf(why, len, "%s (SIG%s)", msg, sigabbrev_np(run_signal) ? sigabbrev_np(run_signal) : "?");
	else if (code == ENOTCONN && s->gone_why[0])
		snprintf(why, len, "%s: %s", msg, s->gone_why);
	else if (code == ENOTCONN)
		snprintf(why, len, "%s (use 'connect PATH'%s)", msg, s->conn.listen_fd >= 0 ? " or 'accept'" : "");
	else
		snprintf(why, len, "%s", msg);
}

/* A failure's object on stdout (kept as the last result, and under NAME),
 * its message into P for commit(). */
static bool report_object(struct session *s, const struct run_src *src, struct json_object *out,
			  const char *name, int code, const char *msg, unsigned line, unsigned col,
			  unsigned len, int class, struct pending *p)
{
	bool ok = true;

	*p = (struct pending){ .set = true, .class = class, .line = line, .col = col, .len = len ? len : 1 };
	explain(s, code, msg, p->msg, sizeof(p->msg));
	if (!out)
		out = json_object_new_object();
	/* A person at a terminal gets the located message alone when the object
	 * would say nothing more; pipes and files always get the object. */
	jb_add(out, "ok", json_object_new_boolean(0));
	jb_add(out, "error", error_object(src, code, p->msg, line, col));
	if (!(s->interactive && json_object_object_length(out) <= 3))
		ok = out_print(s, out);
	if (class == RUN_EXIT_EXPECT)
		session_result_done(s, out);	/* the next expect looks at the command before */
	else
		session_keep_result(s, out, name);
	fflush(stdout);	/* keep stdout and stderr in order when they share a file */
	return ok;
}

/* The failure in P is shown, and counts for the run's exit status. */
static void commit(const struct run_src *src, struct pending *p)
{
	if (!p->set)
		return;
	print_located(src, p->line, p->col, p->len, p->msg);
	if (p->note)
		print_note(src, p->note_same_run, p->note_at.where, p->note_at.line, p->note_at.col,
			   p->note_at.len, "the back-end accepted the request sent here, then closed the connection");
	note_failure(p->class);
	p->set = false;
}

/* Report an error at once: object and message. */
static bool report(struct session *s, const struct run_src *src, struct json_object *out,
		   int code, const char *msg, unsigned line, unsigned col, unsigned len, int class)
{
	struct pending p;
	bool ok = report_object(s, src, out, NULL, code, msg, line, col, len, class, &p);

	commit(src, &p);
	return ok;
}

/* Where to point for a failed command: the blamed argument, the end of the
 * line for a missing one, or the command name. */
static const struct tok *blame(const struct tok_cmd *c, unsigned words, int bad,
			       unsigned argc, struct tok *end)
{
	if (bad >= 0 && (unsigned)bad < argc)
		return &c->v[words + (unsigned)bad];
	if (bad >= 0 && (unsigned)bad == argc) {
		const struct tok *last = &c->v[c->n - 1];

		*end = (struct tok){ .line = last->line, .col = last->col + last->len, .len = 1 };
		return end;
	}
	return &c->v[0];
}

static void echo_command(const struct tok_cmd *c)
{
	fflush(stdout);	/* what came before goes first, when both share a file */
	fprintf(stderr, "+");
	for (unsigned i = 0; i < c->n; i++)
		fprintf(stderr, " %s", c->v[i].text);
	fprintf(stderr, "\n");
}

/* The command as text again, quoted for our tokenizer. */
static const char *join_tokens(const struct tok_cmd *c, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < c->n && off + 4 < len; i++) {
		const char *t = c->v[i].text;
		bool plain = *t && !strpbrk(t, " \t\"'\\;#");

		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " " : "", plain ? "" : "\"");
		for (; *t && off + 3 < len; t++) {
			if (!plain && (*t == '"' || *t == '\\'))
				buf[off++] = '\\';
			buf[off++] = *t;
		}
		if (!plain && off + 1 < len)
			buf[off++] = '"';
		buf[off] = '\0';
	}
	return buf;
}

/* --reconnect: the back-end went away; take it back when it returns. */
static void auto_reconnect(struct session *s)
{
	struct json_object *ev = json_object_new_object(), *result;
	struct vhu_err e = { 0 };
	int r = cmd_run_line(s, "reconnect", &result, &e);

	jb_add(ev, "event", json_object_new_string(r == 0 ? "reconnected" : "reconnect-failed"));
	if (r < 0)
		jb_add(ev, "reason", json_object_new_string(e.msg));
	jb_add(ev, "result", result);
	if (s->emit)
		s->emit(s, ev);
	json_object_put(ev);
}

/* Each run_source() call is a run; a note can quote a line of the same run. */
static unsigned run_serial;

/* "NAME:LINE" into BUF (of LEN > 12), NAME cut to fit: what snprintf would
 * write, by hand, as this runs for every request sent. */
static void where_text(char *buf, size_t len, const char *name, unsigned line)
{
	char num[12], *p = num + sizeof(num);
	size_t n = strnlen(name, len - sizeof(num) - 1), k;

	do {
		*--p = (char)('0' + line % 10);
		line /= 10;
	} while (line);
	k = (size_t)(num + sizeof(num) - p);
	memcpy(buf, name, n);
	buf[n] = ':';
	memcpy(buf + n + 1, p, k);
	buf[n + 1 + k] = '\0';
}

/* Command C (of SRC, run RUN) sent the connection's last request: remember
 * where it came from. */
static void note_sender(struct session *s, const struct run_src *src, unsigned run,
			const struct tok_cmd *c)
{
	struct sender *d = &s->sender[0];

	if (d->ns)
		s->sender[1] = *d;	/* the command that sent before this one */
	d->ns = s->conn.last[0].ns;
	d->run = run;
	d->line = c->v[0].line;
	d->col = c->v[0].col;
	d->len = c->v[0].len;
	where_text(d->where, sizeof(d->where), src->name, c->v[0].line);
}

/* The command that sent request R (conn.last[]), NULL when unknown. A
 * command sends a run of requests: it is the one that sent the last of them
 * at or after R. */
static const struct sender *sender_of(const struct session *s, const struct conn_sent *r)
{
	for (unsigned i = 0; i < 2; i++)
		if (s->sender[i].ns && r->ns <= s->sender[i].ns &&
		    (i == 1 || s->sender[1].ns < r->ns))
			return &s->sender[i];
	return NULL;
}

/* "after SET_VRING_ADDR (bad3.vhu:13, answered, 2.1 ms earlier)": request R,
 * where it came from, and how long before the connection was found closed. */
static const char *describe_sent(const struct session *s, const struct conn_sent *r,
				 char *buf, size_t len)
{
	const struct vhu_request *row = proto_request(SIDE_FRONTEND, r->request);
	const struct sender *w = sender_of(s, r);
	double ms = (double)(s->conn.closed_ns - r->ns) / 1e6;
	char nbuf[32];

	if (r->seq == 0) {
		snprintf(buf, len, "before any request went out whole");
		return buf;
	}
	snprintf(buf, len, "after %s (%s%s%s, %.*f ms earlier)",
		 conn_req_name(row, r->request, nbuf, sizeof(nbuf)),
		 w ? w->where : "", w ? ", " : "", r->answered ? "answered" : "not answered",
		 ms < 10 ? 1 : 0, ms);
	return buf;
}

void run_note_gone(struct session *s)
{
	const struct conn *c = &s->conn;
	char last[300];

	if (c->peer_closed)
		snprintf(s->gone_why, sizeof(s->gone_why), "the back-end closed the connection %s",
			 describe_sent(s, &c->last[0], last, sizeof(last)));
	else if (c->closed_why[0])
		snprintf(s->gone_why, sizeof(s->gone_why), "vhuctl closed the connection: %s",
			 c->closed_why);
	else
		s->gone_why[0] = '\0';
}

/* The back-end hung up during the command that failed with E: say what it
 * had last accepted. When that is the request this command waited on, the
 * one before it is the likelier cause (the back-end may have hung up before
 * reading this one). *note gets the command that sent it, when that is an
 * earlier one, which then deserves a note of its own. */
static void blame_hangup(struct session *s, bool sent_here, struct vhu_err *e,
			 const struct sender **note)
{
	const struct conn *c = &s->conn;
	const struct conn_sent *r = &c->last[0];
	char last[300];
	size_t n = strlen(e->msg);

	*note = NULL;
	if (!c->peer_closed)
		return;
	if (sent_here && !r->answered) {
		r = &c->last[1];
		if (r->seq == 0)
			return;		/* nothing before it */
		snprintf(e->msg + n, sizeof(e->msg) - n, "; the request before it went out %s",
			 describe_sent(s, r, last, sizeof(last)) + strlen("after "));
	} else {
		snprintf(e->msg + n, sizeof(e->msg) - n, ", %s", describe_sent(s, r, last, sizeof(last)));
	}
	*note = sender_of(s, r);
	if (*note && (*note)->ns == s->sender[0].ns && sent_here)
		*note = NULL;	/* this very command */
}

/* A request's result can go out straight from text (out_direct) when the
 * session prints JSON and no name keeps it: no tree is built for it, and
 * an expect that looks at it makes one from the text. */
static bool may_print_direct(const struct session *s, const struct run_src *src,
			     const struct cmd_ctx *ctx, const struct tok *name)
{
	return ctx->cmd->req && !name && !src->quiet && !s->quiet && !s->text && s->out != OUT_TEXT &&
	       ctx->show != SHOW_TEXT;
}

/* The tree of a result that was to go out as text (a failure, or a show
 * that wants a tree): the rest's members, with the exchange spliced in. */
static struct json_object *direct_tree(struct session *s, struct cmd_ctx *ctx)
{
	struct json_object *o = session_result(s, ctx->cmd->name), *rest = ctx->out;
	unsigned i = 0;
	struct jw m;

	json_object_object_foreach(rest, key, val) {
		if (ctx->direct_used && i == ctx->direct_at) {
			jw_init(&m);
			jw_put_(&m, s->direct.buf, s->direct.len);
			jw_add_members(o, &m);
		}
		i++;
		json_object_object_add(o, key, json_object_get(val));
	}
	if (ctx->direct_used && i <= ctx->direct_at) {
		jw_init(&m);
		jw_put_(&m, s->direct.buf, s->direct.len);
		jw_add_members(o, &m);
	}
	session_direct_done(s, rest);
	ctx->direct = NULL;
	ctx->direct_used = false;
	return ctx->out = o;
}

/* Run one tokenized command; returns false when the run must stop. A
 * failure leaves its message in *P (see commit()). */
static bool run_one(struct session *s, const struct run_src *src, unsigned run,
		    const struct tok_cmd *c, struct pending *p)
{
	struct cmd_ctx ctx = { .s = s };
	unsigned words = 0, n = c->n;
	const struct tok *name = cmd_split_as(c->v, &n);
	struct tok end;
	const struct tok *t;
	bool was_connected, sent_here, dropped = false;
	int64_t last_ns;
	int r;

	if (s->echo)
		echo_command(c);
	if (cmd_resolve(&ctx, c->v, n, &words) < 0) {
		t = &c->v[ctx.bad_tok];
		return report_object(s, src, session_result(s, c->v[0].text), name ? name->text : NULL,
				     ctx.err.code, ctx.err.msg, t->line, t->col, t->len, RUN_EXIT_INVALID, p);
	}
	if (may_print_direct(s, src, &ctx, name)) {
		ctx.out = session_direct_rest(s);
		ctx.direct = &s->direct;
	} else {
		ctx.out = session_result(s, ctx.cmd->name);
	}
	was_connected = conn_connected(&s->conn);
	last_ns = s->conn.last[0].ns;
	r = cmd_run(&ctx);
	if (ctx.direct && (r < 0 || !ctx.direct_used || !may_print_direct(s, src, &ctx, name)))
		direct_tree(s, &ctx);
	sent_here = s->conn.last[0].ns != last_ns;
	if (sent_here)
		note_sender(s, src, run, c);
	if (was_connected && !conn_connected(&s->conn))
		run_note_gone(s);
	else if (conn_connected(&s->conn))
		s->gone_why[0] = '\0';
	if (r < 0) {
		const struct sender *note = NULL;
		bool ok;

		t = blame(c, words, ctx.bad_tok, n - words, &end);
		if (was_connected && !conn_connected(&s->conn) && ctx.err.code == ECONNRESET)
			blame_hangup(s, sent_here, &ctx.err, &note);
		ok = report_object(s, src, ctx.out, name ? name->text : NULL, ctx.err.code ? ctx.err.code : -r,
				   ctx.err.msg[0] ? ctx.err.msg : strerror(-r), t->line, t->col, t->len,
				   failure_class(ctx.cmd->name, ctx.err.code ? ctx.err.code : -r), p);
		if (note) {
			p->note = true;
			p->note_same_run = note->run == run;
			p->note_at = *note;
		}
		if (s->auto_reconnect && !conn_connected(&s->conn))
			auto_reconnect(s);
		return ok && !s->quit;
	}
	if (s->auto_reconnect && was_connected && !conn_connected(&s->conn) &&
	    strcmp(ctx.cmd->name, "disconnect") != 0)
		dropped = true;
	if (ctx.direct) {
		bool ok = out_direct(s, ctx.cmd->name, ctx.out, ctx.direct_at, &s->direct);

		session_direct_done(s, ctx.out);
		if (!ok)
			return false;
	} else if (ctx.out) {
		bool ok = true;

		jb_add(ctx.out, "ok", session_true(s));
		if (!src->quiet)
			ok = out_result(s, ctx.out, ctx.show);
		/* What an expect looks at next; an expect's own result is not. */
		if (strcmp(ctx.cmd->name, "expect") == 0)
			session_result_done(s, ctx.out);
		else
			session_keep_result(s, ctx.out, name ? name->text : NULL);
		if (!ok)
			return false;
	}
	if (!s->replaying && (ctx.cmd->req || strcmp(ctx.cmd->name, "start") == 0 ||
			      strcmp(ctx.cmd->name, "vring setup") == 0)) {
		char line[1024];

		/* joined only while there is room: a full log just counts */
		session_log_setup(s, session_log_full(s) ? "" : join_tokens(c, line, sizeof(line)));
	}
	if (dropped)	/* e.g. raw saw the back-end hang up */
		auto_reconnect(s);
	return !s->quit;
}

static bool is_expect(const struct tok_cmd *c)
{
	return c->n && strcmp(c->v[0].text, "expect") == 0;
}

/* --- the check of a whole script before it runs (and --check) ---------- */

#define CHECK_ERRORS_MAX 20


/* The commands of a source, tokenized once: checked, then run. Their
 * tokens and texts are copied into two growing buffers (a command costs
 * no allocation of its own); tok_list_done() makes the commands' views. */
struct tok_list {
	struct tok_list_at {
		size_t first;	/* its first token in tok */
		unsigned n, line;
	} *at;
	size_t n, cap;
	struct tok *tok;
	size_t ntok, tok_cap;
	char *text;
	size_t ntext, text_cap;
	struct tok_cmd *cmd;	/* n, once done */
};

static bool grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return true;
	while (c < need)
		c *= 2;
	if (!(q = realloc(*p, c * size)))
		return false;
	*p = q;
	*cap = c;
	return true;
}

static bool tok_list_take(struct tok_list *l, const struct tok_cmd *c)
{
	/* the arena up to the end of the last token's text */
	size_t text = c->n ? c->v[c->n - 1].off + strlen(c->v[c->n - 1].text) + 1 : 0;

	if (!grow((void **)&l->at, &l->cap, l->n + 1, sizeof(*l->at)) ||
	    !grow((void **)&l->tok, &l->tok_cap, l->ntok + c->n, sizeof(*l->tok)) ||
	    !grow((void **)&l->text, &l->text_cap, l->ntext + text, 1))
		return false;
	l->at[l->n++] = (struct tok_list_at){ .first = l->ntok, .n = c->n, .line = c->line };
	for (unsigned i = 0; i < c->n; i++) {
		l->tok[l->ntok] = c->v[i];
		l->tok[l->ntok++].off = l->ntext + c->v[i].off;
	}
	memcpy(l->text + l->ntext, c->arena, text);
	l->ntext += text;
	return true;
}

static bool tok_list_done(struct tok_list *l)
{
	if (l->n && !(l->cmd = calloc(l->n, sizeof(*l->cmd))))
		return false;
	for (size_t i = 0; i < l->ntok; i++)
		l->tok[i].text = l->text + l->tok[i].off;
	for (size_t i = 0; i < l->n; i++)
		l->cmd[i] = (struct tok_cmd){ .v = l->tok + l->at[i].first, .n = l->at[i].n,
					      .line = l->at[i].line };
	return true;
}

static void tok_list_free(struct tok_list *l)
{
	free(l->at);
	free(l->tok);
	free(l->text);
	free(l->cmd);
	*l = (struct tok_list){ 0 };
}

/* Check every command of SRC, and of the scripts it sources (DEPTH deep
 * so far), reporting each error. Returns the number of errors. KEEP, when
 * given, gets SRC's commands, to run without tokenizing them again. */
static unsigned check_source(struct session *s, const struct run_src *src, struct cmd_check *st,
			     unsigned depth, unsigned *commands, struct tok_list *keep)
{
	struct tokenizer t;
	struct tok_cmd c = { 0 };
	struct tok_error te;
	unsigned errors = 0;
	int r;

	tok_init(&t, src->text, src->len, src->first_line);
	while (errors < CHECK_ERRORS_MAX && (r = tok_next(&t, &c, &te)) != 0) {
		struct vhu_err e = { 0 };
		unsigned bad = 0;

		if (r < 0) {
			report(s, src, NULL, EINVAL, te.msg, te.line, te.col, te.len, RUN_EXIT_INVALID);
			errors++;
			continue;
		}
		if (c.n == 0)
			continue;
		(*commands)++;
		if (cmd_check(st, c.v, c.n, &bad, &e) < 0) {
			struct tok end;
			const struct tok *at = blame(&c, 0, (int)bad, c.n, &end);

			report(s, src, session_result(s, c.v[0].text), e.code, e.msg, at->line, at->col, at->len,
			       RUN_EXIT_INVALID);
			errors++;
			continue;
		}
		if (st->source) {
			const struct tok *at = &c.v[st->source_tok];
			char *text = NULL;
			size_t len = 0;
			int rr = depth >= SOURCE_DEPTH_MAX ? -ELOOP : run_read_script(st->source, &text, &len);

			if (rr < 0) {
				char msg[600];

				if (rr == -ELOOP)
					snprintf(msg, sizeof(msg), "%s: 'source' nested more than %d deep", st->source,
						 SOURCE_DEPTH_MAX);
				else
					snprintf(msg, sizeof(msg), "%s: %s", st->source, strerror(-rr));
				report(s, src, session_result(s, "source"), -rr, msg, at->line, at->col, at->len,
				       RUN_EXIT_INVALID);
				errors++;
			} else {
				struct run_src sub = { .name = at->text, .text = text, .len = len, .first_line = 1 };

				errors += check_source(s, &sub, st, depth + 1, commands, NULL);
			}
			free(text);
		}
		if (keep && !errors && !tok_list_take(keep, &c)) {
			report(s, src, NULL, ENOMEM, "out of memory", c.line, 1, 1, RUN_EXIT_INVALID);
			errors++;
		}
	}
	tok_cmd_free(&c);
	return errors;
}

static enum run_status precheck(struct session *s, const struct run_src *src, unsigned *commands,
				unsigned *errors, struct tok_list *keep)
{
	struct cmd_check st;

	cmd_check_init(&st, s);
	*errors += check_source(s, src, &st, s->depth, commands, keep);
	if (keep && !*errors && !tok_list_done(keep)) {
		report(s, src, NULL, ENOMEM, "out of memory", src->first_line, 1, 1, RUN_EXIT_INVALID);
		++*errors;
	}
	return *errors ? RUN_INVALID : RUN_OK;
}

enum run_status run_precheck(struct session *s, const struct run_src *src, unsigned *commands,
			  unsigned *errors)
{
	return precheck(s, src, commands, errors, NULL);
}

enum run_status run_source(struct session *s, const struct run_src *src)
{
	struct tok_list l = { 0 };
	struct pending p = { 0 };
	bool failed = false, go = true;
	unsigned run = ++run_serial, commands = 0, errors = 0;
	enum run_status status = RUN_OK;

	/* Nothing runs of a script that does not parse: a typo on its last
	 * line fires no request. */
	if (precheck(s, src, &commands, &errors, &l) != RUN_OK) {
		tok_list_free(&l);
		return ferror(stdout) ? RUN_OUTPUT_GONE : RUN_INVALID;
	}
	for (size_t i = 0; go && i < l.n; i++) {
		const struct tok_cmd *c = &l.cmd[i];

		if (p.set && !is_expect(c)) {
			commit(src, &p);
			failed = true;
			if (!s->keep_going)
				break;
		}
		if (is_expect(c) && p.set) {
			struct pending was = p;

			/* The failure before it was meant when this expect holds;
			 * else it is shown first, and the expect's failure counts. */
			p.set = false;
			go = run_one(s, src, run, c, &p);
			if (p.set) {
				was.class = p.class;
				commit(src, &was);
			}
		} else {
			go = run_one(s, src, run, c, &p);
		}
		if (p.set && p.class == RUN_EXIT_EXPECT) {	/* no later expect can mean it */
			commit(src, &p);
			failed = true;
			go = go && s->keep_going;
		}
		if (run_signal) {
			commit(src, &p);
			status = RUN_SIGNALLED;
			goto out;
		}
		if (ferror(stdout)) {
			status = RUN_OUTPUT_GONE;
			goto out;
		}
	}
	if (p.set) {
		commit(src, &p);
		failed = true;
	}
	if (ferror(stdout))
		status = RUN_OUTPUT_GONE;
	else if (failed)
		status = RUN_FAILED;
out:
	tok_list_free(&l);
	return status;
}

static char *slurp(int fd, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	while (buf) {
		ssize_t r;

		if (n == cap) {
			char *nb = cap >= SCRIPT_MAX ? NULL : realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				errno = EFBIG;
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*len = n;
	return buf;
}

int run_read_script(const char *path, char **text, size_t *len)
{
	bool is_stdin = strcmp(path, "-") == 0;
	int fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	*text = slurp(fd, len);
	if (!is_stdin)
		close(fd);
	return *text ? 0 : -errno;
}

int run_file(struct session *s, const char *path, enum run_status *status)
{
	struct run_src src;
	size_t len;
	char *text;
	int r = run_read_script(path, &text, &len);

	if (r < 0)
		return r;
	src = (struct run_src){ .name = strcmp(path, "-") == 0 ? "<stdin>" : path, .text = text,
				.len = len, .first_line = 1 };
	*status = run_source(s, &src);
	free(text);
	return 0;
}

/* What 'source' and 'replay' (command layer) ask of the runner. */
static int runner_file(struct session *s, const char *path, enum run_status *status)
{
	return run_file(s, path, status);
}

static enum run_status runner_text(struct session *s, const char *name, const char *text, unsigned line)
{
	struct run_src src = { .name = name, .text = text, .len = strlen(text), .first_line = line };

	return run_source(s, &src);
}

const struct session_runner run_runner = { .file = runner_file, .text = runner_text };

/* Lines from an fd, read as they arrive: poll first, so that a signal ends
 * a wait for input (a read on stdin would be restarted). */
struct line_reader {
	int fd;
	char *buf;
	size_t len, cap, start;
	bool eof;
	bool skipping;		/* in a line over SCRIPT_MAX */
};

/* The next line (with its newline, if any) in *line, *n bytes, valid until
 * the next call; 0 at the end of input, -errno (-EINTR: a signal came;
 * -EFBIG: a line over SCRIPT_MAX was skipped). */
static int next_line(struct line_reader *lr, const char **line, size_t *n)
{
	for (;;) {
		char *nl = lr->len > lr->start ? memchr(lr->buf + lr->start, '\n', lr->len - lr->start) : NULL;
		struct pollfd p = { .fd = lr->fd, .events = POLLIN };
		ssize_t r;

		if (lr->skipping && (nl || lr->eof)) {
			lr->skipping = false;
			lr->start = nl ? (size_t)(nl - lr->buf) + 1 : lr->len;
			return -EFBIG;
		}
		if (!lr->skipping && (nl || (lr->eof && lr->len > lr->start))) {
			size_t end = nl ? (size_t)(nl - lr->buf) + 1 : lr->len;

			*line = lr->buf + lr->start;
			*n = end - lr->start;
			lr->start = end;
			return 1;
		}
		if (lr->eof)
			return 0;
		if (lr->start) {	/* keep the partial line at the front */
			memmove(lr->buf, lr->buf + lr->start, lr->len - lr->start);
			lr->len -= lr->start;
			lr->start = 0;
		}
		if (lr->len == lr->cap && lr->cap >= SCRIPT_MAX) {
			lr->len = 0;	/* not a command: dropped up to its newline */
			lr->skipping = true;
		} else if (lr->len == lr->cap) {
			char *nb = realloc(lr->buf, lr->cap ? lr->cap * 2 : 4096);

			if (!nb)
				return -ENOMEM;
			lr->buf = nb;
			lr->cap = lr->cap ? lr->cap * 2 : 4096;
		}
		if (run_signal)
			return -EINTR;
		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		r = read(lr->fd, lr->buf + lr->len, lr->cap - lr->len);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			lr->eof = true;
		lr->len += (size_t)r;
	}
}

enum run_status run_stream(struct session *s, int fd, const char *name)
{
	struct line_reader lr = { .fd = fd };
	enum run_status worst = RUN_OK, st;
	char *chunk = NULL;
	const char *line = NULL;
	size_t clen = 0, n = 0;
	unsigned lineno = 0, first = 1;
	int r = 0;

	/* Line by line, so that a pipe can feed commands as it goes; whoever
	 * feeds them may wait for the results, so flush before waiting. */
	while (!s->quit && (fflush(stdout), (r = next_line(&lr, &line, &n)) != 0)) {
		char *nc;

		if (r < 0 && r != -EFBIG)
			break;
		lineno++;
		if (clen == 0)
			first = lineno;
		if (r == -EFBIG || clen + n > SCRIPT_MAX) {
			/* A command of 16 MiB is not a command: say so, skip it. */
			fprintf(stderr, "%s:%u: error: command longer than %u bytes\n", name, lineno, SCRIPT_MAX);
			worst = RUN_FAILED;
			clen = 0;
			if (!s->keep_going)
				break;
			continue;
		}
		nc = realloc(chunk, clen + n + 1);
		if (!nc)
			break;
		chunk = nc;
		memcpy(chunk + clen, line, n);
		clen += n;
		chunk[clen] = '\0';
		/* A backslash before the newline continues the command. */
		if (clen >= 2 && chunk[clen - 1] == '\n' && chunk[clen - 2] == '\\' &&
		    (clen < 3 || chunk[clen - 3] != '\\'))
			continue;
		{
			struct run_src src = { .name = name, .text = chunk, .len = clen, .first_line = first };

			st = run_source(s, &src);
		}
		clen = 0;
		if (st != RUN_OK)
			worst = st;
		if (st == RUN_OUTPUT_GONE || st == RUN_SIGNALLED || (st != RUN_OK && !s->keep_going))
			break;
	}
	if (r < 0 && r != -EINTR && r != -EFBIG) {
		fprintf(stderr, "%s: %s\n", name, strerror(-r));
		worst = RUN_FAILED;
	}
	if (run_signal)
		worst = RUN_SIGNALLED;
	free(lr.buf);
	free(chunk);
	return worst;
}
