/* proto.c - the request, payload and protocol-feature tables of vhost-user. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/proto.h"
#include "core/suggest.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Request payload size bounds, one per payload kind, used by the rows below. */
#define SZ_NONE		0, 0
#define SZ_U64		8, 8
#define SZ_STATE	8, 8
#define SZ_ADDR		40, 40
#define SZ_MEMTABLE	8, 8 + 32 * VHU_MEM_REGIONS_MAX
#define SZ_REGION	40, 48
#define SZ_LOG		16, 16
#define SZ_IOTLB	26, 32
#define SZ_CONFIG	12, 12 + VHU_CONFIG_MAX
#define SZ_AREA		24, 24
#define SZ_INFLIGHT	24, 24
#define SZ_SHARED	16, 16
#define SZ_DEVSTATE	8, 8
#define SZ_MMAP		40, 40
#define SZ_ANY		0, VHU_PAYLOAD_MAX

#define F(bit)	(bit)
#define NOF	(-1)

/* Front-end -> back-end requests, by number. Reply columns follow the
 * per-message text of the spec, not its short (incomplete) list. */
static const struct vhu_request frontend[] = {
	{ 1, "GET_FEATURES", NULL, SIDE_FRONTEND, PL_NONE, PL_FEATURES, FD_NONE, 0, REPLY_ALWAYS, SZ_NONE, NOF, NULL,
	  "virtio features the back-end offers", false },
	{ 2, "SET_FEATURES", NULL, SIDE_FRONTEND, PL_FEATURES, PL_NONE, FD_NONE, 0, REPLY_ACK_ONLY, SZ_U64, NOF, NULL,
	  "acknowledge virtio features", false },
	{ 3, "SET_OWNER", NULL, SIDE_FRONTEND, PL_NONE, PL_NONE, FD_NONE, 0, REPLY_ACK_ONLY, SZ_NONE, NOF, NULL,
	  "claim the back-end for this session", false },
	{ 4, "RESET_OWNER", NULL, SIDE_FRONTEND, PL_NONE, PL_NONE, FD_NONE, 0, REPLY_ACK_ONLY, SZ_NONE, NOF, NULL,
	  "deprecated: give up ownership", false },
	{ 5, "SET_MEM_TABLE", NULL, SIDE_FRONTEND, PL_MEM_TABLE, PL_NONE, FD_PER_REGION, 0, REPLY_ACK_ONLY, SZ_MEMTABLE, NOF, NULL,
	  "share guest memory regions, one fd each", false },
	{ 6, "SET_LOG_BASE", NULL, SIDE_FRONTEND, PL_LOG, PL_SET_LOG_REPLY, FD_OPTIONAL, 0, REPLY_IF_LOG_SHMFD, SZ_LOG, F(1), NULL,
	  "share the dirty-log area", false },
	{ 7, "SET_LOG_FD", NULL, SIDE_FRONTEND, PL_NONE, PL_NONE, FD_ONE, 0, REPLY_ACK_ONLY, SZ_NONE, NOF, NULL,
	  "eventfd signalled after dirty-log updates", false },
	{ 8, "SET_VRING_NUM", NULL, SIDE_FRONTEND, PL_VRING_STATE, PL_NONE, FD_NONE, 0, REPLY_ACK_ONLY, SZ_STATE, NOF, "num",
	  "set a ring's size", false },
	{ 9, "SET_VRING_ADDR", NULL, SIDE_FRONTEND, PL_VRING_ADDR, PL_NONE, FD_NONE, 0, REPLY_ACK_ONLY, SZ_ADDR, NOF, NULL,
	  "set a ring's descriptor, used and avail addresses", false },
	{ 10, "SET_VRING_BASE", NULL, SIDE_FRONTEND, PL_VRING_STATE, PL_NONE, FD_NONE, 0, REPLY_ACK_ONLY, SZ_STATE, NOF, "base",
	  "set a ring's next available index", false },
	{ 11, "GET_VRING_BASE", NULL, SIDE_FRONTEND, PL_VRING_STATE, PL_VRING_STATE, FD_NONE, 0, REPLY_ALWAYS, SZ_STATE, NOF, NULL,
	  "stop a ring and return its index", false },
	{ 12, "SET_VRING_KICK", NULL, SIDE_FRONTEND, PL_VRING_FD, PL_NONE, FD_ONE_UNLESS_NOFD, 0, REPLY_ACK_ONLY, SZ_U64, NOF, NULL,
	  "give a ring its kick eventfd", false },
	{ 13, "SET_VRING_CALL", NULL, SIDE_FRONTEND, PL_VRING_FD, PL_NONE, FD_ONE_UNLESS_NOFD, 0, REPLY_ACK_ONLY, SZ_U64, NOF, NULL,
	  "give a ring its call eventfd", false },
	{ 14, "SET_VRING_ERR", NULL, SIDE_FRONTEND, PL_VRING_FD, PL_NONE, FD_ONE_UNLESS_NOFD, 0, REPLY_ACK_ONLY, SZ_U64, NOF, NULL,
	  "give a ring its error eventfd", false },
	{ 15, "GET_PROTOCOL_FEATURES", NULL, SIDE_FRONTEND, PL_NONE, PL_PROTOCOL_FEATURES, FD_NONE, 0, REPLY_ALWAYS, SZ_NONE, NOF, NULL,
	  "protocol features the back-end offers", false },
	{ 16, "SET_PROTOCOL_FEATURES", NULL, SIDE_FRONTEND, PL_PROTOCOL_FEATURES, PL_NONE, FD_NONE, 0, REPLY_ACK_ONLY, SZ_U64, NOF, NULL,
	  "acknowledge protocol features", false },
	{ 17, "GET_QUEUE_NUM", NULL, SIDE_FRONTEND, PL_NONE, PL_U64, FD_NONE, 0, REPLY_ALWAYS, SZ_NONE, F(0), NULL,
	  "most queues the back-end supports", false },
	{ 18, "SET_VRING_ENABLE", NULL, SIDE_FRONTEND, PL_VRING_STATE, PL_NONE, FD_NONE, 0, REPLY_ACK_ONLY, SZ_STATE, NOF, "enable",
	  "enable (1) or disable (0) a ring", false },
	{ 19, "SEND_RARP", NULL, SIDE_FRONTEND, PL_MAC, PL_NONE, FD_NONE, 0, REPLY_ACK_ONLY, SZ_U64, F(2), NULL,
	  "ask a net back-end to announce a MAC", false },
	{ 20, "NET_SET_MTU", NULL, SIDE_FRONTEND, PL_U64, PL_NONE, FD_NONE, 0, REPLY_ACK_ONLY, SZ_U64, F(4), "mtu",
	  "tell a net back-end the MTU", false },
	{ 21, "SET_BACKEND_REQ_FD", "SET_SLAVE_REQ_FD", SIDE_FRONTEND, PL_NONE, PL_NONE, FD_ONE, 0, REPLY_ACK_ONLY, SZ_NONE, F(5), NULL,
	  "give the back-end a socket for its own requests", false },
	{ 22, "IOTLB_MSG", NULL, SIDE_FRONTEND, PL_IOTLB, PL_U64, FD_NONE, 0, REPLY_ALWAYS, SZ_IOTLB, NOF, NULL,
	  "IOTLB update or invalidation", true },
	{ 23, "SET_VRING_ENDIAN", NULL, SIDE_FRONTEND, PL_VRING_STATE, PL_NONE, FD_NONE, 0, REPLY_ACK_ONLY, SZ_STATE, F(6), "endian",
	  "set a legacy ring's endianness (0 little, 1 big)", false },
	{ 24, "GET_CONFIG", NULL, SIDE_FRONTEND, PL_CONFIG, PL_CONFIG, FD_NONE, 0, REPLY_ALWAYS, SZ_CONFIG, F(9), NULL,
	  "read device configuration space", false },
	{ 25, "SET_CONFIG", NULL, SIDE_FRONTEND, PL_CONFIG, PL_NONE, FD_NONE, 0, REPLY_ACK_ONLY, SZ_CONFIG, F(9), NULL,
	  "write device configuration space", false },
	{ 26, "CREATE_CRYPTO_SESSION", NULL, SIDE_FRONTEND, PL_CRYPTO, PL_CRYPTO, FD_NONE, 0, REPLY_ALWAYS, SZ_ANY, F(7), NULL,
	  "create a crypto session (opaque, QEMU layout)", false },
	{ 27, "CLOSE_CRYPTO_SESSION", NULL, SIDE_FRONTEND, PL_U64, PL_NONE, FD_NONE, 0, REPLY_ACK_ONLY, SZ_U64, F(7), "session",
	  "close a crypto session", false },
	{ 28, "POSTCOPY_ADVISE", NULL, SIDE_FRONTEND, PL_NONE, PL_NONE, FD_NONE, 1, REPLY_ALWAYS, SZ_NONE, F(8), NULL,
	  "prepare for postcopy; reply carries a userfaultfd", false },
	{ 29, "POSTCOPY_LISTEN", NULL, SIDE_FRONTEND, PL_NONE, PL_NONE, FD_NONE, 0, REPLY_ACK_ONLY, SZ_NONE, F(8), NULL,
	  "enter postcopy listening", false },
	{ 30, "POSTCOPY_END", NULL, SIDE_FRONTEND, PL_NONE, PL_U64, FD_NONE, 0, REPLY_ALWAYS, SZ_NONE, F(8), NULL,
	  "leave postcopy", false },
	{ 31, "GET_INFLIGHT_FD", NULL, SIDE_FRONTEND, PL_INFLIGHT, PL_INFLIGHT, FD_NONE, 1, REPLY_ALWAYS, SZ_INFLIGHT, F(12), NULL,
	  "get the shared inflight-tracking area", false },
	{ 32, "SET_INFLIGHT_FD", NULL, SIDE_FRONTEND, PL_INFLIGHT, PL_NONE, FD_ONE, 0, REPLY_ACK_ONLY, SZ_INFLIGHT, F(12), NULL,
	  "hand the inflight-tracking area back", false },
	{ 33, "GPU_SET_SOCKET", NULL, SIDE_FRONTEND, PL_NONE, PL_NONE, FD_ONE, 0, REPLY_ACK_ONLY, SZ_NONE, NOF, NULL,
	  "give a gpu back-end its vhost-user-gpu socket", false },
	{ 34, "RESET_DEVICE", NULL, SIDE_FRONTEND, PL_NONE, PL_NONE, FD_NONE, 0, REPLY_ACK_ONLY, SZ_NONE, F(13), NULL,
	  "reset the device", false },
	{ 35, "VRING_KICK", NULL, SIDE_FRONTEND, PL_VRING_STATE, PL_NONE, FD_NONE, 0, REPLY_ACK_ONLY, SZ_STATE, F(14), NULL,
	  "in-band kick of a ring", false },
	{ 36, "GET_MAX_MEM_SLOTS", NULL, SIDE_FRONTEND, PL_NONE, PL_U64, FD_NONE, 0, REPLY_ALWAYS, SZ_NONE, F(15), NULL,
	  "most memory regions the back-end accepts", false },
	{ 37, "ADD_MEM_REG", NULL, SIDE_FRONTEND, PL_MEM_REGION, PL_NONE, FD_ONE, 0, REPLY_ACK_ONLY, SZ_REGION, F(15), NULL,
	  "share one memory region", false },
	{ 38, "REM_MEM_REG", NULL, SIDE_FRONTEND, PL_MEM_REGION, PL_NONE, FD_OPTIONAL, 0, REPLY_ACK_ONLY, SZ_REGION, F(15), NULL,
	  "withdraw one memory region", false },
	{ 39, "SET_STATUS", NULL, SIDE_FRONTEND, PL_STATUS, PL_NONE, FD_NONE, 0, REPLY_ACK_ONLY, SZ_U64, F(16), NULL,
	  "set the virtio device status", false },
	{ 40, "GET_STATUS", NULL, SIDE_FRONTEND, PL_NONE, PL_STATUS, FD_NONE, 0, REPLY_ALWAYS, SZ_NONE, F(16), NULL,
	  "read the virtio device status", false },
	{ 41, "GET_SHARED_OBJECT", NULL, SIDE_FRONTEND, PL_SHARED, PL_U64, FD_NONE, 1, REPLY_ALWAYS, SZ_SHARED, F(18), NULL,
	  "get the dma-buf of a shared object by UUID", false },
	{ 42, "SET_DEVICE_STATE_FD", NULL, SIDE_FRONTEND, PL_DEVSTATE, PL_U64, FD_ONE, 1, REPLY_ALWAYS, SZ_DEVSTATE, F(19), NULL,
	  "open a device-state transfer pipe", false },
	{ 43, "CHECK_DEVICE_STATE", NULL, SIDE_FRONTEND, PL_NONE, PL_U64, FD_NONE, 0, REPLY_ALWAYS, SZ_NONE, F(19), NULL,
	  "check the outcome of a device-state transfer", false },
	{ 44, "GET_SHMEM_CONFIG", NULL, SIDE_FRONTEND, PL_NONE, PL_SHMEM_CONFIG, FD_NONE, 0, REPLY_ALWAYS, SZ_NONE, F(22), NULL,
	  "shared memory regions of the device", false },
};

