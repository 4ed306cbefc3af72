/* complete.h - what can come next on a command line: one answer for the
 * prompt (readline), the shells' completion (vhuctl --complete) and tests. */
#ifndef VHUCTL_COMPLETE_H
#define VHUCTL_COMPLETE_H

#include <stdbool.h>
#include <stddef.h>

#include "cmd/session.h"

struct completion {
	char **cands;		/* whole words that can replace the word typed */
	size_t n, cap;
	bool no_space;		/* "key=", a list item, a directory: more follows */
	bool keep_order;	/* features the back-end offered come first */
	bool files;		/* the candidates are paths */
};

/* Candidates for TEXT, the word of LINE that starts at START (the words
 * before it say which command and argument it is). Replaces C's last
 * answer. S gives what the session knows: the device type, the features
 * offered, the rings with fds. */
void complete_line(struct completion *c, const struct session *s, const char *line, size_t start,
		   const char *text);

/* Where the word being typed at the end of LINE starts: after the last
 * blank, '=' or ','. */
size_t complete_word_start(const char *line);

void complete_free(struct completion *c);

#endif
