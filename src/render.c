/* render.c - JSON views of messages, payloads, flags and feature masks. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devcfg.h"
#include "jb.h"
#include "proto.h"
#include "render.h"

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

static struct json_object *render_mask(uint64_t v, bit_namer namer, const void *ctx)
{
	/* Arrays sized to fit: json-c's default is 32 slots each. */
	struct json_object *o = json_object_new_object();
	struct json_object *names = json_object_new_array_ext(__builtin_popcountll(v) + 1);
	struct json_object *unknown = json_object_new_array_ext(1);

	for (unsigned bit = 0; bit < 64; bit++) {
		const char *n;

		if (!(v >> bit & 1))
			continue;
		n = namer(bit, ctx);
		if (n)
			json_object_array_add(names, json_object_new_string(n));
		else
			json_object_array_add(unknown, json_object_new_int((int)bit));
	}
	jb_add(o, "value", jb_hex(v));
	jb_add(o, "names", names);
	if (json_object_array_length(unknown))
		jb_add(o, "unknown_bits", unknown);
	else
		json_object_put(unknown);
	return o;
}

struct json_object *render_features(uint64_t v, enum vhu_device dev)
{
	return render_mask(v, feature_namer, &dev);
}

struct json_object *render_pfeatures(uint64_t v)
{
	return render_mask(v, pfeature_namer, NULL);
}

static const char *status_namer(unsigned bit, const void *ctx)
{
	unsigned n;
	const struct vhu_feature *t = features_status(&n);

	for (unsigned i = 0; i < n; i++)
		if (t[i].bit == bit)
			return t[i].name;
	return NULL;
}

struct json_object *render_status(uint64_t v)
{
	return render_mask(v, status_namer, NULL);
}

struct json_object *render_flags(uint32_t flags)
{
	struct json_object *names = json_object_new_array_ext(2);

	if (flags & VHU_FLAG_REPLY)
		json_object_array_add(names, json_object_new_string("REPLY"));
	if (flags & VHU_FLAG_NEED_REPLY)
		json_object_array_add(names, json_object_new_string("NEED_REPLY"));
	return names;
}

static struct json_object *render_region(const struct vhu_mem_region *r)
{
	struct json_object *o = json_object_new_object();

	jb_add(o, "guest_phys_addr", jb_hex(r->gpa));
	jb_add(o, "memory_size", jb_hex(r->size));
	jb_add(o, "userspace_addr", jb_hex(r->uaddr));
	jb_add(o, "mmap_offset", jb_hex(r->mmap_offset));
	if (r->xen) {
		jb_add(o, "xen_mmap_flags", jb_hex(r->xen_mmap_flags));
		jb_add(o, "domid", json_object_new_int64(r->domid));
	}
	return o;
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

static struct json_object *render_uuid(const uint8_t u[16])
{
	char s[37];

	snprintf(s, sizeof(s),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
	return json_object_new_string(s);
}

static struct json_object *render_config(const struct vhu_config *c, enum vhu_device dev)
{
	struct json_object *o = json_object_new_object(), *flags, *dec;

	jb_add(o, "offset", json_object_new_int64(c->offset));
	jb_add(o, "size", json_object_new_int64(c->size));
	/* The spec gives flags as values (0 writable, 1 migration); rust-vmm
	 * uses them as bit masks (0x1 writable, 0x2 migration). Show both. */
	flags = json_object_new_object();
	jb_add(flags, "value", jb_hex(c->flags));
	jb_add(flags, "spec", json_object_new_string(c->flags == 0 ? "WRITABLE" :
			c->flags == 1 ? "LIVE_MIGRATION" : "unknown"));
	{
		struct json_object *bits = json_object_new_array();

		if (c->flags & 1)
			json_object_array_add(bits, json_object_new_string("WRITABLE"));
		if (c->flags & 2)
			json_object_array_add(bits, json_object_new_string("LIVE_MIGRATION"));
		jb_add(flags, "rust_vmm", bits);
	}
	jb_add(o, "flags", flags);
	jb_add(o, "hex", jb_hexbytes(c->data, c->size));
	dec = devcfg_decode(dev, c->offset, c->data, c->size);
	if (dec) {
		jb_add(o, "device", json_object_new_string(features_device_name(dev)));
		jb_add(o, "decoded", dec);
	}
	return o;
}

static struct json_object *render_vring_base(const struct vhu_vring_state *s)
{
	struct json_object *o = json_object_new_object();

