/* err.c - building error messages that travel up the layers. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"

int vhu_verrf(struct vhu_err *e, int code, const char *fmt, va_list ap)
{
	if (e) {
		e->code = code;
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	}
	return -code;
}

int vhu_errf(struct vhu_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vhu_verrf(e, code, fmt, ap);
	va_end(ap);
	return -code;
}

void vhu_err_prefix(struct vhu_err *e, const char *fmt, ...)
{
	char old[sizeof(e->msg)];
	size_t n;
	va_list ap;

	if (!e)
		return;
	memcpy(old, e->msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	n = strlen(e->msg);
	if (n + 3 < sizeof(e->msg)) {
		size_t room = sizeof(e->msg) - n - 3, len = strlen(old);

		memcpy(e->msg + n, ": ", 2);
		if (len > room)
			len = room;
		memcpy(e->msg + n + 2, old, len);
		e->msg[n + 2 + len] = '\0';
	}
}

void vhu_err_clear(struct vhu_err *e)
{
	if (e) {
		e->code = 0;
		e->msg[0] = '\0';
	}
}

static const struct { int code; const char *name; } errno_names[] = {
	{ EPROTO, "EPROTO" }, { EBADMSG, "EBADMSG" }, { EILSEQ, "EILSEQ" },
	{ ETIMEDOUT, "ETIMEDOUT" }, { ECONNRESET, "ECONNRESET" },
	{ EFAULT, "EFAULT" }, { ELOOP, "ELOOP" }, { EINVAL, "EINVAL" },
	{ ENOTCONN, "ENOTCONN" }, { EMSGSIZE, "EMSGSIZE" },
	{ ENOENT, "ENOENT" }, { ECONNREFUSED, "ECONNREFUSED" },
	{ EACCES, "EACCES" }, { ENOMEM, "ENOMEM" }, { ENOSPC, "ENOSPC" },
	{ EEXIST, "EEXIST" }, { ERANGE, "ERANGE" }, { EPIPE, "EPIPE" },
	{ ENOTSUP, "ENOTSUP" }, { EINTR, "EINTR" }, { ECANCELED, "ECANCELED" },
	{ EBADF, "EBADF" }, { EISCONN, "EISCONN" }, { E2BIG, "E2BIG" },
	{ ENOTSOCK, "ENOTSOCK" }, { EMFILE, "EMFILE" }, { EIO, "EIO" },
	/* what a file system answers (virtio-fs: fuse_out_header.error) */
	{ EPERM, "EPERM" }, { ENOTDIR, "ENOTDIR" }, { EISDIR, "EISDIR" },
	{ ENOSYS, "ENOSYS" }, { ENOTEMPTY, "ENOTEMPTY" }, { ENAMETOOLONG, "ENAMETOOLONG" },
	{ EROFS, "EROFS" }, { EXDEV, "EXDEV" }, { ESTALE, "ESTALE" }, { EAGAIN, "EAGAIN" },
	{ EBUSY, "EBUSY" }, { EFBIG, "EFBIG" }, { ENODATA, "ENODATA" }, { ENXIO, "ENXIO" },
	{ EOVERFLOW, "EOVERFLOW" }, { ENOTTY, "ENOTTY" }, { EMLINK, "EMLINK" },
	{ ETXTBSY, "ETXTBSY" }, { ENODEV, "ENODEV" }, { EDQUOT, "EDQUOT" }, { ESPIPE, "ESPIPE" },
	{ ENFILE, "ENFILE" }, { ENOLCK, "ENOLCK" }, { EDEADLK, "EDEADLK" }, { ESRCH, "ESRCH" },
	{ VHU_EEXPECT, "EEXPECT" },
};

const char *vhu_errno_name(int code)
{
	for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
		if (errno_names[i].code == code)
			return errno_names[i].name;
	return "EUNKNOWN";
}

int vhu_errno_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
		if (strcmp(errno_names[i].name, name) == 0)
			return errno_names[i].code;
	return 0;
}

const char *vhu_errno_name_at(unsigned i)
{
	return i < sizeof(errno_names) / sizeof(errno_names[0]) ? errno_names[i].name : NULL;
}
