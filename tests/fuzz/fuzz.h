/* fuzz.h - what the fuzz targets share: an input reader, checks that crash, the JSON and fd checks. */
#ifndef VHUCTL_FUZZ_H
#define VHUCTL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "core/features.h"

/* libFuzzer's entry point; tests/fuzz/driver.c calls it in a plain build. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input, read front to back. Past its end every read gives zeros, so
 * a short input is a valid one with default choices. */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

uint8_t fuzz_u8(struct fuzz_in *in);
uint16_t fuzz_u16(struct fuzz_in *in);	/* little-endian */
uint32_t fuzz_u32(struct fuzz_in *in);
uint64_t fuzz_u64(struct fuzz_in *in);
/* The next N bytes (fewer at the end: *got says how many). */
const uint8_t *fuzz_take(struct fuzz_in *in, size_t n, size_t *got);

/* A wrong result is a crash, so that libFuzzer keeps the input. */
__attribute__((noreturn, format(printf, 3, 4)))
void fuzz_fail(const char *file, int line, const char *fmt, ...);
#define FUZZ_CHECK(cond, ...) do { \
	if (!(cond)) \
		fuzz_fail(__FILE__, __LINE__, __VA_ARGS__); \
} while (0)

/* O (a result, or NULL) printed as vhuctl prints it (out_print: compact
 * and pretty) must parse back as one JSON value of valid UTF-8. Drops O. */
void fuzz_json(struct json_object *o);

/* A device type from one byte: every device vhuctl knows, none, and one
 * it does not. */
enum vhu_device fuzz_device(uint8_t b);

/* How many fds this process has open. */
int fuzz_open_fds(void);

#endif
