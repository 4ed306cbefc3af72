/* ck.c - what a case runs with: its own session and connection, its steps as evidence, its verdict. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check/case.h"
#include "cmd/cmd.h"
#include "core/jb.h"
#include "core/jw.h"

#define F_PROTOCOL_FEATURES 30
#define F_VERSION_1 32
#define BLK_F_FLUSH 9

/* One JSON line to the runner: {"KEY": O}. Not O itself: the runner tells
 * a step from the verdict by the key. */
static void emit_line(struct ck *k, const char *key, struct json_object *o)
{
	struct jw w;
	size_t off = 0;

	jw_init(&w);
	jw_obj(&w);
	jw_keyn(&w, key, strlen(key));
	jw_value(&w, o);
	jw_end_obj(&w);
	jw_putc_(&w, '\n');
	while (!w.oom && off < w.len) {
		ssize_t n = write(k->out_fd, w.buf + off, w.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;	/* the runner is gone: nobody wants the rest */
		off += (size_t)n;
	}
	jw_free(&w);
}

/* Run LINE in the case's session: its result, never NULL. */
static struct json_object *run_line(struct ck *k, const char *line, int *r)
{
	struct json_object *o = NULL;
	struct vhu_err e = { 0 };

	*r = line ? cmd_run_line(&k->s, line, &o, &e) : vhu_errf(&e, ENOMEM, "out of memory");
	if (!o) {	/* not a command: a bug in a case, shown as such */
		struct json_object *err = json_object_new_object();

		o = json_object_new_object();
		jb_add(o, "command", json_object_new_string(line ? line : "?"));
		jb_add(o, "ok", json_object_new_boolean(0));
		jb_add(err, "code", json_object_new_string(vhu_errno_name(e.code ? e.code : EINVAL)));
		jb_add(err, "message", json_object_new_string(e.msg));
		jb_add(o, "error", err);
	}
	return o;
}

/* O is evidence: to the runner now, and kept until the case ends (for
 * the pointers handed out). */
static struct json_object *evidence(struct ck *k, struct json_object *o)
{
	emit_line(k, "step", o);
	json_object_array_add(k->keep, o);
	return o;
}

int ck_cmd(struct ck *k, struct json_object **res, const char *fmt, ...)
{
	struct json_object *o;
	char *line;
	va_list ap;
	int r;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		line = NULL;
	va_end(ap);
	o = evidence(k, run_line(k, line, &r));
	if (res)
		*res = o;
	free(line);
	return r;
}

static int verdict(struct ck *k, enum ck_verdict v, const char *expected, const char *fmt, va_list ap)
{
	if (k->decided)
		return 0;
	k->decided = true;
	k->v = v;
	vsnprintf(k->reason, sizeof(k->reason), fmt, ap);
	snprintf(k->expected, sizeof(k->expected), "%s", expected ? expected : "");
	return 0;
}

#define VERDICT(k, v, exp, fmt) do { \
		va_list ap; \
		va_start(ap, fmt); \
		verdict(k, v, exp, fmt, ap); \
		va_end(ap); \
	} while (0)

int ck_pass(struct ck *k, const char *fmt, ...)
{
	VERDICT(k, CK_PASS, NULL, fmt);
	return 0;
}

int ck_skip(struct ck *k, const char *fmt, ...)
{
	VERDICT(k, CK_SKIP, NULL, fmt);
	return 0;
}

/* The actual outcome is the reason: "expected X, got <reason>". */
int ck_fail(struct ck *k, const char *expected, const char *fmt, ...)
{
	VERDICT(k, CK_FAIL, expected, fmt);
	snprintf(k->actual, sizeof(k->actual), "%s", k->reason);
	return 0;
}

int ck_warn(struct ck *k, const char *expected, const char *fmt, ...)
{
	VERDICT(k, CK_WARN, expected, fmt);
	snprintf(k->actual, sizeof(k->actual), "%s", k->reason);
	return 0;
}

static int missing(struct ck *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int missing(struct ck *k, const char *fmt, ...)
{
	VERDICT(k, CK_MISSING, NULL, fmt);
	return 0;
}

int ck_fail_step(struct ck *k, struct json_object *res, const char *expected)
{
	char d[400];

	return ck_fail(k, expected, "%s", ck_describe(res, d, sizeof(d)));
}

/* --- reading results ------------------------------------------------------ */

struct json_object *ck_get(struct json_object *o, const char *path)
{
	char key[48];

	while (o && *path) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);

		snprintf(key, sizeof(key), "%.*s", (int)n, path);
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		path += n + (dot != NULL);
	}
	return o;
}

