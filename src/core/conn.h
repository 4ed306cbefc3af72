/* conn.h - a session with one back-end: request/reply pairing, REPLY_ACK, validation. */
#ifndef VHUCTL_CONN_H
#define VHUCTL_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/proto.h"
#include "core/wire.h"

#define CONN_MAX_WARN 8

struct conn {
	int fd;				/* -1 when not connected */
	int listen_fd;			/* listen mode: the socket we serve, -1 otherwise */
	char path[108];
	int peer_pid, peer_uid;		/* who connected (listen mode), -1 unknown */
	int timeout_ms;
	/* What was negotiated, as seen on the wire. */
	bool have_features, features_set, have_proto, proto_set;
	uint64_t features;		/* last GET_FEATURES answer */
	uint64_t acked_features;	/* last SET_FEATURES sent */
	uint64_t proto;			/* last GET_PROTOCOL_FEATURES answer */
	uint64_t acked_proto;		/* last SET_PROTOCOL_FEATURES sent */
	uint64_t sent, received;	/* message counters */
	bool late_reply_possible;	/* a wait timed out: its reply may still come */
	/* The last two requests that went out whole (sent[0] the last), so
	 * that a hang-up can be told apart by what came before it. */
	struct conn_sent {
		uint32_t request;
		int64_t ns;		/* when it went out */
		bool answered;		/* its reply (or acknowledgement) came */
		uint64_t seq;		/* 'sent' when it went out; 0: none */
	} last[2];
	/* Why the connection is gone: the error that closed it ("" when vhuctl
	 * was asked to, or never connected); peer_closed when the back-end
	 * closed it. */
	char closed_why[512];
	bool peer_closed;
	int64_t closed_ns;
	int rcvtimeo_ms;		/* SO_RCVTIMEO set on fd, -2 none */
	struct wire_rx rx;		/* bytes read past the last reply */
};

enum conn_expect { EXPECT_AUTO, EXPECT_REPLY, EXPECT_NONE };

/* Every wait below is bounded by the connection's timeout and, sooner, by
 * LIMIT: the deadline of whatever the caller is doing (a wire_now_ns()
 * value, -1 none). */

/* One exchange: a request and whatever came back. */
struct conn_xfer {
	struct vhu_msg req;
	const struct vhu_request *row;	/* NULL for a number outside the table */
	enum conn_expect expect;	/* EXPECT_AUTO: decided from the table */
	bool reply_expected;		/* what was decided */
	bool ack_expected;		/* the reply is a REPLY_ACK u64 */
	bool got_reply;
	struct vhu_msg reply;
	int64_t rtt_ns;
	unsigned stale;			/* unsolicited messages discarded first */
	unsigned nwarn;
	char warn[CONN_MAX_WARN][200];
};

/* Make X ready for a new exchange without clearing its 8 KiB of buffers. */
void conn_xfer_reset(struct conn_xfer *x);

void conn_init(struct conn *c);
int conn_connect(struct conn *c, const char *path, int64_t limit, struct vhu_err *e);
void conn_close(struct conn *c);
/* Close after error E broke the connection (PEER: the back-end closed it);
 * closed_why keeps E's message. */
void conn_close_broken(struct conn *c, const struct vhu_err *e, bool peer);
/* Listen mode: serve PATH (a stale socket file there is replaced; any other
 * file is not touched). */
int conn_listen(struct conn *c, const char *path, struct vhu_err *e);
/* Accept the next back-end on the listening socket, waiting TIMEOUT_MS
 * (-1: for ever) and no longer than LIMIT. */
int conn_accept(struct conn *c, int timeout_ms, int64_t limit, struct vhu_err *e);
void conn_unlisten(struct conn *c);
static inline bool conn_connected(const struct conn *c) { return c->fd >= 0; }

/* Has REPLY_ACK been negotiated (sent in SET_PROTOCOL_FEATURES)? */
bool conn_reply_ack(const struct conn *c);

/* Is a message (or EOF) waiting, read already or on the socket? */
bool conn_has_input(const struct conn *c);
/* Receive one message nobody asked for (within the timeout). */
int conn_recv(struct conn *c, struct vhu_msg *m, int64_t limit, struct vhu_err *e);
/* Does ROW with FLAGS get a reply from a conforming back-end? *ack is set
 * when that reply is the REPLY_ACK u64. */
bool conn_reply_expected(const struct conn *c, const struct vhu_request *row,
			 uint32_t flags, bool *ack);

/* Send X->req, then (when a reply is expected) read and check the reply.
 * Reply fds beyond the table's allowance are closed and reported as an
 * error; the allowed ones are left in X->reply for the caller. Errors name
 * the request. Framing errors (EOF, timeout mid-message, oversize) close
 * the connection since the stream can no longer be trusted. */
int conn_transact(struct conn *c, struct conn_xfer *x, int64_t limit, struct vhu_err *e);

/* Name of request NUM for messages: "GET_FEATURES" or "request 99". */
const char *conn_req_name(const struct vhu_request *row, uint32_t num, char *buf, unsigned len);

#endif
