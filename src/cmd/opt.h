/* opt.h - a program's options as one table: getopt's long and short options, and the lines of --help. */
#ifndef VHUCTL_CMD_OPT_H
#define VHUCTL_CMD_OPT_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

/* One row per option. ID below 256 is also its short option; HELP NULL
 * keeps it out of --help (options for the shell completions). */
struct opt_row {
	const char *name;
	int has_arg;
	int id;
	const char *arg;
	const char *help;
};

/* getopt_long's table LO (N + 1 entries, the last zeroed) and the short
 * options SO (2 * N + 1 bytes) of ROWS. */
void opt_getopt(const struct opt_row *rows, size_t n, struct option *lo, char *so);
/* "  -c, --command 'CMD; CMD'    help", a line per row that has help. */
void opt_help(FILE *f, const struct opt_row *rows, size_t n);

#endif
