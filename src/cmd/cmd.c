/* cmd.c - the command table: lookup, suggestions, usage lines, dispatch. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd/backend.h"
#include "cmd/gpu.h"
#include "cmd/cmd.h"
#include "core/jb.h"
#include "core/jw.h"
#include "core/suggest.h"

#define CMDS_MAX 128

static struct cmd_def table[CMDS_MAX];
static unsigned ntable;

const struct cmd_def *cmd_table(unsigned *n)
{
	/* Every group's table, in the order help lists them. */
	static const struct cmd_def *(*const groups[])(unsigned *n) = {
		cmd_conn_defs, cmd_session_defs, cmd_raw_defs, cmd_mem_defs, cmd_start_defs, cmd_vring_defs,
		cmd_dev_defs, cmd_bench_defs, cmd_fs_defs, cmd_gpu_defs, cmd_flow_defs, cmd_expect_defs, cmd_help_defs,
	};

	if (!ntable) {
		for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
			unsigned ns;
			const struct cmd_def *t = groups[g](&ns);

			for (unsigned i = 0; i < ns && ntable < CMDS_MAX; i++)
				table[ntable++] = t[i];
		}
		cmd_request_defs(table, &ntable, CMDS_MAX);
	}
	*n = ntable;
	return table;
}

const char *cmd_group_name(enum cmd_group g)
{
	static const char *const names[GROUP_COUNT] = {
		[GROUP_SESSION] = "session",
		[GROUP_REQUEST] = "requests",
		[GROUP_MEMORY] = "memory",
		[GROUP_RINGS] = "rings",
		[GROUP_META] = "meta",
	};

	return (unsigned)g < GROUP_COUNT ? names[g] : "?";
}

/* FNV-1a over A, or over A, ' ', B: a command name without building it. */
static uint32_t name_hash(const char *a, const char *b)
{
	uint32_t h = 2166136261u;

	for (; *a; a++)
		h = (h ^ (unsigned char)*a) * 16777619u;
	if (b) {
		h = (h ^ ' ') * 16777619u;
		for (; *b; b++)
			h = (h ^ (unsigned char)*b) * 16777619u;
	}
	return h;
}

static bool name_is(const char *name, const char *a, const char *b)
{
	size_t la = strlen(a);

	if (strncmp(name, a, la) != 0)
		return false;
	if (!b)
		return name[la] == '\0';
	return name[la] == ' ' && strcmp(name + la + 1, b) == 0;
}

/* The command named A (and B, for two-word names): every line of a script
 * looks its command up, so by hash. */
static const struct cmd_def *lookup(const char *a, const char *b)
{
	enum { SLOTS = 256 };	/* a power of two, over twice CMDS_MAX */
	static const struct cmd_def *slot[SLOTS];
	static bool built;
	uint32_t i;

	if (!built) {
		unsigned nt;
		const struct cmd_def *t = cmd_table(&nt);

		for (unsigned k = 0; k < nt; k++) {
			for (i = name_hash(t[k].name, NULL) & (SLOTS - 1); slot[i]; i = (i + 1) & (SLOTS - 1))
				;
			slot[i] = &t[k];
		}
		built = true;
	}
	for (i = name_hash(a, b) & (SLOTS - 1); slot[i]; i = (i + 1) & (SLOTS - 1))
		if (name_is(slot[i]->name, a, b))
			return slot[i];
	return NULL;
}

const struct cmd_def *cmd_find(const struct tok *v, unsigned n, unsigned *words)
{
	const struct cmd_def *c;

	if (n == 0)
		return NULL;
	if (n >= 2 && (c = lookup(v[0].text, v[1].text)))
		return (*words = 2), c;
	if ((c = lookup(v[0].text, NULL)))
		return (*words = 1), c;
	/* The spec spelling of a request: one table lookup, then its command. */
	{
		unsigned nt;
		const struct cmd_def *t = cmd_table(&nt);
		const struct vhu_request *row = proto_request_by_name(SIDE_FRONTEND, v[0].text);

		for (unsigned i = 0; row && i < nt; i++)
			if (t[i].req == row)
				return (*words = 1), &t[i];
	}
	return NULL;
}

