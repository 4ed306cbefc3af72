/* test-vring.c - unit tests for the ring driver and decoder on crafted guest memory, playing honest and malicious devices. */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "core/vring.h"
#include "core/vring_dump.h"
#include "../tap.h"

#define MIB (UINT64_C(1) << 20)

/* --- the device's side of guest memory: plain little-endian loads and stores --- */


/* vring_dump() writes its JSON straight out; read it back as a tree. */
static struct json_object *dump_parsed(const struct vring *vr, const struct mem *m,
				       const struct vring_dump_opts *o)
{
	struct json_object *text = vring_dump(vr, m, o);
	struct json_object *tree = json_tokener_parse(json_object_to_json_string_ext(text, JSON_C_TO_STRING_PLAIN));

	json_object_put(text);
	return tree;
}

static void put16(const struct mem *m, uint64_t gpa, uint16_t v)
{
	uint8_t *p = mem_gpa_ptr(m, gpa, 2);

	v = htole16(v);
	if (p)
		memcpy(p, &v, 2);
}

static void put32(const struct mem *m, uint64_t gpa, uint32_t v)
{
	uint8_t *p = mem_gpa_ptr(m, gpa, 4);

	v = htole32(v);
	if (p)
		memcpy(p, &v, 4);
}

static void put64(const struct mem *m, uint64_t gpa, uint64_t v)
{
	uint8_t *p = mem_gpa_ptr(m, gpa, 8);

	v = htole64(v);
	if (p)
		memcpy(p, &v, 8);
}

static uint16_t get16(const struct mem *m, uint64_t gpa)
{
	uint8_t *p = mem_gpa_ptr(m, gpa, 2);
	uint16_t v = 0xdead;

	if (p)
		memcpy(&v, p, 2);
	return p ? le16toh(v) : 0xdead;
}

static uint32_t get32(const struct mem *m, uint64_t gpa)
{
	uint8_t *p = mem_gpa_ptr(m, gpa, 4);
	uint32_t v = 0;

	if (p)
		memcpy(&v, p, 4);
	return p ? le32toh(v) : 0xdeadbeef;
}

static uint64_t get64(const struct mem *m, uint64_t gpa)
{
	uint8_t *p = mem_gpa_ptr(m, gpa, 8);
	uint64_t v = 0;

	if (p)
		memcpy(&v, p, 8);
	return p ? le64toh(v) : UINT64_C(0xdeadbeefdeadbeef);
}

/* Split descriptor {le64 addr; le32 len; le16 flags; le16 next;} at table entry I. */
static void put_desc(const struct mem *m, uint64_t table, unsigned i, uint64_t addr,
		     uint32_t len, uint16_t flags, uint16_t next)
{
	uint64_t at = table + 16 * (uint64_t)i;

	put64(m, at, addr);
	put32(m, at + 8, len);
	put16(m, at + 12, flags);
	put16(m, at + 14, next);
}

struct rdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;	/* packed: next holds the id */
};

static struct rdesc get_desc(const struct mem *m, uint64_t table, unsigned i)
{
	uint64_t at = table + 16 * (uint64_t)i;

	return (struct rdesc){ get64(m, at), get32(m, at + 8), get16(m, at + 12), get16(m, at + 14) };
}

static struct rdesc get_pdesc(const struct mem *m, uint64_t table, unsigned i)
{
	uint64_t at = table + 16 * (uint64_t)i;

	return (struct rdesc){ get64(m, at), get32(m, at + 8), get16(m, at + 14), get16(m, at + 12) };
}

/* Split ring offsets. */
static uint64_t avail_idx_at(const struct vring *vr) { return vr->avail + 2; }
static uint64_t avail_ring_at(const struct vring *vr, unsigned slot) { return vr->avail + 4 + 2 * (uint64_t)slot; }
static uint64_t used_idx_at(const struct vring *vr) { return vr->used + 2; }
static uint64_t used_ring_at(const struct vring *vr, unsigned slot) { return vr->used + 4 + 8 * (uint64_t)slot; }
static uint64_t used_event_at(const struct vring *vr) { return vr->avail + 4 + 2 * (uint64_t)vr->size; }
static uint64_t avail_event_at(const struct vring *vr) { return vr->used + 4 + 8 * (uint64_t)vr->size; }

/* The device writes used.ring[used.idx % size] = {id, len} then bumps used.idx. */
static void dev_used_split(const struct mem *m, const struct vring *vr, uint32_t id, uint32_t len)
{
	uint16_t idx = get16(m, used_idx_at(vr));

	put32(m, used_ring_at(vr, idx % vr->size), id);
	put32(m, used_ring_at(vr, idx % vr->size) + 4, len);
	put16(m, used_idx_at(vr), (uint16_t)(idx + 1));
}

static void mem_setup(struct mem *m, uint64_t size, uint64_t gpa)
{
	struct vhu_err e = { 0 };

	mem_init(m);
	if (mem_add(m, size, true, gpa, &e) < 0) {
		printf("Bail out! mem_add: %s\n", e.msg);
		exit(1);
	}
}

static void ring_setup(struct vring *vr, struct mem *m, uint16_t size, bool packed, bool event_idx)
{
	struct vhu_err e = { 0 };

	if (vring_init(vr, m, 0, size, packed, event_idx, &e) < 0) {
		printf("Bail out! vring_init: %s\n", e.msg);
		exit(1);
	}
}

/* True when the allocator holds exactly one free range covering the region: nothing leaked. */
static bool mem_all_free(const struct mem *m)
{
	return m->nfree == 1 && m->free[0].gpa == m->r[0].gpa && m->free[0].size == m->r[0].size;
}

static bool same_free(const struct mem *a, const struct mem *b)
{
	return a->nfree == b->nfree && memcmp(a->free, b->free, a->nfree * sizeof(a->free[0])) == 0;
}

static void show_free(const struct mem *m)
{
	for (unsigned i = 0; i < m->nfree; i++)
		printf("#   free[%u] = 0x%llx+0x%llx\n", i, (unsigned long long)m->free[i].gpa,
		       (unsigned long long)m->free[i].size);
}

/* Post one single-buffer chain of LEN bytes. */
static int post1(struct vring *vr, struct mem *m, uint32_t len, bool write, uint16_t *head,
		 struct vhu_err *e)
{
	struct vring_seg s = { .len = len, .write = write };

	return vring_post(vr, m, &s, NULL, 1, false, head, e);
}

static struct mem M;	/* big: keep it off the stack */
static struct mem SNAP;

/* --- 1. split round trip --- */

static void test_split_round_trip(void)
{
	static const uint8_t out[16] = "0123456789abcdef";
	const uint8_t *data[3] = { out, NULL, NULL };
	struct vring_seg segs[3] = { { .len = 16 }, { .len = 512, .write = true }, { .len = 1, .write = true } };
	struct vhu_err e = { 0 };
	struct vring_used u = { 0 };
	struct vring vr;
	struct rdesc d0, d1, d2;
	uint16_t head = 0xffff, h;
	int r, ok = 1;

	mem_setup(&M, MIB, 0);
	ring_setup(&vr, &M, 8, false, false);
	tap_is_int(vring_base(&vr), 0, "split: vring_base is 0");
	SNAP = M;
	r = vring_post(&vr, &M, segs, data, 3, false, &head, &e);
	tap_is_int(r, 0, "split: post chain of 3");
	tap_is_int(head, 0, "split: head is descriptor 0");
	d0 = get_desc(&M, vr.desc, head);
	d1 = get_desc(&M, vr.desc, d0.next);
	d2 = get_desc(&M, vr.desc, d1.next);
	tap_ok(d0.addr == segs[0].gpa && d0.len == 16 && d0.flags == VRING_DESC_F_NEXT,
	       "split: desc 0 = out 16, NEXT (addr 0x%llx len %u flags %u)",
	       (unsigned long long)d0.addr, d0.len, d0.flags);
	tap_ok(d1.addr == segs[1].gpa && d1.len == 512 && d1.flags == (VRING_DESC_F_NEXT | VRING_DESC_F_WRITE),
	       "split: desc 1 = in 512, NEXT|WRITE (flags %u)", d1.flags);
	tap_ok(d2.addr == segs[2].gpa && d2.len == 1 && d2.flags == VRING_DESC_F_WRITE && d2.next == 0,
	       "split: desc 2 = in 1, WRITE, end of chain (flags %u next %u)", d2.flags, d2.next);
	tap_ok(d0.next != head && d1.next != head && d0.next != d1.next && d0.next < 8 && d1.next < 8,
	       "split: chain takes three distinct descriptors");
	tap_ok(mem_gpa_ptr(&M, segs[0].gpa, 16) && memcmp(mem_gpa_ptr(&M, segs[0].gpa, 16), out, 16) == 0,
	       "split: device-readable buffer holds the data");
	tap_ok(segs[0].gpa != segs[1].gpa && segs[1].gpa != segs[2].gpa && segs[0].gpa != segs[2].gpa,
	       "split: buffers at distinct addresses");
	tap_is_int(get16(&M, avail_idx_at(&vr)), 1, "split: avail.idx is 1");
	tap_is_int(get16(&M, avail_ring_at(&vr, 0)), head, "split: avail.ring[0] is the head");
	tap_is_int(vring_in_flight(&vr), 1, "split: one chain in flight");

	tap_is_int(vring_get_used(&vr, &M, &u, &e), 0, "split: nothing used yet");
	dev_used_split(&M, &vr, head, 513);
	r = vring_get_used(&vr, &M, &u, &e);
	tap_is_int(r, 1, "split: get_used sees the used entry");
	tap_ok(r == 1 && u.id == head && u.len == 513, "split: used id %u len %u", u.id, u.len);
	tap_ok(r == 1 && u.chain && u.chain->nseg == 3 && u.chain->ndesc == 3 &&
	       u.chain->seg[1].len == 512 && u.chain->seg[1].write && !u.chain->seg[0].write,
	       "split: used entry carries its chain");
	tap_is_int(vring_get_used(&vr, &M, &u, &e), 0, "split: then nothing more");
	vring_release(&vr, &M, head);
	tap_is_int(vring_in_flight(&vr), 0, "split: released, nothing in flight");
	tap_is_int(vr.nfree, 8, "split: all 8 descriptors free again");
	tap_ok(same_free(&M, &SNAP), "split: buffers given back to guest memory");
	vring_release(&vr, &M, head);	/* twice: ignored */
	tap_is_int(vr.nfree, 8, "split: double release is harmless");

	for (unsigned i = 0; i < 8; i++)
		if (post1(&vr, &M, 64, i & 1, &h, &e) != 0)
			ok = 0;
	tap_ok(ok, "split: 8 single-descriptor chains fit after release");
	tap_is_int(vring_in_flight(&vr), 8, "split: 8 in flight");
	r = post1(&vr, &M, 64, false, &h, &e);
	tap_is_int(r, -ENOSPC, "split: the 9th gets -ENOSPC");
	tap_ok(strstr(e.msg, "full") != NULL, "split: message says full ('%s')", e.msg);
	tap_is_int(vr.posted, 9, "split: posted counts 9 chains");
	tap_is_int(vr.completed, 1, "split: completed counts 1 chain");
	vring_free(&vr, &M);
	mem_free(&M);
}

