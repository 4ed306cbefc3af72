/* case_feature.c - the cases of the protocol features with state: device status, the inflight area, device state, SET_LOG_BASE's reply. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check/case.h"


/* --- status ---------------------------------------------------------------- */

int ck_status_roundtrip(struct ck *k)
{
	struct json_object *r;
	uint64_t want = strtoull(k->c->arg, NULL, 0), got;
	const char *v;

	if (ck_stage(k, ST_ACKED, PF(PF_STATUS)) != 0)
		return 0;
	if (ck_cmd(k, &r, "set-status 0x%" PRIx64, want) < 0)
		return ck_fail_step(k, r, "SET_STATUS accepted");
	if (ck_cmd(k, &r, "get-status") < 0 || !(v = json_object_get_string(ck_get(r, "reply.payload.value"))))
		return ck_fail_step(k, r, "GET_STATUS answered with a u64");
	got = strtoull(v, NULL, 16);
	if (got != want)
		return ck_fail(k, "the status SET_STATUS set", "set 0x%" PRIx64 ", GET_STATUS answered 0x%" PRIx64,
			       want, got);
	return ck_pass(k, "GET_STATUS answered 0x%" PRIx64 ", as set", got);
}

/* --- inflight -------------------------------------------------------------- */

int ck_inflight_get(struct ck *k)
{
	struct json_object *r;
	uint64_t size;

	/* QEMU asks for it before SET_FEATURES (vhost_user_blk_start) */
	if (ck_stage(k, ST_OWNER, PF(PF_INFLIGHT)) != 0)
		return 0;
	if (ck_cmd(k, &r, "get-inflight-fd num_queues=1 queue_size=64") < 0)
		return ck_fail_step(k, r, "GET_INFLIGHT_FD answered with its payload and an fd");
	if (!ck_reply_num(r, "mmap_size", &size) || size == 0)
		return ck_fail(k, "mmap_size > 0: a shared buffer for 1 queue of 64", "mmap_size 0");
	if (session_kept_fd(&k->s, "inflight") < 0)
		return ck_fail(k, "the shared buffer's fd with the reply", "mmap_size %" PRIu64 " but no fd", size);
	return ck_pass(k, "mmap_size %" PRIu64 " and its fd", size);
}

/* --- device state ---------------------------------------------------------- */

int ck_state_transfer(struct ck *k)
{
	struct json_object *r;
	char path[4096];
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	bool load = strcmp(k->c->arg, "load") == 0;
	int fd, rc;

	/* no ring started: the device is stopped, as the transfer wants */
	if (ck_stage(k, ST_MEM, PF(PF_DEVICE_STATE)) != 0)
		return 0;
	snprintf(path, sizeof(path), "%s/vhuctl-check-state.XXXXXX", tmp);
	if ((fd = mkstemp(path)) < 0)
		return ck_fail(k, "a file for the state", "%s: cannot be made", path);
	close(fd);
	rc = ck_cmd(k, &r, "device-state save \"%s\"", path);
	if (rc == 0 && load)
		rc = ck_cmd(k, &r, "device-state load \"%s\"", path);
	unlink(path);
	if (rc < 0)
		return ck_fail_step(k, r, load ? "the state saved, then loaded back, CHECK_DEVICE_STATE 0 each time"
					       : "the state saved to the end, then CHECK_DEVICE_STATE 0");
	return ck_pass(k, load ? "saved and loaded back; CHECK_DEVICE_STATE 0" : "saved; CHECK_DEVICE_STATE 0");
}

/* --- SET_LOG_BASE's reply --------------------------------------------------- */

int ck_log_base_reply(struct ck *k)
{
	struct json_object *r, *p, *u;
	const char *fl;
	char d[400], flags[120] = "";
	uint64_t v;

	if (ck_stage(k, ST_MEM, PF(PF_LOG_SHMFD)) != 0)
		return 0;
	ck_cmd(k, &r, "set-log-base need-reply=1");
	/* a reply vhuctl refused for its flags is still the one reply */
	if (!ck_ok(r) && !ck_get(r, "reply.flags"))
		return ck_fail(k, "the reply SET_LOG_BASE has with VHOST_USER_PROTOCOL_F_LOG_SHMFD", "%s",
			       ck_describe(r, d, sizeof(d)));
	p = ck_get(r, "reply.payload");
	fl = json_object_get_string(ck_get(r, "reply.flags.value"));
	if (fl && strtoul(fl, NULL, 16) != 0x5)
		snprintf(flags, sizeof(flags), "reply flags %s (NEED_REPLY echoed, which QEMU refuses); ", fl);
	/* one reply: the next request gets its own, not a late ack */
	if (ck_cmd(k, &r, "get-features") < 0)
		return ck_fail(k, "one reply, then GET_FEATURES answered with its own", "%s",
			       ck_describe(r, d, sizeof(d)));
	u = ck_get(p, "u64");
	v = u ? (uint64_t)json_object_get_uint64(u) : 0;
	if (v)
		return ck_warn(k, "one reply with flags 0x5 and no payload, or u64 0",
			       "%sthe reply is u64 0x%" PRIx64 ": the request's mmap_size sent back (libvhost-user's "
			       "vu_set_log_base_exec answers with the payload it was sent); a front-end reading it as "
			       "REPLY_ACK's u64 sees a failure", flags, v);
	if (flags[0])
		return ck_warn(k, "one reply with flags 0x5", "%sone reply%s", flags, u ? ", u64 0" : ", no payload");
	return ck_pass(k, u ? "one reply, u64 0" : "one reply, with no payload (the reply payload is N/A)");
}
