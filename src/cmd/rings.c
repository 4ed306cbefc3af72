/* rings.c - the driver's side of the rings, for every command that uses them: which ring, its model, kicks and waits. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/backend.h"
#include "cmd/rings.h"
#include "core/jb.h"

/* The parts of ring N's layout that were never sent, as "SET_VRING_NUM and
 * SET_VRING_ADDR", or NULL. */
static const char *missing_parts(const struct ring_sent *st)
{
	if (!st->num_set && !st->addr_set)
		return "SET_VRING_NUM and SET_VRING_ADDR";
	if (!st->num_set)
		return "SET_VRING_NUM";
	if (!st->addr_set)
		return "SET_VRING_ADDR";
	return NULL;
}

/* A ring area's guest address from the user address SET_VRING_ADDR sent:
 * through the memory table, or as it is when an IOMMU makes it an IOVA
 * (vhuctl maps IOVA = guest physical address). */
static int area_gpa(struct cmd_ctx *ctx, unsigned n, const char *what, uint64_t uaddr, uint64_t *gpa)
{
	if (mem_uaddr_to_gpa(&ctx->s->mem, uaddr, gpa))
		return 0;
	if (cmd_acked(ctx->s, F_ACCESS_PLATFORM) && mem_gpa_ptr(&ctx->s->mem, uaddr, 1)) {
		*gpa = uaddr;
		return 0;
	}
	return vhu_errf(&ctx->err, EFAULT, "ring %u: the %s address 0x%" PRIx64 " that SET_VRING_ADDR sent is in no "
			"memory region vhuctl holds, so vhuctl cannot reach the ring", n, what, uaddr);
}

/* Build ring N's model from what was sent for it. */
static int adopt_ring(struct cmd_ctx *ctx, unsigned n)
{
	struct session *s = ctx->s;
	const struct ring_sent *st = &s->sent[n];
	bool packed = cmd_acked(s, F_RING_PACKED);
	uint64_t desc, avail, used;
	const char *miss = missing_parts(st);
	struct vring *vr;
	int r;

	if (miss)
		return vhu_errf(&ctx->err, ENOENT, "ring %u is not set up: %s %s never sent for it "
				"('start', 'vring setup %u', or send %s)", n, miss,
				strchr(miss, ' ') ? "were" : "was", n, miss);
	if (st->num == 0 || st->num > VRING_SIZE_MAX)
		return vhu_errf(&ctx->err, EINVAL, "ring %u: SET_VRING_NUM sent %u entries; vhuctl drives rings of 1..%u",
				n, st->num, VRING_SIZE_MAX);
	if ((r = area_gpa(ctx, n, packed ? "descriptor ring" : "descriptor table", st->desc, &desc)) < 0 ||
	    (r = area_gpa(ctx, n, packed ? "driver event area" : "avail ring", st->avail, &avail)) < 0 ||
	    (r = area_gpa(ctx, n, packed ? "device event area" : "used ring", st->used, &used)) < 0)
		return r;
	vr = s->vr[n] ? s->vr[n] : calloc(1, sizeof(*vr));
	if (!vr)
		return vhu_errf(&ctx->err, ENOMEM, "out of memory");
	if (s->vr[n])
		vring_free(vr, &s->mem);	/* what it had in flight goes with the old layout */
	s->vr[n] = NULL;
	r = vring_adopt(vr, &s->mem, n, (uint16_t)st->num, packed, cmd_acked(s, F_EVENT_IDX), desc, avail, used,
			st->base_set ? st->base : packed ? 0x80008000u : 0, &ctx->err);
	if (r < 0) {
		free(vr);
		return r;
	}
	vr->shape = st->shape;
	s->vr[n] = vr;
	return 0;
}

struct vring *cmd_ring(struct cmd_ctx *ctx, unsigned n)
{
	struct session *s = ctx->s;

