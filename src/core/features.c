/* features.c - tables of virtio device types, feature bits and status bits. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/features.h"
#include "core/suggest.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Transport and vhost bits (virtio spec "Reserved Feature Bits", QEMU). */
static const struct vhu_feature transport[] = {
	{ .bit = 24, .name = "VIRTIO_F_NOTIFY_ON_EMPTY" },
	{ .bit = 26, .name = "VHOST_F_LOG_ALL" },
	{ .bit = 27, .name = "VIRTIO_F_ANY_LAYOUT" },
	{ .bit = 28, .name = "VIRTIO_F_INDIRECT_DESC" },
	{ .bit = 29, .name = "VIRTIO_F_EVENT_IDX" },
	/* The spec's "UNUSED (30)"; only the vhost-user back-end sees it. */
	{ .bit = 30, .name = "VHOST_USER_F_PROTOCOL_FEATURES" },
	{ .bit = 32, .name = "VIRTIO_F_VERSION_1" },
	{ .bit = 33, .name = "VIRTIO_F_ACCESS_PLATFORM" },
	{ .bit = 34, .name = "VIRTIO_F_RING_PACKED" },
	{ .bit = 35, .name = "VIRTIO_F_IN_ORDER" },
	{ .bit = 36, .name = "VIRTIO_F_ORDER_PLATFORM" },
	{ .bit = 37, .name = "VIRTIO_F_SR_IOV" },
	{ .bit = 38, .name = "VIRTIO_F_NOTIFICATION_DATA" },
	{ .bit = 39, .name = "VIRTIO_F_NOTIF_CONFIG_DATA" },
	{ .bit = 40, .name = "VIRTIO_F_RING_RESET" },
	{ .bit = 41, .name = "VIRTIO_F_ADMIN_VQ" },
	{ .bit = 43, .name = "VIRTIO_F_SUSPEND" },
};

/* Other spellings of transport bits found in the spec and in headers;
 * accepted by features_by_name, never printed. */
static const struct vhu_feature transport_alias[] = {
	{ .bit = 28, .name = "VIRTIO_RING_F_INDIRECT_DESC" },
	{ .bit = 29, .name = "VIRTIO_RING_F_EVENT_IDX" },
	{ .bit = 33, .name = "VIRTIO_F_IOMMU_PLATFORM" },
};

/* Prefixes a transport name may be written without. */
static const char *const transport_prefix[] = {
	"VIRTIO_F_",
	"VIRTIO_RING_F_",
	"VHOST_F_",
	"VHOST_USER_F_",
};

/* Device bits reachable through the 64-bit vhost-user feature word;
 * net bits 64 and up cannot be negotiated this way and are left out. */
