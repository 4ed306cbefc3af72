/* case_proto.c - the cases of the control plane: handshake, gating, REPLY_ACK, configuration space, malformed messages. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/case.h"
#include "core/mem.h"

#define F_PROTOCOL_FEATURES 30

/* --- a row's script: "STAGE:command;command;..." -------------------------- */

static const struct { const char *name; enum ck_stage stage; } stages[] = {
	{ "features", ST_FEATURES }, { "proto", ST_PROTO }, { "owner", ST_OWNER },
	{ "acked", ST_ACKED }, { "mem", ST_MEM }, { "ring", ST_RING },
};

/* A memory table payload of NREG regions, with the bytes of one: region 0
 * of vhuctl's memory (the case has added it). */
static void mem_table_hex(const struct ck *k, unsigned nreg, char *out, size_t len)
{
	const struct mem *m = &k->s.mem;
	uint64_t f[4] = { 0 };
	uint32_t hdr[2] = { nreg, 0 };
	size_t n = 0;

	if (m->n) {
		f[0] = m->r[0].gpa;
		f[1] = m->r[0].size;
		f[2] = (uint64_t)(uintptr_t)m->r[0].va;
	}
	for (unsigned i = 0; i < 8 && n + 3 < len; i++)
		n += (size_t)snprintf(out + n, len - n, "%02x", ((const uint8_t *)hdr)[i]);
	/* two regions' worth for "2", one for anything else */
	for (unsigned r = 0; r < (nreg == 2 ? 2u : 1u); r++)
		for (unsigned i = 0; i < 32 && n + 3 < len; i++)
			n += (size_t)snprintf(out + n, len - n, "%02x", ((const uint8_t *)f)[i]);
}

/* LINE with %F (the base features), %L (them without
 * VHOST_USER_F_PROTOCOL_FEATURES), %P (the protocol features negotiated)
 * and %T<n> (a memory table of n regions) put in. */
static void expand(const struct ck *k, const char *line, size_t n, char *out, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < len; i++) {
		if (line[i] != '%' || i + 1 >= n) {
			out[o++] = line[i];
			continue;
		}
		switch (line[++i]) {
		case 'F':
			o += (size_t)snprintf(out + o, len - o, "0x%" PRIx64, ck_base_features(k));
			break;
		case 'L':
			o += (size_t)snprintf(out + o, len - o, "0x%" PRIx64,
					      ck_base_features(k) & ~PF(F_PROTOCOL_FEATURES));
			break;
		case 'P':
			o += (size_t)snprintf(out + o, len - o, "0x%" PRIx64, k->s.conn.acked_proto);
			break;
		case 'T':
			if (i + 1 < n)
				mem_table_hex(k, (unsigned)(line[++i] - '0'), out + o, len - o);
			o += strlen(out + o);
			break;
		}
		if (o >= len)
			o = len - 1;
	}
	out[o] = '\0';
}

/* Run the row's script: its stage, then its commands; every command but
 * the last must succeed (else the case fails, and 1 is returned). *LAST
 * gets the last one's result. */
static int script(struct ck *k, uint64_t pwant, struct json_object **last)
{
	const char *arg = k->c->arg, *colon = strchr(arg, ':'), *p;
	enum ck_stage st = ST_FEATURES;
	int r;

	for (size_t i = 0; colon && i < sizeof(stages) / sizeof(stages[0]); i++)
		if (strncmp(arg, stages[i].name, (size_t)(colon - arg)) == 0 &&
		    !stages[i].name[colon - arg])
			st = stages[i].stage;
	if ((r = ck_stage(k, st, pwant)) != 0)
		return r;
	for (p = colon ? colon + 1 : arg; *p;) {
		const char *end = strchr(p, ';');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char line[256];

		expand(k, p, n, line, sizeof(line));
		r = ck_cmd(k, last, "%s", line);
		if (!end)
			break;
		if (r < 0) {
			char d[400];

			ck_fail(k, "every step of the set-up to succeed", "setting up: %s",
				ck_describe(*last, d, sizeof(d)));
			return 1;
		}
		p = end + 1;
	}
	return 0;
}

/* --- handshake ------------------------------------------------------------ */

int ck_handshake_get_features(struct ck *k)
{
	/* every case began with it: had it failed, the case would have */
	return ck_pass(k, "answered with 0x%" PRIx64, k->features);
}

