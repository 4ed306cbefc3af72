/* cmd_vring.c - guest memory access, rings, and start/stop. */
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
#include "cmd/cmd_ring.h"
#include "core/vring_dump.h"


/* --- helpers ------------------------------------------------------------ */

/* HEX or @FILE into a malloc'd buffer. */
int cmd_load_bytes(struct cmd_ctx *ctx, const char *s, unsigned tok, uint8_t **out, uint32_t *len)
{
	if (s[0] == '@') {
		int fd = open(s + 1, O_RDONLY | O_CLOEXEC);
		uint8_t *b;
		ssize_t n;

		if (fd < 0)
			return ctx->bad_tok = (int)tok, vhu_errf(&ctx->err, errno, "%s: %s", s + 1, strerror(errno));
		b = malloc(MEM_IO_MAX + 1);
		n = b ? read(fd, b, MEM_IO_MAX + 1) : -1;
		close(fd);
		if (n < 0 || (size_t)n > MEM_IO_MAX) {
			free(b);
			return ctx->bad_tok = (int)tok, vhu_errf(&ctx->err, EFBIG, "%s: unreadable or over %u bytes",
								  s + 1, MEM_IO_MAX);
		}
		*out = b;
		*len = (uint32_t)n;
		return 0;
	}
	if (args_parse_hex(s, out, len) < 0)
		return ctx->bad_tok = (int)tok, vhu_errf(&ctx->err, EINVAL, "'%s' is neither hex bytes nor @FILE", s);
	if (*len > MEM_IO_MAX) {
		free(*out);
		return vhu_errf(&ctx->err, EFBIG, "over %u bytes", MEM_IO_MAX);
	}
	return 0;
}

struct json_object *cmd_data_json(const uint8_t *p, uint32_t len)
{
	struct json_object *o = json_object_new_object();

	jb_add(o, "len", json_object_new_int64(len));
	jb_add(o, "hex", jb_hexbytes(p, len));
	jb_add(o, "text", jb_text(p, len));
	return o;
}

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

static struct vring *ring_arg(struct cmd_ctx *ctx, const char *name)
{
	const struct arg_val *v = args_get(&ctx->args, name);
	struct vring *vr = cmd_ring(ctx, v->set ? (unsigned)v->u : 0);

	if (!vr)
		ctx->bad_tok = v->set ? (int)v->tok : -1;
	return vr;
}

int cmd_timeout_arg(struct cmd_ctx *ctx, int *ms)
{
	const struct arg_val *t = args_get(&ctx->args, "timeout");

	if (t->set && t->u > SESSION_TIMEOUT_MAX_MS) {
		ctx->bad_tok = (int)t->tok;
		return vhu_errf(&ctx->err, ERANGE, "timeout is at most %d ms", SESSION_TIMEOUT_MAX_MS);
	}
	*ms = t->set ? (int)t->u : ctx->s->conn.timeout_ms;
	return 0;
}

