/* fake-backend.c - scriptable fake vhost-user back-end for vhuctl's tests. */

/*
 * Usage:
 *   fake-backend [--log FILE] [--pidfile FILE] [--features HEX]
 *                [--protocol-features HEX] SOCKET [ACTION...]
 *
 * Listens on the AF_UNIX stream socket SOCKET (a stale file is unlinked
 * first) and serves one front-end connection at a time, forever: when the
 * peer disconnects, the next connection is accepted.  Self-contained (libc
 * only) so it never depends on the code it is used to test.
 *
 * Options:
 *   --log FILE       append one line per received message, flushed at once:
 *                      req=<num> flags=0x<hex> size=<n> fds=<n>[ payload=<hex>]
 *                    <num> and <n> are decimal; payload is the lower-case hex
 *                    of the payload bytes and is left out when size is 0.
 *                    A header announcing size > 4096 is logged without
 *                    payload, then the connection is closed.
 *   --pidfile FILE   write the pid once listening (tmp file + rename, so the
 *                    file appears atomically; poll for it to know the socket
 *                    is ready).
 *   --features HEX   GET_FEATURES value (default 0x140000000).
 *   --protocol-features HEX
 *                    GET_PROTOCOL_FEATURES value (default 0x8209).
 *
 * Exit: SIGTERM/SIGINT, the `exit' action, or 120 s without connection
 * activity (no accept and no received byte) end the process with status 0
 * and remove SOCKET (only if it is still the socket we created).  Usage
 * errors exit 2, setup errors exit 1.
 *
 * Messages: header (12 bytes, host-endian u32 request, flags, size), then up
 * to 4096 payload bytes; a header with size > 4096 closes the connection
 * (and uses no action).  Up to 32 SCM_RIGHTS fds per message are received
 * and closed immediately.
 *
 * ACTIONS are consumed one per received message, in order, across all
 * connections (so `close ok' means: drop the first message's connection,
 * answer the next message, which may come on a new connection).  Once the
 * list is exhausted every message gets `ok'.  `N*action' repeats an action
 * for the next N messages (e.g. `3*noreply').
 *
 *   ok             behave like a well-behaved back-end (see below).
 *   noreply        read the message, send nothing.
 *   close          close the connection right after reading the message.
 *   close-header   send the first 5 bytes of the proper reply header
 *                  (request, flags 0x5, size 8), then close.
 *   close-payload  send a full header (request, 0x5, size 8) and only 3
 *                  payload bytes (the first 3 of the reply `ok' would send,
 *                  else zero), then close.
 *   wrong-flags    the reply `ok' would send (or u64 0 if none), flags 0xd.
 *   wrong-request  the reply `ok' would send (or u64 0 if none), request+1.
 *   oversize       header (request, 0x5, size 1048576) then 4096 zero bytes;
 *                  the connection stays open.
 *   bad-size       header (request, 0x5, size 4) and 4 payload bytes (the
 *                  low 4 bytes of the u64 `ok' would send, else zero).
 *   extra-fds      the proper reply (or u64 0 if none) with 3 fds of
 *                  /dev/null attached.
 *   garbage        12 bytes of 0xff.
 *   delay=MS       sleep MS milliseconds, then behave like `ok'.
 *   exit           exit with status 0 (no reply).
 *
 * `ok' replies (flags 0x5, same request number):
 *   GET_FEATURES(1)            u64 --features
 *   GET_PROTOCOL_FEATURES(15)  u64 --protocol-features
 *   GET_QUEUE_NUM(17)          u64 2
 *   GET_MAX_MEM_SLOTS(36)      u64 8
 *   GET_VRING_BASE(11)         {u32 index from request, u32 num last set by
 *                              SET_VRING_BASE(10) for index < 256, else 0}
 *   GET_CONFIG(24)             request's 12-byte header (offset, size, flags)
 *                              + size bytes, byte i = (offset + i) & 0xff;
 *                              size > 256 closes the connection
 *   GET_STATUS(40)             u64 last SET_STATUS(39) value (default 0)
 *   IOTLB_MSG(22), POSTCOPY_END(30), CHECK_DEVICE_STATE(43)   u64 0
 *   anything else              u64 0 only if NEED_REPLY (0x8) is set and the
 *                              last SET_PROTOCOL_FEATURES(16) had REPLY_ACK
 *                              (bit 3); otherwise no reply.
 *
 * Session state (SET_PROTOCOL_FEATURES, SET_VRING_BASE, SET_STATUS) is
 * recorded from every received message whatever its action, before the
 * reply is built, and is reset for each new connection.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define HDR_SIZE		12
#define MAX_PAYLOAD		4096
#define MAX_FDS			32
#define MAX_CONFIG		256
#define CONFIG_HDR		12
#define MAX_VRINGS		256
#define IDLE_TIMEOUT_MS		120000
#define POLL_SLICE_MS		500
#define SEND_TIMEOUT_S		5
#define OVERSIZE_SIZE		1048576u
#define EXTRA_FDS		3

#define FLAG_VERSION		0x1u
#define FLAG_REPLY		0x4u
#define FLAG_NEED_REPLY		0x8u
#define REPLY_FLAGS		(FLAG_VERSION | FLAG_REPLY)

#define REQ_GET_FEATURES		1
#define REQ_SET_VRING_BASE		10
#define REQ_GET_VRING_BASE		11
#define REQ_GET_PROTOCOL_FEATURES	15
#define REQ_SET_PROTOCOL_FEATURES	16
#define REQ_GET_QUEUE_NUM		17
#define REQ_IOTLB_MSG			22
#define REQ_GET_CONFIG			24
#define REQ_POSTCOPY_END		30
#define REQ_GET_MAX_MEM_SLOTS		36
#define REQ_SET_STATUS			39
#define REQ_GET_STATUS			40
#define REQ_CHECK_DEVICE_STATE		43

#define PROTO_F_REPLY_ACK	(UINT64_C(1) << 3)

enum act_kind {
	ACT_OK,
	ACT_NOREPLY,
	ACT_CLOSE,
	ACT_CLOSE_HEADER,
	ACT_CLOSE_PAYLOAD,
	ACT_WRONG_FLAGS,
	ACT_WRONG_REQUEST,
	ACT_OVERSIZE,
	ACT_BAD_SIZE,
	ACT_EXTRA_FDS,
	ACT_GARBAGE,
	ACT_DELAY,
	ACT_EXIT,
};

struct action {
	enum act_kind kind;
	uint32_t count;		/* messages still to apply it to */
	uint32_t delay_ms;
};