int ck_handshake_reply_flags(struct ck *k)
{
	struct json_object *r;
	const char *flags;
	unsigned long v;

	/* NEED_REPLY on a request that has a reply anyway: a reply that
	 * echoes it is a reply QEMU and DPDK's virtio-user refuse */
	ck_cmd(k, &r, "get-features need-reply=1");
	if (!json_object_object_get_ex(r, "reply", &r) || !json_object_is_type(r, json_type_object) ||
	    !json_object_object_get_ex(r, "flags", &r) || !json_object_object_get_ex(r, "value", &r) ||
	    !(flags = json_object_get_string(r)))
		return ck_fail(k, "a reply with flags 0x5", "no reply to GET_FEATURES with NEED_REPLY");
	v = strtoul(flags, NULL, 16);
	if ((v & 0x3) != 1 || !(v & 0x4))
		return ck_fail(k, "flags 0x5 (version 1, REPLY)", "reply flags %s", flags);
	if (v != 0x5)
		return ck_warn(k, "flags 0x5 (version 1, REPLY)",
			       "reply flags %s: bits besides REPLY and the version, which QEMU refuses", flags);
	return ck_pass(k, "reply flags 0x5");
}

int ck_handshake_get_pfeatures(struct ck *k)
{
	return ck_pass(k, "answered with 0x%" PRIx64 " before any SET_FEATURES", k->pfeatures);
}

int ck_handshake_set_pfeatures_early(struct ck *k)
{
	struct json_object *r;
	uint64_t ack;
	int st;

	if ((st = ck_stage(k, ST_PROTO, 0)) != 0)
		return 0;
	ck_cmd(k, &r, "set-owner");
	if (!ck_ack(r, &ack))
		return ck_fail_step(k, r, "SET_OWNER acknowledged: REPLY_ACK in force before SET_FEATURES");
	return ck_pass(k, "REPLY_ACK acknowledged SET_OWNER with %" PRIu64 " before SET_FEATURES", ack);
}

int ck_handshake_set_features_subset(struct ck *k)
{
	struct json_object *r;
	uint64_t ack;

	if (ck_stage(k, ST_OWNER, 0) != 0)
		return 0;
	if (ck_cmd(k, &r, "set-features 0x%" PRIx64, ck_base_features(k)) < 0)
		return ck_fail_step(k, r, "SET_FEATURES accepted");
	if (ck_ack(r, &ack))
		return ck_pass(k, "acknowledged with %" PRIu64, ack);
	/* no REPLY_ACK: the connection goes on (a refusal closes it) */
	if (ck_cmd(k, &r, "get-features") < 0)
		return ck_fail_step(k, r, "GET_FEATURES answered after SET_FEATURES");
	return ck_pass(k, "accepted: GET_FEATURES still answered");
}

int ck_handshake_mq_offered(struct ck *k)
{
	if (k->pfeatures & PF(PF_MQ))
		return ck_pass(k, "offered");
	return ck_warn(k, "VHOST_USER_PROTOCOL_F_MQ offered", "protocol features 0x%" PRIx64 " lack it", k->pfeatures);
}

int ck_handshake_queue_num(struct ck *k)
{
	struct json_object *r;
	uint64_t n;

	if (ck_stage(k, ST_PROTO, PF(PF_MQ)) != 0)
		return 0;
	if (ck_cmd(k, &r, "get-queue-num") < 0 || !ck_reply_num(r, "u64", &n))
		return ck_fail_step(k, r, "a u64");
	if (n == 0)
		return ck_fail(k, "at least 1 queue", "0 queues");
	return ck_pass(k, "%" PRIu64 " queues", n);
}

/* --- gating --------------------------------------------------------------- */

/* What came back for a request the back-end could refuse: a non-zero ack
 * or a closed connection refuse it, u64 0 accepts it, silence breaks
 * REPLY_ACK's MUST. */
static int judge_refusal(struct ck *k, struct json_object *r, const char *accepted_why)
{
	char d[400];
	uint64_t ack;

	if (ck_ack(r, &ack) && ack)
		return ck_pass(k, "refused with u64 %" PRIu64, ack);
	if (ck_disconnected(k))
		return ck_pass(k, "refused: the back-end closed the connection");
	if (ck_ack(r, &ack))
		return ck_warn(k, "a non-zero REPLY_ACK, or the connection closed", "accepted (u64 0)%s", accepted_why);
	return ck_fail(k, "a REPLY_ACK (NEED_REPLY was set), or the connection closed", "%s",
		       ck_describe(r, d, sizeof(d)));
}

int ck_gating(struct ck *k)
{
	struct json_object *r;

	/* REPLY_ACK alone: the request's own feature stays out */
	if (script(k, 0, &r) != 0)
		return 0;
	return judge_refusal(k, r, ": the rule binds the front-end, and a back-end that checks it protects itself");
}

int ck_gating_inband(struct ck *k)
{
	struct json_object *r;

	ck_cmd(k, &r, "set-protocol-features INBAND_NOTIFICATIONS");
	if (ck_cmd(k, &r, "get-features") < 0 && ck_disconnected(k))
		return ck_pass(k, "the back-end closed the connection");
	if (!ck_ok(r))
		return ck_fail_step(k, r, "the connection closed, or at least GET_FEATURES answered");
	return ck_warn(k, "the connection closed", "the back-end went on: GET_FEATURES answered");
}

