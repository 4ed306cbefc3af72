/* mevent.c - what the monitor prints about each message: direction, time, the message, the request a reply answers, what is wrong with it. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/jb.h"
#include "core/jw.h"
#include "core/proto.h"
#include "core/render.h"
#include "monitor/mevent.h"

#define PF_REPLY_ACK 3u
#define REQ_SET_PROTOCOL_FEATURES 16u
#define FLAGS_KNOWN (VHU_FLAG_VERSION_MASK | VHU_FLAG_REPLY | VHU_FLAG_NEED_REPLY)

const char *const mon_dir_names[MON_NDIRS] = {
	[MON_TO_BACKEND] = "to_backend",
	[MON_TO_FRONTEND] = "to_frontend",
	[MON_CHAN_TO_FRONTEND] = "backend_channel_to_frontend",
	[MON_CHAN_TO_BACKEND] = "backend_channel_to_backend",
};

void mevent_track_reset(struct mon_track *t, unsigned session)
{
	enum vhu_device dev = t->dev;

	memset(t, 0, sizeof(*t));
	t->dev = dev;
	t->session = session;
}

/* The time of NOW (a wire_now_ns() time), "...T01:02:03.456789Z", into BUF
 * (of 32 bytes). */
static const char *time_text(int64_t now, char buf[32])
{
	/* The date and time of day are worked out once a second: a message
	 * costs a few microseconds, and gmtime and strftime would be a good
	 * part of them. So is the wall clock's distance from the monotonic
	 * one, read again once a second (a clock set meanwhile shows within
	 * one): a message reads one clock, not two. */
	static time_t last = (time_t)-1;
	static char day[24];
	static int64_t off, off_at = INT64_MIN;
	struct timespec ts;
	int64_t wall;
	long us;

	if (off_at == INT64_MIN || now - off_at >= 1000000000LL || now < off_at) {
		clock_gettime(CLOCK_REALTIME, &ts);
		off = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec - wire_now_ns();
		off_at = now;
	}
	wall = now + off;
	ts.tv_sec = (time_t)(wall / 1000000000LL);
	ts.tv_nsec = (long)(wall % 1000000000LL);
	if (ts.tv_sec != last) {
		struct tm tm;

		gmtime_r(&ts.tv_sec, &tm);
		strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
		last = ts.tv_sec;
	}
	memcpy(buf, day, 19);
	buf[19] = '.';
	us = ts.tv_nsec / 1000 % 1000000;
	for (int i = 25; i >= 20; i--, us /= 10)
		buf[i] = (char)('0' + us % 10);
	buf[26] = 'Z';
	buf[27] = '\0';
	return buf;
}

/* What is wrong with a message, gathered while it is looked at, and
 * written last as its "warnings". */
struct warnings {
	char msg[6][256];
	unsigned n;
};

__attribute__((format(printf, 2, 3)))
static void warn(struct warnings *ev, const char *fmt, ...)
{
	va_list ap;

	if (ev->n == sizeof(ev->msg) / sizeof(ev->msg[0]))
		return;	/* a message has at most a handful; the first are kept */
	va_start(ap, fmt);
	vsnprintf(ev->msg[ev->n++], sizeof(ev->msg[0]), fmt, ap);
	va_end(ap);
}

static void check_header(struct warnings *ev, const struct vhu_msg *m)
{
	if ((m->flags & VHU_FLAG_VERSION_MASK) != VHU_FLAG_VERSION)
		warn(ev, "flags 0x%x: version %u, not 1", m->flags, m->flags & VHU_FLAG_VERSION_MASK);
	if (m->flags & ~FLAGS_KNOWN)
		warn(ev, "flags 0x%x: bits 0x%x are not defined", m->flags, m->flags & ~FLAGS_KNOWN);
	if (m->fds_truncated)
		warn(ev, "more than %u fds attached: the kernel closed the rest", VHU_MAX_FDS);
}

