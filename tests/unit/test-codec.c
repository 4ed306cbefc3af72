/* test-codec.c - unit tests for payload encoding and decoding against golden bytes (x86_64). */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "core/codec.h"
#include "../tap.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static uint8_t out[VHU_PAYLOAD_MAX + 64];

/* Print where two byte strings first differ, to make a failure readable. */
static void show_diff(const uint8_t *got, const uint8_t *want, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (got[i] != want[i]) {
			printf("#   first difference at offset %u: got 0x%02x, want 0x%02x\n",
			       i, got[i], want[i]);
			return;
		}
}

/* Encode V; the bytes must be exactly GOLDEN. */
static void check_encode(const struct vhu_pval *v, const uint8_t *golden, uint32_t glen,
			 const char *what)
{
	struct vhu_err e = { 0 };
	uint32_t len = 0xdeadbeef;
	int r;

	memset(out, 0xa5, sizeof(out));
	r = codec_encode(v, out, sizeof(out), &len, &e);
	if (!tap_ok(r == 0 && len == glen && memcmp(out, golden, glen) == 0,
		    "%s: encodes to the golden %u bytes", what, glen)) {
		printf("#   r=%d len=%u msg='%s'\n", r, len, e.msg);
		if (r == 0)
			show_diff(out, golden, len < glen ? len : glen);
	}
}

/* Decode GOLDEN as KIND; must succeed. */
static int check_decode(enum vhu_payload kind, const uint8_t *golden, uint32_t glen,
			struct vhu_pval *v, const char *what)
{
	struct vhu_err e = { 0 };
	int r = codec_decode(kind, golden, glen, v, &e);

	if (!tap_ok(r == 0 && v->kind == kind, "%s: golden bytes decode", what))
		printf("#   r=%d msg='%s'\n", r, e.msg);
	return r;
}

/* Decoding LEN bytes of BUF as KIND must fail with -EBADMSG and a message. */
static void check_reject(enum vhu_payload kind, const uint8_t *buf, uint32_t len,
			 const char *what)
{
	struct vhu_err e = { 0 };
	struct vhu_pval v;
	int r = codec_decode(kind, buf, len, &v, &e);

	if (!tap_ok(r == -EBADMSG && e.code == EBADMSG && e.msg[0] != '\0',
		    "%s: rejected with EBADMSG", what))
		printf("#   r=%d msg='%s'\n", r, e.msg);
}

static void test_u64_kinds(void)
{
	static const uint8_t golden[8] = { 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01 };
	static const enum vhu_payload kinds[] = {
		PL_U64, PL_FEATURES, PL_PROTOCOL_FEATURES, PL_STATUS, PL_VRING_FD,
	};
	char what[64];

	for (unsigned i = 0; i < ARRAY_SIZE(kinds); i++) {
		struct vhu_pval v = { .kind = kinds[i], .u64 = 0x0123456789abcdefull };

		snprintf(what, sizeof(what), "%s", proto_payload_name(kinds[i]));
		check_encode(&v, golden, sizeof(golden), what);
		memset(&v, 0x5a, sizeof(v));
		if (check_decode(kinds[i], golden, sizeof(golden), &v, what) == 0)
			tap_ok(v.u64 == 0x0123456789abcdefull, "%s: value back", what);
	}
}

static void test_none_and_mac(void)
{
	/* SEND_RARP: the MAC is the first 6 bytes in order, then 2 zero bytes. */
	static const uint8_t mac[8] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x00, 0x00 };
	struct vhu_pval v = { .kind = PL_MAC, .u64 = 0x0000563412005452ull };
	uint8_t one = 0;

	check_encode(&v, mac, sizeof(mac), "MAC");
	if (check_decode(PL_MAC, mac, sizeof(mac), &v, "MAC") == 0)
		tap_ok(v.u64 == 0x0000563412005452ull, "MAC: value back");

	v = (struct vhu_pval){ .kind = PL_NONE };
	check_encode(&v, &one, 0, "none");
	check_decode(PL_NONE, &one, 0, &v, "none");
	check_reject(PL_NONE, &one, 1, "none with 1 byte");
}

