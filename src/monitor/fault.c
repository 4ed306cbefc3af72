/* fault.c - vhuctl monitor's fault injection: rules that drop, delay, corrupt or fail a message, or end the session at it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/proto.h"
#include "monitor/fault.h"

static const char *const action_names[] = {
	[FAULT_DROP] = "drop",
	[FAULT_CLOSE] = "close",
	[FAULT_DELAY] = "delay",
	[FAULT_FAIL] = "fail",
	[FAULT_CORRUPT] = "corrupt",
};

const char *fault_action_name(enum fault_action a)
{
	return (unsigned)a < sizeof(action_names) / sizeof(action_names[0]) ? action_names[a] : "?";
}

/* A number of up to MAX; false when S is none. */
static bool number(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	*v = strtoul(s, &end, 0);
	return !errno && !*end && *v <= max;
}

/* What is wrong with a rule, into err: -1. */
#define bad(err, len, ...) (snprintf((err), (len), __VA_ARGS__), -1)

int fault_parse(const char *text, struct fault_rule *r, char *err, size_t len)
{
	char buf[sizeof(r->text)], *save = NULL, *w;
	const char *req = NULL;
	bool have_action = false;
	unsigned long v;

	if (strlen(text) >= sizeof(buf))
		return bad(err, len, "a rule of at most %s characters", "159");
	memset(r, 0, sizeof(*r));
	snprintf(r->text, sizeof(r->text), "%s", text);
	snprintf(buf, sizeof(buf), "%s", text);
	r->nth = 1;
	r->count = 1;
	r->byte = -1;
	for (w = strtok_r(buf, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
		char *eq = strchr(w, '=');
		const char *val = eq ? eq + 1 : NULL;
		bool action = true;

		if (eq)
			*eq = '\0';
		if (!req && !eq && strcmp(w, "reply") && strcmp(w, "channel") && strcmp(w, "drop") &&
		    strcmp(w, "close") && strcmp(w, "fail")) {
			req = w;
			continue;
		}
		if (strcmp(w, "reply") == 0 && !val) {
			r->reply = true;
			action = false;
		} else if (strcmp(w, "channel") == 0 && !val) {
			r->channel = true;
			action = false;
		} else if (strcmp(w, "nth") == 0 && val) {
			if (!number(val, 1000000, &v) || v == 0)
				return bad(err, len, "nth=%s: a count from 1", val);
			r->nth = (unsigned)v;
			action = false;
		} else if (strcmp(w, "count") == 0 && val) {
			if (!number(val, 1000000, &v))
				return bad(err, len, "count=%s: a number (0: every time)", val);
			r->count = (unsigned)v;
			action = false;
		} else if (strcmp(w, "drop") == 0 && !val) {
			r->action = FAULT_DROP;
		} else if (strcmp(w, "close") == 0 && !val) {
			r->action = FAULT_CLOSE;
		} else if (strcmp(w, "fail") == 0 && !val) {
			r->action = FAULT_FAIL;
		} else if (strcmp(w, "delay") == 0 && val) {
			if (!number(val, 600000, &v))
				return bad(err, len, "delay=%s: milliseconds, at most 600000", val);
			r->action = FAULT_DELAY;
			r->delay_ms = (unsigned)v;
		} else if (strcmp(w, "corrupt") == 0 && val) {
			char *colon = strchr(val, ':');

			if (colon)
				*colon = '\0';
			if (!number(val, VHU_HDR_SIZE + VHU_PAYLOAD_MAX - 1, &v))
				return bad(err, len, "corrupt=%s: a byte offset in the message (the header's first)", val);
			r->offset = (uint32_t)v;
			if (colon) {
				if (!number(colon + 1, 255, &v))
					return bad(err, len, "corrupt=...:%s: the byte to write, 0 to 255", colon + 1);
				r->byte = (int)v;
			}
			r->action = FAULT_CORRUPT;
		} else {
			return bad(err, len, "'%s': a rule is REQUEST [reply] [channel] [nth=N] [count=N] and one of "
				   "drop, close, delay=MS, fail, corrupt=OFFSET[:BYTE]", eq ? (*eq = '=', w) : w);
		}
		if (action) {
			if (have_action)
				return bad(err, len, "'%s': one action a rule", w);
			have_action = true;
		}
	}
	if (!req)
		return bad(err, len, "'%s': which request? (a name such as SET_VRING_KICK, or a number)", text);
	if (!have_action)
		return bad(err, len, "'%s': what to do? (drop, close, delay=MS, fail, corrupt=OFFSET[:BYTE])", text);
	{
		const struct vhu_request *row = proto_request_by_name(r->channel ? SIDE_BACKEND : SIDE_FRONTEND, req);

		if (row)
			r->request = row->num;
		else if (number(req, UINT32_MAX, &v))
			r->request = (uint32_t)v;
		else
			return bad(err, len, r->channel ? "'%s': no back-end channel request of that name" :
				   "'%s': no front-end request of that name (a back-end channel one wants 'channel')", req);
	}
	if (r->action == FAULT_FAIL && !r->reply)
		return bad(err, len, "'%s': fail changes a reply: add 'reply'", text);
	return 0;
}

/* Which way the rule's messages go. */
static enum mon_dir rule_dir(const struct fault_rule *r)
{
	if (r->channel)
		return r->reply ? MON_CHAN_TO_BACKEND : MON_CHAN_TO_FRONTEND;
	return r->reply ? MON_TO_FRONTEND : MON_TO_BACKEND;
}

struct fault_rule *fault_match(struct fault_rule *rules, unsigned n, enum mon_dir dir, const struct vhu_msg *m)
{
	struct fault_rule *hit = NULL;

	for (unsigned i = 0; i < n; i++) {
		struct fault_rule *r = &rules[i];

		if (rule_dir(r) != dir || m->request != r->request || !(m->flags & VHU_FLAG_REPLY) != !r->reply)
			continue;
		r->seen++;
		if (hit || r->seen < r->nth || (r->count && r->fired >= r->count))
			continue;
		r->fired++;
		hit = r;	/* the first rule that fires; the others still count */
	}
	return hit;
}

bool fault_rewrite(const struct fault_rule *r, uint8_t *buf, uint32_t len, char *detail, size_t dlen)
{
	if (r->action == FAULT_FAIL) {
		uint64_t was, one = 1;

		if (len != VHU_HDR_SIZE + 8) {
			snprintf(detail, dlen, "not applied: the reply's payload is %u bytes, not a u64",
				 len - VHU_HDR_SIZE);
			return false;
		}
		memcpy(&was, buf + VHU_HDR_SIZE, 8);
		memcpy(buf + VHU_HDR_SIZE, &one, 8);
		snprintf(detail, dlen, "u64 0x%llx relayed as 0x1", (unsigned long long)was);
		return true;
	}
	if (r->action == FAULT_CORRUPT) {
		uint8_t was;

		if (r->offset >= len) {
			snprintf(detail, dlen, "not applied: offset %u is past the message's %u bytes", r->offset, len);
			return false;
		}
		was = buf[r->offset];
		buf[r->offset] = r->byte < 0 ? (uint8_t)~was : (uint8_t)r->byte;
		snprintf(detail, dlen, "byte %u: 0x%02x relayed as 0x%02x", r->offset, was, buf[r->offset]);
		return true;
	}
	return false;
}
