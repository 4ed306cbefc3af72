/* cmd_expect.c - 'expect': a script states what the back-end must have answered.
 *
 *   expect ok                      the last result succeeded
 *   expect error [CODE]            it failed (with CODE: EPROTO, ETIMEDOUT, ...)
 *   expect PATH                    PATH is there and neither null nor false
 *   expect PATH OP VALUE           OP is == != < <= > >= or contains
 *
 * PATH is a small part of jq's: '.reply.payload.u64', '.steps[0].ok',
 * '.names[-1]', '.' for the whole result; '$q.reply' reads the result kept
 * by 'CMD as q'. Numbers compare as numbers whether the JSON holds them as
 * numbers or as hex strings ("0x1", as masks and addresses are); a missing
 * member is null, as in jq. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/jb.h"
#include "core/jw.h"
#include "core/suggest.h"

enum op { OP_NONE, OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_CONTAINS };

static const char *const op_names[] = {
	[OP_EQ] = "==", [OP_NE] = "!=", [OP_LT] = "<", [OP_LE] = "<=", [OP_GT] = ">",
	[OP_GE] = ">=", [OP_CONTAINS] = "contains",
};

enum kind { EXPECT_OK, EXPECT_ERROR, EXPECT_PATH };

struct expect {
	enum kind kind;
	const char *path;	/* EXPECT_PATH: as typed */
	char name[SESSION_NAME_MAX + 1];	/* "$q...": the result it reads, "" the last */
	enum op op;
	const char *value;	/* VALUE, or EXPECT_ERROR's code; NULL none */
	unsigned value_tok;	/* the token to blame for VALUE */
};

static const struct arg_spec expect_args[] = {
	{ .name = "what", .type = ARG_STRING, .required = true, .literal = true,
	  .help = "ok, error, or a path into the result: .reply.payload.u64, $name.ok" },
	{ .name = "op", .type = ARG_STRING, .literal = true,
	  .help = "== != < <= > >= contains (after 'error': the errno name)" },
	{ .name = "value", .type = ARG_STRING, .literal = true,
	  .help = "a number (decimal or 0x hex), true, false, null or a word" },
};

/* One step of PATH at *P: ".key" or "[N]". Returns 1 with the step, 0 at
 * the end, -1 when PATH does not parse there. */
static int path_step(const char **p, char *key, size_t klen, long *index, bool *is_index)
{
	const char *s = *p;

	if (!*s)
		return 0;
	if (*s == '.' && (isalnum((unsigned char)s[1]) || s[1] == '_' || s[1] == '-')) {
		size_t n = 0;

		for (s++; isalnum((unsigned char)*s) || *s == '_' || *s == '-'; s++)
			if (n + 1 < klen)
				key[n++] = *s;
			else
				return -1;
		key[n] = '\0';
		*is_index = false;
		*p = s;
		return 1;
	}
	if (*s == '.' && s[1] == '[')
		s++;		/* jq's ".[0]" */
	if (*s == '[') {
		char *end;

		errno = 0;
		*index = strtol(s + 1, &end, 10);
		if (errno || end == s + 1 || *end != ']')
			return -1;
		*is_index = true;
		*p = end + 1;
		return 1;
	}
	return -1;
}

/* Split PATH into the name it starts with ("$q") and the steps after it;
 * check the steps parse. On error *at is the offset in PATH to blame. */
static int path_parse(const char *path, char *name, const char **steps, size_t *at)
{
	const char *p = path;
	char key[128];
	long idx;
	bool is_index;
	int r;

	name[0] = '\0';
	if (*p == '$') {
		size_t n = 0;

		for (p++; *p && *p != '.' && *p != '['; p++)
			if (n < SESSION_NAME_MAX)
				name[n++] = *p;
			else
				return (*at = 0), -1;
		name[n] = '\0';
		if (!session_name_valid(name))
			return (*at = 0), -1;
	} else if (*p != '.') {
		return (*at = 0), -1;
	}
	*steps = p;
	if (strcmp(p, ".") == 0 || *p == '\0') {
		*steps = "";
		return 0;
	}
	while ((r = path_step(&p, key, sizeof(key), &idx, &is_index)) == 1)
		;
	if (r < 0)
		return (*at = (size_t)(p - path)), -1;
	return 0;
}