struct msg {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
	uint32_t nfds;
	uint8_t payload[MAX_PAYLOAD];
};

struct reply {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
	uint8_t payload[CONFIG_HDR + MAX_CONFIG];
};

struct session {
	uint64_t proto_features;
	uint64_t status;
	uint32_t vring_base[MAX_VRINGS];
};

static const struct {
	const char *name;
	enum act_kind kind;
} act_names[] = {
	{ "ok", ACT_OK },
	{ "noreply", ACT_NOREPLY },
	{ "close", ACT_CLOSE },
	{ "close-header", ACT_CLOSE_HEADER },
	{ "close-payload", ACT_CLOSE_PAYLOAD },
	{ "wrong-flags", ACT_WRONG_FLAGS },
	{ "wrong-request", ACT_WRONG_REQUEST },
	{ "oversize", ACT_OVERSIZE },
	{ "bad-size", ACT_BAD_SIZE },
	{ "extra-fds", ACT_EXTRA_FDS },
	{ "garbage", ACT_GARBAGE },
	{ "exit", ACT_EXIT },
};

static volatile sig_atomic_t got_signal;
static const char *sock_path;
static dev_t sock_dev;
static ino_t sock_ino;
static bool sock_created;
static int log_fd = -1;
static uint64_t opt_features = UINT64_C(0x140000000);
static uint64_t opt_proto_features = UINT64_C(0x8209);
static struct action *actions;
static int nactions;
static int cur_action;
static int64_t last_activity;

