/* cmd_mem.c - guest memory: regions (mem add, list, remove) and access (mem read, write). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/values.h"
#include "core/jb.h"

/* One guest memory region as JSON, with the seals the kernel reports on
 * its memfd (SHRINK and GROW keep a back-end from truncating it under us). */
struct json_object *cmd_region_json(const struct mem *m, unsigned i)
{
	struct json_object *r = json_object_new_object(), *seals = json_object_new_array_ext(4);
	int sl = fcntl(m->r[i].fd, F_GET_SEALS);

	jb_add(r, "index", json_object_new_int((int)i));
	jb_add(r, "guest_phys_addr", jb_hex(m->r[i].gpa));
	jb_add(r, "memory_size", jb_u64(m->r[i].size));
	jb_add(r, "userspace_addr", jb_hex((uint64_t)(uintptr_t)m->r[i].va));
	jb_add(r, "fd", json_object_new_int(m->r[i].fd));
	if (sl >= 0) {
		if (sl & F_SEAL_SHRINK)
			json_object_array_add(seals, json_object_new_string("SHRINK"));
		if (sl & F_SEAL_GROW)
			json_object_array_add(seals, json_object_new_string("GROW"));
		if (sl & F_SEAL_SEAL)
			json_object_array_add(seals, json_object_new_string("SEAL"));
	}
	jb_add(r, "seals", seals);
	return r;
}

static int cmd_mem_add(struct cmd_ctx *ctx)
{
	const struct arg_val *gpa = args_get(&ctx->args, "gpa");
	struct mem *m = &ctx->s->mem;
	int r = mem_add(m, args_u(&ctx->args, "size", 0), gpa->set, gpa->u, &ctx->err);

	if (r < 0) {
		ctx->bad_tok = (int)(gpa->set && r != -EINVAL ? gpa->tok : args_get(&ctx->args, "size")->tok);
		return r;
	}
	{
		/* the region's fields at the top level of the result */
		struct json_object *reg = cmd_region_json(m, (unsigned)r);

		json_object_object_foreach(reg, k, v)
			jb_add(ctx->out, k, json_object_get(v));
		json_object_put(reg);
	}
	return 0;
}

static int cmd_mem_list(struct cmd_ctx *ctx)
{
	struct json_object *a = json_object_new_array();
	const struct mem *m = &ctx->s->mem;

	for (unsigned i = 0; i < m->n; i++)
		json_object_array_add(a, cmd_region_json(m, i));
	jb_add(ctx->out, "regions", a);
	return 0;
}

static int cmd_mem_remove(struct cmd_ctx *ctx)
{
	uint64_t i = args_u(&ctx->args, "region", 0);
	int r = mem_remove(&ctx->s->mem, (unsigned)i, &ctx->err);

	if (r < 0)
		ctx->bad_tok = (int)args_get(&ctx->args, "region")->tok;
	else
		jb_add(ctx->out, "removed", json_object_new_int((int)i));
	return r;
}

static int cmd_mem_read(struct cmd_ctx *ctx)
{
	uint64_t gpa = args_u(&ctx->args, "gpa", 0), len = args_u(&ctx->args, "len", 0);
	uint8_t *p;

	if (len > MEM_IO_MAX)
		return ctx->bad_tok = (int)args_get(&ctx->args, "len")->tok,
		       vhu_errf(&ctx->err, ERANGE, "at most %u bytes at a time", MEM_IO_MAX);
	p = mem_gpa_ptr(&ctx->s->mem, gpa, len);
	if (!p)
		return ctx->bad_tok = 0, vhu_errf(&ctx->err, EFAULT, "0x%" PRIx64 "+%" PRIu64 " is not inside one memory region", gpa, len);
	jb_add(ctx->out, "gpa", jb_hex(gpa));
	jb_add(ctx->out, "data", cmd_data_json(p, (uint32_t)len));
	return 0;
}

static int cmd_mem_write(struct cmd_ctx *ctx)
{
	const struct arg_val *d = args_get(&ctx->args, "data");
	uint64_t gpa = args_u(&ctx->args, "gpa", 0);
	uint8_t *b, *p;
	uint32_t len;
	int r = cmd_load_bytes(ctx, d->str, d->tok, &b, &len);

	if (r < 0)
		return r;
	p = mem_gpa_ptr(&ctx->s->mem, gpa, len);
	if (!p) {
		free(b);
		return ctx->bad_tok = 0, vhu_errf(&ctx->err, EFAULT, "0x%" PRIx64 "+%u is not inside one memory region", gpa, len);
	}
	memcpy(p, b, len);
	free(b);
	jb_add(ctx->out, "gpa", jb_hex(gpa));
	jb_add(ctx->out, "written", json_object_new_int64(len));
	return 0;
}

static const struct arg_spec gpa_len_args[] = {
	{ .name = "gpa", .type = ARG_U64, .required = true, .help = "guest physical address" },
	{ .name = "len", .type = ARG_U64, .required = true, .help = "bytes (at most 1M)" },
};
static const struct arg_spec gpa_data_args[] = {
	{ .name = "gpa", .type = ARG_U64, .required = true, .help = "guest physical address" },
	{ .name = "data", .type = ARG_STRING, .required = true, .help = "hex bytes or @FILE" },
};
static const struct arg_spec mem_add_args[] = {
	{ .name = "size", .type = ARG_U64, .required = true, .help = "bytes (suffixes K, M, G)" },
	{ .name = "gpa", .type = ARG_U64, .key_only = true, .help = "guest physical address (default: after the last region)" },
};
static const struct arg_spec mem_remove_args[] = {
	{ .name = "region", .type = ARG_U32, .required = true, .max = MEM_REGIONS_MAX - 1, .help = "index in 'mem list'" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct cmd_def defs[] = {
	{ "mem add", GROUP_MEMORY, mem_add_args, N(mem_add_args), "create a memfd guest memory region",
	  "The memfd is sealed against shrinking and growing, so a back-end cannot\n"
	  "truncate it under vhuctl's own mapping.", "mem add 1M gpa=0x100000000", NULL, cmd_mem_add, NULL, NULL, NULL },
	{ "mem list", GROUP_MEMORY, NULL, 0, "list guest memory regions", NULL, NULL, NULL, cmd_mem_list, NULL, NULL, NULL },
	{ "mem remove", GROUP_MEMORY, mem_remove_args, N(mem_remove_args), "unmap and close a region",
	  NULL, NULL, NULL, cmd_mem_remove, NULL, NULL, NULL },
	{ "mem read", GROUP_MEMORY, gpa_len_args, N(gpa_len_args), "read guest memory", NULL, "mem read 0x0 64", NULL, cmd_mem_read, NULL, NULL, NULL },
	{ "mem write", GROUP_MEMORY, gpa_data_args, N(gpa_data_args), "write guest memory", NULL, "mem write 0x1000 deadbeef", NULL, cmd_mem_write, NULL, NULL, NULL },
};

const struct cmd_def *cmd_mem_defs(unsigned *n)
{
	*n = N(defs);
	return defs;
}
