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
is "$RC" 1 "no reply: exit status 1"
like "$ERR" "GET_FEATURES: no reply from the back-end before the timeout" "no reply: error names the request"
is "$(jline 2 | jq -r .error.code)" ETIMEDOUT "no reply: error object with ETIMEDOUT"
ok $(( (t1 - t0) / 1000000 < 3000 ? 0 : 1 )) "no reply: gave up after the 300 ms timeout ($(( (t1 - t0) / 1000000 )) ms)"
stop_fake

# A timeout of 0 waits for nothing (SO_RCVTIMEO 0 would be for ever).
start_fake "$S" noreply
run_vhuctl -t 0 "$S" -c get-features
like "$ERR" "GET_FEATURES: no reply from the back-end before the timeout" "timeout 0: no reply is a timeout at once"
stop_fake

start_fake "$S" close
run_vhuctl "$S" -c get-features
like "$ERR" "GET_FEATURES: back-end closed the connection after 0 of 12 header bytes" "close before replying"
is "$(jline 2 | jq -r .disconnected)" true "close: the connection is marked closed"

start_fake "$S" close-header
run_vhuctl "$S" -c get-features
like "$ERR" "GET_FEATURES: back-end closed the connection after 5 of 12 header bytes" "close mid-header"

start_fake "$S" close-payload
run_vhuctl "$S" -c get-features
like "$ERR" "GET_FEATURES: back-end closed the connection after 3 of 8 payload bytes" "close mid-payload"

start_fake "$S" wrong-flags
run_vhuctl "$S" -c get-features
like "$ERR" "GET_FEATURES: reply flags 0xd instead of 0x5" "wrong flags"
is "$(jline 2 | jq -r .reply.flags)" 0xd "wrong flags: the reply is still shown"
is "$(jline 2 | jq -r .error.code)" EPROTO "wrong flags: EPROTO"

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
like "$(jline 3)" "must be a power of two" "the warning says why"
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
is "$(printf '%s' "$after" | jq -c .fds)" '{}' "and none is kept"
stop_fake

# Whatever was read ahead behind the short reply is accounted for: every fd
# open beyond the start is one status lists as read ahead (held for the
# message it came with, closed with it).
start_fake "$S" short-extra
run_vhuctl --keep-going "$S" -c 'status; get-features; status'
before=$(printf '%s\n' "$OUT" | jq -s '[.[] | select(.command == "status")][0].open_fds')
after=$(printf '%s\n' "$OUT" | jq -s '[.[] | select(.command == "status")][1] | .open_fds - (.read_ahead.fds // 0)')
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
is "$(jline 2 | jq -r .sync.ok)" true "sync barrier answered"

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
is "$(jline 2 | jq -r .reply.payload.hex)" 0405060708090a0b "GET_CONFIG bytes shown as hex"
is "$(jline 2 | jq -r .reply.payload.decoded.size_max)" "$((0x0b0a0908))" "GET_CONFIG decoded for blk"