static void warnx_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void warnx_(const char *fmt, ...)
{
	va_list ap;

	fputs("fake-backend: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void touch_activity(void)
{
	last_activity = now_ms();
}

/* Remove SOCKET, but only if it is still the socket this process bound. */
static void remove_socket(void)
{
	struct stat st;

	if (!sock_created)
		return;
	if (stat(sock_path, &st) == 0 && st.st_dev == sock_dev &&
	    st.st_ino == sock_ino)
		unlink(sock_path);
	sock_created = false;
}

static void __attribute__((noreturn)) quit(int status)
{
	remove_socket();
	exit(status);
}

/* Exit on a termination signal or after the idle timeout. */
static void check_alive(void)
{
	if (got_signal)
		quit(0);
	if (now_ms() - last_activity >= IDLE_TIMEOUT_MS) {
		warnx_("no activity for %d s, exiting", IDLE_TIMEOUT_MS / 1000);
		quit(0);
	}
}

static void on_signal(int sig)
{
	got_signal = sig;
}

static int setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: let poll see EINTR */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
		return -1;
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

/* Wait until fd is readable; returns 0, or -1 on a poll error. */
static int wait_readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int ret;

	for (;;) {
		check_alive();
		ret = poll(&pfd, 1, POLL_SLICE_MS);
		if (ret > 0)
			return 0;
		if (ret < 0 && errno != EINTR)
			return -1;
	}
}

static void sleep_ms(uint32_t ms)
{
	int64_t end = now_ms() + ms;
	int64_t left;
	struct timespec ts;

	while ((left = end - now_ms()) > 0) {
		if (got_signal)
			quit(0);
		if (left > POLL_SLICE_MS)
			left = POLL_SLICE_MS;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000;
		nanosleep(&ts, NULL);
	}
}

/* Close every SCM_RIGHTS fd in a received message, counting them. */
static uint32_t close_fds(struct msghdr *mh)
{
	struct cmsghdr *c;
	uint32_t n = 0;
	size_t i, cnt;
	int fd;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < cnt; i++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			close(fd);
			n++;
		}
	}
	return n;
}

/*
 * Read exactly len bytes, closing and counting attached fds.
 * Returns 1 on success, 0 on EOF or error.
 */
