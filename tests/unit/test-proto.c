/* test-proto.c - unit tests for the request and protocol-feature tables against the spec digest. */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "core/proto.h"
#include "../tap.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Row I is request I + 1 (docs: vhost-user.md A.2, A.3). A literal copy of
 * the digest, so that a slip in src/core/proto.c cannot also be a slip here. */
struct expect {
	const char *name;
	enum vhu_reply_policy reply;
	enum vhu_fd_policy fds;
	unsigned reply_fds_max;
};

#define ALWAYS	REPLY_ALWAYS
#define ACK	REPLY_ACK_ONLY

static const struct expect frontend_want[VHU_FRONTEND_REQ_MAX] = {
	{ "GET_FEATURES", ALWAYS, FD_NONE, 0 },			/* 1 */
	{ "SET_FEATURES", ACK, FD_NONE, 0 },			/* 2 */
	{ "SET_OWNER", ACK, FD_NONE, 0 },			/* 3 */
	{ "RESET_OWNER", ACK, FD_NONE, 0 },			/* 4 */
	{ "SET_MEM_TABLE", ACK, FD_PER_REGION, 0 },		/* 5 */
	{ "SET_LOG_BASE", REPLY_IF_LOG_SHMFD, FD_OPTIONAL, 0 },	/* 6 */
	{ "SET_LOG_FD", ACK, FD_ONE, 0 },			/* 7 */
	{ "SET_VRING_NUM", ACK, FD_NONE, 0 },			/* 8 */
	{ "SET_VRING_ADDR", ACK, FD_NONE, 0 },			/* 9 */
	{ "SET_VRING_BASE", ACK, FD_NONE, 0 },			/* 10 */
	{ "GET_VRING_BASE", ALWAYS, FD_NONE, 0 },		/* 11 */
	{ "SET_VRING_KICK", ACK, FD_ONE_UNLESS_NOFD, 0 },	/* 12 */
	{ "SET_VRING_CALL", ACK, FD_ONE_UNLESS_NOFD, 0 },	/* 13 */
	{ "SET_VRING_ERR", ACK, FD_ONE_UNLESS_NOFD, 0 },	/* 14 */
	{ "GET_PROTOCOL_FEATURES", ALWAYS, FD_NONE, 0 },	/* 15 */
	{ "SET_PROTOCOL_FEATURES", ACK, FD_NONE, 0 },		/* 16 */
	{ "GET_QUEUE_NUM", ALWAYS, FD_NONE, 0 },		/* 17 */
	{ "SET_VRING_ENABLE", ACK, FD_NONE, 0 },		/* 18 */
	{ "SEND_RARP", ACK, FD_NONE, 0 },			/* 19 */
	{ "NET_SET_MTU", ACK, FD_NONE, 0 },			/* 20 */
	{ "SET_BACKEND_REQ_FD", ACK, FD_ONE, 0 },		/* 21 */
	{ "IOTLB_MSG", ALWAYS, FD_NONE, 0 },			/* 22 */
	{ "SET_VRING_ENDIAN", ACK, FD_NONE, 0 },		/* 23 */
	{ "GET_CONFIG", ALWAYS, FD_NONE, 0 },			/* 24 */
	{ "SET_CONFIG", ACK, FD_NONE, 0 },			/* 25 */
	{ "CREATE_CRYPTO_SESSION", ALWAYS, FD_NONE, 0 },	/* 26 */
	{ "CLOSE_CRYPTO_SESSION", ACK, FD_NONE, 0 },		/* 27 */
	{ "POSTCOPY_ADVISE", ALWAYS, FD_NONE, 1 },		/* 28 */
	{ "POSTCOPY_LISTEN", ACK, FD_NONE, 0 },			/* 29 */
	{ "POSTCOPY_END", ALWAYS, FD_NONE, 0 },			/* 30 */
	{ "GET_INFLIGHT_FD", ALWAYS, FD_NONE, 1 },		/* 31 */
	{ "SET_INFLIGHT_FD", ACK, FD_ONE, 0 },			/* 32 */
	{ "GPU_SET_SOCKET", ACK, FD_ONE, 0 },			/* 33 */
	{ "RESET_DEVICE", ACK, FD_NONE, 0 },			/* 34 */
	{ "VRING_KICK", ACK, FD_NONE, 0 },			/* 35 */
	{ "GET_MAX_MEM_SLOTS", ALWAYS, FD_NONE, 0 },		/* 36 */
	{ "ADD_MEM_REG", ACK, FD_ONE, 0 },			/* 37 */
	{ "REM_MEM_REG", ACK, FD_OPTIONAL, 0 },			/* 38 */
	{ "SET_STATUS", ACK, FD_NONE, 0 },			/* 39 */
	{ "GET_STATUS", ALWAYS, FD_NONE, 0 },			/* 40 */
	{ "GET_SHARED_OBJECT", ALWAYS, FD_NONE, 1 },		/* 41 */
	{ "SET_DEVICE_STATE_FD", ALWAYS, FD_ONE, 1 },		/* 42 */
	{ "CHECK_DEVICE_STATE", ALWAYS, FD_NONE, 0 },		/* 43 */
	{ "GET_SHMEM_CONFIG", ALWAYS, FD_NONE, 0 },		/* 44 */
};