/* Back-end -> front-end requests on the back-end channel. */
static const struct vhu_request backend[] = {
	{ 1, "BACKEND_IOTLB_MSG", "SLAVE_IOTLB_MSG", SIDE_BACKEND, PL_IOTLB, PL_NONE, FD_NONE, 0, REPLY_ACK_ONLY, SZ_IOTLB, F(5), NULL,
	  "IOTLB miss or access failure", false },
	{ 2, "BACKEND_CONFIG_CHANGE_MSG", "SLAVE_CONFIG_CHANGE_MSG", SIDE_BACKEND, PL_NONE, PL_NONE, FD_NONE, 0, REPLY_ACK_ONLY, SZ_NONE, F(9), NULL,
	  "device configuration changed", false },
	{ 3, "BACKEND_VRING_HOST_NOTIFIER_MSG", "SLAVE_VRING_HOST_NOTIFIER_MSG", SIDE_BACKEND, PL_VRING_AREA, PL_NONE, FD_OPTIONAL, 0, REPLY_ACK_ONLY, SZ_AREA, F(11), NULL,
	  "map (or unmap) a host notifier area", false },
	{ 4, "BACKEND_VRING_CALL", NULL, SIDE_BACKEND, PL_VRING_STATE, PL_NONE, FD_NONE, 0, REPLY_ACK_ONLY, SZ_STATE, F(14), NULL,
	  "in-band call notification", false },
	{ 5, "BACKEND_VRING_ERR", NULL, SIDE_BACKEND, PL_VRING_STATE, PL_NONE, FD_NONE, 0, REPLY_ACK_ONLY, SZ_STATE, F(14), NULL,
	  "in-band error notification", false },
	{ 6, "BACKEND_SHARED_OBJECT_ADD", NULL, SIDE_BACKEND, PL_SHARED, PL_NONE, FD_NONE, 0, REPLY_ACK_ONLY, SZ_SHARED, F(18), NULL,
	  "export a shared object", false },
	{ 7, "BACKEND_SHARED_OBJECT_REMOVE", NULL, SIDE_BACKEND, PL_SHARED, PL_NONE, FD_NONE, 0, REPLY_ACK_ONLY, SZ_SHARED, F(18), NULL,
	  "withdraw a shared object", false },
	{ 8, "BACKEND_SHARED_OBJECT_LOOKUP", NULL, SIDE_BACKEND, PL_SHARED, PL_U64, FD_NONE, 1, REPLY_ALWAYS, SZ_SHARED, F(18), NULL,
	  "look up a shared object by UUID", false },
	{ 9, "BACKEND_SHMEM_MAP", NULL, SIDE_BACKEND, PL_MMAP, PL_NONE, FD_ONE, 0, REPLY_ACK_ONLY, SZ_MMAP, F(22), NULL,
	  "map an fd into a shared memory region", false },
	{ 10, "BACKEND_SHMEM_UNMAP", NULL, SIDE_BACKEND, PL_MMAP, PL_NONE, FD_NONE, 0, REPLY_ACK_ONLY, SZ_MMAP, F(22), NULL,
	  "unmap part of a shared memory region", false },
};

