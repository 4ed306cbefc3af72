/* codec.c - vhost-user payloads: bytes <-> structs (host byte order, spec layouts). */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "core/codec.h"

static void put8(uint8_t *b, uint32_t off, uint8_t v) { b[off] = v; }
static void put16(uint8_t *b, uint32_t off, uint16_t v) { memcpy(b + off, &v, 2); }
static void put32(uint8_t *b, uint32_t off, uint32_t v) { memcpy(b + off, &v, 4); }
static void put64(uint8_t *b, uint32_t off, uint64_t v) { memcpy(b + off, &v, 8); }
static uint16_t get16(const uint8_t *b, uint32_t off) { uint16_t v; memcpy(&v, b + off, 2); return v; }
static uint32_t get32(const uint8_t *b, uint32_t off) { uint32_t v; memcpy(&v, b + off, 4); return v; }
static uint64_t get64(const uint8_t *b, uint32_t off) { uint64_t v; memcpy(&v, b + off, 8); return v; }

static void put_region(uint8_t *b, uint32_t off, const struct vhu_mem_region *r)
{
	put64(b, off, r->gpa);
	put64(b, off + 8, r->size);
	put64(b, off + 16, r->uaddr);
	put64(b, off + 24, r->mmap_offset);
	if (r->xen) {
		put32(b, off + 32, r->xen_mmap_flags);
		put32(b, off + 36, r->domid);
	}
}

static void get_region(const uint8_t *b, uint32_t off, bool xen, struct vhu_mem_region *r)
{
	r->gpa = get64(b, off);
	r->size = get64(b, off + 8);
	r->uaddr = get64(b, off + 16);
	r->mmap_offset = get64(b, off + 24);
	r->xen = xen;
	r->xen_mmap_flags = xen ? get32(b, off + 32) : 0;
	r->domid = xen ? get32(b, off + 36) : 0;
}

/* Size of V once encoded, or -1 for a bad value. */
static int64_t encoded_size(const struct vhu_pval *v)
{
	switch (v->kind) {
	case PL_MEM_TABLE:
		if (v->mem.nregions > VHU_MEM_REGIONS_MAX)
			return -1;
		return 8 + (int64_t)v->mem.nregions * 32;
	case PL_MEM_REGION:
		return v->region.xen ? 48 : 40;
	case PL_CONFIG:
		return v->config.size > VHU_CONFIG_MAX ? -1 : 12 + (int64_t)v->config.size;
	case PL_SHMEM_CONFIG:
		return 8 + 8 * 256;
	case PL_IOTLB:
		return 32;
	case PL_SET_LOG_REPLY:
		return v->empty ? 0 : 8;
	case PL_CRYPTO:
	case PL_OPAQUE:
		return v->raw_len;
	default:
		return proto_payload_size(v->kind);
	}
}

