/* vring.h - virtqueues in guest memory, driven as a guest driver would (split and packed). */
#ifndef VHUCTL_VRING_H
#define VHUCTL_VRING_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/mem.h"

#define VRING_SIZE_MAX 32768u
#define VRING_SEGS_MAX 64u
#define VRING_INLINE 3u		/* a blk request: header, data, status */

/* Descriptor flags, split and packed. */
#define VRING_DESC_F_NEXT	1u
#define VRING_DESC_F_WRITE	2u
#define VRING_DESC_F_INDIRECT	4u
#define VRING_PACKED_F_AVAIL	(1u << 7)
#define VRING_PACKED_F_USED	(1u << 15)
#define VRING_AVAIL_F_NO_INTERRUPT 1u
#define VRING_USED_F_NO_NOTIFY	1u

/* One buffer of a chain. */
struct vring_seg {
	uint64_t gpa;
	uint32_t len;
	bool write;		/* device-writable */
};

/* What the driver remembers about a chain it made available. */
struct vring_chain {
	bool busy;
	uint16_t ndesc;		/* descriptors it used in the ring (1 when indirect) */
	uint16_t nseg;
	uint64_t indirect_gpa;	/* valid when indirect */
	bool indirect;
	struct vring_seg *seg;	/* malloc'd; buffers allocated from guest memory */
	uint16_t *didx;		/* split: the descriptor indexes it took */
	uint16_t used_floor;	/* split: used.idx when it was made available; an
				 * entry before that cannot be its completion */
	uint32_t tag;		/* the poster's mark (vring_set_tag), 0 by default */
	bool fixed;		/* the buffers are the poster's (vring_post_bufs) */
	/* Where seg and didx point for a chain of at most VRING_INLINE
	 * buffers: no allocation per request for the usual chain. */
	struct vring_seg seg_in[VRING_INLINE];
	uint16_t didx_in[VRING_INLINE];
};

struct vring {
	bool active, packed, event_idx;
	unsigned index;
	uint16_t size;
	uint64_t desc, avail, used;	/* GPAs; packed: driver and device event areas */
	bool have_desc, have_avail, have_used;	/* GPA 0 is a valid address */
	/* split */
	uint16_t avail_idx;		/* next avail index we publish */
	uint16_t last_used;		/* used index consumed up to */
	uint16_t *free;			/* free descriptor indexes (split) or buffer ids (packed) */
	uint16_t nfree;
	/* packed */
	uint16_t next_avail, last_used_pk;
	bool avail_wrap, used_wrap;
	struct vring_chain *chains;	/* by head (split) or buffer id (packed) */
	uint64_t posted, completed;
	/* A ring laid out by someone else (vring_adopt): its areas are not
	 * ours to free, only the free memory they covered, taken so that no
	 * buffer lands on them. */
	bool adopted;
	struct mem_extent held[12];
	unsigned nheld;
	unsigned shape;			/* the caller's mark of what it was built from */
	bool quiet;			/* EVENT_IDX: used_event is left behind (no calls) */
	bool holding;			/* split: avail.idx not published (vring_hold) */
	uint16_t hold_used;		/* used.idx when the hold began: the floor of the chains posted in it */
	/* Our pointers at the areas (descriptors; avail ring or driver event
	 * area; used ring or device event area), looked up again when the
	 * memory table's generation is no longer hgen; NULL for an area in no
	 * region (or misaligned there). */
	uint8_t *harea[3];
	uint64_t hgen;
	uint16_t used_ready;		/* split: entries past last_used the device published, as last read */
	unsigned desc_busy;		/* packed: descriptors held by chains in flight */
};

struct vring_used {
	uint16_t id;
	uint32_t len;
	const struct vring_chain *chain;	/* valid until vring_release() */
};

/* Lay out a ring of SIZE entries in guest memory (zeroed). */
int vring_init(struct vring *vr, struct mem *m, unsigned index, uint16_t size,
	       bool packed, bool event_idx, struct vhu_err *e);
