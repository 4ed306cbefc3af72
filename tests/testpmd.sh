#!/bin/bash
# testpmd.sh - vhuctl against a real vhost-user-net back-end: DPDK's testpmd.
. "${top_srcdir:-.}/tests/lib.sh"

S=$TMP/net.sock
start_testpmd "$S"

cat >"$TMP/net.vhu" <<'VHU'
get-features
get-protocol-features
set-protocol-features MQ,REPLY_ACK,STATUS
get-queue-num
set-owner
set-features VIRTIO_F_VERSION_1,VHOST_USER_F_PROTOCOL_FEATURES,VIRTIO_NET_F_MRG_RXBUF
mem add 2M gpa=0x100000000
set-mem-table
set-vring-num 0 256
set-vring-base 0 0
set-vring-addr 0 desc=0x100000000 avail=0x100001000 used=0x100002000 gpa
set-vring-kick 0
set-vring-call 0
set-vring-enable 0 1
set-status ACKNOWLEDGE,DRIVER,FEATURES_OK,DRIVER_OK
get-status
set-vring-enable 0 0
get-vring-base 0
set-status 0
VHU
run_vhuctl --device net "$S" -f "$TMP/net.vhu"
ran_ok "net handshake script succeeds"

f=$(jcmd get-features | jq -c .reply.payload)
for n in VIRTIO_F_VERSION_1 VIRTIO_NET_F_MRG_RXBUF VIRTIO_NET_F_MQ VIRTIO_NET_F_CTRL_VQ VIRTIO_F_RING_PACKED VIRTIO_F_IN_ORDER VHOST_F_LOG_ALL; do
	is "$(printf '%s' "$f" | jq --arg n $n '.names | index($n) != null')" true "GET_FEATURES decodes $n"
done
is "$(printf '%s' "$f" | jq -r '.unknown_bits // [] | length')" 0 "no unnamed feature bits for net"
p=$(jcmd get-protocol-features | jq -c .reply.payload.names)
for n in MQ REPLY_ACK NET_MTU BACKEND_REQ STATUS; do
	is "$(printf '%s' "$p" | jq --arg n VHOST_USER_PROTOCOL_F_$n 'index($n) != null')" true "protocol feature $n decoded"
done
is "$(jcmd get-queue-num | jq .reply.payload.u64)" 128 "GET_QUEUE_NUM answered (testpmd says 128)"
for cmd in set-owner set-features set-mem-table set-vring-num set-vring-base set-vring-addr set-vring-kick set-vring-call set-vring-enable set-status; do
	is "$(jcmd $cmd | jq -c '[.request.flags.names, .ack.ok]')" '[["NEED_REPLY"],true]' "$cmd acked with REPLY_ACK"
done
is "$(jcmd get-status | jq -c .reply.payload.names)" '["ACKNOWLEDGE","DRIVER","DRIVER_OK","FEATURES_OK"]' "GET_STATUS decodes what SET_STATUS set"
is "$(jcmd get-vring-base | jq -c .reply.payload)" '{"index":0,"num":0}' "GET_VRING_BASE answered"
is "$(jcmd set-vring-addr | jq -r .request.payload.desc_user_addr)" "$(jcmd 'mem add' | jq -r .userspace_addr)" "gpa addresses translated to our mapping"

done_testing
