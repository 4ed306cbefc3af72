/* out.h - printing results: JSON pretty on a terminal, one object per line otherwise. */
#ifndef VHUCTL_OUT_H
#define VHUCTL_OUT_H

#include <stdbool.h>
#include <json-c/json.h>

#include "cmd/session.h"

/* The version of the output contract, vhuctl-json(7) and the schema
 * (vhuctl.schema.json): every object printed carries it. Bumped on any
 * change of shape. */
#define VHUCTL_SCHEMA_VERSION 1

/* Open the copy of every object that VHUCTL_JSON_LOG names, if any. */
void out_init(void);

/* Print O on stdout in the session's mode; false when stdout is gone. */
bool out_print(const struct session *s, struct json_object *o);

/* Write out what stdout holds (a wait is starting: nothing finished waits
 * behind it). */
void out_flush(void);

/* Print an event that happened on its own (session emit callback). */
void out_event(struct session *s, struct json_object *ev);

#endif
