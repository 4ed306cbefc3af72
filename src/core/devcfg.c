/* devcfg.c - device configuration space layouts and their decoding to JSON. */
#include <stddef.h>
#include <stdint.h>

#include "core/devcfg.h"
#include "core/jb.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum cfg_type {
	CFG_LE,		/* unsigned little-endian integer: 1, 2, 4 or 8 bytes */
	CFG_MAC,	/* u8[6] Ethernet address */
	CFG_TEXT,	/* char[size], NUL-padded, not always NUL-terminated */
	CFG_BYTES,	/* u8[size], shown as hex */
	CFG_SIZED,	/* u8[size], of which the u8 at .len_at says how many are valid */
};

struct cfg_field {
	const char *name;	/* the spec's field name, verbatim */
	const char *group;	/* enclosing struct member ("geometry"), or NULL */
	uint32_t offset;	/* from the start of config space */
	uint32_t size;
	enum cfg_type type;
	uint32_t len_at;	/* CFG_SIZED: config offset of the length byte */
};

/* Spec types, so rows read like the spec's structs. */
#define U8(o, n)	.offset = (o), .size = 1, .type = CFG_LE, .name = (n)
#define LE16(o, n)	.offset = (o), .size = 2, .type = CFG_LE, .name = (n)
#define LE32(o, n)	.offset = (o), .size = 4, .type = CFG_LE, .name = (n)
#define LE64(o, n)	.offset = (o), .size = 8, .type = CFG_LE, .name = (n)

/* Padding and reserved members (blk unused0/1/2, gpio padding, input
 * reserved) are left out: they carry no meaning a user could act on. */

/* struct virtio_net_config */
static const struct cfg_field net_cfg[] = {
	{ .offset = 0, .size = 6, .type = CFG_MAC, .name = "mac" },
	{ LE16(6, "status") },
	{ LE16(8, "max_virtqueue_pairs") },
	{ LE16(10, "mtu") },
	{ LE32(12, "speed") },
	{ U8(16, "duplex") },
	{ U8(17, "rss_max_key_size") },
	{ LE16(18, "rss_max_indirection_table_length") },
	{ LE32(20, "supported_hash_types") },
	{ LE32(24, "supported_tunnel_types") },
};

/* struct virtio_blk_config */
static const struct cfg_field blk_cfg[] = {
	{ LE64(0, "capacity") },
	{ LE32(8, "size_max") },
	{ LE32(12, "seg_max") },
	{ .group = "geometry", LE16(16, "cylinders") },
	{ .group = "geometry", U8(18, "heads") },
	{ .group = "geometry", U8(19, "sectors") },
	{ LE32(20, "blk_size") },
	{ .group = "topology", U8(24, "physical_block_exp") },
	{ .group = "topology", U8(25, "alignment_offset") },
	{ .group = "topology", LE16(26, "min_io_size") },
	{ .group = "topology", LE32(28, "opt_io_size") },
	{ U8(32, "writeback") },
	{ LE16(34, "num_queues") },
	{ LE32(36, "max_discard_sectors") },
	{ LE32(40, "max_discard_seg") },
	{ LE32(44, "discard_sector_alignment") },
	{ LE32(48, "max_write_zeroes_sectors") },
	{ LE32(52, "max_write_zeroes_seg") },
	{ U8(56, "write_zeroes_may_unmap") },
	{ LE32(60, "max_secure_erase_sectors") },
	{ LE32(64, "max_secure_erase_seg") },
	{ LE32(68, "secure_erase_sector_alignment") },
	{ .group = "zoned", LE32(72, "zone_sectors") },
	{ .group = "zoned", LE32(76, "max_open_zones") },
	{ .group = "zoned", LE32(80, "max_active_zones") },
	{ .group = "zoned", LE32(84, "max_append_sectors") },
	{ .group = "zoned", LE32(88, "write_granularity") },
	{ .group = "zoned", U8(92, "model") },
};

/* struct virtio_console_config: cols before rows, as in Linux, QEMU and
 * most spec revisions (one revision swapped them). */
static const struct cfg_field console_cfg[] = {
	{ LE16(0, "cols") },
	{ LE16(2, "rows") },
	{ LE32(4, "max_nr_ports") },
	{ LE32(8, "emerg_wr") },
};

