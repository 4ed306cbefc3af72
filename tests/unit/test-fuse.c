/* test-fuse.c - unit tests for the FUSE reply decoders, fed what a back-end should not send. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "core/fuse.h"
#include "../tap.h"

static void out_header(uint8_t *b, uint32_t len, int32_t error, uint64_t unique)
{
	fuse_put32(b, len);
	fuse_put32(b + 4, (uint32_t)error);
	fuse_put64(b + 8, unique);
}

/* fuse_reply_check on an exact copy of BUF_LEN bytes. */
static int check(const uint8_t *buf, uint32_t buf_len, uint32_t used, uint64_t unique, struct fuse_reply *r,
		 struct vhu_err *e)
{
	uint8_t *c = tap_exact(buf, buf_len);
	int rc = fuse_reply_check(c, buf_len, used, unique, r, e);

	free(c);
	return rc;
}

static void test_header(void)
{
	uint8_t b[64] = { 0 };
	struct fuse_reply r;
	struct vhu_err e = { 0 };

	out_header(b, 24, 0, 6);
	tap_is_int(check(b, 64, 24, 6, &r, &e), 0, "a good reply checks");
	tap_is_int(r.body_len, 8, "its body is len - 16");
	tap_ok(!r.used_longer, "used = len: nothing odd");
	tap_is_int(check(b, 64, 40, 6, &r, &e), 0, "used longer than len: still checks");
	tap_ok(r.used_longer, "and says so");

	tap_is_int(check(b, 8, 8, 6, &r, &e), -EBADMSG, "a reply shorter than fuse_out_header: EBADMSG");
	tap_ok(strstr(e.msg, "shorter than fuse_out_header") != NULL, "the message says so: %s", e.msg);
	tap_is_int(check(b, 64, 10, 6, &r, &e), -EBADMSG, "a used length shorter than the header: EBADMSG");
	tap_is_int(check(b, 64, 65, 6, &r, &e), -EBADMSG, "a used length past the buffer: EBADMSG");

	out_header(b, 48, 0, 6);
	tap_is_int(check(b, 64, 24, 6, &r, &e), -EBADMSG, "len past what the used entry says: EBADMSG");
	tap_ok(strstr(e.msg, "48") && strstr(e.msg, "24"), "the message has both: %s", e.msg);
	out_header(b, 100, 0, 6);
	tap_is_int(check(b, 64, 64, 6, &r, &e), -EBADMSG, "len larger than the buffer: EBADMSG");
	out_header(b, 8, 0, 6);
	tap_is_int(check(b, 64, 16, 6, &r, &e), -EBADMSG, "len shorter than the header: EBADMSG");

	out_header(b, 16, 0, 7);
	tap_is_int(check(b, 64, 16, 6, &r, &e), -EPROTO, "a unique that is not the request's: EPROTO");
	tap_ok(strstr(e.msg, "7") && strstr(e.msg, "6"), "the message has both: %s", e.msg);

	out_header(b, 16, -2, 6);
	tap_is_int(check(b, 64, 16, 6, &r, &e), 0, "an error reply of the header alone checks");
	tap_is_int(r.error, -2, "its error");
	tap_is_str(fuse_errno_name(-r.error), "ENOENT", "named");
	out_header(b, 16, 5, 6);
	tap_is_int(check(b, 64, 16, 6, &r, &e), -EPROTO, "a positive error: EPROTO");
	out_header(b, 16, -4096, 6);
	tap_is_int(check(b, 64, 16, 6, &r, &e), -EPROTO, "an error below -4095: EPROTO");
	out_header(b, 16, -4095, 6);
	tap_is_int(check(b, 64, 16, 6, &r, &e), 0, "-4095 is still an errno");
	out_header(b, 24, -2, 6);
	tap_is_int(check(b, 64, 24, 6, &r, &e), -EBADMSG, "an error reply with a body: EBADMSG");
}

/* A dirent at P: ino, off, namelen, type, name; its padded size. */
static uint32_t dirent(uint8_t *p, uint64_t ino, uint64_t off, uint32_t namelen, uint32_t type, const char *name)
{
	fuse_put64(p, ino);
	fuse_put64(p + 8, off);
	fuse_put32(p + 16, namelen);
	fuse_put32(p + 20, type);
	memcpy(p + 24, name, strlen(name));
	return (24 + (uint32_t)strlen(name) + 7) & ~7u;
}

/* The entries of a READDIR body of LEN bytes (an exact copy): how many
 * decoded, the result of the last call. */
static int walk(const uint8_t *b, uint32_t len, unsigned *n, struct vhu_err *e)
{
	uint8_t *c = tap_exact(b, len);
	struct fuse_dirent_v d;
	uint32_t pos = 0;
	int r;

	*n = 0;
	while ((r = fuse_dirent_next(c, len, false, &pos, &d, e)) == 1)
		(*n)++;
	free(c);
	return r;
}

