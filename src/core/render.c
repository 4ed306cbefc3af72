/* render.c - JSON views of messages, payloads, flags and feature masks. */
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/devcfg.h"
#include "core/jw.h"
#include "core/proto.h"
#include "core/render.h"

typedef const char *(*bit_namer)(unsigned bit, const void *ctx);

static const char *feature_namer(unsigned bit, const void *ctx)
{
	return features_name(*(const enum vhu_device *)ctx, bit);
}

static const char *pfeature_namer(unsigned bit, const void *ctx)
{
	static char buf[64][48];
	const struct vhu_proto_feature *f = proto_feature_by_bit(bit);

	if (!f)
		return NULL;
	snprintf(buf[bit], sizeof(buf[bit]), "VHOST_USER_PROTOCOL_F_%s", f->name);
	return buf[bit];
}

/* Each view is written straight out (jw), the way the ring dump is: a
 * request/reply pair is ~40 values, and as a json-c tree it cost more than
 * the round trip it describes. The json-c functions below wrap them. */
/* Every bit mask, wherever it is: {"value":"0x..","names":[...]}, and
 * "unknown_bits" when a bit has no name. FIELD bits are a field inside the
 * mask (the header's version), neither names nor unknown. */
static void w_mask_field(struct jw *w, uint64_t v, uint64_t field, bit_namer namer, const void *ctx)
{
	bool unknown = false;

	jw_obj(w);
	jw_key(w, "value");
	jw_hex(w, v);
	v &= ~field;
	jw_key(w, "names");
	jw_arr(w);
	for (uint64_t m = v; m; m &= m - 1) {
		const char *n = namer((unsigned)__builtin_ctzll(m), ctx);

		if (n)
			jw_ident(w, n);	/* a table name */
		else
			unknown = true;
	}
	jw_end_arr(w);
	if (unknown) {
		jw_key(w, "unknown_bits");
		jw_arr(w);
		for (uint64_t m = v; m; m &= m - 1)
			if (!namer((unsigned)__builtin_ctzll(m), ctx))
				jw_int(w, __builtin_ctzll(m));
		jw_end_arr(w);
	}
	jw_end_obj(w);
}

static void w_mask(struct jw *w, uint64_t v, bit_namer namer, const void *ctx)
{
	w_mask_field(w, v, 0, namer, ctx);
}

/* Names of single bits, from a table ending in a NULL name. */
static const char *table_namer(unsigned bit, const void *ctx)
{
	for (const struct render_bit *b = ctx; b->name; b++)
		if (b->bit == bit)
			return b->name;
	return NULL;
}

void render_mask_jw(struct jw *w, uint64_t v, const struct render_bit *names)
{
	w_mask(w, v, table_namer, names);
}

static void w_features(struct jw *w, uint64_t v, enum vhu_device dev)
{
	w_mask(w, v, feature_namer, &dev);
}

static void w_pfeatures(struct jw *w, uint64_t v)
{
	w_mask(w, v, pfeature_namer, NULL);
}

static const char *status_namer(unsigned bit, const void *ctx)
{
	unsigned n;
	const struct vhu_feature *t = features_status(&n);

	(void)ctx;
	for (unsigned i = 0; i < n; i++)
		if (t[i].bit == bit)
			return t[i].name;
	return NULL;
}

const struct render_bit render_desc_flags_split[] = {
	{ 0, "NEXT" }, { 1, "WRITE" }, { 2, "INDIRECT" }, { 0, NULL }
};
const struct render_bit render_desc_flags_packed[] = {
	{ 0, "NEXT" }, { 1, "WRITE" }, { 2, "INDIRECT" }, { 7, "AVAIL" }, { 15, "USED" }, { 0, NULL }
};
const struct render_bit render_no_bits[] = { { 0, NULL } };
static const struct render_bit header_flag_names[] = { { 2, "REPLY" }, { 3, "NEED_REPLY" }, { 0, NULL } };
static const struct render_bit vring_addr_flag_names[] = { { 0, "VHOST_VRING_F_LOG" }, { 0, NULL } };
static const struct render_bit mmap_flag_names[] = { { 0, "MAP_RW" }, { 0, NULL } };
static const struct render_bit xen_mmap_flag_names[] = { { 0, "FOREIGN" }, { 1, "GRANT" }, { 0, NULL } };

