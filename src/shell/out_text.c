/* out_text.c - results and events as text for a person: a renderer per kind, the rest member by member. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shell/out.h"

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
		json_object_get_string(v) : NULL;
}

static struct json_object *array(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_array) ? v : NULL;
}

/* "  NAME   SUMMARY" a command. */
static void text_entries(FILE *f, struct json_object *cmds)
{
	for (size_t i = 0; i < json_object_array_length(cmds); i++) {
		struct json_object *c = json_object_array_get_idx(cmds, i);

		fprintf(f, "  %-24s %s\n", str(c, "name"), str(c, "summary"));
	}
}

/* help: the groups, then how to learn more, naming the groups of two-word
 * commands as the list shows them. */
static void text_listing(FILE *f, struct json_object *groups)
{
	char words[200] = "";

	for (size_t i = 0; i < json_object_array_length(groups); i++) {
		struct json_object *g = json_object_array_get_idx(groups, i), *cmds = array(g, "commands");

		fprintf(f, "%s%s:\n", i ? "\n" : "", str(g, "name"));
		if (!cmds)
			continue;
		text_entries(f, cmds);
		for (size_t k = 0; k < json_object_array_length(cmds); k++) {
			const char *name = str(json_object_array_get_idx(cmds, k), "name");
			const char *sp = name ? strchr(name, ' ') : NULL;
			char first[40];

			if (!sp || (size_t)(sp - name) + 3 >= sizeof(first))
				continue;
			snprintf(first, sizeof(first), " %.*s,", (int)(sp - name), name);
			if (!strstr(words, first) && strlen(words) + strlen(first) < sizeof(words))
				strcat(words, first);
		}
	}
	if (words[0])
		words[strlen(words) - 1] = '\0';
	fprintf(f, "\n'help COMMAND' shows a command's arguments%s%s%s.\n",
		words[0] ? "; 'help GROUP' lists a group's commands (GROUP:" : "", words, words[0] ? ")" : "");
}

static void text_group(FILE *f, const char *topic, struct json_object *cmds)
{
	fprintf(f, "%s:\n", topic);
	text_entries(f, cmds);
	fprintf(f, "\n'help %s COMMAND' shows a command's arguments.\n", topic);
}

static const char *reply_text(const char *reply)
{
	if (reply && strcmp(reply, "always") == 0)
		return "always answered";
	if (reply && strcmp(reply, "if-log-shmfd") == 0)
		return "answered once LOG_SHMFD is negotiated";
	return "acknowledged only with REPLY_ACK and NEED_REPLY";
}

static void text_command(FILE *f, struct json_object *o)
{
	struct json_object *req, *args = array(o, "arguments"), *num;
	const char *v;

	fprintf(f, "usage: %s\n\n%s\n", str(o, "usage"), str(o, "summary"));
	if (json_object_object_get_ex(o, "request", &req) && req) {
		json_object_object_get_ex(req, "number", &num);
		v = str(req, "payload_kind");
		fprintf(f, "\nSends VHOST_USER_%s (front-end request %d): %s payload, %s.\n", str(req, "name"),
			json_object_get_int(num), v && strcmp(v, "none") == 0 ? "no" : v,
			reply_text(str(req, "reply_policy")));
		if ((v = str(req, "protocol_feature")))
			fprintf(f, "Needs VHOST_USER_PROTOCOL_F_%s.\n", v);
	}
	if ((v = str(o, "spec")))
		fprintf(f, "Spec: %s.\n", v);
	if ((v = str(o, "description")))
		fprintf(f, "\n%s\n", v);
	if (args && json_object_array_length(args)) {
		fprintf(f, "\narguments:\n");
		for (size_t i = 0; i < json_object_array_length(args); i++) {
			struct json_object *a = json_object_array_get_idx(args, i), *req_v;

			json_object_object_get_ex(a, "required", &req_v);
			fprintf(f, "  %-14s %s%s\n", str(a, "name"), str(a, "help"),
				json_object_get_boolean(req_v) ? " (required)" : "");
		}
	}
	if ((v = str(o, "example")))
		fprintf(f, "\nexample:\n  %s\n", v);
}

/* --- the text view of results ---------------------------------------------
 * Brief, as ip -br and busctl are: a request is one line, a ring a table,
 * bytes a hexdump. What a renderer does not show itself is shown member by
 * member (show_members), so that no member goes unseen. */

#define BOLD "\033[1m"
#define RESET "\033[0m"

struct tx {
	FILE *f;
	bool bold;			/* names in bold: a terminal that takes colour */
	const char *shown[16];		/* members of the object at hand its renderer showed */
	unsigned nshown;
	bool nested;			/* inside the result: no envelope to leave out */
};

static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static void name(struct tx *t, const char *n)
{
	fprintf(t->f, "%s%s%s", t->bold ? BOLD : "", n, t->bold ? RESET : "");
}

/* A failed result's name: what it shows is what it found before failing
 * (its error is on stderr). */
