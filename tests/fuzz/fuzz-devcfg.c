/* fuzz-devcfg.c - device config decoders: byte 0 picks the device, then the
 * config offset (one byte, or with its top bit four), the rest is the bytes
 * of a GET_CONFIG reply. Every field a window shows must be shown the same
 * by the whole config space up to the window's end. */
#include <stdlib.h>
#include <string.h>

#include "core/devcfg.h"
#include "fuzz.h"

/* Every member of PART (groups walked into) is in WHOLE, equal. */
static void check_subset(struct json_object *part, struct json_object *whole, uint32_t off)
{
	json_object_object_foreach(part, key, val) {
		struct json_object *w;

		FUZZ_CHECK(json_object_object_get_ex(whole, key, &w),
			   "field '%s' of the window at %u is missing from the whole config", key, off);
		if (json_object_is_type(val, json_type_object))
			check_subset(val, w, off);
		else
			FUZZ_CHECK(json_object_equal(val, w), "field '%s': %s in the window at %u, %s in the whole",
				   key, json_object_to_json_string(val), off, json_object_to_json_string(w));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	enum vhu_device dev = fuzz_device(fuzz_u8(&in));
	uint8_t o = fuzz_u8(&in);
	uint32_t off = o & 0x80 ? fuzz_u32(&in) : o;
	struct json_object *win, *whole;
	const uint8_t *b;
	uint8_t *full;
	size_t len;

	b = fuzz_take(&in, in.n, &len);
	win = devcfg_decode(dev, off, b, (uint32_t)len);
	if (win && off <= 512) {
		full = calloc(1, off + len + 1);
		FUZZ_CHECK(full, "out of memory");
		memcpy(full + off, b, len);
		whole = devcfg_decode(dev, 0, full, (uint32_t)(off + len));
		check_subset(win, whole, off);
		json_object_put(whole);
		free(full);
	}
	fuzz_json(win);
	return 0;
}
