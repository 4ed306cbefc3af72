/* test-features.c - unit tests for the feature, device and status tables. */
#include <stdint.h>
#include <string.h>

#include "core/features.h"
#include "../tap.h"

static void test_devices(void)
{
	unsigned n, i;
	const enum vhu_device *d = features_devices(&n);
	int all_ok = 1;

	tap_is_int(n, 13, "13 devices known");
	for (i = 0; i < n; i++) {
		const char *name = features_device_name(d[i]);

		if (!name || features_device_by_name(name) != (int)d[i])
			all_ok = 0;
	}
	tap_ok(all_ok, "every device name round-trips");
	tap_is_str(features_device_name(DEV_NET), "net", "DEV_NET is net");
	tap_is_str(features_device_name(DEV_SOUND), "sound", "DEV_SOUND is sound");
	tap_is_str(features_device_name(DEV_NONE), NULL, "DEV_NONE has no name");
	tap_is_str(features_device_name((enum vhu_device)5), NULL, "balloon is unknown");
	tap_is_int(features_device_by_name("blk"), DEV_BLK, "blk by name");
	tap_is_int(features_device_by_name("GPIO"), DEV_GPIO, "GPIO by name, any case");
	tap_is_int(features_device_by_name("26"), DEV_FS, "26 is fs");
	tap_is_int(features_device_by_name("41"), DEV_GPIO, "41 is gpio");
	tap_is_int(features_device_by_name("5"), -1, "5 (balloon) unknown");
	tap_is_int(features_device_by_name("0"), -1, "0 is not a device");
	tap_is_int(features_device_by_name("2x"), -1, "trailing junk rejected");
	tap_is_int(features_device_by_name("-2"), -1, "sign rejected");
	tap_is_int(features_device_by_name("99999999999999999999"), -1, "overflow rejected");
	tap_is_int(features_device_by_name(""), -1, "empty rejected");
	tap_is_int(features_device_by_name("disk"), -1, "unknown name rejected");
}

static void test_names(void)
{
	tap_is_str(features_name(DEV_NONE, 32), "VIRTIO_F_VERSION_1", "bit 32");
	tap_is_str(features_name(DEV_NONE, 30), "VHOST_USER_F_PROTOCOL_FEATURES", "bit 30");
	tap_is_str(features_name(DEV_NONE, 26), "VHOST_F_LOG_ALL", "bit 26");
	tap_is_str(features_name(DEV_NONE, 28), "VIRTIO_F_INDIRECT_DESC", "bit 28");
	tap_is_str(features_name(DEV_NONE, 33), "VIRTIO_F_ACCESS_PLATFORM", "bit 33");
	tap_is_str(features_name(DEV_NONE, 43), "VIRTIO_F_SUSPEND", "bit 43");
	tap_is_str(features_name(DEV_NONE, 25), NULL, "bit 25 unnamed");
	tap_is_str(features_name(DEV_NONE, 31), NULL, "bit 31 unnamed");
	tap_is_str(features_name(DEV_NONE, 42), NULL, "bit 42 unnamed without device");
	tap_is_str(features_name(DEV_NONE, 64), NULL, "bit 64 unnamed");
	tap_is_str(features_name(DEV_NONE, 0), NULL, "device bits unnamed for DEV_NONE");

	/* 41: device meaning wins for a device that defines it. */
	tap_is_str(features_name(DEV_NONE, 41), "VIRTIO_F_ADMIN_VQ", "41 without device");
	tap_is_str(features_name(DEV_NET, 41), "VIRTIO_NET_F_GUEST_RSC4", "41 for net");
	tap_is_str(features_name(DEV_BLK, 41), "VIRTIO_F_ADMIN_VQ", "41 for blk");
	tap_is_str(features_name(DEV_NET, 42), "VIRTIO_NET_F_GUEST_RSC6", "42 for net");
	tap_is_str(features_name(DEV_NET, 32), "VIRTIO_F_VERSION_1", "transport bit for net");

	tap_is_str(features_name(DEV_NET, 0), "VIRTIO_NET_F_CSUM", "net 0");
	tap_is_str(features_name(DEV_NET, 4), NULL, "net 4 unnamed");
	tap_is_str(features_name(DEV_NET, 5), "VIRTIO_NET_F_MAC", "net 5");
	tap_is_str(features_name(DEV_NET, 22), "VIRTIO_NET_F_MQ", "net 22");
	tap_is_str(features_name(DEV_NET, 58), NULL, "net 58 unnamed");
	tap_is_str(features_name(DEV_NET, 63), "VIRTIO_NET_F_SPEED_DUPLEX", "net 63");
	tap_is_str(features_name(DEV_BLK, 0), "VIRTIO_BLK_F_BARRIER", "blk 0");
	tap_is_str(features_name(DEV_BLK, 3), NULL, "blk 3 unnamed");
	tap_is_str(features_name(DEV_BLK, 5), "VIRTIO_BLK_F_RO", "blk 5");
	tap_is_str(features_name(DEV_BLK, 17), "VIRTIO_BLK_F_ZONED", "blk 17");
	tap_is_str(features_name(DEV_CONSOLE, 2), "VIRTIO_CONSOLE_F_EMERG_WRITE", "console 2");
	tap_is_str(features_name(DEV_RNG, 0), NULL, "rng has no bits");
	tap_is_str(features_name(DEV_SCSI, 3), "VIRTIO_SCSI_F_T10_PI", "scsi 3");
	tap_is_str(features_name(DEV_GPU, 5), "VIRTIO_GPU_F_BLOB_ALIGNMENT", "gpu 5");
	tap_is_str(features_name(DEV_INPUT, 0), NULL, "input has no bits");
	tap_is_str(features_name(DEV_VSOCK, 1), "VIRTIO_VSOCK_F_SEQPACKET", "vsock 1");
	tap_is_str(features_name(DEV_CRYPTO, 5), "VIRTIO_CRYPTO_F_AKCIPHER_STATELESS_MODE", "crypto 5");
	tap_is_str(features_name(DEV_SOUND, 0), "VIRTIO_SND_F_CTLS", "sound 0");
	tap_is_str(features_name(DEV_FS, 0), "VIRTIO_FS_F_NOTIFICATION", "fs 0");
	tap_is_str(features_name(DEV_I2C, 0), "VIRTIO_I2C_F_ZERO_LENGTH_REQUEST", "i2c 0");
	tap_is_str(features_name(DEV_GPIO, 0), "VIRTIO_GPIO_F_IRQ", "gpio 0");
	tap_is_str(features_name((enum vhu_device)5, 32), "VIRTIO_F_VERSION_1",
		   "unknown device still names transport bits");
}