/* Drive a ring whose areas someone else laid out (set by hand with
 * SET_VRING_NUM/ADDR/BASE): SIZE entries, areas at DESC, AVAIL, USED (GPAs;
 * any place in memory, overlapping or not), indexes from BASE as
 * SET_VRING_BASE gave it. Nothing in memory is changed; every area must lie
 * in one region and be aligned as the spec requires, else -EFAULT/-EINVAL
 * naming the area. */
int vring_adopt(struct vring *vr, struct mem *m, unsigned index, uint16_t size,
		bool packed, bool event_idx, uint64_t desc, uint64_t avail, uint64_t used,
		uint32_t base, struct vhu_err *e);
/* Free the ring's areas (or give back what an adopted ring held) and every
 * chain's buffers. */
void vring_free(struct vring *vr, struct mem *m);
/* The value SET_VRING_BASE takes for a fresh ring. */
uint32_t vring_base(const struct vring *vr);
/* Allocate buffers for SEGS (len only; gpa filled in, contents of
 * device-readable ones copied from DATA[i]), chain them, make the chain
 * available. *head receives the head index (split) or buffer id (packed). */
int vring_post(struct vring *vr, struct mem *m, struct vring_seg *segs,
	       const uint8_t *const *data, unsigned n, bool indirect,
	       uint16_t *head, struct vhu_err *e);
/* vring_post for buffers the caller placed in guest memory and filled:
 * SEGS' gpa are used as they are, nothing is allocated or copied, and
 * vring_release leaves the buffers to the caller (a benchmark posts the
 * same ones again and again). */
int vring_post_bufs(struct vring *vr, struct mem *m, const struct vring_seg *segs, unsigned n,
		    uint16_t *head, struct vhu_err *e);
/* The buffers of chain ID (posted with vring_post_bufs) become the
 * ring's: vring_release frees them, as it frees vring_post's. For a poster
 * that ends while the device still holds its chains. */
void vring_give_bufs(struct vring *vr, uint16_t id);
/* HOLD: chains posted from now on are written to the ring, but avail.idx
 * is left as it is; !HOLD publishes them all with one store, as a driver
 * does at the end of a burst. Split rings; a packed ring publishes each
 * chain with its descriptor's flags whatever this says. The used index is
 * read once, when the hold begins: an entry the device wrote before it
 * cannot complete a chain posted during it (used_floor). */
void vring_hold(struct vring *vr, struct mem *m, bool hold);
/* Ask the device for used-buffer notifications (ON) or not: the avail
 * ring's NO_INTERRUPT flag, used_event with EVENT_IDX (left behind while
 * off), the driver event area's flags on a packed ring. */
void vring_set_interrupts(struct vring *vr, struct mem *m, bool on);
/* Mark the chain in flight as ID (head or buffer id) with TAG: whoever
 * collects used entries can tell its own chains from the others'. */
void vring_set_tag(struct vring *vr, uint16_t id, uint32_t tag);
/* Next used entry, if any: 1 with *u filled, 0 none, <0 when the device
 * wrote something impossible (an id not in flight, or one written before
 * its chain was made available: a repeated id; an index jump). Entries come
 * in the device's order, which need not be the order of posting. */
int vring_get_used(struct vring *vr, struct mem *m, struct vring_used *u, struct vhu_err *e);
/* Has the device used something that vring_get_used would return? A look
 * at the index or flags, nothing consumed. */
bool vring_has_used(struct vring *vr, const struct mem *m);
/* Give back the buffers and descriptors of a used chain. */
void vring_release(struct vring *vr, struct mem *m, uint16_t id);
/* Should the driver notify the device now (EVENT_IDX / NO_NOTIFY honoured)? */
bool vring_need_kick(struct vring *vr, const struct mem *m, uint16_t old_avail);
/* Number of chains made available and not used yet. */
unsigned vring_in_flight(const struct vring *vr);

/* Little-endian ring field access in guest memory, bounds-checked: false when
 * the address is outside every region. */
bool vring_rd16(const struct mem *m, uint64_t gpa, uint16_t *v);
bool vring_rd32(const struct mem *m, uint64_t gpa, uint32_t *v);
bool vring_rd64(const struct mem *m, uint64_t gpa, uint64_t *v);

#endif
