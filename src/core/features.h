/* features.h - virtio feature bits, device types and device status names. */
#ifndef VHUCTL_FEATURES_H
#define VHUCTL_FEATURES_H

#include <stdint.h>

/* Virtio device IDs (virtio spec "Device Types"). */
enum vhu_device {
	DEV_NONE = 0,
	DEV_NET = 1,
	DEV_BLK = 2,
	DEV_CONSOLE = 3,
	DEV_RNG = 4,
	DEV_SCSI = 8,
	DEV_GPU = 16,
	DEV_INPUT = 18,
	DEV_VSOCK = 19,
	DEV_CRYPTO = 20,
	DEV_SOUND = 25,
	DEV_FS = 26,
	DEV_I2C = 34,
	DEV_GPIO = 41,
};

struct vhu_feature {
	unsigned bit;
	const char *name;	/* full spec name: "VIRTIO_F_VERSION_1", "VIRTIO_BLK_F_RO" */
};

/* Short device name ("net", "blk", ...); NULL for DEV_NONE or unknown. */
const char *features_device_name(enum vhu_device dev);
/* "blk" -> DEV_BLK; also accepts the decimal virtio ID; -1 when unknown. */
int features_device_by_name(const char *name);
/* The virtqueues a driver of DEV sets up by default, given that the
 * back-end reported REPORTED with GET_QUEUE_NUM (0 unknown): the spec's
 * count, or every queue reported where the device's layout takes them
 * (fs: hiprio + request queues). 1 for a device vhuctl does not know. */
unsigned features_device_queues(enum vhu_device dev, uint64_t reported);
/* Devices vhuctl knows, for help and completion; *n receives the count. */
const enum vhu_device *features_devices(unsigned *n);

/* Transport and vhost bits (24-43 and 30), common to every device. */
const struct vhu_feature *features_transport(unsigned *n);
/* Device-specific bits (0-23, 41, 42, 50-63) of DEV; NULL/0 when none. */
const struct vhu_feature *features_device(enum vhu_device dev, unsigned *n);
/* Name of BIT for DEV (transport bits first); NULL when unnamed. With
 * DEV_NONE, device-specific bits are unnamed. */
const char *features_name(enum vhu_device dev, unsigned bit);
/* Bit for NAME, with or without its prefix ("VERSION_1", "VIRTIO_F_VERSION_1",
 * "PROTOCOL_FEATURES", "LOG_ALL", "VIRTIO_BLK_F_RO", "RO" when DEV is blk),
 * case-insensitive. With DEV_NONE, only fully prefixed device names match.
 * Returns the bit or -1. */
int features_by_name(enum vhu_device dev, const char *name);

/* For "did you mean": the spec name of the feature closest to NAME (one
 * features_by_name does not know) for DEV, any device's with DEV_NONE;
 * NULL when none is close. */
const char *features_suggest(enum vhu_device dev, const char *name);
/* " (did you mean 'blk'? one of: net, blk, ...)" for a device type NAME
 * that features_device_by_name does not know, into BUF. */
const char *features_device_hint(const char *name, char *buf, size_t len);

/* Virtio device status bits (ACKNOWLEDGE 1 ... FAILED 128). */
const struct vhu_feature *features_status(unsigned *n);
/* "DRIVER_OK" or "VIRTIO_CONFIG_S_DRIVER_OK" -> mask bit value; -1 unknown. */
int features_status_by_name(const char *name);
/* The status name closest to NAME, or NULL (as features_suggest). */
const char *features_status_suggest(const char *name);

#endif
