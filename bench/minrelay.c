/* minrelay.c - the least a vhost-user relay can do: the baseline for bench/monitor.sh. */

/*
 * Usage:
 *   minrelay LISTEN BACKEND   serve the unix socket LISTEN; for each client,
 *                             dial BACKEND and relay both ways until either
 *                             side closes; then serve the next client
 *
 * Relaying: poll both sockets; whatever one has is read with recvmsg (the
 * bytes and the fds that came with them) and written to the other with
 * sendmsg, the fds attached, then closed. Nothing is framed, decoded or
 * printed: that is the floor vhuctl monitor's cost is compared with.
 *
 * Self-contained (libc only) and not part of the build: compile with
 *   cc -std=gnu11 -O2 -o minrelay bench/minrelay.c
 */

#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_FDS 32

static int addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -1;
	strcpy(sa->sun_path, path);
	return 0;
}

/* Move what FROM has to TO, fds and all. 0, or -1 when either is gone. */
static int relay(int from, int to)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	char buf[8192];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	int fds[MAX_FDS];
	unsigned nfds = 0;
	ssize_t n = recvmsg(from, &mh, MSG_CMSG_CLOEXEC);
	size_t off = 0;

	if (n <= 0)
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int) && nfds < MAX_FDS; i++)
			memcpy(&fds[nfds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	}
	while (off < (size_t)n) {
		struct iovec oiov = { .iov_base = buf + off, .iov_len = (size_t)n - off };
		struct msghdr om = { .msg_iov = &oiov, .msg_iovlen = 1 };
		ssize_t w;

		if (nfds && off == 0) {
			struct cmsghdr *c;

			memset(&ctl, 0, sizeof(ctl));
			om.msg_control = ctl.buf;
			om.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
			c = CMSG_FIRSTHDR(&om);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
			memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
		}
		w = sendmsg(to, &om, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			break;
		off += (size_t)w;
	}
	for (unsigned i = 0; i < nfds; i++)
		close(fds[i]);
	return off == (size_t)n ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct sockaddr_un la, ba;
	int ls;

	if (argc != 3 || addr(&la, argv[1]) < 0 || addr(&ba, argv[2]) < 0) {
		fputs("Usage: minrelay LISTEN BACKEND\n", stderr);
		return 2;
	}
	unlink(argv[1]);
	ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&la, sizeof(la)) < 0 || listen(ls, 4) < 0) {
		perror("minrelay: listen");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		int f = accept4(ls, NULL, NULL, SOCK_CLOEXEC), b;

		if (f < 0) {
			if (errno == EINTR)
				continue;
			perror("minrelay: accept");
			return 1;
		}
		b = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (b < 0 || connect(b, (struct sockaddr *)&ba, sizeof(ba)) < 0) {
			perror("minrelay: connect");
			close(f);
			if (b >= 0)
				close(b);
			continue;
		}
		for (;;) {
			struct pollfd p[2] = { { .fd = f, .events = POLLIN }, { .fd = b, .events = POLLIN } };

			if (poll(p, 2, -1) < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			if (p[0].revents && relay(f, b) < 0)
				break;
			if (p[1].revents && relay(b, f) < 0)
				break;
		}
		close(f);
		close(b);
	}
}
