/* jw.h - a streaming JSON writer, for outputs too big to build as a json-c tree. */
#ifndef VHUCTL_JW_H
#define VHUCTL_JW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#define JW_DEPTH 32

/* Writes compact JSON into a growing buffer. A 32768-entry ring dump is
 * about 130k objects: as a json-c tree that costs hundreds of milliseconds
 * in allocation alone; written straight out it costs a few. */
struct jw {
	char *buf;
	size_t len, cap;
	bool oom;
	unsigned depth;
	bool need_comma[JW_DEPTH];
};

void jw_init(struct jw *w);
void jw_free(struct jw *w);
void jw_obj(struct jw *w);		/* { */
void jw_arr(struct jw *w);		/* [ */
void jw_end_obj(struct jw *w);		/* } */
void jw_end_arr(struct jw *w);		/* ] */
void jw_key(struct jw *w, const char *key);	/* "key": (next value follows) */
void jw_int(struct jw *w, int64_t v);
void jw_hex(struct jw *w, uint64_t v);	/* "0x1f" */
void jw_str(struct jw *w, const char *s);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
/* Splice another writer's finished value in as the next value. */
void jw_raw(struct jw *w, const char *text, size_t len);

/* A json-c value that prints W's text (pretty when asked, as json-c would);
 * takes the buffer over. */
struct json_object *jw_to_json(struct jw *w);

#endif
