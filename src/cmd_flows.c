/* cmd_flows.c - flows of several requests: dirty log, inflight area, device-state transfer. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd_ring.h"
#include "inflight.h"
#include "jb.h"

#define DEVSTATE_MAX (64u << 20)

/* --- inflight ------------------------------------------------------------- */

static int cmd_inflight_dump(struct cmd_ctx *ctx)
{
	struct session *s = ctx->s;
	int fd = session_kept_fd(s, "inflight");
	bool packed = s->conn.features_set && (s->conn.acked_features >> F_RING_PACKED & 1);
	struct json_object *queues = json_object_new_array(), *anomalies = json_object_new_array();
	uint64_t size = s->inflight_size, off = s->inflight_offset, stride;
	struct stat st;
	uint8_t *map;

	jb_add(ctx->out, "queues", queues);
	jb_add(ctx->out, "anomalies", anomalies);
	if (fd < 0 || !s->inflight_queues)
		return vhu_errf(&ctx->err, ENOENT, "no inflight area: 'get-inflight-fd' first");
	/* The fd came from the back-end: its real size decides what can be mapped. */
	if (fstat(fd, &st) < 0)
		return vhu_errf(&ctx->err, errno, "fstat of the inflight fd: %s", strerror(errno));
	if (size == 0 || off > (uint64_t)st.st_size || size > (uint64_t)st.st_size - off)
		return vhu_errf(&ctx->err, EBADMSG, "the back-end said %" PRIu64 " bytes at offset %" PRIu64
				", but its fd holds %lld", size, off, (long long)st.st_size);
	if (size > (1ull << 32))
		return vhu_errf(&ctx->err, E2BIG, "inflight area of %" PRIu64 " bytes is implausibly large", size);
	map = mmap(NULL, (size_t)(off + size), PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return vhu_errf(&ctx->err, errno, "mmap of the inflight fd: %s", strerror(errno));
	stride = size / s->inflight_queues;
	jb_add(ctx->out, "layout", json_object_new_string(packed ? "packed" : "split"));
	jb_add(ctx->out, "mmap_size", jb_u64(size));
	jb_add(ctx->out, "queue_stride", jb_u64(stride));
	inflight_decode(map + off, stride, s->inflight_queues, packed, queues, anomalies);
	munmap(map, (size_t)(off + size));
	return 0;
}

/* --- dirty log ------------------------------------------------------------ */

#define F_LOG_ALL 26
#define LOG_PAGE 4096u

/* Send SET_VRING_ADDR again for every ring we drive, with or without
 * VHOST_VRING_F_LOG (used-ring writes logged at the used ring's GPA). */
static int rings_log(struct cmd_ctx *ctx, struct json_object *steps, bool on)
{
	struct session *s = ctx->s;
	int r;

	for (unsigned n = 0; n < SESSION_RINGS; n++) {
		if (s->vr[n] && (r = cmd_send_vring_addr(ctx, steps, s->vr[n], on)) < 0)
			return r;
	}
	return 0;
}

static int cmd_log_start(struct cmd_ctx *ctx)
{
	struct session *s = ctx->s;
	struct json_object *steps = json_object_new_array();
	const struct arg_val *sz = args_get(&ctx->args, "size");
	int r;

	jb_add(ctx->out, "steps", steps);
	if (!s->conn.features_set)
		return vhu_errf(&ctx->err, EINVAL, "negotiate features first ('start' or set-features)");
	if (sz->set)
		r = cmd_step(ctx, steps, "set-log-base size=%" PRIu64, sz->u);
	else
		r = cmd_step(ctx, steps, "set-log-base");
	if (r == 0)
		r = cmd_step(ctx, steps, "set-features 0x%" PRIx64, s->conn.acked_features | BIT(F_LOG_ALL));
	if (r == 0)
		r = rings_log(ctx, steps, true);
	return r;
}

static int cmd_log_stop(struct cmd_ctx *ctx)
{
	struct session *s = ctx->s;
	struct json_object *steps = json_object_new_array();
	int r;

	jb_add(ctx->out, "steps", steps);
	r = rings_log(ctx, steps, false);
	if (r == 0 && s->conn.features_set)
		r = cmd_step(ctx, steps, "set-features 0x%" PRIx64, s->conn.acked_features & ~BIT(F_LOG_ALL));
	return r;
}

static int cmd_log_dump(struct cmd_ctx *ctx)
{
	int fd = session_kept_fd(ctx->s, "log");
	struct json_object *pages = json_object_new_array();
	bool clear = args_u(&ctx->args, "clear", 0);
	uint64_t dirty = 0, run_start = 0, run_len = 0;
	struct stat st;
	uint8_t *log;

	jb_add(ctx->out, "dirty", pages);
	if (fd < 0)
		return vhu_errf(&ctx->err, ENOENT, "no dirty log: 'log start' first");
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size > (1LL << 40))
		return vhu_errf(&ctx->err, EBADF, "the log memfd has no usable size");
	log = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (log == MAP_FAILED)
		return vhu_errf(&ctx->err, errno, "mmap of the log: %s", strerror(errno));
	/* One bit per 4 KiB page of guest physical memory; show runs of pages. */
	for (uint64_t i = 0; i < (uint64_t)st.st_size; i++) {
		uint8_t b = __atomic_load_n(&log[i], __ATOMIC_RELAXED);

		for (unsigned bit = 0; bit < 8; bit++) {
			uint64_t page = i * 8 + bit;

			if (b >> bit & 1) {
				dirty++;
				if (run_len && run_start + run_len == page) {
					run_len++;
					continue;
				}
				if (run_len) {
					struct json_object *o = json_object_new_object();

					jb_add(o, "gpa", jb_hex(run_start * LOG_PAGE));
					jb_add(o, "pages", json_object_new_int64((int64_t)run_len));
					json_object_array_add(pages, o);
				}
				run_start = page;
				run_len = 1;
			}
		}
		if (b && clear)
			__atomic_fetch_and(&log[i], (uint8_t)~b, __ATOMIC_RELAXED);
	}
	if (run_len) {
		struct json_object *o = json_object_new_object();

		jb_add(o, "gpa", jb_hex(run_start * LOG_PAGE));
		jb_add(o, "pages", json_object_new_int64((int64_t)run_len));
		json_object_array_add(pages, o);
	}
	munmap(log, (size_t)st.st_size);
	jb_add(ctx->out, "dirty_pages", json_object_new_int64((int64_t)dirty));
	jb_add(ctx->out, "page_size", json_object_new_int(LOG_PAGE));
	jb_add(ctx->out, "cleared", json_object_new_boolean(clear));
	return 0;
}

