#!/bin/bash
# bench/run.sh - vhuctl -f per-request cost against raw request/reply round trips.
#
# Usage: bench/run.sh [N] [BUILD_DIR]
#
#   N          GET_FEATURES requests per measurement (default 20000)
#   BUILD_DIR  where src/vhuctl (and tests/fake-backend) were built; default:
#              the first of ., the source tree, <srctree>/build, <srctree>/../build
#              that holds src/vhuctl
#
# Environment:
#   VHUCTL=PATH        vhuctl binary (overrides BUILD_DIR/src/vhuctl)
#   FAKE_BACKEND=PATH  back-end binary (default BUILD_DIR/tests/fake-backend,
#                      else tests/fake-backend.c is compiled with $CC)
#   RAWRT=PATH         rawrt binary (default: bench/rawrt.c compiled with $CC)
#   CC                 compiler for the fallbacks (default cc)
#   PIN=1|0            run everything under taskset -c $PIN_CPU (default 1)
#   PIN_CPU=C          the CPU to pin to (default 0)
#   REPEAT=R           runs per measurement, the best (minimum) is kept (default 5)
#   BACKEND=minimal|fake  rawrt serve (default: answers, nothing else) or
#                      tests/fake-backend (parses and logs every request)
#
# Not part of `make check'.  See bench/README.md.

set -eu

N=${1:-20000}
BUILD_DIR=${2:-}
PIN=${PIN:-1}
PIN_CPU=${PIN_CPU:-0}
REPEAT=${REPEAT:-5}
CC=${CC:-cc}

die() { echo "bench/run.sh: $*" >&2; exit 1; }

case $N in ''|*[!0-9]*|0) die "N must be a positive integer: $N" ;; esac
case $REPEAT in ''|*[!0-9]*|0) die "REPEAT must be a positive integer: $REPEAT" ;; esac

SRCDIR=$(cd "$(dirname "$0")/.." && pwd)

if [ -z "$BUILD_DIR" ]; then
	for d in . "$SRCDIR" "$SRCDIR/build" "$SRCDIR/../build"; do
		if [ -x "$d/src/vhuctl" ]; then BUILD_DIR=$d; break; fi
	done
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vhuctl-bench.XXXXXX")
BACKEND_PID=
cleanup() {
	if [ -n "$BACKEND_PID" ]; then
		kill "$BACKEND_PID" 2>/dev/null || :
		wait "$BACKEND_PID" 2>/dev/null || :
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- binaries ---------------------------------------------------------------
if [ -z "${VHUCTL:-}" ]; then
	if [ -z "$BUILD_DIR" ] || [ ! -x "$BUILD_DIR/src/vhuctl" ]; then
		die "no src/vhuctl found; pass BUILD_DIR or set VHUCTL"
	fi
	VHUCTL=$BUILD_DIR/src/vhuctl
fi
[ -x "$VHUCTL" ] || die "not executable: $VHUCTL"

if [ "${BACKEND:-minimal}" = fake ] && [ -z "${FAKE_BACKEND:-}" ]; then
	if [ -n "$BUILD_DIR" ] && [ -x "$BUILD_DIR/tests/fake-backend" ]; then
		FAKE_BACKEND=$BUILD_DIR/tests/fake-backend
	else
		"$CC" -std=gnu11 -O2 -o "$TMP/fake-backend" \
			"$SRCDIR/tests/fake-backend.c" "$SRCDIR/tests/fake-rings.c" ||
			die "cannot build tests/fake-backend.c; set FAKE_BACKEND"
		FAKE_BACKEND=$TMP/fake-backend
	fi
fi
[ "${BACKEND:-minimal}" != fake ] || [ -x "$FAKE_BACKEND" ] ||
	die "not executable: $FAKE_BACKEND"

if [ -z "${RAWRT:-}" ]; then
	"$CC" -std=gnu11 -O2 -o "$TMP/rawrt" "$SRCDIR/bench/rawrt.c" ||
		die "cannot build bench/rawrt.c; set RAWRT"
	RAWRT=$TMP/rawrt
fi
[ -x "$RAWRT" ] || die "not executable: $RAWRT"

# --- pinning ----------------------------------------------------------------
PINCMD=()
if [ "$PIN" = 1 ]; then
	if command -v taskset >/dev/null 2>&1; then
		PINCMD=(taskset -c "$PIN_CPU")
		PINNED="pinned to CPU $PIN_CPU (taskset -c $PIN_CPU)"
	else
		PINNED="NOT pinned (taskset not found)"
	fi
else
	PINNED="NOT pinned (PIN=0)"
fi

# --- timing helpers ---------------------------------------------------------
now_us() {
	if [ -n "${EPOCHREALTIME:-}" ]; then
		local t=${EPOCHREALTIME/,/.}
		echo "${t/./}"
	else
		echo $(( $(date +%s%N) / 1000 ))
	fi
}

# min A B, max A B: the smaller/larger of two numbers (empty A: none yet)
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }'; }
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 > a + 0) ? b : a }'; }

