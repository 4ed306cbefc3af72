/* wire.h - vhost-user messages on a unix socket: header, payload, SCM_RIGHTS fds. */
#ifndef VHUCTL_WIRE_H
#define VHUCTL_WIRE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/err.h"
#include "core/proto.h"

struct vhu_msg {
	uint32_t request, flags, size;	/* header as sent or received */
	uint8_t payload[VHU_PAYLOAD_MAX];
	uint32_t len;			/* payload bytes actually present */
	uint32_t consumed;		/* bytes read off the socket, header included */
	int fds[VHU_MAX_FDS];
	unsigned nfds;
	bool fds_truncated;		/* more fds came than fit: the kernel closed the rest */
};

/* Set from a signal handler (Ctrl-C): every wait returns -ECANCELED. */
extern volatile sig_atomic_t wire_cancel;

/* Monotonic clock in nanoseconds, and a deadline TIMEOUT_MS from now
 * (negative timeout: no deadline). Deadlines are values of this clock, -1
 * for none. */
int64_t wire_now_ns(void);
int64_t wire_deadline(int timeout_ms);
/* The sooner of TIMEOUT_MS from now and LIMIT (a caller's deadline, -1
 * none): an operation's own bound within a bigger one. */
int64_t wire_bound(int timeout_ms, int64_t limit);

/* Send the header of M (its size field as given, even when it disagrees with
 * M->len: fault injection is allowed here), then M->len payload bytes, with
 * M's fds on the first byte. Never raises SIGPIPE. *SENT (may be NULL)
 * receives the bytes that went, also on error: a message cut short leaves
 * the stream unusable, one not begun does not. */
int wire_send(int sock, const struct vhu_msg *m, int64_t deadline_ns, size_t *sent,
	      struct vhu_err *e);

/* Receive one message. The header's size is checked against MAX_SIZE before
 * any payload is read. Every fd that arrives is stored in M (up to
 * VHU_MAX_FDS; the kernel closes any beyond). Errors:
 *   -ECONNRESET  peer closed ("after N of 12 header bytes")
 *   -ETIMEDOUT   deadline passed ("after N of M payload bytes")
 *   -EMSGSIZE    size field over MAX_SIZE (payload left unread)
 *   -ECANCELED   wire_cancel was set
 * On error, fds already received are closed. */
int wire_recv(int sock, struct vhu_msg *m, uint32_t max_size,
	      int64_t deadline_ns, struct vhu_err *e);

/* A wait that has found nothing to read for WIRE_IDLE_MS calls FN once (NULL:
 * none): the front-end writes out the results it holds in a buffer, so that
 * nothing finished is held back behind a wait, while a fast run of requests
 * (each answered within microseconds) still writes in big blocks. */
#define WIRE_IDLE_MS 2
void wire_set_idle(void (*fn)(void));

/* While any wait is in progress, call FN(ARG) whenever FD is readable
 * (FD -1: none). Not re-entered from within FN. */
void wire_set_waiter(int fd, void (*fn)(void *arg), void *arg);
/* The same for waiter SLOT (0 is wire_set_waiter's: the back-end channel;
 * 1 the gpu socket). Each is served when readable. */
#define WIRE_WAITERS 2u
void wire_set_waiter_at(unsigned slot, int fd, void (*fn)(void *arg), void *arg);
/* Wait for FD (-1: none) to be readable, serving the waiter meanwhile:
 * 0 readable, 1 the waiter was served (look again), -ETIMEDOUT, -ECANCELED.
 * A deadline that has passed still looks at FD once (and serves nothing). */
int wire_wait(int fd, int64_t deadline);
/* The same for EVENTS (POLLIN, POLLOUT) on FD. */
int wire_wait_for(int fd, short events, int64_t deadline);

/* Bytes read off a socket beyond the message that was wanted: the start of
 * the next one, with the fds that came with it. Only a reply shorter than
 * the read-ahead leaves anything here (a back-end that sent more than it
 * was asked for); the next receive takes it first. */
struct wire_rx {
	uint8_t buf[VHU_HDR_SIZE + VHU_PAYLOAD_MAX];
	uint32_t len;
	int fds[VHU_MAX_FDS];
	unsigned nfds;
	bool fds_truncated;
	uint32_t fds_at;	/* the fds came with a read ending at buf[fds_at] */
};

/* wire_recv through RX. AHEAD: payload bytes to ask for together with the
 * header in the first read (the smallest valid reply's size: one syscall
 * for a whole reply, never a read past a well-formed one). MAY_BLOCK: the
 * first read may block in the kernel, for a blocking socket whose
 * SO_RCVTIMEO (wire_set_rcvtimeo) bounds it. On error RX is emptied. */
int wire_recv_rx(int sock, struct wire_rx *rx, struct vhu_msg *m, uint32_t max_size,
		 uint32_t ahead, int64_t deadline, bool may_block, struct vhu_err *e);
/* One step of a relay that never blocks: take the next message out of RX
 * into M, reading SOCK once first (MAY_READ) when RX does not hold it whole.
 * The read takes what there is room for: a whole message in one syscall,
 * or several, the rest kept in RX for the next step (with their fds: the
 * fds of a read belong to the message holding its last byte). 1 a whole
 * message is in M, 0 not yet, -ECONNRESET peer closed (M->consumed: the
 * bytes of a message cut short), -EMSGSIZE the size field is over MAX_SIZE
 * (M holds the header), -errno. On error RX is emptied. */
int wire_recv_step(int sock, struct wire_rx *rx, struct vhu_msg *m, uint32_t max_size, bool may_read);

/* One non-blocking send of LEN bytes of BUF, with NFDS fds on the first
 * byte (NFDS 0: none). The bytes sent (the fds went with them when > 0),
 * -EAGAIN when the socket is full, -errno. Never raises SIGPIPE. */
ssize_t wire_send_some(int sock, const uint8_t *buf, size_t len, const int *fds, unsigned nfds);

/* Drop what RX holds, closing its fds. */
void wire_rx_reset(struct wire_rx *rx);
/* SO_RCVTIMEO: how long one blocking read may wait (-1 for ever; 0 is
 * -EINVAL, since the kernel takes {0, 0} for ever too). */
int wire_set_rcvtimeo(int sock, int timeout_ms);

/* Is a byte (or EOF) waiting on SOCK right now? */
int wire_readable(int sock);

void wire_close_fds(struct vhu_msg *m);

#endif
