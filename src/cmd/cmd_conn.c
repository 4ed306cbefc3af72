/* cmd_conn.c - the connection: connect, listen, accept, reconnect, replay, disconnect. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cmd/backend.h"
#include "cmd/cmd.h"
#include "cmd/values.h"
#include "core/jb.h"
#include "core/render.h"

static int cmd_connect(struct cmd_ctx *ctx)
{
	const struct arg_val *p = args_get(&ctx->args, "path");
	struct session *s = ctx->s;
	int r;

	session_drop_connection_state(s);
	session_log_setup(s, NULL);
	r = conn_connect(&s->conn, p->str, s->deadline, &ctx->err);
	if (r < 0) {
		ctx->bad_tok = (int)p->tok;
		return r;
	}
	jb_add(ctx->out, "connected", json_object_new_boolean(1));
	jb_add(ctx->out, "socket", json_object_new_string(s->conn.path));
	return 0;
}

static void peer_json(struct cmd_ctx *ctx)
{
	struct conn *c = &ctx->s->conn;
	struct json_object *p = json_object_new_object();

	jb_add(ctx->out, "socket", json_object_new_string(c->path));
	jb_add(ctx->out, "connected", json_object_new_boolean(conn_connected(c)));
	jb_add(p, "pid", c->peer_pid >= 0 ? json_object_new_int(c->peer_pid) : NULL);
	jb_add(p, "uid", c->peer_uid >= 0 ? json_object_new_int(c->peer_uid) : NULL);
	jb_add(ctx->out, "peer", p);
}

static int accept_backend(struct cmd_ctx *ctx, bool forever)
{
	struct session *s = ctx->s;
	int r;

	session_drop_connection_state(s);
	r = conn_accept(&s->conn, forever || s->wait_forever ? -1 : s->conn.timeout_ms, s->deadline, &ctx->err);
	if (r == 0)
		peer_json(ctx);
	return r;
}

static int cmd_listen(struct cmd_ctx *ctx)
{
	const struct arg_val *p = args_get(&ctx->args, "path");
	int r;

	session_drop_connection_state(ctx->s);
	session_log_setup(ctx->s, NULL);
	r = conn_listen(&ctx->s->conn, p->str, &ctx->err);
	if (r < 0) {
		ctx->bad_tok = (int)p->tok;
		return r;
	}
	jb_add(ctx->out, "listening", json_object_new_string(p->str));
	return accept_backend(ctx, args_u(&ctx->args, "wait", 0));
}

static int cmd_accept(struct cmd_ctx *ctx)
{
	return accept_backend(ctx, args_u(&ctx->args, "wait", 0));
}

static int cmd_reconnect(struct cmd_ctx *ctx)
{
	struct session *s = ctx->s;
	char path[sizeof(s->conn.path)];
	int r;

	if (s->conn.listen_fd >= 0)
		return accept_backend(ctx, false);
	if (!s->conn.path[0])
		return vhu_errf(&ctx->err, ENOTCONN, "never connected: use 'connect PATH'");
	snprintf(path, sizeof(path), "%s", s->conn.path);
	session_drop_connection_state(s);
	r = conn_connect(&s->conn, path, s->deadline, &ctx->err);
	if (r == 0)
		peer_json(ctx);
	return r;
}

static int cmd_disconnect(struct cmd_ctx *ctx)
{
	bool was = conn_connected(&ctx->s->conn);

	session_drop_connection_state(ctx->s);
	conn_close(&ctx->s->conn);
	jb_add(ctx->out, "disconnected", json_object_new_boolean(was));
	return 0;
}

/* listen and accept wait for ever with 'wait' or --wait. */
static int accept_budget(const struct cmd_ctx *ctx)
{
	return args_u(&ctx->args, "wait", 0) || ctx->s->wait_forever ? -1 : ctx->s->conn.timeout_ms;
}

static int cmd_replay(struct cmd_ctx *ctx)
{
	struct session *s = ctx->s;
	unsigned n = s->nsetup;
	char **lines = s->setup_log;
	enum run_status st = RUN_OK;

	if (!conn_connected(&s->conn))
		return vhu_errf(&ctx->err, ENOTCONN, "not connected: 'reconnect' or 'accept' first");
	if (s->setup_dropped)
		return vhu_errf(&ctx->err, E2BIG, "the set-up log kept the first %u commands and not the %u after them: "
				"a replay would not rebuild the same state", n, s->setup_dropped);
	s->replaying = true;
	if (!s->runner)
		return vhu_errf(&ctx->err, ENOTSUP, "replay needs a front-end that runs commands");
	for (unsigned i = 0; i < n && st == RUN_OK; i++)
		st = s->runner->text(s, "replay", lines[i], i + 1);
	s->replaying = false;
	if (st != RUN_OK)
		return vhu_errf(&ctx->err, EIO, "replay stopped at a failing command");
	json_object_put(ctx->out);
	ctx->out = NULL;	/* each replayed command printed its own result */
	return 0;
}

static const struct arg_spec connect_args[] = {
	{ .name = "path", .type = ARG_PATH, .required = true, .help = "back-end's unix socket" },
};
static const struct arg_spec listen_args[] = {
	{ .name = "path", .type = ARG_PATH, .required = true, .help = "socket to serve" },
	{ .name = "wait", .type = ARG_FLAG, .help = "wait for ever (default: the timeout)" },
};
static const struct arg_spec accept_args[] = {
	{ .name = "wait", .type = ARG_FLAG, .help = "wait for ever (default: the timeout)" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct cmd_def defs[] = {
	{ "connect", GROUP_SESSION, connect_args, N(connect_args), "connect to a back-end's socket",
	  "Closes any current connection first, with the ring eventfds that belonged to it.",
	  "connect /run/vhost-blk.sock", NULL, cmd_connect, NULL, NULL, NULL },
	{ "listen", GROUP_SESSION, listen_args, N(listen_args), "serve a socket and wait for a back-end to connect",
	  "For back-ends that are clients (dpdk-testpmd's client=1, OVS dpdkvhostuserclient).\n"
	  "Reports the pid and uid of the process that connected.",
	  "listen /tmp/vhost.sock wait", NULL, cmd_listen, NULL, accept_budget, NULL },
	{ "accept", GROUP_SESSION, accept_args, N(accept_args), "accept the back-end's next connection (listen mode)",
	  NULL, "accept", NULL, cmd_accept, NULL, accept_budget, NULL },
	{ "reconnect", GROUP_SESSION, NULL, 0, "dial the same socket again, or accept again in listen mode",
	  NULL, "reconnect", NULL, cmd_reconnect, NULL, accept_budget, NULL },
	{ "replay", GROUP_SESSION, NULL, 0, "send again every state-changing command since connecting",
	  "After a back-end restarts: the requests, 'vring setup' and 'start' commands that\n"
	  "succeeded on the previous connection, in order.", "reconnect; replay", NULL, cmd_replay, NULL,
	  cmd_budget_none, NULL },
	{ "disconnect", GROUP_SESSION, NULL, 0, "close the connection", NULL, NULL, NULL, cmd_disconnect, NULL, NULL, NULL },
};

const struct cmd_def *cmd_conn_defs(unsigned *n)
{
	*n = N(defs);
	return defs;
}
