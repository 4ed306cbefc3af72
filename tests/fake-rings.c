/* fake-rings.c - the fake back-end's device side: guest memory and the split rings it serves. */

/*
 * A device as small as it can be: on a kick it takes every chain made
 * available since the last one, zeroes the device-writable buffers (so a
 * blk status byte reads OK), and writes a used entry {head, bytes
 * writable} for each, in the order --rings asks for. Only split rings,
 * ring addresses as SET_VRING_ADDR gave them (user addresses, or guest
 * physical ones), descriptor addresses guest physical. libc only, like the
 * rest of the fake back-end; it is fed by the vhuctl under test, so every
 * address and index is checked.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fake-rings.h"

#define NREGIONS	8
#define NRINGS		256
#define QSIZE_MAX	32768

#define REQ_SET_FEATURES	2
#define REQ_SET_MEM_TABLE	5
#define REQ_SET_VRING_NUM	8
#define REQ_SET_VRING_ADDR	9
#define REQ_SET_VRING_BASE	10
#define REQ_SET_VRING_KICK	12
#define REQ_SET_VRING_CALL	13
#define REQ_SET_VRING_ENABLE	18

#define F_PROTOCOL_FEATURES	30	/* VHOST_USER_F_PROTOCOL_FEATURES */

#define DESC_F_NEXT	1u
#define DESC_F_WRITE	2u
#define DESC_F_INDIRECT	4u

struct region {
	uint64_t gpa, size, uaddr;
	uint8_t *map;		/* the mmap, mmap_offset bytes before the region */
	size_t map_len;
	uint64_t offset;
};

struct ring {
	uint16_t num, last_avail;
	uint64_t desc, avail, used;
	bool have_addr;
	bool enabled;		/* SET_VRING_ENABLE's last word */
	int kick, call;
};

struct fake_rings {
	enum rings_mode mode;
	bool honour_enable;	/* serve a ring only when the ring states say it is enabled */
	bool pf_acked;		/* the last SET_FEATURES had VHOST_USER_F_PROTOCOL_FEATURES */
	void (*log)(const char *fmt, ...);
	struct region reg[NREGIONS];
	unsigned nreg;
	struct ring ring[NRINGS];
};

int rings_parse_mode(const char *s, enum rings_mode *mode)
{
	static const char *const names[] = {
		[RINGS_INORDER] = "inorder", [RINGS_REVERSE] = "reverse", [RINGS_REPEAT] = "repeat",
		[RINGS_FRAGILE] = "fragile", [RINGS_STALL] = "stall", [RINGS_POLL] = "poll",
	};

	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0)
			return (*mode = (enum rings_mode)i), 0;
	return -1;
}

struct fake_rings *rings_new(enum rings_mode mode, bool honour_enable, void (*log)(const char *fmt, ...))
{
	struct fake_rings *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->mode = mode;
	r->honour_enable = honour_enable;
	r->log = log;
	for (unsigned i = 0; i < NRINGS; i++)
		r->ring[i].kick = r->ring[i].call = -1;
	return r;
}

static void unmap_all(struct fake_rings *r)
{
	for (unsigned i = 0; i < r->nreg; i++)
		munmap(r->reg[i].map, r->reg[i].map_len);
	r->nreg = 0;
}

static void set_fd(int *slot, int fd)
{
	if (*slot >= 0)
		close(*slot);
	*slot = fd;
}

void rings_free(struct fake_rings *r)
{
	if (!r)
		return;
	unmap_all(r);
	for (unsigned i = 0; i < NRINGS; i++) {
		set_fd(&r->ring[i].kick, -1);
		set_fd(&r->ring[i].call, -1);
	}
	free(r);
}

static uint16_t ld16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return le16toh(v); }
static uint32_t ld32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return le32toh(v); }
static uint64_t ld64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return le64toh(v); }
static void st32(uint8_t *p, uint32_t v) { v = htole32(v); memcpy(p, &v, 4); }

/* [A, A + LEN) inside one region, by guest physical or by user address. */
static uint8_t *translate(const struct fake_rings *r, uint64_t a, uint64_t len, bool user)
{
	for (unsigned i = 0; i < r->nreg; i++) {
		const struct region *g = &r->reg[i];
		uint64_t base = user ? g->uaddr : g->gpa;

		if (a >= base && a - base <= g->size && len <= g->size - (a - base))
			return g->map + g->offset + (a - base);
	}
	return NULL;
}

