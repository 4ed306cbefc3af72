/* cmd_fs.c - virtio-fs: FUSE requests on the request queue, sent as a guest's FUSE driver sends them. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmd/rings.h"
#include "core/fuse.h"
#include "core/jb.h"

#define FS_HIPRIO 0		/* FORGET goes here, as Linux sends it */
#define FS_REQUEST 1		/* the first request queue */
#define FS_MINOR 36		/* 7.36: flags2 in FUSE_INIT; virtiofsd takes 7.31 and up */
#define FS_INIT_EXT (UINT64_C(1) << 30)
#define FS_MAX_PAGES (UINT64_C(1) << 22)
/* What vhuctl asks for: FUSE_MAX_PAGES (so that the back-end says how big
 * a READ may be) and FUSE_INIT_EXT (flags2 is read). Nothing that would
 * have the back-end expect a kernel's cache or locking. */
#define FS_INIT_FLAGS (FS_MAX_PAGES | FS_INIT_EXT)
#define FS_PAGE 4096u
#define FS_READ_DEFAULT (32 * FS_PAGE)	/* a READ without FUSE_MAX_PAGES: the kernel's default */
#define FS_DIR_BUF 4096u		/* each READDIR asks for this much */
#define FS_LS_MAX 65536u		/* entries an ls collects at most */
#define FS_DEPTH 64u			/* path components */
#define FS_ROOM 4096u			/* fs raw: reply bytes by default */
#define FS_BATCH 256u			/* nodes a BATCH_FORGET forgets */

/* One fs command's FUSE traffic: every request it sent, and the nodes it
 * looked up, which it FORGETs when it is done (vhuctl keeps no node cache:
 * each command stands alone, as the back-end sees it). */
struct fs {
	struct cmd_ctx *ctx;
	int timeout;
	struct json_object *trace;	/* "requests" */
	uint64_t nodes[FS_DEPTH + 1];
	unsigned nnodes;
	uint64_t *entries;		/* nodes READDIRPLUS looked up, one lookup each */
	unsigned nentries, entries_cap;
	bool answered;			/* the last error is the back-end's answer */
	bool dead;			/* the last request got no used entry (or could
					 * not be posted): clean-up would fare no better */
};

/* A request: its opcode and node, its argument (after fuse_in_header),
 * WRITE's data as a buffer of its own, and the room for the reply body. */
struct fs_req {
	uint32_t opcode;
	uint64_t nodeid;
	const uint8_t *arg;
	uint32_t arg_len;
	const uint8_t *data;
	uint32_t data_len;
	bool reply;			/* a device-writable buffer: fuse_out_header + ROOM */
	uint32_t room;
	unsigned ring;
	const char *what;		/* for messages: "LOOKUP 'a'" */
	/* the answer */
	uint8_t *copy;			/* what the back-end wrote, copied out of guest memory once */
	struct fuse_reply r;
	struct json_object *entry;	/* its entry in the trace */
};

static void fs_req_free(struct fs_req *q)
{
	free(q->copy);
	q->copy = NULL;
}

static const char *op_name(uint32_t opcode)
{
	const struct fuse_opcode_def *d = fuse_opcode(opcode);

	return d ? d->name : "unknown";
}

/* The next unique: steps of 2 as Linux's, so that an INTERRUPT's (the
 * request's | 1) never names another request. */
static uint64_t next_unique(struct session *s)
{
	s->fs.unique += 2;
	return s->fs.unique;
}

/* Post Q on its ring, kick, wait for its used entry and copy the reply out.
 * 0 with Q's reply checked; a FUSE error is -errno with fs->answered. */
static int fs_call(struct fs *fs, struct fs_req *q)
{
	struct cmd_ctx *ctx = fs->ctx;
	struct session *s = ctx->s;
	struct vring *vr;
	struct vring_seg segs[3];
	const uint8_t *data[3] = { 0 };
	uint32_t in_len = FUSE_IN_HEADER_LEN + q->arg_len, wlen = FUSE_OUT_HEADER_LEN + q->room;
	uint64_t unique = next_unique(s);
	struct vring_used u;
	struct json_object *t = json_object_new_object();
	unsigned n = 0;
	uint8_t *req;
	uint16_t head, old;
	int64_t t0;
	int r;

	fs->answered = false;
	fs->dead = true;
	q->entry = t;
	json_object_array_add(fs->trace, t);
	jb_add(t, "opcode", json_object_new_string(op_name(q->opcode)));
	jb_add(t, "opcode_value", json_object_new_int64(q->opcode));
	jb_add(t, "nodeid", jb_u64(q->nodeid));
	jb_add(t, "unique", jb_u64(unique));
	jb_add(t, "len", json_object_new_int64((int64_t)in_len + q->data_len));
	jb_add(t, "vring", json_object_new_int((int)q->ring));
	if (!(vr = cmd_ring(ctx, q->ring)))
		return -ctx->err.code;
	if (!(req = malloc(in_len)))
		return vhu_errf(&ctx->err, ENOMEM, "out of memory");
	fuse_put_in_header(req, in_len + q->data_len, q->opcode, unique, q->nodeid, (uint32_t)getuid(),
			   (uint32_t)getgid(), (uint32_t)getpid());
	if (q->arg_len)
		memcpy(req + FUSE_IN_HEADER_LEN, q->arg, q->arg_len);
	segs[n] = (struct vring_seg){ .len = in_len };
	data[n++] = req;
	if (q->data_len) {
		segs[n] = (struct vring_seg){ .len = q->data_len };
		data[n++] = q->data;
	}
	if (q->reply)
		segs[n++] = (struct vring_seg){ .len = wlen, .write = true };
	old = vr->avail_idx;
	t0 = wire_now_ns();
	r = vring_post(vr, &s->mem, segs, data, n, false, &head, &ctx->err);
	free(req);
	if (r < 0)
		return r;
	if (vring_need_kick(vr, &s->mem, old) && (r = cmd_kick(ctx, vr)) < 0)
		return r;
	while ((r = cmd_wait_used(ctx, vr, fs->timeout, &u)) == 1 && u.id != head)
		cmd_other_used(ctx, vr, &u);
	if (r < 1)
		return r < 0 ? r : vhu_errf(&ctx->err, ETIMEDOUT, "%s: no used entry on ring %u", q->what, q->ring);
	fs->dead = false;
	jb_add(t, "rtt_us", jb_us(wire_now_ns() - t0));
	jb_add(t, "used_len", json_object_new_int64(u.len));
	if (q->reply) {
		const uint8_t *p = mem_gpa_ptr(&s->mem, segs[n - 1].gpa, wlen);

		/* Read once: the back-end can change guest memory under us. */
		q->copy = p ? malloc(wlen) : NULL;
		if (q->copy)
			memcpy(q->copy, p, wlen);
	}
	vring_release(vr, &s->mem, head);
	if (!q->reply) {
		if (u.len)
			jb_add(t, "anomaly", json_object_new_string("the used entry says bytes were written into a "
								    "request that has no device-writable buffer"));
		return 0;
	}
	if (!q->copy)
		return vhu_errf(&ctx->err, ENOMEM, "out of memory");
	if ((r = fuse_reply_check(q->copy, wlen, u.len, unique, &q->r, &ctx->err)) < 0) {
		jb_add(t, "reply_hex", jb_hexbytes(q->copy, u.len < wlen ? u.len : wlen));
		vhu_err_prefix(&ctx->err, "%s: malformed reply", q->what);
		return r;
	}
	jb_add(t, "out_header", fuse_out_header_json(&q->r));
	if (q->r.used_longer)
		jb_add(t, "anomaly", json_object_new_string("the used entry says more was written than fuse_out_header.len"));
	if (q->r.error) {
		fs->answered = true;
		return vhu_errf(&ctx->err, -q->r.error, "%s: the back-end answered %s (%d)", q->what,
				fuse_errno_name(-q->r.error), q->r.error);
	}
	return 0;
}

