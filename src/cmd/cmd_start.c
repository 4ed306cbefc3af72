/* cmd_start.c - bringing a device up the way QEMU does, and stopping its rings. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/rings.h"
#include "core/jb.h"
#include "core/render.h"

static int cmd_start(struct cmd_ctx *ctx)
{
	struct session *s = ctx->s;
	struct conn *c = &s->conn;
	struct json_object *steps = json_object_new_array();
	const struct arg_val *fa = args_get(&ctx->args, "features");
	const struct arg_val *qa = args_get(&ctx->args, "queues");
	uint64_t queues = qa->set ? qa->u : features_device_queues(s->dev, 0), reported = 0;
	uint64_t size = args_u(&ctx->args, "size", 256), want, pwant;
	bool packed = args_u(&ctx->args, "packed", 0);
	char names[64];
	int r;

	jb_add(ctx->out, "steps", steps);
	if (queues == 0 || queues > SESSION_RINGS)
		return vhu_errf(&ctx->err, ERANGE, "queues must be 1..%u", SESSION_RINGS);
	if ((r = cmd_step(ctx, steps, "get-features")) < 0)
		return r;
	/* What vhuctl can drive, within what the back-end offers. */
	want = BIT(F_VERSION_1) | BIT(F_PROTOCOL_FEATURES);
	if (packed)
		want |= BIT(F_RING_PACKED);
	if (s->dev == DEV_BLK)
		want |= BIT(9) | BIT(6) | BIT(12);	/* FLUSH, BLK_SIZE, MQ */
	if (args_get(&ctx->args, "event-idx")->set)
		want |= BIT(F_EVENT_IDX);
	if (fa->set)
		want = fa->u;
	want &= fa->set ? ~UINT64_C(0) : c->features;
	if (packed && !(c->features & BIT(F_RING_PACKED)))
		return vhu_errf(&ctx->err, ENOTSUP, "the back-end does not offer VIRTIO_F_RING_PACKED");
	if (c->features & BIT(F_PROTOCOL_FEATURES)) {
		if ((r = cmd_step(ctx, steps, "get-protocol-features")) < 0)
			return r;
		/* MQ LOG_SHMFD REPLY_ACK CONFIG STATUS, and BACKEND_REQ when an IOMMU needs the channel */
		pwant = c->proto & (BIT(0) | BIT(1) | BIT(3) | BIT(9) | BIT(16) |
				    ((want & BIT(F_ACCESS_PLATFORM)) ? BIT(5) : 0));
		if ((r = cmd_step(ctx, steps, "set-protocol-features 0x%" PRIx64, pwant)) < 0)
			return r;
		if ((pwant & BIT(0)) && (r = cmd_step(ctx, steps, "get-queue-num")) < 0)
			return r;
		if (pwant & BIT(0)) {
			struct json_object *last = json_object_array_get_idx(steps, json_object_array_length(steps) - 1);
			struct json_object *p = cmd_step_reply(last), *u;

			if (p && json_object_object_get_ex(p, "u64", &u))
				reported = (uint64_t)json_object_get_int64(u);
			if (!qa->set)
				queues = features_device_queues(s->dev, reported);
			if (queues > SESSION_RINGS)
				return vhu_errf(&ctx->err, ERANGE, "the back-end reports %" PRIu64 " queues; vhuctl drives %u at most: give queues=",
						reported, SESSION_RINGS);
		}
		if ((pwant & BIT(5)) && (r = cmd_step(ctx, steps, "set-backend-req-fd")) < 0)
			return r;
	}
	if ((r = cmd_step(ctx, steps, "set-owner")) < 0 ||
	    (r = cmd_step(ctx, steps, "set-features 0x%" PRIx64, want)) < 0)
		return r;
	if (s->mem.n == 0 && (r = cmd_step(ctx, steps, "mem add 4M")) < 0)
		return r;
	if ((r = cmd_step(ctx, steps, "set-mem-table")) < 0)
		return r;
	for (unsigned q = 0; q < queues; q++) {
		struct json_object *rs = json_object_new_array();

		r = cmd_setup_ring(ctx, rs, q, (uint16_t)size, packed, true);
		for (size_t i = 0; i < json_object_array_length(rs); i++)
			json_object_array_add(steps, json_object_get(json_object_array_get_idx(rs, i)));
		json_object_put(rs);
		if (r < 0)
			return r;
	}
	if (c->proto_set && (c->acked_proto & BIT(16)) &&
	    (r = cmd_step(ctx, steps, "set-status ACKNOWLEDGE,DRIVER,FEATURES_OK,DRIVER_OK")) < 0)
		return r;
	jb_add(ctx->out, "features", render_features(want, ctx->s->dev));
	if (c->proto_set)
		jb_add(ctx->out, "protocol_features", render_pfeatures(c->acked_proto));
	jb_add(ctx->out, "queues", json_object_new_int((int)queues));
	if (reported)
		jb_add(ctx->out, "queues_reported", json_object_new_int64((int64_t)reported));
	jb_add(ctx->out, "layout", json_object_new_string(packed ? "packed" : "split"));
	(void)names;
	return 0;
}

static int cmd_stop(struct cmd_ctx *ctx)
{
	struct session *s = ctx->s;
	struct json_object *steps = json_object_new_array(), *bases = json_object_new_array();
	int r = 0;

	jb_add(ctx->out, "steps", steps);
	jb_add(ctx->out, "bases", bases);
	for (unsigned q = 0; q < SESSION_RINGS && r == 0; q++) {
		struct json_object *last, *p;

		if (!s->vr[q])
			continue;
		if (cmd_acked(s, F_PROTOCOL_FEATURES) && (r = cmd_step(ctx, steps, "set-vring-enable %u 0", q)) < 0)
			break;
		if ((r = cmd_step(ctx, steps, "get-vring-base %u", q)) < 0)
			break;
		last = json_object_array_get_idx(steps, json_object_array_length(steps) - 1);
		if ((p = cmd_step_reply(last)))
			json_object_array_add(bases, json_object_get(p));
	}
	if (r == 0)
		s->rings_stopped = true;
	return r;
}

static const struct arg_spec start_args[] = {
	{ .name = "features", .type = ARG_FEATURES, .key_only = true, .help = "features to ack (default: offered and drivable)" },
	{ .name = "queues", .type = ARG_U32, .key_only = true, .help = "rings to set up (default: the device's, fs: every queue the back-end reports)" },
	{ .name = "size", .type = ARG_U32, .key_only = true, .max = VRING_SIZE_MAX, .help = "ring size (default 256)" },
	{ .name = "packed", .type = ARG_FLAG, .help = "negotiate and use packed rings" },
	{ .name = "event-idx", .type = ARG_FLAG, .help = "negotiate VIRTIO_F_EVENT_IDX when offered (as guest drivers do)" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct cmd_def defs[] = {
	{ "start", GROUP_RINGS, start_args, N(start_args), "bring the device up the way QEMU does",
	  "Negotiates features (the back-end's offer and what vhuctl can drive), sends the memory\n"
	  "table (adding 4M of memory if there is none), sets up and enables every ring, and\n"
	  "sets DRIVER_OK when STATUS is offered. Stops at the first failing step.",
	  "start queues=2", "docs/interop/vhost-user.rst, \"Starting and stopping rings\"", cmd_start, NULL, NULL, NULL },
	{ "stop", GROUP_RINGS, NULL, 0, "disable every ring and collect GET_VRING_BASE", NULL, "stop", NULL, cmd_stop, NULL, NULL, NULL },
};

const struct cmd_def *cmd_start_defs(unsigned *n)
{
	*n = N(defs);
	return defs;
}
