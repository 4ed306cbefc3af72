/* rings.h - the driver's side of the rings, for every command that uses them: which ring, its model, kicks and waits. */
#ifndef VHUCTL_CMD_RINGS_H
#define VHUCTL_CMD_RINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "cmd/cmd.h"
#include "cmd/values.h"
#include "core/vring.h"

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

/* Who posted a chain (vring_set_tag): a command collecting used entries
 * takes its own and reports the others'. */
enum cmd_chain_tag {
	TAG_BY_HAND = 0,	/* vring post */
	TAG_NET_RX,		/* a receive buffer of net recv/send */
	TAG_NET_TX,		/* a frame of net send */
};

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
/* The buffers of a chain as posted: [{"addr","len","write"}, ...]. */
struct json_object *cmd_segs_json(const struct vring_seg *segs, unsigned n);
/* A used entry for a chain that is not the one the command waits for: it is
 * that chain's completion, shown under "other_used" and given back. */
void cmd_other_used(struct cmd_ctx *ctx, struct vring *vr, const struct vring_used *u);
/* Lay ring N out in guest memory (SIZE entries, PACKED or split) and hand it
 * over, each request a step in STEPS: NUM, BASE, ADDR, KICK, CALL, and
 * (ENABLE) SET_VRING_ENABLE once protocol features are negotiated. */
int cmd_setup_ring(struct cmd_ctx *ctx, struct json_object *steps, unsigned n, uint16_t size, bool packed,
		   bool enable);
/* SET_VRING_ADDR for VR as a step; LOG -1 leaves the log fields out, 0/1
 * turns VHOST_VRING_F_LOG off/on. */
int cmd_send_vring_addr(struct cmd_ctx *ctx, struct json_object *steps,
			const struct vring *vr, int log);

#endif
