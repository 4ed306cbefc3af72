/* cmd_request.c - one command per protocol request, argument specs from the payload kind. */
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
#include "cmd/cmd_ring.h"
#include "core/codec.h"
#include "core/devcfg.h"
#include "core/jb.h"
#include "core/jw.h"
#include "core/render.h"

static const struct arg_enum perm_enum[] = {
	{ "none", 0 }, { "ro", 1 }, { "wo", 2 }, { "rw", 3 }, { NULL, 0 },
};
static const struct arg_enum iotlb_type_enum[] = {
	{ "update", 2 }, { "invalidate", 3 }, { "miss", 1 }, { "access-fail", 4 }, { NULL, 0 },
};
static const struct arg_enum endian_enum[] = {
	{ "le", 0 }, { "little", 0 }, { "be", 1 }, { "big", 1 }, { NULL, 0 },
};
static const struct arg_enum direction_enum[] = {
	{ "save", 0 }, { "load", 1 }, { NULL, 0 },
};
static const struct arg_enum phase_enum[] = {
	{ "stopped", 0 }, { NULL, 0 },
};
static const struct arg_enum vring_flags_enum[] = {
	{ "LOG", 1 }, { "VHOST_VRING_F_LOG", 1 }, { NULL, 0 },
};
static const struct arg_enum reply_enum[] = {
	{ "auto", 0 }, { "yes", 1 }, { "no", 2 }, { NULL, 0 },
};

#define A(...) (struct arg_spec){ __VA_ARGS__ }

/* Arguments every request command takes after its payload arguments. */
static unsigned add_common(struct arg_spec *a, unsigned n)
{
	a[n++] = A(.name = "header-flags", .type = ARG_U32, .key_only = true,
		   .help = "send exactly these header flags");
	a[n++] = A(.name = "need-reply", .type = ARG_BOOL, .key_only = true,
		   .help = "force NEED_REPLY on or off");
	a[n++] = A(.name = "sync", .type = ARG_FLAG,
		   .help = "follow with a GET_FEATURES barrier when no reply comes");
	return n;
}