int codec_encode(const struct vhu_pval *v, uint8_t *b, uint32_t cap,
		 uint32_t *len, struct vhu_err *e)
{
	int64_t n = encoded_size(v);

	if (n < 0)
		return vhu_errf(e, EINVAL, "%s payload: bad value", proto_payload_name(v->kind));
	if (n > cap)
		return vhu_errf(e, EMSGSIZE, "%s payload of %lld bytes exceeds %u",
				proto_payload_name(v->kind), (long long)n, cap);
	memset(b, 0, (size_t)n);
	switch (v->kind) {
	case PL_NONE:
		break;
	case PL_U64: case PL_FEATURES: case PL_PROTOCOL_FEATURES: case PL_STATUS:
	case PL_VRING_FD: case PL_MAC: case PL_SET_LOG_REPLY:
		if (n)
			put64(b, 0, v->u64);
		break;
	case PL_VRING_STATE:
		put32(b, 0, v->state.index);
		put32(b, 4, v->state.num);
		break;
	case PL_VRING_ADDR:
		put32(b, 0, v->addr.index);
		put32(b, 4, v->addr.flags);
		put64(b, 8, v->addr.desc);
		put64(b, 16, v->addr.used);
		put64(b, 24, v->addr.avail);
		put64(b, 32, v->addr.log);
		break;
	case PL_MEM_TABLE:
		put32(b, 0, v->mem.nregions);
		put32(b, 4, v->mem.padding);
		for (uint32_t i = 0; i < v->mem.nregions; i++)
			put_region(b, 8 + 32 * i, &v->mem.r[i]);
		break;
	case PL_MEM_REGION:
		put_region(b, 8, &v->region);
		break;
	case PL_LOG:
		put64(b, 0, v->log.mmap_size);
		put64(b, 8, v->log.mmap_offset);
		break;
	case PL_IOTLB:
		put64(b, 0, v->iotlb.iova);
		put64(b, 8, v->iotlb.size);
		put64(b, 16, v->iotlb.uaddr);
		put8(b, 24, v->iotlb.perm);
		put8(b, 25, v->iotlb.type);
		break;
	case PL_CONFIG:
		put32(b, 0, v->config.offset);
		put32(b, 4, v->config.size);
		put32(b, 8, v->config.flags);
		memcpy(b + 12, v->config.data, v->config.size);
		break;
	case PL_VRING_AREA:
		put64(b, 0, v->area.u64);
		put64(b, 8, v->area.size);
		put64(b, 16, v->area.offset);
		break;
	case PL_INFLIGHT:
		put64(b, 0, v->inflight.mmap_size);
		put64(b, 8, v->inflight.mmap_offset);
		put16(b, 16, v->inflight.num_queues);
		put16(b, 18, v->inflight.queue_size);
		break;
	case PL_SHARED:
		memcpy(b, v->shared.uuid, 16);
		break;
	case PL_DEVSTATE:
		put32(b, 0, v->devstate.direction);
		put32(b, 4, v->devstate.phase);
		break;
	case PL_MMAP:
		put8(b, 0, v->mmap.shmid);
		put64(b, 8, v->mmap.fd_offset);
		put64(b, 16, v->mmap.shm_offset);
		put64(b, 24, v->mmap.len);
		put64(b, 32, v->mmap.flags);
		break;
	case PL_SHMEM_CONFIG:
		put32(b, 0, v->shmem.nregions);
		for (unsigned i = 0; i < 256; i++)
			put64(b, 8 + 8 * i, v->shmem.sizes[i]);
		break;
	case PL_CRYPTO:
	case PL_OPAQUE:
		if (v->raw_len)
			memcpy(b, v->raw, v->raw_len);
		break;
	case PL_KIND_COUNT:
		return vhu_errf(e, EINVAL, "no such payload kind");
	}
	*len = (uint32_t)n;
	return 0;
}

static int bad_size(struct vhu_err *e, enum vhu_payload k, uint32_t len,
		    uint32_t min, uint32_t max)
{
	if (min == max)
		return vhu_errf(e, EBADMSG, "%s payload must be %u bytes, got %u",
				proto_payload_name(k), min, len);
	return vhu_errf(e, EBADMSG, "%s payload must be %u to %u bytes, got %u",
			proto_payload_name(k), min, max, len);
}

static int decode_mem_table(const uint8_t *b, uint32_t len, struct vhu_pval *v,
			    struct vhu_err *e)
{
	v->mem.nregions = get32(b, 0);
	v->mem.padding = get32(b, 4);
	if (v->mem.nregions > VHU_MEM_REGIONS_MAX)
		return vhu_errf(e, EBADMSG, "memory table says %u regions, at most %u allowed",
				v->mem.nregions, VHU_MEM_REGIONS_MAX);
	/* QEMU sends exactly 8 + 32n; a fixed 264-byte table is accepted too. */
	if (len < 8 + 32 * v->mem.nregions)
		return vhu_errf(e, EBADMSG, "memory table says %u regions but has %u bytes (needs %u)",
				v->mem.nregions, len, 8 + 32 * v->mem.nregions);
	for (uint32_t i = 0; i < v->mem.nregions; i++)
		get_region(b, 8 + 32 * i, false, &v->mem.r[i]);
	return 0;
}

static int decode_config(const uint8_t *b, uint32_t len, struct vhu_pval *v,
			 struct vhu_err *e)
{
	v->config.offset = get32(b, 0);
	v->config.size = get32(b, 4);
	v->config.flags = get32(b, 8);
	if (v->config.size > VHU_CONFIG_MAX)
		return vhu_errf(e, EBADMSG, "config size field %u exceeds %u",
				v->config.size, VHU_CONFIG_MAX);
	if (v->config.size != len - 12)
		return vhu_errf(e, EBADMSG, "config size field says %u bytes but %u follow",
				v->config.size, len - 12);
	memcpy(v->config.data, b + 12, v->config.size);
	return 0;
}

static int decode_shmem(const uint8_t *b, uint32_t len, struct vhu_pval *v,
			struct vhu_err *e)
{
	v->shmem.nregions = get32(b, 0);
	if (v->shmem.nregions > 256)
		return vhu_errf(e, EBADMSG, "shmem config says %u regions, at most 256",
				v->shmem.nregions);
	if (len < 8 + 8 * v->shmem.nregions)
		return vhu_errf(e, EBADMSG, "shmem config says %u regions but has %u bytes",
				v->shmem.nregions, len);
	for (uint32_t i = 0; i < v->shmem.nregions; i++)
		v->shmem.sizes[i] = get64(b, 8 + 8 * i);
	return 0;
}

