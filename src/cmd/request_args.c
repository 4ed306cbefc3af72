/* request_args.c - one command per protocol request: its arguments, help and example from the payload kind. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/backend.h"
#include "cmd/cmd.h"
#include "cmd/rings.h"
#include "core/codec.h"
#include "core/devcfg.h"
#include "core/jb.h"
#include "core/jw.h"
#include "core/render.h"

static const struct arg_enum perm_enum[] = {
	{ "none", 0 }, { "ro", 1 }, { "wo", 2 }, { "rw", 3 }, { NULL, 0 },
};
static const struct arg_enum iotlb_type_enum[] = {
	{ "update", 2 }, { "invalidate", 3 }, { "miss", 1 }, { "access-fail", 4 }, { NULL, 0 },
};
static const struct arg_enum endian_enum[] = {
	{ "le", 0 }, { "little", 0 }, { "be", 1 }, { "big", 1 }, { NULL, 0 },
};
static const struct arg_enum direction_enum[] = {
	{ "save", 0 }, { "load", 1 }, { NULL, 0 },
};
static const struct arg_enum phase_enum[] = {
	{ "stopped", 0 }, { NULL, 0 },
};
static const struct arg_enum vring_flags_enum[] = {
	{ "LOG", 1 }, { "VHOST_VRING_F_LOG", 1 }, { NULL, 0 },
};

#define A(...) (struct arg_spec){ __VA_ARGS__ }

/* Arguments every request command takes after its payload arguments. */
static unsigned add_common(struct arg_spec *a, unsigned n)
{
	a[n++] = A(.name = "header-flags", .type = ARG_U32, .key_only = true,
		   .help = "send exactly these header flags");
	a[n++] = A(.name = "need-reply", .type = ARG_BOOL, .key_only = true,
		   .help = "force NEED_REPLY on or off");
	a[n++] = A(.name = "sync", .type = ARG_FLAG,
		   .help = "follow with a GET_FEATURES barrier when no reply comes");
	return n;
}

