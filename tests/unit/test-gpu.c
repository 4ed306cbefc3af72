/* test-gpu.c - unit tests for the gpu socket's reader and decoders, the control queue's response decoder, the EDID and the PNG writer. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <json-c/json.h>

#include "core/gpu.h"
#include "core/wire.h"
#include "../tap.h"

static const char *member(struct json_object *o, const char *k)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, k, &v) ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN) : NULL;
}

/* Decode a message of REQUEST with LEN bytes of P: the return value, *O. */
static int decode(uint32_t request, const uint8_t *p, uint32_t len, struct json_object **o, struct vhu_err *e)
{
	struct gpu_msg m = { .request = request, .size = len, .payload = tap_exact(p, len), .fd = -1 };
	int r = gpu_msg_decode(gpu_req(request), &m, o, e);

	free(m.payload);
	return r;
}

static void test_table(void)
{
	unsigned n;
	const struct gpu_req_def *t = gpu_reqs(&n);

	tap_is_int(n, 12, "the table has the 12 requests of vhost-user-gpu.rst and vugpu.h");
	for (unsigned i = 0; i < n; i++)
		if (t[i].num != i + 1 || !t[i].name || t[i].min > t[i].max || t[i].max > GPU_MSG_MAX) {
			tap_ok(0, "row %u is numbered, named and bounded", i);
			return;
		}
	tap_ok(1, "every row is numbered 1..12 in order, named, and its bounds within GPU_MSG_MAX");
	tap_is_str(gpu_req(10)->name, "DMABUF_UPDATE", "DMABUF_UPDATE is 10");
	tap_is_int(gpu_req(10)->reply, GPU_R_EMPTY, "DMABUF_UPDATE is answered with an empty payload");
	tap_ok(gpu_req(0) == NULL && gpu_req(13) == NULL, "0 and 13 are no requests");
}

static void test_decode(void)
{
	uint8_t b[64] = { 0 };
	struct json_object *o;
	struct vhu_err e = { 0 };

	gpu_put32(b, 1);
	gpu_put32(b + 4, 640);
	gpu_put32(b + 8, 480);
	tap_is_int(decode(7, b, 12, &o, &e), 0, "SCANOUT of 12 bytes decodes");
	tap_is_str(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), "{\"scanout_id\":1,\"width\":640,\"height\":480}",
		   "SCANOUT: scanout_id, width, height");
	json_object_put(o);
	tap_is_int(decode(7, b, 11, &o, &e), -EBADMSG, "SCANOUT of 11 bytes: EBADMSG");
	tap_is_str(e.msg, "SCANOUT: payload of 11 bytes, expected 12", "the message says what was expected");
	tap_ok(o == NULL, "and nothing is decoded");
	tap_is_int(decode(7, b, 13, &o, &e), -EBADMSG, "SCANOUT of 13 bytes: EBADMSG");
	/* UPDATE: its data must be w * h * 4 */
	memset(b, 0, sizeof(b));
	gpu_put32(b + 12, 2);
	gpu_put32(b + 16, 3);
	tap_is_int(decode(8, b, 20 + 24, &o, &e), 0, "UPDATE of 2x3 with 24 bytes of data decodes");
	tap_is_str(member(o, "data_len"), "24", "UPDATE: data_len");
	json_object_put(o);
	tap_is_int(decode(8, b, 20 + 23, &o, &e), -EBADMSG, "UPDATE of 2x3 with 23 bytes: EBADMSG");
	tap_is_str(e.msg, "UPDATE: 2 x 3 pixels need 24 bytes of data, the payload has 23", "the message has both sizes");
	gpu_put32(b + 12, 0xffffffffu);
	gpu_put32(b + 16, 0xffffffffu);
	tap_is_int(decode(8, b, 20, &o, &e), -EBADMSG, "UPDATE whose w * h * 4 overflows 32 bits: EBADMSG, no wrap");
	tap_is_int(decode(8, b, 19, &o, &e), -EBADMSG, "UPDATE shorter than its rectangle: EBADMSG");
	/* SET_PROTOCOL_FEATURES: a mask by name */
	memset(b, 0, sizeof(b));
	b[0] = 3;
	tap_is_int(decode(2, b, 8, &o, &e), 0, "SET_PROTOCOL_FEATURES decodes");
	tap_is_str(member(o, "features"), "{\"value\":\"0x3\",\"names\":[\"VHOST_USER_GPU_PROTOCOL_F_EDID\","
		   "\"VHOST_USER_GPU_PROTOCOL_F_DMABUF2\"]}", "its features are a mask by name");
	json_object_put(o);
	tap_is_int(decode(6, b, 64, &o, &e), -EBADMSG, "CURSOR_UPDATE without its 64x64 cursor: EBADMSG");
	tap_is_int(decode(12, b, 48, &o, &e), 0, "DMABUF_SCANOUT2 of 48 bytes decodes");
	tap_ok(member(o, "modifier") && member(o, "fd_drm_fourcc"), "DMABUF_SCANOUT2: its fourcc and modifier");
	json_object_put(o);
	tap_is_int(decode(99, b, 4, &o, &e), 0, "an unknown request is no decode error...");
	tap_ok(o == NULL, "...and decodes to nothing");
}

