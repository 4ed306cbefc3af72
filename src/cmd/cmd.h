/* cmd.h - the command table: names, typed arguments, help, handlers. */
#ifndef VHUCTL_CMD_H
#define VHUCTL_CMD_H

#include <json-c/json.h>

#include "cmd/args.h"
#include "core/err.h"
#include "core/proto.h"
#include "cmd/session.h"
#include "cmd/tok.h"

struct jw;

enum cmd_group {
	GROUP_SESSION,
	GROUP_REQUEST,
	GROUP_MEMORY,
	GROUP_RINGS,
	GROUP_META,
	GROUP_COUNT,
};

struct cmd_ctx;
struct cmd_check;

struct cmd_def {
	const char *name;		/* "get-features", "mem add" */
	enum cmd_group group;
	const struct arg_spec *args;
	unsigned nargs;
	const char *summary;
	const char *help;		/* longer text, may be NULL */
	const char *example;		/* may be NULL */
	const char *spec_ref;		/* spec section it implements, may be NULL */
	int (*fn)(struct cmd_ctx *ctx);
	const struct vhu_request *req;	/* request commands: their table row */
	/* Milliseconds the whole command may take, from its parsed arguments,
	 * when its own wait asks for more than the session timeout (sleep MS,
	 * timeout=N); -1 for no deadline of its own. NULL: the session timeout. */
	int (*budget)(const struct cmd_ctx *ctx);
	/* What a script's check before it runs can say beyond the arguments'
	 * form (an expect's path, a device name), and what the command changes
	 * for the commands after it; NULL: nothing more. 0 or -errno with *bad
	 * the argument token to blame. */
	int (*check)(struct cmd_check *st, const struct arg_set *a, unsigned *bad, struct vhu_err *e);
};

/* A script checked before it runs (or with --check, instead): what the
 * commands so far make of the ones after them. */
struct cmd_check {
	enum vhu_device dev;		/* feature names: 'device' changes it */
	char names[SESSION_NAMES][SESSION_NAME_MAX + 1];	/* results named so far */
	unsigned nnames;
	const char *source;		/* out: the script a 'source' names (a token's text) */
	unsigned source_tok;		/* its token, an index into the command's tokens */
};

/* How the front-end shows a result. */
enum cmd_show {
	SHOW_SESSION,		/* as the session prints every result (--output) */
	SHOW_JSON,		/* as JSON, wherever it goes */
	SHOW_AUTO,		/* as text where the session shows text (s->text), else JSON */
	SHOW_TEXT,		/* as text, wherever it goes */
};

struct cmd_ctx {
	struct session *s;
	const struct cmd_def *cmd;
	const struct tok *argv;		/* arguments after the command name */
	unsigned argc;
	struct arg_set args;
	struct json_object *out;	/* result object, built by the handler */
	struct vhu_err err;
	int bad_tok;			/* argument index to point at, -1 none */
	enum cmd_show show;		/* the result has a text form (help): when to show it */
	/* When set, a request's exchange is written here, as the members of
	 * the result, instead of being spliced into out: the front-end prints
	 * such a result straight from text (out then holds only the other
	 * members, direct_at of them written before the exchange). */
	struct jw *direct;
	bool direct_used;
	unsigned direct_at;
};

/* All commands, request commands included; built once. */
const struct cmd_def *cmd_table(unsigned *n);
/* Find the command at the start of V (one or two words); *words receives
 * how many tokens the name used. */
const struct cmd_def *cmd_find(const struct tok *v, unsigned n, unsigned *words);
/* What tokens V[0..N) name, as the dispatcher and help read them: a command
 * (its name took *words tokens), or the first word of two-word commands, a
 * group ("blk", alone or with --help: *cmd NULL, *words 1). Else -EINVAL
 * with E saying what is wrong and what was likely meant ("did you mean"),
 * and *bad the token to blame. */
int cmd_lookup(const struct tok *v, unsigned n, const struct cmd_def **cmd, unsigned *words,
	       unsigned *bad, struct vhu_err *e);
/* cmd_lookup for running V: sets ctx's cmd, argv and argc (a group is
 * 'help GROUP', *words then 0), or ctx's err and bad_tok (an index into V). */
int cmd_resolve(struct cmd_ctx *ctx, const struct tok *v, unsigned n, unsigned *words);
/* WORD as stored when it is a group (the first word of two-word commands:
 * "mem", "vring", "blk"), else NULL. */
