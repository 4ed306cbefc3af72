/* test-devcfg.c - unit tests for decoding device configuration space. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "core/devcfg.h"
#include "../tap.h"

static void put_le(uint8_t *p, uint64_t v, unsigned size)
{
	for (unsigned i = 0; i < size; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Decode from a heap copy of exactly LEN bytes, so that the sanitizer
 * catches any read outside the bytes handed over. */
static struct json_object *decode_exact(enum vhu_device dev, uint32_t offset,
					const uint8_t *src, uint32_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	struct json_object *o;

	if (!copy)
		abort();
	if (len)
		memcpy(copy, src, len);
	o = devcfg_decode(dev, offset, len ? copy : NULL, len);
	free(copy);
	return o;
}

static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static int has(struct json_object *o, const char *key)
{
	return member(o, key) != NULL;
}

/* The integer value of KEY, or -1 when absent or not an integer. */
static int64_t get_int(struct json_object *o, const char *key)
{
	struct json_object *v = member(o, key);

	return v && json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -1;
}

static const char *get_str(struct json_object *o, const char *key)
{
	struct json_object *v = member(o, key);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* A number as its JSON text: exact whatever its size. */
static const char *get_num_text(struct json_object *o, const char *key)
{
	struct json_object *v = member(o, key);

	return v && json_object_is_type(v, json_type_int) ? json_object_to_json_string(v) : NULL;
}

static int nkeys(struct json_object *o)
{
	return o ? json_object_object_length(o) : -1;
}

static void test_sizes(void)
{
	tap_is_int(devcfg_size(DEV_NET), 28, "net config is 28 bytes");
	tap_is_int(devcfg_size(DEV_BLK), 96, "blk config is 96 bytes");
	tap_is_int(devcfg_size(DEV_CONSOLE), 12, "console config is 12 bytes");
	tap_is_int(devcfg_size(DEV_RNG), 0, "rng has no config");
	tap_is_int(devcfg_size(DEV_SCSI), 36, "scsi config is 36 bytes");
	tap_is_int(devcfg_size(DEV_GPU), 16, "gpu config is 16 bytes");
	tap_is_int(devcfg_size(DEV_INPUT), 136, "input config is 136 bytes");
	tap_is_int(devcfg_size(DEV_VSOCK), 8, "vsock config is 8 bytes");
	tap_is_int(devcfg_size(DEV_CRYPTO), 56, "crypto config is 56 bytes");
	tap_is_int(devcfg_size(DEV_SOUND), 16, "sound config is 16 bytes");
	tap_is_int(devcfg_size(DEV_FS), 44, "fs config is 44 bytes");
	tap_is_int(devcfg_size(DEV_I2C), 0, "i2c has no config");
	tap_is_int(devcfg_size(DEV_GPIO), 8, "gpio config is 8 bytes");
	tap_is_int(devcfg_size(DEV_NONE), 0, "DEV_NONE has no size");
	tap_is_int(devcfg_size((enum vhu_device)5), 0, "unknown device has no size");
}

static void make_blk(uint8_t *cfg)
{
	memset(cfg, 0, 96);
	put_le(cfg + 0, 2048, 8);	/* capacity */
	put_le(cfg + 8, 65536, 4);	/* size_max */
	put_le(cfg + 12, 126, 4);	/* seg_max */
	put_le(cfg + 16, 1024, 2);	/* geometry.cylinders */
	cfg[18] = 16;			/* geometry.heads */
	cfg[19] = 63;			/* geometry.sectors */
	put_le(cfg + 20, 512, 4);	/* blk_size */
	cfg[24] = 3;			/* topology.physical_block_exp */
	put_le(cfg + 28, 4096, 4);	/* topology.opt_io_size */
	cfg[32] = 1;			/* writeback */
	put_le(cfg + 34, 4, 2);		/* num_queues */
	put_le(cfg + 36, 32768, 4);	/* max_discard_sectors */
	cfg[56] = 1;			/* write_zeroes_may_unmap */
	put_le(cfg + 60, 7, 4);		/* max_secure_erase_sectors */
	put_le(cfg + 72, 524288, 4);	/* zoned.zone_sectors */
	cfg[92] = 2;			/* zoned.model */
}

static void test_blk(void)
{
	uint8_t cfg[96];
	struct json_object *o, *g, *t;

	make_blk(cfg);
	o = decode_exact(DEV_BLK, 0, cfg, 60);
	tap_ok(o != NULL, "blk: 60 bytes decode");
	tap_is_int(get_int(o, "capacity"), 2048, "blk: capacity");
	tap_is_int(get_int(o, "seg_max"), 126, "blk: seg_max");
	tap_is_int(get_int(o, "blk_size"), 512, "blk: blk_size");
	tap_is_int(get_int(o, "max_discard_sectors"), 32768, "blk: max_discard_sectors");
	tap_is_int(get_int(o, "size_max"), 65536, "blk: size_max");
	tap_is_int(get_int(o, "writeback"), 1, "blk: writeback");
	tap_is_int(get_int(o, "num_queues"), 4, "blk: num_queues");
	tap_is_int(get_int(o, "write_zeroes_may_unmap"), 1, "blk: write_zeroes_may_unmap");
	g = member(o, "geometry");
	tap_ok(g && json_object_is_type(g, json_type_object), "blk: geometry is an object");
	tap_is_int(get_int(g, "cylinders"), 1024, "blk: geometry.cylinders");
	tap_is_int(get_int(g, "heads"), 16, "blk: geometry.heads");
	tap_is_int(get_int(g, "sectors"), 63, "blk: geometry.sectors");
	t = member(o, "topology");
	tap_is_int(get_int(t, "physical_block_exp"), 3, "blk: topology.physical_block_exp");
	tap_is_int(get_int(t, "opt_io_size"), 4096, "blk: topology.opt_io_size");
	tap_ok(!has(o, "cylinders"), "blk: nested fields stay nested");
	tap_ok(!has(o, "max_secure_erase_sectors"), "blk: field past 60 bytes omitted");
	tap_ok(!has(o, "zoned"), "blk: zoned omitted from 60 bytes");
	tap_ok(!has(o, "unused0") && !has(o, "unused1"), "blk: padding not shown");
	json_object_put(o);

	o = decode_exact(DEV_BLK, 0, cfg, 96);
	tap_is_int(get_int(o, "max_secure_erase_sectors"), 7, "blk: full max_secure_erase_sectors");
	tap_is_int(get_int(member(o, "zoned"), "zone_sectors"), 524288, "blk: zoned.zone_sectors");
	tap_is_int(get_int(member(o, "zoned"), "model"), 2, "blk: zoned.model");
	tap_is_int(nkeys(member(o, "zoned")), 6, "blk: zoned has six fields");
	json_object_put(o);

	/* Windows that cut fields. */
	o = decode_exact(DEV_BLK, 0, cfg, 14);
	tap_ok(has(o, "capacity") && has(o, "size_max"), "blk[0,14): capacity, size_max");
	tap_ok(!has(o, "seg_max"), "blk[0,14): seg_max cut, omitted");
	tap_is_int(nkeys(o), 2, "blk[0,14): only two fields");
	json_object_put(o);

	o = decode_exact(DEV_BLK, 2, cfg + 2, 20);
	tap_ok(!has(o, "capacity"), "blk[2,22): capacity starts before, omitted");
	tap_is_int(get_int(o, "size_max"), 65536, "blk[2,22): size_max at the right place");
	tap_is_int(get_int(o, "seg_max"), 126, "blk[2,22): seg_max");
	tap_ok(!has(o, "blk_size"), "blk[2,22): blk_size cut, omitted");
	json_object_put(o);

	o = decode_exact(DEV_BLK, 17, cfg + 17, 3);
	g = member(o, "geometry");
	tap_ok(g && !has(g, "cylinders"), "blk[17,20): geometry.cylinders cut");
	tap_is_int(get_int(g, "heads"), 16, "blk[17,20): geometry.heads");
	tap_is_int(get_int(g, "sectors"), 63, "blk[17,20): geometry.sectors");
	tap_is_int(nkeys(o), 1, "blk[17,20): only geometry");
	json_object_put(o);

	o = decode_exact(DEV_BLK, 20, cfg + 20, 4);
	tap_ok(!has(o, "geometry") && !has(o, "topology"), "blk[20,24): no empty nested objects");
	tap_is_int(nkeys(o), 1, "blk[20,24): blk_size only");
	json_object_put(o);

	o = decode_exact(DEV_BLK, 0, cfg, 0);
	tap_ok(o && nkeys(o) == 0, "blk: len 0 gives an empty object");
	json_object_put(o);

	o = devcfg_decode(DEV_BLK, 0, NULL, 0);
	tap_ok(o && nkeys(o) == 0, "blk: NULL, len 0 gives an empty object");
	json_object_put(o);

	o = decode_exact(DEV_BLK, 96, cfg, 32);
	tap_ok(o && nkeys(o) == 0, "blk: bytes past the structure decode to nothing");
	json_object_put(o);

	o = decode_exact(DEV_BLK, 0xfffffff0u, cfg, 32);
	tap_ok(o && nkeys(o) == 0, "blk: offset 0xfffffff0 len 32 (wraps uint32) is empty");
	json_object_put(o);

	o = decode_exact(DEV_BLK, 0xffffffffu, cfg, 1);
	tap_ok(o && nkeys(o) == 0, "blk: offset 0xffffffff is empty");
	json_object_put(o);
}

static void test_net(void)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	uint8_t cfg[28] = { 0 };
	struct json_object *o;

	memcpy(cfg, mac, 6);
	put_le(cfg + 6, 1, 2);		/* status: LINK_UP */
	put_le(cfg + 8, 4, 2);		/* max_virtqueue_pairs */
	put_le(cfg + 10, 1500, 2);	/* mtu */
	put_le(cfg + 12, 0xffffffff, 4);	/* speed: unknown */
	cfg[16] = 0xff;			/* duplex: unknown */
	put_le(cfg + 24, 0x5, 4);	/* supported_tunnel_types */

	o = decode_exact(DEV_NET, 0, cfg, sizeof(cfg));
	tap_is_str(get_str(o, "mac"), "52:54:00:12:34:56", "net: mac");
	tap_is_int(get_int(o, "status"), 1, "net: status");
	tap_is_int(get_int(o, "max_virtqueue_pairs"), 4, "net: max_virtqueue_pairs");
	tap_is_int(get_int(o, "mtu"), 1500, "net: mtu");
	tap_is_int(get_int(o, "speed"), 0xffffffffLL, "net: speed is unsigned");
	tap_is_int(get_int(o, "duplex"), 255, "net: duplex");
	tap_is_int(get_int(o, "supported_tunnel_types"), 5, "net: supported_tunnel_types");
	tap_is_int(nkeys(o), 10, "net: ten fields");
	json_object_put(o);

	o = decode_exact(DEV_NET, 0, cfg, 5);
	tap_ok(o && !has(o, "mac"), "net: a cut mac is omitted");
	json_object_put(o);

	o = decode_exact(DEV_NET, 6, cfg + 6, 6);
	tap_ok(!has(o, "mac") && has(o, "status") && has(o, "mtu"), "net[6,12): status, mtu");
	tap_is_int(get_int(o, "mtu"), 1500, "net[6,12): mtu");
	json_object_put(o);
}