/* The header's flags: bits 0-1 are the version, then REPLY and NEED_REPLY. */
static void w_header_flags(struct jw *w, uint32_t flags)
{
	w_mask_field(w, flags, VHU_FLAG_VERSION_MASK, table_namer, header_flag_names);
}

static void w_region(struct jw *w, const struct vhu_mem_region *r)
{
	jw_obj(w);
	jw_key(w, "guest_phys_addr");
	jw_hex(w, r->gpa);
	jw_key(w, "memory_size");
	jw_u64(w, r->size);
	jw_key(w, "userspace_addr");
	jw_hex(w, r->uaddr);
	jw_key(w, "mmap_offset");
	jw_u64(w, r->mmap_offset);
	if (r->xen) {
		jw_key(w, "xen_mmap_flags");
		w_mask(w, r->xen_mmap_flags, table_namer, xen_mmap_flag_names);
		jw_key(w, "domid");
		jw_int(w, r->domid);
	}
	jw_end_obj(w);
}

static const char *iotlb_perm(uint8_t p)
{
	static const char *const n[] = { "none", "ro", "wo", "rw" };

	return p < 4 ? n[p] : "invalid";
}

static const char *iotlb_type(uint8_t t)
{
	static const char *const n[] = { "invalid", "miss", "update", "invalidate", "access-fail" };

	return t < 5 ? n[t] : "invalid";
}