const char *cmd_group_word(const char *word)
{
	/* The first words of two-word commands, from the table, once. */
	static char words[16][24];
	static unsigned nwords;
	static bool built;

	if (!built) {
		unsigned nt;
		const struct cmd_def *t = cmd_table(&nt);

		for (unsigned k = 0; k < nt; k++) {
			const char *sp = strchr(t[k].name, ' ');
			size_t l = sp ? (size_t)(sp - t[k].name) : 0;
			unsigned i;

			if (!sp || l >= sizeof(words[0]))
				continue;
			for (i = 0; i < nwords && (strncmp(words[i], t[k].name, l) != 0 || words[i][l]); i++)
				;
			if (i == nwords && nwords < sizeof(words) / sizeof(words[0]))
				snprintf(words[nwords++], sizeof(words[0]), "%.*s", (int)l, t[k].name);
		}
		built = true;
	}
	for (unsigned i = 0; i < nwords; i++)
		if (strcmp(words[i], word) == 0)
			return words[i];
	return NULL;
}

const struct cmd_def *cmd_group_next(const char *group, const struct cmd_def *after)
{
	unsigned nt;
	const struct cmd_def *t = cmd_table(&nt);
	size_t l = strlen(group);

	for (unsigned k = after ? (unsigned)(after - t) + 1 : 0; k < nt; k++)
		if (strncmp(t[k].name, group, l) == 0 && t[k].name[l] == ' ')
			return &t[k];
	return NULL;
}

/* "'blk' has no sub-command 'reed'", and which one was likely meant. */
static int no_subcommand(const char *group, const char *sub, struct vhu_err *e)
{
	size_t l = strlen(group) + 1;
	struct suggest sg;
	const char *best;

	suggest_init(&sg, sub, strlen(sub));
	for (const struct cmd_def *c = cmd_group_next(group, NULL); c; c = cmd_group_next(group, c))
		suggest_add(&sg, NULL, c->name + l);
	best = suggest_best(&sg);
	if (best)
		return vhu_errf(e, EINVAL, "'%s' has no sub-command '%s' (did you mean '%s %s'?)",
				group, sub, group, best);
	return vhu_errf(e, EINVAL, "'%s' has no sub-command '%s' (it has: %s)", group, sub, sg.list);
}

/* "unknown command 'blok'", and which one was likely meant: among the
 * one-word commands and the groups, compared by first word; a group
 * suggested with the sub-command typed after it when that is one of its. */
static int unknown_command(const struct tok *v, unsigned n, struct vhu_err *e)
{
	unsigned nt;
	const struct cmd_def *t = cmd_table(&nt);
	const char *best;
	struct suggest sg;
	char full[80];

	suggest_init(&sg, v[0].text, strlen(v[0].text));
	for (unsigned k = 0; k < nt; k++) {
		const char *sp = strchr(t[k].name, ' ');
		char first[24];

		if (!sp) {
			suggest_add(&sg, NULL, t[k].name);
		} else if ((size_t)(sp - t[k].name) < sizeof(first)) {
			snprintf(first, sizeof(first), "%.*s", (int)(sp - t[k].name), t[k].name);
			suggest_add(&sg, NULL, cmd_group_word(first));
		}
	}
	best = suggest_best(&sg);
	if (best && n >= 2 && cmd_group_word(best)) {
		struct tok two[2] = { { .text = (char *)best }, v[1] };
		unsigned words;

		if (cmd_find(two, 2, &words) && words == 2) {
			snprintf(full, sizeof(full), "%s %s", best, v[1].text);
			best = full;
		}
	}
	if (best)
		return vhu_errf(e, EINVAL, "unknown command '%s' (did you mean '%s'?)", v[0].text, best);
	return vhu_errf(e, EINVAL, "unknown command '%s' (try 'help')", v[0].text);
}

int cmd_lookup(const struct tok *v, unsigned n, const struct cmd_def **cmd, unsigned *words,
	       unsigned *bad, struct vhu_err *e)
{
	*cmd = NULL;
	*words = 0;
	*bad = 0;
	if (n == 0)
		return vhu_errf(e, EINVAL, "no command");
	if ((*cmd = cmd_find(v, n, words)))
		return 0;
	if (!cmd_group_word(v[0].text))
		return unknown_command(v, n, e);
	if (n == 1 || (n == 2 && strcmp(v[1].text, "--help") == 0)) {
		*words = 1;
		return 0;
	}
	*bad = 1;
	return no_subcommand(v[0].text, v[1].text, e);
}

int cmd_resolve(struct cmd_ctx *ctx, const struct tok *v, unsigned n, unsigned *words)
{
	unsigned bad;
	int r = cmd_lookup(v, n, &ctx->cmd, words, &bad, &ctx->err);

	if (r < 0) {
		ctx->bad_tok = (int)bad;
		*words = 0;
		return r;
	}
	if (!ctx->cmd) {
		/* A group's first word alone is 'help GROUP': that word is its argument. */
		ctx->cmd = cmd_help_def();
		*words = 0;
		ctx->argv = v;
		ctx->argc = 1;
		return 0;
	}
	ctx->argv = v + *words;
	ctx->argc = n - *words;
	return 0;
}

