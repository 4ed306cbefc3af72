#!/bin/bash
# net.sh - frames through a real vhost-user-net back-end: dpdk-testpmd forwarding
# what vhuctl transmits on ring 1 back into ring 0, with split and packed rings.
. "${top_srcdir:-.}/tests/lib.sh"

S=$TMP/net.sock
start_testpmd "$S" "" "--auto-start"

# An Ethernet broadcast frame with an IPv4/UDP header and a marker payload.
frame() { printf 'ffffffffffff5254001234560800450000320000000040110000' ; printf 'c0a80001c0a80002%04x' "$1"; printf '76687563746c%.0s' $(seq 6); }
F1=$(frame 1)
F2=$(frame 2)
F3=$(frame 3)

for layout in split packed; do
	opt=; [ $layout = packed ] && opt=packed
	run_vhuctl --device net -t 3000 "$S" -c "start $opt; net send $F1; net recv; net send $F2; net send $F3; sleep 100; net recv; vring dump 1; stop"
	ran_ok "$layout: session succeeds"
	is "$(jcmd start | jq -r .layout)" $layout "$layout: rings laid out $layout"
	[ $layout = packed ] && like "$(jcmd start | jq -r '.steps[] | select(.command == "set-features") | .request.name')" SET_FEATURES "packed: start sends SET_FEATURES" && is "$(( $(jcmd start | jq -r .features.value) >> 34 & 1 ))" 1 "packed: RING_PACKED negotiated"
	recvs=$(printf '%s\n' "$OUT" | jq -c 'select(.command == "net recv")')
	is "$(printf '%s\n' "$recvs" | sed -n 1p | jq -r '.frames[0].hex')" "$F1" "$layout: a frame sent comes back byte-identical"
	is "$(printf '%s\n' "$recvs" | sed -n 1p | jq -r '.frames[0].hdr')" 000000000000000000000000 "$layout: with a 12-byte virtio_net_hdr"
	is "$(printf '%s\n' "$recvs" | sed -n 2p | jq -c '[.frames[].hex] | sort')" "$(printf '["%s","%s"]' "$F2" "$F3")" "$layout: two more frames, both back"
	is "$(jcmd 'vring dump' | jq -c .ring.anomalies)" '[]' "$layout: transmit ring dump has no anomalies"
	is "$(jcmd stop | jq -c '[.bases[].num % 32768]')" '[3,3]' "$layout: GET_VRING_BASE counts 3 frames each way"
done

# Rings set up by hand, request by request (receive ring 0, transmit ring
# 1, areas where the script puts them): a frame goes through them.
cat >"$TMP/hand.vhu" <<'VHU'
get-features
get-protocol-features
set-protocol-features MQ,REPLY_ACK
set-owner
set-features VIRTIO_F_VERSION_1,VHOST_USER_F_PROTOCOL_FEATURES
mem add 1M gpa=0x100000000
set-mem-table
set-vring-num 0 32
set-vring-base 0 0
set-vring-addr 0 desc=0x100040000 avail=0x100041000 used=0x100042000 gpa
set-vring-kick 0
set-vring-call 0
set-vring-enable 0 1
set-vring-num 1 128
set-vring-base 1 0
set-vring-addr 1 desc=0x100050010 avail=0x100058002 used=0x100059004 gpa
set-vring-kick 1
set-vring-call 1
set-vring-enable 1 1
VHU
run_vhuctl --device net -t 3000 "$S" -f "$TMP/hand.vhu" -c "net send $F1; net recv; vring dump 1"
ran_ok "hand-set rings: session succeeds"
is "$(jcmd 'net recv' | jq -r '.frames[0].hex')" "$F1" "hand-set rings: a frame comes back through them"
is "$(jcmd 'vring dump' | jq -c '.ring | [.size, .desc_addr, .used.idx]')" '[128,"0x100050010",1]' "hand-set rings: the transmit ring is where it was put, its frame used"

# Dirty log with DPDK, which answers SET_LOG_BASE with an empty payload.
run_vhuctl --device net -t 3000 "$S" -c "start; log start; net send $F1; net recv; log dump; vring dump 0 chains-only; log stop"
ran_ok "dirty log session with testpmd succeeds"
is "$(jcmd 'log start' | jq -c '[.steps[0].request.name, .steps[0].reply.size]')" '["SET_LOG_BASE",0]' "DPDK's empty SET_LOG_BASE reply is read and accepted"
used0=$(( $(jcmd 'vring dump' | jq -r .ring.used_addr) / 4096 * 4096 ))
pages=$(jcmd 'log dump' | jq -c '[.dirty[] | (.gpa | ltrimstr("0x") | explode | reduce .[] as $c (0; . * 16 + (if $c >= 97 then $c - 87 else $c - 48 end))) as $g | range(0; .pages) | $g + . * 4096]')
is "$(printf '%s' "$pages" | jq --argjson u "$used0" 'index($u) != null')" true "the receive ring's used page is logged dirty"

# The back-end channel: testpmd with iommu-support=1 asks for IOTLB entries
# as soon as rings are set up; 'iotlb auto' answers and frames then flow.
kill "$TESTPMD_PID"; wait "$TESTPMD_PID" 2>/dev/null
S=$TMP/iommu.sock
start_testpmd "$S" "iommu-support=1" "--auto-start"
run_vhuctl --device net -t 3000 "$S" -c "start features=VIRTIO_F_VERSION_1,VHOST_USER_F_PROTOCOL_FEATURES,VIRTIO_F_ACCESS_PLATFORM; net send $F1; net recv; stop"
ran_ok "iommu: session succeeds"
like "$(jcmd start | jq -r '.steps[].command')" "set-backend-req-fd" "iommu: start hands over a back-end channel"
ev=$(printf '%s\n' "$OUT" | jq -c 'select(.event == "backend-request")' | head -n 1)
is "$(printf '%s' "$ev" | jq -r '.request.name')" BACKEND_IOTLB_MSG "iommu: an IOTLB request arrives as an event"
is "$(printf '%s' "$ev" | jq -r '.request.payload.type')" miss "iommu: decoded as a miss"
ans=$(printf '%s\n' "$OUT" | jq -c 'select(.event == "answer")' | head -n 1)
is "$(printf '%s' "$ans" | jq -c '[.result.request.name, .result.request.payload.type, .result.reply.payload.u64]')" '["IOTLB_MSG","update",0]' "iommu: answered with an IOTLB update the back-end accepts"
is "$(jcmd 'net recv' | jq -r '.frames[0].hex')" "$F1" "iommu: a frame loops through once the IOTLB is filled"

done_testing
