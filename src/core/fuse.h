/* fuse.h - the FUSE messages virtio-fs carries: opcodes, requests, and decoders of the replies a back-end writes. */
#ifndef VHUCTL_FUSE_H
#define VHUCTL_FUSE_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "core/err.h"
#include "core/render.h"

/* The layouts are Linux's include/uapi/linux/fuse.h, little-endian as
 * virtio-fs carries them; sizes of the fixed parts. */
#define FUSE_IN_HEADER_LEN 40u
#define FUSE_OUT_HEADER_LEN 16u
#define FUSE_ENTRY_OUT_LEN 128u
#define FUSE_ATTR_OUT_LEN 104u
#define FUSE_OPEN_OUT_LEN 16u
#define FUSE_WRITE_OUT_LEN 8u
#define FUSE_INIT_OUT_LEN 64u
#define FUSE_INIT_OUT_COMPAT_LEN 24u	/* up to max_write: what 7.5..7.22 answered */
#define FUSE_STATFS_OUT_LEN 80u
#define FUSE_DIRENT_HEAD_LEN 24u	/* ino, off, namelen, type; the name follows */
#define FUSE_ROOT_NODEID 1u
/* An error in fuse_out_header is 0 or a negative errno above -4096. */
#define FUSE_ERRNO_MAX 4095

/* What the body of a successful reply holds. */
enum fuse_reply_kind {
	FUSE_R_NONE,		/* no reply at all (FORGET, BATCH_FORGET) */
	FUSE_R_EMPTY,		/* the header alone */
	FUSE_R_ENTRY,		/* fuse_entry_out */
	FUSE_R_ATTR,		/* fuse_attr_out */
	FUSE_R_OPEN,		/* fuse_open_out */
	FUSE_R_CREATE,		/* fuse_entry_out, then fuse_open_out */
	FUSE_R_INIT,		/* fuse_init_out */
	FUSE_R_DATA,		/* bytes (READ, READLINK, GETXATTR, LISTXATTR) */
	FUSE_R_WRITE,		/* fuse_write_out */
	FUSE_R_DIRENTS,		/* fuse_dirent, one after the other */
	FUSE_R_DIRENTPLUS,	/* fuse_direntplus, one after the other */
	FUSE_R_STATFS,		/* fuse_statfs_out */
	FUSE_R_LSEEK,		/* fuse_lseek_out */
	FUSE_R_OTHER,		/* decoded by no one here: shown as hex */
};

struct fuse_opcode_def {
	uint32_t opcode;
	const char *name;	/* "LOOKUP": fuse.h's FUSE_LOOKUP without the prefix */
	enum fuse_reply_kind reply;
};

/* The opcode table, in number order. */
const struct fuse_opcode_def *fuse_opcodes(unsigned *n);
/* The row of OPCODE, or NULL. */
const struct fuse_opcode_def *fuse_opcode(uint32_t opcode);
/* FUSE_INIT's flags (flags | flags2 << 32), and fuse_open_out's open_flags. */
extern const struct render_bit fuse_init_flag_names[], fuse_open_flag_names[];

/* The request header: LEN is the whole request's, header included. */
void fuse_put_in_header(uint8_t *b, uint32_t len, uint32_t opcode, uint64_t unique, uint64_t nodeid,
			uint32_t uid, uint32_t gid, uint32_t pid);
void fuse_put32(uint8_t *p, uint32_t v);
void fuse_put64(uint8_t *p, uint64_t v);
uint32_t fuse_get32(const uint8_t *p);
uint64_t fuse_get64(const uint8_t *p);

/* A reply as checked: its header, and its body inside the caller's copy. */
struct fuse_reply {
	uint32_t len;
	int32_t error;
	uint64_t unique;
	const uint8_t *body;
	uint32_t body_len;
	bool used_longer;	/* the used entry says more was written than len */
};

/* Check a reply the back-end wrote: BUF is the caller's copy of the BUF_LEN
 * device-writable bytes, USED what the used entry says were written, UNIQUE
 * the request's. The header must fit what was written and the buffer, say a
 * len that does too (and is at least the header), carry UNIQUE, and an error
 * of 0 or -1..-4095. 0 with *R, else -EBADMSG (lengths) or -EPROTO (unique,
 * error) with E saying which field and what it held. */
