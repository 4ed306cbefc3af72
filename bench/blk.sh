#!/bin/bash
# bench/blk.sh [BUILD_DIR] - vhuctl bench blk against qemu-storage-daemon, next to the anchors
# people use today, on the same image and machine, in one run:
#   1. fio, libaio, O_DIRECT, on the image file itself: the ceiling no back-end can beat
#   2. fio's nbd engine through the same qemu-storage-daemon (--export type=nbd)
#   3. vhuctl bench blk through the same daemon (--export type=vhost-user-blk), with
#      EVENT_IDX as a guest driver negotiates it; 3p the same busy-polling (poll)
# 4 KiB random reads at iodepth 1 and 32. The daemon opens the image with
# cache.direct=on,aio=native, so that it goes to the disk as fio does in 1.
# fio and vhuctl run on CPU $PIN_CLIENT (0), the daemon on CPU $PIN_DAEMON (1).
# Prints a table, then the ratios the targets are about.
ME=blk.sh
. "$(dirname "$0")/lib.sh"
set -o pipefail
find_build_dir "${1:-}"
SIZE_MB=${SIZE_MB:-256}
TIME=${TIME:-10}
PIN_CLIENT=${PIN_CLIENT:-0}
PIN_DAEMON=${PIN_DAEMON:-1}
DEPTHS=${DEPTHS:-"1 32"}
# O_DIRECT needs a file system that has it (not tmpfs): /var/tmp by default.
dir=$(mktemp -d "${BENCH_DIR:-/var/tmp}/vhuctl-blk.XXXXXX")
trap 'cleanup; rm -rf "$dir"' EXIT

for t in fio qemu-storage-daemon jq taskset; do
	command -v "$t" >/dev/null || die "$t is not installed"
done

img=$dir/disk.img
echo "# image: $SIZE_MB MiB of random data in $dir ($(df -T "$dir" | awk 'NR == 2 { print $2 }'))"
dd if=/dev/urandom of="$img" bs=1M count="$SIZE_MB" oflag=direct status=none
sync

bg_start "$dir/qsd.log" taskset -c "$PIN_DAEMON" qemu-storage-daemon \
	--blockdev "driver=file,node-name=f0,filename=$img,cache.direct=on,aio=native" \
	--nbd-server "addr.type=unix,addr.path=$dir/nbd.sock" \
	--export "type=nbd,id=n0,node-name=f0,name=disk,writable=on" \
	--export "type=vhost-user-blk,id=v0,node-name=f0,addr.type=unix,addr.path=$dir/blk.sock,writable=on" \
	--pidfile "$dir/qsd.pid"
wait_sock "$dir/blk.sock" "$BG_PID" "$dir/qsd.log" 600

# fio_run ENGINE-ARGS... : "IOPS P50_US P99_US CPU" of a fio randread job
fio_run() {
	local qd=$1; shift
	taskset -c "$PIN_CLIENT" fio --name=r --rw=randread --bs=4k --iodepth="$qd" --runtime="$TIME" --time_based \
		--ramp_time=1 --norandommap --randrepeat=1 --output-format=json --output="$dir/fio.json" "$@" >"$dir/fio.err" 2>&1 ||
		die "fio failed: $(cat "$dir/fio.err")"
	jq -r '.jobs[0].read | [(.iops | floor), (.clat_ns.percentile["50.000000"] / 1000),
		(.clat_ns.percentile["99.000000"] / 1000)] | @tsv' "$dir/fio.json"
}

vhuctl_run() {
	local qd=$1; shift
	taskset -c "$PIN_CLIENT" "$VHUCTL" bench blk "$dir/blk.sock" rw=randread bs=4K iodepth="$qd" time="$TIME" "$@" \
		>"$dir/vhuctl.json" 2>"$dir/vhuctl.err" || die "vhuctl failed: $(cat "$dir/vhuctl.err")"
	jq -r '[.iops, .latency_us.p50, .latency_us.p99, .cpu] | @tsv' "$dir/vhuctl.json"
}

declare -A iops p50 p99
printf '%-40s %8s %10s %10s\n' "4 KiB randread" IOPS "p50 us" "p99 us"
for qd in $DEPTHS; do
	read -r i a b < <(fio_run "$qd" --ioengine=libaio --direct=1 --filename="$img" --size="${SIZE_MB}M")
	iops[direct,$qd]=$i p50[direct,$qd]=$a p99[direct,$qd]=$b
	printf '%-40s %8s %10.1f %10.1f\n' "1. fio libaio O_DIRECT, iodepth $qd" "$i" "$a" "$b"
	read -r i a b < <(fio_run "$qd" --ioengine=nbd --uri="nbd+unix:///disk?socket=$dir/nbd.sock")
	iops[nbd,$qd]=$i p50[nbd,$qd]=$a p99[nbd,$qd]=$b
	printf '%-40s %8s %10.1f %10.1f\n' "2. fio nbd -> qsd, iodepth $qd" "$i" "$a" "$b"
	read -r i a b c < <(vhuctl_run "$qd")
	iops[vhuctl,$qd]=$i p50[vhuctl,$qd]=$a p99[vhuctl,$qd]=$b
	printf '%-40s %8s %10.1f %10.1f   (vhuctl ended on CPU %s)\n' "3. vhuctl bench blk -> qsd, iodepth $qd" "$i" "$a" "$b" "$c"
	read -r i a b c < <(vhuctl_run "$qd" poll)
	iops[poll,$qd]=$i p50[poll,$qd]=$a p99[poll,$qd]=$b
	printf '%-40s %8s %10.1f %10.1f   (vhuctl ended on CPU %s)\n' "3p. the same, poll, iodepth $qd" "$i" "$a" "$b" "$c"
done
echo "# fio and vhuctl pinned to CPU $PIN_CLIENT, qemu-storage-daemon to CPU $PIN_DAEMON; ${TIME}s each; $(nproc) CPUs"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b ? a / b : 0 }'; }
last=${DEPTHS##* } first=${DEPTHS%% *}
met() { awk -v r="$1" -v t="$2" 'BEGIN { print (r >= t) ? "met" : "not met" }'; }
for v in vhuctl poll; do
	r1=$(ratio "${iops[$v,$last]}" "${iops[direct,$last]}")
	r2=$(ratio "${iops[$v,$last]}" "${iops[nbd,$last]}")
	w=$([ $v = poll ] && echo "(3p)" || echo "(3)")
	echo "$w/(1) IOPS at iodepth $last: $r1 (target >= 0.7): $(met "$r1" 0.7); $w/(2): $r2 (target >= 1.5): $(met "$r2" 1.5)"
done
echo "p50 latency at iodepth $first: vhuctl ${p50[vhuctl,$first]} us, nbd ${p50[nbd,$first]} us (target: below nbd):" \
	"$(awk -v a="${p50[vhuctl,$first]}" -v b="${p50[nbd,$first]}" 'BEGIN { print (a < b) ? "met" : "not met" }')"
