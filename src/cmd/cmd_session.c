/* cmd_session.c - session, memory and meta commands: connect, status, mem, help. */
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

static struct json_object *negotiated(bool have, uint64_t v, bool proto, enum vhu_device dev)
{
	if (!have)
		return NULL;
	return proto ? render_pfeatures(v) : render_features(v, dev);
}

static struct json_object *fd_or_null(int fd)
{
	return fd >= 0 ? render_fd(fd) : NULL;
}

static int cmd_status(struct cmd_ctx *ctx)
{
	struct session *s = ctx->s;
	struct conn *c = &s->conn;
	struct json_object *o = ctx->out, *f, *mem, *rings, *kept;

	jb_add(o, "connected", json_object_new_boolean(conn_connected(c)));
	jb_add(o, "socket", c->path[0] ? json_object_new_string(c->path) : NULL);
	jb_add(o, "mode", json_object_new_string(c->listen_fd >= 0 ? "listen" : "client"));
	if (c->peer_pid >= 0)
		jb_add(o, "peer_pid", json_object_new_int(c->peer_pid));
	jb_add(o, "replayable", json_object_new_int((int)s->nsetup));
	if (s->setup_dropped)
		jb_add(o, "replay_dropped", json_object_new_int((int)s->setup_dropped));
	jb_add(o, "device", s->dev ? json_object_new_string(features_device_name(s->dev)) : NULL);
	jb_add(o, "timeout_ms", json_object_new_int(c->timeout_ms));
	jb_add(o, "ack", json_object_new_boolean(s->ack));
	jb_add(o, "reply_ack", json_object_new_boolean(conn_reply_ack(c)));
	jb_add(o, "sync", json_object_new_boolean(s->sync));
	f = json_object_new_object();
	jb_add(f, "offered", negotiated(c->have_features, c->features, false, s->dev));
	jb_add(f, "acked", negotiated(c->features_set, c->acked_features, false, s->dev));
	jb_add(o, "features", f);
	f = json_object_new_object();
	jb_add(f, "offered", negotiated(c->have_proto, c->proto, true, s->dev));
	jb_add(f, "acked", negotiated(c->proto_set, c->acked_proto, true, s->dev));
	jb_add(o, "protocol_features", f);
	mem = json_object_new_array();
	for (unsigned i = 0; i < s->mem.n; i++)
		json_object_array_add(mem, cmd_region_json(&s->mem, i));
	jb_add(o, "memory", mem);
	rings = json_object_new_array();
	for (unsigned i = 0; i < SESSION_RINGS; i++) {
		const struct ring_fds *r = &s->ring[i];
		struct json_object *ro;

		if (r->kick < 0 && r->call < 0 && r->err < 0)
			continue;
		ro = json_object_new_object();
		jb_add(ro, "index", json_object_new_int((int)i));
		jb_add(ro, "kick", fd_or_null(r->kick));
		jb_add(ro, "call", fd_or_null(r->call));
		jb_add(ro, "err", fd_or_null(r->err));
		json_object_array_add(rings, ro);
	}
	jb_add(o, "rings", rings);
	kept = json_object_new_object();
	for (unsigned i = 0; i < SESSION_KEPT_FDS; i++)
		if (s->kept[i].fd >= 0)
			json_object_object_add(kept, s->kept[i].name, render_fd(s->kept[i].fd));
	jb_add(o, "fds", kept);
	jb_add(o, "open_fds", json_object_new_int(session_open_fds()));
	if (c->rx.len) {
		/* read along with a short reply: the start of the next message */
		struct json_object *ra = json_object_new_object();

		jb_add(ra, "bytes", json_object_new_int((int)c->rx.len));
		jb_add(ra, "fds", json_object_new_int((int)c->rx.nfds));
		jb_add(o, "read_ahead", ra);
	}
	f = json_object_new_object();
	jb_add(f, "sent", json_object_new_int64((int64_t)c->sent));
	jb_add(f, "received", json_object_new_int64((int64_t)c->received));
	jb_add(o, "messages", f);
	return 0;
}

/* The on/off settings: 'state' given sets FIELD; the result shows it. */
static int toggle(struct cmd_ctx *ctx, bool *field, const char *key)
{
	if (args_get(&ctx->args, "state")->set)
		*field = args_u(&ctx->args, "state", 0);
	jb_add(ctx->out, key, json_object_new_boolean(*field));
	return 0;
}

