/* conn.c - a session with one back-end: request/reply pairing, REPLY_ACK, validation. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/codec.h"
#include "core/conn.h"

#define REPLY_ACK_BIT 3u
#define LOG_SHMFD_BIT 1u

static void msg_reset(struct vhu_msg *m)
{
	m->request = m->flags = m->size = 0;
	m->len = m->consumed = 0;
	m->nfds = 0;
	m->fds_truncated = false;
}

void conn_xfer_reset(struct conn_xfer *x)
{
	msg_reset(&x->req);
	msg_reset(&x->reply);
	x->row = NULL;
	x->expect = EXPECT_AUTO;
	x->reply_expected = x->ack_expected = x->got_reply = false;
	x->rtt_ns = 0;
	x->stale = x->nwarn = 0;
}

void conn_init(struct conn *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->listen_fd = -1;
	c->peer_pid = c->peer_uid = -1;
	c->timeout_ms = 5000;
}

static void reset_negotiation(struct conn *c)
{
	c->have_features = c->features_set = c->have_proto = c->proto_set = false;
	c->features = c->acked_features = c->proto = c->acked_proto = 0;
	c->sent = c->received = 0;
	memset(&c->last, 0, sizeof(c->last));
	c->closed_why[0] = '\0';
	c->peer_closed = false;
}

int conn_connect(struct conn *c, const char *path, int64_t limit, struct vhu_err *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r, flags;

	if (strlen(path) >= sizeof(sa.sun_path))
		return vhu_errf(e, ENAMETOOLONG, "socket path is longer than %zu bytes",
				sizeof(sa.sun_path) - 1);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vhu_errf(e, errno, "socket: %s", strerror(errno));
	/* A unix connect does not block on a listening peer, but may on a full
	 * backlog; do it non-blocking and bound it by the timeout. */
	flags = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (r < 0 && errno == EAGAIN) {
		int64_t deadline = wire_bound(c->timeout_ms, limit);

		while (r < 0 && errno == EAGAIN && wire_now_ns() < deadline && !wire_cancel) {
			usleep(10000);
			r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		}
	}
	if (r < 0) {
		int err = errno;

		close(fd);
		if (err == ENOENT)
			return vhu_errf(e, err, "%s: no such socket (is the back-end running?)", path);
		if (err == ECONNREFUSED)
			return vhu_errf(e, err, "%s: connection refused (nothing is listening on it)", path);
		return vhu_errf(e, err, "%s: %s", path, strerror(err));
	}
	fcntl(fd, F_SETFL, flags);	/* blocking again: reads are bounded by SO_RCVTIMEO or poll */
	conn_close(c);
	conn_unlisten(c);
	c->fd = fd;
	c->rcvtimeo_ms = -2;
	snprintf(c->path, sizeof(c->path), "%s", path);
	reset_negotiation(c);
	c->late_reply_possible = false;
	return 0;
}

void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	wire_rx_reset(&c->rx);
	c->closed_why[0] = '\0';
	c->peer_closed = false;
}

void conn_close_broken(struct conn *c, const struct vhu_err *e, bool peer)
{
	if (c->fd < 0)
		return;
	conn_close(c);
	snprintf(c->closed_why, sizeof(c->closed_why), "%s", e->msg);
	c->peer_closed = peer;
	c->closed_ns = wire_now_ns();
}

bool conn_has_input(const struct conn *c)
{
	return c->rx.len || (c->fd >= 0 && wire_readable(c->fd));
}

int conn_recv(struct conn *c, struct vhu_msg *m, int64_t limit, struct vhu_err *e)
{
	return wire_recv_rx(c->fd, &c->rx, m, VHU_PAYLOAD_MAX, 0, wire_bound(c->timeout_ms, limit),
			    false, e);
}

void conn_unlisten(struct conn *c)
{
	if (c->listen_fd >= 0) {
		close(c->listen_fd);
		unlink(c->path);
	}
	c->listen_fd = -1;
}