bool ck_ok(struct json_object *res)
{
	return json_object_get_boolean(ck_get(res, "ok"));
}

const char *ck_err_code(struct json_object *res)
{
	const char *s = json_object_get_string(ck_get(res, "error.code"));

	return s ? s : "";
}

const char *ck_err_msg(struct json_object *res)
{
	const char *s = json_object_get_string(ck_get(res, "error.message"));

	return s ? s : "";
}

bool ck_disconnected(const struct ck *k)
{
	return !conn_connected(&k->s.conn);
}

bool ck_ack(struct json_object *res, uint64_t *u64)
{
	struct json_object *a = ck_get(res, "ack.u64");

	if (!a)
		return false;
	*u64 = (uint64_t)json_object_get_uint64(a);
	return true;
}

bool ck_reply_num(struct json_object *res, const char *name, uint64_t *v)
{
	struct json_object *p = ck_get(ck_get(res, "reply.payload"), name);

	if (!p || !json_object_is_type(p, json_type_int))
		return false;
	*v = (uint64_t)json_object_get_uint64(p);
	return true;
}

const char *ck_outcome(struct json_object *res)
{
	const char *s = json_object_get_string(ck_get(res, "outcome"));

	return s ? s : "";
}

const char *ck_describe(struct json_object *res, char *buf, size_t len)
{
	const char *cmd = json_object_get_string(ck_get(res, "command"));
	uint64_t v;

	if (!ck_ok(res))
		snprintf(buf, len, "%s: %s (%s)", cmd ? cmd : "?", ck_err_msg(res), ck_err_code(res));
	else if (ck_ack(res, &v))
		snprintf(buf, len, "%s: REPLY_ACK u64 %" PRIu64, cmd, v);
	else if (ck_get(res, "outcome"))
		snprintf(buf, len, "%s: the back-end %s", cmd, ck_outcome(res));
	else
		snprintf(buf, len, "%s: done", cmd ? cmd : "?");
	return buf;
}

bool ck_reply_ack(const struct ck *k)
{
	return conn_reply_ack(&k->s.conn);
}

/* --- stages --------------------------------------------------------------- */

uint64_t ck_base_features(const struct ck *k)
{
	uint64_t want = PF(F_VERSION_1) | PF(F_PROTOCOL_FEATURES) | k->c->features;

	if (k->o->dev == DEV_BLK)
		want |= PF(BLK_F_FLUSH);
	return want & k->features;
}

static int setup_failed(struct ck *k, struct json_object *res)
{
	char d[400];

	ck_fail(k, "every step of the set-up to succeed", "setting up: %s", ck_describe(res, d, sizeof(d)));
	return 1;
}

int ck_stage(struct ck *k, enum ck_stage stage, uint64_t pwant)
{
	struct json_object *r;

	if (stage >= ST_PROTO && k->have_pf &&
	    ck_cmd(k, &r, "set-protocol-features 0x%" PRIx64, (pwant | PF(PF_REPLY_ACK)) & k->pfeatures) < 0)
		return setup_failed(k, r);
	if (stage >= ST_OWNER && ck_cmd(k, &r, "set-owner") < 0)
		return setup_failed(k, r);
	if (stage >= ST_ACKED && ck_cmd(k, &r, "set-features 0x%" PRIx64, ck_base_features(k)) < 0)
		return setup_failed(k, r);
	if (stage >= ST_MEM) {
		bool slots = (pwant & PF(PF_MEM_SLOTS)) && (k->s.conn.acked_proto & PF(PF_MEM_SLOTS));

		if (ck_cmd(k, &r, "mem add 1M") < 0 || ck_cmd(k, &r, slots ? "add-mem-reg" : "set-mem-table") < 0)
			return setup_failed(k, r);
	}
	if (stage >= ST_RING && ck_cmd(k, &r, "vring setup 0 size=64") < 0)
		return setup_failed(k, r);
	return 0;
}

/* --- the case, from connect to verdict ------------------------------------ */

void ck_connect_line(const char *sock, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "connect \"");

	for (const char *p = sock; *p && n + 4 < len; p++) {
		if (*p == '"' || *p == '\\')
			buf[n++] = '\\';
		buf[n++] = *p;
	}
	snprintf(buf + n, len - n, "\"");
}

/* Connect, retrying a refusal for as long as a back-end just started may
 * take to listen; the last attempt is the evidence. The connection made is
 * the case's: a back-end that serves one connection serves only it. */