static int cmd_ack(struct cmd_ctx *ctx)
{
	toggle(ctx, &ctx->s->ack, "ack");
	jb_add(ctx->out, "reply_ack", json_object_new_boolean(conn_reply_ack(&ctx->s->conn)));
	return 0;
}

static int cmd_sync(struct cmd_ctx *ctx)
{
	return toggle(ctx, &ctx->s->sync, "sync");
}

static int cmd_device(struct cmd_ctx *ctx)
{
	const struct arg_val *t = args_get(&ctx->args, "type");

	if (t->set) {
		int d = features_device_by_name(t->str);

		if (d < 0) {
			ctx->bad_tok = (int)t->tok;
			return vhu_errf(&ctx->err, EINVAL, "unknown device type '%s'", t->str);
		}
		ctx->s->dev = (enum vhu_device)d;
	}
	jb_add(ctx->out, "device", ctx->s->dev ?
	       json_object_new_string(features_device_name(ctx->s->dev)) : NULL);
	return 0;
}

static int cmd_timeout(struct cmd_ctx *ctx)
{
	const struct arg_val *t = args_get(&ctx->args, "ms");

	if (t->set) {
		if (t->u < 1 || t->u > SESSION_TIMEOUT_MAX_MS) {
			ctx->bad_tok = (int)t->tok;
			return vhu_errf(&ctx->err, ERANGE, "the timeout is 1..%d ms (0 would be no wait at all)",
					SESSION_TIMEOUT_MAX_MS);
		}
		ctx->s->conn.timeout_ms = (int)t->u;
	}
	jb_add(ctx->out, "timeout_ms", json_object_new_int(ctx->s->conn.timeout_ms));
	return 0;
}

static int cmd_sleep(struct cmd_ctx *ctx)
{
	uint64_t ms = args_u(&ctx->args, "ms", 0);
	int64_t deadline;

	if (ms > 3600000)
		return vhu_errf(&ctx->err, ERANGE, "sleep is at most 3600000 ms");
	/* Sleeping still serves the back-end channel. */
	deadline = wire_bound((int)ms, ctx->s->deadline);
	while (wire_wait(-1, deadline) == 1)
		backend_flush(ctx->s);
	if (wire_cancel)
		return vhu_errf(&ctx->err, ECANCELED, "interrupted");
	backend_flush(ctx->s);
	jb_add(ctx->out, "slept_ms", json_object_new_int64((int64_t)ms));
	return 0;
}

/* sleep MS: the sleep, then the session timeout for what the back-end
 * channel queued meanwhile. */
static int sleep_budget(const struct cmd_ctx *ctx)
{
	uint64_t ms = args_u(&ctx->args, "ms", 0);

	return (int)(ms > SESSION_TIMEOUT_MAX_MS ? 0 : ms) + ctx->s->conn.timeout_ms;
}

/* listen and accept wait for ever with 'wait' or --wait. */
static int accept_budget(const struct cmd_ctx *ctx)
{
	return args_u(&ctx->args, "wait", 0) || ctx->s->wait_forever ? -1 : ctx->s->conn.timeout_ms;
}

static int cmd_backend_reply(struct cmd_ctx *ctx)
{
	const struct arg_val *rq = args_get(&ctx->args, "request");
	const struct vhu_request *row = proto_request_by_name(SIDE_BACKEND, rq->str);
	uint64_t num;

	if (!row && args_parse_u64(rq->str, &num) == 0)
		row = proto_request(SIDE_BACKEND, (uint32_t)(num > UINT32_MAX ? 0 : num));
	if (!row) {
		ctx->bad_tok = (int)rq->tok;
		return vhu_errf(&ctx->err, EINVAL, "unknown back-end request '%s'", rq->str);
	}
	if (args_get(&ctx->args, "value")->set)
		ctx->s->backend_reply[row->num] = args_u(&ctx->args, "value", 0);
	jb_add(ctx->out, "request", json_object_new_string(row->name));
	jb_add(ctx->out, "answer", jb_u64(ctx->s->backend_reply[row->num]));
	return 0;
}

static int cmd_iotlb(struct cmd_ctx *ctx)
{
	if (args_get(&ctx->args, "policy")->set)
		ctx->s->iotlb_auto = args_u(&ctx->args, "policy", 1);
	jb_add(ctx->out, "iotlb", json_object_new_string(ctx->s->iotlb_auto ? "auto" : "manual"));
	return 0;
}

static int cmd_config_watch(struct cmd_ctx *ctx)
{
	return toggle(ctx, &ctx->s->config_watch, "config_watch");
}

