/* err.h - error values carried up the layers: a negative errno plus one message. */
#ifndef VHUCTL_ERR_H
#define VHUCTL_ERR_H

#include <stdarg.h>

/* Lower layers never print: they fill one of these and return -code.
 * The command layer turns it into exactly one message. */
struct vhu_err {
	int code;		/* positive errno value, 0 when no error */
	char msg[512];
};

int vhu_errf(struct vhu_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int vhu_verrf(struct vhu_err *e, int code, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
/* Put "PREFIX: " in front of the message already in e. */
void vhu_err_prefix(struct vhu_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void vhu_err_clear(struct vhu_err *e);
/* Not an errno: an 'expect' of a script did not hold ("EEXPECT"). */
#define VHU_EEXPECT 4096

/* Symbolic errno name ("ETIMEDOUT"), for JSON error objects. */
const char *vhu_errno_name(int code);
/* The code named NAME ("EPROTO"), or 0 when no error vhuctl reports has it. */
int vhu_errno_by_name(const char *name);
/* The I-th name vhu_errno_name can give (in table order), NULL past the last. */
const char *vhu_errno_name_at(unsigned i);

#endif
