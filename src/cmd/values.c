/* values.c - what commands take from the user and show back: bytes (HEX or @FILE), data, timeouts. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/values.h"
#include "core/jb.h"

/* HEX or @FILE into a malloc'd buffer. */
int cmd_load_bytes(struct cmd_ctx *ctx, const char *s, unsigned tok, uint8_t **out, uint32_t *len)
{
	if (s[0] == '@') {
		int fd = open(s + 1, O_RDONLY | O_CLOEXEC);
		uint8_t *b;
		ssize_t n;

		if (fd < 0)
			return ctx->bad_tok = (int)tok, vhu_errf(&ctx->err, errno, "%s: %s", s + 1, strerror(errno));
		b = malloc(MEM_IO_MAX + 1);
		n = b ? read(fd, b, MEM_IO_MAX + 1) : -1;
		close(fd);
		if (n < 0 || (size_t)n > MEM_IO_MAX) {
			free(b);
			return ctx->bad_tok = (int)tok, vhu_errf(&ctx->err, EFBIG, "%s: unreadable or over %u bytes",
								  s + 1, MEM_IO_MAX);
		}
		*out = b;
		*len = (uint32_t)n;
		return 0;
	}
	if (args_parse_hex(s, out, len) < 0)
		return ctx->bad_tok = (int)tok, vhu_errf(&ctx->err, EINVAL, "'%s' is neither hex bytes nor @FILE", s);
	if (*len > MEM_IO_MAX) {
		free(*out);
		return vhu_errf(&ctx->err, EFBIG, "over %u bytes", MEM_IO_MAX);
	}
	return 0;
}

struct json_object *cmd_data_json(const uint8_t *p, uint32_t len)
{
	struct json_object *o = json_object_new_object();

	jb_add(o, "len", json_object_new_int64(len));
	jb_add(o, "hex", jb_hexbytes(p, len));
	jb_add(o, "text", jb_text(p, len));
	return o;
}

int cmd_timeout_arg(struct cmd_ctx *ctx, int *ms)
{
	const struct arg_val *t = args_get(&ctx->args, "timeout");

	if (t->set && t->u > SESSION_TIMEOUT_MAX_MS) {
		ctx->bad_tok = (int)t->tok;
		return vhu_errf(&ctx->err, ERANGE, "timeout is at most %d ms", SESSION_TIMEOUT_MAX_MS);
	}
	*ms = t->set ? (int)t->u : ctx->s->conn.timeout_ms;
	return 0;
}

int cmd_timeout_budget(const struct cmd_ctx *ctx)
{
	uint64_t t = args_u(&ctx->args, "timeout", 0);
	int own = t > SESSION_TIMEOUT_MAX_MS ? 0 : (int)t;

	return own > ctx->s->conn.timeout_ms ? own : ctx->s->conn.timeout_ms;
}

