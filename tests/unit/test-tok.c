/* test-tok.c - unit tests for the command-line tokenizer: splitting, quoting, positions. */
#include <stdint.h>
#include <string.h>

#include "cmd/tok.h"
#include "../tap.h"

struct tt {
	struct tokenizer t;
	struct tok_cmd c;
	struct tok_error e;
	const char *src;
};

static void tt_start(struct tt *x, const char *src)
{
	memset(x, 0, sizeof(*x));
	x->src = src;
	tok_init(&x->t, src, strlen(src), 1);
}

static int tt_next(struct tt *x)
{
	memset(&x->e, 0, sizeof(x->e));
	return tok_next(&x->t, &x->c, &x->e);
}

static void tt_end(struct tt *x)
{
	tok_cmd_free(&x->c);
}

static const char *tok_text(const struct tt *x, unsigned i)
{
	return i < x->c.n ? x->c.v[i].text : NULL;
}

static unsigned tok_line(const struct tt *x, unsigned i)
{
	return i < x->c.n ? x->c.v[i].line : 0;
}

static unsigned tok_col(const struct tt *x, unsigned i)
{
	return i < x->c.n ? x->c.v[i].col : 0;
}

/* The next command must be exactly the N tokens WANT. */
static void expect_cmd(struct tt *x, const char *what, unsigned n, const char *const *want)
{
	int r = tt_next(x);
	int same = r == 1 && x->c.n == n;

	for (unsigned i = 0; same && i < n; i++)
		if (!x->c.v[i].text || strcmp(x->c.v[i].text, want[i]) != 0)
			same = 0;
	if (!tap_ok(same, "%s", what)) {
		printf("#   rc %d, %u tokens:", r, x->c.n);
		for (unsigned i = 0; i < x->c.n; i++)
			printf(" [%s]", x->c.v[i].text ? x->c.v[i].text : "(null)");
		if (r < 0)
			printf(" error %u:%u %s", x->e.line, x->e.col, x->e.msg);
		printf("\n");
	}
}

static void expect_end(struct tt *x, const char *what)
{
	tap_is_int(tt_next(x), 0, "%s", what);
}

static void test_simple(void)
{
	struct tt x;
	static const char *const gf[] = { "get-features" };
	static const char *const svn[] = { "set-vring-num", "0", "256" };

	tt_start(&x, "get-features");
	expect_cmd(&x, "get-features: one token", 1, gf);
	tap_ok(tok_line(&x, 0) == 1 && tok_col(&x, 0) == 1, "get-features at 1:1");
	tap_is_int(x.c.n ? x.c.v[0].len : 0, 12, "get-features spans 12 characters");
	tap_is_int(x.c.line, 1, "command on line 1");
	expect_end(&x, "then the end");
	expect_end(&x, "and the end again");
	tt_end(&x);

	tt_start(&x, "set-vring-num 0 256");
	expect_cmd(&x, "set-vring-num 0 256: three tokens", 3, svn);
	tap_is_int(tok_col(&x, 0), 1, "set-vring-num at col 1");
	tap_is_int(tok_col(&x, 1), 15, "0 at col 15");
	tap_is_int(tok_col(&x, 2), 17, "256 at col 17");
	tap_ok(x.c.n == 3 && x.c.v[2].len == 3 && x.c.v[2].line == 1, "256 spans 3 on line 1");
	expect_end(&x, "then the end");
	tt_end(&x);

	tt_start(&x, "  \tget-features  \t ");
	expect_cmd(&x, "surrounding blanks are not tokens", 1, gf);
	tap_is_int(tok_col(&x, 0), 4, "after two spaces and a tab: col 4");
	tt_end(&x);

	tt_start(&x, "");
	expect_end(&x, "empty input: no command at all");
	tt_end(&x);
}

