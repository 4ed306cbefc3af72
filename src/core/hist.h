/* hist.h - latency histograms in bounded memory: log-linear buckets, as HdrHistogram keeps them. */
#ifndef VHUCTL_HIST_H
#define VHUCTL_HIST_H

#include <stdint.h>

/* Values are nanoseconds, 0 to 2^HIST_MAGS - 1 (about 18 minutes); a larger
 * one is counted in the top bucket and in max as it was. Each power of two
 * is cut into HIST_SUB buckets: a percentile is within 1/HIST_SUB (1.6 %)
 * of a value that was recorded. */
#define HIST_SUB_BITS 6
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_MAGS 40
#define HIST_BUCKETS ((HIST_MAGS - HIST_SUB_BITS + 1) * HIST_SUB)

struct hist {
	uint64_t n, min, max;
	long double sum;		/* for the mean: no overflow at any count */
	uint64_t b[HIST_BUCKETS];
};

void hist_init(struct hist *h);
void hist_add(struct hist *h, uint64_t v);
/* Add every value of FROM to H. */
void hist_merge(struct hist *h, const struct hist *from);
/* The value below which P percent of the values fall (0 < P <= 100): the
 * highest value of its bucket, never more than max; 0 when empty. */
uint64_t hist_pct(const struct hist *h, double p);
double hist_mean(const struct hist *h);

#endif