/* What came back for a request with a reply of its own that the back-end
 * should refuse: the connection closed, an error in the reply (a non-zero
 * low byte of a u64, an inflight area of no bytes) or a reply vhuctl
 * refuses pass; silence leaves the front-end waiting for the reply it is
 * owed; an answer as if valid fails when MUST_REFUSE, else warns (WHY). */
static int judge_answered(struct ck *k, struct json_object *r, bool must_refuse, const char *why)
{
	struct json_object *u;
	char d[400];
	uint64_t v;

	if (ck_disconnected(k))
		return ck_pass(k, "refused: the back-end closed the connection");
	if (!ck_ok(r) && strcmp(ck_err_code(r), "ETIMEDOUT") == 0)
		return ck_fail(k, "a reply (the request has one of its own), or the connection closed",
			       "no reply and the connection left open: a front-end waiting for the reply hangs");
	if (!ck_ok(r))
		return ck_pass(k, "refused: %s", ck_describe(r, d, sizeof(d)));
	if ((u = ck_get(r, "reply.payload.u64")) && ((uint64_t)json_object_get_uint64(u) & 0xff))
		return ck_pass(k, "refused with u64 0x%" PRIx64, (uint64_t)json_object_get_uint64(u));
	if (ck_reply_num(r, "mmap_size", &v) && v == 0)
		return ck_pass(k, "refused: an inflight area of 0 bytes");
	if (ck_get(r, "reply.payload.names"))	/* GET_STATUS: any u64 is a status */
		return ck_warn(k, "the connection closed (a refusal that can be told from an answer)",
			       "answered with a status: a refusal cannot be told from an answer, and the rule "
			       "binds the front-end");
	if (must_refuse)
		return ck_fail(k, "a refusal (an error in the reply), or the connection closed", "accepted%s", why);
	return ck_warn(k, "a refusal (an error in the reply), or the connection closed", "answered as if negotiated%s", why);
}

/* A request sent without its protocol feature that has a reply of its
 * own (only REPLY_ACK negotiated). */
int ck_gating_answered(struct ck *k)
{
	struct json_object *r;

	if (script(k, 0, &r) != 0)
		return 0;
	return judge_answered(k, r, false, ": the rule binds the front-end, and a back-end that checks it protects itself");
}

/* A request with a reply of its own and a value the back-end cannot
 * honour, its feature negotiated: it must say so in the reply. */
int ck_refused_answered(struct ck *k)
{
	struct json_object *r;

	if (script(k, k->c->pfeatures, &r) != 0)
		return 0;
	return judge_answered(k, r, true, ": a value the request does not have, taken as valid");
}

/* A request the back-end cannot carry out, with NEED_REPLY: refused,
 * or closed (judge_refusal). */
int ck_refusal(struct ck *k)
{
	struct json_object *r;

	if (script(k, k->c->pfeatures, &r) != 0)
		return 0;
	return judge_refusal(k, r, ": the request could not be carried out, and u64 0 says it was");
}

/* --- REPLY_ACK ------------------------------------------------------------ */

int ck_reply_ack_row(struct ck *k)
{
	struct json_object *r;
	char d[400];
	uint64_t ack;

	if (script(k, k->c->pfeatures, &r) != 0)
		return 0;
	if (!ck_ack(r, &ack))
		return ck_fail(k, "a REPLY_ACK u64", "%s", ck_describe(r, d, sizeof(d)));
	if (ack)
		return ck_fail(k, "u64 0 (the request is valid)", "u64 %" PRIu64 " (failure)", ack);
	return ck_pass(k, "acknowledged with u64 0");
}

int ck_reply_ack_one_reply(struct ck *k)
{
	struct json_object *r;
	char d[400];

	if (ck_stage(k, ST_PROTO, 0) != 0)
		return 0;
	/* whatever its flags, the reply is the one reply: the request after
	 * it must get its own, not an ack of the first */
	ck_cmd(k, &r, "get-features need-reply=1");
	if (ck_disconnected(k))
		return ck_fail_step(k, r, "GET_FEATURES answered");
	if (ck_cmd(k, &r, "get-protocol-features") < 0)
		return ck_fail(k, "GET_PROTOCOL_FEATURES answered with its own reply", "%s", ck_describe(r, d, sizeof(d)));
	return ck_pass(k, "one reply each");
}

/* --- configuration space -------------------------------------------------- */

