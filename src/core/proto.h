/* proto.h - the vhost-user protocol as data: requests, payload kinds, protocol features. */
#ifndef VHUCTL_PROTO_H
#define VHUCTL_PROTO_H

#include <stdbool.h>
#include <stdint.h>

/* The text of the spec the tables follow: vhost-user.rst in QEMU at this
 * commit (the one vhuctl check quotes its sentences from, src/check/cases.c).
 * vhuctl --version names it; change it when the tables catch up with a newer
 * revision. */
#define VHU_SPEC_REVISION	"vhost-user.rst at QEMU commit f6b615b52d1d"

#define VHU_HDR_SIZE		12u
#define VHU_FLAG_VERSION	0x1u
#define VHU_FLAG_VERSION_MASK	0x3u
#define VHU_FLAG_REPLY		0x4u
#define VHU_FLAG_NEED_REPLY	0x8u
#define VHU_VRING_IDX_MASK	0xffu
#define VHU_VRING_NOFD		(1u << 8)
/* Largest payload vhuctl sends or accepts: rust-vmm's MAX_MSG_SIZE, which is
 * above every layout in the spec (VhostUserShMemConfig is 2056 bytes). */
#define VHU_PAYLOAD_MAX		4096u
/* Most fds one message may carry (rust-vmm's MAX_ATTACHED_FD_ENTRIES). */
#define VHU_MAX_FDS		32u
#define VHU_MEM_REGIONS_MAX	8u
#define VHU_CONFIG_MAX		256u
#define VHU_REQ_GET_CONFIG	24u	/* its request carries room for the answer */

/* How a payload is laid out; each kind has one codec. */
enum vhu_payload {
	PL_NONE,
	PL_U64,			/* plain number */
	PL_FEATURES,		/* u64 virtio feature bits */
	PL_PROTOCOL_FEATURES,	/* u64 VHOST_USER_PROTOCOL_F_* bits */
	PL_STATUS,		/* u64 virtio device status */
	PL_VRING_FD,		/* u64: bits 0-7 index, bit 8 NOFD */
	PL_MAC,			/* u64 whose first 6 bytes are a MAC (SEND_RARP) */
	PL_VRING_STATE,		/* struct vhost_vring_state */
	PL_VRING_ADDR,		/* struct vhost_vring_addr */
	PL_MEM_TABLE,		/* VhostUserMemory */
	PL_MEM_REGION,		/* VhostUserMemRegMsg (single region) */
	PL_LOG,			/* VhostUserLog */
	PL_IOTLB,		/* struct vhost_iotlb_msg */
	PL_CONFIG,		/* VhostUserConfig */
	PL_VRING_AREA,		/* VhostUserVringArea */
	PL_INFLIGHT,		/* VhostUserInflight */
	PL_SHARED,		/* VhostUserShared (UUID) */
	PL_DEVSTATE,		/* VhostUserTransferDeviceState */
	PL_MMAP,		/* VhostUserMMap (SHMEM_MAP/UNMAP) */
	PL_SHMEM_CONFIG,	/* VhostUserShMemConfig */
	PL_CRYPTO,		/* crypto session: opaque, QEMU-version-specific */
	PL_SET_LOG_REPLY,	/* SET_LOG_BASE reply: u64, or empty as DPDK sends */
	PL_OPAQUE,		/* bytes with no defined layout */
	PL_KIND_COUNT
};

enum vhu_reply_policy {
	REPLY_ACK_ONLY,		/* u64 ack only with REPLY_ACK + NEED_REPLY */
	REPLY_ALWAYS,		/* an explicit reply body always comes back */
	REPLY_IF_LOG_SHMFD,	/* SET_LOG_BASE: always once LOG_SHMFD is negotiated */
	REPLY_NONE,		/* no request: reserved numbers */
};

enum vhu_side {
	SIDE_FRONTEND,		/* front-end -> back-end requests, ids 1-44 */
	SIDE_BACKEND,		/* back-end channel requests, ids 1-10 */
};

/* What a request's fd attachment is allowed to be. */
enum vhu_fd_policy {
	FD_NONE,		/* no fd */
	FD_ONE,			/* exactly one */
	FD_ONE_UNLESS_NOFD,	/* one, unless bit 8 of the u64 says NOFD */
	FD_PER_REGION,		/* one per memory region, in order */
	FD_OPTIONAL,		/* zero or one */
};

struct vhu_request {
	uint32_t num;
	const char *name;		/* spec name without VHOST_USER_ prefix */
	const char *old_name;		/* pre-rename spelling (SLAVE), or NULL */
	enum vhu_side side;
	enum vhu_payload req_kind;
	enum vhu_payload reply_kind;	/* PL_NONE when only an ack can come */
	enum vhu_fd_policy fds;
	uint8_t reply_fds_max;		/* fds a reply may legitimately carry */
	enum vhu_reply_policy reply;
	uint32_t size_min, size_max;	/* request payload bounds */
	int proto_feature;		/* required VHOST_USER_PROTOCOL_F_ bit, -1 none */
	const char *num_arg;		/* name of the "num" field for vring state */
	const char *summary;
	/* QEMU sets NEED_REPLY even though the reply is "always": some back-ends
	 * (DPDK for IOTLB_MSG) only answer then. */
	bool need_reply_too;
};

struct vhu_proto_feature {
	unsigned bit;
	const char *name;		/* without the VHOST_USER_PROTOCOL_F_ prefix */
	const char *alias;		/* other spelling, or NULL */
};

#define VHU_FRONTEND_REQ_MAX	44u
#define VHU_BACKEND_REQ_MAX	10u
#define VHU_PROTO_FEATURE_MAX	22u

/* Row for request NUM on SIDE, or NULL when the number is not in the table. */
const struct vhu_request *proto_request(enum vhu_side side, uint32_t num);
/* Look a request up by name: "GET_FEATURES", "VHOST_USER_GET_FEATURES",
 * "get-features", old SLAVE spellings; case-insensitive. */
const struct vhu_request *proto_request_by_name(enum vhu_side side, const char *name);
/* Whole table for iteration; *n receives the row count. */
const struct vhu_request *proto_requests(enum vhu_side side, unsigned *n);
/* "get-features" for "GET_FEATURES"; buf must hold 48 bytes. */
const char *proto_cli_name(const struct vhu_request *r, char *buf, unsigned len);

const struct vhu_proto_feature *proto_features(unsigned *n);
const struct vhu_proto_feature *proto_feature_by_bit(unsigned bit);
/* Accepts "REPLY_ACK", "VHOST_USER_PROTOCOL_F_REPLY_ACK", aliases; returns bit or -1. */
int proto_feature_by_name(const char *name);
/* The protocol feature name closest to NAME (for "did you mean"), or NULL. */
const char *proto_feature_suggest(const char *name);

const char *proto_payload_name(enum vhu_payload k);
/* Fixed encoded size of a payload kind, or -1 when it varies. */
int proto_payload_size(enum vhu_payload k);
/* Bounds on a received payload of kind K. */
void proto_payload_bounds(enum vhu_payload k, uint32_t *min, uint32_t *max);

#endif
