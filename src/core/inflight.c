/* inflight.c - decode the inflight area a back-end shares (GET_INFLIGHT_FD), trusting nothing in it. */
#include "core/inflight.h"
#include "core/jb.h"
#include "core/render.h"

static uint16_t ld16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t ld32(const uint8_t *p) { return (uint32_t)ld16(p) | (uint32_t)ld16(p + 2) << 16; }
static uint64_t ld64(const uint8_t *p) { return (uint64_t)ld32(p) | (uint64_t)ld32(p + 4) << 32; }

static void anomaly(struct json_object *a, unsigned q, const char *what)
{
	struct json_object *o = json_object_new_object();

	jb_add(o, "queue", json_object_new_int((int)q));
	jb_add(o, "what", json_object_new_string(what));
	json_object_array_add(a, o);
}

/* One queue's region: header, then the descriptors marked in flight. The
 * back-end wrote all of it: every count is checked against the stride. */
static struct json_object *inflight_queue(const uint8_t *p, uint64_t stride, unsigned q,
					  bool packed, struct json_object *anomalies)
{
	struct json_object *o = json_object_new_object(), *descs = json_object_new_array();
	unsigned hdr = packed ? 32 : 16, dsz = packed ? 32 : 16, fits, n;
	uint16_t desc_num = ld16(p + 10), version = ld16(p + 8);

	jb_add(o, "queue", json_object_new_int((int)q));
	jb_add(o, "features", render_mask(ld64(p), render_no_bits));
	jb_add(o, "version", json_object_new_int(version));
	jb_add(o, "desc_num", json_object_new_int(desc_num));
	if (packed) {
		jb_add(o, "free_head", json_object_new_int(ld16(p + 12)));
		jb_add(o, "old_free_head", json_object_new_int(ld16(p + 14)));
		jb_add(o, "used_idx", json_object_new_int(ld16(p + 16)));
		jb_add(o, "old_used_idx", json_object_new_int(ld16(p + 18)));
		jb_add(o, "used_wrap_counter", json_object_new_int(p[20]));
		jb_add(o, "old_used_wrap_counter", json_object_new_int(p[21]));
	} else {
		jb_add(o, "last_batch_head", json_object_new_int(ld16(p + 12)));
		jb_add(o, "used_idx", json_object_new_int(ld16(p + 14)));
	}
	if (version != 1)
		anomaly(anomalies, q, "version is not 1");
	fits = stride > hdr ? (unsigned)((stride - hdr) / dsz) : 0;
	n = desc_num;
	if (n > fits) {
		anomaly(anomalies, q, "desc_num is larger than the queue's region holds");
		n = fits;
	}
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *d = p + hdr + (uint64_t)i * dsz;
		struct json_object *x;

		if (!d[0])
			continue;	/* not in flight */
		x = json_object_new_object();
		jb_add(x, "index", json_object_new_int((int)i));
		jb_add(x, "inflight", json_object_new_int(d[0]));
		if (packed) {
			jb_add(x, "next", json_object_new_int(ld16(d + 2)));
			jb_add(x, "last", json_object_new_int(ld16(d + 4)));
			jb_add(x, "num", json_object_new_int(ld16(d + 6)));
			jb_add(x, "counter", jb_u64(ld64(d + 8)));
			jb_add(x, "id", json_object_new_int(ld16(d + 16)));
			jb_add(x, "flags", render_mask(ld16(d + 18), render_desc_flags_packed));
			jb_add(x, "len", json_object_new_int64(ld32(d + 20)));
			jb_add(x, "addr", jb_hex(ld64(d + 24)));
		} else {
			jb_add(x, "next", json_object_new_int(ld16(d + 6)));
			jb_add(x, "counter", jb_u64(ld64(d + 8)));
		}
		json_object_array_add(descs, x);
	}
	jb_add(o, "inflight", descs);
	return o;
}

void inflight_decode(const uint8_t *area, uint64_t len, uint64_t stride, unsigned nqueues, bool packed,
		     struct json_object *queues, struct json_object *anomalies)
{
	if (stride < (packed ? 32u : 16u)) {
		anomaly(anomalies, 0, "the area is too small for a queue header per queue");
		return;
	}
	for (unsigned q = 0; q < nqueues; q++) {
		if ((q + 1) * stride > len)
			anomaly(anomalies, q, "past the end of the inflight fd: not decoded");
		else
			json_object_array_add(queues, inflight_queue(area + q * stride, stride, q,
								     packed, anomalies));
	}
}