static const struct vhu_feature net_bits[] = {
	{ .bit = 0, .name = "VIRTIO_NET_F_CSUM" },
	{ .bit = 1, .name = "VIRTIO_NET_F_GUEST_CSUM" },
	{ .bit = 2, .name = "VIRTIO_NET_F_CTRL_GUEST_OFFLOADS" },
	{ .bit = 3, .name = "VIRTIO_NET_F_MTU" },
	{ .bit = 5, .name = "VIRTIO_NET_F_MAC" },
	{ .bit = 6, .name = "VIRTIO_NET_F_GSO" },
	{ .bit = 7, .name = "VIRTIO_NET_F_GUEST_TSO4" },
	{ .bit = 8, .name = "VIRTIO_NET_F_GUEST_TSO6" },
	{ .bit = 9, .name = "VIRTIO_NET_F_GUEST_ECN" },
	{ .bit = 10, .name = "VIRTIO_NET_F_GUEST_UFO" },
	{ .bit = 11, .name = "VIRTIO_NET_F_HOST_TSO4" },
	{ .bit = 12, .name = "VIRTIO_NET_F_HOST_TSO6" },
	{ .bit = 13, .name = "VIRTIO_NET_F_HOST_ECN" },
	{ .bit = 14, .name = "VIRTIO_NET_F_HOST_UFO" },
	{ .bit = 15, .name = "VIRTIO_NET_F_MRG_RXBUF" },
	{ .bit = 16, .name = "VIRTIO_NET_F_STATUS" },
	{ .bit = 17, .name = "VIRTIO_NET_F_CTRL_VQ" },
	{ .bit = 18, .name = "VIRTIO_NET_F_CTRL_RX" },
	{ .bit = 19, .name = "VIRTIO_NET_F_CTRL_VLAN" },
	{ .bit = 20, .name = "VIRTIO_NET_F_CTRL_RX_EXTRA" },
	{ .bit = 21, .name = "VIRTIO_NET_F_GUEST_ANNOUNCE" },
	{ .bit = 22, .name = "VIRTIO_NET_F_MQ" },
	{ .bit = 23, .name = "VIRTIO_NET_F_CTRL_MAC_ADDR" },
	{ .bit = 41, .name = "VIRTIO_NET_F_GUEST_RSC4" },
	{ .bit = 42, .name = "VIRTIO_NET_F_GUEST_RSC6" },
	{ .bit = 50, .name = "VIRTIO_NET_F_DEVICE_STATS" },
	{ .bit = 51, .name = "VIRTIO_NET_F_HASH_TUNNEL" },
	{ .bit = 52, .name = "VIRTIO_NET_F_VQ_NOTF_COAL" },
	{ .bit = 53, .name = "VIRTIO_NET_F_NOTF_COAL" },
	{ .bit = 54, .name = "VIRTIO_NET_F_GUEST_USO4" },
	{ .bit = 55, .name = "VIRTIO_NET_F_GUEST_USO6" },
	{ .bit = 56, .name = "VIRTIO_NET_F_HOST_USO" },
	{ .bit = 57, .name = "VIRTIO_NET_F_HASH_REPORT" },
	{ .bit = 59, .name = "VIRTIO_NET_F_GUEST_HDRLEN" },
	{ .bit = 60, .name = "VIRTIO_NET_F_RSS" },
	{ .bit = 61, .name = "VIRTIO_NET_F_RSC_EXT" },
	{ .bit = 62, .name = "VIRTIO_NET_F_STANDBY" },
	{ .bit = 63, .name = "VIRTIO_NET_F_SPEED_DUPLEX" },
};

static const struct vhu_feature blk_bits[] = {
	{ .bit = 0, .name = "VIRTIO_BLK_F_BARRIER" },
	{ .bit = 1, .name = "VIRTIO_BLK_F_SIZE_MAX" },
	{ .bit = 2, .name = "VIRTIO_BLK_F_SEG_MAX" },
	{ .bit = 4, .name = "VIRTIO_BLK_F_GEOMETRY" },
	{ .bit = 5, .name = "VIRTIO_BLK_F_RO" },
	{ .bit = 6, .name = "VIRTIO_BLK_F_BLK_SIZE" },
	{ .bit = 7, .name = "VIRTIO_BLK_F_SCSI" },
	{ .bit = 9, .name = "VIRTIO_BLK_F_FLUSH" },
	{ .bit = 10, .name = "VIRTIO_BLK_F_TOPOLOGY" },
	{ .bit = 11, .name = "VIRTIO_BLK_F_CONFIG_WCE" },
	{ .bit = 12, .name = "VIRTIO_BLK_F_MQ" },
	{ .bit = 13, .name = "VIRTIO_BLK_F_DISCARD" },
	{ .bit = 14, .name = "VIRTIO_BLK_F_WRITE_ZEROES" },
	{ .bit = 15, .name = "VIRTIO_BLK_F_LIFETIME" },
	{ .bit = 16, .name = "VIRTIO_BLK_F_SECURE_ERASE" },
	{ .bit = 17, .name = "VIRTIO_BLK_F_ZONED" },
};

static const struct vhu_feature console_bits[] = {
	{ .bit = 0, .name = "VIRTIO_CONSOLE_F_SIZE" },
	{ .bit = 1, .name = "VIRTIO_CONSOLE_F_MULTIPORT" },
	{ .bit = 2, .name = "VIRTIO_CONSOLE_F_EMERG_WRITE" },
};

