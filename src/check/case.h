/* case.h - the suite's cases: the table's row, and what a case runs with (its own session, its evidence, its verdict). */
#ifndef VHUCTL_CHECK_CASE_H
#define VHUCTL_CHECK_CASE_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "cmd/session.h"

enum ck_verdict { CK_PASS, CK_FAIL, CK_WARN, CK_SKIP, CK_MISSING, CK_VERDICTS };
enum ck_level { CK_MUST, CK_SHOULD, CK_MAY };

#define PF(bit) (UINT64_C(1) << (bit))
/* Protocol feature bits the cases name (VHOST_USER_PROTOCOL_F_*). */
enum {
	PF_MQ = 0, PF_LOG_SHMFD = 1, PF_RARP = 2, PF_REPLY_ACK = 3, PF_MTU = 4, PF_BACKEND_REQ = 5,
	PF_CROSS_ENDIAN = 6, PF_CONFIG = 9, PF_INFLIGHT = 12, PF_RESET_DEVICE = 13, PF_INBAND = 14, PF_MEM_SLOTS = 15, PF_STATUS = 16, PF_DEVICE_STATE = 19,
};

struct ck;

/* A case runs after the back-end answered GET_FEATURES (and
 * GET_PROTOCOL_FEATURES when offered) on a connection of its own, and once
 * what the row needs is known to be offered. */
#define CK_SURVIVE 0x1u		/* then a fresh connection must still be answered */

/* One row of the table (cases.c). */
struct ck_case {
	const char *id;		/* "reply-ack.set-vring-num" */
	const char *group;	/* its first word, a group of groups[] */
	const char *title;	/* what it checks, in a line */
	const char *section;	/* the spec section of the sentence */
	enum ck_level level;	/* the sentence's own word: MUST, SHOULD, MAY */
	const char *sentence;	/* quoted as the source writes it, line breaks as spaces */
	uint64_t pfeatures;	/* protocol features the back-end must offer, else skip */
	uint64_t features;	/* virtio features likewise */
	enum vhu_device dev;	/* DEV_NONE: any device */
	uint64_t absent;	/* protocol features that, offered, make the case moot: skip */
	int (*fn)(struct ck *k);
	const char *arg;	/* the row's parameter, for a function that serves several rows */
	unsigned flags;		/* CK_SURVIVE */
};

struct ck_group {
	const char *name, *title;
};

const struct ck_case *ck_cases(unsigned *n);
const struct ck_group *ck_groups(unsigned *n);
const char *ck_level_name(enum ck_level l);
const char *ck_verdict_name(enum ck_verdict v);

/* What every case of a run shares. */
struct ck_opts {
	const char *sock;
	int timeout_ms;		/* each request's bound */
	int case_ms;		/* each case's: the kill timer */
	int connect_ms;		/* >0: retry the first connect this long (a back-end just started) */
	enum vhu_device dev;
};

/* A case's context: its session, its evidence (streamed to the runner as it
 * is made), its verdict. */
struct ck {
	struct session s;
	const struct ck_case *c;
	const struct ck_opts *o;
	int out_fd;		/* to the runner: one JSON line per step, then the verdict */
	uint64_t features, pfeatures;	/* what the back-end offers */
	bool have_pf;		/* it offers protocol features, and said which */
	struct json_object *keep;	/* the steps' results, alive until the case ends */
	bool decided;
	enum ck_verdict v;
	char reason[600], expected[300], actual[600];
};

/* Run one command line as a step of the case: its whole result goes into
 * the evidence, *RES (may be NULL) points at it until the case ends.
 * Returns what the command did (0 or -errno). */
