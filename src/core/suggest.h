/* suggest.h - "did you mean": the closest of the names a mistyped word could have meant. */
#ifndef VHUCTL_SUGGEST_H
#define VHUCTL_SUGGEST_H

#include <stdbool.h>
#include <stddef.h>

#define SUGGEST_WORD_MAX 64

/* One word that matched none of a table's names, and the names offered
 * in its place, one suggest_add each. Words and names are compared
 * case-insensitively, with '-' and '_' alike ("get_feature", "GET-FEATURE"). */
struct suggest {
	char word[SUGGEST_WORD_MAX];	/* the word, folded */
	size_t len;			/* 0: empty or too long to compare */
	unsigned limit;			/* the most edits a close name is away */
	const char *best;		/* the closest name so far, NULL none */
	unsigned best_d;
	const char *prefixed;		/* a name the word is the start of */
	unsigned nprefixed;		/* how many names the word starts */
	const char *listed;		/* the name put last in list */
	char list[320];			/* every name offered, ", " between them */
};

/* Start with WORD (LEN bytes). */
void suggest_init(struct suggest *sg, const char *word, size_t len);
/* NAME could have been meant; it is compared as KEY (NULL: as NAME), so that
 * a name with a short form is found by either ("VERSION_1" for
 * "VIRTIO_F_VERSION_1"). A name added again under another key is listed once. */
void suggest_add(struct suggest *sg, const char *key, const char *name);
/* The name to suggest, or NULL when none is close enough: the one fewest
 * edits away (Damerau-Levenshtein) within max(1, length/3) edits, first
 * added on a tie; else the only name that starts with the word (3 letters
 * or more of it). */
const char *suggest_best(const struct suggest *sg);
/* " (did you mean 'NAME'?)", with " LABEL: a, b, c" and TAIL added before
 * the ')' when LABEL is not NULL; "" when there is nothing to say. */
const char *suggest_hint(const struct suggest *sg, const char *label, const char *tail,
			 char *buf, size_t len);
/* Edits (insert, delete, substitute, swap two neighbours) from A to B, folded
 * as above; a large number when either is longer than SUGGEST_WORD_MAX. */
unsigned suggest_distance(const char *a, size_t la, const char *b, size_t lb);

#endif
