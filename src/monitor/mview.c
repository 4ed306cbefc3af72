/* mview.c - vhuctl monitor's view into a running session: the guest memory and rings the front-end handed the back-end, read-only. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/codec.h"
#include "core/jb.h"
#include "core/proto.h"
#include "core/render.h"
#include "core/vring.h"
#include "core/vring_dump.h"
#include "monitor/mview.h"

#define REQ_SET_FEATURES 2u
#define REQ_SET_MEM_TABLE 5u
#define REQ_SET_VRING_NUM 8u
#define REQ_SET_VRING_ADDR 9u
#define REQ_SET_VRING_BASE 10u
#define REQ_GET_VRING_BASE 11u
#define REQ_SET_VRING_KICK 12u
#define REQ_SET_VRING_CALL 13u
#define REQ_ADD_MEM_REG 37u
#define REQ_REM_MEM_REG 38u
#define F_RING_PACKED 34
#define MVIEW_READ_MAX 65536u

void mview_init(struct mview *v, enum vhu_device dev)
{
	memset(v, 0, sizeof(*v));
	v->dev = dev;
}

static void unmap(struct mview_region *r)
{
	if (r->map)
		munmap((void *)r->map, r->map_len);
	r->map = NULL;
}

void mview_reset(struct mview *v)
{
	for (unsigned i = 0; i < v->n; i++)
		unmap(&v->r[i]);
	free(v->mem);
	mview_init(v, v->dev);
}

/* The mapped regions as the ring decoders read memory. */
static void rebuild_mem(struct mview *v)
{
	if (!v->mem && !(v->mem = calloc(1, sizeof(*v->mem))))
		return;
	mem_init(v->mem);
	for (unsigned i = 0; i < v->n; i++) {
		const struct mview_region *r = &v->r[i];

		if (!r->map)
			continue;
		v->mem->r[v->mem->n++] = (struct mem_region){
			.fd = -1, .va = (uint8_t *)(uintptr_t)(r->map + r->offset), .gpa = r->gpa, .size = r->size,
		};
	}
}

/* Map region R from FD, read-only, when nothing can shrink the file. */
static void map_region(struct mview_region *r, int fd)
{
	struct stat st;
	int seals;
	void *p;

	r->map = NULL;
	if (fd < 0) {
		snprintf(r->why, sizeof(r->why), "no fd came with it");
		return;
	}
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || !(seals & F_SEAL_SHRINK)) {
		snprintf(r->why, sizeof(r->why), "its file is not sealed against shrinking (F_SEAL_SHRINK)");
		return;
	}
	if (fstat(fd, &st) < 0 || r->offset > (uint64_t)st.st_size || r->size > (uint64_t)st.st_size - r->offset ||
	    r->size == 0 || r->offset + r->size > SIZE_MAX) {
		snprintf(r->why, sizeof(r->why), "offset %llu + size %llu is past the file's end",
			 (unsigned long long)r->offset, (unsigned long long)r->size);
		return;
	}
	p = mmap(NULL, (size_t)(r->offset + r->size), PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		snprintf(r->why, sizeof(r->why), "mmap: %s", strerror(errno));
		return;
	}
	r->map = p;
	r->map_len = (size_t)(r->offset + r->size);
	r->why[0] = '\0';
}

static void add_region(struct mview *v, const struct vhu_mem_region *d, int fd)
{
	struct mview_region *r;

	if (v->n == MEM_REGIONS_MAX)
		return;
	r = &v->r[v->n++];
	*r = (struct mview_region){ .gpa = d->gpa, .size = d->size, .uaddr = d->uaddr, .offset = d->mmap_offset };
	map_region(r, fd);
}

static void remove_region(struct mview *v, const struct vhu_mem_region *d)
{
	for (unsigned i = 0; i < v->n; i++) {
		if (v->r[i].gpa != d->gpa || v->r[i].size != d->size || v->r[i].uaddr != d->uaddr)
			continue;
		unmap(&v->r[i]);
		memmove(&v->r[i], &v->r[i + 1], (v->n - i - 1) * sizeof(v->r[0]));
		v->n--;
		return;
	}
}

