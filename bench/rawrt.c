/* rawrt.c - raw vhost-user request/reply round trip, the baseline for bench/run.sh. */

/*
 * Usage:
 *   rawrt socketpair N      fork a minimal back-end on one end of an
 *                           AF_UNIX/SOCK_STREAM socketpair and time N
 *                           GET_FEATURES round trips against it
 *   rawrt connect SOCKET N  time N GET_FEATURES round trips against the
 *                           back-end listening on the unix socket SOCKET
 *
 * One round trip: write the 12-byte header {u32 request=1, u32 flags=0x1,
 * u32 size=0}, then read the 20-byte reply {1, 0x5, 8, u64} fully and check
 * its header.  That is the least any front-end has to do per request, so it
 * is the floor vhuctl's per-request cost is compared with.
 *
 * Output, one line on stdout, key=value separated by spaces:
 *   mode=socketpair n=20000 total_us=101234.5 us_per_req=5.06
 *
 * Exit: 0 success, 1 a system call failed or a reply was malformed, 2 usage.
 * Self-contained (libc only) and not part of the build: compile with
 *   cc -std=gnu11 -O2 -o rawrt bench/rawrt.c
 * Pin it to one CPU when measuring (taskset -c 0): both ends of the round
 * trip then run on the same CPU and no cross-CPU wake-up is timed.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HDR_SIZE	12
#define REPLY_SIZE	(HDR_SIZE + 8)
#define MAX_PAYLOAD	4096
#define REQ_GET_FEATURES	1u
#define FLAG_VERSION	0x1u
#define FLAG_REPLY	0x4u
#define FEATURES	UINT64_C(0x140000000)

/* Read exactly len bytes; 1 on success, 0 on EOF before the first byte,
 * -1 on error or EOF in the middle. */
static int read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n > 0) {
			got += (size_t)n;
		} else if (n == 0) {
			if (got == 0)
				return 0;
			errno = EPROTO;
			return -1;
		} else if (errno != EINTR) {
			return -1;
		}
	}
	return 1;
}

static int write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(fd, (const char *)buf + done, len - done,
				 MSG_NOSIGNAL);

		if (n >= 0)
			done += (size_t)n;
		else if (errno != EINTR)
			return -1;
	}
	return 0;
}

/* The back-end half of socketpair mode: answer every header with the
 * GET_FEATURES reply until the peer closes; *served counts the replies. */
static int serve(int fd, unsigned long *served)
{
	unsigned char payload[MAX_PAYLOAD];
	uint32_t hdr[3];
	unsigned char reply[REPLY_SIZE];
	uint64_t features = FEATURES;

	for (;;) {
		int r = read_full(fd, hdr, sizeof(hdr));

		if (r == 0)
			return 0;
		if (r < 0)
			return 1;
		if (hdr[2] > MAX_PAYLOAD)
			return 1;
		if (hdr[2] > 0 && read_full(fd, payload, hdr[2]) != 1)
			return 1;

		uint32_t rhdr[3] = { hdr[0], FLAG_VERSION | FLAG_REPLY, 8 };

		memcpy(reply, rhdr, sizeof(rhdr));
		memcpy(reply + HDR_SIZE, &features, sizeof(features));
		if (write_full(fd, reply, sizeof(reply)) < 0)
			return 1;
		(*served)++;
	}
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* The front-end loop both modes time.  Returns the elapsed µs, or < 0. */
static double client(int fd, unsigned long n)
{
	const uint32_t req[3] = { REQ_GET_FEATURES, FLAG_VERSION, 0 };
	unsigned char reply[REPLY_SIZE];
	double t0 = now_us();

	for (unsigned long i = 0; i < n; i++) {
		uint32_t rhdr[3];

		if (write_full(fd, req, sizeof(req)) < 0) {
			perror("rawrt: write");
			return -1;
		}
		if (read_full(fd, reply, sizeof(reply)) != 1) {
			fprintf(stderr, "rawrt: reply %lu: %s\n", i + 1,
				errno ? strerror(errno) : "connection closed");
			return -1;
		}
		memcpy(rhdr, reply, sizeof(rhdr));
		if (rhdr[0] != REQ_GET_FEATURES ||
		    rhdr[1] != (FLAG_VERSION | FLAG_REPLY) || rhdr[2] != 8) {
			fprintf(stderr, "rawrt: reply %lu: unexpected header "
				"request=%" PRIu32 " flags=0x%" PRIx32
				" size=%" PRIu32 "\n", i + 1,
				rhdr[0], rhdr[1], rhdr[2]);
			return -1;
		}
	}
	return now_us() - t0;
}

static void report(const char *mode, unsigned long n, double total)
{
	printf("mode=%s n=%lu total_us=%.1f us_per_req=%.2f\n",
	       mode, n, total, n ? total / (double)n : 0.0);
}

static int parse_count(const char *s, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return (errno || end == s || *end || s[0] == '-' || *out == 0) ? -1 : 0;
}

static int run_socketpair(unsigned long n)
{
	int sv[2], status;
	pid_t pid;
	double total;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("rawrt: socketpair");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("rawrt: fork");
		return 1;
	}
	if (pid == 0) {
		unsigned long served = 0;

		close(sv[0]);
		_exit(serve(sv[1], &served));
	}
	close(sv[1]);
	total = client(sv[0], n);
	close(sv[0]);
	if (waitpid(pid, &status, 0) < 0) {
		perror("rawrt: waitpid");
		return 1;
	}
	if (total < 0)
		return 1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "rawrt: back-end child failed\n");
		return 1;
	}
	report("socketpair", n, total);
	return 0;
}

static int run_connect(const char *path, unsigned long n)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	double total;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "rawrt: socket path too long: %s\n", path);
		return 2;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("rawrt: socket");
		return 1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "rawrt: connect %s: %s\n", path, strerror(errno));
		close(fd);
		return 1;
	}
	total = client(fd, n);
	close(fd);
	if (total < 0)
		return 1;
	report("connect", n, total);
	return 0;
}

/* serve mode: the minimal back-end, on a unix socket, one client at a time,
 * until killed; prints "served N" when a client goes. */
static int run_serve(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int ls, fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "rawrt: socket path too long\n");
		return 2;
	}
	strcpy(sa.sun_path, path);
	unlink(path);
	ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 4) < 0) {
		perror("rawrt: serve");
		return 1;
	}
	for (;;) {
		fd = accept(ls, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			perror("rawrt: accept");
			return 1;
		}
		{
			unsigned long served = 0;

			serve(fd, &served);
			close(fd);
			/* for the harness: proof of how many requests came */
			printf("served %lu\n", served);
			fflush(stdout);
		}
	}
}

static void usage(FILE *f)
{
	fputs("Usage: rawrt socketpair N\n"
	      "       rawrt connect SOCKET N\n"
	      "       rawrt serve SOCKET\n", f);
}

int main(int argc, char **argv)
{
	unsigned long n;

	if (argc == 3 && strcmp(argv[1], "socketpair") == 0) {
		if (parse_count(argv[2], &n) < 0)
			goto bad_n;
		return run_socketpair(n);
	}
	if (argc == 4 && strcmp(argv[1], "connect") == 0) {
		if (parse_count(argv[3], &n) < 0)
			goto bad_n;
		return run_connect(argv[2], n);
	}
	if (argc == 3 && strcmp(argv[1], "serve") == 0)
		return run_serve(argv[2]);
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
			  strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
bad_n:
	fprintf(stderr, "rawrt: N must be a positive integer\n");
	return 2;
}