static void test_tables(void)
{
	unsigned n, nd, i, j;
	const struct vhu_feature *t = features_transport(&n);
	const enum vhu_device *devs = features_devices(&nd);
	int ok = 1;

	tap_is_int(n, 17, "17 transport bits");
	for (i = 0; i < n; i++) {
		if (features_by_name(DEV_NONE, t[i].name) != (int)t[i].bit ||
		    !features_name(DEV_NONE, t[i].bit) ||
		    strcmp(features_name(DEV_NONE, t[i].bit), t[i].name) != 0) {
			ok = 0;
			printf("# transport %s does not round-trip\n", t[i].name);
		}
	}
	tap_ok(ok, "every transport bit round-trips name->bit->name");

	for (j = 0; j < nd; j++) {
		unsigned m;
		const struct vhu_feature *d = features_device(devs[j], &m);

		ok = 1;
		for (i = 0; i < m; i++) {
			const char *back = features_name(devs[j], d[i].bit);

			if (d[i].bit >= 64 ||
			    features_by_name(devs[j], d[i].name) != (int)d[i].bit ||
			    features_by_name(DEV_NONE, d[i].name) != (int)d[i].bit ||
			    !back || strcmp(back, d[i].name) != 0) {
				ok = 0;
				printf("# %s does not round-trip\n", d[i].name);
			}
		}
		tap_ok(ok, "every %s bit round-trips (%u bits)",
		       features_device_name(devs[j]), m);
	}

	t = features_device(DEV_NET, &n);
	tap_is_int(n, 38, "38 net bits below 64");
	t = features_device(DEV_BLK, &n);
	tap_is_int(n, 16, "16 blk bits");
	t = features_device(DEV_RNG, &n);
	tap_ok(t == NULL && n == 0, "rng: no device bits");
	t = features_device(DEV_INPUT, &n);
	tap_ok(t == NULL && n == 0, "input: no device bits");
	t = features_device(DEV_NONE, &n);
	tap_ok(t == NULL && n == 0, "DEV_NONE: no device bits");
}