/* Payload arguments of ROW, from its payload kind. */
static unsigned payload_args(const struct vhu_request *row, struct arg_spec *a)
{
	unsigned n = 0;

	switch (row->req_kind) {
	case PL_NONE:
	case PL_MEM_TABLE:
		break;
	case PL_FEATURES:
		a[n++] = A(.name = "features", .type = ARG_FEATURES, .required = true,
			   .help = "feature names (VIRTIO_F_VERSION_1,...) or a mask");
		break;
	case PL_PROTOCOL_FEATURES:
		a[n++] = A(.name = "features", .type = ARG_PFEATURES, .required = true,
			   .help = "protocol feature names (REPLY_ACK,...) or a mask");
		break;
	case PL_STATUS:
		a[n++] = A(.name = "status", .type = ARG_STATUS, .required = true,
			   .help = "status names (ACKNOWLEDGE,DRIVER,...) or a number");
		break;
	case PL_U64:
		a[n++] = A(.name = row->num_arg ? row->num_arg : "value", .type = ARG_U64,
			   .required = true, .help = "u64 value");
		break;
	case PL_MAC:
		a[n++] = A(.name = "mac", .type = ARG_MAC, .required = true,
			   .help = "MAC address");
		break;
	case PL_VRING_FD:
		a[n++] = A(.name = "index", .type = ARG_U32, .required = true, .max = VHU_VRING_IDX_MASK,
			   .help = "ring index");
		a[n++] = A(.name = "nofd", .type = ARG_FLAG, .help = "send the NOFD bit instead of an eventfd");
		break;
	case PL_VRING_STATE:
		a[n++] = A(.name = "index", .type = ARG_U32, .required = true, .help = "ring index");
		if (!row->num_arg)
			a[n++] = A(.name = "num", .type = ARG_U32, .key_only = true, .help = "num field (0)");
		else if (strcmp(row->num_arg, "enable") == 0)
			a[n++] = A(.name = "enable", .type = ARG_BOOL, .required = true, .help = "1 or 0");
		else if (strcmp(row->num_arg, "endian") == 0)
			a[n++] = A(.name = "endian", .type = ARG_ENUM, .required = true,
				   .enums = endian_enum, .max = UINT32_MAX, .help = "le or be");
		else
			a[n++] = A(.name = row->num_arg, .type = ARG_U32, .required = true,
				   .help = strcmp(row->num_arg, "num") == 0 ? "ring size" : "next avail index");
		break;
	case PL_VRING_ADDR:
		a[n++] = A(.name = "index", .type = ARG_U32, .required = true, .help = "ring index");
		a[n++] = A(.name = "desc", .type = ARG_U64, .required = true, .help = "descriptor table address");
		/* The areas in the order they are laid out (and the README lists
		 * them); the payload's own order is desc, used, avail. */
		a[n++] = A(.name = "avail", .type = ARG_U64, .required = true, .help = "available ring address");
		a[n++] = A(.name = "used", .type = ARG_U64, .required = true, .help = "used ring address");
		a[n++] = A(.name = "log", .type = ARG_U64, .key_only = true, .help = "log_guest_addr");
		a[n++] = A(.name = "flags", .type = ARG_ENUM, .key_only = true,
			   .enums = vring_flags_enum, .max = UINT32_MAX, .help = "LOG or a number");
		a[n++] = A(.name = "gpa", .type = ARG_FLAG,
			   .help = "addresses are guest-physical; translate them");
		break;
	case PL_MEM_REGION:
		a[n++] = A(.name = "region", .type = ARG_U32, .max = MEM_REGIONS_MAX - 1,
			   .help = "index in 'mem list' (default: last)");
		break;
	case PL_LOG:
		a[n++] = A(.name = "size", .type = ARG_U64, .help = "log size (default: covers all memory)");
		a[n++] = A(.name = "offset", .type = ARG_U64, .key_only = true, .help = "mmap_offset");
		break;
	case PL_IOTLB:
		a[n++] = A(.name = "type", .type = ARG_ENUM, .enums = iotlb_type_enum,
			   .max = UINT8_MAX, .help = "update (default), invalidate, miss, access-fail");
		a[n++] = A(.name = "iova", .type = ARG_U64, .required = true, .help = "I/O virtual address");
		a[n++] = A(.name = "size", .type = ARG_U64, .required = true, .help = "size");
		a[n++] = A(.name = "uaddr", .type = ARG_U64, .required = true, .help = "user address");
		a[n++] = A(.name = "perm", .type = ARG_ENUM, .enums = perm_enum, .max = UINT8_MAX, .help = "none, ro, wo, rw (default rw)");
		break;
	case PL_CONFIG:
		if (row->reply_kind == PL_CONFIG) {
			a[n++] = A(.name = "size", .type = ARG_U32, .help = "bytes to read (default: the device's config size)");
			a[n++] = A(.name = "offset", .type = ARG_U32, .key_only = true, .help = "config offset");
		} else {
			a[n++] = A(.name = "data", .type = ARG_HEX, .required = true, .help = "bytes to write, hex");
			a[n++] = A(.name = "offset", .type = ARG_U32, .key_only = true, .help = "config offset");
		}
		a[n++] = A(.name = "flags", .type = ARG_U32, .key_only = true,
			   .help = "config flags (0 writable, 1 live migration)");
		break;
	case PL_INFLIGHT:
		a[n++] = A(.name = "num_queues", .type = ARG_U32, .max = UINT16_MAX, .help = "queues (default 1)");
		a[n++] = A(.name = "queue_size", .type = ARG_U32, .max = UINT16_MAX, .help = "ring size (default 256)");
		if (row->reply_kind != PL_INFLIGHT) {
			a[n++] = A(.name = "mmap_size", .type = ARG_U64, .key_only = true,
				   .help = "area size (default: the kept inflight fd's size)");
			a[n++] = A(.name = "mmap_offset", .type = ARG_U64, .key_only = true, .help = "offset");
		}
		break;
	case PL_SHARED:
		a[n++] = A(.name = "uuid", .type = ARG_UUID, .required = true, .help = "object UUID");
		break;
	case PL_DEVSTATE:
		a[n++] = A(.name = "direction", .type = ARG_ENUM, .required = true,
			   .enums = direction_enum, .max = UINT32_MAX, .help = "save or load");
		a[n++] = A(.name = "phase", .type = ARG_ENUM, .enums = phase_enum, .max = UINT32_MAX, .help = "stopped");
		break;
	case PL_CRYPTO:
	case PL_OPAQUE:
		a[n++] = A(.name = "payload", .type = ARG_HEX, .required = true, .help = "payload bytes, hex");
		break;
	default:
		break;
	}
	return n;
}