static void command_name(struct tx *t, struct json_object *o)
{
	struct json_object *ok = member(o, "ok");

	name(t, str(o, "command"));
	if (ok && !json_object_get_boolean(ok))
		fputs(" [failed]", t->f);
}

static bool shown(const struct tx *t, const char *key)
{
	static const char *const envelope[] = { "command", "ok", "error", "schema_version", "event" };

	for (size_t i = 0; !t->nested && i < sizeof(envelope) / sizeof(envelope[0]); i++)
		if (strcmp(key, envelope[i]) == 0)
			return true;
	for (unsigned i = 0; i < t->nshown; i++)
		if (strcmp(key, t->shown[i]) == 0)
			return true;
	return false;
}

static void mark(struct tx *t, const char *key)
{
	if (t->nshown < sizeof(t->shown) / sizeof(t->shown[0]))
		t->shown[t->nshown++] = key;
}

/* A mask: {"value", "names"[, "unknown_bits"]}. */
static bool is_mask(struct json_object *v)
{
	int n = json_object_is_type(v, json_type_object) ? json_object_object_length(v) : 0;

	return n >= 2 && n <= 3 && str(v, "value") && array(v, "names") &&
	       (n == 2 || array(v, "unknown_bits"));
}

/* Bytes read from memory: {"len", "hex", "text"}. */
static bool is_data(struct json_object *v)
{
	return json_object_is_type(v, json_type_object) && json_object_object_length(v) == 3 &&
	       member(v, "len") && str(v, "hex") && str(v, "text");
}

/* A bit's name without its prefix, up to the first "_F_": the spec's name
 * still, as grep finds it (VIRTIO_BLK_F_SEG_MAX is SEG_MAX). */
static const char *short_bit(const char *n)
{
	const char *f = strstr(n, "_F_");

	return f && f[3] ? f + 3 : n;
}

static void put_mask(FILE *f, struct json_object *m)
{
	struct json_object *names = array(m, "names"), *unk = array(m, "unknown_bits");

	fputs(str(m, "value"), f);
	for (size_t i = 0; i < json_object_array_length(names); i++)
		fprintf(f, " %s", short_bit(json_object_get_string(json_object_array_get_idx(names, i))));
	for (size_t i = 0; unk && i < json_object_array_length(unk); i++)
		fprintf(f, "%sbit%d", i ? "," : " unknown:", json_object_get_int(json_object_array_get_idx(unk, i)));
}

static bool all_zero(const char *hex)
{
	return strspn(hex, "0") == strlen(hex);
}

static void put_inline(FILE *f, struct json_object *v);

/* K=V K=V: an object on one line; nested objects in braces. */
static void put_pairs(FILE *f, struct json_object *o, const char *sep)
{
	bool first = true;

	json_object_object_foreach(o, k, v) {
		if (strcmp(k, "schema_version") == 0)
			continue;
		fprintf(f, "%s%s=", first ? "" : sep, k);
		first = false;
		put_inline(f, v);
	}
}

/* Any value on one line, whole. */
static void put_inline(FILE *f, struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		fputs("-", f);
		break;
	case json_type_string: {
		const char *sv = json_object_get_string(v);

		/* bytes as hex: all-zero runs said in a word */
		if (strlen(sv) > 32 && strspn(sv, "0123456789abcdef") == strlen(sv) && all_zero(sv))
			fprintf(f, "<%zu zero bytes>", strlen(sv) / 2);
		else
			fputs(*sv ? sv : "\"\"", f);
		break;
	}
	case json_type_object:
		if (is_mask(v)) {
			put_mask(f, v);
		} else if (is_data(v)) {
			fprintf(f, "%d bytes %s", json_object_get_int(member(v, "len")), str(v, "hex"));
		} else {
			fputc('{', f);
			put_pairs(f, v, " ");
			fputc('}', f);
		}
		break;
	case json_type_array:
		if (!json_object_array_length(v))
			fputs("-", f);
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			if (i)
				fputc(',', f);
			put_inline(f, json_object_array_get_idx(v, i));
		}
		break;
	default:
		fputs(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN), f);
		break;
	}
}