# --- back-end ---------------------------------------------------------------
# BACKEND=minimal (default): rawrt serve, the least a back-end can do (read
# a header, write the reply), so that the figures compare front-ends only.
# It prints "served N" when a client leaves: the proof that N requests came.
# BACKEND=fake: tests/fake-backend, which also parses and logs every request.
SOCK=$TMP/sock
BACKEND=${BACKEND:-minimal}
# started WHAT TEST...: wait (5 s at most) until TEST holds, while the
# back-end lives.
started() {
	local what=$1; shift
	for _ in $(seq 100); do
		"$@" && return 0
		kill -0 "$BACKEND_PID" 2>/dev/null || die "$what exited"
		sleep 0.05
	done
	die "$what did not start"
}
case $BACKEND in
fake)
	"${PINCMD[@]}" "$FAKE_BACKEND" --log "$TMP/backend.log" --pidfile "$TMP/backend.pid" "$SOCK" &
	BACKEND_PID=$!
	started "fake back-end" test -s "$TMP/backend.pid"
	BACKEND_PID=$(cat "$TMP/backend.pid")
	;;
minimal)
	"${PINCMD[@]}" "$RAWRT" serve "$SOCK" >"$TMP/backend.log" &
	BACKEND_PID=$!
	started "rawrt serve" test -S "$SOCK"
	FAKE_BACKEND="$RAWRT serve"
	;;
*) die "BACKEND must be minimal or fake: $BACKEND" ;;
esac

# served: how many GET_FEATURES the back-end has answered so far (all
# clients). The count of a client that just left may take a moment.
served() {
	if [ "$BACKEND" = fake ]; then
		grep -c '^req=1 ' "$TMP/backend.log" || :
	else
		awk '{ n += $2 } END { print n + 0 }' "$TMP/backend.log"
	fi
}
wait_served() {	# wait_served COUNT: until the back-end has answered COUNT
	for _ in $(seq 200); do
		[ "$(served)" -ge "$1" ] && return 0
		sleep 0.01
	done
	die "the back-end answered $(served) requests, expected $1"
}

# --- scripts ----------------------------------------------------------------
awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++) print "get-features" }' \
	>"$TMP/n.vhu"
: >"$TMP/empty.vhu"

# The measurement functions run in this shell (not in $(...), so die stops
# the whole run) and leave their figure in RESULT.

# run_vhuctl SCRIPT EXPECTED_REPLIES OUT: time one vhuctl -f run printing
# to OUT; RESULT = the elapsed µs. The back-end must have answered every
# request, and vhuctl exits 0 only if every command worked; a file OUT is
# checked line by line too.
run_vhuctl() {
	local script=$1 want=$2 out=$3 t0 t1 lines bad before
	before=$(served)
	t0=$(now_us)
	"${PINCMD[@]}" "$VHUCTL" --json=compact "$SOCK" -f "$script" \
		>"$out" 2>"$TMP/err" ||
		die "vhuctl failed (status $?): $(head -c 500 "$TMP/err")"
	t1=$(now_us)
	wait_served $((before + want))
	if [ "$out" != /dev/null ]; then
		# one object per request: the SOCKET argument prints nothing
		lines=$(wc -l <"$out")
		[ "$lines" -eq "$want" ] ||
			die "vhuctl printed $lines lines, expected $want"
		bad=$(grep -vc '"reply":{' "$out" || :)
		[ "$bad" -eq 0 ] || die "$bad of $want vhuctl results have no reply"
	fi
	RESULT=$((t1 - t0))
}