void mview_note(struct mview *v, const struct vhu_msg *m)
{
	const struct vhu_request *row = proto_request(SIDE_FRONTEND, m->request);
	struct vhu_err e = { 0 };
	struct vhu_pval p;
	struct mview_ring *rg;

	if (!row || (m->flags & VHU_FLAG_REPLY) || m->len != m->size ||
	    codec_decode(row->req_kind, m->payload, m->len, &p, &e) < 0)
		return;	/* what does not decode tells nothing (the event says why) */
	switch (m->request) {
	case REQ_SET_FEATURES:
		v->features = p.u64;
		v->features_set = true;
		return;
	case REQ_SET_MEM_TABLE:
		for (unsigned i = 0; i < v->n; i++)
			unmap(&v->r[i]);
		v->n = 0;
		for (unsigned i = 0; i < p.mem.nregions && i < VHU_MEM_REGIONS_MAX; i++)
			add_region(v, &p.mem.r[i], i < m->nfds ? m->fds[i] : -1);
		break;
	case REQ_ADD_MEM_REG:
		add_region(v, &p.region, m->nfds ? m->fds[0] : -1);
		break;
	case REQ_REM_MEM_REG:
		remove_region(v, &p.region);
		break;
	case REQ_SET_VRING_NUM:
	case REQ_SET_VRING_BASE:
	case REQ_GET_VRING_BASE:
		if (p.state.index >= MVIEW_RINGS)
			return;
		rg = &v->ring[p.state.index];
		if (m->request == REQ_SET_VRING_NUM) {
			rg->num = p.state.num;
			rg->num_set = true;
		} else if (m->request == REQ_SET_VRING_BASE) {
			rg->base = p.state.num;
			rg->base_set = true;
			rg->stopped = false;
		} else {
			rg->stopped = true;
		}
		return;
	case REQ_SET_VRING_ADDR:
		if (p.addr.index >= MVIEW_RINGS)
			return;
		rg = &v->ring[p.addr.index];
		rg->flags = p.addr.flags;
		rg->desc = p.addr.desc;
		rg->avail = p.addr.avail;
		rg->used = p.addr.used;
		rg->addr_set = true;
		return;
	case REQ_SET_VRING_KICK:
	case REQ_SET_VRING_CALL:
		if ((p.u64 & 0xff) < MVIEW_RINGS) {
			if (m->request == REQ_SET_VRING_KICK)
				v->ring[p.u64 & 0xff].kicks_set++;
			else
				v->ring[p.u64 & 0xff].calls_set++;
		}
		return;
	default:
		return;
	}
	rebuild_mem(v);
}

/* The front-end's user address U as a guest physical address. */
static bool to_gpa(const struct mview *v, uint64_t u, uint64_t *gpa)
{
	for (unsigned i = 0; i < v->n; i++) {
		const struct mview_region *r = &v->r[i];

		if (u >= r->uaddr && u - r->uaddr < r->size) {
			*gpa = r->gpa + (u - r->uaddr);
			return true;
		}
	}
	return false;
}

static bool packed(const struct mview *v)
{
	return v->features_set && (v->features >> F_RING_PACKED & 1);
}

/* A u16 of the guest's memory at GPA, read once; false when not mapped. */
static bool read16(const struct mview *v, uint64_t gpa, uint16_t *x)
{
	const void *p = v->mem ? mem_gpa_ptr(v->mem, gpa, 2) : NULL;

	if (!p)
		return false;
	*x = __atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE);
	return true;
}

static struct json_object *status(const struct mview *v)
{
	struct json_object *o = jb_add(json_object_new_object(), "command", json_object_new_string("view"));
	struct json_object *regions = json_object_new_array(), *rings = json_object_new_array();