static char *inline_string(struct json_object *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	put_inline(f, v);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int hexval(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

/* HEX (two digits a byte) as xxd shows it: the address from BASE, eight
 * groups of two bytes, the bytes as ASCII. A line like the one before is
 * a '*', as xxd -a and hexdump -C do. */
static void hexdump(FILE *f, unsigned indent, uint64_t base, const char *hex)
{
	size_t n = strlen(hex) / 2;
	char prev[33] = "", line[33];
	bool starred = false;

	for (size_t off = 0; off < n; off += 16) {
		size_t k = n - off < 16 ? n - off : 16;

		snprintf(line, sizeof(line), "%.*s", (int)(2 * k), hex + 2 * off);
		if (off && k == 16 && strcmp(line, prev) == 0 && off + 16 < n) {
			if (!starred)
				fprintf(f, "%*s*\n", (int)indent, "");
			starred = true;
			continue;
		}
		starred = false;
		memcpy(prev, line, sizeof(prev));
		fprintf(f, "%*s%08" PRIx64 ": ", (int)indent, "", base + off);
		for (size_t i = 0; i < 16; i++)
			fprintf(f, i < k ? "%.2s%s" : "  %s", i < k ? line + 2 * i : " ", i % 2 ? " " : "");
		fputc(' ', f);
		for (size_t i = 0; i < k; i++) {
			int c = hexval(line[2 * i]) * 16 + hexval(line[2 * i + 1]);

			fputc(c >= 0x20 && c < 0x7f ? c : '.', f);
		}
		fputc('\n', f);
	}
}

static uint64_t hex_u64(const char *s)
{
	return s ? strtoull(s, NULL, 16) : 0;
}

/* A cell of a table: a value that fits on a line. */
static bool is_simple(struct json_object *v)
{
	if (json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++)
			if (!is_simple(json_object_array_get_idx(v, i)) ||
			    json_object_is_type(json_object_array_get_idx(v, i), json_type_object))
				return false;
		return json_object_array_length(v) <= 16;
	}
	if (!json_object_is_type(v, json_type_object) || is_mask(v))
		return true;
	if (is_data(v) || json_object_object_length(v) > 4)
		return false;
	json_object_object_foreach(v, k, m) {
		(void)k;
		if (json_object_is_type(m, json_type_object) || json_object_is_type(m, json_type_array))
			return false;
	}
	return true;
}

#define MAX_COLUMNS 24

/* The members ROWS have between them, each once, in COLS (when given),
 * in the order they first come; MAX_COLUMNS + 1 when there are more. */
static size_t columns(struct json_object *rows, const char **cols)
{
	const char *own[MAX_COLUMNS];
	size_t ncols = 0;

	if (!cols)
		cols = own;
	for (size_t r = 0; r < json_object_array_length(rows); r++) {
		json_object_object_foreach(json_object_array_get_idx(rows, r), k, v) {
			size_t c = 0;

			(void)v;
			while (c < ncols && strcmp(cols[c], k) != 0)
				c++;
			if (c == ncols && ncols == MAX_COLUMNS)
				return ncols + 1;
			if (c == ncols)
				cols[ncols++] = k;
		}
	}
	return ncols;
}

/* An array of objects as a table (no more than MAX_COLUMNS members between
 * them): a column per member, in the order they first come; '#' numbers
 * the rows when they have no index of their own. */
static void show_table(struct tx *t, unsigned indent, struct json_object *rows)
{
	const char *cols[MAX_COLUMNS];
	size_t ncols = columns(rows, cols), nrows = json_object_array_length(rows), w[MAX_COLUMNS];
	bool number = true;

	if (ncols > MAX_COLUMNS)
		ncols = MAX_COLUMNS;	/* show_member asks first: not reached */
	for (size_t c = 0; c < ncols; c++)
		if (strcmp(cols[c], "index") == 0)
			number = false;
	for (size_t c = 0; c < ncols; c++)
		w[c] = strlen(cols[c]);
	for (size_t r = 0; r < nrows; r++)
		for (size_t c = 0; c < ncols; c++) {
			struct json_object *v = member(json_object_array_get_idx(rows, r), cols[c]);
			char *cell = v ? inline_string(v) : NULL;

			if (cell && strlen(cell) > w[c])
				w[c] = strlen(cell);
			free(cell);
		}
	fprintf(t->f, "%*s%s%s", (int)indent, "", t->bold ? BOLD : "", number ? "    #" : "");
	for (size_t c = 0; c < ncols; c++)
		fprintf(t->f, "%s%-*s", c || number ? "  " : "", c + 1 == ncols ? 0 : (int)w[c], cols[c]);
	fprintf(t->f, "%s\n", t->bold ? RESET : "");
	for (size_t r = 0; r < nrows; r++) {
		struct json_object *row = json_object_array_get_idx(rows, r);

		fprintf(t->f, "%*s", (int)indent, "");
		if (number)
			fprintf(t->f, "%5zu", r);
		for (size_t c = 0; c < ncols; c++) {
			struct json_object *v = member(row, cols[c]);
			char *cell = v ? inline_string(v) : NULL;
			bool num = v && (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double));

			/* the last column unpadded: no trailing blanks */
			fprintf(t->f, "%s%*s", c || number ? "  " : "",
				num ? (int)w[c] : c + 1 == ncols ? 0 : -(int)w[c], cell ? cell : "");
			free(cell);
		}
		fputc('\n', t->f);
	}
}

static void show_members(struct tx *t, unsigned indent, struct json_object *o);

static bool is_request_result(struct json_object *o)
{
	return member(o, "request") && member(o, "reply_expected");
}

static void request_line(struct tx *t, unsigned indent, struct json_object *o);

