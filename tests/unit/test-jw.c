/* test-jw.c - the streaming JSON writer prints what json-c would, compact and
 * pretty (but for [] and {}, which jw keeps on one line). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <json-c/printbuf.h>

#include "../tap.h"
#include "core/jb.h"
#include "core/jw.h"

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

/* json-c's pretty form with empty containers on one line, as jw prints them:
 * "[\n   ]" becomes "[]". In place. */
static char *collapse_empty(char *s)
{
	char *r = s, *w = s;

	while (*r) {
		if (*r == '[' || *r == '{') {
			char *p = r + 1;

			while (*p == '\n' || *p == ' ')
				p++;
			if (p > r + 1 && *p == (*r == '[' ? ']' : '}')) {
				*w++ = *r;
				*w++ = *p;
				r = p + 1;
				continue;
			}
		}
		*w++ = *r++;
	}
	*w = '\0';
	return s;
}

static void compare(int flags, const char *what)
{
	struct json_object *a = json_object_new_object(), *b = json_object_new_object();
	char *sa, *sb;

	/* nested one level down, as in {"command":..., "ring": <dump>} */
	jb_add(a, "ring", by_jsonc());
	jb_add(b, "ring", by_jw());
	sa = collapse_empty(strdup(json_object_to_json_string_ext(a, flags)));
	sb = collapse_empty(strdup(json_object_to_json_string_ext(b, flags)));
	tap_is_str(sb, sa, "%s output equals json-c's", what);
	free(sa);
	free(sb);
	json_object_put(a);
	json_object_put(b);
}

/* Every byte at every position around the 8-byte steps: escaped as json-c does. */
static void escaping(void)
{
	unsigned bad = 0, n = 0;

	for (int c = 1; c < 256; c++) {
		for (int pos = 0; pos < 18; pos++) {
			char s[21];
			struct json_object *js;
			struct jw w;

			memset(s, 'a', 20);
			s[20] = '\0';
			s[pos] = (char)c;
			js = json_object_new_string(s);
			jw_init(&w);
			jw_str(&w, s);
			bad += strcmp(w.buf, json_object_to_json_string_ext(js, JSON_C_TO_STRING_PLAIN |
										JSON_C_TO_STRING_NOSLASHESCAPE)) != 0;
			n++;
			jw_free(&w);
			json_object_put(js);
		}
	}
	tap_ok(bad == 0, "every byte at every position escaped as json-c does (%u of %u differ)", bad, n);
}

/* A json-c tree with every kind of value, a jw value and spliced members,
 * printed by jw_value; and the same tree built plainly for json-c. */
static struct json_object *tree(bool splice)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	struct jw w;

	jb_add(o, "command", json_object_new_string("get-features"));
	if (splice) {
		jw_init(&w);
		jw_key(&w, "request");
		jw_obj(&w);
		jw_key(&w, "n");
		jw_int(&w, 1);
		jw_end_obj(&w);
		jw_key(&w, "rtt_us");
		jw_us(&w, 12345);
		jw_add_members(o, &w);
	} else {
		struct json_object *r = json_object_new_object();

		jb_add(r, "n", json_object_new_int(1));
		jb_add(o, "request", r);
		jb_add(o, "rtt_us", jb_us(12345));
	}
	json_object_array_add(a, json_object_new_int64(INT64_MIN));
	json_object_array_add(a, json_object_new_boolean(0));
	json_object_array_add(a, NULL);
	json_object_array_add(a, json_object_new_string("tab\there \"q\" /slash \\"));
	json_object_array_add(a, json_object_new_object());
	json_object_array_add(a, json_object_new_array());
	jb_add(o, "list", a);
	jb_add(o, "feat", by_jw());
	return o;
}

static void values(void)
{
	struct json_object *s = tree(true), *p = tree(false), *back;
	const int plain = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;
	struct printbuf *pb = printbuf_new();
	char *want = strdup(json_object_to_json_string_ext(p, plain));
	char *want_pretty = collapse_empty(strdup(json_object_to_json_string_ext(p, JSON_C_TO_STRING_PRETTY |
								  JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)));
	struct jw w;

	jw_init(&w);
	jw_value(&w, s);
	tap_is_str(w.buf, want, "jw_value: a tree with a splice prints as the plain tree does");
	jw_pretty(pb, w.buf, w.len, 0);
	tap_is_str(pb->buf, want_pretty, "jw_pretty of it equals json-c's pretty print, [] and {} on one line");
	tap_ok(strstr(pb->buf, "[]") && strstr(pb->buf, "{}"), "empty containers printed as [] and {}");
	tap_is_str(json_object_to_json_string_ext(s, plain), want, "json-c prints the spliced object right too");
	back = jw_plain(json_object_get(s));
	tap_ok(json_object_object_get_ex(back, "request", NULL) && json_object_object_get_ex(back, "rtt_us", NULL),
	       "jw_plain: spliced members are members json-c can look up");
	tap_is_str(json_object_to_json_string_ext(back, plain), want, "jw_plain: same text");
	json_object_put(back);
	jw_free(&w);
	printbuf_free(pb);
	free(want);
	free(want_pretty);
	json_object_put(s);
	json_object_put(p);
}

int main(void)
{
	struct jw w;
	struct json_object *o;

	escaping();
	values();

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
