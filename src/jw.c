/* jw.c - a streaming JSON writer, for outputs too big to build as a json-c tree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jw.h"

void jw_init(struct jw *w)
{
	memset(w, 0, sizeof(*w));
}

void jw_free(struct jw *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

static bool room(struct jw *w, size_t n)
{
	if (w->oom)
		return false;
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		char *b;

		while (cap < w->len + n + 1)
			cap *= 2;
		b = realloc(w->buf, cap);
		if (!b) {
			w->oom = true;
			return false;
		}
		w->buf = b;
		w->cap = cap;
	}
	return true;
}

static void put(struct jw *w, const char *s, size_t n)
{
	if (!room(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void putc_(struct jw *w, char c)
{
	if (!room(w, 1))
		return;
	w->buf[w->len++] = c;
	w->buf[w->len] = '\0';
}

/* Before a value (or a key) at the current depth: a comma if not first. */
static void sep(struct jw *w)
{
	if (w->need_comma[w->depth])
		putc_(w, ',');
	w->need_comma[w->depth] = true;
}

void jw_obj(struct jw *w)
{
	sep(w);
	putc_(w, '{');
	if (w->depth + 1 < JW_DEPTH)
		w->need_comma[++w->depth] = false;
}

void jw_arr(struct jw *w)
{
	sep(w);
	putc_(w, '[');
	if (w->depth + 1 < JW_DEPTH)
		w->need_comma[++w->depth] = false;
}

void jw_end_obj(struct jw *w)
{
	if (w->depth)
		w->depth--;
	putc_(w, '}');
}

void jw_end_arr(struct jw *w)
{
	if (w->depth)
		w->depth--;
	putc_(w, ']');
}

static void quoted(struct jw *w, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strcspn(s, "\"\\\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
			   "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f");

	if (!s[n] && room(w, n + 2)) {	/* the usual case: nothing to escape */
		w->buf[w->len++] = '"';
		memcpy(w->buf + w->len, s, n);
		w->len += n;
		w->buf[w->len++] = '"';
		w->buf[w->len] = '\0';
		return;
	}
	putc_(w, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			putc_(w, '\\');
			putc_(w, (char)c);
		} else if (c < 0x20 && strchr("\b\f\n\r\t", c) && c) {
			/* the short forms json-c uses */
			char e[2] = { '\\', "btnvfr"[c - '\b'] };

			put(w, e, 2);
		} else if (c < 0x20) {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

			put(w, e, 6);
		} else {
			putc_(w, (char)c);
		}
	}
	putc_(w, '"');
}

void jw_key(struct jw *w, const char *key)
{
	sep(w);
	quoted(w, key);
	putc_(w, ':');
	w->need_comma[w->depth] = false;	/* the value follows without a comma */
}

/* A key's value must not get a comma, but the next key must. */
static void value_sep(struct jw *w)
{
	sep(w);
}

void jw_int(struct jw *w, int64_t v)
{
	char b[24], *p = b + sizeof(b);
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	value_sep(w);
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	put(w, p, (size_t)(b + sizeof(b) - p));
}

void jw_hex(struct jw *w, uint64_t v)
{
	static const char hex[] = "0123456789abcdef";
	char b[20], *p = b + sizeof(b);

	value_sep(w);
	*--p = '"';
	do {
		*--p = hex[v & 15];
		v >>= 4;
	} while (v);
	*--p = 'x';
	*--p = '0';
	*--p = '"';
	put(w, p, (size_t)(b + sizeof(b) - p));
}

void jw_str(struct jw *w, const char *s)
{
	value_sep(w);
	quoted(w, s);
}

void jw_bool(struct jw *w, bool v)
{
	value_sep(w);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void jw_null(struct jw *w)
{
	value_sep(w);
	put(w, "null", 4);
}

void jw_raw(struct jw *w, const char *text, size_t len)
{
	value_sep(w);
	put(w, text, len);
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

/* Re-print compact JSON the way json-c's PRETTY|SPACED does, so the
 * spliced-in text looks like the rest of the output. */
static void pretty(struct printbuf *pb, const char *s, size_t n, int level)
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
				/* json-c prints an empty container over two lines */
				printbuf_memappend(pb, &c, 1);
				printbuf_memappend(pb, "\n", 1);
				indent(pb, level);
				printbuf_memappend(pb, s + i + 1, 1);
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
		pretty(pb, w->buf, w->len, level);
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
	struct json_object *o = json_object_new_object();
	struct jw *own = malloc(sizeof(*own));

	if (!o || !own || w->oom) {
		free(own);
		jw_free(w);
		return o;
	}
	*own = *w;
	memset(w, 0, sizeof(*w));
	json_object_set_serializer(o, serialize, own, release);
	return o;
}
