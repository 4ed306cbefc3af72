/* request_build.c - a request's payload and fds from the command's arguments. */
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


void request_plan_close(struct fd_plan *p)
{
	if (p->send >= 0 && p->close_send)
		close(p->send);
	if (p->keep >= 0 && p->keep != p->send)
		close(p->keep);
	if (p->keep >= 0 && p->keep == p->send && !p->close_send)
		close(p->keep);
	p->send = p->keep = -1;
}

void request_plan_commit(struct session *s, struct fd_plan *p)
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
int request_build(struct cmd_ctx *ctx, struct vhu_pval *pv, struct vhu_msg *m,
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

