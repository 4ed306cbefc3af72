/* cmd_dev.c - the devices on top of the rings: blk requests and net frames. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/rings.h"
#include "core/jb.h"

/* --- blk ------------------------------------------------------------------ */

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8

static const char *blk_status(uint8_t s)
{
	static const char *const n[] = { "OK", "IOERR", "UNSUPP" };

	return s < 3 ? n[s] : "invalid";
}

/* One request on ring 0: header, optional data, status byte. */
static int blk_request(struct cmd_ctx *ctx, uint32_t type, uint64_t sector,
		       const uint8_t *out, uint32_t out_len, uint32_t in_len)
{
	struct session *s = ctx->s;
	struct vring *vr;
	struct vring_seg segs[3];
	const uint8_t *data[3] = { 0 };
	uint8_t hdr[16];
	struct vring_used u;
	unsigned n = 0;
	uint16_t head, old;
	int64_t t0;
	int r;

	if (cmd_need_conn(ctx) < 0)
		return -ENOTCONN;
	if (!(vr = cmd_ring(ctx, 0)))
		return -ctx->err.code;
	memset(hdr, 0, sizeof(hdr));
	for (int i = 0; i < 4; i++)
		hdr[i] = (uint8_t)(type >> (8 * i));
	for (int i = 0; i < 8; i++)
		hdr[8 + i] = (uint8_t)(sector >> (8 * i));
	segs[n] = (struct vring_seg){ .len = 16 };
	data[n++] = hdr;
	if (out_len) {
		segs[n] = (struct vring_seg){ .len = out_len };
		data[n++] = out;
	}
	if (in_len)
		segs[n++] = (struct vring_seg){ .len = in_len, .write = true };
	segs[n++] = (struct vring_seg){ .len = 1, .write = true };
	old = vr->avail_idx;
	t0 = wire_now_ns();
	r = vring_post(vr, &s->mem, segs, data, n, false, &head, &ctx->err);
	if (r < 0)
		return r;
	if (vring_need_kick(vr, &s->mem, old) && (r = cmd_kick(ctx, vr)) < 0)
		return r;
	/* The device completes in its own order: an entry for another chain
	 * (one posted by hand, or a request that timed out) is that chain's. */
	while ((r = cmd_wait_used(ctx, vr, s->conn.timeout_ms, &u)) == 1 && u.id != head)
		cmd_other_used(ctx, vr, &u);
	if (r < 1)	/* (0 only when a wait of 0 ms was asked for) */
		return r < 0 ? r : vhu_errf(&ctx->err, ETIMEDOUT, "no used entry on ring 0");
	jb_add(ctx->out, "rtt_us", jb_us(wire_now_ns() - t0));
	jb_add(ctx->out, vr->packed ? "id" : "head", json_object_new_int(head));
	jb_add(ctx->out, "used_len", json_object_new_int64(u.len));
	/* Our own record of the buffers (vring_post filled their addresses). */
	jb_add(ctx->out, "buffers", cmd_segs_json(segs, n));
	{
		const uint8_t *sp = mem_gpa_ptr(&s->mem, segs[n - 1].gpa, 1);
		uint8_t status = sp ? *sp : 0xff;

		jb_add(ctx->out, "status", json_object_new_string(blk_status(status)));
		jb_add(ctx->out, "status_value", json_object_new_int(status));
		if (in_len) {
			const struct vring_seg *d = &segs[n - 2];
			const uint8_t *dp = mem_gpa_ptr(&s->mem, d->gpa, d->len);

			if (dp)
				jb_add(ctx->out, "data", cmd_data_json(dp, d->len));
		}
		r = status == 0 ? 0 : vhu_errf(&ctx->err, EIO, "back-end answered %s (%u)", blk_status(status), status);
	}
	vring_release(vr, &s->mem, head);
	return r;
}

static int cmd_blk_read(struct cmd_ctx *ctx)
{
	uint64_t sector = args_u(&ctx->args, "sector", 0), count = args_u(&ctx->args, "count", 1);

	if (count == 0 || count > MEM_IO_MAX / 512)
		return ctx->bad_tok = (int)args_get(&ctx->args, "count")->tok,
		       vhu_errf(&ctx->err, ERANGE, "count is 1..%u sectors", MEM_IO_MAX / 512);
	jb_add(ctx->out, "sector", json_object_new_int64((int64_t)sector));
	return blk_request(ctx, VIRTIO_BLK_T_IN, sector, NULL, 0, (uint32_t)(count * 512));
}

static int cmd_blk_write(struct cmd_ctx *ctx)
{
	const struct arg_val *d = args_get(&ctx->args, "data");
	uint64_t sector = args_u(&ctx->args, "sector", 0);
	uint8_t *b;
	uint32_t len;
	int r = cmd_load_bytes(ctx, d->str, d->tok, &b, &len);

	if (r < 0)
		return r;
	jb_add(ctx->out, "sector", json_object_new_int64((int64_t)sector));
	jb_add(ctx->out, "bytes", json_object_new_int64(len));
	r = blk_request(ctx, VIRTIO_BLK_T_OUT, sector, b, len, 0);
	free(b);
	if (r == -EIO && len % 512)	/* the usual reason, worth saying */
		vhu_errf(&ctx->err, EIO, "back-end answered IOERR: %u bytes is not a whole number of 512-byte sectors", len);
	return r;
}