int ck_config_size(struct ck *k)
{
	struct json_object *r;

	if (ck_stage(k, ST_PROTO, PF(PF_CONFIG)) != 0)
		return 0;
	if (ck_cmd(k, &r, "get-config size=8") < 0)
		return ck_fail_step(k, r, "a reply of 8 bytes of configuration space");
	return ck_pass(k, "8 bytes asked, 8 bytes answered");
}

int ck_config_error(struct ck *k)
{
	struct json_object *r;
	char d[400];

	if (ck_stage(k, ST_PROTO, PF(PF_CONFIG)) != 0)
		return 0;
	if (ck_cmd(k, &r, "get-config size=8 offset=4096") == 0)
		return ck_fail(k, "a reply of size 0 (an error)", "8 bytes beyond any device's configuration space");
	if (strcmp(ck_err_code(r), "EIO") == 0)
		return ck_pass(k, "answered with size 0");
	if (ck_disconnected(k))
		return ck_pass(k, "the back-end closed the connection");
	return ck_fail(k, "a reply of size 0 (an error)", "%s", ck_describe(r, d, sizeof(d)));
}

/* --- robustness ----------------------------------------------------------- */

int ck_robust_raw(struct ck *k)
{
	struct json_object *r;
	const char *out;
	char d[400];

	if (script(k, k->c->pfeatures, &r) != 0)
		return 0;
	out = ck_outcome(r);
	if (ck_disconnected(k))
		return ck_pass(k, "the back-end closed the connection");
	if (!ck_ok(r) && strcmp(ck_err_code(r), "ETIMEDOUT") == 0)
		return ck_warn(k, "a reply (the request has one), a refusal, or the connection closed",
			       "no reply and the connection left open: a front-end waiting for the reply hangs");
	if (strcmp(out, "sent something") == 0)
		return ck_warn(k, "no reply (none is due), or the connection closed", "an unasked reply came");
	/* silent, or replied (refused or not): what counts is that it survives */
	return ck_pass(k, "%s", ck_describe(r, d, sizeof(d)));
}

/* --- the device IOTLB ------------------------------------------------------ */

#define F_IOMMU_PLATFORM 33	/* VIRTIO_F_IOMMU_PLATFORM, ACCESS_PLATFORM */

int ck_iotlb_answered(struct ck *k)
{
	struct json_object *r, *ua;
	uint64_t ack;
	const char *uaddr;

	if (ck_stage(k, ST_OWNER, PF(PF_BACKEND_REQ)) != 0)
		return 0;
	if (ck_cmd(k, &r, "set-features 0x%" PRIx64, ck_base_features(k) | PF(F_IOMMU_PLATFORM)) < 0)
		return ck_fail_step(k, r, "SET_FEATURES with VIRTIO_F_IOMMU_PLATFORM accepted");
	if ((k->s.conn.acked_proto & PF(PF_BACKEND_REQ)) && ck_cmd(k, &r, "set-backend-req-fd") < 0)
		return ck_fail_step(k, r, "SET_BACKEND_REQ_FD accepted");
	if (ck_cmd(k, &r, "mem add 1M") < 0 || !(ua = ck_get(r, "userspace_addr")) || !(uaddr = json_object_get_string(ua)))
		return ck_fail_step(k, r, "1 MiB of memory");
	if (ck_cmd(k, &r, "set-mem-table") < 0)
		return ck_fail_step(k, r, "SET_MEM_TABLE accepted");
	/* an update that maps IOVA 0 onto the first 4 KiB of the region, NEED_REPLY off */
	if (ck_cmd(k, &r, "iotlb-msg update 0 4096 %s rw need-reply=off", uaddr) == 0) {
		if (!ck_reply_num(r, "u64", &ack))
			return ck_fail_step(k, r, "a u64");
		if (ack)
			return ck_fail(k, "u64 0 for a valid update", "u64 %" PRIu64 ": a valid update refused", ack);
		return ck_pass(k, "answered u64 0, NEED_REPLY not asked for");
	}
	if (ck_disconnected(k))
		return ck_fail(k, "a u64", "the back-end closed the connection");
	if (strcmp(ck_err_code(r), "ETIMEDOUT") != 0)
		return ck_fail_step(k, r, "a u64");
	/* Silent without NEED_REPLY: with it? QEMU always sets it. */
	if (ck_cmd(k, &r, "iotlb-msg update 0 4096 %s rw need-reply=on", uaddr) == 0 && ck_reply_num(r, "u64", &ack))
		return ck_warn(k, "a u64, NEED_REPLY or not",
			       "no reply without NEED_REPLY; with it, u64 %" PRIu64 ". QEMU sets NEED_REPLY on every IOTLB_MSG, "
			       "so it works with QEMU; a front-end that does not waits for a reply that never comes", ack);
	return ck_fail(k, "a u64", "no reply, with NEED_REPLY or without");
}
