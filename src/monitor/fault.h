/* fault.h - vhuctl monitor's fault injection: rules that drop, delay, corrupt or fail a message, or end the session at it. */
#ifndef VHUCTL_MONITOR_FAULT_H
#define VHUCTL_MONITOR_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/wire.h"
#include "monitor/mevent.h"

#define FAULT_RULES_MAX 16

enum fault_action {
	FAULT_DROP,		/* not relayed (its fds closed) */
	FAULT_CLOSE,		/* not relayed: the session ends there, both sockets closed */
	FAULT_DELAY,		/* relayed after delay_ms; what follows it that way waits too */
	FAULT_FAIL,		/* a u64 reply (REPLY_ACK and the like) relayed as 1: failure */
	FAULT_CORRUPT,		/* byte OFFSET of the message (header first) changed */
};

/* One --fault rule: "REQUEST [reply] [channel] [nth=N] [count=N] ACTION". */
struct fault_rule {
	char text[160];		/* as given, for the events */
	uint32_t request;
	bool reply;		/* the reply to REQUEST, not REQUEST itself */
	bool channel;		/* a back-end channel request (the back-end's) */
	unsigned nth;		/* from the nth match on (1: the first) */
	unsigned count;		/* this many times (0: every time from nth on) */
	enum fault_action action;
	unsigned delay_ms;
	uint32_t offset;
	int byte;		/* the byte written at offset; -1: its bits flipped */
	/* over the monitor's whole life, not per session: a front-end that
	 * reconnects after the fault does not meet it again */
	unsigned seen, fired;
};

/* Parse TEXT into R; -1 with ERR (LEN bytes) saying what is wrong. */
int fault_parse(const char *text, struct fault_rule *r, char *err, size_t len);

/* The rule of RULES (N of them) that fires on M, going DIR, or NULL; each
 * rule that matches counts the message. */
struct fault_rule *fault_match(struct fault_rule *rules, unsigned n, enum mon_dir dir, const struct vhu_msg *m);

/* The action's name, as events show it. */
const char *fault_action_name(enum fault_action a);

/* Apply a FAIL or CORRUPT rule to the message about to go: BUF (LEN bytes,
 * the header first). Writes what changed into DETAIL; false when the rule
 * cannot apply to this message (a reply that is no u64, an offset past
 * its end): it is relayed unchanged. */
bool fault_rewrite(const struct fault_rule *r, uint8_t *buf, uint32_t len, char *detail, size_t dlen);

#endif
