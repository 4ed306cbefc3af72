/* jb.h - small typed helpers that build json-c values. */
#ifndef VHUCTL_JB_H
#define VHUCTL_JB_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

/* "0x1f" */
struct json_object *jb_hex(uint64_t v);
/* An unsigned number, exact whatever its size (see jw_u64). */
struct json_object *jb_u64(uint64_t v);
/* Lower-case hex string of LEN bytes, no separators. */
struct json_object *jb_hexbytes(const uint8_t *buf, size_t len);
/* "52:54:00:12:34:56" */
struct json_object *jb_mac(const uint8_t mac[6]);
/* Printable text of BUF up to the first NUL; other bytes as "\xNN"-free '.'. */
struct json_object *jb_text(const uint8_t *buf, size_t len);
/* A duration in microseconds with one decimal, from nanoseconds. */
struct json_object *jb_us(int64_t ns);
/* ["NAME"]: a one-name array, for flag lists. */
struct json_object *jb_names1(const char *name);
/* Add key/value to OBJ; returns OBJ so calls can be chained. KEY must
 * outlive OBJ (a literal or a static table's string); else use
 * json_object_object_add. */
struct json_object *jb_add(struct json_object *obj, const char *key,
			   struct json_object *val);
/* Add MSG to OBJ's "warnings" array (made when missing), as every result
 * and event has them. */
void jb_warn(struct json_object *obj, const char *msg);
/* Remove every member of the object OBJ (and a serializer set on it), to
 * use it again: cheaper than a new object and its 16-bucket table. */
void jb_clear(struct json_object *obj);

#endif