/* One member, KEY padded to WIDTH: a line, or a line and what is under it. */
static void show_member(struct tx *t, unsigned indent, int width, const char *key, struct json_object *v)
{
	bool below = (json_object_is_type(v, json_type_object) && !is_mask(v) && !is_data(v) &&
		      json_object_object_length(v)) ||
		     (json_object_is_type(v, json_type_array) && json_object_array_length(v) &&
		      json_object_is_type(json_object_array_get_idx(v, 0), json_type_object));

	/* padded only when the value follows on the line */
	fprintf(t->f, "%*s%s:%*s", (int)indent, "", key, below ? 0 : width - (int)strlen(key), "");
	if (is_data(v)) {
		fprintf(t->f, " %d bytes\n", json_object_get_int(member(v, "len")));
		hexdump(t->f, indent + 2, 0, str(v, "hex"));
	} else if (json_object_is_type(v, json_type_object) && !is_mask(v) && json_object_object_length(v)) {
		fputc('\n', t->f);
		show_members(t, indent + 2, v);
	} else if (json_object_is_type(v, json_type_array) && json_object_array_length(v) &&
		   json_object_is_type(json_object_array_get_idx(v, 0), json_type_object)) {
		bool table = true, steps = true;

		fputc('\n', t->f);
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			struct json_object *e = json_object_array_get_idx(v, i);

			json_object_object_foreach(e, k, m) {
				(void)k;
				table = table && is_simple(m);
			}
			steps = steps && str(e, "command");
		}
		table = table && columns(v, NULL) <= MAX_COLUMNS;
		if (steps) {		/* steps: a line each, as the command alone prints it */
			for (size_t i = 0; i < json_object_array_length(v); i++)
				request_line(t, indent + 2, json_object_array_get_idx(v, i));
		} else if (table) {
			show_table(t, indent + 2, v);
		} else {
			for (size_t i = 0; i < json_object_array_length(v); i++) {
				fprintf(t->f, "%*s[%zu]\n", (int)indent + 2, "", i);
				show_members(t, indent + 4, json_object_array_get_idx(v, i));
			}
		}
	} else {
		char *line = inline_string(v);

		fprintf(t->f, " %s\n", line ? line : "?");
		free(line);
	}
}

/* Every member of O its renderer did not show, aligned: "key: value". */
static void show_members(struct tx *t, unsigned indent, struct json_object *o)
{
	struct tx sub = *t;
	int width = 0;

	/* the marks are for the outermost object only */
	if (indent > 2) {
		sub.nshown = 0;
		sub.nested = true;
	}
	json_object_object_foreach(o, k0, v0) {
		(void)v0;
		if (!shown(&sub, k0) && (int)strlen(k0) > width)
			width = (int)strlen(k0);
	}
	json_object_object_foreach(o, k, v) {
		if (!shown(&sub, k))
			show_member(&sub, indent, width, k, v);
	}
}

static void put_us(FILE *f, struct json_object *us)
{
	double v = json_object_get_double(us);

	fprintf(f, " (%.*f µs)", v < 10 ? 1 : 0, v);
}

/* A message in brief: its payload on the line, its fds by type. */
static void put_message(FILE *f, struct json_object *m)
{
	struct json_object *pl = member(m, "payload"), *fds = array(m, "fds");

	if (pl && json_object_is_type(pl, json_type_object) && json_object_object_length(pl) == 1 &&
	    member(pl, "u64")) {
		fprintf(f, " %s", json_object_get_string(member(pl, "u64")));
	} else if (pl && is_mask(pl)) {
		fputc(' ', f);
		put_mask(f, pl);
	} else if (pl) {
		json_object_object_foreach(pl, k, v) {
			if (strcmp(k, "decoded") == 0 || (strcmp(k, "hex") == 0 && member(pl, "decoded")))
				continue;	/* shown below the line */
			fprintf(f, " %s=", k);
			put_inline(f, v);
		}
	}
	if (member(m, "payload_error")) {
		fprintf(f, " payload_error=\"%s\" payload_hex=%s", str(m, "payload_error"),
			str(m, "payload_hex") ? str(m, "payload_hex") : "-");
	}
	for (size_t i = 0; fds && i < json_object_array_length(fds); i++)
		fprintf(f, " +%s", str(json_object_array_get_idx(fds, i), "type"));
}

/* A config payload's decoded fields and bytes, under its line. */
static void message_below(struct tx *t, unsigned indent, struct json_object *m)
{
	struct json_object *pl = member(m, "payload"), *dec = member(pl, "decoded");

	if (!dec)
		return;
	show_members(&(struct tx){ .f = t->f, .bold = t->bold, .nested = true }, indent + 2, dec);
	if (str(pl, "hex") && !all_zero(str(pl, "hex")))
		hexdump(t->f, indent + 2, (uint64_t)json_object_get_int64(member(pl, "offset")), str(pl, "hex"));
}

/* "mem write gpa=0x1000 written=5": a result on one line, whole. */
static void flat_line(struct tx *t, unsigned indent, struct json_object *o)
{
	fprintf(t->f, "%*s", (int)indent, "");
	command_name(t, o);
	json_object_object_foreach(o, k, v) {
		if (strcmp(k, "command") == 0 || strcmp(k, "schema_version") == 0 || strcmp(k, "ok") == 0)
			continue;
		fprintf(t->f, " %s=", k);
		put_inline(t->f, v);
	}
	fputc('\n', t->f);
}

