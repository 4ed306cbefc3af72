/* cmd_vring.c - the vring commands: set up, post, kick, wait, collect and dump a ring. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/backend.h"
#include "cmd/cmd.h"
#include "core/jb.h"
#include "cmd/rings.h"
#include "core/vring_dump.h"


static struct vring *ring_arg(struct cmd_ctx *ctx, const char *name)
{
	const struct arg_val *v = args_get(&ctx->args, name);
	struct vring *vr = cmd_ring(ctx, v->set ? (unsigned)v->u : 0);

	if (!vr)
		ctx->bad_tok = v->set ? (int)v->tok : -1;
	return vr;
}

/* --- vring --------------------------------------------------------------- */

static int cmd_vring_setup(struct cmd_ctx *ctx)
{
	uint64_t n = args_u(&ctx->args, "index", 0), size = args_u(&ctx->args, "size", 256);
	struct json_object *steps = json_object_new_array();
	bool packed = args_get(&ctx->args, "packed")->set ? args_u(&ctx->args, "packed", 0) :
		cmd_acked(ctx->s, F_RING_PACKED);
	int r;

	jb_add(ctx->out, "steps", steps);
	if (size > VRING_SIZE_MAX)
		return ctx->bad_tok = (int)args_get(&ctx->args, "size")->tok,
		       vhu_errf(&ctx->err, ERANGE, "ring size %" PRIu64 " exceeds %u", size, VRING_SIZE_MAX);
	r = cmd_setup_ring(ctx, steps, (unsigned)n, (uint16_t)size, packed,
			   !args_u(&ctx->args, "disabled", 0));
	if (r == 0 || ctx->s->vr[n]) {
		struct vring *vr = ctx->s->vr[n];

		if (vr) {
			jb_add(ctx->out, "vring", json_object_new_int((int)n));
			jb_add(ctx->out, "layout", json_object_new_string(vr->packed ? "packed" : "split"));
			jb_add(ctx->out, "size", json_object_new_int(vr->size));
			jb_add(ctx->out, "desc_addr", jb_hex(vr->desc));
			jb_add(ctx->out, vr->packed ? "driver_event_addr" : "avail_addr", jb_hex(vr->avail));
			jb_add(ctx->out, vr->packed ? "device_event_addr" : "used_addr", jb_hex(vr->used));
		}
	}
	return r;
}

static int cmd_vring_post(struct cmd_ctx *ctx)
{
	struct vring *vr = ring_arg(ctx, "index");
	struct vring_seg segs[VRING_SEGS_MAX];
	uint8_t *data[VRING_SEGS_MAX] = { 0 };
	unsigned n = 0;
	uint16_t head, old;
	bool seen_in = false;
	int r = 0;

	if (!vr)
		return -ctx->err.code;
	for (unsigned t = 0; t < ctx->argc && r == 0; t++) {
		const char *a = ctx->argv[t].text;
		uint64_t len;

		if (strncmp(a, "out=", 4) && strncmp(a, "in=", 3))
			continue;
		if (n == VRING_SEGS_MAX) {
			r = vhu_errf(&ctx->err, E2BIG, "at most %u buffers in a chain", VRING_SEGS_MAX);
			break;
		}
		if (a[0] == 'o') {
			if (seen_in) {
				ctx->bad_tok = (int)t;
				r = vhu_errf(&ctx->err, EINVAL, "device-readable (out=) buffers come before writable (in=) ones");
				break;
			}
			r = cmd_load_bytes(ctx, a + 4, t, &data[n], &segs[n].len);
			segs[n].write = false;
		} else {
			seen_in = true;
			if (args_parse_size(a + 3, &len) < 0 || len > MEM_IO_MAX) {
				ctx->bad_tok = (int)t;
				r = vhu_errf(&ctx->err, EINVAL, "in=%s: a length up to %u", a + 3, MEM_IO_MAX);
				break;
			}
			segs[n].len = (uint32_t)len;
			segs[n].write = true;
		}
		n++;
	}
	if (r == 0 && n == 0)
		r = vhu_errf(&ctx->err, EINVAL, "give at least one out=HEX|@FILE or in=LEN");
	old = vr->avail_idx;
	if (r == 0)
		r = vring_post(vr, &ctx->s->mem, segs, (const uint8_t *const *)data, n,
			       args_u(&ctx->args, "indirect", 0), &head, &ctx->err);
	for (unsigned i = 0; i < n; i++)
		free(data[i]);
	if (r < 0)
		return r;
	jb_add(ctx->out, "vring", json_object_new_int((int)vr->index));
	jb_add(ctx->out, vr->packed ? "id" : "head", json_object_new_int(head));
	jb_add(ctx->out, "buffers", cmd_segs_json(segs, n));
	jb_add(ctx->out, "kick_needed", json_object_new_boolean(vring_need_kick(vr, &ctx->s->mem, old)));
	return 0;
}