/* The value at STEPS in O (NULL: missing, or JSON null). */
static struct json_object *path_walk(struct json_object *o, const char *steps)
{
	char key[128];
	long idx;
	bool is_index;

	while (o && path_step(&steps, key, sizeof(key), &idx, &is_index) == 1) {
		if (is_index) {
			size_t n;

			if (!json_object_is_type(o, json_type_array))
				return NULL;
			n = json_object_array_length(o);
			if (idx < 0)
				idx += (long)n;
			o = idx >= 0 && (size_t)idx < n ? json_object_array_get_idx(o, (size_t)idx) : NULL;
		} else if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &o)) {
			return NULL;
		}
	}
	return o;
}

/* TEXT as a number: decimal (with sign, fraction or exponent) or 0x hex. */
static bool text_number(const char *text, long double *v)
{
	char *end;

	if (!*text || isspace((unsigned char)*text))
		return false;
	errno = 0;
	if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
		unsigned long long u = strtoull(text + 2, &end, 16);

		if (errno || end == text + 2 || *end)
			return false;
		*v = (long double)u;
		return true;
	}
	*v = strtold(text, &end);
	return !errno && end != text && !*end;
}

/* O as a number: a JSON number, or a string holding one ("0x175007e46"). */
static bool json_number(struct json_object *o, long double *v)
{
	if (json_object_is_type(o, json_type_int) || json_object_is_type(o, json_type_double))
		return text_number(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), v);
	if (json_object_is_type(o, json_type_string))
		return text_number(json_object_get_string(o), v);
	return false;
}

/* Does O equal VALUE as typed? */
static bool equals(struct json_object *o, const char *value)
{
	long double a, b;

	if (strcmp(value, "null") == 0)
		return o == NULL;
	if (strcmp(value, "true") == 0 || strcmp(value, "false") == 0)
		return json_object_is_type(o, json_type_boolean) &&
		       json_object_get_boolean(o) == (value[0] == 't');
	if (text_number(value, &b) && o && json_number(o, &a))
		return a == b;
	return json_object_is_type(o, json_type_string) && strcmp(json_object_get_string(o), value) == 0;
}

/* O contains VALUE: an element of an array, a part of a string, a name of
 * a mask ({value, names}). */
static bool contains(struct json_object *o, const char *value)
{
	struct json_object *names;

	if (json_object_is_type(o, json_type_string))
		return strstr(json_object_get_string(o), value) != NULL;
	if (json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, "names", &names))
		o = names;
	if (!json_object_is_type(o, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(o); i++)
		if (equals(json_object_array_get_idx(o, i), value))
			return true;
	return false;
}

static enum op op_by_name(const char *s)
{
	for (unsigned i = OP_EQ; i <= OP_CONTAINS; i++)
		if (strcmp(op_names[i], s) == 0)
			return (enum op)i;
	return OP_NONE;
}

/* The assertion in A, checked for form: what 'expect' runs, and what a
 * script's check before it runs looks at. *bad: the argument to blame. */