/* Q's reply body, or the error that it is short. */
static int body_parsed(struct fs *fs, struct fs_req *q, int r)
{
	if (r < 0)
		vhu_err_prefix(&fs->ctx->err, "%s: malformed reply", q->what);
	return r;
}

/* --- FUSE_INIT ------------------------------------------------------------- */

static void put_init_in(uint8_t *b, uint32_t minor, uint32_t max_readahead, uint64_t flags)
{
	fuse_put32(b, 7);
	fuse_put32(b + 4, minor);
	fuse_put32(b + 8, max_readahead);
	fuse_put32(b + 12, (uint32_t)flags);
	fuse_put32(b + 16, (uint32_t)(flags >> 32));	/* flags2 */
}

/* FUSE_INIT: 7.MINOR with FLAGS; what it settled goes into the session. */
static int fs_init(struct fs *fs, uint32_t minor, uint64_t flags, uint32_t max_readahead,
		   struct fuse_init_v *v)
{
	struct session *s = fs->ctx->s;
	uint8_t arg[64] = { 0 };
	struct fs_req q = { .opcode = 26, .arg = arg, .reply = true, .room = FUSE_INIT_OUT_LEN, .ring = FS_REQUEST,
			    .what = "INIT" };
	int r;

	memset(v, 0, sizeof(*v));
	/* fuse_init_in grew to 64 bytes with 7.36 (flags2, unused[11]). */
	q.arg_len = minor >= 36 ? 64 : 16;
	put_init_in(arg, minor, max_readahead, minor >= 36 ? flags : (uint32_t)flags);
	r = fs_call(fs, &q);
	if (r == 0)
		r = body_parsed(fs, &q, fuse_parse_init(q.r.body, q.r.body_len, v, &fs->ctx->err));
	if (r == 0 && v->major != 7)
		r = vhu_errf(&fs->ctx->err, EPROTO, "INIT: the back-end answered FUSE %u.%u; vhuctl speaks 7",
			     v->major, v->minor);
	/* virtiofsd takes an INIT on a session that has one as the start of a
	 * new one ("reinit"): one that fails leaves it with none. */
	s->fs.init = false;
	if (r == 0) {
		s->fs.init = true;
		s->fs.minor = v->minor < minor ? v->minor : minor;
		s->fs.flags = v->flags;
		s->fs.max_write = v->max_write;
		s->fs.max_pages = v->max_pages;
	}
	fs_req_free(&q);
	return r;
}

/* Start an fs command: its timeout, the connection, the trace, and
 * FUSE_INIT when this session has not sent one. */
static int fs_begin(struct fs *fs, struct cmd_ctx *ctx, bool init)
{
	struct fuse_init_v v;

	memset(fs, 0, sizeof(*fs));
	fs->ctx = ctx;
	fs->trace = json_object_new_array();
	jb_add(ctx->out, "requests", fs->trace);
	if (cmd_timeout_arg(ctx, &fs->timeout) < 0)
		return -ERANGE;
	if (cmd_need_conn(ctx) < 0)
		return -ENOTCONN;
	if (init && !ctx->s->fs.init)
		return fs_init(fs, FS_MINOR, FS_INIT_FLAGS, 0, &v);
	return 0;
}

/* FORGET every node the command looked up (one lookup each), on the
 * high-priority queue; not after a request got no used entry. */