	if (n >= SESSION_RINGS) {
		vhu_errf(&ctx->err, ERANGE, "ring index %u: at most %u rings", n, SESSION_RINGS - 1);
		return NULL;
	}
	/* Laid out by vhuctl and sent as it is, or adopted from what was sent. */
	if (s->vr[n] && s->vr[n]->shape == s->sent[n].shape)
		return s->vr[n];
	if (adopt_ring(ctx, n) < 0)
		return NULL;
	return s->vr[n];
}

bool cmd_acked(const struct session *s, unsigned bit)
{
	return s->conn.features_set && (s->conn.acked_features >> bit & 1);
}

int cmd_kick(struct cmd_ctx *ctx, struct vring *vr)
{
	int fd = ctx->s->ring[vr->index].kick;
	uint64_t one = 1;

	if (fd < 0)
		return vhu_errf(&ctx->err, ENOENT, "ring %u has no kick eventfd", vr->index);
	if (write(fd, &one, 8) != 8)
		return vhu_errf(&ctx->err, errno, "kick: %s", strerror(errno));
	return 0;
}

int cmd_need_conn(struct cmd_ctx *ctx)
{
	if (conn_connected(&ctx->s->conn))
		return 0;
	return vhu_errf(&ctx->err, ENOTCONN, "not connected");
}

/* Wait until the ring has a used entry or the deadline passes; the call
 * eventfd wakes us, a short poll covers back-ends that do not signal. */
int cmd_wait_used(struct cmd_ctx *ctx, struct vring *vr, int timeout_ms, struct vring_used *u)
{
	int64_t t0 = wire_now_ns(), own = t0 + (int64_t)timeout_ms * 1000000, deadline = own;
	int call = ctx->s->ring[vr->index].call;

	if (ctx->s->deadline >= 0 && ctx->s->deadline < own)
		deadline = ctx->s->deadline;	/* what is left of the command's */

	for (;;) {
		int64_t left, step_end;
		int r = vring_get_used(vr, &ctx->s->mem, u, &ctx->err);
		uint64_t cnt;

		if (r != 0) {
			/* The entry is taken: its call (if any) is not news for a later wait. */
			if (r == 1 && call >= 0 && read(call, &cnt, 8) < 0)
				(void)0;
			return r;
		}
		if (timeout_ms == 0)
			return 0;	/* looked once, as asked */
		if (wire_cancel)
			return vhu_errf(&ctx->err, ECANCELED, "interrupted while waiting on ring %u", vr->index);
		left = deadline - wire_now_ns();
		if (left <= 0)
			return vhu_errf(&ctx->err, ETIMEDOUT, "no used entry on ring %u within %lld ms%s", vr->index,
					(long long)((deadline - t0) / 1000000),
					deadline < own ? " (what was left of the command's timeout)" : "");
		/* No request is in flight: answer what the back-end channel asked. */
		backend_flush(ctx->s);
		step_end = wire_now_ns() + (left < 10000000 ? left : 10000000);
		if (wire_wait(call, step_end) == 0 && call >= 0)
			if (read(call, &cnt, 8) < 0)
				(void)0;
	}
}

/* SET_VRING_ADDR for VR: our user addresses, or with an IOMMU the IOVAs
 * (= GPAs). LOG: -1 leaves the log fields out, 0/1 turns VHOST_VRING_F_LOG
 * off/on with the used ring's GPA as log_guest_addr. */
int cmd_send_vring_addr(struct cmd_ctx *ctx, struct json_object *steps,
			   const struct vring *vr, int log)
{
	struct session *s = ctx->s;
	uint64_t d = vr->desc, a = vr->avail, u = vr->used;
	char extra[64] = "";

	if (!cmd_acked(s, F_ACCESS_PLATFORM)) {
		mem_gpa_to_uaddr(&s->mem, vr->desc, &d);
		mem_gpa_to_uaddr(&s->mem, vr->avail, &a);
		mem_gpa_to_uaddr(&s->mem, vr->used, &u);
	}
	if (log >= 0)
		snprintf(extra, sizeof(extra), " log=0x%" PRIx64 " flags=%d", vr->used, log);
	return cmd_step(ctx, steps, "set-vring-addr %u desc=0x%" PRIx64 " avail=0x%" PRIx64
			" used=0x%" PRIx64 "%s", vr->index, d, a, u, extra);
}