static int expect_parse(const struct arg_set *a, struct expect *x, unsigned *bad, struct vhu_err *e)
{
	const struct arg_val *what = args_get(a, "what"), *op = args_get(a, "op"), *val = args_get(a, "value");
	const char *steps;
	size_t at;

	memset(x, 0, sizeof(*x));
	*bad = what->tok;
	x->value = val->set ? val->str : NULL;
	x->value_tok = val->tok;
	if (strcmp(what->str, "ok") == 0 || strcmp(what->str, "error") == 0) {
		x->kind = what->str[0] == 'o' ? EXPECT_OK : EXPECT_ERROR;
		if (x->kind == EXPECT_OK && op->set)
			return (*bad = op->tok), vhu_errf(e, EINVAL, "'expect ok' takes nothing after it");
		if (val->set)
			return (*bad = val->tok), vhu_errf(e, EINVAL, "'expect error' takes one errno name at most");
		if (op->set) {
			x->value = op->str;
			if (!vhu_errno_by_name(op->str)) {
				struct suggest sg;
				char hint[400];
				const char *n;

				suggest_init(&sg, op->str, strlen(op->str));
				for (unsigned i = 0; (n = vhu_errno_name_at(i)); i++)
					suggest_add(&sg, NULL, n);
				*bad = op->tok;
				return vhu_errf(e, EINVAL, "'%s' is not an error vhuctl reports%s", op->str,
						suggest_hint(&sg, "known", NULL, hint, sizeof(hint)));
			}
		}
		return 0;
	}
	x->kind = EXPECT_PATH;
	x->path = what->str;
	if (path_parse(what->str, x->name, &steps, &at) < 0)
		return vhu_errf(e, EINVAL, "'%s' is not a path (at '%s'): ok, error, or '.' then "
				"members and [indexes], as '.reply.payload.u64' or '$q.steps[0]'",
				what->str, what->str + at);
	if (op->set && (x->op = op_by_name(op->str)) == OP_NONE)
		return (*bad = op->tok), vhu_errf(e, EINVAL, "'%s' is not an operator: == != < <= > >= contains",
						  op->str);
	if (op->set && !val->set)
		return (*bad = op->tok + 1), vhu_errf(e, EINVAL, "'%s' wants a value after it", op->str);
	if (x->op >= OP_LT && x->op <= OP_GE) {
		long double v;

		if (!text_number(x->value, &v))
			return (*bad = val->tok), vhu_errf(e, EINVAL, "'%s' compares numbers: '%s' is not one",
							   op->str, x->value);
	}
	return 0;
}

static int expect_check(struct cmd_check *st, const struct arg_set *a, unsigned *bad, struct vhu_err *e)
{
	struct expect x;
	int r = expect_parse(a, &x, bad, e);

	if (r < 0 || !x.name[0] || cmd_check_named(st, x.name))
		return r;
	*bad = args_get(a, "what")->tok;
	return vhu_errf(e, EINVAL, "no result is named '%s' (name one with 'COMMAND as %s')", x.name, x.name);
}

/* Where the result failed: its error's code, or NULL when it succeeded. */
static const char *error_code(struct json_object *res)
{
	struct json_object *err, *code;

	if (!json_object_object_get_ex(res, "error", &err) || !json_object_object_get_ex(err, "code", &code))
		return NULL;
	return json_object_get_string(code);
}

static const char *error_message(struct json_object *res)
{
	struct json_object *err, *msg;

	if (!json_object_object_get_ex(res, "error", &err) || !json_object_object_get_ex(err, "message", &msg))
		return "";
	return json_object_get_string(msg);
}

/* "2", "\"WRITE\"", "absent": what was found, for a message. */
static const char *shown(struct json_object *v)
{
	return v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
		 : "nothing (null)";
}

static bool holds(const struct expect *x, struct json_object *v, const char **why)
{
	long double a = 0, b = 0;
	bool num = x->value && text_number(x->value, &b) && v && json_number(v, &a);

	*why = NULL;
	switch (x->op) {
	case OP_NONE:
		return v && !(json_object_is_type(v, json_type_boolean) && !json_object_get_boolean(v));
	case OP_EQ: return equals(v, x->value);
	case OP_NE: return !equals(v, x->value);
	case OP_CONTAINS: return contains(v, x->value);
	default:
		break;
	}
	if (!num) {
		*why = "not a number";
		return false;
	}
	switch (x->op) {
	case OP_LT: return a < b;
	case OP_LE: return a <= b;
	case OP_GT: return a > b;
	case OP_GE: return a >= b;
	default: return false;
	}
}