/* A ring whose descriptor table lands at GPA 0 must still be freed. */
static void test_free_at_gpa0(void)
{
	struct vhu_err e = { 0 };
	struct vring vr;
	struct vring_seg s[2] = { { .len = 8192 }, { .len = 8192, .write = true } };
	uint16_t head;
	uint64_t hole;

	mem_setup(&M, MIB, 0);
	ring_setup(&vr, &M, 8, false, false);
	tap_is_int(vr.desc, 0, "gpa0: the descriptor table is at GPA 0");
	vring_free(&vr, &M);
	tap_ok(mem_all_free(&M), "gpa0: vring_free releases a descriptor table at GPA 0");
	if (!mem_all_free(&M))
		show_free(&M);
	mem_free(&M);

	/* An indirect table allocated at GPA 0 must be released too. */
	mem_setup(&M, MIB, 0);
	mem_alloc(&M, 4096, 4096, &hole);	/* keep GPA 0 out of the ring's hands */
	ring_setup(&vr, &M, 8, false, false);
	mem_release(&M, hole, 4096);
	SNAP = M;
	tap_is_int(vring_post(&vr, &M, s, NULL, 2, true, &head, &e), 0, "gpa0: indirect post");
	tap_is_int(vr.chains[head].indirect_gpa, 0, "gpa0: the indirect table is at GPA 0");
	dev_used_split(&M, &vr, head, 16);
	{
		struct vring_used u;

		tap_is_int(vring_get_used(&vr, &M, &u, &e), 1, "gpa0: used");
	}
	vring_release(&vr, &M, head);
	tap_ok(same_free(&M, &SNAP), "gpa0: releasing a chain whose indirect table is at GPA 0 frees the table");
	if (!same_free(&M, &SNAP))
		show_free(&M);
	vring_free(&vr, &M);
	mem_free(&M);
}

/* Two regions back to back, as 'mem add' twice lays them out: contiguous
 * in guest physical space, but no allocation may straddle them (we could
 * not reach it through one pointer), and removing one leaves no free
 * range inside it. */
static void add_two_regions(void)
{
	struct vhu_err e = { 0 };

	mem_init(&M);
	if (mem_add(&M, 64 * 1024, false, 0, &e) < 0 || mem_add(&M, 64 * 1024, false, 0, &e) < 0) {
		printf("Bail out! mem_add: %s\n", e.msg);
		exit(1);
	}
}

static void test_two_regions(void)
{
	struct vhu_err e = { 0 };
	unsigned n = 0, straddled = 0;
	uint64_t gpa;

	add_two_regions();
	tap_is_int(M.r[1].gpa, M.r[0].gpa + M.r[0].size, "two regions: the second starts where the first ends");
	while (mem_alloc(&M, 1000, 16, &gpa) == 0) {
		straddled += !mem_gpa_ptr(&M, gpa, 1000);
		n++;
	}
	tap_ok(n > 100 && straddled == 0, "two regions: %u allocations of 1000 bytes, %u over both regions",
	       n, straddled);
	mem_free(&M);

	add_two_regions();
	mem_remove(&M, 1, &e);
	tap_ok(mem_all_free(&M), "two regions: removing the second leaves the first's free range, no more");
	if (!mem_all_free(&M))
		show_free(&M);
	mem_free(&M);
}

/* --- 2. indirect --- */

static void test_split_indirect(void)
{
	static const uint8_t out[100] = { 1, 2, 3 };
	const uint8_t *data[4] = { out, NULL, NULL, NULL };
	struct vring_seg segs[4] = { { .len = 100 }, { .len = 4 }, { .len = 200, .write = true },
				     { .len = 1, .write = true } };
	struct vhu_err e = { 0 };
	struct vring_used u;
	struct vring vr;
	struct rdesc d;
	uint16_t head;
	uint64_t tbl;
	int ok = 1;

	mem_setup(&M, MIB, 0);
	ring_setup(&vr, &M, 8, false, false);
	SNAP = M;
	tap_is_int(vring_post(&vr, &M, segs, data, 4, true, &head, &e), 0, "indirect: post chain of 4");
	d = get_desc(&M, vr.desc, head);
	tbl = vr.chains[head].indirect_gpa;
	tap_ok(d.addr == tbl && d.len == 16 * 4 && d.flags == VRING_DESC_F_INDIRECT,
	       "indirect: one ring descriptor, INDIRECT, len 64 (len %u flags %u)", d.len, d.flags);
	tap_is_int(vr.nfree, 7, "indirect: it takes one ring descriptor");
	tap_is_int(vr.chains[head].ndesc, 1, "indirect: chain records one descriptor");
	tap_ok(tbl % 16 == 0 && mem_gpa_ptr(&M, tbl, 64) != NULL, "indirect: table 16-aligned inside memory");
	for (unsigned i = 0; i < 4; i++) {
		struct rdesc t = get_desc(&M, tbl, i);
		uint16_t want = (uint16_t)((i < 3 ? VRING_DESC_F_NEXT : 0) | (segs[i].write ? VRING_DESC_F_WRITE : 0));

		if (t.addr != segs[i].gpa || t.len != segs[i].len || t.flags != want || t.next != (i < 3 ? i + 1 : 0)) {
			printf("#   table[%u] = {0x%llx, %u, %u, %u}\n", i, (unsigned long long)t.addr,
			       t.len, t.flags, t.next);
			ok = 0;
		}
	}
	tap_ok(ok, "indirect: table entries are the buffers, chained by NEXT, WRITE on the in ones");
	tap_ok(memcmp(mem_gpa_ptr(&M, segs[0].gpa, 100), out, 100) == 0, "indirect: out data copied");
	dev_used_split(&M, &vr, head, 201);
	tap_is_int(vring_get_used(&vr, &M, &u, &e), 1, "indirect: used");
	tap_ok(u.id == head && u.len == 201 && u.chain->indirect_gpa == tbl && u.chain->nseg == 4,
	       "indirect: used entry and chain");
	vring_release(&vr, &M, head);
	tap_is_int(vr.nfree, 8, "indirect: descriptor back");
	tap_ok(same_free(&M, &SNAP), "indirect: table and buffers back in guest memory");
	vring_free(&vr, &M);
	mem_free(&M);
}

/* --- 3. 16-bit index wrap --- */

static void test_split_wrap(void)
{
	struct vhu_err e = { 0 };
	struct vring vr;
	uint16_t dev_avail = 0, expect[4];
	unsigned total = 0, bad_post = 0, bad_dev = 0, bad_used = 0, bad_idx = 0, iter = 0;
	bool saw_65535 = false, saw_wrap = false;

	mem_setup(&M, MIB, 0);
	ring_setup(&vr, &M, 4, false, true);
	SNAP = M;
	while (total < 65540) {
		unsigned batch = 1 + iter % 3, got = 0;
		struct vring_used u;
		uint16_t aidx;
		int r;

		for (unsigned k = 0; k < batch; k++) {
			uint16_t h;

			if (post1(&vr, &M, 32, true, &h, &e) != 0)
				bad_post++;
		}
		/* The device: take every new avail entry, complete them in reverse. */
		aidx = get16(&M, avail_idx_at(&vr));
		if (aidx != (uint16_t)(total + batch))
			bad_idx++;
		for (unsigned k = 0; k < batch; k++) {
			uint16_t h = get16(&M, avail_ring_at(&vr, (uint16_t)(dev_avail + k) % 4));

			expect[batch - 1 - k] = h;
			if (h >= 4 || get_desc(&M, vr.desc, h).len != 32)
				bad_dev++;
		}
		dev_avail = aidx;
		for (unsigned k = 0; k < batch; k++)
			dev_used_split(&M, &vr, expect[k], k);
		while ((r = vring_get_used(&vr, &M, &u, &e)) == 1) {
			if (got >= batch || u.id != expect[got] || u.len != got)
				bad_used++;
			if (vr.last_used == 65535)
				saw_65535 = true;
			if (saw_65535 && vr.last_used < 4)
				saw_wrap = true;
			vring_release(&vr, &M, u.id);
			got++;
		}
		if (r < 0 || got != batch) {
			bad_used++;
			printf("#   iter %u: r %d got %u: %s\n", iter, r, got, e.msg);
			break;
		}
		if (get16(&M, used_event_at(&vr)) != vr.last_used)
			bad_idx++;
		total += batch;
		iter++;
	}
	tap_is_int(bad_post, 0, "wrap: every post succeeded (%u requests)", total);
	tap_is_int(bad_idx, 0, "wrap: avail.idx and used_event always the 16-bit counts");
	tap_is_int(bad_dev, 0, "wrap: the device always found a valid head");
	tap_is_int(bad_used, 0, "wrap: get_used returned every entry in the device's order");
	tap_ok(saw_65535 && saw_wrap, "wrap: last_used went through 65535 and on to 0..3");
	tap_is_int(vr.avail_idx, (uint16_t)total, "wrap: avail_idx is total mod 65536");
	tap_is_int(vr.last_used, (uint16_t)total, "wrap: last_used is total mod 65536");
	tap_ok(vr.posted == total && vr.completed == total, "wrap: posted and completed count every request");
	tap_is_int(vring_in_flight(&vr), 0, "wrap: nothing in flight");
	tap_ok(same_free(&M, &SNAP), "wrap: no guest memory leaked");
	vring_free(&vr, &M);
	mem_free(&M);
}

/* --- 4. malicious device, split and packed --- */

