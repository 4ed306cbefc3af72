/* vring_dump.c - decode a ring in guest memory into JSON, trusting nothing in it. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jb.h"
#include "vring_dump.h"

/* Model: Linux drivers/vhost/vhost.c. Every field is read once into a local
 * and checked there; walks are bounded by the ring (or table) size and
 * loops are caught with a visited bitmap; problems become "anomalies" with
 * the place they were found, never a crash and never a blind follow. */

struct dumper {
	const struct mem *m;
	const struct vring_dump_opts *o;
	struct json_object *anomalies;
	uint8_t *seen;			/* visited bitmap, one bit per descriptor */
};

__attribute__((format(printf, 3, 4)))
static void anomaly(struct dumper *d, const char *where, const char *fmt, ...)
{
	struct json_object *a = json_object_new_object();
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	jb_add(a, "where", json_object_new_string(where));
	jb_add(a, "what", json_object_new_string(msg));
	json_object_array_add(d->anomalies, a);
}

struct desc { uint64_t addr; uint32_t len; uint16_t flags, next; };	/* next = id for packed */

/* split: {addr, len, flags, next}; packed: {addr, len, id, flags} */
static bool read_desc_as(const struct mem *m, uint64_t at, struct desc *x, bool packed)
{
	return vring_rd64(m, at, &x->addr) && vring_rd32(m, at + 8, &x->len) &&
	       vring_rd16(m, at + (packed ? 14 : 12), &x->flags) &&
	       vring_rd16(m, at + (packed ? 12 : 14), &x->next);
}

static bool read_desc(const struct mem *m, uint64_t at, struct desc *x)
{
	return read_desc_as(m, at, x, false);
}

static struct json_object *flag_names(uint16_t f, bool packed)
{
	struct json_object *a = json_object_new_array();

	if (f & VRING_DESC_F_NEXT)
		json_object_array_add(a, json_object_new_string("NEXT"));
	if (f & VRING_DESC_F_WRITE)
		json_object_array_add(a, json_object_new_string("WRITE"));
	if (f & VRING_DESC_F_INDIRECT)
		json_object_array_add(a, json_object_new_string("INDIRECT"));
	if (packed && (f & VRING_PACKED_F_AVAIL))
		json_object_array_add(a, json_object_new_string("AVAIL"));
	if (packed && (f & VRING_PACKED_F_USED))
		json_object_array_add(a, json_object_new_string("USED"));
	return a;
}

static struct json_object *desc_json(unsigned i, const struct desc *x, bool packed)
{
	struct json_object *o = json_object_new_object();

	jb_add(o, "index", json_object_new_int((int)i));
	jb_add(o, "addr", jb_hex(x->addr));
	jb_add(o, "len", json_object_new_int64(x->len));
	jb_add(o, "flags", flag_names(x->flags, packed));
	jb_add(o, packed ? "id" : "next", json_object_new_int(x->next));
	return o;
}

/* One buffer of a chain: checked against guest memory. */
static void add_buffer(struct dumper *d, struct json_object *bufs, const char *where,
		       const struct desc *x, uint64_t *out, uint64_t *in)
{
	struct json_object *b = json_object_new_object();

	jb_add(b, "addr", jb_hex(x->addr));
	jb_add(b, "len", json_object_new_int64(x->len));
	jb_add(b, "write", json_object_new_boolean(x->flags & VRING_DESC_F_WRITE));
	json_object_array_add(bufs, b);
	if (!mem_gpa_ptr(d->m, x->addr, x->len))
		anomaly(d, where, "buffer 0x%" PRIx64 "+%u is outside every memory region", x->addr, x->len);
	if (x->flags & VRING_DESC_F_WRITE)
		*in += x->len;
	else
		*out += x->len;
}

/* Follow an indirect table: its own bound, its own loop check, no nesting. */
static void walk_indirect(struct dumper *d, const char *where, const struct desc *x,
			  struct json_object *bufs, uint64_t *out, uint64_t *in, bool packed)
{
	unsigned n, i = 0, hops = 0;
	uint8_t *seen;
	char w[64];

