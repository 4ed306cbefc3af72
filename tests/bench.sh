#!/bin/bash
# bench.sh - vhuctl bench, for correctness (not speed): against qemu-storage-daemon
# (counts against GET_VRING_BASE, count= exact, verify catching a block changed
# behind the back-end's back, monotone percentiles, bounded memory) and
# dpdk-testpmd (frames counted against testpmd's own port statistics).
. "${top_srcdir:-.}/tests/lib.sh"

IMG=$TMP/disk.img
S=$TMP/blk.sock
truncate -s 8M "$IMG"
start_qsd "$IMG" "$S"

# monotone PCTS: min <= mean? no: min <= p50 <= p90 <= p99 <= p99_9 <= max
monotone() {
	jq -r '.latency_us | [.min <= .p50, .p50 <= .p90, .p90 <= .p99, .p99 <= .p99_9, .p99_9 <= .max, .min > 0] | all'
}

# --- blk: count= is exact, and the back-end's ring index agrees ---------------
run_vhuctl --device blk "$S" -c 'bench blk rw=randread iodepth=8 count=1000; stop'
ran_ok "bench blk count=1000, then stop"
b=$(jcmd "bench blk")
is "$(printf '%s' "$b" | jq -c '[.ios, .reads, .writes, .iodepth, .rw]')" '[1000,1000,0,8,"randread"]' \
	"count=1000: exactly 1000 requests, all reads"
is "$(jcmd stop | jq '.bases[0].num')" 1000 "GET_VRING_BASE after the run: the back-end took 1000 requests"
is "$(printf '%s' "$b" | monotone)" true "latency percentiles are monotone (min <= p50 <= p90 <= p99 <= p99.9 <= max)"
is "$(printf '%s' "$b" | jq -c '.start | [.queues, .layout]')" '[1,"split"]' "bench brought the device up itself (start)"
is "$(printf '%s' "$b" | jq '.size')" 8388608 "the device's size from GET_CONFIG (8 MiB)"
is "$(printf '%s' "$b" | jq '.iops > 0 and .mb_s > 0 and .elapsed_s > 0')" true "IOPS, MB/s and the time are reported"

# Two runs in one session: the second uses the rings as they are.
# A session not told it is a blk device (the REPL's `vhuctl SOCKET`): the
# size still comes from GET_CONFIG's capacity, read from its bytes.
run_vhuctl "$S" -c 'bench blk count=10; stop'
ran_ok "bench blk in a session with no --device"
is "$(jcmd "bench blk" | jq -c '[.size, .ios]')" '[8388608,10]' "its size from GET_CONFIG's bytes (8 MiB), 10 I/Os"

run_vhuctl --device blk "$S" -c 'bench blk count=300 iodepth=4 event-idx=off; bench blk rw=randwrite count=200 iodepth=2 bs=8K; stop'
ran_ok "two runs in one session"
is "$(printf '%s\n' "$OUT" | jq -s -c '[.[] | select(.command == "bench blk") | .ios]')" '[300,200]' "each run did its count"
is "$(printf '%s\n' "$OUT" | jq -s -c '[.[] | select(.command == "bench blk") | has("start")]')" '[true,false]' \
	"the second run did not start the device again"
is "$(printf '%s\n' "$OUT" | jq -s -r '[.[] | select(.command == "bench blk")][0].start.features.names | index("VIRTIO_F_EVENT_IDX")')" null \
	"event-idx=off: VIRTIO_F_EVENT_IDX left out"
is "$(jcmd stop | jq '.bases[0].num')" 500 "GET_VRING_BASE: 300 + 200 requests"

# A queue depth beyond what the ring holds: bench says what to do.
run_vhuctl --device blk "$S" -c 'start; bench blk iodepth=100 count=10'
is "$RC" 1 "iodepth 100 on a ring of 256 descriptors fails"
like "$ERR" "needs 300 free descriptors on ring 0, which has 256: start with size=512" "and says which ring size would do"