/* A ring area: SET_VRING_ADDR gives user addresses, or (with an IOMMU) IOVAs = GPAs. */
static uint8_t *ring_area(const struct fake_rings *r, uint64_t a, uint64_t len)
{
	uint8_t *p = translate(r, a, len, true);

	return p ? p : translate(r, a, len, false);
}

static void map_table(struct fake_rings *r, const uint8_t *b, uint32_t size,
		      const int *fds, uint32_t nfds)
{
	uint32_t n = size >= 8 ? ld32(b) : 0;

	unmap_all(r);
	if (n > NREGIONS || n > nfds || size < 8 + 32 * n)
		return;
	for (uint32_t i = 0; i < n; i++) {
		struct region *g = &r->reg[r->nreg];
		const uint8_t *e = b + 8 + 32 * i;
		void *map;

		g->gpa = ld64(e);
		g->size = ld64(e + 8);
		g->uaddr = ld64(e + 16);
		g->offset = ld64(e + 24);
		if (g->size == 0 || g->offset > SIZE_MAX - g->size)
			continue;
		g->map_len = (size_t)(g->offset + g->size);
		map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fds[i], 0);
		if (map == MAP_FAILED)
			continue;
		g->map = map;
		r->nreg++;
	}
}

static void serve(struct fake_rings *r, unsigned ring);

void rings_message(struct fake_rings *r, uint32_t request, const uint8_t *b,
		   uint32_t size, const int *fds, uint32_t nfds)
{
	uint32_t idx = size >= 4 ? ld32(b) : 0;
	struct ring *q;
	uint64_t v;
	int fd;

	if (request == REQ_SET_MEM_TABLE) {
		map_table(r, b, size, fds, nfds);
		return;
	}
	if (request == REQ_SET_FEATURES) {
		r->pf_acked = size >= 8 && (ld64(b) >> F_PROTOCOL_FEATURES & 1);
		return;
	}
	if (request == REQ_SET_VRING_KICK || request == REQ_SET_VRING_CALL) {
		if (size < 8)
			return;
		v = ld64(b);
		q = &r->ring[v & 0xff];
		fd = !(v & 0x100) && nfds == 1 ? fcntl(fds[0], F_DUPFD_CLOEXEC, 0) : -1;
		set_fd(request == REQ_SET_VRING_KICK ? &q->kick : &q->call, fd);
		return;
	}
	if (idx >= NRINGS || size < 8)
		return;
	q = &r->ring[idx];
	switch (request) {
	case REQ_SET_VRING_NUM:
		q->num = ld32(b + 4) <= QSIZE_MAX ? (uint16_t)ld32(b + 4) : 0;
		break;
	case REQ_SET_VRING_BASE:
		q->last_avail = (uint16_t)ld32(b + 4);
		break;
	case REQ_SET_VRING_ADDR:
		if (size < 40)
			return;
		q->desc = ld64(b + 8);
		q->used = ld64(b + 16);
		q->avail = ld64(b + 24);
		q->have_addr = true;
		break;
	case REQ_SET_VRING_ENABLE:
		q->enabled = ld32(b + 4) != 0;
		/* what was made available while it was disabled, at once */
		if (q->enabled)
			serve(r, idx);
		break;
	}
}

unsigned rings_pollfds(const struct fake_rings *r, struct pollfd *p, unsigned *which,
		       unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < NRINGS && n < max; i++) {
		if (r->ring[i].kick < 0)
			continue;
		p[n] = (struct pollfd){ .fd = r->ring[i].kick, .events = POLLIN };
		which[n++] = i;
	}
	return n;
}

/* A chain no driver may make (WHAT): logged as "ring-bad WHAT"; then a
 * fragile device dies of it and a stalling one serves nothing more (until
 * SIGTERM, which then kills it); the others skip what they cannot use. */
static void bad(const struct fake_rings *r, const char *what)
{
	r->log("ring-bad %s", what);
	if (r->mode == RINGS_FRAGILE)
		abort();
	if (r->mode == RINGS_STALL) {
		signal(SIGTERM, SIG_DFL);
		for (;;)
			pause();
	}
}

/* Walk the chain from HEAD (into one indirect table at most), zero its
 * device-writable buffers; returns their total length. */