static void test_by_name(void)
{
	tap_is_int(features_by_name(DEV_NONE, "VIRTIO_F_VERSION_1"), 32, "full name");
	tap_is_int(features_by_name(DEV_NONE, "VERSION_1"), 32, "without prefix");
	tap_is_int(features_by_name(DEV_NONE, "version_1"), 32, "lower case");
	tap_is_int(features_by_name(DEV_NONE, "virtio_f_Version_1"), 32, "mixed case");
	tap_is_int(features_by_name(DEV_NONE, "version-1"), 32, "dash for underscore");
	tap_is_int(features_by_name(DEV_NONE, "PROTOCOL_FEATURES"), 30, "PROTOCOL_FEATURES");
	tap_is_int(features_by_name(DEV_NONE, "VHOST_USER_F_PROTOCOL_FEATURES"), 30,
		   "VHOST_USER_F_PROTOCOL_FEATURES");
	tap_is_int(features_by_name(DEV_NONE, "LOG_ALL"), 26, "LOG_ALL");
	tap_is_int(features_by_name(DEV_NONE, "vhost_f_log_all"), 26, "vhost_f_log_all");
	tap_is_int(features_by_name(DEV_NONE, "VIRTIO_RING_F_INDIRECT_DESC"), 28,
		   "alias VIRTIO_RING_F_INDIRECT_DESC");
	tap_is_int(features_by_name(DEV_NONE, "INDIRECT_DESC"), 28, "INDIRECT_DESC");
	tap_is_int(features_by_name(DEV_NONE, "VIRTIO_RING_F_EVENT_IDX"), 29,
		   "alias VIRTIO_RING_F_EVENT_IDX");
	tap_is_int(features_by_name(DEV_NONE, "event_idx"), 29, "event_idx");
	tap_is_int(features_by_name(DEV_NONE, "VIRTIO_F_IOMMU_PLATFORM"), 33,
		   "alias VIRTIO_F_IOMMU_PLATFORM");
	tap_is_int(features_by_name(DEV_NONE, "IOMMU_PLATFORM"), 33, "IOMMU_PLATFORM");
	tap_is_int(features_by_name(DEV_NONE, "ADMIN_VQ"), 41, "ADMIN_VQ");
	tap_is_int(features_by_name(DEV_NET, "ADMIN_VQ"), 41, "ADMIN_VQ with net");

	/* Device names. */
	tap_is_int(features_by_name(DEV_BLK, "RO"), 5, "RO for blk");
	tap_is_int(features_by_name(DEV_BLK, "ro"), 5, "ro for blk");
	tap_is_int(features_by_name(DEV_BLK, "VIRTIO_BLK_F_RO"), 5, "VIRTIO_BLK_F_RO for blk");
	tap_is_int(features_by_name(DEV_BLK, "MQ"), 12, "MQ for blk");
	tap_is_int(features_by_name(DEV_NET, "MQ"), 22, "MQ for net");
	tap_is_int(features_by_name(DEV_NET, "guest_rsc4"), 41, "guest_rsc4 for net");
	tap_is_int(features_by_name(DEV_FS, "NOTIFICATION"), 0, "NOTIFICATION for fs");
	tap_is_int(features_by_name(DEV_FS, "NOTIFICATION_DATA"), 38,
		   "NOTIFICATION_DATA is the transport bit, even for fs");
	tap_is_int(features_by_name(DEV_SOUND, "ctls"), 0, "ctls for sound");
	tap_is_int(features_by_name(DEV_BLK, "VIRTIO_NET_F_MQ"), -1,
		   "another device's name does not match");
	tap_is_int(features_by_name(DEV_BLK, "CSUM"), -1, "net short name not for blk");
	tap_is_int(features_by_name(DEV_RNG, "RO"), -1, "rng has no bits");

	/* DEV_NONE: only fully prefixed device names. */
	tap_is_int(features_by_name(DEV_NONE, "VIRTIO_NET_F_MQ"), 22, "VIRTIO_NET_F_MQ without device");
	tap_is_int(features_by_name(DEV_NONE, "virtio_blk_f_zoned"), 17,
		   "virtio_blk_f_zoned without device");
	tap_is_int(features_by_name(DEV_NONE, "VIRTIO_GPIO_F_IRQ"), 0, "VIRTIO_GPIO_F_IRQ without device");
	tap_is_int(features_by_name(DEV_NONE, "MQ"), -1, "MQ needs a device");
	tap_is_int(features_by_name(DEV_NONE, "RO"), -1, "RO needs a device");

	/* Unknown. */
	tap_is_int(features_by_name(DEV_NONE, "NO_SUCH_BIT"), -1, "unknown name");
	tap_is_int(features_by_name(DEV_NET, "VIRTIO_F_"), -1, "bare prefix");
	tap_is_int(features_by_name(DEV_NET, "VERSION_"), -1, "truncated name");
	tap_is_int(features_by_name(DEV_NET, "VERSION_11"), -1, "longer name");
	tap_is_int(features_by_name(DEV_NET, ""), -1, "empty name");
	tap_is_int(features_by_name(DEV_NET, NULL), -1, "NULL name");
	tap_is_int(features_by_name(DEV_NET, "VIRTIO_NET_F_RSS_CONTEXT"), -1,
		   "net bit 64 not in the table");
	tap_is_int(features_by_name((enum vhu_device)5, "MQ"), -1, "unknown device");
	tap_is_int(features_by_name((enum vhu_device)5, "VERSION_1"), 32,
		   "unknown device, transport name");
}