static int cmd_vring_kick(struct cmd_ctx *ctx)
{
	unsigned n = (unsigned)args_u(&ctx->args, "index", 0);
	int fd = n < SESSION_RINGS ? ctx->s->ring[n].kick : -1;
	uint64_t one = 1;

	/* A kick is the eventfd SET_VRING_KICK sent, whatever the layout. */
	if (cmd_need_conn(ctx) < 0)
		return -ENOTCONN;
	if (fd < 0)
		return ctx->bad_tok = 0, vhu_errf(&ctx->err, ENOENT, "ring %u has no kick eventfd: 'set-vring-kick %u' sends one",
						  n, n);
	if (write(fd, &one, 8) != 8)
		return vhu_errf(&ctx->err, errno, "kick: %s", strerror(errno));
	jb_add(ctx->out, "vring", json_object_new_int((int)n));
	jb_add(ctx->out, "kicked", json_object_new_boolean(1));
	return 0;
}

static int cmd_vring_wait(struct cmd_ctx *ctx)
{
	unsigned n = (unsigned)args_u(&ctx->args, "index", 0);
	int timeout, fd = n < SESSION_RINGS ? ctx->s->ring[n].call : -1;
	int64_t t0 = wire_now_ns(), deadline;
	uint64_t cnt = 0;
	int r;

	if (cmd_timeout_arg(ctx, &timeout) < 0)
		return -ERANGE;
	if (fd < 0)
		return ctx->bad_tok = 0, vhu_errf(&ctx->err, ENOENT, "ring %u has no call eventfd", n);
	/* Serving the back-end channel meanwhile, as every wait does. */
	deadline = wire_bound(timeout, ctx->s->deadline);
	do
		r = wire_wait(fd, deadline);
	while (r == 1);
	if (r == -ECANCELED)
		return vhu_errf(&ctx->err, ECANCELED, "interrupted");
	if (r == -ETIMEDOUT && timeout)
		return vhu_errf(&ctx->err, ETIMEDOUT, "ring %u: no call within %lld ms", n,
				(long long)((deadline - t0) / 1000000));
	if (r < 0 && r != -ETIMEDOUT)
		return vhu_errf(&ctx->err, -r, "waiting for ring %u's call: %s", n, strerror(-r));
	if (r == 0 && read(fd, &cnt, 8) < 0)
		cnt = 0;
	jb_add(ctx->out, "vring", json_object_new_int((int)n));
	jb_add(ctx->out, "calls", json_object_new_int64((int64_t)cnt));
	jb_add(ctx->out, "waited_us", jb_us(wire_now_ns() - t0));
	return 0;
}

static int cmd_vring_used(struct cmd_ctx *ctx)
{
	struct vring *vr = ring_arg(ctx, "index");
	struct json_object *a = json_object_new_array();
	struct vring_used u;
	int r;

	jb_add(ctx->out, "used", a);
	if (!vr)
		return -ctx->err.code;
	r = vring_get_used(vr, &ctx->s->mem, &u, &ctx->err);
	if (r == 0 && args_u(&ctx->args, "wait", 0)) {
		int timeout;

		if (cmd_timeout_arg(ctx, &timeout) < 0)
			return -ERANGE;
		r = cmd_wait_used(ctx, vr, timeout, &u);
	}
	for (; r == 1; r = vring_get_used(vr, &ctx->s->mem, &u, &ctx->err)) {
		json_object_array_add(a, cmd_used_json(&ctx->s->mem, &u));
		vring_release(vr, &ctx->s->mem, u.id);
	}
	if (json_object_array_length(a) && ctx->s->ring[vr->index].call >= 0) {
		uint64_t cnt;	/* these entries' calls are seen: clear them */

		if (read(ctx->s->ring[vr->index].call, &cnt, 8) < 0)
			(void)0;
	}
	jb_add(ctx->out, "vring", json_object_new_int((int)vr->index));
	jb_add(ctx->out, "in_flight", json_object_new_int((int)vring_in_flight(vr)));
	return r;
}

