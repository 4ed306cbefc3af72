/* toscript.h - vhuctl monitor --script: a recorded session (-w) as a vhuctl script that sends the front-end's side again, with no VM. */
#ifndef VHUCTL_MONITOR_TOSCRIPT_H
#define VHUCTL_MONITOR_TOSCRIPT_H

#include <stddef.h>
#include <stdio.h>

/* The front-end's requests of SESSION in the recording PATH (JSON lines of
 * vhuctl monitor -w) as a vhuctl script on OUT: memory regions made again
 * with the recorded sizes and guest addresses, ring addresses translated
 * through them, eventfds vhuctl's own; a request it cannot send the same
 * way is a comment saying why. -1 with ERR when PATH is not a recording
 * of that session. */
int toscript(const char *path, unsigned session, FILE *out, char *err, size_t errlen);

#endif