static const struct vhu_feature scsi_bits[] = {
	{ .bit = 0, .name = "VIRTIO_SCSI_F_INOUT" },
	{ .bit = 1, .name = "VIRTIO_SCSI_F_HOTPLUG" },
	{ .bit = 2, .name = "VIRTIO_SCSI_F_CHANGE" },
	{ .bit = 3, .name = "VIRTIO_SCSI_F_T10_PI" },
};

static const struct vhu_feature gpu_bits[] = {
	{ .bit = 0, .name = "VIRTIO_GPU_F_VIRGL" },
	{ .bit = 1, .name = "VIRTIO_GPU_F_EDID" },
	{ .bit = 2, .name = "VIRTIO_GPU_F_RESOURCE_UUID" },
	{ .bit = 3, .name = "VIRTIO_GPU_F_RESOURCE_BLOB" },
	{ .bit = 4, .name = "VIRTIO_GPU_F_CONTEXT_INIT" },
	{ .bit = 5, .name = "VIRTIO_GPU_F_BLOB_ALIGNMENT" },
};

static const struct vhu_feature vsock_bits[] = {
	{ .bit = 0, .name = "VIRTIO_VSOCK_F_STREAM" },
	{ .bit = 1, .name = "VIRTIO_VSOCK_F_SEQPACKET" },
	{ .bit = 2, .name = "VIRTIO_VSOCK_F_NO_IMPLIED_STREAM" },
};

static const struct vhu_feature crypto_bits[] = {
	{ .bit = 0, .name = "VIRTIO_CRYPTO_F_REVISION_1" },
	{ .bit = 1, .name = "VIRTIO_CRYPTO_F_CIPHER_STATELESS_MODE" },
	{ .bit = 2, .name = "VIRTIO_CRYPTO_F_HASH_STATELESS_MODE" },
	{ .bit = 3, .name = "VIRTIO_CRYPTO_F_MAC_STATELESS_MODE" },
	{ .bit = 4, .name = "VIRTIO_CRYPTO_F_AEAD_STATELESS_MODE" },
	{ .bit = 5, .name = "VIRTIO_CRYPTO_F_AKCIPHER_STATELESS_MODE" },
};

static const struct vhu_feature sound_bits[] = {
	{ .bit = 0, .name = "VIRTIO_SND_F_CTLS" },
};

static const struct vhu_feature fs_bits[] = {
	{ .bit = 0, .name = "VIRTIO_FS_F_NOTIFICATION" },
};

static const struct vhu_feature i2c_bits[] = {
	{ .bit = 0, .name = "VIRTIO_I2C_F_ZERO_LENGTH_REQUEST" },
};

static const struct vhu_feature gpio_bits[] = {
	{ .bit = 0, .name = "VIRTIO_GPIO_F_IRQ" },
};

#define BITS(t)	.bits = t, .nbits = ARRAY_SIZE(t)

/* Devices vhuctl knows: short name, feature-name prefix, device bits, and
 * the virtqueues a driver sets up by default (the virtio spec's "Virtqueues"
 * of each device; every_reported: as many as GET_QUEUE_NUM reports, which
 * the device's queue layout allows). rng (entropy) and input define no
 * feature bits, hence no prefix. */
