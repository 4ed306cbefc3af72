/* replay.c - vhuctl monitor --replay: a recorded session's front-end side sent again to a back-end, its answers compared with the recorded ones. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/session.h"
#include "core/jb.h"
#include "core/wire.h"
#include "monitor/replay.h"
#include "monitor/toscript.h"

struct replay {
	const struct replay_opts *o;
	struct session s;
	unsigned sent, not_sent, compared, differences;
};

static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	return o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static void add_path(struct json_object *out, const char *path)
{
	json_object_array_add(out, json_object_new_string(path));
}

/* The members of A and B that are not the same, as dotted paths from
 * PATH into OUT: an object member by member, anything else whole. */
static void diff_values(struct json_object *a, struct json_object *b, const char *path, struct json_object *out)
{
	char sub[256];

	if (a && b && json_object_is_type(a, json_type_object) && json_object_is_type(b, json_type_object)) {
		json_object_object_foreach(a, k, va) {
			snprintf(sub, sizeof(sub), "%s.%s", path, k);
			diff_values(va, member(b, k), sub, out);
		}
		json_object_object_foreach(b, k2, vb) {
			(void)vb;
			if (!member(a, k2)) {
				snprintf(sub, sizeof(sub), "%s.%s", path, k2);
				add_path(out, sub);
			}
		}
		return;
	}
	if (!json_object_equal(a, b))
		add_path(out, path);
}

/* The fds of message M by type: their numbers are the process's own. */
static struct json_object *fd_types(struct json_object *m)
{
	struct json_object *fds = member(m, "fds"), *t = json_object_new_array();

	for (size_t i = 0; fds && json_object_is_type(fds, json_type_array) && i < json_object_array_length(fds); i++)
		json_object_array_add(t, json_object_get(member(json_object_array_get_idx(fds, i), "type")));
	return t;
}

/* What differs between the recorded reply R and the new one N: "reply"
 * when only one came; else the header's flags and size, the payload
 * member by member, the fds by type. */
static struct json_object *diff_replies(struct json_object *r, struct json_object *n)
{
	struct json_object *out = json_object_new_array(), *ta, *tb;

	if (!r || !n) {
		add_path(out, "reply");
		return out;
	}
	if (!json_object_equal(member(r, "number"), member(n, "number")))
		add_path(out, "number");
	if (!json_object_equal(member(member(r, "flags"), "value"), member(member(n, "flags"), "value")))
		add_path(out, "flags");
	if (!json_object_equal(member(r, "size"), member(n, "size")))
		add_path(out, "size");
	diff_values(member(r, "payload"), member(n, "payload"), "payload", out);
	ta = fd_types(r);
	tb = fd_types(n);
	if (!json_object_equal(ta, tb))
		add_path(out, "fds");
	json_object_put(ta);
	json_object_put(tb);
	return out;
}

static void drop_event(struct session *s, struct json_object *ev)
{
	(void)s;
	(void)ev;	/* the back-end channel's events: the caller puts them */
}

/* Run the script lines of step ST; the result of its last line (the
 * request) into *res, or of the line that failed before it. */
static int run_lines(struct replay *rp, const struct rec_step *st, struct json_object **res)
{
	const char *p = st->text;
	int r = 0;

	*res = NULL;
	while (*p) {
		size_t len = strcspn(p, "\n");
		char *line = strndup(p, len);
		struct vhu_err e = { 0 };

		p += len + (p[len] == '\n');
		if (!line)
			return -ENOMEM;
		if (line[0] && line[0] != '#') {
			json_object_put(*res);
			*res = NULL;
			r = cmd_run_line(&rp->s, line, res, &e);
			if (!*res) {
				*res = jb_add(json_object_new_object(), "ok", json_object_new_boolean(0));
				jb_add(*res, "error", jb_add(jb_add(json_object_new_object(), "code",
								    json_object_new_string(vhu_errno_name(e.code))),
							     "message", json_object_new_string(e.msg)));
			}
		}
		free(line);
		/* a region that could not be made: the request is not sent */
		if (r < 0 && *p)
			break;
	}
	return r;
}

/* The header of the recorded message M (its payload is the recording's,
 * which a request that was not sent again cannot vouch for). */
