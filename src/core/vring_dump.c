/* vring_dump.c - decode a ring in guest memory into JSON, trusting nothing in it. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jw.h"
#include "core/render.h"
#include "core/vring_dump.h"

/* Model: Linux drivers/vhost/vhost.c. Every field is read once into a local
 * and checked there; walks are bounded by the ring (or table) size and
 * loops are caught with a visited bitmap; problems become "anomalies" with
 * the place they were found, never a crash and never a blind follow.
 * The output is written straight out (jw.h): a full ring is 130k objects. */

struct dumper {
	const struct mem *m;
	const struct vring_dump_opts *o;
	struct jw an;			/* anomalies, spliced in at the end */
	struct jw chain;		/* one chain's buffers, reused */
	uint8_t *seen;			/* visited bitmap, one bit per descriptor */
	uint16_t *didx;			/* one chain's descriptor indexes */
	unsigned ndidx;
};

__attribute__((format(printf, 3, 4)))
static void anomaly(struct dumper *d, const char *where, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	jw_obj(&d->an);
	jw_key(&d->an, "where");
	jw_str(&d->an, where);
	jw_key(&d->an, "what");
	jw_str(&d->an, msg);
	jw_end_obj(&d->an);
}

struct desc { uint64_t addr; uint32_t len; uint16_t flags, next; };	/* next = id for packed */

/* split: {addr, len, flags, next}; packed: {addr, len, id, flags} */
static bool read_desc_as(const struct mem *m, uint64_t at, struct desc *x, bool packed)
{
	return vring_rd64(m, at, &x->addr) && vring_rd32(m, at + 8, &x->len) &&
	       vring_rd16(m, at + (packed ? 14 : 12), &x->flags) &&
	       vring_rd16(m, at + (packed ? 12 : 14), &x->next);
}

static const struct render_bit avail_flags[] = { { 0, "NO_INTERRUPT" }, { 0, NULL } };
static const struct render_bit used_flags[] = { { 0, "NO_NOTIFY" }, { 0, NULL } };

static void flag_names(struct jw *w, uint16_t f, bool packed)
{
	render_mask_jw(w, f, packed ? render_desc_flags_packed : render_desc_flags_split);
}

static void desc_json(struct jw *w, unsigned i, const struct desc *x, bool packed, const char *state)
{
	jw_obj(w);
	jw_key(w, "index");
	jw_int(w, i);
	jw_key(w, "addr");
	jw_hex(w, x->addr);
	jw_key(w, "len");
	jw_int(w, x->len);
	jw_key(w, "flags");
	flag_names(w, x->flags, packed);
	if (packed)
		jw_key(w, "id");
	else
		jw_key(w, "next");
	jw_int(w, x->next);
	if (state) {
		jw_key(w, "state");
		jw_str(w, state);
	}
	jw_end_obj(w);
}

/* One buffer of a chain: checked against guest memory. */
static void add_buffer(struct dumper *d, const char *where, const struct desc *x,
		       uint64_t *out, uint64_t *in)
{
	struct jw *w = &d->chain;

	jw_obj(w);
	jw_key(w, "addr");
	jw_hex(w, x->addr);
	jw_key(w, "len");
	jw_int(w, x->len);
	jw_key(w, "write");
	jw_bool(w, x->flags & VRING_DESC_F_WRITE);
	jw_end_obj(w);
	if (!mem_gpa_ptr(d->m, x->addr, x->len))
		anomaly(d, where, "buffer 0x%" PRIx64 "+%u is outside every memory region", x->addr, x->len);
	if (x->flags & VRING_DESC_F_WRITE)
		*in += x->len;
	else
		*out += x->len;
}

/* Follow an indirect table: its own bound, its own loop check, no nesting. */
static void walk_indirect(struct dumper *d, const char *where, const struct desc *x,
			  uint64_t *out, uint64_t *in, bool packed)
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
		add_buffer(d, w, &t, out, in);
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

/* Splice the comma-separated values SRC holds into W's open array. */
static void put_list(struct jw *w, const struct jw *src)
{
	jw_raw(w, src->buf, src->len);
}

