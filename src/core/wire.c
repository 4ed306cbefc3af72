/* wire.c - vhost-user messages on a unix socket: header, payload, SCM_RIGHTS fds. */
#include <errno.h>
#include <stdbool.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/wire.h"

volatile sig_atomic_t wire_cancel;

int64_t wire_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t wire_deadline(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : wire_now_ns() + (int64_t)timeout_ms * 1000000;
}

int64_t wire_bound(int timeout_ms, int64_t limit)
{
	int64_t own = wire_deadline(timeout_ms);

	if (limit < 0)
		return own;
	return own < 0 || limit < own ? limit : own;
}

/* Other fds to serve while we wait (the back-end channel, a gpu socket): a
 * back-end that needs an answer there before it answers us must not
 * deadlock us. */
static struct waiter {
	int fd;
	void (*fn)(void *);
	void *arg;
} waiters[WIRE_WAITERS] = { { .fd = -1 }, { .fd = -1 } };
static bool in_waiter;

void wire_set_waiter_at(unsigned slot, int fd, void (*fn)(void *arg), void *arg)
{
	if (slot < WIRE_WAITERS)
		waiters[slot] = (struct waiter){ .fd = fd, .fn = fn, .arg = arg };
}

void wire_set_waiter(int fd, void (*fn)(void *arg), void *arg)
{
	wire_set_waiter_at(0, fd, fn, arg);
}

static bool any_waiter(void)
{
	for (unsigned i = 0; i < WIRE_WAITERS; i++)
		if (waiters[i].fd >= 0)
			return true;
	return false;
}

static void (*idle_fn)(void);

void wire_set_idle(void (*fn)(void))
{
	idle_fn = fn;
}

/* Wait for EVENTS on SOCK until DEADLINE, serving the waiter meanwhile: 0
 * ready, 1 the waiter was served (BACK_AFTER_WAITER), -ETIMEDOUT,
 * -ECANCELED. At the deadline SOCK is looked at once more (so a deadline
 * that has passed still takes what is there), and the waiter no longer
 * served: nothing it does may outlast the deadline. */
static int wait_fd2(int sock, short events, int64_t deadline, bool back_after_waiter)
{
	bool idle_called = idle_fn == NULL;

	for (;;) {
		struct pollfd p[1 + WIRE_WAITERS] = { { .fd = sock, .events = events } };
		bool expired = false, serve;
		int ms = -1, r;

		if (wire_cancel)
			return -ECANCELED;
		if (deadline >= 0) {
			int64_t left = deadline - wire_now_ns();

			expired = left <= 0;
			ms = expired ? 0 : (int)((left + 999999) / 1000000);
		}
		serve = !in_waiter && !expired;
		/* A waiter that is SOCK, or none, polls nothing (fd -1). */
		for (unsigned i = 0; i < WIRE_WAITERS; i++)
			p[1 + i] = (struct pollfd){ .fd = serve && waiters[i].fd != sock ? waiters[i].fd : -1,
						    .events = POLLIN };
		/* A short first look, then the results held so far go out. */
		if (!idle_called && (ms < 0 || ms > WIRE_IDLE_MS)) {
			r = poll(p, 1 + WIRE_WAITERS, WIRE_IDLE_MS);
			if (r == 0) {
				idle_called = true;
				idle_fn();
				continue;
			}
		} else {
			r = poll(p, 1 + WIRE_WAITERS, ms);
		}
		if (r > 0 && serve) {
			bool served = false;

			in_waiter = true;
			for (unsigned i = 0; i < WIRE_WAITERS; i++)
				if (p[1 + i].fd >= 0 && p[1 + i].revents && waiters[i].fd == p[1 + i].fd) {
					waiters[i].fn(waiters[i].arg);
					served = true;
				}
			in_waiter = false;
			if (served && back_after_waiter && !p[0].revents)
				return 1;
		}
		if (r > 0 && p[0].revents)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (expired)
			return -ETIMEDOUT;
	}
}

static int wait_fd(int sock, short events, int64_t deadline)
{
	return wait_fd2(sock, events, deadline, false);
}

int wire_wait_for(int fd, short events, int64_t deadline)
{
	return wait_fd2(fd, events, deadline, true);
}

int wire_wait(int fd, int64_t deadline)
{
	return wire_wait_for(fd, POLLIN, deadline);
}

