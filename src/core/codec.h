/* codec.h - vhost-user payloads: bytes <-> structs, pure functions, no I/O. */
#ifndef VHUCTL_CODEC_H
#define VHUCTL_CODEC_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/proto.h"

struct vhu_vring_state { uint32_t index, num; };

struct vhu_vring_addr {
	uint32_t index, flags;		/* flags bit 0: VHOST_VRING_F_LOG */
	uint64_t desc, used, avail, log;
};
#define VHU_VRING_F_LOG 0x1u

struct vhu_mem_region {
	uint64_t gpa, size, uaddr, mmap_offset;
	bool xen;			/* the 40-byte XEN_MMAP layout */
	uint32_t xen_mmap_flags, domid;
};

struct vhu_mem_table {
	uint32_t nregions, padding;
	struct vhu_mem_region r[VHU_MEM_REGIONS_MAX];
};

struct vhu_log { uint64_t mmap_size, mmap_offset; };

struct vhu_iotlb {
	uint64_t iova, size, uaddr;
	uint8_t perm, type;
};

struct vhu_config {
	uint32_t offset, size, flags;
	uint8_t data[VHU_CONFIG_MAX];
};

struct vhu_vring_area { uint64_t u64, size, offset; };

struct vhu_inflight {
	uint64_t mmap_size, mmap_offset;
	uint16_t num_queues, queue_size;
};

struct vhu_shared { uint8_t uuid[16]; };

struct vhu_devstate { uint32_t direction, phase; };

struct vhu_mmap {
	uint8_t shmid;
	uint64_t fd_offset, shm_offset, len, flags;
};

struct vhu_shmem_config {
	uint32_t nregions;
	uint64_t sizes[256];
};

/* A decoded payload. Opaque kinds point into the buffer they came from. */
struct vhu_pval {
	enum vhu_payload kind;
	bool empty;			/* PL_SET_LOG_REPLY with no bytes (DPDK) */
	const uint8_t *raw;		/* PL_CRYPTO, PL_OPAQUE */
	uint32_t raw_len;
	union {
		uint64_t u64;
		struct vhu_vring_state state;
		struct vhu_vring_addr addr;
		struct vhu_mem_table mem;
		struct vhu_mem_region region;
		struct vhu_log log;
		struct vhu_iotlb iotlb;
		struct vhu_config config;
		struct vhu_vring_area area;
		struct vhu_inflight inflight;
		struct vhu_shared shared;
		struct vhu_devstate devstate;
		struct vhu_mmap mmap;
		struct vhu_shmem_config shmem;
	};
};

/* Encode V into BUF (CAP bytes); *len receives the payload size. */
int codec_encode(const struct vhu_pval *v, uint8_t *buf, uint32_t cap,
		 uint32_t *len, struct vhu_err *e);
/* Decode LEN untrusted bytes as KIND. Returns 0, or -EBADMSG with a message
 * saying what was wrong (size, count, field). */
int codec_decode(enum vhu_payload kind, const uint8_t *buf, uint32_t len,
		 struct vhu_pval *v, struct vhu_err *e);

#endif
