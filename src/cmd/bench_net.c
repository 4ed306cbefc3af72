/* bench_net.c - bench net: frames on the transmit ring in bursts, receive buffers kept posted, round trips timed. */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/backend.h"
#include "cmd/bench.h"
#include "cmd/rings.h"
#include "core/jb.h"

#define RX 0
#define TX 1
#define RX_BUF 2048
#define NET_MAGIC 0x56485542u		/* "VHUB" */
#define ETHERTYPE 0x88b5		/* IEEE 802 local experimental */
#define DRAIN_NS 200000000LL		/* frames still on their way back when sending stops */
#define SPIN_NS 100000LL		/* how long a wait looks at the rings before it sleeps */
#define TAG_BASE 0x10000u		/* our chains' tags: TAG_BASE + buffer; others are not ours */

struct nbuf {
	uint64_t gpa;
	uint8_t *p;
	bool busy;
};

struct net_bench {
	struct cmd_ctx *ctx;
	struct session *s;
	struct vring *tx, *rx;
	uint32_t hl, size, burst;
	uint64_t count;
	int64_t limit_ns, t0, t_end;
	bool want_rx, poll;
	struct nbuf *txb, *rxb;
	unsigned ntx, nrx;
	unsigned *txfree, ntxfree;
	struct hist *h;
	uint64_t sent, tx_done, received, foreign, bytes_rx, kicks, calls, waits, seq;
	uint64_t tx_first_ns, tx_last_ns, rx_first_ns, rx_last_ns;
	bool interrupted;
};

static void put16be(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

static void put_le64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);	/* one store, not eight */
}

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The frame of a transmit buffer: virtio-net header (zero), Ethernet
 * header, magic, sequence number, send time; the rest zero. */
