/* complete.c - what can come next on a command line, from the command table:
 * command names, argument names, enumerations, features, rings, paths. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cmd/cmd.h"
#include "core/features.h"
#include "core/proto.h"
#include "shell/complete.h"

struct ctx {
	struct completion *c;
	const struct session *s;
	const char *line;
	size_t start;
};

static void cand_add(struct completion *c, const char *prefix, const char *word, const char *suffix)
{
	size_t n = strlen(prefix), wl = strlen(word), sl = suffix ? strlen(suffix) : 0;
	char *s;

	if (strncasecmp(word, prefix, n) != 0)
		return;
	for (size_t i = 0; i < c->n; i++)
		if (strncmp(c->cands[i], word, wl) == 0 && strcmp(c->cands[i] + wl, suffix ? suffix : "") == 0)
			return;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		char **nc = realloc(c->cands, cap * sizeof(*nc));

		if (!nc)
			return;
		c->cands = nc;
		c->cap = cap;
	}
	if (!(s = malloc(wl + sl + 1)))
		return;
	memcpy(s, word, wl);
	memcpy(s + wl, suffix ? suffix : "", sl + 1);
	c->cands[c->n++] = s;
}

static void complete_commands(struct completion *c, const char *text)
{
	unsigned n;
	const struct cmd_def *t = cmd_table(&n);
	bool upper = text[0] >= 'A' && text[0] <= 'Z';

	for (unsigned i = 0; i < n; i++) {
		char first[48];
		const char *sp = strchr(t[i].name, ' ');

		if (upper && t[i].req) {
			cand_add(c, text, t[i].req->name, NULL);
			continue;
		}
		if (sp) {
			snprintf(first, sizeof(first), "%.*s", (int)(sp - t[i].name), t[i].name);
			cand_add(c, text, first, NULL);
		} else {
			cand_add(c, text, t[i].name, NULL);
		}
	}
}

/* Paths that start with TEXT (after AT, the '@' of an @FILE argument):
 * directories end in '/', so that the path goes on. */
static void complete_paths(struct completion *c, const char *text, const char *at)
{
	const char *slash = strrchr(text, '/');
	char dir[4096], base[256], cand[4096 + 256 + 4];
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - text + 1) : 0, text);
	snprintf(base, sizeof(base), "%s", slash ? slash + 1 : text);
	if (!(d = opendir(dir[0] ? dir : ".")))
		return;
	c->files = true;
	while ((e = readdir(d))) {
		struct stat st;
		bool is_dir;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    (e->d_name[0] == '.' && base[0] != '.') || strncmp(e->d_name, base, strlen(base)) != 0)
			continue;
		snprintf(cand, sizeof(cand), "%s%s", dir, e->d_name);
		is_dir = stat(cand, &st) == 0 && S_ISDIR(st.st_mode);
		snprintf(cand, sizeof(cand), "%s%s%s", at, dir, e->d_name);
		cand_add(c, "", cand, is_dir ? "/" : NULL);
	}
	closedir(d);
	if (c->n == 1 && c->cands[0][strlen(c->cands[0]) - 1] == '/')
		c->no_space = true;
}

/* Feature names: the ones the back-end offered first (in table order, not
 * sorted), then the rest, which stay sendable on purpose. */