static uint32_t take_chain(const struct fake_rings *r, const uint8_t *desc, uint16_t num,
			   uint16_t head)
{
	const uint8_t *table = desc;
	uint32_t len = 0, tsize = num, i = head, hops = 0, total = 0;

	while (hops++ <= tsize) {
		const uint8_t *d;
		uint64_t addr;
		uint32_t dlen;
		uint16_t flags;
		uint8_t *p;

		if (i >= tsize) {
			bad(r, "next past the table");
			break;
		}
		if (++total > num) {
			bad(r, "chain longer than the ring");
			break;
		}
		d = table + 16 * (size_t)i;
		addr = ld64(d);
		dlen = ld32(d + 8);
		flags = ld16(d + 12);
		if ((flags & DESC_F_INDIRECT) && table != desc) {
			bad(r, "nested indirect table");
			break;
		}
		if (flags & DESC_F_INDIRECT) {
			if (dlen % 16)
				bad(r, "indirect table length not a multiple of 16");
			table = translate(r, addr, dlen, false);
			if (!table) {
				bad(r, "address outside memory");
				break;
			}
			tsize = dlen / 16;
			i = 0;
			hops = 0;
			continue;
		}
		p = translate(r, addr, dlen, false);
		if (!p)
			bad(r, "address outside memory");
		if ((flags & DESC_F_WRITE) && p) {
			memset(p, 0, dlen);
			len += dlen;
		}
		if (!(flags & DESC_F_NEXT))
			return len;
		i = ld16(d + 14);
	}
	if (hops > tsize)
		bad(r, "descriptor loop");
	return len;
}

static void put_used(struct fake_rings *r, unsigned ring, uint8_t *used, uint16_t num,
		     uint16_t id, uint32_t len)
{
	uint16_t idx = ld16(used + 2), le;
	uint8_t *e = used + 4 + 8 * (size_t)(idx % num);

	st32(e, id);
	st32(e + 4, len);
	le = htole16((uint16_t)(idx + 1));
	__atomic_store_n((uint16_t *)(used + 2), le, __ATOMIC_RELEASE);
	r->log("ring-used ring=%u id=%u len=%u", ring, id, len);
}

void rings_kicked(struct fake_rings *r, unsigned ring)
{
	struct ring *q = &r->ring[ring];
	uint64_t cnt;

	if (read(q->kick, &cnt, 8) < 0 && errno != EAGAIN)
		set_fd(&q->kick, -1);
	serve(r, ring);
}

int rings_poll(struct fake_rings *r)
{
	if (r->mode != RINGS_POLL)
		return -1;
	for (unsigned i = 0; i < NRINGS; i++)
		if (r->ring[i].num && r->ring[i].have_addr)
			serve(r, i);
	return 20;
}

static void serve(struct fake_rings *r, unsigned ring)
{
	struct ring *q = &r->ring[ring];
	static uint16_t heads[QSIZE_MAX];
	static uint32_t lens[QSIZE_MAX];
	uint8_t *desc, *avail, *used;
	uint16_t aidx, le;
	uint64_t cnt;
	unsigned n = 0;

	if (!q->num || !q->have_addr)
		return;
	/* Ring states: with VHOST_USER_F_PROTOCOL_FEATURES a ring starts
	 * disabled and waits for SET_VRING_ENABLE 1; without it, it is
	 * enabled from the start */
	if (r->honour_enable && r->pf_acked && !q->enabled)
		return;
	desc = ring_area(r, q->desc, 16 * (uint64_t)q->num);
	avail = ring_area(r, q->avail, 4 + 2 * (uint64_t)q->num);
	used = ring_area(r, q->used, 4 + 8 * (uint64_t)q->num);
	if (!desc || !avail || !used)
		return;
	le = __atomic_load_n((uint16_t *)(avail + 2), __ATOMIC_ACQUIRE);
	aidx = le16toh(le);
	if ((uint16_t)(aidx - q->last_avail) > q->num)
		bad(r, "avail.idx moved by more than the ring size");
	while (q->last_avail != aidx && n < q->num) {
		heads[n] = ld16(avail + 4 + 2 * (size_t)(q->last_avail % q->num));
		if (heads[n] >= q->num)
			bad(r, "head past the table");
		lens[n] = heads[n] < q->num ? take_chain(r, desc, q->num, heads[n]) : 0;
		n++;
		q->last_avail++;
	}
	for (unsigned k = 0; k < n; k++) {
		unsigned j = r->mode == RINGS_REVERSE ? n - 1 - k : k;

		put_used(r, ring, used, q->num, heads[j], lens[j]);
		if (r->mode == RINGS_REPEAT)
			put_used(r, ring, used, q->num, heads[j], lens[j]);
	}
	cnt = 1;
	if (n && q->call >= 0 && write(q->call, &cnt, 8) < 0)
		set_fd(&q->call, -1);
}
