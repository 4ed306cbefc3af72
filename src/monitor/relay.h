/* relay.h - one direction of the monitor's relay: whole messages read without blocking, queued, sent on with their fds. */
#ifndef VHUCTL_MONITOR_RELAY_H
#define VHUCTL_MONITOR_RELAY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/proto.h"
#include "core/wire.h"

/* Messages read whole but not yet sent on, per direction: a peer that
 * stops reading holds at most this many, then nothing more is read from
 * the other (its kernel buffer fills, and its sender waits). */
#define RELAY_QUEUE 16

struct relay_qmsg {
	uint8_t buf[VHU_HDR_SIZE + VHU_PAYLOAD_MAX];
	uint32_t len, off;		/* bytes, and how many went already */
	int fds[VHU_MAX_FDS];
	unsigned nfds;			/* closed once they went with the first byte */
};

struct relay_dir {
	int from, to;			/* sockets, -1 when not connected */
	struct wire_rx rx;		/* what arrived of the next message */
	struct relay_qmsg q[RELAY_QUEUE];
	unsigned head, count;
};

void relay_init(struct relay_dir *d);
/* Drop what D holds, closing every fd; its sockets are the caller's. */
void relay_reset(struct relay_dir *d);
/* Room for another message: may D's sender be read? */
static inline bool relay_can_read(const struct relay_dir *d)
{
	return d->from >= 0 && d->to >= 0 && d->count < RELAY_QUEUE;
}
static inline bool relay_has_output(const struct relay_dir *d)
{
	return d->count > 0;
}
/* The message queued last: its bytes, the header first. */
static inline struct relay_qmsg *relay_last(struct relay_dir *d)
{
	return &d->q[(d->head + d->count + RELAY_QUEUE - 1) % RELAY_QUEUE];
}
/* Queue M (its fds move into the queue). There is room (relay_can_read). */
void relay_push(struct relay_dir *d, struct vhu_msg *m);
/* Send what the socket takes now. 0 (all sent, or the socket is full),
 * -errno when the receiver is gone. */
int relay_flush(struct relay_dir *d);

#endif