static void w_uuid(struct jw *w, const uint8_t u[16])
{
	char s[37];

	snprintf(s, sizeof(s),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
	jw_str(w, s);
}

/* An enumeration: its name in KEY ("unknown" when it has none), its
 * number in KEY_value. */
static void w_enum(struct jw *w, const char *key, const char *key_value, const char *name,
		   int64_t v)
{
	jw_keyn(w, key, strlen(key));
	jw_str(w, name ? name : "unknown");
	jw_keyn(w, key_value, strlen(key_value));
	jw_int(w, v);
}

/* BLANK: a GET_CONFIG request, whose bytes are only room for the answer. */
static void w_config(struct jw *w, const struct vhu_config *c, enum vhu_device dev, bool blank)
{
	struct json_object *dec;

	jw_obj(w);
	jw_key(w, "offset");
	jw_int(w, c->offset);
	jw_key(w, "size");
	jw_int(w, c->size);
	/* The spec gives flags as values (0 writable, 1 migration); rust-vmm
	 * reads them as bits (0x1 writable, 0x2 migration): by the spec. */
	w_enum(w, "flags", "flags_value",
	       c->flags == 0 ? "WRITABLE" : c->flags == 1 ? "LIVE_MIGRATION" : NULL, c->flags);
	jw_key(w, "hex");
	jw_hexbytes(w, c->data, c->size);
	dec = blank ? NULL : devcfg_decode(dev, c->offset, c->data, c->size);
	if (dec) {
		const char *t = json_object_to_json_string_ext(dec, JSON_C_TO_STRING_PLAIN |
								 JSON_C_TO_STRING_NOSLASHESCAPE);

		jw_key(w, "device");
		jw_str(w, features_device_name(dev));
		jw_key(w, "decoded");
		jw_raw(w, t, strlen(t));
		json_object_put(dec);
	}
	jw_end_obj(w);
}

/* {"u64":N} */
static void w_u64_obj(struct jw *w, uint64_t v)
{
	jw_obj(w);
	jw_key(w, "u64");
	jw_u64(w, v);
	jw_end_obj(w);
}

/* A ring index with the NOFD bit: KICK/CALL/ERR and the vring area. */
static void w_vring_u64(struct jw *w, uint64_t v)
{
	jw_key(w, "value");
	jw_hex(w, v);
	jw_key(w, "index");
	jw_int(w, (int64_t)(v & VHU_VRING_IDX_MASK));
	jw_key(w, "nofd");
	jw_bool(w, v & VHU_VRING_NOFD);
}

/* Does V have anything to show (an empty SET_LOG_BASE reply has not)? */
static bool payload_shown(const struct vhu_pval *v)
{
	return v->kind != PL_NONE && v->kind < PL_KIND_COUNT &&
	       !(v->kind == PL_SET_LOG_REPLY && v->empty);
}

static void w_payload(struct jw *w, const struct vhu_pval *v, enum vhu_device dev, bool blank)
{
	switch (v->kind) {
	case PL_NONE:
		return;
	case PL_U64:
		w_u64_obj(w, v->u64);
		return;
	case PL_FEATURES:
		w_features(w, v->u64, dev);
		return;
	case PL_PROTOCOL_FEATURES:
		w_pfeatures(w, v->u64);
		return;
	case PL_STATUS:
		w_mask(w, v->u64, status_namer, NULL);
		return;
	case PL_SET_LOG_REPLY:
		if (!v->empty)
			w_u64_obj(w, v->u64);
		return;
	case PL_VRING_FD:
		jw_obj(w);
		w_vring_u64(w, v->u64);
		if (v->u64 & ~(uint64_t)(VHU_VRING_IDX_MASK | VHU_VRING_NOFD)) {
			jw_key(w, "reserved_bits");
			jw_hex(w, v->u64 & ~(uint64_t)(VHU_VRING_IDX_MASK | VHU_VRING_NOFD));
		}
		jw_end_obj(w);
		return;
	case PL_MAC: {
		uint8_t mac[8];
		char buf[18];

		memcpy(mac, &v->u64, 8);
		snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x",
			 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
		jw_obj(w);
		jw_key(w, "mac");
		jw_str(w, buf);
		jw_end_obj(w);
		return;
	}
	case PL_VRING_STATE:
		jw_obj(w);
		jw_key(w, "index");
		jw_int(w, v->state.index);
		jw_key(w, "num");
		jw_int(w, v->state.num);
		jw_end_obj(w);
		return;
	case PL_VRING_ADDR:
		jw_obj(w);
		jw_key(w, "index");
		jw_int(w, v->addr.index);
		jw_key(w, "flags");
		w_mask(w, v->addr.flags, table_namer, vring_addr_flag_names);
		jw_key(w, "desc_user_addr");
		jw_hex(w, v->addr.desc);
		jw_key(w, "used_user_addr");
		jw_hex(w, v->addr.used);
		jw_key(w, "avail_user_addr");
		jw_hex(w, v->addr.avail);
		jw_key(w, "log_guest_addr");
		jw_hex(w, v->addr.log);
		jw_end_obj(w);
		return;
	case PL_MEM_TABLE:
		jw_obj(w);
		jw_key(w, "nregions");
		jw_int(w, v->mem.nregions);
		jw_key(w, "regions");
		jw_arr(w);
		for (uint32_t i = 0; i < v->mem.nregions && i < VHU_MEM_REGIONS_MAX; i++)
			w_region(w, &v->mem.r[i]);
		jw_end_arr(w);
		jw_end_obj(w);
		return;
	case PL_MEM_REGION:
		w_region(w, &v->region);
		return;
	case PL_LOG:
		jw_obj(w);
		jw_key(w, "mmap_size");
		jw_u64(w, v->log.mmap_size);
		jw_key(w, "mmap_offset");
		jw_u64(w, v->log.mmap_offset);
		jw_end_obj(w);
		return;
	case PL_IOTLB:
		jw_obj(w);
		jw_key(w, "iova");
		jw_hex(w, v->iotlb.iova);
		jw_key(w, "size");
		jw_u64(w, v->iotlb.size);
		jw_key(w, "uaddr");
		jw_hex(w, v->iotlb.uaddr);
		w_enum(w, "perm", "perm_value", iotlb_perm(v->iotlb.perm), v->iotlb.perm);
		w_enum(w, "type", "type_value", iotlb_type(v->iotlb.type), v->iotlb.type);
		jw_end_obj(w);
		return;
	case PL_CONFIG:
		w_config(w, &v->config, dev, blank);
		return;
	case PL_VRING_AREA:
		jw_obj(w);
		w_vring_u64(w, v->area.u64);
		jw_key(w, "size");
		jw_u64(w, v->area.size);
		jw_key(w, "offset");
		jw_u64(w, v->area.offset);
		jw_end_obj(w);
		return;
	case PL_INFLIGHT:
		jw_obj(w);
		jw_key(w, "mmap_size");
		jw_u64(w, v->inflight.mmap_size);
		jw_key(w, "mmap_offset");
		jw_u64(w, v->inflight.mmap_offset);
		jw_key(w, "num_queues");
		jw_int(w, v->inflight.num_queues);
		jw_key(w, "queue_size");
		jw_int(w, v->inflight.queue_size);
		jw_end_obj(w);
		return;
	case PL_SHARED:
		jw_obj(w);
		jw_key(w, "uuid");
		w_uuid(w, v->shared.uuid);
		jw_end_obj(w);
		return;
	case PL_DEVSTATE:
		jw_obj(w);
		w_enum(w, "direction", "direction_value",
		       v->devstate.direction == 0 ? "save" : v->devstate.direction == 1 ? "load" : NULL,
		       v->devstate.direction);
		w_enum(w, "phase", "phase_value", v->devstate.phase == 0 ? "stopped" : NULL,
		       v->devstate.phase);
		jw_end_obj(w);
		return;
	case PL_MMAP:
		jw_obj(w);
		jw_key(w, "shmid");
		jw_int(w, v->mmap.shmid);
		jw_key(w, "fd_offset");
		jw_u64(w, v->mmap.fd_offset);
		jw_key(w, "shm_offset");
		jw_u64(w, v->mmap.shm_offset);
		jw_key(w, "len");
		jw_u64(w, v->mmap.len);
		jw_key(w, "flags");
		w_mask(w, v->mmap.flags, table_namer, mmap_flag_names);
		jw_end_obj(w);
		return;
	case PL_SHMEM_CONFIG:
		jw_obj(w);
		jw_key(w, "nregions");
		jw_int(w, v->shmem.nregions);
		jw_key(w, "memory_sizes");
		jw_arr(w);
		for (uint32_t i = 0; i < v->shmem.nregions && i < 256; i++)
			jw_u64(w, v->shmem.sizes[i]);
		jw_end_arr(w);
		jw_end_obj(w);
		return;
	case PL_CRYPTO:
	case PL_OPAQUE:
		jw_obj(w);
		jw_key(w, "size");
		jw_int(w, v->raw_len);
		jw_key(w, "hex");
		jw_hexbytes(w, v->raw, v->raw_len);
		jw_end_obj(w);
		return;
	case PL_KIND_COUNT:
		break;
	}
}

static void w_fd(struct jw *w, int fd)
{
	char link[64], target[PATH_MAX];
	const char *type = "unknown";
	struct stat st;
	ssize_t n;

	jw_obj(w);
	jw_key(w, "fd");
	jw_int(w, fd);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n > 0) {
		target[n] = '\0';
		if (strstr(target, "[eventfd]"))
			type = "eventfd";
		else if (strncmp(target, "/memfd:", 7) == 0)
			type = "memfd";
		else if (strncmp(target, "socket:", 7) == 0)
			type = "socket";
		else if (strncmp(target, "pipe:", 5) == 0)
			type = "pipe";
		else if (strstr(target, "userfaultfd"))
			type = "userfaultfd";
		else if (strstr(target, "dmabuf"))
			type = "dmabuf";
		else if (target[0] == '/')
			type = "file";
		jw_key(w, "target");
		jw_str(w, target);
	}
	jw_key(w, "type");
	jw_str(w, type);
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		int sl = fcntl(fd, F_GET_SEALS);

		jw_key(w, "size");
		jw_u64(w, (uint64_t)st.st_size);
		/* whether the sender can shrink it under whoever maps it */
		if (sl >= 0) {
			static const struct render_bit seal_names[] = {
				{ 0, "SEAL" }, { 1, "SHRINK" }, { 2, "GROW" }, { 3, "WRITE" }, { 4, "FUTURE_WRITE" },
				{ 0, NULL }
			};

			jw_key(w, "seals");
			jw_arr(w);
			for (const struct render_bit *b = seal_names; b->name; b++)
				if (sl >> b->bit & 1)
					jw_ident(w, b->name);
			jw_end_arr(w);
		}
	}
	jw_end_obj(w);
}