static const struct expect backend_want[VHU_BACKEND_REQ_MAX] = {
	{ "BACKEND_IOTLB_MSG", ACK, FD_NONE, 0 },		/* 1 */
	{ "BACKEND_CONFIG_CHANGE_MSG", ACK, FD_NONE, 0 },	/* 2 */
	{ "BACKEND_VRING_HOST_NOTIFIER_MSG", ACK, FD_OPTIONAL, 0 }, /* 3 */
	{ "BACKEND_VRING_CALL", ACK, FD_NONE, 0 },		/* 4 */
	{ "BACKEND_VRING_ERR", ACK, FD_NONE, 0 },		/* 5 */
	{ "BACKEND_SHARED_OBJECT_ADD", ACK, FD_NONE, 0 },	/* 6 */
	{ "BACKEND_SHARED_OBJECT_REMOVE", ACK, FD_NONE, 0 },	/* 7 */
	{ "BACKEND_SHARED_OBJECT_LOOKUP", ALWAYS, FD_NONE, 1 },	/* 8 */
	{ "BACKEND_SHMEM_MAP", ACK, FD_ONE, 0 },		/* 9 */
	{ "BACKEND_SHMEM_UNMAP", ACK, FD_NONE, 0 },		/* 10 */
};

static const char *side_name(enum vhu_side side)
{
	return side == SIDE_FRONTEND ? "front-end" : "back-end";
}

/* Every number 1..max has a row with that number, a name and a summary. */
static void test_dense(enum vhu_side side, uint32_t max)
{
	unsigned n;
	int all_ok = 1;

	proto_requests(side, &n);
	tap_is_int(n, max, "%s table has %u rows", side_name(side), max);
	for (uint32_t i = 1; i <= max; i++) {
		const struct vhu_request *r = proto_request(side, i);

		if (!r || r->num != i || r->side != side || !r->name || !r->name[0] ||
		    !r->summary || !r->summary[0]) {
			all_ok = 0;
			printf("# %s request %u: row missing or incomplete\n", side_name(side), i);
		}
	}
	tap_ok(all_ok, "%s requests 1..%u resolve to complete rows", side_name(side), max);
	tap_ok(proto_request(side, 0) == NULL, "%s request 0 is not a request", side_name(side));
	tap_ok(proto_request(side, max + 1) == NULL, "%s request %u is unknown",
	       side_name(side), max + 1);
	tap_ok(proto_request(side, UINT32_MAX) == NULL, "%s request 0xffffffff is unknown",
	       side_name(side));
}

