/* fuzz-vring.c - the ring decoders over guest memory a back-end writes.
 *
 * Guest memory is one or two regions of a 64 KiB buffer, placed in guest
 * physical space as the input says (at 0, at 4 GiB, just under 2^64, two
 * regions back to back as two 'mem add' make them, or with a gap). Input:
 * u8 ring (bit 0 packed, bit 1 EVENT_IDX, bit 2 driven, bit 3 dump chains
 * only, bits 4-7 log2 of the size, at most 10), u8 size cut (packed rings need not be
 * powers of two), u16 dump from, u16 dump count, u8 memory layout, then
 *
 *   raw: the ring's three addresses (u32 offsets into the memory) and the
 *   driver's own state as vhuctl could hold it (indexes, wrap counters,
 *   the chains it has in flight), then the bytes of guest memory: the
 *   ring is dumped and its used entries collected;
 *
 *   driven: the ring is laid out by vring_init and used as 'vring post'
 *   and 'vring used' use it, for up to four rounds of {chains posted,
 *   patches of bytes written over the descriptor table, avail or used
 *   ring or anywhere, as a back-end may, then dump, collect and release}.
 *   vhuctl's own books must stay right whatever the memory holds: every
 *   descriptor and buffer id free or in flight exactly once, every area
 *   and buffer inside one region, all guest memory free after vring_free. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "core/vring.h"
#include "core/vring_dump.h"

#define MEM_SIZE (64u << 10)
#define PAGE 4096u

enum {
	RING_PACKED = 1,
	RING_EVENT_IDX = 2,
	RING_DRIVEN = 4,
	RING_CHAINS_ONLY = 8,
};

static uint8_t *guest;

/* Regions over GUEST as layout L places them, each free for allocation as
 * mem_add leaves it. */
static void place_memory(struct mem *m, uint8_t l)
{
	static const struct { uint64_t gpa[2], size[2]; unsigned n; } layouts[] = {
		{ { 0 }, { MEM_SIZE }, 1 },
		{ { UINT64_C(1) << 32 }, { MEM_SIZE }, 1 },
		{ { UINT64_MAX - MEM_SIZE - PAGE + 1 }, { MEM_SIZE }, 1 },
		{ { 0, MEM_SIZE / 2 }, { MEM_SIZE / 2, MEM_SIZE / 2 }, 2 },
		{ { 0, MEM_SIZE }, { MEM_SIZE / 2, MEM_SIZE / 2 }, 2 },
	};
	unsigned k = l % (sizeof(layouts) / sizeof(layouts[0]));
	uint64_t at = 0;

	mem_init(m);
	for (unsigned i = 0; i < layouts[k].n; i++) {
		m->r[i] = (struct mem_region){ .fd = -1, .va = guest + at,
					       .gpa = layouts[k].gpa[i], .size = layouts[k].size[i] };
		at += layouts[k].size[i];
		m->n++;
		mem_release(m, m->r[i].gpa, m->r[i].size);
	}
}

static void dump(const struct vring *vr, const struct mem *m, const struct vring_dump_opts *o)
{
	fuzz_json(vring_dump(vr, m, o));
}

/* Every descriptor index (split) or buffer id (packed) is free or taken
 * by a chain in flight, once. */
static void check_books(const struct vring *vr)
{
	unsigned taken = 0;

	for (uint16_t i = 0; i < vr->size; i++)
		if (vr->chains[i].busy)
			taken += vr->packed ? 1 : vr->chains[i].ndesc;
	FUZZ_CHECK(vr->nfree + taken == vr->size, "%u free + %u taken on a ring of %u",
		   vr->nfree, taken, vr->size);
	for (uint16_t i = 0; i < vr->nfree; i++)
		FUZZ_CHECK(vr->free[i] < vr->size, "free entry %u is %u on a ring of %u", i,
			   vr->free[i], vr->size);
}

/* Used entries as 'vring used' takes them: each names a chain in flight,
 * and (RELEASE) giving it back keeps the books. */
