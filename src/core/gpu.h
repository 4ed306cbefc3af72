/* gpu.h - virtio-gpu: the vhost-user-gpu socket's messages and the control queue's commands, tables and decoders (no I/O but the socket read), and a PNG writer. */
#ifndef VHUCTL_GPU_H
#define VHUCTL_GPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "core/err.h"
#include "core/render.h"

/* --- the gpu socket (docs/interop/vhost-user-gpu.rst) --------------------- */

#define GPU_HDR_SIZE 12u
#define GPU_FLAG_REPLY 0x4u
#define GPU_SCANOUTS 16u		/* VIRTIO_GPU_MAX_SCANOUTS */
#define GPU_DIM_MAX 4096u		/* widths and heights vhuctl keeps pixels for */
/* The largest message read: an UPDATE of a whole GPU_DIM_MAX square at 4
 * bytes a pixel, after its 20 bytes. Anything bigger is refused unread. */
#define GPU_MSG_MAX (20u + GPU_DIM_MAX * GPU_DIM_MAX * 4u)
#define GPU_PROTOCOL_F_EDID 0
#define GPU_PROTOCOL_F_DMABUF2 1
#define GPU_DISPLAY_INFO_LEN 408u	/* virtio_gpu_resp_display_info */
#define GPU_RESP_EDID_LEN 1056u		/* virtio_gpu_resp_edid */
#define GPU_EDID_LEN 128u		/* the base block vhuctl makes */

/* VHOST_USER_GPU_PROTOCOL_F_* by bit. */
extern const struct render_bit gpu_protocol_feature_names[];

enum gpu_reply { GPU_R_NONE, GPU_R_U64, GPU_R_DISPLAY_INFO, GPU_R_EDID, GPU_R_EMPTY };

/* One row per request the back-end sends on the gpu socket. */
struct gpu_req_def {
	uint32_t num;
	const char *name;	/* without VHOST_USER_GPU_ */
	uint32_t min, max;	/* payload size bounds */
	enum gpu_reply reply;	/* what the front-end answers */
	bool fd;		/* carries an fd (a DMABUF) */
};

const struct gpu_req_def *gpu_req(uint32_t num);
const struct gpu_req_def *gpu_reqs(unsigned *n);

/* A message read off the gpu socket: header, payload (malloc'd), fd. */
struct gpu_msg {
	uint32_t request, flags, size;
	uint8_t *payload;
	int fd;			/* -1 none; extra fds are closed on arrival */
	unsigned nfds;
};

/* Read one message from SOCK by DEADLINE (wire clock, -1 none): the header,
 * its size checked against GPU_MSG_MAX before any payload is read, then the
 * payload. -ECONNRESET (closed; "after N of 12 header bytes"), -ETIMEDOUT,
 * -EMSGSIZE (size over the bound: the socket is left unframed), -ENOMEM. */
int gpu_msg_read(int sock, struct gpu_msg *m, int64_t deadline, struct vhu_err *e);
void gpu_msg_free(struct gpu_msg *m);
/* Send a reply to REQUEST with LEN bytes of P by DEADLINE. */
int gpu_msg_reply(int sock, uint32_t request, const void *p, uint32_t len, int64_t deadline, struct vhu_err *e);

/* The payload of M decoded per its row ROW (may be NULL: unknown) as a JSON
 * object; -EBADMSG with E when its size is outside the row's bounds or
 * disagrees with what it says (an UPDATE's w*h*4). */
int gpu_msg_decode(const struct gpu_req_def *row, const struct gpu_msg *m, struct json_object **out,
		   struct vhu_err *e);

/* A scanout as the front-end sets it up: w*h, or 0 (disabled). */
struct gpu_mode {
	uint32_t width, height;
};
/* virtio_gpu_resp_display_info for N modes into OUT (GPU_DISPLAY_INFO_LEN). */
void gpu_display_info(uint8_t *out, const struct gpu_mode *modes, unsigned n);
/* A 128-byte EDID base block (1.4) for a W x H display at 60 Hz. */
void gpu_edid(uint8_t *out, uint32_t w, uint32_t h);
/* virtio_gpu_resp_edid into OUT (GPU_RESP_EDID_LEN): OK_EDID with EDID
 * (EDID_LEN bytes), or ERR_UNSPEC with none when EDID is NULL. */
void gpu_resp_edid(uint8_t *out, const uint8_t *edid, uint32_t edid_len);

/* --- the control queue (virtio spec 5.7) ------------------------------------- */

#define GPU_CTRL_HDR_LEN 24u
#define GPU_RESP_OK_NODATA 0x1100u
#define GPU_RESP_OK_DISPLAY_INFO 0x1101u

struct gpu_name {
	uint32_t value;
	const char *name;
};
/* Command and response types (virtio_gpu_ctrl_type) without VIRTIO_GPU_,
 * pixel formats (virtio_gpu_formats) without VIRTIO_GPU_FORMAT_. */
extern const struct gpu_name gpu_ctrl_types[];
extern const struct gpu_name gpu_formats[];
const char *gpu_name_of(const struct gpu_name *t, uint32_t v);

/* virtio_gpu_ctrl_hdr of TYPE (flags, fence, ctx 0) into OUT. */
void gpu_put_hdr(uint8_t *out, uint32_t type);
void gpu_put32(uint8_t *p, uint32_t v);
void gpu_put64(uint8_t *p, uint64_t v);
uint32_t gpu_get32(const uint8_t *p);

/* A response the device wrote: LEN bytes (the used length, already cut to
 * what was posted) of P. Its header as JSON in *HDR; OK_DISPLAY_INFO's
 * modes in *BODY (NULL otherwise). 0, or -EBADMSG (shorter than its type
 * needs), with *TYPE the header's type when there is one. */
int gpu_resp_decode(const uint8_t *p, uint32_t len, uint32_t *type, struct json_object **hdr,
		    struct json_object **body, struct vhu_err *e);

/* The byte offsets of red, green and blue in a pixel of FORMAT (4 bytes);
 * false when vhuctl does not know the format. */
bool gpu_format_rgb(uint32_t format, unsigned *r, unsigned *g, unsigned *b, unsigned *a);

/* --- PNG ---------------------------------------------------------------------- */

/* An 8-bit RGB PNG of W x H pixels from RGB (3 bytes a pixel, rows packed),
 * stored (uncompressed) deflate: a malloc'd buffer of *LEN bytes, or NULL. */
uint8_t *gpu_png(const uint8_t *rgb, uint32_t w, uint32_t h, size_t *len);
uint32_t gpu_crc32(uint32_t crc, const uint8_t *p, size_t n);

#endif