/* --- device state ------------------------------------------------------------ */

/* The u64 SET_DEVICE_STATE_FD answered with, from its step's result. */
static bool reply_u64(struct json_object *steps, uint64_t *v)
{
	struct json_object *p = cmd_step_reply(json_object_array_get_idx(steps, json_object_array_length(steps) - 1));

	if (!p || !json_object_object_get_ex(p, "u64", &p))
		return false;
	*v = (uint64_t)json_object_get_int64(p);
	return true;
}

/* The fd to move the state through: the back-end's if it returned one. */
static int transfer_fd(struct session *s, struct json_object *steps)
{
	uint64_t v = 0x100;

	reply_u64(steps, &v);
	if (!(v & 0x100) && session_kept_fd(s, "device-state-backend") >= 0)
		return session_kept_fd(s, "device-state-backend");
	return session_kept_fd(s, "device-state");
}

static int wait_io(struct cmd_ctx *ctx, int fd, short ev)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int r;

	do
		r = poll(&p, 1, ctx->s->conn.timeout_ms);
	while (r < 0 && errno == EINTR && !wire_cancel);
	if (wire_cancel)
		return vhu_errf(&ctx->err, ECANCELED, "interrupted");
	if (r == 0)
		return vhu_errf(&ctx->err, ETIMEDOUT, "the back-end moved no device state for %d ms",
				ctx->s->conn.timeout_ms);
	return 0;
}

