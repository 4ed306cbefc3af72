#!/bin/bash
# bench/notify.sh [BUILD_DIR] - what vhuctl monitor --notify adds to each kick and call: the
# latency of a blk request at iodepth 1 (vhuctl bench blk against qemu-storage-daemon)
# directly, through vhuctl monitor, and through vhuctl monitor --notify, in one run.
#
# Without --notify the monitor relays only the control messages: the data path (kick
# eventfd, rings, call eventfd) goes straight between vhuctl and the daemon, so the
# latency should be the direct one. With --notify every kick and every call goes
# through the monitor: two hops more per request, each a wake-up of the monitor.
# vhuctl, the monitor and the daemon run on CPUs $PIN_CLIENT, $PIN_MONITOR and
# $PIN_DAEMON (0, 0, 1): with the monitor next to vhuctl a hop costs a wake-up on the
# same CPU; PIN_MONITOR=1 puts it next to the daemon.
ME=notify.sh
. "$(dirname "$0")/lib.sh"
set -o pipefail
find_build_dir "${1:-}"
TIME=${TIME:-5}
PIN_CLIENT=${PIN_CLIENT:-0}
PIN_MONITOR=${PIN_MONITOR:-0}
PIN_DAEMON=${PIN_DAEMON:-1}
REPEAT=${REPEAT:-3}

command -v qemu-storage-daemon >/dev/null || die "qemu-storage-daemon is not installed"
truncate -s 64M "$TMP/disk.img"
bg_start "$TMP/qsd.log" taskset -c "$PIN_DAEMON" qemu-storage-daemon \
	--blockdev "driver=file,node-name=f0,filename=$TMP/disk.img" \
	--export "type=vhost-user-blk,id=v0,node-name=f0,addr.type=unix,addr.path=$TMP/blk.sock,writable=on"
wait_sock "$TMP/blk.sock" "$BG_PID" "$TMP/qsd.log" 600

# p50 SOCKET: "P50 P99" of a bench blk run at iodepth 1
p50() {
	taskset -c "$PIN_CLIENT" "$VHUCTL" bench blk "$1" rw=randread bs=4K iodepth=1 time="$TIME" \
		>"$TMP/b.json" 2>"$TMP/b.err" || die "vhuctl bench failed: $(cat "$TMP/b.err")"
	jq -r '"\(.latency_us.p50) \(.latency_us.p99) \(.iops)"' "$TMP/b.json"
}

# through [MONITOR-OPTIONS]: p50 through a monitor started with them
through() {
	rm -f "$TMP/mon.sock"
	bg_start "$TMP/mon.log" taskset -c "$PIN_MONITOR" "$VHUCTL" monitor "$@" -o json -w /dev/null \
		"listen:$TMP/mon.sock" "connect:$TMP/blk.sock"
	local mon=$BG_PID
	wait_sock "$TMP/mon.sock" "$mon" "$TMP/mon.log" 600
	p50 "$TMP/mon.sock"
	bg_stop "$mon"
}

declare -a d m n
for i in $(seq "$REPEAT"); do
	d+=("$(p50 "$TMP/blk.sock")")
	m+=("$(through)")
	n+=("$(through --notify)")
done
# best: the run of the smallest p50
best() { printf '%s\n' "$@" | sort -n | head -n 1; }
read -r dp50 dp99 diops < <(best "${d[@]}")
read -r mp50 mp99 miops < <(best "${m[@]}")
read -r np50 np99 niops < <(best "${n[@]}")
printf '%-44s %10s %10s %8s\n' "4 KiB randread, iodepth 1 (best of $REPEAT)" "p50 us" "p99 us" IOPS
printf '%-44s %10s %10s %8s\n' "direct" "$dp50" "$dp99" "$diops"
printf '%-44s %10s %10s %8s\n' "through vhuctl monitor" "$mp50" "$mp99" "$miops"
printf '%-44s %10s %10s %8s\n' "through vhuctl monitor --notify" "$np50" "$np99" "$niops"
echo "# vhuctl on CPU $PIN_CLIENT, the monitor on CPU $PIN_MONITOR, qemu-storage-daemon on CPU $PIN_DAEMON; ${TIME}s each"
awk -v d="$dp50" -v m="$mp50" -v n="$np50" 'BEGIN {
	printf "monitor without --notify adds %.1f us per request (the data path does not go through it)\n", m - d
	printf "--notify adds %.1f us per request: a kick and a call relayed, %.1f us per hop\n", n - d, (n - d) / 2 }'