	jb_add(o, "index", json_object_new_int64(s->index));
	jb_add(o, "num", json_object_new_int64(s->num));
	return o;
}

struct json_object *render_payload(const struct vhu_pval *v, enum vhu_device dev)
{
	struct json_object *o;

	switch (v->kind) {
	case PL_NONE:
		return NULL;
	case PL_U64:
		o = json_object_new_object();
		return jb_add(o, "u64", jb_u64(v->u64));
	case PL_FEATURES:
		return render_features(v->u64, dev);
	case PL_PROTOCOL_FEATURES:
		return render_pfeatures(v->u64);
	case PL_STATUS:
		return render_status(v->u64);
	case PL_SET_LOG_REPLY:
		if (v->empty)
			return NULL;
		o = json_object_new_object();
		return jb_add(o, "u64", jb_u64(v->u64));
	case PL_VRING_FD:
		o = json_object_new_object();
		jb_add(o, "u64", jb_hex(v->u64));
		jb_add(o, "index", json_object_new_int64((int64_t)(v->u64 & VHU_VRING_IDX_MASK)));
		jb_add(o, "nofd", json_object_new_boolean(!!(v->u64 & VHU_VRING_NOFD)));
		if (v->u64 & ~(uint64_t)(VHU_VRING_IDX_MASK | VHU_VRING_NOFD))
			jb_add(o, "reserved_bits", jb_hex(v->u64 & ~(uint64_t)(VHU_VRING_IDX_MASK | VHU_VRING_NOFD)));
		return o;
	case PL_MAC:
		o = json_object_new_object();
		{
			uint8_t mac[8];

			memcpy(mac, &v->u64, 8);
			jb_add(o, "mac", jb_mac(mac));
		}
		return o;
	case PL_VRING_STATE:
		return render_vring_base(&v->state);
	case PL_VRING_ADDR:
		o = json_object_new_object();
		jb_add(o, "index", json_object_new_int64(v->addr.index));
		jb_add(o, "flags", jb_hex(v->addr.flags));
		if (v->addr.flags & VHU_VRING_F_LOG)
			jb_add(o, "flag_names", jb_names1("VHOST_VRING_F_LOG"));
		jb_add(o, "desc_user_addr", jb_hex(v->addr.desc));
		jb_add(o, "used_user_addr", jb_hex(v->addr.used));
		jb_add(o, "avail_user_addr", jb_hex(v->addr.avail));
		jb_add(o, "log_guest_addr", jb_hex(v->addr.log));
		return o;
	case PL_MEM_TABLE:
		o = json_object_new_object();
		jb_add(o, "nregions", json_object_new_int64(v->mem.nregions));
		{
			struct json_object *a = json_object_new_array();

			for (uint32_t i = 0; i < v->mem.nregions && i < VHU_MEM_REGIONS_MAX; i++)
				json_object_array_add(a, render_region(&v->mem.r[i]));
			jb_add(o, "regions", a);
		}
		return o;
	case PL_MEM_REGION:
		return render_region(&v->region);
	case PL_LOG:
		o = json_object_new_object();
		jb_add(o, "mmap_size", jb_hex(v->log.mmap_size));
		return jb_add(o, "mmap_offset", jb_hex(v->log.mmap_offset));
	case PL_IOTLB:
		o = json_object_new_object();
		jb_add(o, "iova", jb_hex(v->iotlb.iova));
		jb_add(o, "size", jb_hex(v->iotlb.size));
		jb_add(o, "uaddr", jb_hex(v->iotlb.uaddr));
		jb_add(o, "perm", json_object_new_string(iotlb_perm(v->iotlb.perm)));
		return jb_add(o, "type", json_object_new_string(iotlb_type(v->iotlb.type)));
	case PL_CONFIG:
		return render_config(&v->config, dev);
	case PL_VRING_AREA:
		o = json_object_new_object();
		jb_add(o, "u64", jb_hex(v->area.u64));
		jb_add(o, "index", json_object_new_int64((int64_t)(v->area.u64 & VHU_VRING_IDX_MASK)));
		jb_add(o, "nofd", json_object_new_boolean(!!(v->area.u64 & VHU_VRING_NOFD)));
		jb_add(o, "size", jb_hex(v->area.size));
		return jb_add(o, "offset", jb_hex(v->area.offset));
	case PL_INFLIGHT:
		o = json_object_new_object();
		jb_add(o, "mmap_size", jb_u64(v->inflight.mmap_size));
		jb_add(o, "mmap_offset", jb_u64(v->inflight.mmap_offset));
		jb_add(o, "num_queues", json_object_new_int(v->inflight.num_queues));
		return jb_add(o, "queue_size", json_object_new_int(v->inflight.queue_size));
	case PL_SHARED:
		o = json_object_new_object();
		return jb_add(o, "uuid", render_uuid(v->shared.uuid));
	case PL_DEVSTATE:
		o = json_object_new_object();
		jb_add(o, "direction", json_object_new_string(v->devstate.direction == 0 ? "save" :
				v->devstate.direction == 1 ? "load" : "invalid"));
		jb_add(o, "direction_value", json_object_new_int64(v->devstate.direction));
		jb_add(o, "phase", json_object_new_string(v->devstate.phase == 0 ? "stopped" : "invalid"));
		return jb_add(o, "phase_value", json_object_new_int64(v->devstate.phase));
	case PL_MMAP:
		o = json_object_new_object();
		jb_add(o, "shmid", json_object_new_int(v->mmap.shmid));
		jb_add(o, "fd_offset", jb_hex(v->mmap.fd_offset));
		jb_add(o, "shm_offset", jb_hex(v->mmap.shm_offset));
		jb_add(o, "len", jb_hex(v->mmap.len));
		jb_add(o, "flags", jb_hex(v->mmap.flags));
		return jb_add(o, "writable", json_object_new_boolean(v->mmap.flags & 1));
	case PL_SHMEM_CONFIG:
		o = json_object_new_object();
		jb_add(o, "nregions", json_object_new_int64(v->shmem.nregions));
		{
			struct json_object *a = json_object_new_array();

			for (uint32_t i = 0; i < v->shmem.nregions && i < 256; i++)
				json_object_array_add(a, jb_hex(v->shmem.sizes[i]));
			jb_add(o, "memory_sizes", a);
		}
		return o;
	case PL_CRYPTO:
	case PL_OPAQUE:
		o = json_object_new_object();
		jb_add(o, "size", json_object_new_int64(v->raw_len));
		return jb_add(o, "hex", jb_hexbytes(v->raw, v->raw_len));
	case PL_KIND_COUNT:
		break;
	}
	return NULL;
}

struct json_object *render_fd(int fd)
{
	struct json_object *o = json_object_new_object();
	char link[64], target[PATH_MAX];
	const char *type = "unknown";
	struct stat st;
	ssize_t n;

