/* fuzz-gpu.c - the virtio-gpu decoders: byte 0 picks one. Even: a gpu
 * socket message, byte 1 its request number (0..13: 0 and 13 unknown), the
 * rest its payload. Odd: a control queue response, the rest as the device
 * wrote it. */
#include <errno.h>

#include "fuzz.h"
#include "core/gpu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t which = fuzz_u8(&in);
	struct vhu_err e = { 0 };
	struct json_object *out = json_object_new_object(), *hdr = NULL, *body = NULL;
	const uint8_t *buf;
	size_t len;

	if (!(which & 1)) {
		uint32_t req = fuzz_u8(&in) % 14;
		const struct gpu_req_def *row = gpu_req(req);
		struct gpu_msg m = { .request = req, .fd = -1 };
		struct json_object *dec = NULL;
		int r;

		buf = fuzz_take(&in, in.n, &len);
		m.size = (uint32_t)len;
		m.payload = (uint8_t *)buf;
		r = gpu_msg_decode(row, &m, &dec, &e);
		FUZZ_CHECK(r == 0 || (row && e.code == EBADMSG && e.msg[0]), "a refused payload says why");
		FUZZ_CHECK(r < 0 || !row || (m.size >= row->min && m.size <= row->max), "size %u within its row's bounds", m.size);
		if (dec)
			json_object_object_add(out, "fields", dec);
	} else {
		uint32_t type;
		int r;

		buf = fuzz_take(&in, in.n, &len);
		r = gpu_resp_decode(buf, (uint32_t)len, &type, &hdr, &body, &e);
		FUZZ_CHECK(r == 0 || (e.code == EBADMSG && e.msg[0]), "a refused response says why");
		FUZZ_CHECK(len >= GPU_CTRL_HDR_LEN || hdr == NULL, "no header from %zu bytes", len);
		FUZZ_CHECK(!body || len >= GPU_DISPLAY_INFO_LEN, "no pmodes from %zu bytes", len);
		if (hdr)
			json_object_object_add(out, "response", hdr);
		if (body)
			json_object_object_add(out, "pmodes", body);
	}
	fuzz_json(out);
	return 0;
}
