/* render.h - JSON views of messages, payloads, flags and feature masks. */
#ifndef VHUCTL_RENDER_H
#define VHUCTL_RENDER_H

#include <json-c/json.h>

#include "codec.h"
#include "features.h"
#include "wire.h"

/* {"value":"0x...","names":[...],"unknown_bits":[...]} */
struct json_object *render_features(uint64_t v, enum vhu_device dev);
struct json_object *render_pfeatures(uint64_t v);
struct json_object *render_status(uint64_t v);
struct json_object *render_flags(uint32_t flags);
struct json_object *render_payload(const struct vhu_pval *v, enum vhu_device dev);
/* Describe an fd we hold: {"fd":N,"type":"eventfd"|"memfd"|...,"size":...} */
struct json_object *render_fd(int fd);
/* A whole message: name, number, flags, size, decoded payload (KIND), fds.
 * A payload that fails to decode is shown as hex with the reason. */
struct json_object *render_msg(const struct vhu_msg *m, const char *name,
			       enum vhu_payload kind, enum vhu_device dev);

#endif
