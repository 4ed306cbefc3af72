/* toscript.h - vhuctl monitor --script: a recorded session (-w) as a vhuctl script that sends the front-end's side again, with no VM. */
#ifndef VHUCTL_MONITOR_TOSCRIPT_H
#define VHUCTL_MONITOR_TOSCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <json-c/json.h>

/* The front-end's requests of SESSION in the recording PATH (JSON lines of
 * vhuctl monitor -w) as a vhuctl script on OUT: memory regions made again
 * with the recorded sizes and guest addresses, ring addresses translated
 * through them, eventfds vhuctl's own; a request it cannot send the same
 * way is a comment saying why. -1 with ERR when PATH is not a recording
 * of that session. */
int toscript(const char *path, unsigned session, FILE *out, char *err, size_t errlen);

/* One front-end request of a recorded session, and what it becomes. */
struct rec_step {
	uint64_t seq;			/* its seq in the recording */
	unsigned line;			/* its line in the recording, from 1 */
	char *text;			/* its script lines (mem add first, if any), or a comment why not */
	bool converted;			/* text sends it; else text is only that comment */
	struct json_object *request;	/* the recorded message */
	struct json_object *reply;	/* the recorded reply's message, NULL when none came */
};

struct recording {
	struct rec_step *step;
	size_t n, cap;
	unsigned converted, skipped;
};

/* The front-end's requests of SESSION in the recording PATH, in order,
 * each with its script lines and the reply recorded for it. -1 with ERR
 * ("PATH:LINE: what is wrong") when PATH is not such a recording. */
int toscript_read(const char *path, unsigned session, struct recording *rec, char *err, size_t errlen);
void toscript_free(struct recording *rec);

#endif