static struct arg_spec req_specs[VHU_FRONTEND_REQ_MAX + 1][ARGS_MAX];
static char req_names[VHU_FRONTEND_REQ_MAX + 1][48];
static char req_examples[VHU_FRONTEND_REQ_MAX + 1][160];

/* A plausible value for an argument, for the examples in help. */
static const char *sample(const struct arg_spec *a)
{
	static const struct { const char *name, *value; } by_name[] = {
		{ "index", "0" }, { "num", "256" }, { "base", "0" }, { "mtu", "1500" },
		{ "desc", "0x0" }, { "used", "0x2000" }, { "avail", "0x1000" },
		{ "iova", "0x0" }, { "size", "60" }, { "uaddr", "0x7f0000000000" },
		{ "data", "0000" }, { "session", "1" },
	};

	for (size_t i = 0; i < sizeof(by_name) / sizeof(by_name[0]); i++)
		if (strcmp(a->name, by_name[i].name) == 0)
			return by_name[i].value;
	switch (a->type) {
	case ARG_FEATURES: return "VIRTIO_F_VERSION_1,VHOST_USER_F_PROTOCOL_FEATURES";
	case ARG_PFEATURES: return "REPLY_ACK,CONFIG";
	case ARG_STATUS: return "ACKNOWLEDGE,DRIVER,FEATURES_OK,DRIVER_OK";
	case ARG_BOOL: return "1";
	case ARG_MAC: return "52:54:00:12:34:56";
	case ARG_UUID: return "00112233445566778899aabbccddeeff";
	case ARG_ENUM: return a->enums ? a->enums[0].name : "0";
	case ARG_HEX: return "00";
	default: return "0";
	}
}

static const char *example(const char *name, const struct arg_spec *a, unsigned n, char *buf, size_t len)
{
	size_t off = (size_t)snprintf(buf, len, "%s", name);

	for (unsigned i = 0; i < n && off < len; i++) {
		if (!a[i].required && strcmp(a[i].name, "size") != 0)
			continue;
		static const char *const keyed = " desc used avail size iova uaddr log data payload ";
		char word[24];

		snprintf(word, sizeof(word), " %s ", a[i].name);
		if (a[i].key_only || strstr(keyed, word))
			off += (size_t)snprintf(buf + off, len - off, " %s=%s", a[i].name, sample(&a[i]));
		else
			off += (size_t)snprintf(buf + off, len - off, " %s", sample(&a[i]));
	}
	return buf;
}

void cmd_request_defs(struct cmd_def *out, unsigned *n, unsigned max)
{
	unsigned nreq;
	const struct vhu_request *t = proto_requests(SIDE_FRONTEND, &nreq);

	for (unsigned i = 0; i < nreq && *n < max; i++) {
		struct arg_spec *a = req_specs[t[i].num];
		unsigned na = add_common(a, payload_args(&t[i], a));

		const char *name = proto_cli_name(&t[i], req_names[t[i].num], sizeof(req_names[0]));

		out[(*n)++] = (struct cmd_def){
			.name = name,
			.example = example(name, a, na, req_examples[t[i].num], sizeof(req_examples[0])),
			.spec_ref = "docs/interop/vhost-user.rst, \"Front-end message types\"",
			.group = GROUP_REQUEST,
			.args = a,
			.nargs = na,
			.summary = t[i].summary,
			.fn = cmd_request_run,
			.req = &t[i],
		};
	}
}

