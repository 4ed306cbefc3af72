/* outq.h - the monitor's stdout: what the printer wrote, held until its reader takes it, so that a reader that pauses does not stop the relay, and a signal still ends a monitor whose reader stopped. */
#ifndef VHUCTL_MONITOR_OUTQ_H
#define VHUCTL_MONITOR_OUTQ_H

#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Output held for a reader that does not take it: past this the printer
 * waits for the reader (the relay with it), so that no event is lost and
 * memory stays bounded. */
#define OUTQ_MAX (1u << 20)
/* How long an ending monitor waits for its reader to take what it holds. */
#define OUTQ_EXIT_MS 10000

struct outq {
	int fd;				/* 1 */
	char *buf;
	size_t off, len, cap;		/* buf[off..len) waits */
	bool gone;			/* the reader went (EPIPE): held output is dropped */
	unsigned stalls;		/* times the printer waited for the reader */
	uint64_t dropped;		/* bytes the reader never got */
	const sigset_t *waitmask;	/* the signals a wait lets in */
	FILE *saved;			/* stdout as it was */
};

/* Put Q between stdout and fd 1 for a pipe, a fifo or a socket (a file
 * or a terminal is written as before: nothing to gain). WAITMASK: as
 * ppoll takes it. false when stdout stays as it was. */
bool outq_start(struct outq *q, const sigset_t *waitmask);
static inline bool outq_active(const struct outq *q)
{
	return q->saved != NULL;
}
/* A poll entry for fd 1 when output waits (else fd -1). */
void outq_pollfd(const struct outq *q, struct pollfd *p);
/* Write what the reader takes now, without waiting. */
void outq_write(struct outq *q);
/* The end: stdout flushed into Q and written out, waiting up to
 * OUTQ_EXIT_MS for the reader; stdout back as it was. The bytes that
 * could not be written (0: all went). */
uint64_t outq_finish(struct outq *q);

#endif