int cmd_setup_ring(struct cmd_ctx *ctx, struct json_object *steps, unsigned n,
		   uint16_t size, bool packed, bool enable)
{
	struct session *s = ctx->s;
	struct vring *vr;
	int r;

	if (n >= SESSION_RINGS)
		return vhu_errf(&ctx->err, ERANGE, "ring index %u: at most %u rings", n, SESSION_RINGS - 1);
	if (s->vr[n]) {
		vring_free(s->vr[n], &s->mem);
		free(s->vr[n]);
		s->vr[n] = NULL;
	}
	vr = calloc(1, sizeof(*vr));
	if (!vr)
		return vhu_errf(&ctx->err, ENOMEM, "out of memory");
	r = vring_init(vr, &s->mem, n, size, packed, cmd_acked(s, F_EVENT_IDX), &ctx->err);
	if (r < 0) {
		free(vr);
		return r;
	}
	s->vr[n] = vr;
	s->rings_stopped = false;
	if ((r = cmd_step(ctx, steps, "set-vring-num %u %u", n, size)) < 0 ||
	    (r = cmd_step(ctx, steps, "set-vring-base %u %u", n, vring_base(vr))) < 0 ||
	    (r = cmd_send_vring_addr(ctx, steps, vr, -1)) < 0)
		return r;
	vr->shape = s->sent[n].shape;	/* what was sent is this layout */
	if ((r = cmd_step(ctx, steps, "set-vring-kick %u", n)) < 0 ||
	    (r = cmd_step(ctx, steps, "set-vring-call %u", n)) < 0)
		return r;
	/* Rings stay dead until enabled once protocol features are in play. */
	if (enable && cmd_acked(s, F_PROTOCOL_FEATURES) && (r = cmd_step(ctx, steps, "set-vring-enable %u 1", n)) < 0)
		return r;
	return 0;
}

struct json_object *cmd_segs_json(const struct vring_seg *segs, unsigned n)
{
	struct json_object *b = json_object_new_array();

	for (unsigned i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();

		jb_add(o, "addr", jb_hex(segs[i].gpa));
		jb_add(o, "len", json_object_new_int64(segs[i].len));
		jb_add(o, "write", json_object_new_boolean(segs[i].write));
		json_object_array_add(b, o);
	}
	return b;
}

struct json_object *cmd_used_json(const struct mem *m, const struct vring_used *u)
{
	struct json_object *o = json_object_new_object(), *bufs = json_object_new_array();

	jb_add(o, "id", json_object_new_int(u->id));
	jb_add(o, "len", json_object_new_int64(u->len));
	for (uint16_t i = 0; i < u->chain->nseg; i++) {
		const struct vring_seg *sg = &u->chain->seg[i];
		struct json_object *b = json_object_new_object();

		jb_add(b, "addr", jb_hex(sg->gpa));
		jb_add(b, "len", json_object_new_int64(sg->len));
		jb_add(b, "write", json_object_new_boolean(sg->write));
		if (sg->write) {
			const uint8_t *p = mem_gpa_ptr(m, sg->gpa, sg->len);

			if (p)
				jb_add(b, "data", cmd_data_json(p, sg->len));
		}
		json_object_array_add(bufs, b);
	}
	jb_add(o, "buffers", bufs);
	return o;
}

void cmd_other_used(struct cmd_ctx *ctx, struct vring *vr, const struct vring_used *u)
{
	struct json_object *a;

	if (!json_object_object_get_ex(ctx->out, "other_used", &a)) {
		a = json_object_new_array();
		json_object_object_add(ctx->out, "other_used", a);
	}
	json_object_array_add(a, cmd_used_json(&ctx->s->mem, u));
	vring_release(vr, &ctx->s->mem, u->id);
}

