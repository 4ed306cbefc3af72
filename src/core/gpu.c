/* gpu.c - virtio-gpu: the vhost-user-gpu socket's messages and the control queue's commands, tables and decoders, and a PNG writer. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/gpu.h"
#include "core/jb.h"
#include "core/render.h"
#include "core/wire.h"

#define CURSOR_LEN (12u + 8u + 64u * 64u * 4u)
#define DMABUF_SCANOUT_LEN 40u

/* docs/interop/vhost-user-gpu.rst; GET_EDID and DMABUF_SCANOUT2 as QEMU
 * 7.2's contrib/vhost-user-gpu/vugpu.h has them. */
static const struct gpu_req_def reqs[] = {
	{ 1, "GET_PROTOCOL_FEATURES", 0, 0, GPU_R_U64, false },
	{ 2, "SET_PROTOCOL_FEATURES", 8, 8, GPU_R_NONE, false },
	{ 3, "GET_DISPLAY_INFO", 0, 0, GPU_R_DISPLAY_INFO, false },
	{ 4, "CURSOR_POS", 12, 12, GPU_R_NONE, false },
	{ 5, "CURSOR_POS_HIDE", 12, 12, GPU_R_NONE, false },
	{ 6, "CURSOR_UPDATE", CURSOR_LEN, CURSOR_LEN, GPU_R_NONE, false },
	{ 7, "SCANOUT", 12, 12, GPU_R_NONE, false },
	{ 8, "UPDATE", 20, GPU_MSG_MAX, GPU_R_NONE, false },
	{ 9, "DMABUF_SCANOUT", DMABUF_SCANOUT_LEN, DMABUF_SCANOUT_LEN, GPU_R_NONE, true },
	{ 10, "DMABUF_UPDATE", 20, 20, GPU_R_EMPTY, false },
	{ 11, "GET_EDID", 4, 4, GPU_R_EDID, false },
	{ 12, "DMABUF_SCANOUT2", DMABUF_SCANOUT_LEN + 8, DMABUF_SCANOUT_LEN + 8, GPU_R_NONE, true },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

const struct render_bit gpu_protocol_feature_names[] = {
	{ GPU_PROTOCOL_F_EDID, "VHOST_USER_GPU_PROTOCOL_F_EDID" },
	{ GPU_PROTOCOL_F_DMABUF2, "VHOST_USER_GPU_PROTOCOL_F_DMABUF2" },
	{ 0, NULL },
};

const struct gpu_req_def *gpu_req(uint32_t num)
{
	for (unsigned i = 0; i < N(reqs); i++)
		if (reqs[i].num == num)
			return &reqs[i];
	return NULL;
}

const struct gpu_req_def *gpu_reqs(unsigned *n)
{
	*n = N(reqs);
	return reqs;
}

void gpu_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

void gpu_put64(uint8_t *p, uint64_t v)
{
	gpu_put32(p, (uint32_t)v);
	gpu_put32(p + 4, (uint32_t)(v >> 32));
}

uint32_t gpu_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return gpu_get32(p) | (uint64_t)gpu_get32(p + 4) << 32;
}

/* --- reading and answering ------------------------------------------------ */

static void close_cmsg_fds(struct msghdr *h, struct gpu_msg *m)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			m->nfds++;
			if (m->fd < 0)
				m->fd = fd;	/* the first is the message's */
			else
				close(fd);
		}
	}
}

/* Read exactly LEN bytes into P by DEADLINE, the fds of the first read
 * into M. *GOT: bytes read. */