/* struct virtio_scsi_config */
static const struct cfg_field scsi_cfg[] = {
	{ LE32(0, "num_queues") },
	{ LE32(4, "seg_max") },
	{ LE32(8, "max_sectors") },
	{ LE32(12, "cmd_per_lun") },
	{ LE32(16, "event_info_size") },
	{ LE32(20, "sense_size") },
	{ LE32(24, "cdb_size") },
	{ LE16(28, "max_channel") },
	{ LE16(30, "max_target") },
	{ LE32(32, "max_lun") },
};

/* struct virtio_gpu_config */
static const struct cfg_field gpu_cfg[] = {
	{ LE32(0, "events_read") },
	{ LE32(4, "events_clear") },
	{ LE32(8, "num_scanouts") },
	{ LE32(12, "num_capsets") },
};

/* struct virtio_input_config. What the union u holds depends on select, so
 * it is shown as raw bytes, only as many as size says are valid. */
static const struct cfg_field input_cfg[] = {
	{ U8(0, "select") },
	{ U8(1, "subsel") },
	{ U8(2, "size") },
	{ .offset = 8, .size = 128, .type = CFG_SIZED, .len_at = 2, .name = "u" },
};

/* struct virtio_vsock_config */
static const struct cfg_field vsock_cfg[] = {
	{ LE64(0, "guest_cid") },
};

/* struct virtio_crypto_config */
static const struct cfg_field crypto_cfg[] = {
	{ LE32(0, "status") },
	{ LE32(4, "max_dataqueues") },
	{ LE32(8, "crypto_services") },
	{ LE32(12, "cipher_algo_l") },
	{ LE32(16, "cipher_algo_h") },
	{ LE32(20, "hash_algo") },
	{ LE32(24, "mac_algo_l") },
	{ LE32(28, "mac_algo_h") },
	{ LE32(32, "aead_algo") },
	{ LE32(36, "max_cipher_key_len") },
	{ LE32(40, "max_auth_key_len") },
	{ LE32(44, "akcipher_algo") },
	{ LE64(48, "max_size") },
};

/* struct virtio_snd_config */
static const struct cfg_field sound_cfg[] = {
	{ LE32(0, "jacks") },
	{ LE32(4, "streams") },
	{ LE32(8, "chmaps") },
	{ LE32(12, "controls") },
};

/* struct virtio_fs_config */
static const struct cfg_field fs_cfg[] = {
	{ .offset = 0, .size = 36, .type = CFG_TEXT, .name = "tag" },
	{ LE32(36, "num_request_queues") },
	{ LE32(40, "notify_buf_size") },
};

/* struct virtio_gpio_config */
static const struct cfg_field gpio_cfg[] = {
	{ LE16(0, "ngpio") },
	{ LE32(4, "gpio_names_size") },
};

#define FIELDS(t)	.fields = t, .nfields = ARRAY_SIZE(t)

/* Whole structure size per the spec, padding included. rng (entropy) and
 * i2c define no configuration: their layout is known and empty. */
static const struct cfg_layout {
	enum vhu_device dev;
	uint32_t size;
	const struct cfg_field *fields;
	unsigned nfields;
} layouts[] = {
	{ .dev = DEV_NET, .size = 28, FIELDS(net_cfg) },
	{ .dev = DEV_BLK, .size = 96, FIELDS(blk_cfg) },
	{ .dev = DEV_CONSOLE, .size = 12, FIELDS(console_cfg) },
	{ .dev = DEV_RNG, .size = 0 },
	{ .dev = DEV_SCSI, .size = 36, FIELDS(scsi_cfg) },
	{ .dev = DEV_GPU, .size = 16, FIELDS(gpu_cfg) },
	{ .dev = DEV_INPUT, .size = 136, FIELDS(input_cfg) },
	{ .dev = DEV_VSOCK, .size = 8, FIELDS(vsock_cfg) },
	{ .dev = DEV_CRYPTO, .size = 56, FIELDS(crypto_cfg) },
	{ .dev = DEV_SOUND, .size = 16, FIELDS(sound_cfg) },
	{ .dev = DEV_FS, .size = 44, FIELDS(fs_cfg) },
	{ .dev = DEV_I2C, .size = 0 },
	{ .dev = DEV_GPIO, .size = 8, FIELDS(gpio_cfg) },
};