static int pair(int sv[2])
{
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
}

static void test_read(void)
{
	uint8_t h[GPU_HDR_SIZE + 12];
	struct gpu_msg m;
	struct vhu_err e = { 0 };
	int sv[2];

	if (pair(sv) < 0) {
		tap_ok(0, "socketpair");
		return;
	}
	gpu_put32(h, 7);
	gpu_put32(h + 4, 0);
	gpu_put32(h + 8, 12);
	memset(h + 12, 0xab, 12);
	tap_ok(write(sv[1], h, sizeof(h)) == (ssize_t)sizeof(h), "a whole SCANOUT written");
	tap_is_int(gpu_msg_read(sv[0], &m, wire_deadline(1000), &e), 0, "and read");
	tap_ok(m.request == 7 && m.size == 12 && m.payload && m.payload[11] == 0xab && m.fd == -1, "header and payload as sent");
	gpu_msg_free(&m);
	/* a size over the bound: refused before any payload is read */
	gpu_put32(h + 8, GPU_MSG_MAX + 1);
	tap_ok(write(sv[1], h, GPU_HDR_SIZE) == GPU_HDR_SIZE, "a header saying GPU_MSG_MAX + 1");
	tap_is_int(gpu_msg_read(sv[0], &m, wire_deadline(1000), &e), -EMSGSIZE, "EMSGSIZE");
	tap_ok(m.payload == NULL && m.fd == -1, "nothing kept");
	/* a header cut short, then EOF */
	tap_ok(write(sv[1], h, 5) == 5, "5 bytes of a header");
	close(sv[1]);
	tap_is_int(gpu_msg_read(sv[0], &m, wire_deadline(1000), &e), -ECONNRESET, "then EOF: ECONNRESET");
	tap_is_str(e.msg, "gpu socket: Connection reset by peer after 5 of 12 header bytes", "after 5 of 12 header bytes");
	tap_is_int(gpu_msg_read(sv[0], &m, wire_deadline(1000), &e), -ECONNRESET, "EOF at a message's start: ECONNRESET");
	tap_is_str(e.msg, "the back-end closed the gpu socket", "said as a close");
	close(sv[0]);
	/* nothing comes: the deadline ends the wait */
	if (pair(sv) < 0)
		return;
	tap_is_int(gpu_msg_read(sv[0], &m, wire_deadline(50), &e), -ETIMEDOUT, "nothing within 50 ms: ETIMEDOUT");
	/* a payload cut short */
	gpu_put32(h + 8, 12);
	tap_ok(write(sv[1], h, GPU_HDR_SIZE + 4) == GPU_HDR_SIZE + 4, "a header and 4 of 12 payload bytes");
	tap_is_int(gpu_msg_read(sv[0], &m, wire_deadline(50), &e), -ETIMEDOUT, "ETIMEDOUT");
	tap_is_str(e.msg, "gpu socket: Connection timed out after 4 of 12 payload bytes", "after 4 of 12 payload bytes");
	close(sv[0]);
	close(sv[1]);
	/* a reply: header with the REPLY flag, then the payload */
	if (pair(sv) < 0)
		return;
	tap_is_int(gpu_msg_reply(sv[0], 1, "\x01\0\0\0\0\0\0\0", 8, wire_deadline(1000), &e), 0, "a u64 reply sent");
	tap_is_int(gpu_msg_read(sv[1], &m, wire_deadline(1000), &e), 0, "and read back");
	tap_ok(m.request == 1 && m.flags == GPU_FLAG_REPLY && m.size == 8 && m.payload[0] == 1, "request 1, flags REPLY, 8 bytes");
	gpu_msg_free(&m);
	close(sv[0]);
	close(sv[1]);
}

