/* cases.c - the suite's table: one row per case, with the sentence of the spec it checks. */
#include <stddef.h>

#include "check/case.h"

/* The sentences, as the sources write them (reStructuredText or LaTeX
 * markup kept, line breaks as spaces): vhost-user.rst in QEMU at commit
 * f6b615b52d1d, and device-types/blk/description.tex of the virtio
 * specification (oasis-tcs/virtio-spec) at commit 335342f5cd88. Several
 * rows check one sentence. */
#define VU "vhost-user.rst, "
#define BLK "virtio-spec blk, "
#define VQ "virtio-spec split-ring, "
#define FS "virtio-spec fs, "

#define S_REPLIES "Most of the requests don't require replies. Here is a list of the ones that do:"
#define S_REPLY_BIT "Bit 2 is the reply flag - needs to be sent on each reply from the back-end"
#define S_PF_EARLY "Back-ends that report ``VHOST_USER_F_PROTOCOL_FEATURES`` must support this message " \
	"even before ``VHOST_USER_SET_FEATURES`` was called."
#define S_SET_FEATURES "Enable features in the underlying vhost implementation using a bitmask."
#define S_MQ "Back-ends should always implement the ``VHOST_USER_PROTOCOL_F_MQ`` protocol feature, even " \
	"for devices with a fixed number of virtqueues, since it is simple to implement and offers a degree " \
	"of introspection."
#define S_QUEUE_NUM "The max number of queues the back-end supports can be queried with message " \
	"``VHOST_USER_GET_QUEUE_NUM``."
#define S_NO_CHANGE "For the message types that already solicit a reply from the back-end, the presence of " \
	"``VHOST_USER_PROTOCOL_F_REPLY_ACK`` or need_reply bit being set brings no behavioural change."
#define S_ACK "With this protocol extension negotiated, the sender (QEMU) can set the ``need_reply`` [Bit 3] " \
	"flag to any command. This indicates that the back-end MUST respond with a Payload ``VhostUserMsg`` " \
	"indicating success or failure."
#define S_ACK_VALUE "The payload should be set to zero on success or non-zero on failure, unless the message " \
	"already has an explicit reply body."
#define S_RESET "Only valid if the ``VHOST_USER_PROTOCOL_F_RESET_DEVICE`` protocol feature is set by the back-end."
#define S_RARP "Only legal if feature bit ``VHOST_USER_F_PROTOCOL_FEATURES`` is present in " \
	"``VHOST_USER_GET_FEATURES`` and protocol feature bit ``VHOST_USER_PROTOCOL_F_RARP`` is present in " \
	"``VHOST_USER_GET_PROTOCOL_FEATURES``."
#define S_ENABLE_WHEN "This request should be sent only when ``VHOST_USER_F_PROTOCOL_FEATURES`` has been negotiated."
#define S_KICK_WHEN "When the ``VHOST_USER_PROTOCOL_F_INBAND_NOTIFICATIONS`` protocol feature has been " \
	"successfully negotiated, this message may be submitted by the front-end to indicate that a buffer was " \
	"added to the vring instead of signalling it using the vring's kick file descriptor or having the " \
	"back-end rely on polling."
#define S_SLOTS_WHEN "When the ``VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS`` protocol feature has been " \
	"successfully negotiated, this message is submitted by the front-end to the back-end."
#define S_STATUS_WHEN "When the ``VHOST_USER_PROTOCOL_F_STATUS`` protocol feature has been successfully " \
	"negotiated, this message is submitted by the front-end to notify the back-end with updated device " \
	"status as defined in the Virtio specification."
#define S_INBAND "As it has no other way of signalling this error, the back-end should close the connection as " \
	"a response to a ``VHOST_USER_SET_PROTOCOL_FEATURES`` message that sets the in-band notifications " \
	"feature flag without the other two."
#define S_CONFIG "When ``VHOST_USER_PROTOCOL_F_CONFIG`` is negotiated, this message is submitted by the " \
	"vhost-user front-end to fetch the contents of the virtio device configuration space, vhost-user " \
	"back-end's payload size MUST match the front-end's request, vhost-user back-end uses zero length of " \
	"payload to indicate an error to the vhost-user front-end."
#define S_MAX_SLOTS "The back-end should return the message with a u64 payload containing the maximum number " \
	"of memory slots for QEMU to expose to the guest."
#define S_MAP_IN "The message payload contains a memory region descriptor struct, describing a region of guest " \
	"memory which the back-end device must map in."
#define S_UNMAP "The message payload contains a memory region descriptor struct, describing a region of guest " \
	"memory which the back-end device must unmap."
#define S_GET_BASE "Stops the vring and returns the current descriptor index or indices:"
#define S_SPLIT_BASE "For a split virtqueue, returns only the 16-bit next descriptor index to process in the " \
	"*Available Ring*."
#define S_DISABLED "started and disabled: The back-end must process the ring without causing any side effects."
#define S_AUTO_ENABLE "In addition, upon receiving a ``VHOST_USER_SET_FEATURES`` message from the front-end " \
	"without ``VHOST_USER_F_PROTOCOL_FEATURES`` set, the back-end must enable all rings immediately."
#define S_STOPPED "While a ring is stopped, the back-end must not process the ring at all, regardless of " \
	"whether it is enabled or disabled."
#define S_MAY_CLOSE "If *back-end* detects some error such as incompatible features, it may also close the " \
	"connection. This should only happen in exceptional circumstances."
#define B_IN "VIRTIO_BLK_T_IN requests populate \\field{data} with the contents of sectors read from the block " \
	"device (in multiples of 512 bytes)."
