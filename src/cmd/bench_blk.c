/* bench_blk.c - bench blk: virtio-blk requests at a queue depth on the session's rings, as fio drives a disk. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/backend.h"
#include "cmd/bench.h"
#include "cmd/rings.h"
#include "core/jb.h"

#define T_IN 0
#define T_OUT 1
#define VERIFY_MAGIC "VHUCTLv1"
#define VERIFY_HDR 24		/* magic, offset, seed */
#define VERIFY_BLOCKS_MAX (UINT64_C(1) << 24)

/* One request slot: its buffers, placed once, and what is in flight in it. */
struct slot {
	uint16_t q, head;
	bool busy, write;
	uint64_t off;			/* byte offset on the device */
	uint32_t seed;			/* verify: the pattern written */
	int64_t t0;
	uint8_t *hdr, *data, *status;
	struct vring_seg seg[3];
};

struct blk_bench {
	struct cmd_ctx *ctx;
	struct session *s;
	enum bench_rw rw;
	uint32_t bs, mixread;
	unsigned iodepth, queues;
	uint64_t size, nblocks, count;
	int64_t limit_ns;
	bool verify, poll, verify_phase;
	uint64_t rng, seq_next, verify_next;
	uint32_t write_seq;
	struct slot *slots;		/* queues * iodepth */
	unsigned inflight[SESSION_RINGS];
	unsigned *free_slot[SESSION_RINGS];	/* a stack of free slot indexes per queue */
	unsigned nfree[SESSION_RINGS];
	uint32_t *written;		/* verify: each block's last seed written, 0 none */
	uint8_t *busy_blk;		/* verify: a request on the block is in flight */
	struct hist *h;
	uint64_t issued, done, reads, writes, verified, verify_reads, kicks, waits, calls;
	int64_t t0;
	bool stop, interrupted;
	/* The queues this runner drives, [q0, q1): all of them, or (threads)
	 * one, in a thread of its own; then the session's socket and the
	 * signals are the main thread's, which tells a runner to end through
	 * HALT (HALT_CANCEL: a signal, HALT_GONE: the back-end went). */
	unsigned q0, q1;
	bool worker, threads;
	int *halt;
};

enum { HALT_NONE, HALT_CANCEL, HALT_GONE };

/* A signal asked the run to end (the main thread's flag, or what it passed on). */
static bool cancelled(const struct blk_bench *b)
{
	return b->worker ? __atomic_load_n(b->halt, __ATOMIC_RELAXED) == HALT_CANCEL : wire_cancel;
}

/* The back-end went, as the main thread saw (a runner in a thread does not read the socket). */
static int gone(struct blk_bench *b)
{
	if (b->worker && __atomic_load_n(b->halt, __ATOMIC_RELAXED) == HALT_GONE)
		return vhu_errf(&b->ctx->err, ECONNRESET, "the back-end closed the connection");
	return 0;
}

static uint64_t rng_next(uint64_t *x)
{
	/* xorshift64* */
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * UINT64_C(2685821657736338717);
}

/* The pattern of a verified block: a header, then bytes that follow from
 * the offset and the seed. */