static const struct dev_info {
	enum vhu_device dev;
	const char *name;
	const char *prefix;
	const struct vhu_feature *bits;
	unsigned nbits;
	unsigned queues;
	bool every_reported;
} devices[] = {
	/* receiveq1 + transmitq1 (more pairs with VIRTIO_NET_F_MQ: 'queues=') */
	{ .dev = DEV_NET, .name = "net", .prefix = "VIRTIO_NET_F_", BITS(net_bits), .queues = 2 },
	{ .dev = DEV_BLK, .name = "blk", .prefix = "VIRTIO_BLK_F_", BITS(blk_bits), .queues = 1 },
	{ .dev = DEV_CONSOLE, .name = "console", .prefix = "VIRTIO_CONSOLE_F_", BITS(console_bits), .queues = 2 },
	{ .dev = DEV_RNG, .name = "rng", .queues = 1 },
	/* controlq, eventq, request queues */
	{ .dev = DEV_SCSI, .name = "scsi", .prefix = "VIRTIO_SCSI_F_", BITS(scsi_bits), .queues = 3,
	  .every_reported = true },
	{ .dev = DEV_GPU, .name = "gpu", .prefix = "VIRTIO_GPU_F_", BITS(gpu_bits), .queues = 2 },
	{ .dev = DEV_INPUT, .name = "input", .queues = 2 },
	{ .dev = DEV_VSOCK, .name = "vsock", .prefix = "VIRTIO_VSOCK_F_", BITS(vsock_bits), .queues = 3 },
	{ .dev = DEV_CRYPTO, .name = "crypto", .prefix = "VIRTIO_CRYPTO_F_", BITS(crypto_bits), .queues = 2 },
	{ .dev = DEV_SOUND, .name = "sound", .prefix = "VIRTIO_SND_F_", BITS(sound_bits), .queues = 4 },
	/* hiprio, then the request queues: all the back-end has */
	{ .dev = DEV_FS, .name = "fs", .prefix = "VIRTIO_FS_F_", BITS(fs_bits), .queues = 2,
	  .every_reported = true },
	{ .dev = DEV_I2C, .name = "i2c", .prefix = "VIRTIO_I2C_F_", BITS(i2c_bits), .queues = 1 },
	{ .dev = DEV_GPIO, .name = "gpio", .prefix = "VIRTIO_GPIO_F_", BITS(gpio_bits), .queues = 2 },
};

/* The same devices as a plain list, for callers that only iterate; the
 * unit test checks that it agrees with devices[]. */
static const enum vhu_device device_list[] = {
	DEV_NET, DEV_BLK, DEV_CONSOLE, DEV_RNG, DEV_SCSI, DEV_GPU, DEV_INPUT,
	DEV_VSOCK, DEV_CRYPTO, DEV_SOUND, DEV_FS, DEV_I2C, DEV_GPIO,
};

_Static_assert(ARRAY_SIZE(device_list) == ARRAY_SIZE(devices),
	       "device_list and devices must list the same devices");

/* Device status bits; .bit is the bit number, the register value is 1 << bit. */
static const struct vhu_feature status_bits[] = {
	{ .bit = 0, .name = "ACKNOWLEDGE" },
	{ .bit = 1, .name = "DRIVER" },
	{ .bit = 2, .name = "DRIVER_OK" },
	{ .bit = 3, .name = "FEATURES_OK" },
	{ .bit = 4, .name = "SUSPEND" },
	{ .bit = 6, .name = "DEVICE_NEEDS_RESET" },
	{ .bit = 7, .name = "FAILED" },
};

#define STATUS_PREFIX	"VIRTIO_CONFIG_S_"

static const struct dev_info *dev_info(enum vhu_device dev)
{
	for (unsigned i = 0; i < ARRAY_SIZE(devices); i++) {
		if (devices[i].dev == dev)
			return &devices[i];
	}
	return NULL;
}

unsigned features_device_queues(enum vhu_device dev, uint64_t reported)
{
	const struct dev_info *d = dev_info(dev);

	if (!d)
		return 1;
	if (d->every_reported && reported > d->queues)
		return reported > UINT32_MAX ? UINT32_MAX : (unsigned)reported;
	return d->queues;
}

/* Compare a user spelling with a spec name: case-insensitive, and '-'
 * stands for '_' so command-line spellings ("version-1") work too. */
static int name_eq(const char *user, const char *spec)
{
	for (; *user && *spec; user++, spec++) {
		char a = *user == '-' ? '_' : *user;

		if ((a | 0x20) != (*spec | 0x20) || (a == '_') != (*spec == '_'))
			return 0;
	}
	return *user == *spec;
}