static void test_vring_state(void)
{
	static const uint8_t golden[8] = {
		0x03, 0x00, 0x00, 0x00,		/* index 3 */
		0x00, 0x01, 0x00, 0x00,		/* num 256 */
	};
	struct vhu_pval v = { .kind = PL_VRING_STATE, .state = { .index = 3, .num = 256 } };

	check_encode(&v, golden, sizeof(golden), "vring state");
	memset(&v, 0x5a, sizeof(v));
	if (check_decode(PL_VRING_STATE, golden, sizeof(golden), &v, "vring state") == 0)
		tap_ok(v.state.index == 3 && v.state.num == 256, "vring state: fields back");
}

static void test_vring_addr(void)
{
	/* Order on the wire: desc @8, used @16, avail @24, log @32. */
	static const uint8_t golden[40] = {
		0x01, 0x00, 0x00, 0x00,				/* index 1 */
		0x01, 0x00, 0x00, 0x00,				/* flags: F_LOG */
		0x00, 0x10, 0x00, 0x00, 0xd0, 0x7f, 0x00, 0x00,	/* desc  0x7fd000001000 */
		0x00, 0x20, 0x00, 0x00, 0xd0, 0x7f, 0x00, 0x00,	/* used  0x7fd000002000 */
		0x00, 0x30, 0x00, 0x00, 0xd0, 0x7f, 0x00, 0x00,	/* avail 0x7fd000003000 */
		0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00,	/* log   0x400000 */
	};
	struct vhu_pval v = {
		.kind = PL_VRING_ADDR,
		.addr = { .index = 1, .flags = VHU_VRING_F_LOG, .desc = 0x7fd000001000ull,
			  .used = 0x7fd000002000ull, .avail = 0x7fd000003000ull,
			  .log = 0x400000ull },
	};

	check_encode(&v, golden, sizeof(golden), "vring addr");
	tap_ok(out[9] == 0x10 && out[17] == 0x20 && out[25] == 0x30 && out[34] == 0x40,
	       "vring addr: desc @8, used @16, avail @24, log @32");
	memset(&v, 0x5a, sizeof(v));
	if (check_decode(PL_VRING_ADDR, golden, sizeof(golden), &v, "vring addr") == 0)
		tap_ok(v.addr.index == 1 && v.addr.flags == 1 &&
		       v.addr.desc == 0x7fd000001000ull && v.addr.used == 0x7fd000002000ull &&
		       v.addr.avail == 0x7fd000003000ull && v.addr.log == 0x400000ull,
		       "vring addr: fields back in spec order");
}

static const uint8_t memtable2[72] = {
	0x02, 0x00, 0x00, 0x00,				/* nregions 2 */
	0x00, 0x00, 0x00, 0x00,				/* padding */
	/* region 0 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* gpa 0 */
	0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00,	/* size 0xa0000 */
	0x00, 0x00, 0x00, 0x00, 0x11, 0x7f, 0x00, 0x00,	/* uaddr 0x7f1100000000 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* mmap_offset 0 */
	/* region 1 */
	0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00,	/* gpa 0x100000 */
	0x00, 0x00, 0xf0, 0x3f, 0x00, 0x00, 0x00, 0x00,	/* size 0x3ff00000 */
	0x00, 0x00, 0x10, 0x00, 0x11, 0x7f, 0x00, 0x00,	/* uaddr 0x7f1100100000 */
	0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00,	/* mmap_offset 0x100000 */
};