/* Payload arguments of ROW, from its payload kind. */
static unsigned payload_args(const struct vhu_request *row, struct arg_spec *a)
{
	unsigned n = 0;

	switch (row->req_kind) {
	case PL_NONE:
	case PL_MEM_TABLE:
		break;
	case PL_FEATURES:
		a[n++] = A(.name = "features", .type = ARG_FEATURES, .required = true,
			   .help = "feature names (VIRTIO_F_VERSION_1,...) or a mask");
		break;
	case PL_PROTOCOL_FEATURES:
		a[n++] = A(.name = "features", .type = ARG_PFEATURES, .required = true,
			   .help = "protocol feature names (REPLY_ACK,...) or a mask");
		break;
	case PL_STATUS:
		a[n++] = A(.name = "status", .type = ARG_STATUS, .required = true,
			   .help = "status names (ACKNOWLEDGE,DRIVER,...) or a number");
		break;
	case PL_U64:
		a[n++] = A(.name = row->num_arg ? row->num_arg : "value", .type = ARG_U64,
			   .required = true, .help = "u64 value");
		break;
	case PL_MAC:
		a[n++] = A(.name = "mac", .type = ARG_MAC, .required = true,
			   .help = "MAC address");
		break;
	case PL_VRING_FD:
		a[n++] = A(.name = "index", .type = ARG_U32, .required = true, .max = VHU_VRING_IDX_MASK,
			   .help = "ring index");
		a[n++] = A(.name = "nofd", .type = ARG_FLAG, .help = "send the NOFD bit instead of an eventfd");
		break;
	case PL_VRING_STATE:
		a[n++] = A(.name = "index", .type = ARG_U32, .required = true, .help = "ring index");
		if (!row->num_arg)
			a[n++] = A(.name = "num", .type = ARG_U32, .key_only = true, .help = "num field (0)");
		else if (strcmp(row->num_arg, "enable") == 0)
			a[n++] = A(.name = "enable", .type = ARG_BOOL, .required = true, .help = "1 or 0");
		else if (strcmp(row->num_arg, "endian") == 0)
			a[n++] = A(.name = "endian", .type = ARG_ENUM, .required = true,
				   .enums = endian_enum, .max = UINT32_MAX, .help = "le or be");
		else
			a[n++] = A(.name = row->num_arg, .type = ARG_U32, .required = true,
				   .help = strcmp(row->num_arg, "num") == 0 ? "ring size" : "next avail index");
		break;
	case PL_VRING_ADDR:
		a[n++] = A(.name = "index", .type = ARG_U32, .required = true, .help = "ring index");
		a[n++] = A(.name = "desc", .type = ARG_U64, .required = true, .help = "descriptor table address");
		a[n++] = A(.name = "used", .type = ARG_U64, .required = true, .help = "used ring address");
		a[n++] = A(.name = "avail", .type = ARG_U64, .required = true, .help = "available ring address");
		a[n++] = A(.name = "log", .type = ARG_U64, .key_only = true, .help = "log_guest_addr");
		a[n++] = A(.name = "flags", .type = ARG_ENUM, .key_only = true,
			   .enums = vring_flags_enum, .max = UINT32_MAX, .help = "LOG or a number");
		a[n++] = A(.name = "gpa", .type = ARG_FLAG,
			   .help = "addresses are guest-physical; translate them");
		break;
	case PL_MEM_REGION:
		a[n++] = A(.name = "region", .type = ARG_U32, .max = MEM_REGIONS_MAX - 1,
			   .help = "index in 'mem list' (default: last)");
		break;
	case PL_LOG:
		a[n++] = A(.name = "size", .type = ARG_U64, .help = "log size (default: covers all memory)");
		a[n++] = A(.name = "offset", .type = ARG_U64, .key_only = true, .help = "mmap_offset");
		break;
	case PL_IOTLB:
		a[n++] = A(.name = "type", .type = ARG_ENUM, .enums = iotlb_type_enum,
			   .max = UINT8_MAX, .help = "update (default), invalidate, miss, access-fail");
		a[n++] = A(.name = "iova", .type = ARG_U64, .required = true, .help = "I/O virtual address");
		a[n++] = A(.name = "size", .type = ARG_U64, .required = true, .help = "size");
		a[n++] = A(.name = "uaddr", .type = ARG_U64, .required = true, .help = "user address");
		a[n++] = A(.name = "perm", .type = ARG_ENUM, .enums = perm_enum, .max = UINT8_MAX, .help = "none, ro, wo, rw (default rw)");
		break;
	case PL_CONFIG:
		if (row->reply_kind == PL_CONFIG) {
			a[n++] = A(.name = "size", .type = ARG_U32, .help = "bytes to read (default: the device's config size)");
			a[n++] = A(.name = "offset", .type = ARG_U32, .key_only = true, .help = "config offset");
		} else {
			a[n++] = A(.name = "data", .type = ARG_HEX, .required = true, .help = "bytes to write, hex");
			a[n++] = A(.name = "offset", .type = ARG_U32, .key_only = true, .help = "config offset");
		}
		a[n++] = A(.name = "flags", .type = ARG_U32, .key_only = true,
			   .help = "config flags (0 writable, 1 live migration)");
		break;
	case PL_INFLIGHT:
		a[n++] = A(.name = "num_queues", .type = ARG_U32, .max = UINT16_MAX, .help = "queues (default 1)");
		a[n++] = A(.name = "queue_size", .type = ARG_U32, .max = UINT16_MAX, .help = "ring size (default 256)");
		if (row->reply_kind != PL_INFLIGHT) {
			a[n++] = A(.name = "mmap_size", .type = ARG_U64, .key_only = true,
				   .help = "area size (default: the kept inflight fd's size)");
			a[n++] = A(.name = "mmap_offset", .type = ARG_U64, .key_only = true, .help = "offset");
		}
		break;
	case PL_SHARED:
		a[n++] = A(.name = "uuid", .type = ARG_UUID, .required = true, .help = "object UUID");
		break;
	case PL_DEVSTATE:
		a[n++] = A(.name = "direction", .type = ARG_ENUM, .required = true,
			   .enums = direction_enum, .max = UINT32_MAX, .help = "save or load");
		a[n++] = A(.name = "phase", .type = ARG_ENUM, .enums = phase_enum, .max = UINT32_MAX, .help = "stopped");
		break;
	case PL_CRYPTO:
	case PL_OPAQUE:
		a[n++] = A(.name = "payload", .type = ARG_HEX, .required = true, .help = "payload bytes, hex");
		break;
	default:
		break;
	}
	return n;
}

static struct arg_spec req_specs[VHU_FRONTEND_REQ_MAX + 1][ARGS_MAX];
static char req_names[VHU_FRONTEND_REQ_MAX + 1][48];
static char req_examples[VHU_FRONTEND_REQ_MAX + 1][160];

/* A plausible value for an argument, for the examples in help. */
static const char *sample(const struct arg_spec *a)
{
	static const struct { const char *name, *value; } by_name[] = {
		{ "index", "0" }, { "num", "256" }, { "base", "0" }, { "mtu", "1500" },
		{ "desc", "0x0" }, { "used", "0x2000" }, { "avail", "0x1000" },
		{ "iova", "0x0" }, { "size", "60" }, { "uaddr", "0x7f0000000000" },
		{ "data", "0000" }, { "session", "1" },
	};

	for (size_t i = 0; i < sizeof(by_name) / sizeof(by_name[0]); i++)
		if (strcmp(a->name, by_name[i].name) == 0)
			return by_name[i].value;
	switch (a->type) {
	case ARG_FEATURES: return "VIRTIO_F_VERSION_1,VHOST_USER_F_PROTOCOL_FEATURES";
	case ARG_PFEATURES: return "REPLY_ACK,CONFIG";
	case ARG_STATUS: return "ACKNOWLEDGE,DRIVER,FEATURES_OK,DRIVER_OK";
	case ARG_BOOL: return "1";
	case ARG_MAC: return "52:54:00:12:34:56";
	case ARG_UUID: return "00112233445566778899aabbccddeeff";
	case ARG_ENUM: return a->enums ? a->enums[0].name : "0";
	case ARG_HEX: return "00";
	default: return "0";
	}
}

