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
	is "$RC" 0 "$layout: session succeeds"
	is "$(jcmd start | jq -r .layout)" $layout "$layout: rings laid out $layout"
	[ $layout = packed ] && like "$(jcmd start | jq -r '.steps[] | select(.command | startswith("set-features")) | .request.payload.names[]')" VIRTIO_F_RING_PACKED "packed: RING_PACKED negotiated"
	recvs=$(printf '%s\n' "$OUT" | jq -c 'select(.command == "net recv")')
	is "$(printf '%s\n' "$recvs" | sed -n 1p | jq -r '.frames[0].hex')" "$F1" "$layout: a frame sent comes back byte-identical"
	is "$(printf '%s\n' "$recvs" | sed -n 1p | jq -r '.frames[0].hdr')" 000000000000000000000000 "$layout: with a 12-byte virtio_net_hdr"
	is "$(printf '%s\n' "$recvs" | sed -n 2p | jq -c '[.frames[].hex] | sort')" "$(printf '["%s","%s"]' "$F2" "$F3")" "$layout: two more frames, both back"
	is "$(jcmd 'vring dump' | jq -c .ring.anomalies)" '[]' "$layout: transmit ring dump has no anomalies"
	is "$(jcmd stop | jq -c '[.bases[].num % 32768]')" '[3,3]' "$layout: GET_VRING_BASE counts 3 frames each way"
done

done_testing