/* No two rows share a name or an old name (case-insensitive, as lookups are). */
static void test_unique(enum vhu_side side)
{
	unsigned n;
	const struct vhu_request *t = proto_requests(side, &n);
	int unique = 1;

	for (unsigned i = 0; i < n; i++) {
		const char *a[2] = { t[i].name, t[i].old_name };

		for (unsigned j = i + 1; j < n; j++) {
			const char *b[2] = { t[j].name, t[j].old_name };

			for (unsigned x = 0; x < 2; x++)
				for (unsigned y = 0; y < 2; y++)
					if (a[x] && b[y] && strcasecmp(a[x], b[y]) == 0) {
						unique = 0;
						printf("# duplicate name %s (rows %u, %u)\n",
						       a[x], t[i].num, t[j].num);
					}
		}
		if (t[i].old_name && strcasecmp(t[i].name, t[i].old_name) == 0)
			unique = 0;
	}
	tap_ok(unique, "%s request names are unique", side_name(side));
}

/* Every row's own name finds that row again. */
static void test_roundtrip(enum vhu_side side)
{
	unsigned n;
	const struct vhu_request *t = proto_requests(side, &n);
	int ok = 1;
	char buf[48];

	for (unsigned i = 0; i < n; i++) {
		if (proto_request_by_name(side, t[i].name) != &t[i])
			ok = 0;
		if (t[i].old_name && proto_request_by_name(side, t[i].old_name) != &t[i])
			ok = 0;
		if (proto_request_by_name(side, proto_cli_name(&t[i], buf, sizeof(buf))) != &t[i])
			ok = 0;
	}
	tap_ok(ok, "%s names, old names and CLI names round-trip", side_name(side));
}

static uint32_t num_of(const struct vhu_request *r)
{
	return r ? r->num : 0;
}

static void test_by_name(void)
{
	char buf[48];
	const struct vhu_request *r;

	tap_is_int(num_of(proto_request_by_name(SIDE_FRONTEND, "GET_FEATURES")), 1, "GET_FEATURES");
	tap_is_int(num_of(proto_request_by_name(SIDE_FRONTEND, "get-features")), 1, "get-features");
	tap_is_int(num_of(proto_request_by_name(SIDE_FRONTEND, "VHOST_USER_GET_FEATURES")), 1,
		   "VHOST_USER_GET_FEATURES");
	tap_is_int(num_of(proto_request_by_name(SIDE_FRONTEND, "get_features")), 1, "get_features");
	tap_is_int(num_of(proto_request_by_name(SIDE_FRONTEND, "vhost_user_get_features")), 1,
		   "vhost_user_get_features");
	tap_is_int(num_of(proto_request_by_name(SIDE_FRONTEND, "Set-Vring-Addr")), 9,
		   "mixed case with dashes");
	tap_is_int(num_of(proto_request_by_name(SIDE_FRONTEND, "SET_SLAVE_REQ_FD")), 21,
		   "old name SET_SLAVE_REQ_FD");
	tap_is_int(num_of(proto_request_by_name(SIDE_FRONTEND, "set-slave-req-fd")), 21,
		   "old name as set-slave-req-fd");
	tap_is_int(num_of(proto_request_by_name(SIDE_FRONTEND, "SET_BACKEND_REQ_FD")), 21,
		   "SET_BACKEND_REQ_FD");
	tap_is_int(num_of(proto_request_by_name(SIDE_BACKEND, "SLAVE_IOTLB_MSG")), 1,
		   "old name SLAVE_IOTLB_MSG on the back-end side");
	tap_is_int(num_of(proto_request_by_name(SIDE_BACKEND, "VHOST_USER_SLAVE_IOTLB_MSG")), 1,
		   "VHOST_USER_SLAVE_IOTLB_MSG");
	tap_is_int(num_of(proto_request_by_name(SIDE_BACKEND, "backend-shmem-unmap")), 10,
		   "backend-shmem-unmap");

	tap_ok(proto_request_by_name(SIDE_FRONTEND, "GET_FEATURE") == NULL, "GET_FEATURE rejected");
	tap_ok(proto_request_by_name(SIDE_FRONTEND, "GET_FEATURESS") == NULL, "GET_FEATURESS rejected");
	tap_ok(proto_request_by_name(SIDE_FRONTEND, "") == NULL, "empty name rejected");
	tap_ok(proto_request_by_name(SIDE_FRONTEND, "VHOST_USER_") == NULL, "bare prefix rejected");
	tap_ok(proto_request_by_name(SIDE_FRONTEND, "NONE") == NULL, "NONE (0) rejected");
	tap_ok(proto_request_by_name(SIDE_FRONTEND, "SLAVE_IOTLB_MSG") == NULL,
	       "back-end name not found on the front-end side");
	tap_ok(proto_request_by_name(SIDE_BACKEND, "GET_FEATURES") == NULL,
	       "front-end name not found on the back-end side");
	tap_ok(proto_request_by_name(SIDE_FRONTEND, "get features") == NULL, "space is not a dash");

	r = proto_request(SIDE_FRONTEND, 9);
	tap_is_str(r ? proto_cli_name(r, buf, sizeof(buf)) : NULL, "set-vring-addr",
		   "CLI name of SET_VRING_ADDR");
	r = proto_request(SIDE_BACKEND, 3);
	tap_is_str(r ? proto_cli_name(r, buf, sizeof(buf)) : NULL,
		   "backend-vring-host-notifier-msg", "CLI name of the longest back-end name");
	r = proto_request(SIDE_FRONTEND, 1);
	tap_is_str(r ? proto_cli_name(r, buf, 4) : NULL, "get", "CLI name truncated to the buffer");
}

