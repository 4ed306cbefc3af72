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

#include "cmd/rings.h"
#include "core/inflight.h"
#include "core/jb.h"

#define DEVSTATE_MAX (64u << 20)

/* --- inflight ------------------------------------------------------------- */

/* 64 queues of 32768 packed descriptors take 64 MiB; four times that is
 * more than any back-end means. */
#define INFLIGHT_MAX (256ull << 20)

/* Copy SIZE bytes at OFF of the back-end's inflight fd into *BUF (zeroed,
 * SIZE bytes), as many as the fd holds: *GOT of them. The fd is the
 * back-end's and not sealed: it can shrink at any moment, and a mapping of
 * it would then fault (SIGBUS) under the decoder. pread returns less. */
static int inflight_copy(struct cmd_ctx *ctx, int fd, uint64_t off, uint64_t size,
			 uint8_t **buf, uint64_t *got)
{
	struct stat st;
	uint64_t want;

	*got = 0;
	if (fstat(fd, &st) < 0)
		return vhu_errf(&ctx->err, errno, "fstat of the inflight fd: %s", strerror(errno));
	want = (uint64_t)st.st_size > off ? (uint64_t)st.st_size - off : 0;
	if (want > size)
		want = size;
	*buf = calloc(1, (size_t)size);
	if (!*buf)
		return vhu_errf(&ctx->err, ENOMEM, "out of memory for %" PRIu64 " bytes", size);
	while (*got < want) {
		ssize_t n = pread(fd, *buf + *got, (size_t)(want - *got), (off_t)(off + *got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vhu_errf(&ctx->err, errno, "reading the inflight fd: %s", strerror(errno));
		if (n == 0)
			break;	/* shrunk since fstat */
		*got += (uint64_t)n;
	}
	return 0;
}

static int cmd_inflight_dump(struct cmd_ctx *ctx)
{
	struct session *s = ctx->s;
	int fd = session_kept_fd(s, "inflight");
	bool packed = s->conn.features_set && (s->conn.acked_features >> F_RING_PACKED & 1);
	struct json_object *queues = json_object_new_array(), *anomalies = json_object_new_array();
	uint64_t size = s->inflight_size, off = s->inflight_offset, stride, got;
	uint8_t *copy = NULL;
	int r;

	jb_add(ctx->out, "queues", queues);
	jb_add(ctx->out, "anomalies", anomalies);
	if (fd < 0 || !s->inflight_queues)
		return vhu_errf(&ctx->err, ENOENT, "no inflight area: 'get-inflight-fd' first");
	if (size == 0)
		return vhu_errf(&ctx->err, EBADMSG, "GET_INFLIGHT_FD said the area is 0 bytes");
	if (size > INFLIGHT_MAX || off > INT64_MAX - INFLIGHT_MAX)
		return vhu_errf(&ctx->err, E2BIG, "inflight area of %" PRIu64 " bytes at offset %" PRIu64
				" is implausibly large", size, off);
	/* Decode a copy: what the back-end does to its fd meanwhile cannot
	 * reach us, and every byte is read once. */
	r = inflight_copy(ctx, fd, off, size, &copy, &got);
	if (r < 0)
		goto out;
	stride = size / s->inflight_queues;
	jb_add(ctx->out, "layout", json_object_new_string(packed ? "packed" : "split"));
	jb_add(ctx->out, "mmap_size", jb_u64(size));
	jb_add(ctx->out, "queue_stride", jb_u64(stride));
	jb_add(ctx->out, "bytes_read", jb_u64(got));
	inflight_decode(copy, got, stride, s->inflight_queues, packed, queues, anomalies);
	if (got < size)
		r = vhu_errf(&ctx->err, EBADMSG, "the inflight fd holds %" PRIu64 " of the %" PRIu64
			     " bytes at offset %" PRIu64 " that GET_INFLIGHT_FD said (shrunk by the back-end?)",
			     got, size, off);
out:
	free(copy);
	return r;
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

/* Wait for the pipe until the command's deadline, serving the back-end
 * channel meanwhile; DONE bytes have moved so far, since T0. */
static int wait_io(struct cmd_ctx *ctx, int fd, short ev, size_t done, int64_t t0)
{
	const char *what = ev == POLLOUT ? "writing" : "reading";
	int r;

	do
		r = wire_wait_for(fd, ev, ctx->s->deadline);
	while (r == 1);
	if (r == -ECANCELED)
		return vhu_errf(&ctx->err, ECANCELED, "interrupted %s the device state", what);
	if (r == -ETIMEDOUT)
		return vhu_errf(&ctx->err, ETIMEDOUT, "%s the device state: %zu bytes in %lld ms, and the transfer "
				"had not ended by the timeout", what, done, (long long)((wire_now_ns() - t0) / 1000000));
	if (r < 0)
		return vhu_errf(&ctx->err, -r, "%s the device state: %s", what, strerror(-r));
	return 0;
}

/* Move the state through the pipe: read from FD until EOF into BUF (at most
 * CAP bytes), or write *LEN bytes of BUF to it; the whole transfer ends by
 * the command's deadline, not only each wait. */
static int pump(struct cmd_ctx *ctx, int fd, uint8_t *buf, size_t cap, size_t *len, bool writing)
{
	int64_t t0 = wire_now_ns();
	size_t done = 0;

	for (;;) {
		ssize_t n;
		int r;

		if (writing && done == *len)
			return 0;
		if (!writing && done == cap)
			return vhu_errf(&ctx->err, EFBIG, "device state over %zu bytes", cap);
		if ((r = wait_io(ctx, fd, writing ? POLLOUT : POLLIN, done, t0)) < 0)
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

/* The transfer is over, done or failed: no pipe end stays open (a back-end
 * still writing, or reading, sees it closed). */
static void end_transfer(struct session *s)
{
	session_keep_fd(s, "device-state", -1);
	session_keep_fd(s, "device-state-backend", -1);
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
	r = pump(ctx, fd, buf, DEVSTATE_MAX, &len, false);
	end_transfer(ctx->s);
	if (r < 0)
		goto out;
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
	r = pump(ctx, fd, buf, len, &len, true);
	/* Closing our end is the end-of-state the back-end waits for. */
	end_transfer(ctx->s);
	if (r < 0)
		goto out;
	jb_add(ctx->out, "file", json_object_new_string(f->str));
	jb_add(ctx->out, "bytes", json_object_new_int64((int64_t)len));
	r = cmd_step(ctx, steps, "check-device-state");
out:
	free(buf);
	return r;
}

static const struct arg_spec log_start_args[] = {
	{ .name = "size", .type = ARG_U64, .key_only = true, .help = "log bytes (default: one bit per page of all memory)" },
};
static const struct arg_spec log_dump_args[] = {
	{ .name = "clear", .type = ARG_FLAG, .help = "clear the bits that were reported" },
};
static const struct arg_spec file_args[] = {
	{ .name = "file", .type = ARG_PATH, .required = true, .help = "where the state goes, or comes from" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct cmd_def defs[] = {
	{ "log start", GROUP_RINGS, log_start_args, N(log_start_args), "start dirty-page logging",
	  "Sends SET_LOG_BASE with a fresh memfd (the reply may be a u64 or, from DPDK, empty),\n"
	  "adds VHOST_F_LOG_ALL to the features, and sets VHOST_VRING_F_LOG on every ring\n"
	  "vhuctl drives, with the used ring's address as log_guest_addr.",
	  "log start", "docs/interop/vhost-user.rst, \"Migration\"", cmd_log_start, NULL, NULL, NULL },
	{ "log dump", GROUP_RINGS, log_dump_args, N(log_dump_args), "list the pages the back-end marked dirty",
	  NULL, "log dump clear", NULL, cmd_log_dump, NULL, NULL, NULL },
	{ "log stop", GROUP_RINGS, NULL, 0, "stop dirty-page logging", NULL, "log stop", NULL, cmd_log_stop, NULL, NULL, NULL },
	{ "inflight dump", GROUP_RINGS, NULL, 0, "decode the inflight area from GET_INFLIGHT_FD, per queue",
	  "Reads a copy of the area with pread (the back-end's fd may shrink at any time,\n"
	  "under a mapping); split or packed layout from the negotiated features; lists the\n"
	  "descriptors marked in flight. An fd shorter than the reply said is an error.",
	  "get-inflight-fd 2 256; inflight dump", NULL, cmd_inflight_dump, NULL, NULL, NULL },
	{ "device-state save", GROUP_RINGS, file_args, N(file_args), "save the back-end's device state to a file",
	  "SET_DEVICE_STATE_FD with a pipe, read to the end, then CHECK_DEVICE_STATE.\n"
	  "Refused while rings are started.", "device-state save state.bin", NULL, cmd_state_save, NULL, NULL, NULL },
	{ "device-state load", GROUP_RINGS, file_args, N(file_args), "load device state from a file into the back-end",
	  "SET_DEVICE_STATE_FD with a pipe, write the file and close, then CHECK_DEVICE_STATE.\n"
	  "Refused while rings are started.", "device-state load state.bin", NULL, cmd_state_load, NULL, NULL, NULL },
};

const struct cmd_def *cmd_flow_defs(unsigned *n)
{
	*n = N(defs);
	return defs;
}
