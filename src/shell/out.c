/* out.c - printing results: JSON pretty or one object per line, or through out_text. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/printbuf.h>

#include "core/jw.h"
#include "shell/out.h"

/* Colour a pretty-printed JSON text: keys, strings, numbers, literals. */
static void print_colored(const char *s, FILE *f)
{
	static const char *const key = "\033[34;1m", *str = "\033[32m",
		*num = "\033[33m", *lit = "\033[35m", *reset = "\033[0m";

	while (*s) {
		if (*s == '"') {
			const char *e = s + 1;

			while (*e && *e != '"')
				e += (*e == '\\' && e[1]) ? 2 : 1;
			if (*e)
				e++;
			/* A string followed by ':' is a key. */
			fprintf(f, "%s%.*s%s", e[0] == ':' ? key : str, (int)(e - s), s, reset);
			s = e;
		} else if ((*s >= '0' && *s <= '9') || *s == '-') {
			size_t n = strspn(s, "0123456789+-.eE");

			fprintf(f, "%s%.*s%s", num, (int)n, s, reset);
			s += n;
		} else if (!strncmp(s, "true", 4) || !strncmp(s, "null", 4) || !strncmp(s, "false", 5)) {
			size_t n = s[0] == 'f' ? 5 : 4;

			fprintf(f, "%s%.*s%s", lit, (int)n, s, reset);
			s += n;
		} else {
			fputc(*s++, f);
		}
	}
}

/* VHUCTL_JSON_LOG=FILE: every object printed is also appended to FILE,
 * compact, one per line (the test suite checks them against the schema).
 * One write(2) per object, so that processes sharing FILE do not mix. */
static int log_fd = -1;

