#!/bin/bash
# fake.sh - what real back-ends won't do: no reply, disconnects, malformed replies,
# unexpected fds; and what vhuctl puts on the wire (NEED_REPLY, sync, raw).
. "${top_srcdir:-.}/tests/lib.sh"

S=$TMP/fake.sock

# A back-end that never answers: a timeout naming the request, within bounds.
start_fake "$S" noreply
t0=$(date +%s%N)
run_vhuctl -t 300 "$S" -c get-features
t1=$(date +%s%N)
is "$RC" 5 "no reply: exit status 5 (a wait timed out)"
like "$ERR" "GET_FEATURES: no reply from the back-end before the timeout" "no reply: error names the request"
is "$(jline 1 | jq -r .error.code)" ETIMEDOUT "no reply: error object with ETIMEDOUT"
ok $(( (t1 - t0) / 1000000 < 3000 ? 0 : 1 )) "no reply: gave up after the 300 ms timeout ($(( (t1 - t0) / 1000000 )) ms)"
stop_fake

# A timeout of 0 once set SO_RCVTIMEO {0, 0}, which is no timeout at all:
# against a back-end that never answers, vhuctl waited for ever. The session
# timeout is 1..3600000 ms; a command's own timeout=0 looks once.
start_fake "$S" 10*noreply
t0=$(date +%s%N)
run_vhuctl -t 0 "$S" -c get-features
t1=$(date +%s%N)
is "$RC" 2 "-t 0: a usage error"
ok $(( (t1 - t0) / 1000000 < 5000 ? 0 : 1 )) "-t 0: no wait ($(( (t1 - t0) / 1000000 )) ms)"
t0=$(date +%s%N)
run_vhuctl -t 300 --keep-going "$S" -c 'timeout 0; get-features'
t1=$(date +%s%N)
is "$(printf '%s\n' "$OUT" | jq -r 'select(.error) | .error.code' | tr '\n' ' ')" "ERANGE ETIMEDOUT " "'timeout 0' refused; the request still times out after 300 ms"
ok $(( (t1 - t0) / 1000000 < 5000 ? 0 : 1 )) "'timeout 0': no wait for ever ($(( (t1 - t0) / 1000000 )) ms)"
stop_fake
start_fake "$S"
t0=$(date +%s%N)
run_vhuctl -t 3000 "$S" -c 'mem add 1M; vring setup 0 size=8; vring wait 0 timeout=0; vring used 0 wait timeout=0; net recv timeout=0'
t1=$(date +%s%N)
ran_ok "timeout=0: look once and return, no error"
is "$(printf '%s\n' "$OUT" | jq -c 'select(.command | test("^(vring wait|vring used|net recv)$")) | .calls // .used // .frames' | tr '\n' ' ')" "0 [] [] " \
	"timeout=0: no call, no used entry, no frame"
ok $(( (t1 - t0) / 1000000 < 2500 ? 0 : 1 )) "timeout=0: nothing waited for the 3000 ms timeout ($(( (t1 - t0) / 1000000 )) ms)"
stop_fake

start_fake "$S" close
run_vhuctl "$S" -c get-features
like "$ERR" "GET_FEATURES: back-end closed the connection after 0 of 12 header bytes" "close before replying"
is "$(jline 1 | jq -r .disconnected)" true "close: the connection is marked closed"

start_fake "$S" close-header
run_vhuctl "$S" -c get-features
like "$ERR" "GET_FEATURES: back-end closed the connection after 5 of 12 header bytes" "close mid-header"

start_fake "$S" close-payload
run_vhuctl "$S" -c get-features
like "$ERR" "GET_FEATURES: back-end closed the connection after 3 of 8 payload bytes" "close mid-payload"

start_fake "$S" wrong-flags
run_vhuctl "$S" -c get-features
like "$ERR" "GET_FEATURES: reply flags 0xd instead of 0x5" "wrong flags"
is "$(jline 1 | jq -r .reply.flags.value)" 0xd "wrong flags: the reply is still shown"
is "$(jline 1 | jq -r .error.code)" EPROTO "wrong flags: EPROTO"

start_fake "$S" wrong-request
run_vhuctl "$S" -c get-features
like "$ERR" "GET_FEATURES: reply carries request number 2 instead of 1" "wrong request number"

start_fake "$S" oversize
run_vhuctl "$S" -c get-features
like "$ERR" "GET_FEATURES: size 1048576 exceeds the maximum 4096" "oversize reply"
is "$RC" 1 "oversize: exit status 1"

start_fake "$S" bad-size
run_vhuctl "$S" -c get-features
like "$ERR" "GET_FEATURES: reply size 4, but a features reply is 8 bytes" "reply size different from the payload kind"