static const struct vhu_proto_feature pfeatures[] = {
	{ 0, "MQ", NULL },
	{ 1, "LOG_SHMFD", NULL },
	{ 2, "RARP", NULL },
	{ 3, "REPLY_ACK", NULL },
	{ 4, "NET_MTU", "MTU" },
	{ 5, "BACKEND_REQ", "SLAVE_REQ" },
	{ 6, "CROSS_ENDIAN", NULL },
	{ 7, "CRYPTO_SESSION", NULL },
	{ 8, "PAGEFAULT", NULL },
	{ 9, "CONFIG", NULL },
	{ 10, "BACKEND_SEND_FD", "SLAVE_SEND_FD" },
	{ 11, "HOST_NOTIFIER", NULL },
	{ 12, "INFLIGHT_SHMFD", NULL },
	{ 13, "RESET_DEVICE", NULL },
	{ 14, "INBAND_NOTIFICATIONS", NULL },
	{ 15, "CONFIGURE_MEM_SLOTS", NULL },
	{ 16, "STATUS", NULL },
	{ 17, "XEN_MMAP", NULL },
	{ 18, "SHARED_OBJECT", NULL },
	{ 19, "DEVICE_STATE", NULL },
	{ 20, "GET_VRING_BASE_INFLIGHT", NULL },
	{ 21, "GPA_ADDRESSES", NULL },
	{ 22, "SHMEM", "SHMEM_MAP" },
};

