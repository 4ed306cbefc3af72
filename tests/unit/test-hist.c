/* test-hist.c - unit tests for the latency histogram: exact small values, bounded error, percentiles in order, merge. */
#include <stdlib.h>

#include "core/hist.h"
#include "../tap.h"

static struct hist h, g;

static void test_small(void)
{
	hist_init(&h);
	tap_is_int((int)hist_pct(&h, 50), 0, "empty: every percentile is 0");
	for (uint64_t v = 1; v <= 10; v++)
		hist_add(&h, v);
	tap_is_int((int)h.n, 10, "ten values counted");
	tap_is_int((int)hist_pct(&h, 50), 5, "small values are exact: p50 of 1..10 is 5");
	tap_is_int((int)hist_pct(&h, 90), 9, "p90 of 1..10 is 9");
	tap_is_int((int)hist_pct(&h, 100), 10, "p100 is max");
	tap_is_int((int)hist_pct(&h, 0.1), 1, "p0.1 of ten values is the first");
	tap_ok(hist_mean(&h) > 5.49 && hist_mean(&h) < 5.51, "mean of 1..10 is 5.5");
}

/* Every percentile of a spread of values is within 1/HIST_SUB above the exact one. */
static void test_error(void)
{
	static uint64_t v[10000];
	int bad = 0;

	hist_init(&h);
	srand(7);
	for (int i = 0; i < 10000; i++) {
		v[i] = (uint64_t)rand() * 100 + 17;	/* ns up to ~2e11, below the top bucket */
		hist_add(&h, v[i]);
	}
	for (int gap = 5000; gap > 0; gap /= 2)
		for (int i = gap; i < 10000; i++)
			for (int j = i; j >= gap && v[j - gap] > v[j]; j -= gap) {
				uint64_t t = v[j];

				v[j] = v[j - gap];
				v[j - gap] = t;
			}
	for (double p = 1; p <= 99.9; p += 0.7) {
		unsigned rank = (unsigned)(p / 100 * 10000 + 0.999999) - 1;
		uint64_t exact = v[rank], got = hist_pct(&h, p);

		if (got < exact || (long double)(got - exact) > (long double)exact / HIST_SUB)
			bad++;
	}
	tap_is_int(bad, 0, "every percentile within 1/%u above the exact value", HIST_SUB);
	tap_is_int((int)(hist_pct(&h, 100) == v[9999]), 1, "p100 is the exact max");
	tap_ok(hist_pct(&h, 50) <= hist_pct(&h, 90) && hist_pct(&h, 90) <= hist_pct(&h, 99) &&
	       hist_pct(&h, 99) <= hist_pct(&h, 99.9) && hist_pct(&h, 99.9) <= h.max, "percentiles are monotone");
}

static void test_edges(void)
{
	hist_init(&h);
	hist_add(&h, UINT64_MAX);
	hist_add(&h, 0);
	tap_ok(hist_pct(&h, 100) == UINT64_MAX, "a value beyond the top bucket is kept as max");
	tap_ok(hist_pct(&h, 50) == 0, "and 0 is a value");
	tap_ok(sizeof(h) < 32 * 1024, "a histogram is bounded: %zu bytes", sizeof(h));
}

static void test_merge(void)
{
	hist_init(&h);
	hist_init(&g);
	for (uint64_t i = 0; i < 100; i++)
		hist_add(i < 50 ? &h : &g, 1000 + i);
	hist_merge(&h, &g);
	tap_is_int((int)h.n, 100, "merged counts add up");
	tap_is_int((int)h.min, 1000, "merged min");
	tap_is_int((int)h.max, 1099, "merged max");
	tap_ok(hist_pct(&h, 50) >= 1049 && hist_pct(&h, 50) <= 1049 + 1049 / HIST_SUB, "merged p50");
}

int main(void)
{
	test_small();
	test_error();
	test_edges();
	test_merge();
	return tap_done();
}
