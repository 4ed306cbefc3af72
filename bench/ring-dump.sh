#!/bin/bash
# bench/ring-dump.sh - time `vring dump' of a full 32768-entry split ring and
# compare it with `jq -c .' reading the same JSON line.
#
# Usage: bench/ring-dump.sh [BUILD_DIR]
#
# Environment:
#   VHUCTL=PATH        vhuctl binary (default BUILD_DIR/src/vhuctl)
#   FAKE_BACKEND=PATH  back-end (default BUILD_DIR/tests/fake-backend)
#   SHAPES="..."       which ways to fill the ring (default "single pair tiny"):
#                        single  32768 x `vring post 0 in=16'
#                                (32768 one-descriptor chains: every
#                                descriptor and every avail slot in use)
#                        pair    16384 x `vring post 0 out=<16 bytes> in=16'
#                                (16384 two-descriptor chains: every
#                                descriptor in use, half the avail ring)
#                        tiny    2047 x `vring post 0 out=00 in=1', the form
#                                in the issue; vhuctl's guest-memory allocator
#                                runs out after 2047 of these (see README)
#   REPEAT=R           runs per measurement, best kept (default 5)
#   PIN=1|0            run vhuctl, the back-end and jq under taskset -c
#                      $PIN_CPU (default 1)
#   PIN_CPU=C          (default 0)
#   JQ=PATH            jq binary (default jq)
#   TMPDIR             where the temp dir (scripts, outputs) goes
#
# The dump's time is (best run of the script with the final `vring dump 0') -
# (best run of the same script without it); vhuctl has no per-command timer.
# Not part of `make check'.  See bench/README.md.

# shellcheck disable=SC2034 # ME is used by lib.sh
ME=bench/ring-dump.sh
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

find_build_dir "${1:-}"
REPEAT=${REPEAT:-5}
PIN=${PIN:-1}
PIN_CPU=${PIN_CPU:-0}
SHAPES=${SHAPES:-single pair tiny}
JQ=${JQ:-jq}
posint REPEAT "$REPEAT"
command -v "$JQ" >/dev/null || die "jq not found (set JQ)"

PINCMD=()
PINNED="not pinned"
if [ "$PIN" = 1 ]; then
	PINCMD=(taskset -c "$PIN_CPU")
	PINNED="pinned to CPU $PIN_CPU"
fi

SOCK=$TMP/sock
start_fake "$SOCK" "${PINCMD[@]}"

# make_script SHAPE FILE: the fill script (without the dump); NPOST = chains.
make_script() {
	local post
	case $1 in
	single) NPOST=32768 post='vring post 0 in=16' ;;
	pair) NPOST=16384 post='vring post 0 out=00000000000000000000000000000000 in=16' ;;
	tiny) NPOST=2047 post='vring post 0 out=00 in=1' ;;
	*) die "unknown shape: $1" ;;
	esac
	{
		echo 'mem add 64M'
		echo 'vring setup 0 size=32768'
		awk -v n="$NPOST" -v p="$post" 'BEGIN { for (i = 0; i < n; i++) print p }'
	} >"$2"
}

# timed OUT CMD...: RESULT = elapsed µs of CMD (stdout to OUT); dies on failure.
timed() {
	local out=$1 t0 t1
	shift
	t0=$(now_us)
	"$@" >"$out" 2>"$TMP/err" || die "$* failed: $(head -c 500 "$TMP/err")"
	t1=$(now_us)
	RESULT=$((t1 - t0))
}

VH=("${PINCMD[@]}" "$VHUCTL" --json=compact "$SOCK" -f)

printf 'vring dump bench: split ring size=32768, mem 64M, best of %d, %s, %s CPUs\n' \
	"$REPEAT" "$PINNED" "$(nproc)"
printf '  vhuctl: %s\n  jq:     %s (%s)\n\n' "$VHUCTL" "$(command -v "$JQ")" "$("$JQ" --version 2>&1)"
printf '  %-7s %6s %9s %10s %10s %10s %10s %8s %10s %14s\n' \
	shape chains json_MB fill_ms fill+dump dump_ms jq_ms dump/jq dump_RSS '<=50ms/<jq'
for shape in $SHAPES; do
	make_script "$shape" "$TMP/fill.vhu"
	cp "$TMP/fill.vhu" "$TMP/dump.vhu"
	echo 'vring dump 0' >>"$TMP/dump.vhu"

	# one checked run: the dump must show every posted chain in flight
	"${VH[@]}" "$TMP/dump.vhu" >"$TMP/dump.out" 2>"$TMP/err" ||
		die "vhuctl ($shape) failed: $(head -c 500 "$TMP/err")"
	tail -n 1 "$TMP/dump.out" >"$TMP/dump.json"
	got=$("$JQ" -r '[.command, .ring.counts.in_flight, (.ring.chains | length),
		(.ring.descriptors | length), (.ring.anomalies | length)] | @tsv' "$TMP/dump.json")
	want=$(printf 'vring dump\t%d\t%d\t32768\t0' "$NPOST" "$NPOST")
	[ "$got" = "$want" ] || die "$shape: dump shows [$got], expected [$want]"
	bytes=$(($(wc -c <"$TMP/dump.json") - 1))	# the JSON line, without its newline

	# peak RSS of the run with the dump (a separate run: not timed)
	rss=-
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%M' -o "$TMP/rss" "${VH[@]}" "$TMP/dump.vhu" >/dev/null 2>&1 &&
			rss=$(awk '{ printf "%.0fM", $1 / 1024 }' "$TMP/rss")
	fi

	FILL='' FULL='' JQT=''
	for _ in $(seq "$REPEAT"); do
		timed "$TMP/fill.out" "${VH[@]}" "$TMP/fill.vhu"
		FILL=$(min "$FILL" "$RESULT")
		timed "$TMP/dump.out" "${VH[@]}" "$TMP/dump.vhu"
		FULL=$(min "$FULL" "$RESULT")
		timed "$TMP/jq.out" "${PINCMD[@]}" "$JQ" -c . "$TMP/dump.json"
		JQT=$(min "$JQT" "$RESULT")
	done
	cmp -s "$TMP/jq.out" "$TMP/dump.json" || note "$shape: jq -c output differs from vhuctl's line"

	awk -v s="$shape" -v c="$NPOST" -v b="$bytes" -v fill="$FILL" -v full="$FULL" \
	    -v jq="$JQT" -v rss="$rss" 'BEGIN {
		d = full - fill; if (d < 0) d = 0
		ok = (d <= 50000 ? "met" : "MISSED") "/" (d < jq ? "met" : "MISSED")
		printf "  %-7s %6d %9.2f %10.1f %10.1f %10.1f %10.1f %7.2fx %10s %14s\n",
		       s, c, b / 1e6, fill / 1e3, full / 1e3, d / 1e3, jq / 1e3,
		       (jq > 0 ? d / jq : 0), rss, ok
	}'
	printf '          (dump JSON line: %d bytes)\n' "$bytes"
done
printf '\n  target (issue): dump_ms <= 50 and dump faster than jq -c reading its line\n'
printf '  dump_RSS: peak RSS of the whole run with the dump (/usr/bin/time %%M)\n'