static void test_dirents(void)
{
	uint8_t b[256] = { 0 };
	struct vhu_err e = { 0 };
	uint32_t len;
	unsigned n;

	len = dirent(b, 10, 1, 1, 4, ".");
	len += dirent(b + len, 11, 2, 9, 8, "hello.txt");
	tap_is_int(walk(b, len, &n, &e), 0, "two good entries decode");
	tap_is_int(n, 2, "both");
	tap_is_int(walk(b, len - 7, &n, &e), 0, "the last one's padding may be cut");
	tap_is_int(n, 2, "still both");
	tap_is_int(walk(b, len - 8, &n, &e), -EBADMSG, "a name cut short: EBADMSG");
	tap_is_int(n, 1, "after the first");

	len = dirent(b, 10, 1, 200, 8, "short");
	tap_is_int(walk(b, len, &n, &e), -EBADMSG, "namelen past the end of the reply: EBADMSG");
	tap_ok(strstr(e.msg, "200") != NULL, "the message has the namelen: %s", e.msg);
	len = dirent(b, 10, 1, 0xffffffffu, 8, "x");
	tap_is_int(walk(b, len, &n, &e), -EBADMSG, "namelen 2^32-1: EBADMSG, no wrap");
	len = dirent(b, 10, 1, 0, 8, "");
	tap_is_int(walk(b, len, &n, &e), -EBADMSG, "namelen 0: EBADMSG");
	tap_is_int(walk(b, 20, &n, &e), -EBADMSG, "a head cut short: EBADMSG");
	tap_is_int(walk(b, 0, &n, &e), 0, "an empty reply: the end");
	tap_is_int(n, 0, "no entries");
}

static void test_bodies(void)
{
	uint8_t b[200] = { 0 };
	struct fuse_entry_v en;
	struct fuse_init_v in;
	struct vhu_err e = { 0 };
	struct json_object *o;
	uint8_t *c;

	c = tap_exact(b, FUSE_ENTRY_OUT_LEN - 1);
	tap_is_int(fuse_parse_entry(c, FUSE_ENTRY_OUT_LEN - 1, &en, &e), -EBADMSG, "a short fuse_entry_out: EBADMSG");
	free(c);
	c = tap_exact(b, 23);
	tap_is_int(fuse_parse_init(c, 23, &in, &e), -EBADMSG, "fuse_init_out shorter than 24 bytes: EBADMSG");
	free(c);
	/* 7.22's 24 bytes: no time_gran, max_pages, flags2 */
	fuse_put32(b, 7);
	fuse_put32(b + 4, 22);
	fuse_put32(b + 12, 1u << 30);	/* FUSE_INIT_EXT, yet no flags2 sent */
	fuse_put32(b + 20, 4096);
	c = tap_exact(b, 24);
	tap_is_int(fuse_parse_init(c, 24, &in, &e), 0, "a 24-byte fuse_init_out decodes");
	free(c);
	tap_is_int(in.max_write, 4096, "max_write");
	tap_ok(in.flags == (1u << 30), "flags2 not read past the reply");
	o = fuse_init_json(&in);
	tap_ok(!json_object_object_get_ex(o, "max_pages", NULL), "what was not sent is not shown");
	json_object_put(o);
	c = tap_exact(b, FUSE_ENTRY_OUT_LEN + 3);
	tap_is_int(fuse_body_json(FUSE_R_CREATE, c, FUSE_ENTRY_OUT_LEN + 3, &o, &e), -EBADMSG,
		   "CREATE's reply with a short fuse_open_out: EBADMSG");
	free(c);
	c = tap_exact(b, 7);
	tap_is_int(fuse_body_json(FUSE_R_WRITE, c, 7, &o, &e), -EBADMSG, "a short fuse_write_out: EBADMSG");
	free(c);
}

static void test_names(void)
{
	struct json_object *o;

	o = fuse_name_json((const uint8_t *)"caf\xc3\xa9", 5);
	tap_is_str(json_object_get_string(o), "caf\xc3\xa9", "UTF-8 stays");
	json_object_put(o);
	o = fuse_name_json((const uint8_t *)"a\x01\xff\\\xc3", 5);
	tap_is_str(json_object_get_string(o), "a\\x01\\xff\\\\\\xc3", "other bytes and a backslash escaped");
	json_object_put(o);
	o = fuse_name_json((const uint8_t *)"\xed\xa0\x80\xc2\x85", 5);
	tap_is_str(json_object_get_string(o), "\\xed\\xa0\\x80\\xc2\\x85", "a surrogate and a C1 control escaped");
	json_object_put(o);
	tap_is_str(fuse_mode_type(0120777), "symlink", "mode type");
	tap_is_str(fuse_dirent_type(4), "directory", "DT_DIR");
	tap_is_str(fuse_dirent_type(99), "unknown", "a type past DT_*");
}

int main(void)
{
	test_header();
	test_dirents();
	test_bodies();
	test_names();
	return tap_done();
}