/* SPEC without PREFIX (case-sensitive: table names are upper case), or NULL
 * when SPEC does not start with PREFIX. */
static const char *strip(const char *spec, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(spec, prefix, n) == 0 ? spec + n : NULL;
}

/* Does NAME spell transport entry SPEC, with or without its prefix? */
static int transport_eq(const char *name, const char *spec)
{
	if (name_eq(name, spec))
		return 1;
	for (unsigned i = 0; i < ARRAY_SIZE(transport_prefix); i++) {
		const char *s = strip(spec, transport_prefix[i]);

		if (s && name_eq(name, s))
			return 1;
	}
	return 0;
}

static int lookup_transport(const char *name)
{
	for (unsigned i = 0; i < ARRAY_SIZE(transport); i++) {
		if (transport_eq(name, transport[i].name))
			return (int)transport[i].bit;
	}
	for (unsigned i = 0; i < ARRAY_SIZE(transport_alias); i++) {
		if (transport_eq(name, transport_alias[i].name))
			return (int)transport_alias[i].bit;
	}
	return -1;
}

/* Look NAME up in D's bits; the prefix-less form only when SHORT_OK. */
static int lookup_device(const struct dev_info *d, const char *name, int short_ok)
{
	for (unsigned i = 0; i < d->nbits; i++) {
		const char *spec = d->bits[i].name;
		const char *s = d->prefix ? strip(spec, d->prefix) : NULL;

		if (name_eq(name, spec) || (short_ok && s && name_eq(name, s)))
			return (int)d->bits[i].bit;
	}
	return -1;
}

const char *features_device_name(enum vhu_device dev)
{
	const struct dev_info *d = dev_info(dev);

	return d ? d->name : NULL;
}

int features_device_by_name(const char *name)
{
	char *end;
	unsigned long id;

	if (!name || !*name)
		return -1;
	for (unsigned i = 0; i < ARRAY_SIZE(devices); i++) {
		if (strcasecmp(name, devices[i].name) == 0)
			return (int)devices[i].dev;
	}
	if (*name < '0' || *name > '9')
		return -1;
	errno = 0;
	id = strtoul(name, &end, 10);
	if (errno || *end || id == DEV_NONE || id > 0xffff)
		return -1;
	return dev_info((enum vhu_device)id) ? (int)id : -1;
}

const enum vhu_device *features_devices(unsigned *n)
{
	if (n)
		*n = ARRAY_SIZE(device_list);
	return device_list;
}

const struct vhu_feature *features_transport(unsigned *n)
{
	if (n)
		*n = ARRAY_SIZE(transport);
	return transport;
}

const struct vhu_feature *features_device(enum vhu_device dev, unsigned *n)
{
	const struct dev_info *d = dev_info(dev);

	if (!d || !d->nbits) {
		if (n)
			*n = 0;
		return NULL;
	}
	if (n)
		*n = d->nbits;
	return d->bits;
}

/*
 * Bit 41 is both VIRTIO_F_ADMIN_VQ and, for net, the legacy
 * VIRTIO_NET_F_GUEST_RSC4 (the spec lists 41 as device-specific too).
 * When the caller names a device that defines the bit, the device meaning
 * wins: a net back-end offering 41 is far more likely to be an old one
 * speaking GUEST_RSC4 than one with an admin virtqueue. With DEV_NONE, or
 * a device that leaves the bit undefined, the transport meaning applies.
 */
static const char *name_of_bit(enum vhu_device dev, unsigned bit)
{
	const struct dev_info *d = dev == DEV_NONE ? NULL : dev_info(dev);

	if (d) {
		for (unsigned i = 0; i < d->nbits; i++) {
			if (d->bits[i].bit == bit)
				return d->bits[i].name;
		}
	}
	for (unsigned i = 0; i < ARRAY_SIZE(transport); i++) {
		if (transport[i].bit == bit)
			return transport[i].name;
	}
	return NULL;
}