# --- verify ----------------------------------------------------------------------
run_vhuctl --device blk "$S" -c 'bench blk rw=read count=10 verify'
is "$RC" 1 "verify of blocks never written fails"
is "$(jcmd "bench blk" | jq -r .error.code)" EILSEQ "with EILSEQ"
like "$ERR" "verify: sector 0 holds no pattern of vhuctl's" "saying the first block read holds no pattern"
run_vhuctl --device blk "$S" -c 'bench blk rw=write count=64 size=256K verify'
ran_ok "rw=write verify over the first 256 KiB (64 blocks)"
is "$(jcmd "bench blk" | jq -c '[.ios, .writes, .reads, .verify_reads, .verified]')" '[64,64,0,64,64]' \
	"64 blocks written, then each read back and checked"
run_vhuctl --device blk "$S" -c 'bench blk rw=randread count=500 iodepth=16 size=256K verify'
ran_ok "randread verify: every block holds what was written"
is "$(jcmd "bench blk" | jq -c '[.reads, .verified]')" '[500,500]' "500 reads, 500 verified"
# rw= mixed with verify: writes and reads of one block never overlap
run_vhuctl --device blk "$S" -c 'bench blk rw=randrw count=2000 iodepth=16 size=64K verify'
ran_ok "randrw verify on 16 blocks at iodepth 16"
is "$(jcmd "bench blk" | jq '.reads + .writes == 2000 and .writes > 0 and .reads > 0 and .verified == .reads')" true \
	"2000 requests, reads and writes, every read verified"
# One byte of block 7 changed in the image, behind the back-end's back.
printf '\377' | dd of="$IMG" bs=1 seek=$((7 * 4096 + 100)) conv=notrunc 2>/dev/null
run_vhuctl --device blk "$S" -c 'bench blk rw=read count=64 size=256K verify'
is "$RC" 1 "a block changed behind the back-end's back fails verify"
is "$(jcmd "bench blk" | jq -r .error.code)" EILSEQ "with EILSEQ"
like "$ERR" "verify: sector 56, byte 100 of the block" "naming the sector and the byte"
is "$(jcmd "bench blk" | jq '.verified')" 7 "the seven blocks before it verified"

# poll: no used-buffer notifications asked for
run_vhuctl --device blk "$S" -c 'bench blk count=500 poll iodepth=4'
ran_ok "bench blk poll"
is "$(jcmd "bench blk" | jq -c '[.ios, .poll, .calls]')" '[500,true,0]' "poll: 500 requests, no call waited on"

# EVENT_IDX, as guest drivers negotiate it: notifications suppressed both ways;
# event-idx=off leaves it out
run_vhuctl --device blk "$S" -c 'bench blk count=2000 iodepth=16; bench blk count=500 packed event-idx=off; stop'
is "$RC/$(jcmd "bench blk" | jq -c '[.ios, (.start.features.names | index("VIRTIO_F_EVENT_IDX") != null)]')" '0/[2000,true]' \
	"by default VIRTIO_F_EVENT_IDX is negotiated, as guest drivers do: 2000 requests"
is "$(jcmd stop | jq '.bases[0].num')" 2500 "GET_VRING_BASE: 2000 + 500 requests"
like "$(printf '%s\n' "$OUT" | jq -s -c '[.[] | select(.command == "bench blk")][1].warnings')" "the device was up already" \
	"packed on a device up already: a warning says it does not apply"
run_vhuctl --device blk "$S" -c 'bench blk count=1000 iodepth=8 packed'
is "$RC" 1 "packed against qemu-storage-daemon, which offers no packed rings, fails"
like "$ERR" "the back-end does not offer VIRTIO_F_RING_PACKED" "saying so"

