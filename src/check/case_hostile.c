/* case_hostile.c - the cases of hostile rings: chains a driver must never make, made available to see the back-end survive them. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check/case.h"
#include "core/mem.h"

#define QSIZE 64		/* the ring's size: ck_stage's, and the one set up here */
#define WATCH_MS 300		/* how long the used ring is watched after the kick */
#define OUTSIDE UINT64_C(0x40000000000)	/* 4 TiB: in no region vhuctl makes */
#define F_NEXT 1u
#define F_WRITE 2u
#define F_INDIRECT 4u

/* The ring the device reads requests from: blk's request queue is ring
 * 0; net's transmit queue and fs's request queue are ring 1. */
static unsigned request_ring(const struct ck *k)
{
	return k->o->dev == DEV_NET || k->o->dev == DEV_FS ? 1 : 0;
}

/* A descriptor {ADDR, LEN, FLAGS, NEXT} as the hex of its 16 bytes, little-endian. */
static void desc_hex(char out[33], uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t b[16];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(addr >> (8 * i));
	for (int i = 0; i < 4; i++)
		b[8 + i] = (uint8_t)(len >> (8 * i));
	b[12] = (uint8_t)flags;
	b[13] = (uint8_t)(flags >> 8);
	b[14] = (uint8_t)next;
	b[15] = (uint8_t)(next >> 8);
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* Descriptor I of the table at TABLE, written with 'mem write' (a step). */
static int put_desc(struct ck *k, uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		    uint16_t next)
{
	struct json_object *r;
	char h[33];

	desc_hex(h, addr, len, flags, next);
	if (ck_cmd(k, &r, "mem write 0x%" PRIx64 " %s", table + 16 * (uint64_t)i, h) < 0)
		return ck_fail_step(k, r, "the descriptor written"), -1;
	return 0;
}

/* A u16 at GPA, little-endian, as a step. */
static int put_u16(struct ck *k, uint64_t gpa, uint16_t v)
{
	struct json_object *r;

	if (ck_cmd(k, &r, "mem write 0x%" PRIx64 " %02x%02x", gpa, v & 0xff, v >> 8) < 0)
		return ck_fail_step(k, r, "the available ring written"), -1;
	return 0;
}

/* Ring Q set up (with ring 0 too when Q is 1), then the chain ARG asks
 * for laid by hand, a scratch page at BUF for its buffers. The ring is
 * fresh: no descriptor is in use, avail.idx is 0. Returns the avail
 * index to publish, or -1 (the case has its verdict). */
static int lay_chain(struct ck *k, const struct vring *vr, uint64_t buf)
{
	const char *what = k->c->arg;
	uint64_t d = vr->desc, tbl = buf + 1024, tbl2 = buf + 3072;
	int bad = 0;

	/* the usual shape: a 16-byte readable header, then a writable byte */
	if (strcmp(what, "loop") == 0) {
		bad |= put_desc(k, d, 0, buf, 16, F_NEXT, 1);
		bad |= put_desc(k, d, 1, buf + 512, 1, F_WRITE | F_NEXT, 0);	/* back to the head */
	} else if (strcmp(what, "outside") == 0) {
		bad |= put_desc(k, d, 0, OUTSIDE, 16, F_NEXT, 1);
		bad |= put_desc(k, d, 1, buf + 512, 1, F_WRITE, 0);
	} else if (strcmp(what, "next-range") == 0) {
		bad |= put_desc(k, d, 0, buf, 16, F_NEXT, QSIZE + 7);
	} else if (strcmp(what, "indirect-len") == 0) {
		bad |= put_desc(k, tbl, 0, buf, 16, F_NEXT, 1);
		bad |= put_desc(k, tbl, 1, buf + 512, 1, F_WRITE, 0);
		bad |= put_desc(k, d, 0, tbl, 24, F_INDIRECT, 0);	/* 1.5 descriptors */
	} else if (strcmp(what, "nested-indirect") == 0) {
		bad |= put_desc(k, tbl2, 0, buf, 16, F_NEXT, 1);
		bad |= put_desc(k, tbl2, 1, buf + 512, 1, F_WRITE, 0);
		bad |= put_desc(k, tbl, 0, tbl2, 32, F_INDIRECT, 0);	/* a table in a table */
		bad |= put_desc(k, d, 0, tbl, 16, F_INDIRECT, 0);
	} else if (strcmp(what, "too-long") == 0) {
		/* QSIZE + 1 descriptors in one indirect table, chained */
		for (unsigned i = 0; i < QSIZE && !bad; i++)
			bad |= put_desc(k, tbl, i, buf, 16, F_NEXT, (uint16_t)(i + 1));
		bad |= put_desc(k, tbl, QSIZE, buf + 512, 1, F_WRITE, 0);
		bad |= put_desc(k, d, 0, tbl, 16 * (QSIZE + 1), F_INDIRECT, 0);
	} else {	/* head-range, idx-jump: a well-made chain at 0 */
		bad |= put_desc(k, d, 0, buf, 16, F_NEXT, 1);
		bad |= put_desc(k, d, 1, buf + 512, 1, F_WRITE, 0);
	}
	if (bad)
		return -1;
	if (strcmp(what, "head-range") == 0)
		return put_u16(k, vr->avail + 4, QSIZE + 3) < 0 ? -1 : 1;
	/* the ring's entries are all 0 (laid out zeroed): each names head 0 */
	return strcmp(what, "idx-jump") == 0 ? QSIZE + 5 : 1;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* used.idx, once it moves or WATCH_MS pass (or the peer is gone). */
static uint16_t watch_used(struct ck *k, const struct vring *vr)
{
	int64_t end = now_ms() + WATCH_MS;
	const volatile uint8_t *p = mem_gpa_ptr(&k->s.mem, vr->used + 2, 2);
	uint16_t v = 0;
	struct timespec nap = { 0, 10 * 1000 * 1000 };

	while (p && now_ms() < end && !ck_disconnected(k)) {
		v = (uint16_t)(p[0] | p[1] << 8);
		if (v)
			break;
		nanosleep(&nap, NULL);
	}
	return v;
}

int ck_ring_hostile(struct ck *k)
{
	struct json_object *r;
	const struct vring *vr;
	unsigned q = request_ring(k);
	uint64_t buf;
	uint16_t used;
	int idx;

	if (ck_stage(k, ST_MEM, 0) != 0)
		return 0;
	for (unsigned i = 0; i <= q; i++)
		if (ck_cmd(k, &r, "vring setup %u size=%u", i, QSIZE) < 0)
			return ck_fail_step(k, r, "the ring set up");
	vr = k->s.vr[q];
	if (!vr || mem_alloc(&k->s.mem, 4096 + 1024, 16, &buf) < 0)
		return ck_fail(k, "room for the case's buffers", "no free guest memory");
	if ((idx = lay_chain(k, vr, buf)) < 0)
		return 0;
	/* published last, as a driver does: the chain is in place first */
	if (put_u16(k, vr->avail + 2, (uint16_t)idx) < 0)
		return 0;
	if (ck_cmd(k, &r, "vring kick %u", q) < 0)
		return ck_fail_step(k, r, "the ring kicked");
	used = watch_used(k, vr);
	ck_cmd(k, &r, "mem read 0x%" PRIx64 " 12", vr->used);	/* the evidence: used.idx, used[0] */
	if (ck_disconnected(k))
		return ck_pass(k, "the back-end closed the connection");
	/* a back-end stuck in the chain answers nothing more */
	if (ck_cmd(k, &r, "get-features") < 0) {
		if (ck_disconnected(k))
			return ck_pass(k, "the back-end closed the connection");
		return ck_fail(k, "the connection still served, or closed",
			       "GET_FEATURES after the chain: %s (%s): the back-end hangs", ck_err_msg(r), ck_err_code(r));
	}
	if (used)
		return ck_pass(k, "the back-end went on; used.idx is %u", used);
	return ck_pass(k, "the back-end went on; nothing used within %d ms", WATCH_MS);
}
