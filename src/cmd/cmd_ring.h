/* cmd_ring.h - what the ring, device and flow commands share (not a public layer). */
#ifndef VHUCTL_CMD_RING_H
#define VHUCTL_CMD_RING_H

#include <stdbool.h>
#include <stdint.h>

#include "cmd/cmd.h"
#include "core/vring.h"

#define MEM_IO_MAX (1u << 20)
#define BIT(n) (UINT64_C(1) << (n))
#define F_EVENT_IDX 29
#define F_PROTOCOL_FEATURES 30
#define F_VERSION_1 32
#define F_ACCESS_PLATFORM 33
#define F_RING_PACKED 34

/* The index of a ring vhuctl drives, bounded by the session's table of rings
 * in the spec, so that no handler can index past it. */
#define RING_INDEX_ARG { .name = "index", .type = ARG_U32, .required = true, \
			 .max = SESSION_RINGS - 1, .help = "ring index" }
/* A command's own bound on its wait; 0 looks once and does not wait. */
#define TIMEOUT_ARG { .name = "timeout", .type = ARG_U64, .key_only = true, \
		      .help = "milliseconds (default: --timeout; 0 looks once, without waiting)" }
#define VERBOSE_ARG { .name = "verbose", .type = ARG_FLAG, .help = "show every step's request and reply in full" }

/* Who posted a chain (vring_set_tag): a command collecting used entries
 * takes its own and reports the others'. */
enum cmd_chain_tag {
	TAG_BY_HAND = 0,	/* vring post */
	TAG_NET_RX,		/* a receive buffer of net recv/send */
	TAG_NET_TX,		/* a frame of net send */
};

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
/* Was virtio feature BIT acknowledged with SET_FEATURES? */
bool cmd_acked(const struct session *s, unsigned bit);
/* Ring N as vhuctl drives it: laid out by 'vring setup' or 'start', or set
 * up by hand, its model then built from what was sent for it (SET_VRING_NUM,
 * _ADDR, _BASE, and the features), again whenever that changes. NULL with
 * ctx->err saying what is missing. */
struct vring *cmd_ring(struct cmd_ctx *ctx, unsigned n);
/* 0 when connected, else -ENOTCONN ("not connected": the front-end says
 * why the connection went). */
int cmd_need_conn(struct cmd_ctx *ctx);
/* Write the ring's kick eventfd. */
int cmd_kick(struct cmd_ctx *ctx, struct vring *vr);
/* Wait (bounded, serving the back-end channel) for a used entry: 1 with *u;
 * with TIMEOUT_MS 0, one look: 0 when there is none. */
int cmd_wait_used(struct cmd_ctx *ctx, struct vring *vr, int timeout_ms, struct vring_used *u);
/* A used entry and its chain's buffers (with the data of the writable ones). */
struct json_object *cmd_used_json(const struct mem *m, const struct vring_used *u);
/* A used entry for a chain that is not the one the command waits for: it is
 * that chain's completion, shown under "other_used" and given back. */
void cmd_other_used(struct cmd_ctx *ctx, struct vring *vr, const struct vring_used *u);
/* SET_VRING_ADDR for VR as a step; LOG -1 leaves the log fields out, 0/1
 * turns VHOST_VRING_F_LOG off/on. */
int cmd_send_vring_addr(struct cmd_ctx *ctx, struct json_object *steps,
			const struct vring *vr, int log);

#endif
