#!/bin/bash
# bench/boot.sh [BUILD_DIR] - a QEMU guest's boot-to-I/O time, directly against
# qemu-storage-daemon and through vhuctl monitor (decoding and printing every message
# to a file), alternately, REPEAT times each (default 5): the median of each and their
# ratio. Target: through the monitor <= 1.05x direct.
#
# The guest is tests/guest.sh's (TCG, q35 + qboot, vhost-user-blk-pci): the time is from
# starting QEMU to the guest's "GUEST-READ:" line on its serial console, after it wrote
# sector 0 and read it back. The initramfs is built once under BUILD_DIR/tests/guest.
ME=boot.sh
. "$(dirname "$0")/lib.sh"
set -o pipefail
find_build_dir "${1:-}"
REPEAT=${REPEAT:-5}
PIDS=()
bail() { die "$@"; }
top_builddir=$BUILD_DIR
. "$SRCDIR/tests/guest.sh"
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; cleanup' EXIT
guest_build

truncate -s 16M "$TMP/disk.img"
bg_start "$TMP/qsd.log" qemu-storage-daemon \
	--blockdev "driver=file,node-name=f0,filename=$TMP/disk.img" \
	--export "type=vhost-user-blk,id=v0,node-name=f0,addr.type=unix,addr.path=$TMP/blk.sock,writable=on"
wait_sock "$TMP/blk.sock" "$BG_PID" "$TMP/qsd.log" 600

# boot SOCKET: milliseconds from starting QEMU to the guest's read-back
boot() {
	local t0 t1 log=$TMP/guest.log
	t0=$(date +%s%N)
	guest_start_blk "$1" "$log"
	for _ in $(seq 1200); do
		grep -q 'GUEST-READ:' "$log" 2>/dev/null && break
		kill -0 "$GUEST_PID" 2>/dev/null || die "the guest ended without its read-back: $(tail -5 "$log")"
		sleep 0.01
	done
	t1=$(date +%s%N)
	grep -q 'GUEST-READ: guest-wrote-sector-0' "$log" || die "the guest's I/O did not work: $(tail -5 "$log")"
	wait "$GUEST_PID" 2>/dev/null || :
	echo $(( (t1 - t0) / 1000000 ))
}

direct=() monitored=()
for i in $(seq "$REPEAT"); do
	direct+=("$(boot "$TMP/blk.sock")")
	rm -f "$TMP/mon.sock"
	bg_start "$TMP/mon.err" "$VHUCTL" monitor --once -o json -w "$TMP/rec.json" "listen:$TMP/mon.sock" "connect:$TMP/blk.sock"
	mon=$BG_PID
	wait_sock "$TMP/mon.sock" "$mon" "$TMP/mon.err" 600
	monitored+=("$(boot "$TMP/mon.sock")")
	bg_stop "$mon"
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
md=$(median "${direct[@]}") mm=$(median "${monitored[@]}")
echo "boot to I/O, ms: direct ${direct[*]}; through the monitor ${monitored[*]}"
echo "# $(jq -s 'length' "$TMP/rec.json") objects recorded in the last monitored boot; $(nproc) CPUs, nothing pinned (TCG)"
r=$(awk -v a="$mm" -v b="$md" 'BEGIN { printf "%.3f", a / b }')
echo "median: direct $md ms, through the monitor $mm ms: $r (target <= 1.05): $(awk -v r="$r" 'BEGIN { print (r <= 1.05) ? "met" : "not met" }')"