/* The digest's "always" column, as a plain list. */
static void test_always(void)
{
	static const uint32_t always[] = {
		1, 11, 15, 17, 22, 24, 26, 28, 30, 31, 36, 40, 41, 42, 43, 44,
	};
	int ok = 1;

	for (uint32_t i = 1; i <= VHU_FRONTEND_REQ_MAX; i++) {
		const struct vhu_request *r = proto_request(SIDE_FRONTEND, i);
		enum vhu_reply_policy want = REPLY_ACK_ONLY;

		for (unsigned j = 0; j < ARRAY_SIZE(always); j++)
			if (always[j] == i)
				want = REPLY_ALWAYS;
		if (i == 6)
			want = REPLY_IF_LOG_SHMFD;
		if (!r || r->reply != want) {
			ok = 0;
			printf("# request %u: reply policy %d, want %d\n", i, r ? (int)r->reply : -1,
			       (int)want);
		}
	}
	tap_ok(ok, "16 always-reply requests, SET_LOG_BASE if LOG_SHMFD, the rest ack-only");
}

static void test_policies(enum vhu_side side, const struct expect *want, uint32_t max)
{
	int name_ok = 1, reply_ok = 1, fds_ok = 1, rfds_ok = 1, size_ok = 1, kind_ok = 1;

	for (uint32_t i = 1; i <= max; i++) {
		const struct vhu_request *r = proto_request(side, i);
		const struct expect *w = &want[i - 1];
		uint32_t min, maxb;

		if (!r) {
			name_ok = reply_ok = fds_ok = rfds_ok = size_ok = kind_ok = 0;
			continue;
		}
		if (!r->name || strcmp(r->name, w->name) != 0) {
			name_ok = 0;
			printf("# %u: name %s, want %s\n", i, r->name, w->name);
		}
		if (r->reply != w->reply) {
			reply_ok = 0;
			printf("# %u %s: reply policy %d, want %d\n", i, w->name, r->reply, w->reply);
		}
		if (r->fds != w->fds) {
			fds_ok = 0;
			printf("# %u %s: fd policy %d, want %d\n", i, w->name, r->fds, w->fds);
		}
		if (r->reply_fds_max != w->reply_fds_max) {
			rfds_ok = 0;
			printf("# %u %s: reply fds %u, want %u\n", i, w->name,
			       r->reply_fds_max, w->reply_fds_max);
		}
		proto_payload_bounds(r->req_kind, &min, &maxb);
		if (r->size_min != min || r->size_max != maxb) {
			size_ok = 0;
			printf("# %u %s: size %u..%u, payload kind says %u..%u\n", i, w->name,
			       r->size_min, r->size_max, min, maxb);
		}
		if ((unsigned)r->req_kind >= PL_KIND_COUNT || (unsigned)r->reply_kind >= PL_KIND_COUNT ||
		    r->req_kind == PL_SET_LOG_REPLY)
			kind_ok = 0;
	}
	tap_ok(name_ok, "%s names match the digest", side_name(side));
	tap_ok(reply_ok, "%s reply policies match the digest", side_name(side));
	tap_ok(fds_ok, "%s fd policies match the digest", side_name(side));
	tap_ok(rfds_ok, "%s reply fd counts match the digest", side_name(side));
	tap_ok(size_ok, "%s size bounds equal the payload kind's bounds", side_name(side));
	tap_ok(kind_ok, "%s payload kinds are valid request kinds", side_name(side));
}