static void frame_init(struct net_bench *b, uint8_t *p)
{
	static const uint8_t dst[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x57 };
	static const uint8_t src[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	uint8_t *f = p + b->hl;

	memset(p, 0, b->hl + b->size);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	put16be(f + 12, ETHERTYPE);
	f[14] = NET_MAGIC & 0xff;
	f[15] = NET_MAGIC >> 8 & 0xff;
	f[16] = NET_MAGIC >> 16 & 0xff;
	f[17] = NET_MAGIC >> 24;
}

static int tx_post(struct net_bench *b, int64_t now)
{
	struct session *s = b->s;
	unsigned k = b->txfree[--b->ntxfree];
	struct nbuf *t = &b->txb[k];
	struct vring_seg seg = { .gpa = t->gpa, .len = b->hl + b->size };
	uint8_t *f = t->p + b->hl;
	uint16_t head;
	int r;

	/* Stamped when frames come back to be matched and timed; with rx=off
	 * none does, and a frame left as it was costs its sender no store into
	 * a line the device has just read. */
	if (b->want_rx) {
		put_le64(f + 18, ++b->seq);
		put_le64(f + 26, (uint64_t)now);
	}
	if ((r = vring_post_bufs(b->tx, &s->mem, &seg, 1, &head, &b->ctx->err)) < 0) {
		b->ntxfree++;
		return r;
	}
	vring_set_tag(b->tx, head, TAG_BASE + k);
	t->busy = true;
	b->sent++;
	if (!b->tx_first_ns)
		b->tx_first_ns = (uint64_t)now;
	b->tx_last_ns = (uint64_t)now;
	return 0;
}

static int rx_post(struct net_bench *b, unsigned k)
{
	struct vring_seg seg = { .gpa = b->rxb[k].gpa, .len = RX_BUF, .write = true };
	uint16_t head;
	int r;

	if ((r = vring_post_bufs(b->rx, &b->s->mem, &seg, 1, &head, &b->ctx->err)) < 0)
		return r;
	vring_set_tag(b->rx, head, TAG_BASE + k);
	b->rxb[k].busy = true;
	return 0;
}

/* Transmit buffers the device is done with: free again. */
static int tx_reap(struct net_bench *b)
{
	struct vring_used u;
	int r, got = 0;

	while ((r = vring_get_used(b->tx, &b->s->mem, &u, &b->ctx->err)) == 1) {
		uint32_t k = u.chain->tag - TAG_BASE;

		if (u.chain->tag < TAG_BASE || k >= b->ntx || !b->txb[k].busy)
			return vhu_errf(&b->ctx->err, EPROTO, "ring %u: used entry for descriptor %u, which bench net did not post",
					TX, u.id);
		vring_release(b->tx, &b->s->mem, u.id);
		b->txb[k].busy = false;
		b->txfree[b->ntxfree++] = k;
		b->tx_done++;
		got++;
	}
	return r < 0 ? r : got;
}

/* Frames received: counted, timed when they are ours; the buffer goes back. */
static int rx_reap(struct net_bench *b, int64_t *now)
{
	struct session *s = b->s;
	struct vring_used u;
	uint16_t old = b->rx->avail_idx;
	int r, got = 0;

	vring_hold(b->rx, &s->mem, true);
	while ((r = vring_get_used(b->rx, &s->mem, &u, &b->ctx->err)) == 1) {
		uint32_t k = u.chain->tag - TAG_BASE;
		const uint8_t *f;
		uint32_t len;

		if (u.chain->tag < TAG_BASE || k >= b->nrx || !b->rxb[k].busy) {
			/* a receive buffer posted before the run (net recv, an earlier run): the ring's to free */
			vring_release(b->rx, &s->mem, u.id);
			b->foreign++;
			continue;
		}
		vring_release(b->rx, &s->mem, u.id);
		b->rxb[k].busy = false;
		len = u.len > RX_BUF ? RX_BUF : u.len;
		f = b->rxb[k].p + b->hl;
		*now = wire_now_ns();
		if (len >= b->hl + 34 && get_le(f + 14, 4) == NET_MAGIC && get_le(f + 18, 8) <= b->seq) {
			int64_t sent = (int64_t)get_le(f + 26, 8);

			b->received++;
			b->bytes_rx += len - b->hl;
			if (sent > 0 && sent <= *now)
				hist_add(b->h, (uint64_t)(*now - sent));
			if (!b->rx_first_ns)
				b->rx_first_ns = (uint64_t)*now;
			b->rx_last_ns = (uint64_t)*now;
		} else {
			b->foreign++;	/* not one of ours: counted apart */
		}
		if ((r = rx_post(b, k)) < 0)
			break;
		got++;
	}
	vring_hold(b->rx, &s->mem, false);
	if (r < 0)
		return r;
	if (b->rx->avail_idx != old && vring_need_kick(b->rx, &s->mem, old)) {
		if ((r = cmd_kick(b->ctx, b->rx)) < 0)
			return r;
		b->kicks++;
	}
	return got;
}

static bool sending(struct net_bench *b, int64_t now)
{
	if (b->interrupted)
		return false;
	if (b->count && b->sent >= b->count)
		return false;
	return !(b->limit_ns && now - b->t0 >= b->limit_ns);
}

/* Wait on the calls of both rings, at most until UNTIL; -errno when the
 * back-end went. */
static int wait_calls(struct net_bench *b, int64_t until)
{
	struct session *s = b->s;
	struct pollfd pf[3];
	unsigned n = 0;
	int64_t left = until - wire_now_ns();
	uint64_t cnt;
	int r;

	/* A device that polls its rings takes a burst within microseconds: a
	 * short spin first spares a sleep and the wake-up after it. */
	for (int64_t spin_end = wire_now_ns() + SPIN_NS;;) {
		if (vring_has_used(b->tx, &s->mem) || (b->want_rx && vring_has_used(b->rx, &s->mem)))
			return 0;
		if (wire_now_ns() >= spin_end)
			break;
	}
	if (left <= 0)
		return 0;
	if (s->ring[TX].call >= 0)
		pf[n++] = (struct pollfd){ .fd = s->ring[TX].call, .events = POLLIN };
	if (s->ring[RX].call >= 0)
		pf[n++] = (struct pollfd){ .fd = s->ring[RX].call, .events = POLLIN };
	pf[n++] = (struct pollfd){ .fd = s->conn.fd, .events = POLLIN };
	b->waits++;
	r = poll(pf, n, left > 10000000 ? 10 : (int)(left / 1000000) + 1);
	if (r < 0 && errno != EINTR)
		return vhu_errf(&b->ctx->err, errno, "poll: %s", strerror(errno));
	for (unsigned i = 0; r > 0 && i + 1 < n; i++)
		if ((pf[i].revents & POLLIN) && read(pf[i].fd, &cnt, 8) == 8)
			b->calls++;
	if (r > 0 && pf[n - 1].revents) {
		if (pf[n - 1].revents & (POLLHUP | POLLERR) || !conn_connected(&s->conn))
			return vhu_errf(&b->ctx->err, ECONNRESET, "the back-end closed the connection");
		backend_flush(s);
	}
	return 0;
}

static int run(struct net_bench *b)
{
	struct session *s = b->s;
	int64_t now = wire_now_ns(), last_t = now, stall_since = now, drain_end = 0;
	uint64_t last_sent = 0;
	int r = 0;

	for (;;) {
		int progressed = 0;
		bool more;

		if (wire_cancel && !b->interrupted) {
			b->interrupted = true;
			wire_cancel = 0;	/* what is on its way back is still collected */
		}
		more = sending(b, now);
		if (more && b->ntxfree) {
			uint16_t old = b->tx->avail_idx;

			vring_hold(b->tx, &s->mem, true);	/* the burst is published at once */
			for (uint32_t i = 0; i < b->burst && b->ntxfree && sending(b, now) && r >= 0; i++)
				r = tx_post(b, now);
			vring_hold(b->tx, &s->mem, false);
			if (r < 0)
				return r;
			if (b->tx->avail_idx != old && vring_need_kick(b->tx, &s->mem, old)) {
				if ((r = cmd_kick(b->ctx, b->tx)) < 0)
					return r;
				b->kicks++;
			}
			progressed = 1;
		}
		if ((r = tx_reap(b)) < 0)
			return r;
		progressed |= r > 0;
		if (b->rx && (r = rx_reap(b, &now)) < 0)
			return r;
		progressed |= b->rx && r > 0;
		now = wire_now_ns();
		if (!more) {
			if (!b->t_end)
				b->t_end = now;
			/* every frame given back, and (rx) every frame back or the drain over */
			if (!drain_end)
				drain_end = now + DRAIN_NS;
			if (b->tx_done == b->sent && (!b->want_rx || b->received >= b->sent || now >= drain_end))
				return 0;
			if (now >= drain_end + (int64_t)s->conn.timeout_ms * 1000000)
				return vhu_errf(&b->ctx->err, ETIMEDOUT, "the back-end did not give back %" PRIu64
						" transmit buffers within %d ms", b->sent - b->tx_done, s->conn.timeout_ms);
		}
		if (progressed) {
			stall_since = now;
		} else if (now - stall_since > (int64_t)s->conn.timeout_ms * 1000000 && b->ntxfree == 0) {
			return vhu_errf(&b->ctx->err, ETIMEDOUT, "the back-end took no frame within %d ms (the transmit ring is full)",
					s->conn.timeout_ms);
		} else if (!b->poll && (!more || b->ntxfree == 0)) {
			if ((r = wait_calls(b, more ? now + 10000000 : drain_end)) < 0)
				return r;
			now = wire_now_ns();
		} else if ((r = bench_peer_gone(b->ctx)) < 0) {
			return r;
		}
		if (now - last_t >= 1000000000LL) {
			double dt = (now - last_t) / 1e9;

			bench_progress(s, "bench net: %.0f s, %.0f pps sent, %" PRIu64 " received, p50 %.1f us",
				       (now - b->t0) / 1e9, (b->sent - last_sent) / dt, b->received, hist_pct(b->h, 50) / 1e3);
			last_sent = b->sent;
			last_t = now;
		}
	}
}

static int setup(struct net_bench *b)
{
	struct cmd_ctx *ctx = b->ctx;
	struct session *s = b->s;
	int r;

	b->size = (uint32_t)args_u(&ctx->args, "size", 64);
	b->burst = (uint32_t)args_u(&ctx->args, "burst", 32);
	b->want_rx = args_u(&ctx->args, "rx", 1);
	b->poll = args_get(&ctx->args, "poll")->set;
	if (b->size < 60 || b->size > 1514)
		return ctx->bad_tok = (int)args_get(&ctx->args, "size")->tok,
		       vhu_errf(&ctx->err, ERANGE, "size is 60..1514 bytes (an Ethernet frame without its FCS)");
	if (b->burst == 0)
		return vhu_errf(&ctx->err, ERANGE, "burst is at least 1");
	if ((r = bench_limits(ctx, 5000000000LL, &b->limit_ns, &b->count)) < 0)
		return r;
	if ((r = cmd_need_conn(ctx)) < 0)
		return r;
	if ((r = bench_bring_up(ctx, 2, 256, 2 * 256 * (RX_BUF + 64))) < 0)
		return r;
	if (!(b->tx = cmd_ring(ctx, TX)))
		return -ctx->err.code;
	if (b->want_rx && !(b->rx = cmd_ring(ctx, RX)))
		return -ctx->err.code;
	if (vring_in_flight(b->tx))
		return vhu_errf(&ctx->err, EBUSY, "ring %u has %u chains in flight: bench net wants it to itself",
				TX, vring_in_flight(b->tx));
	b->hl = cmd_acked(s, F_VERSION_1) || cmd_acked(s, 15) ? 12 : 10;
	b->ntx = b->tx->nfree;
	b->nrx = b->rx ? b->rx->nfree : 0;
	b->txb = calloc(b->ntx, sizeof(*b->txb));
	b->txfree = calloc(b->ntx, sizeof(*b->txfree));
	b->rxb = calloc(b->nrx ? b->nrx : 1, sizeof(*b->rxb));
	b->h = malloc(sizeof(*b->h));
	if (!b->txb || !b->txfree || !b->rxb || !b->h)
		return vhu_errf(&ctx->err, ENOMEM, "out of memory");
	hist_init(b->h);
	for (unsigned k = 0; k < b->ntx + b->nrx; k++) {
		bool is_tx = k < b->ntx;
		struct nbuf *nb = is_tx ? &b->txb[k] : &b->rxb[k - b->ntx];
		uint32_t len = is_tx ? b->hl + b->size : RX_BUF;

		if (mem_alloc(&s->mem, len, 64, &nb->gpa) < 0)
			return vhu_errf(&ctx->err, ENOMEM, "no room in guest memory for %u frame buffers: add memory before "
					"start (mem add 16M)", b->ntx + b->nrx);
		if (!(nb->p = mem_gpa_ptr(&s->mem, nb->gpa, len)))
			return vhu_errf(&ctx->err, EFAULT, "guest memory moved under bench net");
		if (is_tx) {
			frame_init(b, nb->p);
			b->txfree[b->ntxfree++] = b->ntx - 1 - k;
		}
	}
	for (unsigned k = 0; k < b->nrx; k++)
		if ((r = rx_post(b, k)) < 0)
			return r;
	if (b->rx && (r = cmd_kick(ctx, b->rx)) < 0)
		return r;
	return 0;
}

/* Free the run's books, and the buffers the device no longer holds; those
 * it holds (receive buffers kept posted, frames not given back after a
 * failure) become the ring's, freed when their used entries are collected
 * (net recv takes the receive buffers as its own). */
/* The N buffers of LEN bytes of a pool on VR: freed, or handed to the ring
 * (marked TAG) while the device holds them. */
static void pool_give_back(struct session *s, struct vring *vr, struct nbuf *nb, unsigned n, uint32_t len, uint32_t tag)
{
	for (unsigned k = 0; nb && k < n; k++) {
		if (!nb[k].busy) {
			if (nb[k].p)
				mem_release(&s->mem, nb[k].gpa, len);
			continue;
		}
		for (uint16_t id = 0; id < vr->size; id++)
			if (vr->chains[id].busy && vr->chains[id].tag == TAG_BASE + k) {
				vring_give_bufs(vr, id);
				vring_set_tag(vr, id, tag);
			}
	}
}

static void give_back(struct net_bench *b)
{
	pool_give_back(b->s, b->rx, b->rxb, b->nrx, RX_BUF, TAG_NET_RX);
	pool_give_back(b->s, b->tx, b->txb, b->ntx, b->hl + b->size, TAG_NET_TX);
	free(b->txb);
	free(b->txfree);
	free(b->rxb);
	free(b->h);
}

static void report(struct net_bench *b)
{
	struct json_object *o = b->ctx->out;
	int64_t end = b->t_end ? b->t_end : wire_now_ns();
	double secs = (end - b->t0) / 1e9;
	double rx_secs = b->rx_last_ns > b->rx_first_ns ? (b->rx_last_ns - b->rx_first_ns) / 1e9 : secs;

	jb_add(o, "size", json_object_new_int((int)b->size));
	jb_add(o, "burst", json_object_new_int((int)b->burst));
	jb_add(o, "poll", json_object_new_boolean(b->poll));
	jb_add(o, "sent", json_object_new_int64((int64_t)b->sent));
	jb_add(o, "tx_done", json_object_new_int64((int64_t)b->tx_done));
	jb_add(o, "elapsed_s", bench_num(secs, 6));
	jb_add(o, "tx_pps", json_object_new_int64(secs > 0 ? (int64_t)(b->sent / secs) : 0));
	jb_add(o, "tx_mb_s", bench_num(secs > 0 ? b->sent * b->size / secs / 1e6 : 0, 2));
	if (b->want_rx) {
		jb_add(o, "received", json_object_new_int64((int64_t)b->received));
		jb_add(o, "lost", json_object_new_int64(b->sent > b->received ? (int64_t)(b->sent - b->received) : 0));
		jb_add(o, "rx_pps", json_object_new_int64(rx_secs > 0 ? (int64_t)(b->received / rx_secs) : 0));
		jb_add(o, "rx_mb_s", bench_num(rx_secs > 0 ? b->bytes_rx / rx_secs / 1e6 : 0, 2));
		jb_add(o, "foreign", json_object_new_int64((int64_t)b->foreign));
	}
	bench_end(o, b->want_rx ? b->h : NULL, b->kicks, b->calls, b->interrupted);
}

int cmd_bench_net(struct cmd_ctx *ctx)
{
	struct net_bench b = { .ctx = ctx, .s = ctx->s };
	int r;

	if ((r = setup(&b)) == 0) {
		vring_set_interrupts(b.tx, &ctx->s->mem, !b.poll);
		if (b.rx)
			vring_set_interrupts(b.rx, &ctx->s->mem, !b.poll);
		b.t0 = wire_now_ns();
		r = run(&b);
		report(&b);
		bench_progress_done(ctx->s);
		vring_set_interrupts(b.tx, &ctx->s->mem, true);
		if (b.rx)
			vring_set_interrupts(b.rx, &ctx->s->mem, true);
	}
	give_back(&b);
	return r;
}