static void collect(struct vring *vr, struct mem *m, bool release)
{
	struct vring_used u;

	for (unsigned i = 0; i < 2u * vr->size + 2; i++) {
		struct vhu_err e = { 0 };
		unsigned before = vring_in_flight(vr);
		int r = vring_get_used(vr, m, &u, &e);

		if (r <= 0) {
			FUZZ_CHECK(r == 0 || e.msg[0], "get_used failed without a message");
			break;
		}
		FUZZ_CHECK(u.id < vr->size && u.chain == &vr->chains[u.id] && u.chain->busy,
			   "used id %u is not a chain in flight", u.id);
		if (!release)
			continue;
		vring_release(vr, m, u.id);
		FUZZ_CHECK(vring_in_flight(vr) == before - 1, "release left %u of %u in flight",
			   vring_in_flight(vr), before);
		check_books(vr);
	}
}

/* --- raw: any layout, any memory --------------------------------------- */

/* The chains vhuctl could have in flight: ids below the size, and for a
 * packed ring no more descriptors than it has. */
static void raw_chains(struct vring *vr, struct fuzz_in *in)
{
	unsigned n = fuzz_u8(in) % 16, slots = vr->size;

	for (unsigned i = 0; i < n; i++) {
		uint16_t id = (uint16_t)(fuzz_u16(in) % vr->size);
		uint16_t ndesc = (uint16_t)(1 + fuzz_u8(in) % (vr->size < VRING_SEGS_MAX ? vr->size : VRING_SEGS_MAX));

		if (vr->chains[id].busy || (vr->packed && ndesc > slots))
			continue;
		vr->chains[id].busy = true;
		vr->chains[id].ndesc = ndesc;
		slots -= ndesc;
	}
}

static void raw(struct vring *vr, struct mem *m, struct fuzz_in *in, const struct vring_dump_opts *o)
{
	uint64_t base = m->r[0].gpa;
	const uint8_t *bytes;
	size_t len;

	vr->desc = base + fuzz_u32(in);
	vr->avail = base + fuzz_u32(in);
	vr->used = base + fuzz_u32(in);
	vr->have_desc = vr->have_avail = vr->have_used = true;
	vr->avail_idx = fuzz_u16(in);
	vr->last_used = fuzz_u16(in);
	vr->next_avail = (uint16_t)(fuzz_u16(in) % vr->size);
	vr->last_used_pk = (uint16_t)(fuzz_u16(in) % vr->size);
	vr->avail_wrap = fuzz_u8(in) & 1;
	vr->used_wrap = fuzz_u8(in) & 1;
	raw_chains(vr, in);
	bytes = fuzz_take(in, MEM_SIZE, &len);
	memcpy(guest, bytes, len);
	dump(vr, m, o);
	vring_need_kick(vr, m, (uint16_t)(vr->avail_idx - 1));
	collect(vr, m, false);	/* not released: the chains are made up, not ours */
	for (uint16_t i = 0; i < vr->size; i++)
		vr->chains[i] = (struct vring_chain){ 0 };	/* nothing for vring_free to give back */
}

/* --- driven: vhuctl's ring, the back-end's writes ---------------------- */

static bool inside(const struct mem *m, uint64_t gpa, uint64_t len)
{
	return mem_gpa_ptr(m, gpa, len) != NULL;
}

static void post(struct vring *vr, struct mem *m, struct fuzz_in *in)
{
	static const uint8_t fill[1024];
	struct vring_seg segs[8];
	const uint8_t *data[8];
	uint8_t spec = fuzz_u8(in);
	unsigned n = 1 + (spec & 7), nout = (spec >> 4) % (n + 1);
	struct vhu_err e = { 0 };
	uint16_t head;

	for (unsigned i = 0; i < n; i++) {
		segs[i] = (struct vring_seg){ .len = fuzz_u8(in) * 4u, .write = i >= nout };
		data[i] = fill;
	}
	if (vring_post(vr, m, segs, data, n, spec & 8, &head, &e) < 0) {
		FUZZ_CHECK(e.msg[0], "post failed without a message");
		return;
	}
	FUZZ_CHECK(head < vr->size && vr->chains[head].busy, "post gave head %u", head);
	for (unsigned i = 0; i < n; i++)
		FUZZ_CHECK(inside(m, vr->chains[head].seg[i].gpa, vr->chains[head].seg[i].len),
			   "buffer %u of %u bytes at 0x%llx is not inside one region", i, segs[i].len,
			   (unsigned long long)vr->chains[head].seg[i].gpa);
	if (vr->chains[head].indirect)
		FUZZ_CHECK(inside(m, vr->chains[head].indirect_gpa, 16u * n),
			   "indirect table at 0x%llx is not inside one region",
			   (unsigned long long)vr->chains[head].indirect_gpa);
}