# run_rawrt ARGS...: one rawrt run; RESULT = its us_per_req
run_rawrt() {
	local line
	line=$("${PINCMD[@]}" "$RAWRT" "$@") || die "rawrt $* failed"
	case $line in *us_per_req=*) ;; *) die "rawrt $*: unexpected output: $line" ;; esac
	line=${line##*us_per_req=}
	RESULT=${line%% *}
}

# Interleaved, so a burst of noise hits every measurement alike.  The best
# run of each is the figure; the worst is shown to judge the noise.
RESULT='' VH_TOTAL='' VH_START='' VH_FILE='' RAW_CONN='' RAW_PAIR=''
VH_TOTAL_MAX='' VH_FILE_MAX='' RAW_CONN_MAX='' RAW_PAIR_MAX=''
for _ in $(seq "$REPEAT"); do
	run_vhuctl "$TMP/empty.vhu" 0 /dev/null
	VH_START=$(min "$VH_START" "$RESULT")
	run_vhuctl "$TMP/n.vhu" "$N" /dev/null
	VH_TOTAL=$(min "$VH_TOTAL" "$RESULT")
	VH_TOTAL_MAX=$(max "$VH_TOTAL_MAX" "$RESULT")
	run_vhuctl "$TMP/n.vhu" "$N" "$TMP/out"
	VH_FILE=$(min "$VH_FILE" "$RESULT")
	VH_FILE_MAX=$(max "$VH_FILE_MAX" "$RESULT")
	run_rawrt connect "$SOCK" "$N"
	RAW_CONN=$(min "$RAW_CONN" "$RESULT")
	RAW_CONN_MAX=$(max "$RAW_CONN_MAX" "$RESULT")
	run_rawrt socketpair "$N"
	RAW_PAIR=$(min "$RAW_PAIR" "$RESULT")
	RAW_PAIR_MAX=$(max "$RAW_PAIR_MAX" "$RESULT")
done

# --- report -----------------------------------------------------------------
awk -v n="$N" -v rep="$REPEAT" -v pinned="$PINNED" -v vh="$VHUCTL" \
    -v be="$FAKE_BACKEND" -v start="$VH_START" \
    -v total="$VH_TOTAL" -v total_max="$VH_TOTAL_MAX" \
    -v file="$VH_FILE" -v file_max="$VH_FILE_MAX" -v tmp="${TMPDIR:-/tmp}" \
    -v conn="$RAW_CONN" -v conn_max="$RAW_CONN_MAX" \
    -v pair="$RAW_PAIR" -v pair_max="$RAW_PAIR_MAX" \
    -v cpus="$(nproc 2>/dev/null || echo '?')" '
function per(t) { t = (t - start) / n; return t < 0 ? 0 : t }
BEGIN {
	printf "vhuctl bench: N=%d GET_FEATURES, best of %d, %s, %s CPUs\n",
	       n, rep, pinned, cpus
	printf "  vhuctl:   %s\n  back-end: %s\n\n", vh, be
	printf "  %-46s %9s %9s\n", "us/request", "best", "worst"
	printf "  %-46s %9.2f %9.2f\n", "vhuctl -f >/dev/null ((total-startup)/N)",
	       per(total), per(total_max)
	printf "  %-46s %9.2f %9.2f\n", "vhuctl -f >file (the same into a file)",
	       per(file), per(file_max)
	printf "  %-46s %9.2f %9.2f\n", "raw client, same back-end (rawrt connect)",
	       conn, conn_max
	printf "  %-46s %9.2f %9.2f\n", "raw socketpair (rawrt socketpair)",
	       pair, pair_max
	printf "\n"
	printf "  %-46s %9.1f\n", "vhuctl -f total, best (ms)", total / 1000
	printf "  %-46s %9.1f\n", "vhuctl startup, empty script, best (ms)", start / 1000
	printf "\n"
	r1 = conn > 0 ? per(total) / conn : 0
	r2 = pair > 0 ? per(total) / pair : 0
	r3 = pair > 0 ? per(file) / pair : 0
	printf "  %-46s %8.2fx\n", "ratio vhuctl / raw same back-end", r1
	printf "  %-46s %8.2fx  (target <= 1.30x: %s)\n",
	       "ratio vhuctl / raw socketpair", r2, r2 <= 1.3 ? "met" : "MISSED"
	printf "  %-46s %8.2fx  (writing the results to %s too)\n",
	       "ratio vhuctl >file / raw socketpair", r3, tmp
}'