/* BATCH_FORGET of the nodes READDIRPLUS answered, FS_BATCH at a time. */
static int forget_entries(struct fs *fs)
{
	uint8_t arg[8 + 16 * FS_BATCH];
	int r = 0;

	for (unsigned i = 0; i < fs->nentries && r == 0; i += FS_BATCH) {
		unsigned n = fs->nentries - i < FS_BATCH ? fs->nentries - i : FS_BATCH;
		struct fs_req q = { .opcode = 42, .arg = arg, .arg_len = 8 + 16 * n, .ring = FS_HIPRIO,
				    .what = "BATCH_FORGET" };

		fuse_put32(arg, n);	/* count */
		fuse_put32(arg + 4, 0);
		for (unsigned k = 0; k < n; k++) {
			fuse_put64(arg + 8 + 16 * k, fs->entries[i + k]);
			fuse_put64(arg + 16 + 16 * k, 1);	/* nlookup */
		}
		r = fs_call(fs, &q);
		fs_req_free(&q);
	}
	return r;
}

static int fs_end(struct fs *fs, int r)
{
	struct vhu_err keep = fs->ctx->err;
	int f;

	if (r < 0 && fs->dead) {
		free(fs->entries);
		return r;
	}
	if ((f = forget_entries(fs)) < 0 && r == 0)
		r = f;
	free(fs->entries);
	fs->entries = NULL;
	for (unsigned i = 0; f == 0 && i < fs->nnodes; i++) {
		uint8_t arg[8];
		struct fs_req q = { .opcode = 2, .nodeid = fs->nodes[i], .arg = arg, .arg_len = 8, .ring = FS_HIPRIO,
				    .what = "FORGET" };

		fuse_put64(arg, 1);	/* nlookup */
		f = fs_call(fs, &q);
		fs_req_free(&q);
		if (f < 0 && r == 0)
			r = f;
		if (f < 0)
			break;
	}
	if (r < 0 && keep.code)
		fs->ctx->err = keep;	/* the first failure is the one to tell */
	return r;
}

/* --- paths -------------------------------------------------------------------- */

/* LOOKUP NAME in PARENT: *E is the entry, its node kept for FORGET. */
static int fs_lookup(struct fs *fs, uint64_t parent, const char *name, struct fuse_entry_v *e)
{
	char what[300];
	struct fs_req q = { .opcode = 1, .nodeid = parent, .arg = (const uint8_t *)name,
			    .arg_len = (uint32_t)strlen(name) + 1, .reply = true, .room = FUSE_ENTRY_OUT_LEN,
			    .ring = FS_REQUEST, .what = what };
	int r;

	snprintf(what, sizeof(what), "LOOKUP '%.255s' in node %llu", name, (unsigned long long)parent);
	r = fs_call(fs, &q);
	if (r == 0)
		r = body_parsed(fs, &q, fuse_parse_entry(q.r.body, q.r.body_len, e, &fs->ctx->err));
	if (r == 0) {
		jb_add(q.entry, "name", fuse_name_json((const uint8_t *)name, (uint32_t)strlen(name)));
		if (e->nodeid && fs->nnodes < FS_DEPTH + 1)
			fs->nodes[fs->nnodes++] = e->nodeid;
		if (!e->nodeid) {	/* a negative entry: FUSE's way of caching ENOENT */
			fs->answered = true;
			r = vhu_errf(&fs->ctx->err, ENOENT, "%s: the back-end answered a negative entry (nodeid 0)", what);
		}
	}
	fs_req_free(&q);
	return r;
}

/* The components of PATH ("/a//b/" is a, b) into BUF, pointers in COMP. */
static int split_path(struct fs *fs, const char *path, unsigned tok, char *buf, size_t size,
		      char **comp, unsigned *n)
{
	struct cmd_ctx *ctx = fs->ctx;

	*n = 0;
	if (strlen(path) >= size)
		return ctx->bad_tok = (int)tok, vhu_errf(&ctx->err, ENAMETOOLONG, "path over %zu bytes", size - 1);
	strcpy(buf, path);
	for (char *save = NULL, *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (*n == FS_DEPTH)
			return ctx->bad_tok = (int)tok, vhu_errf(&ctx->err, ENAMETOOLONG, "path of over %u components",
								  FS_DEPTH);
		comp[(*n)++] = c;
	}
	return 0;
}

/* Walk the path argument from the root, a LOOKUP a component: *NODEID
 * (the root's when the path has none) and, when there was a LOOKUP, *E.
 * With LAST, the last component is left for the caller (*LAST, NULL for
 * the root). */
static int fs_walk(struct fs *fs, char *buf, size_t size, uint64_t *nodeid, struct fuse_entry_v *e,
		   bool *looked, const char **last)
{
	const struct arg_val *p = args_get(&fs->ctx->args, "path");
	const char *path = p->set ? p->str : "/";
	char *comp[FS_DEPTH];
	unsigned n;
	int r;

	if ((r = split_path(fs, path, p->tok, buf, size, comp, &n)) < 0)
		return r;
	jb_add(fs->ctx->out, "path", fuse_name_json((const uint8_t *)path, (uint32_t)strlen(path)));
	*nodeid = FUSE_ROOT_NODEID;
	*looked = false;
	if (last) {
		*last = n ? comp[n - 1] : NULL;
		n = n ? n - 1 : 0;
	}
	for (unsigned i = 0; i < n; i++) {
		if ((r = fs_lookup(fs, *nodeid, comp[i], e)) < 0)
			return r;
		*nodeid = e->nodeid;
		*looked = true;
	}
	return 0;
}

/* --- open, release ------------------------------------------------------------- */

/* OPEN or OPENDIR (OPCODE) of NODEID with FLAGS: *FH. */
static int fs_open(struct fs *fs, uint32_t opcode, uint64_t nodeid, uint32_t flags, uint64_t *fh)
{
	uint8_t arg[8] = { 0 };
	struct fs_req q = { .opcode = opcode, .nodeid = nodeid, .arg = arg, .arg_len = 8, .reply = true,
			    .room = FUSE_OPEN_OUT_LEN, .ring = FS_REQUEST, .what = op_name(opcode) };
	struct fuse_open_v o;
	int r;

	fuse_put32(arg, flags);
	r = fs_call(fs, &q);
	if (r == 0)
		r = body_parsed(fs, &q, fuse_parse_open(q.r.body, q.r.body_len, &o, &fs->ctx->err));
	if (r == 0) {
		*fh = o.fh;
		jb_add(fs->ctx->out, "fh", jb_u64(o.fh));
		jb_add(fs->ctx->out, "open_flags", render_mask(o.open_flags, fuse_open_flag_names));
	}
	fs_req_free(&q);
	return r;
}

