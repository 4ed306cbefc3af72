/* run.h - run a buffer of commands (script, -c, REPL line) through one dispatcher. */
#ifndef VHUCTL_RUN_H
#define VHUCTL_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cmd/session.h"

struct run_src {
	const char *name;	/* "setup.vhu", "command line", "<stdin>" */
	const char *text;
	size_t len;
	unsigned first_line;
	bool typed;		/* a line typed at the prompt: errors need no file:line */
	bool quiet;		/* print errors only (the SOCKET argument's connect) */
};

/* vhuctl's exit statuses: one row each (--help and the man page list them). */
enum {
	RUN_EXIT_OK = 0,
	RUN_EXIT_FAILED = 1,
	RUN_EXIT_USAGE = 2,
	RUN_EXIT_INVALID = 3,
	RUN_EXIT_EXPECT = 4,
	RUN_EXIT_CONNECTION = 5,
};

struct run_exit {
	int status;
	const char *name;
	const char *meaning;
};

const struct run_exit *run_exits(unsigned *n);
/* The exit status of a run that did not succeed: that of its first failure. */
int run_exit_status(void);

/* What 'source' and 'replay' use to run commands (session->runner). */
extern const struct session_runner run_runner;

/* The signal that stopped the run, 0 none. */
extern volatile sig_atomic_t run_signal;
/* SIGINT, SIGTERM and SIGHUP cancel the wait in progress (the command fails
 * with an error object) and stop the run after the command that was running;
 * what was printed is written out. A second one kills at once. */
void run_catch_signals(void);
/* The run is over and written out: a stop signal now would only cut the
 * exit short (and, under LeakSanitizer, hang it); hold them. */
void run_hold_signals(void);
/* After a run stopped by a signal: say so on stderr and die of that signal,
 * so whoever started vhuctl sees how it ended. Output must be flushed. */
void run_die_of_signal(void) __attribute__((noreturn));

/* Run every command in SRC, printing one JSON object per command. Stops at
 * the first failure unless the session keeps going. */
enum run_status run_source(struct session *s, const struct run_src *src);
/* Check every command of SRC (and of the scripts it sources) without
 * running any, reporting each error; add to *commands and *errors.
 * RUN_INVALID when there was one. run_source does this first. */
enum run_status run_precheck(struct session *s, const struct run_src *src, unsigned *commands,
			  unsigned *errors);
/* The text of script PATH ("-": stdin) in *text (malloc'd), or -errno. */
int run_read_script(const char *path, char **text, size_t *len);
/* Read FILE ("-" for stdin) and run it; *status gets the outcome. Returns
 * -errno when the file cannot be read. */
int run_file(struct session *s, const char *path, enum run_status *status);

/* The connection went (the back-end hung up, or vhuctl closed it after an
 * error): keep why in s->gone_why, with what went last and from where. */
void run_note_gone(struct session *s);

/* Run commands from FD as they arrive, line by line (stdin, pipes). */
enum run_status run_stream(struct session *s, int fd, const char *name);

#endif
