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
	jb_add(o, "backend_requests", json_object_new_int64((int64_t)s->backend_requests));
	if (s->setup_dropped)
		jb_add(o, "replay_dropped", json_object_new_int((int)s->setup_dropped));
	jb_add(o, "device", s->dev ? json_object_new_string(features_device_name(s->dev)) : NULL);
	jb_add(o, "timeout_ms", json_object_new_int(c->timeout_ms));
	jb_add(o, "ack_enabled", json_object_new_boolean(s->ack));
	jb_add(o, "reply_ack", json_object_new_boolean(conn_reply_ack(c)));
	jb_add(o, "sync_enabled", json_object_new_boolean(s->sync));
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
	jb_add(o, "kept_fds", kept);
	jb_add(o, "open_fds", json_object_new_int(session_open_fds()));
	if (c->rx.len) {
		/* read along with a short reply: the start of the next message */
		struct json_object *ra = json_object_new_object();

		jb_add(ra, "bytes", json_object_new_int((int)c->rx.len));
		jb_add(ra, "fd_count", json_object_new_int((int)c->rx.nfds));
		jb_add(o, "read_ahead", ra);
	}
	f = json_object_new_object();
	jb_add(f, "sent", json_object_new_int64((int64_t)c->sent));
	jb_add(f, "received", json_object_new_int64((int64_t)c->received));
	jb_add(o, "messages", f);
	return 0;
}

/* The on/off settings: 'state' given sets FIELD; the result shows it,
 * as "enabled", whichever setting it is. */
static int toggle(struct cmd_ctx *ctx, bool *field)
{
	if (args_get(&ctx->args, "state")->set)
		*field = args_u(&ctx->args, "state", 0);
	jb_add(ctx->out, "enabled", json_object_new_boolean(*field));
	return 0;
}

static int cmd_ack(struct cmd_ctx *ctx)
{
	toggle(ctx, &ctx->s->ack);
	jb_add(ctx->out, "reply_ack", json_object_new_boolean(conn_reply_ack(&ctx->s->conn)));
	return 0;
}

static int cmd_sync(struct cmd_ctx *ctx)
{
	return toggle(ctx, &ctx->s->sync);
}

static int cmd_device(struct cmd_ctx *ctx)
{
	const struct arg_val *t = args_get(&ctx->args, "type");

	if (t->set) {
		int d = features_device_by_name(t->str);

		if (d < 0) {
			char hint[400];

			ctx->bad_tok = (int)t->tok;
			return vhu_errf(&ctx->err, EINVAL, "unknown device type '%s'%s", t->str,
					features_device_hint(t->str, hint, sizeof(hint)));
		}
		ctx->s->dev = (enum vhu_device)d;
	}
	jb_add(ctx->out, "device", ctx->s->dev ?
	       json_object_new_string(features_device_name(ctx->s->dev)) : NULL);
	return 0;
}

/* Before a script runs: the device it names decodes the features after it. */
static int device_check(struct cmd_check *st, const struct arg_set *a, unsigned *bad, struct vhu_err *e)
{
	const struct arg_val *t = args_get(a, "type");
	int d;

	if (!t->set)
		return 0;
	d = features_device_by_name(t->str);
	if (d < 0) {
		char hint[400];

		*bad = t->tok;
		return vhu_errf(e, EINVAL, "unknown device type '%s'%s", t->str,
				features_device_hint(t->str, hint, sizeof(hint)));
	}
	st->dev = (enum vhu_device)d;
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

/* backend-wait [count=N]: until the back-end has sent N requests on its
 * channel since connecting (default: one more than so far), serving them. */
static int cmd_backend_wait(struct cmd_ctx *ctx)
{
	struct session *s = ctx->s;
	const struct arg_val *c = args_get(&ctx->args, "count");
	uint64_t want = c->set ? c->u : s->backend_requests + 1;
	int timeout, r = 0;
	int64_t deadline;

	if (cmd_timeout_arg(ctx, &timeout) < 0)
		return -ERANGE;
	deadline = wire_bound(timeout, s->deadline);
	while (s->backend_requests < want && backend_fd(s) >= 0 && r >= 0) {
		r = wire_wait(-1, deadline);	/* serves the channel */
		backend_flush(s);
	}
	jb_add(ctx->out, "backend_requests", json_object_new_int64((int64_t)s->backend_requests));
	if (s->backend_requests >= want)
		return 0;
	if (backend_fd(s) < 0)
		return vhu_errf(&ctx->err, ENOENT, "no back-end channel (any more): %" PRIu64 " of %" PRIu64
				" requests came", s->backend_requests, want);
	if (r == -ECANCELED)
		return vhu_errf(&ctx->err, ECANCELED, "interrupted");
	return vhu_errf(&ctx->err, ETIMEDOUT, "%" PRIu64 " of the %" PRIu64 " back-end requests came within %d ms",
			s->backend_requests, want, timeout);
}

/* sleep MS: the sleep, then the session timeout for what the back-end
 * channel queued meanwhile. */
static int sleep_budget(const struct cmd_ctx *ctx)
{
	uint64_t ms = args_u(&ctx->args, "ms", 0);

	return (int)(ms > SESSION_TIMEOUT_MAX_MS ? 0 : ms) + ctx->s->conn.timeout_ms;
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
	jb_add(ctx->out, "backend_request", json_object_new_string(row->name));
	jb_add(ctx->out, "answer", jb_u64(ctx->s->backend_reply[row->num]));
	return 0;
}

static int cmd_iotlb(struct cmd_ctx *ctx)
{
	if (args_get(&ctx->args, "policy")->set)
		ctx->s->iotlb_auto = args_u(&ctx->args, "policy", 1);
	jb_add(ctx->out, "mode", json_object_new_string(ctx->s->iotlb_auto ? "auto" : "manual"));
	return 0;
}

static int cmd_config_watch(struct cmd_ctx *ctx)
{
	return toggle(ctx, &ctx->s->config_watch);
}

static int cmd_quit(struct cmd_ctx *ctx)
{
	ctx->s->quit = true;
	json_object_put(ctx->out);
	ctx->out = NULL;	/* nothing to print */
	return 0;
}

/* --- source: a script run through the runner --- */


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
	if (st == RUN_OUTPUT_GONE)
		return vhu_errf(&ctx->err, EPIPE, "output closed");
	if (st != RUN_OK)
		return vhu_errf(&ctx->err, EIO, "%s stopped at a failing command", f->str);
	json_object_put(ctx->out);
	ctx->out = NULL;	/* the script printed its own results */
	return 0;
}


