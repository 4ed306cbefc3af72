/* fuse.c - the FUSE messages virtio-fs carries: opcodes, requests, and decoders of the replies a back-end writes (trusting none of it). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fuse.h"
#include "core/jb.h"

/* Linux include/uapi/linux/fuse.h (7.38), enum fuse_opcode. */
static const struct fuse_opcode_def opcodes[] = {
	{ 1, "LOOKUP", FUSE_R_ENTRY },
	{ 2, "FORGET", FUSE_R_NONE },
	{ 3, "GETATTR", FUSE_R_ATTR },
	{ 4, "SETATTR", FUSE_R_ATTR },
	{ 5, "READLINK", FUSE_R_DATA },
	{ 6, "SYMLINK", FUSE_R_ENTRY },
	{ 8, "MKNOD", FUSE_R_ENTRY },
	{ 9, "MKDIR", FUSE_R_ENTRY },
	{ 10, "UNLINK", FUSE_R_EMPTY },
	{ 11, "RMDIR", FUSE_R_EMPTY },
	{ 12, "RENAME", FUSE_R_EMPTY },
	{ 13, "LINK", FUSE_R_ENTRY },
	{ 14, "OPEN", FUSE_R_OPEN },
	{ 15, "READ", FUSE_R_DATA },
	{ 16, "WRITE", FUSE_R_WRITE },
	{ 17, "STATFS", FUSE_R_STATFS },
	{ 18, "RELEASE", FUSE_R_EMPTY },
	{ 20, "FSYNC", FUSE_R_EMPTY },
	{ 21, "SETXATTR", FUSE_R_EMPTY },
	{ 22, "GETXATTR", FUSE_R_OTHER },	/* a size or the value, as asked */
	{ 23, "LISTXATTR", FUSE_R_OTHER },
	{ 24, "REMOVEXATTR", FUSE_R_EMPTY },
	{ 25, "FLUSH", FUSE_R_EMPTY },
	{ 26, "INIT", FUSE_R_INIT },
	{ 27, "OPENDIR", FUSE_R_OPEN },
	{ 28, "READDIR", FUSE_R_DIRENTS },
	{ 29, "RELEASEDIR", FUSE_R_EMPTY },
	{ 30, "FSYNCDIR", FUSE_R_EMPTY },
	{ 31, "GETLK", FUSE_R_OTHER },
	{ 32, "SETLK", FUSE_R_EMPTY },
	{ 33, "SETLKW", FUSE_R_EMPTY },
	{ 34, "ACCESS", FUSE_R_EMPTY },
	{ 35, "CREATE", FUSE_R_CREATE },
	{ 36, "INTERRUPT", FUSE_R_NONE },
	{ 37, "BMAP", FUSE_R_OTHER },
	{ 38, "DESTROY", FUSE_R_EMPTY },
	{ 39, "IOCTL", FUSE_R_OTHER },
	{ 40, "POLL", FUSE_R_OTHER },
	{ 41, "NOTIFY_REPLY", FUSE_R_NONE },
	{ 42, "BATCH_FORGET", FUSE_R_NONE },
	{ 43, "FALLOCATE", FUSE_R_EMPTY },
	{ 44, "READDIRPLUS", FUSE_R_DIRENTPLUS },
	{ 45, "RENAME2", FUSE_R_EMPTY },
	{ 46, "LSEEK", FUSE_R_LSEEK },
	{ 47, "COPY_FILE_RANGE", FUSE_R_WRITE },
	{ 48, "SETUPMAPPING", FUSE_R_EMPTY },
	{ 49, "REMOVEMAPPING", FUSE_R_EMPTY },
	{ 50, "SYNCFS", FUSE_R_EMPTY },
	{ 51, "TMPFILE", FUSE_R_CREATE },
};

