/* jw.h - a streaming JSON writer: results written straight out, and the printer of every result. */
#ifndef VHUCTL_JW_H
#define VHUCTL_JW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <json-c/json.h>

#define JW_DEPTH 32

/* Writes compact JSON into a growing buffer. A 32768-entry ring dump is
 * about 130k objects: as a json-c tree that costs hundreds of milliseconds
 * in allocation alone; written straight out it costs a few. A request's
 * result is printed as often as requests are made, so messages are written
 * this way too, and out_print writes every json-c result with jw_value. */
struct jw {
	char *buf;
	size_t len, cap;
	bool oom;
	unsigned depth;
	bool need_comma[JW_DEPTH];
};

/* Room for N more bytes (and the NUL kept after them); false when out of
 * memory. The fast path is inline: it runs for every byte group written. */
bool jw_grow(struct jw *w, size_t n);
static inline bool jw_room(struct jw *w, size_t n)
{
	return (w->len + n + 1 <= w->cap && !w->oom) || jw_grow(w, n);
}

/* The small steps are inline: a request's result is some forty of them. */
static inline void jw_put_(struct jw *w, const char *s, size_t n)
{
	if (!jw_room(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static inline void jw_putc_(struct jw *w, char c)
{
	if (!jw_room(w, 1))
		return;
	w->buf[w->len++] = c;
	w->buf[w->len] = '\0';
}

/* Before a value (or a key) at the current depth: a comma if not first. */
static inline void jw_sep_(struct jw *w)
{
	if (w->need_comma[w->depth])
		jw_putc_(w, ',');
	w->need_comma[w->depth] = true;
}

static inline void jw_open_(struct jw *w, char c)
{
	jw_sep_(w);
	jw_putc_(w, c);
	if (w->depth + 1 < JW_DEPTH)
		w->need_comma[++w->depth] = false;
}

static inline void jw_close_(struct jw *w, char c)
{
	if (w->depth)
		w->depth--;
	jw_putc_(w, c);
}

static inline void jw_obj(struct jw *w) { jw_open_(w, '{'); }		/* { */
static inline void jw_arr(struct jw *w) { jw_open_(w, '['); }		/* [ */
static inline void jw_end_obj(struct jw *w) { jw_close_(w, '}'); }	/* } */
static inline void jw_end_arr(struct jw *w) { jw_close_(w, ']'); }	/* ] */

static inline void jw_bool(struct jw *w, bool v)
{
	jw_sep_(w);
	jw_put_(w, v ? "true" : "false", v ? 4 : 5);
}

static inline void jw_null(struct jw *w)
{
	jw_sep_(w);
	jw_put_(w, "null", 4);
}

void jw_init(struct jw *w);
void jw_free(struct jw *w);
/* Empty W for a new value, keeping its buffer. */
void jw_reset(struct jw *w);

/* "key": (the next value follows). KEY must be a string literal: it is one
 * of ours, so it is written as it is (not escaped), its length known. */
#define jw_key(w, key) jw_keyn((w), "" key, sizeof(key) - 1)
static inline void jw_keyn(struct jw *w, const char *key, size_t n)
{
	if (jw_room(w, n + 4)) {
		char *p = w->buf + w->len;

		if (w->need_comma[w->depth])
			*p++ = ',';
		*p++ = '"';
		memcpy(p, key, n);
		p += n;
		*p++ = '"';
		*p++ = ':';
		*p = '\0';
		w->len = (size_t)(p - w->buf);
	}
	w->need_comma[w->depth] = false;	/* the value follows without a comma */
}
void jw_int(struct jw *w, int64_t v);
void jw_hex(struct jw *w, uint64_t v);	/* "0x1f" */
/* An unsigned number, exact in the text whatever its size (vhuctl-json(7):
 * counts are numbers; readers that use doubles round them above 2^53). */
void jw_u64(struct jw *w, uint64_t v);
void jw_hexbytes(struct jw *w, const uint8_t *buf, size_t len);	/* "00ff.." */
/* Nanoseconds as microseconds with one decimal: 12.3 */
void jw_us(struct jw *w, int64_t ns);
const char *jw_us_text(int64_t ns, char buf[32]);
void jw_str(struct jw *w, const char *s);
/* A string that is one of our own identifiers (a name from a table): written
 * as it is, not scanned for escapes. Never for text from outside. */
void jw_ident(struct jw *w, const char *s);
/* Splice another writer's finished value in as the next value. */
void jw_raw(struct jw *w, const char *text, size_t len);

/* A json-c value that prints W's text (pretty when asked, as json-c would);
 * takes the buffer over. */
struct json_object *jw_to_json(struct jw *w);

/* Write any json-c value into W as compact JSON (what json-c would print
 * with PLAIN|NOSLASHESCAPE, but without building its print buffers), jw
 * values and spliced members included. */
void jw_value(struct jw *w, struct json_object *o);

/* "KEY":VAL as the next member of the object being written (KEY escaped
 * as needed, VAL as jw_value writes it). */
void jw_member(struct jw *w, const char *key, struct json_object *val);

/* Add the members MEMBERS wrote ("k":v,"k2":v2 at depth 0) to the object
 * OBJ, in place, after its current members: a result's bulk written
 * straight out, with json-c members still addable around it. At most one
 * splice per object; json-c prints OBJ right too. Takes MEMBERS over. */
void jw_add_members(struct json_object *obj, struct jw *members);

/* Re-print compact JSON S as json-c's PRETTY|SPACED does, at LEVEL, but
 * with [] and {} kept on one line (as jq does). */
void jw_pretty(struct printbuf *pb, const char *s, size_t n, int level);

/* O again as a tree json-c can look into (jw values and splices are
 * opaque to it); takes O over. For results code reads back. */
struct json_object *jw_plain(struct json_object *o);

#endif
