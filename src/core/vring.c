/* vring.c - virtqueues in guest memory, driven as a guest driver would (split and packed). */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/vring.h"

/* The back-end writes these areas concurrently: every field is loaded once,
 * atomically, into a local, and only the local is looked at. */
bool vring_rd16(const struct mem *m, uint64_t gpa, uint16_t *v)
{
	uint16_t *p = mem_gpa_ptr(m, gpa, 2);

	if (!p || (uintptr_t)p % 2)
		return false;
	*v = le16toh(__atomic_load_n(p, __ATOMIC_ACQUIRE));
	return true;
}

bool vring_rd32(const struct mem *m, uint64_t gpa, uint32_t *v)
{
	uint32_t *p = mem_gpa_ptr(m, gpa, 4);

	if (!p || (uintptr_t)p % 4)
		return false;
	*v = le32toh(__atomic_load_n(p, __ATOMIC_RELAXED));
	return true;
}

bool vring_rd64(const struct mem *m, uint64_t gpa, uint64_t *v)
{
	uint8_t *p = mem_gpa_ptr(m, gpa, 8);
	uint64_t x;

	if (!p)
		return false;
	memcpy(&x, p, 8);
	*v = le64toh(x);
	return true;
}

static void wr16(const struct mem *m, uint64_t gpa, uint16_t v)
{
	uint16_t *p = mem_gpa_ptr(m, gpa, 2);

	if (p)
		__atomic_store_n(p, htole16(v), __ATOMIC_RELEASE);
}

static void wr32(const struct mem *m, uint64_t gpa, uint32_t v)
{
	uint32_t *p = mem_gpa_ptr(m, gpa, 4);

	if (p)
		__atomic_store_n(p, htole32(v), __ATOMIC_RELAXED);
}

static void wr64(const struct mem *m, uint64_t gpa, uint64_t v)
{
	uint8_t *p = mem_gpa_ptr(m, gpa, 8);

	v = htole64(v);
	if (p)
		memcpy(p, &v, 8);
}

static void zero(const struct mem *m, uint64_t gpa, uint64_t len)
{
	uint8_t *p = mem_gpa_ptr(m, gpa, len);

	if (p)
		memset(p, 0, len);
}

static uint64_t split_avail_size(uint16_t q) { return 6 + 2 * (uint64_t)q; }
static uint64_t split_used_size(uint16_t q) { return 6 + 8 * (uint64_t)q; }

/* --- the ring's own areas, through pointers kept while the memory table stays --- */

enum { A_DESC, A_AVAIL, A_USED };

static __attribute__((noinline)) void areas_find(struct vring *vr, const struct mem *m)
{
	const uint64_t gpa[3] = { vr->desc, vr->avail, vr->used };
	const uint64_t len[3] = { 16 * (uint64_t)vr->size, vr->packed ? 4 : split_avail_size(vr->size),
				  vr->packed ? 4 : split_used_size(vr->size) };
	const unsigned align[3] = { 16, vr->packed ? 4 : 2, 4 };

	for (int i = 0; i < 3; i++) {
		uint8_t *p = mem_gpa_ptr(m, gpa[i], len[i]);

		vr->harea[i] = p && (uintptr_t)p % align[i] == 0 ? p : NULL;
	}
	vr->hgen = m->gen;
}

/* Pointer at OFF bytes into area A (OFF inside it: the callers compute it
 * from an index below the ring's size); NULL when the area is in no region. */
static inline uint8_t *area(struct vring *vr, const struct mem *m, int a, uint64_t off)
{
	if (__builtin_expect(vr->hgen != m->gen || !vr->hgen, 0))
		areas_find(vr, m);
	return vr->harea[a] ? vr->harea[a] + off : NULL;
}

static bool ring_rd16(struct vring *vr, const struct mem *m, int a, uint64_t off, uint16_t *v)
{
	uint16_t *p = (uint16_t *)(void *)area(vr, m, a, off);

	if (!p)
		return false;
	*v = le16toh(__atomic_load_n(p, __ATOMIC_ACQUIRE));
	return true;
}

static bool ring_rd32(struct vring *vr, const struct mem *m, int a, uint64_t off, uint32_t *v)
{
	uint32_t *p = (uint32_t *)(void *)area(vr, m, a, off);

	if (!p)
		return false;
	*v = le32toh(__atomic_load_n(p, __ATOMIC_RELAXED));
	return true;
}

