/* toscript.c - vhuctl monitor --script: a recorded session (-w) as a vhuctl script that sends the front-end's side again, with no VM. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "core/proto.h"
#include "monitor/toscript.h"

#define REQ_GET_VRING_BASE 11u
#define REQ_ADD_MEM_REG 37u

/* A region the script has made (mem add), as the recording had it. */
struct sregion {
	uint64_t gpa, size, uaddr;
};

struct conv {
	FILE *out;
	struct sregion r[64];
	unsigned n;
	unsigned converted, skipped;
};

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* The member KEY of O when it has type T, else NULL. */
static struct json_object *get_type(struct json_object *o, const char *key, enum json_type t)
{
	struct json_object *v = get(o, key);

	return v && json_object_is_type(v, t) ? v : NULL;
}

/* A number of the recording: a JSON number, or a "0x..." hex string. */
static uint64_t num(struct json_object *o)
{
	if (!o)
		return 0;
	if (json_object_is_type(o, json_type_string))
		return strtoull(json_object_get_string(o), NULL, 0);
	return json_object_get_uint64(o);
}

/* The recorded front-end address U as a guest physical address. */
static bool to_gpa(const struct conv *c, uint64_t u, uint64_t *gpa)
{
	for (unsigned i = 0; i < c->n; i++) {
		if (u >= c->r[i].uaddr && u - c->r[i].uaddr < c->r[i].size) {
			*gpa = c->r[i].gpa + (u - c->r[i].uaddr);
			return true;
		}
	}
	return false;
}

/* mem add for region R of the recording; false when the table is full. */
static bool add_region(struct conv *c, struct json_object *r)
{
	struct sregion s = { num(get(r, "guest_phys_addr")), num(get(r, "memory_size")), num(get(r, "userspace_addr")) };

	if (c->n == sizeof(c->r) / sizeof(c->r[0]) || s.size == 0)
		return false;
	c->r[c->n++] = s;
	fprintf(c->out, "mem add %" PRIu64 " gpa=0x%" PRIx64 "\n", s.size, s.gpa);
	return true;
}

static int region_index(const struct conv *c, struct json_object *r)
{
	uint64_t gpa = num(get(r, "guest_phys_addr")), size = num(get(r, "memory_size"));

	for (unsigned i = 0; i < c->n; i++)
		if (c->r[i].gpa == gpa && c->r[i].size == size)
			return (int)i;
	return -1;
}

