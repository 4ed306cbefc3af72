/* mview.h - vhuctl monitor's view into a running session: the guest memory and rings the front-end handed the back-end, read-only. */
#ifndef VHUCTL_MONITOR_MVIEW_H
#define VHUCTL_MONITOR_MVIEW_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "core/err.h"
#include "core/features.h"
#include "core/mem.h"
#include "core/wire.h"

#define MVIEW_RINGS 256u

/* A region of the front-end's memory table, mapped read-only when its memfd
 * is sealed against shrinking (the sender could truncate any other under
 * us, and a read of the mapping would then kill the monitor). */
struct mview_region {
	uint64_t gpa, size, uaddr, offset;
	const uint8_t *map;	/* the mapping (offset + size bytes), NULL: not mapped */
	size_t map_len;
	char why[96];		/* why not mapped */
};

struct mview_ring {
	bool num_set, addr_set, base_set, stopped;
	uint32_t num, base, flags;
	uint64_t desc, avail, used;	/* the front-end's user addresses */
	uint64_t kicks_set, calls_set;	/* SET_VRING_KICK/CALL seen */
};

struct mview {
	struct mview_region r[MEM_REGIONS_MAX];
	unsigned n;
	enum vhu_device dev;	/* for the names of its features */
	uint64_t features;
	bool features_set;
	struct mview_ring ring[MVIEW_RINGS];
	struct mem *mem;	/* the mapped regions, as the ring decoders read memory */
};

void mview_init(struct mview *v, enum vhu_device dev);
/* Forget the session: every mapping goes. */
void mview_reset(struct mview *v);
/* What front-end request M (on its way to the back-end, its fds still
 * attached) tells: memory regions, ring sizes, addresses, bases, features. */
void mview_note(struct mview *v, const struct vhu_msg *m);

/* A read-only command on the view, as its result object (contract-shaped:
 * "command", then the members; the caller adds ok or error): "status",
 * "vring dump N [from=N] [count=N] [chains]", "mem read GPA SIZE".
 * NULL with E on a bad command or what cannot be read. */
struct json_object *mview_command(struct mview *v, const char *line, struct vhu_err *e);

#endif
