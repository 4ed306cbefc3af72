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
/* Symbolic errno name ("ETIMEDOUT"), for JSON error objects. */
const char *vhu_errno_name(int code);

#endif
