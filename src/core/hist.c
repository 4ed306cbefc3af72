/* hist.c - latency histograms in bounded memory (see hist.h). */
#include <string.h>

#include "core/hist.h"

/* A value's bucket: below HIST_SUB each value has its own; above, the
 * power of two it lies in, then its next HIST_SUB_BITS bits. */
static unsigned bucket(uint64_t v)
{
	unsigned mag;

	if (v < HIST_SUB)
		return (unsigned)v;
	mag = 63u - (unsigned)__builtin_clzll(v);	/* >= HIST_SUB_BITS */
	if (mag >= HIST_MAGS)
		return HIST_BUCKETS - 1;
	return (mag - HIST_SUB_BITS + 1) * HIST_SUB + (unsigned)((v >> (mag - HIST_SUB_BITS)) & (HIST_SUB - 1));
}

/* The highest value bucket I holds. */
static uint64_t bucket_top(unsigned i)
{
	unsigned row = i / HIST_SUB, sub = i % HIST_SUB, shift;

	if (row == 0)
		return i;
	shift = row - 1;
	return (((uint64_t)(HIST_SUB + sub) + 1) << shift) - 1;
}

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
}

void hist_add(struct hist *h, uint64_t v)
{
	if (h->n == 0 || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->n++;
	h->sum += v;
	h->b[bucket(v)]++;
}

void hist_merge(struct hist *h, const struct hist *from)
{
	if (from->n == 0)
		return;
	if (h->n == 0 || from->min < h->min)
		h->min = from->min;
	if (from->max > h->max)
		h->max = from->max;
	h->n += from->n;
	h->sum += from->sum;
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		h->b[i] += from->b[i];
}

uint64_t hist_pct(const struct hist *h, double p)
{
	uint64_t want, seen = 0;

	if (h->n == 0)
		return 0;
	if (p >= 100)
		return h->max;
	/* the rank of the value: the smallest count covering P percent */
	want = (uint64_t)((long double)h->n * p / 100.0L);
	if ((long double)want < (long double)h->n * p / 100.0L || want == 0)
		want++;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= want) {
			uint64_t top = bucket_top(i);

			if (top > h->max)
				top = h->max;
			return top < h->min ? h->min : top;
		}
	}
	return h->max;
}

double hist_mean(const struct hist *h)
{
	return h->n ? (double)(h->sum / h->n) : 0;
}
