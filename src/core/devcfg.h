/* devcfg.h - decoding device configuration space (GET_CONFIG payloads). */
#ifndef VHUCTL_DEVCFG_H
#define VHUCTL_DEVCFG_H

#include <stdint.h>
#include <json-c/json.h>

#include "core/features.h"

/* Size of DEV's whole config structure per the virtio spec, 0 when unknown. */
uint32_t devcfg_size(enum vhu_device dev);
/* Decode LEN bytes of DEV's config that start at config OFFSET into an object
 * of named fields (only fields lying wholly inside the bytes). Returns NULL
 * when DEV has no known layout. The bytes are untrusted: nothing is read
 * outside [buf, buf+len). */
struct json_object *devcfg_decode(enum vhu_device dev, uint32_t offset,
				  const uint8_t *buf, uint32_t len);

#endif
