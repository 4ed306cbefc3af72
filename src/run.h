/* run.h - run a buffer of commands (script, -c, REPL line) through one dispatcher. */
#ifndef VHUCTL_RUN_H
#define VHUCTL_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "session.h"

struct run_src {
	const char *name;	/* "setup.vhu", "command line", "<stdin>" */
	const char *text;
	size_t len;
	unsigned first_line;
	bool typed;		/* a line typed at the prompt: errors need no file:line */
};

enum run_status {
	RUN_OK = 0,
	RUN_FAILED = 1,		/* a command failed */
	RUN_OUTPUT_GONE = 3,	/* stdout closed under us */
};

/* Run every command in SRC, printing one JSON object per command. Stops at
 * the first failure unless the session keeps going. */
enum run_status run_source(struct session *s, const struct run_src *src);
/* Read FILE ("-" for stdin) and run it; *status gets the outcome. Returns
 * -errno when the file cannot be read. */
int run_file(struct session *s, const char *path, enum run_status *status);

/* Run commands from F as they arrive, line by line (stdin, pipes). */
enum run_status run_stream(struct session *s, FILE *f, const char *name);

#endif