/* A few rows in full, spelled out. */
static void test_rows(void)
{
	const struct vhu_request *r;

	r = proto_request(SIDE_FRONTEND, 6);
	tap_ok(r && r->reply == REPLY_IF_LOG_SHMFD, "SET_LOG_BASE replies if LOG_SHMFD");
	tap_ok(r && r->req_kind == PL_LOG && r->reply_kind == PL_SET_LOG_REPLY,
	       "SET_LOG_BASE: log request, log-base reply");
	r = proto_request(SIDE_FRONTEND, 5);
	tap_ok(r && r->req_kind == PL_MEM_TABLE && r->size_min == 8 && r->size_max == 264,
	       "SET_MEM_TABLE: memory table of 8..264 bytes");
	r = proto_request(SIDE_FRONTEND, 9);
	tap_ok(r && r->req_kind == PL_VRING_ADDR && r->size_min == 40 && r->size_max == 40,
	       "SET_VRING_ADDR: 40-byte vring addr");
	r = proto_request(SIDE_FRONTEND, 11);
	tap_ok(r && r->req_kind == PL_VRING_STATE && r->reply_kind == PL_VRING_STATE,
	       "GET_VRING_BASE: vring state both ways");
	r = proto_request(SIDE_FRONTEND, 12);
	tap_ok(r && r->req_kind == PL_VRING_FD && r->size_min == 8 && r->size_max == 8,
	       "SET_VRING_KICK: 8-byte vring fd");
	r = proto_request(SIDE_FRONTEND, 24);
	tap_ok(r && r->req_kind == PL_CONFIG && r->reply_kind == PL_CONFIG &&
	       r->size_min == 12 && r->size_max == 268, "GET_CONFIG: config of 12..268 both ways");
	r = proto_request(SIDE_FRONTEND, 31);
	tap_ok(r && r->req_kind == PL_INFLIGHT && r->reply_kind == PL_INFLIGHT &&
	       r->size_min == 24 && r->size_max == 24, "GET_INFLIGHT_FD: 24-byte inflight both ways");
	r = proto_request(SIDE_FRONTEND, 37);
	tap_ok(r && r->req_kind == PL_MEM_REGION && r->size_min == 40 && r->size_max == 48,
	       "ADD_MEM_REG: single region of 40 or 48");
	r = proto_request(SIDE_FRONTEND, 44);
	tap_ok(r && r->req_kind == PL_NONE && r->reply_kind == PL_SHMEM_CONFIG,
	       "GET_SHMEM_CONFIG: empty request, shmem config reply");
	r = proto_request(SIDE_BACKEND, 3);
	tap_ok(r && r->req_kind == PL_VRING_AREA && r->size_min == 24 && r->size_max == 24,
	       "BACKEND_VRING_HOST_NOTIFIER_MSG: 24-byte vring area");
	r = proto_request(SIDE_BACKEND, 9);
	tap_ok(r && r->req_kind == PL_MMAP && r->size_min == 40 && r->size_max == 40,
	       "BACKEND_SHMEM_MAP: 40-byte mmap");

	/* Requests whose answer is a body must say what the body is. */
	{
		unsigned n;
		const struct vhu_request *t = proto_requests(SIDE_FRONTEND, &n);
		int ok = 1;

		for (unsigned i = 0; i < n; i++)
			if (t[i].reply == REPLY_ALWAYS && t[i].reply_kind == PL_NONE &&
			    t[i].num != 28)
				ok = 0;
		tap_ok(ok, "every always-reply request but POSTCOPY_ADVISE has a reply kind");
	}
}

static int req_feature(uint32_t num)
{
	const struct vhu_request *r = proto_request(SIDE_FRONTEND, num);

	return r ? r->proto_feature : -100;
}