int ck_cmd(struct ck *k, struct json_object **res, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "connect PATH", PATH quoted for our tokenizer. */
void ck_connect_line(const char *sock, char *buf, size_t len);

/* How far ck_begin brings the device before the case's own steps. */
enum ck_stage {
	ST_FEATURES,	/* GET_FEATURES (and GET_PROTOCOL_FEATURES) answered */
	ST_PROTO,	/* SET_PROTOCOL_FEATURES: REPLY_ACK and what the case asks for */
	ST_OWNER,	/* SET_OWNER */
	ST_ACKED,	/* SET_FEATURES: VERSION_1, PROTOCOL_FEATURES, blk FLUSH, as offered */
	ST_MEM,		/* 1 MiB of memory, SET_MEM_TABLE (ADD_MEM_REG with MEM_SLOTS asked for) */
	ST_RING,	/* ring 0 set up and enabled */
};
/* Bring the connection to STAGE, acking protocol features PWANT (and
 * REPLY_ACK) that are offered. 0 to go on; 1 when the case has its verdict
 * (a failed step fails it). */
int ck_stage(struct ck *k, enum ck_stage stage, uint64_t pwant);
/* The features ST_ACKED acks. */
uint64_t ck_base_features(const struct ck *k);
/* Has REPLY_ACK been negotiated on the case's connection? */
bool ck_reply_ack(const struct ck *k);

/* Verdicts: the first one set counts; each returns 0, for 'return ck_pass(...)'. */
int ck_pass(struct ck *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ck_skip(struct ck *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A rule broken: what was expected and what came instead. */
int ck_fail(struct ck *k, const char *expected, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Not what the sentence asks, but nothing it forbids (or it says SHOULD). */
int ck_warn(struct ck *k, const char *expected, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The case's step RES failed: fail, saying what came instead of EXPECTED. */
int ck_fail_step(struct ck *k, struct json_object *res, const char *expected);

/* Reading a step's result. */
/* RES's member at PATH ("reply.payload.u64"): NULL when absent. */
struct json_object *ck_get(struct json_object *res, const char *path);
bool ck_ok(struct json_object *res);
const char *ck_err_code(struct json_object *res);	/* "ETIMEDOUT", or "" */
const char *ck_err_msg(struct json_object *res);
bool ck_disconnected(const struct ck *k);
/* The REPLY_ACK u64 of RES: false when none came. */
bool ck_ack(struct json_object *res, uint64_t *u64);
/* The reply payload's member NAME as a number: false when absent. */
bool ck_reply_num(struct json_object *res, const char *name, uint64_t *v);
/* What the reply was, in words: "no reply (ETIMEDOUT: ...)", "u64 0x1". */
const char *ck_describe(struct json_object *res, char *buf, size_t len);
/* raw's outcome: "replied", "silent", "closed". */
const char *ck_outcome(struct json_object *res);

/* The child's side of a case: run row C on a fresh connection, writing the
 * evidence and the verdict to OUT_FD. */
void ck_run_case(const struct ck_case *c, const struct ck_opts *o, int out_fd);

/* The case functions, by group (case_*.c). */
int ck_handshake_get_features(struct ck *k);
int ck_handshake_reply_flags(struct ck *k);
int ck_handshake_get_pfeatures(struct ck *k);
int ck_handshake_set_pfeatures_early(struct ck *k);
int ck_handshake_set_features_subset(struct ck *k);
int ck_handshake_mq_offered(struct ck *k);
int ck_handshake_queue_num(struct ck *k);
int ck_gating(struct ck *k);
int ck_gating_inband(struct ck *k);
int ck_reply_ack_row(struct ck *k);
int ck_reply_ack_one_reply(struct ck *k);
int ck_config_size(struct ck *k);
int ck_config_error(struct ck *k);
int ck_mem_max_slots(struct ck *k);
int ck_mem_slots_honoured(struct ck *k);
int ck_mem_beyond_slots(struct ck *k);
int ck_mem_rem(struct ck *k);
int ck_mem_rem_unknown(struct ck *k);
int ck_mem_add_no_fd(struct ck *k);
int ck_mem_bad_region(struct ck *k);
int ck_ring_base(struct ck *k);
int ck_ring_disabled(struct ck *k);
int ck_ring_auto_enabled(struct ck *k);
int ck_ring_stopped(struct ck *k);
int ck_ring_base_after_io(struct ck *k);
int ck_blk_io(struct ck *k);
int ck_blk_bad_request(struct ck *k);
int ck_robust_raw(struct ck *k);
int ck_gating_answered(struct ck *k);
int ck_refusal(struct ck *k);
int ck_refused_answered(struct ck *k);
int ck_ring_hostile(struct ck *k);
int ck_status_roundtrip(struct ck *k);
int ck_inflight_get(struct ck *k);
int ck_state_transfer(struct ck *k);
int ck_log_base_reply(struct ck *k);
int ck_net_tx(struct ck *k);
int ck_net_queue_pairs(struct ck *k);
int ck_iotlb_answered(struct ck *k);
int ck_fs_init(struct ck *k);
int ck_fs_stat_root(struct ck *k);

#endif
