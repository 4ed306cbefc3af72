/* mem.h - guest memory: sealed memfd regions shared with the back-end. */
#ifndef VHUCTL_MEM_H
#define VHUCTL_MEM_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"

#define MEM_REGIONS_MAX 64u

struct mem_region {
	int fd;
	uint8_t *va;		/* our mapping; userspace_addr on the wire */
	uint64_t gpa, size;
};

#define MEM_EXTENTS_MAX 4096u

struct mem_extent {
	uint64_t gpa, size;
};

struct mem {
	struct mem_region r[MEM_REGIONS_MAX];
	unsigned n;
	/* Free guest-physical ranges for rings and buffers, sorted, coalesced. */
	struct mem_extent free[MEM_EXTENTS_MAX];
	unsigned nfree;
	/* Changes whenever the regions do (never the same value twice in a
	 * process): a ring keeping pointers into them looks them up again. */
	uint64_t gen;
};

void mem_init(struct mem *m);
/* Create a SIZE-byte memfd region (sealed against shrink and grow, so a
 * back-end cannot truncate it under our mapping) at GPA, or after the
 * highest region when !HAS_GPA. Size is rounded up to the page size. */
int mem_add(struct mem *m, uint64_t size, bool has_gpa, uint64_t gpa,
	    struct vhu_err *e);
/* Remove region I (unmap and close). */
int mem_remove(struct mem *m, unsigned i, struct vhu_err *e);
void mem_free(struct mem *m);
/* Translate [gpa, gpa+len) to our pointer; NULL if not wholly inside one region. */
void *mem_gpa_ptr(const struct mem *m, uint64_t gpa, uint64_t len);
/* Translate a guest physical address to the userspace address the back-end
 * knows (our mapping); false when outside every region. */
bool mem_gpa_to_uaddr(const struct mem *m, uint64_t gpa, uint64_t *uaddr);

/* Translate a userspace address the back-end was given (our mapping) back to
 * the guest physical address; false when it is in no region. */
bool mem_uaddr_to_gpa(const struct mem *m, uint64_t uaddr, uint64_t *gpa);

/* Take whatever of [gpa, gpa+size) is free out of the free ranges (areas
 * someone laid out by hand: buffers must not be allocated over them). The
 * pieces taken go to OUT (at most MAX; what does not fit is not taken);
 * returns how many. Give them back with mem_release, one by one. */
unsigned mem_take(struct mem *m, uint64_t gpa, uint64_t size, struct mem_extent *out, unsigned max);

/* Allocate SIZE bytes aligned to ALIGN (a power of two) from the free
 * ranges; *gpa receives the address. -ENOMEM when nothing fits. */
int mem_alloc(struct mem *m, uint64_t size, uint64_t align, uint64_t *gpa);
/* Give [gpa, gpa+size) back. */
void mem_release(struct mem *m, uint64_t gpa, uint64_t size);

#endif