static int backend_feature(uint32_t num)
{
	const struct vhu_request *r = proto_request(SIDE_BACKEND, num);

	return r ? r->proto_feature : -100;
}

static void test_required(void)
{
	static const struct { uint32_t num; int bit; } want[] = {
		{ 1, -1 }, { 2, -1 }, { 3, -1 }, { 8, -1 }, { 9, -1 }, { 11, -1 },
		{ 15, -1 }, { 16, -1 }, { 18, -1 },
		{ 17, 0 },	/* GET_QUEUE_NUM: MQ */
		{ 19, 2 },	/* SEND_RARP: RARP */
		{ 20, 4 },	/* NET_SET_MTU: MTU */
		{ 21, 5 },	/* SET_BACKEND_REQ_FD: BACKEND_REQ */
		{ 23, 6 },	/* SET_VRING_ENDIAN: CROSS_ENDIAN */
		{ 24, 9 }, { 25, 9 },	/* GET/SET_CONFIG: CONFIG */
		{ 26, 7 }, { 27, 7 },	/* crypto sessions */
		{ 28, 8 }, { 29, 8 }, { 30, 8 },	/* postcopy: PAGEFAULT */
		{ 31, 12 }, { 32, 12 },	/* INFLIGHT_SHMFD */
		{ 34, 13 },	/* RESET_DEVICE */
		{ 35, 14 },	/* VRING_KICK: INBAND_NOTIFICATIONS */
		{ 36, 15 }, { 37, 15 }, { 38, 15 },	/* CONFIGURE_MEM_SLOTS */
		{ 39, 16 }, { 40, 16 },	/* STATUS */
		{ 41, 18 },	/* SHARED_OBJECT */
		{ 42, 19 }, { 43, 19 },	/* DEVICE_STATE */
		{ 44, 22 },	/* SHMEM */
	};
	int ok = 1;

	tap_is_int(req_feature(17), 0, "GET_QUEUE_NUM needs MQ");
	tap_is_int(req_feature(24), 9, "GET_CONFIG needs CONFIG");
	tap_is_int(req_feature(36), 15, "GET_MAX_MEM_SLOTS needs CONFIGURE_MEM_SLOTS");
	tap_is_int(req_feature(39), 16, "SET_STATUS needs STATUS");
	tap_is_int(req_feature(44), 22, "GET_SHMEM_CONFIG needs SHMEM");
	for (unsigned i = 0; i < ARRAY_SIZE(want); i++)
		if (req_feature(want[i].num) != want[i].bit) {
			ok = 0;
			printf("# request %u needs %d, want %d\n", want[i].num,
			       req_feature(want[i].num), want[i].bit);
		}
	tap_ok(ok, "required protocol features of %zu front-end requests", ARRAY_SIZE(want));
	tap_is_int(backend_feature(2), 9, "BACKEND_CONFIG_CHANGE_MSG needs CONFIG");
	tap_is_int(backend_feature(8), 18, "BACKEND_SHARED_OBJECT_LOOKUP needs SHARED_OBJECT");
	tap_is_int(backend_feature(9), 22, "BACKEND_SHMEM_MAP needs SHMEM");

	{
		unsigned n;
		const struct vhu_request *t;
		int in_range = 1;

		for (int s = 0; s < 2; s++) {
			t = proto_requests(s ? SIDE_BACKEND : SIDE_FRONTEND, &n);
			for (unsigned i = 0; i < n; i++)
				if (t[i].proto_feature < -1 ||
				    t[i].proto_feature > (int)VHU_PROTO_FEATURE_MAX ||
				    (t[i].proto_feature >= 0 &&
				     !proto_feature_by_bit((unsigned)t[i].proto_feature)))
					in_range = 0;
		}
		tap_ok(in_range, "every required protocol feature is a known bit or -1");
	}
}