static void test_resp(void)
{
	uint8_t b[GPU_DISPLAY_INFO_LEN];
	struct gpu_mode modes[2] = { { 800, 600 }, { 0, 0 } };
	struct json_object *hdr, *body;
	struct vhu_err e = { 0 };
	uint32_t type;
	uint8_t *c;

	gpu_display_info(b, modes, 2);
	c = tap_exact(b, sizeof(b));
	tap_is_int(gpu_resp_decode(c, sizeof(b), &type, &hdr, &body, &e), 0, "RESP_OK_DISPLAY_INFO decodes");
	tap_is_str(member(hdr, "type"), "\"RESP_OK_DISPLAY_INFO\"", "its type by name");
	tap_is_int(json_object_array_length(body), 16, "16 pmodes");
	tap_is_str(json_object_to_json_string_ext(json_object_array_get_idx(body, 0), JSON_C_TO_STRING_PLAIN),
		   "{\"scanout\":0,\"x\":0,\"y\":0,\"width\":800,\"height\":600,\"enabled\":true,\"flags\":0}", "the first enabled");
	tap_is_str(member(json_object_array_get_idx(body, 1), "enabled"), "false", "a 0x0 display is not enabled");
	json_object_put(hdr);
	json_object_put(body);
	free(c);
	c = tap_exact(b, GPU_DISPLAY_INFO_LEN - 1);
	tap_is_int(gpu_resp_decode(c, GPU_DISPLAY_INFO_LEN - 1, &type, &hdr, &body, &e), -EBADMSG,
		   "RESP_OK_DISPLAY_INFO one byte short: EBADMSG");
	tap_ok(hdr != NULL && body == NULL, "its header decoded, no pmodes");
	json_object_put(hdr);
	free(c);
	c = tap_exact(b, 23);
	tap_is_int(gpu_resp_decode(c, 23, &type, &hdr, &body, &e), -EBADMSG, "23 bytes: shorter than virtio_gpu_ctrl_hdr");
	tap_ok(hdr == NULL, "nothing decoded");
	free(c);
	gpu_put_hdr(b, 0x1203);
	c = tap_exact(b, 24);
	tap_is_int(gpu_resp_decode(c, 24, &type, &hdr, &body, &e), 0, "an ERR_* decodes (the caller makes it an error)");
	tap_is_str(member(hdr, "type"), "\"RESP_ERR_INVALID_RESOURCE_ID\"", "ERR_INVALID_RESOURCE_ID by name");
	json_object_put(hdr);
	free(c);
}

