/* relay.c - one direction of the monitor's relay: whole messages read without blocking, queued, sent on with their fds. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "monitor/relay.h"

void relay_init(struct relay_dir *d)
{
	memset(d, 0, sizeof(*d));
	d->from = d->to = -1;
}

static void close_qfds(struct relay_qmsg *q)
{
	for (unsigned i = 0; i < q->nfds; i++)
		close(q->fds[i]);
	q->nfds = 0;
}

void relay_reset(struct relay_dir *d)
{
	for (; d->count; d->count--, d->head = (d->head + 1) % RELAY_QUEUE)
		close_qfds(&d->q[d->head]);
	d->head = 0;
	wire_rx_reset(&d->rx);
}

void relay_push(struct relay_dir *d, struct vhu_msg *m)
{
	struct relay_qmsg *q = &d->q[(d->head + d->count) % RELAY_QUEUE];

	memcpy(q->buf, &m->request, 4);
	memcpy(q->buf + 4, &m->flags, 4);
	memcpy(q->buf + 8, &m->size, 4);
	memcpy(q->buf + VHU_HDR_SIZE, m->payload, m->len);
	q->len = VHU_HDR_SIZE + m->len;
	q->off = 0;
	memcpy(q->fds, m->fds, m->nfds * sizeof(int));
	q->nfds = m->nfds;
	m->nfds = 0;	/* the queue holds them now */
	d->count++;
}

int relay_flush(struct relay_dir *d)
{
	while (d->count) {
		struct relay_qmsg *q = &d->q[d->head];
		bool first = q->off == 0;
		ssize_t n = wire_send_some(d->to, q->buf + q->off, q->len - q->off,
					   first ? q->fds : NULL, first ? q->nfds : 0);

		if (n == -EAGAIN)
			return 0;
		if (n < 0)
			return (int)n;
		/* The fds went with the first byte: the receiver has its own
		 * now, and the monitor keeps none. */
		if (first)
			close_qfds(q);
		q->off += (uint32_t)n;
		if (q->off == q->len) {
			d->head = (d->head + 1) % RELAY_QUEUE;
			d->count--;
		}
	}
	return 0;
}
