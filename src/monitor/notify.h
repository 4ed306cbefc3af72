/* notify.h - vhuctl monitor --notify: the rings' kick and call eventfds swapped for the monitor's own, each signal forwarded, counted and timed. */
#ifndef VHUCTL_MONITOR_NOTIFY_H
#define VHUCTL_MONITOR_NOTIFY_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "core/wire.h"

#define NOTIFY_RINGS 256u
#define NOTIFY_SAMPLES 1024u

struct notify_ring {
	int front_kick;		/* the front-end's kick eventfd: read here */
	int back_kick;		/* ours, the back-end has its copy: written here */
	int back_call;		/* ours, the back-end signals it: read here */
	int front_call;		/* the front-end's call eventfd: written here */
	uint64_t kicks, calls;
	int64_t kick_ns;	/* the first kick not yet answered by a call, 0 none */
	uint32_t lat_us[NOTIFY_SAMPLES];	/* kick -> call, the last samples */
	uint64_t samples;
};

struct notify {
	struct notify_ring r[NOTIFY_RINGS];
	bool any;
	uint16_t polled[NOTIFY_RINGS];	/* the rings of the last notify_pollfds, in order */
	unsigned npolled;
};

void notify_init(struct notify *n);
/* Close every fd of the session. */
void notify_reset(struct notify *n);
/* A front-end request M on its way to the back-end: a SET_VRING_KICK or
 * SET_VRING_CALL with an fd has it swapped for a new eventfd of ours
 * (the front-end's kept here); any other request is left as it is. */
void notify_take(struct notify *n, struct vhu_msg *m);
/* The fds to poll, from P on (at most MAX): returns how many. */
unsigned notify_pollfds(struct notify *n, struct pollfd *p, unsigned max);
/* What poll said of the N entries from P: each signal forwarded. */
void notify_serve(struct notify *n, const struct pollfd *p, unsigned count);
/* Ring I's counts and kick-to-call latency as members of O (a ring of the
 * view), when the ring's eventfds go through the monitor. */
void notify_ring_json(const struct notify *n, unsigned i, struct json_object *o);

#endif