const struct render_bit fuse_init_flag_names[] = {
	{ 0, "FUSE_ASYNC_READ" }, { 1, "FUSE_POSIX_LOCKS" }, { 2, "FUSE_FILE_OPS" },
	{ 3, "FUSE_ATOMIC_O_TRUNC" }, { 4, "FUSE_EXPORT_SUPPORT" }, { 5, "FUSE_BIG_WRITES" },
	{ 6, "FUSE_DONT_MASK" }, { 7, "FUSE_SPLICE_WRITE" }, { 8, "FUSE_SPLICE_MOVE" },
	{ 9, "FUSE_SPLICE_READ" }, { 10, "FUSE_FLOCK_LOCKS" }, { 11, "FUSE_HAS_IOCTL_DIR" },
	{ 12, "FUSE_AUTO_INVAL_DATA" }, { 13, "FUSE_DO_READDIRPLUS" }, { 14, "FUSE_READDIRPLUS_AUTO" },
	{ 15, "FUSE_ASYNC_DIO" }, { 16, "FUSE_WRITEBACK_CACHE" }, { 17, "FUSE_NO_OPEN_SUPPORT" },
	{ 18, "FUSE_PARALLEL_DIROPS" }, { 19, "FUSE_HANDLE_KILLPRIV" }, { 20, "FUSE_POSIX_ACL" },
	{ 21, "FUSE_ABORT_ERROR" }, { 22, "FUSE_MAX_PAGES" }, { 23, "FUSE_CACHE_SYMLINKS" },
	{ 24, "FUSE_NO_OPENDIR_SUPPORT" }, { 25, "FUSE_EXPLICIT_INVAL_DATA" }, { 26, "FUSE_MAP_ALIGNMENT" },
	{ 27, "FUSE_SUBMOUNTS" }, { 28, "FUSE_HANDLE_KILLPRIV_V2" }, { 29, "FUSE_SETXATTR_EXT" },
	{ 30, "FUSE_INIT_EXT" }, { 31, "FUSE_INIT_RESERVED" }, { 32, "FUSE_SECURITY_CTX" },
	{ 33, "FUSE_HAS_INODE_DAX" }, { 35, "FUSE_HAS_EXPIRE_ONLY" }, { 0, NULL }
};