static const char *example(const char *name, const struct arg_spec *a, unsigned n, char *buf, size_t len)
{
	size_t off = (size_t)snprintf(buf, len, "%s", name);

	for (unsigned i = 0; i < n && off < len; i++) {
		if (!a[i].required && strcmp(a[i].name, "size") != 0)
			continue;
		static const char *const keyed = " desc used avail size iova uaddr log data payload ";
		char word[24];

		snprintf(word, sizeof(word), " %s ", a[i].name);
		if (a[i].key_only || strstr(keyed, word))
			off += (size_t)snprintf(buf + off, len - off, " %s=%s", a[i].name, sample(&a[i]));
		else
			off += (size_t)snprintf(buf + off, len - off, " %s", sample(&a[i]));
	}
	return buf;
}

void cmd_request_defs(struct cmd_def *out, unsigned *n, unsigned max)
{
	unsigned nreq;
	const struct vhu_request *t = proto_requests(SIDE_FRONTEND, &nreq);

	for (unsigned i = 0; i < nreq && *n < max; i++) {
		struct arg_spec *a = req_specs[t[i].num];
		unsigned na = add_common(a, payload_args(&t[i], a));

		const char *name = proto_cli_name(&t[i], req_names[t[i].num], sizeof(req_names[0]));

		out[(*n)++] = (struct cmd_def){
			.name = name,
			.example = example(name, a, na, req_examples[t[i].num], sizeof(req_examples[0])),
			.spec_ref = "docs/interop/vhost-user.rst, \"Front-end message types\"",
			.group = GROUP_REQUEST,
			.args = a,
			.nargs = na,
			.summary = t[i].summary,
			.fn = cmd_request_run,
			.req = &t[i],
		};
	}
}

/* What a request must do with the fds around it once it has been sent. */
struct fd_plan {
	int send;		/* fd attached, -1 none */
	bool close_send;	/* ours to close once sent (the far end of a pair) */
	int keep;		/* fd to keep, -1 none */
	const char *keep_name;	/* in session_keep_fd, or NULL for a ring slot */
	int *ring_slot;		/* &s->ring[i].kick etc. */
};

static void plan_close(struct fd_plan *p)
{
	if (p->send >= 0 && p->close_send)
		close(p->send);
	if (p->keep >= 0 && p->keep != p->send)
		close(p->keep);
	if (p->keep >= 0 && p->keep == p->send && !p->close_send)
		close(p->keep);
	p->send = p->keep = -1;
}

static void plan_commit(struct session *s, struct fd_plan *p)
{
	if (p->send >= 0 && p->close_send)
		close(p->send);
	if (p->keep >= 0) {
		if (p->ring_slot) {
			if (*p->ring_slot >= 0)
				close(*p->ring_slot);
			*p->ring_slot = p->keep;
		} else {
			session_keep_fd(s, p->keep_name, p->keep);
		}
	}
	p->send = p->keep = -1;
}

static int new_memfd(const char *name, uint64_t size, struct vhu_err *e)
{
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return vhu_errf(e, errno, "memfd_create: %s", strerror(errno));
	if (ftruncate(fd, (off_t)size) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0) {
		int err = errno;

		close(fd);
		return vhu_errf(e, err, "memfd of %" PRIu64 " bytes: %s", size, strerror(err));
	}
	return fd;
}

static int build_vring_fd(struct cmd_ctx *ctx, struct vhu_pval *pv, struct fd_plan *p)
{
	uint64_t idx = args_u(&ctx->args, "index", 0);
	unsigned num = ctx->cmd->req->num;
	struct ring_fds *r;
	int fd;

	pv->u64 = idx;	/* at most VHU_VRING_IDX_MASK (the spec): a slot of s->ring */
	if (args_u(&ctx->args, "nofd", 0)) {
		pv->u64 |= VHU_VRING_NOFD;
		return 0;
	}
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return vhu_errf(&ctx->err, errno, "eventfd: %s", strerror(errno));
	r = &ctx->s->ring[idx];
	p->send = p->keep = fd;
	p->ring_slot = num == 12 ? &r->kick : num == 13 ? &r->call : &r->err;
	return 0;
}

static int build_mem_table(struct cmd_ctx *ctx, struct vhu_pval *pv, struct vhu_msg *m)
{
	const struct mem *mem = &ctx->s->mem;

	if (mem->n == 0)
		return vhu_errf(&ctx->err, ENOENT, "no memory regions: add one with 'mem add SIZE'");
	if (mem->n > VHU_MEM_REGIONS_MAX)
		return vhu_errf(&ctx->err, E2BIG, "%u regions, SET_MEM_TABLE carries at most %u (use add-mem-reg)",
				mem->n, VHU_MEM_REGIONS_MAX);
	pv->mem.nregions = mem->n;
	for (unsigned i = 0; i < mem->n; i++) {
		pv->mem.r[i] = (struct vhu_mem_region){
			.gpa = mem->r[i].gpa, .size = mem->r[i].size,
			.uaddr = (uint64_t)(uintptr_t)mem->r[i].va, .mmap_offset = 0,
		};
		m->fds[m->nfds++] = mem->r[i].fd;
	}
	return 0;
}