# the front-end form, and its text view
run_vhuctl bench blk "$S" count=200 iodepth=2 --output=text
ran_ok "vhuctl bench blk SOCKET ... --output=text"
like "$OUT" "bench blk rw=randread bs=4096 iodepth=2 queues=1 ios=200" "the text view's first line"
like "$OUT" "latency_us       min      mean       p50" "and the percentiles as a table"
run_vhuctl -t 3000 bench blk "$S" count=100 rw=write
ran_ok "vhuctl -t MS bench blk ...: options before bench"
is "$(printf '%s\n' "$OUT" | wc -l)" 1 "one JSON object: the result"
run_vhuctl bench blk "$S" rw=sideways
is "$RC" 3 "a bad rw= is refused before anything runs (exit status 3)"
like "$ERR" "sideways" "naming the value"
run_vhuctl bench disk "$S"
is "$RC" 2 "bench of an unknown kind is a usage error"

# --- bench request ---------------------------------------------------------------
run_vhuctl bench request "$S" get-features count=300
ran_ok "bench request get-features count=300"
is "$(printf '%s' "$OUT" | jq -c '[.request, .count]')" '["GET_FEATURES",300]' "300 GET_FEATURES round trips"
is "$(printf '%s' "$OUT" | monotone)" true "round-trip percentiles monotone, and more than 0"
run_vhuctl --device blk "$S" -c "start; bench request 'get-vring-base 0' count=5"
ran_ok "bench request with arguments, quoted"
is "$(jcmd "bench request" | jq -c '[.request, .count]')" '["GET_VRING_BASE",5]' "five GET_VRING_BASE"
run_vhuctl "$S" -c 'bench request "mem add 1M" count=5'
is "$RC" 1 "bench request of a command that is no request fails"
like "$ERR" "is not a protocol request" "and says so"

# --- a back-end that misbehaves: a clear error, never a hang ------------------------
F=$TMP/fake.sock
start_fake "$F"	# it answers the handshake, and never processes a ring
for mode in "" poll; do
	run_vhuctl -t 1000 --device blk "$F" -c "bench blk count=10 size=1M $mode"
	is "$RC/$(jcmd "bench blk" | jq -r .error.code)" 5/ETIMEDOUT "a back-end that never uses a request: ETIMEDOUT${mode:+ ($mode)}"
	like "$ERR" "no request completed within 1000 ms (1 in flight)" "saying how long and how many"
done
stop_fake
start_fake --rings repeat "$F"	# it writes a used entry twice
run_vhuctl --device blk "$F" -c 'bench blk count=10 size=1M'
is "$RC/$(jcmd "bench blk" | jq -r .error.code)" 1/EPROTO "a used entry for a chain not in flight: EPROTO"
like "$ERR" "which is not in flight" "naming it"
stop_fake
for mode in "" poll; do
	start_fake --rings inorder "$F"
	"$VHUCTL" --device blk "$F" -c "bench blk time=30 size=1M $mode" >"$TMP/gone.out" 2>"$TMP/gone.err" </dev/null &
	bp=$!
	wait_line "$TMP/fake.log" "ring-used ring=0" 30 "$bp" || bail "the fake back-end used no request"
	stop_fake	# the back-end dies in the middle of the run
	wait "$bp"
	is "$?/$(jq -r .error.code "$TMP/gone.out")" 5/ECONNRESET "the back-end dying mid-run: ECONNRESET${mode:+ ($mode)}"
	is "$(jq '.ios > 0' "$TMP/gone.out")" true "with the figures of what was done until then"
done

# --- a signal ends the run with its result -----------------------------------------
# The run is under way once block 0 of the image holds vhuctl's pattern.
dd if=/dev/zero of="$IMG" bs=4096 count=1 conv=notrunc 2>/dev/null
"$VHUCTL" --device blk "$S" -c 'bench blk rw=write verify time=60 iodepth=4 size=1M' >"$TMP/sig.out" 2>"$TMP/sig.err" </dev/null &
bp=$!
for _ in $(seq 600); do
	[ "$(head -c 8 "$IMG")" = VHUCTLv1 ] && break
	kill -0 "$bp" 2>/dev/null || break
	sleep 0.05