	if (x->len == 0 || x->len % 16) {
		anomaly(d, where, "indirect table length %u is not a non-zero multiple of 16", x->len);
		return;
	}
	n = x->len / 16;
	if (n > VRING_SIZE_MAX) {
		anomaly(d, where, "indirect table of %u entries exceeds %u", n, VRING_SIZE_MAX);
		return;
	}
	if (!mem_gpa_ptr(d->m, x->addr, x->len)) {
		anomaly(d, where, "indirect table 0x%" PRIx64 "+%u is outside every memory region", x->addr, x->len);
		return;
	}
	seen = calloc((n + 7) / 8, 1);
	if (!seen)
		return;
	for (;;) {
		struct desc t;

		snprintf(w, sizeof(w), "%s.indirect[%u]", where, i);
		if (seen[i / 8] >> (i % 8) & 1) {
			anomaly(d, w, "loop in the indirect table");
			break;
		}
		seen[i / 8] |= (uint8_t)(1u << (i % 8));
		if (++hops > n || !read_desc_as(d->m, x->addr + 16 * (uint64_t)i, &t, packed))
			break;
		if (t.flags & VRING_DESC_F_INDIRECT) {
			anomaly(d, w, "nested indirect descriptor (not allowed)");
			break;
		}
		add_buffer(d, bufs, w, &t, out, in);
		if (packed) {	/* packed tables are read in order, all of them */
			if (++i == n)
				break;
			continue;
		}
		if (!(t.flags & VRING_DESC_F_NEXT))
			break;
		if (t.next >= n) {
			anomaly(d, w, "next %u is outside the %u-entry indirect table", t.next, n);
			break;
		}
		i = t.next;
	}
	free(seen);
}

/* Walk a split chain from HEAD; bounded by the ring size. */
static struct json_object *walk_split(struct dumper *d, const struct vring *vr,
				      unsigned slot, uint16_t head)
{
	struct json_object *c = json_object_new_object(), *descs = json_object_new_array(),
		*bufs = json_object_new_array();
	uint64_t out = 0, in = 0;
	unsigned hops = 0;
	uint16_t i = head;
	char w[64];

	jb_add(c, "avail_slot", json_object_new_int((int)slot));
	jb_add(c, "head", json_object_new_int(head));
	memset(d->seen, 0, (vr->size + 7u) / 8);
	if (head >= vr->size) {
		anomaly(d, "avail.ring", "slot %u: head %u is outside the %u-entry ring", slot, head, vr->size);
		goto done;
	}
	for (;;) {
		struct desc x;

		snprintf(w, sizeof(w), "desc[%u]", i);
		if (d->seen[i / 8] >> (i % 8) & 1) {
			anomaly(d, w, "descriptor loop (chain from head %u comes back here)", head);
			break;
		}
		d->seen[i / 8] |= (uint8_t)(1u << (i % 8));
		if (++hops > vr->size || !read_desc(d->m, vr->desc + 16 * (uint64_t)i, &x))
			break;
		json_object_array_add(descs, json_object_new_int(i));
		if (x.flags & VRING_DESC_F_INDIRECT) {
			if (x.flags & VRING_DESC_F_NEXT)
				anomaly(d, w, "INDIRECT together with NEXT");
			walk_indirect(d, w, &x, bufs, &out, &in, false);
			break;
		}
		add_buffer(d, bufs, w, &x, &out, &in);
		if (!(x.flags & VRING_DESC_F_NEXT))
			break;
		if (x.next >= vr->size) {
			anomaly(d, w, "next %u is outside the %u-entry ring", x.next, vr->size);
			break;
		}
		i = x.next;
	}
done:
	jb_add(c, "descriptors", descs);
	jb_add(c, "buffers", bufs);
	jb_add(c, "out_bytes", json_object_new_int64((int64_t)out));
	jb_add(c, "in_bytes", json_object_new_int64((int64_t)in));
	return c;
}

static bool in_window(const struct vring_dump_opts *o, unsigned i)
{
	return i >= o->from && (o->count == 0 || i - o->from < o->count);
}

