/* case_mem.c - the cases of the memory table: slots, adding and removing regions, regions that make no sense. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "check/case.h"
#include "core/mem.h"

#define REGION 0x10000u		/* 64 KiB: 32 of them cost little */

/* Negotiate CONFIGURE_MEM_SLOTS, ask how many slots: 0 when the case has
 * its verdict already. */
static uint64_t slots(struct ck *k)
{
	struct json_object *r;
	uint64_t n;

	if (ck_stage(k, ST_ACKED, PF(PF_MEM_SLOTS)) != 0)
		return 0;
	if (ck_cmd(k, &r, "get-max-mem-slots") < 0 || !ck_reply_num(r, "u64", &n)) {
		ck_fail_step(k, r, "GET_MAX_MEM_SLOTS answered with a u64");
		return 0;
	}
	if (n == 0)
		ck_fail(k, "at least 1 slot", "0 slots");
	return n;
}

/* Add region N of vhuctl's memory (REGION bytes, laid one after another)
 * to the back-end: its ADD_MEM_REG's result. */
static int add_region(struct ck *k, unsigned n, struct json_object **r)
{
	int rc = ck_cmd(k, r, "mem add %u gpa=0x%" PRIx64, REGION, (uint64_t)n * REGION);

	return rc < 0 ? rc : ck_cmd(k, r, "add-mem-reg region=%u", n);
}

int ck_mem_max_slots(struct ck *k)
{
	uint64_t n = slots(k);

	return n ? ck_pass(k, "%" PRIu64 " slots", n) : 0;
}

/* The first N regions acknowledged with 0; false with the verdict set. */
static bool fill(struct ck *k, uint64_t n)
{
	struct json_object *r;
	uint64_t ack;

	for (unsigned i = 0; i < n; i++) {
		add_region(k, i, &r);
		if (!ck_ack(r, &ack) || ack) {
			char d[400];

			ck_fail(k, "every region up to the number of slots acknowledged with u64 0",
				"region %u of %" PRIu64 ": %s", i + 1, n, ck_describe(r, d, sizeof(d)));
			return false;
		}
	}
	return true;
}

int ck_mem_slots_honoured(struct ck *k)
{
	uint64_t n = slots(k);

	if (!n)
		return 0;
	if (n > MEM_REGIONS_MAX)
		n = MEM_REGIONS_MAX;	/* what vhuctl holds; the rest is untested */
	return fill(k, n) ? ck_pass(k, "%" PRIu64 " regions mapped", n) : 0;
}

/* A non-zero ack or a closed connection refuse; u64 0 accepts, which the
 * spec does not forbid: WHY says what it costs. */
static int refused(struct ck *k, struct json_object *r, const char *expected, bool must, const char *why)
{
	char d[400];
	uint64_t ack;

	if (ck_disconnected(k))
		return ck_pass(k, "refused: the back-end closed the connection");
	if (!ck_ack(r, &ack))
		return ck_fail(k, "a REPLY_ACK (NEED_REPLY was set), or the connection closed", "%s",
			       ck_describe(r, d, sizeof(d)));
	if (ack)
		return ck_pass(k, "refused with u64 %" PRIu64, ack);
	if (must)
		return ck_fail(k, expected, "acknowledged with u64 0%s", why);
	return ck_warn(k, expected, "acknowledged with u64 0%s", why);
}

/* "raw ADD_MEM_REG" with NEED_REPLY and the single-region payload GPA,
 * SIZE, UADDR, offset 0; with region FD's memfd attached, or none (-1). */
static int raw_add(struct ck *k, struct json_object **r, uint64_t gpa, uint64_t size, uint64_t uaddr, int fd)
{
	uint64_t f[5] = { 0, gpa, size, uaddr, 0 };
	char hex[81], memfd[24] = "";

	for (unsigned i = 0; i < sizeof(f); i++)
		snprintf(hex + 2 * i, 3, "%02x", ((const uint8_t *)f)[i]);
	if (fd >= 0)
		snprintf(memfd, sizeof(memfd), " memfd=%d", fd);
	return ck_cmd(k, r, "raw ADD_MEM_REG header-flags=0x9 payload=%s%s", hex, memfd);
}