static void ring_wr16(struct vring *vr, const struct mem *m, int a, uint64_t off, uint16_t v)
{
	uint16_t *p = (uint16_t *)(void *)area(vr, m, a, off);

	if (p)
		__atomic_store_n(p, htole16(v), __ATOMIC_RELEASE);
}

/* Descriptor I of the ring, all but the flags of a packed one (FLAGS_TOO). */
static void ring_desc(struct vring *vr, const struct mem *m, uint16_t i, uint64_t addr, uint32_t len,
		      uint16_t id_or_next, uint16_t flags, bool flags_too)
{
	uint8_t *p = area(vr, m, A_DESC, 16 * (uint64_t)i);
	uint64_t a = htole64(addr);
	uint32_t l = htole32(len);

	if (!p)
		return;
	if (vr->packed) {
		uint16_t id = htole16(id_or_next);

		memcpy(p, &a, 8);
		memcpy(p + 8, &l, 4);
		memcpy(p + 12, &id, 2);
		if (flags_too)
			__atomic_store_n((uint16_t *)(void *)(p + 14), htole16(flags), __ATOMIC_RELEASE);
	} else {
		/* addr; then len, flags, next: the second 8 bytes little-endian as one */
		uint64_t d[2] = { a, htole64((uint64_t)len | (uint64_t)flags << 32 | (uint64_t)id_or_next << 48) };
		/* The device only reads a split ring's table: a descriptor that
		 * holds these values already (a buffer posted again in the same
		 * place) is left alone, and the device's cached copy stays valid. */
		if (memcmp(p, d, 16) != 0)
			memcpy(p, d, 16);
	}
}

static int alloc_area(struct mem *m, uint64_t size, uint64_t align, uint64_t *gpa,
		      const char *what, struct vhu_err *e)
{
	if (mem_alloc(m, size, align, gpa) < 0)
		return vhu_errf(e, ENOMEM, "no room in guest memory for the %s (%llu bytes): 'mem add' more",
				what, (unsigned long long)size);
	zero(m, *gpa, size);
	return 0;
}

/* The driver's side of a ring of SIZE entries, no chain in flight. */
static int model_init(struct vring *vr, unsigned index, uint16_t size, bool packed,
		      bool event_idx, struct vhu_err *e)
{
	memset(vr, 0, sizeof(*vr));
	vr->index = index;
	vr->size = size;
	vr->packed = packed;
	vr->event_idx = event_idx;
	vr->free = malloc(size * sizeof(*vr->free));
	vr->chains = calloc(size, sizeof(*vr->chains));
	if (!vr->free || !vr->chains) {
		free(vr->free);
		free(vr->chains);
		vr->free = NULL;
		vr->chains = NULL;
		return vhu_errf(e, ENOMEM, "out of memory");
	}
	for (uint16_t i = 0; i < size; i++)
		vr->free[i] = (uint16_t)(size - 1 - i);	/* pop gives 0, 1, 2, ... */
	vr->nfree = size;
	return 0;
}

/* Is the area of LEN bytes at GPA where a ring part may be? */
static int check_area(const struct mem *m, unsigned index, const char *what, uint64_t gpa,
		      uint64_t len, uint64_t align, struct vhu_err *e)
{
	if (!mem_gpa_ptr(m, gpa, len))
		return vhu_errf(e, EFAULT, "ring %u: the %s (0x%llx, %llu bytes) is not inside one memory region",
				index, what, (unsigned long long)gpa, (unsigned long long)len);
	if (gpa % align)
		return vhu_errf(e, EINVAL, "ring %u: the %s at 0x%llx is not %llu-byte aligned, as the spec requires",
				index, what, (unsigned long long)gpa, (unsigned long long)align);
	return 0;
}

