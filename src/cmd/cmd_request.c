/* cmd_request.c - running a request command: flags, the exchange, checking and showing the reply. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/backend.h"
#include "cmd/gpu.h"
#include "cmd/cmd.h"
#include "cmd/rings.h"
#include "core/codec.h"
#include "core/devcfg.h"
#include "core/jb.h"
#include "core/jw.h"
#include "core/render.h"

#include "cmd/request.h"

/* Name under which a reply's legitimate fd is kept. */
static const char *reply_fd_name(uint32_t num)
{
	switch (num) {
	case 28: return "userfaultfd";
	case 31: return "inflight";
	case 41: return "shared-object";
	case 42: return "device-state-backend";
	default: return "reply-fd";
	}
}

void request_add_warning(struct json_object *out, const char *msg)
{
	struct json_object *w;

	if (!json_object_object_get_ex(out, "warnings", &w)) {
		w = json_object_new_array();
		json_object_object_add(out, "warnings", w);
	}
	json_object_array_add(w, json_object_new_string(msg));
}

static void warn_feature(struct cmd_ctx *ctx, const struct vhu_request *row)
{
	const struct conn *c = &ctx->s->conn;
	char msg[200];

	if (row->proto_feature < 0 || !c->proto_set)
		return;
	if (c->acked_proto >> row->proto_feature & 1)
		return;
	snprintf(msg, sizeof(msg), "%s needs VHOST_USER_PROTOCOL_F_%s, which was not negotiated",
		 row->name, proto_feature_by_bit((unsigned)row->proto_feature)->name);
	request_add_warning(ctx->out, msg);
}

/* Values the request may carry but a back-end will refuse: sent anyway
 * (exact control), with a warning saying why it will likely fail. */
static void warn_payload(struct cmd_ctx *ctx, const struct vhu_request *row, const struct vhu_pval *pv)
{
	char msg[200];

	if (row->num == 8) {	/* SET_VRING_NUM */
		uint32_t num = pv->state.num;
		bool packed = cmd_acked(ctx->s, F_RING_PACKED);

		if (num == 0 || num > 32768)
			snprintf(msg, sizeof(msg), "a ring of %u entries: virtio allows 1 to 32768", num);
		else if (!packed && (num & (num - 1)))
			snprintf(msg, sizeof(msg), "a split ring of %u entries: it must be a power of two "
				 "(only packed rings may be any size)", num);
		else
			return;
		request_add_warning(ctx->out, msg);
	}
}

/* Header flags for a request built by a command. */
static uint32_t request_flags(struct cmd_ctx *ctx, const struct vhu_request *row)
{
	const struct arg_set *a = &ctx->args;
	uint32_t flags = VHU_FLAG_VERSION;

	if (ctx->s->ack && (row->reply == REPLY_ACK_ONLY || row->need_reply_too) &&
	    conn_reply_ack(&ctx->s->conn))
		flags |= VHU_FLAG_NEED_REPLY;
	if (args_get(a, "need-reply")->set)
		flags = args_u(a, "need-reply", 0) ? flags | VHU_FLAG_NEED_REPLY :
						     flags & ~VHU_FLAG_NEED_REPLY;
	if (args_get(a, "header-flags")->set)
		flags = (uint32_t)args_u(a, "header-flags", 0);
	return flags;
}

/* GET_FEATURES as a barrier: every back-end answers it, so once its reply
 * is in, everything sent before has been read (QEMU's vhost_user_write_sync). */
