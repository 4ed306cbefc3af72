/* monitor.h - vhuctl monitor: a relay between a real front-end and a back-end that shows every message, as the program's entry calls it. */
#ifndef VHUCTL_MONITOR_H
#define VHUCTL_MONITOR_H

#include <stdbool.h>
#include <stdio.h>
#include <json-c/json.h>

#include "cmd/session.h"
#include "core/jw.h"

/* What the program lends the monitor: the printer every object of vhuctl
 * goes through (with its VHUCTL_JSON_LOG copy and schema_version). */
struct monitor_host {
	bool (*print)(const struct session *s, struct json_object *o);
	void (*flush)(void);	/* write out what stdout holds: a wait begins */
	/* Write an object to a recording, a compact line in the contract. */
	bool (*record)(FILE *f, struct json_object *o);
	/* The same two for an object already written as compact JSON text
	 * (a message event), when the session prints JSON; W gets its
	 * schema_version in place. */
	bool (*print_jw)(const struct session *s, struct jw *w);
	bool (*record_jw)(FILE *f, struct jw *w);
};

/* vhuctl monitor [OPTIONS] FRONT BACK: ARGV[0] is "monitor". Returns the
 * exit status; a signal ends it cleanly (status 0, the socket file it
 * listened on removed). */
int monitor_main(int argc, char **argv, const struct monitor_host *host);

#endif