static void test_split_malicious(void)
{
	struct vhu_err e = { 0 };
	struct vring_used u;
	struct vring vr;
	uint16_t h0, h1;
	int r;

	mem_setup(&M, MIB, 0);
	ring_setup(&vr, &M, 8, false, false);
	post1(&vr, &M, 16, false, &h0, &e);
	post1(&vr, &M, 16, true, &h1, &e);

	put16(&M, used_idx_at(&vr), 9);
	memset(&e, 0, sizeof(e));
	r = vring_get_used(&vr, &M, &u, &e);
	tap_is_int(r, -EPROTO, "evil: used.idx jumps by 9 on a size-8 ring: -EPROTO");
	tap_ok(strstr(e.msg, "jumped") && strstr(e.msg, "9"), "evil: message names the jump ('%s')", e.msg);
	tap_is_int(vr.last_used, 0, "evil: last_used untouched by the jump");

	put16(&M, used_idx_at(&vr), 0xffff);
	memset(&e, 0, sizeof(e));
	tap_is_int(vring_get_used(&vr, &M, &u, &e), -EPROTO, "evil: used.idx going backwards: -EPROTO");

	put16(&M, used_idx_at(&vr), 0);
	put32(&M, used_ring_at(&vr, 0), 5);	/* descriptor 5 was never posted */
	put16(&M, used_idx_at(&vr), 1);
	memset(&e, 0, sizeof(e));
	r = vring_get_used(&vr, &M, &u, &e);
	tap_is_int(r, -EPROTO, "evil: used id not in flight: -EPROTO");
	tap_ok(strstr(e.msg, "not in flight") != NULL, "evil: message says not in flight ('%s')", e.msg);

	put32(&M, used_ring_at(&vr, 1), 8);	/* id == size */
	put16(&M, used_idx_at(&vr), 2);
	tap_is_int(vring_get_used(&vr, &M, &u, &e), -EPROTO, "evil: used id 8 on a size-8 ring: -EPROTO");
	put32(&M, used_ring_at(&vr, 2), 0xffffffffu);
	put16(&M, used_idx_at(&vr), 3);
	tap_is_int(vring_get_used(&vr, &M, &u, &e), -EPROTO, "evil: used id 0xffffffff: -EPROTO");
	tap_is_int(vring_in_flight(&vr), 2, "evil: both real chains still in flight");
	tap_is_int(vr.nfree, 6, "evil: free descriptors untouched");

	/* An honest completion still works after the garbage. */
	dev_used_split(&M, &vr, h1, 16);
	r = vring_get_used(&vr, &M, &u, &e);
	tap_ok(r == 1 && u.id == h1 && u.len == 16, "evil: a good entry after bad ones is still returned");
	vring_release(&vr, &M, h1);
	/* The same id again, now that it is released. */
	dev_used_split(&M, &vr, h1, 16);
	tap_is_int(vring_get_used(&vr, &M, &u, &e), -EPROTO, "evil: an id used twice: -EPROTO the second time");
	tap_is_int(vring_in_flight(&vr), 1, "evil: in-flight accounting: one chain left");
	tap_is_int(vr.nfree, 7, "evil: seven descriptors free");
	dev_used_split(&M, &vr, h0, 0);
	r = vring_get_used(&vr, &M, &u, &e);
	tap_ok(r == 1 && u.id == h0, "evil: the last real chain completes");
	vring_release(&vr, &M, u.id);
	tap_is_int(vring_in_flight(&vr), 0, "evil: nothing in flight at the end");
	tap_is_int(vr.nfree, 8, "evil: all descriptors free at the end");

	/* The device scribbles over our descriptor table: release uses our own record. */
	post1(&vr, &M, 16, false, &h0, &e);
	put_desc(&M, vr.desc, h0, 0x12345678, 0xffffffff, VRING_DESC_F_NEXT, h0);
	dev_used_split(&M, &vr, h0, 1);
	r = vring_get_used(&vr, &M, &u, &e);
	vring_release(&vr, &M, h0);
	tap_ok(r == 1 && vr.nfree == 8 && vring_in_flight(&vr) == 0,
	       "evil: a rewritten descriptor table does not confuse release");

	/* Unset ring. */
	{
		struct vring z;

		memset(&z, 0, sizeof(z));
		tap_is_int(vring_get_used(&z, &M, &u, &e), -EINVAL, "evil: get_used on an unset ring: -EINVAL");
		tap_is_int(post1(&z, &M, 1, false, &h0, &e), -EINVAL, "evil: post on an unset ring: -EINVAL");
	}
	vring_free(&vr, &M);
	mem_free(&M);
}

/* The device completes in its own order: each entry carries its own chain
 * (never the one posted first), and the poster's tag with it. */
static void test_split_out_of_order(void)
{
	struct vring_seg a[3] = { { .len = 16 }, { .len = 512, .write = true }, { .len = 1, .write = true } };
	struct vring_seg c[2] = { { .len = 16 }, { .len = 1, .write = true } };
	struct vhu_err e = { 0 };
	struct vring_used u;
	struct vring vr;
	uint16_t ha, hb, hc, h;
	int r;

	mem_setup(&M, MIB, 0);
	ring_setup(&vr, &M, 8, false, false);
	SNAP = M;
	vring_post(&vr, &M, a, NULL, 3, false, &ha, &e);
	vring_set_tag(&vr, ha, 7);
	post1(&vr, &M, 4, true, &hb, &e);
	vring_post(&vr, &M, c, NULL, 2, false, &hc, &e);
	vring_set_tag(&vr, hc, 9);
	dev_used_split(&M, &vr, hc, 1);
	dev_used_split(&M, &vr, ha, 513);
	dev_used_split(&M, &vr, hb, 4);
	r = vring_get_used(&vr, &M, &u, &e);
	tap_ok(r == 1 && u.id == hc && u.chain->nseg == 2 && u.chain->tag == 9 && u.len == 1,
	       "out of order: the first entry is the last chain's, with its 2 buffers and its tag");
	vring_release(&vr, &M, u.id);
	r = vring_get_used(&vr, &M, &u, &e);
	tap_ok(r == 1 && u.id == ha && u.chain->nseg == 3 && u.chain->tag == 7 && u.len == 513,
	       "out of order: then the first chain, with its 3 buffers");
	vring_release(&vr, &M, u.id);
	r = vring_get_used(&vr, &M, &u, &e);
	tap_ok(r == 1 && u.id == hb && u.chain->nseg == 1 && u.chain->tag == 0,
	       "out of order: then the middle one, untagged");
	vring_release(&vr, &M, u.id);
	tap_ok(vr.nfree == 8 && same_free(&M, &SNAP), "out of order: every descriptor and buffer given back");

	/* A repeated id whose head the free list has handed out again: the
	 * stale entry was written before the new chain existed. */
	post1(&vr, &M, 4, true, &h, &e);
	dev_used_split(&M, &vr, h, 4);
	dev_used_split(&M, &vr, h, 4);	/* the same id twice */
	r = vring_get_used(&vr, &M, &u, &e);
	tap_ok(r == 1 && u.id == h, "repeat: the first entry completes the chain");
	vring_release(&vr, &M, h);
	post1(&vr, &M, 4, true, &hb, &e);
	tap_is_int(hb, h, "repeat: the next chain gets the same head back");
	memset(&e, 0, sizeof(e));
	r = vring_get_used(&vr, &M, &u, &e);
	tap_is_int(r, -EPROTO, "repeat: the second entry is not the new chain's completion: -EPROTO");
	tap_ok(strstr(e.msg, "names descriptor") && strstr(e.msg, "made available after that entry"),
	       "repeat: the message names the id ('%s')", e.msg);
	tap_is_int(vring_in_flight(&vr), 1, "repeat: the new chain is still in flight");
	dev_used_split(&M, &vr, hb, 4);
	r = vring_get_used(&vr, &M, &u, &e);
	tap_ok(r == 1 && u.id == hb, "repeat: its own completion, written later, is taken");
	vring_release(&vr, &M, hb);
	vring_free(&vr, &M);
	mem_free(&M);
}

/* --- JSON helpers for the dump --- */