int fuse_reply_check(const uint8_t *buf, uint32_t buf_len, uint32_t used, uint64_t unique,
		     struct fuse_reply *r, struct vhu_err *e);
/* {"len", "error", "errno" (the name, when error is not 0), "unique"}. */
struct json_object *fuse_out_header_json(const struct fuse_reply *r);
/* The name of errno CODE (> 0) as the error object names it ("ENOENT"). */
const char *fuse_errno_name(int code);

/* fuse_attr, as numbers; mode also as an octal string and its file type. */
struct fuse_attr_v {
	uint64_t ino, size, blocks, atime, mtime, ctime;
	uint32_t atimensec, mtimensec, ctimensec, mode, nlink, uid, gid, rdev, blksize, flags;
};
struct fuse_entry_v {
	uint64_t nodeid, generation, entry_valid, attr_valid;
	uint32_t entry_valid_nsec, attr_valid_nsec;
	struct fuse_attr_v attr;
};
struct fuse_open_v {
	uint64_t fh;
	uint32_t open_flags;
};
struct fuse_init_v {
	uint32_t major, minor, max_readahead, max_write, time_gran;
	uint64_t flags;		/* flags | flags2 << 32 (flags2 only with FUSE_INIT_EXT) */
	uint16_t max_background, congestion_threshold, max_pages, map_alignment;
	uint32_t len;		/* bytes of fuse_init_out the back-end sent */
};
/* A directory entry, its name pointing into the reply. */
struct fuse_dirent_v {
	uint64_t ino, off;
	uint32_t namelen, type;
	const uint8_t *name;
	bool plus;		/* READDIRPLUS: entry holds its fuse_entry_out */
	struct fuse_entry_v entry;
};

/* Parsers of reply bodies: 0, or -EBADMSG when LEN is short (E names the
 * structure and both sizes). Bytes past the structure are allowed. */
int fuse_parse_entry(const uint8_t *p, uint32_t len, struct fuse_entry_v *v, struct vhu_err *e);
int fuse_parse_attr_out(const uint8_t *p, uint32_t len, struct fuse_attr_v *v, struct vhu_err *e);
int fuse_parse_open(const uint8_t *p, uint32_t len, struct fuse_open_v *v, struct vhu_err *e);
int fuse_parse_init(const uint8_t *p, uint32_t len, struct fuse_init_v *v, struct vhu_err *e);
int fuse_parse_write(const uint8_t *p, uint32_t len, uint32_t *size, struct vhu_err *e);
/* The next entry at *POS of a READDIR (PLUS: READDIRPLUS) reply body of LEN
 * bytes: 1 with *D and *POS past it (8-byte aligned), 0 at the end, -EBADMSG
 * when an entry's head or name does not fit, or namelen is 0 or over 4096. */
int fuse_dirent_next(const uint8_t *p, uint32_t len, bool plus, uint32_t *pos, struct fuse_dirent_v *d,
		     struct vhu_err *e);

/* "regular", "directory", "symlink", "char", "block", "fifo", "socket" or
 * "unknown", from a mode's S_IFMT bits or a dirent's DT_ type. */
const char *fuse_mode_type(uint32_t mode);
const char *fuse_dirent_type(uint32_t type);
/* NAME of LEN bytes as a JSON string: printable ASCII and well-formed UTF-8
 * as they are, a backslash as "\\", every other byte as "\xNN". */
struct json_object *fuse_name_json(const uint8_t *name, uint32_t len);
struct json_object *fuse_attr_json(const struct fuse_attr_v *a);
struct json_object *fuse_entry_json(const struct fuse_entry_v *v);
struct json_object *fuse_open_json(const struct fuse_open_v *v);
struct json_object *fuse_init_json(const struct fuse_init_v *v);
struct json_object *fuse_dirent_json(const struct fuse_dirent_v *d);
/* A successful reply's body decoded by KIND: an object or array, or NULL
 * for a kind shown as hex only; -EBADMSG when it does not decode. */
int fuse_body_json(enum fuse_reply_kind kind, const uint8_t *p, uint32_t len, struct json_object **out,
		   struct vhu_err *e);

#endif