static int cmd_blk_flush(struct cmd_ctx *ctx)
{
	return blk_request(ctx, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, 0);
}

static int cmd_blk_id(struct cmd_ctx *ctx)
{
	int r = blk_request(ctx, VIRTIO_BLK_T_GET_ID, 0, NULL, 0, 20);
	struct json_object *d;

	if (json_object_object_get_ex(ctx->out, "data", &d) && json_object_object_get_ex(d, "text", &d))
		jb_add(ctx->out, "device_id", json_object_get(d));
	return r;
}

/* --- net ------------------------------------------------------------------ */

#define NET_RX 0
#define NET_TX 1
#define NET_RX_BUFS 16
#define NET_RX_BUF_LEN 2048

static uint32_t net_hdr_len(const struct session *s)
{
	/* virtio_net_hdr is 12 bytes with VERSION_1 or MRG_RXBUF, else 10 */
	return cmd_acked(s, F_VERSION_1) || cmd_acked(s, 15) ? 12 : 10;
}

/* Give back the frames the device has sent; an entry for a chain that is
 * not one (posted by hand) is shown, one the device should not have
 * written is the command's error. */
static int reclaim(struct cmd_ctx *ctx, struct vring *vr)
{
	struct vring_used u;
	int r;

	while ((r = vring_get_used(vr, &ctx->s->mem, &u, &ctx->err)) == 1) {
		if (u.chain->tag == TAG_NET_TX)
			vring_release(vr, &ctx->s->mem, u.id);
		else
			cmd_other_used(ctx, vr, &u);
	}
	return r;
}

/* Keep receive buffers posted, as a driver does, so that nothing the
 * back-end sends is dropped for want of a buffer. */
static int post_rx(struct cmd_ctx *ctx, struct vring *vr)
{
	struct session *s = ctx->s;
	uint16_t old = vr->avail_idx, head;
	int r;

	while (vring_in_flight(vr) < NET_RX_BUFS && vr->nfree) {
		struct vring_seg seg = { .len = NET_RX_BUF_LEN, .write = true };

		if ((r = vring_post(vr, &s->mem, &seg, NULL, 1, false, &head, &ctx->err)) < 0)
			return r;
		vring_set_tag(vr, head, TAG_NET_RX);
	}
	if (vr->avail_idx != old && vring_need_kick(vr, &s->mem, old))
		return cmd_kick(ctx, vr);
	return 0;
}

static int cmd_net_send(struct cmd_ctx *ctx)
{
	const struct arg_val *d = args_get(&ctx->args, "frame");
	struct session *s = ctx->s;
	struct vring *vr, *rx;
	uint32_t hl = net_hdr_len(s), len;
	struct vring_seg seg;
	const uint8_t *data[1];
	uint8_t *frame, *buf;
	uint16_t head, old;
	int r;

	if (cmd_need_conn(ctx) < 0)
		return -ENOTCONN;
	if (!(vr = cmd_ring(ctx, NET_TX)))
		return -ctx->err.code;
	/* Receive buffers first, if there is a receive ring to post them on. */
	rx = cmd_ring(ctx, NET_RX);
	vhu_err_clear(&ctx->err);
	if (rx && (r = post_rx(ctx, rx)) < 0)
		return r;
	if ((r = reclaim(ctx, vr)) < 0)
		return r;
	r = cmd_load_bytes(ctx, d->str, d->tok, &frame, &len);
	if (r < 0)
		return r;
	buf = calloc(1, hl + len);
	if (!buf) {
		free(frame);
		return vhu_errf(&ctx->err, ENOMEM, "out of memory");
	}
	memcpy(buf + hl, frame, len);
	free(frame);
	seg = (struct vring_seg){ .len = hl + len };
	data[0] = buf;
	old = vr->avail_idx;
	r = vring_post(vr, &s->mem, &seg, data, 1, false, &head, &ctx->err);
	free(buf);
	if (r < 0)
		return r;
	vring_set_tag(vr, head, TAG_NET_TX);
	if (vring_need_kick(vr, &s->mem, old) && (r = cmd_kick(ctx, vr)) < 0)
		return r;
	s->last_tx_ns = wire_now_ns();
	jb_add(ctx->out, "vring", json_object_new_int(NET_TX));
	jb_add(ctx->out, vr->packed ? "id" : "head", json_object_new_int(head));
	jb_add(ctx->out, "hdr_len", json_object_new_int((int)hl));
	jb_add(ctx->out, "frame_len", json_object_new_int64(len));
	return 0;
}