/* RELEASE or RELEASEDIR of FH; a failure after R's is not the one told. */
static int fs_release(struct fs *fs, uint32_t opcode, uint64_t nodeid, uint64_t fh, uint32_t flags, int r)
{
	uint8_t arg[24] = { 0 };
	struct fs_req q = { .opcode = opcode, .nodeid = nodeid, .arg = arg, .arg_len = 24, .reply = true,
			    .ring = FS_REQUEST, .what = op_name(opcode) };
	struct vhu_err keep = fs->ctx->err;
	bool answered = fs->answered;
	int f;

	if (r < 0 && fs->dead)
		return r;	/* the ring failed: the next request would too */
	fuse_put64(arg, fh);
	fuse_put32(arg + 8, flags);
	f = fs_call(fs, &q);
	fs_req_free(&q);
	if (r < 0) {
		fs->ctx->err = keep;
		fs->answered = answered;
		return r;
	}
	return f;
}

/* fuse_read_in / fuse_write_in: fh, offset, size, (read|write)_flags,
 * lock_owner, flags. */
static void put_io_in(uint8_t *b, uint64_t fh, uint64_t off, uint32_t size, uint32_t flags)
{
	memset(b, 0, 40);
	fuse_put64(b, fh);
	fuse_put64(b + 8, off);
	fuse_put32(b + 16, size);
	fuse_put32(b + 32, flags);
}

/* --- the commands -------------------------------------------------------------- */

/* A FUSE_INIT flag's bit, by its name with or without FUSE_, for args_parse_mask. */
static int init_flag_bit(const char *name, void *ctx)
{
	(void)ctx;
	for (const struct render_bit *b = fuse_init_flag_names; b->name; b++)
		if (strcasecmp(b->name, name) == 0 || strcasecmp(b->name + 5, name) == 0)
			return (int)b->bit;
	return -1;
}

static int cmd_fs_init(struct cmd_ctx *ctx)
{
	const struct arg_val *fl = args_get(&ctx->args, "flags");
	uint32_t minor = (uint32_t)args_u(&ctx->args, "minor", FS_MINOR);
	uint32_t ra = (uint32_t)args_u(&ctx->args, "max_readahead", 0);
	uint64_t flags = FS_INIT_FLAGS;
	struct json_object *in = json_object_new_object(), *t;
	struct fuse_init_v v;
	struct fs fs;
	int r;

	if (fl->set) {
		const char *bad;
		unsigned bad_len;

		if (args_parse_mask(fl->str, init_flag_bit, NULL, &flags, &bad, &bad_len) < 0) {
			json_object_put(in);
			return ctx->bad_tok = (int)fl->tok,
			       vhu_errf(&ctx->err, EINVAL, "'%.*s' is not a FUSE_INIT flag (FUSE_ASYNC_READ, "
					"FUSE_MAX_PAGES, ..., or a mask)", (int)bad_len, bad);
		}
	}
	if (!fl->set && minor < 36)
		flags &= ~FS_INIT_EXT;	/* fuse_init_in has no flags2 before 7.36 */
	jb_add(in, "major", json_object_new_int(7));
	jb_add(in, "minor", json_object_new_int64(minor));
	jb_add(in, "max_readahead", json_object_new_int64(ra));
	jb_add(in, "flags", render_mask(minor >= 36 ? flags : (uint32_t)flags, fuse_init_flag_names));
	jb_add(ctx->out, "init_in", in);
	if ((r = fs_begin(&fs, ctx, false)) < 0)
		return r;
	r = fs_init(&fs, minor, flags, ra, &v);
	t = json_object_array_get_idx(fs.trace, 0);
	if (t && json_object_object_get_ex(t, "out_header", &t))
		jb_add(ctx->out, "out_header", json_object_get(t));
	if (r == 0 || v.len) {
		jb_add(ctx->out, "init_out", fuse_init_json(&v));
		jb_add(ctx->out, "negotiated_minor", json_object_new_int64(v.minor < minor ? v.minor : minor));
	}
	return r;
}

static int cmd_fs_stat(struct cmd_ctx *ctx)
{
	char buf[4096];
	uint8_t arg[16] = { 0 };
	struct fs_req q = { .opcode = 3, .arg = arg, .arg_len = 16, .reply = true, .room = FUSE_ATTR_OUT_LEN,
			    .ring = FS_REQUEST, .what = "GETATTR" };
	struct fuse_entry_v e;
	struct fuse_attr_v a;
	struct fs fs;
	bool looked;
	int r;

	if ((r = fs_begin(&fs, ctx, true)) < 0 || (r = fs_walk(&fs, buf, sizeof(buf), &q.nodeid, &e, &looked, NULL)) < 0)
		return fs_end(&fs, r);
	jb_add(ctx->out, "nodeid", jb_u64(q.nodeid));
	r = fs_call(&fs, &q);
	if (r == 0)
		r = body_parsed(&fs, &q, fuse_parse_attr_out(q.r.body, q.r.body_len, &a, &ctx->err));
	if (r == 0) {
		jb_add(ctx->out, "attr_valid", jb_u64(fuse_get64(q.r.body)));
		jb_add(ctx->out, "attr", fuse_attr_json(&a));
	}
	fs_req_free(&q);
	return fs_end(&fs, r);
}