void cmd_check_init(struct cmd_check *st, const struct session *s)
{
	memset(st, 0, sizeof(*st));
	st->dev = s->dev;
	for (unsigned i = 0; i < SESSION_NAMES; i++)
		if (s->named[i].o)
			snprintf(st->names[st->nnames++], sizeof(st->names[0]), "%s", s->named[i].name);
}

bool cmd_check_named(const struct cmd_check *st, const char *name)
{
	for (unsigned i = 0; i < st->nnames; i++)
		if (strcmp(st->names[i], name) == 0)
			return true;
	return false;
}

const struct tok *cmd_split_as(const struct tok *v, unsigned *n)
{
	if (*n < 3 || strcmp(v[*n - 2].text, "as") != 0)
		return NULL;
	*n -= 2;
	return &v[*n + 1];
}

static int check_name(struct cmd_check *st, const struct tok *name, const struct cmd_def *c, struct vhu_err *e)
{
	if (c && strcmp(c->name, "expect") == 0)
		return vhu_errf(e, EINVAL, "an expect's result is not kept: name the command it looks at");
	if (!session_name_valid(name->text))
		return vhu_errf(e, EINVAL, "'%s' is not a name: a letter or '_', then letters, digits, '_' or '-', "
				"%u at most", name->text, SESSION_NAME_MAX);
	if (cmd_check_named(st, name->text))
		return 0;
	if (st->nnames == SESSION_NAMES)
		return vhu_errf(e, ENOSPC, "%u results are named already", SESSION_NAMES);
	snprintf(st->names[st->nnames++], sizeof(st->names[0]), "%s", name->text);
	return 0;
}

int cmd_check(struct cmd_check *st, const struct tok *v, unsigned n, unsigned *bad, struct vhu_err *e)
{
	const struct tok *name = cmd_split_as(v, &n);
	const struct cmd_def *c;
	struct arg_set a;
	unsigned words, abad = 0;
	int r;

	st->source = NULL;
	r = cmd_lookup(v, n, &c, &words, bad, e);
	if (r < 0)
		return r;
	if (c) {
		for (unsigned i = words; i < n; i++)
			if (strcmp(v[i].text, "--help") == 0)
				return 0;	/* help, whatever else is there */
		r = args_parse(&a, c->args, c->nargs, v + words, n - words, st->dev, &abad, e);
		if (r == 0 && c->check)
			r = c->check(st, &a, &abad, e);
		args_free(&a);
		if (r < 0) {
			*bad = words + abad;
			return r;
		}
		if (st->source)
			st->source_tok += words;
	}
	if (name && (r = check_name(st, name, c, e)) < 0) {
		*bad = n + 1;
		return r;
	}
	return 0;
}

const char *cmd_usage(const struct cmd_def *c, char *buf, size_t len)
{
	size_t off = (size_t)snprintf(buf, len, "%s", c->name);

	for (unsigned i = 0; i < c->nargs && off < len; i++) {
		const struct arg_spec *a = &c->args[i];
		const char *open = a->required ? "" : "[", *close = a->required ? "" : "]";

		if (a->type == ARG_FLAG)
			off += (size_t)snprintf(buf + off, len - off, " [%s]", a->name);
		else if (a->key_only)
			off += (size_t)snprintf(buf + off, len - off, " %s%s=%s%s", open, a->name,
						a->type == ARG_U32 || a->type == ARG_U64 ? "N" : "VALUE", close);
		else
			off += (size_t)snprintf(buf + off, len - off, " %s%s%s", open, a->name, close);
	}
	return buf;
}

int cmd_budget_none(const struct cmd_ctx *ctx)
{
	(void)ctx;
	return -1;
}

/* Set the session's deadline for the command CTX starts; false when one
 * is set already (CTX is a step or an event of a command running). */
static bool start_deadline(struct cmd_ctx *ctx)
{
	struct session *s = ctx->s;
	int ms;

	if (s->deadline >= 0)
		return false;
	ms = ctx->cmd->budget ? ctx->cmd->budget(ctx) : s->conn.timeout_ms;
	s->deadline = wire_deadline(ms);
	return true;
}