static int cmd_expect(struct cmd_ctx *ctx)
{
	struct session *s = ctx->s;
	struct expect x;
	struct json_object *res, *v = NULL;
	char assertion[600];
	const char *steps = "", *why = NULL, *code;
	unsigned bad;
	size_t at;
	bool ok;

	if (expect_parse(&ctx->args, &x, &bad, &ctx->err) < 0)
		return (ctx->bad_tok = (int)bad), -ctx->err.code;
	snprintf(assertion, sizeof(assertion), "%s%s%s%s%s",
		 x.kind == EXPECT_OK ? "ok" : x.kind == EXPECT_ERROR ? "error" : x.path,
		 x.op || x.value ? " " : "", x.op ? op_names[x.op] : "", x.op && x.value ? " " : "",
		 x.value ? x.value : "");
	jb_add(ctx->out, "assertion", json_object_new_string(assertion));
	if (x.kind == EXPECT_PATH)
		path_parse(x.path, x.name, &steps, &at);
	res = x.name[0] ? session_named(s, x.name) : session_last_result(s);
	if (!res) {
		ctx->bad_tok = 0;
		return vhu_errf(&ctx->err, x.name[0] ? EINVAL : VHU_EEXPECT,
				x.name[0] ? "no result is named '%s'" : "expected %s, but no command has run yet%s",
				x.name[0] ? x.name : assertion, "");
	}
	code = error_code(res);
	switch (x.kind) {
	case EXPECT_OK:
		jb_add(ctx->out, "found", json_object_new_boolean(!code));
		if (code)
			return vhu_errf(&ctx->err, VHU_EEXPECT, "expected ok, got error %s: %s", code,
					error_message(res));
		return 0;
	case EXPECT_ERROR:
		if (code)
			jb_add(ctx->out, "found", json_object_new_string(code));
		if (!code)
			return vhu_errf(&ctx->err, VHU_EEXPECT, "expected %s, got ok", assertion);
		if (x.value && strcmp(code, x.value) != 0)
			return vhu_errf(&ctx->err, VHU_EEXPECT, "expected %s, got error %s: %s", assertion, code,
					error_message(res));
		return 0;
	case EXPECT_PATH:
		break;
	}
	/* Parts of a result are kept as JSON text (jw): a tree to walk. */
	res = jw_plain(json_object_get(res));
	v = path_walk(res, steps);
	if (v)
		jb_add(ctx->out, "found", json_object_get(v));
	ok = holds(&x, v, &why);
	if (!ok) {
		ctx->bad_tok = why ? (int)x.value_tok : 0;
		vhu_errf(&ctx->err, VHU_EEXPECT, "expected %s, got %s%s%s", assertion, shown(v),
			 why ? ": " : "", why ? why : "");
	}
	json_object_put(res);
	return ok ? 0 : -VHU_EEXPECT;
}

static const struct cmd_def defs[] = {
	{ "expect", GROUP_META, expect_args, sizeof(expect_args) / sizeof(expect_args[0]),
	  "check what the last command answered (a script fails on the line that says so)",
	  "'expect ok' and 'expect error [CODE]' look at whether the last command\n"
	  "succeeded; 'expect PATH [OP VALUE]' at a value of its result, where PATH is\n"
	  "part of jq's: '.reply.payload.u64', '.steps[0].ok', '.names[-1]', or\n"
	  "'$NAME.reply' for the result kept by 'COMMAND as NAME'. OP is == != < <= >\n"
	  ">= or contains (an element of an array, a name of a mask, a part of a\n"
	  "string). Numbers compare as numbers, hex strings included; a missing member\n"
	  "is null. A failing command followed by 'expect' does not stop the script:\n"
	  "'expect error EPROTO' is how a script says a request must be refused.\n"
	  "The exit status of a script whose expect fails is 4.",
	  "expect .reply.payload.u64 == 1", NULL, cmd_expect, NULL, NULL, .check = expect_check },
};

const struct cmd_def *cmd_expect_defs(unsigned *n)
{
	*n = sizeof(defs) / sizeof(defs[0]);
	return defs;
}