static void test_mem_table(void)
{
	struct vhu_pval v = { .kind = PL_MEM_TABLE };
	uint8_t big[8 + 32 * 8 + 1];

	v.mem.nregions = 2;
	v.mem.r[0] = (struct vhu_mem_region){ .gpa = 0, .size = 0xa0000,
					      .uaddr = 0x7f1100000000ull, .mmap_offset = 0 };
	v.mem.r[1] = (struct vhu_mem_region){ .gpa = 0x100000, .size = 0x3ff00000,
					      .uaddr = 0x7f1100100000ull, .mmap_offset = 0x100000 };
	check_encode(&v, memtable2, sizeof(memtable2), "memory table, 2 regions");
	memset(&v, 0x5a, sizeof(v));
	if (check_decode(PL_MEM_TABLE, memtable2, sizeof(memtable2), &v, "memory table") == 0) {
		tap_ok(v.mem.nregions == 2 && v.mem.padding == 0, "memory table: count back");
		tap_ok(v.mem.r[0].gpa == 0 && v.mem.r[0].size == 0xa0000 &&
		       v.mem.r[0].uaddr == 0x7f1100000000ull && v.mem.r[0].mmap_offset == 0 &&
		       !v.mem.r[0].xen, "memory table: region 0 back");
		tap_ok(v.mem.r[1].gpa == 0x100000 && v.mem.r[1].size == 0x3ff00000 &&
		       v.mem.r[1].uaddr == 0x7f1100100000ull && v.mem.r[1].mmap_offset == 0x100000 &&
		       !v.mem.r[1].xen, "memory table: region 1 back");
	}

	/* A fixed 264-byte table (unused regions zero) is accepted too. */
	memset(big, 0, sizeof(big));
	memcpy(big, memtable2, sizeof(memtable2));
	if (check_decode(PL_MEM_TABLE, big, 264, &v, "memory table padded to 264") == 0)
		tap_ok(v.mem.nregions == 2 && v.mem.r[1].mmap_offset == 0x100000,
		       "padded memory table: regions back");

	memset(big, 0, sizeof(big));
	big[0] = 9;
	check_reject(PL_MEM_TABLE, big, 264, "memory table with nregions 9");
	check_reject(PL_MEM_TABLE, memtable2, 40, "memory table of 2 regions in 40 bytes");
	check_reject(PL_MEM_TABLE, memtable2, 71, "memory table of 2 regions in 71 bytes");
	check_reject(PL_MEM_TABLE, memtable2, 7, "memory table of 7 bytes");
	memset(big, 0, sizeof(big));
	check_reject(PL_MEM_TABLE, big, sizeof(big), "memory table of 265 bytes");
	big[0] = 0xff; big[1] = 0xff; big[2] = 0xff; big[3] = 0xff;
	check_reject(PL_MEM_TABLE, big, 264, "memory table with nregions 0xffffffff");

	v = (struct vhu_pval){ .kind = PL_MEM_TABLE };
	v.mem.nregions = 9;
	{
		struct vhu_err e = { 0 };
		uint32_t len = 0;

		tap_ok(codec_encode(&v, out, sizeof(out), &len, &e) < 0 && e.msg[0],
		       "memory table of 9 regions does not encode");
	}
}

