# shellcheck shell=bash
# bench/lib.sh - shared helpers for bench/ring-dump.sh, bench/rss.sh and
# bench/latency.sh.  Sourced, not run.  (bench/run.sh does not use it.)
#
# The sourcing script sets ME (its name, for messages) before sourcing.
# After sourcing: SRCDIR, BUILD_DIR, TMP (a fresh mktemp -d directory that is
# removed on exit), VHUCTL, and the functions below.  Every process started
# with bg_start is killed by its PID on exit.

set -eu

ME=${ME:-bench}
die() { echo "$ME: $*" >&2; exit 1; }
note() { echo "$ME: $*" >&2; }

SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# BUILD_DIR: the first argument the caller passes, else the first of ., the
# source tree, <srctree>/build, <srctree>/../build that holds src/vhuctl.
find_build_dir() {
	BUILD_DIR=${1:-}
	if [ -z "$BUILD_DIR" ]; then
		for d in . "$SRCDIR" "$SRCDIR/build" "$SRCDIR/../build"; do
			if [ -x "$d/src/vhuctl" ]; then BUILD_DIR=$d; break; fi
		done
	fi
	if [ -z "${VHUCTL:-}" ]; then
		[ -n "$BUILD_DIR" ] && [ -x "$BUILD_DIR/src/vhuctl" ] ||
			die "no src/vhuctl found; pass BUILD_DIR or set VHUCTL"
		VHUCTL=$BUILD_DIR/src/vhuctl
	fi
	[ -x "$VHUCTL" ] || die "not executable: $VHUCTL"
	VHUCTL=$(cd "$(dirname "$VHUCTL")" && pwd)/$(basename "$VHUCTL")
	[ -z "$BUILD_DIR" ] || BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vhuctl-bench.XXXXXX")
BG_PIDS=()

# Kill what we started, by PID, newest first; give each a second to go,
# then SIGKILL it.
cleanup() {
	local i pid
	for ((i = ${#BG_PIDS[@]} - 1; i >= 0; i--)); do
		pid=${BG_PIDS[i]}
		kill "$pid" 2>/dev/null || continue
		for _ in $(seq 20); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		kill -9 "$pid" 2>/dev/null || :
		wait "$pid" 2>/dev/null || :
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# bg_start LOG CMD...: start CMD in the background (stdin /dev/null, output to
# LOG), remember its PID for cleanup; BG_PID = that PID.  A `taskset' prefix
# execs, so the PID is the back-end's own.
bg_start() {
	local log=$1
	shift
	"$@" </dev/null >"$log" 2>&1 &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
}

# bg_stop PID: kill one process started with bg_start, by its PID, and wait.
bg_stop() {
	local pid=$1 i
	kill "$pid" 2>/dev/null || :
	for _ in $(seq 40); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -9 "$pid" 2>/dev/null || :
	wait "$pid" 2>/dev/null || :
	for i in "${!BG_PIDS[@]}"; do
		[ "${BG_PIDS[i]}" != "$pid" ] || unset 'BG_PIDS[i]'
	done
	BG_PIDS=("${BG_PIDS[@]}")
}

# wait_sock SOCK PID LOG [TRIES]: wait (0.05 s steps) until SOCK exists.
wait_sock() {
	local sock=$1 pid=$2 log=$3 tries=${4:-200}
	for _ in $(seq "$tries"); do
		[ -S "$sock" ] && return 0
		kill -0 "$pid" 2>/dev/null ||
			die "back-end exited before creating $sock: $(tail -n 5 "$log")"
		sleep 0.05
	done
	die "back-end did not create $sock: $(tail -n 5 "$log")"
}

# start_fake SOCK [PIN_PREFIX...]: tests/fake-backend on SOCK.
start_fake() {
	local sock=$1
	shift
	if [ -z "${FAKE_BACKEND:-}" ]; then
		if [ -n "$BUILD_DIR" ] && [ -x "$BUILD_DIR/tests/fake-backend" ]; then
			FAKE_BACKEND=$BUILD_DIR/tests/fake-backend
		else
			"${CC:-cc}" -std=gnu11 -O2 -o "$TMP/fake-backend" \
				"$SRCDIR/tests/fake-backend.c" "$SRCDIR/tests/fake-rings.c" ||
				die "cannot build tests/fake-backend.c; set FAKE_BACKEND"
			FAKE_BACKEND=$TMP/fake-backend
		fi
	fi
	bg_start "$TMP/fake.log" "$@" "$FAKE_BACKEND" "$sock"
	wait_sock "$sock" "$BG_PID" "$TMP/fake.log"
}

# now_us: wall clock in µs.
now_us() {
	if [ -n "${EPOCHREALTIME:-}" ]; then
		local t=${EPOCHREALTIME/,/.}
		echo "${t/./}"
	else
		echo $(($(date +%s%N) / 1000))
	fi
}

# min A B: the smaller of two numbers (A empty: B).
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }'; }

# stats: numbers on stdin, one a line -> "n=… min=… median=… p90=… p99=… max=…
# mean=…".  Percentiles are nearest-rank (p-th: the ceil(p/100*n)-th smallest).
stats() {
	sort -g | awk '
	function rank(p,   k) { k = int(p / 100 * n); if (k < p / 100 * n) k++; if (k < 1) k = 1; return v[k] }
	{ v[++n] = $1; s += $1 }
	END {
		if (n == 0) { print "n=0"; exit }
		printf "n=%d min=%.1f median=%.1f p90=%.1f p99=%.1f max=%.1f mean=%.1f\n",
		       n, v[1], rank(50), rank(90), rank(99), v[n], s / n
	}'
}

posint() {
	case $2 in '' | *[!0-9]* | 0) die "$1 must be a positive integer: $2" ;; esac
}