/* READDIR from OFF: the entries go into ENTRIES; *NEXT is the last one's
 * off, *GOT how many came (0: the end). */
/* Keep node N, which a READDIRPLUS entry looked up, for BATCH_FORGET. */
static int keep_entry(struct fs *fs, uint64_t n)
{
	if (fs->nentries == fs->entries_cap) {
		unsigned cap = fs->entries_cap ? 2 * fs->entries_cap : 64;
		uint64_t *e = realloc(fs->entries, cap * sizeof(*e));

		if (!e)
			return vhu_errf(&fs->ctx->err, ENOMEM, "out of memory");
		fs->entries = e;
		fs->entries_cap = cap;
	}
	fs->entries[fs->nentries++] = n;
	return 0;
}

static int fs_readdir(struct fs *fs, uint64_t nodeid, uint64_t fh, uint64_t off, bool plus,
		      struct json_object *entries, uint64_t *next, unsigned *got)
{
	uint8_t arg[40];
	struct fs_req q = { .opcode = plus ? 44 : 28, .nodeid = nodeid, .arg = arg, .arg_len = 40, .reply = true,
			    .room = FS_DIR_BUF, .ring = FS_REQUEST, .what = plus ? "READDIRPLUS" : "READDIR" };
	struct fuse_dirent_v d;
	uint32_t pos = 0;
	int r;

	*got = 0;
	put_io_in(arg, fh, off, FS_DIR_BUF, O_RDONLY);
	if ((r = fs_call(fs, &q)) < 0) {
		fs_req_free(&q);
		return r;
	}
	jb_add(q.entry, "offset", jb_hex(off));
	while ((r = fuse_dirent_next(q.r.body, q.r.body_len, plus, &pos, &d, &fs->ctx->err)) == 1 &&
	       json_object_array_length(entries) < FS_LS_MAX) {
		/* "." and ".." come with nodeid 0: no lookup to forget */
		if (plus && d.entry.nodeid && (r = keep_entry(fs, d.entry.nodeid)) < 0)
			break;
		json_object_array_add(entries, fuse_dirent_json(&d));
		*next = d.off;
		(*got)++;
	}
	if (r < 0)
		jb_add(q.entry, "reply_hex", jb_hexbytes(q.copy, q.r.len));
	fs_req_free(&q);
	return body_parsed(fs, &q, r < 0 ? r : 0);
}

static int cmd_fs_ls(struct cmd_ctx *ctx)
{
	char buf[4096];
	struct json_object *entries = json_object_new_array();
	struct fuse_entry_v e;
	uint64_t nodeid, fh, off = 0;
	unsigned got = 0, calls = 0;
	struct fs fs;
	bool looked;
	int r;

	jb_add(ctx->out, "entries", entries);
	if ((r = fs_begin(&fs, ctx, true)) < 0 || (r = fs_walk(&fs, buf, sizeof(buf), &nodeid, &e, &looked, NULL)) < 0)
		return fs_end(&fs, r);
	jb_add(ctx->out, "nodeid", jb_u64(nodeid));
	if ((r = fs_open(&fs, 27, nodeid, O_RDONLY | O_DIRECTORY, &fh)) < 0)
		return fs_end(&fs, r);
	/* Until a READDIR comes back empty; an offset that does not move on
	 * would have us ask for the same entries for ever. */
	do {
		uint64_t from = off;

		r = fs_readdir(&fs, nodeid, fh, from, args_u(&ctx->args, "long", 0), entries, &off, &got);
		calls++;
		if (r == 0 && got && off == from)
			r = vhu_errf(&ctx->err, EPROTO, "READDIR at offset %llu: the last entry's off is %llu again, "
				     "so the next READDIR would ask for the same entries", (unsigned long long)from,
				     (unsigned long long)off);
	} while (r == 0 && got && json_object_array_length(entries) < FS_LS_MAX);
	if (r == 0 && got)
		jb_add(ctx->out, "truncated", json_object_new_boolean(true));
	jb_add(ctx->out, "count", json_object_new_int64((int64_t)json_object_array_length(entries)));
	jb_add(ctx->out, "readdirs", json_object_new_int((int)calls));
	r = fs_release(&fs, 29, nodeid, fh, O_RDONLY | O_DIRECTORY, r);
	return fs_end(&fs, r);
}

/* The most one READ asks for: what FUSE_INIT allowed (max_pages pages), or
 * the kernel's 32 pages when it did not say. */
static uint32_t read_max(const struct session *s)
{
	uint32_t m = (s->fs.flags & FS_MAX_PAGES) && s->fs.max_pages ? s->fs.max_pages * FS_PAGE : FS_READ_DEFAULT;

	return m > MEM_IO_MAX ? MEM_IO_MAX : m;
}

/* READs from OFF until SIZE bytes or the end of the file (a READ of no
 * bytes); the bytes go to *BUF, *LEN of them. */
static int fs_read(struct fs *fs, uint64_t nodeid, uint64_t fh, uint64_t off, uint32_t size, uint8_t *buf,
		   uint32_t *len, bool *eof)
{
	uint32_t chunk = read_max(fs->ctx->s);
	unsigned calls = 0;
	int r = 0;

	*len = 0;
	*eof = false;
	while (*len < size) {
		uint8_t arg[40];
		uint32_t want = size - *len < chunk ? size - *len : chunk;
		struct fs_req q = { .opcode = 15, .nodeid = nodeid, .arg = arg, .arg_len = 40, .reply = true,
				    .room = want, .ring = FS_REQUEST, .what = "READ" };

		put_io_in(arg, fh, off + *len, want, O_RDONLY);
		r = fs_call(fs, &q);
		calls++;
		if (r == 0 && q.r.body_len > want)
			r = vhu_errf(&fs->ctx->err, EPROTO, "READ of %u bytes: the back-end answered %u", want,
				     q.r.body_len);
		if (r == 0) {
			memcpy(buf + *len, q.r.body, q.r.body_len);
			*len += q.r.body_len;
			*eof = q.r.body_len == 0;
		}
		fs_req_free(&q);
		if (r < 0 || *eof)
			break;
	}
	jb_add(fs->ctx->out, "reads", json_object_new_int((int)calls));
	return r;
}

