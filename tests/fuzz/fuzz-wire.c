/* fuzz-wire.c - the wire reader: a stream of bytes and fds from a back-end.
 *
 * Input: u8 mode (bit 0 may_block, bit 1 exchanges instead of plain reads,
 * bit 2 REPLY_ACK negotiated, bit 3 NEED_REPLY, bit 4 a late reply is
 * possible, bit 5 a reply only where the table says, bit 6 the back-end
 * goes quiet instead of hanging up, with a timeout of 1 ms), u16 read-ahead, u8
 * device, u8 request number (exchanges), u8 cut count, then that many cuts
 * of {u16 length, u8 fds: bits 0-5 how many, bits 6-7 what: eventfd,
 * memfd, pipe, socket}, then the stream.
 * The stream is written into a socketpair in those cuts, each cut's fds on
 * its first byte (what remains goes in one last send), and read back:
 *
 *   plain reads: wire_recv_rx until it fails; every message is decoded
 *   with the codec of its request kind on both sides of the protocol
 *   table (a front-end's reply, a back-end channel request) and rendered;
 *   exchanges: conn_transact of one request, again and again, each reply
 *   checked, rendered and its fds closed as cmd_request.c does.
 *
 * Every byte sent is read exactly once (or the stream fails on an oversize
 * header, or ends in a timeout when the back-end went quiet), every fd comes with a message that holds bytes of the send it
 * came with (each fd carries the number of its cut), and no fd survives:
 * /proc/self/fd is counted before and after. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/conn.h"
#include "fuzz.h"
#include "core/render.h"
#include "core/wire.h"

#define CUTS_MAX 15u
#define FDS_MAX 256u	/* fds sent in all, well under RLIMIT_NOFILE */

enum {
	MODE_MAY_BLOCK = 1,
	MODE_EXCHANGE = 2,
	MODE_REPLY_ACK = 4,
	MODE_NEED_REPLY = 8,
	MODE_LATE = 16,
	MODE_AUTO = 32,
	MODE_QUIET = 64,
};

/* Where each cut went in the stream, by tag (cut index + 1). */
static struct { size_t start, end; } cut_at[CUTS_MAX + 1];

/* One fd of KIND (0 eventfd, 1 memfd, 2 pipe, 3 socket) that carries TAG
 * where the receiver can see it without using the fd up: the eventfd's
 * count, the memfd's size in pages, the bytes waiting in the pipe or on
 * the socket. The other end of a pair is closed at once. */
static int make_fd(unsigned kind, unsigned tag)
{
	static const uint8_t bytes[CUTS_MAX + 1];
	int p[2], fd;

	switch (kind) {
	case 0:
		return eventfd(tag, EFD_CLOEXEC);
	case 1:
		fd = memfd_create("fuzz-wire", MFD_CLOEXEC);
		if (fd >= 0 && ftruncate(fd, 4096 * (off_t)tag) < 0) {
			close(fd);
			return -1;
		}
		return fd;
	default:
		if (kind == 2 ? pipe2(p, O_CLOEXEC) < 0 :
				socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) < 0)
			return -1;
		if (write(p[1], bytes, tag) != (ssize_t)tag) {
			close(p[0]);
			p[0] = -1;
		}
		close(p[1]);
		return p[0];
	}
}

/* The tag make_fd gave FD, 0 when it has none. */
static unsigned fd_tag(int fd)
{
	unsigned long long count = 0;
	char path[64], line[128];
	struct stat st;
	int n = 0;
	FILE *f;

	if (fstat(fd, &st) < 0)
		return 0;
	if (S_ISREG(st.st_mode))
		return (unsigned)(st.st_size / 4096);
	if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))
		return ioctl(fd, FIONREAD, &n) == 0 ? (unsigned)n : 0;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "eventfd-count: %llx", &count) == 1)
			break;
	if (f)
		fclose(f);
	return count <= CUTS_MAX ? (unsigned)count : 0;
}

/* Send LEN bytes with the same fd attached N times (the receiver gets N
 * fds); without fds when they cannot go. Returns the bytes sent. */