/* "GET_FEATURES → 0x175007e46 SIZE_MAX SEG_MAX … (26 µs)": a request
 * command's result (or a step of one) on a line. A step that is no request
 * is its command and its members on a line. */
static void request_line(struct tx *t, unsigned indent, struct json_object *o)
{
	struct json_object *req = member(o, "request"), *reply = member(o, "reply"), *ack = member(o, "ack"),
		*w = array(o, "warnings"), *sync = member(o, "sync");
	const char *rn = str(req, "name"), *pn = str(reply, "name");

	if (!is_request_result(o)) {
		flat_line(t, indent, o);
		return;
	}
	fprintf(t->f, "%*s", (int)indent, "");
	if (rn)
		name(t, rn);
	else
		fprintf(t->f, "#%s", json_object_get_string(member(req, "number")));
	put_message(t->f, req);
	if (ack && reply)
		fprintf(t->f, " → ack %s%s", json_object_get_string(member(ack, "u64")),
			json_object_get_boolean(member(ack, "ok")) ? "" : " (failure)");
	else if (reply && json_object_is_type(reply, json_type_object)) {
		fputs(" →", t->f);
		if (!pn || !rn || strcmp(pn, rn) != 0)
			fprintf(t->f, " %s", pn ? pn : json_object_get_string(member(reply, "number")));
		put_message(t->f, reply);
	} else {
		fputs(json_object_get_boolean(member(o, "reply_expected")) ? " → no reply" : " (no reply due)", t->f);
	}
	if (member(o, "rtt_us"))
		put_us(t->f, member(o, "rtt_us"));
	if (sync)
		fprintf(t->f, ", sync %s", json_object_get_boolean(member(sync, "ok")) ? "ok" : "failed");
	if (sync && member(sync, "rtt_us"))
		put_us(t->f, member(sync, "rtt_us"));
	if (json_object_get_boolean(member(o, "disconnected")))
		fputs(", the back-end closed the connection", t->f);
	if (str(o, "outcome"))
		fprintf(t->f, ", %s", str(o, "outcome"));
	if (json_object_get_boolean(member(o, "ok")) == false && member(o, "ok"))
		fputs(" [failed]", t->f);
	fputc('\n', t->f);
	message_below(t, indent, req);
	message_below(t, indent, reply);
	if (member(o, "unexpected_reply")) {
		fprintf(t->f, "%*s  unexpected:", (int)indent, "");
		put_message(t->f, member(o, "unexpected_reply"));
		fputc('\n', t->f);
	}
	if (str(o, "unexpected_reply_error"))
		fprintf(t->f, "%*s  unexpected: %s\n", (int)indent, "", str(o, "unexpected_reply_error"));
	for (size_t i = 0; w && i < json_object_array_length(w); i++)
		fprintf(t->f, "%*s  warning: %s\n", (int)indent, "", json_object_get_string(json_object_array_get_idx(w, i)));
}

static void text_request(struct tx *t, struct json_object *o)
{
	static const char *const own[] = { "request", "reply", "reply_expected", "rtt_us", "ack", "sync",
					   "disconnected", "outcome", "unexpected_reply", "unexpected_reply_error",
					   "warnings" };

	request_line(t, 0, o);
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		mark(t, own[i]);
	show_members(t, 2, o);
}

/* An event: one line, "event NAME: what it carries". */
/* vhuctl monitor's message, one line as busctl monitor has it:
 * "02:10:00.123456 1.5 → SET_VRING_ADDR [NEED_REPLY] index=0 ... +eventfd". */
static bool is_monitor_message(struct json_object *o)
{
	return str(o, "event") && strcmp(str(o, "event"), "message") == 0 && str(o, "direction") &&
	       member(o, "message");
}

static void text_monitor_message(struct tx *t, struct json_object *o)
{
	static const struct { const char *direction, *arrow; } arrows[] = {
		{ "to_backend", "→" }, { "to_frontend", "←" },
		{ "backend_channel_to_frontend", "⇐" }, { "backend_channel_to_backend", "⇒" },
	};
	struct json_object *m = member(o, "message"), *names = array(member(m, "flags"), "names"),
		*reply_to = member(o, "reply_to"), *w = array(o, "warnings");
	const char *time = str(o, "time"), *arrow = "?";

	for (size_t i = 0; i < sizeof(arrows) / sizeof(arrows[0]); i++)
		if (strcmp(arrows[i].direction, str(o, "direction")) == 0)
			arrow = arrows[i].arrow;
	/* the time of day: the date is the same all day long */
	fprintf(t->f, "%.15s %s.%s %s ", time && strlen(time) >= 26 ? time + 11 : "-",
		json_object_get_string(member(o, "session")), json_object_get_string(member(o, "seq")), arrow);
	if (str(m, "name"))
		name(t, str(m, "name"));
	else
		fprintf(t->f, "#%s", json_object_get_string(member(m, "number")));
	for (size_t i = 0; names && i < json_object_array_length(names); i++)
		fprintf(t->f, "%s%s%s", i ? "," : " [", json_object_get_string(json_object_array_get_idx(names, i)),
			i + 1 == json_object_array_length(names) ? "]" : "");
	put_message(t->f, m);
	if (reply_to) {
		fprintf(t->f, " (reply to %s", json_object_get_string(member(reply_to, "seq")));
		if (member(reply_to, "rtt_us"))
			fprintf(t->f, ", %.*f µs", json_object_get_double(member(reply_to, "rtt_us")) < 10 ? 1 : 0,
				json_object_get_double(member(reply_to, "rtt_us")));
		fputc(')', t->f);
	}
	for (size_t i = 0; w && i < json_object_array_length(w); i++)
		fprintf(t->f, "%s%s", i ? "; " : "  warning: ", json_object_get_string(json_object_array_get_idx(w, i)));
	fputc('\n', t->f);
}