static int cmd_fs_cat(struct cmd_ctx *ctx)
{
	const struct arg_val *sz = args_get(&ctx->args, "size");
	uint64_t off = args_u(&ctx->args, "offset", 0), nodeid, fh;
	uint32_t size = sz->set ? (uint32_t)sz->u : MEM_IO_MAX, len = 0;
	char buf[4096];
	struct fuse_entry_v e;
	uint8_t *data;
	struct fs fs;
	bool looked, eof;
	int r;

	if (sz->set && sz->u == 0)
		return ctx->bad_tok = (int)sz->tok, vhu_errf(&ctx->err, ERANGE, "size is 1..%u bytes", MEM_IO_MAX);
	if ((r = fs_begin(&fs, ctx, true)) < 0 || (r = fs_walk(&fs, buf, sizeof(buf), &nodeid, &e, &looked, NULL)) < 0)
		return fs_end(&fs, r);
	jb_add(ctx->out, "nodeid", jb_u64(nodeid));
	jb_add(ctx->out, "offset", jb_u64(off));
	if ((r = fs_open(&fs, 14, nodeid, O_RDONLY, &fh)) < 0)
		return fs_end(&fs, r);
	if (!(data = malloc(size)))
		r = vhu_errf(&ctx->err, ENOMEM, "out of memory");
	else if ((r = fs_read(&fs, nodeid, fh, off, size, data, &len, &eof)) == 0) {
		jb_add(ctx->out, "data", cmd_data_json(data, len));
		jb_add(ctx->out, "eof", json_object_new_boolean(eof));
	}
	free(data);
	r = fs_release(&fs, 18, nodeid, fh, O_RDONLY, r);
	return fs_end(&fs, r);
}

/* CREATE NAME in PARENT (mode 0644, write-only): the node and its fh. */
static int fs_create(struct fs *fs, uint64_t parent, const char *name, uint64_t *nodeid, uint64_t *fh)
{
	size_t nl = strlen(name) + 1;
	uint8_t arg[16 + 256];
	char what[300];
	struct fs_req q = { .opcode = 35, .nodeid = parent, .arg = arg, .arg_len = (uint32_t)(16 + nl), .reply = true,
			    .room = FUSE_ENTRY_OUT_LEN + FUSE_OPEN_OUT_LEN, .ring = FS_REQUEST, .what = what };
	struct fuse_entry_v e;
	struct fuse_open_v o;
	int r;

	snprintf(what, sizeof(what), "CREATE '%.255s' in node %llu", name, (unsigned long long)parent);
	if (nl > 256)
		return vhu_errf(&fs->ctx->err, ENAMETOOLONG, "%s: a name is at most 255 bytes", what);
	memset(arg, 0, 16);
	fuse_put32(arg, O_WRONLY | O_CREAT | O_EXCL);	/* flags */
	fuse_put32(arg + 4, 0100644);			/* mode: S_IFREG | 0644 */
	memcpy(arg + 16, name, nl);			/* umask 0, open_flags 0 */
	r = fs_call(fs, &q);
	if (r == 0 && (r = fuse_parse_entry(q.r.body, q.r.body_len, &e, &fs->ctx->err)) == 0)
		r = fuse_parse_open(q.r.body + FUSE_ENTRY_OUT_LEN, q.r.body_len - FUSE_ENTRY_OUT_LEN, &o, &fs->ctx->err);
	r = body_parsed(fs, &q, r);
	if (r == 0) {
		jb_add(q.entry, "name", fuse_name_json((const uint8_t *)name, (uint32_t)strlen(name)));
		if (e.nodeid && fs->nnodes < FS_DEPTH + 1)
			fs->nodes[fs->nnodes++] = e.nodeid;
		*nodeid = e.nodeid;
		*fh = o.fh;
		jb_add(fs->ctx->out, "fh", jb_u64(o.fh));
		jb_add(fs->ctx->out, "open_flags", render_mask(o.open_flags, fuse_open_flag_names));
	}
	fs_req_free(&q);
	return r;
}

/* WRITEs of DATA at OFF, in pieces of at most max_write; *DONE bytes. */
static int fs_write(struct fs *fs, uint64_t nodeid, uint64_t fh, uint64_t off, const uint8_t *data, uint32_t len,
		    uint32_t *done)
{
	uint32_t chunk = fs->ctx->s->fs.max_write ? fs->ctx->s->fs.max_write : FS_PAGE;
	unsigned calls = 0;
	int r = 0;

	*done = 0;
	while (*done < len) {
		uint8_t arg[40];
		uint32_t want = len - *done < chunk ? len - *done : chunk, got = 0;
		struct fs_req q = { .opcode = 16, .nodeid = nodeid, .arg = arg, .arg_len = 40, .data = data + *done,
				    .data_len = want, .reply = true, .room = FUSE_WRITE_OUT_LEN, .ring = FS_REQUEST,
				    .what = "WRITE" };

		put_io_in(arg, fh, off + *done, want, O_WRONLY);
		r = fs_call(fs, &q);
		calls++;
		if (r == 0)
			r = body_parsed(fs, &q, fuse_parse_write(q.r.body, q.r.body_len, &got, &fs->ctx->err));
		if (r == 0 && (got > want || got == 0))
			r = vhu_errf(&fs->ctx->err, got ? EPROTO : EIO, "WRITE of %u bytes: the back-end answered %u "
				     "written", want, got);
		if (r == 0)
			*done += got;
		fs_req_free(&q);
		if (r < 0)
			break;
	}
	jb_add(fs->ctx->out, "writes", json_object_new_int((int)calls));
	return r;
}