static void pattern_fill(uint8_t *p, uint32_t len, uint64_t off, uint32_t seed)
{
	uint64_t x = (off ^ ((uint64_t)seed << 32)) | 1;

	memcpy(p, VERIFY_MAGIC, 8);
	for (int i = 0; i < 8; i++)
		p[8 + i] = (uint8_t)(off >> (8 * i));
	for (int i = 0; i < 8; i++)
		p[16 + i] = (uint8_t)((uint64_t)seed >> (8 * i));
	for (uint32_t i = VERIFY_HDR; i < len; i += 8) {
		uint64_t v = rng_next(&x);

		memcpy(p + i, &v, len - i < 8 ? len - i : 8);
	}
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Check a block read back; 0, or -EILSEQ with the error saying where it differs. */
static int pattern_check(struct blk_bench *b, const uint8_t *p, uint64_t off, uint32_t want_seed)
{
	struct vhu_err *e = &b->ctx->err;
	uint8_t *exp;
	uint64_t seed;
	uint32_t i;

	if (memcmp(p, VERIFY_MAGIC, 8) != 0)
		return vhu_errf(e, EILSEQ, "verify: sector %" PRIu64 " holds no pattern of vhuctl's "
				"(its first bytes are not \"" VERIFY_MAGIC "\"): write it with verify first", off / 512);
	if (le64(p + 8) != off)
		return vhu_errf(e, EILSEQ, "verify: sector %" PRIu64 " holds the block written for sector %" PRIu64,
				off / 512, le64(p + 8) / 512);
	seed = le64(p + 16);
	if (want_seed && seed != want_seed)
		return vhu_errf(e, EILSEQ, "verify: sector %" PRIu64 " holds write %" PRIu64 ", not the last one, %u",
				off / 512, seed, want_seed);
	if (!(exp = malloc(b->bs)))
		return vhu_errf(e, ENOMEM, "out of memory");
	pattern_fill(exp, b->bs, off, (uint32_t)seed);
	for (i = VERIFY_HDR; i < b->bs && p[i] == exp[i]; i++)
		;
	if (i < b->bs) {
		vhu_errf(e, EILSEQ, "verify: sector %" PRIu64 ", byte %u of the block: 0x%02x, expected 0x%02x",
			 off / 512 + i / 512, i, p[i], exp[i]);
		free(exp);
		return -EILSEQ;
	}
	free(exp);
	return 0;
}

static bool is_random(enum bench_rw rw)
{
	return rw == BENCH_RANDREAD || rw == BENCH_RANDWRITE || rw == BENCH_RANDRW;
}

/* The next request's direction and block. */
static void pick(struct blk_bench *b, bool *write, uint64_t *blk)
{
	uint64_t n;

	if (b->verify_phase) {
		*write = false;
		while (b->verify_next < b->nblocks && !b->written[b->verify_next])
			b->verify_next++;
		*blk = b->verify_next++;
		return;
	}
	switch (b->rw) {
	case BENCH_READ: case BENCH_RANDREAD: *write = false; break;
	case BENCH_WRITE: case BENCH_RANDWRITE: *write = true; break;
	default: *write = rng_next(&b->rng) % 100 >= b->mixread; break;
	}
	n = is_random(b->rw) ? rng_next(&b->rng) % b->nblocks : b->seq_next++ % b->nblocks;
	/* With verify, no two requests on one block at once: their order is the device's. */
	if (b->verify)
		for (uint64_t k = 0; k < b->nblocks && b->busy_blk[n]; k++)
			n = (n + 1) % b->nblocks;
	*blk = n;
}

/* Is there more to issue? */
static bool more(struct blk_bench *b, int64_t now)
{
	if (b->stop)
		return false;
	if (b->verify_phase) {
		while (b->verify_next < b->nblocks && !b->written[b->verify_next])
			b->verify_next++;
		return b->verify_next < b->nblocks;
	}
	if (b->count && b->issued >= b->count)
		return false;
	if (b->limit_ns && now - b->t0 >= b->limit_ns)
		return false;
	return true;
}

static int issue(struct blk_bench *b, unsigned q, int64_t now)
{
	struct session *s = b->s;
	struct vring *vr = s->vr[q];
	unsigned k = b->free_slot[q][--b->nfree[q]];
	struct slot *sl = &b->slots[k];
	uint64_t blk;
	bool write;
	int r;

	pick(b, &write, &blk);
	sl->write = write;
	sl->off = blk * b->bs;
	for (int i = 0; i < 4; i++)
		sl->hdr[i] = (uint8_t)((write ? T_OUT : T_IN) >> (8 * i));
	memset(sl->hdr + 4, 0, 4);
	for (int i = 0; i < 8; i++)
		sl->hdr[8 + i] = (uint8_t)((sl->off / 512) >> (8 * i));
	sl->seg[1].write = !write;
	*sl->status = 0xff;	/* the device must write it */
	if (b->verify) {
		b->busy_blk[blk] = 1;
		if (write) {
			sl->seed = ++b->write_seq ? b->write_seq : ++b->write_seq;
			pattern_fill(sl->data, b->bs, sl->off, sl->seed);
		}
	}
	r = vring_post_bufs(vr, &s->mem, sl->seg, 3, &sl->head, &b->ctx->err);
	if (r < 0) {
		b->nfree[q]++;
		return r;
	}
	vring_set_tag(vr, sl->head, k);
	sl->busy = true;
	sl->t0 = now;
	b->inflight[q]++;
	b->issued += !b->verify_phase;
	b->verify_reads += b->verify_phase;
	return 0;
}

static int complete(struct blk_bench *b, unsigned q, const struct vring_used *u, int64_t now)
{
	struct session *s = b->s;
	struct vring *vr = s->vr[q];
	uint32_t k = u->chain->tag;
	struct slot *sl;
	uint64_t blk;
	int r = 0;

	if (k >= b->queues * b->iodepth || !b->slots[k].busy || b->slots[k].q != q || b->slots[k].head != u->id)
		return vhu_errf(&b->ctx->err, EPROTO, "ring %u: used entry for descriptor %u, which bench blk did not post",
				q, u->id);
	sl = &b->slots[k];
	blk = sl->off / b->bs;
	vring_release(vr, &s->mem, u->id);
	sl->busy = false;
	b->free_slot[q][b->nfree[q]++] = k;
	b->inflight[q]--;
	hist_add(b->h, (uint64_t)(now - sl->t0));
	__atomic_store_n(&b->done, b->done + 1, __ATOMIC_RELAXED);	/* the main thread reads it (threads) */
	if (sl->write)
		b->writes++;
	else if (!b->verify_phase)	/* the read-back pass is counted apart (verify_reads) */
		b->reads++;
	if (*sl->status != 0)
		r = vhu_errf(&b->ctx->err, EIO, "%s of sector %" PRIu64 ": the back-end answered %s (status %u)",
			     sl->write ? "write" : "read", sl->off / 512,
			     *sl->status == 1 ? "IOERR" : *sl->status == 2 ? "UNSUPP" : "an invalid status", *sl->status);
	if (b->verify) {
		b->busy_blk[blk] = 0;
		if (r == 0 && sl->write) {
			b->written[blk] = sl->seed;
		} else if (r == 0) {
			r = pattern_check(b, sl->data, sl->off, b->written[blk]);
			b->verified += r == 0;
		}
	}
	return r;
}

/* Collect what the rings used; the number collected, or -errno. */
static int reap(struct blk_bench *b, int64_t *now)
{
	int got = 0, r;

	for (unsigned q = b->q0; q < b->q1; q++) {
		struct vring_used u;

		while (b->inflight[q] && (r = vring_get_used(b->s->vr[q], &b->s->mem, &u, &b->ctx->err)) != 0) {
			if (r < 0)
				return r;
			*now = wire_now_ns();
			if ((r = complete(b, q, &u, *now)) < 0)
				return r;
			got++;
		}
	}
	return got;
}

/* Wait for a call (or, polling, not at all): 0 when something may be
 * used, -errno when the wait ends with nothing and requests in flight. */
static int wait_calls(struct blk_bench *b, int64_t *last_progress)
{
	struct session *s = b->s;
	struct pollfd pf[SESSION_RINGS + 1];
	unsigned n = 0;
	int64_t now = wire_now_ns(), until = now + (int64_t)s->conn.timeout_ms * 1000000, step_end;
	uint64_t cnt;

	for (unsigned q = b->q0; q < b->q1; q++)
		if (s->ring[q].call >= 0)
			pf[n++] = (struct pollfd){ .fd = s->ring[q].call, .events = POLLIN };
	/* the socket, last: the main thread's when runners are threads */
	pf[n++] = (struct pollfd){ .fd = b->worker ? -1 : s->conn.fd, .events = POLLIN };
	for (;;) {
		int r;

		/* a back-end that does not signal is still seen */
		for (unsigned q = b->q0; q < b->q1; q++)
			if (b->inflight[q] && vring_has_used(s->vr[q], &s->mem))
				return 0;
		if (!b->stop && cancelled(b))
			return -ECANCELED;
		if ((r = gone(b)) < 0)
			return r;
		now = wire_now_ns();
		if (now >= until) {
			unsigned in = 0;

			for (unsigned q = b->q0; q < b->q1; q++)
				in += b->inflight[q];
			return vhu_errf(&b->ctx->err, ETIMEDOUT, "no request completed within %d ms (%u in flight)",
					s->conn.timeout_ms, in);
		}
		if (now - *last_progress >= 1000000000LL)
			return 0;	/* the caller prints the progress line */
		step_end = until - now < 10000000 ? until - now : 10000000;
		b->waits++;
		r = poll(pf, n, (int)(step_end / 1000000) + 1);
		if (r < 0 && errno != EINTR)
			return vhu_errf(&b->ctx->err, errno, "poll: %s", strerror(errno));
		for (unsigned i = 0; r > 0 && i + 1 < n; i++)
			if (pf[i].revents & POLLIN) {
				if (read(pf[i].fd, &cnt, 8) == 8)
					b->calls++;
			}
		if (r > 0 && pf[n - 1].revents) {
			/* the back-end spoke or hung up: its channel's requests, or the end */
			if (pf[n - 1].revents & (POLLHUP | POLLERR) || !conn_connected(&s->conn))
				return vhu_errf(&b->ctx->err, ECONNRESET, "the back-end closed the connection");
			backend_flush(s);
		}
		if (r == 0 && !b->worker)
			backend_flush(s);
	}
}

static void progress(struct blk_bench *b, int64_t now, uint64_t *last_done, int64_t *last_t)
{
	double dt = (now - *last_t) / 1e9;
	double iops = dt > 0 ? (b->done - *last_done) / dt : 0;

	bench_progress(b->s, "bench blk: %.0f s, %.0f IOPS, %.1f MB/s, p99 %.1f us, %" PRIu64 " done%s",
		       (now - b->t0) / 1e9, iops, iops * b->bs / 1e6, hist_pct(b->h, 99) / 1e3, b->done,
		       b->verify_phase ? " (verifying)" : "");
	*last_done = b->done;
	*last_t = now;
}

/* The run ends on error R (the back-end went): what it used before it
 * went is still counted. */
static int last_reap(struct blk_bench *b, int r)
{
	struct vhu_err keep = b->ctx->err;
	int64_t now;

	(void)reap(b, &now);
	b->ctx->err = keep;	/* the first error is the one to tell */
	return r;
}

/* Keep every queue full, collect, wait: until there is no more to issue
 * and nothing in flight. */
static int run(struct blk_bench *b)
{
	struct session *s = b->s;
	int64_t now = wire_now_ns(), last_t = now, last_done_t = now;
	uint64_t last_done = 0;
	unsigned spins = 0;
	int r;

	for (;;) {
		unsigned in = 0;

		if (!b->stop && cancelled(b))
			b->stop = b->interrupted = true;
		for (unsigned q = b->q0; q < b->q1; q++) {
			struct vring *vr = s->vr[q];
			uint16_t old = vr->avail_idx;

			vring_hold(vr, &s->mem, true);	/* what is issued here is published at once */
			r = 0;
			while (b->inflight[q] < b->iodepth && more(b, now) && r >= 0)
				r = issue(b, q, now);
			vring_hold(vr, &s->mem, false);
			if (r < 0)
				return r;
			if (vr->avail_idx != old && vring_need_kick(vr, &s->mem, old)) {
				if ((r = cmd_kick(b->ctx, vr)) < 0)
					return r;
				b->kicks++;
			}
			in += b->inflight[q];
		}
		if (in == 0) {
			if (b->verify && !b->verify_phase && !b->stop &&
			    (b->rw == BENCH_WRITE || b->rw == BENCH_RANDWRITE)) {
				b->verify_phase = true;	/* read back every block written */
				continue;
			}
			return 0;
		}
		if ((r = reap(b, &now)) < 0)
			return r;
		if (r > 0)
			last_done_t = now;
		if (r == 0) {
			if (b->poll) {
				if (++spins % 1024 != 0)
					continue;
				now = wire_now_ns();
				if (!b->stop && cancelled(b))
					b->stop = b->interrupted = true;
				if ((r = b->worker ? gone(b) : bench_peer_gone(b->ctx)) < 0)
					return last_reap(b, r);
				if (now - last_done_t > (int64_t)s->conn.timeout_ms * 1000000)
					return vhu_errf(&b->ctx->err, ETIMEDOUT, "no request completed within %d ms (%u in flight)",
							s->conn.timeout_ms, in);
			} else {
				r = wait_calls(b, &last_t);
				if (r == -ECANCELED) {
					b->stop = b->interrupted = true;
					/* what is in flight is still collected, within the timeout */
					if (!b->worker)
						wire_cancel = 0;
				} else if (r < 0) {
					return last_reap(b, r);
				}
				now = wire_now_ns();
			}
		} else {
			now = wire_now_ns();
		}
		if (now - last_t >= 1000000000LL && !b->worker)
			progress(b, now, &last_done, &last_t);
		else if (now - last_t >= 1000000000LL)
			last_t = now;	/* the main thread prints the progress of all */
	}
}

/* --- threads: a runner per queue ------------------------------------------ */

struct runner {
	struct blk_bench b;
	struct cmd_ctx ctx;		/* its own: its error, its kicks */
	pthread_t t;
	int r;
	bool started, finished;
};

static void *runner_main(void *arg)
{
	struct runner *w = arg;

	w->r = run(&w->b);
	__atomic_store_n(&w->finished, true, __ATOMIC_RELEASE);
	return NULL;
}

/* B's queues, each driven by a copy of B in a thread of its own (its ring,
 * its slots, its kick and call eventfds, its histogram): the main thread
 * keeps the socket (the back-end channel, a hang-up) and the signals,
 * prints the progress, and adds the runners up at the end. */
static int run_threads(struct blk_bench *b)
{
	struct session *s = b->s;
	struct runner *w = calloc(b->queues, sizeof(*w));
	int halt = HALT_NONE, r = 0;
	int64_t last_t = wire_now_ns();
	uint64_t last_done = 0;
	sigset_t all, old;
	unsigned running = 0;

	if (!w)
		return vhu_errf(&b->ctx->err, ENOMEM, "out of memory");
	for (unsigned q = 0; q < b->queues; q++) {
		struct blk_bench *c = &w[q].b;

		*c = *b;
		w[q].ctx = *b->ctx;
		c->ctx = &w[q].ctx;
		c->q0 = q;
		c->q1 = q + 1;
		c->worker = true;
		c->halt = &halt;
		c->count = b->count ? b->count / b->queues + (q < b->count % b->queues) : 0;
		c->rng = (b->rng ^ (q + 1) * UINT64_C(0x9E3779B97F4A7C15)) | 1;
		c->seq_next = b->nblocks / b->queues * q;	/* sequential: a stretch each */
		c->issued = c->done = c->reads = c->writes = c->kicks = c->waits = c->calls = 0;
		if (!(c->h = malloc(sizeof(*c->h)))) {
			r = vhu_errf(&b->ctx->err, ENOMEM, "out of memory");
			break;
		}
		hist_init(c->h);
	}
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);	/* the signals stay the main thread's */
	for (unsigned q = 0; r == 0 && q < b->queues; q++) {
		if (pthread_create(&w[q].t, NULL, runner_main, &w[q]) != 0) {
			r = vhu_errf(&b->ctx->err, EAGAIN, "no thread for queue %u", q);
			__atomic_store_n(&halt, HALT_CANCEL, __ATOMIC_RELAXED);
			break;
		}
		w[q].started = true;
		running++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	while (running) {
		struct pollfd pf = { .fd = s->conn.fd, .events = POLLIN };
		int64_t now;
		uint64_t done = 0;
		int n = poll(&pf, 1, 100);

		if (wire_cancel && __atomic_load_n(&halt, __ATOMIC_RELAXED) == HALT_NONE)
			__atomic_store_n(&halt, HALT_CANCEL, __ATOMIC_RELAXED);
		if (n > 0) {
			if (!(pf.revents & (POLLHUP | POLLERR)))
				backend_flush(s);	/* the back-end channel's requests */
			if (pf.revents & (POLLHUP | POLLERR) || !conn_connected(&s->conn))
				__atomic_store_n(&halt, HALT_GONE, __ATOMIC_RELAXED);
		}
		running = 0;
		for (unsigned q = 0; q < b->queues; q++) {
			running += w[q].started && !__atomic_load_n(&w[q].finished, __ATOMIC_ACQUIRE);
			done += __atomic_load_n(&w[q].b.done, __ATOMIC_RELAXED);
		}
		now = wire_now_ns();
		if (now - last_t >= 1000000000LL) {
			double dt = (now - last_t) / 1e9;

			bench_progress(s, "bench blk: %.0f s, %.0f IOPS, %.1f MB/s, %" PRIu64 " done, %u threads",
				       (now - b->t0) / 1e9, (done - last_done) / dt, (done - last_done) / dt * b->bs / 1e6,
				       done, b->queues);
			last_done = done;
			last_t = now;
		}
	}
	for (unsigned q = 0; q < b->queues; q++) {
		struct blk_bench *c = &w[q].b;

		if (w[q].started) {
			pthread_join(w[q].t, NULL);
			b->issued += c->issued;
			b->done += c->done;
			b->reads += c->reads;
			b->writes += c->writes;
			b->kicks += c->kicks;
			b->waits += c->waits;
			b->calls += c->calls;
			b->interrupted |= c->interrupted;
			b->inflight[q] = c->inflight[q];	/* the books give_back reads */
			b->nfree[q] = c->nfree[q];
			hist_merge(b->h, c->h);
			if (w[q].r < 0 && r == 0) {
				r = w[q].r;
				b->ctx->err = w[q].ctx.err;
			}
		}
		free(c->h);
	}
	if (__atomic_load_n(&halt, __ATOMIC_RELAXED) == HALT_CANCEL)
		wire_cancel = 0;	/* the run ended on it, with its figures: as one thread does */
	free(w);
	return r;
}

/* The device's size from its configuration space (capacity, in sectors). */
static int capacity(struct cmd_ctx *ctx, uint64_t *bytes)
{
	struct json_object *steps = json_object_new_array(), *p, *cfg, *cap;
	int r;

	jb_add(ctx->out, "config_steps", steps);
	if (!(ctx->s->conn.proto_set && (ctx->s->conn.acked_proto & BIT(9))))
		return vhu_errf(&ctx->err, ENOTSUP, "the device's size is not known without VHOST_USER_PROTOCOL_F_CONFIG: give size=");
	if ((r = cmd_step(ctx, steps, "get-config size=8")) < 0)
		return r;
	p = cmd_step_reply(json_object_array_get_idx(steps, 0));
	if (p && json_object_object_get_ex(p, "decoded", &cfg) && json_object_object_get_ex(cfg, "capacity", &cap)) {
		*bytes = (uint64_t)json_object_get_int64(cap) * 512;
	} else if (p && json_object_object_get_ex(p, "hex", &cap) && json_object_get_string_len(cap) == 16) {
		/* a session not told it drives a blk device decodes no blk
		 * configuration: the capacity is the first 8 bytes, LE */
		const char *h = json_object_get_string(cap);
		uint64_t sectors = 0;

		for (int i = 7; i >= 0; i--) {
			unsigned byte;

			if (sscanf(h + 2 * i, "%2x", &byte) != 1)
				return vhu_errf(&ctx->err, EPROTO, "GET_CONFIG gave no capacity: give size=");
			sectors = sectors << 8 | byte;
		}
		*bytes = sectors * 512;
	} else {
		return vhu_errf(&ctx->err, EPROTO, "GET_CONFIG gave no capacity: give size=");
	}
	json_object_object_del(ctx->out, "config_steps");
	return 0;
}

static int parse_size(struct cmd_ctx *ctx, const char *name, uint64_t def, uint64_t *v)
{
	const struct arg_val *a = args_get(&ctx->args, name);

	*v = def;
	if (a->set && args_parse_size(a->str, v) < 0)
		return ctx->bad_tok = (int)a->tok,
		       vhu_errf(&ctx->err, EINVAL, "%s '%s': bytes, as 4096, 4K or 1M", name, a->str);
	return 0;
}

static int setup(struct blk_bench *b)
{
	struct cmd_ctx *ctx = b->ctx;
	struct session *s = b->s;
	uint64_t bs, size, need;
	unsigned nslots;
	int r;

	b->rw = (enum bench_rw)args_u(&ctx->args, "rw", BENCH_RANDREAD);
	b->iodepth = (unsigned)args_u(&ctx->args, "iodepth", 1);
	b->queues = (unsigned)args_u(&ctx->args, "queues", 1);
	b->mixread = (uint32_t)args_u(&ctx->args, "rwmixread", 50);
	b->rng = args_u(&ctx->args, "seed", 1) * UINT64_C(0x9E3779B97F4A7C15) | 1;
	b->verify = args_get(&ctx->args, "verify")->set;
	b->poll = args_get(&ctx->args, "poll")->set;
	b->threads = args_u(&ctx->args, "threads", 0) && b->queues > 1;
	if (b->threads && b->verify)
		return ctx->bad_tok = (int)args_get(&ctx->args, "threads")->tok,
		       vhu_errf(&ctx->err, EINVAL, "threads=on with verify: the blocks' books are one thread's (verify runs on one)");
	if ((r = bench_limits(ctx, 5000000000LL, &b->limit_ns, &b->count)) < 0)
		return r;
	if ((r = parse_size(ctx, "bs", 4096, &bs)) < 0)
		return r;
	if (bs == 0 || bs % 512 || bs > MEM_IO_MAX)
		return ctx->bad_tok = (int)args_get(&ctx->args, "bs")->tok,
		       vhu_errf(&ctx->err, ERANGE, "bs is a multiple of 512, at most %u", MEM_IO_MAX);
	b->bs = (uint32_t)bs;
	if (b->iodepth == 0 || b->queues == 0)
		return vhu_errf(&ctx->err, ERANGE, "iodepth and queues are at least 1");
	b->q0 = 0;
	b->q1 = b->queues;
	if ((r = cmd_need_conn(ctx)) < 0)
		return r;
	{
		unsigned ring = 256;

		while (ring < 3 * b->iodepth && ring < VRING_SIZE_MAX)
			ring *= 2;
		need = (uint64_t)b->queues * b->iodepth * (b->bs + 64) + (uint64_t)b->queues * ring * 32;
		if ((r = bench_bring_up(ctx, b->queues, ring, need)) < 0)
			return r;
	}
	for (unsigned q = 0; q < b->queues; q++) {
		struct vring *vr = cmd_ring(ctx, q);

		if (!vr)
			return -ctx->err.code;
		if ((unsigned)vr->nfree < 3 * b->iodepth)
			return vhu_errf(&ctx->err, ENOSPC, "iodepth %u needs %u free descriptors on ring %u, which has %u: "
					"start with size=%u", b->iodepth, 3 * b->iodepth, q, vr->nfree,
					3 * b->iodepth > 256 ? 1u << (32 - __builtin_clz(3 * b->iodepth - 1)) : 256);
		if (vring_in_flight(vr))
			return vhu_errf(&ctx->err, EBUSY, "ring %u has %u chains in flight: bench blk wants it to itself",
					q, vring_in_flight(vr));
	}
	if (args_get(&ctx->args, "size")->set)
		r = parse_size(ctx, "size", 0, &size);
	else
		r = capacity(ctx, &size);
	if (r < 0)
		return r;
	b->nblocks = size / b->bs;
	if (b->nblocks == 0)
		return vhu_errf(&ctx->err, ERANGE, "the device (%" PRIu64 " bytes) is smaller than one block of %u", size, b->bs);
	b->size = b->nblocks * b->bs;
	if (b->verify && b->nblocks > VERIFY_BLOCKS_MAX)
		return vhu_errf(&ctx->err, ERANGE, "verify covers %" PRIu64 " blocks at most; the device has %" PRIu64
				": give size=", VERIFY_BLOCKS_MAX, b->nblocks);
	nslots = b->queues * b->iodepth;
	b->slots = calloc(nslots, sizeof(*b->slots));
	b->h = malloc(sizeof(*b->h));
	if (b->verify) {
		b->written = calloc(b->nblocks, sizeof(*b->written));
		b->busy_blk = calloc(b->nblocks, 1);
	}
	if (!b->slots || !b->h || (b->verify && (!b->written || !b->busy_blk)))
		return vhu_errf(&ctx->err, ENOMEM, "out of memory");
	hist_init(b->h);
	for (unsigned q = 0; q < b->queues; q++) {
		if (!(b->free_slot[q] = malloc(b->iodepth * sizeof(unsigned))))
			return vhu_errf(&ctx->err, ENOMEM, "out of memory");
		for (unsigned i = 0; i < b->iodepth; i++)
			b->free_slot[q][b->nfree[q]++] = q * b->iodepth + (b->iodepth - 1 - i);
	}
	/* The buffers, once, in guest memory: header, data, status. */
	need = (uint64_t)nslots * (16 + b->bs + 16);
	for (unsigned k = 0; k < nslots; k++) {
		struct slot *sl = &b->slots[k];
		static const uint32_t align[3] = { 16, 512, 16 };
		uint32_t len[3] = { 16, b->bs, 1 };

		sl->q = (uint16_t)(k / b->iodepth);
		for (int i = 0; i < 3; i++) {
			uint64_t g;

			if (mem_alloc(&s->mem, len[i], align[i], &g) < 0)
				return vhu_errf(&ctx->err, ENOMEM, "no room in guest memory for %u requests of %u bytes "
						"(about %" PRIu64 " KiB): add memory before start (mem add %" PRIu64 "M)",
						nslots, b->bs, need / 1024, need / (1 << 20) + 8);
			sl->seg[i] = (struct vring_seg){ .gpa = g, .len = len[i], .write = i == 2 };
		}
		sl->hdr = mem_gpa_ptr(&s->mem, sl->seg[0].gpa, 16);
		sl->data = mem_gpa_ptr(&s->mem, sl->seg[1].gpa, b->bs);
		sl->status = mem_gpa_ptr(&s->mem, sl->seg[2].gpa, 1);
		if (!sl->hdr || !sl->data || !sl->status)
			return vhu_errf(&ctx->err, EFAULT, "guest memory moved under bench blk");
	}
	return 0;
}

/* Free what the run holds, and the buffers of every slot not in flight;
 * a slot still in flight (a run that failed) hands its buffers to the ring,
 * freed when its used entry is collected. */
static void give_back(struct blk_bench *b)
{
	struct session *s = b->s;

	for (unsigned k = 0; b->slots && k < b->queues * b->iodepth; k++) {
		struct slot *sl = &b->slots[k];

		if (sl->busy) {
			vring_give_bufs(s->vr[sl->q], sl->head);
			vring_set_tag(s->vr[sl->q], sl->head, 0);
			continue;
		}
		for (int i = 0; i < 3; i++)
			if (sl->seg[i].len)
				mem_release(&s->mem, sl->seg[i].gpa, sl->seg[i].len);
	}
	for (unsigned q = 0; q < SESSION_RINGS; q++)
		free(b->free_slot[q]);
	free(b->slots);
	free(b->written);
	free(b->busy_blk);
	free(b->h);
}

static const char *rw_name(enum bench_rw rw)
{
	static const char *const n[] = { "read", "write", "randread", "randwrite", "rw", "randrw" };

	return n[rw];
}

static void report(struct blk_bench *b, int64_t elapsed)
{
	struct json_object *o = b->ctx->out;
	double secs = elapsed / 1e9;
	uint64_t bytes = (b->reads + b->writes) * (uint64_t)b->bs;

	jb_add(o, "rw", json_object_new_string(rw_name(b->rw)));
	jb_add(o, "bs", json_object_new_int64(b->bs));
	jb_add(o, "iodepth", json_object_new_int((int)b->iodepth));
	jb_add(o, "queues", json_object_new_int((int)b->queues));
	jb_add(o, "threads", json_object_new_int(b->threads ? (int)b->queues : 1));
	jb_add(o, "size", json_object_new_int64((int64_t)b->size));
	jb_add(o, "poll", json_object_new_boolean(b->poll));
	jb_add(o, "verify", json_object_new_boolean(b->verify));
	jb_add(o, "ios", json_object_new_int64((int64_t)(b->reads + b->writes)));
	jb_add(o, "reads", json_object_new_int64((int64_t)b->reads));
	jb_add(o, "writes", json_object_new_int64((int64_t)b->writes));
	if (b->verify) {
		jb_add(o, "verified", json_object_new_int64((int64_t)b->verified));
		jb_add(o, "verify_reads", json_object_new_int64((int64_t)b->verify_reads));
	}
	jb_add(o, "bytes", json_object_new_int64((int64_t)bytes));
	jb_add(o, "elapsed_s", bench_num(secs, 6));
	jb_add(o, "iops", json_object_new_int64(secs > 0 ? (int64_t)((b->reads + b->writes) / secs) : 0));
	jb_add(o, "mb_s", bench_num(secs > 0 ? bytes / secs / 1e6 : 0, 2));
	bench_end(o, b->h, b->kicks, b->calls, b->interrupted);
}

int cmd_bench_blk(struct cmd_ctx *ctx)
{
	struct blk_bench b = { .ctx = ctx, .s = ctx->s };
	int r;

	if ((r = setup(&b)) == 0) {
		for (unsigned q = 0; q < b.queues; q++)
			vring_set_interrupts(ctx->s->vr[q], &ctx->s->mem, !b.poll);
		b.t0 = wire_now_ns();
		r = b.threads ? run_threads(&b) : run(&b);
		/* On a failure, what is in flight stays in the rings' books (give_back):
		 * a later command sees the device's completions as other_used. */
		report(&b, wire_now_ns() - b.t0);
		bench_progress_done(ctx->s);
		for (unsigned q = 0; q < b.queues; q++)
			vring_set_interrupts(ctx->s->vr[q], &ctx->s->mem, true);
		if (r < 0)
			jb_add(ctx->out, "in_flight", json_object_new_int64((int64_t)(b.issued + b.verify_reads - b.done)));
	}
	give_back(&b);
	return r;
}
