/* backend.h - the back-end channel as the session serves it: its policies, and the commands they queue. */
#ifndef VHUCTL_BACKEND_H
#define VHUCTL_BACKEND_H

#include "cmd/session.h"

/* Start serving the channel the session keeps as "backend-channel". */
void backend_attach(struct session *s);
/* Read and answer every message waiting on the channel, without blocking. */
void backend_poll(struct session *s);
/* Serve one readable message (the wire waiter callback). */
void backend_on_readable(void *session);
/* Send what events queued for the main socket (IOTLB updates, GET_CONFIG),
 * now that no request is in flight. */
void backend_flush(struct session *s);
/* The channel's fd, -1 when there is none. */
int backend_fd(const struct session *s);

#endif