ssize_t wire_send_some(int sock, const uint8_t *buf, size_t len, const int *fds, unsigned nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VHU_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (nfds > VHU_MAX_FDS)
		return -EMSGSIZE;
	if (nfds) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do {
		/* plain send when there is nothing to attach: no msghdr to copy in */
		n = nfds ? sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) :
			   send(sock, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return n;
}

static int send_all(int sock, const uint8_t *buf, size_t len, const int *fds,
		    unsigned nfds, int64_t deadline, size_t *sent)
{
	*sent = 0;
	while (*sent < len || nfds) {
		ssize_t n = wire_send_some(sock, buf + *sent, len - *sent, fds, nfds);
		int r;

		if (n >= 0) {
			*sent += (size_t)n;
			nfds = 0;	/* the fds went with the first byte */
			continue;
		}
		if (n != -EAGAIN)
			return (int)n;
		r = wait_fd(sock, POLLOUT, deadline);
		if (r < 0)
			return r;
	}
	return 0;
}

int wire_send(int sock, const struct vhu_msg *m, int64_t deadline, size_t *sent_out,
	      struct vhu_err *e)
{
	uint8_t buf[VHU_HDR_SIZE + VHU_PAYLOAD_MAX];
	size_t total = VHU_HDR_SIZE + m->len, sent = 0;
	int r;

	if (sent_out)
		*sent_out = 0;
	if (m->len > VHU_PAYLOAD_MAX || m->nfds > VHU_MAX_FDS)
		return vhu_errf(e, EMSGSIZE, "message too large to send");
	memcpy(buf, &m->request, 4);
	memcpy(buf + 4, &m->flags, 4);
	memcpy(buf + 8, &m->size, 4);
	memcpy(buf + VHU_HDR_SIZE, m->payload, m->len);
	r = send_all(sock, buf, total, m->fds, m->nfds, deadline, &sent);
	if (sent_out)
		*sent_out = sent;
	if ((r == -EPIPE || r == -ECONNRESET) && sent == 0)
		return vhu_errf(e, ECONNRESET, "back-end closed the connection before this request was sent");
	if (r == -EPIPE || r == -ECONNRESET)
		return vhu_errf(e, ECONNRESET, "back-end closed the connection (sent %zu of %zu bytes)",
				sent, total);
	if (r == -ETIMEDOUT)
		return vhu_errf(e, ETIMEDOUT, "back-end stopped reading (sent %zu of %zu bytes before the timeout)",
				sent, total);
	if (r == -ECANCELED)
		return vhu_errf(e, ECANCELED, "interrupted while sending");
	if (r < 0)
		return vhu_errf(e, -r, "send failed: %s", strerror(-r));
	return 0;
}

/* Move the fds of every SCM_RIGHTS message in MH into RX (closing what
 * does not fit). */
static void take_fds(struct msghdr *mh, struct wire_rx *rx)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t n;
		int fd;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (rx->nfds < VHU_MAX_FDS) {
				rx->fds[rx->nfds++] = fd;
			} else {
				close(fd);
				rx->fds_truncated = true;
			}
		}
	}
}

/* One read of up to WANT bytes onto the end of RX. 0 on success, -errno. */
/* One recvmsg of up to WANT bytes onto the end of RX, with the fds that
 * came (FLAGS: MSG_DONTWAIT or 0). The bytes read, -ECONNRESET at EOF,
 * -errno (-EAGAIN: nothing there). */
static ssize_t read_once(int sock, struct wire_rx *rx, uint32_t want, int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VHU_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = rx->buf + rx->len, .iov_len = want };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | flags);

	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (mh.msg_controllen || (mh.msg_flags & MSG_CTRUNC)) {
		if (mh.msg_flags & MSG_CTRUNC)
			rx->fds_truncated = true;
		take_fds(&mh, rx);
		/* A stream read ends with the message that carried fds, so
		 * they belong to the message holding the last byte read. */
		rx->fds_at = rx->len + (uint32_t)n - 1;
	}
	if (n == 0)
		return -ECONNRESET;
	rx->len += (uint32_t)n;
	return n;
}