/* Move the state through the pipe: read from FD until EOF into BUF (at most
 * CAP bytes), or write *LEN bytes of BUF to it. Every wait is bounded. */
static int pump(struct cmd_ctx *ctx, int fd, uint8_t *buf, size_t cap, size_t *len, bool writing)
{
	size_t done = 0;

	for (;;) {
		ssize_t n;
		int r;

		if (writing && done == *len)
			return 0;
		if (!writing && done == cap)
			return vhu_errf(&ctx->err, EFBIG, "device state over %zu bytes", cap);
		if ((r = wait_io(ctx, fd, writing ? POLLOUT : POLLIN)) < 0)
			return r;
		n = writing ? write(fd, buf + done, *len - done) : read(fd, buf + done, cap - done);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return vhu_errf(&ctx->err, errno, "%s the device state: %s",
					writing ? "writing" : "reading", strerror(errno));
		if (n == 0 && !writing) {
			*len = done;
			return 0;
		}
		done += (size_t)n;
	}
}

static int refuse_running(struct cmd_ctx *ctx)
{
	for (unsigned i = 0; i < SESSION_RINGS; i++)
		if (ctx->s->vr[i] && !ctx->s->rings_stopped)
			return vhu_errf(&ctx->err, EBUSY, "rings are started: 'stop' them first (device state moves only while stopped)");
	return 0;
}

static int cmd_state_save(struct cmd_ctx *ctx)
{
	const struct arg_val *f = args_get(&ctx->args, "file");
	struct json_object *steps = json_object_new_array();
	uint8_t *buf = NULL;
	size_t len = 0;
	int fd, out, r;

	jb_add(ctx->out, "steps", steps);
	if ((r = refuse_running(ctx)) < 0 || (r = cmd_step(ctx, steps, "set-device-state-fd save")) < 0)
		return r;
	fd = transfer_fd(ctx->s, steps);
	buf = malloc(DEVSTATE_MAX);
	if (!buf)
		return vhu_errf(&ctx->err, ENOMEM, "out of memory");
	if ((r = pump(ctx, fd, buf, DEVSTATE_MAX, &len, false)) < 0)
		goto out;
	session_keep_fd(ctx->s, "device-state", -1);
	session_keep_fd(ctx->s, "device-state-backend", -1);
	out = open(f->str, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0 || write(out, buf, len) != (ssize_t)len) {
		r = vhu_errf(&ctx->err, errno, "%s: %s", f->str, strerror(errno));
		ctx->bad_tok = (int)f->tok;
		if (out >= 0)
			close(out);
		goto out;
	}
	close(out);
	jb_add(ctx->out, "file", json_object_new_string(f->str));
	jb_add(ctx->out, "bytes", json_object_new_int64((int64_t)len));
	r = cmd_step(ctx, steps, "check-device-state");
out:
	free(buf);
	return r;
}