#define B_OUT "VIRTIO_BLK_T_OUT requests write the contents of \\field{data} to the block device (in multiples " \
	"of 512 bytes)."
#define B_STATUS "The final \\field{status} byte is written by the device: either VIRTIO_BLK_S_OK for success, " \
	"VIRTIO_BLK_S_IOERR for device or driver error or VIRTIO_BLK_S_UNSUPP for a request unsupported by device:"
#define B_ID "VIRTIO_BLK_T_GET_ID requests fetch the device ID string from the device into \\field{data}."
#define B_ZONED "If the VIRTIO_BLK_F_ZONED feature is not negotiated, the device MUST reject " \
	"VIRTIO_BLK_T_ZONE_REPORT, VIRTIO_BLK_T_ZONE_OPEN, VIRTIO_BLK_T_ZONE_CLOSE, VIRTIO_BLK_T_ZONE_FINISH, " \
	"VIRTIO_BLK_T_ZONE_APPEND, VIRTIO_BLK_T_ZONE_RESET and VIRTIO_BLK_T_ZONE_RESET_ALL requests with " \
	"VIRTIO_BLK_S_UNSUPP status."
#define B_RO "A device MUST set the \\field{status} byte to VIRTIO_BLK_S_IOERR for a write request if the " \
	"VIRTIO_BLK_F_RO feature if offered, and MUST NOT write any data."

#define S_GET_STATUS_WHEN "When the ``VHOST_USER_PROTOCOL_F_STATUS`` protocol feature has been successfully " \
	"negotiated, this message is submitted by the front-end to query the back-end for its device status as " \
	"defined in the Virtio specification."
#define S_GET_INFLIGHT "When ``VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD`` protocol feature has been successfully " \
	"negotiated, this message is submitted by the front-end to get a shared buffer from back-end."
#define S_SET_INFLIGHT "When ``VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD`` protocol feature has been successfully " \
	"negotiated, this message is submitted by the front-end to send the shared inflight buffer back to the " \
	"back-end so that the back-end could get inflight I/O after a crash or restart."
#define S_STATE_NEEDS "Using this function requires prior negotiation of the " \
	"``VHOST_USER_PROTOCOL_F_DEVICE_STATE`` feature."
#define S_STATE_FD "The value returned is both an indication for success, and whether a file descriptor for a " \
	"back-end-provided channel is returned: Bits 0–7 are 0 on success, and non-zero on error."
#define S_STATE_PHASE "Migration phase: Currently, the only supported phase is the period after the transfer of " \
	"memory-mapped regions before switch-over to the destination, when both the source and destination " \
	"devices are suspended (:ref:`Suspended device state <suspended_device_state>`)."
#define S_STATE_CHECK "The value returned indicates success or error; 0 is success, any non-zero value is an error."
#define S_BACKEND_WHEN "This request should be sent only when ``VHOST_USER_F_PROTOCOL_FEATURES`` has been " \
	"negotiated, and protocol feature bit ``VHOST_USER_PROTOCOL_F_BACKEND_REQ`` bit is present in " \
	"``VHOST_USER_GET_PROTOCOL_FEATURES``."
#define S_BACKEND_FD "Set the socket file descriptor for back-end initiated requests. It is passed in the " \
	"ancillary data."
#define S_NET_DISABLED "For example, for a networking device, in the disabled state the back-end must not supply " \
	"any new RX packets, but must process and discard any TX packets."
#define S_IOTLB "The front-end sends such requests to update and invalidate entries in the device IOTLB. The " \
	"back-end has to acknowledge the request with sending zero as ``u64`` payload for success, non-zero otherwise."
#define S_QUEUE_NUM_MSG "Query how many queues the back-end supports."
#define S_CONFIG_SET "When ``VHOST_USER_PROTOCOL_F_CONFIG`` is negotiated, this message is submitted by the " \
	"vhost-user front-end when the Guest changes the virtio device configuration space and also can be used " \
	"for live migration on the destination host."
/* virtio-spec split-ring.tex and virtio-fs.tex (oasis-tcs/virtio-spec).
 * The split-ring sentences bind the driver; what they ask of the
 * back-end is to survive a driver that breaks them, which the spec words
 * as a may (refuse the chain, mark it used, close): those rows are MAY. */
#define V_LOOP "Drivers MUST NOT add a descriptor chain longer than $2^{32}$ bytes in total; this implies that " \
	"loops in the descriptor chain are forbidden!"
#define V_ADDR "\\field{addr} is a physical address, and the buffers can be chained via \\field{next}."
#define V_TABLE "The number of descriptors in the table is defined by the queue size for this virtqueue: this " \
	"is the maximum possible descriptor chain length."
#define V_INDIRECT_LEN "\\field{addr} and \\field{len} refer to the indirect table address and length in bytes, " \
	"respectively."
#define V_NESTED "The driver MUST NOT set the VIRTQ_DESC_F_INDIRECT flag within an indirect descriptor (ie. only " \
	"one table per descriptor)."
#define V_TOO_LONG "A driver MUST NOT create a descriptor chain longer than the Queue Size of the device."
#define V_QSIZE "Queue Size corresponds to the maximum number of buffers in the virtqueue"
#define V_USED "When the device has finished a buffer, it writes the descriptor index into the used ring, and " \
	"sends a used buffer notification."
#define V_HEAD "each ring entry refers to the head of a descriptor chain."
#define V_FS_INIT "The FUSE session is started by sending a FUSE\\_INIT request as defined by the FUSE protocol " \
	"on one request virtqueue."
#define V_FS_REINIT "The next FUSE\\_INIT message terminates the current session and starts a new session with " \
	"the possibility of changing endianness."
#define V_FS_REQ "Normal requests are made available by the driver on request queues and are used by the device."

