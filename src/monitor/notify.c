/* notify.c - vhuctl monitor --notify: the rings' kick and call eventfds swapped for the monitor's own, each signal forwarded, counted and timed. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/jb.h"
#include "monitor/notify.h"

#define REQ_SET_VRING_KICK 12u
#define REQ_SET_VRING_CALL 13u
#define VRING_NOFD (1ull << 8)

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void notify_init(struct notify *n)
{
	memset(n, 0, sizeof(*n));
	for (unsigned i = 0; i < NOTIFY_RINGS; i++)
		n->r[i].front_kick = n->r[i].back_kick = n->r[i].back_call = n->r[i].front_call = -1;
}

void notify_reset(struct notify *n)
{
	for (unsigned i = 0; i < NOTIFY_RINGS; i++) {
		struct notify_ring *r = &n->r[i];

		close_fd(&r->front_kick);
		close_fd(&r->back_kick);
		close_fd(&r->back_call);
		close_fd(&r->front_call);
	}
	notify_init(n);
}

void notify_take(struct notify *n, struct vhu_msg *m)
{
	struct notify_ring *r;
	uint64_t u;
	int ours, keep;

	if ((m->request != REQ_SET_VRING_KICK && m->request != REQ_SET_VRING_CALL) || (m->flags & VHU_FLAG_REPLY) ||
	    m->len != 8 || m->nfds != 1)
		return;
	memcpy(&u, m->payload, 8);
	if (u & VRING_NOFD || (u & 0xff) >= NOTIFY_RINGS)
		return;
	r = &n->r[u & 0xff];
	/* ours goes to the back-end (the relay closes the copy it sends), a
	 * dup of it stays here */
	ours = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	keep = ours >= 0 ? fcntl(ours, F_DUPFD_CLOEXEC, 0) : -1;
	if (keep < 0) {
		if (ours >= 0)
			close(ours);
		return;	/* passed through as it came: not counted, but working */
	}
	if (m->request == REQ_SET_VRING_KICK) {
		close_fd(&r->front_kick);
		close_fd(&r->back_kick);
		r->front_kick = m->fds[0];
		r->back_kick = keep;
	} else {
		close_fd(&r->front_call);
		close_fd(&r->back_call);
		r->front_call = m->fds[0];
		r->back_call = keep;
	}
	fcntl(m->fds[0], F_SETFL, fcntl(m->fds[0], F_GETFL) | O_NONBLOCK);
	m->fds[0] = ours;
	n->any = true;
}

unsigned notify_pollfds(struct notify *n, struct pollfd *p, unsigned max)
{
	unsigned k = 0;

	n->npolled = 0;
	for (unsigned i = 0; n->any && i < NOTIFY_RINGS && k + 2 <= max; i++) {
		const struct notify_ring *r = &n->r[i];

		if (r->front_kick < 0 && r->back_call < 0)
			continue;
		/* a signal is read only where it can be passed on */
		p[k++] = (struct pollfd){ .fd = r->back_kick >= 0 ? r->front_kick : -1, .events = POLLIN };
		p[k++] = (struct pollfd){ .fd = r->front_call >= 0 ? r->back_call : -1, .events = POLLIN };
		n->polled[n->npolled++] = (uint16_t)i;
	}
	return k;
}

static bool forward(int from, int to)
{
	uint64_t v;

	if (read(from, &v, sizeof(v)) != sizeof(v))
		return false;
	/* the count summed, as the kernel would have if there were no monitor */
	return write(to, &v, sizeof(v)) == sizeof(v);
}

void notify_serve(struct notify *n, const struct pollfd *p, unsigned count)
{
	int64_t now = wire_now_ns();

	for (unsigned k = 0; k + 1 < count && k / 2 < n->npolled; k += 2) {
		struct notify_ring *r = &n->r[n->polled[k / 2]];

		/* a ring whose fds changed since the poll is looked at next time */
		if (p[k].revents && p[k].fd == r->front_kick && r->front_kick >= 0 &&
		    forward(r->front_kick, r->back_kick)) {
			r->kicks++;
			if (!r->kick_ns)
				r->kick_ns = now;
		}
		if (p[k + 1].revents && p[k + 1].fd == r->back_call && r->back_call >= 0 &&
		    forward(r->back_call, r->front_call)) {
			r->calls++;
			if (r->kick_ns) {
				int64_t us = (now - r->kick_ns) / 1000;

				r->lat_us[r->samples++ % NOTIFY_SAMPLES] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
				r->kick_ns = 0;
			}
		}
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

void notify_ring_json(const struct notify *n, unsigned i, struct json_object *o)
{
	const struct notify_ring *r = i < NOTIFY_RINGS ? &n->r[i] : NULL;
	uint32_t s[NOTIFY_SAMPLES];
	unsigned k;

	if (!r || (r->front_kick < 0 && r->front_call < 0))
		return;
	jb_add(o, "kicks", jb_u64(r->kicks));
	jb_add(o, "calls", jb_u64(r->calls));
	k = r->samples < NOTIFY_SAMPLES ? (unsigned)r->samples : NOTIFY_SAMPLES;
	if (k) {
		struct json_object *l = json_object_new_object();

		memcpy(s, r->lat_us, k * sizeof(s[0]));
		qsort(s, k, sizeof(s[0]), cmp_u32);
		jb_add(l, "samples", json_object_new_int((int)k));
		jb_add(l, "median", json_object_new_int64(s[k / 2]));
		jb_add(l, "p99", json_object_new_int64(s[(k * 99) / 100 < k ? (k * 99) / 100 : k - 1]));
		jb_add(l, "max", json_object_new_int64(s[k - 1]));
		jb_add(o, "kick_to_call_us", l);
	}
}
