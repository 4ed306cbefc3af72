/* opt.c - a program's options as one table: getopt's long and short options, and the lines of --help. */
#include <string.h>

#include "cmd/opt.h"

void opt_getopt(const struct opt_row *rows, size_t n, struct option *lo, char *so)
{
	size_t k = 0;

	memset(lo, 0, (n + 1) * sizeof(*lo));
	for (size_t i = 0; i < n; i++) {
		lo[i] = (struct option){ rows[i].name, rows[i].has_arg, NULL, rows[i].id };
		if (rows[i].id < 256) {
			so[k++] = (char)rows[i].id;
			if (rows[i].has_arg == required_argument)
				so[k++] = ':';
		}
	}
	so[k] = '\0';
}

void opt_help(FILE *f, const struct opt_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct opt_row *o = &rows[i];
		char left[64];

		if (!o->help)
			continue;
		snprintf(left, sizeof(left), "%s%c%s--%s%s%s", o->id < 256 ? "-" : "   ", o->id < 256 ? o->id : ' ',
			 o->id < 256 ? ", " : "", o->name,
			 o->arg ? (o->has_arg == required_argument && o->id >= 256 ? "=" : " ") : "",
			 o->arg ? o->arg : "");
		fprintf(f, "  %-36s %s\n", left, o->help);
	}
}