static int cmd_quit(struct cmd_ctx *ctx)
{
	ctx->s->quit = true;
	json_object_put(ctx->out);
	ctx->out = NULL;	/* nothing to print */
	return 0;
}

static int cmd_help(struct cmd_ctx *ctx)
{
	const struct arg_val *c = args_get(&ctx->args, "command");
	const struct arg_val *sub = args_get(&ctx->args, "subcommand");
	const struct cmd_def *def = NULL;

	if (c->set) {
		/* "help mem add", "help 'mem add'", "help GET_FEATURES" */
		char first[64], second[64];
		struct tok t[2] = { { .text = first }, { .text = second } };
		const char *sp = strchr(c->str, ' ');
		unsigned words, n = 1;

		snprintf(first, sizeof(first), "%.*s", sp ? (int)(sp - c->str) : (int)strlen(c->str), c->str);
		second[0] = '\0';
		if (sp)
			snprintf(second, sizeof(second), "%s", sp + 1);
		else if (sub->set)
			snprintf(second, sizeof(second), "%s", sub->str);
		if (second[0])
			n = 2;
		def = cmd_find(t, n, &words);
		if (def && words < n) {
			ctx->bad_tok = (int)sub->tok;
			return vhu_errf(&ctx->err, ENOENT, "'%s' has no subcommand '%s'", first, second);
		}
		if (!def && n == 1 && strcmp(first, "mem") == 0) {
			printf("mem add, mem list, mem remove: see 'help mem add' and so on.\n");
			json_object_put(ctx->out);
			ctx->out = NULL;
			return 0;
		}
		if (!def) {
			char full[130];
			const char *hint;

			snprintf(full, sizeof(full), "%s%s%s", first, n == 2 ? " " : "", n == 2 ? second : "");
			hint = cmd_suggest(full);
			ctx->bad_tok = (int)c->tok;
			if (hint)
				return vhu_errf(&ctx->err, ENOENT, "unknown command '%s' (did you mean '%s'?)", full, hint);
			return vhu_errf(&ctx->err, ENOENT, "unknown command '%s'", full);
		}
	}
	cmd_print_help(def);
	json_object_put(ctx->out);
	ctx->out = NULL;	/* help is text for people */
	return 0;
}

static void print_one(const struct cmd_def *c)
{
	char usage[512];

	printf("usage: %s\n\n%s\n", cmd_usage(c, usage, sizeof(usage)), c->summary);
	if (c->req) {
		printf("\nSends VHOST_USER_%s (front-end request %u): %s payload, %s.\n",
		       c->req->name, c->req->num, proto_payload_name(c->req->req_kind),
		       c->req->reply == REPLY_ALWAYS ? "always answered" :
		       c->req->reply == REPLY_IF_LOG_SHMFD ? "answered once LOG_SHMFD is negotiated" :
		       "acknowledged only with REPLY_ACK and NEED_REPLY");
		if (c->req->proto_feature >= 0)
			printf("Needs VHOST_USER_PROTOCOL_F_%s.\n",
			       proto_feature_by_bit((unsigned)c->req->proto_feature)->name);
	}
	if (c->spec_ref)
		printf("Spec: %s.\n", c->spec_ref);
	if (c->help)
		printf("\n%s\n", c->help);
	if (c->nargs) {
		printf("\narguments:\n");
		for (unsigned i = 0; i < c->nargs; i++)
			printf("  %-14s %s%s\n", c->args[i].name,
			       c->args[i].help ? c->args[i].help : args_type_name(c->args[i].type),
			       c->args[i].required ? " (required)" : "");
	}
	if (c->example)
		printf("\nexample:\n  %s\n", c->example);
}

void cmd_print_help(const struct cmd_def *c)
{
	unsigned n;
	const struct cmd_def *t;

	if (c) {
		print_one(c);
		return;
	}
	t = cmd_table(&n);
	for (int g = 0; g < GROUP_COUNT; g++) {
		bool any = false;

		for (unsigned i = 0; i < n; i++) {
			if (t[i].group != (enum cmd_group)g)
				continue;
			if (!any)
				printf("%s%s:\n", g ? "\n" : "", cmd_group_name((enum cmd_group)g));
			any = true;
			printf("  %-24s %s\n", t[i].name, t[i].summary);
		}
	}
	printf("\n'help COMMAND' shows a command's arguments.\n");
}

/* --- source, replay: commands that run more commands, through the runner --- */

#define SOURCE_DEPTH_MAX 8

