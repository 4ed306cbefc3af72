/* case_dev.c - the cases of the net and fs data paths: a frame transmitted, a FUSE session started. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "check/case.h"

#define QSIZE 64
#define WAIT_MS 1000
/* A broadcast Ethernet frame of 60 bytes: an IPv4 header of zeros, padded. */
#define FRAME "ffffffffffff5254001234560800" \
	"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"

int ck_net_tx(struct ck *k)
{
	struct json_object *r, *used;
	bool disabled = strcmp(k->c->arg, "disabled") == 0;

	if (ck_stage(k, ST_MEM, 0) != 0)
		return 0;
	/* the receive ring (0) and the transmit ring (1) */
	for (unsigned i = 0; i < 2; i++)
		if (ck_cmd(k, &r, "vring setup %u size=%u%s", i, QSIZE, disabled ? " disabled" : "") < 0)
			return ck_fail_step(k, r, "the rings set up");
	if (ck_cmd(k, &r, "net send " FRAME) < 0)
		return ck_fail_step(k, r, "the frame made available on ring 1");
	ck_cmd(k, &r, "vring used 1 wait timeout=%d", WAIT_MS);
	if (json_object_object_get_ex(r, "used", &used) && json_object_array_length(used) > 0)
		return ck_pass(k, "the frame was used%s", disabled ? " (consumed and, the ring disabled, discarded)" : "");
	if (ck_disconnected(k))
		return ck_fail(k, "the frame used", "the back-end closed the connection");
	return ck_fail(k, disabled ? "the frame used: a disabled ring still consumes (and discards) what it is sent"
				   : "the frame used", "nothing used on ring 1 within %d ms", WAIT_MS);
}

/* "start", the fs device's request queue and hiprio queue up. */
static int fs_up(struct ck *k)
{
	struct json_object *r;

	if (ck_stage(k, ST_FEATURES, 0) != 0)
		return -1;
	if (ck_cmd(k, &r, "start queues=2 size=%u", QSIZE) < 0)
		return ck_fail_step(k, r, "the device started: hiprio and one request queue"), -1;
	return 0;
}

/* FUSE_INIT: 0 with the reply's major version and error, or -1 (the case
 * has failed). */
static int fs_init(struct ck *k, int64_t *major)
{
	struct json_object *r, *v;

	if (ck_cmd(k, &r, "fs init") < 0)
		return ck_fail_step(k, r, "FUSE_INIT answered with error 0 and a fuse_init_out"), -1;
	if (!(v = ck_get(r, "init_out.major")))
		return ck_fail(k, "a fuse_init_out", "no fuse_init_out in the reply"), -1;
	*major = json_object_get_int64(v);
	return 0;
}

int ck_fs_init(struct ck *k)
{
	bool again = strcmp(k->c->arg, "again") == 0;
	int64_t major;

	if (fs_up(k) < 0 || fs_init(k, &major) < 0)
		return 0;
	if (again && fs_init(k, &major) < 0)
		return 0;
	if (major != 7)
		return ck_fail(k, "FUSE major version 7", "major %" PRId64, major);
	return ck_pass(k, again ? "a second FUSE_INIT answered too, major 7" : "answered: major 7, error 0");
}

int ck_fs_stat_root(struct ck *k)
{
	struct json_object *r;

	if (fs_up(k) < 0)
		return 0;
	if (ck_cmd(k, &r, "fs stat /") < 0)
		return ck_fail_step(k, r, "GETATTR of the root (nodeid 1) answered with its attributes");
	return ck_pass(k, "the root's attributes came back");
}

/* Queue pair 1 of a net device that reports 2 queues or more: a frame on
 * its transmit ring (3) is used, as one on ring 1 is. */
int ck_net_queue_pairs(struct ck *k)
{
	struct json_object *r, *used;
	uint64_t n;

	if (ck_stage(k, ST_MEM, PF(PF_MQ)) != 0)
		return 0;
	if (!(k->s.conn.acked_proto & PF(PF_MQ)))
		return ck_skip(k, "VHOST_USER_PROTOCOL_F_MQ is not offered");
	if (ck_cmd(k, &r, "get-queue-num") < 0 || !ck_reply_num(r, "u64", &n))
		return ck_fail_step(k, r, "GET_QUEUE_NUM answered with a u64");
	if (n < 2)
		return ck_skip(k, "GET_QUEUE_NUM says %" PRIu64 ": one queue pair, no second to try", n);
	for (unsigned i = 0; i < 4; i++)
		if (ck_cmd(k, &r, "vring setup %u size=%u", i, QSIZE) < 0)
			return ck_fail_step(k, r, "the rings of queue pairs 0 and 1 set up");
	/* a virtio_net_hdr of 12 zero bytes, then the frame */
	if (ck_cmd(k, &r, "vring post 3 out=000000000000000000000000" FRAME) < 0 ||
	    ck_cmd(k, &r, "vring kick 3") < 0)
		return ck_fail_step(k, r, "the frame made available on ring 3");
	ck_cmd(k, &r, "vring used 3 wait timeout=%d", WAIT_MS);
	if (json_object_object_get_ex(r, "used", &used) && json_object_array_length(used) > 0)
		return ck_pass(k, "GET_QUEUE_NUM says %" PRIu64 "; queue pair 1 took a frame", n);
	if (ck_disconnected(k))
		return ck_fail(k, "the frame on ring 3 used", "the back-end closed the connection");
	/* A front-end asking for 2 queue pairs gets them all set up, and the
	 * second one is dead: the sentence says no MUST about it. */
	return ck_warn(k, "the frame on queue pair 1's transmit ring used",
		       "GET_QUEUE_NUM says %" PRIu64 ", but nothing was used on ring 3 (queue pair 1 transmit) within %d ms: "
		       "the back-end reports more queues than it serves", n, WAIT_MS);
}