int conn_listen(struct conn *c, const char *path, struct vhu_err *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return vhu_errf(e, ENAMETOOLONG, "socket path is longer than %zu bytes", sizeof(sa.sun_path) - 1);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return vhu_errf(e, EEXIST, "%s exists and is not a socket; not replacing it", path);
		unlink(path);	/* a stale socket: back-ends retry until it is there */
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return vhu_errf(e, errno, "socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0) {
		int err = errno;

		close(fd);
		return vhu_errf(e, err, "%s: %s", path, strerror(err));
	}
	conn_close(c);
	conn_unlisten(c);
	c->listen_fd = fd;
	snprintf(c->path, sizeof(c->path), "%s", path);
	return 0;
}

int conn_accept(struct conn *c, int timeout_ms, int64_t limit, struct vhu_err *e)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int64_t t0 = wire_now_ns(), deadline;
	int fd, r;

	if (c->listen_fd < 0)
		return vhu_errf(e, EINVAL, "not listening (use 'listen PATH')");
	deadline = wire_bound(timeout_ms, limit);	/* once: serving the channel does not extend it */
	do
		r = wire_wait(c->listen_fd, deadline);
	while (r == 1);
	if (r == -ETIMEDOUT)
		return vhu_errf(e, ETIMEDOUT, "no back-end connected to %s within %lld ms", c->path,
				(long long)((deadline - t0) / 1000000));
	if (r < 0)
		return vhu_errf(e, -r, "waiting for a back-end on %s: %s", c->path, strerror(-r));
	fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return vhu_errf(e, errno, "accept: %s", strerror(errno));
	conn_close(c);
	c->fd = fd;
	c->rcvtimeo_ms = -2;
	reset_negotiation(c);
	c->late_reply_possible = false;
	c->peer_pid = c->peer_uid = -1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
		c->peer_pid = cred.pid;
		c->peer_uid = (int)cred.uid;
	}
	return 0;
}

bool conn_reply_ack(const struct conn *c)
{
	return c->proto_set && (c->acked_proto >> REPLY_ACK_BIT & 1);
}

bool conn_reply_expected(const struct conn *c, const struct vhu_request *row,
			 uint32_t flags, bool *ack)
{
	bool need = flags & VHU_FLAG_NEED_REPLY;

	*ack = false;
	if (!row)
		return false;
	switch (row->reply) {
	case REPLY_ALWAYS:
		return true;
	case REPLY_IF_LOG_SHMFD:
		if (c->proto_set && (c->acked_proto >> LOG_SHMFD_BIT & 1))
			return true;
		break;
	case REPLY_ACK_ONLY:
	case REPLY_NONE:
		break;
	}
	if (need && conn_reply_ack(c)) {
		*ack = true;
		return true;
	}
	return false;
}

const char *conn_req_name(const struct vhu_request *row, uint32_t num, char *buf, unsigned len)
{
	if (row)
		return row->name;
	snprintf(buf, len, "request %u", num);
	return buf;
}

__attribute__((format(printf, 2, 3)))
static void warn(struct conn_xfer *x, const char *fmt, ...)
{
	va_list ap;

	if (x->nwarn >= CONN_MAX_WARN)
		return;
	va_start(ap, fmt);
	vsnprintf(x->warn[x->nwarn++], sizeof(x->warn[0]), fmt, ap);
	va_end(ap);
}

/* Messages waiting before we send belong to nobody: a reply that came after
 * its timeout, or something unsolicited. Read and drop them, counting, so
 * they are not taken for the reply to the next request. */
static int drain_stale(struct conn *c, struct conn_xfer *x, const char *name,
		       int64_t limit, struct vhu_err *e)
{
	struct vhu_msg *m = &x->reply;

	while (conn_has_input(c)) {
		int r = conn_recv(c, m, limit, e);

		if (r == -ECONNRESET && m->consumed == 0) {
			vhu_errf(e, ECONNRESET, "%s: back-end closed the connection before this request was sent",
				 name);
			conn_close_broken(c, e, true);
			return -ECONNRESET;
		}
		if (r < 0) {
			vhu_err_prefix(e, "%s: before sending, reading a message that arrived unasked", name);
			conn_close_broken(c, e, r == -ECONNRESET);
			return r;
		}
		warn(x, "discarded a message that arrived unasked (request %u, flags 0x%x, size %u, %u fds)",
		     m->request, m->flags, m->size, m->nfds);
		wire_close_fds(m);
		x->stale++;
		if (x->stale > 64)
			break;
	}
	return 0;
}