start_fake "$S" garbage
run_vhuctl "$S" -c get-features
like "$ERR" "GET_FEATURES: size 4294967295 exceeds the maximum 4096 (request 4294967295, flags 0xffffffff)" "garbage reply"

# Unexpected fds are closed: the open-fd count does not grow.
start_fake "$S" ok extra-fds extra-fds
run_vhuctl --keep-going "$S" -c 'get-features; status; get-features; get-features; status'
like "$ERR" "GET_FEATURES: reply carried 3 unexpected fds (closed them)" "unexpected fds reported"
before=$(printf '%s\n' "$OUT" | jq -s '[.[] | select(.command == "status")][0].open_fds')
after=$(printf '%s\n' "$OUT" | jq -s '[.[] | select(.command == "status")][1].open_fds')
is "$after" "$before" "unexpected fds closed: open fds $before before, $after after"
is "$RC" 1 "keep-going still exits 1 after a failure"

# Nothing from an earlier exchange leaks into the next one's output: a long
# script reuses the exchange buffer (this once showed "fds_truncated": true
# on every request of a 10000-line script).
start_fake "$S" ok
awk 'BEGIN { for (i = 0; i < 10000; i++) print "get-features" }' >"$TMP/many.vhu"
run_vhuctl "$S" -f "$TMP/many.vhu"
ran_ok "10000 requests from a file"
is "$(printf '%s\n' "$OUT" | jq -s '[.[] | select(.reply)] | length')" 10000 "10000 replies"
is "$(printf '%s\n' "$OUT" | jq -s '[.[] | select(.request.fds_truncated or .reply.fds_truncated or (.request.fds | length) > 0)] | length')" 0 \
	"no fds or fds_truncated shown where none were sent or received"
stop_fake

# The set-up log for 'replay' is bounded; past it, replay refuses rather
# than rebuild part of the state.
start_fake "$S" ok
{ for i in $(seq 300); do echo "set-owner"; done; echo "status"; echo "replay"; } >"$TMP/long.vhu"
run_vhuctl "$S" -f "$TMP/long.vhu"
is "$RC" 1 "replay after 300 set-up commands fails"
is "$(jcmd status | jq -c '[.replayable, .replay_dropped]')" "[256,44]" "status: 256 kept, 44 dropped"
like "$ERR" "the set-up log kept the first 256 commands and not the 44 after them" "replay says why"
wait_log 300
is "$(grep -c '^req=3 ' "$TMP/fake.log")" 300 "nothing was replayed"
stop_fake
start_fake "$S" ok
run_vhuctl "$S" -c 'set-owner; get-features; reconnect; replay'
ran_ok "a short replay still runs"
wait_log 4
is "$(grep -c '^req=3 ' "$TMP/fake.log")" 2 "set-owner sent again by replay"
stop_fake

# A value a back-end will refuse is sent anyway, with a warning.
start_fake "$S" ok
run_vhuctl "$S" -c 'set-vring-num 0 300000; set-vring-num 0 100; set-vring-num 0 256'
ran_ok "odd ring sizes are still sent"
is "$(printf '%s\n' "$OUT" | jq -c 'select(.command == "set-vring-num") | [.request.payload.num, (.warnings // [] | length)]' | tr '\n' ' ')" \
	"[300000,1] [100,1] [256,0] " "ring sizes over 32768 or not a power of two are warned about"
like "$(jline 2)" "must be a power of two" "the warning says why"
stop_fake

# A reply shorter than its kind with a message right behind it: the extra
# bytes (read ahead with the reply) and their fds go with that message, which
# the next request then sees as a mismatched reply; no fd is kept or leaked.
start_fake "$S" short-extra
run_vhuctl --keep-going "$S" -c 'status; get-features; get-protocol-features; status'
like "$ERR" "GET_FEATURES: reply size 0, but a features reply is 8 bytes" "short reply reported"
like "$ERR" "GET_PROTOCOL_FEATURES: reply carries request number 99 instead of 15" "the message behind it is the next one read"
is "$(jcmd get-protocol-features | jq -c '[.reply.number, .reply.payload.value, (.reply.fds | length)]')" \
	'[99,"0x2a2a2a2a2a2a2a2a",3]' "it is shown whole, with its 3 fds"
before=$(printf '%s\n' "$OUT" | jq -s '[.[] | select(.command == "status")][0]')
after=$(printf '%s\n' "$OUT" | jq -s '[.[] | select(.command == "status")][1]')
is "$(printf '%s' "$after" | jq .open_fds)" "$(printf '%s' "$before" | jq .open_fds)" "its fds are closed: open fds unchanged"
is "$(printf '%s' "$after" | jq -c .kept_fds)" '{}' "and none is kept"
stop_fake