static void test_separators(void)
{
	struct tt x;
	static const char *const a[] = { "get-features" };
	static const char *const b[] = { "set-features", "0x1" };
	static const char *const c[] = { "get-status" };

	tt_start(&x, "get-features; set-features 0x1 ;get-status");
	expect_cmd(&x, "; ends the first command", 1, a);
	expect_cmd(&x, "; ends the second command", 2, b);
	tap_is_int(tok_col(&x, 0), 15, "second command starts at col 15");
	expect_cmd(&x, "third command after ;", 1, c);
	tap_ok(tok_line(&x, 0) == 1 && tok_col(&x, 0) == 33, "third command at 1:33");
	expect_end(&x, "then the end");
	tt_end(&x);

	tt_start(&x, "get-features\nset-features 0x1\n");
	expect_cmd(&x, "newline ends a command", 1, a);
	expect_cmd(&x, "second line is the second command", 2, b);
	tap_ok(x.c.line == 2 && tok_line(&x, 1) == 2 && tok_col(&x, 1) == 14,
	       "second command: line 2, 0x1 at col 14");
	expect_end(&x, "trailing newline adds no command");
	tt_end(&x);

	tt_start(&x, "get-features\r\nget-status\r\n");
	expect_cmd(&x, "CR LF: first command", 1, a);
	expect_cmd(&x, "CR LF: second command", 1, c);
	expect_end(&x, "CR LF: end");
	tt_end(&x);

	tt_start(&x, "a;;b");
	{
		static const char *const ta[] = { "a" };
		static const char *const tb[] = { "b" };

		expect_cmd(&x, "a;;b: a", 1, ta);
		expect_cmd(&x, "a;;b: empty command between the ;", 0, NULL);
		expect_cmd(&x, "a;;b: b", 1, tb);
	}
	tt_end(&x);
}

static void test_comments(void)
{
	struct tt x;
	static const char *const gf[] = { "get-features" };
	static const char *const ab[] = { "a#b" };
	static const char *const a[] = { "a" };

	tt_start(&x, "# comment\nget-features # trailing comment; not a command\n   # indented\n\n");
	expect_cmd(&x, "comment line: zero tokens", 0, NULL);
	expect_cmd(&x, "command with a trailing comment", 1, gf);
	tap_is_int(tok_line(&x, 0), 2, "get-features on line 2");
	expect_cmd(&x, "indented comment line: zero tokens", 0, NULL);
	expect_cmd(&x, "blank line: zero tokens", 0, NULL);
	expect_end(&x, "then the end");
	tt_end(&x);

	tt_start(&x, "a#b");
	expect_cmd(&x, "a#b is one token", 1, ab);
	tap_ok(x.c.n == 1 && x.c.v[0].len == 3, "a#b spans 3");
	tt_end(&x);

	tt_start(&x, "a #b\nget-features");
	expect_cmd(&x, "a #b is the token a", 1, a);
	expect_cmd(&x, "the comment ends at the newline", 1, gf);
	tt_end(&x);

	tt_start(&x, "'#' \"#\"");
	{
		static const char *const h[] = { "#", "#" };

		expect_cmd(&x, "quoted # is text", 2, h);
	}
	tt_end(&x);
}

static void test_quotes(void)
{
	struct tt x;

	tt_start(&x, "echo 'a b\\n' 'x\"y'");
	{
		static const char *const w[] = { "echo", "a b\\n", "x\"y" };

		expect_cmd(&x, "single quotes are literal", 3, w);
		tap_is_int(tok_text(&x, 1) ? strlen(tok_text(&x, 1)) : 0, 5,
			   "'a b\\n' keeps the backslash: 5 characters");
		tap_ok(x.c.n == 3 && x.c.v[1].col == 6 && x.c.v[1].len == 7,
		       "'a b\\n' at col 6, spans 7");
	}
	tt_end(&x);

	tt_start(&x, "\"\\n\\t\\\\\\\"\\x41\\x7a\"");
	{
		static const char *const w[] = { "\n\t\\\"Az" };

		expect_cmd(&x, "double-quote escapes \\n \\t \\\\ \\\" \\x41 \\x7a", 1, w);
	}
	tt_end(&x);

	tt_start(&x, "pre\"mid dle\"post 'a'\"b\"");
	{
		static const char *const w[] = { "premid dlepost", "ab" };

		expect_cmd(&x, "quotes join with the text around them", 2, w);
	}
	tt_end(&x);

	tt_start(&x, "a\\ b c");
	{
		static const char *const w[] = { "a b", "c" };

		expect_cmd(&x, "backslash-space joins outside quotes", 2, w);
	}
	tt_end(&x);

	tt_start(&x, "set-config \"\" '' x");
	{
		static const char *const w[] = { "set-config", "", "", "x" };

		expect_cmd(&x, "\"\" and '' are tokens", 4, w);
		tap_is_int(tok_text(&x, 1) ? strlen(tok_text(&x, 1)) : 99, 0, "\"\" has length 0");
		tap_ok(x.c.n == 4 && x.c.v[1].col == 12 && x.c.v[1].len == 2,
		       "\"\" at col 12, spans 2");
		tap_is_int(tok_col(&x, 3), 18, "x after the empty tokens at col 18");
	}
	tt_end(&x);
}

