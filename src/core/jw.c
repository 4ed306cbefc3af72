/* jw.c - a streaming JSON writer: results written straight out, and the printer of every result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jw.h"

void jw_init(struct jw *w)
{
	memset(w, 0, sizeof(*w));
}

void jw_reset(struct jw *w)
{
	w->len = 0;
	w->oom = false;
	w->depth = 0;
	w->need_comma[0] = false;
	if (w->buf)
		w->buf[0] = '\0';
}

void jw_free(struct jw *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

bool jw_grow(struct jw *w, size_t n)
{
	size_t cap = w->cap ? w->cap : 512;
	char *b;

	if (w->oom)
		return false;
	if (w->len + n + 1 <= w->cap)
		return true;
	/* small first: most values are a few hundred bytes, and a large
	 * first block makes malloc consolidate its free lists */
	while (cap < w->len + n + 1)
		cap *= 2;
	b = realloc(w->buf, cap);
	if (!b) {
		w->oom = true;
		return false;
	}
	w->buf = b;
	w->cap = cap;
	return true;
}

/* Bytes that need escaping in a JSON string: controls, '"' and '\\'. */
static const bool escape[256] = {
	[0x00 ... 0x1f] = true, ['"'] = true, ['\\'] = true,
};

/* Length of the start of S that needs no escaping: eight bytes at a time
 * (a byte below 0x20, '"' or '\\' sets a high bit), then the table. */
static size_t plain_prefix(const char *s, size_t len)
{
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t x, q, b;

		memcpy(&x, s + i, 8);
		q = x ^ (ones * '"');
		b = x ^ (ones * '\\');
		if ((((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b)) & highs)
			break;
	}
	while (i < len && !escape[(unsigned char)s[i]])
		i++;
	return i;
}

static void quoted_n(struct jw *w, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	n = plain_prefix(s, len);
	if (n == len && jw_room(w, n + 2)) {	/* the usual case: nothing to escape */
		w->buf[w->len++] = '"';
		memcpy(w->buf + w->len, s, n);
		w->len += n;
		w->buf[w->len++] = '"';
		w->buf[w->len] = '\0';
		return;
	}
	jw_putc_(w, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			jw_putc_(w, '\\');
			jw_putc_(w, (char)c);
		} else if (c && c < 0x20 && strchr("\b\f\n\r\t", c)) {
			/* the short forms json-c uses */
			char e[2] = { '\\', "btnvfr"[c - '\b'] };

			jw_put_(w, e, 2);
		} else if (c < 0x20) {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

			jw_put_(w, e, 6);
		} else {
			jw_putc_(w, (char)c);
		}
	}
	jw_putc_(w, '"');
}

static void quoted(struct jw *w, const char *s)
{
	quoted_n(w, s, strlen(s));
}

void jw_int(struct jw *w, int64_t v)
{
	char b[24], *p = b + sizeof(b);
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	jw_sep_(w);
	if (u < 10) {	/* most counts, sizes and indexes in a message */
		if (v < 0)
			jw_putc_(w, '-');
		jw_putc_(w, (char)('0' + u));
		return;
	}
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	jw_put_(w, p, (size_t)(b + sizeof(b) - p));
}

void jw_hex(struct jw *w, uint64_t v)
{
	static const char hex[] = "0123456789abcdef";
	char b[20], *p = b + sizeof(b);

	jw_sep_(w);
	*--p = '"';
	do {
		*--p = hex[v & 15];
		v >>= 4;
	} while (v);
	*--p = 'x';
	*--p = '0';
	*--p = '"';
	jw_put_(w, p, (size_t)(b + sizeof(b) - p));
}

void jw_u64(struct jw *w, uint64_t v)
{
	char b[24], *p = b + sizeof(b);

	jw_sep_(w);
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	jw_put_(w, p, (size_t)(b + sizeof(b) - p));
}