/* A receive buffer the device filled, as a frame; the chain is given back. */
static struct json_object *rx_frame(struct session *s, struct vring *vr, const struct vring_used *u,
				    uint32_t hl)
{
	const struct vring_seg *sg = &u->chain->seg[0];	/* a receive buffer has one */
	const uint8_t *p = mem_gpa_ptr(&s->mem, sg->gpa, sg->len);
	struct json_object *f = json_object_new_object();
	uint32_t len = u->len > sg->len ? sg->len : u->len;

	jb_add(f, "used_len", json_object_new_int64(u->len));
	if (u->len > sg->len)
		jb_add(f, "anomaly", json_object_new_string("used length exceeds the buffer"));
	if (p && len >= hl) {
		jb_add(f, "hdr", jb_hexbytes(p, hl));
		jb_add(f, "len", json_object_new_int64(len - hl));
		jb_add(f, "hex", jb_hexbytes(p + hl, len - hl));
	}
	vring_release(vr, &s->mem, u->id);
	return f;
}

static int cmd_net_recv(struct cmd_ctx *ctx)
{
	struct session *s = ctx->s;
	struct vring *vr;
	int timeout;
	uint32_t hl = net_hdr_len(s);
	struct json_object *frames = json_object_new_array();
	struct vring_used u;
	int r;

	jb_add(ctx->out, "frames", frames);
	if (cmd_timeout_arg(ctx, &timeout) < 0)
		return -ERANGE;
	if (cmd_need_conn(ctx) < 0)
		return -ENOTCONN;
	if (!(vr = cmd_ring(ctx, NET_RX)))
		return -ctx->err.code;
	if ((r = post_rx(ctx, vr)) < 0)
		return r;
	/* Until a frame came, or the wait ends: entries for chains that are
	 * not receive buffers (posted by hand) are theirs, shown apart. */
	while (json_object_array_length(frames) == 0 && (r = cmd_wait_used(ctx, vr, timeout, &u)) == 1) {
		if (s->last_tx_ns) {
			/* from the last 'net send' to the first entry back */
			jb_add(ctx->out, "since_send_us", jb_us(wire_now_ns() - s->last_tx_ns));
			s->last_tx_ns = 0;
		}
		for (; r == 1; r = vring_get_used(vr, &s->mem, &u, &ctx->err)) {
			if (u.chain->tag == TAG_NET_RX)
				json_object_array_add(frames, rx_frame(s, vr, &u, hl));
			else
				cmd_other_used(ctx, vr, &u);
		}
		if (r < 0)
			return r;
	}
	return r < 0 ? r : 0;
}

/* --- table ---------------------------------------------------------------- */

static const struct arg_spec blk_read_args[] = {
	{ .name = "sector", .type = ARG_U64, .required = true, .help = "first 512-byte sector" },
	{ .name = "count", .type = ARG_U32, .help = "sectors (default 1)" },
};
static const struct arg_spec blk_write_args[] = {
	{ .name = "sector", .type = ARG_U64, .required = true, .help = "first 512-byte sector" },
	{ .name = "data", .type = ARG_STRING, .required = true, .help = "hex bytes or @FILE" },
};
static const struct arg_spec net_send_args[] = {
	{ .name = "frame", .type = ARG_STRING, .required = true, .help = "Ethernet frame: hex or @FILE" },
};
static const struct arg_spec net_recv_args[] = {
	TIMEOUT_ARG,
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct cmd_def defs[] = {
	{ "blk read", GROUP_RINGS, blk_read_args, N(blk_read_args), "read sectors (VIRTIO_BLK_T_IN)", NULL, "blk read 0 2", NULL, cmd_blk_read, NULL, NULL, NULL },
	{ "blk write", GROUP_RINGS, blk_write_args, N(blk_write_args), "write sectors (VIRTIO_BLK_T_OUT)", NULL, "blk write 0 @sector.bin", NULL, cmd_blk_write, NULL, NULL, NULL },
	{ "blk flush", GROUP_RINGS, NULL, 0, "flush (VIRTIO_BLK_T_FLUSH)", NULL, "blk flush", NULL, cmd_blk_flush, NULL, NULL, NULL },
	{ "blk id", GROUP_RINGS, NULL, 0, "the device's id string (VIRTIO_BLK_T_GET_ID)", NULL, "blk id", NULL, cmd_blk_id, NULL, NULL, NULL },
	{ "net send", GROUP_RINGS, net_send_args, N(net_send_args), "transmit a frame on ring 1", NULL,
	  "net send ffffffffffff525400123456080045000014000000004000000000000000", NULL, cmd_net_send, NULL, NULL, NULL },
	{ "net recv", GROUP_RINGS, net_recv_args, N(net_recv_args), "receive frames on ring 0", NULL, "net recv timeout=1000", NULL, cmd_net_recv, NULL,
	  cmd_timeout_budget, NULL },
};

const struct cmd_def *cmd_dev_defs(unsigned *n)
{
	*n = N(defs);
	return defs;
}
