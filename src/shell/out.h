/* out.h - printing results: JSON pretty on a terminal, one object per line otherwise. */
#ifndef VHUCTL_OUT_H
#define VHUCTL_OUT_H

#include <stdbool.h>
#include <json-c/json.h>

#include "cmd/cmd.h"
#include "cmd/session.h"

/* The version of the output contract, vhuctl-json(7) and the schema
 * (vhuctl.schema.json): every object printed carries it. Bumped on any
 * change of shape. */
#define VHUCTL_SCHEMA_VERSION 1

/* Open the copy of every object that VHUCTL_JSON_LOG names, if any. */
void out_init(void);

/* Print O on stdout in the session's mode; false when stdout is gone. */
bool out_print(const struct session *s, struct json_object *o);

/* Print result O as its command asked (SHOW, cmd_ctx.show): as JSON
 * (out_print), or as text for a person (out_text). */
bool out_result(const struct session *s, struct json_object *o, enum cmd_show show);

/* Print O as text: help's results (a listing, a group, a command); any
 * other object as JSON. Paged when it is long (pager_write). */
bool out_text(const struct session *s, struct json_object *o);

/* Write TEXT on stdout: through the pager when the session pages (a
 * terminal, no --no-pager) and TEXT is taller than the terminal. */
bool pager_write(const struct session *s, const char *text, size_t len);

/* Write out what stdout holds (a wait is starting: nothing finished waits
 * behind it). */
void out_flush(void);

/* Print an event that happened on its own (session emit callback). */
void out_event(struct session *s, struct json_object *ev);

#endif