void jw_hexbytes(struct jw *w, const uint8_t *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";

	jw_sep_(w);
	if (!jw_room(w, len * 2 + 2))
		return;
	w->buf[w->len++] = '"';
	for (size_t i = 0; i < len; i++) {
		w->buf[w->len++] = hex[buf[i] >> 4];
		w->buf[w->len++] = hex[buf[i] & 15];
	}
	w->buf[w->len++] = '"';
	w->buf[w->len] = '\0';
}

const char *jw_us_text(int64_t ns, char buf[32])
{
	char *p = buf + 32;
	int64_t tenths = (ns + 50) / 100;
	uint64_t whole;

	/* by hand: this runs for every request, snprintf is slow */
	if (tenths < 0)
		tenths = 0;
	whole = (uint64_t)tenths / 10;
	*--p = '\0';
	*--p = (char)('0' + tenths % 10);
	*--p = '.';
	do {
		*--p = (char)('0' + whole % 10);
		whole /= 10;
	} while (whole);
	return p;
}

void jw_us(struct jw *w, int64_t ns)
{
	char buf[32];
	const char *t = jw_us_text(ns, buf);

	jw_raw(w, t, strlen(t));
}

void jw_ident(struct jw *w, const char *s)
{
	size_t n = strlen(s);

	jw_sep_(w);
	if (jw_room(w, n + 2)) {
		w->buf[w->len++] = '"';
		memcpy(w->buf + w->len, s, n);
		w->len += n;
		w->buf[w->len++] = '"';
		w->buf[w->len] = '\0';
	}
}

void jw_str(struct jw *w, const char *s)
{
	jw_sep_(w);
	quoted(w, s);
}

void jw_raw(struct jw *w, const char *text, size_t len)
{
	jw_sep_(w);
	jw_put_(w, text, len);
}

static void indent(struct printbuf *pb, int level)
{
	static const char spaces[] = "                                ";

	while (level > 0) {
		int n = level * 2 > 32 ? 32 : level * 2;

		printbuf_memappend(pb, spaces, n);
		level -= n / 2;
	}
}

/* Re-print compact JSON the way json-c's PRETTY|SPACED does, except for
 * empty containers, which stay [] and {}. */
void jw_pretty(struct printbuf *pb, const char *s, size_t n, int level)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '"') {
			size_t j = i + 1;

			while (j < n && s[j] != '"')
				j += s[j] == '\\' ? 2 : 1;
			printbuf_memappend(pb, s + i, (int)(j + 1 - i));
			i = j;
		} else if (c == '{' || c == '[') {
			if (i + 1 < n && (s[i + 1] == '}' || s[i + 1] == ']')) {
				/* [] and {} on one line, as jq prints them (json-c
				 * spreads them over two) */
				printbuf_memappend(pb, s + i, 2);
				i++;
				continue;
			}
			printbuf_memappend(pb, &c, 1);
			printbuf_memappend(pb, "\n", 1);
			indent(pb, ++level);
		} else if (c == '}' || c == ']') {
			printbuf_memappend(pb, "\n", 1);
			indent(pb, --level);
			printbuf_memappend(pb, &c, 1);
		} else if (c == ',') {
			printbuf_memappend(pb, ",\n", 2);
			indent(pb, level);
		} else if (c == ':') {
			printbuf_memappend(pb, ": ", 2);
		} else {
			printbuf_memappend(pb, &c, 1);
		}
	}
}

static int serialize(struct json_object *o, struct printbuf *pb, int level, int flags)
{
	struct jw *w = json_object_get_userdata(o);

	if (!w || !w->buf)
		return printbuf_memappend(pb, "null", 4);
	if (flags & JSON_C_TO_STRING_PRETTY)
		jw_pretty(pb, w->buf, w->len, level);
	else
		printbuf_memappend(pb, w->buf, (int)w->len);
	return 0;
}

static void release(struct json_object *o, void *ud)
{
	(void)o;
	jw_free(ud);
	free(ud);
}