static void text_event(struct tx *t, struct json_object *o)
{
	if (is_monitor_message(o)) {
		text_monitor_message(t, o);
		return;
	}
	fputs("event ", t->f);
	name(t, str(o, "event"));
	fputc(':', t->f);
	json_object_object_foreach(o, k, v) {
		if (strcmp(k, "event") == 0 || strcmp(k, "schema_version") == 0)
			continue;
		/* a message: its name and payload, as a message line has them
		 * (a replay's difference shows two replies so) */
		if ((strcmp(k, "message") == 0 || strcmp(k, "request") == 0 || strcmp(k, "recorded") == 0 ||
		     strcmp(k, "replayed") == 0) && json_object_is_type(v, json_type_object)) {
			fprintf(t->f, " %s=%s%s", k, str(v, "name") ? "" : "#",
				str(v, "name") ? str(v, "name") : json_object_get_string(member(v, "number")));
			put_message(t->f, v);
			continue;
		}
		fprintf(t->f, " %s=", k);
		put_inline(t->f, v);
	}
	fputc('\n', t->f);
}

/* vring dump: the ring's place on a line, then its parts, tables where
 * they are lists. */
static void text_ring_dump(struct tx *t, struct json_object *o)
{
	static const char *const areas[] = { "desc_addr", "avail_addr", "used_addr", "driver_event_addr",
					     "device_event_addr" };
	struct json_object *r = member(o, "ring");
	struct tx in = { .f = t->f, .bold = t->bold };

	if (!r) {
		show_members(t, 0, o);
		return;
	}
	name(t, "ring");
	fprintf(t->f, " %s: %s, size %s", json_object_get_string(member(r, "index")), str(r, "layout"),
		json_object_get_string(member(r, "size")));
	mark(&in, "index");
	mark(&in, "layout");
	mark(&in, "size");
	for (size_t i = 0; i < sizeof(areas) / sizeof(areas[0]); i++)
		if (str(r, areas[i])) {
			fprintf(t->f, ", %s %s", areas[i], str(r, areas[i]));
			mark(&in, areas[i]);
		}
	fputc('\n', t->f);
	show_members(&in, 2, r);
	mark(t, "ring");
	show_members(t, 2, o);
}

/* Bytes read (mem read, fs cat): "COMMAND PLACE: N bytes", then a hexdump
 * numbered from BASE, then the other members. */
static void text_data_at(struct tx *t, struct json_object *o, const char *place, uint64_t base)
{
	struct json_object *d = member(o, "data");

	name(t, str(o, "command"));
	fprintf(t->f, " %s: %d bytes\n", place, json_object_get_int(member(d, "len")));
	hexdump(t->f, 0, base, str(d, "hex"));
	mark(t, "data");
	show_members(t, 2, o);
}

/* mem read: a hexdump at the guest address. */
static void text_mem_read(struct tx *t, struct json_object *o)
{
	if (!str(o, "gpa") || !is_data(member(o, "data"))) {
		show_members(t, 0, o);
		return;
	}
	mark(t, "gpa");
	text_data_at(t, o, str(o, "gpa"), hex_u64(str(o, "gpa")));
}

/* "drwxr-xr-x" from a mode (fuse_attr's, an octal string), or from a
 * dirent's type alone (the rest '?'). */
static void put_perms(FILE *f, struct json_object *attr, const char *type)
{
	static const char kinds[] = "?pc?d?b?-?l?s???";
	static const char *const types[] = { "fifo", "char", "directory", "block", "regular", "symlink", "socket" };
	static const char tl[] = "pcdb-ls";
	const char *m = str(attr, "mode");
	unsigned long mode = m ? strtoul(m, NULL, 8) : 0;
	char out[11] = "??????????";

	if (m) {
		out[0] = kinds[(mode >> 12) & 15];
		for (int i = 0; i < 9; i++)
			out[1 + i] = mode & (0400u >> i) ? "rwx"[i % 3] : '-';
	} else {
		for (size_t i = 0; type && i < sizeof(types) / sizeof(types[0]); i++)
			if (strcmp(type, types[i]) == 0)
				out[0] = tl[i];
	}
	fputs(out, f);
}

