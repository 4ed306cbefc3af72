/* fuzz.c - what the fuzz targets share: an input reader, checks that crash, the JSON and fd checks. */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/printbuf.h>

#include "fuzz.h"
#include "core/jw.h"

const uint8_t *fuzz_take(struct fuzz_in *in, size_t n, size_t *got)
{
	const uint8_t *p = in->p;

	if (n > in->n)
		n = in->n;
	in->p += n;
	in->n -= n;
	*got = n;
	return p;
}

static uint64_t take_le(struct fuzz_in *in, size_t n)
{
	size_t got;
	const uint8_t *p = fuzz_take(in, n, &got);
	uint64_t v = 0;

	for (size_t i = got; i > 0; i--)
		v = v << 8 | p[i - 1];
	return v;
}

uint8_t fuzz_u8(struct fuzz_in *in) { return (uint8_t)take_le(in, 1); }
uint16_t fuzz_u16(struct fuzz_in *in) { return (uint16_t)take_le(in, 2); }
uint32_t fuzz_u32(struct fuzz_in *in) { return (uint32_t)take_le(in, 4); }
uint64_t fuzz_u64(struct fuzz_in *in) { return take_le(in, 8); }

void fuzz_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: wrong result: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* The checks are not what is fuzzed: no coverage feedback from them (and
 * none of its cost, which on a ring dump was a third of the run). */
#ifdef __clang__
#define NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define NO_COVERAGE
#endif

/* A strict JSON (RFC 8259) and UTF-8 checker that allocates nothing: a
 * result is checked once per run, and json-c's parser would cost more
 * than most decoders it checks. Each returns the end of what it read, or
 * NULL when that is not JSON. */
NO_COVERAGE static const char *json_value(const char *p, const char *end, unsigned depth);

NO_COVERAGE static const char *json_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* One UTF-8 sequence starting at P (a byte >= 0x80): no overlong forms,
 * no surrogates, nothing above U+10FFFF. */
NO_COVERAGE static const char *json_utf8(const char *p, const char *end)
{
	const unsigned char *u = (const unsigned char *)p;
	unsigned n = u[0] >= 0xf0 ? 3 : u[0] >= 0xe0 ? 2 : u[0] >= 0xc2 ? 1 : 0;
	uint32_t c = u[0] & (0x3f >> n);

	if (n == 0 || u[0] > 0xf4 || (size_t)(end - p) <= n)
		return NULL;
	for (unsigned i = 1; i <= n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return NULL;
		c = c << 6 | (u[i] & 0x3f);
	}
	if ((n == 2 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) || (n == 3 && (c < 0x10000 || c > 0x10ffff)))
		return NULL;
	return p + n + 1;
}

NO_COVERAGE static const char *json_string(const char *p, const char *end)
{
	if (p >= end || *p++ != '"')
		return NULL;
	while (p < end && *p != '"') {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20)
			return NULL;
		if (c >= 0x80) {
			if (!(p = json_utf8(p, end)))
				return NULL;
			continue;
		}
		if (c == '\\') {
			if (++p >= end)
				return NULL;
			if (*p == 'u') {
				for (int i = 0; i < 4; i++)
					if (++p >= end || !*p || !strchr("0123456789abcdefABCDEF", *p))
						return NULL;
			} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
				return NULL;
			}
		}
		p++;
	}
	return p < end ? p + 1 : NULL;
}

NO_COVERAGE static const char *json_digits(const char *p, const char *end)
{
	const char *s = p;

	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return p > s ? p : NULL;
}

NO_COVERAGE static const char *json_number(const char *p, const char *end)
{
	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if (!(p = json_digits(p, end)))
		return NULL;
	if (p < end && *p == '.' && !(p = json_digits(p + 1, end)))
		return NULL;
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (!(p = json_digits(p, end)))
			return NULL;
	}
	return p;
}

/* '[' values ']' or '{' members '}' from P (just past the opening one). */
NO_COVERAGE static const char *json_container(const char *p, const char *end, unsigned depth, char close)
{
	p = json_ws(p, end);
	if (p < end && *p == close)
		return p + 1;
	for (;;) {
		if (close == '}') {
			p = json_string(json_ws(p, end), end);
			p = p ? json_ws(p, end) : NULL;
			if (!p || p >= end || *p++ != ':')
				return NULL;
		}
		if (!(p = json_value(p, end, depth + 1)))
			return NULL;
		p = json_ws(p, end);
		if (p < end && *p == close)
			return p + 1;
		if (p >= end || *p++ != ',')
			return NULL;
	}
}

NO_COVERAGE static const char *json_value(const char *p, const char *end, unsigned depth)
{
	p = json_ws(p, end);
	if (p >= end || depth > 256)
		return NULL;
	switch (*p) {
	case '{':
	case '[':
		return json_container(p + 1, end, depth, *p == '{' ? '}' : ']');
	case '"':
		return json_string(p, end);
	case 't':
		return end - p >= 4 && !memcmp(p, "true", 4) ? p + 4 : NULL;
	case 'f':
		return end - p >= 5 && !memcmp(p, "false", 5) ? p + 5 : NULL;
	case 'n':
		return end - p >= 4 && !memcmp(p, "null", 4) ? p + 4 : NULL;
	default:
		return json_number(p, end);
	}
}

/* TEXT must be exactly one JSON value. */
NO_COVERAGE static void check_parses(const char *what, const char *text, size_t len)
{
	const char *e = json_value(text, text + len, 0);

	FUZZ_CHECK(e && json_ws(e, text + len) == text + len,
		   "%s output is not one JSON value (stops at %zd of %zu): %.300s", what,
		   e ? e - text : -1, len, text);
}

void fuzz_json(struct json_object *o)
{
	struct printbuf *pb;
	struct jw w;

	jw_init(&w);
	jw_value(&w, o);
	FUZZ_CHECK(!w.oom, "out of memory");
	check_parses("compact", w.buf, w.len);
	/* Pretty printing depends on nesting, not length: big ring dumps
	 * would spend most of the run on it and show nothing new. */
	if (w.len <= 16384) {
		pb = printbuf_new();
		FUZZ_CHECK(pb, "out of memory");
		jw_pretty(pb, w.buf, w.len, 0);
		check_parses("pretty", pb->buf, (size_t)pb->bpos);
		printbuf_free(pb);
	}
	jw_free(&w);
	json_object_put(o);
}

enum vhu_device fuzz_device(uint8_t b)
{
	unsigned n;
	const enum vhu_device *d = features_devices(&n);

	if (b % (n + 2) < n)
		return d[b % (n + 2)];
	return b % (n + 2) == n ? DEV_NONE : (enum vhu_device)99;
}

int fuzz_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	FUZZ_CHECK(d, "cannot read /proc/self/fd");
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}