int cmd_run(struct cmd_ctx *ctx)
{
	const struct cmd_def *c = ctx->cmd;
	unsigned bad = 0, stalls;
	bool owner;
	int r;

	ctx->bad_tok = -1;
	for (unsigned i = 0; i < ctx->argc; i++)
		if (strcmp(ctx->argv[i].text, "--help") == 0)
			return cmd_help_about(ctx, c);
	r = args_parse(&ctx->args, c->args, c->nargs, ctx->argv, ctx->argc,
		       ctx->s->dev, &bad, &ctx->err);
	if (r < 0) {
		ctx->bad_tok = (int)bad;
		args_free(&ctx->args);
		return r;
	}
	owner = start_deadline(ctx);
	stalls = ctx->s->backend_stalls;
	/* Serve the back-end channel and the gpu socket, and answer what they
	 * asked of the main socket before the next request goes out. */
	backend_poll(ctx->s);
	gpu_poll(ctx->s);
	backend_flush(ctx->s);
	if (owner && ctx->s->deadline >= 0 && wire_now_ns() >= ctx->s->deadline) {
		r = vhu_errf(&ctx->err, ETIMEDOUT, "the timeout passed while answering requests on the "
			     "back-end channel, before the command could run");
	} else {
		r = c->fn(ctx);
	}
	if (owner && r == -ETIMEDOUT && ctx->s->backend_stalls != stalls) {
		/* Say where the time went. */
		size_t n = strlen(ctx->err.msg);
		unsigned k = ctx->s->backend_stalls - stalls;

		snprintf(ctx->err.msg + n, sizeof(ctx->err.msg) - n,
			 " (meanwhile %u answer%s on the back-end channel waited for the back-end to read %s)",
			 k, k == 1 ? "" : "s", k == 1 ? "it" : "them");
	}
	if (owner)
		ctx->s->deadline = -1;
	args_free(&ctx->args);
	return r;
}

/* Run one of our own commands as a step of a bigger one: its whole result,
 * as if typed, goes into STEPS. */
int cmd_step(struct cmd_ctx *ctx, struct json_object *steps, const char *fmt, ...)
{
	struct cmd_ctx sub = { .s = ctx->s };
	struct tokenizer t;
	struct tok_cmd c = { 0 };
	struct tok_error te;
	unsigned words = 0;
	char *line;
	va_list ap;
	int r;

	/* any length: a step may carry a sector of data as hex */
	va_start(ap, fmt);
	r = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (r < 0)
		return vhu_errf(&ctx->err, ENOMEM, "out of memory");
	tok_init(&t, line, strlen(line), 1);
	if (tok_next(&t, &c, &te) != 1 || !(sub.cmd = cmd_find(c.v, c.n, &words))) {
		tok_cmd_free(&c);
		r = vhu_errf(&ctx->err, EINVAL, "internal: bad step '%.200s'", line);
		free(line);
		return r;
	}
	sub.argv = c.v + words;
	sub.argc = c.n - words;
	sub.out = json_object_new_object();
	jb_add(sub.out, "command", json_object_new_string(sub.cmd->name));
	r = cmd_run(&sub);
	if (r < 0) {
		struct json_object *e = json_object_new_object();

		jb_add(e, "code", json_object_new_string(vhu_errno_name(sub.err.code)));
		jb_add(e, "message", json_object_new_string(sub.err.msg));
		if (!sub.out)
			sub.out = json_object_new_object();
		jb_add(sub.out, "error", e);
		vhu_errf(&ctx->err, sub.err.code ? sub.err.code : -r, "%.200s: %s", line, sub.err.msg);
	}
	if (sub.out) {
		jb_add(sub.out, "ok", json_object_new_boolean(r == 0));
		/* Steps are read back (cmd_step_reply). */
		sub.out = jw_plain(sub.out);
		json_object_array_add(steps, sub.out);
	}
	tok_cmd_free(&c);
	free(line);
	return r;
}

struct json_object *cmd_step_reply(struct json_object *step)
{
	struct json_object *v;

	if (!step || !json_object_object_get_ex(step, "reply", &v) || !v)
		return NULL;
	return json_object_object_get_ex(v, "payload", &v) ? v : NULL;
}

int cmd_run_line(struct session *s, const char *line, struct json_object **result,
		 struct vhu_err *e)
{
	struct cmd_ctx ctx = { .s = s };
	struct json_object *steps = json_object_new_array();
	int r;

	r = cmd_step(&ctx, steps, "%s", line);
	*result = json_object_get(json_object_array_get_idx(steps, 0));
	json_object_put(steps);
	if (e)
		*e = ctx.err;
	return r;
}