# Whatever was read ahead behind the short reply is accounted for: every fd
# open beyond the start is one status lists as read ahead (held for the
# message it came with, closed with it).
start_fake "$S" short-extra
run_vhuctl --keep-going "$S" -c 'status; get-features; status'
before=$(printf '%s\n' "$OUT" | jq -s '[.[] | select(.command == "status")][0].open_fds')
after=$(printf '%s\n' "$OUT" | jq -s '[.[] | select(.command == "status")][1] | .open_fds - (.read_ahead.fd_count // 0)')
is "$after" "$before" "open fds beyond the start are exactly the read-ahead ones"
stop_fake

# A late reply is not taken for the next request's.
start_fake "$S" delay=400
run_vhuctl -t 100 --keep-going "$S" -c 'get-features; sleep 600; get-protocol-features'
like "$ERR" "GET_FEATURES: no reply from the back-end before the timeout" "late reply: first request times out"
gp=$(jcmd get-protocol-features)
is "$(printf '%s' "$gp" | jq -r .reply.payload.value)" 0x8209 "late reply: next request gets its own reply"
like "$(printf '%s' "$gp" | jq -r '.warnings[0]')" "discarded a message that arrived unasked (request 1" "late reply: discarded with a warning"

# NEED_REPLY once REPLY_ACK is negotiated, not before; 'ack off' stops it.
start_fake "$S"
run_vhuctl "$S" -c 'set-owner; set-protocol-features REPLY_ACK; set-owner; ack off; set-owner; ack on; set-owner need-reply=off'
ran_ok "ack session runs"
wait_log 5
is "$(sed -n 1p "$TMP/fake.log")" "req=3 flags=0x1 size=0 fds=0" "SET_OWNER before REPLY_ACK: no NEED_REPLY"
is "$(sed -n 3p "$TMP/fake.log")" "req=3 flags=0x9 size=0 fds=0" "SET_OWNER after REPLY_ACK: NEED_REPLY"
is "$(printf '%s\n' "$OUT" | jq -s -c '[.[] | select(.command == "set-owner") | .ack.ok]')" '[null,true,null,null]' "ack shown per request"
is "$(sed -n 4p "$TMP/fake.log")" "req=3 flags=0x1 size=0 fds=0" "ack off: no NEED_REPLY"
is "$(sed -n 5p "$TMP/fake.log")" "req=3 flags=0x1 size=0 fds=0" "need-reply=off overrides"

# Feature names with and without prefix, and masks, encode the same bits.
start_fake "$S"
run_vhuctl "$S" -c 'set-features VIRTIO_F_VERSION_1,VHOST_USER_F_PROTOCOL_FEATURES; set-features version_1,PROTOCOL_FEATURES; set-features 0x140000000; set-protocol-features REPLY_ACK,CONFIG'
wait_log 4
is "$(sed -n 1,3p "$TMP/fake.log" | cut -d' ' -f5 | tr '\n' ' ')" "payload=0000004001000000 payload=0000004001000000 payload=0000004001000000 " "features by name, short name and mask agree"
is "$(sed -n 4p "$TMP/fake.log")" "req=16 flags=0x1 size=8 fds=0 payload=0802000000000000" "protocol features by name"

# sync: a GET_FEATURES barrier after a request that gets no reply.
start_fake "$S"
run_vhuctl "$S" -c 'set-owner sync'
is "$(cut -d' ' -f1 "$TMP/fake.log" | tr '\n' ' ')" "req=3 req=1 " "sync sends GET_FEATURES after SET_OWNER"
is "$(jline 1 | jq -r .sync.ok)" true "sync barrier answered"

# Ring fds: an eventfd per ring is sent and kept; nofd sends bit 8 and no fd.
start_fake "$S"
run_vhuctl "$S" -c 'set-vring-kick 1; set-vring-call 1; set-vring-err 2 nofd; status'
wait_log 3
is "$(sed -n 1p "$TMP/fake.log")" "req=12 flags=0x1 size=8 fds=1 payload=0100000000000000" "SET_VRING_KICK carries an fd"
is "$(sed -n 3p "$TMP/fake.log")" "req=14 flags=0x1 size=8 fds=0 payload=0201000000000000" "nofd sets bit 8 and sends no fd"
is "$(jcmd status | jq -c '[.rings[] | [.index, .kick.type, .call.type, .err]]')" '[[1,"eventfd","eventfd",null]]' "status shows the kept eventfds"

# GET_CONFIG: reply must cover what was asked; decoded bytes as hex.
start_fake "$S"
run_vhuctl --device blk "$S" -c 'get-config size=8 offset=4'
is "$(jline 1 | jq -r .reply.payload.hex)" 0405060708090a0b "GET_CONFIG bytes shown as hex"
is "$(jline 1 | jq -r .reply.payload.decoded.size_max)" "$((0x0b0a0908))" "GET_CONFIG decoded for blk"