static int build_mem_region(struct cmd_ctx *ctx, struct vhu_pval *pv, struct vhu_msg *m)
{
	const struct mem *mem = &ctx->s->mem;
	uint64_t i = args_u(&ctx->args, "region", mem->n ? mem->n - 1 : 0);

	if (i >= mem->n) {
		const struct arg_val *v = args_get(&ctx->args, "region");

		ctx->bad_tok = v->set ? (int)v->tok : -1;
		return vhu_errf(&ctx->err, ENOENT, mem->n ? "no memory region %" PRIu64 " (see 'mem list')" :
				"no memory regions: add one with 'mem add SIZE'", i);
	}
	pv->region = (struct vhu_mem_region){
		.gpa = mem->r[i].gpa, .size = mem->r[i].size,
		.uaddr = (uint64_t)(uintptr_t)mem->r[i].va, .mmap_offset = 0,
	};
	if (ctx->cmd->req->num == 37) {	/* ADD_MEM_REG carries the fd; REM_MEM_REG none */
		/* Honour GET_MAX_MEM_SLOTS: a region past it would be refused. */
		if (ctx->s->max_mem_slots && i >= ctx->s->max_mem_slots)
			return vhu_errf(&ctx->err, ENOSPC, "region %" PRIu64 " is past the back-end's %" PRIu64
					" memory slots (GET_MAX_MEM_SLOTS)", i, ctx->s->max_mem_slots);
		m->fds[m->nfds++] = mem->r[i].fd;
	}
	return 0;
}

static uint64_t default_log_size(const struct mem *m)
{
	uint64_t end = 0;

	for (unsigned i = 0; i < m->n; i++)
		if (m->r[i].gpa + m->r[i].size > end)
			end = m->r[i].gpa + m->r[i].size;
	/* One bit per 4 KiB page, rounded to whole pages. */
	end = (end / 4096 + 7) / 8;
	return end ? (end + 4095) & ~UINT64_C(4095) : 4096;
}

static int build_vring_addr(struct cmd_ctx *ctx, struct vhu_pval *pv)
{
	const struct arg_set *a = &ctx->args;
	static const char *const names[] = { "desc", "used", "avail" };
	uint64_t *dst[] = { &pv->addr.desc, &pv->addr.used, &pv->addr.avail };

	pv->addr.index = (uint32_t)args_u(a, "index", 0);
	pv->addr.flags = (uint32_t)args_u(a, "flags", 0);
	pv->addr.log = args_u(a, "log", 0);
	for (unsigned i = 0; i < 3; i++) {
		uint64_t v = args_u(a, names[i], 0);

		if (args_u(a, "gpa", 0) && !mem_gpa_to_uaddr(&ctx->s->mem, v, &v)) {
			ctx->bad_tok = (int)args_get(a, names[i])->tok;
			return vhu_errf(&ctx->err, EFAULT, "%s=0x%" PRIx64 " is outside every memory region",
					names[i], args_u(a, names[i], 0));
		}
		*dst[i] = v;
	}
	return 0;
}

static int build_config(struct cmd_ctx *ctx, struct vhu_pval *pv)
{
	const struct arg_set *a = &ctx->args;

	pv->config.offset = (uint32_t)args_u(a, "offset", 0);
	pv->config.flags = (uint32_t)args_u(a, "flags", 0);
	if (ctx->cmd->req->reply_kind == PL_CONFIG) {
		/* QEMU's vhost-user-blk asks for the 60 bytes its virtio_blk_config
		 * had (up to write_zeroes_may_unmap), and libvhost-user back-ends
		 * refuse more; ask what QEMU asks. */
		uint32_t def = ctx->s->dev == DEV_BLK ? 60 : devcfg_size(ctx->s->dev);
		uint64_t size = args_u(a, "size", def);

		if (!args_get(a, "size")->set && !def)
			return vhu_errf(&ctx->err, EINVAL, "give size=N (or --device TYPE for its config size)");
		if (size > VHU_CONFIG_MAX) {
			ctx->bad_tok = (int)args_get(a, "size")->tok;
			return vhu_errf(&ctx->err, ERANGE, "size %" PRIu64 " exceeds %u", size, VHU_CONFIG_MAX);
		}
		pv->config.size = (uint32_t)size;
	} else {
		const struct arg_val *d = args_get(a, "data");

		if (d->nbytes > VHU_CONFIG_MAX) {
			ctx->bad_tok = (int)d->tok;
			return vhu_errf(&ctx->err, ERANGE, "%u bytes of data exceed %u", d->nbytes, VHU_CONFIG_MAX);
		}
		pv->config.size = d->nbytes;
		memcpy(pv->config.data, d->bytes, d->nbytes);
	}
	return 0;
}

static int build_inflight(struct cmd_ctx *ctx, struct vhu_pval *pv, struct fd_plan *p)
{
	const struct arg_set *a = &ctx->args;
	int fd;

	pv->inflight.num_queues = (uint16_t)args_u(a, "num_queues", 1);
	pv->inflight.queue_size = (uint16_t)args_u(a, "queue_size", 256);
	if (ctx->cmd->req->reply_kind == PL_INFLIGHT)
		return 0;
	pv->inflight.mmap_offset = args_u(a, "mmap_offset", 0);
	fd = session_kept_fd(ctx->s, "inflight");
	if (fd >= 0) {
		struct stat st;

		p->send = fd;	/* the session keeps owning it */
		if (fstat(fd, &st) == 0)
			pv->inflight.mmap_size = args_u(a, "mmap_size", (uint64_t)st.st_size);
		return 0;
	}
	pv->inflight.mmap_size = args_u(a, "mmap_size", 4096);
	fd = new_memfd("vhuctl-inflight", pv->inflight.mmap_size, &ctx->err);
	if (fd < 0)
		return fd;
	p->send = p->keep = fd;
	p->keep_name = "inflight";
	return 0;
}

