/* cmd_raw.c - raw: send anything at all, warn where it breaks the table, say what the back-end did. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/backend.h"
#include "cmd/cmd.h"
#include "cmd/rings.h"
#include "core/codec.h"
#include "core/devcfg.h"
#include "core/jb.h"
#include "core/jw.h"
#include "core/render.h"

#include "cmd/request.h"

/* raw REQUEST ...: send anything, warn where it breaks the table. */
static void raw_checks(struct cmd_ctx *ctx, const struct conn_xfer *x, const struct vhu_request *row)
{
	const struct vhu_msg *m = &x->req;
	char msg[200];

	if (!row) {
		snprintf(msg, sizeof(msg), "request %u is not in the protocol table", m->request);
		request_add_warning(ctx->out, msg);
		return;
	}
	if (m->size != m->len) {
		snprintf(msg, sizeof(msg), "header size %u disagrees with the %u payload bytes sent", m->size, m->len);
		request_add_warning(ctx->out, msg);
	}
	{
		uint32_t min = row->size_min, max = row->size_max;

		if (m->len < min || m->len > max) {
			snprintf(msg, sizeof(msg), "%s payload is %u..%u bytes, sending %u",
				 row->name, min, max, m->len);
			request_add_warning(ctx->out, msg);
		}
	}
	if ((row->fds == FD_NONE && m->nfds) || (row->fds == FD_ONE && m->nfds != 1) ||
	    (row->fds == FD_OPTIONAL && m->nfds > 1)) {
		snprintf(msg, sizeof(msg), "%s takes %s fd, sending %u", row->name,
			 row->fds == FD_NONE ? "no" : row->fds == FD_ONE ? "exactly one" : "at most one", m->nfds);
		request_add_warning(ctx->out, msg);
	}
	if (row->req_kind == PL_MEM_TABLE && m->len >= 4) {
		uint32_t nreg;

		memcpy(&nreg, m->payload, 4);
		if (nreg != m->nfds) {
			snprintf(msg, sizeof(msg), "memory table says %u regions but %u fds are attached", nreg, m->nfds);
			request_add_warning(ctx->out, msg);
		}
	}
	if (row->fds == FD_ONE_UNLESS_NOFD && m->len >= 8) {
		uint64_t u;

		memcpy(&u, m->payload, 8);
		if (!!(u & VHU_VRING_NOFD) == (m->nfds == 1) || m->nfds > 1) {
			snprintf(msg, sizeof(msg), "NOFD bit %s but %u fd%s attached",
				 u & VHU_VRING_NOFD ? "set" : "clear", m->nfds, m->nfds == 1 ? "" : "s");
			request_add_warning(ctx->out, msg);
		}
	}
	if ((m->flags & VHU_FLAG_VERSION_MASK) != VHU_FLAG_VERSION || (m->flags & ~0xfu)) {
		snprintf(msg, sizeof(msg), "header flags 0x%x are not a valid request (version 1, bits 4-31 zero)",
			 m->flags);
		request_add_warning(ctx->out, msg);
	}
}

/* What the back-end did with a message that expects no reply: watch the
 * socket a moment. A hang-up is the usual answer to a malformed request. */
static void raw_outcome(struct cmd_ctx *ctx, struct conn_xfer *x, int ms)
{
	struct conn *c = &ctx->s->conn;
	const char *what = "replied";
	char buf[1];
	ssize_t n;

	if (x->reply_expected) {
		jb_add(ctx->out, "outcome", json_object_new_string(what));
		return;
	}
	if (!conn_connected(c) ||
	    (!c->rx.len && wire_wait(c->fd, wire_bound(ms, ctx->s->deadline)) != 0)) {
		jb_add(ctx->out, "outcome", json_object_new_string(conn_connected(c) ? "silent" : "closed"));
		return;
	}
	n = c->rx.len ? 1 : recv(c->fd, buf, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n == 0) {
		struct vhu_err e;

		what = "closed";
		vhu_errf(&e, ECONNRESET, "back-end closed the connection");
		conn_close_broken(c, &e, true);
		jb_add(ctx->out, "disconnected", json_object_new_boolean(1));
	} else if (n > 0) {
		/* Something came back although nothing should: show it. */
		struct vhu_err e = { 0 };

		if (conn_recv(c, &x->reply, ctx->s->deadline, &e) == 0) {
			jb_add(ctx->out, "unexpected_reply", render_msg(&x->reply, x->row ? x->row->name : NULL,
								       PL_OPAQUE, ctx->s->dev));
			wire_close_fds(&x->reply);
		} else {
			conn_close_broken(c, &e, true);
			jb_add(ctx->out, "unexpected_reply_error", json_object_new_string(e.msg));
		}
		what = "sent something";
	}
	jb_add(ctx->out, "outcome", json_object_new_string(what));
}