static const char *const payload_names[PL_KIND_COUNT] = {
	[PL_NONE] = "no",
	[PL_U64] = "u64",
	[PL_FEATURES] = "features",
	[PL_PROTOCOL_FEATURES] = "protocol features",
	[PL_STATUS] = "device status",
	[PL_VRING_FD] = "vring fd",
	[PL_MAC] = "MAC address",
	[PL_VRING_STATE] = "vring state",
	[PL_VRING_ADDR] = "vring address",
	[PL_MEM_TABLE] = "memory table",
	[PL_MEM_REGION] = "single memory region",
	[PL_LOG] = "log",
	[PL_IOTLB] = "IOTLB message",
	[PL_CONFIG] = "device config",
	[PL_VRING_AREA] = "vring area",
	[PL_INFLIGHT] = "inflight description",
	[PL_SHARED] = "shared object",
	[PL_DEVSTATE] = "device state transfer",
	[PL_MMAP] = "shmem map",
	[PL_SHMEM_CONFIG] = "shmem config",
	[PL_CRYPTO] = "crypto session",
	[PL_SET_LOG_REPLY] = "log base reply",
	[PL_OPAQUE] = "opaque bytes",
};

const struct vhu_request *proto_requests(enum vhu_side side, unsigned *n)
{
	if (side == SIDE_BACKEND) {
		*n = ARRAY_SIZE(backend);
		return backend;
	}
	*n = ARRAY_SIZE(frontend);
	return frontend;
}

