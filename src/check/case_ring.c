/* case_ring.c - the cases of the rings (set-up, enable, stop, GET_VRING_BASE) and of the blk data path. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/case.h"

#define F_PROTOCOL_FEATURES 30
#define BLK_F_RO 5	/* VIRTIO_BLK_F_RO */
#define WATCH_MS 300	/* how long a ring that must not move is watched */

/* virtio_blk_req's header for TYPE at sector 0, as hex. */
static const char *blk_hdr(unsigned type, char buf[33])
{
	snprintf(buf, 33, "%02x%02x%02x%02x%024d", type & 0xff, type >> 8 & 0xff, type >> 16 & 0xff, type >> 24, 0);
	return buf;
}

/* A blk read of sector 0 made available on ring 0 (kicked or not), and
 * whether a used entry came within WATCH_MS: 1 yes (its len in *LEN when
 * LEN), 0 no, -1 the case has failed. */
static int read_moves_len(struct ck *k, bool kick, int64_t *len)
{
	struct json_object *r, *used, *l;
	char h[33];

	if (ck_cmd(k, &r, "vring post 0 out=%s in=512 in=1", blk_hdr(0, h)) < 0 ||
	    (kick && ck_cmd(k, &r, "vring kick 0") < 0)) {
		ck_fail_step(k, r, "the request made available");
		return -1;
	}
	ck_cmd(k, &r, "vring used 0 wait timeout=%d", WATCH_MS);
	if (!json_object_object_get_ex(r, "used", &used) || json_object_array_length(used) == 0)
		return 0;
	if (len && json_object_object_get_ex(json_object_array_get_idx(used, 0), "len", &l))
		*len = json_object_get_int64(l);
	return 1;
}

static int read_moves(struct ck *k, bool kick)
{
	return read_moves_len(k, kick, NULL);
}

int ck_ring_base(struct ck *k)
{
	struct json_object *r;
	uint64_t num;

	if (ck_stage(k, ST_MEM, 0) != 0)
		return 0;
	if (ck_cmd(k, &r, "set-vring-num 0 64") < 0 || ck_cmd(k, &r, "set-vring-base 0 5") < 0)
		return ck_fail_step(k, r, "the ring's size and base accepted");
	if (ck_cmd(k, &r, "get-vring-base 0") < 0 || !ck_reply_num(r, "num", &num))
		return ck_fail_step(k, r, "GET_VRING_BASE answered");
	if (num != 5)
		return ck_fail(k, "num 5, as SET_VRING_BASE set it", "num %" PRIu64, num);
	return ck_pass(k, "num 5");
}

int ck_ring_base_after_io(struct ck *k)
{
	struct json_object *r;
	uint64_t num;

	if (ck_stage(k, ST_RING, 0) != 0)
		return 0;
	for (int i = 0; i < 3; i++)
		if (ck_cmd(k, &r, "blk read 0") < 0)
			return ck_fail_step(k, r, "three reads completed");
	if (ck_cmd(k, &r, "get-vring-base 0") < 0 || !ck_reply_num(r, "num", &num))
		return ck_fail_step(k, r, "GET_VRING_BASE answered");
	if (num != 3)
		return ck_fail(k, "num 3: three requests taken from the available ring", "num %" PRIu64, num);
	return ck_pass(k, "num 3");
}

/* Started and disabled, a ring is processed "without causing any side
 * effects": as no RX is produced there, no read's data is; a read may be
 * discarded (used with nothing written), or left till the ring is enabled. */
int ck_ring_disabled(struct ck *k)
{
	struct json_object *r, *used;
	int64_t len = -1;
	int moved;

	if (ck_stage(k, ST_MEM, 0) != 0)
		return 0;
	if (ck_cmd(k, &r, "vring setup 0 size=64 disabled") < 0)
		return ck_fail_step(k, r, "the ring set up");
	if ((moved = read_moves_len(k, true, &len)) < 0)
		return 0;
	if (moved && len != 0)
		return ck_fail(k, "no data produced while the ring is disabled (the read discarded, or left till enabled)",
			       "the read was done and used before SET_VRING_ENABLE, %" PRId64 " bytes written", len);
	/* a back-end that serves no ring at all would pass the watch: a read
	 * must be done once the ring is enabled (and kicked again, as a driver
	 * would after enabling) */
	if (ck_cmd(k, &r, "set-vring-enable 0 1") < 0)
		return ck_fail_step(k, r, "SET_VRING_ENABLE 1 accepted");
	if (moved) {	/* discarded: a read of its own */
		if (ck_cmd(k, &r, "blk read 0") < 0)
			return ck_fail_step(k, r, "a read done once the ring is enabled");
		return ck_pass(k, "discarded while disabled (used, nothing written); a read done after SET_VRING_ENABLE 1");
	}
	if (ck_cmd(k, &r, "vring kick 0") < 0)
		return ck_fail_step(k, r, "the ring kicked");
	if (ck_cmd(k, &r, "vring used 0 wait") < 0 || !json_object_object_get_ex(r, "used", &used) ||
	    json_object_array_length(used) == 0)
		return ck_fail(k, "nothing used while disabled, the read used once enabled",
			       "nothing used within %d ms while disabled, nor after SET_VRING_ENABLE 1", WATCH_MS);
	return ck_pass(k, "nothing used within %d ms while disabled; used after SET_VRING_ENABLE 1", WATCH_MS);
}