const struct render_bit fuse_open_flag_names[] = {
	{ 0, "FOPEN_DIRECT_IO" }, { 1, "FOPEN_KEEP_CACHE" }, { 2, "FOPEN_NONSEEKABLE" },
	{ 3, "FOPEN_CACHE_DIR" }, { 4, "FOPEN_STREAM" }, { 5, "FOPEN_NOFLUSH" },
	{ 6, "FOPEN_PARALLEL_DIRECT_WRITES" }, { 0, NULL }
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

const struct fuse_opcode_def *fuse_opcodes(unsigned *n)
{
	*n = N(opcodes);
	return opcodes;
}

const struct fuse_opcode_def *fuse_opcode(uint32_t opcode)
{
	for (size_t i = 0; i < N(opcodes); i++)
		if (opcodes[i].opcode == opcode)
			return &opcodes[i];
	return NULL;
}

/* --- bytes ----------------------------------------------------------------- */

void fuse_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void fuse_put64(uint8_t *p, uint64_t v)
{
	fuse_put32(p, (uint32_t)v);
	fuse_put32(p + 4, (uint32_t)(v >> 32));
}

uint32_t fuse_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t fuse_get64(const uint8_t *p)
{
	return (uint64_t)fuse_get32(p) | (uint64_t)fuse_get32(p + 4) << 32;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

void fuse_put_in_header(uint8_t *b, uint32_t len, uint32_t opcode, uint64_t unique, uint64_t nodeid,
			uint32_t uid, uint32_t gid, uint32_t pid)
{
	fuse_put32(b, len);
	fuse_put32(b + 4, opcode);
	fuse_put64(b + 8, unique);
	fuse_put64(b + 16, nodeid);
	fuse_put32(b + 24, uid);
	fuse_put32(b + 28, gid);
	fuse_put32(b + 32, pid);
	fuse_put32(b + 36, 0);
}

/* --- the reply header ---------------------------------------------------------- */

int fuse_reply_check(const uint8_t *buf, uint32_t buf_len, uint32_t used, uint64_t unique,
		     struct fuse_reply *r, struct vhu_err *e)
{
	uint32_t have = used < buf_len ? used : buf_len;

	memset(r, 0, sizeof(*r));
	if (used > buf_len)
		return vhu_errf(e, EBADMSG, "the used entry says %u bytes were written into %u bytes of buffers",
				used, buf_len);
	if (have < FUSE_OUT_HEADER_LEN)
		return vhu_errf(e, EBADMSG, "reply of %u bytes: shorter than fuse_out_header (%u)", have,
				FUSE_OUT_HEADER_LEN);
	r->len = fuse_get32(buf);
	r->error = (int32_t)fuse_get32(buf + 4);
	r->unique = fuse_get64(buf + 8);
	if (r->len < FUSE_OUT_HEADER_LEN)
		return vhu_errf(e, EBADMSG, "fuse_out_header.len %u is shorter than the header itself (%u)", r->len,
				FUSE_OUT_HEADER_LEN);
	if (r->len > have)
		return vhu_errf(e, EBADMSG, "fuse_out_header.len %u is more than the %u bytes the used entry says "
				"were written", r->len, have);
	if (r->unique != unique)
		return vhu_errf(e, EPROTO, "fuse_out_header.unique %llu does not match the request's %llu",
				(unsigned long long)r->unique, (unsigned long long)unique);
	if (r->error > 0 || r->error < -FUSE_ERRNO_MAX)
		return vhu_errf(e, EPROTO, "fuse_out_header.error %d is neither 0 nor a negative errno (-1..-%d)",
				r->error, FUSE_ERRNO_MAX);
	if (r->error && r->len != FUSE_OUT_HEADER_LEN)
		return vhu_errf(e, EBADMSG, "an error reply (%d) of %u bytes: an error is the header alone",
				r->error, r->len);
	r->body = buf + FUSE_OUT_HEADER_LEN;
	r->body_len = r->len - FUSE_OUT_HEADER_LEN;
	r->used_longer = used > r->len;
	return 0;
}

const char *fuse_errno_name(int code)
{
	return vhu_errno_name(code);
}

struct json_object *fuse_out_header_json(const struct fuse_reply *r)
{
	struct json_object *o = json_object_new_object();

	jb_add(o, "len", json_object_new_int64(r->len));
	jb_add(o, "error", json_object_new_int(r->error));
	if (r->error)
		jb_add(o, "errno", json_object_new_string(fuse_errno_name(-r->error)));
	jb_add(o, "unique", jb_u64(r->unique));
	return o;
}

/* --- bodies ------------------------------------------------------------------------ */

static int short_body(struct vhu_err *e, const char *what, uint32_t len, uint32_t want)
{
	return vhu_errf(e, EBADMSG, "%s of %u bytes: shorter than its %u", what, len, want);
}

/* fuse_attr at P (88 bytes). */
static void get_attr(const uint8_t *p, struct fuse_attr_v *a)
{
	a->ino = fuse_get64(p);
	a->size = fuse_get64(p + 8);
	a->blocks = fuse_get64(p + 16);
	a->atime = fuse_get64(p + 24);
	a->mtime = fuse_get64(p + 32);
	a->ctime = fuse_get64(p + 40);
	a->atimensec = fuse_get32(p + 48);
	a->mtimensec = fuse_get32(p + 52);
	a->ctimensec = fuse_get32(p + 56);
	a->mode = fuse_get32(p + 60);
	a->nlink = fuse_get32(p + 64);
	a->uid = fuse_get32(p + 68);
	a->gid = fuse_get32(p + 72);
	a->rdev = fuse_get32(p + 76);
	a->blksize = fuse_get32(p + 80);
	a->flags = fuse_get32(p + 84);
}

static void get_entry(const uint8_t *p, struct fuse_entry_v *v)
{
	v->nodeid = fuse_get64(p);
	v->generation = fuse_get64(p + 8);
	v->entry_valid = fuse_get64(p + 16);
	v->attr_valid = fuse_get64(p + 24);
	v->entry_valid_nsec = fuse_get32(p + 32);
	v->attr_valid_nsec = fuse_get32(p + 36);
	get_attr(p + 40, &v->attr);
}

int fuse_parse_entry(const uint8_t *p, uint32_t len, struct fuse_entry_v *v, struct vhu_err *e)
{
	if (len < FUSE_ENTRY_OUT_LEN)
		return short_body(e, "fuse_entry_out", len, FUSE_ENTRY_OUT_LEN);
	get_entry(p, v);
	return 0;
}

int fuse_parse_attr_out(const uint8_t *p, uint32_t len, struct fuse_attr_v *v, struct vhu_err *e)
{
	if (len < FUSE_ATTR_OUT_LEN)
		return short_body(e, "fuse_attr_out", len, FUSE_ATTR_OUT_LEN);
	get_attr(p + 16, v);	/* after attr_valid, attr_valid_nsec, dummy */
	return 0;
}

int fuse_parse_open(const uint8_t *p, uint32_t len, struct fuse_open_v *v, struct vhu_err *e)
{
	if (len < FUSE_OPEN_OUT_LEN)
		return short_body(e, "fuse_open_out", len, FUSE_OPEN_OUT_LEN);
	v->fh = fuse_get64(p);
	v->open_flags = fuse_get32(p + 8);
	return 0;
}

int fuse_parse_write(const uint8_t *p, uint32_t len, uint32_t *size, struct vhu_err *e)
{
	if (len < FUSE_WRITE_OUT_LEN)
		return short_body(e, "fuse_write_out", len, FUSE_WRITE_OUT_LEN);
	*size = fuse_get32(p);
	return 0;
}

int fuse_parse_init(const uint8_t *p, uint32_t len, struct fuse_init_v *v, struct vhu_err *e)
{
	memset(v, 0, sizeof(*v));
	if (len < FUSE_INIT_OUT_COMPAT_LEN)
		return short_body(e, "fuse_init_out", len, FUSE_INIT_OUT_COMPAT_LEN);
	v->len = len;
	v->major = fuse_get32(p);
	v->minor = fuse_get32(p + 4);
	v->max_readahead = fuse_get32(p + 8);
	v->flags = fuse_get32(p + 12);
	v->max_background = get16(p + 16);
	v->congestion_threshold = get16(p + 18);
	v->max_write = fuse_get32(p + 20);
	/* The fields 7.23 and later added, as far as the back-end sent them. */
	if (len >= 28)
		v->time_gran = fuse_get32(p + 24);
	if (len >= 32) {
		v->max_pages = get16(p + 28);
		v->map_alignment = get16(p + 30);
	}
	if (len >= 36 && (v->flags & (1u << 30)))	/* FUSE_INIT_EXT: flags2 holds bits 32..63 */
		v->flags |= (uint64_t)fuse_get32(p + 32) << 32;
	return 0;
}

int fuse_dirent_next(const uint8_t *p, uint32_t len, bool plus, uint32_t *pos, struct fuse_dirent_v *d,
		     struct vhu_err *e)
{
	uint32_t at = *pos, head = plus ? FUSE_ENTRY_OUT_LEN + FUSE_DIRENT_HEAD_LEN : FUSE_DIRENT_HEAD_LEN;
	const uint8_t *q;
	uint64_t end;

	if (at >= len)
		return 0;
	memset(d, 0, sizeof(*d));
	if (len - at < head)
		return vhu_errf(e, EBADMSG, "directory entry at byte %u: %u bytes left, its head takes %u", at,
				len - at, head);
	q = p + at;
	if (plus) {
		d->plus = true;
		get_entry(q, &d->entry);
		q += FUSE_ENTRY_OUT_LEN;
	}
	d->ino = fuse_get64(q);
	d->off = fuse_get64(q + 8);
	d->namelen = fuse_get32(q + 16);
	d->type = fuse_get32(q + 20);
	d->name = q + FUSE_DIRENT_HEAD_LEN;
	if (d->namelen == 0 || d->namelen > 4096)
		return vhu_errf(e, EBADMSG, "directory entry at byte %u: namelen %u (1..4096)", at, d->namelen);
	end = (uint64_t)at + head + d->namelen;
	if (end > len)
		return vhu_errf(e, EBADMSG, "directory entry at byte %u: its name of %u bytes ends at byte %llu, past "
				"the reply's %u", at, d->namelen, (unsigned long long)end, len);
	/* Entries are padded to 8 bytes; the last one's padding may be cut. */
	end = (end + 7) & ~(uint64_t)7;
	*pos = end > len ? len : (uint32_t)end;
	return 1;
}

/* --- JSON --------------------------------------------------------------------------- */

const char *fuse_mode_type(uint32_t mode)
{
	switch (mode & 0170000) {
	case 0100000: return "regular";
	case 0040000: return "directory";
	case 0120000: return "symlink";
	case 0020000: return "char";
	case 0060000: return "block";
	case 0010000: return "fifo";
	case 0140000: return "socket";
	default: return "unknown";
	}
}

const char *fuse_dirent_type(uint32_t type)
{
	/* DT_* are the S_IFMT bits shifted down by 12. */
	return type <= 15 ? fuse_mode_type(type << 12) : "unknown";
}

/* Length of the well-formed UTF-8 sequence of a code point of U+00A0 or
 * more at P (at most N bytes), or 0. */
static unsigned utf8_len(const uint8_t *p, uint32_t n)
{
	uint32_t cp;
	unsigned len;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1fu;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0fu;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07u;
	else
		return 0;
	if (len > n)
		return 0;
	for (unsigned i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3fu);
	}
	/* overlong forms, surrogates, past U+10FFFF, and the C1 controls */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || (cp >= 0xd800 && cp <= 0xdfff) ||
	    cp > 0x10ffff || cp < 0xa0)
		return 0;
	return len;
}

