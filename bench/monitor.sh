#!/bin/bash
# bench/monitor.sh - the latency vhuctl monitor adds per control message,
# against a direct connection and against a minimal relay in C.
#
# Usage: bench/monitor.sh [N] [BUILD_DIR]
#
#   N          GET_FEATURES round trips per measurement (default 20000)
#   BUILD_DIR  where src/vhuctl was built; default: the first of ., the
#              source tree, <srctree>/build, <srctree>/../build that has it
#
# Environment:
#   VHUCTL=PATH   vhuctl binary (overrides BUILD_DIR/src/vhuctl)
#   CC            compiler for bench/rawrt.c and bench/minrelay.c (default cc)
#   PIN=1|0       run everything under taskset -c $PIN_CPU (default 1)
#   PIN_CPU=C     the CPU to pin to (default 0)
#   REPEAT=R      runs per measurement, the best (minimum) is kept (default 5)
#   OUT=file|null where the monitor prints: a file in the temp dir (default,
#                 every object checked afterwards) or /dev/null
#
# One round trip is two messages through the relay (the request and its
# reply): rawrt connect SOCKET N times N GET_FEATURES against rawrt serve,
# directly, through bench/minrelay.c (recvmsg, sendmsg with the fds, nothing
# else) and through vhuctl monitor (framing, decoding, pairing, one JSON
# object per message printed). Not part of `make check'; see bench/README.md.

ME=bench/monitor.sh
. "$(dirname "$0")/lib.sh"

N=${1:-20000}
PIN=${PIN:-1}
PIN_CPU=${PIN_CPU:-0}
REPEAT=${REPEAT:-5}
CC=${CC:-cc}
OUT=${OUT:-file}
posint N "$N"
posint REPEAT "$REPEAT"
case $OUT in file|null) ;; *) die "OUT must be file or null: $OUT" ;; esac
find_build_dir "${2:-}"

"$CC" -std=gnu11 -O2 -o "$TMP/rawrt" "$SRCDIR/bench/rawrt.c" || die "cannot build bench/rawrt.c"
"$CC" -std=gnu11 -O2 -o "$TMP/minrelay" "$SRCDIR/bench/minrelay.c" || die "cannot build bench/minrelay.c"

PINCMD=()
PINNED="NOT pinned (PIN=0)"
if [ "$PIN" = 1 ]; then
	command -v taskset >/dev/null || die "taskset not found (PIN=0 to run unpinned)"
	PINCMD=(taskset -c "$PIN_CPU")
	PINNED="pinned to CPU $PIN_CPU (taskset -c $PIN_CPU)"
fi

BACK=$TMP/back.sock MR=$TMP/minrelay.sock MON=$TMP/monitor.sock
bg_start "$TMP/back.log" "${PINCMD[@]}" "$TMP/rawrt" serve "$BACK"
wait_sock "$BACK" "$BG_PID" "$TMP/back.log"
bg_start "$TMP/minrelay.log" "${PINCMD[@]}" "$TMP/minrelay" "$MR" "$BACK"
wait_sock "$MR" "$BG_PID" "$TMP/minrelay.log"
MON_OUT=$TMP/monitor.out
[ "$OUT" = null ] && MON_OUT=/dev/null
"${PINCMD[@]}" "$VHUCTL" monitor --json=compact "listen:$MON" "connect:$BACK" </dev/null >"$MON_OUT" 2>"$TMP/monitor.err" &
BG_PIDS+=($!)
wait_sock "$MON" "$!" "$TMP/monitor.err"

# rt SOCKET: RESULT = µs per round trip of one rawrt run against SOCKET
rt() {
	local line
	line=$("${PINCMD[@]}" "$TMP/rawrt" connect "$1" "$N") || die "rawrt connect $1 failed"
	line=${line##*us_per_req=}
	RESULT=${line%% *}
}

# Interleaved, so that a burst of noise hits each alike; the best run counts.
DIRECT='' RELAY='' MONITOR=''
for _ in $(seq "$REPEAT"); do
	rt "$BACK"; DIRECT=$(min "$DIRECT" "$RESULT")
	rt "$MR"; RELAY=$(min "$RELAY" "$RESULT")
	rt "$MON"; MONITOR=$(min "$MONITOR" "$RESULT")
done

if [ "$OUT" = file ]; then
	# every message of every run printed, each a reply paired or a request
	for _ in $(seq 500); do
		[ "$(grep -c '"event":"disconnected"' "$MON_OUT")" -ge "$REPEAT" ] && break
		sleep 0.01
	done
	msgs=$(grep -c '"event":"message"' "$MON_OUT" || :)
	[ "$msgs" -eq $((2 * N * REPEAT)) ] || die "the monitor printed $msgs messages, expected $((2 * N * REPEAT))"
	paired=$(grep -c '"reply_to":{"name":"GET_FEATURES"' "$MON_OUT" || :)
	[ "$paired" -eq $((N * REPEAT)) ] || die "the monitor paired $paired replies, expected $((N * REPEAT))"
fi

awk -v n="$N" -v rep="$REPEAT" -v pinned="$PINNED" -v out="$OUT" \
    -v d="$DIRECT" -v r="$RELAY" -v m="$MONITOR" 'BEGIN {
	printf "bench/monitor.sh: N=%d GET_FEATURES round trips, best of %d, %s\n", n, rep, pinned
	printf "  monitor output: %s\n", out == "file" ? "a file (every message checked)" : "/dev/null"
	printf "  direct                  %8.2f us per round trip\n", d
	printf "  through minrelay        %8.2f us per round trip\n", r
	printf "  through vhuctl monitor  %8.2f us per round trip\n", m
	ar = (r - d) / 2; am = (m - d) / 2
	printf "  added per message: minrelay %.2f us, monitor %.2f us\n", ar, am
	printf "  ratio monitor/minrelay: round trip %.2fx, added latency %.2fx (target <= 1.3x)\n", m / r, am / ar
}'