static void test_edid(void)
{
	uint8_t d[GPU_EDID_LEN], r[GPU_RESP_EDID_LEN];
	unsigned sum = 0;

	gpu_edid(d, 1024, 768);
	for (unsigned i = 0; i < GPU_EDID_LEN; i++)
		sum += d[i];
	tap_ok(!memcmp(d, "\0\xff\xff\xff\xff\xff\xff\0", 8), "the EDID header");
	tap_is_int(sum % 256, 0, "the bytes sum to 0 mod 256 (the checksum)");
	tap_ok(d[18] == 1 && d[19] == 4, "EDID 1.4");
	tap_is_int(d[56] | (d[58] >> 4) << 8, 1024, "the preferred timing's width");
	tap_is_int(d[59] | (d[61] >> 4) << 8, 768, "the preferred timing's height");
	gpu_resp_edid(r, d, GPU_EDID_LEN);
	tap_ok(gpu_get32(r) == 0x1104 && gpu_get32(r + 24) == 128 && !memcmp(r + 32, d, 128), "RESP_OK_EDID with size 128");
	gpu_resp_edid(r, NULL, 0);
	tap_ok(gpu_get32(r) == 0x1200 && gpu_get32(r + 24) == 0, "no EDID: RESP_ERR_UNSPEC, size 0");
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Walk the PNG's chunks checking each CRC; the IDAT's zlib stream
 * un-stored into RAW (at most CAP). 0 or the failing check's number. */
static int png_check(const uint8_t *p, size_t len, uint32_t *w, uint32_t *h, uint8_t *raw, size_t cap, size_t *nraw)
{
	size_t i = 8, z = 0;
	uint8_t *idat = malloc(len);
	int r = 0;

	if (!idat || len < 8 || memcmp(p, "\x89PNG\r\n\x1a\n", 8))
		r = 1;
	while (!r && i + 12 <= len) {
		uint32_t n = be32(p + i);

		if (i + 12 + n > len || gpu_crc32(0, p + i + 4, n + 4) != be32(p + i + 8 + n)) {
			r = 2;
			break;
		}
		if (!memcmp(p + i + 4, "IHDR", 4)) {
			*w = be32(p + i + 8);
			*h = be32(p + i + 12);
		} else if (!memcmp(p + i + 4, "IDAT", 4)) {
			memcpy(idat + z, p + i + 8, n);
			z += n;
		}
		i += 12 + n;
	}
	if (!r && (z < 6 || idat[0] != 0x78))
		r = 3;
	/* stored blocks */
	*nraw = 0;
	for (size_t k = 2; !r;) {
		uint32_t bl, nl;
		int final;

		if (k + 5 > z) {
			r = 4;
			break;
		}
		final = idat[k] & 1;
		bl = idat[k + 1] | idat[k + 2] << 8;
		nl = idat[k + 3] | idat[k + 4] << 8;
		if ((idat[k] & 6) || (bl ^ 0xffff) != nl || k + 5 + bl > z || *nraw + bl > cap) {
			r = 5;
			break;
		}
		memcpy(raw + *nraw, idat + k + 5, bl);
		*nraw += bl;
		k += 5 + bl;
		if (final) {
			uint32_t a = 1, b = 0;

			for (size_t j = 0; j < *nraw; j++) {
				a = (a + raw[j]) % 65521;
				b = (b + a) % 65521;
			}
			if (k + 4 != z || be32(idat + k) != (b << 16 | a))
				r = 6;
			break;
		}
	}
	free(idat);
	return r;
}

static void test_png(void)
{
	const uint8_t px[3] = { 1, 2, 3 };
	uint32_t w = 0, h = 0, W = 200, H = 120;	/* 72120 raw bytes: two stored blocks */
	uint8_t *png, *rgb = malloc((size_t)W * H * 3), *raw = malloc(1 << 20);
	size_t len, nraw;
	int ok = 1;

	tap_is_int(gpu_crc32(0, (const uint8_t *)"123456789", 9), 0xcbf43926, "CRC-32 of 123456789 is 0xcbf43926");
	png = gpu_png(px, 1, 1, &len);
	tap_ok(png && png_check(png, len, &w, &h, raw, 1 << 20, &nraw) == 0, "a 1x1 PNG: every CRC and the Adler-32 check");
	tap_ok(w == 1 && h == 1 && nraw == 4 && !memcmp(raw, "\0\x01\x02\x03", 4), "its one row: filter 0, then R, G, B");
	free(png);
	for (size_t i = 0; i < (size_t)W * H * 3; i++)
		rgb[i] = (uint8_t)(i * 7);
	png = gpu_png(rgb, W, H, &len);
	tap_is_int(png ? png_check(png, len, &w, &h, raw, 1 << 20, &nraw) : -1, 0, "a 200x120 PNG (two stored blocks) checks");
	for (uint32_t y = 0; y < H && ok; y++)
		ok = raw[y * (1 + W * 3)] == 0 && !memcmp(raw + y * (1 + W * 3) + 1, rgb + (size_t)y * W * 3, W * 3);
	tap_ok(w == W && h == H && nraw == (size_t)H * (1 + W * 3) && ok, "every row as given");
	free(png);
	tap_ok(gpu_png(rgb, 0, 1, &len) == NULL && gpu_png(rgb, GPU_DIM_MAX + 1, 1, &len) == NULL,
	       "no PNG of width 0 or over 4096");
	free(rgb);
	free(raw);
}

int main(void)
{
	test_table();
	test_decode();
	test_read();
	test_resp();
	test_edid();
	test_png();
	return tap_done();
}