int vring_adopt(struct vring *vr, struct mem *m, unsigned index, uint16_t size,
		bool packed, bool event_idx, uint64_t desc, uint64_t avail, uint64_t used,
		uint32_t base, struct vhu_err *e)
{
	const struct { const char *what; uint64_t gpa, len, align; } area[3] = {
		{ packed ? "descriptor ring" : "descriptor table", desc, 16 * (uint64_t)size, 16 },
		{ packed ? "driver event area" : "avail ring", avail, packed ? 4 : split_avail_size(size), packed ? 4 : 2 },
		{ packed ? "device event area" : "used ring", used, packed ? 4 : split_used_size(size), 4 },
	};
	int r;

	if (size == 0 || size > VRING_SIZE_MAX)
		return vhu_errf(e, EINVAL, "ring %u: size %u, but a ring has 1..%u entries", index, size,
				VRING_SIZE_MAX);
	for (unsigned i = 0; i < 3; i++)
		if ((r = check_area(m, index, area[i].what, area[i].gpa, area[i].len, area[i].align, e)) < 0)
			return r;
	r = model_init(vr, index, size, packed, event_idx, e);
	if (r < 0)
		return r;
	vr->desc = desc;
	vr->avail = avail;
	vr->used = used;
	vr->have_desc = vr->have_avail = vr->have_used = true;
	vr->adopted = true;
	for (unsigned i = 0; i < 3; i++)
		vr->nheld += mem_take(m, area[i].gpa, area[i].len, vr->held + vr->nheld,
				      (unsigned)(sizeof(vr->held) / sizeof(vr->held[0])) - vr->nheld);
	if (packed) {
		/* bits 0-14 avail index, 15 its wrap counter, 16-30 used index, 31 its wrap */
		vr->next_avail = (uint16_t)(base & 0x7fff) % size;
		vr->avail_wrap = base >> 15 & 1;
		vr->last_used_pk = (uint16_t)(base >> 16 & 0x7fff) % size;
		vr->used_wrap = base >> 31 & 1;
	} else {
		vr->avail_idx = vr->last_used = (uint16_t)base;
	}
	vr->active = true;
	return 0;
}

int vring_init(struct vring *vr, struct mem *m, unsigned index, uint16_t size,
	       bool packed, bool event_idx, struct vhu_err *e)
{
	int r;

	if (size == 0 || size > VRING_SIZE_MAX || (!packed && (size & (size - 1))))
		return vhu_errf(e, EINVAL, "ring size %u: must be 1..32768%s", size,
				packed ? "" : " and a power of two (split ring)");
	r = model_init(vr, index, size, packed, event_idx, e);
	if (r < 0)
		return r;
	r = alloc_area(m, 16 * (uint64_t)size, 16, &vr->desc, "descriptor table", e);
	vr->have_desc = r == 0;
	if (r == 0)
		r = alloc_area(m, packed ? 4 : split_avail_size(size), packed ? 4 : 2, &vr->avail,
			       packed ? "driver event area" : "avail ring", e);
	vr->have_avail = vr->have_desc && r == 0;
	if (r == 0)
		r = alloc_area(m, packed ? 4 : split_used_size(size), packed ? 4 : 4096, &vr->used,
			       packed ? "device event area" : "used ring", e);
	vr->have_used = vr->have_avail && r == 0;
	if (r < 0) {
		vring_free(vr, m);
		return r;
	}
	vr->avail_wrap = vr->used_wrap = true;	/* packed wrap counters start at 1 */
	vr->active = true;
	return 0;
}

static void free_chain(struct vring *vr, struct mem *m, struct vring_chain *c)
{
	for (uint16_t i = 0; i < c->nseg && !c->fixed; i++)
		mem_release(m, c->seg[i].gpa, c->seg[i].len ? c->seg[i].len : 1);
	if (c->indirect)
		mem_release(m, c->indirect_gpa, 16 * (uint64_t)c->nseg);
	if (c->seg != c->seg_in)
		free(c->seg);
	if (c->didx != c->didx_in)
		free(c->didx);
	/* field by field: a memset of the whole chain (rep stos) costs more
	 * than the rest of a request's books */
	c->busy = c->indirect = c->fixed = false;
	c->seg = NULL;
	c->didx = NULL;
	c->nseg = c->ndesc = 0;
	c->indirect_gpa = 0;
	c->tag = 0;
	(void)vr;
}

void vring_free(struct vring *vr, struct mem *m)
{
	if (vr->chains)
		for (uint16_t i = 0; i < vr->size; i++)
			if (vr->chains[i].busy)
				free_chain(vr, m, &vr->chains[i]);
	if (vr->adopted) {
		for (unsigned i = 0; i < vr->nheld; i++)
			mem_release(m, vr->held[i].gpa, vr->held[i].size);
	} else {
		if (vr->have_desc)
			mem_release(m, vr->desc, 16 * (uint64_t)vr->size);
		if (vr->have_avail)
			mem_release(m, vr->avail, vr->packed ? 4 : split_avail_size(vr->size));
		if (vr->have_used)
			mem_release(m, vr->used, vr->packed ? 4 : split_used_size(vr->size));
	}
	free(vr->free);
	free(vr->chains);
	memset(vr, 0, sizeof(*vr));
}

