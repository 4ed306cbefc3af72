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
 *                    The `backend=' action adds its own lines (see below).
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
 * (fds=<n> in the log counts them) and closed once the message is read,
 * before its action runs, with one exception: SET_BACKEND_REQ_FD(21)
 * carrying exactly one fd keeps that fd as the back-end channel (replacing
 * and closing any previous one); with any other fd count the fds are closed
 * and the channel is left as it was (a warning goes to stderr).
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
 *   backend=SPEC   behave like `ok' (reply if due), then send one back-end
 *                  request on the back-end channel (nothing is sent when
 *                  `ok' closes the connection).  SPEC is
 *                    ID[,flags=HEX][,payload=HEX][,fds=N][,wait]
 *                  ID: request number, decimal (any u32, so unknown ones
 *                  can be sent too); flags: header flags (default 0x1);
 *                  payload: the payload bytes as hex, even length, at most
 *                  4096 bytes (default none); the header size is the payload
 *                  length; fds: attach N fds of /dev/null (0-253, default 0).
 *                  Log lines, after the triggering message's own line:
 *                    backend-sent req=<num> flags=0x<hex> size=<n> fds=<n>
 *                  or, when nothing could be sent,
 *                    backend-sent none (no channel)
 *                    backend-sent none (send failed)
 *                    backend-sent none (open failed)
 *                  (after `send failed' the channel is closed).
 *                  With `wait', or when flags has NEED_REPLY (0x8), the
 *                  front-end's reply is then read from the channel (at most
 *                  5 s; the front-end connection is not served meanwhile;
 *                  fds attached to the reply are closed) and logged as
 *                    backend-reply req=<num> flags=0x<hex> size=<n> payload=<hex>
 *                  (payload empty when size is 0), or as
 *                    backend-reply none
 *                  on timeout or EOF.  Only a timeout with no byte read
 *                  keeps the channel; EOF, a partial message, or a reply
 *                  announcing size > 4096 (logged as its line without
 *                  ` payload=') close it.  Without `wait' nothing is read:
 *                  a reply the front-end sends anyway (e.g. to
 *                  SHARED_OBJECT_LOOKUP(8), which is always answered) stays
 *                  in the channel and is what the next `wait' reads.
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
 * Session state (SET_PROTOCOL_FEATURES, SET_VRING_BASE, SET_STATUS, the
 * back-end channel) is recorded from every received message whatever its
 * action, before the reply is built, and is reset for each new connection
 * (the channel is closed when its connection ends).
 *
 * Sends on either socket give up (warning on stderr) when the peer has not
 * taken the whole message within 5 s.
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
#define BACKEND_WAIT_MS		5000
#define MAX_SEND_FDS		253	/* the kernel's SCM_MAX_FD */

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
#define REQ_SET_BACKEND_REQ_FD		21
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
	ACT_BACKEND,
};

/* A request to send on the back-end channel (the `backend=' action). */
struct backend_spec {
	uint32_t request;
	uint32_t flags;
	uint32_t size;		/* payload bytes */
	uint32_t nfds;		/* /dev/null fds to attach */
	bool wait;		/* read the front-end's reply */
	uint8_t *payload;
};

struct action {
	enum act_kind kind;
	uint32_t count;		/* messages still to apply it to */
	uint32_t delay_ms;
	const struct backend_spec *backend;
};

struct msg {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
	uint32_t nfds;		/* fds received (some may have been dropped) */
	uint32_t nheld;		/* fds held in fds[], not yet closed */
	int fds[MAX_FDS];
	uint8_t payload[MAX_PAYLOAD];
};

struct reply {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
	uint8_t payload[CONFIG_HDR + MAX_CONFIG];
};

struct session {
	int chan_fd;		/* back-end channel (SET_BACKEND_REQ_FD), or -1 */
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

/*
 * Wait until fd is ready for events or the monotonic clock reaches deadline
 * (ms); exits on a termination signal.  Returns 1 when ready, 0 on timeout,
 * -1 on a poll error.
 */
static int wait_until(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int64_t left;
	int ret;

	for (;;) {
		if (got_signal)
			quit(0);
		left = deadline - now_ms();
		if (left <= 0)
			return 0;
		if (left > POLL_SLICE_MS)
			left = POLL_SLICE_MS;
		ret = poll(&pfd, 1, (int)left);
		if (ret > 0)
			return 1;
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

/* Close the fds m still holds. */
static void close_msg_fds(struct msg *m)
{
	while (m->nheld > 0)
		close(m->fds[--m->nheld]);
}

/*
 * Take every SCM_RIGHTS fd of a received chunk: hold it in m while m has
 * room (m NULL: none), close it otherwise.  Returns how many arrived.
 */
static uint32_t take_fds(struct msghdr *mh, struct msg *m)
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
			if (m && m->nheld < MAX_FDS)
				m->fds[m->nheld++] = fd;
			else
				close(fd);
			n++;
		}
	}
	return n;
}

enum rx_status {
	RX_OK,		/* all bytes read */
	RX_EOF,		/* EOF or error */
	RX_TIMEOUT,	/* deadline passed */
};

/*
 * Read len bytes into buf, stopping early at EOF, on an error, or (deadline
 * >= 0) once the monotonic clock reaches deadline (ms).  Without a deadline
 * the idle timeout and signals apply (check_alive).  Attached fds are
 * counted in *nfds and held in m (m NULL: closed at once).  *got receives
 * the number of bytes read.
 */
static enum rx_status recv_bytes(int fd, uint8_t *buf, size_t len,
				 size_t *got, uint32_t *nfds, struct msg *m,
				 int64_t deadline)
{
	union {
		char buf[CMSG_SPACE(MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct msghdr mh;
	struct iovec iov;
	ssize_t n;
	int ret;

	*got = 0;
	while (*got < len) {
		if (deadline < 0)
			ret = wait_readable(fd) < 0 ? -1 : 1;
		else
			ret = wait_until(fd, POLLIN, deadline);
		if (ret == 0)
			return RX_TIMEOUT;
		if (ret < 0)
			return RX_EOF;
		iov.iov_base = buf + *got;
		iov.iov_len = len - *got;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return RX_EOF;
		}
		*nfds += take_fds(&mh, m);
		if (n == 0)
			return RX_EOF;
		*got += (size_t)n;
		touch_activity();
	}
	return RX_OK;
}

/*
 * Read exactly len bytes of a message on the front-end connection, holding
 * attached fds in m.  Returns 1 on success, 0 on EOF or error.
 */
static int recv_exact(int fd, uint8_t *buf, size_t len, struct msg *m)
{
	size_t got;

	return recv_bytes(fd, buf, len, &got, &m->nfds, m, -1) == RX_OK;
}

/* Append len bytes to the log in a single write (plus retries). */
static void log_write(const char *line, size_t len)
{
	size_t off = 0;
	ssize_t n;

	if (log_fd < 0)
		return;
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

/* Write the lower-case hex of n bytes at p to out; returns 2 * n. */
static size_t hex_put(char *out, const uint8_t *p, uint32_t n)
{
	static const char hex[] = "0123456789abcdef";
	uint32_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 0xf];
	}
	return 2 * (size_t)n;
}

static void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Append one short formatted line to the log. */
static void log_line(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int len;

	if (log_fd < 0)
		return;
	va_start(ap, fmt);
	len = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	if ((size_t)len > sizeof(line) - 2)
		len = (int)sizeof(line) - 2;
	line[len++] = '\n';
	log_write(line, (size_t)len);
}

/* Append one line describing msg to the log, in a single write. */
static void log_msg(const struct msg *m, bool with_payload)
{
	char line[128 + 2 * MAX_PAYLOAD];
	size_t len;

	if (log_fd < 0)
		return;
	len = (size_t)snprintf(line, sizeof(line),
			       "req=%u flags=0x%x size=%u fds=%u",
			       m->request, m->flags, m->size, m->nfds);
	if (with_payload && m->size) {
		memcpy(line + len, " payload=", 9);
		len += 9;
		len += hex_put(line + len, m->payload, m->size);
	}
	line[len++] = '\n';
	log_write(line, len);
}

/*
 * Read one message; its fds stay held in m (the caller closes them).
 * Returns 1 on success, 0 when the connection must close (fds closed).
 */
static int read_msg(int fd, struct msg *m)
{
	uint8_t hdr[HDR_SIZE];

	m->nfds = 0;
	m->nheld = 0;
	if (!recv_exact(fd, hdr, sizeof(hdr), m))
		goto fail;
	memcpy(&m->request, hdr, 4);
	memcpy(&m->flags, hdr + 4, 4);
	memcpy(&m->size, hdr + 8, 4);
	if (m->size > MAX_PAYLOAD) {
		log_msg(m, false);
		warnx_("req %u: size %u exceeds %d, closing", m->request,
		       m->size, MAX_PAYLOAD);
		goto fail;
	}
	if (m->size && !recv_exact(fd, m->payload, m->size, m))
		goto fail;
	log_msg(m, true);
	return 1;
fail:
	close_msg_fds(m);
	return 0;
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
 * Send len bytes, attaching nfds fds to the first chunk; gives up when the
 * peer has not taken everything after SEND_TIMEOUT_S seconds.
 * Returns 0, or -1 when the connection is unusable.
 */
static int send_all(int fd, const void *buf, size_t len, const int *fds,
		    int nfds)
{
	union {
		char buf[CMSG_SPACE(MAX_SEND_FDS * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	const uint8_t *p = buf;
	int64_t deadline = now_ms() + SEND_TIMEOUT_S * 1000;
	struct cmsghdr *c;
	struct msghdr mh;
	struct iovec iov;
	size_t off = 0, fdlen;
	ssize_t n;
	int ret;

	while (off < len) {
		iov.iov_base = (void *)(p + off);
		iov.iov_len = len - off;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		if (nfds > 0 && nfds <= MAX_SEND_FDS) {
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
		n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR) {
				if (got_signal)
					quit(0);
				continue;
			}
			if (errno == EAGAIN) {
				ret = wait_until(fd, POLLOUT, deadline);
				if (ret > 0)
					continue;
				if (ret == 0)
					errno = ETIMEDOUT;
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

/* Open n fds of /dev/null; returns 0, or -1 (none left open). */
static int open_null_fds(int *fds, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			warnx_("open /dev/null: %s", strerror(errno));
			while (i-- > 0)
				close(fds[i]);
			return -1;
		}
	}
	return 0;
}

static void close_fds(const int *fds, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		close(fds[i]);
}

static int send_extra_fds(int fd, const struct reply *r)
{
	int fds[EXTRA_FDS];
	int ret;

	if (open_null_fds(fds, EXTRA_FDS) < 0)
		return -1;
	ret = send_msg(fd, r->request, r->flags, r->size, r->payload, r->size,
		       fds, EXTRA_FDS);
	close_fds(fds, EXTRA_FDS);
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

static void close_channel(struct session *s)
{
	if (s->chan_fd >= 0)
		close(s->chan_fd);
	s->chan_fd = -1;
}

/*
 * SET_BACKEND_REQ_FD carrying exactly one fd: that fd becomes the channel
 * (taken from m).  Otherwise the channel is left as it is.
 */
static void keep_channel(struct session *s, struct msg *m)
{
	if (m->request != REQ_SET_BACKEND_REQ_FD)
		return;
	if (m->nfds != 1 || m->nheld != 1) {
		warnx_("SET_BACKEND_REQ_FD with %u fds, channel unchanged",
		       m->nfds);
		return;
	}
	close_channel(s);
	s->chan_fd = m->fds[0];
	m->nheld = 0;
}

/* Read the front-end's reply to a back-end request from the channel; log it. */
static void read_backend_reply(struct session *s)
{
	static uint8_t payload[MAX_PAYLOAD];
	static char line[128 + 2 * MAX_PAYLOAD];
	int64_t deadline = now_ms() + BACKEND_WAIT_MS;
	uint32_t request, flags, size, nfds = 0;
	uint8_t hdr[HDR_SIZE];
	enum rx_status st;
	size_t got, len;

	st = recv_bytes(s->chan_fd, hdr, sizeof(hdr), &got, &nfds, NULL,
			deadline);
	if (st != RX_OK) {
		log_line("backend-reply none");
		if (st == RX_EOF || got) {
			warnx_("back-end channel: %s after %zu of %d header "
			       "bytes, closing it", st == RX_EOF ? "EOF" :
			       "timeout", got, HDR_SIZE);
			close_channel(s);
		}
		return;
	}
	memcpy(&request, hdr, 4);
	memcpy(&flags, hdr + 4, 4);
	memcpy(&size, hdr + 8, 4);
	if (size > MAX_PAYLOAD) {
		log_line("backend-reply req=%u flags=0x%x size=%u", request,
			 flags, size);
		warnx_("back-end reply size %u exceeds %d, closing channel",
		       size, MAX_PAYLOAD);
		close_channel(s);
		return;
	}
	if (size) {
		st = recv_bytes(s->chan_fd, payload, size, &got, &nfds, NULL,
				deadline);
		if (st != RX_OK) {
			log_line("backend-reply none");
			warnx_("back-end channel: %s after %zu of %u payload "
			       "bytes, closing it", st == RX_EOF ? "EOF" :
			       "timeout", got, size);
			close_channel(s);
			return;
		}
	}
	len = (size_t)snprintf(line, sizeof(line),
			       "backend-reply req=%u flags=0x%x size=%u payload=",
			       request, flags, size);
	len += hex_put(line + len, payload, size);
	line[len++] = '\n';
	log_write(line, len);
}

/* Send the back-end request b on the channel (then read the reply). */
static void send_backend(struct session *s, const struct backend_spec *b)
{
	int fds[MAX_SEND_FDS];

	if (s->chan_fd < 0) {
		log_line("backend-sent none (no channel)");
		return;
	}
	if (open_null_fds(fds, b->nfds) < 0) {
		log_line("backend-sent none (open failed)");
		return;
	}
	if (send_msg(s->chan_fd, b->request, b->flags, b->size, b->payload,
		     b->size, fds, (int)b->nfds) < 0) {
		close_fds(fds, b->nfds);
		log_line("backend-sent none (send failed)");
		close_channel(s);
		return;
	}
	close_fds(fds, b->nfds);
	log_line("backend-sent req=%u flags=0x%x size=%u fds=%u", b->request,
		 b->flags, b->size, b->nfds);
	if (b->wait || (b->flags & FLAG_NEED_REPLY))
		read_backend_reply(s);
}

/*
 * Apply action a to message m.
 * Returns 0 to keep the connection, -1 to close it.
 */
static int do_action(int fd, const struct action *a, struct session *s,
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
	case ACT_BACKEND:
		if (do_ok(fd, s, m) < 0)
			return -1;
		send_backend(s, a->backend);
		return 0;
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
	struct session *s;
	struct msg *m;
	struct action a;

	s = calloc(1, sizeof(*s));
	m = malloc(sizeof(*m));
	if (!s || !m) {
		warnx_("out of memory");
		goto out;
	}
	s->chan_fd = -1;
	while (read_msg(fd, m)) {
		update_session(s, m);
		keep_channel(s, m);
		close_msg_fds(m);
		a = next_action();
		if (do_action(fd, &a, s, m) < 0)
			break;
	}
out:
	if (s)
		close_channel(s);
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

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode the hex string s (even length, at most MAX_PAYLOAD bytes) into b. */
static int parse_payload(const char *s, struct backend_spec *b)
{
	size_t n = strlen(s), i;
	int hi, lo;

	if (n % 2 || n / 2 > MAX_PAYLOAD)
		return -1;
	free(b->payload);
	b->payload = NULL;
	b->size = (uint32_t)(n / 2);
	if (!b->size)
		return 0;
	b->payload = malloc(b->size);
	if (!b->payload)
		return -1;
	for (i = 0; i < b->size; i++) {
		hi = hex_digit(s[2 * i]);
		lo = hex_digit(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		b->payload[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* Parse the SPEC of `backend=SPEC': ID[,flags=HEX][,payload=HEX][,fds=N][,wait] */
static int parse_backend(const char *spec, struct action *a)
{
	struct backend_spec *b = calloc(1, sizeof(*b));
	char *copy = strdup(spec), *rest = copy, *tok;
	uint64_t v;
	int ret = -1;

	if (!b || !copy)
		goto out;
	b->flags = FLAG_VERSION;
	tok = strsep(&rest, ",");
	if (parse_u32(tok, tok + strlen(tok), &b->request) < 0)
		goto out;
	while ((tok = strsep(&rest, ",")) != NULL) {
		if (strncmp(tok, "flags=", 6) == 0) {
			if (parse_hex(tok + 6, &v) < 0 || v > UINT32_MAX)
				goto out;
			b->flags = (uint32_t)v;
		} else if (strncmp(tok, "payload=", 8) == 0) {
			if (parse_payload(tok + 8, b) < 0)
				goto out;
		} else if (strncmp(tok, "fds=", 4) == 0) {
			if (parse_u32(tok + 4, tok + strlen(tok), &b->nfds) < 0 ||
			    b->nfds > MAX_SEND_FDS)
				goto out;
		} else if (strcmp(tok, "wait") == 0) {
			b->wait = true;
		} else {
			goto out;
		}
	}
	a->kind = ACT_BACKEND;
	a->backend = b;
	b = NULL;
	ret = 0;
out:
	if (b)
		free(b->payload);
	free(b);
	free(copy);
	return ret;
}

static int parse_action(const char *arg, struct action *a)
{
	const char *p = arg, *star = strchr(arg, '*');
	size_t i;

	a->count = 1;
	a->delay_ms = 0;
	a->backend = NULL;
	if (star) {
		if (parse_u32(arg, star, &a->count) < 0 || a->count == 0)
			return -1;
		p = star + 1;
	}
	if (strncmp(p, "backend=", 8) == 0)
		return parse_backend(p + 8, a);
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
	      "delay=MS|exit|\n"
	      "         backend=ID[,flags=HEX][,payload=HEX][,fds=N][,wait]\n",
	      stderr);
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