static int socket_pair_plan(struct cmd_ctx *ctx, struct fd_plan *p, const char *name)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return vhu_errf(&ctx->err, errno, "socketpair: %s", strerror(errno));
	p->send = sv[1];
	p->close_send = true;
	p->keep = sv[0];
	p->keep_name = name;
	return 0;
}

static int build_devstate(struct cmd_ctx *ctx, struct vhu_pval *pv, struct fd_plan *p)
{
	int pfd[2];

	pv->devstate.direction = (uint32_t)args_u(&ctx->args, "direction", 0);
	pv->devstate.phase = (uint32_t)args_u(&ctx->args, "phase", 0);
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return vhu_errf(&ctx->err, errno, "pipe: %s", strerror(errno));
	/* save: the back-end writes, we read; load: the other way round. */
	p->send = pv->devstate.direction == 0 ? pfd[1] : pfd[0];
	p->keep = pv->devstate.direction == 0 ? pfd[0] : pfd[1];
	p->close_send = true;
	p->keep_name = "device-state";
	return 0;
}

/* Fill the payload and fds of request ROW from the parsed arguments. */
static int build_request(struct cmd_ctx *ctx, struct vhu_pval *pv, struct vhu_msg *m,
			 struct fd_plan *p)
{
	const struct vhu_request *row = ctx->cmd->req;
	const struct arg_set *a = &ctx->args;
	const struct arg_val *v;
	int fd;

	memset(pv, 0, sizeof(*pv));
	pv->kind = row->req_kind;
	switch (row->req_kind) {
	case PL_NONE:
		break;
	case PL_FEATURES: case PL_PROTOCOL_FEATURES: case PL_STATUS:
		pv->u64 = args_u(a, row->req_kind == PL_STATUS ? "status" : "features", 0);
		break;
	case PL_U64:
		pv->u64 = args_u(a, row->num_arg ? row->num_arg : "value", 0);
		break;
	case PL_MAC:
		memcpy(&pv->u64, args_get(a, "mac")->bytes, 6);
		break;
	case PL_VRING_FD:
		return build_vring_fd(ctx, pv, p);
	case PL_VRING_STATE:
		pv->state.index = (uint32_t)args_u(a, "index", 0);
		pv->state.num = (uint32_t)args_u(a, row->num_arg ? row->num_arg : "num", 0);
		break;
	case PL_VRING_ADDR:
		return build_vring_addr(ctx, pv);
	case PL_MEM_TABLE:
		return build_mem_table(ctx, pv, m);
	case PL_MEM_REGION:
		return build_mem_region(ctx, pv, m);
	case PL_LOG:
		pv->log.mmap_size = args_u(a, "size", default_log_size(&ctx->s->mem));
		pv->log.mmap_offset = args_u(a, "offset", 0);
		if (pv->log.mmap_size == 0 || pv->log.mmap_size > (UINT64_C(1) << 40))
			return vhu_errf(&ctx->err, ERANGE, "log size must be 1 byte to 1 TiB");
		fd = new_memfd("vhuctl-log", pv->log.mmap_size, &ctx->err);
		if (fd < 0)
			return fd;
		p->send = p->keep = fd;
		p->keep_name = "log";
		break;
	case PL_IOTLB:
		pv->iotlb.iova = args_u(a, "iova", 0);
		pv->iotlb.size = args_u(a, "size", 0);
		pv->iotlb.uaddr = args_u(a, "uaddr", 0);
		pv->iotlb.perm = (uint8_t)args_u(a, "perm", 3);
		pv->iotlb.type = (uint8_t)args_u(a, "type", 2);
		break;
	case PL_CONFIG:
		return build_config(ctx, pv);
	case PL_INFLIGHT:
		return build_inflight(ctx, pv, p);
	case PL_SHARED:
		memcpy(pv->shared.uuid, args_get(a, "uuid")->bytes, 16);
		break;
	case PL_DEVSTATE:
		return build_devstate(ctx, pv, p);
	case PL_CRYPTO:
	case PL_OPAQUE:
		v = args_get(a, "payload");
		pv->raw = v->bytes;
		pv->raw_len = v->nbytes;
		break;
	default:
		return vhu_errf(&ctx->err, ENOTSUP, "%s cannot be sent by a front-end", row->name);
	}
	/* Requests whose fd has no payload field of its own. */
	switch (row->num) {
	case 7:		/* SET_LOG_FD */
		fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fd < 0)
			return vhu_errf(&ctx->err, errno, "eventfd: %s", strerror(errno));
		p->send = p->keep = fd;
		p->keep_name = "log-eventfd";
		break;
	case 21:	/* SET_BACKEND_REQ_FD */
		return socket_pair_plan(ctx, p, "backend-channel");
	case 33:	/* GPU_SET_SOCKET */
		return socket_pair_plan(ctx, p, "gpu-socket");
	}
	return 0;
}