/* Check the reply header against the request and the table. */
static int check_reply(struct conn_xfer *x, const char *name, struct vhu_err *e)
{
	const struct vhu_msg *q = &x->req, *p = &x->reply;
	uint32_t min, max;
	enum vhu_payload kind;

	if (p->request != q->request)
		return vhu_errf(e, EPROTO, "%s: reply carries request number %u instead of %u",
				name, p->request, q->request);
	if ((p->flags & VHU_FLAG_VERSION_MASK) != VHU_FLAG_VERSION)
		return vhu_errf(e, EPROTO, "%s: reply has version %u in its flags (0x%x), expected 1",
				name, p->flags & VHU_FLAG_VERSION_MASK, p->flags);
	if (!(p->flags & VHU_FLAG_REPLY))
		return vhu_errf(e, EPROTO, "%s: reply flags 0x%x lack the REPLY bit (0x4)",
				name, p->flags);
	if (p->flags != (VHU_FLAG_VERSION | VHU_FLAG_REPLY))
		return vhu_errf(e, EPROTO, "%s: reply flags 0x%x instead of 0x5 (QEMU rejects this)",
				name, p->flags);
	kind = x->ack_expected ? PL_U64 : (x->row ? x->row->reply_kind : PL_OPAQUE);
	proto_payload_bounds(kind, &min, &max);
	if (p->size < min || p->size > max) {
		if (min == max)
			return vhu_errf(e, EBADMSG, "%s: reply size %u, but a %s reply is %u bytes",
					name, p->size, x->ack_expected ? "REPLY_ACK" : proto_payload_name(kind), min);
		return vhu_errf(e, EBADMSG, "%s: reply size %u outside %u..%u for a %s reply",
				name, p->size, min, max, proto_payload_name(kind));
	}
	return 0;
}

static int check_reply_fds(struct conn_xfer *x, const char *name, struct vhu_err *e)
{
	unsigned allowed = (x->row && !x->ack_expected) ? x->row->reply_fds_max : 0;
	unsigned extra;

	if (x->reply.fds_truncated) {
		wire_close_fds(&x->reply);
		return vhu_errf(e, EPROTO, "%s: reply carried more than %u fds (all closed)", name, VHU_MAX_FDS);
	}
	if (x->reply.nfds <= allowed)
		return 0;
	extra = x->reply.nfds - allowed;
	/* Close the unexpected ones; no fd the back-end pushes on us stays open. */
	for (unsigned i = allowed; i < x->reply.nfds; i++)
		close(x->reply.fds[i]);
	x->reply.nfds = allowed;
	return vhu_errf(e, EPROTO, "%s: reply carried %u unexpected fd%s (closed them)",
			name, extra, extra == 1 ? "" : "s");
}

/* Remember what this exchange negotiated. */
static void track(struct conn *c, const struct conn_xfer *x)
{
	uint64_t v;

	if (!x->row || x->row->side != SIDE_FRONTEND)
		return;
	switch (x->row->num) {
	case 1:
	case 15:
		if (!x->got_reply || x->reply.size != 8)
			return;
		memcpy(&v, x->reply.payload, 8);
		if (x->row->num == 1) {
			c->features = v;
			c->have_features = true;
		} else {
			c->proto = v;
			c->have_proto = true;
		}
		break;
	case 2:
	case 16:
		if (x->req.len < 8)
			return;
		memcpy(&v, x->req.payload, 8);
		if (x->row->num == 2) {
			c->acked_features = v;
			c->features_set = true;
		} else {
			c->acked_proto = v;
			c->proto_set = true;
		}
		break;
	}
}

/* The smallest valid reply's payload size, read together with its header;
 * GET_CONFIG answers with as many bytes as it was asked for. */
static uint32_t reply_ahead(const struct conn_xfer *x)
{
	enum vhu_payload kind = x->ack_expected ? PL_U64 : (x->row ? x->row->reply_kind : PL_OPAQUE);
	uint32_t min, max;

	if (kind == PL_CONFIG)
		return x->req.len;
	proto_payload_bounds(kind, &min, &max);
	return min;
}