static int recv_exact(int fd, uint8_t *buf, size_t len, uint32_t *nfds)
{
	union {
		char buf[CMSG_SPACE(MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct msghdr mh;
	struct iovec iov;
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		if (wait_readable(fd) < 0)
			return 0;
		iov.iov_base = buf + got;
		iov.iov_len = len - got;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return 0;
		}
		*nfds += close_fds(&mh);
		if (n == 0)
			return 0;
		got += (size_t)n;
		touch_activity();
	}
	return 1;
}

/* Append one line describing msg to the log, in a single write. */
static void log_msg(const struct msg *m, bool with_payload)
{
	static const char hex[] = "0123456789abcdef";
	char line[128 + 2 * MAX_PAYLOAD];
	size_t len, off = 0;
	uint32_t i;
	ssize_t n;

	if (log_fd < 0)
		return;
	len = (size_t)snprintf(line, sizeof(line),
			       "req=%u flags=0x%x size=%u fds=%u",
			       m->request, m->flags, m->size, m->nfds);
	if (with_payload && m->size) {
		memcpy(line + len, " payload=", 9);
		len += 9;
		for (i = 0; i < m->size; i++) {
			line[len++] = hex[m->payload[i] >> 4];
			line[len++] = hex[m->payload[i] & 0xf];
		}
	}
	line[len++] = '\n';
	while (off < len) {
		n = write(log_fd, line + off, len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			warnx_("log write: %s", strerror(errno));
			return;
		}
		off += (size_t)n;
	}
}

/* Read one message. Returns 1 on success, 0 when the connection must close. */
static int read_msg(int fd, struct msg *m)
{
	uint8_t hdr[HDR_SIZE];

	m->nfds = 0;
	if (!recv_exact(fd, hdr, sizeof(hdr), &m->nfds))
		return 0;
	memcpy(&m->request, hdr, 4);
	memcpy(&m->flags, hdr + 4, 4);
	memcpy(&m->size, hdr + 8, 4);
	if (m->size > MAX_PAYLOAD) {
		log_msg(m, false);
		warnx_("req %u: size %u exceeds %d, closing", m->request,
		       m->size, MAX_PAYLOAD);
		return 0;
	}
	if (m->size && !recv_exact(fd, m->payload, m->size, &m->nfds))
		return 0;
	log_msg(m, true);
	return 1;
}

/* Next action from the script; `ok' once it is exhausted. */
static struct action next_action(void)
{
	struct action a = { .kind = ACT_OK, .count = 1 };

	while (cur_action < nactions && actions[cur_action].count == 0)
		cur_action++;
	if (cur_action < nactions) {
		a = actions[cur_action];
		actions[cur_action].count--;
	}
	return a;
}

/* Read n bytes at off into out, zero-filling what the payload lacks. */
static void payload_get(const struct msg *m, uint32_t off, void *out, size_t n)
{
	memset(out, 0, n);
	if (m->size > off)
		memcpy(out, m->payload + off,
		       m->size - off < n ? m->size - off : n);
}

static uint64_t payload_u64(const struct msg *m, uint32_t off)
{
	uint64_t v;

	payload_get(m, off, &v, sizeof(v));
	return v;
}

static uint32_t payload_u32(const struct msg *m, uint32_t off)
{
	uint32_t v;

	payload_get(m, off, &v, sizeof(v));
	return v;
}

/* Record the state later replies depend on. */
static void update_session(struct session *s, const struct msg *m)
{
	uint32_t idx;

	switch (m->request) {
	case REQ_SET_PROTOCOL_FEATURES:
		s->proto_features = payload_u64(m, 0);
		break;
	case REQ_SET_STATUS:
		s->status = payload_u64(m, 0);
		break;
	case REQ_SET_VRING_BASE:
		idx = payload_u32(m, 0);
		if (idx < MAX_VRINGS)
			s->vring_base[idx] = payload_u32(m, 4);
		break;
	default:
		break;
	}
}

static void reply_u64(struct reply *r, uint64_t v)
{
	r->size = sizeof(v);
	memcpy(r->payload, &v, sizeof(v));
}

static int build_config_reply(struct reply *r, const struct msg *m)
{
	uint32_t offset = payload_u32(m, 0);
	uint32_t size = payload_u32(m, 4);
	uint32_t flags = payload_u32(m, 8);
	uint32_t i;

	if (size > MAX_CONFIG) {
		warnx_("GET_CONFIG size %u exceeds %d, closing", size,
		       MAX_CONFIG);
		return -1;
	}
	memcpy(r->payload, &offset, 4);
	memcpy(r->payload + 4, &size, 4);
	memcpy(r->payload + 8, &flags, 4);
	for (i = 0; i < size; i++)
		r->payload[CONFIG_HDR + i] = (uint8_t)((offset + i) & 0xff);
	r->size = CONFIG_HDR + size;
	return 1;
}

/*
 * Build the reply a well-behaved back-end would send.
 * Returns 1 with a reply, 0 when none is due, -1 to close the connection.
 */
static int build_reply(const struct session *s, const struct msg *m,
		       struct reply *r)
{
	uint32_t idx, num;

	r->request = m->request;
	r->flags = REPLY_FLAGS;
	r->size = 0;
	switch (m->request) {
	case REQ_GET_FEATURES:
		reply_u64(r, opt_features);
		return 1;
	case REQ_GET_PROTOCOL_FEATURES:
		reply_u64(r, opt_proto_features);
		return 1;
	case REQ_GET_QUEUE_NUM:
		reply_u64(r, 2);
		return 1;
	case REQ_GET_MAX_MEM_SLOTS:
		reply_u64(r, 8);
		return 1;
	case REQ_GET_STATUS:
		reply_u64(r, s->status);
		return 1;
	case REQ_IOTLB_MSG:
	case REQ_POSTCOPY_END:
	case REQ_CHECK_DEVICE_STATE:
		reply_u64(r, 0);
		return 1;
	case REQ_GET_VRING_BASE:
		idx = payload_u32(m, 0);
		num = idx < MAX_VRINGS ? s->vring_base[idx] : 0;
		memcpy(r->payload, &idx, 4);
		memcpy(r->payload + 4, &num, 4);
		r->size = 8;
		return 1;
	case REQ_GET_CONFIG:
		return build_config_reply(r, m);
	default:
		break;
	}
	if ((m->flags & FLAG_NEED_REPLY) &&
	    (s->proto_features & PROTO_F_REPLY_ACK)) {
		reply_u64(r, 0);
		return 1;
	}
	return 0;
}

/* Like build_reply, but always produce something (u64 0 if none is due). */
static int build_forced_reply(const struct session *s, const struct msg *m,
			      struct reply *r)
{
	int ret = build_reply(s, m, r);

	if (ret == 0) {
		reply_u64(r, 0);
		ret = 1;
	}
	return ret;
}

/*
 * Send len bytes, attaching nfds fds to the first chunk.
 * Returns 0, or -1 when the connection is unusable.
 */
static int send_all(int fd, const void *buf, size_t len, const int *fds,
		    int nfds)
{
	union {
		char buf[CMSG_SPACE(EXTRA_FDS * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	const uint8_t *p = buf;
	struct cmsghdr *c;
	struct msghdr mh;
	struct iovec iov;
	size_t off = 0, fdlen;
	ssize_t n;

	while (off < len) {
		iov.iov_base = (void *)(p + off);
		iov.iov_len = len - off;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		if (nfds > 0 && nfds <= EXTRA_FDS) {
			fdlen = (size_t)nfds * sizeof(int);
			memset(&cbuf, 0, sizeof(cbuf));
			mh.msg_control = cbuf.buf;
			mh.msg_controllen = CMSG_SPACE(fdlen);
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(fdlen);
			memcpy(CMSG_DATA(c), fds, fdlen);
		}
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR) {
				if (got_signal)
					quit(0);
				continue;
			}
			warnx_("send: %s", strerror(errno));
			return -1;
		}
		off += (size_t)n;
		nfds = 0;
	}
	return 0;
}

static void put_header(uint8_t *buf, uint32_t request, uint32_t flags,
		       uint32_t size)
{
	memcpy(buf, &request, 4);
	memcpy(buf + 4, &flags, 4);
	memcpy(buf + 8, &size, 4);
}

/* Send header (request, flags, size) followed by plen payload bytes. */
static int send_msg(int fd, uint32_t request, uint32_t flags, uint32_t size,
		    const uint8_t *payload, size_t plen, const int *fds,
		    int nfds)
{
	uint8_t buf[HDR_SIZE + MAX_PAYLOAD];

	if (plen > MAX_PAYLOAD)
		plen = MAX_PAYLOAD;
	put_header(buf, request, flags, size);
	if (plen) {
		if (payload)
			memcpy(buf + HDR_SIZE, payload, plen);
		else
			memset(buf + HDR_SIZE, 0, plen);
	}
	return send_all(fd, buf, HDR_SIZE + plen, fds, nfds);
}

static int send_reply(int fd, const struct reply *r)
{
	return send_msg(fd, r->request, r->flags, r->size, r->payload,
			r->size, NULL, 0);
}

static int send_extra_fds(int fd, const struct reply *r)
{
	int fds[EXTRA_FDS];
	int i, ret;

	for (i = 0; i < EXTRA_FDS; i++) {
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			warnx_("open /dev/null: %s", strerror(errno));
			while (i-- > 0)
				close(fds[i]);
			return -1;
		}
	}
	ret = send_msg(fd, r->request, r->flags, r->size, r->payload, r->size,
		       fds, EXTRA_FDS);
	for (i = 0; i < EXTRA_FDS; i++)
		close(fds[i]);
	return ret;
}

static int do_ok(int fd, const struct session *s, const struct msg *m)
{
	struct reply r;
	int ret = build_reply(s, m, &r);

	if (ret <= 0)
		return ret;
	return send_reply(fd, &r);
}

/*
 * Apply action a to message m.
 * Returns 0 to keep the connection, -1 to close it.
 */
static int do_action(int fd, const struct action *a, const struct session *s,
		     const struct msg *m)
{
	uint8_t hdr[HDR_SIZE];
	struct reply r;

	switch (a->kind) {
	case ACT_DELAY:
		sleep_ms(a->delay_ms);
		return do_ok(fd, s, m);
	case ACT_OK:
		return do_ok(fd, s, m);
	case ACT_NOREPLY:
		return 0;
	case ACT_CLOSE:
		return -1;
	case ACT_CLOSE_HEADER:
		put_header(hdr, m->request, REPLY_FLAGS, 8);
		send_all(fd, hdr, 5, NULL, 0);
		return -1;
	case ACT_OVERSIZE:
		return send_msg(fd, m->request, REPLY_FLAGS, OVERSIZE_SIZE, NULL,
				MAX_PAYLOAD, NULL, 0);
	case ACT_GARBAGE:
		memset(hdr, 0xff, sizeof(hdr));
		return send_all(fd, hdr, sizeof(hdr), NULL, 0);
	case ACT_EXIT:
		close(fd);
		quit(0);
	default:
		break;
	}

	/* The remaining actions mangle a (forced) proper reply. */
	if (build_forced_reply(s, m, &r) < 0)
		return -1;
	switch (a->kind) {
	case ACT_WRONG_FLAGS:
		r.flags = REPLY_FLAGS | FLAG_NEED_REPLY;
		return send_reply(fd, &r);
	case ACT_WRONG_REQUEST:
		r.request++;
		return send_reply(fd, &r);
	case ACT_CLOSE_PAYLOAD:
		send_msg(fd, r.request, r.flags, 8, r.payload, 3, NULL, 0);
		return -1;
	case ACT_BAD_SIZE:
		return send_msg(fd, r.request, r.flags, 4, r.payload, 4, NULL, 0);
	case ACT_EXTRA_FDS:
		return send_extra_fds(fd, &r);
	default:
		return -1;
	}
}

static void serve(int fd)
{
	struct timeval tv = { .tv_sec = SEND_TIMEOUT_S };
	struct session *s;
	struct msg *m;
	struct action a;

	s = calloc(1, sizeof(*s));
	m = malloc(sizeof(*m));
	if (!s || !m) {
		warnx_("out of memory");
		goto out;
	}
	/* Bound every send so a peer that never reads cannot wedge us. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (read_msg(fd, m)) {
		update_session(s, m);
		a = next_action();
		if (do_action(fd, &a, s, m) < 0)
			break;
	}
out:
	free(m);
	free(s);
	close(fd);
}

static int accept_conn(int lfd)
{
	int fd;

	for (;;) {
		if (wait_readable(lfd) < 0) {
			warnx_("poll: %s", strerror(errno));
			quit(1);
		}
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			touch_activity();
			return fd;
		}
		if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
			warnx_("accept: %s", strerror(errno));
	}
}

static int listen_socket(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		warnx_("socket path too long: %s", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		warnx_("socket: %s", strerror(errno));
		return -1;
	}
	if (unlink(path) < 0 && errno != ENOENT)
		warnx_("unlink %s: %s", path, strerror(errno));
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(fd, 8) < 0 || stat(path, &st) < 0) {
		warnx_("%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	sock_dev = st.st_dev;
	sock_ino = st.st_ino;
	sock_created = true;
	return fd;
}

static int write_pidfile(const char *path)
{
	char tmp[PATH_MAX], buf[32];
	int fd, len;
	bool ok;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >=
	    (int)sizeof(tmp)) {
		warnx_("pidfile path too long: %s", path);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		warnx_("%s: %s", tmp, strerror(errno));
		return -1;
	}
	len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	ok = write(fd, buf, (size_t)len) == len;
	if (close(fd) < 0)
		ok = false;
	if (!ok || rename(tmp, path) < 0) {
		warnx_("%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int parse_u32(const char *s, const char *end, uint32_t *out)
{
	unsigned long long v;
	char *e;

	if (s == end || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &e, 10);
	if (errno || e != end || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int parse_hex(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *e;

	errno = 0;
	v = strtoull(s, &e, 16);
	if (errno || e == s || *e || *s == '-')
		return -1;
	*out = v;
	return 0;
}

static int parse_action(const char *arg, struct action *a)
{
	const char *p = arg, *star = strchr(arg, '*');
	size_t i;

	a->count = 1;
	a->delay_ms = 0;
	if (star) {
		if (parse_u32(arg, star, &a->count) < 0 || a->count == 0)
			return -1;
		p = star + 1;
	}
	if (strncmp(p, "delay=", 6) == 0) {
		a->kind = ACT_DELAY;
		return parse_u32(p + 6, p + strlen(p), &a->delay_ms);
	}
	for (i = 0; i < sizeof(act_names) / sizeof(act_names[0]); i++) {
		if (strcmp(p, act_names[i].name) == 0) {
			a->kind = act_names[i].kind;
			return 0;
		}
	}
	return -1;
}

static void __attribute__((noreturn)) usage(void)
{
	fputs("usage: fake-backend [--log FILE] [--pidfile FILE] "
	      "[--features HEX] [--protocol-features HEX] SOCKET [ACTION...]\n"
	      "actions: [N*]ok|noreply|close|close-header|close-payload|"
	      "wrong-flags|wrong-request|oversize|bad-size|extra-fds|garbage|"
	      "delay=MS|exit\n", stderr);
	exit(2);
}

/* Parse options; returns the index of SOCKET in argv. */
static int parse_args(int argc, char **argv, const char **logp,
		      const char **pidp)
{
	const char *opt;
	int i;

	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		opt = argv[i];
		if (strcmp(opt, "--") == 0) {
			i++;
			break;
		}
		if (i + 1 >= argc)
			usage();
		if (strcmp(opt, "--log") == 0)
			*logp = argv[++i];
		else if (strcmp(opt, "--pidfile") == 0)
			*pidp = argv[++i];
		else if (strcmp(opt, "--features") == 0) {
			if (parse_hex(argv[++i], &opt_features) < 0)
				usage();
		} else if (strcmp(opt, "--protocol-features") == 0) {
			if (parse_hex(argv[++i], &opt_proto_features) < 0)
				usage();
		} else {
			usage();
		}
	}
	if (i >= argc)
		usage();
	return i;
}

int main(int argc, char **argv)
{
	const char *log_path = NULL, *pid_path = NULL;
	int i, sidx, lfd;

	sidx = parse_args(argc, argv, &log_path, &pid_path);
	sock_path = argv[sidx];
	actions = calloc((size_t)argc, sizeof(*actions));
	if (!actions)
		return 1;
	for (i = sidx + 1; i < argc; i++) {
		if (parse_action(argv[i], &actions[nactions++]) < 0) {
			warnx_("bad action: %s", argv[i]);
			usage();
		}
	}
	if (setup_signals() < 0) {
		warnx_("sigaction: %s", strerror(errno));
		return 1;
	}
	if (log_path) {
		log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			      0644);
		if (log_fd < 0) {
			warnx_("%s: %s", log_path, strerror(errno));
			return 1;
		}
	}
	lfd = listen_socket(sock_path);
	if (lfd < 0)
		return 1;
	if (pid_path && write_pidfile(pid_path) < 0)
		quit(1);
	touch_activity();
	for (;;) {
		serve(accept_conn(lfd));
		touch_activity();
	}
}