/* One read of up to WANT bytes onto the end of RX. 0 on success, -errno. */
static int read_some(int sock, struct wire_rx *rx, uint32_t want, int64_t deadline,
		     bool *may_block)
{
	for (;;) {
		/* The first read of a message may block in the kernel, bounded by
		 * the socket's SO_RCVTIMEO (set by the caller, WIRE_IDLE_MS), when
		 * nothing else needs serving meanwhile: one syscall instead of
		 * try-poll-read. Otherwise try first and poll only when nothing is
		 * there. A signal (Ctrl-C) interrupts either. */
		bool block = *may_block && (!any_waiter() || in_waiter);
		ssize_t n;
		int r;

		if (wire_cancel)
			return -ECANCELED;
		n = read_once(sock, rx, want, block ? 0 : MSG_DONTWAIT);
		if (n == -EINTR)
			continue;
		if (n == -EAGAIN && block) {
			/* SO_RCVTIMEO (at most WIRE_IDLE_MS) ran out in the
			 * kernel: results held so far go out, then poll out
			 * the rest of the wait. */
			*may_block = false;
			if (idle_fn)
				idle_fn();
			if (deadline >= 0 && wire_now_ns() >= deadline)
				return -ETIMEDOUT;
			continue;
		}
		if (n == -EAGAIN) {
			r = wait_fd(sock, POLLIN, deadline);
			if (r < 0)
				return r;
			continue;
		}
		*may_block = false;
		return n < 0 ? (int)n : 0;
	}
}

static int recv_error(struct vhu_err *e, int r, const char *what, size_t got, size_t want)
{
	switch (r) {
	case -ECONNRESET:
		return vhu_errf(e, ECONNRESET, "back-end closed the connection after %zu of %zu %s bytes",
				got, want, what);
	case -ETIMEDOUT:
		if (got == 0 && strcmp(what, "header") == 0)
			return vhu_errf(e, ETIMEDOUT, "no reply from the back-end before the timeout");
		return vhu_errf(e, ETIMEDOUT, "timed out after %zu of %zu %s bytes", got, want, what);
	case -ECANCELED:
		return vhu_errf(e, ECANCELED, "interrupted while waiting for the reply");
	default:
		return vhu_errf(e, -r, "receive failed after %zu of %zu %s bytes: %s",
				got, want, what, strerror(-r));
	}
}

int wire_set_rcvtimeo(int sock, int timeout_ms)
{
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };

	if (timeout_ms == 0)
		return -EINVAL;	/* {0, 0} would mean for ever */
	if (timeout_ms < 0)
		tv = (struct timeval){ 0, 0 };	/* for ever */
	return setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ? -errno : 0;
}

void wire_rx_reset(struct wire_rx *rx)
{
	for (unsigned i = 0; i < rx->nfds; i++)
		close(rx->fds[i]);
	rx->nfds = 0;
	rx->len = 0;
	rx->fds_truncated = false;
}

/* Hand the first NEED bytes of RX over as M's payload (the header is
 * parsed already), with the fds that came with them; keep the rest. */
static void take_message(struct wire_rx *rx, struct vhu_msg *m, uint32_t need)
{
	m->len = need - VHU_HDR_SIZE;
	m->consumed = need;
	memcpy(m->payload, rx->buf + VHU_HDR_SIZE, m->len);
	if ((rx->nfds || rx->fds_truncated) && rx->fds_at < need) {
		memcpy(m->fds, rx->fds, rx->nfds * sizeof(int));
		m->nfds = rx->nfds;
		m->fds_truncated = rx->fds_truncated;
		rx->nfds = 0;
		rx->fds_truncated = false;
	} else if (rx->nfds || rx->fds_truncated) {
		rx->fds_at -= need;	/* they came with a later message */
	}
	rx->len -= need;
	if (rx->len)
		memmove(rx->buf, rx->buf + need, rx->len);
}

/* RX holds a header: parse it into M. 1 the whole message is there and
 * taken into M, 0 more is to come, -EMSGSIZE its size is over LIMIT (what
 * was read of it goes, fds and all). */
static int rx_header(struct wire_rx *rx, struct vhu_msg *m, uint32_t limit)
{
	memcpy(&m->request, rx->buf, 4);
	memcpy(&m->flags, rx->buf + 4, 4);
	memcpy(&m->size, rx->buf + 8, 4);
	if (m->size > limit) {
		m->consumed = rx->len;
		wire_rx_reset(rx);
		return -EMSGSIZE;
	}
	if (rx->len < VHU_HDR_SIZE + m->size)
		return 0;
	take_message(rx, m, VHU_HDR_SIZE + m->size);
	return 1;
}