/* Every reply to GET_FEATURES names its bits: the names of the last device
 * asked about are kept, 64 pointers, built again when the device changes. */
const char *features_name(enum vhu_device dev, unsigned bit)
{
	static const char *names[64];
	static int names_dev = -1;

	if (bit >= 64)
		return name_of_bit(dev, bit);
	if (names_dev != (int)dev) {
		for (unsigned b = 0; b < 64; b++)
			names[b] = name_of_bit(dev, b);
		names_dev = (int)dev;
	}
	return names[bit];
}

int features_by_name(enum vhu_device dev, const char *name)
{
	int bit;

	if (!name || !*name)
		return -1;
	/* Transport names first: they are the same for every device. */
	bit = lookup_transport(name);
	if (bit >= 0)
		return bit;
	if (dev != DEV_NONE) {
		const struct dev_info *d = dev_info(dev);

		return d ? lookup_device(d, name, 1) : -1;
	}
	/* No device given: a fully prefixed name says which device it means. */
	for (unsigned i = 0; i < ARRAY_SIZE(devices); i++) {
		bit = lookup_device(&devices[i], name, 0);
		if (bit >= 0)
			return bit;
	}
	return -1;
}

const struct vhu_feature *features_status(unsigned *n)
{
	if (n)
		*n = ARRAY_SIZE(status_bits);
	return status_bits;
}

int features_status_by_name(const char *name)
{
	size_t plen = strlen(STATUS_PREFIX);

	if (!name || !*name)
		return -1;
	if (strncasecmp(name, STATUS_PREFIX, plen) == 0)
		name += plen;
	for (unsigned i = 0; i < ARRAY_SIZE(status_bits); i++) {
		if (name_eq(name, status_bits[i].name))
			return 1 << status_bits[i].bit;
	}
	return -1;
}

/* Suggestions: the names of the tables above closest to one that is in
 * none, compared in every spelling features_by_name takes, suggested in
 * the spec's. */

static void offer_device(struct suggest *sg, const struct dev_info *d)
{
	for (unsigned i = 0; i < d->nbits; i++) {
		const char *spec = d->bits[i].name;
		const char *s = d->prefix ? strip(spec, d->prefix) : NULL;

		suggest_add(sg, NULL, spec);
		if (s)
			suggest_add(sg, s, spec);
	}
}

const char *features_suggest(enum vhu_device dev, const char *name)
{
	const struct dev_info *d = dev == DEV_NONE ? NULL : dev_info(dev);
	struct suggest sg;

	suggest_init(&sg, name, strlen(name));
	for (unsigned i = 0; i < ARRAY_SIZE(transport); i++) {
		suggest_add(&sg, NULL, transport[i].name);
		for (unsigned k = 0; k < ARRAY_SIZE(transport_prefix); k++) {
			const char *s = strip(transport[i].name, transport_prefix[k]);

			if (s)
				suggest_add(&sg, s, transport[i].name);
		}
	}
	/* Without a device, every device's names: the suggestion says which. */
	if (d)
		offer_device(&sg, d);
	for (unsigned i = 0; !d && i < ARRAY_SIZE(devices); i++)
		offer_device(&sg, &devices[i]);
	return suggest_best(&sg);
}

const char *features_status_suggest(const char *name)
{
	size_t plen = strlen(STATUS_PREFIX);
	struct suggest sg;

	if (strncasecmp(name, STATUS_PREFIX, plen) == 0)
		name += plen;
	suggest_init(&sg, name, strlen(name));
	for (unsigned i = 0; i < ARRAY_SIZE(status_bits); i++)
		suggest_add(&sg, NULL, status_bits[i].name);
	return suggest_best(&sg);
}

const char *features_device_hint(const char *name, char *buf, size_t len)
{
	struct suggest sg;

	suggest_init(&sg, name, strlen(name));
	for (unsigned i = 0; i < ARRAY_SIZE(devices); i++)
		suggest_add(&sg, NULL, devices[i].name);
	return suggest_hint(&sg, "one of", ", or a virtio device ID", buf, len);
}