struct json_object *jw_to_json(struct jw *w)
{
	/* Any json-c type carries a serializer; an int is the smallest. */
	struct json_object *o = json_object_new_int(0);
	struct jw *own = malloc(sizeof(*own));

	if (!o || !own || w->oom) {
		free(own);
		json_object_put(o);
		jw_free(w);
		return NULL;	/* prints as null */
	}
	*own = *w;
	memset(w, 0, sizeof(*w));
	json_object_set_serializer(o, serialize, own, release);
	return o;
}

/* A jw value: an int (the cheapest json-c value) whose userdata is the jw
 * holding its text. Nothing else of ours puts userdata on an int. */
static const struct jw *node_text(struct json_object *o)
{
	return json_object_get_type(o) == json_type_int ? json_object_get_userdata(o) : NULL;
}

#define MEMBERS_KEY "\x01members"

void jw_value(struct jw *w, struct json_object *o)
{
	const struct jw *n;

	switch (json_object_get_type(o)) {
	case json_type_null:
		jw_null(w);
		return;
	case json_type_boolean:
		jw_bool(w, json_object_get_boolean(o));
		return;
	case json_type_int:
		if ((n = node_text(o)))
			jw_raw(w, n->buf ? n->buf : "null", n->buf ? n->len : 4);
		else if (json_object_get_int64(o) == INT64_MAX)	/* maybe a bigger uint64 */
			jw_u64(w, json_object_get_uint64(o));
		else
			jw_int(w, json_object_get_int64(o));
		return;
	case json_type_string:
		jw_sep_(w);
		quoted_n(w, json_object_get_string(o), (size_t)json_object_get_string_len(o));
		return;
	case json_type_array:
		jw_arr(w);
		for (size_t i = 0; i < json_object_array_length(o); i++)
			jw_value(w, json_object_array_get_idx(o, i));
		jw_end_arr(w);
		return;
	case json_type_object:
		jw_obj(w);
		json_object_object_foreach(o, key, val) {
			if (key[0] == MEMBERS_KEY[0] && strcmp(key, MEMBERS_KEY) == 0) {
				if ((n = node_text(val)) && n->len) {
					jw_sep_(w);
					jw_put_(w, n->buf, n->len);
				}
				continue;
			}
			jw_member(w, key, val);
		}
		jw_end_obj(w);
		return;
	case json_type_double:
	default: {
		/* a double keeps its exact text (json_object_new_double_s) */
		const char *t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE);

		jw_raw(w, t, strlen(t));
		return;
	}
	}
}

void jw_member(struct jw *w, const char *key, struct json_object *val)
{
	jw_sep_(w);
	quoted(w, key);
	jw_putc_(w, ':');
	w->need_comma[w->depth] = false;
	jw_value(w, val);
}

/* json-c printing an object that holds spliced members: as jw_value does. */
static int members_serialize(struct json_object *o, struct printbuf *pb, int level, int flags)
{
	struct jw w;

	jw_init(&w);
	jw_value(&w, o);
	if (w.oom)
		printbuf_memappend(pb, "null", 4);
	else if (flags & JSON_C_TO_STRING_PRETTY)
		jw_pretty(pb, w.buf, w.len, level);
	else
		printbuf_memappend(pb, w.buf, (int)w.len);
	jw_free(&w);
	return 0;
}

void jw_add_members(struct json_object *obj, struct jw *members)
{
	json_object_object_add_ex(obj, MEMBERS_KEY, jw_to_json(members),
				  JSON_C_OBJECT_ADD_CONSTANT_KEY);
	json_object_set_serializer(obj, members_serialize, NULL, NULL);
}

struct json_object *jw_plain(struct json_object *o)
{
	struct json_object *t;
	struct jw w;

	if (!o)
		return NULL;
	jw_init(&w);
	jw_value(&w, o);
	t = w.oom ? NULL : json_tokener_parse(w.buf);
	jw_free(&w);
	if (!t)
		return o;	/* out of memory: still printable as it is */
	json_object_put(o);
	return t;
}