/* Bytes of the union a decoded KIND fills. */
static size_t pval_size(enum vhu_payload kind)
{
	const struct vhu_pval *v = NULL;

	_Static_assert(sizeof(v->addr) <= 64 && sizeof(v->region) <= 64 && sizeof(v->iotlb) <= 64 &&
		       sizeof(v->area) <= 64 && sizeof(v->inflight) <= 64 && sizeof(v->mmap) <= 64,
		       "small payload members fit in 64 bytes");
	switch (kind) {
	case PL_MEM_TABLE:
		return sizeof(v->mem);
	case PL_CONFIG:
		return sizeof(v->config);
	case PL_SHMEM_CONFIG:
		return sizeof(v->shmem);
	default:
		return 64;
	}
}

int codec_decode(enum vhu_payload kind, const uint8_t *b, uint32_t len,
		 struct vhu_pval *v, struct vhu_err *e)
{
	uint32_t min, max;

	/* Zero what KIND uses, not the whole 2 KiB union: this runs for every
	 * reply, and the big members are rare. */
	memset(v, 0, offsetof(struct vhu_pval, u64) + pval_size(kind));
	v->kind = kind;
	proto_payload_bounds(kind, &min, &max);
	if (len < min || len > max)
		return bad_size(e, kind, len, min, max);
	switch (kind) {
	case PL_NONE:
		break;
	case PL_U64: case PL_FEATURES: case PL_PROTOCOL_FEATURES: case PL_STATUS:
	case PL_VRING_FD: case PL_MAC:
		v->u64 = get64(b, 0);
		break;
	case PL_SET_LOG_REPLY:
		if (len != 0 && len != 8)
			return vhu_errf(e, EBADMSG, "log base reply must be 0 or 8 bytes, got %u", len);
		v->empty = len == 0;
		if (len)
			v->u64 = get64(b, 0);
		break;
	case PL_VRING_STATE:
		v->state.index = get32(b, 0);
		v->state.num = get32(b, 4);
		break;
	case PL_VRING_ADDR:
		v->addr.index = get32(b, 0);
		v->addr.flags = get32(b, 4);
		v->addr.desc = get64(b, 8);
		v->addr.used = get64(b, 16);
		v->addr.avail = get64(b, 24);
		v->addr.log = get64(b, 32);
		break;
	case PL_MEM_TABLE:
		return decode_mem_table(b, len, v, e);
	case PL_MEM_REGION:
		if (len != 40 && len != 48)
			return vhu_errf(e, EBADMSG, "single memory region must be 40 bytes (48 with XEN_MMAP), got %u", len);
		get_region(b, 8, len == 48, &v->region);
		break;
	case PL_LOG:
		v->log.mmap_size = get64(b, 0);
		v->log.mmap_offset = get64(b, 8);
		break;
	case PL_IOTLB:
		/* 32 in C (tail padding), 26 from rust-vmm's packed struct. */
		if (len != 26 && len != 32)
			return vhu_errf(e, EBADMSG, "IOTLB message must be 26 or 32 bytes, got %u", len);
		v->iotlb.iova = get64(b, 0);
		v->iotlb.size = get64(b, 8);
		v->iotlb.uaddr = get64(b, 16);
		v->iotlb.perm = b[24];
		v->iotlb.type = b[25];
		break;
	case PL_CONFIG:
		return decode_config(b, len, v, e);
	case PL_VRING_AREA:
		v->area.u64 = get64(b, 0);
		v->area.size = get64(b, 8);
		v->area.offset = get64(b, 16);
		break;
	case PL_INFLIGHT:
		v->inflight.mmap_size = get64(b, 0);
		v->inflight.mmap_offset = get64(b, 8);
		v->inflight.num_queues = get16(b, 16);
		v->inflight.queue_size = get16(b, 18);
		break;
	case PL_SHARED:
		memcpy(v->shared.uuid, b, 16);
		break;
	case PL_DEVSTATE:
		v->devstate.direction = get32(b, 0);
		v->devstate.phase = get32(b, 4);
		break;
	case PL_MMAP:
		v->mmap.shmid = b[0];
		v->mmap.fd_offset = get64(b, 8);
		v->mmap.shm_offset = get64(b, 16);
		v->mmap.len = get64(b, 24);
		v->mmap.flags = get64(b, 32);
		break;
	case PL_SHMEM_CONFIG:
		return decode_shmem(b, len, v, e);
	case PL_CRYPTO:
	case PL_OPAQUE:
		v->raw = b;
		v->raw_len = len;
		break;
	case PL_KIND_COUNT:
		return vhu_errf(e, EINVAL, "no such payload kind");
	}
	return 0;
}