	jb_add(o, "fd", json_object_new_int(fd));
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
		jb_add(o, "target", json_object_new_string(target));
	}
	jb_add(o, "type", json_object_new_string(type));
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		jb_add(o, "size", jb_u64((uint64_t)st.st_size));
	return o;
}

struct json_object *render_msg(const struct vhu_msg *m, const char *name,
			       enum vhu_payload kind, enum vhu_device dev)
{
	struct json_object *o = json_object_new_object(), *fds = json_object_new_array_ext((int)m->nfds + 1);
	struct vhu_pval v;
	struct vhu_err e = { 0 };

	if (name)
		jb_add(o, "name", json_object_new_string(name));
	jb_add(o, "number", json_object_new_int64(m->request));
	jb_add(o, "flags", jb_hex(m->flags));
	jb_add(o, "flag_names", render_flags(m->flags));
	jb_add(o, "size", json_object_new_int64(m->size));
	if (m->len != m->size)
		jb_add(o, "payload_bytes", json_object_new_int64(m->len));
	if (m->len) {
		if (m->len == m->size && codec_decode(kind, m->payload, m->len, &v, &e) == 0) {
			struct json_object *p = render_payload(&v, dev);

			if (p)
				jb_add(o, "payload", p);
		} else {
			if (e.code)
				jb_add(o, "payload_error", json_object_new_string(e.msg));
			jb_add(o, "payload_hex", jb_hexbytes(m->payload, m->len));
		}
	}
	for (unsigned i = 0; i < m->nfds; i++)
		json_object_array_add(fds, render_fd(m->fds[i]));
	jb_add(o, "fds", fds);
	if (m->fds_truncated)
		jb_add(o, "fds_truncated", json_object_new_boolean(1));
	return o;
}