static void dump_split(struct dumper *d, const struct vring *vr, struct json_object *out)
{
	const struct mem *m = d->m;
	uint16_t aflags = 0, aidx = 0, uflags = 0, uidx = 0, ev;
	struct json_object *avail = json_object_new_object(), *used = json_object_new_object();
	struct json_object *descs, *ring, *chains = json_object_new_array(), *counts;
	unsigned pending;
	char w[48];

	if (!vring_rd16(m, vr->avail, &aflags) || !vring_rd16(m, vr->avail + 2, &aidx))
		anomaly(d, "avail", "avail ring 0x%" PRIx64 " is outside memory", vr->avail);
	if (!vring_rd16(m, vr->used, &uflags) || !vring_rd16(m, vr->used + 2, &uidx))
		anomaly(d, "used", "used ring 0x%" PRIx64 " is outside memory", vr->used);
	if (!d->o->chains_only) {
		descs = json_object_new_array();
		for (unsigned i = d->o->from; i < vr->size && in_window(d->o, i); i++) {
			struct desc x;

			if (!read_desc(m, vr->desc + 16 * (uint64_t)i, &x)) {
				anomaly(d, "desc", "descriptor table 0x%" PRIx64 " is outside memory", vr->desc);
				break;
			}
			json_object_array_add(descs, desc_json(i, &x, false));
		}
		jb_add(out, "descriptors", descs);
		jb_add(avail, "flags", jb_hex(aflags));
		if (aflags & VRING_AVAIL_F_NO_INTERRUPT)
			jb_add(avail, "flag_names", jb_names1("NO_INTERRUPT"));
		jb_add(avail, "idx", json_object_new_int(aidx));
		ring = json_object_new_array();
		for (unsigned i = d->o->from; i < vr->size && in_window(d->o, i); i++) {
			uint16_t h = 0;

			vring_rd16(m, vr->avail + 4 + 2 * (uint64_t)i, &h);
			json_object_array_add(ring, json_object_new_int(h));
		}
		jb_add(avail, "ring", ring);
		if (vr->event_idx && vring_rd16(m, vr->avail + 4 + 2 * (uint64_t)vr->size, &ev))
			jb_add(avail, "used_event", json_object_new_int(ev));
		jb_add(used, "flags", jb_hex(uflags));
		if (uflags & VRING_USED_F_NO_NOTIFY)
			jb_add(used, "flag_names", jb_names1("NO_NOTIFY"));
		jb_add(used, "idx", json_object_new_int(uidx));
		ring = json_object_new_array();
		for (unsigned i = d->o->from; i < vr->size && in_window(d->o, i); i++) {
			uint32_t id = 0, len = 0;
			struct json_object *e = json_object_new_object();

			vring_rd32(m, vr->used + 4 + 8 * (uint64_t)i, &id);
			vring_rd32(m, vr->used + 8 + 8 * (uint64_t)i, &len);
			jb_add(e, "id", json_object_new_int64(id));
			jb_add(e, "len", json_object_new_int64(len));
			json_object_array_add(ring, e);
		}
		jb_add(used, "ring", ring);
		if (vr->event_idx && vring_rd16(m, vr->used + 4 + 8 * (uint64_t)vr->size, &ev))
			jb_add(used, "avail_event", json_object_new_int(ev));
		jb_add(out, "avail", avail);
		jb_add(out, "used", used);
	} else {
		json_object_put(avail);
		json_object_put(used);
	}
	/* Chains the device has been given and not yet returned. */
	pending = (uint16_t)(aidx - uidx);
	if (pending > vr->size) {
		snprintf(w, sizeof(w), "avail.idx");
		anomaly(d, w, "avail.idx %u is %u ahead of used.idx %u, more than the ring size %u",
			aidx, pending, uidx, vr->size);
		pending = vr->size;
	}
	for (unsigned k = 0; k < pending; k++) {
		unsigned slot = (uint16_t)(uidx + k) % vr->size;
		uint16_t head = 0;

		if (!in_window(d->o, k))
			continue;
		vring_rd16(m, vr->avail + 4 + 2 * (uint64_t)slot, &head);
		json_object_array_add(chains, walk_split(d, vr, slot, head));
	}
	jb_add(out, "chains", chains);
	counts = json_object_new_object();
	jb_add(counts, "available", json_object_new_int((int)pending));
	jb_add(counts, "in_flight", json_object_new_int((int)vring_in_flight(vr)));
	jb_add(counts, "used", json_object_new_int((uint16_t)(uidx - vr->last_used)));
	jb_add(out, "counts", counts);
}

static struct json_object *event_area(const struct mem *m, uint64_t gpa)
{
	static const char *const modes[] = { "ENABLE", "DISABLE", "DESC", "reserved" };
	struct json_object *o = json_object_new_object();
	uint16_t off_wrap = 0, flags = 0;

	vring_rd16(m, gpa, &off_wrap);
	vring_rd16(m, gpa + 2, &flags);
	jb_add(o, "desc", json_object_new_int(off_wrap & 0x7fff));
	jb_add(o, "wrap", json_object_new_int(off_wrap >> 15));
	jb_add(o, "flags", json_object_new_string(modes[flags & 3]));
	return o;
}