done
is "$(head -c 8 "$IMG")" VHUCTLv1 "the run writes (block 0 holds the pattern)"
kill -TERM "$bp"	# (SIGINT is ignored by a background job of a script)
wait "$bp"
st=$?
is "$st" 143 "SIGTERM: vhuctl dies of it (exit status 143)"
is "$(jq -c '[.command, .interrupted, (.writes > 0), .verify_reads]' "$TMP/sig.out")" '["bench blk",true,true,0]' \
	"the result so far is printed, marked interrupted (and no verify pass begun)"

# --- threads=on: a thread per queue ------------------------------------------------
# A second qsd with two queues (its own image: qsd locks the first).
IMG2=$TMP/disk2.img
S2=$TMP/blk2.sock
truncate -s 8M "$IMG2"
start_qsd "$IMG2" "$S2" num-queues=2
run_vhuctl --device blk "$S2" -c 'bench blk queues=2 threads=on iodepth=8 count=1001; stop'
ran_ok "bench blk queues=2 threads=on count=1001, then stop"
is "$(jcmd "bench blk" | jq -c '[.ios, .reads, .queues, .threads]')" '[1001,1001,2,2]' \
	"1001 requests over two queues, each driven by a thread of its own"
is "$(jcmd stop | jq -c '[.bases[].num]')" '[501,500]' "GET_VRING_BASE of each ring: the back-end took 501 and 500"
is "$(jcmd "bench blk" | monotone)" true "the threads' histograms added up: percentiles monotone"
run_vhuctl --device blk "$S2" -c 'bench blk queues=2 threads=on verify count=10'
is "$RC" 1 "threads=on with verify is refused"
like "$ERR" "threads=on with verify" "saying why"
run_vhuctl --device blk "$S2" -c 'bench blk queues=1 threads=on count=10'
is "$(jcmd "bench blk" | jq -c '[.ios, .threads]')" '[10,1]' "threads=on with one queue: one thread"

# A signal, and the back-end going, with the runners in threads: the main
# thread has the signals and the socket, and tells them.
start_fake --rings inorder "$F"
"$VHUCTL" --device blk "$F" -c 'bench blk queues=2 threads=on time=60 size=1M' >"$TMP/thr.out" 2>"$TMP/thr.err" </dev/null &
bp=$!
wait_line "$TMP/fake.log" "ring-used ring=1" 30 "$bp" || bail "the fake back-end used nothing on ring 1"
kill -TERM "$bp"
wait "$bp"
is "$?" 143 "threads=on, SIGTERM: vhuctl dies of it (exit status 143)"
is "$(jq -c '[.command, .interrupted, (.ios > 0), .threads]' "$TMP/thr.out")" '["bench blk",true,true,2]' \
	"the result so far is printed, marked interrupted"
stop_fake
start_fake --rings inorder "$F"
"$VHUCTL" --device blk "$F" -c 'bench blk queues=2 threads=on time=60 size=1M' >"$TMP/thr.out" 2>"$TMP/thr.err" </dev/null &
bp=$!
wait_line "$TMP/fake.log" "ring-used ring=1" 30 "$bp" || bail "the fake back-end used nothing on ring 1"
stop_fake
wait "$bp"
is "$?/$(jq -r .error.code "$TMP/thr.out")" 5/ECONNRESET "threads=on, the back-end dying mid-run: ECONNRESET"
is "$(jq '.ios > 0' "$TMP/thr.out")" true "with the figures of what was done until then"