static void test_mem_region(void)
{
	static const uint8_t golden[40] = {
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* padding */
		0x00, 0x00, 0x00, 0x40, 0x01, 0x00, 0x00, 0x00,	/* gpa 0x140000000 */
		0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00,	/* size 0x10000000 */
		0x00, 0x00, 0x00, 0x00, 0x22, 0x7f, 0x00, 0x00,	/* uaddr 0x7f2200000000 */
		0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* mmap_offset 0x1000 */
	};
	static const uint8_t xen[48] = {
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* padding */
		0x00, 0x00, 0x00, 0x40, 0x01, 0x00, 0x00, 0x00,	/* gpa */
		0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00,	/* size */
		0x00, 0x00, 0x00, 0x00, 0x22, 0x7f, 0x00, 0x00,	/* uaddr */
		0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* mmap_offset */
		0x02, 0x01, 0x00, 0x00,				/* xen flags: grant | map-on-demand */
		0x07, 0x00, 0x00, 0x00,				/* domid 7 */
	};
	struct vhu_pval v = {
		.kind = PL_MEM_REGION,
		.region = { .gpa = 0x140000000ull, .size = 0x10000000, .uaddr = 0x7f2200000000ull,
			    .mmap_offset = 0x1000 },
	};
	uint8_t buf[64];

	check_encode(&v, golden, sizeof(golden), "single region");
	memset(&v, 0x5a, sizeof(v));
	if (check_decode(PL_MEM_REGION, golden, sizeof(golden), &v, "single region") == 0)
		tap_ok(v.region.gpa == 0x140000000ull && v.region.size == 0x10000000 &&
		       v.region.uaddr == 0x7f2200000000ull && v.region.mmap_offset == 0x1000 &&
		       !v.region.xen && v.region.xen_mmap_flags == 0 && v.region.domid == 0,
		       "single region: fields back after 8 bytes of padding");

	v.region.xen = true;
	v.region.xen_mmap_flags = 0x102;
	v.region.domid = 7;
	check_encode(&v, xen, sizeof(xen), "single region, XEN_MMAP");
	memset(&v, 0x5a, sizeof(v));
	if (check_decode(PL_MEM_REGION, xen, sizeof(xen), &v, "single region, XEN_MMAP") == 0)
		tap_ok(v.region.xen && v.region.xen_mmap_flags == 0x102 && v.region.domid == 7 &&
		       v.region.gpa == 0x140000000ull && v.region.mmap_offset == 0x1000,
		       "single region, XEN_MMAP: fields back");

	memset(buf, 0, sizeof(buf));
	check_reject(PL_MEM_REGION, buf, 39, "single region of 39 bytes");
	/* Only 40 and 48 are layouts (A.6); anything between is malformed. */
	check_reject(PL_MEM_REGION, buf, 41, "single region of 41 bytes");
	check_reject(PL_MEM_REGION, buf, 47, "single region of 47 bytes");
	check_reject(PL_MEM_REGION, buf, 49, "single region of 49 bytes");
}

static void test_log(void)
{
	static const uint8_t golden[16] = {
		0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00,	/* mmap_size 0x100000 */
		0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* mmap_offset 0x200 */
	};
	struct vhu_pval v = { .kind = PL_LOG, .log = { .mmap_size = 0x100000, .mmap_offset = 0x200 } };

	check_encode(&v, golden, sizeof(golden), "log");
	memset(&v, 0x5a, sizeof(v));
	if (check_decode(PL_LOG, golden, sizeof(golden), &v, "log") == 0)
		tap_ok(v.log.mmap_size == 0x100000 && v.log.mmap_offset == 0x200, "log: fields back");
}

static void test_iotlb(void)
{
	static const uint8_t golden[32] = {
		0x00, 0x10, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,	/* iova 0x100001000 */
		0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* size 0x2000 */
		0x00, 0x00, 0x00, 0x00, 0x33, 0x7f, 0x00, 0x00,	/* uaddr 0x7f3300000000 */
		0x03,						/* perm RW @24 */
		0x02,						/* type update @25 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00,		/* padding */
	};
	struct vhu_pval v = {
		.kind = PL_IOTLB,
		.iotlb = { .iova = 0x100001000ull, .size = 0x2000, .uaddr = 0x7f3300000000ull,
			   .perm = 3, .type = 2 },
	};
	uint8_t buf[40];

	check_encode(&v, golden, sizeof(golden), "IOTLB");
	tap_ok(out[24] == 3 && out[25] == 2, "IOTLB: perm @24, type @25");
	memset(&v, 0x5a, sizeof(v));
	if (check_decode(PL_IOTLB, golden, sizeof(golden), &v, "IOTLB") == 0)
		tap_ok(v.iotlb.iova == 0x100001000ull && v.iotlb.size == 0x2000 &&
		       v.iotlb.uaddr == 0x7f3300000000ull && v.iotlb.perm == 3 && v.iotlb.type == 2,
		       "IOTLB: fields back");
	memset(buf, 0, sizeof(buf));
	check_reject(PL_IOTLB, buf, 25, "IOTLB of 25 bytes (perm and type missing)");
	check_reject(PL_IOTLB, buf, 33, "IOTLB of 33 bytes");
}

