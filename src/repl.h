/* repl.h - the interactive prompt (stdin is a terminal). */
#ifndef VHUCTL_REPL_H
#define VHUCTL_REPL_H

#include "run.h"
#include "session.h"

/* Read commands with readline until quit or end of input. */
enum run_status repl_run(struct session *s);

#endif
