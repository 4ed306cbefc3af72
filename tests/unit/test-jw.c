/* test-jw.c - the streaming JSON writer prints what json-c would, compact and pretty. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "../tap.h"
#include "../../src/jb.h"
#include "../../src/jw.h"

/* The same value built both ways: {"a":1,"h":"0x1f","s":"q\"\n","e":[],"o":{},"l":[-5,{"x":true,"y":null}]} */
static struct json_object *by_jsonc(void)
{
	struct json_object *o = json_object_new_object(), *l = json_object_new_array(), *x = json_object_new_object();

	jb_add(o, "a", json_object_new_int(1));
	jb_add(o, "h", jb_hex(0x1f));
	jb_add(o, "s", json_object_new_string("q\"\n\x01"));
	jb_add(o, "e", json_object_new_array());
	jb_add(o, "o", json_object_new_object());
	json_object_array_add(l, json_object_new_int(-5));
	jb_add(x, "x", json_object_new_boolean(1));
	jb_add(x, "y", NULL);
	json_object_array_add(l, x);
	jb_add(o, "l", l);
	return o;
}

static struct json_object *by_jw(void)
{
	struct jw w;

	jw_init(&w);
	jw_obj(&w);
	jw_key(&w, "a");
	jw_int(&w, 1);
	jw_key(&w, "h");
	jw_hex(&w, 0x1f);
	jw_key(&w, "s");
	jw_str(&w, "q\"\n\x01");
	jw_key(&w, "e");
	jw_arr(&w);
	jw_end_arr(&w);
	jw_key(&w, "o");
	jw_obj(&w);
	jw_end_obj(&w);
	jw_key(&w, "l");
	jw_arr(&w);
	jw_int(&w, -5);
	jw_obj(&w);
	jw_key(&w, "x");
	jw_bool(&w, true);
	jw_key(&w, "y");
	jw_null(&w);
	jw_end_obj(&w);
	jw_end_arr(&w);
	jw_end_obj(&w);
	return jw_to_json(&w);
}

static void compare(int flags, const char *what)
{
	struct json_object *a = json_object_new_object(), *b = json_object_new_object();
	char *sa, *sb;

	/* nested one level down, as in {"command":..., "ring": <dump>} */
	jb_add(a, "ring", by_jsonc());
	jb_add(b, "ring", by_jw());
	sa = strdup(json_object_to_json_string_ext(a, flags));
	sb = strdup(json_object_to_json_string_ext(b, flags));
	tap_is_str(sb, sa, "%s output equals json-c's", what);
	free(sa);
	free(sb);
	json_object_put(a);
	json_object_put(b);
}

int main(void)
{
	struct jw w;
	struct json_object *o;

	compare(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, "compact");
	compare(JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE, "pretty");

	jw_init(&w);
	jw_arr(&w);
	jw_int(&w, INT64_MIN);
	jw_hex(&w, UINT64_MAX);
	jw_hex(&w, 0);
	jw_end_arr(&w);
	o = jw_to_json(&w);
	tap_is_str(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
		   "[-9223372036854775808,\"0xffffffffffffffff\",\"0x0\"]", "extreme numbers");
	json_object_put(o);

	/* a big array grows the buffer many times and stays valid JSON */
	jw_init(&w);
	jw_arr(&w);
	for (int i = 0; i < 100000; i++)
		jw_int(&w, i);
	jw_end_arr(&w);
	o = jw_to_json(&w);
	{
		struct json_object *t = json_tokener_parse(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));

		tap_ok(t && json_object_array_length(t) == 100000 &&
		       json_object_get_int(json_object_array_get_idx(t, 99999)) == 99999,
		       "100000 values written and read back");
		json_object_put(t);
	}
	json_object_put(o);
	return tap_done();
}
