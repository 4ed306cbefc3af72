/* test-fuzz.c - random bytes into every decoder that reads untrusted input:
 * payload codecs, device config, the tokenizer. Nothing may crash or read out
 * of bounds (run under ASan in CI), and the results must stay consistent. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "../tap.h"
#include "core/codec.h"
#include "core/devcfg.h"
#include "core/render.h"
#include "cmd/tok.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

/* Bytes in their own heap block of exactly LEN, so ASan sees any overread. */
static uint8_t *random_block(uint32_t len)
{
	uint8_t *b = malloc(len ? len : 1);

	for (uint32_t i = 0; i < len; i++)
		b[i] = (uint8_t)rnd();
	return b;
}

int main(void)
{
	static const enum vhu_device devs[] = { DEV_NONE, DEV_NET, DEV_BLK, DEV_FS, DEV_VSOCK, DEV_GPU,
						DEV_SCSI, DEV_INPUT, DEV_I2C, DEV_GPIO, DEV_SOUND, DEV_CRYPTO };
	unsigned decoded = 0, rejected = 0, bad_accept = 0;

	/* Every payload kind, random sizes around its bounds, random bytes. */
	for (int k = 0; k < PL_KIND_COUNT; k++) {
		uint32_t min, max;

		proto_payload_bounds((enum vhu_payload)k, &min, &max);
		for (int i = 0; i < 400; i++) {
			uint32_t len = i < 200 ? rnd() % (max + 16) : (uint32_t)(min + rnd() % 24) - 12;
			struct vhu_pval v;
			struct json_object *o;
			uint8_t *b;

			if (len > VHU_PAYLOAD_MAX)
				len = rnd() % (VHU_PAYLOAD_MAX + 1);
			b = random_block(len);
			if (codec_decode((enum vhu_payload)k, b, len, &v, NULL) == 0) {
				decoded++;
				if (len < min || len > max)
					bad_accept++;
				o = render_payload(&v, devs[rnd() % (sizeof(devs) / sizeof(devs[0]))]);
				json_object_put(o);
			} else {
				rejected++;
			}
			free(b);
		}
	}
	tap_ok(decoded > 0 && rejected > 0, "random payloads: %u decoded, %u rejected, no crash", decoded, rejected);
	tap_is_int(bad_accept, 0, "no payload outside its kind's size bounds was accepted");

	/* Device config: random offsets (including huge ones) and lengths. */
	{
		unsigned n = 0;

		for (int i = 0; i < 3000; i++) {
			uint32_t len = rnd() % 300, off = (i % 3 == 0) ? rnd() : rnd() % 128;
			uint8_t *b = random_block(len);
			struct json_object *o = devcfg_decode(devs[rnd() % (sizeof(devs) / sizeof(devs[0]))], off, b, len);

			n += o != NULL;
			json_object_put(o);
			free(b);
		}
		tap_ok(n > 0, "random device config windows: %u decoded, no crash", n);
	}

	/* The tokenizer: random printable soup with quotes, escapes, newlines. */
	{
		static const char alphabet[] = "ab01 \t\n;#\"'\\x=$()~*\r";
		unsigned cmds = 0, errors = 0;

		for (int i = 0; i < 2000; i++) {
			uint32_t len = rnd() % 200;
			char *src = malloc(len + 1);
			struct tokenizer t;
			struct tok_cmd c = { 0 };
			struct tok_error te;
			int r, guard = 0;

			for (uint32_t j = 0; j < len; j++)
				src[j] = alphabet[rnd() % (sizeof(alphabet) - 1)];
			src[len] = '\0';
			tok_init(&t, src, len, 1);
			while ((r = tok_next(&t, &c, &te)) != 0 && guard++ < 10000) {
				if (r < 0) {
					errors++;
					if (te.line < 1 || te.col < 1)
						break;
				} else {
					cmds++;
				}
			}
			tok_cmd_free(&c);
			free(src);
			if (guard >= 10000) {
				tap_ok(0, "tokenizer made progress on every input");
				break;
			}
		}
		tap_ok(cmds > 0 && errors > 0, "random command lines: %u commands, %u located errors, no hang", cmds, errors);
	}
	return tap_done();
}