static void test_status(void)
{
	unsigned n, i;
	const struct vhu_feature *s = features_status(&n);
	int ok = 1;

	tap_is_int(n, 7, "7 status bits");
	for (i = 0; i < n; i++) {
		if (features_status_by_name(s[i].name) != 1 << s[i].bit)
			ok = 0;
	}
	tap_ok(ok, "every status name maps to its mask");
	tap_is_str(s[0].name, "ACKNOWLEDGE", "first status is ACKNOWLEDGE");
	tap_is_int(s[0].bit, 0, "ACKNOWLEDGE is bit 0");
	tap_is_int(features_status_by_name("ACKNOWLEDGE"), 1, "ACKNOWLEDGE");
	tap_is_int(features_status_by_name("VIRTIO_CONFIG_S_ACKNOWLEDGE"), 1,
		   "VIRTIO_CONFIG_S_ACKNOWLEDGE");
	tap_is_int(features_status_by_name("driver"), 2, "driver");
	tap_is_int(features_status_by_name("DRIVER_OK"), 4, "DRIVER_OK");
	tap_is_int(features_status_by_name("virtio_config_s_driver_ok"), 4,
		   "virtio_config_s_driver_ok");
	tap_is_int(features_status_by_name("FEATURES_OK"), 8, "FEATURES_OK");
	tap_is_int(features_status_by_name("SUSPEND"), 16, "SUSPEND");
	tap_is_int(features_status_by_name("DEVICE_NEEDS_RESET"), 64, "DEVICE_NEEDS_RESET");
	tap_is_int(features_status_by_name("FAILED"), 128, "FAILED");
	tap_is_int(features_status_by_name("DRIVER_"), -1, "truncated status");
	tap_is_int(features_status_by_name("VIRTIO_CONFIG_S_"), -1, "bare prefix");
	tap_is_int(features_status_by_name("RESET"), -1, "unknown status");
	tap_is_int(features_status_by_name(""), -1, "empty status");
	tap_is_int(features_status_by_name(NULL), -1, "NULL status");
}

static void test_queues(void)
{
	tap_is_int((int)features_device_queues(DEV_NET, 128), 2, "net: one queue pair, whatever GET_QUEUE_NUM says");
	tap_is_int((int)features_device_queues(DEV_BLK, 4), 1, "blk: one request queue by default");
	tap_is_int((int)features_device_queues(DEV_FS, 0), 2, "fs: hiprio + one request queue when nothing is reported");
	tap_is_int((int)features_device_queues(DEV_FS, 5), 5, "fs: every queue the back-end reports");
	tap_is_int((int)features_device_queues(DEV_FS, 1), 2, "fs: never fewer than hiprio + one request queue");
	tap_is_int((int)features_device_queues(DEV_VSOCK, 9), 3, "vsock: rx, tx, event");
	tap_is_int((int)features_device_queues(DEV_NONE, 3), 1, "unknown device: one ring");
}

/* "did you mean": the spec name closest to a name the tables do not know. */
static void test_suggest(void)
{
	char buf[400];

	tap_is_str(features_suggest(DEV_NONE, "VIRTIO_F_VERSION_2"), "VIRTIO_F_VERSION_1", "suggest: a transport name");
	tap_is_str(features_suggest(DEV_NONE, "version-2"), "VIRTIO_F_VERSION_1", "suggest: from the short form");
	tap_is_str(features_suggest(DEV_NONE, "MQ"), "VIRTIO_NET_F_MQ", "suggest: no device, the device it names");
	tap_is_str(features_suggest(DEV_BLK, "FLUSHH"), "VIRTIO_BLK_F_FLUSH", "suggest: the device's short form");
	tap_is_str(features_suggest(DEV_BLK, "NOTHING_LIKE_IT"), NULL, "suggest: nothing close");
	tap_is_str(features_status_suggest("DRIVER_OKK"), "DRIVER_OK", "suggest: a status name");
	tap_is_str(features_status_suggest("VIRTIO_CONFIG_S_FAILD"), "FAILED", "suggest: a prefixed status name");
	tap_is_str(features_device_hint("blok", buf, sizeof(buf)),
		   " (did you mean 'blk'? one of: net, blk, console, rng, scsi, gpu, input, vsock, crypto, "
		   "sound, fs, i2c, gpio, or a virtio device ID)", "device hint: the closest, and the list");
	tap_is_str(features_device_hint("zzz", buf, sizeof(buf)),
		   " (one of: net, blk, console, rng, scsi, gpu, input, vsock, crypto, "
		   "sound, fs, i2c, gpio, or a virtio device ID)", "device hint: the list alone");
}

int main(void)
{
	test_devices();
	test_queues();
	test_names();
	test_tables();
	test_by_name();
	test_status();
	test_suggest();
	return tap_done();
}
