/* fuzz-fuse.c - the FUSE reply decoders: byte 0 picks the reply's shape,
 * the next eight the request's unique, four the used entry's length; the
 * rest is what the back-end wrote into the device-writable buffer. */
#include "fuzz.h"
#include "core/fuse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	enum fuse_reply_kind kind = (enum fuse_reply_kind)(fuzz_u8(&in) % (FUSE_R_OTHER + 1));
	uint64_t unique = fuzz_u64(&in);
	uint32_t used = fuzz_u32(&in);
	struct fuse_reply r;
	struct vhu_err e = { 0 };
	struct json_object *out = json_object_new_object(), *body = NULL;
	const uint8_t *buf;
	size_t len;

	buf = fuzz_take(&in, in.n, &len);
	if (fuse_reply_check(buf, (uint32_t)len, used, unique, &r, &e) == 0) {
		FUZZ_CHECK(r.len >= FUSE_OUT_HEADER_LEN && r.len <= used && r.len <= len,
			   "len %u checked against used %u and %zu bytes", r.len, used, len);
		FUZZ_CHECK(r.body == buf + FUSE_OUT_HEADER_LEN && r.body_len == r.len - FUSE_OUT_HEADER_LEN,
			   "body of %u bytes", r.body_len);
		FUZZ_CHECK(r.unique == unique && r.error <= 0 && r.error >= -FUSE_ERRNO_MAX, "error %d", r.error);
		json_object_object_add(out, "out_header", fuse_out_header_json(&r));
		if (fuse_body_json(kind, r.body, r.body_len, &body, &e) == 0 && body)
			json_object_object_add(out, "body", body);
	} else {
		FUZZ_CHECK(e.code != 0 && e.msg[0], "a refused reply says why");
	}
	fuzz_json(out);
	return 0;
}