/* Write the chain gathered in d->didx / d->chain as one object. */
static void emit_chain(struct dumper *d, struct jw *w, int slot, unsigned head, int id,
		       uint64_t out, uint64_t in)
{
	jw_obj(w);
	if (slot >= 0) {
		jw_key(w, "avail_slot");
		jw_int(w, slot);
	}
	jw_key(w, "head");
	jw_int(w, head);
	if (id >= 0) {
		jw_key(w, "id");
		jw_int(w, id);
	}
	jw_key(w, "descriptors");
	jw_arr(w);
	for (unsigned i = 0; i < d->ndidx; i++)
		jw_int(w, d->didx[i]);
	jw_end_arr(w);
	jw_key(w, "buffers");
	jw_arr(w);
	if (d->chain.len)
		put_list(w, &d->chain);
	jw_end_arr(w);
	jw_key(w, "out_bytes");
	jw_int(w, (int64_t)out);
	jw_key(w, "in_bytes");
	jw_int(w, (int64_t)in);
	jw_end_obj(w);
}

static void chain_reset(struct dumper *d)
{
	d->chain.len = 0;
	d->chain.depth = 0;
	d->chain.need_comma[0] = false;
	d->ndidx = 0;
}

/* Walk a split chain from HEAD; bounded by the ring size. */
static void walk_split(struct dumper *d, struct jw *w, const struct vring *vr,
		       unsigned slot, uint16_t head)
{
	uint64_t out = 0, in = 0;
	unsigned hops = 0;
	uint16_t i = head;
	char where[64];

	chain_reset(d);
	memset(d->seen, 0, (vr->size + 7u) / 8);
	if (head >= vr->size) {
		anomaly(d, "avail.ring", "slot %u: head %u is outside the %u-entry ring", slot, head, vr->size);
		goto done;
	}
	for (;;) {
		struct desc x;

		snprintf(where, sizeof(where), "desc[%u]", i);
		if (d->seen[i / 8] >> (i % 8) & 1) {
			anomaly(d, where, "descriptor loop (chain from head %u comes back here)", head);
			break;
		}
		d->seen[i / 8] |= (uint8_t)(1u << (i % 8));
		if (++hops > vr->size || !read_desc_as(d->m, vr->desc + 16 * (uint64_t)i, &x, false))
			break;
		d->didx[d->ndidx++] = i;
		if (x.flags & VRING_DESC_F_INDIRECT) {
			if (x.flags & VRING_DESC_F_NEXT)
				anomaly(d, where, "INDIRECT together with NEXT");
			walk_indirect(d, where, &x, &out, &in, false);
			break;
		}
		add_buffer(d, where, &x, &out, &in);
		if (!(x.flags & VRING_DESC_F_NEXT))
			break;
		if (x.next >= vr->size) {
			anomaly(d, where, "next %u is outside the %u-entry ring", x.next, vr->size);
			break;
		}
		i = x.next;
	}
done:
	emit_chain(d, w, (int)slot, head, -1, out, in);
}

static bool in_window(const struct vring_dump_opts *o, unsigned i)
{
	return i >= o->from && (o->count == 0 || i - o->from < o->count);
}