int ck_ring_auto_enabled(struct ck *k)
{
	struct json_object *r;

	if (ck_stage(k, ST_OWNER, 0) != 0)
		return 0;
	if (ck_cmd(k, &r, "set-features 0x%" PRIx64, ck_base_features(k) & ~PF(F_PROTOCOL_FEATURES)) < 0 ||
	    ck_cmd(k, &r, "mem add 1M") < 0 || ck_cmd(k, &r, "set-mem-table") < 0 ||
	    ck_cmd(k, &r, "vring setup 0 size=64") < 0)
		return ck_fail_step(k, r, "the set-up without VHOST_USER_F_PROTOCOL_FEATURES accepted");
	if (ck_cmd(k, &r, "blk read 0") < 0)
		return ck_fail_step(k, r, "the read done: the ring is enabled");
	return ck_pass(k, "the read was done with no SET_VRING_ENABLE");
}

int ck_ring_stopped(struct ck *k)
{
	struct json_object *r;
	int moved;

	if (ck_stage(k, ST_RING, 0) != 0)
		return 0;
	if (ck_cmd(k, &r, "blk read 0") < 0)
		return ck_fail_step(k, r, "a read done before the ring is stopped");
	if (ck_cmd(k, &r, "get-vring-base 0") < 0)
		return ck_fail_step(k, r, "GET_VRING_BASE answered");
	/* not kicked: a kick starts a ring again */
	if ((moved = read_moves(k, false)) < 0)
		return 0;
	if (moved)
		return ck_fail(k, "no used entry on a stopped ring", "a request made available after "
			       "GET_VRING_BASE was done, with no kick to start the ring again");
	return ck_pass(k, "nothing used within %d ms", WATCH_MS);
}

/* --- blk ------------------------------------------------------------------ */

/* The status byte of RES, a blk command's result: -1 when there is none. */
static int blk_status(struct json_object *res)
{
	struct json_object *v;

	return json_object_object_get_ex(res, "status_value", &v) ? json_object_get_int(v) : -1;
}

static const char *hex_of(struct json_object *res)
{
	struct json_object *v;

	if (!json_object_object_get_ex(res, "data", &v) || !json_object_object_get_ex(v, "hex", &v))
		return "";
	return json_object_get_string(v);
}

/* Write sector 1 with DATA (hex), read it back; the sector's contents are
 * put back after. */
static int write_read_back(struct ck *k, const char *data, bool partial)
{
	struct json_object *r;
	char *saved;
	int st, rc = 0;

	if (ck_cmd(k, &r, "blk read 1") < 0)
		return ck_fail_step(k, r, "sector 1 read, to be put back afterwards");
	if (!(saved = strdup(hex_of(r))))
		return ck_fail(k, "memory", "out of memory");
	ck_cmd(k, &r, "blk write 1 %s", data);
	st = blk_status(r);
	if (partial) {
		if (st == 0)
			rc = ck_warn(k, "IOERR or UNSUPP: 100 bytes is not a whole sector", "status OK");
		else if (st == 1 || st == 2)
			rc = ck_pass(k, "status %d", st);
		else
			rc = ck_fail_step(k, r, "a status byte of IOERR or UNSUPP");
	} else if (st != 0) {
		rc = ck_fail_step(k, r, "status OK");
	} else if (ck_cmd(k, &r, "blk read 1") < 0) {
		rc = ck_fail_step(k, r, "the sector read back");
	} else if (strcmp(hex_of(r), data) != 0) {
		rc = ck_fail(k, "the bytes written", "other bytes read back");
	} else {
		rc = ck_pass(k, "512 bytes written and read back");
	}
	ck_cmd(k, &r, "blk write 1 %s", saved);	/* the user's sector, as it was */
	free(saved);
	return rc;
}