# --- memory stays bounded -----------------------------------------------------------
# rss_after TIME: the peak RSS (kB) bench reports of a run at iodepth 128
rss_after() {
	# (run_vhuctl's bound of 60 s would cut the long run short)
	timeout $(($1 + 60)) "$VHUCTL" --device blk "$S" -c "bench blk iodepth=128 time=$1" >"$TMP/out" 2>"$TMP/err" </dev/null
	RC=$?
	OUT=$(cat "$TMP/out")
	ERR=$(cat "$TMP/err")
	RSS=$(jcmd "bench blk" | jq '.max_rss_kb // empty')
}
long=${BENCH_RSS_LONG:-60}
"$VHUCTL" --version | jq -e '.features.sanitizers' >/dev/null && long=10	# ASan's quarantine keeps freed memory
rss_after 1
short_rss=$RSS
rss_after "$long"
long_rss=$RSS
echo "# peak RSS: ${short_rss} kB after 1 s, ${long_rss} kB after $long s"
is "$RC/$((short_rss > 0))/$((long_rss > 0))" 0/1/1 "both runs ended well and said their peak RSS"
is "$(( ${long_rss:-999999} - ${short_rss:-0} < 2048 ))" 1 "RSS of a ${long}-second run at iodepth 128 is within 2 MB of a 1-second one"
is "$(jcmd "bench blk" | jq '.ios > 10000')" true "and the long run did its requests"

# --- net: frames counted against testpmd's own statistics ------------------------
N=$TMP/net.sock
start_testpmd "$N" "" "--auto-start"
run_vhuctl --device net "$N" -c 'bench net count=20000 burst=32'
ran_ok "bench net count=20000 through testpmd (io forwarding)"
nb=$(jcmd "bench net")
is "$(printf '%s' "$nb" | jq -c '[.sent, .tx_done, .foreign]')" '[20000,20000,0]' "20000 frames sent, each given back"
is "$(printf '%s' "$nb" | jq '.received > 0 and .received + .lost == .sent')" true "received + lost = sent"
is "$(printf '%s' "$nb" | monotone)" true "round-trip percentiles monotone"
run_vhuctl --device net "$N" -c 'bench net count=3000 size=1514 burst=8'
ran_ok "bench net with full-size frames"
nb2=$(jcmd "bench net")
run_vhuctl --device net "$N" -c 'bench net count=4000 packed'
ran_ok "bench net on packed rings, EVENT_IDX negotiated (testpmd offers both)"
nb4=$(jcmd "bench net")
is "$(printf '%s' "$nb4" | jq -c '[.sent, .tx_done, .start.layout, .received + .lost]')" '[4000,4000,"packed",4000]' \
	"packed: 4000 frames sent, each given back, each received or lost"
run_vhuctl --device net "$N" -c 'bench net count=1000 rx=off'
ran_ok "bench net rx=off (a back-end that only receives)"
nb3=$(jcmd "bench net")
is "$(printf '%s' "$nb3" | jq -c '[.sent, .tx_done, has("received"), has("latency_us")]')" '[1000,1000,false,false]' \
	"rx=off: 1000 frames sent and given back, no receive side"
kill -INT "$TESTPMD_PID"
wait_line "$TMP/testpmd.log" "Accumulated forward statistics" 30 || bail "testpmd printed no statistics"
wait_line "$TMP/testpmd.log" "TX-packets:" 30 || bail "testpmd printed no TX count"
stats=$(sed -n '/Accumulated forward statistics/,/+++++$/p' "$TMP/testpmd.log")
rxp=$(printf '%s\n' "$stats" | sed -n 's/.*RX-packets: *\([0-9]*\).*/\1/p' | head -1)
txp=$(printf '%s\n' "$stats" | sed -n 's/.*TX-packets: *\([0-9]*\).*/\1/p' | head -1)
sent=$(( $(printf '%s' "$nb" | jq .sent) + $(printf '%s' "$nb2" | jq .sent) + 4000 + 1000 ))
recv=$(( $(printf '%s' "$nb" | jq .received) + $(printf '%s' "$nb2" | jq .received) + $(printf '%s' "$nb4" | jq .received) ))
is "$rxp" "$sent" "testpmd received exactly the frames bench net sent ($sent)"
is "$txp" "$recv" "and bench net received exactly the frames testpmd sent back ($recv)"

done_testing