	if (v->features_set)
		jb_add(o, "features", render_features(v->features, v->dev));
	for (unsigned i = 0; i < v->n; i++) {
		const struct mview_region *r = &v->r[i];
		struct json_object *x = json_object_new_object();

		jb_add(x, "index", json_object_new_int((int)i));
		jb_add(x, "guest_phys_addr", jb_hex(r->gpa));
		jb_add(x, "memory_size", jb_u64(r->size));
		jb_add(x, "userspace_addr", jb_hex(r->uaddr));
		jb_add(x, "mmap_offset", jb_u64(r->offset));
		jb_add(x, "mapped", json_object_new_boolean(r->map != NULL));
		if (!r->map)
			jb_add(x, "reason", json_object_new_string(r->why));
		json_object_array_add(regions, x);
	}
	jb_add(o, "regions", regions);
	for (unsigned i = 0; i < MVIEW_RINGS; i++) {
		const struct mview_ring *r = &v->ring[i];
		struct json_object *x;
		uint64_t gpa;
		uint16_t a, u;

		if (!r->num_set && !r->addr_set && !r->base_set)
			continue;
		x = json_object_new_object();
		jb_add(x, "index", json_object_new_int((int)i));
		if (r->num_set)
			jb_add(x, "size", json_object_new_int((int)r->num));
		if (r->base_set)
			jb_add(x, "base", json_object_new_int((int)r->base));
		jb_add(x, "layout", json_object_new_string(packed(v) ? "packed" : "split"));
		jb_add(x, "stopped", json_object_new_boolean(r->stopped));
		if (r->addr_set) {
			jb_add(x, "desc_user_addr", jb_hex(r->desc));
			jb_add(x, "avail_user_addr", jb_hex(r->avail));
			jb_add(x, "used_user_addr", jb_hex(r->used));
		}
		/* The indexes as they are in the guest's memory now. */
		if (r->addr_set && !packed(v) && to_gpa(v, r->avail, &gpa) && read16(v, gpa + 2, &a) &&
		    to_gpa(v, r->used, &gpa) && read16(v, gpa + 2, &u)) {
			jb_add(x, "avail_idx", json_object_new_int(a));
			jb_add(x, "used_idx", json_object_new_int(u));
			jb_add(x, "in_flight", json_object_new_int((uint16_t)(a - u)));
		}
		jb_add(x, "kick_fds", jb_u64(r->kicks_set));
		jb_add(x, "call_fds", jb_u64(r->calls_set));
		json_object_array_add(rings, x);
	}
	jb_add(o, "rings", rings);
	return o;
}

/* "N" or "key=N" as a number. */
static bool num_word(const char *s, uint64_t max, uint64_t *v)
{
	char *end;

	if (!s || !*s || *s == '-')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && !*end && *v <= max;
}

static struct json_object *dump(struct mview *v, char **w, unsigned n, struct vhu_err *e)
{
	struct vring_dump_opts o = { 0 };
	struct vring vr = { .active = true };
	const struct mview_ring *r;
	struct json_object *out;
	uint64_t idx, x;

