#!/bin/bash
# bench/rss.sh - peak RSS of vhuctl holding a 16 GiB memfd guest-memory
# region with a few rings.
#
# Usage: bench/rss.sh [BUILD_DIR]
#
# Runs, against tests/fake-backend (vring setup needs a connection for its
# SET_VRING_* requests):
#
#   mem add 16G; vring setup 0; vring setup 1; vring setup 2; vring dump 0; sleep 200
#
# under `/usr/bin/time -v' and reports its "Maximum resident set size".
# While vhuctl sleeps, /proc/PID/status is sampled for the RSS breakdown
# (anonymous / file / shmem, i.e. touched memfd pages).  A second, informative
# row does the same with size=32768 rings (the largest split ring), whose
# `vring dump 0' is a 32768-entry JSON document.
#
# Environment:
#   VHUCTL=PATH        vhuctl binary (default BUILD_DIR/src/vhuctl)
#   FAKE_BACKEND=PATH  back-end (default BUILD_DIR/tests/fake-backend)
#   MEM=SIZE           region size (default 16G)
#   BIG=0              skip the size=32768 row
#   TMPDIR             where the temp dir goes
#
# Not part of `make check'.  See bench/README.md.

# shellcheck disable=SC2034 # ME is used by lib.sh
ME=bench/rss.sh
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

find_build_dir "${1:-}"
MEM=${MEM:-16G}
BIG=${BIG:-1}
TIME=/usr/bin/time
[ -x "$TIME" ] || die "$TIME not found (apt-get install time)"

SOCK=$TMP/sock
start_fake "$SOCK"

# measure LABEL SCRIPT: run vhuctl on SCRIPT under time -v; print one row.
measure() {
	local label=$1 script=$2 tpid vpid st hwm anon file shmem maxrss
	"$TIME" -v -o "$TMP/time.txt" "$VHUCTL" --json=compact "$SOCK" -c "$script" \
		>"$TMP/out" 2>"$TMP/err" &
	tpid=$!
	vpid=''
	st=''
	# vhuctl is time's only child; keep the last /proc sample before it exits
	while kill -0 "$tpid" 2>/dev/null; do
		[ -n "$vpid" ] || vpid=$(awk "{ print \$1 }" "/proc/$tpid/task/$tpid/children" 2>/dev/null)
		if [ -n "$vpid" ] && [ -r "/proc/$vpid/status" ]; then
			s=$(grep -E '^(VmHWM|RssAnon|RssFile|RssShmem):' "/proc/$vpid/status" 2>/dev/null) &&
				[ -n "$s" ] && st=$s
		fi
		sleep 0.02
	done
	wait "$tpid" || die "$label: vhuctl failed: $(head -c 500 "$TMP/err")"
	# the script must have got to the dump and the sleep
	grep -q '"command":"vring dump"' "$TMP/out" || die "$label: no vring dump in the output"
	grep -q '"command":"sleep"' "$TMP/out" || die "$label: no sleep in the output"
	maxrss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$TMP/time.txt")
	kb() { printf '%s\n' "$st" | awk -v k="$1" '$1 == k ":" { print $2 }'; }
	hwm=$(kb VmHWM) anon=$(kb RssAnon) file=$(kb RssFile) shmem=$(kb RssShmem)
	awk -v l="$label" -v m="$maxrss" -v h="${hwm:--}" -v a="${anon:--}" -v f="${file:--}" \
	    -v s="${shmem:--}" -v dump="$(grep -c '' "$TMP/out")" \
	    -v bytes="$(grep '"command":"vring dump"' "$TMP/out" | wc -c)" -v t="$3" 'BEGIN {
		printf "  %-26s %9.2f %9s %9s %9s %9s %10d   %s\n", l, m / 1024,
		       h == "-" ? "-" : sprintf("%.2f", h / 1024),
		       a == "-" ? "-" : sprintf("%.2f", a / 1024),
		       f == "-" ? "-" : sprintf("%.2f", f / 1024),
		       s == "-" ? "-" : sprintf("%.2f", s / 1024), bytes,
		       t == "" ? "(no target; for comparison)" : (m <= 32 * 1024 ? "met (<= 32 MB)" : "MISSED (> 32 MB)")
	}'
}

printf 'vhuctl RSS bench: mem add %s, 3 rings, vring dump 0, sleep 200 (fake back-end)\n' "$MEM"
printf '  vhuctl: %s\n' "$VHUCTL"
printf '  MB (MiB): max RSS from /usr/bin/time -v; HWM/anon/file/shmem sampled from /proc/PID/status\n\n'
printf '  %-26s %9s %9s %9s %9s %9s %10s   %s\n' case max_RSS VmHWM RssAnon RssFile RssShmem dump_bytes target
measure "rings of 256 (the issue)" \
	"mem add $MEM; vring setup 0; vring setup 1; vring setup 2; vring dump 0; sleep 200" target
if [ "$BIG" = 1 ]; then
	measure "rings of 32768" \
		"mem add $MEM; vring setup 0 size=32768; vring setup 1 size=32768; vring setup 2 size=32768; vring dump 0; sleep 200" ''
fi