/* fs ls: a line an entry, as ls -l has them when READDIRPLUS gave the
 * attributes (times in UTC), else type, inode and name. */
static void text_fs_ls(struct tx *t, struct json_object *o)
{
	struct json_object *es = array(o, "entries");

	if (!es || !str(o, "path")) {
		show_members(t, 0, o);
		return;
	}
	name(t, "fs ls");
	fprintf(t->f, " %s: %zu entries\n", str(o, "path"), json_object_array_length(es));
	for (size_t i = 0; i < json_object_array_length(es); i++) {
		struct json_object *e = json_object_array_get_idx(es, i), *en = member(e, "entry"),
				   *a = member(en, "attr");

		if (!json_object_get_int64(member(en, "nodeid")))
			a = NULL;	/* "." and "..": READDIRPLUS looks them up not */

		fputs("  ", t->f);
		put_perms(t->f, a, str(e, "type"));
		if (a) {
			time_t mt = (time_t)json_object_get_int64(member(a, "mtime"));
			struct tm tm;
			char when[32] = "?";

			if (gmtime_r(&mt, &tm))
				strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
			fprintf(t->f, " %3s %5s %5s %10s %s", json_object_get_string(member(a, "nlink")),
				json_object_get_string(member(a, "uid")), json_object_get_string(member(a, "gid")),
				json_object_get_string(member(a, "size")), when);
		} else {
			fprintf(t->f, " %10s", json_object_get_string(member(e, "ino")));
		}
		fprintf(t->f, " %s\n", str(e, "name"));
	}
	mark(t, "path");
	mark(t, "entries");
	mark(t, "count");
	show_members(t, 2, o);
}

/* fs cat: a hexdump at the file offset. */
static void text_fs_cat(struct tx *t, struct json_object *o)
{
	char place[4200];

	if (!str(o, "path") || !member(o, "offset") || !is_data(member(o, "data"))) {
		show_members(t, 0, o);
		return;
	}
	snprintf(place, sizeof(place), "%s at offset %s", str(o, "path"), json_object_get_string(member(o, "offset")));
	mark(t, "path");
	mark(t, "offset");
	text_data_at(t, o, place, (uint64_t)json_object_get_int64(member(o, "offset")));
}

/* --version: "vhuctl 0.1.0", then what the build has. */
static void text_version(struct tx *t, struct json_object *o)
{
	struct json_object *f = member(o, "features");

	name(t, "vhuctl");
	fprintf(t->f, " %s\n", str(o, "version"));
	mark(t, "version");
	if (json_object_is_type(f, json_type_object)) {
		show_members(&(struct tx){ .f = t->f, .bold = t->bold, .nested = true }, 2, f);
		mark(t, "features");
	}
	show_members(t, 2, o);
}

/* Anything else: a line when it is small and flat (mem write, timeout);
 * else its command, then its members as aligned "key: value" lines. */
static void text_generic(struct tx *t, struct json_object *o)
{
	const char *c = str(o, "command");
	int flat = 0;

	json_object_object_foreach(o, k, v) {
		if (shown(t, k))
			continue;
		flat = flat >= 0 && flat < 4 && (!json_object_is_type(v, json_type_object) || is_mask(v)) &&
		       !json_object_is_type(v, json_type_array) ? flat + 1 : -1;
	}
	if (c && flat >= 0 && !t->nshown) {
		flat_line(t, 0, o);
		return;
	}
	if (c) {
		command_name(t, o);
		fputc('\n', t->f);
	}
	show_members(t, 2, o);
}

/* status: its members as aligned "key: value" lines, always. */
static void text_members(struct tx *t, struct json_object *o)
{
	command_name(t, o);
	fputc('\n', t->f);
	show_members(t, 2, o);
}

/* Help's three shapes, the text it always had. */
static void text_help(struct tx *t, struct json_object *o)
{
	struct json_object *groups = array(o, "groups"), *cmds = array(o, "commands");

	if (groups)
		text_listing(t->f, groups);
	else if (cmds)
		text_group(t->f, str(o, "topic"), cmds);
	else if (str(o, "usage"))
		text_command(t->f, o);
	else
		text_generic(t, o);
}

/* expect: the assertion, whether it held, and what it found. */
static void text_expect(struct tx *t, struct json_object *o)
{
	struct json_object *ok = member(o, "ok"), *found = member(o, "found");
	const char *f = found ? json_object_to_json_string_ext(found, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE) : NULL;

	fprintf(t->f, "expect %s: %s", str(o, "assertion") ? str(o, "assertion") : "?",
		ok && json_object_get_boolean(ok) ? "holds" : "does not hold");
	if (f && strlen(f) > 200)
		fprintf(t->f, " (found %.200s...)", f);
	else if (f)
		fprintf(t->f, " (found %s)", f);
	fputc('\n', t->f);
}