static struct json_object *header_of(struct json_object *m)
{
	static const char *const keys[] = { "name", "number", "flags", "size", "fds" };
	struct json_object *h = json_object_new_object();

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (member(m, keys[i]))
			jb_add(h, keys[i], json_object_get(member(m, keys[i])));
	return h;
}

static void difference(struct replay *rp, const struct rec_step *st, struct json_object *res,
		       struct json_object *replayed, struct json_object *differs)
{
	struct json_object *ev = jb_add(json_object_new_object(), "event", json_object_new_string("replay-difference"));
	struct json_object *err = member(res, "error");

	jb_add(ev, "session", json_object_new_int((int)rp->o->session));
	jb_add(ev, "seq", jb_u64(st->seq));
	jb_add(ev, "line", json_object_new_int((int)st->line));
	jb_add(ev, "request", member(res, "request") ? json_object_get(member(res, "request")) : header_of(st->request));
	jb_add(ev, "recorded", json_object_get(st->reply));
	jb_add(ev, "replayed", json_object_get(replayed));
	jb_add(ev, "differs", differs);
	if (!replayed && err)
		jb_add(ev, "error", json_object_get(err));
	rp->o->print(rp->o->ctx, ev);
}

/* Step ST sent again, its answer compared. False when the connection is
 * gone: nothing more can be sent. */
static bool replay_step(struct replay *rp, const struct rec_step *st)
{
	struct json_object *res, *replayed;

	if (!st->converted) {
		rp->not_sent++;
		return true;
	}
	run_lines(rp, st, &res);
	replayed = member(res, "reply");
	if (replayed && json_object_is_type(replayed, json_type_null))
		replayed = NULL;
	rp->sent++;
	if (st->reply || replayed || member(res, "error")) {
		struct json_object *differs;

		if (!st->reply && !replayed) {
			differs = json_object_new_array();	/* refused, or the connection went */
			add_path(differs, "error");
		} else {
			differs = diff_replies(st->reply, replayed);
		}

		if (st->reply || replayed)
			rp->compared++;
		if (json_object_array_length(differs)) {
			rp->differences++;
			difference(rp, st, res, replayed, differs);
		} else {
			json_object_put(differs);
		}
	}
	json_object_put(res);
	return conn_connected(&rp->s.conn);
}

static void summary(struct replay *rp)
{
	struct json_object *ev = jb_add(json_object_new_object(), "event", json_object_new_string("replay-summary"));

	jb_add(ev, "recording", json_object_new_string(rp->o->path));
	jb_add(ev, "session", json_object_new_int((int)rp->o->session));
	jb_add(ev, "socket", json_object_new_string(rp->o->socket));
	jb_add(ev, "sent", json_object_new_int((int)rp->sent));
	jb_add(ev, "not_sent", json_object_new_int((int)rp->not_sent));
	jb_add(ev, "compared", json_object_new_int((int)rp->compared));
	jb_add(ev, "differences", json_object_new_int((int)rp->differences));
	rp->o->print(rp->o->ctx, ev);
}

int replay_run(const struct replay_opts *o, char *err, size_t errlen)
{
	struct replay *rp = calloc(1, sizeof(*rp));
	struct recording rec;
	struct vhu_err e = { 0 };
	size_t i;
	int st;

	if (!rp)
		return snprintf(err, errlen, "out of memory"), -1;
	if (toscript_read(o->path, o->session, &rec, err, errlen) < 0) {
		free(rp);
		return -1;
	}
	rp->o = o;
	session_init(&rp->s);
	rp->s.dev = o->dev;
	rp->s.out = OUT_COMPACT;
	rp->s.emit = drop_event;
	if (conn_connect(&rp->s.conn, o->socket, wire_deadline(rp->s.conn.timeout_ms), &e) < 0) {
		snprintf(err, errlen, "%s", e.msg);
		session_free(&rp->s);
		toscript_free(&rec);
		free(rp);
		return -1;
	}
	for (i = 0; i < rec.n && !wire_cancel; i++)
		if (!replay_step(rp, &rec.step[i]))
			break;
	/* the back-end gone: what was left is not sent */
	for (i = i < rec.n ? i + 1 : i; i < rec.n; i++)
		rp->not_sent++;
	summary(rp);
	st = rp->differences ? REPLAY_DIFFER : 0;
	session_free(&rp->s);
	toscript_free(&rec);
	free(rp);
	return st;
}