#define F(bit) PF(bit)
#define F_PROTOCOL F(30)
#define ACK PF(PF_REPLY_ACK)

/* A REPLY_ACK row: the request ARG (after its stage) gets a u64 0. */
#define RA(name, stage_and_line, pf, f) \
	{ "reply-ack." name, "reply-ack", "REPLY_ACK: a valid " name " with NEED_REPLY is acknowledged with u64 0", \
	  VU "VHOST_USER_PROTOCOL_F_REPLY_ACK", CK_MUST, S_ACK, ACK | (pf), (f), DEV_NONE, 0, \
	  ck_reply_ack_row, stage_and_line, 0 }
/* A robustness row: the malformed message ARG (after its stage); the
 * back-end may refuse it or close, and must answer a fresh connection. */
#define RB(name, title, stage_and_line, pf) \
	{ "robustness." name, "robustness", title, VU "Communication", CK_MAY, S_MAY_CLOSE, (pf), 0, DEV_NONE, 0, \
	  ck_robust_raw, stage_and_line, CK_SURVIVE }

/* A robustness row of another group: the message the row's script sends
 * (after its stage); refused or closed, and the back-end survives. */
#define RBG(group, name, title, stage_and_line, pf) \
	{ group "." name, group, title, VU "Communication", CK_MAY, S_MAY_CLOSE, (pf), 0, DEV_NONE, 0, \
	  ck_robust_raw, stage_and_line, CK_SURVIVE }
/* A hostile-ring row: the chain ARG made available on the request ring. */
#define HR(name, title, sentence) \
	{ "rings-hostile." name, "rings-hostile", title ": the back-end survives", VQ "Driver Requirements", CK_MAY, \
	  sentence, 0, 0, DEV_NONE, 0, ck_ring_hostile, name, CK_SURVIVE }
/* A request of GROUP sent without its protocol feature negotiated (only
 * REPLY_ACK is): refused, since it has a reply of its own, in that reply. */
#define GATE(group, name, title, req, sentence, script) \
	{ group "." name, group, title, VU req, CK_MUST, sentence, ACK, 0, DEV_NONE, 0, ck_gating_answered, script, 0 }
/* The inflight payload for 1 queue of 64 entries, as hex. */
#define INFLIGHT_1_64 "000000000000000000000000000000000100400000000000"