/* The fds a request of ROW takes, or -1 for "any" (it cannot be told). */
static int fds_wanted(const struct vhu_request *row, const struct vhu_msg *m)
{
	uint64_t u = 0;
	uint32_t n = 0;

	switch (row->fds) {
	case FD_NONE:
		return 0;
	case FD_ONE:
		return 1;
	case FD_ONE_UNLESS_NOFD:
		if (m->len < 8)
			return -1;
		memcpy(&u, m->payload, 8);
		return u & VHU_VRING_NOFD ? 0 : 1;
	case FD_PER_REGION:
		if (m->len < 4)
			return -1;
		memcpy(&n, m->payload, 4);
		return n <= VHU_MEM_REGIONS_MAX ? (int)n : -1;
	case FD_OPTIONAL:
		return m->nfds <= 1 ? (int)m->nfds : 1;
	}
	return -1;
}

static void check_request(struct warnings *ev, const struct mon_track *t, const struct vhu_request *row,
			  const struct vhu_msg *m, enum vhu_side side)
{
	int want;

	if (m->flags & VHU_FLAG_REPLY)
		return;
	if (!row) {
		warn(ev, "request %u is not in the table of %s requests", m->request,
		     side == SIDE_FRONTEND ? "front-end" : "back-end");
		return;
	}
	if (m->size < row->size_min || m->size > row->size_max)
		warn(ev, "size %u outside %u..%u for %s", m->size, row->size_min, row->size_max, row->name);
	if (m->len != m->size)
		warn(ev, "%u payload bytes for a size of %u", m->len, m->size);
	want = fds_wanted(row, m);
	if (want >= 0 && (unsigned)want != m->nfds)
		warn(ev, "%u fd%s attached, %s takes %d here", m->nfds, m->nfds == 1 ? "" : "s", row->name, want);
	if (row->proto_feature >= 0 && t->proto_set && !(t->acked_proto >> row->proto_feature & 1)) {
		const struct vhu_proto_feature *f = proto_feature_by_bit((unsigned)row->proto_feature);

		warn(ev, "%s needs VHOST_USER_PROTOCOL_F_%s, which SET_PROTOCOL_FEATURES did not acknowledge",
		     row->name, f ? f->name : "?");
	}
}

static bool reply_ack(const struct mon_track *t)
{
	return t->proto_set && (t->acked_proto >> PF_REPLY_ACK & 1);
}

/* Does the request M of ROW wait for a reply? *ack: a REPLY_ACK one. */
static bool wants_reply(const struct mon_track *t, const struct vhu_request *row, const struct vhu_msg *m,
			bool *ack)
{
	*ack = false;
	if (row && row->reply == REPLY_ALWAYS)
		return true;
	/* SET_LOG_BASE: LOG_SHMFD is bit 1 */
	if (row && row->reply == REPLY_IF_LOG_SHMFD && t->proto_set && (t->acked_proto >> 1 & 1))
		return true;
	if ((m->flags & VHU_FLAG_NEED_REPLY) && reply_ack(t)) {
		*ack = true;
		return true;
	}
	return false;
}

static void pending_push(struct mon_pending *p, uint32_t request, uint64_t seq, int64_t ns, bool ack)
{
	if (p->n == MON_PENDING_MAX) {	/* never answered: the oldest goes */
		memmove(&p->p[0], &p->p[1], sizeof(p->p[0]) * (MON_PENDING_MAX - 1));
		p->n--;
	}
	p->p[p->n].request = request;
	p->p[p->n].seq = seq;
	p->p[p->n].ns = ns;
	p->p[p->n].ack = ack;
	p->n++;
}

/* The oldest request numbered REQUEST still waiting, taken off; -1 none. */
static int pending_take(struct mon_pending *p, uint32_t request, uint64_t *seq, int64_t *ns, bool *ack)
{
	for (unsigned i = 0; i < p->n; i++) {
		if (p->p[i].request != request)
			continue;
		*seq = p->p[i].seq;
		*ns = p->p[i].ns;
		*ack = p->p[i].ack;
		memmove(&p->p[i], &p->p[i + 1], sizeof(p->p[0]) * (p->n - i - 1));
		p->n--;
		return 0;
	}
	return -1;
}

static void check_reply(struct warnings *ev, const struct vhu_request *row, const struct vhu_msg *m,
			enum vhu_payload kind, bool paired, bool ack)
{
	uint32_t min, max;
	unsigned fds_max = row && !ack ? row->reply_fds_max : 0;