/* One front-end request of the recording (MSG) as a line of the script. */
static void convert(struct conv *c, struct json_object *msg, uint64_t seq)
{
	uint32_t number = (uint32_t)num(get(msg, "number"));
	const struct vhu_request *row = proto_request(SIDE_FRONTEND, number);
	struct json_object *p = get(msg, "payload");
	bool need_reply = num(get(get(msg, "flags"), "value")) & VHU_FLAG_NEED_REPLY;
	char name[64], nr[20];
	uint64_t d, a, u;
	int i;

	if (!row) {
		fprintf(c->out, "# %" PRIu64 ": request %u is not in the table: not sent\n", seq, number);
		c->skipped++;
		return;
	}
	proto_cli_name(row, name, sizeof(name));
	snprintf(nr, sizeof(nr), " need-reply=%d", need_reply);
	if (!p && row->req_kind != PL_NONE) {
		fprintf(c->out, "# %" PRIu64 ": %s: its payload did not decode: not sent\n", seq, row->name);
		c->skipped++;
		return;
	}
	switch (row->req_kind) {
	case PL_NONE:
		fprintf(c->out, "%s%s\n", name, nr);
		break;
	case PL_FEATURES:
	case PL_PROTOCOL_FEATURES:
	case PL_STATUS:
		fprintf(c->out, "%s 0x%" PRIx64 "%s\n", name, num(get(p, "value")), nr);
		break;
	case PL_U64:
		fprintf(c->out, "%s %" PRIu64 "%s\n", name, num(get(p, "u64")), nr);
		break;
	case PL_VRING_STATE:
		if (number == REQ_GET_VRING_BASE)
			fprintf(c->out, "%s %" PRIu64 "%s\n", name, num(get(p, "index")), nr);
		else
			fprintf(c->out, "%s %" PRIu64 " %" PRIu64 "%s\n", name, num(get(p, "index")), num(get(p, "num")), nr);
		break;
	case PL_VRING_FD:
		fprintf(c->out, "%s %" PRIu64 "%s%s\n", name, num(get(p, "index")),
			json_object_get_boolean(get(p, "nofd")) ? " nofd" : "", nr);
		break;
	case PL_VRING_ADDR:
		if (!to_gpa(c, num(get(p, "desc_user_addr")), &d) || !to_gpa(c, num(get(p, "avail_user_addr")), &a) ||
		    !to_gpa(c, num(get(p, "used_user_addr")), &u)) {
			fprintf(c->out, "# %" PRIu64 ": %s: an address is in no region recorded so far: not sent\n", seq,
				row->name);
			c->skipped++;
			return;
		}
		fprintf(c->out, "%s %" PRIu64 " desc=0x%" PRIx64 " avail=0x%" PRIx64 " used=0x%" PRIx64 " gpa flags=0x%" PRIx64
			" log=0x%" PRIx64 "%s\n", name, num(get(p, "index")), d, a, u, num(get(get(p, "flags"), "value")),
			num(get(p, "log_guest_addr")), nr);
		break;
	case PL_MEM_TABLE: {
		struct json_object *rs = get_type(p, "regions", json_type_array);

		/* the table is the script's regions: made again from the start */
		for (unsigned k = c->n; k > 0; k--)
			fprintf(c->out, "mem remove %u\n", k - 1);
		c->n = 0;
		for (size_t k = 0; rs && k < json_object_array_length(rs); k++)
			add_region(c, json_object_array_get_idx(rs, k));
		fprintf(c->out, "%s%s\n", name, nr);
		break;
	}
	case PL_MEM_REGION:
		if (number == REQ_ADD_MEM_REG) {
			if (!add_region(c, p)) {
				fprintf(c->out, "# %" PRIu64 ": %s: no room for another region: not sent\n", seq, row->name);
				c->skipped++;
				return;
			}
			fprintf(c->out, "%s%s\n", name, nr);
		} else if ((i = region_index(c, p)) >= 0) {
			fprintf(c->out, "%s %d%s\n", name, i, nr);
		} else {
			fprintf(c->out, "# %" PRIu64 ": %s: a region the script did not make: not sent\n", seq, row->name);
			c->skipped++;
			return;
		}
		break;
	case PL_CONFIG:
		if (number == VHU_REQ_GET_CONFIG) {
			fprintf(c->out, "%s %" PRIu64 " offset=%" PRIu64 " flags=%" PRIu64 "%s\n", name, num(get(p, "size")),
				num(get(p, "offset")), num(get(p, "flags_value")), nr);
			break;
		}
		__attribute__((fallthrough));	/* SET_CONFIG's bytes are the guest's */
	default:
		fprintf(c->out, "# %" PRIu64 ": %s: its %s payload is not converted: not sent\n", seq, row->name,
			proto_payload_name(row->req_kind));
		c->skipped++;
		return;
	}
	c->converted++;
}

static struct rec_step *step_of(struct recording *rec, uint64_t seq)
{
	for (size_t i = rec->n; i > 0; i--)
		if (rec->step[i - 1].seq == seq)
			return &rec->step[i - 1];
	return NULL;
}

/* A message event of the session at LINE: a request made a step (its
 * script lines written by convert), or a reply kept with its request.
 * -1 with ERR when it lacks what every message event has. */
