/* out.h - printing results: as text on a terminal, one JSON object per line otherwise. */
#ifndef VHUCTL_OUT_H
#define VHUCTL_OUT_H

#include <stdbool.h>
#include <stdio.h>
#include <json-c/json.h>

#include "cmd/cmd.h"
#include "cmd/session.h"

/* The version of the output contract, vhuctl-json(7) and the schema
 * (vhuctl.schema.json): every object printed carries it. Bumped on any
 * change of shape. */
#define VHUCTL_SCHEMA_VERSION 1

/* Open the copy of every object that VHUCTL_JSON_LOG names, if any. */
void out_init(void);

/* Print O on stdout in the session's mode (--output): JSON, or as text
 * (out_text); false when stdout is gone. */
bool out_print(const struct session *s, struct json_object *o);

/* Print O as JSON, pretty or compact as the session says (pretty when the
 * session prints text). */
bool out_json(const struct session *s, struct json_object *o);

/* Print a successful request's result straight from text, as out_json
 * prints the tree {"command": NAME, REST's members with the exchange
 * MEMBERS wrote after the first AT of them, "ok": true}; the text becomes
 * the session's last result (session_keep_text). */
bool out_direct(struct session *s, const char *name, struct json_object *rest, unsigned at,
		const struct jw *members);

/* Print W's text, one compact JSON object, as out_json prints an object;
 * and write it to a recording as out_record does. schema_version is
 * added to W itself (once: the two can print the same W), not to a copy. */
bool out_json_jw(const struct session *s, struct jw *w);
bool out_record_jw(FILE *f, struct jw *w);

/* Print result O as its command asked (SHOW, cmd_ctx.show); nothing with
 * -q (s->quiet): failures are printed by the dispatcher, with out_print. */
bool out_result(const struct session *s, struct json_object *o, enum cmd_show show);

/* Print O as text for a person: help's results (a listing, a group, a
 * command) and every other result and event, each by the renderer of its
 * kind, or member by member when it has none. Help is paged when it is
 * long (pager_write). */
bool out_text(const struct session *s, struct json_object *o);

/* O as the text view reads it: stamped with "schema_version", copied to
 * VHUCTL_JSON_LOG (out_init) as JSON would be, and parsed back into a tree
 * json-c can look into (jw's spliced members are opaque to it). NULL when
 * out of memory. */
struct json_object *out_plain(struct json_object *o);

/* Write TEXT on stdout: through the pager when the session pages (a
 * terminal, no --no-pager) and TEXT is taller than the terminal. */
bool pager_write(const struct session *s, const char *text, size_t len);

/* Write O to F as one compact line of the contract (schema_version added),
 * whatever the session prints: a recording (vhuctl monitor -w). */
bool out_record(FILE *f, struct json_object *o);

/* Write out what stdout holds (a wait is starting: nothing finished waits
 * behind it). */
void out_flush(void);

/* Whether messages on stderr may be coloured: a terminal, NO_COLOR unset,
 * --color not never (out_set_stderr_color). */
bool out_stderr_color(void);
void out_set_stderr_color(int color);

/* Print an event that happened on its own (session emit callback);
 * nothing with -q. */
void out_event(struct session *s, struct json_object *ev);

#endif