static int sync_barrier(struct cmd_ctx *ctx)
{
	struct conn_xfer *x = calloc(1, sizeof(*x));
	struct json_object *o;
	int r;

	if (!x)
		return vhu_errf(&ctx->err, ENOMEM, "out of memory");
	x->row = proto_request(SIDE_FRONTEND, 1);
	x->req.request = 1;
	x->req.flags = VHU_FLAG_VERSION;
	r = conn_transact(&ctx->s->conn, x, ctx->s->deadline, &ctx->err);
	o = json_object_new_object();	/* the barrier is GET_FEATURES, always */
	jb_add(o, "ok", json_object_new_boolean(r == 0));
	jb_add(o, "rtt_us", jb_us(x->rtt_ns));
	jb_add(ctx->out, "sync", o);
	wire_close_fds(&x->reply);
	free(x);
	if (r < 0)
		vhu_err_prefix(&ctx->err, "sync barrier");
	return r;
}

/* The reply's own meaning, beyond the header checks of conn_transact. */
static int check_reply_payload(struct cmd_ctx *ctx, const struct conn_xfer *x,
			       const struct vhu_pval *req)
{
	const struct vhu_request *row = x->row;
	struct vhu_err de = { 0 };
	struct vhu_pval v;
	uint64_t ack;

	if (x->ack_expected) {
		memcpy(&ack, x->reply.payload, 8);
		json_object_object_add(ctx->out, "ack", json_object_new_object());
		{
			struct json_object *o;

			json_object_object_get_ex(ctx->out, "ack", &o);
			jb_add(o, "u64", jb_u64(ack));
			jb_add(o, "ok", json_object_new_boolean(ack == 0));
		}
		if (ack)
			return vhu_errf(&ctx->err, EIO, "%s: back-end answered REPLY_ACK with 0x%" PRIx64 " (failure)",
					row->name, ack);
		return 0;
	}
	if (!row)
		return 0;
	/* A reply that passed the header checks but does not decode is malformed:
	 * never a success (a GET_CONFIG whose size field disagrees with the
	 * bytes that follow once was). */
	if (codec_decode(row->reply_kind, x->reply.payload, x->reply.len, &v, &de) < 0)
		return vhu_errf(&ctx->err, EBADMSG, "%s: reply's %s", row->name, de.msg);
	switch (row->num) {
	case 11:
		if (v.state.index != req->state.index)
			request_add_warning(ctx->out, "GET_VRING_BASE reply is for a different ring index");
		break;
	case 22: case 30: case 43:
		if (v.u64)
			return vhu_errf(&ctx->err, EIO, "%s: back-end answered 0x%" PRIx64 " (failure)",
					row->name, v.u64);
		break;
	case 24:
		if (v.config.size == req->config.size && v.config.size)
			ctx->s->config_size = v.config.size;
		if (v.config.size == 0 && req->config.size)
			return vhu_errf(&ctx->err, EIO, "GET_CONFIG: back-end answered size 0, which means it failed");
		if (v.config.size != req->config.size || v.config.offset != req->config.offset)
			return vhu_errf(&ctx->err, EBADMSG,
					"GET_CONFIG: reply covers offset %u size %u, request asked offset %u size %u",
					v.config.offset, v.config.size, req->config.offset, req->config.size);
		break;
	case 36:
		ctx->s->max_mem_slots = v.u64;
		break;
	case 31:
		ctx->s->inflight_size = v.inflight.mmap_size;
		ctx->s->inflight_offset = v.inflight.mmap_offset;
		ctx->s->inflight_queues = v.inflight.num_queues;
		ctx->s->inflight_queue_size = v.inflight.queue_size;
		break;
	case 42:
		if (v.u64 & 0xff)
			return vhu_errf(&ctx->err, EIO, "SET_DEVICE_STATE_FD: back-end answered error 0x%" PRIx64,
					v.u64 & 0xff);
		break;
	}
	return 0;
}