static int cmd_source(struct cmd_ctx *ctx)
{
	const struct arg_val *f = args_get(&ctx->args, "file");
	struct session *s = ctx->s;
	enum run_status st = RUN_OK;
	bool keep = s->keep_going;
	int r;

	if (s->depth >= SOURCE_DEPTH_MAX) {
		ctx->bad_tok = (int)f->tok;
		return vhu_errf(&ctx->err, ELOOP, "'source' nested more than %d deep", SOURCE_DEPTH_MAX);
	}
	s->depth++;
	/* Inside a script, the script's own rule applies: stop at its first failure. */
	s->keep_going = false;
	r = s->runner ? s->runner->file(s, f->str, &st) : -ENOTSUP;
	s->keep_going = keep;
	s->depth--;
	if (r < 0) {
		ctx->bad_tok = (int)f->tok;
		return vhu_errf(&ctx->err, -r, "%s: %s", f->str, strerror(-r));
	}
	json_object_put(ctx->out);
	ctx->out = NULL;	/* the script printed its own results */
	if (st == RUN_OUTPUT_GONE)
		return vhu_errf(&ctx->err, EPIPE, "output closed");
	if (st != RUN_OK)
		return vhu_errf(&ctx->err, EIO, "%s stopped at a failing command", f->str);
	return 0;
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
	json_object_put(ctx->out);
	ctx->out = NULL;	/* each replayed command prints its own result */
	s->replaying = true;
	if (!s->runner)
		return vhu_errf(&ctx->err, ENOTSUP, "replay needs a front-end that runs commands");
	for (unsigned i = 0; i < n && st == RUN_OK; i++)
		st = s->runner->text(s, "replay", lines[i], i + 1);
	s->replaying = false;
	if (st != RUN_OK)
		return vhu_errf(&ctx->err, EIO, "replay stopped at a failing command");
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
static const struct arg_spec help_args[] = {
	{ .name = "command", .type = ARG_STRING, .help = "command to explain" },
	{ .name = "subcommand", .type = ARG_STRING, .help = "second word of a two-word command" },
};
static const struct arg_spec onoff_args[] = {
	{ .name = "state", .type = ARG_BOOL, .help = "on or off" },
};
static const struct arg_spec device_args[] = {
	{ .name = "type", .type = ARG_STRING, .help = "net, blk, fs, vsock, gpu, ..." },
};
static const struct arg_enum iotlb_policy[] = { { "auto", 1 }, { "manual", 0 }, { NULL, 0 } };
static const struct arg_spec iotlb_args[] = {
	{ .name = "policy", .type = ARG_ENUM, .enums = iotlb_policy, .help = "auto or manual" },
};
static const struct arg_spec backend_reply_args[] = {
	{ .name = "request", .type = ARG_STRING, .required = true, .help = "back-end request name or number" },
	{ .name = "value", .type = ARG_U64, .help = "u64 to answer with (0 success)" },
};
static const struct arg_spec source_args[] = {
	{ .name = "file", .type = ARG_PATH, .required = true, .help = "script to run" },
};
static const struct arg_spec ms_args[] = {
	{ .name = "ms", .type = ARG_U64, .required = true, .help = "milliseconds" },
};
static const struct arg_spec timeout_args[] = {
	{ .name = "ms", .type = ARG_U64, .help = "milliseconds a command may take, 1..3600000" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct cmd_def defs[] = {
	{ "connect", GROUP_SESSION, connect_args, N(connect_args), "connect to a back-end's socket",
	  "Closes any current connection first, with the ring eventfds that belonged to it.",
	  "connect /run/vhost-blk.sock", NULL, cmd_connect, NULL, NULL },
	{ "listen", GROUP_SESSION, listen_args, N(listen_args), "serve a socket and wait for a back-end to connect",
	  "For back-ends that are clients (dpdk-testpmd's client=1, OVS dpdkvhostuserclient).\n"
	  "Reports the pid and uid of the process that connected.",
	  "listen /tmp/vhost.sock wait", NULL, cmd_listen, NULL, accept_budget },
	{ "accept", GROUP_SESSION, accept_args, N(accept_args), "accept the back-end's next connection (listen mode)",
	  NULL, "accept", NULL, cmd_accept, NULL, accept_budget },
	{ "reconnect", GROUP_SESSION, NULL, 0, "dial the same socket again, or accept again in listen mode",
	  NULL, "reconnect", NULL, cmd_reconnect, NULL, accept_budget },
	{ "replay", GROUP_SESSION, NULL, 0, "send again every state-changing command since connecting",
	  "After a back-end restarts: the requests, 'vring setup' and 'start' commands that\n"
	  "succeeded on the previous connection, in order.", "reconnect; replay", NULL, cmd_replay, NULL,
	  cmd_budget_none },
	{ "disconnect", GROUP_SESSION, NULL, 0, "close the connection", NULL, NULL, NULL, cmd_disconnect, NULL, NULL },
	{ "status", GROUP_SESSION, NULL, 0, "negotiated features, memory, rings and fds",
	  NULL, "status", NULL, cmd_status, NULL, NULL },
	{ "raw", GROUP_SESSION, NULL, 0, "send any message, even one that breaks the protocol",
	  "Warns where the message disagrees with the protocol table, sends it anyway, and\n"
	  "reports what the back-end did: replied, closed the connection, or said nothing.",
	  "raw GET_FEATURES flags=0xd", NULL, cmd_raw, NULL, NULL },
	{ "ack", GROUP_SESSION, onoff_args, N(onoff_args), "set NEED_REPLY on every request once REPLY_ACK is negotiated",
	  "On by default. With it off, requests without a reply of their own get none.",
	  "ack off", NULL, cmd_ack, NULL, NULL },
	{ "sync", GROUP_SESSION, onoff_args, N(onoff_args), "follow un-acked requests with a GET_FEATURES barrier",
	  "What QEMU does when REPLY_ACK is not negotiated: every back-end answers\n"
	  "GET_FEATURES, so its reply proves the request before it was read.",
	  "sync on", NULL, cmd_sync, NULL, NULL },
	{ "device", GROUP_SESSION, device_args, N(device_args), "name the device type used to decode features and config",
	  NULL, "device blk", NULL, cmd_device, NULL, NULL },
	{ "timeout", GROUP_SESSION, timeout_args, N(timeout_args), "show or set the bound on each command",
	  NULL, "timeout 1000", NULL, cmd_timeout, NULL, NULL },
	{ "backend-reply", GROUP_SESSION, backend_reply_args, N(backend_reply_args),
	  "what to answer a back-end request with, when it wants an answer",
	  "Answers go out when the spec says the request is always answered, or when the\n"
	  "back-end set NEED_REPLY and REPLY_ACK is negotiated. Default 0 (success),\n"
	  "1 for BACKEND_SHARED_OBJECT_LOOKUP (vhuctl has no object to give).",
	  "backend-reply BACKEND_IOTLB_MSG 1", NULL, cmd_backend_reply, NULL, NULL },
	{ "iotlb", GROUP_SESSION, iotlb_args, N(iotlb_args), "how IOTLB misses are answered",
	  "auto (default): each miss gets an IOTLB_MSG update mapping the memory region that\n"
	  "holds it (IOVA = guest physical address). manual: misses are only shown; answer\n"
	  "them with iotlb-msg.", "iotlb manual", NULL, cmd_iotlb, NULL, NULL },
	{ "config-watch", GROUP_SESSION, onoff_args, N(onoff_args), "GET_CONFIG again when the back-end says the config changed",
	  NULL, "config-watch on", NULL, cmd_config_watch, NULL, NULL },
	{ "source", GROUP_META, source_args, N(source_args), "run the commands in a script file",
	  "Stops at the script's first failing command. Scripts may source others, 8 deep at most.",
	  "source setup.vhu", NULL, cmd_source, NULL, cmd_budget_none },
	{ "sleep", GROUP_META, ms_args, N(ms_args), "wait a number of milliseconds", NULL, "sleep 100", NULL, cmd_sleep, NULL,
	  sleep_budget },
	{ "help", GROUP_META, help_args, N(help_args), "list commands, or explain one", NULL, "help set-vring-addr",
	  NULL, cmd_help, NULL, NULL },
	{ "quit", GROUP_META, NULL, 0, "leave vhuctl", NULL, NULL, NULL, cmd_quit, NULL, NULL },
	{ "exit", GROUP_META, NULL, 0, "leave vhuctl", NULL, NULL, NULL, cmd_quit, NULL, NULL },
};

const struct cmd_def *cmd_session_defs(unsigned *n)
{
	for (unsigned i = 0; i < N(defs); i++)
		if (defs[i].fn == cmd_raw) {
			defs[i].args = cmd_raw_args(&defs[i].nargs);
			defs[i].budget = cmd_raw_budget;
		}
	*n = N(defs);
	return defs;
}