struct json_object *fuse_name_json(const uint8_t *name, uint32_t len)
{
	char *s = malloc((size_t)len * 4 + 1);
	struct json_object *o;
	size_t n = 0;

	if (!s)
		return NULL;
	for (uint32_t i = 0; i < len;) {
		unsigned u = name[i] >= 0x80 ? utf8_len(name + i, len - i) : 0;

		if (u) {
			memcpy(s + n, name + i, u);
			n += u;
			i += u;
			continue;
		}
		if (name[i] == '\\') {
			memcpy(s + n, "\\\\", 2);
			n += 2;
		} else if (name[i] >= 0x20 && name[i] < 0x7f) {
			s[n++] = (char)name[i];
		} else {
			n += (size_t)snprintf(s + n, 5, "\\x%02x", name[i]);
		}
		i++;
	}
	o = json_object_new_string_len(s, (int)n);
	free(s);
	return o;
}

struct json_object *fuse_attr_json(const struct fuse_attr_v *a)
{
	struct json_object *o = json_object_new_object();
	char mode[16];

	snprintf(mode, sizeof(mode), "0%o", a->mode);
	jb_add(o, "ino", jb_u64(a->ino));
	jb_add(o, "size", jb_u64(a->size));
	jb_add(o, "blocks", jb_u64(a->blocks));
	jb_add(o, "mode", json_object_new_string(mode));
	jb_add(o, "type", json_object_new_string(fuse_mode_type(a->mode)));
	jb_add(o, "nlink", json_object_new_int64(a->nlink));
	jb_add(o, "uid", json_object_new_int64(a->uid));
	jb_add(o, "gid", json_object_new_int64(a->gid));
	jb_add(o, "rdev", json_object_new_int64(a->rdev));
	jb_add(o, "blksize", json_object_new_int64(a->blksize));
	jb_add(o, "atime", jb_u64(a->atime));
	jb_add(o, "atimensec", json_object_new_int64(a->atimensec));
	jb_add(o, "mtime", jb_u64(a->mtime));
	jb_add(o, "mtimensec", json_object_new_int64(a->mtimensec));
	jb_add(o, "ctime", jb_u64(a->ctime));
	jb_add(o, "ctimensec", json_object_new_int64(a->ctimensec));
	jb_add(o, "flags", json_object_new_int64(a->flags));
	return o;
}