int ck_mem_beyond_slots(struct ck *k)
{
	struct json_object *r;
	uint64_t n = slots(k);

	if (!n)
		return 0;
	if (n >= MEM_REGIONS_MAX)
		return ck_skip(k, "%" PRIu64 " slots: vhuctl holds %u regions at most", n, MEM_REGIONS_MAX);
	if (!fill(k, n))
		return 0;
	/* raw: vhuctl's own add-mem-reg refuses to go past the slots */
	if (ck_cmd(k, &r, "mem add %u gpa=0x%" PRIx64, REGION, n * REGION) < 0)
		return ck_fail_step(k, r, "memory for the case");
	raw_add(k, &r, n * REGION, REGION, (uint64_t)(uintptr_t)k->s.mem.r[n].va, (int)n);
	return refused(k, r, "a refusal (non-zero u64, or the connection closed)", false,
		       ": more regions than the slots the back-end said it has");
}

int ck_mem_rem(struct ck *k)
{
	struct json_object *r;
	uint64_t ack;

	if (!slots(k) || !fill(k, 1))
		return 0;
	ck_cmd(k, &r, "rem-mem-reg region=0");
	if (!ck_ack(r, &ack) || ack)
		return ck_fail_step(k, r, "REM_MEM_REG acknowledged with u64 0");
	ck_cmd(k, &r, "add-mem-reg region=0");
	if (!ck_ack(r, &ack) || ack)
		return ck_fail_step(k, r, "the removed region added again, acknowledged with u64 0");
	return ck_pass(k, "removed, then added again");
}

int ck_mem_rem_unknown(struct ck *k)
{
	struct json_object *r;

	if (!slots(k))
		return 0;
	/* a region vhuctl holds but never told the back-end of */
	if (ck_cmd(k, &r, "mem add %u", REGION) < 0)
		return ck_fail_step(k, r, "memory for the case");
	ck_cmd(k, &r, "rem-mem-reg region=0");
	return refused(k, r, "a refusal (non-zero u64, or the connection closed)", false,
		       ": there was no such region to remove");
}

int ck_mem_add_no_fd(struct ck *k)
{
	struct json_object *r;
	const struct mem *m = &k->s.mem;

	if (!slots(k))
		return 0;
	if (ck_cmd(k, &r, "mem add %u", REGION) < 0)
		return ck_fail_step(k, r, "memory for the case");
	raw_add(k, &r, m->r[0].gpa, m->r[0].size, (uint64_t)(uintptr_t)m->r[0].va, -1);
	return refused(k, r, "a refusal: with no fd there is nothing to map", true,
		       " for a region it had no fd to map");
}

int ck_mem_bad_region(struct ck *k)
{
	struct json_object *r;
	const struct mem *m = &k->s.mem;
	bool overlap = strcmp(k->c->arg, "overlap") == 0;

	if (!slots(k))
		return 0;
	if (overlap && !fill(k, 1))
		return 0;
	/* a second memfd region, at guest addresses of its own in vhuctl */
	if (ck_cmd(k, &r, "mem add %u gpa=0x%x", REGION, 4 * REGION) < 0)
		return ck_fail_step(k, r, "memory for the case");
	if (overlap)	/* told to the back-end as half over region 0 */
		raw_add(k, &r, REGION / 2, REGION, (uint64_t)(uintptr_t)m->r[m->n - 1].va, (int)m->n - 1);
	else
		raw_add(k, &r, 4 * REGION, 0, (uint64_t)(uintptr_t)m->r[m->n - 1].va, (int)m->n - 1);
	return refused(k, r, "a refusal (non-zero u64, or the connection closed)", false,
		       overlap ? ": two regions now claim the same guest addresses" :
				 ": a region of no bytes");
}
