/* channel.c - the back-end channel (SET_BACKEND_REQ_FD): each request the back-end sends, read, decoded, answered. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/channel.h"
#include "core/jb.h"
#include "core/render.h"

/* Answer M with VAL. 0 when sent (or nothing to send), -errno otherwise;
 * -EPIPE when half of it went, which leaves the channel unframed. */
static int answer(struct channel *ch, const struct vhu_request *row, const struct vhu_msg *m,
		  bool decoded, uint64_t val, struct json_object *ev)
{
	bool need = m->flags & VHU_FLAG_NEED_REPLY;
	struct vhu_msg r = { .request = m->request, .flags = VHU_FLAG_VERSION | VHU_FLAG_REPLY, .size = 8, .len = 8 };
	struct vhu_err e = { 0 };
	size_t sent;

	if (!(row && row->reply == REPLY_ALWAYS) && !(need && ch->reply_ack)) {
		jb_add(ev, "answered", NULL);
		return 0;
	}
	/* A request we could not decode is refused, whatever the policy. */
	if (row && !decoded)
		val = val ? val : 1;
	memcpy(r.payload, &val, 8);
	/* Within the deadline: a back-end that does not read its answers holds
	 * up nothing past it. */
	if (wire_send(ch->fd, &r, ch->deadline, &sent, &e) < 0) {
		jb_add(ev, "answer_error", json_object_new_string(e.msg));
		if (e.code == ETIMEDOUT)
			ch->stalls++;
		if (sent) {	/* half an answer: nothing after it can be framed */
			jb_add(ev, "reason", json_object_new_string("an answer was cut short: the channel can no longer be trusted"));
			return -EPIPE;
		}
		return 0;
	}
	jb_add(ev, "answered", jb_u64(val));
	return 0;
}

int channel_serve(struct channel *ch)
{
	struct vhu_msg *m = calloc(1, sizeof(*m));
	struct json_object *ev = json_object_new_object();
	const struct vhu_request *row;
	struct vhu_err e = { 0 };
	struct vhu_pval v;
	bool decoded;
	uint64_t val;
	int r;

	if (!m) {
		json_object_put(ev);
		return -ENOMEM;
	}
	jb_add(ev, "event", json_object_new_string("backend-request"));
	r = wire_recv(ch->fd, m, VHU_PAYLOAD_MAX, ch->deadline, &e);
	if (r < 0) {
		/* The channel is gone or broken. */
		jb_add(ev, "event", json_object_new_string("backend-channel-closed"));
		jb_add(ev, "channel_closed", json_object_new_boolean(1));
		jb_add(ev, "reason", json_object_new_string(e.msg));
		ch->ops->event(ch->arg, ev);
		free(m);
		return r;
	}
	row = proto_request(SIDE_BACKEND, m->request);
	jb_add(ev, "request", render_msg(m, row ? row->name : NULL, row ? row->req_kind : PL_OPAQUE, ch->dev));
	if (!row)
		jb_warn(ev, "request number not in the back-end table");
	if (m->fds_truncated)
		jb_warn(ev, "more than 32 fds attached: the kernel closed the rest");
	else if (row && m->nfds > (row->fds == FD_NONE ? 0u : 1u))
		jb_warn(ev, "more fds than the request takes (all closed)");
	/* Looked at (render_msg did, with fstat), then closed: none is kept. */
	if (m->nfds)
		jb_add(ev, "fds_closed", json_object_new_int((int)m->nfds));
	wire_close_fds(m);
	decoded = row && codec_decode(row->req_kind, m->payload, m->len, &v, NULL) == 0;
	val = ch->ops->policy(ch->arg, row, m, decoded ? &v : NULL, ev);
	r = answer(ch, row, m, decoded, val, ev);
	if (r < 0)
		jb_add(ev, "channel_closed", json_object_new_boolean(1));
	ch->ops->event(ch->arg, ev);
	free(m);
	return r;
}