const struct vhu_request *proto_request(enum vhu_side side, uint32_t num)
{
	unsigned n;
	const struct vhu_request *t = proto_requests(side, &n);

	/* The tables are dense and ordered: row i holds number i + 1. */
	if (num == 0 || num > n)
		return NULL;
	return &t[num - 1];
}

/* Compare a user spelling with a spec name: case-insensitive, '-' == '_'. */
static int name_eq(const char *user, const char *spec)
{
	for (; *user && *spec; user++, spec++) {
		char a = *user == '-' ? '_' : *user;

		if (tolower((unsigned char)a) != tolower((unsigned char)*spec))
			return 0;
	}
	return *user == *spec;
}

static const char *skip_prefix_ci(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncasecmp(s, prefix, n) == 0 ? s + n : s;
}

const struct vhu_request *proto_request_by_name(enum vhu_side side, const char *name)
{
	unsigned n;
	const struct vhu_request *t = proto_requests(side, &n);

	name = skip_prefix_ci(name, "VHOST_USER_");
	for (unsigned i = 0; i < n; i++) {
		if (name_eq(name, t[i].name) ||
		    (t[i].old_name && name_eq(name, t[i].old_name)))
			return &t[i];
	}
	return NULL;
}

const char *proto_cli_name(const struct vhu_request *r, char *buf, unsigned len)
{
	unsigned i;

	for (i = 0; i + 1 < len && r->name[i]; i++) {
		char c = r->name[i];

		buf[i] = c == '_' ? '-' : (char)tolower((unsigned char)c);
	}
	buf[i] = '\0';
	return buf;
}

