/* backend.c - the back-end channel: requests the back-end sends us, as events. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/backend.h"
#include "cmd/cmd.h"
#include "core/codec.h"
#include "core/jb.h"
#include "core/render.h"

#define IOTLB_MISS 1
#define IOTLB_UPDATE 2

int backend_fd(const struct session *s)
{
	return session_kept_fd(s, "backend-channel");
}

void backend_attach(struct session *s)
{
	wire_set_waiter(backend_fd(s), backend_on_readable, s);
}

/* Stop serving the channel, saying why in EV. */
static void drop_channel(struct session *s, struct json_object *ev, const char *why)
{
	jb_add(ev, "channel_closed", json_object_new_boolean(1));
	jb_add(ev, "message", json_object_new_string(why));
	session_keep_fd(s, "backend-channel", -1);
	wire_set_waiter(-1, NULL, NULL);
}

static void emit(struct session *s, struct json_object *ev)
{
	s->backend_events++;
	if (s->emit)
		s->emit(s, ev);
	json_object_put(ev);
}

static void queue_iotlb(struct session *s, struct json_object *ev, uint64_t iova)
{
	char what[120];

	if (s->iotlb_pending < sizeof(s->iotlb_queue) / sizeof(s->iotlb_queue[0]))
		s->iotlb_queue[s->iotlb_pending++] = iova;
	snprintf(what, sizeof(what), "IOTLB update for iova 0x%" PRIx64 " queued (iotlb auto)", iova);
	jb_add(ev, "action", json_object_new_string(what));
}

/* Act on one decoded request per the session's policies. */
static void act(struct session *s, const struct vhu_request *row, const struct vhu_msg *m,
		struct json_object *ev)
{
	struct vhu_pval v;

	if (!row || codec_decode(row->req_kind, m->payload, m->len, &v, NULL) < 0)
		return;
	switch (row->num) {
	case 1:
		if (v.iotlb.type == IOTLB_MISS && s->iotlb_auto)
			queue_iotlb(s, ev, v.iotlb.iova);
		break;
	case 2:
		if (s->config_watch) {
			s->config_pending = true;
			jb_add(ev, "action", json_object_new_string("GET_CONFIG queued (config-watch on)"));
		}
		break;
	}
}

static void answer(struct session *s, const struct vhu_request *row, const struct vhu_msg *m,
		   struct json_object *ev)
{
	bool need = m->flags & VHU_FLAG_NEED_REPLY;
	struct vhu_msg r = { .request = m->request, .flags = VHU_FLAG_VERSION | VHU_FLAG_REPLY, .size = 8, .len = 8 };
	uint64_t val = m->request <= VHU_BACKEND_REQ_MAX ? s->backend_reply[m->request] : 1;
	struct vhu_err e = { 0 };
	size_t sent;

	if (!(row && row->reply == REPLY_ALWAYS) && !(need && conn_reply_ack(&s->conn))) {
		jb_add(ev, "answered", NULL);
		return;
	}
	/* A request we could not decode is refused, whatever the policy. */
	if (row && codec_decode(row->req_kind, m->payload, m->len, &(struct vhu_pval){ 0 }, NULL) < 0)
		val = val ? val : 1;
	memcpy(r.payload, &val, 8);
	/* Within the running command's deadline: a back-end that does not read
	 * its answers holds up nothing past it. */
	if (wire_send(backend_fd(s), &r, wire_bound(s->conn.timeout_ms, s->deadline), &sent, &e) < 0) {
		jb_add(ev, "answer_error", json_object_new_string(e.msg));
		if (e.code == ETIMEDOUT)
			s->backend_stalls++;
		if (sent)	/* half an answer: nothing after it can be framed */
			drop_channel(s, ev, "an answer was cut short: the channel can no longer be trusted");
		return;
	}
	jb_add(ev, "answered", jb_u64(val));
}