# raw: anything goes, with warnings, and the back-end's answer reported.
start_fake "$S"
run_vhuctl -t 300 "$S" -c 'raw 99 payload=0102 fds=2; raw SET_VRING_KICK payload=0001000000000000 fds=1; raw GET_FEATURES size=8'
wait_log 3
is "$(sed -n 1p "$TMP/fake.log")" "req=99 flags=0x1 size=2 fds=2 payload=0102" "raw sends an unknown request with fds"
like "$(jline 2 | jq -r '.warnings[]')" "request 99 is not in the protocol table" "raw warns about an unknown request"
like "$(jline 3 | jq -r '.warnings[]')" "NOFD bit set but 1 fd attached" "raw warns about NOFD with an fd"
like "$(jline 4 | jq -r '.warnings[]')" "header size 8 disagrees with the 0 payload bytes sent" "raw warns about a lying size"
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
for _ in $(seq 10); do cmds="$cmds; get-features; sleep 150"; done
run_vhuctl --device blk "$S" -c "$cmds; status"
ran_ok "back-end channel session succeeds"
evs=$(printf '%s\n' "$OUT" | jq -c 'select(.event == "backend-request")')
is "$(printf '%s\n' "$evs" | jq -r .request.name | tr '\n' ' ')" "BACKEND_IOTLB_MSG BACKEND_CONFIG_CHANGE_MSG BACKEND_VRING_HOST_NOTIFIER_MSG BACKEND_VRING_CALL BACKEND_VRING_ERR BACKEND_SHARED_OBJECT_ADD BACKEND_SHARED_OBJECT_REMOVE BACKEND_SHARED_OBJECT_LOOKUP BACKEND_SHMEM_MAP BACKEND_SHMEM_UNMAP " "all ten back-end requests arrive as events, named"
is "$(printf '%s\n' "$evs" | sed -n 1p | jq -c '[.request.payload.type, .request.payload.iova, .request.payload.perm]')" '["miss","0x100000","rw"]' "IOTLB miss decoded"
like "$(printf '%s\n' "$evs" | sed -n 1p | jq -r .action)" "IOTLB update for iova 0x100000 queued" "IOTLB miss queued for an answer (iotlb auto)"
like "$(cat "$TMP/fake.log")" "req=22 flags=0x9 size=32 fds=0 payload=0000100000000000000020000000000" "the answer is an IOTLB_MSG update for the region holding the miss"
is "$(printf '%s\n' "$evs" | sed -n 2p | jq -c .answered)" 0 "NEED_REPLY with REPLY_ACK: answered 0"
like "$(cat "$TMP/fake.log")" "backend-reply req=2 flags=0x5 size=8 payload=0000000000000000" "the back-end got the answer"
is "$(printf '%s\n' "$evs" | sed -n 3p | jq -c '[.request.payload.size, .request.fds[0].type != null, .fds_closed]')" '["0x1000",true,1]' "host notifier: fd inspected, then closed"
is "$(printf '%s\n' "$evs" | sed -n 6p | jq -r .request.payload.uuid)" "00112233-4455-6677-8899-aabbccddeeff" "shared object UUID decoded"
is "$(printf '%s\n' "$evs" | sed -n 8p | jq -c .answered)" 1 "SHARED_OBJECT_LOOKUP always answered: 1, no object to give"
like "$(cat "$TMP/fake.log")" "backend-reply req=8 flags=0x5 size=8 payload=0100000000000000" "the back-end got the refusal"
is "$(printf '%s\n' "$evs" | sed -n 9p | jq -c '[.request.payload.len, .request.payload.writable]')" '["0x1000",true]' "SHMEM_MAP decoded"
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
is "$(jcmd 'device-state save' | jq -c '[.steps[] | .request]')" '["SET_DEVICE_STATE_FD","CHECK_DEVICE_STATE"]' "save: SET_DEVICE_STATE_FD then CHECK_DEVICE_STATE"
like "$(cat "$TMP/fake.log")" "device-state-loaded bytes=1000 head=66616b652d6465766963652d73746174" "load: the back-end got the same bytes"
truncate -s 65M "$TMP/big.bin"
run_vhuctl "$S" -c "device-state load $TMP/big.bin"
like "$ERR" "big.bin is over 67108864 bytes" "device-state load refuses a file over the limit, not a shortened state"
run_vhuctl "$S" -c "mem add 1M; vring setup 0 size=8; device-state save $TMP/x.bin"
like "$ERR" "rings are started: 'stop' them first" "device state refused while rings run"

# config-watch: CONFIG_CHANGE_MSG makes vhuctl read the config again (with
# the size that last worked); iotlb manual only shows misses.
start_fake "$S" ok ok ok ok "backend=2" "backend=1,payload=0000100000000000001000000000000000000000000000000301000000000000"
run_vhuctl "$S" -c 'mem add 1M gpa=0x100000; get-protocol-features; set-protocol-features REPLY_ACK,BACKEND_REQ,CONFIG; set-backend-req-fd; config-watch on; iotlb manual; get-config size=8; get-features; sleep 200; get-features; sleep 200'
ans=$(printf '%s\n' "$OUT" | jq -c 'select(.event == "answer")')
is "$(printf '%s' "$ans" | jq -r '.result.command')" "get-config size=8" "config-watch: GET_CONFIG again after CONFIG_CHANGE_MSG"
is "$(printf '%s' "$ans" | jq -r '.result.reply.payload.hex')" 0001020304050607 "config-watch: the fresh config is shown"
is "$(printf '%s\n' "$OUT" | jq -c 'select(.event == "backend-request") | .action' | tr '\n' ' ')" '"GET_CONFIG queued (config-watch on)" null ' "iotlb manual: the miss is shown, not answered"
ok $(grep -q 'req=22 ' "$TMP/fake.log"; echo $((!$?))) "iotlb manual: no IOTLB_MSG sent"

# Reconnect after the back-end dropped us.
start_fake "$S" close
run_vhuctl --keep-going "$S" -c "get-features; connect $S; get-features"
is "$(jcmd get-features | jq -r .error.code)" ECONNRESET "first request: connection closed"
is "$(printf '%s\n' "$OUT" | tail -n 1 | jq -r .reply.payload.value)" 0x140000000 "reconnected and answered"

# Writing to a back-end that went away: an error, never SIGPIPE.
start_fake "$S" exit
run_vhuctl --keep-going "$S" -c 'set-owner; sleep 200; set-owner; set-owner'
ok $(( RC == 1 ? 0 : 1 )) "no SIGPIPE death writing to a closed back-end (exit $RC)"
like "$ERR" "SET_OWNER: back-end closed the connection before this request was sent" "closed back-end reported on send"
stop_fake

done_testing