static void complete_features(struct ctx *x, const char *text, const struct arg_spec *a)
{
	const struct conn *cn = &x->s->conn;
	bool known = a->type == ARG_PFEATURES ? cn->have_proto : cn->have_features;
	uint64_t offer = a->type == ARG_PFEATURES ? cn->proto : cn->features;
	unsigned n;

	x->c->no_space = true;	/* a list: FEATURE,FEATURE */
	x->c->keep_order = known;
	for (int pass = 0; pass < (known ? 2 : 1); pass++) {
		bool want = pass == 0;

		if (a->type == ARG_PFEATURES) {
			const struct vhu_proto_feature *f = proto_features(&n);

			for (unsigned i = 0; i < n; i++)
				if (!known || (bool)(offer >> f[i].bit & 1) == want)
					cand_add(x->c, text, f[i].name, NULL);
		} else if (a->type == ARG_STATUS) {
			const struct vhu_feature *f = features_status(&n);

			for (unsigned i = 0; pass == 0 && i < n; i++)
				cand_add(x->c, text, f[i].name, NULL);
		} else {
			const struct vhu_feature *f = features_transport(&n);

			for (unsigned i = 0; i < n; i++)
				if (!known || (bool)(offer >> f[i].bit & 1) == want)
					cand_add(x->c, text, f[i].name, NULL);
			f = features_device(x->s->dev, &n);
			for (unsigned i = 0; f && i < n; i++)
				if (f[i].bit < 64 && (!known || (bool)(offer >> f[i].bit & 1) == want))
					cand_add(x->c, text, f[i].name, NULL);
		}
	}
}

static void complete_value(struct ctx *x, const char *text, const struct arg_spec *a, const char *cmd)
{
	static const char *const bools[] = { "on", "off", NULL };
	struct completion *c = x->c;
	char num[16];

	switch (a->type) {
	case ARG_FEATURES:
	case ARG_PFEATURES:
	case ARG_STATUS:
		complete_features(x, text, a);
		break;
	case ARG_BOOL:
		for (unsigned i = 0; bools[i]; i++)
			cand_add(c, text, bools[i], NULL);
		break;
	case ARG_ENUM:
		for (const struct arg_enum *e = a->enums; e && e->name; e++)
			cand_add(c, text, e->name, NULL);
		break;
	case ARG_PATH:
		complete_paths(c, text, "");
		break;
	case ARG_HEX:	/* bytes, or @FILE to take them from */
		if (text[0] == '@')
			complete_paths(c, text + 1, "@");
		break;
	case ARG_STRING:
		if (text[0] == '@') {	/* "hex or @FILE" arguments */
			complete_paths(c, text + 1, "@");
		} else if (strcmp(cmd, "help") == 0) {
			complete_commands(c, text);
		} else if (strcmp(cmd, "device") == 0) {
			unsigned n;
			const enum vhu_device *d = features_devices(&n);

			for (unsigned i = 0; i < n; i++)
				cand_add(c, text, features_device_name(d[i]), NULL);
		} else if (strcmp(cmd, "raw") == 0) {
			unsigned n;
			const struct vhu_request *r = proto_requests(SIDE_FRONTEND, &n);

			for (unsigned i = 0; i < n; i++)
				cand_add(c, text, r[i].name, NULL);
		}
		break;
	case ARG_U32:
		if (strcmp(a->name, "index") == 0) {	/* rings that have fds */
			for (unsigned i = 0; i < SESSION_RINGS; i++) {
				const struct ring_fds *r = &x->s->ring[i];

				if (r->kick >= 0 || r->call >= 0 || r->err >= 0) {
					snprintf(num, sizeof(num), "%u", i);
					cand_add(c, text, num, NULL);
				}
			}
		}
		break;
	default:
		break;
	}
}

/* Split the line before START into words (plain blanks: enough to know
 * which command and argument the cursor is in). */
static unsigned line_words(const char *line, size_t start, char words[][128], unsigned max)
{
	unsigned n = 0;
	size_t i = 0;

	while (i < start && n < max) {
		size_t b;

		while (i < start && (line[i] == ' ' || line[i] == '\t'))
			i++;
		b = i;
		while (i < start && line[i] != ' ' && line[i] != '\t')
			i++;
		if (i > b) {
			snprintf(words[n], 128, "%.*s", (int)(i - b), line + b);
			n++;
		}
	}
	return n;
}