/* May the reply's first read block in the kernel (one syscall for a reply)?
 * Only for no longer than the time left to DEADLINE, which SO_RCVTIMEO
 * bounds: it is set to half the time left when it is longer, or much
 * shorter, so that a run of requests under one deadline rarely sets it. */
/* The first read of a reply may block in the kernel (one syscall for a fast
 * reply) for WIRE_IDLE_MS at most: a reply that takes longer is waited for
 * with poll, after the results held so far have gone out, up to DEADLINE. */
static bool may_block_until(struct conn *c, int64_t deadline)
{
	int64_t left_ms = deadline < 0 ? INT64_MAX : (deadline - wire_now_ns()) / 1000000;

	if (left_ms <= WIRE_IDLE_MS)
		return false;	/* too close to the deadline: poll */
	if (c->rcvtimeo_ms == WIRE_IDLE_MS)
		return true;
	if (wire_set_rcvtimeo(c->fd, WIRE_IDLE_MS) < 0)
		return false;
	c->rcvtimeo_ms = WIRE_IDLE_MS;
	return true;
}

int conn_transact(struct conn *c, struct conn_xfer *x, int64_t limit, struct vhu_err *e)
{
	char nbuf[32];
	const char *name = conn_req_name(x->row, x->req.request, nbuf, sizeof(nbuf));
	int64_t t0, deadline;
	int r;

	x->got_reply = false;
	x->reply.nfds = 0;
	if (!conn_connected(c))
		return vhu_errf(e, ENOTCONN, "%s: not connected", name);
	/* Only after a wait gave up can a reply arrive that nobody asked for
	 * any more; otherwise one poll per request would be wasted. (Anything
	 * else unasked shows up as a mismatched reply, and is reported.) */
	if (c->late_reply_possible) {
		r = drain_stale(c, x, name, limit, e);
		if (r < 0)
			return r;
	}
	x->reply_expected = conn_reply_expected(c, x->row, x->req.flags, &x->ack_expected);
	if (x->expect == EXPECT_REPLY && !x->reply_expected) {
		x->reply_expected = true;
		x->ack_expected = x->row && x->row->reply != REPLY_ALWAYS;
	} else if (x->expect == EXPECT_NONE) {
		x->reply_expected = x->ack_expected = false;
	}
	/* One deadline for the whole exchange, from one clock reading, within
	 * the caller's. */
	t0 = wire_now_ns();
	deadline = c->timeout_ms < 0 ? -1 : t0 + (int64_t)c->timeout_ms * 1000000;
	if (limit >= 0 && (deadline < 0 || limit < deadline))
		deadline = limit;
	r = wire_send(c->fd, &x->req, deadline, NULL, e);
	if (r < 0) {
		vhu_err_prefix(e, "%s", name);
		if (r != -ECANCELED)
			conn_close_broken(c, e, r == -ECONNRESET);
		return r;
	}
	c->sent++;
	c->last[1] = c->last[0];
	c->last[0] = (struct conn_sent){ .request = x->req.request, .ns = t0, .seq = c->sent };
	if (!x->reply_expected) {
		track(c, x);
		return 0;
	}
	r = wire_recv_rx(c->fd, &c->rx, &x->reply, VHU_PAYLOAD_MAX, reply_ahead(x),
			 deadline, may_block_until(c, deadline), e);
	x->rtt_ns = wire_now_ns() - t0;
	if (r < 0) {
		vhu_err_prefix(e, "%s", name);
		/* A reply that never came may still come: the stale-message drain
		 * deals with it. Anything half-read leaves the stream unusable. */
		if ((r != -ETIMEDOUT && r != -ECANCELED) || x->reply.consumed)
			conn_close_broken(c, e, r == -ECONNRESET);
		else
			c->late_reply_possible = true;
		return r;
	}
	c->received++;
	c->last[0].answered = true;
	x->got_reply = true;
	r = check_reply(x, name, e);
	if (r == 0)
		r = check_reply_fds(x, name, e);
	if (r == 0)
		track(c, x);
	return r;
}
