/* args.c - typed command arguments: positional or key=value, parsed from a spec. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd/args.h"
#include "core/proto.h"
#include "core/suggest.h"

/* Each type as people read it in help, and as help's JSON names it. */
static const struct {
	const char *text, *id;
} type_names[] = {
	[ARG_U32] = { "number", "u32" }, [ARG_U64] = { "number", "u64" },
	[ARG_BOOL] = { "on|off", "bool" }, [ARG_FEATURES] = { "features", "features" },
	[ARG_PFEATURES] = { "protocol features", "protocol-features" },
	[ARG_STATUS] = { "status", "status" }, [ARG_HEX] = { "hex bytes", "hex" },
	[ARG_ENUM] = { "choice", "enum" }, [ARG_STRING] = { "string", "string" },
	[ARG_PATH] = { "path", "path" }, [ARG_MAC] = { "MAC address", "mac" },
	[ARG_UUID] = { "UUID", "uuid" }, [ARG_FLAG] = { "flag", "flag" },
};

const char *args_type_name(enum arg_type t)
{
	return type_names[t].text;
}

const char *args_type_id(enum arg_type t)
{
	return type_names[t].id;
}

/* Decimal, or hex with 0x. A leading 0 is not octal: "010" is ten. */
static unsigned long long parse_num(const char *s, char **end)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (!isxdigit((unsigned char)s[2])) {
			*end = (char *)s;
			return 0;
		}
		return strtoull(s, end, 16);
	}
	return strtoull(s, end, 10);
}

int args_parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!*s || *s == '-' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*v = parse_num(s, &end);
	if (errno || *end)
		return -EINVAL;
	return 0;
}