static const struct arg_enum reply_enum[] = {
	{ "auto", 0 }, { "yes", 1 }, { "no", 2 }, { NULL, 0 },
};
static const struct arg_spec raw_args[] = {
	{ .name = "request", .type = ARG_STRING, .required = true, .help = "request name or number" },
	{ .name = "header-flags", .type = ARG_U32, .key_only = true, .help = "header flags (default 0x1), as request commands spell it" },
	{ .name = "size", .type = ARG_U32, .key_only = true, .help = "header size field (default: payload length)" },
	{ .name = "payload", .type = ARG_HEX, .key_only = true, .help = "payload bytes, hex" },
	{ .name = "fds", .type = ARG_U32, .key_only = true, .help = "attach N fresh eventfds" },
	{ .name = "memfd", .type = ARG_U32, .key_only = true, .max = MEM_REGIONS_MAX - 1,
	  .help = "attach the memfd of guest memory region N (after the eventfds)" },
	{ .name = "reply", .type = ARG_ENUM, .key_only = true, .enums = reply_enum,
	  .help = "auto (from the table), yes or no" },
	{ .name = "observe", .type = ARG_U32, .key_only = true, .max = 3600000,
	  .help = "ms to watch for a hang-up when no reply is due (default 200)" },
};

/* A copy of region I's memfd to attach, or -errno with ctx's error set. */
static int attach_memfd(struct cmd_ctx *ctx, unsigned i)
{
	const struct mem *m = &ctx->s->mem;
	int fd;

	if (i >= m->n)
		return ctx->bad_tok = (int)args_get(&ctx->args, "memfd")->tok,
		       vhu_errf(&ctx->err, ERANGE, "memfd=%u: there %s %u memory region%s ('mem add')", i,
				m->n == 1 ? "is" : "are", m->n, m->n == 1 ? "" : "s");
	fd = fcntl(m->r[i].fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return vhu_errf(&ctx->err, errno, "memfd=%u: %s", i, strerror(errno));
	return fd;
}

static int cmd_raw_budget(const struct cmd_ctx *ctx)
{
	/* the exchange, then the watch for a hang-up */
	return ctx->s->conn.timeout_ms + (int)args_u(&ctx->args, "observe", 200);
}

static int cmd_raw(struct cmd_ctx *ctx)
{
	const struct arg_set *a = &ctx->args;
	const char *name = args_get(a, "request")->str;
	const struct vhu_request *row;
	struct fd_plan plan = { .send = -1, .keep = -1 };
	const struct arg_val *pl = args_get(a, "payload");
	struct conn_xfer *x;
	struct vhu_pval pv = { .kind = PL_OPAQUE };
	uint64_t num, nfds = args_u(a, "fds", 0);
	int r;

	row = proto_request_by_name(SIDE_FRONTEND, name);
	if (row)
		num = row->num;
	else if (args_parse_u64(name, &num) == 0 && num <= UINT32_MAX)
		row = proto_request(SIDE_FRONTEND, (uint32_t)num);
	else
		return ctx->bad_tok = (int)args_get(a, "request")->tok,
		       vhu_errf(&ctx->err, EINVAL, "unknown request '%s'", name);
	if (nfds + args_get(a, "memfd")->set > VHU_MAX_FDS)
		return vhu_errf(&ctx->err, ERANGE, "at most %u fds", VHU_MAX_FDS);
	if (pl->nbytes > VHU_PAYLOAD_MAX)
		return vhu_errf(&ctx->err, ERANGE, "payload over %u bytes", VHU_PAYLOAD_MAX);
	x = session_xfer(ctx->s);
	if (!x)
		return vhu_errf(&ctx->err, ENOMEM, "out of memory");
	x->row = row;
	x->req.request = (uint32_t)num;
	x->req.flags = (uint32_t)args_u(a, "header-flags", VHU_FLAG_VERSION);
	if (pl->nbytes)
		memcpy(x->req.payload, pl->bytes, pl->nbytes);
	x->req.len = pl->nbytes;
	x->req.size = (uint32_t)args_u(a, "size", pl->nbytes);
	x->expect = (enum conn_expect)args_u(a, "reply", EXPECT_AUTO);
	for (unsigned i = 0; i < nfds; i++) {
		int fd = eventfd(0, EFD_CLOEXEC);

		if (fd < 0) {
			r = vhu_errf(&ctx->err, errno, "eventfd: %s", strerror(errno));
			goto out;
		}
		x->req.fds[x->req.nfds++] = fd;
	}
	if (args_get(a, "memfd")->set) {
		/* a duplicate: what is attached is closed once sent, the region stays */
		int fd = attach_memfd(ctx, (unsigned)args_u(a, "memfd", 0));

		if (fd < 0) {
			r = fd;
			goto out;
		}
		x->req.fds[x->req.nfds++] = fd;
	}
	raw_checks(ctx, x, row);
	r = request_exchange(ctx, x, &plan, &pv);
	if (r == 0)
		raw_outcome(ctx, x, (int)args_u(a, "observe", 200));
out:
	for (unsigned i = 0; i < x->req.nfds; i++)
		close(x->req.fds[i]);
	return r;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct cmd_def defs[] = {
	{ "raw", GROUP_SESSION, raw_args, N(raw_args), "send any message, even one that breaks the protocol",
	  "Warns where the message disagrees with the protocol table, sends it anyway, and\n"
	  "reports what the back-end did: replied, closed the connection, or said nothing.",
	  "raw GET_FEATURES header-flags=0xd", NULL, cmd_raw, NULL, cmd_raw_budget, NULL },
};

const struct cmd_def *cmd_raw_defs(unsigned *n)
{
	*n = N(defs);
	return defs;
}