int cmd_timeout_budget(const struct cmd_ctx *ctx)
{
	uint64_t t = args_u(&ctx->args, "timeout", 0);
	int own = t > SESSION_TIMEOUT_MAX_MS ? 0 : (int)t;

	return own > ctx->s->conn.timeout_ms ? own : ctx->s->conn.timeout_ms;
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

/* --- mem read / write ---------------------------------------------------- */

static int cmd_mem_read(struct cmd_ctx *ctx)
{
	uint64_t gpa = args_u(&ctx->args, "gpa", 0), len = args_u(&ctx->args, "len", 0);
	uint8_t *p;

	if (len > MEM_IO_MAX)
		return ctx->bad_tok = (int)args_get(&ctx->args, "len")->tok,
		       vhu_errf(&ctx->err, ERANGE, "at most %u bytes at a time", MEM_IO_MAX);
	p = mem_gpa_ptr(&ctx->s->mem, gpa, len);
	if (!p)
		return ctx->bad_tok = 0, vhu_errf(&ctx->err, EFAULT, "0x%" PRIx64 "+%" PRIu64 " is not inside one memory region", gpa, len);
	jb_add(ctx->out, "gpa", jb_hex(gpa));
	jb_add(ctx->out, "data", cmd_data_json(p, (uint32_t)len));
	return 0;
}

static int cmd_mem_write(struct cmd_ctx *ctx)
{
	const struct arg_val *d = args_get(&ctx->args, "data");
	uint64_t gpa = args_u(&ctx->args, "gpa", 0);
	uint8_t *b, *p;
	uint32_t len;
	int r = cmd_load_bytes(ctx, d->str, d->tok, &b, &len);

	if (r < 0)
		return r;
	p = mem_gpa_ptr(&ctx->s->mem, gpa, len);
	if (!p) {
		free(b);
		return ctx->bad_tok = 0, vhu_errf(&ctx->err, EFAULT, "0x%" PRIx64 "+%u is not inside one memory region", gpa, len);
	}
	memcpy(p, b, len);
	free(b);
	jb_add(ctx->out, "gpa", jb_hex(gpa));
	jb_add(ctx->out, "written", json_object_new_int64(len));
	return 0;
}

/* --- vring --------------------------------------------------------------- */

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

static int setup_ring(struct cmd_ctx *ctx, struct json_object *steps, unsigned n,
		      uint16_t size, bool packed)
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
	if (cmd_acked(s, F_PROTOCOL_FEATURES) && (r = cmd_step(ctx, steps, "set-vring-enable %u 1", n)) < 0)
		return r;
	return 0;
}

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
	r = setup_ring(ctx, steps, (unsigned)n, (uint16_t)size, packed);
	if (r == 0 || ctx->s->vr[n]) {
		struct vring *vr = ctx->s->vr[n];

		if (vr) {
			jb_add(ctx->out, "index", json_object_new_int((int)n));
			jb_add(ctx->out, "layout", json_object_new_string(vr->packed ? "packed" : "split"));
			jb_add(ctx->out, "size", json_object_new_int(vr->size));
			jb_add(ctx->out, "desc", jb_hex(vr->desc));
			jb_add(ctx->out, vr->packed ? "driver_event" : "avail", jb_hex(vr->avail));
			jb_add(ctx->out, vr->packed ? "device_event" : "used", jb_hex(vr->used));
		}
	}
	return r;
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
	jb_add(ctx->out, "ring", json_object_new_int((int)vr->index));
	jb_add(ctx->out, vr->packed ? "id" : "head", json_object_new_int(head));
	jb_add(ctx->out, "buffers", json_object_new_int((int)n));
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
	jb_add(ctx->out, "ring", json_object_new_int((int)n));
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
	jb_add(ctx->out, "ring", json_object_new_int((int)n));
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
	jb_add(ctx->out, "ring", json_object_new_int((int)vr->index));
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

/* --- start / stop ---------------------------------------------------------- */

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

		r = setup_ring(ctx, rs, q, (uint16_t)size, packed);
		for (size_t i = 0; i < json_object_array_length(rs); i++)
			json_object_array_add(steps, json_object_get(json_object_array_get_idx(rs, i)));
		json_object_put(rs);
		if (r < 0)
			return r;
	}
	if (c->proto_set && (c->acked_proto & BIT(16)) &&
	    (r = cmd_step(ctx, steps, "set-status ACKNOWLEDGE,DRIVER,FEATURES_OK,DRIVER_OK")) < 0)
		return r;
	jb_add(ctx->out, "features", jb_hex(want));
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

/* --- table ---------------------------------------------------------------- */