int args_parse_size(const char *s, uint64_t *v)
{
	char *end;
	unsigned shift = 0;

	if (!*s || *s == '-' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*v = parse_num(s, &end);
	if (errno || end == s)
		return -EINVAL;
	switch (toupper((unsigned char)*end)) {
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	case 'T': shift = 40; end++; break;
	default: break;
	}
	if (shift && (*end == 'i' || *end == 'I') && (end[1] == 'B' || end[1] == 'b'))
		end += 2;
	else if (shift && (*end == 'B' || *end == 'b'))
		end++;
	if (*end || (shift && *v > (UINT64_MAX >> shift)))
		return -EINVAL;
	*v <<= shift;
	return 0;
}

static int hexdigit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int args_parse_hex(const char *s, uint8_t **out, uint32_t *len)
{
	size_t n = strlen(s), k = 0;
	uint8_t *b;
	int hi = -1;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2, n -= 2;
	b = malloc(n / 2 + 1);
	if (!b)
		return -ENOMEM;
	for (; *s; s++) {
		int d;

		if (*s == ':' || *s == ' ' || *s == '-' || *s == '_') {
			if (hi >= 0)
				goto bad;
			continue;
		}
		d = hexdigit((unsigned char)*s);
		if (d < 0)
			goto bad;
		if (hi < 0) {
			hi = d;
		} else {
			b[k++] = (uint8_t)(hi << 4 | d);
			hi = -1;
		}
	}
	if (hi >= 0)
		goto bad;
	*out = b;
	*len = (uint32_t)k;
	return 0;
bad:
	free(b);
	return -EINVAL;
}

int args_parse_mask(const char *s, int (*lookup)(const char *name, void *ctx),
		    void *ctx, uint64_t *mask, const char **bad, unsigned *bad_len)
{
	char item[128];

	*mask = 0;
	while (*s) {
		size_t n = strcspn(s, ",|");
		uint64_t v;
		int bit;

		if (n == 0 || n >= sizeof(item)) {
			*bad = s;
			*bad_len = (unsigned)n;
			return -EINVAL;
		}
		memcpy(item, s, n);
		item[n] = '\0';
		if (isdigit((unsigned char)item[0]) && args_parse_u64(item, &v) == 0) {
			*mask |= v;
		} else if ((bit = lookup(item, ctx)) >= 0) {
			*mask |= UINT64_C(1) << bit;
		} else {
			*bad = s;
			*bad_len = (unsigned)n;
			return -ENOENT;
		}
		s += n;
		if (*s)
			s++;
	}
	return 0;
}

static int lookup_feature(const char *name, void *ctx)
{
	int bit = features_by_name(*(enum vhu_device *)ctx, name);

	return bit >= 0 && bit < 64 ? bit : -1;
}

static int lookup_pfeature(const char *name, void *ctx)
{
	return proto_feature_by_name(name);
}

static int lookup_status(const char *name, void *ctx)
{
	int v = features_status_by_name(name);

	return v > 0 ? __builtin_ctz((unsigned)v) : -1;
}

static const struct arg_spec *find_spec(const struct arg_set *a, const char *name, size_t n)
{
	int first = tolower((unsigned char)name[0]);

	/* the first letter weeds out most: this runs several times a request */
	for (unsigned i = 0; i < a->n; i++)
		if (tolower((unsigned char)a->spec[i].name[0]) == first &&
		    strlen(a->spec[i].name) == n && strncasecmp(a->spec[i].name, name, n) == 0)
			return &a->spec[i];
	return NULL;
}

static int parse_bool(const char *s, uint64_t *v)
{
	static const char *const yes[] = { "on", "1", "yes", "true", "enable", NULL };
	static const char *const no[] = { "off", "0", "no", "false", "disable", NULL };

	for (unsigned i = 0; yes[i]; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return (*v = 1), 0;
		if (strcasecmp(s, no[i]) == 0)
			return (*v = 0), 0;
	}
	return -EINVAL;
}

static int parse_enum(const struct arg_spec *sp, const char *s, uint64_t *v)
{
	for (const struct arg_enum *en = sp->enums; en && en->name; en++)
		if (strcasecmp(en->name, s) == 0)
			return (*v = en->value), 0;
	return args_parse_u64(s, v);
}

static int enum_error(const struct arg_spec *sp, const char *s, struct vhu_err *e)
{
	struct suggest sg;
	char hint[400];

	suggest_init(&sg, s, strlen(s));
	for (const struct arg_enum *en = sp->enums; en && en->name; en++)
		suggest_add(&sg, NULL, en->name);
	return vhu_errf(e, EINVAL, "bad value '%s' for '%s'%s", s, sp->name,
			suggest_hint(&sg, "one of", ", or a number", hint, sizeof(hint)));
}

/* "unknown feature name 'X'", with the closest name of the table it was looked up in. */
static int unknown_name(enum arg_type t, enum vhu_device dev, const char *bad, unsigned len,
			struct vhu_err *e)
{
	char item[128];
	const char *best;

	snprintf(item, sizeof(item), "%.*s", (int)len, bad);
	best = t == ARG_FEATURES ? features_suggest(dev, item) :
		t == ARG_PFEATURES ? proto_feature_suggest(item) : features_status_suggest(item);
	return vhu_errf(e, EINVAL, "unknown %s name '%s'%s%s%s",
			t == ARG_FEATURES ? "feature" : t == ARG_PFEATURES ? "protocol feature" : "status",
			item, best ? " (did you mean '" : "", best ? best : "", best ? "'?)" : "");
}

static int parse_value(const struct arg_spec *sp, const char *s, struct arg_val *v,
		       enum vhu_device dev, struct vhu_err *e)
{
	const char *bad = s;
	unsigned bad_len = 0;
	int r;

	switch (sp->type) {
	case ARG_U32:
	case ARG_U64:
		if (args_parse_size(s, &v->u) < 0)
			return vhu_errf(e, EINVAL, "'%s' is not a valid number for '%s'", s, sp->name);
		if (sp->type == ARG_U32 && v->u > UINT32_MAX)
			return vhu_errf(e, ERANGE, "%s=%s does not fit in 32 bits", sp->name, s);
		return 0;
	case ARG_BOOL:
		if (parse_bool(s, &v->u) < 0)
			return vhu_errf(e, EINVAL, "'%s' is not on/off for '%s'", s, sp->name);
		return 0;
	case ARG_FEATURES:
	case ARG_PFEATURES:
	case ARG_STATUS:
		r = args_parse_mask(s, sp->type == ARG_FEATURES ? lookup_feature :
				    sp->type == ARG_PFEATURES ? lookup_pfeature : lookup_status,
				    &dev, &v->u, &bad, &bad_len);
		if (r < 0)
			return unknown_name(sp->type, dev, bad, bad_len, e);
		return 0;
	case ARG_HEX:
		if (args_parse_hex(s, &v->bytes, &v->nbytes) < 0)
			return vhu_errf(e, EINVAL, "'%s' is not hex bytes for '%s'", s, sp->name);
		return 0;
	case ARG_MAC:
		if (args_parse_hex(s, &v->bytes, &v->nbytes) < 0 || v->nbytes != 6)
			return vhu_errf(e, EINVAL, "'%s' is not a MAC address (52:54:00:12:34:56)", s);
		return 0;
	case ARG_UUID:
		if (args_parse_hex(s, &v->bytes, &v->nbytes) < 0 || v->nbytes != 16)
			return vhu_errf(e, EINVAL, "'%s' is not a UUID (16 hex bytes)", s);
		return 0;
	case ARG_ENUM:
		if (parse_enum(sp, s, &v->u) < 0)
			return enum_error(sp, s, e);
		return 0;
	case ARG_STRING:
	case ARG_PATH:
		v->str = (char *)s;
		return 0;
	case ARG_FLAG:
		return parse_bool(s, &v->u) < 0 ?
			vhu_errf(e, EINVAL, "'%s' is not on/off for '%s'", s, sp->name) : 0;
	}
	return vhu_errf(e, EINVAL, "bad argument type");
}

static bool is_flag_word(const struct arg_set *a, const char *s, unsigned *idx)
{
	for (unsigned i = 0; i < a->n; i++)
		if (a->spec[i].type == ARG_FLAG && strcasecmp(a->spec[i].name, s) == 0)
			return (*idx = i), true;
	return false;
}

/* "unknown argument 'heder-flags'", the closest name and all of them. */
static int unknown_argument(const struct arg_set *a, const char *name, size_t n, struct vhu_err *e)
{
	struct suggest sg;
	char hint[400];

	if (!a->n)
		return vhu_errf(e, EINVAL, "unknown argument '%.*s' (the command takes none)", (int)n, name);
	suggest_init(&sg, name, n);
	for (unsigned i = 0; i < a->n; i++)
		suggest_add(&sg, NULL, a->spec[i].name);
	return vhu_errf(e, EINVAL, "unknown argument '%.*s'%s", (int)n, name,
			suggest_hint(&sg, "arguments", NULL, hint, sizeof(hint)));
}

/* A word no positional argument is left for: a flag mistyped ("snyc")? */
static int unexpected_argument(const struct arg_set *a, const char *s, struct vhu_err *e)
{
	struct suggest sg;
	char hint[400];

	suggest_init(&sg, s, strlen(s));
	for (unsigned i = 0; i < a->n; i++)
		if (a->spec[i].type == ARG_FLAG)
			suggest_add(&sg, NULL, a->spec[i].name);
	return vhu_errf(e, E2BIG, "unexpected argument '%s'%s", s, suggest_hint(&sg, NULL, NULL, hint, sizeof(hint)));
}

static int next_positional(const struct arg_set *a, unsigned from)
{
	for (unsigned i = from; i < a->n; i++)
		if (!a->v[i].set && !a->spec[i].key_only && a->spec[i].type != ARG_FLAG)
			return (int)i;
	return -1;
}

int args_parse(struct arg_set *a, const struct arg_spec *spec, unsigned nspec,
	       const struct tok *v, unsigned n, enum vhu_device dev,
	       unsigned *bad_tok, struct vhu_err *e)
{
	unsigned pos_from = 0;

	/* only the values in use: a command has a few, and this runs twice
	 * for every command of a script (the check, then the run) */
	a->spec = spec;
	a->n = nspec < ARGS_MAX ? nspec : ARGS_MAX;
	memset(a->v, 0, a->n * sizeof(a->v[0]));
	for (unsigned t = 0; t < n; t++) {
		const char *s = v[t].text, *eq = strchr(s, '=');
		const struct arg_spec *sp = NULL;
		unsigned idx;
		int r;

		*bad_tok = t;
		if (eq && eq != s && !find_spec(a, s, (size_t)(eq - s)) && next_positional(a, pos_from) >= 0 &&
		    spec[next_positional(a, pos_from)].literal)
			eq = NULL;	/* "a!=b", "x<=1": the word itself */
		if (eq && eq != s) {
			sp = find_spec(a, s, (size_t)(eq - s));
			if (!sp)
				return unknown_argument(a, s, (size_t)(eq - s), e);
			idx = (unsigned)(sp - spec);
			s = eq + 1;
		} else if (is_flag_word(a, s, &idx)) {
			a->v[idx].set = true;
			a->v[idx].u = 1;
			a->v[idx].tok = t;
			continue;
		} else {
			int p = next_positional(a, pos_from);

			if (p < 0)
				return unexpected_argument(a, s, e);
			idx = (unsigned)p;
			sp = &spec[idx];
			pos_from = idx + 1;
		}
		if (a->v[idx].set && !sp->multi)
			return vhu_errf(e, EINVAL, "argument '%s' given twice", sp->name);
		if (a->v[idx].set) {	/* keep the first; the handler walks argv */
			free(a->v[idx].bytes);
			a->v[idx].bytes = NULL;
		}
		r = parse_value(sp, s, &a->v[idx], dev, e);
		if (r < 0)
			return r;
		if (sp->max && (sp->type == ARG_U32 || sp->type == ARG_U64 || sp->type == ARG_ENUM) &&
		    a->v[idx].u > sp->max)
			return vhu_errf(e, ERANGE, "%s=%s is over %llu, the most the field holds",
					sp->name, s, (unsigned long long)sp->max);
		a->v[idx].set = true;
		a->v[idx].tok = t;
	}
	*bad_tok = n;
	for (unsigned i = 0; i < a->n; i++)
		if (spec[i].required && !a->v[i].set)
			return vhu_errf(e, EINVAL, "missing argument '%s' (%s)",
					spec[i].name, spec[i].help ? spec[i].help : args_type_name(spec[i].type));
	return 0;
}

void args_free(struct arg_set *a)
{
	for (unsigned i = 0; i < a->n; i++)
		if (a->v[i].bytes)
			free(a->v[i].bytes);
	memset(a->v, 0, a->n * sizeof(a->v[0]));
	a->n = 0;
	a->spec = NULL;
}

const struct arg_val *args_get(const struct arg_set *a, const char *name)
{
	static const struct arg_val unset;
	const struct arg_spec *sp = NULL;

	/* Callers name arguments with the literal their spec was written
	 * with, usually the same pointer: try that before comparing text. */
	for (unsigned i = 0; i < a->n && !sp; i++)
		if (a->spec[i].name == name)
			sp = &a->spec[i];
	if (!sp)
		sp = find_spec(a, name, strlen(name));

	return sp ? &a->v[sp - a->spec] : &unset;
}

uint64_t args_u(const struct arg_set *a, const char *name, uint64_t def)
{
	const struct arg_val *v = args_get(a, name);

	return v->set ? v->u : def;
}