static void test_config(void)
{
	static const uint8_t golden[16] = {
		0x00, 0x00, 0x00, 0x00,				/* offset 0 */
		0x04, 0x00, 0x00, 0x00,				/* size 4 */
		0x01, 0x00, 0x00, 0x00,				/* flags 1 */
		0xde, 0xad, 0xbe, 0xef,				/* data */
	};
	struct vhu_pval v = { .kind = PL_CONFIG, .config = { .offset = 0, .size = 4, .flags = 1 } };
	uint8_t buf[12 + 300];
	struct vhu_err e = { 0 };
	uint32_t len = 0;

	memcpy(v.config.data, "\xde\xad\xbe\xef", 4);
	check_encode(&v, golden, sizeof(golden), "config");
	memset(&v, 0x5a, sizeof(v));
	if (check_decode(PL_CONFIG, golden, sizeof(golden), &v, "config") == 0)
		tap_ok(v.config.offset == 0 && v.config.size == 4 && v.config.flags == 1 &&
		       memcmp(v.config.data, "\xde\xad\xbe\xef", 4) == 0, "config: fields back");

	/* Header only, size 0. */
	memset(buf, 0, sizeof(buf));
	buf[0] = 0x00; buf[1] = 0x01;		/* offset 0x100 */
	if (check_decode(PL_CONFIG, buf, 12, &v, "config header with size 0") == 0)
		tap_ok(v.config.offset == 0x100 && v.config.size == 0, "config size 0: fields back");

	/* Largest: 256 bytes of data. */
	memset(buf, 0x77, sizeof(buf));
	buf[0] = 0; buf[1] = 0; buf[2] = 0; buf[3] = 0;
	buf[4] = 0x00; buf[5] = 0x01; buf[6] = 0; buf[7] = 0;	/* size 256 */
	buf[8] = 0; buf[9] = 0; buf[10] = 0; buf[11] = 0;
	if (check_decode(PL_CONFIG, buf, 12 + 256, &v, "config of 256 bytes") == 0)
		tap_ok(v.config.size == 256 && v.config.data[255] == 0x77, "config of 256: data back");

	memcpy(buf, golden, sizeof(golden));
	buf[4] = 5;
	check_reject(PL_CONFIG, buf, 16, "config whose size says 5 with 4 data bytes");
	buf[4] = 3;
	check_reject(PL_CONFIG, buf, 16, "config whose size says 3 with 4 data bytes");
	check_reject(PL_CONFIG, golden, 15, "config cut one byte short");
	check_reject(PL_CONFIG, golden, 11, "config shorter than its header");
	check_reject(PL_CONFIG, golden, 0, "empty config");
	memset(buf, 0, sizeof(buf));
	buf[4] = 0x2c; buf[5] = 0x01;		/* size 300 */
	check_reject(PL_CONFIG, buf, 12 + 256, "config whose size says 300");
	buf[4] = 0x01; buf[5] = 0x01;		/* size 257 */
	check_reject(PL_CONFIG, buf, 12 + 257, "config of 257 data bytes");
	buf[4] = 0xff; buf[5] = 0xff; buf[6] = 0xff; buf[7] = 0xff;
	check_reject(PL_CONFIG, buf, 12, "config whose size says 0xffffffff");

	v = (struct vhu_pval){ .kind = PL_CONFIG, .config = { .size = 300 } };
	tap_ok(codec_encode(&v, out, sizeof(out), &len, &e) == -EINVAL && e.msg[0],
	       "config of size 300 does not encode");
}

static void test_vring_area(void)
{
	static const uint8_t golden[24] = {
		0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* index 1 | NOFD */
		0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* size 0x1000 */
		0x00, 0x30, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* offset 0x3000 */
	};
	struct vhu_pval v = {
		.kind = PL_VRING_AREA,
		.area = { .u64 = 1 | VHU_VRING_NOFD, .size = 0x1000, .offset = 0x3000 },
	};

	check_encode(&v, golden, sizeof(golden), "vring area");
	memset(&v, 0x5a, sizeof(v));
	if (check_decode(PL_VRING_AREA, golden, sizeof(golden), &v, "vring area") == 0)
		tap_ok(v.area.u64 == 0x101 && v.area.size == 0x1000 && v.area.offset == 0x3000,
		       "vring area: fields back");
}