static void dump_split(struct dumper *d, struct jw *w, const struct vring *vr)
{
	const struct mem *m = d->m;
	uint16_t aflags = 0, aidx = 0, uflags = 0, uidx = 0, ev;
	unsigned pending;

	if (!vring_rd16(m, vr->avail, &aflags) || !vring_rd16(m, vr->avail + 2, &aidx))
		anomaly(d, "avail", "avail ring 0x%" PRIx64 " is outside memory", vr->avail);
	if (!vring_rd16(m, vr->used, &uflags) || !vring_rd16(m, vr->used + 2, &uidx))
		anomaly(d, "used", "used ring 0x%" PRIx64 " is outside memory", vr->used);
	if (!d->o->chains_only) {
		jw_key(w, "descriptors");
		jw_arr(w);
		for (unsigned i = d->o->from; i < vr->size && in_window(d->o, i); i++) {
			struct desc x;

			if (!read_desc_as(m, vr->desc + 16 * (uint64_t)i, &x, false)) {
				anomaly(d, "desc", "descriptor table 0x%" PRIx64 " is outside memory", vr->desc);
				break;
			}
			desc_json(w, i, &x, false, NULL);
		}
		jw_end_arr(w);
		jw_key(w, "avail");
		jw_obj(w);
		jw_key(w, "flags");
		render_mask_jw(w, aflags, avail_flags);
		jw_key(w, "idx");
		jw_int(w, aidx);
		jw_key(w, "ring");
		jw_arr(w);
		for (unsigned i = d->o->from; i < vr->size && in_window(d->o, i); i++) {
			uint16_t h = 0;

			vring_rd16(m, vr->avail + 4 + 2 * (uint64_t)i, &h);
			jw_int(w, h);
		}
		jw_end_arr(w);
		if (vr->event_idx && vring_rd16(m, vr->avail + 4 + 2 * (uint64_t)vr->size, &ev)) {
			jw_key(w, "used_event");
			jw_int(w, ev);
		}
		jw_end_obj(w);
		jw_key(w, "used");
		jw_obj(w);
		jw_key(w, "flags");
		render_mask_jw(w, uflags, used_flags);
		jw_key(w, "idx");
		jw_int(w, uidx);
		jw_key(w, "ring");
		jw_arr(w);
		for (unsigned i = d->o->from; i < vr->size && in_window(d->o, i); i++) {
			uint32_t id = 0, len = 0;

			vring_rd32(m, vr->used + 4 + 8 * (uint64_t)i, &id);
			vring_rd32(m, vr->used + 8 + 8 * (uint64_t)i, &len);
			jw_obj(w);
			jw_key(w, "id");
			jw_int(w, id);
			jw_key(w, "len");
			jw_int(w, len);
			jw_end_obj(w);
		}
		jw_end_arr(w);
		if (vr->event_idx && vring_rd16(m, vr->used + 4 + 8 * (uint64_t)vr->size, &ev)) {
			jw_key(w, "avail_event");
			jw_int(w, ev);
		}
		jw_end_obj(w);
	}
	/* Chains the device has been given and not yet returned. */
	pending = (uint16_t)(aidx - uidx);
	if (pending > vr->size) {
		anomaly(d, "avail.idx", "avail.idx %u is %u ahead of used.idx %u, more than the ring size %u",
			aidx, pending, uidx, vr->size);
		pending = vr->size;
	}
	jw_key(w, "chains");
	jw_arr(w);
	for (unsigned k = 0; k < pending; k++) {
		unsigned slot = (uint16_t)(uidx + k) % vr->size;
		uint16_t head = 0;

		if (!in_window(d->o, k))
			continue;
		vring_rd16(m, vr->avail + 4 + 2 * (uint64_t)slot, &head);
		walk_split(d, w, vr, slot, head);
	}
	jw_end_arr(w);
	jw_key(w, "counts");
	jw_obj(w);
	jw_key(w, "available");
	jw_int(w, pending);
	jw_key(w, "in_flight");
	jw_int(w, vring_in_flight(vr));
	jw_key(w, "used");
	jw_int(w, (uint16_t)(uidx - vr->last_used));
	jw_end_obj(w);
}

static void event_area(struct jw *w, const struct mem *m, uint64_t gpa)
{
	static const char *const modes[] = { "ENABLE", "DISABLE", "DESC", "reserved" };
	uint16_t off_wrap = 0, flags = 0;

	vring_rd16(m, gpa, &off_wrap);
	vring_rd16(m, gpa + 2, &flags);
	jw_obj(w);
	jw_key(w, "desc");
	jw_int(w, off_wrap & 0x7fff);
	jw_key(w, "wrap");
	jw_int(w, off_wrap >> 15);
	jw_key(w, "flags");
	jw_str(w, modes[flags & 3]);
	jw_key(w, "flags_value");
	jw_int(w, flags);
	jw_end_obj(w);
}