static int take_message(struct conv *c, struct recording *rec, struct json_object *o, unsigned line,
			const char *path, char *err, size_t errlen)
{
	struct json_object *dir = get_type(o, "direction", json_type_string), *msg = get_type(o, "message", json_type_object);
	struct json_object *seq = get_type(o, "seq", json_type_int);
	struct rec_step *st;
	char *text = NULL;
	size_t len = 0;
	unsigned skipped = c->skipped;

	const char *lacks = !dir ? "direction" : !msg ? "message" : !seq ? "seq" :
			    !get_type(msg, "number", json_type_int) ? "message's number" :
			    !get_type(get_type(msg, "flags", json_type_object), "value", json_type_string) ? "message's flags" :
			    !get_type(msg, "size", json_type_int) ? "message's size" :
			    !get_type(msg, "fds", json_type_array) ? "message's fds" : NULL;

	if (lacks) {
		snprintf(err, errlen, "%s:%u: a message event without its %s", path, line, lacks);
		return -1;
	}
	if (strcmp(json_object_get_string(dir), "to_frontend") == 0) {
		struct json_object *to = get_type(get_type(o, "reply_to", json_type_object), "seq", json_type_int);

		if (to && (st = step_of(rec, num(to))) && !st->reply)
			st->reply = json_object_get(msg);
		return 0;
	}
	if (strcmp(json_object_get_string(dir), "to_backend") != 0)
		return 0;	/* the back-end channel: not the front-end's to send */
	if (rec->n == rec->cap) {
		size_t cap = rec->cap ? 2 * rec->cap : 64;
		struct rec_step *v = realloc(rec->step, cap * sizeof(*v));

		if (!v) {
			snprintf(err, errlen, "%s:%u: out of memory", path, line);
			return -1;
		}
		rec->step = v;
		rec->cap = cap;
	}
	c->out = open_memstream(&text, &len);
	if (!c->out) {
		snprintf(err, errlen, "%s:%u: out of memory", path, line);
		return -1;
	}
	convert(c, msg, num(seq));
	fclose(c->out);
	c->out = NULL;
	rec->step[rec->n++] = (struct rec_step){ .seq = num(seq), .line = line, .text = text,
						 .converted = c->skipped == skipped,
						 .request = json_object_get(msg) };
	return 0;
}

int toscript_read(const char *path, unsigned session, struct recording *rec, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	struct conv c = { 0 };
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned lineno = 0;
	int r = 0;

	memset(rec, 0, sizeof(*rec));
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (r == 0 && (len = getline(&line, &cap, f)) > 0) {
		struct json_tokener *tk = json_tokener_new();
		struct json_object *o = tk ? json_tokener_parse_ex(tk, line, (int)len) : NULL, *ev, *s;

		lineno++;
		/* a line cut short (the recording's writer killed) does not parse */
		if (!o || !json_object_is_type(o, json_type_object)) {
			snprintf(err, errlen, "%s:%u: not a JSON object%s", path, lineno,
				 line[len - 1] != '\n' ? " (the file ends in the middle of a line)" : "");
			r = -1;
		} else if ((ev = get_type(o, "event", json_type_string)) && strcmp(json_object_get_string(ev), "message") == 0 &&
			   (s = get(o, "session")) && json_object_is_type(s, json_type_int) &&
			   (unsigned)json_object_get_int(s) == session) {
			r = take_message(&c, rec, o, lineno, path, err, errlen);
		}
		json_object_put(o);
		if (tk)
			json_tokener_free(tk);
	}
	free(line);
	fclose(f);
	rec->converted = c.converted;
	rec->skipped = c.skipped;
	if (r == 0 && rec->n == 0) {
		snprintf(err, errlen, "%s: no front-end request of session %u", path, session);
		r = -1;
	}
	if (r < 0)
		toscript_free(rec);
	return r;
}

void toscript_free(struct recording *rec)
{
	for (size_t i = 0; i < rec->n; i++) {
		free(rec->step[i].text);
		json_object_put(rec->step[i].request);
		json_object_put(rec->step[i].reply);
	}
	free(rec->step);
	memset(rec, 0, sizeof(*rec));
}

int toscript(const char *path, unsigned session, FILE *out, char *err, size_t errlen)
{
	struct recording rec;

	if (toscript_read(path, session, &rec, err, errlen) < 0)
		return -1;
	fprintf(out, "# vhuctl monitor --script %s: the front-end's requests of session %u, sent again\n"
		"# with vhuctl's own memory (the same sizes and guest addresses), eventfds and\n"
		"# ring addresses translated; what the guest put in its rings is not replayed.\n",
		path, session);
	for (size_t i = 0; i < rec.n; i++)
		fputs(rec.step[i].text, out);
	fprintf(out, "# %u requests converted, %u not\n", rec.converted, rec.skipped);
	toscript_free(&rec);
	return 0;
}