uint32_t vring_base(const struct vring *vr)
{
	/* packed: avail index 0 with wrap 1, used index 0 with wrap 1 */
	return vr->packed ? 0x80008000u : 0;
}

unsigned vring_in_flight(const struct vring *vr)
{
	unsigned n = 0;

	for (uint16_t i = 0; i < vr->size; i++)
		n += vr->chains[i].busy;
	return n;
}

static void write_desc(const struct mem *m, uint64_t at, uint64_t addr, uint32_t len,
		       uint16_t flags, uint16_t next)
{
	wr64(m, at, addr);
	wr32(m, at + 8, len);
	wr16(m, at + 12, flags);
	wr16(m, at + 14, next);
}

/* Allocate and fill the chain's buffers. */
static int alloc_bufs(struct mem *m, struct vring_chain *c, struct vring_seg *segs,
		      const uint8_t *const *data, unsigned n, struct vhu_err *e)
{
	c->seg = n <= VRING_INLINE ? c->seg_in : calloc(n, sizeof(*c->seg));
	if (!c->seg)
		return vhu_errf(e, ENOMEM, "out of memory");
	for (unsigned i = 0; i < n; i++) {
		uint8_t *p;

		if (mem_alloc(m, segs[i].len ? segs[i].len : 1, 16, &segs[i].gpa) < 0) {
			c->nseg = (uint16_t)i;
			return vhu_errf(e, ENOMEM, "no room in guest memory for a %u-byte buffer", segs[i].len);
		}
		c->seg[i] = segs[i];
		c->nseg = (uint16_t)(i + 1);
		p = mem_gpa_ptr(m, segs[i].gpa, segs[i].len);
		if (p && segs[i].len) {
			if (!segs[i].write && data && data[i])
				memcpy(p, data[i], segs[i].len);
			else
				memset(p, 0, segs[i].len);
		}
	}
	return 0;
}

static int post_split(struct vring *vr, struct mem *m, struct vring_chain *c,
		      unsigned n, bool indirect, uint16_t *head)
{
	uint16_t ndesc = indirect ? 1 : (uint16_t)n, idx[VRING_SEGS_MAX];
	uint16_t slot, was;

	for (uint16_t i = 0; i < ndesc; i++)
		idx[i] = vr->free[--vr->nfree];
	if (indirect) {
		for (unsigned i = 0; i < n; i++)
			write_desc(m, c->indirect_gpa + 16 * i, c->seg[i].gpa, c->seg[i].len,
				   (uint16_t)((i + 1 < n ? VRING_DESC_F_NEXT : 0) |
					      (c->seg[i].write ? VRING_DESC_F_WRITE : 0)),
				   (uint16_t)(i + 1 < n ? i + 1 : 0));
		ring_desc(vr, m, idx[0], c->indirect_gpa, 16 * n, 0, VRING_DESC_F_INDIRECT, true);
	} else {
		for (unsigned i = 0; i < n; i++)
			ring_desc(vr, m, idx[i], c->seg[i].gpa, c->seg[i].len, i + 1 < n ? idx[i + 1] : 0,
				  (uint16_t)((i + 1 < n ? VRING_DESC_F_NEXT : 0) |
					     (c->seg[i].write ? VRING_DESC_F_WRITE : 0)), true);
	}
	*head = idx[0];
	c->ndesc = ndesc;
	/* Entries the device wrote already are not this chain's: its head may
	 * be one that a completed chain had (the free list hands it out again). */
	if (vr->holding)
		c->used_floor = vr->hold_used;
	else if (!ring_rd16(vr, m, A_USED, 2, &c->used_floor))
		c->used_floor = vr->last_used;
	c->didx = ndesc <= VRING_INLINE ? c->didx_in : malloc(ndesc * sizeof(*c->didx));
	if (c->didx)
		memcpy(c->didx, idx, ndesc * sizeof(*c->didx));
	/* Descriptors before the ring entry, the entry before the index. */
	slot = vr->avail_idx % vr->size;
	if (!ring_rd16(vr, m, A_AVAIL, 4 + 2 * (uint64_t)slot, &was) || was != *head)	/* as above */
		ring_wr16(vr, m, A_AVAIL, 4 + 2 * (uint64_t)slot, *head);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	vr->avail_idx++;
	if (!vr->holding)
		ring_wr16(vr, m, A_AVAIL, 2, vr->avail_idx);
	return 0;
}

