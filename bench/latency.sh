#!/bin/bash
# bench/latency.sh - round-trip latency distributions through real back-ends.
#
# Usage: bench/latency.sh [BUILD_DIR]
#
#   blk  N_BLK x `blk read 0 8' (4 KiB) against qemu-storage-daemon, in one
#        `vhuctl -f' script; the figure is each result's rtt_us.
#   net  N_NET x (`net send FRAME'; `net recv timeout=1000') through
#        dpdk-testpmd --forward-mode=io; the figure is each since_send_us
#        (from the kick in `net send' to the frame found on the RX ring; it
#        includes vhuctl printing the send result and parsing the recv line).
#
# The first WARMUP requests of each run are made but not counted.  Each case
# runs in each of these placements (MODES, default "pinned unpinned"):
#
#   pinned    blk: qemu-storage-daemon and vhuctl both under taskset -c 0.
#             net: vhuctl under taskset -c 0; testpmd under taskset -c 0-1
#             with -l 0-1 --main-lcore 0, so its main lcore is CPU 0 and
#             its forwarding lcore (lcore 1) is CPU 1.
#   unpinned  nothing pinned.  blk: no taskset.  net: no taskset, and testpmd
#             gets --lcores='(0,1)@(0,1)' so that its EAL does not pin its
#             threads either (with plain -l 0-1 it would).
#   eal       net only: vhuctl not pinned, testpmd with plain -l 0-1 (EAL pins
#             lcore 0 to CPU 0, lcore 1 to CPU 1): what you get by only
#             leaving out taskset.  Not in the default MODES.
#   cross     blk only: qemu-storage-daemon under taskset -c 1, vhuctl under
#             taskset -c 0, to show the cost of a wake-up across CPUs.  Not
#             in the default MODES.
#
# Environment:
#   VHUCTL=PATH      vhuctl binary (default BUILD_DIR/src/vhuctl)
#   QSD=PATH         qemu-storage-daemon (default: from PATH)
#   TESTPMD=PATH     dpdk-testpmd (default: from PATH)
#   N_BLK=N          blk reads counted (default 2000)
#   N_NET=N          frames counted (default 500)
#   WARMUP=N         uncounted requests first (default 10)
#   CASES="blk net"  which cases (default both; a missing back-end is skipped)
#   MODES="..."      placements (default "pinned unpinned")
#   KEEP=DIR         copy the raw vhuctl outputs and figures into DIR
#   TMPDIR           where the temp dir goes (image, sockets, outputs)
#
# Not part of `make check'.  testpmd spins one CPU at 100% while it runs.
# See bench/README.md.

# shellcheck disable=SC2034 # ME is used by lib.sh
ME=bench/latency.sh
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

find_build_dir "${1:-}"
N_BLK=${N_BLK:-2000}
N_NET=${N_NET:-500}
WARMUP=${WARMUP:-10}
CASES=${CASES:-blk net}
MODES=${MODES:-pinned unpinned}
posint N_BLK "$N_BLK"
posint N_NET "$N_NET"
case $WARMUP in '' | *[!0-9]*) die "WARMUP must be a number: $WARMUP" ;; esac
command -v jq >/dev/null || die "jq not found"
QSD=${QSD:-$(command -v qemu-storage-daemon || :)}
TESTPMD=${TESTPMD:-$(command -v dpdk-testpmd || :)}

# 60-byte broadcast frame (IPv4 ethertype, zero padding)
FRAME=ffffffffffff525400123456080045000014000000004000000000000000
FRAME=$FRAME$(printf '00%.0s' $(seq 30))

keep() { [ -z "${KEEP:-}" ] || { mkdir -p "$KEEP" && cp "$1" "$KEEP/$2"; }; }

row() {	# row CASE MODE LOST FILE-OF-NUMBERS
	local s
	s=$(stats <"$4")
	printf '  %-4s %-9s %s lost=%s\n' "$1" "$2" "$s" "$3"
}

