/* render.h - JSON views of messages, payloads, flags and feature masks. */
#ifndef VHUCTL_RENDER_H
#define VHUCTL_RENDER_H

#include <json-c/json.h>

#include "core/codec.h"
#include "core/features.h"
#include "core/jw.h"
#include "core/wire.h"

/* Each view is a json-c value that prints text written by jw (see jw.h):
 * to be printed or added to a result, not to be looked into. */

/* A bit's name, in tables that end with a NULL name. */
struct render_bit {
	unsigned bit;
	const char *name;
};

/* Every bit mask (vhuctl-json(7)): {"value":"0x...","names":[...]}, with
 * "unknown_bits":[N,...] when bits have no name in NAMES. */
void render_mask_jw(struct jw *w, uint64_t v, const struct render_bit *names);
struct json_object *render_mask(uint64_t v, const struct render_bit *names);
/* Descriptor flags of split and packed rings. */
extern const struct render_bit render_desc_flags_split[], render_desc_flags_packed[];
/* A mask none of whose bits has a name (the inflight region's features). */
extern const struct render_bit render_no_bits[];

/* {"value":"0x...","names":[...],"unknown_bits":[...]} */
struct json_object *render_features(uint64_t v, enum vhu_device dev);
struct json_object *render_pfeatures(uint64_t v);
/* NULL when V has nothing to show (no payload, an empty SET_LOG_BASE reply). */
struct json_object *render_payload(const struct vhu_pval *v, enum vhu_device dev);
/* Describe an fd we hold: {"fd":N,"type":"eventfd"|"memfd"|...,"size":...} */
struct json_object *render_fd(int fd);
/* A whole message: name, number, flags, size, decoded payload (KIND), fds.
 * A payload that fails to decode is shown as hex with the reason. */
struct json_object *render_msg(const struct vhu_msg *m, const char *name,
			       enum vhu_payload kind, enum vhu_device dev);
/* render_msg, written into W as its next value. */
void render_msg_jw(struct jw *w, const struct vhu_msg *m, const char *name,
		   enum vhu_payload kind, enum vhu_device dev);

#endif