# A GET_CONFIG reply whose size field disagrees with the bytes that follow
# is an error naming the field (it once decoded to nothing and rc 0).
start_fake "$S" config-short
run_vhuctl --device blk "$S" -c 'get-config size=8'
is "$RC/$(jline 1 | jq -r .error.code)" 1/EBADMSG "GET_CONFIG with a lying size field: EBADMSG"
like "$ERR" "GET_CONFIG: reply's config size field says 8 bytes but 4 follow" "the error names the field"
is "$(jline 1 | jq -r .reply.payload_hex)" 00000000080000000000000000010203 \
	"the reply is shown as it came"

# --config-size N: the bytes up to N as ever; GET_CONFIG past them is
# answered with its header alone, size 0, which vhuctl reports as EIO.
start_fake --config-size 60 "$S"
run_vhuctl --keep-going --device blk "$S" -c 'get-config size=8 offset=52; get-config size=8 offset=56'
is "$(jline 1 | jq -r .reply.payload.hex)" 3435363738393a3b "--config-size 60: GET_CONFIG of bytes 52-59 answered"
is "$(jline 2 | jq -c '[.reply.size, .reply.payload.offset, .reply.payload.size, .error.code]')" '[12,56,0,"EIO"]' \
	"--config-size 60: GET_CONFIG of bytes 56-63: the header, size 0 (EIO)"

# raw: anything goes, with warnings, and the back-end's answer reported.
start_fake "$S"
run_vhuctl -t 300 "$S" -c 'raw 99 payload=0102 fds=2; raw SET_VRING_KICK payload=0001000000000000 fds=1; raw GET_FEATURES size=8'
wait_log 2	# the third never arrives whole: its header promises 8 bytes
is "$(sed -n 1p "$TMP/fake.log")" "req=99 flags=0x1 size=2 fds=2 payload=0102" "raw sends an unknown request with fds"
like "$(jline 1 | jq -r '.warnings[]')" "request 99 is not in the protocol table" "raw warns about an unknown request"
like "$(jline 2 | jq -r '.warnings[]')" "NOFD bit set but 1 fd attached" "raw warns about NOFD with an fd"
like "$(jline 3 | jq -r '.warnings[]')" "header size 8 disagrees with the 0 payload bytes sent" "raw warns about a lying size"
like "$ERR" "GET_FEATURES: no reply from the back-end before the timeout" "raw reports what the back-end did: nothing"

# The back-end channel: every back-end request 1-10 arrives as an event,
# decoded by the table, answered per policy, its fds closed.
U=00112233445566778899aabbccddeeff
start_fake "$S" ok ok ok ok \
	"backend=1,payload=0000100000000000001000000000000000000000000000000301000000000000" \
	"backend=2,flags=0x9,wait" \
	"backend=3,fds=1,payload=000000000000000000100000000000000000000000000000" \
	"backend=4,payload=0100000000000000" "backend=5,payload=0100000000000000" \
	"backend=6,payload=$U" "backend=7,payload=$U" "backend=8,payload=$U,wait" \
	"backend=9,fds=1,payload=00000000000000000000000000000000000000000000000000100000000000000100000000000000" \
	"backend=10,payload=00000000000000000000000000000000001000000000000000000000000000000000000000000000"
