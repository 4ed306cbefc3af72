/* outq.c - the monitor's stdout: what the printer wrote, held until its reader takes it, so that a reader that pauses does not stop the relay, and a signal still ends a monitor whose reader stopped. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/wire.h"
#include "monitor/outq.h"

/* One write that cannot block: a pipe with room (poll said POLLOUT) takes
 * PIPE_BUF bytes whole; a socket, what its buffer has room for. */
static void write_some(struct outq *q)
{
	while (q->off < q->len && !q->gone) {
		struct pollfd p = { .fd = q->fd, .events = POLLOUT };
		size_t n = q->len - q->off;
		ssize_t w;

		if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLOUT)) {
			if (p.revents & (POLLERR | POLLHUP))
				q->gone = true;
			break;
		}
		w = write(q->fd, q->buf + q->off, n > PIPE_BUF ? PIPE_BUF : n);
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (w <= 0) {
			q->gone = true;
			break;
		}
		q->off += (size_t)w;
	}
	if (q->gone) {
		q->dropped += q->len - q->off;
		q->off = q->len;
	}
	if (q->off == q->len)
		q->off = q->len = 0;
}

/* Wait for the reader until it has room, a signal comes, or UNTIL
 * (wire_now_ns time, -1 none) passes. */
static void wait_reader(struct outq *q, int64_t until)
{
	struct pollfd p = { .fd = q->fd, .events = POLLOUT };
	int64_t now = wire_now_ns();
	struct timespec ts = { 0 };

	if (until >= 0) {
		int64_t ns = until > now ? until - now : 0;

		ts = (struct timespec){ .tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000 };
	}
	if (ppoll(&p, 1, until >= 0 ? &ts : NULL, q->waitmask) > 0 && (p.revents & (POLLERR | POLLHUP)))
		q->gone = true;
}

static ssize_t cookie_write(void *cookie, const char *buf, size_t size)
{
	struct outq *q = cookie;

	if (q->gone) {
		q->dropped += size;
		return (ssize_t)size;
	}
	/* Full: the printer waits for the reader (and the relay with it),
	 * but not past a stop signal, which ends the monitor. */
	if (q->len - q->off + size > OUTQ_MAX && !q->gone && !wire_cancel) {
		/* said once a stall, on stderr: stdout is what is stuck */
		fprintf(stderr, "vhuctl monitor: stdout is not read: the relay waits for its reader (%u KiB held)\n",
			OUTQ_MAX >> 10);
		q->stalls++;
	}
	while (q->len - q->off + size > OUTQ_MAX && !q->gone && !wire_cancel) {
		wait_reader(q, -1);
		write_some(q);
	}
	if (q->len + size > q->cap) {
		size_t held = q->len - q->off, cap = q->cap ? q->cap : 65536;
		char *b;

		if (held)
			memmove(q->buf, q->buf + q->off, held);
		q->off = 0;
		q->len = held;
		while (cap < held + size)
			cap *= 2;
		if (cap != q->cap) {
			if (!(b = realloc(q->buf, cap)))
				return -1;
			q->buf = b;
			q->cap = cap;
		}
	}
	memcpy(q->buf + q->len, buf, size);
	q->len += size;
	write_some(q);
	return (ssize_t)size;
}

bool outq_start(struct outq *q, const sigset_t *waitmask)
{
	static const cookie_io_functions_t io = { .write = cookie_write };
	struct stat sb;
	FILE *f;

	memset(q, 0, sizeof(*q));
	q->fd = 1;
	q->waitmask = waitmask;
	if (fstat(q->fd, &sb) < 0 || !(S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode)))
		return false;
	f = fopencookie(q, "w", io);
	if (!f)
		return false;
	setvbuf(f, NULL, _IOFBF, 1 << 16);
	fflush(stdout);
	q->saved = stdout;
	stdout = f;
	return true;
}

void outq_pollfd(const struct outq *q, struct pollfd *p)
{
	*p = (struct pollfd){ .fd = q->len > q->off && !q->gone ? q->fd : -1, .events = POLLOUT };
}

void outq_write(struct outq *q)
{
	write_some(q);
}

uint64_t outq_finish(struct outq *q)
{
	int64_t until = wire_now_ns() + (int64_t)OUTQ_EXIT_MS * 1000000;
	uint64_t left;

	if (!outq_active(q))
		return 0;
	fflush(stdout);
	while (q->len > q->off && !q->gone && wire_now_ns() < until) {
		wait_reader(q, until);
		write_some(q);
	}
	left = q->dropped + (q->len - q->off);
	fclose(stdout);
	stdout = q->saved;
	q->saved = NULL;
	free(q->buf);
	q->buf = NULL;
	q->off = q->len = q->cap = 0;
	return left;
}