static const struct ck_case cases[] = {
	/* --- handshake ------------------------------------------------------ */
	{ "handshake.get-features-answered", "handshake", "GET_FEATURES is answered with a u64",
	  VU "Communication", CK_MUST, S_REPLIES, 0, 0, DEV_NONE, 0, ck_handshake_get_features, NULL, 0 },
	{ "handshake.reply-flags", "handshake", "a reply has the REPLY bit and version 1, and nothing else",
	  VU "Header", CK_MUST, S_REPLY_BIT, 0, 0, DEV_NONE, 0, ck_handshake_reply_flags, NULL, 0 },
	{ "handshake.get-protocol-features-early", "handshake",
	  "GET_PROTOCOL_FEATURES is answered before SET_FEATURES",
	  VU "VHOST_USER_GET_PROTOCOL_FEATURES", CK_MUST, S_PF_EARLY, 0, F_PROTOCOL, DEV_NONE, 0,
	  ck_handshake_get_pfeatures, NULL, 0 },
	{ "handshake.set-protocol-features-early", "handshake",
	  "SET_PROTOCOL_FEATURES takes effect before SET_FEATURES (REPLY_ACK works at once)",
	  VU "VHOST_USER_SET_PROTOCOL_FEATURES", CK_MUST, S_PF_EARLY, ACK, F_PROTOCOL, DEV_NONE, 0,
	  ck_handshake_set_pfeatures_early, NULL, 0 },
	{ "handshake.set-features-subset", "handshake",
	  "SET_FEATURES of a subset of the offer (VERSION_1, PROTOCOL_FEATURES) is accepted",
	  VU "VHOST_USER_SET_FEATURES", CK_MUST, S_SET_FEATURES, 0, 0, DEV_NONE, 0,
	  ck_handshake_set_features_subset, NULL, 0 },
	{ "handshake.mq-offered", "handshake", "VHOST_USER_PROTOCOL_F_MQ is offered",
	  VU "Multiple queue support", CK_SHOULD, S_MQ, 0, F_PROTOCOL, DEV_NONE, 0, ck_handshake_mq_offered, NULL, 0 },
	{ "handshake.get-queue-num", "handshake", "GET_QUEUE_NUM is answered with at least 1",
	  VU "Multiple queue support", CK_MUST, S_QUEUE_NUM, PF(PF_MQ), 0, DEV_NONE, 0, ck_handshake_queue_num, NULL, 0 },

	/* --- protocol-feature gating ---------------------------------------- */
	{ "gating.reset-device", "gating", "RESET_DEVICE without VHOST_USER_PROTOCOL_F_RESET_DEVICE is refused",
	  VU "VHOST_USER_RESET_DEVICE", CK_MUST, S_RESET, ACK, 0, DEV_NONE, PF(PF_RESET_DEVICE), ck_gating,
	  "acked:reset-device", 0 },
	{ "gating.send-rarp", "gating", "SEND_RARP without VHOST_USER_PROTOCOL_F_RARP is refused",
	  VU "VHOST_USER_SEND_RARP", CK_MUST, S_RARP, ACK, 0, DEV_NONE, PF(PF_RARP), ck_gating,
	  "acked:send-rarp 52:54:00:12:34:56", 0 },
	{ "gating.set-vring-enable", "gating",
	  "SET_VRING_ENABLE when SET_FEATURES left out VHOST_USER_F_PROTOCOL_FEATURES is refused",
	  VU "VHOST_USER_SET_VRING_ENABLE", CK_SHOULD, S_ENABLE_WHEN, ACK, 0, DEV_NONE, 0, ck_gating,
	  "owner:set-features %L;set-vring-enable 0 1", 0 },
	{ "gating.vring-kick", "gating",
	  "VRING_KICK without VHOST_USER_PROTOCOL_F_INBAND_NOTIFICATIONS is refused",
	  VU "VHOST_USER_VRING_KICK", CK_MAY, S_KICK_WHEN, ACK, 0, DEV_NONE, 0, ck_gating, "acked:vring-kick 0", 0 },
	{ "gating.add-mem-reg", "gating",
	  "ADD_MEM_REG without VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS negotiated is refused",
	  VU "VHOST_USER_ADD_MEM_REG", CK_MUST, S_SLOTS_WHEN, ACK, 0, DEV_NONE, 0, ck_gating,
	  "acked:mem add 1M;add-mem-reg", 0 },
	{ "gating.set-status", "gating",
	  "SET_STATUS without VHOST_USER_PROTOCOL_F_STATUS negotiated is refused",
	  VU "VHOST_USER_SET_STATUS", CK_MUST, S_STATUS_WHEN, ACK, 0, DEV_NONE, 0, ck_gating,
	  "acked:set-status ACKNOWLEDGE", 0 },
	{ "gating.inband-alone", "gating",
	  "SET_PROTOCOL_FEATURES of INBAND_NOTIFICATIONS without BACKEND_REQ and REPLY_ACK closes the connection",
	  VU "In-band notifications", CK_SHOULD, S_INBAND, PF(PF_INBAND), 0, DEV_NONE, 0, ck_gating_inband, NULL, 0 },

	/* --- REPLY_ACK on every request that allows it ----------------------- */
	{ "reply-ack.no-second-reply", "reply-ack",
	  "NEED_REPLY on GET_FEATURES brings one reply, not a reply and an ack",
	  VU "VHOST_USER_PROTOCOL_F_REPLY_ACK", CK_MUST, S_NO_CHANGE, ACK, 0, DEV_NONE, 0, ck_reply_ack_one_reply,
	  NULL, 0 },
	RA("set-owner", "proto:set-owner", 0, 0),
	RA("set-protocol-features", "proto:set-protocol-features %P", 0, 0),
	RA("set-features", "owner:set-features %F", 0, 0),
	RA("set-mem-table", "acked:mem add 1M;set-mem-table", 0, 0),
	RA("set-log-fd", "acked:set-log-fd", 0, 0),
	RA("set-vring-num", "mem:set-vring-num 0 64", 0, 0),
	RA("set-vring-base", "mem:set-vring-num 0 64;set-vring-base 0 0", 0, 0),
	RA("set-vring-addr", "mem:set-vring-num 0 64;set-vring-addr 0 desc=0x0 avail=0x400 used=0x1000 gpa", 0, 0),
	RA("set-vring-kick", "mem:set-vring-num 0 64;set-vring-kick 0", 0, 0),
	RA("set-vring-call", "mem:set-vring-num 0 64;set-vring-call 0", 0, 0),
	RA("set-vring-err", "mem:set-vring-num 0 64;set-vring-err 0", 0, 0),
	RA("set-vring-enable", "ring:set-vring-enable 0 1", 0, 0),
	RA("set-backend-req-fd", "owner:set-backend-req-fd", PF(PF_BACKEND_REQ), 0),
	RA("add-mem-reg", "acked:mem add 1M;add-mem-reg", PF(PF_MEM_SLOTS), 0),
	RA("rem-mem-reg", "acked:mem add 1M;add-mem-reg;rem-mem-reg", PF(PF_MEM_SLOTS), 0),
	RA("set-status", "acked:set-status ACKNOWLEDGE,DRIVER", PF(PF_STATUS), 0),
	RA("send-rarp", "acked:send-rarp 52:54:00:12:34:56", PF(PF_RARP), 0),
	RA("net-set-mtu", "acked:net-set-mtu 1500", PF(PF_MTU), F(3)),
	RA("reset-device", "acked:reset-device", PF(PF_RESET_DEVICE), 0),
	RA("set-vring-endian", "owner:set-vring-num 0 64;set-vring-endian 0 0", PF(PF_CROSS_ENDIAN), 0),
	RA("set-inflight-fd", "owner:get-inflight-fd num_queues=1 queue_size=64;set-inflight-fd num_queues=1 queue_size=64",
	   PF(PF_INFLIGHT), 0),
	{ "reply-ack.set-config", "reply-ack",
	  "REPLY_ACK: SET_CONFIG of blk's writeback byte (as it is) with NEED_REPLY is acknowledged with u64 0",
	  VU "VHOST_USER_SET_CONFIG", CK_MUST, S_ACK, ACK | PF(PF_CONFIG), F(11), DEV_BLK, 0, ck_reply_ack_row,
	  "acked:set-config data=01 offset=32", 0 },
	{ "reply-ack.set-log-base", "reply-ack",
	  "SET_LOG_BASE with NEED_REPLY gets its one reply, no payload or u64 0, and no second",
	  VU "VHOST_USER_PROTOCOL_F_REPLY_ACK", CK_MUST, S_NO_CHANGE, ACK | PF(PF_LOG_SHMFD), 0, DEV_NONE, 0,
	  ck_log_base_reply, NULL, 0 },

	/* --- configuration space --------------------------------------------- */
	{ "config.get-config-size", "config", "GET_CONFIG is answered with as many bytes as asked for",
	  VU "VHOST_USER_GET_CONFIG", CK_MUST, S_CONFIG, PF(PF_CONFIG), 0, DEV_NONE, 0, ck_config_size, NULL, 0 },
	{ "config.get-config-error", "config", "GET_CONFIG beyond the configuration space is answered with size 0",
	  VU "VHOST_USER_GET_CONFIG", CK_MUST, S_CONFIG, PF(PF_CONFIG), 0, DEV_NONE, 0, ck_config_error, NULL, 0 },

	/* --- memory table rules ---------------------------------------------- */
	{ "memory.max-mem-slots", "memory", "GET_MAX_MEM_SLOTS is answered with at least 1",
	  VU "VHOST_USER_GET_MAX_MEM_SLOTS", CK_SHOULD, S_MAX_SLOTS, PF(PF_MEM_SLOTS), 0, DEV_NONE, 0,
	  ck_mem_max_slots, NULL, 0 },
	{ "memory.slots-honoured", "memory", "as many regions as GET_MAX_MEM_SLOTS says are mapped by ADD_MEM_REG",
	  VU "VHOST_USER_ADD_MEM_REG", CK_MUST, S_MAP_IN, PF(PF_MEM_SLOTS) | ACK, 0, DEV_NONE, 0,
	  ck_mem_slots_honoured, NULL, 0 },
	{ "memory.beyond-max-slots", "memory", "one region more than GET_MAX_MEM_SLOTS is refused",
	  VU "VHOST_USER_GET_MAX_MEM_SLOTS", CK_SHOULD, S_MAX_SLOTS, PF(PF_MEM_SLOTS) | ACK, 0, DEV_NONE, 0,
	  ck_mem_beyond_slots, NULL, CK_SURVIVE },
	{ "memory.rem-mem-reg", "memory", "REM_MEM_REG unmaps: the region can be added again",
	  VU "VHOST_USER_REM_MEM_REG", CK_MUST, S_UNMAP, PF(PF_MEM_SLOTS) | ACK, 0, DEV_NONE, 0, ck_mem_rem, NULL, 0 },
	{ "memory.rem-mem-reg-unknown", "memory", "REM_MEM_REG of a region never added is refused",
	  VU "VHOST_USER_PROTOCOL_F_REPLY_ACK", CK_SHOULD, S_ACK_VALUE, PF(PF_MEM_SLOTS) | ACK, 0, DEV_NONE, 0,
	  ck_mem_rem_unknown, NULL, CK_SURVIVE },
	{ "memory.add-mem-reg-no-fd", "memory", "ADD_MEM_REG without its fd is refused: it cannot be mapped in",
	  VU "VHOST_USER_ADD_MEM_REG", CK_MUST, S_MAP_IN, PF(PF_MEM_SLOTS) | ACK, 0, DEV_NONE, 0,
	  ck_mem_add_no_fd, NULL, CK_SURVIVE },
	{ "memory.overlapping-region", "memory", "ADD_MEM_REG of a region overlapping another's guest addresses is refused",
	  VU "VHOST_USER_PROTOCOL_F_REPLY_ACK", CK_SHOULD, S_ACK_VALUE, PF(PF_MEM_SLOTS) | ACK, 0, DEV_NONE, 0,
	  ck_mem_bad_region, "overlap", CK_SURVIVE },
	{ "memory.zero-size-region", "memory", "ADD_MEM_REG of a region of size 0 is refused",
	  VU "VHOST_USER_PROTOCOL_F_REPLY_ACK", CK_SHOULD, S_ACK_VALUE, PF(PF_MEM_SLOTS) | ACK, 0, DEV_NONE, 0,
	  ck_mem_bad_region, "zero", CK_SURVIVE },

	/* --- ring set-up and the enable rules -------------------------------- */
	{ "rings.get-vring-base", "rings", "GET_VRING_BASE returns the index SET_VRING_BASE set",
	  VU "VHOST_USER_GET_VRING_BASE", CK_MUST, S_GET_BASE, 0, 0, DEV_NONE, 0, ck_ring_base, NULL, 0 },
	{ "rings.get-vring-base-after-io", "rings", "after three requests GET_VRING_BASE returns 3",
	  VU "VHOST_USER_GET_VRING_BASE", CK_MUST, S_SPLIT_BASE, 0, 0, DEV_BLK, 0, ck_ring_base_after_io, NULL, 0 },
	{ "rings.disabled-until-enabled", "rings",
	  "with VHOST_USER_F_PROTOCOL_FEATURES a disabled ring writes no read data (discarded or left) before SET_VRING_ENABLE 1",
	  VU "Ring states", CK_MUST, S_DISABLED, 0, F_PROTOCOL, DEV_BLK, 0, ck_ring_disabled, NULL, 0 },
	{ "rings.enabled-without-protocol-features", "rings",
	  "without VHOST_USER_F_PROTOCOL_FEATURES in SET_FEATURES a ring works with no SET_VRING_ENABLE",
	  VU "Ring states", CK_MUST, S_AUTO_ENABLE, 0, 0, DEV_BLK, 0, ck_ring_auto_enabled, NULL, 0 },
	{ "rings.stopped-after-get-vring-base", "rings", "after GET_VRING_BASE a request made available is not processed",
	  VU "Ring states", CK_MUST, S_STOPPED, 0, 0, DEV_BLK, 0, ck_ring_stopped, NULL, 0 },

	/* --- the blk data path ----------------------------------------------- */
	{ "blk.read", "blk", "VIRTIO_BLK_T_IN of one sector: status OK, 512 bytes and the status byte used",
	  BLK "Device Operation", CK_MUST, B_IN, 0, 0, DEV_BLK, 0, ck_blk_io, "read", 0 },
	{ "blk.write-read-back", "blk", "VIRTIO_BLK_T_OUT then VIRTIO_BLK_T_IN returns what was written (then restored)",
	  BLK "Device Operation", CK_MUST, B_OUT, 0, 0, DEV_BLK, 0, ck_blk_io, "write", 0 },
	{ "blk.flush", "blk", "VIRTIO_BLK_T_FLUSH: status OK",
	  BLK "Device Operation", CK_MUST, B_STATUS, 0, F(9), DEV_BLK, 0, ck_blk_io, "flush", 0 },
	{ "blk.get-id", "blk", "VIRTIO_BLK_T_GET_ID: status OK and an id of at most 20 bytes",
	  BLK "Device Operation", CK_MUST, B_ID, 0, 0, DEV_BLK, 0, ck_blk_io, "id", 0 },
	{ "blk.zone-request-unsupported", "blk", "VIRTIO_BLK_T_ZONE_OPEN without VIRTIO_BLK_F_ZONED: status UNSUPP",
	  BLK "Device Requirements: Device Operation", CK_MUST, B_ZONED, 0, 0, DEV_BLK, 0, ck_blk_bad_request, "18", 0 },
	{ "blk.unknown-type-unsupported", "blk", "a request of unknown type 255: status UNSUPP",
	  BLK "Device Operation", CK_SHOULD, B_STATUS, 0, 0, DEV_BLK, 0, ck_blk_bad_request, "255", 0 },
	{ "blk.partial-sector-write", "blk", "VIRTIO_BLK_T_OUT of 100 bytes (not whole sectors): not status OK",
	  BLK "Device Operation", CK_SHOULD, B_OUT, 0, 0, DEV_BLK, 0, ck_blk_io, "partial", 0 },
	{ "blk.read-only-write", "blk", "VIRTIO_BLK_T_OUT with VIRTIO_BLK_F_RO offered: status IOERR",
	  BLK "Device Requirements: Device Operation", CK_MUST, B_RO, 0, F(5), DEV_BLK, 0, ck_blk_io, "ro", 0 },

	/* --- hostile rings: chains a driver must never make ------------------ */
	HR("loop", "a chain whose last descriptor points back at its head", V_LOOP),
	HR("outside", "a descriptor whose address is in no memory region", V_ADDR),
	HR("next-range", "a descriptor whose next is past the table (71 of 64)", V_TABLE),
	HR("head-range", "an available ring entry naming descriptor 67 of 64", V_HEAD),
	HR("indirect-len", "an indirect table of 24 bytes (not a multiple of 16)", V_INDIRECT_LEN),
	HR("nested-indirect", "an indirect table whose descriptor is itself INDIRECT", V_NESTED),
	HR("too-long", "a chain of 65 descriptors (in an indirect table) on a ring of 64", V_TOO_LONG),
	HR("idx-jump", "avail.idx moved by 69 on a ring of 64", V_QSIZE),

	/* --- device status ---------------------------------------------------- */
	{ "status.get-status-returns-set", "status", "GET_STATUS answers what SET_STATUS set (ACKNOWLEDGE|DRIVER|FEATURES_OK)",
	  VU "VHOST_USER_GET_STATUS", CK_MUST, S_GET_STATUS_WHEN, PF(PF_STATUS), 0, DEV_NONE, 0, ck_status_roundtrip,
	  "0xb", 0 },
	{ "status.get-status-after-reset", "status", "after SET_STATUS 0 (a reset), GET_STATUS answers 0",
	  VU "VHOST_USER_GET_STATUS", CK_MUST, S_GET_STATUS_WHEN, PF(PF_STATUS), 0, DEV_NONE, 0, ck_status_roundtrip,
	  "0", 0 },
	GATE("status", "without-feature", "GET_STATUS without VHOST_USER_PROTOCOL_F_STATUS negotiated is refused",
	     "VHOST_USER_GET_STATUS", S_GET_STATUS_WHEN, "acked:get-status"),

	/* --- the inflight area ------------------------------------------------ */
	{ "inflight.get-inflight-fd", "inflight", "GET_INFLIGHT_FD for 1 queue of 64 is answered with an fd and mmap_size > 0",
	  VU "VHOST_USER_GET_INFLIGHT_FD", CK_MUST, S_GET_INFLIGHT, PF(PF_INFLIGHT), 0, DEV_NONE, 0, ck_inflight_get,
	  NULL, 0 },
	GATE("inflight", "without-feature", "GET_INFLIGHT_FD without VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD negotiated is refused",
	     "VHOST_USER_GET_INFLIGHT_FD", S_GET_INFLIGHT, "owner:get-inflight-fd num_queues=1 queue_size=64"),
	RBG("inflight", "set-huge-queues", "SET_INFLIGHT_FD for 65535 queues with a 4 KiB area (CVE-2021-3839's shape)",
	    "owner:set-inflight-fd num_queues=65535 queue_size=64 mmap_size=4096", PF(PF_INFLIGHT)),
	RBG("inflight", "set-no-fd", "SET_INFLIGHT_FD without its fd",
	    "owner:raw SET_INFLIGHT_FD header-flags=0x9 payload=" INFLIGHT_1_64, PF(PF_INFLIGHT)),
	RBG("inflight", "get-extra-fds", "GET_INFLIGHT_FD with 2 fds attached, which it must close (CVE-2022-0669's shape)",
	    "owner:raw GET_INFLIGHT_FD payload=" INFLIGHT_1_64 " fds=2", PF(PF_INFLIGHT)),
	RBG("inflight", "get-huge", "GET_INFLIGHT_FD for 256 queues of 65535 entries (CVE-2020-10726's shape)",
	    "owner:get-inflight-fd num_queues=256 queue_size=65535", PF(PF_INFLIGHT)),

	/* --- device state ----------------------------------------------------- */
	GATE("device-state", "set-without-feature",
	     "SET_DEVICE_STATE_FD without VHOST_USER_PROTOCOL_F_DEVICE_STATE negotiated is refused",
	     "VHOST_USER_SET_DEVICE_STATE_FD", S_STATE_NEEDS, "mem:set-device-state-fd save"),
	GATE("device-state", "check-without-feature",
	     "CHECK_DEVICE_STATE without VHOST_USER_PROTOCOL_F_DEVICE_STATE negotiated is refused",
	     "VHOST_USER_CHECK_DEVICE_STATE", S_STATE_NEEDS, "mem:check-device-state"),
	{ "device-state.save", "device-state",
	  "a save while stopped: SET_DEVICE_STATE_FD succeeds, the state is read to EOF, CHECK_DEVICE_STATE 0",
	  VU "VHOST_USER_SET_DEVICE_STATE_FD", CK_MUST, S_STATE_FD, PF(PF_DEVICE_STATE), 0, DEV_NONE, 0,
	  ck_state_transfer, "save", 0 },
	{ "device-state.load", "device-state", "the state saved loads back: CHECK_DEVICE_STATE 0",
	  VU "VHOST_USER_CHECK_DEVICE_STATE", CK_MUST, S_STATE_CHECK, PF(PF_DEVICE_STATE), 0, DEV_NONE, 0,
	  ck_state_transfer, "load", 0 },

	{ "device-state.unknown-phase", "device-state", "SET_DEVICE_STATE_FD for phase 1, which does not exist, is refused",
	  VU "Migrating back-end state", CK_MUST, S_STATE_PHASE, PF(PF_DEVICE_STATE), 0, DEV_NONE, 0,
	  ck_refused_answered, "mem:set-device-state-fd save phase=1", 0 },

	/* --- the back-end channel --------------------------------------------- */
	{ "backend-req.without-feature", "backend-req",
	  "SET_BACKEND_REQ_FD without VHOST_USER_PROTOCOL_F_BACKEND_REQ negotiated is refused",
	  VU "VHOST_USER_SET_BACKEND_REQ_FD", CK_SHOULD, S_BACKEND_WHEN, ACK, 0, DEV_NONE, 0, ck_gating,
	  "owner:set-backend-req-fd", 0 },
	{ "backend-req.no-fd", "backend-req", "SET_BACKEND_REQ_FD without its socket fd is refused",
	  VU "VHOST_USER_SET_BACKEND_REQ_FD", CK_SHOULD, S_BACKEND_FD, ACK | PF(PF_BACKEND_REQ), 0, DEV_NONE, 0,
	  ck_refusal, "owner:raw SET_BACKEND_REQ_FD header-flags=0x9", CK_SURVIVE },

	/* --- the device IOTLB ------------------------------------------------- */
	{ "iotlb.msg-answered", "iotlb", "IOTLB_MSG (an update) is answered with a u64, NEED_REPLY set or not",
	  VU "VHOST_USER_IOTLB_MSG", CK_MUST, S_IOTLB, 0, F(33), DEV_NONE, 0, ck_iotlb_answered, NULL, 0 },

	/* --- the net data path ------------------------------------------------ */
	{ "net.tx-used", "net", "a frame made available on the transmit ring (1) is used",
	  VQ "Split Virtqueues", CK_MUST, V_USED, 0, 0, DEV_NET, 0, ck_net_tx, "enabled", 0 },
	{ "net.tx-used-while-disabled", "net", "a frame on the transmit ring, started but disabled, is still used (discarded)",
	  VU "Ring states", CK_MUST, S_NET_DISABLED, 0, F_PROTOCOL, DEV_NET, 0, ck_net_tx, "disabled", 0 },
	{ "net.queue-pairs-served", "net", "with GET_QUEUE_NUM 2 or more, a frame on queue pair 1 (ring 3) is used",
	  VU "VHOST_USER_GET_QUEUE_NUM", CK_MUST, S_QUEUE_NUM_MSG, PF(PF_MQ), 0, DEV_NET, 0, ck_net_queue_pairs, NULL, 0 },

	/* --- the fs data path ------------------------------------------------- */
	{ "fs.init", "fs", "FUSE_INIT on the request queue is answered: error 0, major 7",
	  FS "Device Initialization", CK_MUST, V_FS_INIT, 0, 0, DEV_FS, 0, ck_fs_init, "once", 0 },
	{ "fs.init-again", "fs", "a second FUSE_INIT starts a new session: answered, major 7",
	  FS "Device Operation", CK_MUST, V_FS_REINIT, 0, 0, DEV_FS, 0, ck_fs_init, "again", 0 },
	{ "fs.getattr-root", "fs", "GETATTR of the root (nodeid 1) on the request queue is answered",
	  FS "Device Operation", CK_MUST, V_FS_REQ, 0, 0, DEV_FS, 0, ck_fs_stat_root, NULL, 0 },

	/* --- robustness: malformed messages ---------------------------------- */
	RB("request-0", "request 0 (VHOST_USER_NONE)", "owner:raw 0", 0),
	RB("unknown-request", "an unknown request number (99)", "owner:raw 99", 0),
	RB("huge-request-number", "request number 0xffffffff", "owner:raw 0xffffffff", 0),
	RB("short-payload", "SET_VRING_NUM with 4 payload bytes instead of 8",
	   "owner:raw SET_VRING_NUM payload=00000000", 0),
	RB("long-payload", "GET_FEATURES with an 8-byte payload it does not take",
	   "owner:raw GET_FEATURES payload=0000000000000000", 0),
	RB("oversize-size-field", "a header announcing a 1 MiB payload, and none sent",
	   "owner:raw GET_FEATURES size=1048576 reply=no", 0),
	RB("version-0", "GET_FEATURES with version 0 in its flags", "owner:raw GET_FEATURES header-flags=0x0", 0),
	RB("reply-flag-on-request", "GET_FEATURES with the REPLY flag set", "owner:raw GET_FEATURES header-flags=0x5", 0),
	RB("fds-on-fdless-request", "GET_FEATURES with 2 fds attached", "owner:raw GET_FEATURES fds=2", 0),
	RB("too-many-fds", "SET_VRING_CALL with 3 fds", "owner:raw SET_VRING_CALL payload=0000000000000000 fds=3", 0),
	RB("missing-fd", "SET_VRING_KICK without an fd and without the NOFD bit",
	   "owner:raw SET_VRING_KICK payload=0000000000000000", 0),
	RB("nofd-with-fd", "SET_VRING_CALL with the NOFD bit and an fd",
	   "owner:raw SET_VRING_CALL payload=0001000000000000 fds=1", 0),
	RB("vring-index-truncated", "SET_VRING_NUM for ring 0x10000 (CVE-2020-10723's shape)",
	   "acked:raw SET_VRING_NUM payload=0000010040000000", 0),
	RB("vring-index-huge", "GET_VRING_BASE for ring 0xffffffff", "acked:raw GET_VRING_BASE payload=ffffffff00000000", 0),
	RB("vring-num-huge", "SET_VRING_NUM of 1048576 entries", "mem:raw SET_VRING_NUM payload=0000000000001000", 0),
	RB("mem-table-fd-count", "SET_MEM_TABLE of 2 regions with 1 fd",
	   "acked:mem add 1M;raw SET_MEM_TABLE payload=%T2 memfd=0", 0),
	RB("mem-table-nine-regions", "SET_MEM_TABLE claiming 9 regions with the bytes of one",
	   "acked:mem add 1M;raw SET_MEM_TABLE payload=%T9 memfd=0", 0),
	RB("get-config-oversize", "GET_CONFIG asking for 300 bytes with a 12-byte payload",
	   "proto:raw GET_CONFIG payload=000000002c01000000000000", PF(PF_CONFIG)),
	RB("set-features-short", "SET_FEATURES with 4 payload bytes instead of 8", "owner:raw SET_FEATURES payload=00000000", 0),
	RB("set-vring-addr-short", "SET_VRING_ADDR with 8 payload bytes instead of 40",
	   "mem:raw SET_VRING_ADDR payload=0000000000000000", 0),
	RB("mem-table-zero-regions", "SET_MEM_TABLE of 0 regions", "acked:raw SET_MEM_TABLE payload=0000000000000000", 0),
	RB("vring-enable-index-huge", "SET_VRING_ENABLE 1 for ring 0xffff",
	   "mem:raw SET_VRING_ENABLE payload=ffff000001000000", 0),
	RB("vring-base-index-huge", "SET_VRING_BASE for ring 0x10000", "mem:raw SET_VRING_BASE payload=0000010000000000", 0),
	RB("set-config-oversize", "SET_CONFIG announcing 300 bytes with 1 sent",
	   "proto:raw SET_CONFIG payload=000000002c0100000000000001", PF(PF_CONFIG)),
	RB("add-mem-reg-short", "ADD_MEM_REG with 8 payload bytes instead of 40, and its fd",
	   "acked:mem add 1M;raw ADD_MEM_REG payload=0000000000000000 memfd=0", PF(PF_MEM_SLOTS)),
	RB("log-base-overflow", "SET_LOG_BASE whose size and offset overflow (CVE-2020-10722's shape)",
	   "acked:mem add 1M;raw SET_LOG_BASE payload=0000ffffffffffff0000020000000000 memfd=0", PF(PF_LOG_SHMFD)),
};