static void test_inflight(void)
{
	static const uint8_t golden[24] = {
		0x00, 0x50, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* mmap_size 0x5000 */
		0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* mmap_offset 0x40 */
		0x02, 0x00,					/* num_queues 2 @16 */
		0x00, 0x01,					/* queue_size 256 @18 */
		0x00, 0x00, 0x00, 0x00,				/* padding */
	};
	struct vhu_pval v = {
		.kind = PL_INFLIGHT,
		.inflight = { .mmap_size = 0x5000, .mmap_offset = 0x40, .num_queues = 2,
			      .queue_size = 256 },
	};

	check_encode(&v, golden, sizeof(golden), "inflight");
	tap_ok(out[16] == 2 && out[19] == 1, "inflight: num_queues @16, queue_size @18");
	memset(&v, 0x5a, sizeof(v));
	if (check_decode(PL_INFLIGHT, golden, sizeof(golden), &v, "inflight") == 0)
		tap_ok(v.inflight.mmap_size == 0x5000 && v.inflight.mmap_offset == 0x40 &&
		       v.inflight.num_queues == 2 && v.inflight.queue_size == 256,
		       "inflight: fields back");
}

static void test_shared_devstate(void)
{
	static const uint8_t uuid[16] = {
		0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
		0x0f, 0xed, 0xcb, 0xa9, 0x87, 0x65, 0x43, 0x21,
	};
	static const uint8_t devstate[8] = {
		0x01, 0x00, 0x00, 0x00,				/* direction 1 (load) */
		0x00, 0x00, 0x00, 0x00,				/* phase 0 (stopped) */
	};
	static const uint8_t devstate2[8] = {
		0x00, 0x00, 0x00, 0x00,				/* direction 0 (save) */
		0x05, 0x00, 0x00, 0x00,				/* phase 5 */
	};
	struct vhu_pval v = { .kind = PL_SHARED };

	memcpy(v.shared.uuid, uuid, 16);
	check_encode(&v, uuid, sizeof(uuid), "shared object");
	memset(&v, 0x5a, sizeof(v));
	if (check_decode(PL_SHARED, uuid, sizeof(uuid), &v, "shared object") == 0)
		tap_ok(memcmp(v.shared.uuid, uuid, 16) == 0, "shared object: UUID back");

	v = (struct vhu_pval){ .kind = PL_DEVSTATE, .devstate = { .direction = 1, .phase = 0 } };
	check_encode(&v, devstate, sizeof(devstate), "device state");
	memset(&v, 0x5a, sizeof(v));
	if (check_decode(PL_DEVSTATE, devstate, sizeof(devstate), &v, "device state") == 0)
		tap_ok(v.devstate.direction == 1 && v.devstate.phase == 0, "device state: fields back");
	v = (struct vhu_pval){ .kind = PL_DEVSTATE, .devstate = { .direction = 0, .phase = 5 } };
	check_encode(&v, devstate2, sizeof(devstate2), "device state, phase 5");
	memset(&v, 0x5a, sizeof(v));
	if (check_decode(PL_DEVSTATE, devstate2, sizeof(devstate2), &v, "device state, phase 5") == 0)
		tap_ok(v.devstate.direction == 0 && v.devstate.phase == 5,
		       "device state, phase 5: fields back");
}

static void test_mmap(void)
{
	static const uint8_t golden[40] = {
		0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* shmid 3, 7 bytes pad */
		0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* fd_offset 0x1000 */
		0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00,	/* shm_offset 0x200000 */
		0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,	/* len 0x10000 */
		0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* flags WRITABLE */
	};
	struct vhu_pval v = {
		.kind = PL_MMAP,
		.mmap = { .shmid = 3, .fd_offset = 0x1000, .shm_offset = 0x200000, .len = 0x10000,
			  .flags = 1 },
	};

	check_encode(&v, golden, sizeof(golden), "mmap");
	memset(&v, 0x5a, sizeof(v));
	if (check_decode(PL_MMAP, golden, sizeof(golden), &v, "mmap") == 0)
		tap_ok(v.mmap.shmid == 3 && v.mmap.fd_offset == 0x1000 &&
		       v.mmap.shm_offset == 0x200000 && v.mmap.len == 0x10000 && v.mmap.flags == 1,
		       "mmap: fields back");
}

