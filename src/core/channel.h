/* channel.h - the back-end channel (SET_BACKEND_REQ_FD): each request the back-end sends, read, decoded, answered. */
#ifndef VHUCTL_CHANNEL_H
#define VHUCTL_CHANNEL_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "core/codec.h"
#include "core/features.h"
#include "core/wire.h"

/* What to do about a request is the caller's: the channel reads, checks,
 * renders and answers; it never decides. */
struct channel_ops {
	/* The answer (a u64; 0 is success) to request M, whose decoded
	 * payload is *V (NULL when it did not decode). May add to EV what it
	 * will do about it ("action"). */
	uint64_t (*policy)(void *arg, const struct vhu_request *row, const struct vhu_msg *m,
			   const struct vhu_pval *v, struct json_object *ev);
	/* A request was served, or the channel broke: EV says all of it and
	 * is the callee's. */
	void (*event)(void *arg, struct json_object *ev);
};

struct channel {
	int fd;			/* the front-end's end of the channel */
	enum vhu_device dev;	/* for decoding */
	bool reply_ack;		/* REPLY_ACK negotiated: NEED_REPLY is answered */
	int64_t deadline;	/* no read or answer past it (-1 none) */
	const struct channel_ops *ops;
	void *arg;
	unsigned stalls;	/* answers that timed out: the back-end is not reading */
};

/* Serve the one request waiting on CH: read it (every fd it carries is
 * looked at, then closed), render it as a "backend-request" event, answer
 * it when the protocol says so (REPLY_ALWAYS, or NEED_REPLY with REPLY_ACK)
 * with what the policy says, or 1 when it did not decode. 0 when served;
 * -errno when the channel broke (closed, malformed, an answer cut short) and
 * must be dropped: the event ("backend-channel-closed") says why. */
int channel_serve(struct channel *ch);

#endif