static const struct arg_spec gpa_len_args[] = {
	{ .name = "gpa", .type = ARG_U64, .required = true, .help = "guest physical address" },
	{ .name = "len", .type = ARG_U64, .required = true, .help = "bytes (at most 1M)" },
};
static const struct arg_spec gpa_data_args[] = {
	{ .name = "gpa", .type = ARG_U64, .required = true, .help = "guest physical address" },
	{ .name = "data", .type = ARG_STRING, .required = true, .help = "hex bytes or @FILE" },
};
static const struct arg_spec setup_args[] = {
	RING_INDEX_ARG,
	{ .name = "size", .type = ARG_U32, .help = "entries (default 256)" },
	{ .name = "packed", .type = ARG_FLAG, .help = "packed layout (default: if RING_PACKED was negotiated)" },
	VERBOSE_ARG,
};
static const struct arg_spec verbose_args[] = { VERBOSE_ARG };
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
static const struct arg_spec start_args[] = {
	{ .name = "features", .type = ARG_FEATURES, .key_only = true, .help = "features to ack (default: offered and drivable)" },
	{ .name = "queues", .type = ARG_U32, .key_only = true, .help = "rings to set up (default: the device's, fs: every queue the back-end reports)" },
	{ .name = "size", .type = ARG_U32, .key_only = true, .max = VRING_SIZE_MAX, .help = "ring size (default 256)" },
	{ .name = "packed", .type = ARG_FLAG, .help = "negotiate and use packed rings" },
	VERBOSE_ARG,
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct cmd_def defs[] = {
	{ "mem read", GROUP_MEMORY, gpa_len_args, N(gpa_len_args), "read guest memory", NULL, "mem read 0x0 64", NULL, cmd_mem_read, NULL, NULL },
	{ "mem write", GROUP_MEMORY, gpa_data_args, N(gpa_data_args), "write guest memory", NULL, "mem write 0x1000 deadbeef", NULL, cmd_mem_write, NULL, NULL },
	{ "start", GROUP_RINGS, start_args, N(start_args), "bring the device up the way QEMU does",
	  "Negotiates features (the back-end's offer and what vhuctl can drive), sends the memory\n"
	  "table (adding 4M of memory if there is none), sets up and enables every ring, and\n"
	  "sets DRIVER_OK when STATUS is offered. Stops at the first failing step.",
	  "start queues=2", "docs/interop/vhost-user.rst, \"Starting and stopping rings\"", cmd_start, NULL, NULL },
	{ "stop", GROUP_RINGS, verbose_args, N(verbose_args), "disable every ring and collect GET_VRING_BASE", NULL, "stop", NULL, cmd_stop, NULL, NULL },
	{ "vring setup", GROUP_RINGS, setup_args, N(setup_args), "lay out a ring in guest memory and hand it over",
	  "Sends SET_VRING_NUM, SET_VRING_BASE, SET_VRING_ADDR, SET_VRING_KICK and SET_VRING_CALL\n"
	  "with fresh eventfds, and SET_VRING_ENABLE when protocol features were negotiated.",
	  "vring setup 0 size=128", NULL, cmd_vring_setup, NULL, NULL },
	{ "vring post", GROUP_RINGS, post_args, N(post_args), "make a descriptor chain available",
	  "The ring is the one vhuctl last told the back-end about: laid out by 'start' or\n"
	  "'vring setup', or set up by hand with set-vring-num, set-vring-base and\n"
	  "set-vring-addr (any layout inside vhuctl's memory; vhuctl drives it from what\n"
	  "it sent). The same holds for vring used, vring dump, blk and net.",
	  "vring post 0 out=0000000000000000 in=512 in=1", NULL, cmd_vring_post, NULL, NULL },
	{ "vring kick", GROUP_RINGS, index_args, N(index_args), "signal the ring's kick eventfd", NULL, "vring kick 0", NULL, cmd_vring_kick, NULL, NULL },
	{ "vring wait", GROUP_RINGS, wait_args, N(wait_args), "wait for the ring's call eventfd", NULL, "vring wait 0 timeout=1000", NULL, cmd_vring_wait, NULL,
	  cmd_timeout_budget },
	{ "vring used", GROUP_RINGS, used_args, N(used_args), "collect used entries and their data",
	  "With 'wait', waits (bounded) for at least one entry first.", "vring used 0 wait", NULL, cmd_vring_used, NULL,
	  cmd_timeout_budget },
	{ "vring dump", GROUP_RINGS, dump_args, N(dump_args), "decode the whole ring as it is in memory",
	  "Every field is read once and checked; loops, bad indexes, nested indirect tables and\n"
	  "addresses outside memory are reported under \"anomalies\".", "vring dump 0 count=8", NULL, cmd_vring_dump, NULL, NULL },
};

const struct cmd_def *cmd_vring_defs(unsigned *n)
{
	*n = N(defs);
	return defs;
}