	if (!paired)
		warn(ev, "a reply to no request waiting for one");
	if (m->flags != (VHU_FLAG_VERSION | VHU_FLAG_REPLY))
		warn(ev, "reply flags 0x%x instead of 0x5 (QEMU rejects this)", m->flags);
	proto_payload_bounds(kind, &min, &max);
	if (m->size < min || m->size > max)
		warn(ev, "reply size %u outside %u..%u for a %s reply", m->size, min, max,
		     ack ? "REPLY_ACK" : proto_payload_name(kind));
	if (m->nfds > fds_max)
		warn(ev, "%u fd%s attached to a reply that takes %u", m->nfds, m->nfds == 1 ? "" : "s", fds_max);
}

/* After a front-end request went by: what it negotiated. */
static void track_request(struct mon_track *t, const struct vhu_msg *m)
{
	if (m->request == REQ_SET_PROTOCOL_FEATURES && !(m->flags & VHU_FLAG_REPLY) && m->len >= 8) {
		memcpy(&t->acked_proto, m->payload, 8);
		t->proto_set = true;
	}
}

void mevent_message_jw(struct mon_track *t, enum mon_dir dir, const struct vhu_msg *m, int64_t now,
		       struct jw *w)
{
	bool chan = dir == MON_CHAN_TO_FRONTEND || dir == MON_CHAN_TO_BACKEND;
	bool from_requester = dir == MON_TO_BACKEND || dir == MON_CHAN_TO_FRONTEND;
	enum vhu_side side = chan ? SIDE_BACKEND : SIDE_FRONTEND;
	struct mon_pending *pend = chan ? &t->chan : &t->main;
	const struct vhu_request *row = proto_request(side, m->request);
	struct warnings ev;	/* 1.5 KB: only its count is set, not the buffers, for every message */
	enum vhu_payload kind;
	uint64_t seq = ++t->seq;
	char tbuf[32];

	ev.n = 0;

	/* Written straight out, as a request's result is (jw.h): a message
	 * costs the monitor a few microseconds, a json-c tree more. */
	jw_obj(w);
	jw_key(w, "event");
	jw_ident(w, "message");
	jw_key(w, "session");
	jw_int(w, t->session);
	jw_key(w, "seq");
	jw_u64(w, seq);
	jw_key(w, "direction");
	jw_ident(w, mon_dir_names[dir]);
	jw_key(w, "time");
	jw_ident(w, time_text(now, tbuf));
	check_header(&ev, m);
	if (m->flags & VHU_FLAG_REPLY) {
		uint64_t rseq = 0;
		int64_t ns = 0;
		bool ack = false;
		bool paired = pending_take(pend, m->request, &rseq, &ns, &ack) == 0;

		if (!paired)
			ack = !row || row->reply_kind == PL_NONE;
		kind = ack ? PL_U64 : row ? row->reply_kind : PL_OPAQUE;
		jw_key(w, "message");
		render_msg_jw(w, m, row ? row->name : NULL, kind, t->dev);
		if (paired) {
			jw_key(w, "reply_to");
			jw_obj(w);
			if (row) {
				jw_key(w, "name");
				jw_ident(w, row->name);
			}
			jw_key(w, "seq");
			jw_u64(w, rseq);
			jw_key(w, "rtt_us");
			jw_us(w, now - ns);
			jw_end_obj(w);
		}
		if (from_requester)
			warn(&ev, "a reply from the side that sends the requests here");
		check_reply(&ev, row, m, kind, paired, ack);
	} else {
		kind = row ? row->req_kind : PL_OPAQUE;
		jw_key(w, "message");
		render_msg_jw(w, m, row ? row->name : NULL, kind, t->dev);
		if (!from_requester) {
			warn(&ev, "a request without the REPLY flag from the side that answers here");
		} else {
			bool ack;

			check_request(&ev, t, row, m, side);
			if (wants_reply(t, row, m, &ack))
				pending_push(pend, m->request, seq, now, ack);
			if (!chan)
				track_request(t, m);
		}
	}
	if (ev.n) {
		jw_key(w, "warnings");
		jw_arr(w);
		for (unsigned i = 0; i < ev.n; i++)
			jw_str(w, ev.msg[i]);
		jw_end_arr(w);
	}
	jw_end_obj(w);
}