static int post_packed(struct vring *vr, struct mem *m, struct vring_chain *c,
		       unsigned n, bool indirect, uint16_t id)
{
	uint16_t ndesc = indirect ? 1 : (uint16_t)n, first = vr->next_avail, first_flags = 0;
	bool wrap = vr->avail_wrap;

	for (uint16_t i = 0; i < ndesc; i++) {
		uint16_t pos = vr->next_avail, flags;

		flags = (uint16_t)((vr->avail_wrap ? VRING_PACKED_F_AVAIL : VRING_PACKED_F_USED) |
				   (i + 1 < ndesc ? VRING_DESC_F_NEXT : 0));
		if (indirect) {
			/* A packed indirect table holds packed descriptors: id at 12
			 * (unused), flags at 14, entries in order with no NEXT. */
			for (unsigned k = 0; k < n; k++)
				write_desc(m, c->indirect_gpa + 16 * k, c->seg[k].gpa, c->seg[k].len,
					   0, c->seg[k].write ? VRING_DESC_F_WRITE : 0);
			flags |= VRING_DESC_F_INDIRECT;
			ring_desc(vr, m, pos, c->indirect_gpa, 16 * n, id, flags, i > 0);
		} else {
			flags |= c->seg[i].write ? VRING_DESC_F_WRITE : 0;
			ring_desc(vr, m, pos, c->seg[i].gpa, c->seg[i].len, id, flags, i > 0);
		}
		if (i == 0)
			first_flags = flags;	/* written last: it publishes the chain */
		if (++vr->next_avail == vr->size) {
			vr->next_avail = 0;
			vr->avail_wrap = !vr->avail_wrap;
		}
	}
	(void)wrap;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	ring_wr16(vr, m, A_DESC, 16 * (uint64_t)first + 14, first_flags);
	c->ndesc = ndesc;
	vr->desc_busy += ndesc;
	return 0;
}

/* Room for a chain of NDESC descriptors (and a buffer id)? */
static int check_room(const struct vring *vr, unsigned n, unsigned ndesc, struct vhu_err *e)
{
	if (!vr->active)
		return vhu_errf(e, EINVAL, "ring %u is not set up", vr->index);
	if (n == 0 || n > VRING_SEGS_MAX)
		return vhu_errf(e, EINVAL, "a chain has 1 to %u buffers", VRING_SEGS_MAX);
	if ((vr->packed ? vr->size - vr->desc_busy : vr->nfree) < ndesc || vr->nfree == 0)
		return vhu_errf(e, ENOSPC, "ring %u is full (%u chains in flight)", vr->index, vring_in_flight(vr));
	return 0;
}

/* Place chain TMP (its buffers ready) in the ring and make it available. */
static void place(struct vring *vr, struct mem *m, struct vring_chain *tmp, unsigned n, bool indirect,
		  uint16_t *head)
{
	uint16_t id;

	if (vr->packed) {
		id = vr->free[--vr->nfree];
		post_packed(vr, m, tmp, n, indirect, id);
		*head = id;
	} else {
		post_split(vr, m, tmp, n, indirect, head);
		id = *head;
	}
	tmp->busy = true;
	if (tmp != &vr->chains[id]) {
		vr->chains[id] = *tmp;
		/* the inline arrays moved with the chain: so do the pointers at them */
		if (tmp->seg == tmp->seg_in)
			vr->chains[id].seg = vr->chains[id].seg_in;
		if (tmp->didx == tmp->didx_in)
			vr->chains[id].didx = vr->chains[id].didx_in;
	}
	vr->posted++;
}

int vring_post(struct vring *vr, struct mem *m, struct vring_seg *segs,
	       const uint8_t *const *data, unsigned n, bool indirect,
	       uint16_t *head, struct vhu_err *e)
{
	struct vring_chain tmp = { 0 };
	int r;

	if ((r = check_room(vr, n, indirect ? 1 : n, e)) < 0)
		return r;
	r = alloc_bufs(m, &tmp, segs, data, n, e);
	if (r == 0 && indirect) {
		if (mem_alloc(m, 16 * (uint64_t)n, 16, &tmp.indirect_gpa) < 0)
			r = vhu_errf(e, ENOMEM, "no room in guest memory for an indirect table");
		else
			tmp.indirect = true;
	}
	if (r < 0) {
		free_chain(vr, m, &tmp);
		return r;
	}
	place(vr, m, &tmp, n, indirect, head);
	return 0;
}

