/* mevent.h - what the monitor prints about each message: direction, time, the message, the request a reply answers, what is wrong with it. */
#ifndef VHUCTL_MONITOR_MEVENT_H
#define VHUCTL_MONITOR_MEVENT_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "core/features.h"
#include "core/wire.h"

/* The four directions a message goes through the monitor. */
enum mon_dir {
	MON_TO_BACKEND,		/* front-end's requests on the main socket */
	MON_TO_FRONTEND,	/* back-end's replies on it */
	MON_CHAN_TO_FRONTEND,	/* back-end channel: the back-end's requests */
	MON_CHAN_TO_BACKEND,	/* back-end channel: the front-end's replies */
	MON_NDIRS
};

extern const char *const mon_dir_names[MON_NDIRS];

#define MON_PENDING_MAX 64

/* Requests waiting for a reply, on one socket, in the order they went. */
struct mon_pending {
	struct {
		uint32_t request;
		uint64_t seq;
		int64_t ns;
		bool ack;		/* the reply is a REPLY_ACK u64 */
	} p[MON_PENDING_MAX];
	unsigned n;
};

/* What one session has seen: numbering, pairing, what was negotiated. */
struct mon_track {
	uint64_t seq;			/* messages so far, over both sockets */
	unsigned session;
	enum vhu_device dev;
	bool proto_set;
	uint64_t acked_proto;		/* the last SET_PROTOCOL_FEATURES */
	struct mon_pending main, chan;
};

void mevent_track_reset(struct mon_track *t, unsigned session);

/* The "message" event of M, which came in direction DIR at NOW (a
 * wire_now_ns() value), written into W as one object (no schema_version:
 * the printer adds it); M's fds are described, not taken. */
struct jw;
void mevent_message_jw(struct mon_track *t, enum mon_dir dir, const struct vhu_msg *m, int64_t now,
		       struct jw *w);

#endif
