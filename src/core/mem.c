/* mem.c - guest memory: sealed memfd regions shared with the back-end. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/mem.h"

#define PAGE 4096u

static uint64_t gen_next;

static void changed(struct mem *m)
{
	m->gen = ++gen_next;
}

void mem_init(struct mem *m)
{
	memset(m, 0, sizeof(*m));
	changed(m);
}

static bool overlaps(const struct mem *m, uint64_t gpa, uint64_t size)
{
	for (unsigned i = 0; i < m->n; i++)
		if (gpa < m->r[i].gpa + m->r[i].size && m->r[i].gpa < gpa + size)
			return true;
	return false;
}

int mem_add(struct mem *m, uint64_t size, bool has_gpa, uint64_t gpa, struct vhu_err *e)
{
	struct mem_region *r;
	void *va;
	int fd;

	if (m->n >= MEM_REGIONS_MAX)
		return vhu_errf(e, ENOSPC, "at most %u memory regions", MEM_REGIONS_MAX);
	if (size == 0 || size > (UINT64_C(1) << 46))
		return vhu_errf(e, EINVAL, "region size must be between 1 byte and 64 TiB");
	size = (size + PAGE - 1) & ~(uint64_t)(PAGE - 1);
	if (!has_gpa) {
		gpa = 0;
		for (unsigned i = 0; i < m->n; i++)
			if (m->r[i].gpa + m->r[i].size > gpa)
				gpa = m->r[i].gpa + m->r[i].size;
	}
	if (gpa % PAGE)
		return vhu_errf(e, EINVAL, "gpa 0x%" PRIx64 " is not page aligned", gpa);
	if (gpa + size < gpa)
		return vhu_errf(e, EINVAL, "region wraps the address space");
	if (overlaps(m, gpa, size))
		return vhu_errf(e, EEXIST, "region at 0x%" PRIx64 " overlaps an existing one", gpa);
	fd = memfd_create("vhuctl-guest", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return vhu_errf(e, errno, "memfd_create: %s", strerror(errno));
	if (ftruncate(fd, (off_t)size) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		int err = errno;

		close(fd);
		return vhu_errf(e, err, "memfd: %s", strerror(err));
	}
	/* MAP_NORESERVE: only the pages someone touches cost memory. */
	va = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (va == MAP_FAILED) {
		int err = errno;

		close(fd);
		return vhu_errf(e, err, "mmap of %" PRIu64 " bytes: %s", size, strerror(err));
	}
	r = &m->r[m->n++];
	r->fd = fd;
	r->va = va;
	r->gpa = gpa;
	r->size = size;
	changed(m);
	mem_release(m, gpa, size);
	return (int)(m->n - 1);
}

int mem_remove(struct mem *m, unsigned i, struct vhu_err *e)
{
	if (i >= m->n)
		return vhu_errf(e, ENOENT, "no memory region %u (there are %u)", i, m->n);
	munmap(m->r[i].va, m->r[i].size);
	close(m->r[i].fd);
	/* Its free ranges go with it. */
	for (unsigned k = 0; k < m->nfree;) {
		struct mem_extent *x = &m->free[k];

		if (x->gpa >= m->r[i].gpa && x->gpa - m->r[i].gpa < m->r[i].size) {
			memmove(x, x + 1, (m->nfree - k - 1) * sizeof(*x));
			m->nfree--;
		} else {
			k++;
		}
	}
	memmove(&m->r[i], &m->r[i + 1], (m->n - i - 1) * sizeof(m->r[0]));
	m->n--;
	changed(m);
	return 0;
}

void mem_free(struct mem *m)
{
	while (m->n)
		mem_remove(m, m->n - 1, NULL);
}

void *mem_gpa_ptr(const struct mem *m, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < m->n; i++) {
		const struct mem_region *r = &m->r[i];

		if (gpa >= r->gpa && gpa - r->gpa <= r->size && len <= r->size - (gpa - r->gpa))
			return r->va + (gpa - r->gpa);
	}
	return NULL;
}

bool mem_gpa_to_uaddr(const struct mem *m, uint64_t gpa, uint64_t *uaddr)
{
	uint8_t *p = mem_gpa_ptr(m, gpa, 0);

	if (!p)
		return false;
	*uaddr = (uint64_t)(uintptr_t)p;
	return true;
}

/* Sizes are kept in 16-byte granules, so that small allocations leave no
 * alignment gaps behind to fragment the free list. */
#define GRANULE 16u

static uint64_t granules(uint64_t size)
{
	return size ? (size + GRANULE - 1) & ~(uint64_t)(GRANULE - 1) : GRANULE;
}