/* Write sector 1 with DATA (hex) on a device offering VIRTIO_BLK_F_RO:
 * status IOERR, and the sector reads back as it was (put back if not). */
static int read_only_write(struct ck *k, const char *data)
{
	struct json_object *r;
	char *before;
	bool written = false;
	int st, rc;

	if (ck_cmd(k, &r, "blk read 1") < 0)
		return ck_fail_step(k, r, "sector 1 read, to see that the write leaves it as it is");
	if (!(before = strdup(hex_of(r))))
		return ck_fail(k, "memory", "out of memory");
	ck_cmd(k, &r, "blk write 1 %s", data);
	if ((st = blk_status(r)) != 1) {
		written = st == 0;
		rc = ck_fail_step(k, r, "status IOERR");
	} else if (ck_cmd(k, &r, "blk read 1") < 0) {
		rc = ck_fail_step(k, r, "sector 1 read back after the refused write");
	} else if (strcmp(hex_of(r), before) != 0) {
		written = true;
		rc = ck_fail(k, "status IOERR and sector 1 as it was", "status IOERR, but sector 1 now reads otherwise");
	} else {
		rc = ck_pass(k, "status IOERR, sector 1 as it was");
	}
	if (written)
		ck_cmd(k, &r, "blk write 1 %s", before);	/* the user's sector, as it was */
	free(before);
	return rc;
}

int ck_blk_io(struct ck *k)
{
	const char *what = k->c->arg;
	struct json_object *r;
	char data[1025];

	if (ck_stage(k, ST_RING, 0) != 0)
		return 0;
	if (strcmp(what, "read") == 0) {
		struct json_object *v;

		if (ck_cmd(k, &r, "blk read 0") < 0)
			return ck_fail_step(k, r, "status OK");
		json_object_object_get_ex(r, "used_len", &v);
		if (json_object_get_int(v) != 513)
			return ck_warn(k, "used length 513 (512 bytes and the status byte)", "used length %d",
				       json_object_get_int(v));
		return ck_pass(k, "status OK, 513 bytes used");
	}
	if (strcmp(what, "write") == 0 || strcmp(what, "ro") == 0) {
		for (int i = 0; i < 512; i++)
			snprintf(data + 2 * i, 3, "%02x", (unsigned)(0xa5 ^ i) & 0xff);
		if (strcmp(what, "ro") == 0)
			return read_only_write(k, data);
		/* a read-only device must fail the write: blk.read-only-write's rule */
		if (k->features & PF(BLK_F_RO))
			return ck_skip(k, "VIRTIO_BLK_F_RO offered: a write must fail (blk.read-only-write)");
		return write_read_back(k, data, false);
	}
	if (strcmp(what, "partial") == 0) {
		memset(data, 'a', 200);
		data[200] = '\0';
		return write_read_back(k, data, true);
	}
	if (strcmp(what, "flush") == 0)
		return ck_cmd(k, &r, "blk flush") == 0 ? ck_pass(k, "status OK") : ck_fail_step(k, r, "status OK");
	if (ck_cmd(k, &r, "blk id") < 0)
		return ck_fail_step(k, r, "status OK");
	return ck_pass(k, "status OK");
}

int ck_blk_bad_request(struct ck *k)
{
	struct json_object *r, *u;
	unsigned type = (unsigned)strtoul(k->c->arg, NULL, 10);
	const char *st;
	char h[33];

	if (ck_stage(k, ST_RING, 0) != 0)
		return 0;
	if (ck_cmd(k, &r, "vring post 0 out=%s in=1", blk_hdr(type, h)) < 0 || ck_cmd(k, &r, "vring kick 0") < 0)
		return ck_fail_step(k, r, "the request made available");
	ck_cmd(k, &r, "vring used 0 wait");
	/* used[0].buffers[1].data.hex: the status byte */
	if (!json_object_object_get_ex(r, "used", &u) || !(u = json_object_array_get_idx(u, 0)) ||
	    !json_object_object_get_ex(u, "buffers", &u) || !(u = json_object_array_get_idx(u, 1)) ||
	    !json_object_object_get_ex(u, "data", &u) || !json_object_object_get_ex(u, "hex", &u))
		return ck_fail_step(k, r, "the request used, with its status byte");
	st = json_object_get_string(u);
	if (strcmp(st, "02") == 0)
		return ck_pass(k, "status UNSUPP");
	if (strcmp(st, "01") == 0)
		return ck_warn(k, "status UNSUPP (2)", "status IOERR (1)");
	return ck_fail(k, "status UNSUPP (2)", "status byte 0x%s", st);
}