const char *cmd_group_word(const char *word);
/* The group's next command after AFTER (NULL: its first), in table order. */
const struct cmd_def *cmd_group_next(const char *group, const struct cmd_def *after);
const char *cmd_group_name(enum cmd_group g);
/* "get-config [offset=N] size=N [flags=N]" into BUF. */
const char *cmd_usage(const struct cmd_def *c, char *buf, size_t len);
/* Run one of our own command lines as a step of a bigger command: its
 * result goes into STEPS; a failure becomes ctx's error, prefixed. */
int cmd_step(struct cmd_ctx *ctx, struct json_object *steps, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Run LINE on its own (for events: an IOTLB answer, a reconnection); *result
 * gets its full result object (NULL if LINE is not a command). */
int cmd_run_line(struct session *s, const char *line, struct json_object **result,
		 struct vhu_err *e);
/* The decoded reply payload of a step result (full or summary form), or NULL. */
struct json_object *cmd_step_reply(struct json_object *step);
/* A check of commands that go on from session S: its device and names. */
void cmd_check_init(struct cmd_check *st, const struct session *s);
/* Check the command in tokens V[0..N) without running it: its name, its
 * arguments against their specs, 'as NAME', and its own check. 0, or
 * -errno with E and *bad the token to blame (an index into V). */
int cmd_check(struct cmd_check *st, const struct tok *v, unsigned n, unsigned *bad, struct vhu_err *e);
/* Has a command checked so far named a result NAME (or the session)? */
bool cmd_check_named(const struct cmd_check *st, const char *name);
/* "COMMAND ... as NAME": the NAME token, with *n cut to the command
 * before 'as'; NULL when V does not end so. */
const struct tok *cmd_split_as(const struct tok *v, unsigned *n);

/* Run a parsed command; returns 0 or -errno with ctx->err set. The
 * outermost command sets the session's deadline (now + its budget); the
 * commands it runs as steps, and the events it serves, keep it. */
int cmd_run(struct cmd_ctx *ctx);
/* Budgets for cmd_def.budget: -1 (the command runs commands of its own,
 * each with its own deadline, or waits for ever as asked). */
int cmd_budget_none(const struct cmd_ctx *ctx);

/* Request commands: their rows (request_args.c), running one (cmd_request.c). */
void cmd_request_defs(struct cmd_def *out, unsigned *n, unsigned max);
int cmd_request_run(struct cmd_ctx *ctx);

/* The session's settings, status and source (cmd_session.c). */
const struct cmd_def *cmd_session_defs(unsigned *n);
/* The connection (cmd_conn.c), raw (cmd_raw.c), help (cmd_help.c). */
const struct cmd_def *cmd_conn_defs(unsigned *n);
const struct cmd_def *cmd_raw_defs(unsigned *n);
const struct cmd_def *cmd_help_defs(unsigned *n);
/* The help command's row. */
const struct cmd_def *cmd_help_def(void);
/* Rings (cmd_vring.c). */
const struct cmd_def *cmd_vring_defs(unsigned *n);
/* Guest memory regions and access (cmd_mem.c). */
const struct cmd_def *cmd_mem_defs(unsigned *n);
/* start and stop (cmd_start.c). */
const struct cmd_def *cmd_start_defs(unsigned *n);
/* blk and net on top of the rings (cmd_dev.c). */
const struct cmd_def *cmd_dev_defs(unsigned *n);
/* bench blk, net and request (cmd_bench.c, bench_blk.c, bench_net.c). */
const struct cmd_def *cmd_bench_defs(unsigned *n);
/* virtio-fs: FUSE requests (cmd_fs.c). */
const struct cmd_def *cmd_fs_defs(unsigned *n);
/* virtio-gpu: the gpu socket and the control queue (cmd_gpu.c). */
const struct cmd_def *cmd_gpu_defs(unsigned *n);
/* expect (cmd_expect.c). */
const struct cmd_def *cmd_expect_defs(unsigned *n);
/* Inflight area and device-state transfer (cmd_flows.c). */
const struct cmd_def *cmd_flow_defs(unsigned *n);
/* The result of 'help C' in ctx (for C --help): ctx's command becomes help. */
int cmd_help_about(struct cmd_ctx *ctx, const struct cmd_def *c);

#endif