int wire_recv_rx(int sock, struct wire_rx *rx, struct vhu_msg *m, uint32_t max_size,
		 uint32_t ahead, int64_t deadline, bool may_block, struct vhu_err *e)
{
	/* Read ahead only from an empty buffer, and never more than the
	 * smallest valid reply: a well-formed message is never read past. */
	bool fresh = rx->len == 0;
	uint32_t limit = max_size < VHU_PAYLOAD_MAX ? max_size : VHU_PAYLOAD_MAX;
	int r;

	m->nfds = 0;
	m->len = 0;
	m->size = 0;
	m->fds_truncated = false;
	if (ahead > limit)
		ahead = limit;
	if (!fresh)
		may_block = false;	/* something is here already */
	for (;;) {
		uint32_t want;

		if (rx->len >= VHU_HDR_SIZE) {
			r = rx_header(rx, m, limit);
			if (r == -EMSGSIZE)
				return vhu_errf(e, EMSGSIZE, "size %u exceeds the maximum %u (request %u, flags 0x%x)",
						m->size, limit, m->request, m->flags);
			if (r == 1)
				return 0;
			want = VHU_HDR_SIZE + m->size - rx->len;
		} else {
			/* Once fds wait in RX, read no further than this header:
			 * fds a second read brought would move fds_at, and with it
			 * the first ones, past this message. */
			bool fds_wait = rx->nfds || rx->fds_truncated;

			want = VHU_HDR_SIZE + (fresh && !fds_wait ? ahead : 0) - rx->len;
		}
		r = read_some(sock, rx, want, deadline, &may_block);
		if (r < 0) {
			bool in_header = rx->len < VHU_HDR_SIZE;

			m->consumed = rx->len;
			m->len = in_header ? 0 : rx->len - VHU_HDR_SIZE;
			wire_rx_reset(rx);
			return in_header ? recv_error(e, r, "header", m->consumed, VHU_HDR_SIZE)
					 : recv_error(e, r, "payload", m->len, m->size);
		}
	}
}

int wire_recv_step(int sock, struct wire_rx *rx, struct vhu_msg *m, uint32_t max_size, bool may_read)
{
	uint32_t limit = max_size < VHU_PAYLOAD_MAX ? max_size : VHU_PAYLOAD_MAX;

	for (;;) {
		ssize_t n;
		uint32_t want;
		int r;

		if (rx->len >= VHU_HDR_SIZE) {
			m->nfds = 0;
			m->len = 0;
			m->fds_truncated = false;
			r = rx_header(rx, m, limit);
			if (r != 0)
				return r;
		}
		if (!may_read)
			return 0;
		may_read = false;
		/* As much as there is room for (one read for a whole message,
		 * even several); but once fds wait in RX, only what this message
		 * lacks: fds a further read brought would move fds_at, and with
		 * it the first ones, past this message. */
		if (rx->nfds || rx->fds_truncated)
			want = (rx->len >= VHU_HDR_SIZE ? VHU_HDR_SIZE + m->size : VHU_HDR_SIZE) - rx->len;
		else
			want = (uint32_t)sizeof(rx->buf) - rx->len;
		do
			n = read_once(sock, rx, want, MSG_DONTWAIT);
		while (n == -EINTR);
		if (n == -EAGAIN)
			return 0;
		if (n < 0) {
			m->consumed = rx->len;
			m->len = 0;
			m->nfds = 0;
			wire_rx_reset(rx);
			return (int)n;
		}
	}
}

int wire_recv(int sock, struct vhu_msg *m, uint32_t max_size, int64_t deadline,
	      struct vhu_err *e)
{
	struct wire_rx rx = { .len = 0 };

	/* No read-ahead: nothing can be left over in RX. */
	return wire_recv_rx(sock, &rx, m, max_size, 0, deadline, false, e);
}

int wire_readable(int sock)
{
	struct pollfd p = { .fd = sock, .events = POLLIN };

	return poll(&p, 1, 0) > 0;
}

void wire_close_fds(struct vhu_msg *m)
{
	for (unsigned i = 0; i < m->nfds; i++)
		close(m->fds[i]);
	m->nfds = 0;
}