/* Name under which a reply's legitimate fd is kept. */
static const char *reply_fd_name(uint32_t num)
{
	switch (num) {
	case 28: return "userfaultfd";
	case 31: return "inflight";
	case 41: return "shared-object";
	case 42: return "device-state-backend";
	default: return "reply-fd";
	}
}

static void add_warning(struct json_object *out, const char *msg)
{
	struct json_object *w;

	if (!json_object_object_get_ex(out, "warnings", &w)) {
		w = json_object_new_array();
		json_object_object_add(out, "warnings", w);
	}
	json_object_array_add(w, json_object_new_string(msg));
}

static void warn_feature(struct cmd_ctx *ctx, const struct vhu_request *row)
{
	const struct conn *c = &ctx->s->conn;
	char msg[200];

	if (row->proto_feature < 0 || !c->proto_set)
		return;
	if (c->acked_proto >> row->proto_feature & 1)
		return;
	snprintf(msg, sizeof(msg), "%s needs VHOST_USER_PROTOCOL_F_%s, which was not negotiated",
		 row->name, proto_feature_by_bit((unsigned)row->proto_feature)->name);
	add_warning(ctx->out, msg);
}

/* Values the request may carry but a back-end will refuse: sent anyway
 * (exact control), with a warning saying why it will likely fail. */
static void warn_payload(struct cmd_ctx *ctx, const struct vhu_request *row, const struct vhu_pval *pv)
{
	char msg[200];

	if (row->num == 8) {	/* SET_VRING_NUM */
		uint32_t num = pv->state.num;
		bool packed = cmd_acked(ctx->s, F_RING_PACKED);

		if (num == 0 || num > 32768)
			snprintf(msg, sizeof(msg), "a ring of %u entries: virtio allows 1 to 32768", num);
		else if (!packed && (num & (num - 1)))
			snprintf(msg, sizeof(msg), "a split ring of %u entries: it must be a power of two "
				 "(only packed rings may be any size)", num);
		else
			return;
		add_warning(ctx->out, msg);
	}
}

/* Header flags for a request built by a command. */
static uint32_t request_flags(struct cmd_ctx *ctx, const struct vhu_request *row)
{
	const struct arg_set *a = &ctx->args;
	uint32_t flags = VHU_FLAG_VERSION;

	if (ctx->s->ack && (row->reply == REPLY_ACK_ONLY || row->need_reply_too) &&
	    conn_reply_ack(&ctx->s->conn))
		flags |= VHU_FLAG_NEED_REPLY;
	if (args_get(a, "need-reply")->set)
		flags = args_u(a, "need-reply", 0) ? flags | VHU_FLAG_NEED_REPLY :
						     flags & ~VHU_FLAG_NEED_REPLY;
	if (args_get(a, "header-flags")->set)
		flags = (uint32_t)args_u(a, "header-flags", 0);
	return flags;
}

/* GET_FEATURES as a barrier: every back-end answers it, so once its reply
 * is in, everything sent before has been read (QEMU's vhost_user_write_sync). */
static int sync_barrier(struct cmd_ctx *ctx)
{
	struct conn_xfer *x = calloc(1, sizeof(*x));
	struct json_object *o;
	int r;

	if (!x)
		return vhu_errf(&ctx->err, ENOMEM, "out of memory");
	x->row = proto_request(SIDE_FRONTEND, 1);
	x->req.request = 1;
	x->req.flags = VHU_FLAG_VERSION;
	r = conn_transact(&ctx->s->conn, x, ctx->s->deadline, &ctx->err);
	o = json_object_new_object();
	jb_add(o, "request", json_object_new_string("GET_FEATURES"));
	jb_add(o, "ok", json_object_new_boolean(r == 0));
	jb_add(o, "rtt_us", jb_us(x->rtt_ns));
	jb_add(ctx->out, "sync", o);
	wire_close_fds(&x->reply);
	free(x);
	if (r < 0)
		vhu_err_prefix(&ctx->err, "sync barrier");
	return r;
}