/* Before a script runs: the script it sources is checked too. */
static int source_check(struct cmd_check *st, const struct arg_set *a, unsigned *bad, struct vhu_err *e)
{
	(void)bad;
	(void)e;
	st->source = args_get(a, "file")->str;
	st->source_tok = args_get(a, "file")->tok;
	return 0;
}

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
static const struct arg_spec backend_wait_args[] = {
	{ .name = "count", .type = ARG_U64, .key_only = true,
	  .help = "requests the back-end has sent in all (default: one more than so far)" },
	TIMEOUT_ARG,
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

static const struct cmd_def defs[] = {
	{ "status", GROUP_SESSION, NULL, 0, "negotiated features, memory, rings and fds",
	  NULL, "status", NULL, cmd_status, NULL, NULL, NULL },
	{ "ack", GROUP_SESSION, onoff_args, N(onoff_args), "set NEED_REPLY on every request once REPLY_ACK is negotiated",
	  "On by default. With it off, requests without a reply of their own get none.",
	  "ack off", NULL, cmd_ack, NULL, NULL, NULL },
	{ "sync", GROUP_SESSION, onoff_args, N(onoff_args), "follow un-acked requests with a GET_FEATURES barrier",
	  "What QEMU does when REPLY_ACK is not negotiated: every back-end answers\n"
	  "GET_FEATURES, so its reply proves the request before it was read.",
	  "sync on", NULL, cmd_sync, NULL, NULL, NULL },
	{ "device", GROUP_SESSION, device_args, N(device_args), "name the device type used to decode features and config",
	  NULL, "device blk", NULL, cmd_device, NULL, NULL, .check = device_check },
	{ "timeout", GROUP_SESSION, timeout_args, N(timeout_args), "show or set the bound on each command",
	  NULL, "timeout 1000", NULL, cmd_timeout, NULL, NULL, NULL },
	{ "backend-reply", GROUP_SESSION, backend_reply_args, N(backend_reply_args),
	  "what to answer a back-end request with, when it wants an answer",
	  "Answers go out when the spec says the request is always answered, or when the\n"
	  "back-end set NEED_REPLY and REPLY_ACK is negotiated. Default 0 (success),\n"
	  "1 for BACKEND_SHARED_OBJECT_LOOKUP (vhuctl has no object to give).",
	  "backend-reply BACKEND_IOTLB_MSG 1", NULL, cmd_backend_reply, NULL, NULL, NULL },
	{ "backend-wait", GROUP_SESSION, backend_wait_args, N(backend_wait_args),
	  "wait for the back-end to send requests on its channel",
	  "Until the back-end has sent COUNT requests on the back-end channel since the\n"
	  "connection (status says how many so far), each answered per policy as it comes.",
	  "backend-wait count=2 timeout=1000", NULL, cmd_backend_wait, NULL, cmd_timeout_budget, NULL },
	{ "iotlb", GROUP_SESSION, iotlb_args, N(iotlb_args), "how IOTLB misses are answered",
	  "auto (default): each miss gets an IOTLB_MSG update mapping the memory region that\n"
	  "holds it (IOVA = guest physical address). manual: misses are only shown; answer\n"
	  "them with iotlb-msg.", "iotlb manual", NULL, cmd_iotlb, NULL, NULL, NULL },
	{ "config-watch", GROUP_SESSION, onoff_args, N(onoff_args), "GET_CONFIG again when the back-end says the config changed",
	  NULL, "config-watch on", NULL, cmd_config_watch, NULL, NULL, NULL },
	{ "source", GROUP_META, source_args, N(source_args), "run the commands in a script file",
	  "Stops at the script's first failing command. Scripts may source others, 8 deep at most.",
	  "source setup.vhu", NULL, cmd_source, NULL, cmd_budget_none, .check = source_check },
	{ "sleep", GROUP_META, ms_args, N(ms_args), "wait a number of milliseconds", NULL, "sleep 100", NULL, cmd_sleep, NULL,
	  sleep_budget, NULL },
	{ "quit", GROUP_META, NULL, 0, "leave vhuctl", NULL, NULL, NULL, cmd_quit, NULL, NULL, NULL },
	{ "exit", GROUP_META, NULL, 0, "leave vhuctl", NULL, NULL, NULL, cmd_quit, NULL, NULL, NULL },
};

const struct cmd_def *cmd_session_defs(unsigned *n)
{
	*n = N(defs);
	return defs;
}