bool mem_uaddr_to_gpa(const struct mem *m, uint64_t uaddr, uint64_t *gpa)
{
	for (unsigned i = 0; i < m->n; i++) {
		uint64_t va = (uint64_t)(uintptr_t)m->r[i].va;

		if (uaddr >= va && uaddr - va < m->r[i].size) {
			*gpa = m->r[i].gpa + (uaddr - va);
			return true;
		}
	}
	return false;
}

unsigned mem_take(struct mem *m, uint64_t gpa, uint64_t size, struct mem_extent *out, unsigned max)
{
	uint64_t end = gpa + size;
	unsigned n = 0;

	/* Whole granules, as the free ranges are kept (and given back). */
	if (end < gpa || end > UINT64_MAX - GRANULE)
		end = UINT64_MAX & ~(uint64_t)(GRANULE - 1);
	else
		end = (end + GRANULE - 1) & ~(uint64_t)(GRANULE - 1);
	gpa &= ~(uint64_t)(GRANULE - 1);
	for (unsigned i = 0; i < m->nfree && n < max;) {
		struct mem_extent *x = &m->free[i];
		uint64_t xe = x->gpa + x->size, lo = x->gpa > gpa ? x->gpa : gpa, hi = xe < end ? xe : end;

		if (lo >= hi) {
			i++;
			continue;
		}
		out[n++] = (struct mem_extent){ lo, hi - lo };
		if (lo == x->gpa && hi == xe) {
			memmove(x, x + 1, (m->nfree - i - 1) * sizeof(*x));
			m->nfree--;
		} else if (lo == x->gpa) {
			x->gpa = hi;
			x->size = xe - hi;
		} else if (hi == xe) {
			x->size = lo - x->gpa;
		} else {
			/* The middle goes: the tail becomes a range of its own. */
			x->size = lo - x->gpa;
			if (m->nfree == MEM_EXTENTS_MAX) {
				n--;	/* no room to split: leave it free */
				x->size = xe - x->gpa;
				break;
			}
			memmove(x + 2, x + 1, (m->nfree - i - 1) * sizeof(*x));
			x[1] = (struct mem_extent){ hi, xe - hi };
			m->nfree++;
		}
	}
	return n;
}

int mem_alloc(struct mem *m, uint64_t size, uint64_t align, uint64_t *gpa)
{
	size = granules(size);
	if (align < GRANULE)
		align = GRANULE;
	for (unsigned i = 0; i < m->nfree; i++) {
		struct mem_extent *x = &m->free[i];
		uint64_t start = (x->gpa + align - 1) & ~(align - 1);
		uint64_t pad = start - x->gpa;

		if (start < x->gpa || pad > x->size || x->size - pad < size)
			continue;
		*gpa = start;
		if (pad) {
			/* Keep the alignment gap as its own free range. */
			uint64_t rest = x->size - pad - size, after = start + size;

			x->size = pad;
			if (rest)
				mem_release(m, after, rest);
		} else {
			x->gpa += size;
			x->size -= size;
			if (x->size == 0) {
				memmove(x, x + 1, (m->nfree - i - 1) * sizeof(*x));
				m->nfree--;
			}
		}
		return 0;
	}
	return -ENOMEM;
}

/* Does a region start at GPA? Free ranges never join across that point:
 * two regions back to back ('mem add' twice) are contiguous in guest
 * physical space, but a buffer over both has no one pointer of ours
 * (mem_gpa_ptr), and removing one region must not take the other's range. */
static bool region_starts_at(const struct mem *m, uint64_t gpa)
{
	for (unsigned i = 0; i < m->n; i++)
		if (m->r[i].gpa == gpa)
			return true;
	return false;
}

void mem_release(struct mem *m, uint64_t gpa, uint64_t size)
{
	unsigned i = 0;

	size = granules(size);
	while (i < m->nfree && m->free[i].gpa < gpa)
		i++;
	/* Coalesce with the neighbours when they touch, inside one region. */
	if (i > 0 && m->free[i - 1].gpa + m->free[i - 1].size == gpa && !region_starts_at(m, gpa)) {
		m->free[i - 1].size += size;
		if (i < m->nfree && gpa + size == m->free[i].gpa && !region_starts_at(m, gpa + size)) {
			m->free[i - 1].size += m->free[i].size;
			memmove(&m->free[i], &m->free[i + 1], (m->nfree - i - 1) * sizeof(m->free[0]));
			m->nfree--;
		}
		return;
	}
	if (i < m->nfree && gpa + size == m->free[i].gpa && !region_starts_at(m, gpa + size)) {
		m->free[i].gpa = gpa;
		m->free[i].size += size;
		return;
	}
	if (m->nfree == MEM_EXTENTS_MAX)
		return;	/* too fragmented: leak the range rather than fail */
	memmove(&m->free[i + 1], &m->free[i], (m->nfree - i) * sizeof(m->free[0]));
	m->free[i] = (struct mem_extent){ gpa, size };
	m->nfree++;
}