static size_t send_cut(int sock, const uint8_t *buf, size_t len, unsigned n, unsigned kind,
		       unsigned tag)
{
	union {
		char b[CMSG_SPACE(sizeof(int) * 63)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fd = n ? make_fd(kind, tag) : -1;
	ssize_t r;

	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n);
		for (unsigned i = 0; i < n; i++)
			memcpy(CMSG_DATA(c) + i * sizeof(int), &fd, sizeof(int));
	}
	r = sendmsg(sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (r < 0 && fd >= 0) {
		mh.msg_control = NULL;
		mh.msg_controllen = 0;
		r = sendmsg(sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	if (fd >= 0)
		close(fd);
	FUZZ_CHECK(r >= 0, "send to the socketpair: %s", strerror(errno));
	return (size_t)r;
}

/* Write the stream into SOCK in the input's cuts; returns the bytes sent. */
static size_t send_stream(int sock, struct fuzz_in *in)
{
	unsigned ncut = fuzz_u8(in) % (CUTS_MAX + 1), fds = 0;
	struct { uint16_t len; uint8_t fds; } cut[CUTS_MAX];
	const uint8_t *s;
	size_t len, off = 0;

	for (unsigned i = 0; i < ncut; i++) {
		cut[i].len = fuzz_u16(in);
		cut[i].fds = fuzz_u8(in);
	}
	s = fuzz_take(in, in->n, &len);
	for (unsigned i = 0; i < ncut && off < len; i++) {
		size_t n = 1 + cut[i].len % 8192u;
		unsigned nfds = cut[i].fds & 63u;

		if (n > len - off)
			n = len - off;
		if (fds + nfds > FDS_MAX)
			nfds = 0;
		fds += nfds;
		cut_at[i + 1].start = off;
		off += send_cut(sock, s + off, n, nfds, cut[i].fds >> 6, i + 1);
		cut_at[i + 1].end = off;
	}
	if (off < len)
		off += send_cut(sock, s + off, len - off, 0, 0, 0);
	return off;
}

/* A message as both sides would show it: a reply to the front-end request
 * of its number, and a back-end channel request of its number. */
static void render_both(const struct vhu_msg *m, enum vhu_device dev)
{
	const struct vhu_request *f = proto_request(SIDE_FRONTEND, m->request);
	const struct vhu_request *b = proto_request(SIDE_BACKEND, m->request);

	fuzz_json(render_msg(m, f ? f->name : NULL, f ? f->reply_kind : PL_OPAQUE, dev));
	fuzz_json(render_msg(m, b ? b->name : NULL, b ? b->req_kind : PL_OPAQUE, dev));
}

/* Every fd of M came with a send that carried some of M's bytes (those
 * from CONSUMED on): a stream read that takes fds ends inside the send
 * they came with, and they belong to the message holding that last byte. */
static void check_fds(const struct vhu_msg *m, size_t consumed)
{
	for (unsigned i = 0; i < m->nfds; i++) {
		unsigned t = fd_tag(m->fds[i]);

		FUZZ_CHECK(t >= 1 && t <= CUTS_MAX, "fd %d of request %u is not one that was sent",
			   m->fds[i], m->request);
		FUZZ_CHECK(cut_at[t].start < consumed + m->consumed && cut_at[t].end > consumed,
			   "an fd sent with bytes %zu..%zu came with the message of bytes %zu..%zu",
			   cut_at[t].start, cut_at[t].end, consumed, consumed + m->consumed);
	}
}

static void plain_reads(int sock, unsigned mode, uint32_t ahead, enum vhu_device dev, size_t sent)
{
	static struct wire_rx rx;
	static struct vhu_msg m;
	size_t consumed = 0;

	/* A read that may block is bounded by SO_RCVTIMEO, as conn sets it. */
	if (mode & MODE_MAY_BLOCK)
		FUZZ_CHECK(wire_set_rcvtimeo(sock, mode & MODE_QUIET ? 1 : 5000) == 0, "SO_RCVTIMEO");
	for (;;) {
		struct vhu_err e = { 0 };
		int r = wire_recv_rx(sock, &rx, &m, VHU_PAYLOAD_MAX, ahead,
				     wire_deadline(mode & MODE_QUIET ? 1 : 5000), mode & MODE_MAY_BLOCK, &e);

		if (r < 0) {
			FUZZ_CHECK(r == -ETIMEDOUT ? mode & MODE_QUIET : r != -ECANCELED,
				   "a read of bytes that were all there ended in: %s", e.msg);
			FUZZ_CHECK(e.msg[0], "error %d without a message", r);
			FUZZ_CHECK(m.nfds == 0 && rx.len == 0 && rx.nfds == 0,
				   "a failed read left %u bytes and %u fds behind", rx.len, rx.nfds + m.nfds);
			consumed += m.consumed;
			FUZZ_CHECK(r == -EMSGSIZE ? consumed <= sent : consumed == sent,
				   "%zu bytes read of %zu sent (%s)", consumed, sent, e.msg);
			break;
		}
		FUZZ_CHECK(m.len == m.size && m.size <= VHU_PAYLOAD_MAX && m.nfds <= VHU_MAX_FDS &&
			   m.consumed == VHU_HDR_SIZE + m.size,
			   "message of size %u with %u payload bytes, %u consumed, %u fds",
			   m.size, m.len, m.consumed, m.nfds);
		render_both(&m, dev);
		check_fds(&m, consumed);
		consumed += m.consumed;
		wire_close_fds(&m);
	}
	wire_rx_reset(&rx);
}

static void exchanges(int sock, unsigned mode, uint8_t num, enum vhu_device dev)
{
	static struct conn_xfer x;
	struct conn c;

	conn_init(&c);
	c.fd = sock;
	c.rcvtimeo_ms = -2;
	c.proto_set = true;
	c.acked_proto = mode & MODE_REPLY_ACK ? 1u << 3 : 0;
	c.late_reply_possible = mode & MODE_LATE;
	c.timeout_ms = mode & MODE_QUIET ? 1 : 5000;
	for (unsigned i = 0; i < 16 && conn_connected(&c); i++) {
		struct vhu_err e = { 0 };
		uint32_t min, max;

		conn_xfer_reset(&x);
		x.row = proto_request(SIDE_FRONTEND, num);
		x.req.request = num;
		x.req.flags = VHU_FLAG_VERSION | (mode & MODE_NEED_REPLY ? VHU_FLAG_NEED_REPLY : 0);
		proto_payload_bounds(x.row ? x.row->req_kind : PL_NONE, &min, &max);
		x.req.size = x.req.len = min;	/* zeros: only the reply is looked at */
		memset(x.req.payload, 0, min);
		x.expect = mode & MODE_AUTO ? EXPECT_AUTO : EXPECT_REPLY;
		if (conn_transact(&c, &x, -1, &e) < 0)
			FUZZ_CHECK(e.msg[0], "exchange failed without a message");
		FUZZ_CHECK(x.reply.nfds <= VHU_MAX_FDS, "%u reply fds", x.reply.nfds);
		if (x.got_reply)
			fuzz_json(render_msg(&x.reply, x.row ? x.row->name : NULL,
					     x.row ? x.row->reply_kind : PL_OPAQUE, dev));
		/* As cmd_request.c's exchange(): no fd of a reply stays open here. */
		if (x.got_reply)
			wire_close_fds(&x.reply);
		FUZZ_CHECK(x.reply.nfds == 0, "reply fds left open without a reply");
	}
	conn_close(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	unsigned mode = fuzz_u8(&in);
	uint32_t ahead = fuzz_u16(&in) % (VHU_PAYLOAD_MAX + 64);
	enum vhu_device dev = fuzz_device(fuzz_u8(&in));
	uint8_t num = fuzz_u8(&in);
	int before = fuzz_open_fds(), sv[2];
	size_t sent;

	FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair: %s",
		   strerror(errno));
	sent = send_stream(sv[1], &in);
	/* The back-end says no more, but still takes what we send it: it
	 * hangs up its sending side, or it just goes quiet. */
	if (!(mode & MODE_QUIET))
		shutdown(sv[1], SHUT_WR);
	if (mode & MODE_EXCHANGE) {
		exchanges(sv[0], mode, num % 48, dev);
	} else {
		plain_reads(sv[0], mode, ahead, dev, sent);
		close(sv[0]);
	}
	close(sv[1]);
	FUZZ_CHECK(fuzz_open_fds() == before, "%d fds open before, %d after", before, fuzz_open_fds());
	return 0;
}