/* bench: the figures in a line, the latency percentiles as a table, then
 * the rest member by member. */
static void text_bench(struct tx *t, struct json_object *o)
{
	static const char *const pct[] = { "min", "mean", "p50", "p90", "p99", "p99_9", "max" };
	static const char *const blk[] = { "rw", "bs", "iodepth", "queues", "ios", "iops", "mb_s", "elapsed_s" };
	static const char *const net[] = { "size", "burst", "sent", "tx_pps", "received", "rx_pps", "lost", "elapsed_s" };
	static const char *const req[] = { "request", "count", "per_second", "elapsed_s" };
	struct json_object *lat = member(o, "latency_us");
	const char *c = str(o, "command");
	const char *const *keys = blk;
	size_t nk = sizeof(blk) / sizeof(blk[0]);

	if (strcmp(c, "bench net") == 0)
		keys = net, nk = sizeof(net) / sizeof(net[0]);
	else if (strcmp(c, "bench request") == 0)
		keys = req, nk = sizeof(req) / sizeof(req[0]);
	if (!member(o, "elapsed_s")) {
		show_members(t, 0, o);
		return;
	}
	name(t, c);
	for (size_t i = 0; i < nk; i++)
		if (member(o, keys[i])) {
			if (strcmp(keys[i], "request") == 0)	/* the request's name alone */
				fprintf(t->f, " %s", json_object_get_string(member(o, keys[i])));
			else
				fprintf(t->f, " %s=%s", keys[i], json_object_get_string(member(o, keys[i])));
			mark(t, keys[i]);
		}
	fputc('\n', t->f);
	if (lat) {
		fputs("  latency_us", t->f);
		for (size_t i = 0; i < sizeof(pct) / sizeof(pct[0]); i++)
			fprintf(t->f, " %9s", pct[i]);
		fputs("\n            ", t->f);
		for (size_t i = 0; i < sizeof(pct) / sizeof(pct[0]); i++)
			fprintf(t->f, " %9.1f", json_object_get_double(member(lat, pct[i])));
		fputc('\n', t->f);
		mark(t, "latency_us");
	}
	show_members(t, 2, o);
}

/* The renderers, by command; then by the kind of object. */
static const struct renderer {
	const char *command;
	bool (*is)(struct json_object *o);
	void (*show)(struct tx *t, struct json_object *o);
} renderers[] = {
	{ "help", NULL, text_help },
	{ "vring dump", NULL, text_ring_dump },
	{ "mem read", NULL, text_mem_read },
	{ "fs ls", NULL, text_fs_ls },
	{ "fs cat", NULL, text_fs_cat },
	{ "version", NULL, text_version },
	{ "status", NULL, text_members },
	{ "expect", NULL, text_expect },
	{ "bench blk", NULL, text_bench },
	{ "bench net", NULL, text_bench },
	{ "bench request", NULL, text_bench },
	{ NULL, is_request_result, text_request },	/* every request command, and raw */
};

static void render(struct tx *t, struct json_object *o)
{
	const char *c = str(o, "command");

	if (str(o, "event")) {
		text_event(t, o);
		return;
	}
	for (size_t i = 0; i < sizeof(renderers) / sizeof(renderers[0]); i++) {
		const struct renderer *r = &renderers[i];

		if ((r->command && c && strcmp(r->command, c) == 0) || (r->is && r->is(o))) {
			r->show(t, o);
			return;
		}
	}
	text_generic(t, o);
}

/* A failure is on stderr already (file:line:col: error: ...): what the
 * object holds besides is shown, as it would be had it worked. */
static bool says_more(struct json_object *o)
{
	json_object_object_foreach(o, k, v) {
		(void)v;
		if (strcmp(k, "command") && strcmp(k, "ok") && strcmp(k, "error") && strcmp(k, "schema_version"))
			return true;
	}
	return false;
}

bool out_text(const struct session *s, struct json_object *o)
{
	struct tx t = { .bold = s->color };
	struct json_object *plain;
	char *text = NULL;
	size_t len = 0;
	bool ok, help;

	if (!json_object_is_type(o, json_type_object) || !(plain = out_plain(o)))
		return out_json(s, o);
	if (member(plain, "ok") && !json_object_get_boolean(member(plain, "ok")) && !says_more(plain)) {
		json_object_put(plain);
		return true;
	}
	help = str(plain, "command") && strcmp(str(plain, "command"), "help") == 0;
	t.f = open_memstream(&text, &len);
	if (t.f) {
		render(&t, plain);
		if (fclose(t.f) != 0) {
			free(text);
			text = NULL;
		}
	}
	json_object_put(plain);
	if (!text)
		return false;
	/* Help is paged, as it always was; results and events are not: a
	 * script's results come one after the other, and an event comes while
	 * the prompt is in use. */
	if (help) {
		ok = pager_write(s, text, len);
	} else {
		fwrite(text, 1, len, stdout);
		if (!s->out_buffered)
			fflush(stdout);
		ok = !ferror(stdout);
	}
	free(text);
	return ok;
}