struct json_object *fuse_entry_json(const struct fuse_entry_v *v)
{
	struct json_object *o = json_object_new_object();

	jb_add(o, "nodeid", jb_u64(v->nodeid));
	jb_add(o, "generation", jb_u64(v->generation));
	jb_add(o, "entry_valid", jb_u64(v->entry_valid));
	jb_add(o, "entry_valid_nsec", json_object_new_int64(v->entry_valid_nsec));
	jb_add(o, "attr_valid", jb_u64(v->attr_valid));
	jb_add(o, "attr_valid_nsec", json_object_new_int64(v->attr_valid_nsec));
	jb_add(o, "attr", fuse_attr_json(&v->attr));
	return o;
}

struct json_object *fuse_open_json(const struct fuse_open_v *v)
{
	struct json_object *o = json_object_new_object();

	jb_add(o, "fh", jb_u64(v->fh));
	jb_add(o, "open_flags", render_mask(v->open_flags, fuse_open_flag_names));
	return o;
}

struct json_object *fuse_init_json(const struct fuse_init_v *v)
{
	struct json_object *o = json_object_new_object();

	jb_add(o, "major", json_object_new_int64(v->major));
	jb_add(o, "minor", json_object_new_int64(v->minor));
	jb_add(o, "max_readahead", json_object_new_int64(v->max_readahead));
	jb_add(o, "flags", render_mask(v->flags, fuse_init_flag_names));
	jb_add(o, "max_background", json_object_new_int(v->max_background));
	jb_add(o, "congestion_threshold", json_object_new_int(v->congestion_threshold));
	jb_add(o, "max_write", json_object_new_int64(v->max_write));
	if (v->len >= 28)
		jb_add(o, "time_gran", json_object_new_int64(v->time_gran));
	if (v->len >= 32) {
		jb_add(o, "max_pages", json_object_new_int(v->max_pages));
		jb_add(o, "map_alignment", json_object_new_int(v->map_alignment));
	}
	return o;
}

struct json_object *fuse_dirent_json(const struct fuse_dirent_v *d)
{
	struct json_object *o = json_object_new_object();

