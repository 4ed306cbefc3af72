/* request.h - what the request commands and raw share: building a request, its fds, the exchange. */
#ifndef VHUCTL_CMD_REQUEST_H
#define VHUCTL_CMD_REQUEST_H

#include <stdbool.h>

#include "cmd/cmd.h"
#include "core/codec.h"

/* What a request must do with the fds around it once it has been sent. */
struct fd_plan {
	int send;		/* fd attached, -1 none */
	bool close_send;	/* ours to close once sent (the far end of a pair) */
	int keep;		/* fd to keep, -1 none */
	const char *keep_name;	/* in session_keep_fd, or NULL for a ring slot */
	int *ring_slot;		/* &s->ring[i].kick etc. */
};

/* Close what PLAN would have sent (the request did not go). */
void request_plan_close(struct fd_plan *p);
/* The request went: keep what PLAN keeps, close what it only sent. */
void request_plan_commit(struct session *s, struct fd_plan *p);
/* The payload PV and header of request command CTX from its arguments,
 * with the fds it needs in PLAN. */
int request_build(struct cmd_ctx *ctx, struct vhu_pval *pv, struct vhu_msg *m, struct fd_plan *p);
/* Send X, read what comes back, keep what it leaves (fds, ring state) and
 * render both into the command's result; PV is what was sent, decoded. */
int request_exchange(struct cmd_ctx *ctx, struct conn_xfer *x, struct fd_plan *p, const struct vhu_pval *pv);
/* A line in the result's "warnings". */
void request_add_warning(struct json_object *out, const char *msg);

#endif
