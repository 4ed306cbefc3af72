/* tok.c - vhuctl's command-line tokenizer: quotes, escapes, comments, positions. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/tok.h"

void tok_init(struct tokenizer *t, const char *src, size_t len, unsigned first_line)
{
	t->src = src;
	t->len = len;
	t->pos = 0;
	t->line = first_line;
	t->col = 1;
}

static int peek(const struct tokenizer *t)
{
	return t->pos < t->len ? (unsigned char)t->src[t->pos] : -1;
}

static int advance(struct tokenizer *t)
{
	int c = peek(t);

	if (c < 0)
		return c;
	t->pos++;
	if (c == '\n') {
		t->line++;
		t->col = 1;
	} else {
		t->col++;
	}
	return c;
}

struct buf {
	char *s;
	size_t n, cap;
};

static int buf_append(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 32;
		char *ns;

		while (cap < b->n + n + 1)
			cap *= 2;
		ns = realloc(b->s, cap);
		if (!ns)
			return -1;
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
	return 0;
}

/* How many characters from T's position need no tokenizer attention
 * (at least one: the caller has looked at the first). */
static size_t plain_run(const struct tokenizer *t)
{
	static const bool special[256] = {
		[0] = true, [' '] = true, ['\t'] = true, ['\r'] = true, ['\n'] = true,
		[';'] = true, ['#'] = true, ['"'] = true, ['\''] = true, ['\\'] = true,
	};
	size_t n = 1;

	while (t->pos + n < t->len && !special[(unsigned char)t->src[t->pos + n]])
		n++;
	return n;
}

static int buf_put(struct buf *b, char c)
{
	if (b->n + 1 >= b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 32;
		char *s = realloc(b->s, cap);

		if (!s)
			return -1;
		b->s = s;
		b->cap = cap;
	}
	b->s[b->n++] = c;
	b->s[b->n] = '\0';
	return 0;
}

/* The token whose text starts at OFF in the arena B ends here. */
static int push(struct tok_cmd *cmd, struct buf *b, size_t off, unsigned line, unsigned col, unsigned len)
{
	if (cmd->n == cmd->cap) {
		unsigned cap = cmd->cap ? cmd->cap * 2 : 8;
		struct tok *v = realloc(cmd->v, cap * sizeof(*v));

		if (!v)
			return -1;
		cmd->v = v;
		cmd->cap = cap;
	}
	if (buf_put(b, '\0') < 0)	/* the end of its text; "" is a token too */
		return -1;
	cmd->v[cmd->n++] = (struct tok){ .line = line, .col = col, .len = len, .off = off };
	return 0;
}

/* The arena back into CMD, and each token's text pointing into it. */
static void settle(struct tok_cmd *cmd, struct buf *b)
{
	cmd->arena = b->s;
	cmd->arena_cap = b->cap;
	for (unsigned i = 0; i < cmd->n; i++)
		cmd->v[i].text = b->s + cmd->v[i].off;
}