int vring_post_bufs(struct vring *vr, struct mem *m, const struct vring_seg *segs, unsigned n,
		    uint16_t *head, struct vhu_err *e)
{
	struct vring_chain *c;
	int r;

	if ((r = check_room(vr, n, n, e)) < 0)
		return r;
	/* Built where it will stay: the slot of the free list's top, which is
	 * the head (split) or buffer id (packed) place() takes. Not busy: a
	 * free index heads no chain in flight. */
	c = &vr->chains[vr->free[vr->nfree - 1]];
	c->busy = c->indirect = false;
	c->fixed = true;
	c->indirect_gpa = 0;
	c->didx = NULL;
	c->tag = 0;
	c->nseg = 0;
	if (!(c->seg = n <= VRING_INLINE ? c->seg_in : malloc(n * sizeof(*c->seg))))
		return vhu_errf(e, ENOMEM, "out of memory");
	for (unsigned i = 0; i < n; i++) {	/* field by field: no call, no wide load of narrow stores */
		c->seg[i].gpa = segs[i].gpa;
		c->seg[i].len = segs[i].len;
		c->seg[i].write = segs[i].write;
	}
	c->nseg = (uint16_t)n;
	place(vr, m, c, n, false, head);
	return 0;
}

void vring_give_bufs(struct vring *vr, uint16_t id)
{
	if (id < vr->size && vr->chains[id].busy)
		vr->chains[id].fixed = false;
}

void vring_hold(struct vring *vr, struct mem *m, bool hold)
{
	if (!vr->active || vr->packed)
		return;
	vr->holding = hold;
	if (hold && !ring_rd16(vr, m, A_USED, 2, &vr->hold_used))
		vr->hold_used = vr->last_used;
	if (!hold)
		ring_wr16(vr, m, A_AVAIL, 2, vr->avail_idx);
}