void out_init(void)
{
	const char *path = getenv("VHUCTL_JSON_LOG");

	/* Opened before anything runs: the fds 'status' counts stay the same. */
	if (path && *path)
		log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

static void log_copy(const char *text, size_t len)
{
	char *line;

	if (log_fd < 0 || !(line = malloc(len + 1)))
		return;
	memcpy(line, text, len);
	line[len] = '\n';
	if (write(log_fd, line, len + 1) < 0) {
		/* the copy is best effort: stdout has the result */
	}
	free(line);
}

static void stamp(struct json_object *o)
{
	if (json_object_is_type(o, json_type_object) &&
	    !json_object_object_get_ex(o, "schema_version", NULL))
		json_object_object_add(o, "schema_version", json_object_new_int(VHUCTL_SCHEMA_VERSION));
}

/* O written into W, with "schema_version" as its last member when it has
 * none: added to the text, not to O (an insert into O and its removal
 * later cost more than the rest of printing a request's result). */
#define TEXT_(x) #x
#define TEXT(x) TEXT_(x)

/* "schema_version" as the last member of the object W holds. */
static void stamp_text(struct jw *w)
{
	static const char member[] = "\"schema_version\":" TEXT(VHUCTL_SCHEMA_VERSION) "}";

	if (w->oom || !w->len || w->buf[w->len - 1] != '}')
		return;
	if (w->len >= sizeof(member) - 1 && memcmp(w->buf + w->len - (sizeof(member) - 1), member, sizeof(member) - 1) == 0)
		return;	/* stamped already */
	if (!jw_room(w, sizeof(member)))
		return;
	w->len--;	/* the closing brace: the member goes before it */
	if (w->buf[w->len - 1] != '{')
		w->buf[w->len++] = ',';
	memcpy(w->buf + w->len, member, sizeof(member));	/* with its NUL */
	w->len += sizeof(member) - 1;
}

static void write_stamped(struct jw *w, struct json_object *o)
{

	jw_value(w, o);
	if (json_object_is_type(o, json_type_object) && !json_object_object_get_ex(o, "schema_version", NULL))
		stamp_text(w);
}

struct json_object *out_plain(struct json_object *o)
{
	struct json_object *plain = NULL;
	struct jw w;

	stamp(o);
	jw_init(&w);
	jw_value(&w, o);
	if (!w.oom) {
		log_copy(w.buf, w.len);
		plain = json_tokener_parse(w.buf);
	}
	jw_free(&w);
	return plain;
}

bool out_print(const struct session *s, struct json_object *o)
{
	return s->out == OUT_TEXT ? out_text(s, o) : out_json(s, o);
}

bool out_record(FILE *f, struct json_object *o)
{
	struct jw w;

	jw_init(&w);
	write_stamped(&w, o);
	if (!w.oom) {
		fwrite(w.buf, 1, w.len, f);
		putc('\n', f);
	}
	jw_free(&w);
	return !w.oom && !ferror(f);
}

/* The printer's buffer, kept from one object to the next (under 64 KiB):
 * a result per request otherwise costs a malloc and a free. */
static struct jw out_w;

/* TEXT (compact JSON, LEN bytes) on stdout as the session prints JSON. */
static bool print_json_text(const struct session *s, const char *text, size_t len)
{
	struct printbuf *pb = NULL;

	log_copy(text, len);
	if (s->out != OUT_COMPACT && (pb = printbuf_new())) {
		jw_pretty(pb, text, len, 0);
		text = pb->buf;
		len = (size_t)pb->bpos;
	}
	if (s->color)
		print_colored(text, stdout);
	else
		fwrite(text, 1, len, stdout);
	putc('\n', stdout);
	if (pb)
		printbuf_free(pb);
	/* A terminal or a pipe (jq) wants each object as it is made. A file
	 * gets them in blocks while requests are answered fast; a wait (or the
	 * end, or a signal) writes out what is held (wire_set_idle). */
	if (!s->out_buffered)
		fflush(stdout);
	return !ferror(stdout);
}

static void out_w_done(void)
{
	if (out_w.oom || out_w.cap > 65536)
		jw_free(&out_w);
}

bool out_json(const struct session *s, struct json_object *o)
{
	bool ok;

	/* Written by jw, not json-c: a request's result is printed as often as
	 * requests are made, and json-c's printer costs more than the rest. */
	jw_reset(&out_w);
	write_stamped(&out_w, o);
	ok = out_w.oom ? print_json_text(s, "null", 4) : print_json_text(s, out_w.buf, out_w.len);
	out_w_done();
	return ok;
}

bool out_json_jw(const struct session *s, struct jw *w)
{
	stamp_text(w);
	return w->oom ? print_json_text(s, "null", 4) : print_json_text(s, w->buf, w->len);
}

bool out_record_jw(FILE *f, struct jw *w)
{
	stamp_text(w);
	if (w->oom)
		return false;
	fwrite(w->buf, 1, w->len, f);
	putc('\n', f);
	return !ferror(f);
}

bool out_direct(struct session *s, const char *name, struct json_object *rest, unsigned at,
		const struct jw *members)
{
	static const char tail[] = "\"ok\":true,\"schema_version\":" TEXT(VHUCTL_SCHEMA_VERSION) "}";
	unsigned i = 0;
	bool ok;

	jw_reset(&out_w);
	jw_obj(&out_w);
	jw_key(&out_w, "command");
	jw_ident(&out_w, name);	/* a command name, from the table */
	json_object_object_foreach(rest, key, val) {
		if (i++ == at && members->len)
			jw_raw(&out_w, members->buf, members->len);
		jw_member(&out_w, key, val);
	}
	if (i <= at && members->len)
		jw_raw(&out_w, members->buf, members->len);
	jw_raw(&out_w, tail, sizeof(tail) - 1);
	if (out_w.oom) {
		out_w_done();
		return print_json_text(s, "null", 4);
	}
	ok = print_json_text(s, out_w.buf, out_w.len);
	session_keep_text(s, out_w.buf, out_w.len);
	out_w_done();
	return ok;
}

bool out_result(const struct session *s, struct json_object *o, enum cmd_show show)
{
	if (s->quiet)
		return true;
	if (show == SHOW_TEXT || (show == SHOW_AUTO && s->text))
		return out_text(s, o);
	if (show == SHOW_JSON || show == SHOW_AUTO)
		return out_json(s, o);
	return out_print(s, o);
}

void out_flush(void)
{
	fflush(stdout);
}

void out_event(struct session *s, struct json_object *ev)
{
	if (s->quiet)
		return;
	out_print(s, ev);
	fflush(stdout);
}

/* --color for stderr: -1 auto, 0 never, 1 always. Set once, from the
 * options, before anything is printed. */
static int stderr_color = -1;

void out_set_stderr_color(int color)
{
	stderr_color = color;
}

bool out_stderr_color(void)
{
	return stderr_color == 1 || (stderr_color == -1 && isatty(2) && !getenv("NO_COLOR"));
}