static struct json_object *jk(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static struct json_object *ji(struct json_object *a, size_t i)
{
	if (!a || !json_object_is_type(a, json_type_array) || i >= json_object_array_length(a))
		return NULL;
	return json_object_array_get_idx(a, i);
}

static long long jint(struct json_object *o)
{
	return o ? (long long)json_object_get_int64(o) : -999999;
}

static size_t jlen(struct json_object *a)
{
	return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : (size_t)-1;
}

static const char *jstr(struct json_object *o)
{
	return o && json_object_is_type(o, json_type_string) ? json_object_get_string(o) : NULL;
}

static bool has_anomaly(struct json_object *d, const char *where, const char *what)
{
	struct json_object *a = jk(d, "anomalies");
	size_t n = jlen(a);

	for (size_t i = 0; n != (size_t)-1 && i < n; i++) {
		const char *w = jstr(jk(ji(a, i), "where")), *t = jstr(jk(ji(a, i), "what"));

		if (w && t && strcmp(w, where) == 0 && strstr(t, what))
			return true;
	}
	return false;
}

static void show_json(const char *label, struct json_object *o)
{
	printf("#   %s: %s\n", label, o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : "(null)");
}

static void expect_anomaly(struct json_object *d, const char *where, const char *what, const char *name)
{
	if (!tap_ok(has_anomaly(d, where, what), "dump: %s -> %s: ...%s...", name, where, what))
		show_json("anomalies", jk(d, "anomalies"));
}

/* A size-8 split ring with nothing posted; crafted chain(s) go in by hand. */
struct craft {
	struct vring vr;
	struct vring_dump_opts o;
};

static void craft_start(struct craft *c)
{
	mem_setup(&M, MIB, 0);
	ring_setup(&c->vr, &M, 8, false, false);
	memset(&c->o, 0, sizeof(c->o));
}

/* Make NHEADS heads available from avail slot 0 (used.idx stays 0). */
static void craft_avail(struct craft *c, unsigned nheads, const uint16_t *heads)
{
	for (unsigned i = 0; i < nheads; i++)
		put16(&M, avail_ring_at(&c->vr, i % c->vr.size), heads[i]);
	put16(&M, avail_idx_at(&c->vr), (uint16_t)nheads);
}

static struct json_object *craft_dump(struct craft *c)
{
	return dump_parsed(&c->vr, &M, &c->o);
}

static void craft_end(struct craft *c, struct json_object *d)
{
	json_object_put(d);
	vring_free(&c->vr, &M);
	mem_free(&M);
}

#define BUF 0x80000u	/* inside the 1 MiB region, unused by the allocator */
#define TBL 0x90000u

static const uint16_t head0[1] = { 0 };

/* --- 5. split dump --- */

static void test_dump_clean(void)
{
	struct vring_seg a[3] = { { .len = 16 }, { .len = 512, .write = true }, { .len = 1, .write = true } };
	struct vring_seg b[2] = { { .len = 100 }, { .len = 200, .write = true } };
	struct vhu_err e = { 0 };
	struct json_object *d, *ch;
	struct craft c;
	uint16_t ha, hb;

	craft_start(&c);
	vring_post(&c.vr, &M, a, NULL, 3, false, &ha, &e);
	vring_post(&c.vr, &M, b, NULL, 2, true, &hb, &e);
	d = craft_dump(&c);
	tap_ok(jlen(jk(d, "anomalies")) == 0, "dump clean: \"anomalies\": []");
	if (jlen(jk(d, "anomalies")) != 0)
		show_json("anomalies", jk(d, "anomalies"));
	tap_is_str(jstr(jk(d, "layout")), "split", "dump clean: layout split");
	tap_is_int(jint(jk(d, "size")), 8, "dump clean: size 8");
	tap_is_int(jlen(jk(d, "descriptors")), 8, "dump clean: 8 descriptors");
	tap_is_int(jint(jk(jk(d, "avail"), "idx")), 2, "dump clean: avail.idx 2");
	tap_is_int(jint(jk(jk(d, "used"), "idx")), 0, "dump clean: used.idx 0");
	tap_is_int(jlen(jk(jk(d, "avail"), "ring")), 8, "dump clean: avail.ring has 8 slots");
	tap_is_int(jint(jk(jk(d, "counts"), "available")), 2, "dump clean: counts.available 2");
	tap_is_int(jint(jk(jk(d, "counts"), "in_flight")), 2, "dump clean: counts.in_flight 2");
	tap_is_int(jint(jk(jk(d, "counts"), "used")), 0, "dump clean: counts.used 0");
	tap_is_int(jlen(jk(d, "chains")), 2, "dump clean: 2 chains");
	ch = ji(jk(d, "chains"), 0);
	tap_is_int(jint(jk(ch, "head")), ha, "dump clean: chain 0 head");
	tap_is_int(jlen(jk(ch, "descriptors")), 3, "dump clean: chain 0 has 3 descriptors");
	tap_is_int(jlen(jk(ch, "buffers")), 3, "dump clean: chain 0 has 3 buffers");
	tap_is_int(jint(jk(ch, "out_bytes")), 16, "dump clean: chain 0 out_bytes 16");
	tap_is_int(jint(jk(ch, "in_bytes")), 513, "dump clean: chain 0 in_bytes 513");
	ch = ji(jk(d, "chains"), 1);
	tap_is_int(jint(jk(ch, "head")), hb, "dump clean: chain 1 head");
	tap_is_int(jlen(jk(ch, "descriptors")), 1, "dump clean: indirect chain has 1 ring descriptor");
	tap_is_int(jlen(jk(ch, "buffers")), 2, "dump clean: indirect chain has 2 buffers");
	tap_is_int(jint(jk(ch, "out_bytes")), 100, "dump clean: indirect out_bytes 100");
	tap_is_int(jint(jk(ch, "in_bytes")), 200, "dump clean: indirect in_bytes 200");
	json_object_put(d);

	/* The device returned chain a: one chain still pending, counts.used 1 until the driver looks. */
	dev_used_split(&M, &c.vr, ha, 513);
	d = craft_dump(&c);
	tap_is_int(jint(jk(jk(d, "counts"), "available")), 1, "dump clean: after one used, 1 available");
	tap_is_int(jint(jk(jk(d, "counts"), "used")), 1, "dump clean: 1 used not yet collected");
	tap_is_int(jint(jk(ji(jk(d, "chains"), 0), "head")), hb, "dump clean: the pending chain is b");
	tap_is_int(jint(jk(ji(jk(jk(d, "used"), "ring"), 0), "len")), 513, "dump clean: used.ring[0].len 513");
	json_object_put(d);

	/* Windows. */
	c.o.from = 2;
	c.o.count = 3;
	d = craft_dump(&c);
	tap_is_int(jlen(jk(d, "descriptors")), 3, "dump window: from=2 count=3 gives 3 descriptors");
	tap_is_int(jint(jk(ji(jk(d, "descriptors"), 0), "index")), 2, "dump window: first is descriptor 2");
	tap_is_int(jint(jk(ji(jk(d, "descriptors"), 2), "index")), 4, "dump window: last is descriptor 4");
	tap_is_int(jlen(jk(jk(d, "avail"), "ring")), 3, "dump window: 3 avail slots");
	tap_is_int(jlen(jk(jk(d, "used"), "ring")), 3, "dump window: 3 used slots");
	json_object_put(d);
	c.o.from = 6;
	c.o.count = 0;
	d = craft_dump(&c);
	tap_is_int(jlen(jk(d, "descriptors")), 2, "dump window: from=6 gives descriptors 6 and 7");
	json_object_put(d);
	c.o.from = 100;
	d = craft_dump(&c);
	tap_is_int(jlen(jk(d, "descriptors")), 0, "dump window: from past the end gives none");
	json_object_put(d);
	c.o.from = 0;
	c.o.count = 0;
	c.o.chains_only = true;
	d = craft_dump(&c);
	tap_ok(!jk(d, "descriptors") && !jk(d, "avail") && !jk(d, "used"),
	       "dump chains_only: no descriptors, avail or used");
	tap_is_int(jlen(jk(d, "chains")), 1, "dump chains_only: chains still there");
	tap_ok(jk(d, "counts") != NULL, "dump chains_only: counts still there");
	craft_end(&c, d);
}

static void test_dump_loop(void)
{
	struct json_object *d;
	struct craft c;

	craft_start(&c);
	put_desc(&M, c.vr.desc, 0, BUF, 16, VRING_DESC_F_NEXT, 1);
	put_desc(&M, c.vr.desc, 1, BUF + 16, 16, VRING_DESC_F_NEXT, 0);
	craft_avail(&c, 1, head0);
	d = craft_dump(&c);
	expect_anomaly(d, "desc[0]", "descriptor loop", "desc0 -> desc1 -> desc0");
	tap_is_int(jlen(jk(ji(jk(d, "chains"), 0), "buffers")), 2, "dump loop: the two real buffers are listed");
	craft_end(&c, d);

	/* Every descriptor NEXT: the chain would be longer than the ring. */
	craft_start(&c);
	for (unsigned i = 0; i < 8; i++)
		put_desc(&M, c.vr.desc, i, BUF + 16 * i, 16, VRING_DESC_F_NEXT, (uint16_t)(i < 7 ? i + 1 : 3));
	craft_avail(&c, 1, head0);
	d = craft_dump(&c);
	expect_anomaly(d, "desc[3]", "descriptor loop", "chain longer than the ring (0..7 then back to 3)");
	tap_ok(jlen(jk(ji(jk(d, "chains"), 0), "descriptors")) <= 8, "dump long chain: walk bounded by the ring size");
	craft_end(&c, d);

	/* Self loop. */
	craft_start(&c);
	put_desc(&M, c.vr.desc, 5, BUF, 16, VRING_DESC_F_NEXT, 5);
	{
		static const uint16_t h5[1] = { 5 };

		craft_avail(&c, 1, h5);
	}
	d = craft_dump(&c);
	expect_anomaly(d, "desc[5]", "descriptor loop", "desc5.next = 5");
	craft_end(&c, d);
}

static void test_dump_bounds(void)
{
	struct json_object *d;
	struct craft c;

	craft_start(&c);
	put_desc(&M, c.vr.desc, 0, BUF, 16, VRING_DESC_F_NEXT, 999);
	craft_avail(&c, 1, head0);
	d = craft_dump(&c);
	expect_anomaly(d, "desc[0]", "next 999 is outside the 8-entry ring", "next=999 on size 8");
	craft_end(&c, d);

	craft_start(&c);
	{
		static const uint16_t h[2] = { 9, 0xffff };

		put_desc(&M, c.vr.desc, 0, BUF, 16, 0, 0);
		craft_avail(&c, 2, h);
	}
	d = craft_dump(&c);
	expect_anomaly(d, "avail.ring", "head 9 is outside", "avail head 9 on size 8");
	expect_anomaly(d, "avail.ring", "head 65535 is outside", "avail head 0xffff");
	craft_end(&c, d);

	craft_start(&c);
	put_desc(&M, c.vr.desc, 0, BUF, 16, 0, 0);
	put16(&M, avail_idx_at(&c.vr), 9);
	d = craft_dump(&c);
	expect_anomaly(d, "avail.idx", "more than the ring size", "avail.idx 9, used.idx 0, size 8");
	tap_ok(jlen(jk(d, "chains")) <= 8, "dump avail.idx: chains capped at the ring size");
	json_object_put(d);
	put16(&M, avail_idx_at(&c.vr), 0);
	put16(&M, used_idx_at(&c.vr), 1);
	d = craft_dump(&c);
	expect_anomaly(d, "avail.idx", "more than the ring size", "used.idx ahead of avail.idx");
	json_object_put(d);
	/* Wrap-safe: avail.idx 3, used.idx 65534 is 5 pending, no anomaly. */
	put16(&M, avail_idx_at(&c.vr), 3);
	put16(&M, used_idx_at(&c.vr), 65534);
	for (unsigned i = 0; i < 8; i++)
		put16(&M, avail_ring_at(&c.vr, i), 0);
	d = craft_dump(&c);
	tap_is_int(jint(jk(jk(d, "counts"), "available")), 5, "dump: avail.idx 3 - used.idx 65534 = 5 pending (wrap-safe)");
	tap_is_int(jlen(jk(d, "anomalies")), 0, "dump: no anomaly across the 16-bit wrap");
	craft_end(&c, d);

	/* Buffers outside guest memory. */
	craft_start(&c);
	put_desc(&M, c.vr.desc, 0, 0x40000000, 16, VRING_DESC_F_NEXT, 1);
	put_desc(&M, c.vr.desc, 1, MIB - 8, 16, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
	put_desc(&M, c.vr.desc, 2, UINT64_MAX - 7, 16, 0, 0);
	craft_avail(&c, 1, head0);
	d = craft_dump(&c);
	expect_anomaly(d, "desc[0]", "outside every memory region", "buffer at 1 GiB");
	expect_anomaly(d, "desc[1]", "outside every memory region", "buffer straddling the region end");
	expect_anomaly(d, "desc[2]", "outside every memory region", "buffer at 2^64-8 (address wraps)");
	craft_end(&c, d);

	craft_start(&c);
	put_desc(&M, c.vr.desc, 0, 0, 0xffffffffu, VRING_DESC_F_WRITE, 0);
	craft_avail(&c, 1, head0);
	d = craft_dump(&c);
	expect_anomaly(d, "desc[0]", "0x0+4294967295 is outside every memory region", "len 0xffffffff at addr 0");
	tap_is_int(jint(jk(ji(jk(d, "chains"), 0), "in_bytes")), 0xffffffffLL, "dump huge: in_bytes exact");
	craft_end(&c, d);

	/* Ring areas outside memory (a region removed under a live ring). */
	craft_start(&c);
	put_desc(&M, c.vr.desc, 0, BUF, 16, 0, 0);
	craft_avail(&c, 1, head0);
	{
		struct vring moved = c.vr;

		moved.avail = 0x40000000;
		moved.used = 0x40001000;
		d = dump_parsed(&moved, &M, &c.o);
		expect_anomaly(d, "avail", "outside memory", "avail ring outside memory");
		expect_anomaly(d, "used", "outside memory", "used ring outside memory");
		json_object_put(d);
		moved = c.vr;
		moved.desc = 0x40000000;
		d = dump_parsed(&moved, &M, &c.o);
		expect_anomaly(d, "desc", "outside memory", "split descriptor table outside memory");
		json_object_put(d);
	}
	craft_end(&c, NULL);
}

static void test_dump_indirect(void)
{
	struct json_object *d;
	struct craft c;

	craft_start(&c);
	put_desc(&M, c.vr.desc, 0, TBL, 24, VRING_DESC_F_INDIRECT, 0);
	craft_avail(&c, 1, head0);
	d = craft_dump(&c);
	expect_anomaly(d, "desc[0]", "indirect table length 24", "indirect len 24");
	craft_end(&c, d);

	craft_start(&c);
	put_desc(&M, c.vr.desc, 0, TBL, 0, VRING_DESC_F_INDIRECT, 0);
	craft_avail(&c, 1, head0);
	d = craft_dump(&c);
	expect_anomaly(d, "desc[0]", "indirect table length 0", "indirect len 0");
	craft_end(&c, d);

	craft_start(&c);
	put_desc(&M, c.vr.desc, 0, TBL, 32, VRING_DESC_F_INDIRECT, 0);
	put_desc(&M, TBL, 0, BUF, 16, VRING_DESC_F_NEXT, 1);
	put_desc(&M, TBL, 1, TBL + 0x100, 16, VRING_DESC_F_INDIRECT, 0);
	craft_avail(&c, 1, head0);
	d = craft_dump(&c);
	expect_anomaly(d, "desc[0].indirect[1]", "nested indirect", "indirect inside an indirect table");
	craft_end(&c, d);

	craft_start(&c);
	put_desc(&M, c.vr.desc, 0, TBL, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	put_desc(&M, c.vr.desc, 1, BUF, 16, 0, 0);
	put_desc(&M, TBL, 0, BUF, 16, 0, 0);
	craft_avail(&c, 1, head0);
	d = craft_dump(&c);
	expect_anomaly(d, "desc[0]", "INDIRECT together with NEXT", "INDIRECT|NEXT");
	craft_end(&c, d);

	craft_start(&c);
	put_desc(&M, c.vr.desc, 0, 0x40000000, 32, VRING_DESC_F_INDIRECT, 1);
	put_desc(&M, c.vr.desc, 1, MIB - 16, 32, VRING_DESC_F_INDIRECT, 0);
	{
		static const uint16_t h[2] = { 0, 1 };

		craft_avail(&c, 2, h);
	}
	d = craft_dump(&c);
	expect_anomaly(d, "desc[0]", "indirect table 0x40000000+32 is outside", "indirect table at 1 GiB");
	expect_anomaly(d, "desc[1]", "indirect table 0xffff0+32 is outside", "indirect table straddling the end");
	craft_end(&c, d);

	craft_start(&c);
	put_desc(&M, c.vr.desc, 0, TBL, 48, VRING_DESC_F_INDIRECT, 0);
	put_desc(&M, TBL, 0, BUF, 16, VRING_DESC_F_NEXT, 1);
	put_desc(&M, TBL, 1, BUF + 16, 16, VRING_DESC_F_NEXT, 2);
	put_desc(&M, TBL, 2, BUF + 32, 16, VRING_DESC_F_NEXT, 1);
	craft_avail(&c, 1, head0);
	d = craft_dump(&c);
	expect_anomaly(d, "desc[0].indirect[1]", "loop in the indirect table", "loop 0->1->2->1 in an indirect table");
	tap_is_int(jlen(jk(ji(jk(d, "chains"), 0), "buffers")), 3, "dump indirect loop: 3 buffers, then stop");
	craft_end(&c, d);

	craft_start(&c);
	put_desc(&M, c.vr.desc, 0, TBL, 48, VRING_DESC_F_INDIRECT, 0);
	put_desc(&M, TBL, 0, BUF, 16, VRING_DESC_F_NEXT, 5);
	craft_avail(&c, 1, head0);
	d = craft_dump(&c);
	expect_anomaly(d, "desc[0].indirect[0]", "next 5 is outside the 3-entry indirect table", "indirect next out of range");
	craft_end(&c, d);

	craft_start(&c);
	put_desc(&M, c.vr.desc, 0, 0, 16u * 40000u, VRING_DESC_F_INDIRECT, 0);
	craft_avail(&c, 1, head0);
	d = craft_dump(&c);
	expect_anomaly(d, "desc[0]", "exceeds", "indirect table of 40000 entries");
	craft_end(&c, d);

	craft_start(&c);
	put_desc(&M, c.vr.desc, 0, TBL, 32, VRING_DESC_F_INDIRECT, 0);
	put_desc(&M, TBL, 0, BUF, 16, VRING_DESC_F_NEXT, 1);
	put_desc(&M, TBL, 1, 0x40000000, 16, VRING_DESC_F_WRITE, 0);
	craft_avail(&c, 1, head0);
	d = craft_dump(&c);
	expect_anomaly(d, "desc[0].indirect[1]", "outside every memory region", "buffer outside memory in a table");
	craft_end(&c, d);
}

/* Every 16-byte descriptor and ring entry random: the dump must terminate and stay sane. */
static void test_dump_garbage(void)
{
	struct craft c;
	unsigned seed = 12345, ok = 1;

	craft_start(&c);
	for (unsigned round = 0; round < 200; round++) {
		struct json_object *d;
		uint8_t *p = mem_gpa_ptr(&M, c.vr.desc, 16 * 8);

		for (unsigned i = 0; i < 16 * 8; i++) {
			seed = seed * 1103515245u + 12345u;
			p[i] = (uint8_t)(seed >> 16);
		}
		/* Keep some addresses and nexts plausible so walks go somewhere. */
		for (unsigned i = 0; i < 8; i++) {
			if (round % 2)
				put64(&M, c.vr.desc + 16 * i, round % 4 == 1 ? TBL : BUF);
			if (round % 3)
				put16(&M, c.vr.desc + 16 * i + 14, (uint16_t)(get16(&M, c.vr.desc + 16 * i + 14) % 9));
			if (round % 4 == 1)
				put32(&M, c.vr.desc + 16 * i + 8, 16 * (1 + i));
		}
		p = mem_gpa_ptr(&M, TBL, 16 * 8);
		for (unsigned i = 0; i < 16 * 8; i++) {
			seed = seed * 1103515245u + 12345u;
			p[i] = (uint8_t)(seed >> 16);
		}
		for (unsigned i = 0; i < 8; i++)
			put16(&M, avail_ring_at(&c.vr, i), (uint16_t)((seed >> i) % 10));
		put16(&M, avail_idx_at(&c.vr), (uint16_t)(seed >> 3));
		put16(&M, used_idx_at(&c.vr), (uint16_t)(seed >> 7));
		d = craft_dump(&c);
		if (!d || jlen(jk(d, "chains")) > 8 || jlen(jk(d, "anomalies")) == (size_t)-1)
			ok = 0;
		json_object_put(d);
	}
	tap_ok(ok, "dump garbage: 200 random rings decoded, bounded, no crash");
	craft_end(&c, NULL);
}

/* --- 6. packed --- */

/* The packed device: used position and wrap counter. */
struct pdev {
	uint16_t pos;
	bool wrap;
};

/* Consume the available chain at the device position and mark it used (in order). */
static int pdev_complete(struct pdev *dv, const struct mem *m, const struct vring *vr, uint32_t len)
{
	uint16_t start = dv->pos, n = 0, id = 0;
	bool wrap = dv->wrap;
	struct rdesc x;

	for (;;) {
		x = get_pdesc(m, vr->desc, dv->pos);
		if (((x.flags & VRING_PACKED_F_AVAIL) != 0) != dv->wrap || ((x.flags & VRING_PACKED_F_USED) != 0) == dv->wrap)
			return -1;	/* not available */
		id = x.next;
		n++;
		if (++dv->pos == vr->size) {
			dv->pos = 0;
			dv->wrap = !dv->wrap;
		}
		if (!(x.flags & VRING_DESC_F_NEXT))
			break;
		if (n > vr->size)
			return -1;
	}
	/* One used descriptor at the chain's first position, with the wrap of that position. */
	put16(m, vr->desc + 16 * (uint64_t)start + 12, id);
	put32(m, vr->desc + 16 * (uint64_t)start + 8, len);
	put16(m, vr->desc + 16 * (uint64_t)start + 14,
	      (uint16_t)(wrap ? VRING_PACKED_F_AVAIL | VRING_PACKED_F_USED : 0));
	return n;
}

static void test_packed(void)
{
	struct vring_seg segs[2] = { { .len = 32 }, { .len = 64, .write = true } };
	struct vhu_err e = { 0 };
	struct vring_used u;
	struct pdev dv = { 0, true };
	struct vring vr;
	struct rdesc d0, d1;
	uint16_t id;
	unsigned flips = 0, bad = 0, rounds = 0;
	bool last_wrap;
	int r;

	mem_setup(&M, MIB, 0x100000);
	ring_setup(&vr, &M, 8, true, false);
	SNAP = M;
	tap_is_int(vring_base(&vr), 0x80008000u, "packed: vring_base is 0x80008000");
	tap_ok(vr.avail_wrap && vr.used_wrap, "packed: wrap counters start at 1");
	tap_is_int(vring_post(&vr, &M, segs, NULL, 2, false, &id, &e), 0, "packed: post chain of 2");
	d0 = get_pdesc(&M, vr.desc, 0);
	d1 = get_pdesc(&M, vr.desc, 1);
	tap_is_int(d0.flags, VRING_PACKED_F_AVAIL | VRING_DESC_F_NEXT, "packed: desc 0 flags AVAIL|NEXT, USED clear");
	tap_is_int(d1.flags, VRING_PACKED_F_AVAIL | VRING_DESC_F_WRITE, "packed: desc 1 flags AVAIL|WRITE, USED clear");
	tap_ok(d0.addr == segs[0].gpa && d0.len == 32 && d0.next == id, "packed: desc 0 addr/len/id");
	tap_ok(d1.addr == segs[1].gpa && d1.len == 64 && d1.next == id, "packed: desc 1 addr/len/id");
	tap_is_int(vr.next_avail, 2, "packed: next_avail 2");
	tap_is_int(vring_get_used(&vr, &M, &u, &e), 0, "packed: nothing used yet");
	/* A used descriptor has AVAIL == USED == wrap; the device writes it at position 0. */
	put16(&M, vr.desc + 12, id);
	put32(&M, vr.desc + 8, 60);
	put16(&M, vr.desc + 14, VRING_PACKED_F_AVAIL | VRING_PACKED_F_USED);
	r = vring_get_used(&vr, &M, &u, &e);
	tap_is_int(r, 1, "packed: get_used sees the used descriptor");
	tap_ok(r == 1 && u.id == id && u.len == 60 && u.chain->nseg == 2, "packed: used id %u len %u", u.id, u.len);
	tap_is_int(vr.last_used_pk, 2, "packed: last_used steps over the whole chain");
	tap_is_int(vring_get_used(&vr, &M, &u, &e), 0, "packed: then nothing");
	vring_release(&vr, &M, id);
	tap_is_int(vring_in_flight(&vr), 0, "packed: released");
	dv.pos = 2;

	/* Several trips round the ring, chains of 1..3 with up to two in flight. */
	last_wrap = vr.avail_wrap;
	for (unsigned i = 0; i < 60; i++) {
		unsigned n1 = 1 + i % 3, n2 = 1 + (i / 3) % 2, got = 0;
		struct vring_seg s[3] = { { .len = 8 }, { .len = 8, .write = true }, { .len = 8, .write = true } };
		uint16_t ids[2], pos[2];
		bool wr[2];

		for (unsigned k = 0; k < 2; k++) {
			pos[k] = vr.next_avail;
			wr[k] = vr.avail_wrap;
			if (vring_post(&vr, &M, s, NULL, k ? n2 : n1, false, &ids[k], &e) != 0) {
				bad++;
				printf("#   round %u post %u: %s\n", i, k, e.msg);
			}
			/* The first descriptor of each chain carries the wrap of its position. */
			d0 = get_pdesc(&M, vr.desc, pos[k]);
			if (((d0.flags & VRING_PACKED_F_AVAIL) != 0) != wr[k] ||
			    ((d0.flags & VRING_PACKED_F_USED) != 0) == wr[k]) {
				bad++;
				printf("#   round %u: desc %u flags 0x%x with wrap %d\n", i, pos[k], d0.flags, wr[k]);
			}
			if (vr.avail_wrap != last_wrap) {
				flips++;
				last_wrap = vr.avail_wrap;
			}
		}
		for (unsigned k = 0; k < 2; k++)
			if (pdev_complete(&dv, &M, &vr, 100 + k) != (int)(k ? n2 : n1))
				bad++;
		while ((r = vring_get_used(&vr, &M, &u, &e)) == 1) {
			if (got >= 2 || u.id != ids[got] || u.len != 100 + got)
				bad++;
			vring_release(&vr, &M, u.id);
			got++;
		}
		if (r < 0 || got != 2) {
			bad++;
			printf("#   round %u: r %d got %u: %s\n", i, r, got, e.msg);
			break;
		}
		rounds++;
	}
	tap_is_int(bad, 0, "packed: %u rounds round the ring, flags and used entries right", rounds);
	tap_ok(flips >= 6, "packed: the driver's wrap counter flipped %u times", flips);
	tap_ok(vr.used_wrap == vr.avail_wrap && vr.last_used_pk == vr.next_avail,
	       "packed: driver used position caught up with avail position");
	tap_is_int(vring_in_flight(&vr), 0, "packed: nothing in flight");
	tap_ok(same_free(&M, &SNAP), "packed: no guest memory leaked");

	/* Malicious packed device: id out of range, id not in flight. */
	{
		uint16_t p = vr.next_avail;
		bool w = vr.avail_wrap;
		uint16_t uflags = (uint16_t)(w ? VRING_PACKED_F_AVAIL | VRING_PACKED_F_USED : 0);

		post1(&vr, &M, 8, false, &id, &e);
		put16(&M, vr.desc + 16 * (uint64_t)p + 12, 8);
		put16(&M, vr.desc + 16 * (uint64_t)p + 14, uflags);
		memset(&e, 0, sizeof(e));
		tap_is_int(vring_get_used(&vr, &M, &u, &e), -EPROTO, "packed evil: used buffer id 8 on size 8: -EPROTO");
		tap_ok(strstr(e.msg, "not in flight") != NULL, "packed evil: message ('%s')", e.msg);
		tap_is_int(vring_in_flight(&vr), 1, "packed evil: the real chain is still in flight");
		vring_free(&vr, &M);
		ring_setup(&vr, &M, 8, true, false);
	}

	/* Out of order: the device writes its used descriptors one after the
	 * other, each for the buffer it finished; the driver steps over as many
	 * slots as that buffer took. */
	{
		uint16_t ia, ib;

		vring_post(&vr, &M, segs, NULL, 2, false, &ia, &e);
		vring_set_tag(&vr, ia, 5);
		post1(&vr, &M, 8, true, &ib, &e);
		put16(&M, vr.desc + 12, ib);
		put32(&M, vr.desc + 8, 8);
		put16(&M, vr.desc + 14, VRING_PACKED_F_AVAIL | VRING_PACKED_F_USED);
		put16(&M, vr.desc + 16 + 12, ia);
		put32(&M, vr.desc + 16 + 8, 64);
		put16(&M, vr.desc + 16 + 14, VRING_PACKED_F_AVAIL | VRING_PACKED_F_USED);
		r = vring_get_used(&vr, &M, &u, &e);
		tap_ok(r == 1 && u.id == ib && u.chain->nseg == 1 && u.chain->tag == 0,
		       "packed out of order: the second buffer first, with its one segment");
		vring_release(&vr, &M, u.id);
		r = vring_get_used(&vr, &M, &u, &e);
		tap_ok(r == 1 && u.id == ia && u.chain->nseg == 2 && u.chain->tag == 5 && u.len == 64,
		       "packed out of order: then the first, with its two and its tag");
		vring_release(&vr, &M, u.id);
		tap_ok(vr.last_used_pk == 3 && vring_in_flight(&vr) == 0,
		       "packed out of order: the used position stepped over all 3 slots");
		vring_free(&vr, &M);
		tap_ok(mem_all_free(&M), "packed: vring_free gives everything back");
	}
	mem_free(&M);
}

static void test_packed_dump(void)
{
	struct vring_seg a[2] = { { .len = 32 }, { .len = 64, .write = true } };
	struct vring_seg b[1] = { { .len = 48 } };
	struct vring_dump_opts o = { 0 };
	struct vhu_err e = { 0 };
	struct json_object *d;
	struct pdev dv = { 0, true };
	struct vring_used u;
	struct vring vr;
	uint16_t ia, ib;

	mem_setup(&M, MIB, 0);
	ring_setup(&vr, &M, 8, true, false);
	vring_post(&vr, &M, a, NULL, 2, false, &ia, &e);
	vring_post(&vr, &M, b, NULL, 1, false, &ib, &e);
	d = dump_parsed(&vr, &M, &o);
	tap_is_str(jstr(jk(d, "layout")), "packed", "packed dump: layout packed");
	tap_is_int(jlen(jk(d, "anomalies")), 0, "packed dump: no anomalies");
	tap_is_str(jstr(jk(ji(jk(d, "descriptors"), 0), "state")), "available", "packed dump: desc 0 available");
	tap_is_str(jstr(jk(ji(jk(d, "descriptors"), 2), "state")), "available", "packed dump: desc 2 available");
	tap_is_int(jlen(jk(d, "chains")), 2, "packed dump: 2 chains");
	tap_is_int(jint(jk(ji(jk(d, "chains"), 0), "out_bytes")), 32, "packed dump: chain 0 out 32");
	tap_is_int(jint(jk(ji(jk(d, "chains"), 0), "in_bytes")), 64, "packed dump: chain 0 in 64");
	tap_is_int(jint(jk(ji(jk(d, "chains"), 1), "out_bytes")), 48, "packed dump: chain 1 out 48");
	tap_is_int(jint(jk(jk(d, "counts"), "available")), 2, "packed dump: counts.available 2");
	tap_is_int(jint(jk(jk(d, "counts"), "available_descriptors")), 3, "packed dump: 3 available descriptors");
	tap_ok(jk(d, "driver_event") && jk(d, "device_event"), "packed dump: event areas shown");
	json_object_put(d);
	pdev_complete(&dv, &M, &vr, 64);
	d = dump_parsed(&vr, &M, &o);
	tap_is_str(jstr(jk(ji(jk(d, "descriptors"), 0), "state")), "used", "packed dump: desc 0 used after the device");
	tap_is_str(jstr(jk(ji(jk(d, "descriptors"), 2), "state")), "available", "packed dump: desc 2 still available");
	json_object_put(d);
	vring_get_used(&vr, &M, &u, &e);
	vring_release(&vr, &M, u.id);
	d = dump_parsed(&vr, &M, &o);
	tap_is_int(jlen(jk(d, "chains")), 1, "packed dump: after collecting, 1 chain pending");
	tap_is_int(jint(jk(ji(jk(d, "chains"), 0), "head")), 2, "packed dump: pending chain starts at 2");
	json_object_put(d);
	o.chains_only = true;
	d = dump_parsed(&vr, &M, &o);
	tap_ok(!jk(d, "descriptors") && jk(d, "chains"), "packed dump chains_only: no descriptors");
	json_object_put(d);
	o.chains_only = false;
	o.from = 1;
	o.count = 2;
	d = dump_parsed(&vr, &M, &o);
	tap_is_int(jlen(jk(d, "descriptors")), 2, "packed dump window: from=1 count=2");
	json_object_put(d);

	/* A crafted chain with NEXT on every descriptor of the current wrap. */
	for (unsigned i = 0; i < 8; i++) {
		put64(&M, vr.desc + 16 * i, BUF);
		put32(&M, vr.desc + 16 * i + 8, 16);
		put16(&M, vr.desc + 16 * i + 12, 0);
		put16(&M, vr.desc + 16 * i + 14,
		      (uint16_t)(VRING_PACKED_F_AVAIL | VRING_DESC_F_NEXT));
	}
	o.from = o.count = 0;
	d = dump_parsed(&vr, &M, &o);
	expect_anomaly(d, "desc[1]", "chain runs over the whole ring", "packed: NEXT all the way round");
	json_object_put(d);
	vring_free(&vr, &M);
	mem_free(&M);
}

/* Packed indirect tables are struct pvirtq_desc {addr, len, id, flags}, read in order (virtio 1.1+ 2.8.19). */
static void test_packed_indirect(void)
{
	struct vring_seg s[2] = { { .len = 16 }, { .len = 64, .write = true } };
	struct vring_dump_opts o = { 0 };
	struct vhu_err e = { 0 };
	struct json_object *d, *ch;
	struct vring vr;
	struct rdesc d0, t0, t1;
	uint16_t id;

	mem_setup(&M, MIB, 0);
	ring_setup(&vr, &M, 8, true, false);
	tap_is_int(vring_post(&vr, &M, s, NULL, 2, true, &id, &e), 0, "packed indirect: post");
	d0 = get_pdesc(&M, vr.desc, 0);
	tap_ok(d0.flags == (VRING_PACKED_F_AVAIL | VRING_DESC_F_INDIRECT) && d0.len == 32 &&
	       d0.addr == vr.chains[id].indirect_gpa, "packed indirect: ring descriptor INDIRECT|AVAIL, len 32");
	t0 = get_pdesc(&M, d0.addr, 0);
	t1 = get_pdesc(&M, d0.addr, 1);
	tap_ok(t0.addr == s[0].gpa && t0.len == 16 && t0.flags == 0,
	       "packed indirect: table[0] as pvirtq_desc, flags (offset 14) 0 (got 0x%x)", t0.flags);
	tap_ok(t1.addr == s[1].gpa && t1.len == 64 && t1.flags == VRING_DESC_F_WRITE,
	       "packed indirect: table[1] as pvirtq_desc, flags (offset 14) WRITE (got 0x%x)", t1.flags);
	d = dump_parsed(&vr, &M, &o);
	ch = ji(jk(d, "chains"), 0);
	tap_is_int(jlen(jk(ch, "buffers")), 2, "packed indirect dump: both table entries are buffers");
	tap_is_int(jint(jk(ch, "out_bytes")), 16, "packed indirect dump: out_bytes 16");
	tap_is_int(jint(jk(ch, "in_bytes")), 64, "packed indirect dump: in_bytes 64");
	json_object_put(d);
	vring_free(&vr, &M);
	mem_free(&M);
}

/* --- 7. notifications --- */

static bool kick_rule(uint16_t new_idx, uint16_t event, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

static void test_need_kick(void)
{
	struct vhu_err e = { 0 };
	struct vring vr;
	uint16_t h, old;
	unsigned bad = 0, n = 0;
	static const uint16_t pts[] = { 0, 1, 2, 3, 7, 8, 100, 32767, 32768, 65533, 65534, 65535 };

	mem_setup(&M, MIB, 0);
	ring_setup(&vr, &M, 8, false, false);
	old = vr.avail_idx;
	post1(&vr, &M, 8, false, &h, &e);
	tap_ok(vring_need_kick(&vr, &M, old), "kick: no event idx, used.flags 0: kick");
	put16(&M, vr.used, VRING_USED_F_NO_NOTIFY);
	tap_ok(!vring_need_kick(&vr, &M, old), "kick: used.flags NO_NOTIFY: no kick");
	put16(&M, vr.used, 0xfffe);
	tap_ok(vring_need_kick(&vr, &M, old), "kick: other used.flags bits do not suppress");
	put16(&M, avail_event_at(&vr), 12345);
	put16(&M, vr.used, 0);
	tap_ok(vring_need_kick(&vr, &M, old), "kick: avail_event ignored without EVENT_IDX");
	vring_free(&vr, &M);

	ring_setup(&vr, &M, 8, false, true);
	old = vr.avail_idx;
	post1(&vr, &M, 8, false, &h, &e);
	put16(&M, avail_event_at(&vr), 0);
	tap_ok(vring_need_kick(&vr, &M, old), "kick: event idx, avail_event 0, 0 -> 1: kick");
	put16(&M, avail_event_at(&vr), 1);
	tap_ok(!vring_need_kick(&vr, &M, old), "kick: event idx, avail_event 1, 0 -> 1: no kick");
	put16(&M, vr.used, VRING_USED_F_NO_NOTIFY);
	put16(&M, avail_event_at(&vr), 0);
	tap_ok(vring_need_kick(&vr, &M, old), "kick: event idx overrides NO_NOTIFY");
	/* The rule, over wrap-prone values (our avail_idx set by hand; need_kick only reads it). */
	for (size_t a = 0; a < sizeof(pts) / sizeof(pts[0]); a++)
		for (uint16_t k = 0; k < 6; k++)
			for (size_t ev = 0; ev < sizeof(pts) / sizeof(pts[0]); ev++)
				for (int dlt = -2; dlt <= 2; dlt++) {
					uint16_t nw = (uint16_t)(pts[a] + k), o = pts[a];
					uint16_t event = (uint16_t)(pts[ev] + dlt + (ev % 2 ? nw : 0));

					vr.avail_idx = nw;
					put16(&M, avail_event_at(&vr), event);
					if (vring_need_kick(&vr, &M, o) != kick_rule(nw, event, o))
						bad++;
					n++;
				}
	tap_is_int(bad, 0, "kick: (u16)(new - event - 1) < (u16)(new - old) over %u cases", n);
	vr.avail_idx = 2;
	put16(&M, avail_event_at(&vr), 65535);
	tap_ok(vring_need_kick(&vr, &M, 65534), "kick: 65534 -> 2 passes event 65535: kick");
	put16(&M, avail_event_at(&vr), 2);
	tap_ok(!vring_need_kick(&vr, &M, 65534), "kick: 65534 -> 2, event 2 not yet passed: no kick");
	vr.avail_idx = 1;	/* back to the truth before freeing */
	vring_free(&vr, &M);

	ring_setup(&vr, &M, 8, true, false);
	old = 0;
	post1(&vr, &M, 8, false, &h, &e);
	tap_ok(vring_need_kick(&vr, &M, old), "kick packed: device event ENABLE: kick");
	put16(&M, vr.used + 2, 1);
	tap_ok(!vring_need_kick(&vr, &M, old), "kick packed: device event DISABLE: no kick");
	vring_free(&vr, &M);
	mem_free(&M);
}

/* --- misc: init bounds, used_event --- */

static void test_init(void)
{
	struct vhu_err e = { 0 };
	struct vring vr;

	mem_setup(&M, MIB, 0x100000);
	tap_is_int(vring_init(&vr, &M, 0, 0, false, false, &e), -EINVAL, "init: size 0 refused");
	tap_is_int(vring_init(&vr, &M, 0, 6, false, false, &e), -EINVAL, "init: split size 6 refused");
	tap_is_int(vring_init(&vr, &M, 0, 32769, true, false, &e), -EINVAL, "init: size 32769 refused");
	tap_is_int(vring_init(&vr, &M, 0, 6, true, false, &e), 0, "init: packed size 6 accepted");
	vring_free(&vr, &M);
	tap_ok(mem_all_free(&M), "init: packed vring_free gives everything back");
	mem_free(&M);

	/* 20 KiB: the 16 KiB table and the avail ring fit, the 4096-aligned used ring does not. */
	mem_setup(&M, 20480, 0x100000);
	tap_is_int(vring_init(&vr, &M, 0, 1024, false, false, &e), -ENOMEM, "init: no room for the used ring: -ENOMEM");
	tap_ok(strstr(e.msg, "used ring") != NULL, "init: message names the used ring ('%s')", e.msg);
	tap_ok(mem_all_free(&M), "init: a failed init leaves guest memory as it was");
	if (!mem_all_free(&M))
		show_free(&M);
	mem_free(&M);

	/* Chains still in flight when the ring goes away. */
	mem_setup(&M, MIB, 0x100000);
	ring_setup(&vr, &M, 8, false, false);
	{
		struct vring_seg s[3] = { { .len = 16 }, { .len = 512, .write = true }, { .len = 1, .write = true } };
		uint16_t h;

		tap_is_int(vring_post(&vr, &M, s, NULL, 3, false, &h, &e), 0, "init: post direct");
		tap_is_int(vring_post(&vr, &M, s, NULL, 3, true, &h, &e), 0, "init: post indirect");
	}
	vring_free(&vr, &M);
	tap_ok(mem_all_free(&M), "init: vring_free with chains in flight gives all guest memory back");
	if (!mem_all_free(&M))
		show_free(&M);
	mem_free(&M);

	mem_setup(&M, MIB, 0x100000);
	ring_setup(&vr, &M, 256, false, true);
	tap_ok(vr.desc % 16 == 0 && vr.avail % 2 == 0 && vr.used % 4 == 0, "init: areas aligned");
	tap_ok(vr.desc >= 0x100000 && vr.used + 6 + 8 * 256 <= 0x200000, "init: areas inside the region");
	tap_ok(vr.avail >= vr.desc + 16 * 256 || vr.avail + 6 + 2 * 256 <= vr.desc, "init: avail does not overlap desc");
	vring_free(&vr, &M);
	tap_ok(mem_all_free(&M), "init: vring_free away from GPA 0 gives everything back");
	mem_free(&M);
}

/* --- rings laid out by hand: adopted, not allocated --- */

static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

static void test_adopt(void)
{
	const uint64_t base = 0x100000000, desc = base + 0x12340, avail = base + 0x5ffe, used = base + 0x7a004;
	struct vring_seg s[2] = { { .len = 4000, .write = false }, { .len = 3000, .write = true } };
	struct vhu_err e = { 0 };
	struct vring_used u;
	struct vring vr;
	bool clear = true;
	uint16_t h;

	mem_setup(&M, 2 * MIB, base);
	tap_is_int(vring_adopt(&vr, &M, 3, 64, false, false, desc, avail, used, 7, &e), 0,
		   "adopt: a split ring at odd places in a region at 4 GiB");
	tap_ok(vr.avail_idx == 7 && vr.last_used == 7, "adopt: indexes start from SET_VRING_BASE (7)");
	for (int i = 0; i < 40; i++) {
		if (vring_post(&vr, &M, s, NULL, 2, false, &h, &e) < 0)
			break;
		for (unsigned k = 0; k < 2; k++)
			if (overlap(vr.chains[h].seg[k].gpa, vr.chains[h].seg[k].len, desc, 16 * 64) ||
			    overlap(vr.chains[h].seg[k].gpa, vr.chains[h].seg[k].len, avail, 6 + 2 * 64) ||
			    overlap(vr.chains[h].seg[k].gpa, vr.chains[h].seg[k].len, used, 6 + 8 * 64))
				clear = false;
	}
	tap_ok(clear, "adopt: no buffer is allocated over the ring's areas");
	tap_is_int(get16(&M, avail + 2), 7 + 32, "adopt: avail.idx counts on from the base");
	tap_is_int(get16(&M, desc + 16 * 0 + 12), VRING_DESC_F_NEXT, "adopt: descriptors written in the table that was sent");
	/* The device uses the first chain. */
	put32(&M, used + 4 + 8 * (7 % 64), 0);
	put32(&M, used + 8 + 8 * (7 % 64), 3000);
	put16(&M, used + 2, 8);
	tap_is_int(vring_get_used(&vr, &M, &u, &e), 1, "adopt: the device's used entry is found after the base");
	vring_free(&vr, &M);
	tap_ok(mem_all_free(&M), "adopt: freeing gives back exactly what it took");
	if (!mem_all_free(&M))
		show_free(&M);

	/* Overlapping areas: the avail ring inside the descriptor table. */
	tap_is_int(vring_adopt(&vr, &M, 0, 16, false, false, base + 0x1000, base + 0x1010, base + 0x2000, 0, &e), 0,
		   "adopt: overlapping areas are taken as they are");
	tap_is_int(vring_post(&vr, &M, s, NULL, 1, false, &h, &e), 0, "adopt: and can be posted to");
	tap_ok(!overlap(vr.chains[h].seg[0].gpa, 4000, base + 0x1000, 0x1100), "adopt: the buffer avoids both");
	vring_free(&vr, &M);
	tap_ok(mem_all_free(&M), "adopt: overlapping areas given back once");

	/* What cannot be driven is named. */
	tap_is_int(vring_adopt(&vr, &M, 0, 64, false, false, desc, avail, base + 2 * MIB - 8, 0, &e), -EFAULT,
		   "adopt: a used ring running past the region: -EFAULT");
	tap_ok(strstr(e.msg, "used ring") != NULL, "adopt: the message names the used ring ('%s')", e.msg);
	tap_is_int(vring_adopt(&vr, &M, 0, 64, false, false, desc, avail + 1, used, 0, &e), -EINVAL,
		   "adopt: an avail ring at an odd address: -EINVAL");
	tap_ok(strstr(e.msg, "2-byte aligned") != NULL, "adopt: the message says the alignment ('%s')", e.msg);
	tap_is_int(vring_adopt(&vr, &M, 0, 0, false, false, desc, avail, used, 0, &e), -EINVAL, "adopt: size 0 refused");
	tap_ok(mem_all_free(&M), "adopt: a refused adoption takes nothing");

	/* Packed: the base carries both indexes and wrap counters. */
	tap_is_int(vring_adopt(&vr, &M, 0, 8, true, false, desc, avail + 2, used, (1u << 31) | (5u << 16) | 3u, &e), 0,
		   "adopt: a packed ring");
	tap_ok(vr.next_avail == 3 && !vr.avail_wrap && vr.last_used_pk == 5 && vr.used_wrap,
	       "adopt: packed base 0x%x: avail 3 wrap 0, used 5 wrap 1", (1u << 31) | (5u << 16) | 3u);
	vring_free(&vr, &M);
	tap_ok(mem_all_free(&M), "adopt: packed freed");
	mem_free(&M);
}

static void test_mem_take(void)
{
	struct mem_extent got[4];
	unsigned n;

	mem_setup(&M, MIB, 0);
	n = mem_take(&M, 0x1008, 0x100, got, 4);
	tap_ok(n == 1 && got[0].gpa == 0x1000 && got[0].size == 0x110, "take: the middle of a free range, in whole granules");
	tap_is_int(M.nfree, 2, "take: the range splits in two");
	tap_is_int(mem_take(&M, 0x1000, 0x20, got + 1, 3), 0, "take: what is taken already is not taken again");
	mem_release(&M, got[0].gpa, got[0].size);
	tap_ok(mem_all_free(&M), "take: given back, all is free again");
	mem_free(&M);
}

/* vring_hold: a burst's chains are in the ring, avail.idx moves once; a
 * descriptor posted again with the same buffer is left as it was; the
 * pointers the ring keeps into memory follow the memory table. */
static void test_hold(void)
{
	struct vring_seg seg = { .len = 64 };
	struct vhu_err e = { 0 };
	struct vring_used u;
	struct vring vr;
	uint16_t head[4], h = 0, floor_before;
	int r, ok = 1;

	mem_setup(&M, MIB, 0);
	ring_setup(&vr, &M, 8, false, false);
	mem_alloc(&M, 64, 16, &seg.gpa);
	vring_hold(&vr, &M, true);
	for (unsigned i = 0; i < 4; i++)
		ok &= vring_post_bufs(&vr, &M, &seg, 1, &head[i], &e) == 0;
	tap_ok(ok, "hold: 4 chains posted while held");
	tap_is_int(get16(&M, avail_idx_at(&vr)), 0, "hold: avail.idx not published while held");
	tap_ok(get16(&M, avail_ring_at(&vr, 3)) == head[3] && get_desc(&M, vr.desc, head[3]).addr == seg.gpa,
	       "hold: the chains are in the ring already");
	vring_hold(&vr, &M, false);
	tap_is_int(get16(&M, avail_idx_at(&vr)), 4, "hold: released, avail.idx published once: 4");

	/* a device answering head 0 twice: once for the chain, once again after
	 * the chain was posted anew in the next burst, before it began */
	dev_used_split(&M, &vr, head[0], 0);
	tap_is_int(vring_get_used(&vr, &M, &u, &e), 1, "hold: head 0 used");
	vring_release(&vr, &M, head[0]);
	dev_used_split(&M, &vr, head[0], 0);	/* the repeat, written before the next hold */
	floor_before = get16(&M, used_idx_at(&vr));
	vring_hold(&vr, &M, true);
	r = vring_post_bufs(&vr, &M, &seg, 1, &head[0], &e);
	vring_hold(&vr, &M, false);
	tap_ok(r == 0 && vr.chains[head[0]].used_floor == floor_before,
	       "hold: a chain posted in a hold takes used.idx as it was when the hold began (%u)", floor_before);
	r = vring_get_used(&vr, &M, &u, &e);
	tap_ok(r == -EPROTO && strstr(e.msg, "used twice"), "hold: the repeated entry is refused ('%s')", e.msg);

	/* posted again in the same place: rewritten where it differs */
	dev_used_split(&M, &vr, head[1], 0);
	while ((r = vring_get_used(&vr, &M, &u, &e)) == 1 || r == -EPROTO)
		if (r == 1)
			vring_release(&vr, &M, u.id);
	put16(&M, vr.desc + 16 * (uint64_t)head[1] + 14, 0x5a5a);	/* the device scribbled on 'next' */
	r = vring_post_bufs(&vr, &M, &seg, 1, &h, &e);
	{
		struct rdesc d = get_desc(&M, vr.desc, h);

		tap_ok(r == 0 && h == head[1] && d.addr == seg.gpa && d.len == 64 && d.flags == 0 && d.next == 0,
		       "hold: a descriptor posted again is rewritten where it differs (next %#x)", d.next);
	}
	vring_free(&vr, &M);

	/* the region under the ring goes: the ring says so, it does not touch
	 * the old mapping */
	ring_setup(&vr, &M, 8, false, false);
	tap_is_int(vring_get_used(&vr, &M, &u, &e), 0, "hold: fresh ring, nothing used");
	mem_remove(&M, 0, NULL);
	r = vring_get_used(&vr, &M, &u, &e);
	tap_is_int(r, -EFAULT, "hold: region removed under the ring: -EFAULT, no stale pointer");
	tap_ok(!vring_has_used(&vr, &M), "hold: and nothing is seen used");
	free(vr.free);	/* its memory went with the region: only the books are left */
	free(vr.chains);
	mem_free(&M);
}

int main(void)
{
	alarm(120);	/* a hang is a failure */
	test_init();
	test_adopt();
	test_mem_take();
	test_split_round_trip();
	test_free_at_gpa0();
	test_two_regions();
	test_split_indirect();
	test_split_wrap();
	test_split_malicious();
	test_split_out_of_order();
	test_dump_clean();
	test_dump_loop();
	test_dump_bounds();
	test_dump_indirect();
	test_dump_garbage();
	test_packed();
	test_packed_dump();
	test_packed_indirect();
	test_need_kick();
	test_hold();
	return tap_done();
}