static void test_no_expansion(void)
{
	struct tt x;

	tt_start(&x, "send $(rm -rf /) ~ * ~/x *.c $HOME `id`");
	{
		static const char *const w[] = {
			"send", "$(rm", "-rf", "/)", "~", "*", "~/x", "*.c", "$HOME", "`id`",
		};

		expect_cmd(&x, "no command substitution, tilde, glob or variable", 10, w);
	}
	tt_end(&x);

	tt_start(&x, "send \"$(rm -rf /)\" '$(id)' \"\\$x\"");
	{
		static const char *const w[] = { "send", "$(rm -rf /)", "$(id)", "$x" };

		expect_cmd(&x, "quoted $(...) is plain text", 4, w);
	}
	tt_end(&x);
}

static void test_continuation(void)
{
	struct tt x;
	static const char *const svn[] = { "set-vring-num", "0", "256" };

	tt_start(&x, "set-vring-num 0 \\\n256\nget-status");
	expect_cmd(&x, "backslash-newline continues the command", 3, svn);
	tap_is_int(tok_line(&x, 2), 2, "256 is on line 2");
	tap_is_int(tok_col(&x, 2), 1, "256 at col 1");
	tap_is_int(x.c.line, 1, "the command starts on line 1");
	{
		static const char *const gs[] = { "get-status" };

		expect_cmd(&x, "next command after the continued one", 1, gs);
		tap_is_int(tok_line(&x, 0), 3, "get-status on line 3");
	}
	tt_end(&x);

	/* The usual style: the continuation line indented. */
	tt_start(&x, "set-vring-num \\\n    0 \\\n    256");
	expect_cmd(&x, "indented continuation lines add no empty token", 3, svn);
	tap_ok(tok_line(&x, 1) == 2 && tok_col(&x, 1) == 5, "0 at 2:5");
	tap_ok(tok_line(&x, 2) == 3 && tok_col(&x, 2) == 5, "256 at 3:5");
	tt_end(&x);

	tt_start(&x, "set-vring-num 0 25\\\n6");
	expect_cmd(&x, "backslash-newline inside a word joins it", 3, svn);
	tt_end(&x);

	tt_start(&x, "get-features \\\n");
	{
		static const char *const gf[] = { "get-features" };

		expect_cmd(&x, "trailing backslash-newline adds no token", 1, gf);
	}
	tt_end(&x);

	tt_start(&x, "\"a\\\nb\"");
	{
		static const char *const ab[] = { "ab" };

		expect_cmd(&x, "backslash-newline inside double quotes joins", 1, ab);
	}
	tt_end(&x);
}

static void test_errors(void)
{
	struct tt x;
	static const char *const gf[] = { "get-features" };
	static const char *const gs[] = { "get-status" };
	int r;

	tt_start(&x, "get-features\n\"abc\nget-status\n");
	expect_cmd(&x, "command before the bad line", 1, gf);
	r = tt_next(&x);
	tap_is_int(r, -1, "unterminated \"abc is an error");
	tap_ok(x.e.line == 2 && x.e.col == 1, "error at the opening quote, 2:1 (got %u:%u)",
	       x.e.line, x.e.col);
	tap_ok(x.e.msg[0] != '\0', "error has a message");
	expect_cmd(&x, "tokenizing goes on with the next line", 1, gs);
	tap_is_int(tok_line(&x, 0), 3, "get-status on line 3");
	tt_end(&x);

	tt_start(&x, "set-config 'abc\nget-status");
	r = tt_next(&x);
	tap_ok(r == -1 && x.e.line == 1 && x.e.col == 12,
	       "unterminated 'abc: error at 1:12 (got %d, %u:%u)", r, x.e.line, x.e.col);
	expect_cmd(&x, "after an unterminated single quote, the next line", 1, gs);
	tt_end(&x);

	tt_start(&x, "say \"abc");
	r = tt_next(&x);
	tap_ok(r == -1 && x.e.line == 1 && x.e.col == 5 && x.e.msg[0],
	       "unterminated at end of input: error at 1:5");
	expect_end(&x, "then the end");
	tt_end(&x);

	tt_start(&x, "x \"a\\qb\" y\nget-status");
	r = tt_next(&x);
	tap_ok(r == -1 && x.e.line == 1 && x.e.col == 5 && x.e.msg[0],
	       "unknown escape \\q: error at its backslash, 1:5 (got %u:%u)", x.e.line, x.e.col);
	expect_cmd(&x, "after a bad escape, the next line", 1, gs);
	tt_end(&x);

	tt_start(&x, "x \"\\x4g\"\nget-status");
	r = tt_next(&x);
	tap_ok(r == -1 && x.e.line == 1 && x.e.col == 4, "\\x4g: error at 1:4");
	expect_cmd(&x, "after a bad \\x, the next line", 1, gs);
	tt_end(&x);

	tt_start(&x, "abc \\");
	r = tt_next(&x);
	tap_ok(r == -1 && x.e.line == 1 && x.e.col == 5 && x.e.msg[0],
	       "backslash at end of input: error at 1:5");
	tt_end(&x);
}