cmds="mem add 2M gpa=0x100000; get-protocol-features; set-protocol-features REPLY_ACK,BACKEND_REQ; set-backend-req-fd; status"
for _ in $(seq 10); do cmds="$cmds; get-features"; done
run_vhuctl --device blk "$S" -c "$cmds; backend-wait count=10; status"
ran_ok "back-end channel session succeeds"
evs=$(printf '%s\n' "$OUT" | jq -c 'select(.event == "backend-request")')
is "$(printf '%s\n' "$evs" | jq -r .request.name | tr '\n' ' ')" "BACKEND_IOTLB_MSG BACKEND_CONFIG_CHANGE_MSG BACKEND_VRING_HOST_NOTIFIER_MSG BACKEND_VRING_CALL BACKEND_VRING_ERR BACKEND_SHARED_OBJECT_ADD BACKEND_SHARED_OBJECT_REMOVE BACKEND_SHARED_OBJECT_LOOKUP BACKEND_SHMEM_MAP BACKEND_SHMEM_UNMAP " "all ten back-end requests arrive as events, named"
is "$(printf '%s\n' "$evs" | sed -n 1p | jq -c '[.request.payload.type, .request.payload.iova, .request.payload.perm]')" '["miss","0x100000","rw"]' "IOTLB miss decoded"
like "$(printf '%s\n' "$evs" | sed -n 1p | jq -r .action)" "IOTLB update for iova 0x100000 queued" "IOTLB miss queued for an answer (iotlb auto)"
like "$(cat "$TMP/fake.log")" "req=22 flags=0x9 size=32 fds=0 payload=0000100000000000000020000000000" "the answer is an IOTLB_MSG update for the region holding the miss"
is "$(printf '%s\n' "$evs" | sed -n 2p | jq -c .answered)" 0 "NEED_REPLY with REPLY_ACK: answered 0"
like "$(cat "$TMP/fake.log")" "backend-reply req=2 flags=0x5 size=8 payload=0000000000000000" "the back-end got the answer"
is "$(printf '%s\n' "$evs" | sed -n 3p | jq -c '[.request.payload.size, .request.fds[0].type != null, .fds_closed]')" '[4096,true,1]' "host notifier: fd inspected, then closed"
is "$(printf '%s\n' "$evs" | sed -n 6p | jq -r .request.payload.uuid)" "00112233-4455-6677-8899-aabbccddeeff" "shared object UUID decoded"
is "$(printf '%s\n' "$evs" | sed -n 8p | jq -c .answered)" 1 "SHARED_OBJECT_LOOKUP always answered: 1, no object to give"
like "$(cat "$TMP/fake.log")" "backend-reply req=8 flags=0x5 size=8 payload=0100000000000000" "the back-end got the refusal"
is "$(printf '%s\n' "$evs" | sed -n 9p | jq -c '[.request.payload.len, .request.payload.flags.names]')" '[4096,["MAP_RW"]]' "SHMEM_MAP decoded"
fd1=$(printf '%s\n' "$OUT" | jq -s '[.[] | select(.command == "status")][0].open_fds')
fd2=$(printf '%s\n' "$OUT" | jq -s '[.[] | select(.command == "status")][1].open_fds')
is "$fd2" "$fd1" "fds from the back-end channel are all closed ($fd1 before, $fd2 after)"

# Inflight: GET_INFLIGHT_FD's fd is checked with fstat, mapped and decoded
# per queue; SET_INFLIGHT_FD hands it back.
start_fake "$S"
run_vhuctl "$S" -c 'get-inflight-fd 2 8; inflight dump; set-inflight-fd 2 8; status'
ran_ok "inflight session succeeds"
is "$(jcmd get-inflight-fd | jq -c '[.reply.payload.mmap_size, .reply.fds[0].type]')" '[384,"memfd"]' "GET_INFLIGHT_FD returns its size (2 x align64(16 + 16 x 8)) and a memfd"
d=$(jcmd 'inflight dump')
is "$(printf '%s' "$d" | jq -c '[.layout, .queue_stride, (.queues | length)]')" '["split",192,2]' "inflight dump: split layout, 2 queues"
is "$(printf '%s' "$d" | jq -c '[.queues[1].version, .queues[1].desc_num, [.queues[1].inflight[] | [.index, .counter]]]')" '[1,8,[[1,5],[3,7]]]' "inflight dump: the descriptors in flight, with counters"
is "$(printf '%s' "$d" | jq -c .anomalies)" '[]' "inflight dump: no anomalies"
wait_log_has "inflight-set"
like "$(cat "$TMP/fake.log")" "inflight-set size=384 mmap_size=384 queues=2 queue_size=8" "SET_INFLIGHT_FD sends the same area back"

# The inflight fd is the back-end's, not sealed: it can shrink at any
# moment. A mapping of it once died of SIGBUS under the decoder; the dump
# decodes a copy read with pread, and says when the fd is short.
start_fake "$S" short-inflight
run_vhuctl "$S" -c 'get-inflight-fd 2 8; inflight dump'
d=$(jcmd 'inflight dump')
is "$RC/$(printf '%s' "$d" | jq -r .error.code)" 1/EBADMSG "an inflight fd shorter than the reply said: EBADMSG"
like "$ERR" "the inflight fd holds 192 of the 384 bytes at offset 0 that GET_INFLIGHT_FD said" "the error says how short"
is "$(printf '%s' "$d" | jq -c '[[.queues[] | .queue], .anomalies]')" \
	'[[0],[{"queue":1,"what":"past the end of the inflight fd: not decoded"}]]' "the queue it holds is decoded, the other named"
stop_fake
start_fake "$S" shrink-inflight
cmds="get-inflight-fd 4 1024"
for _ in $(seq 300); do cmds="$cmds; inflight dump"; done
run_vhuctl --keep-going "$S" -c "$cmds"
is "$(printf '%s\n' "$OUT" | jq -s '[.[] | select(.command == "inflight dump")] | length')" 300 \
	"an inflight fd shrinking and growing all the time: 300 dumps, 300 results"
ok $(( RC <= 1 ? 0 : 1 )) "no SIGBUS (exit $RC)"
ok $(printf '%s' "$ERR" | grep -q 'Sanitizer\|SIGBUS'; echo $((!$?))) "no sanitizer report"
stop_fake

