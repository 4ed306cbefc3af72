/* test-wire.c - receiving messages with read-ahead: every byte and fd goes
 * to the message it belongs to, whatever the back-end packs together. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../tap.h"
#include "core/wire.h"

static int sv[2];

static void pair(void)
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("socketpair");
		exit(1);
	}
}

static void unpair(void)
{
	close(sv[0]);
	close(sv[1]);
}

/* Send LEN bytes from the peer's side in one sendmsg, with NFDS (<= 4)
 * fresh eventfds attached; returns what sendmsg returned. */
static ssize_t send_with_fds(const void *buf, size_t len, unsigned nfds, int flags)
{
	union {
		char b[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fds[4];
	ssize_t n;

	if (nfds) {
		struct cmsghdr *c;

		for (unsigned i = 0; i < nfds; i++)
			fds[i] = eventfd(0, EFD_CLOEXEC);
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	n = sendmsg(sv[1], &mh, flags);
	for (unsigned i = 0; i < nfds; i++)
		close(fds[i]);
	return n;
}

/* Put HDR+PAYLOAD on the peer's side in one send, with NFDS eventfds. */
static void put(uint32_t req, uint32_t flags, uint32_t size, const void *payload, uint32_t len,
		unsigned nfds)
{
	uint8_t buf[64];

	memcpy(buf, &req, 4);
	memcpy(buf + 4, &flags, 4);
	memcpy(buf + 8, &size, 4);
	if (len)
		memcpy(buf + 12, payload, len);
	if (send_with_fds(buf, 12 + len, nfds, 0) != (ssize_t)(12 + len)) {
		perror("sendmsg");
		exit(1);
	}
}

static int open_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

static uint32_t seed = 12345;

static uint32_t rnd(void)
{
	seed = seed * 1103515245u + 12345u;
	return seed >> 8;
}

/* Random streams of messages (sizes mostly small, sometimes absurd), cut
 * into random sends, some with fds: every receive ends in a message or an
 * error, within bounds, and no fd survives. */
static void fuzz(void)
{
	unsigned msgs = 0, errors = 0, bad = 0;

	for (int round = 0; round < 300; round++) {
		static struct wire_rx rx;
		static struct vhu_msg m;
		struct vhu_err e = { 0 };
		uint8_t stream[2048];
		size_t len = 0, off = 0;

		pair();
		while (len + 12 + 64 < sizeof(stream)) {
			uint32_t req = rnd() % 50, flags = rnd() % 16;
			uint32_t size = rnd() % 8 == 0 ? rnd() : rnd() % 48;

			memcpy(stream + len, &req, 4);
			memcpy(stream + len + 4, &flags, 4);
			memcpy(stream + len + 8, &size, 4);
			len += 12;
			for (uint32_t i = 0; i < size % 64; i++)
				stream[len++] = (uint8_t)rnd();
		}
		while (off < len) {
			size_t chunk = 1 + rnd() % 40;
			unsigned nfds = rnd() % 6 == 0 ? 1 + rnd() % 3 : 0;

			if (chunk > len - off)
				chunk = len - off;
			if (send_with_fds(stream + off, chunk, nfds, MSG_DONTWAIT) != (ssize_t)chunk)
				break;	/* socket buffer full: enough for this round */
			off += chunk;
		}
		close(sv[1]);
		for (;;) {
			int r = wire_recv_rx(sv[0], &rx, &m, VHU_PAYLOAD_MAX, rnd() % 24,
					     wire_deadline(200), false, &e);

			if (r < 0) {
				errors++;
				bad += m.nfds != 0 || rx.len != 0 || rx.nfds != 0;
				break;
			}
			msgs++;
			bad += m.len != m.size || m.size > VHU_PAYLOAD_MAX || m.nfds > VHU_MAX_FDS;
			wire_close_fds(&m);
		}
		wire_rx_reset(&rx);
		close(sv[0]);
	}
	tap_ok(msgs > 1000 && errors == 300 && bad == 0,
	       "300 random streams: %u messages, every stream ended in an error, %u inconsistent", msgs, bad);
}

static int served;
static void serve_one(void *arg)
{
	char b[64];

	served++;
	if (read(*(int *)arg, b, sizeof(b)) < 0)
		(void)0;
}

/* Deadlines: a bound within a caller's, a deadline that has passed looks
 * once and serves nothing more, a send bounded like a receive. */
static void deadlines(void)
{
	static struct vhu_msg m;
	struct vhu_err e = { 0 };
	int64_t now = wire_now_ns(), b, t0;
	int chan[2], r;

	b = wire_bound(1000, -1);
	tap_ok(b >= now + 1000000000ll && b < now + 2000000000ll, "wire_bound: no limit, the timeout");
	tap_ok(wire_bound(1000, now + 5) == now + 5, "wire_bound: a sooner limit wins");
	b = wire_bound(1000, now + 10000000000ll);
	tap_ok(b < now + 2000000000ll, "wire_bound: a later limit does not extend the timeout");
	tap_ok(wire_bound(-1, now + 7) == now + 7 && wire_bound(-1, -1) == -1, "wire_bound: no timeout");

	pair();
	put(1, 5, 0, NULL, 0, 0);
	tap_is_int(wire_wait(sv[0], now - 1), 0, "a passed deadline still sees what is there");
	r = wire_recv(sv[0], &m, VHU_PAYLOAD_MAX, now - 1, &e);
	tap_ok(r == 0 && m.request == 1, "and a passed deadline still takes a whole message");
	t0 = wire_now_ns();
	tap_is_int(wire_wait(sv[0], now - 1), -ETIMEDOUT, "nothing there: -ETIMEDOUT at once");
	tap_ok(wire_now_ns() - t0 < 500000000ll, "without waiting");

	/* The waiter (the back-end channel) is not served past the deadline. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, chan) < 0)
		exit(1);
	if (write(chan[1], "x", 1) != 1)
		exit(1);
	wire_set_waiter(chan[0], serve_one, &chan[0]);
	served = 0;
	r = wire_wait(sv[0], now - 1);
	tap_ok(r == -ETIMEDOUT && served == 0, "a passed deadline serves no waiter");
	r = wire_wait(sv[0], wire_deadline(1000));
	tap_ok(r == 1 && served == 1, "before it, the waiter is served");
	wire_set_waiter(-1, NULL, NULL);
	close(chan[0]);
	close(chan[1]);

	/* A peer that reads nothing: the send ends at the deadline. */
	{
		static struct vhu_msg big = { .request = 99, .flags = 1, .size = VHU_PAYLOAD_MAX,
					      .len = VHU_PAYLOAD_MAX };
		size_t sent = 0;
		int sb = 4096;

		setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sb, sizeof(sb));
		do
			r = wire_send(sv[0], &big, wire_deadline(100), &sent, &e);
		while (r == 0);
		tap_is_int(r, -ETIMEDOUT, "a send nobody reads: -ETIMEDOUT");
		tap_ok(strstr(e.msg, "back-end stopped reading") != NULL, "says so: %s", e.msg);
		tap_ok(sent < VHU_HDR_SIZE + VHU_PAYLOAD_MAX, "and says how much went (%zu bytes)", sent);
	}
	unpair();
}

int main(void)
{
	static struct wire_rx rx;
	static struct vhu_msg m;
	struct vhu_err e = { 0 };
	uint64_t v = 0x140000000ull, w;
	int before = open_fds(), r;

	/* A whole reply in one read, nothing left over. */
	pair();
	put(1, 5, 8, &v, 8, 0);
	r = wire_recv_rx(sv[0], &rx, &m, VHU_PAYLOAD_MAX, 8, wire_deadline(1000), false, &e);
	tap_is_int(r, 0, "reply read with read-ahead");
	memcpy(&w, m.payload, 8);
	tap_ok(m.request == 1 && m.flags == 5 && m.size == 8 && m.len == 8 && w == v,
	       "header and payload as sent");
	tap_is_int(m.consumed, 20, "20 bytes consumed");
	tap_is_int(rx.len, 0, "nothing read past the reply");

	/* A reply shorter than the read-ahead, with the next message behind
	 * it: the extra bytes are kept for the next receive, fds with them. */
	put(1, 5, 0, NULL, 0, 0);
	put(7, 1, 8, &v, 8, 2);
	r = wire_recv_rx(sv[0], &rx, &m, VHU_PAYLOAD_MAX, 8, wire_deadline(1000), false, &e);
	tap_ok(r == 0 && m.request == 1 && m.size == 0 && m.len == 0, "short reply taken alone");
	tap_is_int(m.nfds, 0, "the next message's fds are not the short reply's");
	tap_is_int(rx.len, 8, "8 bytes of the next message kept");
	r = wire_recv_rx(sv[0], &rx, &m, VHU_PAYLOAD_MAX, 0, wire_deadline(1000), false, &e);
	memcpy(&w, m.payload, 8);
	tap_ok(r == 0 && m.request == 7 && m.size == 8 && m.len == 8 && w == v,
	       "next message completed from the kept bytes and the socket");
	tap_is_int(m.nfds, 2, "its two fds come with it");
	wire_close_fds(&m);
	tap_is_int(rx.len, 0, "buffer empty again");

	/* fds that came with the reply itself stay with it. */
	put(31, 5, 0, NULL, 0, 1);
	put(1, 5, 8, &v, 8, 0);
	r = wire_recv_rx(sv[0], &rx, &m, VHU_PAYLOAD_MAX, 24, wire_deadline(1000), false, &e);
	tap_ok(r == 0 && m.request == 31 && m.nfds == 1, "fd of a short reply stays with it");
	wire_close_fds(&m);
	r = wire_recv_rx(sv[0], &rx, &m, VHU_PAYLOAD_MAX, 8, wire_deadline(1000), false, &e);
	tap_ok(r == 0 && m.request == 1 && m.nfds == 0 && m.len == 8, "the message after it has none");

	/* A short reply whose header came in two sends, an fd with each, the
	 * next message in the second: the read for the rest of the header must
	 * not carry the first fd past the reply. */
	{
		static const uint8_t two[24] = { 31, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0,
						 1, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0 };

		if (send_with_fds(two, 4, 1, 0) != 4 || send_with_fds(two + 4, 20, 1, 0) != 20)
			return 1;
	}
	r = wire_recv_rx(sv[0], &rx, &m, VHU_PAYLOAD_MAX, 8, wire_deadline(1000), false, &e);
	tap_ok(r == 0 && m.request == 31 && m.size == 0, "short reply with its header in two sends");
	tap_is_int(m.nfds, 2, "it keeps the fds of both sends");
	wire_close_fds(&m);
	r = wire_recv_rx(sv[0], &rx, &m, VHU_PAYLOAD_MAX, 8, wire_deadline(1000), false, &e);
	tap_ok(r == 0 && m.request == 1 && m.nfds == 0, "the message behind it has none");

	/* Several small messages read ahead in one go come out one by one. */
	put(3, 5, 0, NULL, 0, 0);
	put(4, 5, 0, NULL, 0, 0);
	put(5, 5, 0, NULL, 0, 0);
	r = wire_recv_rx(sv[0], &rx, &m, VHU_PAYLOAD_MAX, 24, wire_deadline(1000), false, &e);
	tap_ok(r == 0 && m.request == 3, "first of three");
	tap_is_int(rx.len, 24, "two more kept");
	r = wire_recv_rx(sv[0], &rx, &m, VHU_PAYLOAD_MAX, 24, wire_deadline(1000), false, &e);
	tap_ok(r == 0 && m.request == 4, "second of three, from the buffer");
	r = wire_recv_rx(sv[0], &rx, &m, VHU_PAYLOAD_MAX, 24, wire_deadline(1000), false, &e);
	tap_ok(r == 0 && m.request == 5 && rx.len == 0, "third of three, buffer empty");

	/* An oversize header: an error, and the buffer is emptied. */
	put(1, 5, 1u << 20, NULL, 0, 1);
	r = wire_recv_rx(sv[0], &rx, &m, VHU_PAYLOAD_MAX, 8, wire_deadline(1000), false, &e);
	tap_is_int(r, -EMSGSIZE, "oversize size field refused");
	tap_ok(strstr(e.msg, "size 1048576 exceeds the maximum 4096") != NULL, "error says so: %s", e.msg);
	tap_ok(rx.len == 0 && rx.nfds == 0, "buffer emptied, its fd closed");

	/* Nothing comes: a timeout, nothing consumed. */
	r = wire_recv_rx(sv[0], &rx, &m, VHU_PAYLOAD_MAX, 8, wire_deadline(50), false, &e);
	tap_is_int(r, -ETIMEDOUT, "no reply: timeout");
	tap_is_int(m.consumed, 0, "nothing consumed");

	/* The peer goes away mid-payload, after the kept bytes. */
	put(1, 5, 0, NULL, 0, 0);
	if (write(sv[1], "\x01\x00\x00\x00\x05\x00\x00\x00\x08\x00\x00\x00\xaa\xbb", 14) != 14)
		return 1;
	r = wire_recv_rx(sv[0], &rx, &m, VHU_PAYLOAD_MAX, 8, wire_deadline(1000), false, &e);
	tap_ok(r == 0 && rx.len == 8, "short reply, 8 bytes of the next kept");
	close(sv[1]);
	r = wire_recv_rx(sv[0], &rx, &m, VHU_PAYLOAD_MAX, 8, wire_deadline(1000), false, &e);
	tap_is_int(r, -ECONNRESET, "peer closed mid-payload");
	tap_ok(strstr(e.msg, "after 2 of 8 payload bytes") != NULL, "counts the kept bytes: %s", e.msg);
	close(sv[0]);

	/* wire_recv never reads ahead. */
	pair();
	put(1, 5, 0, NULL, 0, 0);
	put(2, 5, 0, NULL, 0, 0);
	r = wire_recv(sv[0], &m, VHU_PAYLOAD_MAX, wire_deadline(1000), &e);
	tap_ok(r == 0 && m.request == 1, "wire_recv: first message");
	r = wire_recv(sv[0], &m, VHU_PAYLOAD_MAX, wire_deadline(1000), &e);
	tap_ok(r == 0 && m.request == 2, "wire_recv: second message, nothing lost");
	unpair();

	fuzz();
	deadlines();
	tap_is_int(open_fds(), before, "no fd leaked");
	return tap_done();
}
