#!/bin/bash
# bench/net.sh [BUILD_DIR] - 64-byte frames into a dpdk-testpmd vhost port in rxonly mode, sent
# by the two front-ends in turn, in one run:
#   1. DPDK virtio-user inside a second testpmd, --forward-mode=txonly (a real front-end)
#   2. vhuctl bench net rx=off
# The vhost testpmd's forwarding lcore is on CPU $PIN_BACKEND (1); the sender (virtio-user's
# forwarding lcore, or vhuctl) on CPU $PIN_SENDER (0). Each testpmd's main lcore, which
# sleeps but for its stats line once a second, sits on the other CPU: on the same CPU as a
# busy-polling lcore it is starved and prints nothing. Each side's own count is read:
# testpmd prints Rx-pps/Tx-pps every second (--stats-period 1), vhuctl its tx_pps.
# Prints the figures and the ratio; target: vhuctl >= 0.9x virtio-user's packets per second.
ME=net.sh
. "$(dirname "$0")/lib.sh"
set -o pipefail
find_build_dir "${1:-}"
TIME=${TIME:-10}
PIN_SENDER=${PIN_SENDER:-0}
PIN_BACKEND=${PIN_BACKEND:-1}
SIZE=${SIZE:-64}

command -v dpdk-testpmd >/dev/null || die "dpdk-testpmd is not installed"
sock=$TMP/net.sock

# vhost_start: the receiving testpmd; its stats lines go to $TMP/vhost.log line by line.
vhost_start() {
	rm -f "$sock"
	bg_start "$TMP/vhost.log" stdbuf -oL dpdk-testpmd --no-huge --no-pci --file-prefix=vh \
		--lcores="0@$PIN_SENDER,1@$PIN_BACKEND" --vdev "net_vhost0,iface=$sock,queues=1" \
		-- --forward-mode=rxonly --auto-start --stats-period 1 --total-num-mbufs=4096 --no-flush-rx
	VHOST=$BG_PID
	wait_sock "$sock" "$VHOST" "$TMP/vhost.log" 600
}

# median_of WHAT LOG: the median of the WHAT (Rx-pps, Tx-pps) figures testpmd printed, less
# the first (the run starting). testpmd prints them about every 2 s here, not 1: it times
# its period with the TSC, whose rate it seems to misjudge on these VMs.
median_of() {
	sed -n "s/.*$1: *\([0-9]*\).*/\1/p" "$2" | awk '$1 > 0' | tail -n +2 | sort -n |
		awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'
}

# 1. virtio-user txonly
vhost_start
bg_start "$TMP/vu.log" stdbuf -oL dpdk-testpmd --no-huge --no-pci --file-prefix=vu \
	--lcores="0@$PIN_BACKEND,1@$PIN_SENDER" --vdev "net_virtio_user0,path=$sock,queues=1" \
	-- --forward-mode=txonly --txpkts="$SIZE" --auto-start --stats-period 1 --total-num-mbufs=4096
VU=$BG_PID
sleep "$TIME"	# a benchmark's run time: the rates are read from the lines printed meanwhile
bg_stop "$VU"
vu_tx=$(median_of Tx-pps "$TMP/vu.log")
vu_rx=$(median_of Rx-pps "$TMP/vhost.log")
bg_stop "$VHOST"

# 2. vhuctl bench net, rx=off
vhost_start
taskset -c "$PIN_SENDER" "$VHUCTL" bench net "$sock" size="$SIZE" rx=off time="$TIME" >"$TMP/vhuctl.json" 2>"$TMP/vhuctl.err" ||
	die "vhuctl failed: $(cat "$TMP/vhuctl.err")"
vh_tx=$(jq .tx_pps "$TMP/vhuctl.json")
vh_cpu=$(jq .cpu "$TMP/vhuctl.json")
vh_rx=$(median_of Rx-pps "$TMP/vhost.log")
bg_stop "$VHOST"

printf '%-44s %12s %16s\n' "$SIZE-byte frames into testpmd rxonly" "sent pps" "testpmd Rx-pps"
printf '%-44s %12s %16s\n' "1. DPDK virtio-user, testpmd txonly" "$vu_tx" "$vu_rx"
printf '%-44s %12s %16s\n' "2. vhuctl bench net rx=off" "$vh_tx" "$vh_rx"
echo "# sender on CPU $PIN_SENDER (vhuctl ended on CPU $vh_cpu), vhost testpmd's forwarding core on CPU $PIN_BACKEND; ${TIME}s each"
r=$(awk -v a="$vh_tx" -v b="$vu_tx" 'BEGIN { printf "%.2f", b ? a / b : 0 }')
echo "vhuctl / virtio-user packets per second: $r (target >= 0.9): $(awk -v r="$r" 'BEGIN { print (r >= 0.9) ? "met" : "not met" }')"
