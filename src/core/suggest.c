/* suggest.c - "did you mean": the closest of the names a mistyped word could have meant. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/suggest.h"

#define FAR 0xffffu

static char fold(char c)
{
	return c == '_' ? '-' : (char)tolower((unsigned char)c);
}

/* The distance between A and B, or a number above MAX as soon as it is
 * known to be more than MAX: no cell of a row below MAX means no path. */
static unsigned distance_max(const char *a, size_t la, const char *b, size_t lb, unsigned max)
{
	/* Three rows of the optimal-string-alignment table: the one before
	 * the previous is what a swap of two neighbours looks back to. */
	unsigned rows[3][SUGGEST_WORD_MAX + 1];
	unsigned *pp = rows[0], *p = rows[1], *r = rows[2];
	char fb[SUGGEST_WORD_MAX];

	if (la > SUGGEST_WORD_MAX || lb > SUGGEST_WORD_MAX)
		return FAR;
	if ((la > lb ? la - lb : lb - la) > max)
		return max + 1;
	for (size_t j = 0; j < lb; j++)
		fb[j] = fold(b[j]);
	for (size_t j = 0; j <= lb; j++)
		p[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		char ca = fold(a[i - 1]), pa = i > 1 ? fold(a[i - 2]) : 0;
		unsigned low, *t;

		low = r[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			char cb = fb[j - 1];
			unsigned d = p[j - 1] + (ca != cb);

			if (p[j] + 1 < d)
				d = p[j] + 1;
			if (r[j - 1] + 1 < d)
				d = r[j - 1] + 1;
			if (i > 1 && j > 1 && ca == fb[j - 2] && pa == cb && pp[j - 2] + 1 < d)
				d = pp[j - 2] + 1;
			r[j] = d;
			if (d < low)
				low = d;
		}
		/* A swap looks back two rows, so only two rows above MAX end it. */
		if (low > max && i > 1) {
			unsigned plow = p[0];

			for (size_t j = 1; j <= lb; j++)
				if (p[j] < plow)
					plow = p[j];
			if (plow > max)
				return max + 1;
		}
		t = pp, pp = p, p = r, r = t;
	}
	return p[lb];
}

unsigned suggest_distance(const char *a, size_t la, const char *b, size_t lb)
{
	return distance_max(a, la, b, lb, FAR);
}

void suggest_init(struct suggest *sg, const char *word, size_t len)
{
	memset(sg, 0, sizeof(*sg));
	sg->best_d = FAR;
	if (len == 0 || len >= sizeof(sg->word))
		return;
	for (size_t i = 0; i < len; i++)
		sg->word[i] = fold(word[i]);
	sg->len = len;
	sg->limit = len / 3 > 1 ? (unsigned)(len / 3) : 1;
}

static void list_add(struct suggest *sg, const char *name)
{
	size_t used = strlen(sg->list), n = strlen(name);

	if (sg->listed == name)
		return;
	sg->listed = name;
	if (used >= 3 && strcmp(sg->list + used - 3, "...") == 0)
		return;
	if (used + n + 2 + 5 >= sizeof(sg->list)) {
		snprintf(sg->list + used, sizeof(sg->list) - used, "%s...", used ? ", " : "");
		return;
	}
	snprintf(sg->list + used, sizeof(sg->list) - used, "%s%s", used ? ", " : "", name);
}

static bool starts_with(const struct suggest *sg, const char *key, size_t klen)
{
	if (sg->len < 3 || klen <= sg->len)
		return false;
	for (size_t i = 0; i < sg->len; i++)
		if (fold(key[i]) != sg->word[i])
			return false;
	return true;
}

void suggest_add(struct suggest *sg, const char *key, const char *name)
{
	size_t klen;
	unsigned d;

	if (!key)
		key = name;
	list_add(sg, name);
	if (!sg->len)
		return;
	klen = strlen(key);
	/* Only a distance within the limit and better than the best counts. */
	d = sg->best_d == 0 ? FAR
	    : distance_max(sg->word, sg->len, key, klen,
			   sg->best_d <= sg->limit ? sg->best_d - 1 : sg->limit);
	if (d <= sg->limit && d < sg->best_d) {
		sg->best = name;
		sg->best_d = d;
	}
	if (starts_with(sg, key, klen) && sg->prefixed != name) {
		if (!sg->prefixed)
			sg->prefixed = name;
		sg->nprefixed++;
	}
}

const char *suggest_best(const struct suggest *sg)
{
	if (sg->best)
		return sg->best;
	return sg->nprefixed == 1 ? sg->prefixed : NULL;
}

const char *suggest_hint(const struct suggest *sg, const char *label, const char *tail,
			 char *buf, size_t len)
{
	const char *best = suggest_best(sg);
	size_t off = 0;

	buf[0] = '\0';
	if (!best && !label)
		return buf;
	off += (size_t)snprintf(buf, len, " (");
	if (best && off < len)
		off += (size_t)snprintf(buf + off, len - off, "did you mean '%s'?%s", best, label ? " " : "");
	if (label && off < len)
		off += (size_t)snprintf(buf + off, len - off, "%s: %s%s", label, sg->list, tail ? tail : "");
	if (off < len)
		snprintf(buf + off, len - off, ")");
	return buf;
}