static void dump_packed(struct dumper *d, struct jw *w, const struct vring *vr)
{
	const struct mem *m = d->m;
	unsigned avail = 0, pos = vr->last_used_pk, pending = 0;
	bool wrap = vr->used_wrap;

	if (!d->o->chains_only) {
		jw_key(w, "descriptors");
		jw_arr(w);
	}
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
		if (!d->o->chains_only && in_window(d->o, i)) {
			/* Read the bits against the driver's wrap counter for this slot:
			 * slots before next_avail were written in the current round,
			 * the rest in the one before. */
			bool wc = i < vr->next_avail ? vr->avail_wrap : !vr->avail_wrap;
			const char *state = a == wc && u != wc ? "available" :
					    a == wc && u == wc ? (i < vr->next_avail ? "used" : "free") :
					    "not made available this round";

			desc_json(w, i, &x, true, state);
		}
	}
	if (!d->o->chains_only) {
		jw_end_arr(w);
		jw_key(w, "driver_event");
		event_area(w, m, vr->avail);
		jw_key(w, "device_event");
		event_area(w, m, vr->used);
	}
	/* Chains from the driver's used position while descriptors are available
	 * in the current wrap: at most one pass over the ring. */
	jw_key(w, "chains");
	jw_arr(w);
	for (unsigned hops = 0; hops < vr->size;) {
		uint64_t o = 0, in = 0;
		struct desc x;
		char where[48];
		unsigned start = pos;
		int id = -1;

		if (!read_desc_as(m, vr->desc + 16 * (uint64_t)pos, &x, true))
			break;
		if (((x.flags & VRING_PACKED_F_AVAIL) != 0) == wrap &&
		    ((x.flags & VRING_PACKED_F_USED) != 0) == wrap) {
			/* Used and not collected yet: step over the whole chain, whose
			 * length only the driver knows. */
			uint16_t n = x.next < vr->size && vr->chains[x.next].busy ? vr->chains[x.next].ndesc : 0;

			if (n == 0) {
				snprintf(where, sizeof(where), "desc[%u]", pos);
				anomaly(d, where, "used descriptor names buffer id %u, which is not in flight", x.next);
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
		chain_reset(d);
		for (;;) {
			snprintf(where, sizeof(where), "desc[%u]", pos);
			d->didx[d->ndidx++] = (uint16_t)pos;
			if (x.flags & VRING_DESC_F_INDIRECT)
				walk_indirect(d, where, &x, &o, &in, true);
			else
				add_buffer(d, where, &x, &o, &in);
			id = x.next;
			hops++;
			if (++pos == vr->size) {
				pos = 0;
				wrap = !wrap;
			}
			if (!(x.flags & VRING_DESC_F_NEXT))
				break;
			if (hops >= vr->size || !read_desc_as(m, vr->desc + 16 * (uint64_t)pos, &x, true)) {
				anomaly(d, where, "chain runs over the whole ring");
				break;
			}
		}
		if (in_window(d->o, pending))
			emit_chain(d, w, -1, start, id, o, in);
		pending++;
	}
	jw_end_arr(w);
	jw_key(w, "counts");
	jw_obj(w);
	jw_key(w, "available");
	jw_int(w, pending);
	jw_key(w, "available_descriptors");
	jw_int(w, avail);
	jw_key(w, "in_flight");
	jw_int(w, vring_in_flight(vr));
	jw_end_obj(w);
}

struct json_object *vring_dump(const struct vring *vr, const struct mem *m,
			       const struct vring_dump_opts *o)
{
	struct dumper d = { .m = m, .o = o };
	struct jw w;

	jw_init(&w);
	jw_init(&d.an);
	jw_init(&d.chain);
	d.seen = calloc((vr->size + 7u) / 8 + 1, 1);
	d.didx = calloc(vr->size + 1u, sizeof(*d.didx));
	jw_obj(&w);
	jw_key(&w, "index");
	jw_int(&w, vr->index);
	jw_key(&w, "layout");
	jw_str(&w, vr->packed ? "packed" : "split");
	jw_key(&w, "size");
	jw_int(&w, vr->size);
	jw_key(&w, "desc_addr");
	jw_hex(&w, vr->desc);
	if (vr->packed)
		jw_key(&w, "driver_event_addr");
	else
		jw_key(&w, "avail_addr");
	jw_hex(&w, vr->avail);
	if (vr->packed)
		jw_key(&w, "device_event_addr");
	else
		jw_key(&w, "used_addr");
	jw_hex(&w, vr->used);
	if (d.seen && d.didx) {
		if (vr->packed)
			dump_packed(&d, &w, vr);
		else
			dump_split(&d, &w, vr);
	}
	jw_key(&w, "anomalies");
	jw_arr(&w);
	if (d.an.len)
		put_list(&w, &d.an);
	jw_end_arr(&w);
	jw_end_obj(&w);
	jw_free(&d.an);
	jw_free(&d.chain);
	free(d.seen);
	free(d.didx);
	return jw_to_json(&w);
}
