/* vring_dump.h - decode a ring in guest memory into JSON, trusting nothing in it. */
#ifndef VHUCTL_VRING_DUMP_H
#define VHUCTL_VRING_DUMP_H

#include <stdbool.h>
#include <json-c/json.h>

#include "core/mem.h"
#include "core/vring.h"

struct vring_dump_opts {
	unsigned from, count;	/* window over descriptors, ring slots and chains; 0 = all */
	bool chains_only;
};

struct json_object *vring_dump(const struct vring *vr, const struct mem *m,
			       const struct vring_dump_opts *o);

#endif