void render_msg_jw(struct jw *w, const struct vhu_msg *m, const char *name,
		   enum vhu_payload kind, enum vhu_device dev)
{
	struct vhu_pval v;
	struct vhu_err e;

	e.code = 0;	/* not the whole message buffer: this is done for every message */
	e.msg[0] = '\0';
	jw_obj(w);
	if (name) {
		jw_key(w, "name");
		jw_ident(w, name);	/* from the request table */
	}
	jw_key(w, "number");
	jw_int(w, m->request);
	jw_key(w, "flags");
	w_header_flags(w, m->flags);
	jw_key(w, "size");
	jw_int(w, m->size);
	if (m->len != m->size) {
		jw_key(w, "payload_bytes");
		jw_int(w, m->len);
	}
	if (m->len) {
		if (m->len == m->size && codec_decode(kind, m->payload, m->len, &v, &e) == 0) {
			if (payload_shown(&v)) {
				jw_key(w, "payload");
				w_payload(w, &v, dev, kind == PL_CONFIG && m->request == VHU_REQ_GET_CONFIG &&
						       !(m->flags & VHU_FLAG_REPLY));
			}
		} else {
			if (e.code) {
				jw_key(w, "payload_error");
				jw_str(w, e.msg);
			}
			jw_key(w, "payload_hex");
			jw_hexbytes(w, m->payload, m->len);
		}
	}
	jw_key(w, "fds");
	jw_arr(w);
	for (unsigned i = 0; i < m->nfds; i++)
		w_fd(w, m->fds[i]);
	jw_end_arr(w);
	if (m->fds_truncated) {
		jw_key(w, "fds_truncated");
		jw_bool(w, true);
	}
	jw_end_obj(w);
}