static int connect_case(struct ck *k, struct json_object **res)
{
	int64_t until = wire_deadline(k->o->connect_ms);
	struct json_object *o;
	char line[256];
	int r;

	ck_connect_line(k->o->sock, line, sizeof(line));
	while (o = run_line(k, line, &r), (r == -ECONNREFUSED || r == -ENOENT) &&
	       k->o->connect_ms > 0 && wire_now_ns() < until && !wire_cancel) {
		json_object_put(o);	/* refused while it starts: no evidence */
		usleep(5000);
	}
	*res = evidence(k, o);
	return r;
}

static const char *feature_name(unsigned bit, bool proto, enum vhu_device dev)
{
	static char buf[64];

	if (proto && proto_feature_by_bit(bit))
		snprintf(buf, sizeof(buf), "VHOST_USER_PROTOCOL_F_%s", proto_feature_by_bit(bit)->name);
	else if (!proto && features_name(dev, bit))
		snprintf(buf, sizeof(buf), "%s", features_name(dev, bit));
	else
		snprintf(buf, sizeof(buf), "%s bit %u", proto ? "protocol feature" : "feature", bit);
	return buf;
}

/* What the row needs that the back-end does not offer: skip, with why. */
static bool needs_unmet(struct ck *k)
{
	const struct ck_case *c = k->c;
	uint64_t f = c->features & ~k->features, p = c->pfeatures & ~k->pfeatures;

	if (f)
		return ck_skip(k, "the back-end does not offer %s", feature_name((unsigned)__builtin_ctzll(f), false, k->o->dev)), true;
	if (c->pfeatures && !k->have_pf)
		return ck_skip(k, "the back-end does not offer VHOST_USER_F_PROTOCOL_FEATURES"), true;
	if (p)
		return ck_skip(k, "the back-end does not offer %s", feature_name((unsigned)__builtin_ctzll(p), true, DEV_NONE)), true;
	if (c->absent & k->pfeatures)
		return ck_skip(k, "the back-end offers %s, which makes the request valid",
			       feature_name((unsigned)__builtin_ctzll(c->absent & k->pfeatures), true, DEV_NONE)), true;
	return false;
}

static void run(struct ck *k)
{
	struct json_object *r;

	if (connect_case(k, &r) < 0) {
		missing(k, "the back-end could not be reached: %s", ck_err_msg(r));
		return;
	}
	{
		/* A back-end started for this case may take as long as its start
		 * to answer its first request (testpmd on a busy machine). */
		int per_request = k->s.conn.timeout_ms, first;

		if (k->o->connect_ms > per_request)
			k->s.conn.timeout_ms = k->o->connect_ms;
		first = ck_cmd(k, &r, "get-features");
		k->s.conn.timeout_ms = per_request;
		if (first < 0) {
			/* every case starts so: handshake.get-features-answered says it */
			ck_fail_step(k, r, "GET_FEATURES answered with a u64");
			return;
		}
	}
	k->features = k->s.conn.features;
	if (k->features & PF(F_PROTOCOL_FEATURES)) {
		if (ck_cmd(k, &r, "get-protocol-features") < 0) {
			ck_fail_step(k, r, "GET_PROTOCOL_FEATURES answered (VHOST_USER_F_PROTOCOL_FEATURES is offered)");
			return;
		}
		k->pfeatures = k->s.conn.proto;
		k->have_pf = true;
	}
	if (needs_unmet(k))
		return;
	k->c->fn(k);
	if (!k->decided)
		ck_fail(k, "a verdict", "internal: case %s reached none", k->c->id);
}

void ck_run_case(const struct ck_case *c, const struct ck_opts *o, int out_fd)
{
	struct ck *k = calloc(1, sizeof(*k));
	struct json_object *v;

	if (!k)
		return;
	session_init(&k->s);
	k->s.dev = o->dev;
	k->s.out = OUT_COMPACT;
	k->s.conn.timeout_ms = o->timeout_ms;
	k->c = c;
	k->o = o;
	k->out_fd = out_fd;
	k->keep = json_object_new_array();
	run(k);
	v = json_object_new_object();
	jb_add(v, "verdict", json_object_new_string(ck_verdict_name(k->v)));
	jb_add(v, "reason", json_object_new_string(k->reason));
	if (k->expected[0])
		jb_add(v, "expected", json_object_new_string(k->expected));
	if (k->actual[0])
		jb_add(v, "actual", json_object_new_string(k->actual));
	/* the back-end closed it: the runner looks at whether it survived */
	jb_add(v, "peer_closed", json_object_new_boolean(k->s.conn.peer_closed));
	emit_line(k, "verdict", v);
	json_object_put(v);
	json_object_put(k->keep);
	session_free(&k->s);
	free(k);
}
