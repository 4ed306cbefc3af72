/* fuzz-codec.c - every payload codec: byte 0 picks the kind, byte 1 the
 * device (for config and feature names), the rest is the payload. What
 * decodes must lie within its kind's size bounds, render as JSON, and come
 * out of encode -> decode -> encode unchanged; what does not must say why. */
#include <errno.h>
#include <string.h>

#include "core/codec.h"
#include "fuzz.h"
#include "core/render.h"

static void round_trip(const struct vhu_pval *v)
{
	static uint8_t a[VHU_PAYLOAD_MAX], b[VHU_PAYLOAD_MAX];
	static struct vhu_pval v2;
	struct vhu_err e = { 0 };
	uint32_t na, nb;

	FUZZ_CHECK(codec_encode(v, a, sizeof(a), &na, &e) == 0, "%s: a decoded value does not encode: %s",
		   proto_payload_name(v->kind), e.msg);
	FUZZ_CHECK(codec_decode(v->kind, a, na, &v2, &e) == 0, "%s: its own encoding does not decode: %s",
		   proto_payload_name(v->kind), e.msg);
	FUZZ_CHECK(codec_encode(&v2, b, sizeof(b), &nb, &e) == 0 && nb == na && memcmp(a, b, na) == 0,
		   "%s: encode -> decode -> encode changed the bytes", proto_payload_name(v->kind));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vhu_pval v;
	struct fuzz_in in = { data, size };
	enum vhu_payload kind = (enum vhu_payload)(fuzz_u8(&in) % PL_KIND_COUNT);
	enum vhu_device dev = fuzz_device(fuzz_u8(&in));
	struct vhu_err e = { 0 };
	uint32_t min, max;
	const uint8_t *b;
	size_t len;

	/* The payload ends where the input does: ASan sees any overread. */
	b = fuzz_take(&in, VHU_PAYLOAD_MAX + 64, &len);
	proto_payload_bounds(kind, &min, &max);
	if (codec_decode(kind, b, (uint32_t)len, &v, &e) < 0) {
		FUZZ_CHECK(e.code == EBADMSG && e.msg[0], "%s: refused without a reason (%d)",
			   proto_payload_name(kind), e.code);
		return 0;
	}
	FUZZ_CHECK(len >= min && len <= max, "%s: %zu bytes accepted, bounds %u..%u",
		   proto_payload_name(kind), len, min, max);
	fuzz_json(render_payload(&v, dev));
	round_trip(&v);
	return 0;
}