static void test_script(void)
{
	static const char script[] =
		"get-features\n"
		"# set up ring 0\n"
		"    set-vring-num 0 256\n"
		"get-status";
	static const char *const gf[] = { "get-features" };
	static const char *const svn[] = { "set-vring-num", "0", "256" };
	static const char *const gs[] = { "get-status" };
	struct tt x;
	const char *l;
	size_t ll = 999;

	tt_start(&x, script);
	expect_cmd(&x, "script line 1", 1, gf);
	tap_ok(x.c.line == 1 && tok_line(&x, 0) == 1 && tok_col(&x, 0) == 1, "line 1 at 1:1");
	expect_cmd(&x, "script line 2 is a comment", 0, NULL);
	expect_cmd(&x, "script line 3", 3, svn);
	tap_is_int(x.c.line, 3, "command on line 3");
	tap_ok(tok_line(&x, 0) == 3 && tok_col(&x, 0) == 5, "indented token at 3:5");
	tap_ok(tok_line(&x, 1) == 3 && tok_col(&x, 1) == 19, "0 at 3:19");
	tap_ok(tok_line(&x, 2) == 3 && tok_col(&x, 2) == 21, "256 at 3:21");
	expect_cmd(&x, "script line 4, no final newline", 1, gs);
	tap_ok(tok_line(&x, 0) == 4 && tok_col(&x, 0) == 1, "line 4 at 4:1");
	expect_end(&x, "end of script");
	tt_end(&x);

	l = tok_source_line(script, strlen(script), 1, &ll);
	tap_ok(l == script && ll == 12, "source line 1: start and length 12");
	l = tok_source_line(script, strlen(script), 2, &ll);
	tap_ok(l && ll == 15 && strncmp(l, "# set up ring 0", ll) == 0, "source line 2");
	l = tok_source_line(script, strlen(script), 3, &ll);
	tap_ok(l && ll == 23 && strncmp(l, "    set-vring-num 0 256", ll) == 0, "source line 3");
	l = tok_source_line(script, strlen(script), 4, &ll);
	tap_ok(l && ll == 10 && strncmp(l, "get-status", ll) == 0,
	       "source line 4 without a final newline");
	tap_ok(tok_source_line(script, strlen(script), 5, &ll) == NULL, "no source line 5");
	tap_ok(tok_source_line(script, strlen(script), 100, &ll) == NULL, "no source line 100");

	{
		static const char three[] = "a\n\nccc\n";

		l = tok_source_line(three, strlen(three), 2, &ll);
		tap_ok(l == three + 2 && ll == 0, "empty source line 2");
		l = tok_source_line(three, strlen(three), 3, &ll);
		tap_ok(l == three + 3 && ll == 3, "source line 3 of a\\n\\nccc\\n");
		tap_ok(tok_source_line(three, strlen(three), 4, &ll) == NULL,
		       "nothing after the final newline");
	}

	/* A buffer that starts at line 10 of some file (REPL history, -c). */
	{
		struct tt y;

		memset(&y, 0, sizeof(y));
		tok_init(&y.t, "x\n  y", 5, 10);
		tt_next(&y);
		tap_ok(y.c.n == 1 && y.c.v[0].line == 10 && y.c.line == 10, "first_line 10");
		tt_next(&y);
		tap_ok(y.c.n == 1 && y.c.v[0].line == 11 && y.c.v[0].col == 3, "then 11:3");
		tt_end(&y);
	}
}

int main(void)
{
	test_simple();
	test_separators();
	test_comments();
	test_quotes();
	test_no_expansion();
	test_continuation();
	test_errors();
	test_script();
	return tap_done();
}