/* The value of key= (BEFORE is '='), or the next item of a comma list. */
static void complete_keyed(struct ctx *x, const struct cmd_def *c, const char *text, char before)
{
	const char *line = x->line;
	size_t k = x->start - 1, e;
	char key[64];

	while (k > 0 && line[k - 1] != ' ' && line[k] != '=')
		k--;
	e = k;
	while (k > 0 && line[k - 1] != ' ')
		k--;
	snprintf(key, sizeof(key), "%.*s", (int)(e - k), line + k);
	for (unsigned i = 0; i < c->nargs; i++) {
		if (before == '=' ? strcmp(c->args[i].name, key) == 0 :
		    (c->args[i].type == ARG_FEATURES || c->args[i].type == ARG_PFEATURES ||
		     c->args[i].type == ARG_STATUS)) {
			complete_value(x, text, &c->args[i], c->name);
			break;
		}
	}
}

static void complete_args(struct ctx *x, const char *text, char words[][128], unsigned nw)
{
	struct tok t[2] = { { .text = words[0] }, { .text = nw > 1 ? words[1] : NULL } };
	unsigned used = 0, npos = 0;
	const struct cmd_def *c = cmd_find(t, nw > 1 ? 2 : 1, &used);
	char before = x->start > 0 ? x->line[x->start - 1] : ' ';

	if (!c) {
		/* Two-word commands: after "vring ", offer "setup", "post", ... */
		unsigned n;
		const struct cmd_def *tb = cmd_table(&n);
		size_t l = strlen(words[0]);

		for (unsigned i = 0; nw == 1 && i < n; i++)
			if (strncmp(tb[i].name, words[0], l) == 0 && tb[i].name[l] == ' ')
				cand_add(x->c, text, tb[i].name + l + 1, NULL);
		return;
	}
	if (before == '=' || before == ',') {
		complete_keyed(x, c, text, before);
		return;
	}
	/* Positional arguments already typed, keys not yet used. */
	for (unsigned w = used; w < nw; w++)
		if (!strchr(words[w], '='))
			npos++;
	for (unsigned i = 0, pos = 0; i < c->nargs; i++) {
		const struct arg_spec *a = &c->args[i];
		bool given = false;

		for (unsigned w = used; w < nw; w++) {
			size_t l = strlen(a->name);

			if ((strncmp(words[w], a->name, l) == 0 && words[w][l] == '=') ||
			    (a->type == ARG_FLAG && strcmp(words[w], a->name) == 0))
				given = true;
		}
		if (a->type == ARG_FLAG) {
			if (!given)
				cand_add(x->c, text, a->name, NULL);
			continue;
		}
		if (!a->key_only && !given) {
			unsigned my = pos++;

			if (my < npos)
				continue;	/* already given by position */
			if (my == npos)
				complete_value(x, text, a, c->name);
		}
		if (!given)
			cand_add(x->c, text, a->name, "=");
	}
}

void complete_line(struct completion *c, const struct session *s, const char *line, size_t start,
		   const char *text)
{
	char words[16][128];
	const char *semi;
	struct ctx x;
	unsigned nw;

	for (size_t i = 0; i < c->n; i++)
		free(c->cands[i]);
	c->n = 0;
	c->no_space = c->keep_order = c->files = false;
	/* Only the command after the last ';' before the word counts. */
	for (semi = line + start; semi > line && semi[-1] != ';'; semi--)
		;
	x = (struct ctx){ .c = c, .s = s, .line = semi, .start = start - (size_t)(semi - line) };
	nw = line_words(x.line, x.start, words, 16);
	if (nw == 0)
		complete_commands(c, text);
	else
		complete_args(&x, text, words, nw);
	/* No space after "key=". */
	if (c->n == 1 && c->cands[0][0] && c->cands[0][strlen(c->cands[0]) - 1] == '=')
		c->no_space = true;
}

size_t complete_word_start(const char *line)
{
	size_t n = strlen(line);

	while (n > 0 && !strchr(" \t=,;", line[n - 1]))
		n--;
	return n;
}

void complete_free(struct completion *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->cands[i]);
	free(c->cands);
	*c = (struct completion){ 0 };
}