	if (n < 1 || !num_word(w[0], MVIEW_RINGS - 1, &idx))
		return vhu_errf(e, EINVAL, "vring dump wants a ring index, 0 to %u", MVIEW_RINGS - 1), NULL;
	for (unsigned i = 1; i < n; i++) {
		if (strncmp(w[i], "from=", 5) == 0 && num_word(w[i] + 5, 65535, &x))
			o.from = (unsigned)x;
		else if (strncmp(w[i], "count=", 6) == 0 && num_word(w[i] + 6, 65535, &x))
			o.count = (unsigned)x;
		else if (strcmp(w[i], "chains") == 0)
			o.chains_only = true;
		else
			return vhu_errf(e, EINVAL, "vring dump: '%s'? (from=N, count=N, chains)", w[i]), NULL;
	}
	r = &v->ring[idx];
	if (!r->num_set || !r->addr_set)
		return vhu_errf(e, ENOENT, "ring %llu: the front-end has not sent its %s yet", (unsigned long long)idx,
				r->num_set ? "SET_VRING_ADDR" : "SET_VRING_NUM"), NULL;
	if (r->num == 0 || r->num > 32768)
		return vhu_errf(e, ERANGE, "ring %llu: SET_VRING_NUM said %u entries (1..32768)", (unsigned long long)idx,
				r->num), NULL;
	vr.index = (unsigned)idx;
	vr.size = (uint16_t)r->num;
	vr.packed = packed(v);
	vr.have_desc = to_gpa(v, r->desc, &vr.desc);
	vr.have_avail = to_gpa(v, r->avail, &vr.avail);
	vr.have_used = to_gpa(v, r->used, &vr.used);
	if (!vr.have_desc || !vr.have_avail || !vr.have_used)
		return vhu_errf(e, EFAULT, "ring %llu: its addresses are in no region of the memory table",
				(unsigned long long)idx), NULL;
	if (!v->mem)
		return vhu_errf(e, EFAULT, "no region of the memory table is mapped"), NULL;
	/* The driver's own bookkeeping is not the monitor's to know: none. */
	vr.chains = calloc(vr.size, sizeof(*vr.chains));
	if (!vr.chains)
		return vhu_errf(e, ENOMEM, "out of memory"), NULL;
	read16(v, vr.used + 2, &vr.last_used);	/* what is used is not in flight */
	out = jb_add(json_object_new_object(), "command", json_object_new_string("vring dump"));
	jb_add(out, "ring", vring_dump(&vr, v->mem, &o));
	free(vr.chains);
	return out;
}

static struct json_object *mem_read(struct mview *v, char **w, unsigned n, struct vhu_err *e)
{
	struct json_object *out, *data;
	uint64_t gpa, len;
	const uint8_t *p;

	if (n != 2 || !num_word(w[0], UINT64_MAX, &gpa) || !num_word(w[1], MVIEW_READ_MAX, &len) || !len)
		return vhu_errf(e, EINVAL, "mem read wants GPA SIZE (1 to %u bytes)", MVIEW_READ_MAX), NULL;
	p = v->mem ? mem_gpa_ptr(v->mem, gpa, len) : NULL;
	if (!p)
		return vhu_errf(e, EFAULT, "0x%llx..+%llu is not in one mapped region", (unsigned long long)gpa,
				(unsigned long long)len), NULL;
	data = json_object_new_object();
	jb_add(data, "len", json_object_new_int((int)len));
	jb_add(data, "hex", jb_hexbytes(p, len));
	jb_add(data, "text", jb_text(p, len));
	out = jb_add(json_object_new_object(), "command", json_object_new_string("mem read"));
	jb_add(out, "gpa", jb_hex(gpa));
	jb_add(out, "data", data);
	return out;
}

struct json_object *mview_command(struct mview *v, const char *line, struct vhu_err *e)
{
	char buf[256], *w[8], *save = NULL, *t;
	unsigned n = 0;

	if (strlen(line) >= sizeof(buf))
		return vhu_errf(e, EINVAL, "a command of at most %zu characters", sizeof(buf) - 1), NULL;
	snprintf(buf, sizeof(buf), "%s", line);
	for (t = strtok_r(buf, " \t\r\n", &save); t && n < 8; t = strtok_r(NULL, " \t\r\n", &save))
		w[n++] = t;
	if (n == 1 && strcmp(w[0], "view") == 0)
		return status(v);
	if (n >= 2 && strcmp(w[0], "vring") == 0 && strcmp(w[1], "dump") == 0)
		return dump(v, w + 2, n - 2, e);
	if (n >= 2 && strcmp(w[0], "mem") == 0 && strcmp(w[1], "read") == 0)
		return mem_read(v, w + 2, n - 2, e);
	return vhu_errf(e, EINVAL, "'%s': the view has view, vring dump N [from=N] [count=N] [chains], "
			"and mem read GPA SIZE", n ? w[0] : ""), NULL;
}