# The packed layout, when RING_PACKED was negotiated.
start_fake "$S"
run_vhuctl "$S" -c 'set-features VIRTIO_F_VERSION_1,VIRTIO_F_RING_PACKED; get-inflight-fd 1 4; inflight dump'
d=$(jcmd 'inflight dump')
is "$(printf '%s' "$d" | jq -c '[.layout, .queue_stride, .queues[0].used_wrap_counter]')" '["packed",192,1]' "inflight dump: packed layout (32-byte header and entries)"
is "$(printf '%s' "$d" | jq -c '[.queues[0].inflight[] | [.index, .id, .len, .addr, .counter]]')" '[[1,1,512,"0x2000",5],[3,3,16,"0x3000",7]]' "inflight dump: packed entries decoded"

# Device state: saved to a file through the pipe, loaded back, checked.
start_fake "$S"
run_vhuctl "$S" -c "device-state save $TMP/state.bin; device-state load $TMP/state.bin"
ran_ok "device-state save and load succeed"
is "$(jcmd 'device-state save' | jq -r .bytes)" 1000 "save: 1000 bytes from the back-end"
is "$(head -c 18 "$TMP/state.bin")" "fake-device-state:" "save: the file holds them"
is "$(jcmd 'device-state save' | jq -c '[.steps[] | .request.name]')" '["SET_DEVICE_STATE_FD","CHECK_DEVICE_STATE"]' "save: SET_DEVICE_STATE_FD then CHECK_DEVICE_STATE"
like "$(cat "$TMP/fake.log")" "device-state-loaded bytes=1000 head=66616b652d6465766963652d73746174" "load: the back-end got the same bytes"
truncate -s 65M "$TMP/big.bin"
run_vhuctl "$S" -c "device-state load $TMP/big.bin"
like "$ERR" "big.bin is over 67108864 bytes" "device-state load refuses a file over the limit, not a shortened state"
run_vhuctl "$S" -c "mem add 1M; vring setup 0 size=8; device-state save $TMP/x.bin"
like "$ERR" "rings are started: 'stop' them first" "device state refused while rings run"

# Rings served by a device that completes chains in its own order (--rings).
# An entry for another chain is that chain's completion, shown apart: blk
# once took it for its own request and read past the other chain's
# buffers (a heap overflow); a repeated id is an error naming it.
start_fake --rings inorder "$S"
run_vhuctl --device blk "$S" -c 'start; vring post 0 in=1; blk read 0; vring used 0'
ran_ok "blk: another chain completed first"
b=$(jcmd 'blk read')
is "$(printf '%s' "$b" | jq -c '[.status, .head, .used_len, [.other_used[] | [.id, .len, (.buffers | length)]]]')" '["OK",1,513,[[0,1,1]]]' \
	"blk read: its own completion (head 1), the hand-posted chain's shown apart"
is "$(jcmd 'vring used' | jq -c '[.used, .in_flight]')" '[[],0]' "nothing left behind on the ring"
ok $(printf '%s' "$ERR" | grep -q Sanitizer; echo $((!$?))) "no sanitizer report"
stop_fake
start_fake --rings reverse "$S"
run_vhuctl --device blk "$S" -c 'start; vring post 0 in=1; blk read 0; vring used 0'
is "$(jcmd 'blk read' | jq -c '[.status, .head, .other_used]')" '["OK",1,null]' "blk: completions newest first: its own comes first"
is "$(jcmd 'vring used' | jq -c '[.used[] | .id]')" '[0]' "the other chain's completion waits for 'vring used'"
stop_fake
start_fake --rings repeat "$S"
run_vhuctl --keep-going --device blk "$S" -c 'start; blk read 0; vring post 0 in=1; vring post 0 in=1; vring post 0 in=1; vring used 0'
is "$(jcmd 'blk read' | jq -r .status)" OK "repeat: the first entry completes the request"
is "$(jcmd 'vring post' | jq -r .head)" 2 "repeat: the free list hands descriptors back"
is "$(jcmd 'vring used' | jq -r .error.code)" EPROTO "repeat: the entry written again is an error"
like "$ERR" "ring 0: used entry 1 names descriptor 0, which was made available after that entry was written" \
	"repeat: the error names the id (its head came back to a chain the device never saw)"
run_vhuctl --keep-going --device blk "$S" -c 'start; blk read 0; blk read 0'
like "$ERR" "ring 0: used entry 1 names descriptor 0, which is not in flight" "repeat: an id no chain has: an error naming it"
stop_fake
# net: receive buffers are frames, anything else on the ring is not.
start_fake --rings inorder "$S"
run_vhuctl --device net "$S" -c 'start; vring post 0 out=00; net recv; vring post 1 out=0102; vring kick 1; get-features; net send 0000'
ran_ok "net: chains posted by hand among the frames"
r=$(jcmd 'net recv')
is "$(printf '%s' "$r" | jq -c '[(.frames | length), [.other_used[] | [.id, .buffers[0].write]]]')" '[15,[[0,false]]]' \
	"net recv: 15 frames (16 in flight with it), the device-readable chain shown apart"