static int cmd_fs_write(struct cmd_ctx *ctx)
{
	const struct arg_val *d = args_get(&ctx->args, "data");
	uint64_t off = args_u(&ctx->args, "offset", 0), parent, nodeid, fh = 0;
	char buf[4096];
	const char *last;
	struct fuse_entry_v e = { 0 };
	uint32_t len, done = 0;
	uint8_t *bytes;
	bool looked, created = false;
	struct fs fs;
	int r;

	if ((r = cmd_load_bytes(ctx, d->str, d->tok, &bytes, &len)) < 0)
		return r;
	if ((r = fs_begin(&fs, ctx, true)) < 0 || (r = fs_walk(&fs, buf, sizeof(buf), &parent, &e, &looked, &last)) < 0)
		goto out;
	if (!last) {
		r = vhu_errf(&ctx->err, EISDIR, "the path is the root directory: name a file");
		goto out;
	}
	/* The file, or a new one where there is none. */
	r = fs_lookup(&fs, parent, last, &e);
	nodeid = e.nodeid;
	if (r == -ENOENT && fs.answered) {
		vhu_err_clear(&ctx->err);
		r = fs_create(&fs, parent, last, &nodeid, &fh);
		created = r == 0;
	} else if (r == 0) {
		r = fs_open(&fs, 14, nodeid, O_WRONLY, &fh);
	}
	if (r < 0)
		goto out;
	jb_add(ctx->out, "nodeid", jb_u64(nodeid));
	jb_add(ctx->out, "created", json_object_new_boolean(created));
	jb_add(ctx->out, "offset", jb_u64(off));
	r = fs_write(&fs, nodeid, fh, off, bytes, len, &done);
	jb_add(ctx->out, "bytes", json_object_new_int64(done));
	r = fs_release(&fs, 18, nodeid, fh, O_WRONLY, r);
out:
	free(bytes);
	return fs_end(&fs, r);
}

/* --- fs raw ---------------------------------------------------------------------- */

static int cmd_fs_raw(struct cmd_ctx *ctx)
{
	const struct arg_val *pl = args_get(&ctx->args, "payload"), *room = args_get(&ctx->args, "reply"),
			     *ring = args_get(&ctx->args, "vring");
	const struct fuse_opcode_def *d;
	struct fs_req q = { .nodeid = args_u(&ctx->args, "nodeid", 0), .what = "the request" };
	enum fuse_reply_kind kind;
	struct json_object *t, *dec;
	struct vhu_err de;
	char what[32];
	struct fs fs;
	int r;

	q.opcode = (uint32_t)args_u(&ctx->args, "opcode", 0);
	d = fuse_opcode(q.opcode);
	kind = d ? d->reply : FUSE_R_OTHER;
	if (d)
		snprintf(what, sizeof(what), "%s", d->name);
	else
		snprintf(what, sizeof(what), "opcode %u", q.opcode);
	q.what = what;
	q.arg = pl->set ? pl->bytes : NULL;
	q.arg_len = pl->set ? pl->nbytes : 0;
	/* Requests that have no reply go without a device-writable buffer,
	 * on the high-priority queue, as Linux sends them; unless told. */
	q.reply = room->set || kind != FUSE_R_NONE;
	q.room = room->set ? (uint32_t)room->u : FS_ROOM;
	q.ring = ring->set ? (unsigned)ring->u : kind == FUSE_R_NONE ? FS_HIPRIO : FS_REQUEST;
	if ((r = fs_begin(&fs, ctx, false)) < 0)
		return r;
	r = fs_call(&fs, &q);
	t = q.entry;
	if (t && json_object_object_get_ex(t, "out_header", &t))
		jb_add(ctx->out, "out_header", json_object_get(t));
	if (r == 0 && q.reply) {
		jb_add(ctx->out, "body_hex", jb_hexbytes(q.r.body, q.r.body_len));
		if (fuse_body_json(kind, q.r.body, q.r.body_len, &dec, &de) < 0)
			jb_add(ctx->out, "decode_error", json_object_new_string(de.msg));
		else if (dec)
			jb_add(ctx->out, "decoded", dec);
	}
	/* An INIT that worked is this session's FUSE session, whoever sent it;
	 * one the back-end refused leaves none (see fs_init). */
	if (q.opcode == 26 && fs.answered)
		ctx->s->fs.init = false;
	if (r == 0 && q.opcode == 26 && json_object_object_get_ex(ctx->out, "decoded", &dec)) {
		struct fuse_init_v v;

		if (fuse_parse_init(q.r.body, q.r.body_len, &v, NULL) == 0 && v.major == 7) {
			ctx->s->fs = (struct fs_state){ .init = true, .minor = v.minor, .flags = v.flags,
							.max_write = v.max_write, .max_pages = v.max_pages,
							.unique = ctx->s->fs.unique };
		}
	}
	fs_req_free(&q);
	return r;
}

/* --- table ------------------------------------------------------------------------- */

#define PATH_ARG(req) { .name = "path", .type = ARG_STRING, .required = req, .literal = true, \
			.help = "path in the shared directory, from its root (/a/b)" }