static const struct cfg_layout *layout(enum vhu_device dev)
{
	for (unsigned i = 0; i < ARRAY_SIZE(layouts); i++) {
		if (layouts[i].dev == dev)
			return &layouts[i];
	}
	return NULL;
}

uint32_t devcfg_size(enum vhu_device dev)
{
	const struct cfg_layout *l = layout(dev);

	return l ? l->size : 0;
}

/* The bytes we hold: config offsets [start, end), end computed in 64 bits
 * so that offset + len cannot wrap. */
struct cfg_window {
	const uint8_t *buf;
	uint64_t start;
	uint64_t end;
};

/* Is [off, off + size) wholly inside the window? */
static int in_window(const struct cfg_window *w, uint64_t off, uint64_t size)
{
	return off >= w->start && off + size <= w->end;
}

static const uint8_t *at(const struct cfg_window *w, uint64_t off)
{
	return w->buf + (size_t)(off - w->start);
}

static uint64_t get_le(const uint8_t *p, uint32_t size)
{
	uint64_t v = 0;

	for (uint32_t i = size; i > 0; i--)
		v = v << 8 | p[i - 1];
	return v;
}

/* How many bytes of F to show, or -1 when F does not lie inside the window.
 * CFG_SIZED is bounded by the field, by its length byte and by the window;
 * without the length byte it is unknowable. */
static int64_t field_len(const struct cfg_field *f, const struct cfg_window *w)
{
	uint64_t n;

	if (f->type != CFG_SIZED)
		return in_window(w, f->offset, f->size) ? (int64_t)f->size : -1;
	if (!in_window(w, f->len_at, 1) || !in_window(w, f->offset, 0))
		return -1;
	n = *at(w, f->len_at);
	if (n > f->size)
		n = f->size;
	if (n > w->end - f->offset) {
		/* The window cuts the valid bytes: show what we hold, but
		 * never an empty string, which would claim size is 0. */
		n = w->end - f->offset;
		if (!n)
			return -1;
	}
	return (int64_t)n;
}

static struct json_object *field_value(const struct cfg_field *f,
				       const uint8_t *p, size_t n)
{
	switch (f->type) {
	case CFG_LE:
		return jb_u64(get_le(p, f->size));
	case CFG_MAC:
		return jb_mac(p);
	case CFG_TEXT:
		return jb_text(p, n);
	case CFG_BYTES:
	case CFG_SIZED:
		break;
	}
	return jb_hexbytes(p, n);
}

/* The object F's value goes into: OBJ itself or its F->group member. */
static struct json_object *parent_of(struct json_object *obj,
				     const struct cfg_field *f)
{
	struct json_object *sub;

	if (!f->group)
		return obj;
	if (json_object_object_get_ex(obj, f->group, &sub))
		return sub;
	sub = json_object_new_object();
	if (sub)
		jb_add(obj, f->group, sub);
	return sub;
}

struct json_object *devcfg_decode(enum vhu_device dev, uint32_t offset,
				  const uint8_t *buf, uint32_t len)
{
	const struct cfg_layout *l = layout(dev);
	struct cfg_window w = {
		.buf = buf,
		.start = offset,
		.end = (uint64_t)offset + (buf ? len : 0),
	};
	struct json_object *obj;

	if (!l)
		return NULL;
	obj = json_object_new_object();
	if (!obj)
		return NULL;
	for (unsigned i = 0; i < l->nfields; i++) {
		const struct cfg_field *f = &l->fields[i];
		int64_t n = field_len(f, &w);
		struct json_object *parent, *val;

		if (n < 0)
			continue;
		parent = parent_of(obj, f);
		val = parent ? field_value(f, at(&w, f->offset), (size_t)n) : NULL;
		if (!val) {
			/* Out of memory: a partial object would mislead. */
			json_object_put(obj);
			return NULL;
		}
		jb_add(parent, f->name, val);
	}
	return obj;
}