void vring_set_interrupts(struct vring *vr, struct mem *m, bool on)
{
	if (!vr->active)
		return;
	if (vr->packed) {
		ring_wr16(vr, m, A_AVAIL, 2, on ? 0 : 1);	/* driver event flags: enable / disable */
	} else if (vr->event_idx) {
		vr->quiet = !on;
		if (on)
			ring_wr16(vr, m, A_AVAIL, 4 + 2 * (uint64_t)vr->size, vr->last_used);
	} else {
		ring_wr16(vr, m, A_AVAIL, 0, on ? 0 : VRING_AVAIL_F_NO_INTERRUPT);
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static int get_used_split(struct vring *vr, struct mem *m, struct vring_used *u, struct vhu_err *e)
{
	uint16_t idx, slot, pos;
	uint32_t id = 0, len = 0;

	/* used.idx is read again only when the entries it gave are all taken */
	if (!vr->used_ready) {
		if (!ring_rd16(vr, m, A_USED, 2, &idx))
			return vhu_errf(e, EFAULT, "ring %u: used ring outside memory", vr->index);
		if (idx == vr->last_used)
			return 0;
		if ((uint16_t)(idx - vr->last_used) > vr->size)
			return vhu_errf(e, EPROTO, "ring %u: used.idx jumped from %u to %u (more than the ring size %u)",
					vr->index, vr->last_used, idx, vr->size);
		vr->used_ready = (uint16_t)(idx - vr->last_used);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	}
	pos = vr->last_used;
	slot = pos % vr->size;
	ring_rd32(vr, m, A_USED, 4 + 8 * (uint64_t)slot, &id);
	ring_rd32(vr, m, A_USED, 8 + 8 * (uint64_t)slot, &len);
	vr->last_used++;
	vr->used_ready--;
	if (vr->event_idx && !vr->quiet)	/* used_event: tell me about every entry */
		ring_wr16(vr, m, A_AVAIL, 4 + 2 * (uint64_t)vr->size, vr->last_used);
	if (id >= vr->size || !vr->chains[id].busy)
		return vhu_errf(e, EPROTO, "ring %u: used entry %u names descriptor %u, which is not in flight",
				vr->index, pos, id);
	if ((int16_t)(uint16_t)(pos - vr->chains[id].used_floor) < 0)
		return vhu_errf(e, EPROTO, "ring %u: used entry %u names descriptor %u, which was made available "
				"after that entry was written (an id used twice?)", vr->index, pos, id);
	u->id = (uint16_t)id;
	u->len = len;
	u->chain = &vr->chains[id];
	return 1;
}

static int get_used_packed(struct vring *vr, struct mem *m, struct vring_used *u, struct vhu_err *e)
{
	uint64_t at = 16 * (uint64_t)vr->last_used_pk;
	uint16_t flags, id = 0;
	uint32_t len = 0;
	bool avail, used;

	if (!ring_rd16(vr, m, A_DESC, at + 14, &flags))
		return vhu_errf(e, EFAULT, "ring %u: descriptor ring outside memory", vr->index);
	avail = flags & VRING_PACKED_F_AVAIL;
	used = flags & VRING_PACKED_F_USED;
	if (avail != used || used != vr->used_wrap)
		return 0;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	ring_rd16(vr, m, A_DESC, at + 12, &id);
	ring_rd32(vr, m, A_DESC, at + 8, &len);
	if (id >= vr->size || !vr->chains[id].busy) {
		/* Step over it so the next look does not see it again. */
		if (++vr->last_used_pk == vr->size) {
			vr->last_used_pk = 0;
			vr->used_wrap = !vr->used_wrap;
		}
		return vhu_errf(e, EPROTO, "ring %u: used descriptor names buffer id %u, which is not in flight",
				vr->index, id);
	}
	vr->last_used_pk = (uint16_t)(vr->last_used_pk + vr->chains[id].ndesc);
	if (vr->last_used_pk >= vr->size) {
		vr->last_used_pk = (uint16_t)(vr->last_used_pk - vr->size);
		vr->used_wrap = !vr->used_wrap;
	}
	u->id = id;
	u->len = len;
	u->chain = &vr->chains[id];
	return 1;
}

int vring_get_used(struct vring *vr, struct mem *m, struct vring_used *u, struct vhu_err *e)
{
	if (!vr->active)
		return vhu_errf(e, EINVAL, "ring %u is not set up", vr->index);
	return vr->packed ? get_used_packed(vr, m, u, e) : get_used_split(vr, m, u, e);
}

bool vring_has_used(struct vring *vr, const struct mem *m)
{
	uint16_t v;

	if (!vr->active)
		return false;
	if (!vr->packed)
		return vr->used_ready || (ring_rd16(vr, m, A_USED, 2, &v) && v != vr->last_used);
	if (!ring_rd16(vr, m, A_DESC, 16 * (uint64_t)vr->last_used_pk + 14, &v))
		return false;
	return !!(v & VRING_PACKED_F_AVAIL) == !!(v & VRING_PACKED_F_USED) && !!(v & VRING_PACKED_F_USED) == vr->used_wrap;
}

void vring_set_tag(struct vring *vr, uint16_t id, uint32_t tag)
{
	if (id < vr->size && vr->chains[id].busy)
		vr->chains[id].tag = tag;
}

void vring_release(struct vring *vr, struct mem *m, uint16_t id)
{
	struct vring_chain *c;

	if (id >= vr->size || !vr->chains[id].busy)
		return;
	c = &vr->chains[id];
	if (!vr->packed) {
		/* Our own record of the chain, not the table the device could write. */
		for (uint16_t i = 0; i < c->ndesc && c->didx && vr->nfree < vr->size; i++)
			vr->free[vr->nfree++] = c->didx[i];
	} else {
		vr->free[vr->nfree++] = id;
		vr->desc_busy -= c->ndesc;
	}
	free_chain(vr, m, c);
	vr->completed++;
}

bool vring_need_kick(struct vring *vr, const struct mem *m, uint16_t old_avail)
{
	uint16_t flags, ev;

	if (vr->packed) {
		/* device event suppression: flags at +2, 1 = disable */
		if (ring_rd16(vr, m, A_USED, 2, &flags) && (flags & 3) == 1)
			return false;
		return true;
	}
	if (vr->event_idx) {
		if (!ring_rd16(vr, m, A_USED, 4 + 8 * (uint64_t)vr->size, &ev))
			return true;
		return (uint16_t)(vr->avail_idx - ev - 1) < (uint16_t)(vr->avail_idx - old_avail);
	}
	return !(ring_rd16(vr, m, A_USED, 0, &flags) && (flags & VRING_USED_F_NO_NOTIFY));
}
