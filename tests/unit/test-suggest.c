/* test-suggest.c - unit tests for "did you mean": the distance, the limit, the hint. */
#include <string.h>

#include "core/suggest.h"
#include "../tap.h"

static unsigned dist(const char *a, const char *b)
{
	return suggest_distance(a, strlen(a), b, strlen(b));
}

/* The suggestion for WORD among the NULL-terminated NAMES. */
static const char *best(const char *word, const char *const *names)
{
	static struct suggest sg;

	suggest_init(&sg, word, strlen(word));
	for (; *names; names++)
		suggest_add(&sg, NULL, *names);
	return suggest_best(&sg);
}

static void test_distance(void)
{
	tap_is_int(dist("read", "read"), 0, "same word: 0");
	tap_is_int(dist("reed", "read"), 1, "one substitution");
	tap_is_int(dist("raed", "read"), 1, "two neighbours swapped: one edit");
	tap_is_int(dist("get-feature", "get-features"), 1, "one insertion");
	tap_is_int(dist("GET_FEATURES", "get-features"), 0, "case and _ against - do not count");
	tap_is_int(dist("clear", "sleep"), 3, "clear is 3 edits from sleep");
	tap_is_int(dist("", "abc"), 3, "from nothing: one insertion a letter");
	tap_is_int(dist("abc", ""), 3, "to nothing: one deletion a letter");
	tap_ok(dist("a", "0123456789012345678901234567890123456789012345678901234567890123456789") > 60,
	       "a name over the limit is far");
}

static void test_best(void)
{
	static const char *const blk[] = { "read", "write", "flush", "id", NULL };
	static const char *const cmds[] = { "ack", "sleep", "status", "quit", "exit", "help", NULL };
	static const char *const vring[] = { "setup", "post", "kick", "wait", "used", "dump", NULL };
	static const char *const pre[] = { "get-features", "get-vring-base", "set-vring-num",
					   "set-vring-addr", NULL };

	tap_is_str(best("reed", blk), "read", "reed: read");
	tap_is_str(best("wirte", blk), "write", "wirte: write");
	tap_is_str(best("clear", cmds), NULL, "clear: nothing (sleep is 3 edits, the limit 1)");
	tap_is_str(best("blk", cmds), NULL, "blk: not ack (2 edits, the limit 1)");
	tap_is_str(best("stauts", cmds), "status", "stauts: status (a swap)");
	tap_is_str(best("hlep", cmds), "help", "hlep: help");
	tap_is_str(best("qiut", cmds), "quit", "qiut: quit");
	tap_is_str(best("stup", vring), "setup", "stup: setup");
	tap_is_str(best("get-vring", pre), "get-vring-base", "the only name the word starts: get-vring-base");
	tap_is_str(best("set-vring", pre), NULL, "a start shared by two names suggests neither");
	tap_is_str(best("ge", pre), NULL, "two letters are no start to go by");
	tap_is_str(best("", cmds), NULL, "nothing typed: nothing suggested");
	/* The distance is cut off at the best so far: the order of the names
	 * must not change which one wins. */
	static const char *const near_last[] = { "get-vring-nu", "set-vring-num", NULL };
	static const char *const near_first[] = { "set-vring-num", "get-vring-nu", NULL };
	tap_is_str(best("set-vring-nmu", near_last), "set-vring-num", "the closer name wins when it comes last");
	tap_is_str(best("set-vring-nmu", near_first), "set-vring-num", "the closer name wins when it comes first");
}

static void test_hint(void)
{
	struct suggest sg;
	char buf[400];

	suggest_init(&sg, "heder-flags", 11);
	suggest_add(&sg, NULL, "header-flags");
	suggest_add(&sg, NULL, "need-reply");
	suggest_add(&sg, NULL, "sync");
	tap_is_str(suggest_hint(&sg, NULL, NULL, buf, sizeof(buf)), " (did you mean 'header-flags'?)",
		   "hint: the suggestion");
	tap_is_str(suggest_hint(&sg, "arguments", NULL, buf, sizeof(buf)),
		   " (did you mean 'header-flags'? arguments: header-flags, need-reply, sync)",
		   "hint: the suggestion and the list");
	suggest_init(&sg, "zzz", 3);
	suggest_add(&sg, NULL, "on");
	suggest_add(&sg, "OFF", "off");
	suggest_add(&sg, "O", "off");
	tap_is_str(suggest_hint(&sg, NULL, NULL, buf, sizeof(buf)), "", "hint: nothing to say");
	tap_is_str(suggest_hint(&sg, "one of", ", or a number", buf, sizeof(buf)),
		   " (one of: on, off, or a number)", "hint: the list alone, a name with two keys once");
	suggest_init(&sg, "x", 1);
	for (unsigned i = 0; i < 100; i++)
		suggest_add(&sg, NULL, i % 2 ? "abcdefghij" : "klmnopqrst");
	tap_ok(strlen(sg.list) < sizeof(sg.list) && strstr(sg.list, "...") != NULL,
	       "a long list is cut, with ...");
}

int main(void)
{
	test_distance();
	test_best();
	test_hint();
	return tap_done();
}