static void test_shmem_config(void)
{
	/* The first 24 bytes; the other 2032 of the 2056 are zero. */
	static const uint8_t head[24] = {
		0x02, 0x00, 0x00, 0x00,				/* nregions 2 */
		0x00, 0x00, 0x00, 0x00,				/* padding */
		0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00,	/* sizes[0] 0x40000000 */
		0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00,	/* sizes[1] 0x200000 */
	};
	static uint8_t golden[2056];
	struct vhu_pval v = { .kind = PL_SHMEM_CONFIG };
	uint8_t bad[2056 + 1];

	memcpy(golden, head, sizeof(head));
	v.shmem.nregions = 2;
	v.shmem.sizes[0] = 0x40000000;
	v.shmem.sizes[1] = 0x200000;
	check_encode(&v, golden, sizeof(golden), "shmem config");
	memset(&v, 0x5a, sizeof(v));
	if (check_decode(PL_SHMEM_CONFIG, golden, sizeof(golden), &v, "shmem config") == 0)
		tap_ok(v.shmem.nregions == 2 && v.shmem.sizes[0] == 0x40000000 &&
		       v.shmem.sizes[1] == 0x200000 && v.shmem.sizes[2] == 0,
		       "shmem config: fields back");
	memset(&v, 0x5a, sizeof(v));
	if (check_decode(PL_SHMEM_CONFIG, head, sizeof(head), &v, "shmem config of 24 bytes") == 0)
		tap_ok(v.shmem.nregions == 2 && v.shmem.sizes[1] == 0x200000,
		       "short shmem config: fields back");

	check_reject(PL_SHMEM_CONFIG, head, 23, "shmem config of 2 regions in 23 bytes");
	check_reject(PL_SHMEM_CONFIG, head, 7, "shmem config of 7 bytes");
	memset(bad, 0, sizeof(bad));
	check_reject(PL_SHMEM_CONFIG, bad, sizeof(bad), "shmem config of 2057 bytes");
	bad[0] = 0x01; bad[1] = 0x01;		/* nregions 257 */
	check_reject(PL_SHMEM_CONFIG, bad, 2056, "shmem config with 257 regions");
}

static void test_set_log_reply(void)
{
	static const uint8_t zero[8] = { 0 };
	static const uint8_t four[4] = { 0 };
	struct vhu_pval v = { .kind = PL_SET_LOG_REPLY, .u64 = 0 };

	check_encode(&v, zero, 8, "log base reply, u64 0");
	v.empty = true;
	check_encode(&v, zero, 0, "log base reply, empty (DPDK)");
	memset(&v, 0x5a, sizeof(v));
	if (check_decode(PL_SET_LOG_REPLY, zero, 0, &v, "log base reply of 0 bytes") == 0)
		tap_ok(v.empty, "0-byte log base reply is empty");
	memset(&v, 0x5a, sizeof(v));
	if (check_decode(PL_SET_LOG_REPLY, zero, 8, &v, "log base reply of 8 bytes") == 0)
		tap_ok(!v.empty && v.u64 == 0, "8-byte log base reply is u64 0");
	check_reject(PL_SET_LOG_REPLY, four, 4, "log base reply of 4 bytes");
	check_reject(PL_SET_LOG_REPLY, zero, 7, "log base reply of 7 bytes");
}

static void test_opaque(void)
{
	static const uint8_t golden[12] = {
		0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* an op code */
		0xff, 0xff, 0xff, 0xff,				/* anything */
	};
	static uint8_t big[VHU_PAYLOAD_MAX + 1];
	static const enum vhu_payload kinds[] = { PL_OPAQUE, PL_CRYPTO };
	char what[64];

	for (unsigned i = 0; i < ARRAY_SIZE(kinds); i++) {
		struct vhu_pval v = { .kind = kinds[i], .raw = golden, .raw_len = sizeof(golden) };

		snprintf(what, sizeof(what), "%s", proto_payload_name(kinds[i]));
		check_encode(&v, golden, sizeof(golden), what);
		memset(&v, 0x5a, sizeof(v));
		if (check_decode(kinds[i], golden, sizeof(golden), &v, what) == 0)
			tap_ok(v.raw == golden && v.raw_len == sizeof(golden),
			       "%s: points into the buffer it came from", what);
		v = (struct vhu_pval){ .kind = kinds[i] };
		check_encode(&v, golden, 0, what);
		snprintf(what, sizeof(what), "%s of 4097 bytes", proto_payload_name(kinds[i]));
		check_reject(kinds[i], big, sizeof(big), what);
	}
}