static const struct arg_spec init_args[] = {
	{ .name = "minor", .type = ARG_U32, .key_only = true, .help = "FUSE minor version to offer (default 36)" },
	{ .name = "flags", .type = ARG_STRING, .key_only = true,
	  .help = "FUSE_INIT flags: names (FUSE_MAX_PAGES,...) or a mask (default FUSE_MAX_PAGES,FUSE_INIT_EXT)" },
	{ .name = "max_readahead", .type = ARG_U32, .key_only = true, .help = "bytes (default 0: vhuctl reads no more than asked)" },
	TIMEOUT_ARG,
};
static const struct arg_spec stat_args[] = { PATH_ARG(true), TIMEOUT_ARG };
static const struct arg_spec ls_args[] = {
	PATH_ARG(false),
	{ .name = "long", .type = ARG_FLAG, .help = "READDIRPLUS: each entry with its attributes" },
	TIMEOUT_ARG,
};
static const struct arg_spec cat_args[] = {
	PATH_ARG(true),
	{ .name = "offset", .type = ARG_U64, .key_only = true, .help = "first byte (default 0)" },
	{ .name = "size", .type = ARG_U32, .key_only = true, .max = MEM_IO_MAX,
	  .help = "bytes at most (default and most: 1 MiB; fewer at the end of the file)" },
	TIMEOUT_ARG,
};
static const struct arg_spec write_args[] = {
	PATH_ARG(true),
	{ .name = "data", .type = ARG_STRING, .required = true, .help = "hex bytes or @FILE" },
	{ .name = "offset", .type = ARG_U64, .key_only = true, .help = "first byte (default 0)" },
	TIMEOUT_ARG,
};
/* The opcodes by name, from the one table (src/core/fuse.c), when the
 * table of commands is built. */
static struct arg_enum opcode_names[64];

static const struct arg_spec raw_args[] = {
	{ .name = "opcode", .type = ARG_ENUM, .required = true, .max = UINT32_MAX, .enums = opcode_names,
	  .help = "FUSE opcode: its name in fuse.h without FUSE_ (LOOKUP), or a number" },
	{ .name = "payload", .type = ARG_HEX, .help = "the bytes after fuse_in_header, hex" },
	{ .name = "nodeid", .type = ARG_U64, .key_only = true, .help = "fuse_in_header.nodeid (default 0)" },
	{ .name = "reply", .type = ARG_U32, .key_only = true, .max = MEM_IO_MAX,
	  .help = "bytes for the reply after fuse_out_header (default 4096; none for FORGET and the like)" },
	{ .name = "vring", .type = ARG_U32, .key_only = true, .max = SESSION_RINGS - 1,
	  .help = "ring (default 1, the request queue; 0, hiprio, for FORGET and the like)" },
	TIMEOUT_ARG,
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct cmd_def defs[] = {
	{ "fs init", GROUP_RINGS, init_args, N(init_args), "FUSE_INIT on the request queue: the FUSE session",
	  "Offers FUSE 7.36 (virtiofsd takes 7.31 and up) with FUSE_MAX_PAGES and\n"
	  "FUSE_INIT_EXT unless flags= says otherwise; the reply's fuse_out_header and\n"
	  "fuse_init_out are decoded. The other fs commands send it themselves when the\n"
	  "session has not. Each fs command FORGETs the nodes it looked up: vhuctl keeps\n"
	  "no node cache. An INIT on a session that has one starts it anew (virtiofsd:\n"
	  "\"reinit\"); one the back-end refuses leaves none, and the next fs command sends\n"
	  "INIT again. virtiofsd serves one front-end connection and then exits.",
	  "fs init", "virtio-fs (virtio spec 5.11); FUSE: Linux include/uapi/linux/fuse.h", cmd_fs_init, NULL,
	  cmd_timeout_budget, NULL },
	{ "fs stat", GROUP_RINGS, stat_args, N(stat_args), "a file's attributes (LOOKUP each component, GETATTR)",
	  NULL, "fs stat /hello.txt", NULL, cmd_fs_stat, NULL, cmd_timeout_budget, NULL },
	{ "fs ls", GROUP_RINGS, ls_args, N(ls_args), "a directory's entries (OPENDIR, READDIR, RELEASEDIR)",
	  "READDIRs until one comes back empty (at most 65536 entries). With long,\n"
	  "READDIRPLUS: each entry with its fuse_entry_out (nodeid 0 for . and ..), the\n"
	  "nodes it looked up forgotten with BATCH_FORGET.",
	  "fs ls / long", NULL, cmd_fs_ls, NULL,
	  cmd_timeout_budget, NULL },
	{ "fs cat", GROUP_RINGS, cat_args, N(cat_args), "read a file (OPEN, READ, RELEASE)",
	  "The bytes as hex and text, as blk read shows sectors; eof says whether the end\n"
	  "of the file was reached.",
	  "fs cat /hello.txt offset=6 size=5", NULL, cmd_fs_cat, NULL, cmd_timeout_budget, NULL },
	{ "fs write", GROUP_RINGS, write_args, N(write_args), "write a file, created when missing (CREATE or OPEN, WRITE, RELEASE)",
	  "A missing file is created (mode 0644, owned by vhuctl's uid and gid as the\n"
	  "back-end applies them); an existing one is written at offset= and not\n"
	  "truncated.",
	  "fs write /new.txt 68656c6c6f0a", NULL, cmd_fs_write, NULL, cmd_timeout_budget, NULL },
	{ "fs raw", GROUP_RINGS, raw_args, N(raw_args), "send any FUSE request; the reply's header decoded, the rest as hex",
	  "The opcode by name or number (LOOKUP 1, FORGET 2, GETATTR 3, ... TMPFILE 51).\n"
	  "Sends what it is given and nothing before it: FUSE_INIT is fs init's, or\n"
	  "yours. A reply of a known shape is decoded too.",
	  "fs raw LOOKUP 68656c6c6f2e74787400 nodeid=1", NULL, cmd_fs_raw, NULL, cmd_timeout_budget, NULL },
};

const struct cmd_def *cmd_fs_defs(unsigned *n)
{
	unsigned no;
	const struct fuse_opcode_def *op = fuse_opcodes(&no);

	for (unsigned i = 0; i < no && i + 1 < N(opcode_names); i++)
		opcode_names[i] = (struct arg_enum){ op[i].name, op[i].opcode };
	*n = N(defs);
	return defs;
}