static int cmd_vring_dump(struct cmd_ctx *ctx)
{
	struct vring *vr = ring_arg(ctx, "index");
	struct vring_dump_opts o = {
		.from = (unsigned)args_u(&ctx->args, "from", 0),
		.count = (unsigned)args_u(&ctx->args, "count", 0),
		.chains_only = args_u(&ctx->args, "chains-only", 0),
	};

	if (!vr)
		return -ctx->err.code;
	jb_add(ctx->out, "ring", vring_dump(vr, &ctx->s->mem, &o));
	return 0;
}

/* --- table ---------------------------------------------------------------- */

static const struct arg_spec setup_args[] = {
	RING_INDEX_ARG,
	{ .name = "size", .type = ARG_U32, .help = "entries (default 256)" },
	{ .name = "packed", .type = ARG_FLAG, .help = "packed layout (default: if RING_PACKED was negotiated)" },
	{ .name = "disabled", .type = ARG_FLAG, .help = "leave the ring disabled: no SET_VRING_ENABLE" },
};
static const struct arg_spec post_args[] = {
	RING_INDEX_ARG,
	{ .name = "out", .type = ARG_STRING, .key_only = true, .multi = true, .help = "device-readable buffer: hex or @FILE (repeatable)" },
	{ .name = "in", .type = ARG_STRING, .key_only = true, .multi = true, .help = "device-writable buffer of LEN bytes (repeatable)" },
	{ .name = "indirect", .type = ARG_FLAG, .help = "put the chain in an indirect table" },
};
static const struct arg_spec used_args[] = {
	RING_INDEX_ARG,
	{ .name = "wait", .type = ARG_FLAG, .help = "wait for an entry when there is none yet" },
	TIMEOUT_ARG,
};
static const struct arg_spec index_args[] = {
	RING_INDEX_ARG,
};
static const struct arg_spec wait_args[] = {
	RING_INDEX_ARG,
	TIMEOUT_ARG,
};
static const struct arg_spec dump_args[] = {
	RING_INDEX_ARG,
	{ .name = "from", .type = ARG_U32, .key_only = true, .help = "first entry to show" },
	{ .name = "count", .type = ARG_U32, .key_only = true, .help = "entries to show" },
	{ .name = "chains-only", .type = ARG_FLAG, .help = "only the chains in flight" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct cmd_def defs[] = {
	{ "vring setup", GROUP_RINGS, setup_args, N(setup_args), "lay out a ring in guest memory and hand it over",
	  "Sends SET_VRING_NUM, SET_VRING_BASE, SET_VRING_ADDR, SET_VRING_KICK and SET_VRING_CALL\n"
	  "with fresh eventfds, and SET_VRING_ENABLE when protocol features were negotiated\n"
	  "(unless 'disabled': a ring then stays disabled until 'set-vring-enable N 1').",
	  "vring setup 0 size=128", NULL, cmd_vring_setup, NULL, NULL, NULL },
	{ "vring post", GROUP_RINGS, post_args, N(post_args), "make a descriptor chain available",
	  "The ring is the one vhuctl last told the back-end about: laid out by 'start' or\n"
	  "'vring setup', or set up by hand with set-vring-num, set-vring-base and\n"
	  "set-vring-addr (any layout inside vhuctl's memory; vhuctl drives it from what\n"
	  "it sent). The same holds for vring used, vring dump, blk and net.",
	  "vring post 0 out=0000000000000000 in=512 in=1", NULL, cmd_vring_post, NULL, NULL, NULL },
	{ "vring kick", GROUP_RINGS, index_args, N(index_args), "signal the ring's kick eventfd", NULL, "vring kick 0", NULL, cmd_vring_kick, NULL, NULL, NULL },
	{ "vring wait", GROUP_RINGS, wait_args, N(wait_args), "wait for the ring's call eventfd", NULL, "vring wait 0 timeout=1000", NULL, cmd_vring_wait, NULL,
	  cmd_timeout_budget, NULL },
	{ "vring used", GROUP_RINGS, used_args, N(used_args), "collect used entries and their data",
	  "With 'wait', waits (bounded) for at least one entry first.", "vring used 0 wait", NULL, cmd_vring_used, NULL,
	  cmd_timeout_budget, NULL },
	{ "vring dump", GROUP_RINGS, dump_args, N(dump_args), "decode the whole ring as it is in memory",
	  "Every field is read once and checked; loops, bad indexes, nested indirect tables and\n"
	  "addresses outside memory are reported under \"anomalies\".", "vring dump 0 count=8", NULL, cmd_vring_dump, NULL, NULL, NULL },
};

const struct cmd_def *cmd_vring_defs(unsigned *n)
{
	*n = N(defs);
	return defs;
}
