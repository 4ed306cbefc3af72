/* runner.h - running cases: one process each under a kill timer, the back-end started and restarted, crashes found. */
#ifndef VHUCTL_CHECK_RUNNER_H
#define VHUCTL_CHECK_RUNNER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "check/case.h"

/* What one case came to. */
struct ck_result {
	const struct ck_case *c;
	enum ck_verdict v;
	char reason[700], expected[300], actual[700];
	struct json_object *evidence;	/* its steps, then the survival probe's */
	int64_t ns;
	char crash[160];	/* how the back-end died during it, "" when it did not */
	bool restarted;		/* the back-end was started anew for it */
	bool hard;		/* a crash, a hang, a back-end that did not survive: a
				 * failure whatever the sentence's level */
};

/* The back-end --exec starts: ARGV with {sock} put in. */
struct ck_backend {
	char **argv;
	pid_t pid;		/* -1 when not running */
	int pidfd;		/* readable once it has exited */
	const char *log;	/* its stdout and stderr, or NULL for /dev/null */
	int start_ms;		/* how long it may take to listen */
	bool oneshot;		/* it serves one connection, then goes: started anew each case */
	unsigned starts;
	char status[160];	/* how it ended last */
};

/* Split the --exec command line CMD (our tokenizer's quoting, no
 * expansion) with {sock} replaced by SOCK. */
int ck_backend_init(struct ck_backend *b, const char *cmd, const char *sock, char *err, size_t errlen);
void ck_backend_stop(struct ck_backend *b);
void ck_backend_free(struct ck_backend *b);

/* Run case C (B NULL: no --exec), into RES. */
void ck_run(const struct ck_case *c, struct ck_opts *o, struct ck_backend *b, struct ck_result *res);

#endif