is "$(jcmd 'net send' | jq -c '[.other_used[] | .id]')" '[0]' "net send: a completed chain that is not a frame is shown, not dropped"
stop_fake
start_fake --rings repeat "$S"
run_vhuctl --device net "$S" -c 'start; net send 0000; get-features; net send 0000'
is "$(jcmd 'net send' | jq -r .head)" 0 "net send: the first frame goes"
like "$ERR" "ring 1: used entry 1 names descriptor 0, which is not in flight" "net send: a repeated id is an error naming it"
stop_fake

# A command's deadline bounds everything done on its behalf, writes and
# back-end channel answers included. A back-end that floods the channel and
# never reads the answers once held vhuctl a full timeout per answer, 64 per
# command and more in every wait (30 s and counting with -t 1000); one that
# drips its device state never let 'device-state save' end.
# timed_timeout BOUND_MS CMD DESC VHUCTL-ARGS...: vhuctl ends within BOUND_MS,
# its last error an ETIMEDOUT object from command CMD (in $E).
timed_timeout() {
	local bound=$1 cmd=$2 desc=$3 t0 ms; shift 3
	t0=$(date +%s%N)
	run_vhuctl "$@"
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	E=$(printf '%s\n' "$OUT" | jq -c 'select(.error)' | tail -n 1)
	ok $(( ms < bound ? 0 : 1 )) "$desc: ends in $ms ms"
	is "$RC/$(printf '%s' "$E" | jq -r '[.command, .error.code] | join(" ")')" "5/$cmd ETIMEDOUT" \
		"$desc: exit 5, an ETIMEDOUT error object from '$cmd'"
}
start_fake "$S" ok ok ok "backend=2,flags=0x9,flood=20000"
timed_timeout 6000 get-features "a channel whose answers nobody reads, -t 1000, a sleep of 500 and a request" \
	-t 1000 "$S" -c 'get-protocol-features; set-protocol-features REPLY_ACK,BACKEND_REQ; set-backend-req-fd; get-features; sleep 500; get-features'
like "$(printf '%s' "$E" | jq -r .error.message)" "timeout" "the error names the timeout"
like "$(printf '%s' "$E" | jq -r .error.message)" "back-end channel" "and says the back-end channel took the time"
stop_fake
start_fake "$S" drip=400 drip=400
timed_timeout 5000 'device-state save' "device state dripping a byte every 400 ms, save with -t 1000" \
	-t 1000 "$S" -c "device-state save $TMP/drip.bin"
like "$ERR" "reading the device state: " "the error says what it was doing"
like "$ERR" "had not ended by the timeout" "and names the timeout"
ok $([ ! -e "$TMP/drip.bin" ]; echo $?) "no file of a state cut short"
head -c 2000000 /dev/zero >"$TMP/drip-load.bin"
timed_timeout 5000 'device-state load' "a back-end reading the state 4 KiB every 400 ms, load with -t 1000" \
	-t 1000 "$S" -c "device-state load $TMP/drip-load.bin"
like "$ERR" "writing the device state: " "the error says what it was doing"
stop_fake
# The steps of a command share its deadline: 13 requests answered 300 ms
# each once took 4 s under -t 1000.
start_fake "$S" 20*delay=300
timed_timeout 3500 start "start against a back-end slow to answer, -t 1000" -t 1000 "$S" -c 'start'
like "$(printf '%s' "$E" | jq -r .error.message)" ": no reply from the back-end before the timeout" "naming the step it was at"
stop_fake

# backend-wait waits for what the back-end sends on the channel, and says
# so when it does not come.
start_fake "$S"
run_vhuctl "$S" -c 'backend-wait'
like "$ERR" "no back-end channel (any more): 0 of 1 requests came" "backend-wait without a channel: said at once"
run_vhuctl "$S" -c 'get-protocol-features; set-protocol-features REPLY_ACK,BACKEND_REQ; set-backend-req-fd; backend-wait timeout=300'
is "$(jcmd backend-wait | jq -r .error.code)" ETIMEDOUT "backend-wait: nothing came, ETIMEDOUT"
like "$ERR" "0 of the 1 back-end requests came within 300 ms" "…saying how many came"
stop_fake