static int cmd_state_load(struct cmd_ctx *ctx)
{
	const struct arg_val *f = args_get(&ctx->args, "file");
	struct json_object *steps = json_object_new_array();
	uint8_t *buf;
	size_t len = 0;
	int fd, in, r;
	ssize_t n = 0;

	jb_add(ctx->out, "steps", steps);
	if ((r = refuse_running(ctx)) < 0)
		return r;
	in = open(f->str, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return ctx->bad_tok = (int)f->tok, vhu_errf(&ctx->err, errno, "%s: %s", f->str, strerror(errno));
	buf = malloc(DEVSTATE_MAX + 1);
	if (!buf) {
		close(in);
		return vhu_errf(&ctx->err, ENOMEM, "out of memory");
	}
	/* The whole file, or an error: never a silently shortened state. */
	for (;;) {
		n = read(in, buf + len, DEVSTATE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len > DEVSTATE_MAX)
			break;
	}
	close(in);
	ctx->bad_tok = (int)f->tok;
	if (n < 0) {
		r = vhu_errf(&ctx->err, errno, "%s: %s", f->str, strerror(errno));
		goto out;
	}
	if (len > DEVSTATE_MAX) {
		r = vhu_errf(&ctx->err, EFBIG, "%s is over %u bytes", f->str, DEVSTATE_MAX);
		goto out;
	}
	ctx->bad_tok = -1;
	if ((r = cmd_step(ctx, steps, "set-device-state-fd load")) < 0)
		goto out;
	fd = transfer_fd(ctx->s, steps);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if ((r = pump(ctx, fd, buf, len, &len, true)) < 0)
		goto out;
	/* Closing our end is the end-of-state the back-end waits for. */
	session_keep_fd(ctx->s, "device-state", -1);
	session_keep_fd(ctx->s, "device-state-backend", -1);
	jb_add(ctx->out, "file", json_object_new_string(f->str));
	jb_add(ctx->out, "bytes", json_object_new_int64((int64_t)len));
	r = cmd_step(ctx, steps, "check-device-state");
out:
	free(buf);
	return r;
}

static const struct arg_spec log_start_args[] = {
	{ .name = "size", .type = ARG_U64, .key_only = true, .help = "log bytes (default: one bit per page of all memory)" },
	VERBOSE_ARG,
};
static const struct arg_spec log_dump_args[] = {
	{ .name = "clear", .type = ARG_FLAG, .help = "clear the bits that were reported" },
};
static const struct arg_spec verbose_args[] = { VERBOSE_ARG };
static const struct arg_spec file_args[] = {
	{ .name = "file", .type = ARG_PATH, .required = true, .help = "where the state goes, or comes from" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct cmd_def defs[] = {
	{ "log start", GROUP_RINGS, log_start_args, N(log_start_args), "start dirty-page logging",
	  "Sends SET_LOG_BASE with a fresh memfd (the reply may be a u64 or, from DPDK, empty),\n"
	  "adds VHOST_F_LOG_ALL to the features, and sets VHOST_VRING_F_LOG on every ring\n"
	  "vhuctl drives, with the used ring's address as log_guest_addr.",
	  "log start", "docs/interop/vhost-user.rst, \"Migration\"", cmd_log_start, NULL },
	{ "log dump", GROUP_RINGS, log_dump_args, N(log_dump_args), "list the pages the back-end marked dirty",
	  NULL, "log dump clear", NULL, cmd_log_dump, NULL },
	{ "log stop", GROUP_RINGS, verbose_args, N(verbose_args), "stop dirty-page logging", NULL, "log stop", NULL, cmd_log_stop, NULL },
	{ "inflight dump", GROUP_RINGS, NULL, 0, "decode the inflight area from GET_INFLIGHT_FD, per queue",
	  "Maps the fd after checking its size with fstat; split or packed layout from the\n"
	  "negotiated features; lists the descriptors marked in flight.",
	  "get-inflight-fd 2 256; inflight dump", NULL, cmd_inflight_dump, NULL },
	{ "device-state save", GROUP_RINGS, file_args, N(file_args), "save the back-end's device state to a file",
	  "SET_DEVICE_STATE_FD with a pipe, read to the end, then CHECK_DEVICE_STATE.\n"
	  "Refused while rings are started.", "device-state save state.bin", NULL, cmd_state_save, NULL },
	{ "device-state load", GROUP_RINGS, file_args, N(file_args), "load device state from a file into the back-end",
	  "SET_DEVICE_STATE_FD with a pipe, write the file and close, then CHECK_DEVICE_STATE.\n"
	  "Refused while rings are started.", "device-state load state.bin", NULL, cmd_state_load, NULL },
};

const struct cmd_def *cmd_flow_defs(unsigned *n)
{
	*n = N(defs);
	return defs;
}