const struct vhu_proto_feature *proto_features(unsigned *n)
{
	*n = ARRAY_SIZE(pfeatures);
	return pfeatures;
}

const struct vhu_proto_feature *proto_feature_by_bit(unsigned bit)
{
	return bit < ARRAY_SIZE(pfeatures) ? &pfeatures[bit] : NULL;
}

int proto_feature_by_name(const char *name)
{
	name = skip_prefix_ci(name, "VHOST_USER_PROTOCOL_F_");
	for (unsigned i = 0; i < ARRAY_SIZE(pfeatures); i++) {
		if (name_eq(name, pfeatures[i].name) ||
		    (pfeatures[i].alias && name_eq(name, pfeatures[i].alias)))
			return (int)pfeatures[i].bit;
	}
	return -1;
}

const char *proto_feature_suggest(const char *name)
{
	struct suggest sg;

	name = skip_prefix_ci(name, "VHOST_USER_PROTOCOL_F_");
	suggest_init(&sg, name, strlen(name));
	for (unsigned i = 0; i < ARRAY_SIZE(pfeatures); i++) {
		suggest_add(&sg, NULL, pfeatures[i].name);
		if (pfeatures[i].alias)
			suggest_add(&sg, pfeatures[i].alias, pfeatures[i].name);
	}
	return suggest_best(&sg);
}

const char *proto_payload_name(enum vhu_payload k)
{
	return (unsigned)k < PL_KIND_COUNT ? payload_names[k] : "unknown";
}

void proto_payload_bounds(enum vhu_payload k, uint32_t *min, uint32_t *max)
{
	static const uint32_t b[PL_KIND_COUNT][2] = {
		[PL_NONE] = { SZ_NONE },
		[PL_U64] = { SZ_U64 },
		[PL_FEATURES] = { SZ_U64 },
		[PL_PROTOCOL_FEATURES] = { SZ_U64 },
		[PL_STATUS] = { SZ_U64 },
		[PL_VRING_FD] = { SZ_U64 },
		[PL_MAC] = { SZ_U64 },
		[PL_VRING_STATE] = { SZ_STATE },
		[PL_VRING_ADDR] = { SZ_ADDR },
		[PL_MEM_TABLE] = { SZ_MEMTABLE },
		[PL_MEM_REGION] = { SZ_REGION },
		[PL_LOG] = { SZ_LOG },
		[PL_IOTLB] = { SZ_IOTLB },
		[PL_CONFIG] = { SZ_CONFIG },
		[PL_VRING_AREA] = { SZ_AREA },
		[PL_INFLIGHT] = { SZ_INFLIGHT },
		[PL_SHARED] = { SZ_SHARED },
		[PL_DEVSTATE] = { SZ_DEVSTATE },
		[PL_MMAP] = { SZ_MMAP },
		[PL_SHMEM_CONFIG] = { 8, 8 + 8 * 256 },
		[PL_CRYPTO] = { SZ_ANY },
		[PL_SET_LOG_REPLY] = { 0, 8 },
		[PL_OPAQUE] = { SZ_ANY },
	};

	if ((unsigned)k >= PL_KIND_COUNT)
		k = PL_OPAQUE;
	*min = b[k][0];
	*max = b[k][1];
}

int proto_payload_size(enum vhu_payload k)
{
	uint32_t min, max;

	proto_payload_bounds(k, &min, &max);
	return min == max ? (int)min : -1;
}