/* The same views as json-c values (that print the text written above). */
struct json_object *render_features(uint64_t v, enum vhu_device dev)
{
	struct jw w;

	jw_init(&w);
	w_features(&w, v, dev);
	return jw_to_json(&w);
}

struct json_object *render_mask(uint64_t v, const struct render_bit *names)
{
	struct jw w;

	jw_init(&w);
	render_mask_jw(&w, v, names);
	return jw_to_json(&w);
}

struct json_object *render_pfeatures(uint64_t v)
{
	struct jw w;

	jw_init(&w);
	w_pfeatures(&w, v);
	return jw_to_json(&w);
}

struct json_object *render_payload(const struct vhu_pval *v, enum vhu_device dev)
{
	struct jw w;

	if (!payload_shown(v))
		return NULL;
	jw_init(&w);
	w_payload(&w, v, dev, false);
	return jw_to_json(&w);
}

struct json_object *render_fd(int fd)
{
	struct jw w;

	jw_init(&w);
	w_fd(&w, fd);
	return jw_to_json(&w);
}

struct json_object *render_msg(const struct vhu_msg *m, const char *name,
			       enum vhu_payload kind, enum vhu_device dev)
{
	struct jw w;

	jw_init(&w);
	render_msg_jw(&w, m, name, kind, dev);
	return jw_to_json(&w);
}