static void dump_packed(struct dumper *d, const struct vring *vr, struct json_object *out)
{
	const struct mem *m = d->m;
	struct json_object *descs = json_object_new_array(), *chains = json_object_new_array(), *counts;
	unsigned avail = 0, used = 0, pos = vr->last_used_pk, pending = 0;
	bool wrap = vr->used_wrap;

	for (unsigned i = 0; i < vr->size; i++) {
		struct desc x;
		bool a, u;

		if (!read_desc_as(m, vr->desc + 16 * (uint64_t)i, &x, true)) {
			anomaly(d, "desc", "descriptor ring 0x%" PRIx64 " is outside memory", vr->desc);
			break;
		}
		a = x.flags & VRING_PACKED_F_AVAIL;
		u = x.flags & VRING_PACKED_F_USED;
		avail += a != u;
		used += a == u && (a || u);
		if (!d->o->chains_only && in_window(d->o, i)) {
			struct json_object *o = desc_json(i, &x, true);

			jb_add(o, "state", json_object_new_string(a != u ? "available" : (a ? "used" : "used/free")));
			json_object_array_add(descs, o);
		}
	}
	if (!d->o->chains_only) {
		jb_add(out, "descriptors", descs);
		jb_add(out, "driver_event", event_area(m, vr->avail));
		jb_add(out, "device_event", event_area(m, vr->used));
	} else {
		json_object_put(descs);
	}
	/* Chains from the driver's used position while descriptors are available
	 * in the current wrap: at most one pass over the ring. */
	for (unsigned hops = 0; hops < vr->size;) {
		struct json_object *c, *bufs;
		uint64_t o = 0, in = 0;
		struct desc x;
		char w[48];
		unsigned start = pos;

		if (!read_desc_as(m, vr->desc + 16 * (uint64_t)pos, &x, true))
			break;
		if (((x.flags & VRING_PACKED_F_AVAIL) != 0) == wrap &&
		    ((x.flags & VRING_PACKED_F_USED) != 0) == wrap) {
			/* Used and not collected yet: step over the whole chain, whose
			 * length only the driver knows. */
			uint16_t n = x.next < vr->size && vr->chains[x.next].busy ? vr->chains[x.next].ndesc : 0;

			if (n == 0) {
				snprintf(w, sizeof(w), "desc[%u]", pos);
				anomaly(d, w, "used descriptor names buffer id %u, which is not in flight", x.next);
				break;
			}
			hops += n;
			pos += n;
			if (pos >= vr->size) {
				pos -= vr->size;
				wrap = !wrap;
			}
			continue;
		}
		if (((x.flags & VRING_PACKED_F_AVAIL) != 0) != wrap || ((x.flags & VRING_PACKED_F_USED) != 0) == wrap)
			break;
		c = json_object_new_object();
		bufs = json_object_new_array();
		jb_add(c, "head", json_object_new_int((int)start));
		for (;;) {
			snprintf(w, sizeof(w), "desc[%u]", pos);
			if (x.flags & VRING_DESC_F_INDIRECT)
				walk_indirect(d, w, &x, bufs, &o, &in, true);
			else
				add_buffer(d, bufs, w, &x, &o, &in);
			jb_add(c, "id", json_object_new_int(x.next));
			hops++;
			if (++pos == vr->size) {
				pos = 0;
				wrap = !wrap;
			}
			if (!(x.flags & VRING_DESC_F_NEXT))
				break;
			if (hops >= vr->size || !read_desc_as(m, vr->desc + 16 * (uint64_t)pos, &x, true)) {
				anomaly(d, w, "chain runs over the whole ring");
				break;
			}
		}
		jb_add(c, "buffers", bufs);
		jb_add(c, "out_bytes", json_object_new_int64((int64_t)o));
		jb_add(c, "in_bytes", json_object_new_int64((int64_t)in));
		if (in_window(d->o, pending))
			json_object_array_add(chains, c);
		else
			json_object_put(c);
		pending++;
	}
	jb_add(out, "chains", chains);
	counts = json_object_new_object();
	jb_add(counts, "available", json_object_new_int((int)pending));
	jb_add(counts, "available_descriptors", json_object_new_int((int)avail));
	jb_add(counts, "in_flight", json_object_new_int((int)vring_in_flight(vr)));
	jb_add(out, "counts", counts);
}

struct json_object *vring_dump(const struct vring *vr, const struct mem *m,
			       const struct vring_dump_opts *o)
{
	struct json_object *out = json_object_new_object();
	struct dumper d = { .m = m, .o = o, .anomalies = json_object_new_array() };

	d.seen = calloc((vr->size + 7u) / 8 + 1, 1);
	jb_add(out, "index", json_object_new_int((int)vr->index));
	jb_add(out, "layout", json_object_new_string(vr->packed ? "packed" : "split"));
	jb_add(out, "size", json_object_new_int(vr->size));
	jb_add(out, "desc_addr", jb_hex(vr->desc));
	jb_add(out, vr->packed ? "driver_event_addr" : "avail_addr", jb_hex(vr->avail));
	jb_add(out, vr->packed ? "device_event_addr" : "used_addr", jb_hex(vr->used));
	if (d.seen) {
		if (vr->packed)
			dump_packed(&d, vr, out);
		else
			dump_split(&d, vr, out);
	}
	jb_add(out, "anomalies", d.anomalies);
	free(d.seen);
	return out;
}