/* Bytes written where the input says: into one of the ring's areas, or
 * anywhere in the first region. */
static void patch(const struct vring *vr, const struct mem *m, struct fuzz_in *in)
{
	uint8_t sel = fuzz_u8(in);
	uint16_t off = fuzz_u16(in);
	size_t len;
	const uint8_t *b = fuzz_take(in, 1 + (sel >> 2) % 16, &len);
	uint64_t area[] = { vr->desc, vr->avail, vr->used, m->r[0].gpa };
	uint8_t *p = mem_gpa_ptr(m, area[sel & 3] + off, len);

	if (p)
		memcpy(p, b, len);
}

static void driven(struct vring *vr, struct mem *m, struct fuzz_in *in, const struct vring_dump_opts *o)
{
	unsigned rounds = 1 + fuzz_u8(in) % 4;

	FUZZ_CHECK(inside(m, vr->desc, 16u * vr->size) &&
		   inside(m, vr->avail, vr->packed ? 4 : 6 + 2u * vr->size) &&
		   inside(m, vr->used, vr->packed ? 4 : 6 + 8u * vr->size),
		   "a ring area is not inside one region");
	for (unsigned r = 0; r < rounds; r++) {
		unsigned nposts = fuzz_u8(in) % 8, npatches = fuzz_u8(in) % 16;

		for (unsigned i = 0; i < nposts; i++)
			post(vr, m, in);
		check_books(vr);
		for (unsigned i = 0; i < npatches; i++)
			patch(vr, m, in);
		dump(vr, m, o);
		vring_need_kick(vr, m, (uint16_t)(vr->avail_idx - 1));
		collect(vr, m, true);
	}
}

/* After vring_free, every region is one free range again. */
static void check_all_free(const struct mem *m)
{
	FUZZ_CHECK(m->nfree == m->n, "guest memory leaked: %u free ranges over %u regions",
		   m->nfree, m->n);
	for (unsigned i = 0; i < m->n; i++)
		FUZZ_CHECK(m->free[i].gpa == m->r[i].gpa && m->free[i].size == m->r[i].size,
			   "region %u is not wholly free after vring_free", i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mem m;
	struct fuzz_in in = { data, size };
	uint8_t ring = fuzz_u8(&in), cut = fuzz_u8(&in);
	/* Up to 1024 entries: larger rings take no other path, only longer. */
	unsigned n = 1u << ((ring >> 4) < 10 ? (ring >> 4) : 10);
	struct vring_dump_opts o = { .chains_only = ring & RING_CHAINS_ONLY };
	struct vhu_err e = { 0 };
	struct vring vr;

	o.from = fuzz_u16(&in);
	o.count = fuzz_u16(&in);
	if (!guest)
		guest = aligned_alloc(PAGE, MEM_SIZE);
	FUZZ_CHECK(guest, "out of memory");
	memset(guest, 0, MEM_SIZE);
	place_memory(&m, fuzz_u8(&in));
	if ((ring & RING_PACKED) && cut < n)
		n -= cut;	/* any size from 1 */
	if (ring & RING_DRIVEN) {
		if (vring_init(&vr, &m, 0, (uint16_t)n, ring & RING_PACKED, ring & RING_EVENT_IDX, &e) < 0) {
			FUZZ_CHECK(e.msg[0], "vring_init failed without a message");
			return 0;
		}
		driven(&vr, &m, &in, &o);
		vring_free(&vr, &m);
		check_all_free(&m);
		return 0;
	}
	memset(&vr, 0, sizeof(vr));
	vr.active = true;
	vr.packed = ring & RING_PACKED;
	vr.event_idx = ring & RING_EVENT_IDX;
	vr.size = (uint16_t)n;
	vr.free = calloc(n, sizeof(*vr.free));
	vr.chains = calloc(n, sizeof(*vr.chains));
	FUZZ_CHECK(vr.free && vr.chains, "out of memory");
	raw(&vr, &m, &in, &o);
	vr.have_desc = vr.have_avail = vr.have_used = false;	/* not allocated from M */
	vring_free(&vr, &m);
	return 0;
}
