/* session.c - everything one vhuctl run holds: connection, memory, fds, options. */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/codec.h"
#include "core/jb.h"
#include "cmd/session.h"

void session_init(struct session *s)
{
	memset(s, 0, sizeof(*s));
	conn_init(&s->conn);
	mem_init(&s->mem);
	s->ack = true;
	s->iotlb_auto = true;
	s->deadline = -1;
	s->backend_reply[8] = 1;	/* SHARED_OBJECT_LOOKUP: we have no object to give */
	for (unsigned i = 0; i < SESSION_RINGS; i++)
		s->ring[i] = (struct ring_fds){ -1, -1, -1 };
	for (unsigned i = 0; i < SESSION_KEPT_FDS; i++)
		s->kept[i].fd = -1;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void session_drop_connection_state(struct session *s)
{
	for (unsigned i = 0; i < SESSION_RINGS; i++) {
		if (s->vr[i]) {
			vring_free(s->vr[i], &s->mem);
			free(s->vr[i]);
			s->vr[i] = NULL;
		}
		close_fd(&s->ring[i].kick);
		close_fd(&s->ring[i].call);
		close_fd(&s->ring[i].err);
		s->sent[i] = (struct ring_sent){ .shape = s->sent[i].shape + 1 };
	}
	for (unsigned i = 0; i < SESSION_KEPT_FDS; i++) {
		close_fd(&s->kept[i].fd);
		s->kept[i].name[0] = '\0';
	}
	wire_set_waiter(-1, NULL, NULL);	/* the back-end channel went with them */
	wire_set_waiter_at(1, -1, NULL, NULL);	/* and the gpu socket */
	session_gpu_drop(s);
	s->backend_requests = 0;
	s->iotlb_pending = 0;
	s->config_pending = false;
	s->fs = (struct fs_state){ 0 };	/* a FUSE session lives as long as its connection */
}

void session_gpu_drop(struct session *s)
{
	if (!s->gpu)
		return;
	for (unsigned i = 0; i < GPU_SCANOUTS; i++)
		free(s->gpu->scanout[i].pix);
	free(s->gpu);
	s->gpu = NULL;
}

void session_note_sent(struct session *s, const struct vhu_msg *m)
{
	const struct vhu_request *row = proto_request(SIDE_FRONTEND, m->request);
	struct ring_sent *r;
	struct vhu_pval v;

	if (!row || (row->num != 8 && row->num != 9 && row->num != 10) ||
	    codec_decode(row->req_kind, m->payload, m->len, &v, NULL) < 0)
		return;
	/* Both payloads start with the ring index. */
	if ((row->num == 9 ? v.addr.index : v.state.index) >= SESSION_RINGS)
		return;
	r = &s->sent[row->num == 9 ? v.addr.index : v.state.index];
	switch (row->num) {
	case 8:		/* SET_VRING_NUM */
		if (!r->num_set || r->num != v.state.num)
			r->shape++;
		r->num_set = true;
		r->num = v.state.num;
		break;
	case 9:		/* SET_VRING_ADDR */
		if (!r->addr_set || r->desc != v.addr.desc || r->avail != v.addr.avail ||
		    r->used != v.addr.used)
			r->shape++;
		r->addr_set = true;
		r->addr_flags = v.addr.flags;
		r->desc = v.addr.desc;
		r->avail = v.addr.avail;
		r->used = v.addr.used;
		break;
	case 10:	/* SET_VRING_BASE: the back-end starts over from it */
		r->shape++;
		r->base_set = true;
		r->base = v.state.num;
		break;
	}
}

struct conn_xfer *session_xfer(struct session *s)
{
	if (!s->xfer)
		s->xfer = malloc(sizeof(*s->xfer));
	if (s->xfer)
		conn_xfer_reset(s->xfer);
	return s->xfer;
}

void session_free(struct session *s)
{
	free(s->xfer);
	s->xfer = NULL;
	json_object_put(s->spare_out);
	s->spare_out = NULL;
	json_object_put(s->shared_name);
	s->shared_name = NULL;
	json_object_put(s->shared_true);
	s->shared_true = NULL;
	json_object_put(s->last_result);
	s->last_result = NULL;
	jw_free(&s->last_text);
	s->last_is_text = false;
	jw_free(&s->direct);
	json_object_put(s->direct_rest);
	s->direct_rest = NULL;
	for (unsigned i = 0; i < SESSION_NAMES; i++) {
		json_object_put(s->named[i].o);
		s->named[i].o = NULL;
	}
	session_drop_connection_state(s);
	session_log_setup(s, NULL);
	conn_close(&s->conn);
	conn_unlisten(&s->conn);
	mem_free(&s->mem);
}

void session_keep_fd(struct session *s, const char *name, int fd)
{
	struct kept_fd *free_slot = NULL;

	for (unsigned i = 0; i < SESSION_KEPT_FDS; i++) {
		struct kept_fd *k = &s->kept[i];

		if (k->fd >= 0 && strcmp(k->name, name) == 0) {
			close(k->fd);
			k->fd = fd;
			if (fd < 0)
				k->name[0] = '\0';
			return;
		}
		if (k->fd < 0 && !free_slot)
			free_slot = k;
	}
	if (!free_slot || fd < 0) {	/* fd -1: just forget the name */
		if (fd >= 0)
			close(fd);
		return;
	}
	snprintf(free_slot->name, sizeof(free_slot->name), "%s", name);
	free_slot->fd = fd;
}

int session_kept_fd(const struct session *s, const char *name)
{
	for (unsigned i = 0; i < SESSION_KEPT_FDS; i++)
		if (s->kept[i].fd >= 0 && strcmp(s->kept[i].name, name) == 0)
			return s->kept[i].fd;
	return -1;
}

int session_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

void session_log_setup(struct session *s, const char *line)
{
	char *copy;

	if (!line) {
		while (s->nsetup)
			free(s->setup_log[--s->nsetup]);
		s->setup_dropped = 0;
		return;
	}
	if (session_log_full(s) || !(copy = strdup(line))) {
		s->setup_dropped++;	/* replay refuses: it could not rebuild the state */
		return;
	}
	s->setup_log[s->nsetup++] = copy;
}

/* The first member of O when it is "command", NULL otherwise. */
static struct lh_entry *command_entry(struct json_object *o)
{
	struct lh_entry *e = json_object_get_object(o)->head;

	return e && strcmp(lh_entry_k(e), "command") == 0 ? e : NULL;
}

struct json_object *session_result(struct session *s, const char *name)
{
	struct json_object *o = s->spare_out ? s->spare_out : json_object_new_object();
	struct lh_entry *e;

	s->spare_out = NULL;
	if (!s->shared_name || strcmp(json_object_get_string(s->shared_name), name) != 0) {
		json_object_put(s->shared_name);
		s->shared_name = json_object_new_string(name);
	}
	/* A spare kept its "command" (session_result_done): the same name
	 * needs no new member. */
	if ((e = command_entry(o)) && lh_entry_v(e) == s->shared_name)
		return o;
	return jb_add(o, "command", json_object_get(s->shared_name));
}

struct json_object *session_true(struct session *s)
{
	if (!s->shared_true)
		s->shared_true = json_object_new_boolean(1);
	return json_object_get(s->shared_true);
}

void session_result_done(struct session *s, struct json_object *o)
{
	if (s->spare_out || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return;
	}
	/* Emptied but for a first "command" member, which the next result
	 * of the same command keeps (the commands of a script repeat). */
	{
		struct lh_table *t = json_object_get_object(o);
		struct lh_entry *keep = command_entry(o);

		while (t->tail && t->tail != keep)
			lh_table_delete_entry(t, t->tail);
		json_object_set_serializer(o, NULL, NULL, NULL);	/* json-c's own again */
	}
	s->spare_out = o;
}

static bool is_named(const struct session *s, const struct json_object *o)
{
	for (unsigned i = 0; i < SESSION_NAMES; i++)
		if (s->named[i].o == o)
			return true;
	return false;
}

bool session_keep_result(struct session *s, struct json_object *o, const char *name)
{
	struct json_object *old = s->last_result;
	unsigned free_slot = SESSION_NAMES;
	bool ok = true;

	s->last_result = o;
	s->last_is_text = false;
	if (name) {
		for (unsigned i = 0; i < SESSION_NAMES; i++) {
			if (s->named[i].o && strcmp(s->named[i].name, name) == 0) {
				free_slot = i;
				break;
			}
			if (!s->named[i].o && free_slot == SESSION_NAMES)
				free_slot = i;
		}
		if (free_slot < SESSION_NAMES) {
			struct json_object *was = s->named[free_slot].o;

			snprintf(s->named[free_slot].name, sizeof(s->named[free_slot].name), "%s", name);
			s->named[free_slot].o = json_object_get(o);
			json_object_put(was);	/* the name's own reference, if any */
		} else {
			ok = false;
		}
	}
	if (old && old != o) {
		if (is_named(s, old))
			json_object_put(old);	/* a name keeps it */
		else
			session_result_done(s, old);
	}
	return ok;
}

void session_keep_text(struct session *s, const char *text, size_t len)
{
	struct json_object *old = s->last_result;

	s->last_result = NULL;
	if (old) {
		if (is_named(s, old))
			json_object_put(old);	/* a name keeps it */
		else
			session_result_done(s, old);
	}
	jw_reset(&s->last_text);
	jw_put_(&s->last_text, text, len);
	s->last_is_text = !s->last_text.oom;
}

struct json_object *session_direct_rest(struct session *s)
{
	struct json_object *o = s->direct_rest ? s->direct_rest : json_object_new_object();

	s->direct_rest = NULL;
	return o;
}

void session_direct_done(struct session *s, struct json_object *rest)
{
	if (s->direct_rest) {
		json_object_put(rest);
		return;
	}
	jb_clear(rest);
	s->direct_rest = rest;
}

struct json_object *session_last_result(struct session *s)
{
	if (s->last_is_text) {
		s->last_result = json_tokener_parse(s->last_text.buf);
		s->last_is_text = false;
	}
	return s->last_result;
}

struct json_object *session_named(const struct session *s, const char *name)
{
	for (unsigned i = 0; i < SESSION_NAMES; i++)
		if (s->named[i].o && strcmp(s->named[i].name, name) == 0)
			return s->named[i].o;
	return NULL;
}

bool session_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > SESSION_NAME_MAX || !(isalpha((unsigned char)name[0]) || name[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_' && name[i] != '-')
			return false;
	return true;
}

bool session_log_full(const struct session *s)
{
	return s->nsetup >= sizeof(s->setup_log) / sizeof(s->setup_log[0]);
}