/* The reply's own meaning, beyond the header checks of conn_transact. */
static int check_reply_payload(struct cmd_ctx *ctx, const struct conn_xfer *x,
			       const struct vhu_pval *req)
{
	const struct vhu_request *row = x->row;
	struct vhu_err de = { 0 };
	struct vhu_pval v;
	uint64_t ack;

	if (x->ack_expected) {
		memcpy(&ack, x->reply.payload, 8);
		json_object_object_add(ctx->out, "ack", json_object_new_object());
		{
			struct json_object *o;

			json_object_object_get_ex(ctx->out, "ack", &o);
			jb_add(o, "u64", jb_u64(ack));
			jb_add(o, "ok", json_object_new_boolean(ack == 0));
		}
		if (ack)
			return vhu_errf(&ctx->err, EIO, "%s: back-end answered REPLY_ACK with 0x%" PRIx64 " (failure)",
					row->name, ack);
		return 0;
	}
	if (!row)
		return 0;
	/* A reply that passed the header checks but does not decode is malformed:
	 * never a success (a GET_CONFIG whose size field disagrees with the
	 * bytes that follow once was). */
	if (codec_decode(row->reply_kind, x->reply.payload, x->reply.len, &v, &de) < 0)
		return vhu_errf(&ctx->err, EBADMSG, "%s: reply's %s", row->name, de.msg);
	switch (row->num) {
	case 11:
		if (v.state.index != req->state.index)
			add_warning(ctx->out, "GET_VRING_BASE reply is for a different ring index");
		break;
	case 22: case 30: case 43:
		if (v.u64)
			return vhu_errf(&ctx->err, EIO, "%s: back-end answered 0x%" PRIx64 " (failure)",
					row->name, v.u64);
		break;
	case 24:
		if (v.config.size == req->config.size && v.config.size)
			ctx->s->config_size = v.config.size;
		if (v.config.size == 0 && req->config.size)
			return vhu_errf(&ctx->err, EIO, "GET_CONFIG: back-end answered size 0, which means it failed");
		if (v.config.size != req->config.size || v.config.offset != req->config.offset)
			return vhu_errf(&ctx->err, EBADMSG,
					"GET_CONFIG: reply covers offset %u size %u, request asked offset %u size %u",
					v.config.offset, v.config.size, req->config.offset, req->config.size);
		break;
	case 36:
		ctx->s->max_mem_slots = v.u64;
		break;
	case 31:
		ctx->s->inflight_size = v.inflight.mmap_size;
		ctx->s->inflight_offset = v.inflight.mmap_offset;
		ctx->s->inflight_queues = v.inflight.num_queues;
		ctx->s->inflight_queue_size = v.inflight.queue_size;
		break;
	case 42:
		if (v.u64 & 0xff)
			return vhu_errf(&ctx->err, EIO, "SET_DEVICE_STATE_FD: back-end answered error 0x%" PRIx64,
					v.u64 & 0xff);
		break;
	}
	return 0;
}

static void render_exchange(struct cmd_ctx *ctx, const struct conn_xfer *x)
{
	const struct vhu_request *row = x->row;
	const char *name = row ? row->name : NULL;
	enum vhu_device dev = ctx->s->dev;
	struct jw w;

	/* Written straight out: this runs for every request (see jw.h). */
	jw_init(&w);
	jw_key(&w, "request");
	render_msg_jw(&w, &x->req, name, row ? row->req_kind : PL_OPAQUE, dev);
	jw_key(&w, "reply");
	if (x->got_reply)
		render_msg_jw(&w, &x->reply, name,
			      x->ack_expected ? PL_U64 : row ? row->reply_kind : PL_OPAQUE, dev);
	else
		jw_null(&w);
	jw_key(&w, "reply_expected");
	jw_bool(&w, x->reply_expected);
	if (x->got_reply) {
		jw_key(&w, "rtt_us");
		jw_us(&w, x->rtt_ns);
	}
	jw_add_members(ctx->out, &w);
	for (unsigned i = 0; i < x->nwarn; i++)
		add_warning(ctx->out, x->warn[i]);
}

/* Send X and render it; shared by request commands and raw. */
static int exchange(struct cmd_ctx *ctx, struct conn_xfer *x, struct fd_plan *p,
		    const struct vhu_pval *pv)
{
	uint64_t sent_before = ctx->s->conn.sent;
	int r = conn_transact(&ctx->s->conn, x, ctx->s->deadline, &ctx->err);

	render_exchange(ctx, x);	/* while the fds it shows are still open */
	if (ctx->s->conn.sent != sent_before) {
		plan_commit(ctx->s, p);
		session_note_sent(ctx->s, &x->req);
	} else {
		plan_close(p);
	}
	if (x->req.request == 21 && x->row && ctx->s->conn.sent != sent_before)
		backend_attach(ctx->s);	/* serve the channel from now on */
	if (r == 0 && x->got_reply)
		r = check_reply_payload(ctx, x, pv);
	if (x->got_reply && x->reply.nfds) {
		/* A reply that passed every check keeps the fd it legitimately
		 * carries; from any other, no fd stays open. */
		if (r == 0)
			session_keep_fd(ctx->s, reply_fd_name(x->req.request), x->reply.fds[0]);
		for (unsigned i = r == 0 ? 1 : 0; i < x->reply.nfds; i++)
			close(x->reply.fds[i]);
		x->reply.nfds = 0;
	}
	if (!conn_connected(&ctx->s->conn))
		jb_add(ctx->out, "disconnected", json_object_new_boolean(1));
	return r;
}

int cmd_request_run(struct cmd_ctx *ctx)
{
	const struct vhu_request *row = ctx->cmd->req;
	struct fd_plan plan = { .send = -1, .keep = -1 };
	struct conn_xfer *x;
	struct vhu_pval pv;
	int r;

	x = session_xfer(ctx->s);
	if (!x)
		return vhu_errf(&ctx->err, ENOMEM, "out of memory");
	x->row = row;
	x->req.request = row->num;
	r = build_request(ctx, &pv, &x->req, &plan);
	if (r < 0)
		goto out;
	if (plan.send >= 0)
		x->req.fds[x->req.nfds++] = plan.send;
	r = codec_encode(&pv, x->req.payload, sizeof(x->req.payload), &x->req.len, &ctx->err);
	if (r < 0) {
		plan_close(&plan);
		goto out;
	}
	x->req.size = x->req.len;
	x->req.flags = request_flags(ctx, row);
	warn_feature(ctx, row);
	warn_payload(ctx, row, &pv);
	r = exchange(ctx, x, &plan, &pv);
	if (r == 0 && !x->reply_expected && (ctx->s->sync || args_u(&ctx->args, "sync", 0)))
		r = sync_barrier(ctx);
out:
	return r;
}