# config-watch: CONFIG_CHANGE_MSG makes vhuctl read the config again (with
# the size that last worked); iotlb manual only shows misses.
start_fake "$S" ok ok ok ok "backend=2" "backend=1,payload=0000100000000000001000000000000000000000000000000301000000000000"
run_vhuctl "$S" -c 'mem add 1M gpa=0x100000; get-protocol-features; set-protocol-features REPLY_ACK,BACKEND_REQ,CONFIG; set-backend-req-fd; config-watch on; iotlb manual; get-config size=8; get-features; backend-wait count=1; get-features; backend-wait count=2'
ans=$(printf '%s\n' "$OUT" | jq -c 'select(.event == "answer")')
is "$(printf '%s' "$ans" | jq -c '[.result.command, .result.request.payload.size]')" '["get-config",8]' "config-watch: GET_CONFIG again after CONFIG_CHANGE_MSG"
is "$(printf '%s' "$ans" | jq -r '.result.reply.payload.hex')" 0001020304050607 "config-watch: the fresh config is shown"
is "$(printf '%s\n' "$OUT" | jq -c 'select(.event == "backend-request") | .action' | tr '\n' ' ')" '"GET_CONFIG queued (config-watch on)" null ' "iotlb manual: the miss is shown, not answered"
ok $(grep -q 'req=22 ' "$TMP/fake.log"; echo $((!$?))) "iotlb manual: no IOTLB_MSG sent"

# Reconnect after the back-end dropped us.
start_fake "$S" close
run_vhuctl --keep-going "$S" -c "get-features; connect $S; get-features"
is "$(jcmd get-features | jq -r .error.code)" ECONNRESET "first request: connection closed"
is "$(printf '%s\n' "$OUT" | tail -n 1 | jq -r .reply.payload.value)" 0x140000000 "reconnected and answered"

# Writing to a back-end that went away: an error, never SIGPIPE, and it
# says what the back-end hung up after. The back-end exits on the second
# request, which gets no reply; the third finds the socket closed. (Fed
# through a pipe, so that the third goes only once the back-end is gone.)
start_fake "$S" ok exit
mkfifo "$TMP/in"
"$VHUCTL" --keep-going "$S" <"$TMP/in" >"$TMP/out" 2>"$TMP/err" &
V=$!
exec 3>"$TMP/in"
printf 'get-features\nset-owner\n' >&3
wait "$FAKE_PID"	# it read set-owner and exited
printf 'set-owner\nblk read 0\nget-features\n' >&3
exec 3>&-
wait "$V"
RC=$?
OUT=$(cat "$TMP/out")
ERR=$(cat "$TMP/err")
is "$RC" 5 "no SIGPIPE death writing to a closed back-end (exit 5)"
like "$ERR" "<stdin>:3:1: error: SET_OWNER: back-end closed the connection before this request was sent, after SET_OWNER (<stdin>:2, not answered," \
	"the request that found the socket closed names the one the back-end hung up after, and its line"
like "$ERR" "<stdin>:2:1: note: the back-end accepted the request sent here, then closed the connection" "a note points at that line"
like "$(jline 4 | jq -r .error.message)" "not connected: the back-end closed the connection after SET_OWNER (<stdin>:2" \
	"a ring command afterwards says why it is not connected"
is "$(jline 4 | jq -r .error.code)" ENOTCONN "…as ENOTCONN"
like "$(jline 5 | jq -r .error.message)" "GET_FEATURES: not connected: the back-end closed the connection after SET_OWNER" "and so does a request"

# fs: what virtiofsd will not do. A device that zeroes the reply buffer
# (--rings): a fuse_out_header of len 0 is a clear error with the bytes,
# and nothing is read past it; a device that never answers: the wait ends.
start_fake --rings inorder "$S"
run_vhuctl --device fs "$S" -c 'start; fs stat /hello.txt'
is "$RC" 1 "fs: a malformed FUSE reply fails the command"
f=$(jcmd 'fs stat')
is "$(printf '%s' "$f" | jq -c '[.error.code, .requests[0].opcode, .requests[0].used_len, (.requests[0].reply_hex | length)]')" \
	'["EBADMSG","INIT",80,160]' "fs: EBADMSG, the reply's 80 bytes shown as hex"
like "$ERR" "INIT: malformed reply: fuse_out_header.len 0 is shorter than the header itself (16)" "fs: the error names the field"
ok $(printf '%s' "$ERR" | grep -q Sanitizer; echo $((!$?))) "fs: no sanitizer report"
stop_fake
start_fake "$S"
run_vhuctl --device fs "$S" -c 'start; fs init timeout=300'
is "$(jcmd 'fs init' | jq -c '[.error.code, .requests[0].opcode, has("out_header")]')" '["ETIMEDOUT","INIT",false]' \
	"fs init timeout=300 against a device that never answers: ETIMEDOUT"
like "$ERR" "no used entry on ring 1 within 300 ms" "fs: the wait is bounded by timeout="
stop_fake

done_testing