static int fail(struct tok_error *err, unsigned line, unsigned col, unsigned len, const char *msg)
{
	err->line = line;
	err->col = col;
	err->len = len;
	snprintf(err->msg, sizeof(err->msg), "%s", msg);
	return -1;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* After a backslash inside double quotes. */
static int dq_escape(struct tokenizer *t, struct buf *b, struct tok_error *err)
{
	unsigned line = t->line, col = t->col - 1;
	int c = advance(t), h1, h2;

	switch (c) {
	case 'n': return buf_put(b, '\n');
	case 't': return buf_put(b, '\t');
	case 'r': return buf_put(b, '\r');
	case '0': return buf_put(b, '\0');
	case '\\': case '"': case '\'': case '$': return buf_put(b, (char)c);
	case '\n': return 0;	/* line continuation */
	case 'x':
		h1 = hexval(peek(t));
		if (h1 >= 0) {
			advance(t);
			h2 = hexval(peek(t));
			if (h2 >= 0) {
				advance(t);
				return buf_put(b, (char)(h1 * 16 + h2));
			}
		}
		return fail(err, line, col, 2, "\\x needs two hex digits");
	case -1:
		return fail(err, line, col, 1, "unterminated quoted string");
	default:
		return fail(err, line, col, 2, "unknown escape sequence");
	}
}

static int quoted(struct tokenizer *t, struct buf *b, struct tok_error *err)
{
	unsigned line = t->line, col = t->col;
	int q = advance(t), c;

	for (;;) {
		/* A quoted string ends on its line: a missing quote must not
		 * swallow the rest of a script. */
		if (peek(t) < 0 || peek(t) == '\n')
			return fail(err, line, col, 1, "unterminated quoted string");
		c = advance(t);
		if (c == q)
			return 0;
		if (q == '"' && c == '\\') {
			if (dq_escape(t, b, err) < 0)
				return -1;
			continue;
		}
		if (buf_put(b, (char)c) < 0)
			return fail(err, line, col, 1, "out of memory");
	}
}

int tok_next(struct tokenizer *t, struct tok_cmd *cmd, struct tok_error *err)
{
	/* Every token's text goes into one buffer, the command's arena: one
	 * allocation for a command, kept for the next one. */
	struct buf b = { .s = cmd->arena, .n = 0, .cap = cmd->arena_cap };
	bool in_tok = false;
	unsigned tline = 0, tcol = 0;
	size_t tstart = 0, text = 0;
	int c;

	cmd->n = 0;
	if (t->pos >= t->len)
		return 0;
	cmd->line = t->line;
	for (;;) {
		c = peek(t);
		if (c < 0 || c == '\n' || c == ';' || c == ' ' || c == '\t' || c == '\r' ||
		    (c == '#' && !in_tok)) {
			if (in_tok && push(cmd, &b, text, tline, tcol, (unsigned)(t->pos - tstart)) < 0)
				goto oom;
			in_tok = false;
			if (c < 0)
				break;
			if (c == '#') {
				while (peek(t) >= 0 && peek(t) != '\n')
					advance(t);
				continue;
			}
			advance(t);
			if (c == '\n' || c == ';')
				break;
			continue;
		}
		if (c == '\\' && t->pos + 1 < t->len && t->src[t->pos + 1] == '\n') {
			/* Line continuation: joins lines, never starts a token. */
			advance(t);
			advance(t);
			continue;
		}
		if (!in_tok) {
			in_tok = true;
			tline = t->line;
			tcol = t->col;
			tstart = t->pos;
			text = b.n;
			if (cmd->n == 0)
				cmd->line = t->line;
		}
		if (c == '"' || c == '\'') {
			if (quoted(t, &b, err) < 0)
				goto bad;
			continue;
		}
		if (c != '\\') {
			/* a run of plain characters in one go: most of a script */
			size_t n = plain_run(t);

			if (buf_append(&b, t->src + t->pos, n) < 0)
				goto oom;
			t->pos += n;
			t->col += (unsigned)n;
			continue;
		}
		advance(t);
		if (c == '\\') {
			c = advance(t);
			if (c < 0) {
				fail(err, t->line, t->col - 1, 1, "backslash at end of input");
				goto bad;
			}
			if (c == '\n')
				continue;
		}
		if (buf_put(&b, (char)c) < 0)
			goto oom;
	}
	settle(cmd, &b);
	return 1;
oom:
	fail(err, t->line, t->col, 1, "out of memory");
bad:
	cmd->n = 0;
	settle(cmd, &b);
	/* Skip the rest of the line so a caller that goes on starts afresh. */
	while (peek(t) >= 0 && peek(t) != '\n')
		advance(t);
	if (peek(t) == '\n')
		advance(t);
	return -1;
}

void tok_cmd_free(struct tok_cmd *cmd)
{
	free(cmd->arena);
	free(cmd->v);
	*cmd = (struct tok_cmd){ 0 };
}

const char *tok_source_line(const char *src, size_t len, unsigned line, size_t *line_len)
{
	size_t i = 0;

	for (unsigned l = 1; l < line && i < len; i++)
		if (src[i] == '\n')
			l++;
	if (i >= len && line > 1) {
		*line_len = 0;
		return NULL;
	}
	*line_len = 0;
	while (i + *line_len < len && src[i + *line_len] != '\n')
		(*line_len)++;
	return src + i;
}
