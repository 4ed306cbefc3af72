/* check.h - vhuctl check: the conformance and robustness suite, as the program's front-end calls it. */
#ifndef VHUCTL_CHECK_H
#define VHUCTL_CHECK_H

#include <stdbool.h>
#include <json-c/json.h>

#include "cmd/session.h"

/* What the program that runs the suite lends it: where a JSON object goes
 * (the same printer, and the same VHUCTL_JSON_LOG copy, as every other
 * object vhuctl prints). */
struct check_host {
	bool (*print)(const struct session *s, struct json_object *o);
};

/* vhuctl check [OPTIONS] [SOCKET]: ARGV[0] is "check". Returns the exit
 * status (vhuctl(1), EXIT STATUS); a signal that stopped the run has set
 * wire_cancel, and the caller dies of it once the report is out. */
int check_main(int argc, char **argv, const struct check_host *host);

#endif
