/* jb.c - small typed helpers that build json-c values. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/jb.h"
#include "core/jw.h"

struct json_object *jb_hex(uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char buf[24], *p = buf + sizeof(buf);

	/* by hand: this runs several times per request, snprintf is slow */
	*--p = '\0';
	do {
		*--p = digits[v & 15];
		v >>= 4;
	} while (v);
	*--p = 'x';
	*--p = '0';
	return json_object_new_string_len(p, (int)(buf + sizeof(buf) - 1 - p));
}

struct json_object *jb_u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

struct json_object *jb_hexbytes(const uint8_t *buf, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char *s = malloc(len * 2 + 1);
	struct json_object *o;

	if (!s)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		s[2 * i] = digits[buf[i] >> 4];
		s[2 * i + 1] = digits[buf[i] & 0xf];
	}
	s[len * 2] = '\0';
	o = json_object_new_string_len(s, (int)(len * 2));
	free(s);
	return o;
}

struct json_object *jb_mac(const uint8_t mac[6])
{
	char buf[18];

	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return json_object_new_string(buf);
}

struct json_object *jb_text(const uint8_t *buf, size_t len)
{
	char *s = malloc(len + 1);
	struct json_object *o;
	size_t n = 0;

	if (!s)
		return NULL;
	for (; n < len && buf[n]; n++)
		s[n] = (buf[n] >= 0x20 && buf[n] < 0x7f) ? (char)buf[n] : '.';
	s[n] = '\0';
	o = json_object_new_string_len(s, (int)n);
	free(s);
	return o;
}

struct json_object *jb_add(struct json_object *obj, const char *key,
			   struct json_object *val)
{
	/* Keys are string literals or static tables: no copy needed. */
	json_object_object_add_ex(obj, key, val, JSON_C_OBJECT_ADD_CONSTANT_KEY);
	return obj;
}

struct json_object *jb_us(int64_t ns)
{
	char buf[32];
	const char *t = jw_us_text(ns, buf);
	int64_t tenths = (ns + 50) / 100;

	return json_object_new_double_s((double)(tenths < 0 ? 0 : tenths) / 10.0, t);
}

struct json_object *jb_names1(const char *name)
{
	struct json_object *a = json_object_new_array();

	json_object_array_add(a, json_object_new_string(name));
	return a;
}

void jb_clear(struct json_object *obj)
{
	struct lh_table *t = json_object_get_object(obj);

	while (t && t->head)
		lh_table_delete_entry(t, t->head);
	json_object_set_serializer(obj, NULL, NULL, NULL);	/* json-c's own again */
}

void jb_warn(struct json_object *obj, const char *msg)
{
	struct json_object *a;

	if (!json_object_object_get_ex(obj, "warnings", &a)) {
		a = json_object_new_array();
		json_object_object_add(obj, "warnings", a);
	}
	json_object_array_add(a, json_object_new_string(msg));
}