static int read_all(int sock, uint8_t *p, uint32_t len, struct gpu_msg *m, int64_t deadline, uint32_t *got)
{
	union {
		struct cmsghdr c;
		char buf[CMSG_SPACE(sizeof(int) * 8)];
	} cm;

	*got = 0;
	while (*got < len) {
		struct iovec iov = { .iov_base = p + *got, .iov_len = len - *got };
		struct msghdr h = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n;
		int r;

		if (m) {
			h.msg_control = cm.buf;
			h.msg_controllen = sizeof(cm.buf);
		}
		n = recvmsg(sock, &h, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n > 0 && m)
			close_cmsg_fds(&h, m);
		if (n > 0) {
			*got += (uint32_t)n;
			continue;
		}
		if (n == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		if ((r = wire_wait(sock, deadline)) < 0)
			return r;
	}
	return 0;
}

int gpu_msg_read(int sock, struct gpu_msg *m, int64_t deadline, struct vhu_err *e)
{
	uint8_t hdr[GPU_HDR_SIZE];
	uint32_t got;
	int r;

	*m = (struct gpu_msg){ .fd = -1 };
	if ((r = read_all(sock, hdr, GPU_HDR_SIZE, m, deadline, &got)) < 0) {
		gpu_msg_free(m);
		if (r == -ECONNRESET && got == 0)
			return vhu_errf(e, ECONNRESET, "the back-end closed the gpu socket");
		return vhu_errf(e, -r, "gpu socket: %s after %u of %u header bytes", strerror(-r), got, GPU_HDR_SIZE);
	}
	m->request = gpu_get32(hdr);
	m->flags = gpu_get32(hdr + 4);
	m->size = gpu_get32(hdr + 8);
	if (m->size > GPU_MSG_MAX) {
		gpu_msg_free(m);
		return vhu_errf(e, EMSGSIZE, "gpu socket: request %u says its payload is %u bytes, over the bound "
				"of %u: not read", m->request, m->size, GPU_MSG_MAX);
	}
	if (!m->size)
		return 0;
	if (!(m->payload = malloc(m->size))) {
		gpu_msg_free(m);
		return vhu_errf(e, ENOMEM, "gpu socket: no memory for a payload of %u bytes", m->size);
	}
	if ((r = read_all(sock, m->payload, m->size, NULL, deadline, &got)) < 0) {
		gpu_msg_free(m);
		return vhu_errf(e, -r, "gpu socket: %s after %u of %u payload bytes", strerror(-r), got, m->size);
	}
	return 0;
}

void gpu_msg_free(struct gpu_msg *m)
{
	free(m->payload);
	m->payload = NULL;
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
}

int gpu_msg_reply(int sock, uint32_t request, const void *p, uint32_t len, int64_t deadline, struct vhu_err *e)
{
	uint8_t hdr[GPU_HDR_SIZE];
	struct iovec iov[2] = { { hdr, GPU_HDR_SIZE }, { (void *)p, len } };
	size_t want = GPU_HDR_SIZE + (size_t)len, done = 0;

	gpu_put32(hdr, request);
	gpu_put32(hdr + 4, GPU_FLAG_REPLY);
	gpu_put32(hdr + 8, len);
	while (done < want) {
		struct iovec v[2];
		struct msghdr h = { .msg_iov = v };
		ssize_t n;
		int r;

		/* What is left of the two pieces. */
		if (done < GPU_HDR_SIZE) {
			v[0] = (struct iovec){ hdr + done, GPU_HDR_SIZE - done };
			v[1] = iov[1];
			h.msg_iovlen = len ? 2 : 1;
		} else {
			v[0] = (struct iovec){ (uint8_t *)p + (done - GPU_HDR_SIZE), want - done };
			h.msg_iovlen = 1;
		}
		n = sendmsg(sock, &h, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return vhu_errf(e, errno, "gpu socket: answer: %s", strerror(errno));
		if ((r = wire_wait_for(sock, POLLOUT, deadline)) < 0)
			return vhu_errf(e, -r, "gpu socket: answer: %s after %zu of %zu bytes", strerror(-r), done, want);
	}
	return 0;
}

/* --- decoding ---------------------------------------------------------------- */

static void put_u32s(struct json_object *o, const uint8_t *p, const char *const *names, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		jb_add(o, names[i], json_object_new_int64(gpu_get32(p + 4 * i)));
}

int gpu_msg_decode(const struct gpu_req_def *row, const struct gpu_msg *m, struct json_object **out,
		   struct vhu_err *e)
{
	static const char *const pos[] = { "scanout_id", "x", "y" };
	static const char *const scan[] = { "scanout_id", "width", "height" };
	static const char *const upd[] = { "scanout_id", "x", "y", "width", "height" };
	static const char *const dma[] = { "scanout_id", "x", "y", "width", "height", "fd_width", "fd_height",
					   "fd_stride", "fd_flags", "fd_drm_fourcc" };
	const uint8_t *p = m->payload;
	struct json_object *o;

	*out = NULL;
	if (!row)
		return 0;
	if (m->size < row->min || m->size > row->max)
		return row->min == row->max ?
			vhu_errf(e, EBADMSG, "%s: payload of %u bytes, expected %u", row->name, m->size, row->min) :
			vhu_errf(e, EBADMSG, "%s: payload of %u bytes, expected %u to %u", row->name, m->size,
				 row->min, row->max);
	o = json_object_new_object();
	switch (row->num) {
	case 2:
		jb_add(o, "features", render_mask(get64(p), gpu_protocol_feature_names));
		break;
	case 4:
	case 5:
		put_u32s(o, p, pos, 3);
		break;
	case 6:
		put_u32s(o, p, pos, 3);
		jb_add(o, "hot_x", json_object_new_int64(gpu_get32(p + 12)));
		jb_add(o, "hot_y", json_object_new_int64(gpu_get32(p + 16)));
		break;
	case 7:
		put_u32s(o, p, scan, 3);
		break;
	case 8:
	case 10:
		put_u32s(o, p, upd, 5);
		if (row->num == 8) {
			/* w * h fits 64 bits; times 4 it might not: compare pixels. */
			uint64_t px = (uint64_t)gpu_get32(p + 12) * gpu_get32(p + 16), data = m->size - 20u;

			jb_add(o, "data_len", json_object_new_int64(data));
			if (data % 4 || px != data / 4) {
				json_object_put(o);
				return vhu_errf(e, EBADMSG, "UPDATE: %u x %u pixels need %llu bytes of data, the payload "
						"has %u", gpu_get32(p + 12), gpu_get32(p + 16),
						px > UINT64_MAX / 4 ? UINT64_MAX : (unsigned long long)px * 4, m->size - 20);
			}
		}
		break;
	case 9:
	case 12:
		put_u32s(o, p, dma, 10);
		if (row->num == 12)
			jb_add(o, "modifier", jb_hex(get64(p + 40)));
		break;
	case 11:
		jb_add(o, "scanout_id", json_object_new_int64(gpu_get32(p)));
		break;
	}
	*out = o;
	return 0;
}

/* --- answers ------------------------------------------------------------------ */

void gpu_put_hdr(uint8_t *out, uint32_t type)
{
	memset(out, 0, GPU_CTRL_HDR_LEN);
	gpu_put32(out, type);
}

void gpu_display_info(uint8_t *out, const struct gpu_mode *modes, unsigned n)
{
	memset(out, 0, GPU_DISPLAY_INFO_LEN);
	gpu_put_hdr(out, GPU_RESP_OK_DISPLAY_INFO);
	for (unsigned i = 0; i < n && i < GPU_SCANOUTS; i++) {
		uint8_t *pm = out + GPU_CTRL_HDR_LEN + 24 * i;	/* rect x, y, w, h; enabled; flags */

		gpu_put32(pm + 8, modes[i].width);
		gpu_put32(pm + 12, modes[i].height);
		gpu_put32(pm + 16, modes[i].width && modes[i].height);
	}
}

void gpu_edid(uint8_t *o, uint32_t w, uint32_t h)
{
	static const uint8_t chroma[10] = { 0xee, 0x91, 0xa3, 0x54, 0x4c, 0x99, 0x26, 0x0f, 0x50, 0x54 };
	const uint32_t hblank = 160, vblank = 30;
	uint32_t clk = (uint32_t)((uint64_t)(w + hblank) * (h + vblank) * 60 / 10000);	/* 10 kHz units */
	uint8_t *d = o + 54, sum = 0;

	w = w > 4095 ? 4095 : w;
	h = h > 4095 ? 4095 : h;
	memset(o, 0, GPU_EDID_LEN);
	memset(o + 1, 0xff, 6);
	o[8] = 0x59;	/* "VHU": three 5-bit letters, big-endian */
	o[9] = 0x15;
	o[10] = 1;	/* product */
	o[16] = 1;	/* week, year 1990 + 34 */
	o[17] = 34;
	o[18] = 1;	/* EDID 1.4 */
	o[19] = 4;
	o[20] = 0x80;	/* digital input */
	o[23] = 120;	/* gamma 2.2 */
	o[24] = 0x06;	/* sRGB, the preferred timing is native */
	memcpy(o + 25, chroma, sizeof(chroma));
	memset(o + 38, 0x01, 16);	/* no standard timings */
	/* The detailed timing of the preferred mode. */
	d[0] = (uint8_t)clk;
	d[1] = (uint8_t)(clk >> 8);
	d[2] = (uint8_t)w;
	d[3] = (uint8_t)hblank;
	d[4] = (uint8_t)((w >> 8) << 4 | hblank >> 8);
	d[5] = (uint8_t)h;
	d[6] = (uint8_t)vblank;
	d[7] = (uint8_t)((h >> 8) << 4 | vblank >> 8);
	d[8] = 48;	/* hsync offset, width */
	d[9] = 32;
	d[10] = 3 << 4 | 5;	/* vsync offset, width */
	d[17] = 0x18;	/* digital separate sync */
	/* The monitor's name, then two dummy descriptors. */
	d = o + 72;
	d[3] = 0xfc;
	memcpy(d + 5, "vhuctl\n      ", 13);
	o[90 + 3] = 0x10;
	o[108 + 3] = 0x10;
	for (unsigned i = 0; i < 127; i++)
		sum = (uint8_t)(sum + o[i]);
	o[127] = (uint8_t)(256 - sum);
}

void gpu_resp_edid(uint8_t *out, const uint8_t *edid, uint32_t edid_len)
{
	memset(out, 0, GPU_RESP_EDID_LEN);
	gpu_put_hdr(out, edid ? 0x1104 : 0x1200);	/* OK_EDID, ERR_UNSPEC */
	if (!edid)
		return;
	edid_len = edid_len > 1024 ? 1024 : edid_len;
	gpu_put32(out + GPU_CTRL_HDR_LEN, edid_len);
	memcpy(out + GPU_CTRL_HDR_LEN + 8, edid, edid_len);
}

/* --- the control queue ------------------------------------------------------- */

const struct gpu_name gpu_ctrl_types[] = {
	{ 0x0100, "CMD_GET_DISPLAY_INFO" },
	{ 0x0101, "CMD_RESOURCE_CREATE_2D" },
	{ 0x0102, "CMD_RESOURCE_UNREF" },
	{ 0x0103, "CMD_SET_SCANOUT" },
	{ 0x0104, "CMD_RESOURCE_FLUSH" },
	{ 0x0105, "CMD_TRANSFER_TO_HOST_2D" },
	{ 0x0106, "CMD_RESOURCE_ATTACH_BACKING" },
	{ 0x0107, "CMD_RESOURCE_DETACH_BACKING" },
	{ 0x0108, "CMD_GET_CAPSET_INFO" },
	{ 0x0109, "CMD_GET_CAPSET" },
	{ 0x010a, "CMD_GET_EDID" },
	{ 0x010b, "CMD_RESOURCE_ASSIGN_UUID" },
	{ 0x010c, "CMD_RESOURCE_CREATE_BLOB" },
	{ 0x010d, "CMD_SET_SCANOUT_BLOB" },
	{ 0x0300, "CMD_UPDATE_CURSOR" },
	{ 0x0301, "CMD_MOVE_CURSOR" },
	{ 0x1100, "RESP_OK_NODATA" },
	{ 0x1101, "RESP_OK_DISPLAY_INFO" },
	{ 0x1102, "RESP_OK_CAPSET_INFO" },
	{ 0x1103, "RESP_OK_CAPSET" },
	{ 0x1104, "RESP_OK_EDID" },
	{ 0x1105, "RESP_OK_RESOURCE_UUID" },
	{ 0x1106, "RESP_OK_MAP_INFO" },
	{ 0x1200, "RESP_ERR_UNSPEC" },
	{ 0x1201, "RESP_ERR_OUT_OF_MEMORY" },
	{ 0x1202, "RESP_ERR_INVALID_SCANOUT_ID" },
	{ 0x1203, "RESP_ERR_INVALID_RESOURCE_ID" },
	{ 0x1204, "RESP_ERR_INVALID_CONTEXT_ID" },
	{ 0x1205, "RESP_ERR_INVALID_PARAMETER" },
	{ 0, NULL },
};

const struct gpu_name gpu_formats[] = {
	{ 1, "B8G8R8A8_UNORM" },
	{ 2, "B8G8R8X8_UNORM" },
	{ 3, "A8R8G8B8_UNORM" },
	{ 4, "X8R8G8B8_UNORM" },
	{ 67, "R8G8B8A8_UNORM" },
	{ 68, "X8B8G8R8_UNORM" },
	{ 121, "A8B8G8R8_UNORM" },
	{ 134, "R8G8B8X8_UNORM" },
	{ 0, NULL },
};

const char *gpu_name_of(const struct gpu_name *t, uint32_t v)
{
	for (; t->name; t++)
		if (t->value == v)
			return t->name;
	return NULL;
}

bool gpu_format_rgb(uint32_t format, unsigned *r, unsigned *g, unsigned *b, unsigned *a)
{
	/* The bytes of a pixel in memory, as the format's name reads them
	 * from the lowest address (virtio-gpu formats are little-endian
	 * words read as bytes: B8G8R8X8 is B, G, R, X). */
	static const struct { uint32_t f; uint8_t r, g, b, a; } t[] = {
		{ 1, 2, 1, 0, 3 }, { 2, 2, 1, 0, 3 }, { 3, 1, 2, 3, 0 }, { 4, 1, 2, 3, 0 },
		{ 67, 0, 1, 2, 3 }, { 68, 3, 2, 1, 0 }, { 121, 3, 2, 1, 0 }, { 134, 0, 1, 2, 3 },
	};

	for (unsigned i = 0; i < N(t); i++)
		if (t[i].f == format) {
			*r = t[i].r;
			*g = t[i].g;
			*b = t[i].b;
			*a = t[i].a;
			return true;
		}
	return false;
}

int gpu_resp_decode(const uint8_t *p, uint32_t len, uint32_t *type, struct json_object **hdr,
		    struct json_object **body, struct vhu_err *e)
{
	const char *name;

	*hdr = *body = NULL;
	*type = 0;
	if (len < GPU_CTRL_HDR_LEN)
		return vhu_errf(e, EBADMSG, "the response is %u bytes, shorter than virtio_gpu_ctrl_hdr (%u)", len,
				GPU_CTRL_HDR_LEN);
	*type = gpu_get32(p);
	name = gpu_name_of(gpu_ctrl_types, *type);
	*hdr = json_object_new_object();
	jb_add(*hdr, "type", json_object_new_string(name ? name : "unknown"));
	jb_add(*hdr, "type_value", json_object_new_int64(*type));
	jb_add(*hdr, "flags", json_object_new_int64(gpu_get32(p + 4)));
	jb_add(*hdr, "fence_id", jb_u64(get64(p + 8)));
	jb_add(*hdr, "ctx_id", json_object_new_int64(gpu_get32(p + 16)));
	if (*type != GPU_RESP_OK_DISPLAY_INFO)
		return 0;
	if (len < GPU_DISPLAY_INFO_LEN)
		return vhu_errf(e, EBADMSG, "RESP_OK_DISPLAY_INFO is %u bytes, shorter than "
				"virtio_gpu_resp_display_info (%u)", len, GPU_DISPLAY_INFO_LEN);
	*body = json_object_new_array();
	for (unsigned i = 0; i < GPU_SCANOUTS; i++) {
		const uint8_t *pm = p + GPU_CTRL_HDR_LEN + 24 * i;
		struct json_object *o = json_object_new_object();

		jb_add(o, "scanout", json_object_new_int((int)i));
		jb_add(o, "x", json_object_new_int64(gpu_get32(pm)));
		jb_add(o, "y", json_object_new_int64(gpu_get32(pm + 4)));
		jb_add(o, "width", json_object_new_int64(gpu_get32(pm + 8)));
		jb_add(o, "height", json_object_new_int64(gpu_get32(pm + 12)));
		jb_add(o, "enabled", json_object_new_boolean(gpu_get32(pm + 16) != 0));
		jb_add(o, "flags", json_object_new_int64(gpu_get32(pm + 20)));
		json_object_array_add(*body, o);
	}
	return 0;
}

/* --- PNG ----------------------------------------------------------------------- */

uint32_t gpu_crc32(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (unsigned k = 0; k < 8; k++)
			crc = crc >> 1 ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* A chunk of TYPE with LEN bytes at P + 8 (already there) at P: its length,
 * type and CRC. Returns the chunk's whole size. */
static size_t chunk(uint8_t *p, const char *type, size_t len)
{
	put_be32(p, (uint32_t)len);
	memcpy(p + 4, type, 4);
	put_be32(p + 8 + len, gpu_crc32(0, p + 4, len + 4));
	return 12 + len;
}

uint8_t *gpu_png(const uint8_t *rgb, uint32_t w, uint32_t h, size_t *len)
{
	static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	uint64_t row = 1 + (uint64_t)w * 3, raw = row * h, blocks = raw / 65535 + 1;
	uint64_t idat = 2 + raw + blocks * 5 + 4, total = 8 + 25 + 12 + idat + 12;
	uint32_t s1 = 1, s2 = 0;
	uint8_t *out, *p, *z;
	uint64_t left = raw, i = 0;

	if (!w || !h || w > GPU_DIM_MAX || h > GPU_DIM_MAX || !(out = malloc(total)))
		return NULL;
	memcpy(out, sig, 8);
	p = out + 8;
	put_be32(p + 8, w);
	put_be32(p + 12, h);
	memcpy(p + 16, "\x08\x02\x00\x00\x00", 5);	/* 8-bit RGB, deflate, no filter, no interlace */
	p += chunk(p, "IHDR", 13);
	z = p + 8;
	*z++ = 0x78;	/* zlib: deflate, 32K window, no dictionary */
	*z++ = 0x01;
	/* Stored blocks of at most 65535 bytes: each row a filter byte 0 and
	 * its pixels, Adler-32 over them as they go. */
	do {
		uint32_t n = left > 65535 ? 65535 : (uint32_t)left;

		*z++ = left <= 65535;	/* BFINAL, BTYPE 00 */
		z[0] = (uint8_t)n;
		z[1] = (uint8_t)(n >> 8);
		z[2] = (uint8_t)~n;
		z[3] = (uint8_t)(~n >> 8);
		z += 4;
		for (uint32_t k = 0; k < n; k++, i++) {
			uint64_t x = i % row;
			uint8_t b = x == 0 ? 0 : rgb[(i / row) * (uint64_t)w * 3 + x - 1];

			*z++ = b;
			s1 = (s1 + b) % 65521;
			s2 = (s2 + s1) % 65521;
		}
		left -= n;
	} while (left);
	put_be32(z, s2 << 16 | s1);
	z += 4;
	p += chunk(p, "IDAT", (size_t)(z - (p + 8)));
	p += chunk(p, "IEND", 0);
	*len = (size_t)(p - out);
	return out;
}