static const struct ck_group groups[] = {
	{ "handshake", "handshake and feature negotiation" },
	{ "gating", "requests sent without their protocol feature" },
	{ "reply-ack", "REPLY_ACK on every request that allows it" },
	{ "config", "configuration space" },
	{ "memory", "memory table rules" },
	{ "rings", "ring set-up, enable and stop rules" },
	{ "blk", "the blk data path" },
	{ "rings-hostile", "chains a driver must never make: the back-end survives them" },
	{ "status", "device status (VHOST_USER_PROTOCOL_F_STATUS)" },
	{ "inflight", "the inflight area (VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD)" },
	{ "device-state", "device state transfer (VHOST_USER_PROTOCOL_F_DEVICE_STATE)" },
	{ "backend-req", "the back-end channel (VHOST_USER_PROTOCOL_F_BACKEND_REQ)" },
	{ "iotlb", "the device IOTLB (VIRTIO_F_IOMMU_PLATFORM)" },
	{ "net", "the net data path" },
	{ "fs", "the fs data path (FUSE)" },
	{ "robustness", "malformed messages: refused or closed, and the back-end survives" },
};

const struct ck_case *ck_cases(unsigned *n)
{
	*n = sizeof(cases) / sizeof(cases[0]);
	return cases;
}

const struct ck_group *ck_groups(unsigned *n)
{
	*n = sizeof(groups) / sizeof(groups[0]);
	return groups;
}

const char *ck_level_name(enum ck_level l)
{
	static const char *const names[] = { "MUST", "SHOULD", "MAY" };

	return names[l];
}

const char *ck_verdict_name(enum ck_verdict v)
{
	static const char *const names[CK_VERDICTS] = { "pass", "fail", "warn", "skip", "missing" };

	return names[v];
}