# --- blk: qemu-storage-daemon ----------------------------------------------
bench_blk() {
	local mode=$1 pin=() bpin=() sock=$TMP/blk-$1.sock n
	case $mode in
	pinned) pin=(taskset -c 0) bpin=(taskset -c 0) ;;
	cross) pin=(taskset -c 0) bpin=(taskset -c 1) ;;
	unpinned) ;;
	*) return 0 ;;
	esac
	bg_start "$TMP/qsd-$mode.log" "${bpin[@]}" "$QSD" \
		--blockdev "driver=file,node-name=file0,filename=$TMP/disk.img" \
		--export "type=vhost-user-blk,id=exp0,addr.type=unix,addr.path=$sock,node-name=file0,writable=on"
	local qpid=$BG_PID
	wait_sock "$sock" "$qpid" "$TMP/qsd-$mode.log"
	{
		echo start
		awk -v n=$((WARMUP + N_BLK)) 'BEGIN { for (i = 0; i < n; i++) print "blk read 0 8" }'
		echo stop
	} >"$TMP/blk.vhu"
	"${pin[@]}" "$VHUCTL" --json=compact --device blk "$sock" -f "$TMP/blk.vhu" \
		>"$TMP/blk-$mode.out" 2>"$TMP/err" ||
		die "blk $mode: vhuctl failed: $(head -c 500 "$TMP/err")"
	bg_stop "$qpid"
	jq -r 'select(.command == "blk read") | [.status, .data.len, .rtt_us] | @tsv' \
		"$TMP/blk-$mode.out" >"$TMP/blk-$mode.tsv"
	n=$(awk -F'\t' '$1 == "OK" && $2 == 4096' "$TMP/blk-$mode.tsv" | wc -l)
	[ "$n" -eq $((WARMUP + N_BLK)) ] ||
		die "blk $mode: $n good 4 KiB reads, expected $((WARMUP + N_BLK))"
	tail -n +$((WARMUP + 1)) "$TMP/blk-$mode.tsv" | cut -f3 >"$TMP/blk-$mode.us"
	keep "$TMP/blk-$mode.us" "blk-$mode.us"
	row blk "$mode" 0 "$TMP/blk-$mode.us"
}

# --- net: dpdk-testpmd ---------------------------------------------------------
bench_net() {
	local mode=$1 pin=() tp=() sock=$TMP/net-$1.sock lost nrecv
	case $mode in
	pinned) pin=(taskset -c 0) tp=(taskset -c 0-1 "$TESTPMD" -l 0-1 --main-lcore 0) ;;
	unpinned) tp=("$TESTPMD" "--lcores=(0,1)@(0,1)") ;;
	eal) tp=("$TESTPMD" -l 0-1) ;;
	*) return 0 ;;
	esac
	rm -f "$sock"
	bg_start "$TMP/testpmd-$mode.log" "${tp[@]}" --no-huge --no-pci --no-shconf \
		--vdev "net_vhost0,iface=$sock,queues=1" -- \
		--total-num-mbufs=2048 --forward-mode=io --no-flush-rx --auto-start --stats-period 3600
	local tpid=$BG_PID
	wait_sock "$sock" "$tpid" "$TMP/testpmd-$mode.log"
	{
		echo start
		for _ in $(seq $((WARMUP + N_NET))); do
			echo "net send $FRAME"
			echo "net recv timeout=1000"
		done
		echo stop
	} >"$TMP/net.vhu"
	# --keep-going: a lost frame is a timeout error, counted below
	"${pin[@]}" "$VHUCTL" --json=compact --keep-going --device net "$sock" -f "$TMP/net.vhu" \
		>"$TMP/net-$mode.out" 2>"$TMP/err" || :
	bg_stop "$tpid"
	grep -q '"command":"start"' "$TMP/net-$mode.out" && ! jq -e 'select(.command == "start") | .error' \
		"$TMP/net-$mode.out" >/dev/null ||
		die "net $mode: start failed: $(head -c 500 "$TMP/err")"
	jq -r 'select(.command == "net recv") | .since_send_us // "lost"' \
		"$TMP/net-$mode.out" | tail -n +$((WARMUP + 1)) >"$TMP/net-$mode.all"
	nrecv=$(wc -l <"$TMP/net-$mode.all")
	[ "$nrecv" -eq "$N_NET" ] || die "net $mode: $nrecv net recv results, expected $N_NET"
	lost=$(grep -c lost "$TMP/net-$mode.all" || :)
	grep -v lost "$TMP/net-$mode.all" >"$TMP/net-$mode.us" || :
	keep "$TMP/net-$mode.us" "net-$mode.us"
	row net "$mode" "$lost" "$TMP/net-$mode.us"
}

printf 'vhuctl latency bench: %s CPUs, warm-up %d uncounted\n' "$(nproc)" "$WARMUP"
printf '  vhuctl:  %s\n' "$VHUCTL"
printf '  blk: %d x blk read 0 8 (4 KiB), rtt_us, qemu-storage-daemon (%s)\n' "$N_BLK" "${QSD:-missing}"
printf '  net: %d x net send (60 B) + net recv, since_send_us, dpdk-testpmd io fwd (%s)\n' "$N_NET" "${TESTPMD:-missing}"
printf '  µs; percentiles nearest-rank\n\n'
for c in $CASES; do
	case $c in
	blk)
		if [ -z "$QSD" ]; then note "qemu-storage-daemon not found: blk skipped"; continue; fi
		truncate -s 4M "$TMP/disk.img"
		for m in $MODES; do bench_blk "$m"; done
		;;
	net)
		if [ -z "$TESTPMD" ]; then note "dpdk-testpmd not found: net skipped"; continue; fi
		for m in $MODES; do bench_net "$m"; done
		;;
	*) die "unknown case: $c" ;;
	esac
done
