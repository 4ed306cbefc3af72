/* values.h - what commands take from the user and show back: bytes (HEX or @FILE), data, timeouts. */
#ifndef VHUCTL_CMD_VALUES_H
#define VHUCTL_CMD_VALUES_H

#include <stdint.h>
#include <json-c/json.h>

#include "cmd/cmd.h"

#define MEM_IO_MAX (1u << 20)

/* A command's own bound on its wait; 0 looks once and does not wait. */
#define TIMEOUT_ARG { .name = "timeout", .type = ARG_U64, .key_only = true, \
		      .help = "milliseconds (default: --timeout; 0 looks once, without waiting)" }

/* HEX or @FILE (at most MEM_IO_MAX) into a malloc'd buffer; TOK is blamed. */
int cmd_load_bytes(struct cmd_ctx *ctx, const char *s, unsigned tok, uint8_t **out, uint32_t *len);
/* {"len", "hex", "text"} of LEN bytes at P. */
struct json_object *cmd_data_json(const uint8_t *p, uint32_t len);
/* The 'timeout' argument in ms (default: the session's; 0: look once),
 * bounded to an hour; -ERANGE with the argument blamed when larger. */
int cmd_timeout_arg(struct cmd_ctx *ctx, int *ms);
/* cmd_def.budget of a command with a 'timeout' argument: that, when it is
 * longer than the session timeout. */
int cmd_timeout_budget(const struct cmd_ctx *ctx);
/* Guest memory region I as JSON, with the seals the kernel reports. */
struct json_object *cmd_region_json(const struct mem *m, unsigned i);

#endif
