/* args.h - typed command arguments: positional or key=value, parsed from a spec. */
#ifndef VHUCTL_ARGS_H
#define VHUCTL_ARGS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/features.h"
#include "cmd/tok.h"

enum arg_type {
	ARG_U32,
	ARG_U64,
	ARG_BOOL,		/* on/off, 1/0, yes/no, true/false */
	ARG_FEATURES,		/* virtio feature names (comma-separated) or a mask */
	ARG_PFEATURES,		/* protocol feature names or a mask */
	ARG_STATUS,		/* device status names or a number */
	ARG_HEX,		/* bytes as hex: "0a0b..", "0a:0b", "0x0a0b" */
	ARG_ENUM,		/* one of ENUMS (or a number when ENUM_NUM) */
	ARG_STRING,
	ARG_PATH,
	ARG_MAC,
	ARG_UUID,
	ARG_FLAG,		/* a bare word ("nofd", "sync") that is on when present */
};

struct arg_enum {
	const char *name;
	uint64_t value;
};

struct arg_spec {
	const char *name;
	enum arg_type type;
	bool required;
	bool key_only;			/* only as key=value, never positional */
	bool multi;			/* may be given more than once (handler reads argv) */
	bool literal;			/* positional, any word: an '=' in it makes no key */
	uint64_t max;			/* numbers and enums: largest value the field holds, 0 = the type's */
	const struct arg_enum *enums;	/* ARG_ENUM values, NULL-name terminated */
	const char *help;
};

#define ARGS_MAX 16

struct arg_val {
	bool set;
	uint64_t u;			/* numbers, bools, masks, enums */
	char *str;			/* ARG_STRING, ARG_PATH (points into a token) */
	uint8_t *bytes;			/* ARG_HEX, ARG_MAC, ARG_UUID (malloc'd) */
	uint32_t nbytes;
	unsigned tok;			/* index of the token it came from */
};

struct arg_set {
	const struct arg_spec *spec;
	unsigned n;
	struct arg_val v[ARGS_MAX];
};

/* Parse tokens V[0..N) against SPEC (NSPEC entries). DEV names the device
 * for feature names. On error *bad_tok is the index of the offending token
 * (N when an argument is missing). */
int args_parse(struct arg_set *a, const struct arg_spec *spec, unsigned nspec,
	       const struct tok *v, unsigned n, enum vhu_device dev,
	       unsigned *bad_tok, struct vhu_err *e);
void args_free(struct arg_set *a);
/* The value of argument NAME (must exist in the spec). */
const struct arg_val *args_get(const struct arg_set *a, const char *name);
uint64_t args_u(const struct arg_set *a, const char *name, uint64_t def);

/* Single-value parsers, shared with other commands. */
int args_parse_u64(const char *s, uint64_t *v);
int args_parse_size(const char *s, uint64_t *v);	/* 4096, 64K, 1M, 2G */
int args_parse_hex(const char *s, uint8_t **out, uint32_t *len);
/* "NAME,NAME|0xMASK" -> mask, via LOOKUP(name) returning a bit or -1. */
int args_parse_mask(const char *s, int (*lookup)(const char *name, void *ctx),
		    void *ctx, uint64_t *mask, const char **bad, unsigned *bad_len);
const char *args_type_name(enum arg_type t);	/* "number", "on|off" */
const char *args_type_id(enum arg_type t);	/* "u32", "bool" */

#endif
