/* fuzz-inflight.c - the inflight area decoder: byte 0 picks the layout (bit
 * 0: packed), the next two the queue count, the rest is the area the
 * back-end handed over, cut into queues as 'inflight dump' cuts it. */
#include "fuzz.h"
#include "core/inflight.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	bool packed = fuzz_u8(&in) & 1;
	unsigned nq = fuzz_u16(&in), hdr = packed ? 32 : 16;
	struct json_object *out = json_object_new_object();
	struct json_object *queues = json_object_new_array(), *anomalies = json_object_new_array();
	const uint8_t *area;
	size_t len;

	area = fuzz_take(&in, in.n, &len);
	if (nq == 0)
		nq = 1;	/* 'inflight dump' refuses an area of no queues */
	json_object_object_add(out, "queues", queues);
	json_object_object_add(out, "anomalies", anomalies);
	inflight_decode(area, len, len / nq, nq, packed, queues, anomalies);
	FUZZ_CHECK(json_object_array_length(queues) == (len / nq >= hdr ? nq : 0),
		   "%zu queues decoded from %u of %zu bytes", json_object_array_length(queues), nq, len / nq);
	fuzz_json(out);
	return 0;
}