void backend_on_readable(void *arg)
{
	struct session *s = arg;
	int fd = backend_fd(s);
	struct vhu_msg *m = calloc(1, sizeof(*m));
	struct json_object *ev = json_object_new_object(), *fds;
	const struct vhu_request *row;
	struct vhu_err e = { 0 };
	int r;

	if (!m || fd < 0) {
		free(m);
		json_object_put(ev);
		return;
	}
	jb_add(ev, "event", json_object_new_string("backend-request"));
	r = wire_recv(fd, m, VHU_PAYLOAD_MAX, wire_bound(s->conn.timeout_ms, s->deadline), &e);
	if (r < 0) {
		/* The channel is gone or broken: stop serving it. */
		jb_add(ev, "event", json_object_new_string("backend-channel-closed"));
		drop_channel(s, ev, e.msg);
		emit(s, ev);
		free(m);
		return;
	}
	row = proto_request(SIDE_BACKEND, m->request);
	jb_add(ev, "request", render_msg(m, row ? row->name : NULL, row ? row->req_kind : PL_OPAQUE, s->dev));
	if (!row)
		jb_add(ev, "warning", json_object_new_string("request number not in the back-end table"));
	if (m->fds_truncated)
		jb_add(ev, "warning", json_object_new_string("more than 32 fds attached: the kernel closed the rest"));
	else if (row && m->nfds > (row->fds == FD_NONE ? 0u : 1u))
		jb_add(ev, "warning", json_object_new_string("more fds than the request takes (all closed)"));
	/* Look at each fd (render_msg did, with fstat), then close it: none is kept. */
	if (json_object_object_get_ex(ev, "request", &fds) && m->nfds)
		jb_add(ev, "fds_closed", json_object_new_int((int)m->nfds));
	wire_close_fds(m);
	act(s, row, m, ev);
	answer(s, row, m, ev);
	emit(s, ev);
	free(m);
}

void backend_poll(struct session *s)
{
	int fd;

	/* No further than the running command's deadline, whatever is waiting. */
	for (unsigned n = 0; n < 64 && (fd = backend_fd(s)) >= 0 && wire_readable(fd) &&
			     (s->deadline < 0 || wire_now_ns() < s->deadline); n++)
		backend_on_readable(s);
}

/* Run one of our commands for an event, and show its result as an event. */
static void run_for_event(struct session *s, const char *line)
{
	struct json_object *ev = json_object_new_object(), *result;

	cmd_run_line(s, line, &result, NULL);
	jb_add(ev, "event", json_object_new_string("answer"));
	jb_add(ev, "result", result);
	emit(s, ev);
}

void backend_flush(struct session *s)
{
	static bool busy;
	char line[200];

	if (busy || !conn_connected(&s->conn))
		return;
	busy = true;
	bool done[MEM_REGIONS_MAX] = { false };

	while (s->iotlb_pending) {
		uint64_t iova = s->iotlb_queue[--s->iotlb_pending];
		const struct mem_region *r = NULL;
		unsigned ri = 0;

		for (unsigned i = 0; i < s->mem.n; i++)
			if (iova >= s->mem.r[i].gpa && iova - s->mem.r[i].gpa < s->mem.r[i].size)
				r = &s->mem.r[ri = i];
		if (r && done[ri])
			continue;	/* one update maps the whole region */
		if (r)
			done[ri] = true;
		if (!r) {
			struct json_object *ev = json_object_new_object();

			jb_add(ev, "event", json_object_new_string("iotlb-miss-unanswered"));
			jb_add(ev, "iova", jb_hex(iova));
			jb_add(ev, "message", json_object_new_string("no memory region holds this IOVA"));
			emit(s, ev);
			continue;
		}
		/* IOVA = guest physical address: map the whole region at once. */
		snprintf(line, sizeof(line), "iotlb-msg update iova=0x%" PRIx64 " size=0x%" PRIx64
			 " uaddr=0x%" PRIx64 " perm=rw", r->gpa, r->size, (uint64_t)(uintptr_t)r->va);
		run_for_event(s, line);
	}
	if (s->config_pending) {
		s->config_pending = false;
		if (s->config_size) {
			snprintf(line, sizeof(line), "get-config size=%u", s->config_size);
			run_for_event(s, line);
		} else {
			run_for_event(s, "get-config");	/* the device's size, or a clear error */
		}
	}
	busy = false;
}
