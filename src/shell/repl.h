/* repl.h - the interactive prompt (stdin is a terminal). */
#ifndef VHUCTL_REPL_H
#define VHUCTL_REPL_H

#include "shell/run.h"
#include "cmd/session.h"

/* Read commands with readline until quit or end of input. */
enum run_status repl_run(struct session *s);

#endif
