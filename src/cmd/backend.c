/* backend.c - the back-end channel as the session serves it: its policies, and the commands they queue. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/backend.h"
#include "cmd/cmd.h"
#include "core/channel.h"
#include "core/jb.h"

#define IOTLB_MISS 1

int backend_fd(const struct session *s)
{
	return session_kept_fd(s, "backend-channel");
}

void backend_attach(struct session *s)
{
	wire_set_waiter(backend_fd(s), backend_on_readable, s);
}

static void emit(struct session *s, struct json_object *ev)
{
	s->backend_events++;
	if (s->emit)
		s->emit(s, ev);
	json_object_put(ev);
}

static void on_event(void *arg, struct json_object *ev)
{
	emit(arg, ev);
}

static void queue_iotlb(struct session *s, struct json_object *ev, uint64_t iova)
{
	char what[120];

	if (s->iotlb_pending < sizeof(s->iotlb_queue) / sizeof(s->iotlb_queue[0]))
		s->iotlb_queue[s->iotlb_pending++] = iova;
	snprintf(what, sizeof(what), "IOTLB update for iova 0x%" PRIx64 " queued (iotlb auto)", iova);
	jb_add(ev, "action", json_object_new_string(what));
}

/* The session's policies: what to answer ('backend-reply'), and what to do
 * once no request is in flight (iotlb auto, config-watch). */
static uint64_t policy(void *arg, const struct vhu_request *row, const struct vhu_msg *m,
		       const struct vhu_pval *v, struct json_object *ev)
{
	struct session *s = arg;

	if (row && v && row->num == 1 && v->iotlb.type == IOTLB_MISS && s->iotlb_auto)
		queue_iotlb(s, ev, v->iotlb.iova);
	if (row && v && row->num == 2 && s->config_watch) {
		s->config_pending = true;
		jb_add(ev, "action", json_object_new_string("GET_CONFIG queued (config-watch on)"));
	}
	return m->request <= VHU_BACKEND_REQ_MAX ? s->backend_reply[m->request] : 1;
}

static const struct channel_ops ops = { .policy = policy, .event = on_event };

void backend_on_readable(void *arg)
{
	struct session *s = arg;
	struct channel ch = {
		.fd = backend_fd(s), .dev = s->dev, .reply_ack = conn_reply_ack(&s->conn),
		/* Within the running command's deadline. */
		.deadline = wire_bound(s->conn.timeout_ms, s->deadline), .ops = &ops, .arg = s,
	};
	int r;

	if (ch.fd < 0)
		return;
	r = channel_serve(&ch);
	if (r == 0)
		s->backend_requests++;
	if (r < 0) {
		/* Broken or gone: stop serving it (the event said why). */
		session_keep_fd(s, "backend-channel", -1);
		wire_set_waiter(-1, NULL, NULL);
	}
	s->backend_stalls += ch.stalls;
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
			jb_add(ev, "reason", json_object_new_string("no memory region holds this IOVA"));
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