/* Every fixed-size kind: one byte short and one byte long are both errors. */
static void test_fixed_sizes(void)
{
	static const struct { enum vhu_payload k; uint32_t size; } fixed[] = {
		{ PL_U64, 8 }, { PL_FEATURES, 8 }, { PL_PROTOCOL_FEATURES, 8 }, { PL_STATUS, 8 },
		{ PL_VRING_FD, 8 }, { PL_MAC, 8 }, { PL_VRING_STATE, 8 }, { PL_VRING_ADDR, 40 },
		{ PL_LOG, 16 }, { PL_VRING_AREA, 24 }, { PL_INFLIGHT, 24 }, { PL_SHARED, 16 },
		{ PL_DEVSTATE, 8 }, { PL_MMAP, 40 },
	};
	static uint8_t buf[64];
	char what[80];

	for (unsigned i = 0; i < ARRAY_SIZE(fixed); i++) {
		const char *name = proto_payload_name(fixed[i].k);
		struct vhu_pval v;
		struct vhu_err e = { 0 };

		tap_is_int(codec_decode(fixed[i].k, buf, fixed[i].size, &v, &e), 0,
			   "%s of %u bytes decodes", name, fixed[i].size);
		snprintf(what, sizeof(what), "%s of %u bytes", name, fixed[i].size - 1);
		check_reject(fixed[i].k, buf, fixed[i].size - 1, what);
		snprintf(what, sizeof(what), "%s of %u bytes", name, fixed[i].size + 1);
		check_reject(fixed[i].k, buf, fixed[i].size + 1, what);
	}
}

static void test_errors(void)
{
	struct vhu_pval v = {
		.kind = PL_VRING_ADDR,
		.addr = { .index = 1, .desc = 0x1000, .used = 0x2000, .avail = 0x3000 },
	};
	struct vhu_err e = { 0 };
	uint8_t small[39];
	uint32_t len = 1234;

	tap_ok(codec_encode(&v, small, sizeof(small), &len, &e) == -EMSGSIZE && e.code == EMSGSIZE &&
	       e.msg[0], "vring addr into 39 bytes fails with EMSGSIZE");
	tap_is_int(len, 1234, "failed encode leaves the length alone");
	v = (struct vhu_pval){ .kind = PL_U64, .u64 = 1 };
	memset(&e, 0, sizeof(e));
	tap_ok(codec_encode(&v, small, 7, &len, &e) == -EMSGSIZE && e.msg[0],
	       "u64 into 7 bytes fails with EMSGSIZE");
	v = (struct vhu_pval){ .kind = PL_MEM_TABLE, .mem = { .nregions = 2 } };
	memset(&e, 0, sizeof(e));
	tap_ok(codec_encode(&v, out, 71, &len, &e) == -EMSGSIZE && e.msg[0],
	       "2-region memory table into 71 bytes fails with EMSGSIZE");
	v = (struct vhu_pval){ .kind = PL_KIND_COUNT };
	memset(&e, 0, sizeof(e));
	tap_ok(codec_encode(&v, out, sizeof(out), &len, &e) < 0, "unknown kind does not encode");
}

int main(void)
{
	test_u64_kinds();
	test_none_and_mac();
	test_vring_state();
	test_vring_addr();
	test_mem_table();
	test_mem_region();
	test_log();
	test_iotlb();
	test_config();
	test_vring_area();
	test_inflight();
	test_shared_devstate();
	test_mmap();
	test_shmem_config();
	test_set_log_reply();
	test_opaque();
	test_fixed_sizes();
	test_errors();
	return tap_done();
}
