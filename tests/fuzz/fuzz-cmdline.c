/* fuzz-cmdline.c - the tokenizer and the argument parser: the input is a
 * script as 'vhuctl -f' reads it. Each command found in the command table
 * has its arguments parsed against its spec (feature names for the device
 * the last 'device' command named); an unknown one gets its suggestion.
 * Nothing runs and nothing is sent. Every token and every error must point
 * inside the source, and the tokenizer must move on at every step. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "fuzz.h"
#include "cmd/tok.h"

/* Offsets where each source line starts; *n receives the line count. */
static size_t *line_starts(const char *src, size_t len, unsigned *n)
{
	size_t *ls = malloc((len + 1) * sizeof(*ls));

	FUZZ_CHECK(ls, "out of memory");
	*n = 1;
	ls[0] = 0;
	for (size_t i = 0; i < len; i++)
		if (src[i] == '\n')
			ls[(*n)++] = i + 1;
	return ls;
}

/* Where (LINE, COL) is in the source: inside it, on a line that has it. */
static size_t offset_of(size_t len, const size_t *ls, unsigned nlines, unsigned line, unsigned col)
{
	FUZZ_CHECK(line >= 1 && line <= nlines && col >= 1, "position %u:%u outside %u lines",
		   line, col, nlines);
	FUZZ_CHECK(ls[line - 1] + col - 1 <= len && (line == nlines || ls[line - 1] + col - 1 < ls[line]),
		   "column %u past the end of line %u", col, line);
	return ls[line - 1] + col - 1;
}

/* An error is shown with its source line (run.c's print_located): the
 * line tok_source_line finds must be the one the error is on. */
static void check_error(const struct tok_error *te, const char *src, size_t len,
			const size_t *ls, unsigned nlines)
{
	const char *l;
	size_t ll;

	FUZZ_CHECK(te->msg[0], "an error without a message");
	offset_of(len, ls, nlines, te->line, te->col);
	l = tok_source_line(src, len, te->line, &ll);
	FUZZ_CHECK(l == src + ls[te->line - 1] && te->col - 1 <= ll,
		   "tok_source_line(%u) is not the line of the error at %u:%u", te->line, te->line, te->col);
}

static void check_tokens(const struct tok_cmd *c, const char *src, size_t len,
			 const size_t *ls, unsigned nlines)
{
	for (unsigned i = 0; i < c->n; i++) {
		const struct tok *t = &c->v[i];
		size_t at = offset_of(len, ls, nlines, t->line, t->col);

		FUZZ_CHECK(t->text && t->len >= 1 && at + t->len <= len,
			   "token %u at %u:%u spans %u characters of %zu", i, t->line, t->col, t->len, len);
		FUZZ_CHECK(!strchr(" \t\r\n;#", src[at]) || !src[at],
			   "token %u at %u:%u starts on a separator", i, t->line, t->col);
	}
}

/* A "did you mean 'X'" in MSG names what can be typed: a command, or a group.
 * The message quotes the word that was typed, which may hold those words
 * itself: then there is nothing to tell apart, and nothing is checked. */
static void check_suggestion(const char *msg, const char *typed)
{
	const char *at = strstr(msg, "did you mean '"), *end;
	char name[80], *sp;
	struct tok t[2] = { { .text = name } };
	const struct cmd_def *c;
	unsigned words, bad, n = 1;
	struct vhu_err e;

	if (!at || strstr(typed, "did you mean"))
		return;
	at += strlen("did you mean '");
	end = strchr(at, '\'');
	FUZZ_CHECK(end && (size_t)(end - at) < sizeof(name), "suggestion unterminated in '%s'", msg);
	snprintf(name, sizeof(name), "%.*s", (int)(end - at), at);
	if ((sp = strchr(name, ' '))) {
		*sp = '\0';
		t[1].text = sp + 1;
		n = 2;
	}
	FUZZ_CHECK(cmd_lookup(t, n, &c, &words, &bad, &e) == 0 && words == n,
		   "suggestion '%.*s' is not a command", (int)(end - at), at);
}

static void check_parsed(const struct arg_set *a, const struct cmd_def *cmd, unsigned argc)
{
	for (unsigned i = 0; i < cmd->nargs && i < ARGS_MAX; i++) {
		const struct arg_val *v = args_get(a, cmd->args[i].name);

		FUZZ_CHECK(v == &a->v[i], "%s: args_get('%s') is not its value", cmd->name, cmd->args[i].name);
		FUZZ_CHECK(!cmd->args[i].required || v->set, "%s: '%s' is required and not set",
			   cmd->name, cmd->args[i].name);
		FUZZ_CHECK(!v->set || v->tok < argc, "%s: '%s' from token %u of %u", cmd->name,
			   cmd->args[i].name, v->tok, argc);
	}
}

/* Parse C's arguments as cmd_run would; 'device' changes *DEV. The first
 * unknown command gets a suggestion, as a script stops at its first
 * failure (and the suggestion is the costly part). */
static void parse(const struct tok_cmd *c, enum vhu_device *dev, bool *suggested)
{
	static struct arg_set a;
	const struct cmd_def *cmd;
	struct vhu_err e = { 0 };
	unsigned words = 0, bad = 0, argc;
	char usage[512];

	cmd = cmd_find(c->v, c->n, &words);
	if (!cmd && !*suggested) {
		if (cmd_lookup(c->v, c->n, &cmd, &words, &bad, &e) < 0) {
			FUZZ_CHECK(bad < c->n && e.msg[0], "unknown command blamed on token %u of %u: '%s'",
				   bad, c->n, e.msg);
			check_suggestion(e.msg, c->v[bad].text);
		} else {
			FUZZ_CHECK(!cmd && words == 1 && cmd_group_word(c->v[0].text),
				   "cmd_lookup found what cmd_find did not");
		}
		*suggested = true;
	}
	if (!cmd)
		return;
	FUZZ_CHECK(words >= 1 && words <= c->n, "a command name of %u words in %u tokens", words, c->n);
	cmd_usage(cmd, usage, sizeof(usage));
	argc = c->n - words;
	if (args_parse(&a, cmd->args, cmd->nargs, c->v + words, argc, *dev, &bad, &e) < 0) {
		FUZZ_CHECK(bad <= argc && e.msg[0], "%s: error at token %u of %u: '%s'", cmd->name, bad,
			   argc, e.msg);
	} else {
		check_parsed(&a, cmd, argc);
		if (strcmp(cmd->name, "device") == 0 && args_get(&a, "type")->set) {
			int d = features_device_by_name(args_get(&a, "type")->str);

			if (d >= 0)
				*dev = (enum vhu_device)d;
		}
	}
	args_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *src = (const char *)data;
	enum vhu_device dev = DEV_NONE;
	bool suggested = false;
	struct tokenizer t;
	struct tok_cmd c = { 0 };
	struct tok_error te;
	unsigned nlines;
	size_t *ls = line_starts(src, size, &nlines);

	tok_init(&t, src, size, 1);
	for (;;) {
		size_t pos = t.pos;
		int r = tok_next(&t, &c, &te);

		if (r == 0) {
			FUZZ_CHECK(t.pos >= size, "the end at %zu of %zu", t.pos, size);
			break;
		}
		FUZZ_CHECK(t.pos > pos && t.pos <= size, "no progress at %zu of %zu", pos, size);
		if (r < 0) {
			check_error(&te, src, size, ls, nlines);
			continue;
		}
		check_tokens(&c, src, size, ls, nlines);
		if (c.n)
			parse(&c, &dev, &suggested);
	}
	tok_cmd_free(&c);
	free(ls);
	return 0;
}