static void test_features(void)
{
	unsigned n;
	const struct vhu_proto_feature *f = proto_features(&n);
	int all_named = 1, unique = 1;

	tap_is_int(n, VHU_PROTO_FEATURE_MAX + 1, "%u protocol features", VHU_PROTO_FEATURE_MAX + 1);
	for (unsigned bit = 0; bit <= VHU_PROTO_FEATURE_MAX; bit++) {
		const struct vhu_proto_feature *p = proto_feature_by_bit(bit);

		if (!p || p->bit != bit || !p->name || !p->name[0] ||
		    proto_feature_by_name(p->name) != (int)bit ||
		    (p->alias && proto_feature_by_name(p->alias) != (int)bit)) {
			all_named = 0;
			printf("# protocol feature bit %u: missing or not found by name\n", bit);
		}
	}
	tap_ok(all_named, "protocol feature bits 0..22 all named and found by name");
	tap_ok(proto_feature_by_bit(23) == NULL, "bit 23 has no name");
	tap_ok(proto_feature_by_bit(63) == NULL, "bit 63 has no name");
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = i + 1; j < n; j++) {
			const char *a[2] = { f[i].name, f[i].alias };
			const char *b[2] = { f[j].name, f[j].alias };

			for (unsigned x = 0; x < 2; x++)
				for (unsigned y = 0; y < 2; y++)
					if (a[x] && b[y] && strcasecmp(a[x], b[y]) == 0)
						unique = 0;
		}
	tap_ok(unique, "protocol feature names and aliases are unique");

	tap_is_str(proto_feature_suggest("REPLY_AKC"), "REPLY_ACK", "suggest: REPLY_AKC is REPLY_ACK");
	tap_is_str(proto_feature_suggest("VHOST_USER_PROTOCOL_F_CONFGI"), "CONFIG", "suggest: prefixed CONFGI is CONFIG");
	tap_is_str(proto_feature_suggest("SLAVE_REQQ"), "BACKEND_REQ", "suggest: from an alias, the name");
	tap_is_str(proto_feature_suggest("NOPE"), NULL, "suggest: NOPE is nothing");
	tap_is_int(proto_feature_by_name("REPLY_ACK"), 3, "REPLY_ACK");
	tap_is_int(proto_feature_by_name("VHOST_USER_PROTOCOL_F_REPLY_ACK"), 3,
		   "VHOST_USER_PROTOCOL_F_REPLY_ACK");
	tap_is_int(proto_feature_by_name("reply-ack"), 3, "reply-ack");
	tap_is_int(proto_feature_by_name("reply_ack"), 3, "reply_ack");
	tap_is_int(proto_feature_by_name("MQ"), 0, "MQ");
	tap_is_int(proto_feature_by_name("SLAVE_REQ"), 5, "alias SLAVE_REQ");
	tap_is_int(proto_feature_by_name("BACKEND_REQ"), 5, "BACKEND_REQ");
	tap_is_int(proto_feature_by_name("VHOST_USER_PROTOCOL_F_SLAVE_SEND_FD"), 10,
		   "alias SLAVE_SEND_FD with prefix");
	tap_is_int(proto_feature_by_name("MTU"), 4, "alias MTU");
	tap_is_int(proto_feature_by_name("NET_MTU"), 4, "NET_MTU");
	tap_is_int(proto_feature_by_name("SHMEM_MAP"), 22, "alias SHMEM_MAP");
	tap_is_int(proto_feature_by_name("SHMEM"), 22, "SHMEM");
	tap_is_int(proto_feature_by_name("CONFIGURE_MEM_SLOTS"), 15, "CONFIGURE_MEM_SLOTS");
	tap_is_int(proto_feature_by_name("GET_VRING_BASE_INFLIGHT"), 20, "GET_VRING_BASE_INFLIGHT");
	tap_is_int(proto_feature_by_name("GPA_ADDRESSES"), 21, "GPA_ADDRESSES");
	tap_is_int(proto_feature_by_name("XEN_MMAP"), 17, "XEN_MMAP");
	tap_is_int(proto_feature_by_name("REPLY"), -1, "REPLY (prefix of a name) unknown");
	tap_is_int(proto_feature_by_name("REPLY_ACKS"), -1, "REPLY_ACKS unknown");
	tap_is_int(proto_feature_by_name("NO_SUCH_FEATURE"), -1, "unknown name");
	tap_is_int(proto_feature_by_name(""), -1, "empty name");
	tap_is_int(proto_feature_by_name("VHOST_USER_PROTOCOL_F_"), -1, "bare prefix");
	{
		const struct vhu_proto_feature *p = proto_feature_by_bit(3);

		tap_is_str(p ? p->name : NULL, "REPLY_ACK", "bit 3 is REPLY_ACK");
		p = proto_feature_by_bit(5);
		tap_is_str(p ? p->name : NULL, "BACKEND_REQ", "bit 5 is BACKEND_REQ");
		p = proto_feature_by_bit(19);
		tap_is_str(p ? p->name : NULL, "DEVICE_STATE", "bit 19 is DEVICE_STATE");
	}
}

