/* report.h - what the suite found, for people (a tree), for programs (JSON, TAP) and for CI (JUnit XML). */
#ifndef VHUCTL_CHECK_REPORT_H
#define VHUCTL_CHECK_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "check/check.h"
#include "check/runner.h"

enum ck_output { OUTPUT_TEXT, OUTPUT_JSON, OUTPUT_TAP };

struct ck_report {
	enum ck_output output;
	bool color, tty;
	const char *junit;		/* file to write, or NULL */
	const char *target;		/* the socket, or the --exec command */
	const struct check_host *host;
	struct session *s;		/* for the host's printer: its output mode */
	unsigned total;
	const char *group;		/* the group last shown in the tree */
	unsigned counts[CK_VERDICTS];
};

void report_begin(struct ck_report *r, unsigned total);
/* Case N (from 1) is about to run: a progress line on a terminal. */
void report_progress(struct ck_report *r, unsigned n, const struct ck_case *c);
void report_case(struct ck_report *r, unsigned n, const struct ck_result *res);
/* The summary, and the JUnit file; -errno when that cannot be written. */
int report_end(struct ck_report *r, const struct ck_result *res, unsigned n, int64_t ns,
	       unsigned starts, int status);

#endif