static void test_fs(void)
{
	static const char tag36[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	uint8_t cfg[44] = { 0 };
	struct json_object *o;

	memcpy(cfg, tag36, 36);
	put_le(cfg + 36, 0x41414141, 4);	/* num_request_queues: "AAAA" */
	put_le(cfg + 40, 4096, 4);	/* notify_buf_size */
	o = decode_exact(DEV_FS, 0, cfg, sizeof(cfg));
	tap_is_str(get_str(o, "tag"), tag36, "fs: 36-char tag without NUL");
	tap_is_int(get_int(o, "num_request_queues"), 0x41414141, "fs: num_request_queues");
	tap_is_int(get_int(o, "notify_buf_size"), 4096, "fs: notify_buf_size");
	json_object_put(o);

	o = decode_exact(DEV_FS, 0, cfg, 36);
	tap_is_str(get_str(o, "tag"), tag36, "fs: 36-char tag alone, nothing read past it");
	json_object_put(o);

	memset(cfg, 0, 36);
	memcpy(cfg, "myfs", 4);
	cfg[10] = 'x';			/* after the NUL: not part of the tag */
	o = decode_exact(DEV_FS, 0, cfg, sizeof(cfg));
	tap_is_str(get_str(o, "tag"), "myfs", "fs: short tag stops at NUL");
	json_object_put(o);

	o = decode_exact(DEV_FS, 0, cfg, 35);
	tap_ok(o && !has(o, "tag"), "fs: a cut tag is omitted");
	json_object_put(o);
}

static void test_vsock(void)
{
	uint8_t cfg[8];
	struct json_object *o;

	put_le(cfg, 3, 8);
	o = decode_exact(DEV_VSOCK, 0, cfg, 8);
	tap_is_int(get_int(o, "guest_cid"), 3, "vsock: guest_cid");
	json_object_put(o);

	put_le(cfg, 0x0123456789abcdefULL, 8);
	o = decode_exact(DEV_VSOCK, 0, cfg, 8);
	tap_is_str(get_num_text(o, "guest_cid"), "81985529216486895", "vsock: guest_cid > 2^53 is an exact number");
	json_object_put(o);

	o = decode_exact(DEV_VSOCK, 0, cfg, 4);
	tap_ok(o && !has(o, "guest_cid"), "vsock: half a guest_cid is omitted");
	json_object_put(o);
}

static void test_input(void)
{
	uint8_t cfg[136];
	struct json_object *o;

	memset(cfg, 0xee, sizeof(cfg));
	cfg[0] = 1;			/* select: VIRTIO_INPUT_CFG_ID_NAME */
	cfg[1] = 0;			/* subsel */
	cfg[2] = 5;			/* size */
	memcpy(cfg + 8, "hello", 5);
	o = decode_exact(DEV_INPUT, 0, cfg, sizeof(cfg));
	tap_is_int(get_int(o, "select"), 1, "input: select");
	tap_is_int(get_int(o, "subsel"), 0, "input: subsel");
	tap_is_int(get_int(o, "size"), 5, "input: size");
	tap_is_str(get_str(o, "u"), "68656c6c6f", "input: u limited to size");
	tap_ok(!has(o, "reserved"), "input: reserved not shown");
	json_object_put(o);

	o = decode_exact(DEV_INPUT, 0, cfg, 10);
	tap_is_str(get_str(o, "u"), "6865", "input: u bounded by the buffer");
	json_object_put(o);

	o = decode_exact(DEV_INPUT, 0, cfg, 8);
	tap_ok(o && has(o, "size") && !has(o, "u"), "input: no union bytes held, no u");
	json_object_put(o);

	o = decode_exact(DEV_INPUT, 3, cfg + 3, 133);
	tap_ok(o && !has(o, "u") && nkeys(o) == 0, "input: without the size byte, no u");
	json_object_put(o);

	cfg[2] = 0;
	o = decode_exact(DEV_INPUT, 0, cfg, 8);
	tap_is_str(get_str(o, "u"), "", "input: size 0 gives an empty u");
	json_object_put(o);

	cfg[2] = 200;
	o = decode_exact(DEV_INPUT, 0, cfg, sizeof(cfg));
	tap_is_int(strlen(get_str(o, "u") ? get_str(o, "u") : ""), 256,
		   "input: size 200 capped at the 128-byte union");
	json_object_put(o);
}

static void test_others(void)
{
	uint8_t cfg[56] = { 0 };
	struct json_object *o;

	put_le(cfg + 0, 80, 2);
	put_le(cfg + 2, 25, 2);
	put_le(cfg + 4, 31, 4);
	o = decode_exact(DEV_CONSOLE, 0, cfg, 12);
	tap_is_int(get_int(o, "cols"), 80, "console: cols");
	tap_is_int(get_int(o, "rows"), 25, "console: rows");
	tap_is_int(get_int(o, "max_nr_ports"), 31, "console: max_nr_ports");
	json_object_put(o);

	memset(cfg, 0, sizeof(cfg));
	put_le(cfg + 28, 0, 2);
	put_le(cfg + 30, 255, 2);
	put_le(cfg + 32, 16383, 4);
	o = decode_exact(DEV_SCSI, 0, cfg, 36);
	tap_is_int(get_int(o, "max_target"), 255, "scsi: max_target");
	tap_is_int(get_int(o, "max_lun"), 16383, "scsi: max_lun");
	tap_is_int(nkeys(o), 10, "scsi: ten fields");
	json_object_put(o);

	memset(cfg, 0, sizeof(cfg));
	put_le(cfg + 8, 1, 4);
	o = decode_exact(DEV_GPU, 0, cfg, 16);
	tap_is_int(get_int(o, "num_scanouts"), 1, "gpu: num_scanouts");
	json_object_put(o);

	memset(cfg, 0, sizeof(cfg));
	put_le(cfg + 0, 1, 4);
	put_le(cfg + 48, 0xffffffffffffffffULL, 8);
	o = decode_exact(DEV_CRYPTO, 0, cfg, 56);
	tap_is_int(get_int(o, "status"), 1, "crypto: status");
	tap_is_str(get_num_text(o, "max_size"), "18446744073709551615", "crypto: max_size is an exact number up to 2^64-1");
	tap_is_int(nkeys(o), 13, "crypto: thirteen fields");
	json_object_put(o);

	memset(cfg, 0, sizeof(cfg));
	put_le(cfg + 4, 2, 4);
	o = decode_exact(DEV_SOUND, 0, cfg, 16);
	tap_is_int(get_int(o, "streams"), 2, "sound: streams");
	json_object_put(o);

	memset(cfg, 0xff, sizeof(cfg));
	put_le(cfg + 0, 32, 2);
	put_le(cfg + 4, 100, 4);
	o = decode_exact(DEV_GPIO, 0, cfg, 8);
	tap_is_int(get_int(o, "ngpio"), 32, "gpio: ngpio");
	tap_is_int(get_int(o, "gpio_names_size"), 100, "gpio: gpio_names_size");
	tap_is_int(nkeys(o), 2, "gpio: padding not shown");
	json_object_put(o);

	o = decode_exact(DEV_RNG, 0, cfg, 8);
	tap_ok(o && nkeys(o) == 0, "rng: known, empty layout");
	json_object_put(o);
	o = decode_exact(DEV_I2C, 0, cfg, 8);
	tap_ok(o && nkeys(o) == 0, "i2c: known, empty layout");
	json_object_put(o);

	tap_ok(devcfg_decode(DEV_NONE, 0, cfg, 8) == NULL, "DEV_NONE: NULL");
	tap_ok(devcfg_decode((enum vhu_device)5, 0, cfg, 8) == NULL, "balloon (unknown): NULL");
	tap_ok(devcfg_decode((enum vhu_device)999, 0, NULL, 0) == NULL, "device 999: NULL");
}

/* Every window of every layout, from an exact-size heap copy: the sanitizer
 * reports any read outside it; a field never appears twice as wide. */
static void test_all_windows(void)
{
	unsigned n, i, bad = 0, total = 0;
	const enum vhu_device *devs = features_devices(&n);
	uint8_t full[256];

	for (i = 0; i < sizeof(full); i++)
		full[i] = (uint8_t)(i * 37 + 11);
	for (i = 0; i < n; i++) {
		uint32_t size = devcfg_size(devs[i]), off, len;

		/* Walk one byte past the end too: bytes beyond the layout. */
		for (off = 0; off <= size + 1; off++) {
			for (len = 0; off + len <= size + 1; len++) {
				struct json_object *o = decode_exact(devs[i], off, full + off, len);

				total++;
				if (!o || (len == 0 && nkeys(o) != 0))
					bad++;
				json_object_put(o);
			}
		}
	}
	tap_ok(bad == 0, "every window of every layout decodes (%u windows)", total);
}

int main(void)
{
	test_sizes();
	test_blk();
	test_net();
	test_fs();
	test_vsock();
	test_input();
	test_others();
	test_all_windows();
	return tap_done();
}
