/* tok.h - vhuctl's command-line tokenizer: quotes, escapes, comments, positions. */
#ifndef VHUCTL_TOK_H
#define VHUCTL_TOK_H

#include <stddef.h>

/* No expansion of any kind happens here: "$(...)" and "~" are plain text. */
struct tok {
	char *text;		/* in its command's arena */
	unsigned line, col;	/* 1-based position of the token's first character */
	unsigned len;		/* characters it spans in the source */
	size_t off;		/* where text starts in the arena */
};

/* A command's tokens; their texts share one buffer (the arena), valid
 * until the next tok_next() or tok_cmd_free() on it. */
struct tok_cmd {
	struct tok *v;
	unsigned n, cap;
	unsigned line;		/* line of the first token */
	char *arena;
	size_t arena_cap;
};

struct tokenizer {
	const char *src;
	size_t len, pos;
	unsigned line, col;
};

struct tok_error {
	unsigned line, col, len;
	char msg[128];
};

void tok_init(struct tokenizer *t, const char *src, size_t len, unsigned first_line);
/* Next command: tokens up to a newline or ';'. Returns 1 with a command
 * (possibly of zero tokens, for blank lines and comments), 0 at the end,
 * or -1 with *err filled (unterminated quote, bad escape). */
int tok_next(struct tokenizer *t, struct tok_cmd *cmd, struct tok_error *err);
void tok_cmd_free(struct tok_cmd *cmd);
/* Start of source line LINE (1-based) and its length, for error carets. */
const char *tok_source_line(const char *src, size_t len, unsigned line, size_t *line_len);

#endif