	jb_add(o, "ino", jb_u64(d->ino));
	jb_add(o, "off", jb_hex(d->off));	/* a cookie the back-end chose, not a count */
	jb_add(o, "type", json_object_new_string(fuse_dirent_type(d->type)));
	jb_add(o, "type_value", json_object_new_int64(d->type));
	jb_add(o, "name", fuse_name_json(d->name, d->namelen));
	if (d->plus)
		jb_add(o, "entry", fuse_entry_json(&d->entry));
	return o;
}

static int dirents_json(const uint8_t *p, uint32_t len, bool plus, struct json_object **out, struct vhu_err *e)
{
	struct json_object *a = json_object_new_array();
	struct fuse_dirent_v d;
	uint32_t pos = 0;
	int r;

	while ((r = fuse_dirent_next(p, len, plus, &pos, &d, e)) == 1)
		json_object_array_add(a, fuse_dirent_json(&d));
	if (r < 0) {
		json_object_put(a);
		return r;
	}
	*out = a;
	return 0;
}

static struct json_object *statfs_json(const uint8_t *p)
{
	static const char *const k64[] = { "blocks", "bfree", "bavail", "files", "ffree" };
	static const char *const k32[] = { "bsize", "namelen", "frsize" };
	struct json_object *o = json_object_new_object();

	for (unsigned i = 0; i < N(k64); i++)
		jb_add(o, k64[i], jb_u64(fuse_get64(p + 8 * i)));
	for (unsigned i = 0; i < N(k32); i++)
		jb_add(o, k32[i], json_object_new_int64(fuse_get32(p + 40 + 4 * i)));
	return o;
}

int fuse_body_json(enum fuse_reply_kind kind, const uint8_t *p, uint32_t len, struct json_object **out,
		   struct vhu_err *e)
{
	struct fuse_entry_v en;
	struct fuse_attr_v at;
	struct fuse_open_v op;
	struct fuse_init_v in;
	uint32_t size = 0;
	int r;

	*out = NULL;
	switch (kind) {
	case FUSE_R_ENTRY:
		if ((r = fuse_parse_entry(p, len, &en, e)) < 0)
			return r;
		*out = fuse_entry_json(&en);
		return 0;
	case FUSE_R_ATTR:
		if ((r = fuse_parse_attr_out(p, len, &at, e)) < 0)
			return r;
		*out = json_object_new_object();
		jb_add(*out, "attr_valid", jb_u64(fuse_get64(p)));
		jb_add(*out, "attr_valid_nsec", json_object_new_int64(fuse_get32(p + 8)));
		jb_add(*out, "attr", fuse_attr_json(&at));
		return 0;
	case FUSE_R_OPEN:
		if ((r = fuse_parse_open(p, len, &op, e)) < 0)
			return r;
		*out = fuse_open_json(&op);
		return 0;
	case FUSE_R_CREATE:
		if ((r = fuse_parse_entry(p, len, &en, e)) < 0 ||
		    (r = fuse_parse_open(p + FUSE_ENTRY_OUT_LEN, len - FUSE_ENTRY_OUT_LEN, &op, e)) < 0)
			return r;
		*out = json_object_new_object();
		jb_add(*out, "entry", fuse_entry_json(&en));
		jb_add(*out, "open", fuse_open_json(&op));
		return 0;
	case FUSE_R_INIT:
		if ((r = fuse_parse_init(p, len, &in, e)) < 0)
			return r;
		*out = fuse_init_json(&in);
		return 0;
	case FUSE_R_WRITE:
		if ((r = fuse_parse_write(p, len, &size, e)) < 0)
			return r;
		*out = json_object_new_object();
		jb_add(*out, "size", json_object_new_int64(size));
		return 0;
	case FUSE_R_DIRENTS:
	case FUSE_R_DIRENTPLUS:
		return dirents_json(p, len, kind == FUSE_R_DIRENTPLUS, out, e);
	case FUSE_R_STATFS:
		if (len < FUSE_STATFS_OUT_LEN)
			return short_body(e, "fuse_statfs_out", len, FUSE_STATFS_OUT_LEN);
		*out = statfs_json(p);
		return 0;
	case FUSE_R_LSEEK:
		if (len < 8)
			return short_body(e, "fuse_lseek_out", len, 8);
		*out = json_object_new_object();
		jb_add(*out, "offset", jb_u64(fuse_get64(p)));
		return 0;
	case FUSE_R_DATA:
		*out = json_object_new_object();
		jb_add(*out, "len", json_object_new_int64(len));
		jb_add(*out, "text", jb_text(p, len));
		return 0;
	default:
		return 0;
	}
}