static void render_exchange(struct cmd_ctx *ctx, const struct conn_xfer *x)
{
	const struct vhu_request *row = x->row;
	const char *name = row ? row->name : NULL;
	enum vhu_device dev = ctx->s->dev;
	bool direct = ctx->direct && !ctx->direct_used;
	struct jw local, *w = direct ? ctx->direct : &local;

	/* Written straight out: this runs for every request (see jw.h). */
	if (direct)
		jw_reset(w);
	else
		jw_init(w);
	jw_key(w, "request");
	render_msg_jw(w, &x->req, name, row ? row->req_kind : PL_OPAQUE, dev);
	jw_key(w, "reply");
	if (x->got_reply)
		render_msg_jw(w, &x->reply, name,
			      x->ack_expected ? PL_U64 : row ? row->reply_kind : PL_OPAQUE, dev);
	else
		jw_null(w);
	jw_key(w, "reply_expected");
	jw_bool(w, x->reply_expected);
	if (x->got_reply) {
		jw_key(w, "rtt_us");
		jw_us(w, x->rtt_ns);
	}
	if (direct) {
		ctx->direct_used = true;
		ctx->direct_at = (unsigned)json_object_object_length(ctx->out);
	} else {
		jw_add_members(ctx->out, w);
	}
	for (unsigned i = 0; i < x->nwarn; i++)
		request_add_warning(ctx->out, x->warn[i]);
}

/* Send X and render it; shared by request commands and raw. */
int request_exchange(struct cmd_ctx *ctx, struct conn_xfer *x, struct fd_plan *p,
		    const struct vhu_pval *pv)
{
	uint64_t sent_before = ctx->s->conn.sent;
	int r = conn_transact(&ctx->s->conn, x, ctx->s->deadline, &ctx->err);

	render_exchange(ctx, x);	/* while the fds it shows are still open */
	if (ctx->s->conn.sent != sent_before) {
		request_plan_commit(ctx->s, p);
		session_note_sent(ctx->s, &x->req);
	} else {
		request_plan_close(p);
	}
	if (x->req.request == 21 && x->row && ctx->s->conn.sent != sent_before)
		backend_attach(ctx->s);	/* serve the channel from now on */
	if (x->req.request == 33 && x->row && ctx->s->conn.sent != sent_before)
		gpu_attach(ctx->s);	/* serve the gpu socket from now on */
	if (r == 0 && x->got_reply)
		r = check_reply_payload(ctx, x, pv);
	if (x->got_reply && x->reply.nfds) {
		/* A reply that passed every check keeps the fd it legitimately
		 * carries; from any other, no fd stays open. */
		if (r == 0)
			session_keep_fd(ctx->s, reply_fd_name(x->req.request), x->reply.fds[0]);
		for (unsigned i = r == 0 ? 1 : 0; i < x->reply.nfds; i++)
			close(x->reply.fds[i]);
		x->reply.nfds = 0;
	}
	if (!conn_connected(&ctx->s->conn))
		jb_add(ctx->out, "disconnected", json_object_new_boolean(1));
	return r;
}

int cmd_request_run(struct cmd_ctx *ctx)
{
	const struct vhu_request *row = ctx->cmd->req;
	struct fd_plan plan = { .send = -1, .keep = -1 };
	struct conn_xfer *x;
	struct vhu_pval pv;
	int r;

	x = session_xfer(ctx->s);
	if (!x)
		return vhu_errf(&ctx->err, ENOMEM, "out of memory");
	x->row = row;
	x->req.request = row->num;
	r = request_build(ctx, &pv, &x->req, &plan);
	if (r < 0)
		goto out;
	if (plan.send >= 0)
		x->req.fds[x->req.nfds++] = plan.send;
	r = codec_encode(&pv, x->req.payload, sizeof(x->req.payload), &x->req.len, &ctx->err);
	if (r < 0) {
		request_plan_close(&plan);
		goto out;
	}
	x->req.size = x->req.len;
	x->req.flags = request_flags(ctx, row);
	warn_feature(ctx, row);
	warn_payload(ctx, row, &pv);
	r = request_exchange(ctx, x, &plan, &pv);
	if (r == 0 && !x->reply_expected && (ctx->s->sync || args_u(&ctx->args, "sync", 0)))
		r = sync_barrier(ctx);
out:
	return r;
}