/* raw REQUEST ...: send anything, warn where it breaks the table. */
static void raw_checks(struct cmd_ctx *ctx, const struct conn_xfer *x, const struct vhu_request *row)
{
	const struct vhu_msg *m = &x->req;
	char msg[200];

	if (!row) {
		snprintf(msg, sizeof(msg), "request %u is not in the protocol table", m->request);
		add_warning(ctx->out, msg);
		return;
	}
	if (m->size != m->len) {
		snprintf(msg, sizeof(msg), "header size %u disagrees with the %u payload bytes sent", m->size, m->len);
		add_warning(ctx->out, msg);
	}
	{
		uint32_t min = row->size_min, max = row->size_max;

		if (m->len < min || m->len > max) {
			snprintf(msg, sizeof(msg), "%s payload is %u..%u bytes, sending %u",
				 row->name, min, max, m->len);
			add_warning(ctx->out, msg);
		}
	}
	if ((row->fds == FD_NONE && m->nfds) || (row->fds == FD_ONE && m->nfds != 1) ||
	    (row->fds == FD_OPTIONAL && m->nfds > 1)) {
		snprintf(msg, sizeof(msg), "%s takes %s fd, sending %u", row->name,
			 row->fds == FD_NONE ? "no" : row->fds == FD_ONE ? "exactly one" : "at most one", m->nfds);
		add_warning(ctx->out, msg);
	}
	if (row->req_kind == PL_MEM_TABLE && m->len >= 4) {
		uint32_t nreg;

		memcpy(&nreg, m->payload, 4);
		if (nreg != m->nfds) {
			snprintf(msg, sizeof(msg), "memory table says %u regions but %u fds are attached", nreg, m->nfds);
			add_warning(ctx->out, msg);
		}
	}
	if (row->fds == FD_ONE_UNLESS_NOFD && m->len >= 8) {
		uint64_t u;

		memcpy(&u, m->payload, 8);
		if (!!(u & VHU_VRING_NOFD) == (m->nfds == 1) || m->nfds > 1) {
			snprintf(msg, sizeof(msg), "NOFD bit %s but %u fd%s attached",
				 u & VHU_VRING_NOFD ? "set" : "clear", m->nfds, m->nfds == 1 ? "" : "s");
			add_warning(ctx->out, msg);
		}
	}
	if ((m->flags & VHU_FLAG_VERSION_MASK) != VHU_FLAG_VERSION || (m->flags & ~0xfu)) {
		snprintf(msg, sizeof(msg), "header flags 0x%x are not a valid request (version 1, bits 4-31 zero)",
			 m->flags);
		add_warning(ctx->out, msg);
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

static const struct arg_spec raw_args[] = {
	{ .name = "request", .type = ARG_STRING, .required = true, .help = "request name or number" },
	{ .name = "flags", .type = ARG_U32, .key_only = true, .help = "header flags (default 0x1)" },
	{ .name = "size", .type = ARG_U32, .key_only = true, .help = "header size field (default: payload length)" },
	{ .name = "payload", .type = ARG_HEX, .key_only = true, .help = "payload bytes, hex" },
	{ .name = "fds", .type = ARG_U32, .key_only = true, .help = "attach N fresh eventfds" },
	{ .name = "reply", .type = ARG_ENUM, .key_only = true, .enums = reply_enum,
	  .help = "auto (from the table), yes or no" },
	{ .name = "observe", .type = ARG_U32, .key_only = true, .max = 3600000,
	  .help = "ms to watch for a hang-up when no reply is due (default 200)" },
};

int cmd_raw_budget(const struct cmd_ctx *ctx)
{
	/* the exchange, then the watch for a hang-up */
	return ctx->s->conn.timeout_ms + (int)args_u(&ctx->args, "observe", 200);
}

const struct arg_spec *cmd_raw_args(unsigned *n)
{
	*n = sizeof(raw_args) / sizeof(raw_args[0]);
	return raw_args;
}

int cmd_raw(struct cmd_ctx *ctx)
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
	if (nfds > VHU_MAX_FDS)
		return vhu_errf(&ctx->err, ERANGE, "at most %u fds", VHU_MAX_FDS);
	if (pl->nbytes > VHU_PAYLOAD_MAX)
		return vhu_errf(&ctx->err, ERANGE, "payload over %u bytes", VHU_PAYLOAD_MAX);
	x = session_xfer(ctx->s);
	if (!x)
		return vhu_errf(&ctx->err, ENOMEM, "out of memory");
	x->row = row;
	x->req.request = (uint32_t)num;
	x->req.flags = (uint32_t)args_u(a, "flags", VHU_FLAG_VERSION);
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
	raw_checks(ctx, x, row);
	r = exchange(ctx, x, &plan, &pv);
	if (r == 0)
		raw_outcome(ctx, x, (int)args_u(a, "observe", 200));
out:
	for (unsigned i = 0; i < x->req.nfds; i++)
		close(x->req.fds[i]);
	return r;
}