static void test_payloads(void)
{
	static const struct { enum vhu_payload k; int size; } fixed[] = {
		{ PL_NONE, 0 }, { PL_U64, 8 }, { PL_FEATURES, 8 }, { PL_PROTOCOL_FEATURES, 8 },
		{ PL_STATUS, 8 }, { PL_VRING_FD, 8 }, { PL_MAC, 8 }, { PL_VRING_STATE, 8 },
		{ PL_VRING_ADDR, 40 }, { PL_LOG, 16 }, { PL_VRING_AREA, 24 }, { PL_INFLIGHT, 24 },
		{ PL_SHARED, 16 }, { PL_DEVSTATE, 8 }, { PL_MMAP, 40 },
		{ PL_MEM_TABLE, -1 }, { PL_MEM_REGION, -1 }, { PL_CONFIG, -1 },
		{ PL_SHMEM_CONFIG, -1 }, { PL_CRYPTO, -1 }, { PL_OPAQUE, -1 },
		{ PL_SET_LOG_REPLY, -1 },
	};
	int ok = 1, named = 1;
	uint32_t min, max;

	for (unsigned i = 0; i < ARRAY_SIZE(fixed); i++)
		if (proto_payload_size(fixed[i].k) != fixed[i].size) {
			ok = 0;
			printf("# %s: size %d, want %d\n", proto_payload_name(fixed[i].k),
			       proto_payload_size(fixed[i].k), fixed[i].size);
		}
	tap_ok(ok, "fixed payload sizes match A.6");
	for (int k = 0; k < PL_KIND_COUNT; k++) {
		const char *s = proto_payload_name((enum vhu_payload)k);

		if (!s || !s[0] || strcmp(s, "unknown") == 0)
			named = 0;
	}
	tap_ok(named, "every payload kind has a name");
	tap_is_str(proto_payload_name(PL_KIND_COUNT), "unknown", "out-of-range kind is unknown");
	proto_payload_bounds(PL_MEM_TABLE, &min, &max);
	tap_ok(min == 8 && max == 8 + 32 * 8, "memory table 8..264");
	proto_payload_bounds(PL_CONFIG, &min, &max);
	tap_ok(min == 12 && max == 12 + 256, "config 12..268");
	proto_payload_bounds(PL_MEM_REGION, &min, &max);
	tap_ok(min == 40 && max == 48, "single region 40..48");
	proto_payload_bounds(PL_SHMEM_CONFIG, &min, &max);
	tap_ok(max == 2056, "shmem config at most 2056");
	proto_payload_bounds(PL_SET_LOG_REPLY, &min, &max);
	tap_ok(min == 0 && max == 8, "log base reply 0..8");
	proto_payload_bounds(PL_OPAQUE, &min, &max);
	tap_ok(min == 0 && max == VHU_PAYLOAD_MAX, "opaque 0..4096");
}

int main(void)
{
	test_dense(SIDE_FRONTEND, 44);
	test_dense(SIDE_BACKEND, 10);
	test_unique(SIDE_FRONTEND);
	test_unique(SIDE_BACKEND);
	test_roundtrip(SIDE_FRONTEND);
	test_roundtrip(SIDE_BACKEND);
	test_by_name();
	test_policies(SIDE_FRONTEND, frontend_want, VHU_FRONTEND_REQ_MAX);
	test_policies(SIDE_BACKEND, backend_want, VHU_BACKEND_REQ_MAX);
	test_always();
	test_rows();
	test_required();
	test_features();
	test_payloads();
	return tap_done();
}
