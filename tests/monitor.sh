#!/bin/bash
# monitor.sh - vhuctl monitor between real front-ends and real back-ends:
# DPDK virtio-user and vhuctl itself as front-ends, dpdk-testpmd and
# qemu-storage-daemon as back-ends. Every wait is on something that happens.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/guest.sh"

T0=$(date +%s)

# stop_monitor: SIGTERM, and it must go within 10 s
stop_monitor() {
	kill -TERM "$MON_PID" 2>/dev/null
	gone "$MON_PID" 10
	MON_RC=$?
	wait "$MON_PID" 2>/dev/null
	MON_STATUS=$?
}

# msgs [SESSION]: the message events, one compact line each
msgs() {
	jq -c --argjson s "${1:-1}" 'select(.event == "message" and .session == $s)' "$TMP/mon.out"
}

# --- (b) vhuctl -> monitor -> qemu-storage-daemon ---------------------------
IMG=$TMP/disk.img
truncate -s 1M "$IMG"
QSD_SOCK=$TMP/qsd.sock
MON_SOCK=$TMP/mon.sock
start_qsd "$IMG" "$QSD_SOCK"
start_monitor "listen:$MON_SOCK" "connect:$QSD_SOCK" --device blk

printf 'monitor-sector-0' >"$TMP/data"
truncate -s 512 "$TMP/data"
run_vhuctl --device blk "$MON_SOCK" -c "start; blk write 0 @$TMP/data; blk read 0; stop"
ran_ok "vhuctl start, blk write, blk read, stop through the monitor"
is "$(jcmd 'blk read' | jq -r .data.text)" "monitor-sector-0" "the sector read back through the monitor holds what was written"
is "$(head -c 16 "$IMG")" "monitor-sector-0" "and the image file holds it"
wait_line "$TMP/mon.out" '"event":"disconnected","side":"front-end"' 30 "$MON_PID"
ok $? "the monitor saw the front-end go"

M=$(msgs 1)
names=$(printf '%s\n' "$M" | jq -r 'select(.direction == "to_backend") | .message.name' | sort -u | tr '\n' ' ')
for n in GET_FEATURES GET_PROTOCOL_FEATURES SET_PROTOCOL_FEATURES SET_OWNER SET_FEATURES SET_MEM_TABLE \
	SET_VRING_NUM SET_VRING_BASE SET_VRING_ADDR SET_VRING_KICK SET_VRING_CALL GET_VRING_BASE; do
	like " $names" " $n " "the stream holds $n"
done
# Every request that was answered has its reply, paired: the replies'
# reply_to.seq are exactly the requests that want one (GET_*, NEED_REPLY).
want=$(printf '%s\n' "$M" | jq -r 'select(.direction == "to_backend" and
	((.message.name | startswith("GET_")) or (.message.flags.names | index("NEED_REPLY")))) | .seq' | sort -n | tr '\n' ' ')
got=$(printf '%s\n' "$M" | jq -r 'select(.direction == "to_frontend") | .reply_to.seq' | sort -n | tr '\n' ' ')
is "$got" "$want" "every request that wants a reply has one, paired by seq"
is "$(printf '%s\n' "$M" | jq -s '[.[] | select(.direction == "to_frontend") | .reply_to |
	select(.rtt_us >= 0 and (.name | length) > 0)] | length')" "$(printf '%s\n' "$M" | jq -s '[.[] | select(.direction == "to_frontend")] | length')" \
	"every reply names its request and its round trip"
is "$(printf '%s\n' "$M" | jq -s '[.[] | select(.warnings)] | length')" 0 "a well-formed session draws no warnings"
is "$(printf '%s\n' "$M" | jq -c 'select(.message.name == "SET_MEM_TABLE" and .direction == "to_backend") | [.message.fds[].type]')" '["memfd"]' \
	"SET_MEM_TABLE's fd is described: a memfd"
is "$(printf '%s\n' "$M" | jq -r 'select(.message.name == "SET_VRING_KICK" and .direction == "to_backend") | .message.fds[0].type' | sort -u)" eventfd \
	"SET_VRING_KICK's fd is described: an eventfd"
is "$(printf '%s\n' "$M" | jq -s 'map(.seq) == [range(1; length + 1)]')" true "messages are numbered 1, 2, 3... in order"

# --- (e) a malformed message is relayed and flagged -------------------------
run_vhuctl "$MON_SOCK" --keep-going -c 'raw GET_QUEUE_NUM payload=0000000000000000; raw GET_FEATURES header-flags=0x31; get-features'
is "$(jcmd raw | jq -r .outcome)" replied "the back-end answered the malformed GET_QUEUE_NUM: it was relayed"
is "$(jcmd get-features | jq -r .ok)" true "and the session goes on"
wait_line "$TMP/mon.out" '"event":"disconnected","side":"front-end","session":2' 30 "$MON_PID"
M=$(msgs 2)
like "$(printf '%s\n' "$M" | jq -r 'select(.message.name == "GET_QUEUE_NUM" and .direction == "to_backend") | .warnings[]')" \
	"size 8 outside 0..0 for GET_QUEUE_NUM" "the malformed request is flagged by the table's size bounds"
like "$(printf '%s\n' "$M" | jq -r 'select(.direction == "to_backend" and .message.flags.value == "0x31") | .warnings[]')" \
	"flags 0x31: bits 0x30 are not defined" "undefined header flags are flagged"
like "$(printf '%s\n' "$M" | jq -r 'select(.direction == "to_frontend" and .message.flags.value != "0x5") | .warnings[]')" \
	"reply flags 0x35 instead of 0x5" "and so is the back-end's reply that echoes them"

# --- (d) no fd leaked over 200 front-end sessions ---------------------------
fds_before=$(ls /proc/"$MON_PID"/fd | wc -l)
cmds='get-features; get-protocol-features; set-protocol-features MQ,REPLY_ACK,BACKEND_REQ; set-backend-req-fd; set-vring-call 0; mem add 1M; set-mem-table'
fails=0
t_loop=$(date +%s%N)
for i in $(seq 200); do
	timeout 20 "$VHUCTL" "$MON_SOCK" -c "$cmds" >/dev/null 2>"$TMP/loop.err" </dev/null || fails=$((fails + 1))
done
echo "# 200 sessions took $(( ($(date +%s%N) - t_loop) / 1000000 )) ms"
is "$fails" 0 "200 front-end sessions through the monitor, each with fds and the back-end channel"
[ "$fails" = 0 ] || sed 's/^/#   /' "$TMP/loop.err"
wait_lines "$TMP/mon.out" 202 60 '"event":"disconnected","side":"front-end"'
ok $? "the monitor saw all 202 front-end sessions end"
fds_after=$(ls /proc/"$MON_PID"/fd | wc -l)
is "$fds_after" "$fds_before" "the monitor holds as many fds after them as before ($fds_before)"
M=$(msgs 202)
is "$(printf '%s\n' "$M" | jq -r 'select(.message.name == "SET_BACKEND_REQ_FD" and .direction == "to_backend") | .message.fds[0].type')" socket \
	"SET_BACKEND_REQ_FD's fd is shown as the front-end sent it: a socket"
is "$(printf '%s\n' "$M" | jq -r 'select(.direction == "to_frontend" and .reply_to.name == "SET_BACKEND_REQ_FD") | .message.payload.u64')" 0 \
	"the back-end took the monitor's channel socket in its place (REPLY_ACK 0)"

# --- SIGTERM: a clean exit, the socket file removed -------------------------
stop_monitor
is "$MON_RC" 0 "the monitor exits on SIGTERM"
is "$MON_STATUS" 0 "with status 0"
[ ! -e "$MON_SOCK" ]
ok $? "and removes the socket file it listened on"

# --- --output=text: a line a message, as busctl monitor prints --------------
"$VHUCTL" monitor --once --output=text -w "$TMP/rec.jsonl" --device blk "$MON_SOCK" "$QSD_SOCK" >"$TMP/mon.txt" 2>"$TMP/mon.err" </dev/null &
MON_PID=$!
PIDS+=("$MON_PID")
wait_line "$TMP/mon.txt" 'event monitor-ready: ' 30 "$MON_PID" || bail "vhuctl monitor --output=text did not start: $(cat "$TMP/mon.err")"
run_vhuctl --device blk "$MON_SOCK" -c 'get-features; get-queue-num; set-owner'
ran_ok "a session through the text monitor"
gone "$MON_PID" 10
ok $? "--once: the text monitor ends with its session"
T=$(cat "$TMP/mon.txt")
like "$T" "1.1 → GET_FEATURES" "text: a request is its session.seq, an arrow to the back-end, its name"
ok "$(printf '%s\n' "$T" | grep -cE '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} 1\.2 ← GET_FEATURES \[REPLY\] 0x[0-9a-f]+ .*VERSION_1 .*\(reply to 1, [0-9.]+ µs\)$' | grep -qx 1; echo $?)" \
	"text: a reply has the time of day, an arrow back, its flags, the features by name and the request it answers, with the round trip"
like "$T" "← GET_QUEUE_NUM [REPLY] 1 (reply to 3," "text: a u64 reply is its number"
like "$T" "event disconnected: side=front-end" "text: the session's events are lines too"
is "$(printf '%s\n' "$T" | grep -cE ' (→|←) ')" "$(printf '%s\n' "$T" | grep -c '^[0-9]')" "text: every message line has its arrow"
# -w FILE: the same session recorded as JSON lines, whatever was shown.
out=$(python3 "${top_srcdir:-.}/tests/schema.py" "${top_srcdir:-.}/schema/vhuctl.schema.json" "$TMP/rec.jsonl" 2>&1)
ok $? "-w: the recording is JSON lines of the contract ($(printf '%s' "$out" | tail -n 1))"
is "$(jq -s '[.[] | select(.event == "message")] | length' "$TMP/rec.jsonl")" "$(printf '%s\n' "$T" | grep -c '^[0-9]')" \
	"-w: the recording holds every message the text showed"
is "$(jq -r 'select(.event == "message" and .seq == 2) | [.direction, .message.name, .reply_to.seq] | @tsv' "$TMP/rec.jsonl")" \
	"$(printf 'to_frontend\tGET_FEATURES\t1')" "-w: a reply recorded with its direction, name and the request it answers"
is "$(jq -r 'select(.event == "disconnected") | .side' "$TMP/rec.jsonl" | head -n 1)" front-end "-w: the session's events are recorded too"
"$VHUCTL" monitor -w "$TMP/no/such/dir/rec.jsonl" "$MON_SOCK" "$QSD_SOCK" >/dev/null 2>"$TMP/mon.err" </dev/null
is "$?" 1 "-w into a directory that is not there: exit 1"
like "$(cat "$TMP/mon.err")" "rec.jsonl: No such file or directory" "and says why"

# --- --replay: a vhuctl session recorded, sent again with no front-end -------
# replay ARGS...: vhuctl monitor --replay, its objects in $TMP/rp.out
replay() {
	"$VHUCTL" monitor --replay "$@" >"$TMP/rp.out" 2>"$TMP/rp.err" </dev/null
	RP_RC=$?
}
start_monitor "$MON_SOCK" "$QSD_SOCK" --device blk --once -w "$TMP/vh-rec.jsonl"
run_vhuctl --device blk "$MON_SOCK" -c 'start; get-config 60; stop'
ran_ok "a vhuctl session (start, get-config, stop: no I/O) recorded through the monitor"
gone "$MON_PID" 10
ok $? "--once: the monitor ends with it"
replies=$(jq -s '[.[] | select(.event == "message" and .direction == "to_frontend")] | length' "$TMP/vh-rec.jsonl")
replay "$TMP/vh-rec.jsonl" --device blk "$QSD_SOCK"
is "$RP_RC" 0 "--replay against the same qemu-storage-daemon: exit 0"
is "$(jq -c 'select(.event == "replay-summary") | [.sent, .not_sent, .compared, .differences]' "$TMP/rp.out")" \
	"[$(jq -s '[.[] | select(.event == "message" and .direction == "to_backend")] | length' "$TMP/vh-rec.jsonl"),0,$replies,0]" \
	"every request sent again, every one of its $replies replies compared, none differs"
is "$(jq -c 'select(.event == "replay-difference")' "$TMP/rp.out" | wc -l)" 0 "and no difference is reported"
# A back-end with other options answers otherwise: num-queues=2.
Q1_PID=$QSD_PID
truncate -s 1M "$TMP/disk2.img"
start_qsd "$TMP/disk2.img" "$TMP/qsd2.sock" "num-queues=2"
Q2_PID=$QSD_PID QSD_PID=$Q1_PID
replay "$TMP/vh-rec.jsonl" --device blk "$TMP/qsd2.sock"
is "$RP_RC" 3 "--replay against a qsd with num-queues=2: exit 3, the answers differ"
is "$(jq -c 'select(.event == "replay-difference") | [.request.name, .differs, .recorded.payload.u64, .replayed.payload.u64]' "$TMP/rp.out" | head -n 1)" \
	'["GET_QUEUE_NUM",["payload.u64"],1,2]' "a difference: GET_QUEUE_NUM, its payload.u64 recorded 1, now 2"
is "$(jq -c 'select(.event == "replay-difference") | [.request.name, .differs, .recorded.payload.decoded.num_queues, .replayed.payload.decoded.num_queues]' "$TMP/rp.out" | tail -n +2)" \
	'["GET_CONFIG",["payload.hex","payload.decoded.num_queues"],1,2]' "and GET_CONFIG's num_queues (and so its bytes): only these two"
is "$(jq -r 'select(.event == "replay-summary") | .differences' "$TMP/rp.out")" 2 "the summary counts them"
out=$(python3 "${top_srcdir:-.}/tests/schema.py" "${top_srcdir:-.}/schema/vhuctl.schema.json" "$TMP/rp.out" 2>&1)
ok $? "--replay's objects follow the schema ($(printf '%s' "$out" | tail -n 1))"
replay "$TMP/vh-rec.jsonl" --device blk --output=text "$TMP/qsd2.sock"
like "$(cat "$TMP/rp.out")" "event replay-difference: session=1 seq=" "--output=text: a difference is a line"
like "$(cat "$TMP/rp.out")" "request=GET_QUEUE_NUM recorded=GET_QUEUE_NUM 1 replayed=GET_QUEUE_NUM 2 differs=payload.u64" \
	"with the request and both replies in brief, and what differs"
kill "$Q2_PID" 2>/dev/null
wait "$Q2_PID" 2>/dev/null
# Recordings that are not whole: an error at FILE:LINE, nothing sent, no crash.
n=$(wc -l <"$TMP/vh-rec.jsonl")
head -c "$(( $(head -n 8 "$TMP/vh-rec.jsonl" | wc -c) + 40 ))" "$TMP/vh-rec.jsonl" >"$TMP/cut.jsonl"
replay "$TMP/cut.jsonl" "$TMP/nobody.sock"
is "$RP_RC" 1 "--replay of a recording cut mid-line: exit 1"
is "$(cat "$TMP/rp.err")" "vhuctl monitor: --replay $TMP/cut.jsonl:9: not a JSON object (the file ends in the middle of a line)" \
	"the error names the file and the line, before any back-end is dialled"
{ head -n 6 "$TMP/vh-rec.jsonl"; echo '{"event":"message","session":1,"seq":7,"direction":"to_backend"}'; } >"$TMP/nomsg.jsonl"
replay "$TMP/nomsg.jsonl" "$QSD_SOCK"
is "$RP_RC:$(cat "$TMP/rp.err")" "1:vhuctl monitor: --replay $TMP/nomsg.jsonl:7: a message event without its message" \
	"a message event without its message: located"
{ head -n 3 "$TMP/vh-rec.jsonl"; echo 'not json at all'; tail -n +4 "$TMP/vh-rec.jsonl"; } >"$TMP/bad.jsonl"
replay "$TMP/bad.jsonl" "$QSD_SOCK"
is "$RP_RC:$(cat "$TMP/rp.err")" "1:vhuctl monitor: --replay $TMP/bad.jsonl:4: not a JSON object" "a line that is not JSON: located"
printf '%s\n' '"a string"' 42 >"$TMP/odd.jsonl"
replay "$TMP/odd.jsonl" "$QSD_SOCK"
is "$RP_RC:$(cat "$TMP/rp.err")" "1:vhuctl monitor: --replay $TMP/odd.jsonl:1: not a JSON object" "JSON that is not an object: located"
# A message without its header's members: located. Payloads of the wrong
# types (a region list that is a number, a payload that is a string or a
# list): no crash, each such request a comment or sent as far as it goes.
H='"flags":{"value":"0x1","names":[]},"size":0,"fds":[]'
printf '%s\n' '{"event":"message","session":1,"seq":1,"direction":"to_backend","message":{"number":5,"size":0,"fds":[]}}' >"$TMP/odd2.jsonl"
replay "$TMP/odd2.jsonl" "$QSD_SOCK"
is "$RP_RC:$(cat "$TMP/rp.err")" "1:vhuctl monitor: --replay $TMP/odd2.jsonl:1: a message event without its message's flags" \
	"a message without its flags: located"
printf '%s\n' "{\"event\":\"message\",\"session\":1,\"seq\":1,\"direction\":\"to_backend\",\"message\":{\"number\":5,$H,\"payload\":{\"regions\":5}}}" \
	"{\"event\":\"message\",\"session\":1,\"seq\":2,\"direction\":\"to_backend\",\"message\":{\"number\":9,$H,\"payload\":\"x\"}}" \
	"{\"event\":\"message\",\"session\":1,\"seq\":3,\"direction\":\"to_frontend\",\"reply_to\":\"x\",\"message\":{\"number\":1,$H}}" \
	"{\"event\":\"message\",\"session\":1,\"seq\":4,\"direction\":\"to_backend\",\"message\":{\"number\":37,$H,\"payload\":[1,2]}}" >"$TMP/odd3.jsonl"
"$VHUCTL" monitor --script "$TMP/odd3.jsonl" >"$TMP/odd3.vhu" 2>&1
is "$?:$(tail -n 1 "$TMP/odd3.vhu")" "0:# 1 requests converted, 2 not" "--script of payloads of the wrong types: converted as far as they go, no crash"
replay "$TMP/odd3.jsonl" --device blk "$QSD_SOCK"
ok "$([ "$RP_RC" -lt 64 ]; echo $?)" "--replay of them: no crash (exit $RP_RC)"
replay "$TMP/vh-rec.jsonl" --session 9 "$QSD_SOCK"
is "$RP_RC:$(cat "$TMP/rp.err")" "1:vhuctl monitor: --replay $TMP/vh-rec.jsonl: no front-end request of session 9" "a session not recorded"
replay "$TMP/vh-rec.jsonl"
is "$RP_RC" 2 "--replay without BACK: a usage error"
[ "$n" -gt 8 ]
ok $? "(the recording has $n lines)"

# --- --control: the live memory and rings of a session, read-only -----------
# ctl COMMAND...: each command on the control socket, through vhuctl
# monitor --query, its answer line each
ctl() {
	"$VHUCTL" monitor --query "$TMP/ctl.sock" "$@"
}
start_monitor "$MON_SOCK" "$QSD_SOCK" --device blk --control "$TMP/ctl.sock" --notify
mkfifo "$TMP/vh.in"
"$VHUCTL" --device blk "$MON_SOCK" <>"$TMP/vh.in" >"$TMP/vh.out" 2>"$TMP/vh.err" &
VH_PID=$!
PIDS+=("$VH_PID")
printf 'start\nblk read 0\nblk read 1\nsleep 1\n' >"$TMP/vh.in"
wait_line "$TMP/vh.out" '"command":"sleep"' 30 "$VH_PID" || bail "vhuctl did not start its rings: $(cat "$TMP/vh.err")"
V=$(ctl view "vring dump 0" "mem read 0x0 16" "vring dump 3" "mem read 0x7fffffff0000 4" "frobnicate")
is "$(printf '%s\n' "$V" | jq -c 'select(.command == "view") | .regions[] | [.mapped, .memory_size]')" "[true,4194304]" \
	"view: vhuctl's region, its memfd sealed, is mapped"
is "$(printf '%s\n' "$V" | jq -c 'select(.command == "view") | .rings[0] | [.index, .size, .avail_idx, .used_idx, .in_flight]')" \
	"[0,256,2,2,0]" "view: ring 0 as it is in memory: two requests made available and used"
# (a sample is a kick and the first call after it: when vhuctl sees its
# first request used and kicks again before the monitor has passed the call
# on, the two kicks share one call, one sample)
is "$(printf '%s\n' "$V" | jq -c 'select(.command == "view") | .rings[0] |
	[.kicks, (.kick_to_call_us.samples | . >= 1 and . <= 2), .calls >= 2]')" \
	"[2,true,true]" "--notify: vhuctl's two kicks went through the monitor, and calls it timed came back"
is "$(printf '%s\n' "$V" | jq -c 'select(.command == "vring dump") | select(.ok) | .ring | [.avail.idx, .used.idx, .descriptors[1].len, (.anomalies | length)]')" \
	"[2,2,512,0]" "vring dump 0: the ring from the guest memory the front-end handed over"
is "$(printf '%s\n' "$V" | jq -r 'select(.command == "mem read") | select(.ok) | .data.hex')" \
	"$(printf '%s\n' "$V" | jq -c 'select(.command == "vring dump") | select(.ok) | .ring.descriptors[0]' | python3 -c '
import json, struct, sys
d = json.load(sys.stdin)
print(struct.pack("<QIHH", int(d["addr"], 16), d["len"], int(d["flags"]["value"], 16), d["next"]).hex())')" \
	"mem read 0x0 16: the first descriptor, as it is in memory"
is "$(printf '%s\n' "$V" | jq -r 'select(.ok == false) | .error.code' | tr '\n' ' ')" "ENOENT EFAULT EINVAL " \
	"a ring never set up, an address in no region, an unknown command: errors"
ctl view >/dev/null
is "$?" 0 "--query: exit 0 when every answer is ok"
ctl view "vring dump 3" >/dev/null
is "$?" 1 "--query: exit 1 when one is an error"
out=$(printf '%s\n' "$V" >"$TMP/ctl.jsonl"; python3 "${top_srcdir:-.}/tests/schema.py" "${top_srcdir:-.}/schema/vhuctl.schema.json" "$TMP/ctl.jsonl" 2>&1)
ok $? "the control socket's answers follow the schema ($(printf '%s' "$out" | tail -n 1))"
printf 'quit\n' >"$TMP/vh.in"
gone "$VH_PID" 10
ok $? "vhuctl quits"
wait_line "$TMP/mon.out" '"event":"disconnected"' 30 "$MON_PID"
is "$(ctl view | jq -c '[.regions, .rings]')" "[[],[]]" "the session gone, the view is empty (and its mappings gone)"
stop_monitor

# --- fault injection: each rule fires once over the monitor's life ----------
"$VHUCTL" monitor --fault 'NO_SUCH_REQUEST drop' "$MON_SOCK" "$QSD_SOCK" >/dev/null 2>"$TMP/mon.err" </dev/null
is "$?" 2 "--fault with an unknown request: a usage error"
like "$(cat "$TMP/mon.err")" "NO_SUCH_REQUEST': no front-end request of that name" "and says which word"
"$VHUCTL" monitor --fault 'GET_FEATURES fail' "$MON_SOCK" "$QSD_SOCK" >/dev/null 2>"$TMP/mon.err" </dev/null
like "$(cat "$TMP/mon.err")" "fail changes a reply: add 'reply'" "--fault: fail wants a reply"
start_monitor "$MON_SOCK" "$QSD_SOCK" --device blk \
	--fault 'GET_QUEUE_NUM reply corrupt=12:7' --fault 'SET_VRING_NUM reply fail' \
	--fault 'GET_FEATURES nth=2 delay=400' --fault 'GET_PROTOCOL_FEATURES nth=2 close' \
	--fault 'GET_QUEUE_NUM reply nth=2 drop'
run_vhuctl --device blk "$MON_SOCK" -c 'get-queue-num; set-features VIRTIO_F_VERSION_1,VHOST_USER_F_PROTOCOL_FEATURES; set-protocol-features REPLY_ACK'
ran_ok "a session through a monitor with faults"
is "$(jcmd get-queue-num | jq -c .reply.payload.u64)" 7 "corrupt=12:7: the reply's first payload byte relayed as 7 (qsd has 1 queue)"
run_vhuctl --device blk "$MON_SOCK" -c 'set-features VIRTIO_F_VERSION_1,VHOST_USER_F_PROTOCOL_FEATURES; set-protocol-features REPLY_ACK; set-vring-num 0 256'
is "$RC" 1 "fail: the front-end sees its request refused (exit 1)"
is "$(jcmd set-vring-num | jq -c .ack)" '{"u64":1,"ok":false}' "fail: REPLY_ACK relayed as 1"
run_vhuctl --device blk "$MON_SOCK" -c 'set-features VIRTIO_F_VERSION_1,VHOST_USER_F_PROTOCOL_FEATURES; set-protocol-features REPLY_ACK; set-vring-num 0 256; get-features; get-features; get-features'
ran_ok "each rule fires once: the same request goes through unchanged in a later session"
is "$(jcmd set-vring-num | jq -c .ack)" '{"u64":0,"ok":true}' "a fired rule stays fired"
is "$(printf '%s\n' "$OUT" | jq -sc '[.[] | select(.command == "get-features") | .rtt_us >= 400000]')" "[false,true,false]" \
	"delay=400 nth=2: the second GET_FEATURES waited 400 ms at least, the others did not"
run_vhuctl --device blk -t 2000 "$MON_SOCK" -c 'get-protocol-features; get-protocol-features'
is "$RC" 5 "close: the front-end finds the connection gone (exit 5)"
is "$(printf '%s\n' "$OUT" | jq -sc '[.[] | select(.command == "get-protocol-features") | .error.code]')" '[null,"ECONNRESET"]' \
	"close: at the request the rule names, the second"
run_vhuctl --device blk -t 500 "$MON_SOCK" -c 'get-queue-num'
is "$RC" 5 "drop: the front-end waits for a reply that never comes, and times out (exit 5)"
run_vhuctl --device blk "$MON_SOCK" -c 'get-protocol-features; get-queue-num'
ran_ok "after every fault, a session goes through whole"
stop_monitor
F=$(jq -c 'select(.event == "fault")' "$TMP/mon.out")
is "$(printf '%s\n' "$F" | jq -r .action | tr '\n' ' ')" "corrupt fail delay close drop " "one fault event each, in order"
is "$(printf '%s\n' "$F" | jq -r 'select(.action == "corrupt") | .detail')" "byte 12: 0x01 relayed as 0x07" "corrupt: the event says what changed"
is "$(printf '%s\n' "$F" | jq -r 'select(.action == "fail") | .detail')" "u64 0x0 relayed as 0x1" "fail: the event says what changed"
is "$(jq -r 'select(.event == "disconnected" and (.reason | startswith("closed by the monitor"))) | .reason' "$TMP/mon.out")" \
	"closed by the monitor: fault 'GET_PROTOCOL_FEATURES nth=2 close'" "close: the session's end names the rule"
s=$(printf '%s\n' "$F" | jq -r 'select(.action == "drop") | "\(.session) \(.seq)"')
is "$(jq -r --argjson s "${s% *}" --argjson q "${s#* }" 'select(.event == "message" and .session == $s and .seq == $q) | [.direction, .message.name] | @tsv' "$TMP/mon.out")" \
	"$(printf 'to_frontend\tGET_QUEUE_NUM')" "drop: the event names the message it dropped"
out=$(python3 "${top_srcdir:-.}/tests/schema.py" "${top_srcdir:-.}/schema/vhuctl.schema.json" "$TMP/mon.out" 2>&1)
ok $? "fault events follow the schema ($(printf '%s' "$out" | tail -n 1))"
kill "$QSD_PID" 2>/dev/null
wait "$QSD_PID" 2>/dev/null

# --- the back-end channel's traffic, both ways, through the monitor ----------
# (the fake back-end: no real one sends these on demand) Ten back-end
# requests come to vhuctl through the monitor's socketpair; the two that
# want an answer get it back through it.
U=00112233445566778899aabbccddeeff
FK_SOCK=$TMP/fake.sock
start_fake "$FK_SOCK" ok ok ok ok \
	"backend=1,payload=0000100000000000001000000000000000000000000000000301000000000000" \
	"backend=2,flags=0x9,wait" \
	"backend=3,fds=1,payload=000000000000000000100000000000000000000000000000" \
	"backend=4,payload=0100000000000000" "backend=5,payload=0100000000000000" \
	"backend=6,payload=$U" "backend=7,payload=$U" "backend=8,payload=$U,wait" \
	"backend=9,fds=1,payload=00000000000000000000000000000000000000000000000000100000000000000100000000000000" \
	"backend=10,payload=00000000000000000000000000000000001000000000000000000000000000000000000000000000"
start_monitor "$MON_SOCK" "$FK_SOCK" --device blk --once
cmds="mem add 2M gpa=0x100000; get-protocol-features; set-protocol-features REPLY_ACK,BACKEND_REQ; set-backend-req-fd"
for _ in $(seq 10); do cmds="$cmds; get-features"; done
run_vhuctl --device blk "$MON_SOCK" -c "$cmds; backend-wait count=10"
ran_ok "a session whose back-end uses its channel, through the monitor"
is "$(printf '%s\n' "$OUT" | jq -c 'select(.event == "backend-request")' | wc -l)" 10 "vhuctl got the ten back-end requests"
gone "$MON_PID" 10
ok $? "--once: the monitor ends with the session"
C=$(jq -c 'select(.event == "message" and (.direction | startswith("backend_channel")))' "$TMP/mon.out")
is "$(printf '%s\n' "$C" | jq -r 'select(.direction == "backend_channel_to_frontend") | .message.name' | tr '\n' ' ')" \
	"BACKEND_IOTLB_MSG BACKEND_CONFIG_CHANGE_MSG BACKEND_VRING_HOST_NOTIFIER_MSG BACKEND_VRING_CALL BACKEND_VRING_ERR BACKEND_SHARED_OBJECT_ADD BACKEND_SHARED_OBJECT_REMOVE BACKEND_SHARED_OBJECT_LOOKUP BACKEND_SHMEM_MAP BACKEND_SHMEM_UNMAP " \
	"the monitor relayed and decoded each back-end request on the channel"
is "$(printf '%s\n' "$C" | jq -r 'select(.direction == "backend_channel_to_backend") | "\(.reply_to.name)=\(.message.payload.u64)"' | tr '\n' ' ')" \
	"BACKEND_CONFIG_CHANGE_MSG=0 BACKEND_SHARED_OBJECT_LOOKUP=1 " "and the front-end's answers on it, paired with their requests"
like "$(cat "$TMP/fake.log")" "backend-reply req=8 flags=0x5 size=8 payload=0100000000000000" "the answers reached the back-end"
is "$(printf '%s\n' "$C" | jq -c 'select(.message.name == "BACKEND_VRING_HOST_NOTIFIER_MSG") | [.message.fds[0].type]')" '["file"]' \
	"the host notifier's fd described as it went through"

# --- connect-failed: no back-end, the front-end is hung up on ---------------
start_monitor "$MON_SOCK" "$TMP/nobody.sock" --once
run_vhuctl "$MON_SOCK" -c 'get-features'
is "$RC" 5 "a front-end whose back-end cannot be reached fails (exit 5, no connection)"
wait_line "$TMP/mon.out" '"event":"connect-failed","side":"back-end"' 30 "$MON_PID"
ok $? "the monitor says connect-failed for the back-end"
gone "$MON_PID" 10
ok $? "--once: the monitor ends with its first session"

# --- (a) DPDK virtio-user -> monitor -> dpdk-testpmd net_vhost ---------------
# virtio_user_through SOCKET WHAT: DPDK virtio-user on SOCKET (the monitor's
# front-end side) sends packets and counts those that come back.
virtio_user_through() {
	rm -f "$TMP/vu.in"
	mkfifo "$TMP/vu.in"
	: >"$TMP/vu.log"
	stdbuf -oL -eL dpdk-testpmd --no-huge --no-pci --no-shconf -l 0-1 \
		--vdev "net_virtio_user0,path=$1,queues=1" -- -i --total-num-mbufs=2048 --forward-mode=io \
		<>"$TMP/vu.in" >"$TMP/vu.log" 2>&1 &
	VU_PID=$!
	PIDS+=("$VU_PID")
	wait_line "$TMP/vu.log" "Port 0: " 90 "$VU_PID" || bail "DPDK virtio-user did not start: $(tail -5 "$TMP/vu.log")"
	echo "start tx_first" >"$TMP/vu.in"
	# Ask for the port's statistics until packets have come back (bounded).
	rx=0
	for i in $(seq 30); do
		echo "show port stats 0" >"$TMP/vu.in"
		wait_lines "$TMP/vu.log" "$i" 30 'Tx-pps:' || break
		rx=$(grep -o 'RX-packets: *[0-9]*' "$TMP/vu.log" | tail -1 | grep -o '[0-9]*$')
		[ "${rx:-0}" -gt 0 ] && break
	done
	ok $(( ${rx:-0} > 0 ? 0 : 1 )) "$2: packets flowed through the rings set up through the monitor (virtio-user received $rx)"
	echo "stop" >"$TMP/vu.in"
	echo "quit" >"$TMP/vu.in"
	gone "$VU_PID" 30
	ok $? "$2: virtio-user quits"
	wait_line "$TMP/mon.out" '"event":"disconnected"' 30 "$MON_PID"
	ok $? "$2: the monitor saw the session end"
}
TP_SOCK=$TMP/tp.sock
start_testpmd "$TP_SOCK" "" "--auto-start"
start_monitor "$MON_SOCK" "$TP_SOCK" --device net --once
virtio_user_through "$MON_SOCK" "testpmd a server"
M=$(msgs 1)
req=$(printf '%s\n' "$M" | jq -r 'select(.direction == "to_backend") | .message.name' | tr '\n' ' ')
for n in SET_OWNER GET_FEATURES GET_PROTOCOL_FEATURES SET_PROTOCOL_FEATURES SET_FEATURES SET_MEM_TABLE \
	SET_VRING_NUM SET_VRING_BASE SET_VRING_ADDR SET_VRING_KICK SET_VRING_CALL SET_VRING_ENABLE GET_VRING_BASE; do
	like " $req" " $n " "virtio-user's stream holds $n"
done
is "$(printf '%s\n' "$M" | jq -c 'select(.message.name == "SET_MEM_TABLE" and .direction == "to_backend") |
	[.message.payload.nregions, [.message.fds[].type]]')" '[1,["memfd"]]' "SET_MEM_TABLE: one region, its memfd"
is "$(printf '%s\n' "$M" | jq -s '[.[] | select(.direction == "to_backend") | .message.fds | length] | add')" 5 \
	"virtio-user's 5 fds all went through (frontends.md: 26 requests, 5 fds)"
is "$(printf '%s\n' "$M" | jq -s '[.[] | select(.direction == "to_frontend" and (.reply_to | not))] | length')" 0 \
	"every reply of testpmd is paired with its request"
gone "$MON_PID" 10
ok $? "--once: the monitor ends with the session"
kill "$TESTPMD_PID" 2>/dev/null
wait "$TESTPMD_PID" 2>/dev/null

# --- (a') the back-end dials: testpmd client=1, the monitor listens for it ---
# testpmd is started first (it removes its socket path), and dials every
# second until the monitor's BACK socket is there.
start_testpmd "$TP_SOCK" "client=1" "--auto-start"
start_monitor "$MON_SOCK" "listen:$TP_SOCK" --device net --once
virtio_user_through "$MON_SOCK" "testpmd a client"
is "$(jq -r 'select(.event == "connected") | "\(.side) \(.socket)"' "$TMP/mon.out" | tr '\n' ',')" \
	"front-end $MON_SOCK,back-end $TP_SOCK," "both sides came to the monitor: the front-end, then testpmd"
gone "$MON_PID" 10
ok $? "--once: the monitor ends with the session"
kill "$TESTPMD_PID" 2>/dev/null
wait "$TESTPMD_PID" 2>/dev/null

# --- (c) a QEMU 7.2 guest (vhost-user-blk-pci) -> monitor -> qsd -------------
guest_build
GIMG=$TMP/guest.img
truncate -s 1M "$GIMG"
start_qsd "$GIMG" "$QSD_SOCK"
# A fault a real front-end meets: QEMU's GET_CONFIG answered 500 ms late.
# And its rings looked into while it runs: the disable of its ring at
# power-off is held 5 s (what follows it waits behind), so that the
# session, and the guest's memory, are still there when we look.
start_monitor "$MON_SOCK" "$QSD_SOCK" --device blk --once --fault 'GET_CONFIG reply delay=500' \
	--fault 'SET_VRING_ENABLE nth=2 delay=5000' --control "$TMP/ctl.sock" --notify --pcap "$TMP/guest.pcapng"
t_guest=$(date +%s%N)
guest_start_blk "$MON_SOCK" "$TMP/serial.log"
wait_line "$TMP/serial.log" "GUEST-DONE" 180 "$GUEST_PID"
ok $? "the guest booted, wrote and read its disk through the monitor, and says so"
V=$(ctl view "vring dump 0")
is "$(printf '%s\n' "$V" | jq -c 'select(.command == "view") | [.regions[] | .mapped]')" "[true]" \
	"view: QEMU's guest memory (a sealed memfd) is mapped"
u=$(printf '%s\n' "$V" | jq -r 'select(.command == "view") | .rings[0].used_idx')
ok "$([ "${u:-0}" -ge 2 ]; echo $?)" "view: the guest's ring 0 has used entries in memory (used_idx $u)"
is "$(printf '%s\n' "$V" | jq -c 'select(.command == "vring dump") | [.ok, .ring.used.idx == '"${u:-0}"', (.ring.anomalies | length)]')" \
	"[true,true,0]" "vring dump 0: the live ring of the guest, decoded, nothing amiss"
k=$(printf '%s\n' "$V" | jq -r 'select(.command == "view") | .rings[0].kicks')
ok "$([ "${k:-0}" -ge 1 ]; echo $?)" "--notify: the guest's kicks went through the monitor ($k), and its I/O was done"
printf '%s\n' "$V" | jq -r 'select(.command == "view") | .rings[0] | "# QEMU guest, ring 0: \(.kicks) kicks, \(.calls) calls, kick to call median \(.kick_to_call_us.median) us, p99 \(.kick_to_call_us.p99) us"'
echo "# guest boot to its marker: $(( ($(date +%s%N) - t_guest) / 1000000 )) ms"
like "$(cat "$TMP/serial.log")" "GUEST-READ: guest-wrote-sector-0" "the guest read back the sector it wrote"
is "$(head -c 20 "$GIMG")" "guest-wrote-sector-0" "and the image file holds it"
gone "$GUEST_PID" 30
ok $? "the guest powered off"
wait_line "$TMP/mon.out" '"event":"disconnected","side":"front-end"' 30 "$MON_PID"
ok $? "the monitor saw QEMU go"
M=$(msgs 1)
is "$(printf '%s\n' "$M" | jq -s '[.[] | select(.direction == "to_backend")] | length')" 22 \
	"QEMU sent 22 requests (frontends.md: q35 + qboot)"
is "$(printf '%s\n' "$M" | jq -s '[.[] | select(.direction == "to_backend") | .message.fds | length] | add')" 6 "with 6 fds"
req=$(printf '%s\n' "$M" | jq -r 'select(.direction == "to_backend") | .message.name' | tr '\n' ' ')
like " $req" " ADD_MEM_REG " "memory came with ADD_MEM_REG (CONFIGURE_MEM_SLOTS negotiated)"
is "$(printf '%s\n' "$M" | jq -s '[.[] | select(.message.name == "SET_MEM_TABLE")] | length')" 0 "not SET_MEM_TABLE"
is "$(printf '%s\n' "$M" | jq -r 'select(.direction == "to_frontend" and .reply_to.name == "SET_BACKEND_REQ_FD") | .message.payload.u64')" 0 \
	"qsd took the monitor's back-end channel in place of QEMU's"
is "$(printf '%s\n' "$M" | jq -s '[.[] | select(.warnings)] | length')" 0 "QEMU and qsd draw no warnings"
is "$(printf '%s\n' "$M" | jq -s '[.[] | select(.direction == "to_frontend" and (.reply_to | not))] | length')" 0 \
	"every reply to QEMU is paired with its request"
is "$(printf '%s\n' "$M" | jq -r 'select(.message.name == "GET_CONFIG" and .direction == "to_frontend") | .message.payload.decoded.capacity')" 2048 \
	"GET_CONFIG's reply decoded as a virtio_blk_config (capacity 2048 sectors)"
is "$(jq -r 'select(.event == "fault") | .action' "$TMP/mon.out" | tr '\n' ' ')" "delay delay " "both delay faults fired"
ok "$(jq -r 'select(.event == "fault" and (.rule | startswith("GET_CONFIG"))) | .seq' "$TMP/mon.out" | xargs -I{} jq -r --argjson q {} \
	'select(.event == "message" and .seq == $q) | .message.name' "$TMP/mon.out" | grep -qx GET_CONFIG; echo $?)" \
	"on the reply to GET_CONFIG"
gone "$MON_PID" 10
ok $? "--once: the monitor ends with QEMU's session"
# The same session as pcapng (captured in this guest run, not another):
# tshark with vhuctl's dissector decodes every message as the JSON stream
# has it, field by field (tests/pcap-json.py says which fields).
if command -v tshark >/dev/null; then
	tshark -X "lua_script:${top_srcdir:-.}/wireshark/vhost-user.lua" -r "$TMP/guest.pcapng" -T json --no-duplicate-keys \
		>"$TMP/guest-cap.json" 2>"$TMP/tshark.err"
	ok $? "tshark reads the guest session's capture ($(grep -v 'Running as user' "$TMP/tshark.err" | head -c 200))"
	out=$(python3 "${top_srcdir:-.}/tests/pcap-json.py" "$TMP/guest-cap.json" "$TMP/mon.out")
	ok $? "QEMU's session, pcapng against JSON: every message with the same direction, request, name, flags, size, fds and payload fields ($(printf '%s\n' "$out" | head -n 1))"
	printf '%s\n' "$out" | tail -n +2 | head -n 20 | sed 's/^/#   /'
	ok "$(printf '%s\n' "$out" | head -n 1 | awk '{ exit !($1 > 22 && $4 > 100) }'; echo $?)" \
		"and the capture is the session whole: QEMU's 22 requests and their replies"
else
	ok 1 "tshark is installed (dev/setup check installs it)"
fi
# The recording, made a vhuctl script, sent again to qsd with no VM: the
# same answers, but for GET_VRING_BASE (the guest's I/O is not replayed).
"$VHUCTL" monitor --script "$TMP/mon.out" >"$TMP/replay.vhu" 2>"$TMP/script.err"
ok $? "--script: QEMU's session as a vhuctl script ($(tail -n 1 "$TMP/replay.vhu"))"
is "$(tail -n 1 "$TMP/replay.vhu")" "# 22 requests converted, 0 not" "every one of QEMU's 22 requests converted"
run_vhuctl --device blk "$QSD_SOCK" -f "$TMP/replay.vhu"
ran_ok "the script runs against qemu-storage-daemon, no VM"
rec=$(jq -c 'select(.event == "message" and .direction == "to_frontend") | [.message.name, .message.payload]' "$TMP/mon.out")
rep=$(printf '%s\n' "$OUT" | jq -c 'select(.reply != null) | [.request.name, .reply.payload]')
is "$(diff <(printf '%s\n' "$rec") <(printf '%s\n' "$rep") | grep -c '^[<>]')" 2 "the back-end's answers are the recorded ones but one"
is "$(diff <(printf '%s\n' "$rec") <(printf '%s\n' "$rep") | sed -n 's/^> //p' | jq -r '.[0]')" GET_VRING_BASE \
	"and that one is GET_VRING_BASE: the ring's index the guest's I/O moved"
# --replay does the same in one step, against a fresh qsd that never saw
# a VM: every answer the same but GET_VRING_BASE's, and exit 3 for it.
Q1_PID=$QSD_PID
truncate -s 1M "$TMP/fresh.img"
start_qsd "$TMP/fresh.img" "$TMP/fresh.sock"
Q2_PID=$QSD_PID QSD_PID=$Q1_PID
replay "$TMP/mon.out" --device blk "$TMP/fresh.sock"
is "$RP_RC" 3 "--replay of QEMU's session against a fresh qsd: exit 3 (an answer differs)"
is "$(jq -c 'select(.event == "replay-difference") | [.request.name, .differs]' "$TMP/rp.out")" '["GET_VRING_BASE",["payload.num"]]' \
	"exactly one answer differs: GET_VRING_BASE's num, the index the guest's I/O moved"
is "$(jq -c 'select(.event == "replay-difference") | .recorded.payload.num > .replayed.payload.num' "$TMP/rp.out")" true \
	"recorded after the guest's I/O, replayed with none: the recorded index is the larger"
is "$(jq -c 'select(.event == "replay-summary") | [.sent, .not_sent, .compared, .differences]' "$TMP/rp.out")" \
	"[22,0,$(jq -s '[.[] | select(.event == "message" and .session == 1 and .direction == "to_frontend")] | length' "$TMP/mon.out"),1]" \
	"the summary: QEMU's 22 requests sent, every recorded reply compared, one difference"
kill "$Q2_PID" 2>/dev/null
wait "$Q2_PID" 2>/dev/null
"$VHUCTL" monitor --script "$TMP/mon.out" --session 7 >/dev/null 2>"$TMP/script.err"
is "$?" 1 "--script of a session not recorded: exit 1"
like "$(cat "$TMP/script.err")" "no front-end request of session 7" "and says so"

# --- (d) an injected disconnect: QEMU reconnects and the guest's I/O goes on --
# The monitor ends the session at QEMU's first SET_VRING_KICK (the device
# starting); QEMU, with reconnect=1, dials the monitor again, which serves
# it a new session to the same qsd, and the guest's write and read finish.
truncate -s 0 "$GIMG"
truncate -s 1M "$GIMG"
start_monitor "$MON_SOCK" "$QSD_SOCK" --device blk --fault 'SET_VRING_KICK close'
guest_start_blk "$MON_SOCK" "$TMP/serial2.log" ",reconnect=1"
wait_line "$TMP/serial2.log" "GUEST-DONE" 180 "$GUEST_PID"
ok $? "the guest finished its I/O after the injected disconnect"
like "$(cat "$TMP/serial2.log")" "GUEST-READ: guest-wrote-sector-0" "it read back the sector it wrote"
is "$(head -c 20 "$GIMG")" "guest-wrote-sector-0" "and the image file holds it"
gone "$GUEST_PID" 30
ok $? "the guest powered off"
stop_monitor
is "$(jq -r 'select(.event == "disconnected" and .session == 1) | .reason' "$TMP/mon.out")" \
	"closed by the monitor: fault 'SET_VRING_KICK close'" "session 1 ended at the fault"
is "$(jq -r 'select(.event == "connected" and .side == "front-end") | .session' "$TMP/mon.out" | tr '\n' ' ')" "1 2 " \
	"QEMU came back: a second session"
like " $(msgs 2 | jq -r 'select(.direction == "to_backend") | .message.name' | tr '\n' ' ')" " SET_VRING_KICK " \
	"and in it set the rings up again, kicks and all"

# --- (f) a QEMU guest's virtio-net -> monitor -> dpdk-testpmd (icmpecho) -----
start_testpmd "$TP_SOCK" "" "--auto-start --forward-mode=icmpecho"
start_monitor "$MON_SOCK" "$TP_SOCK" --device net --once
guest_start_net "$MON_SOCK" "$TMP/serial-net.log"
wait_line "$TMP/serial-net.log" "GUEST-DONE" 180 "$GUEST_PID"
ok $? "the net guest pinged through the monitor and says so"
is "$(sed -n 's/.*GUEST-PING: \([0-9]*\).*/\1/p' "$TMP/serial-net.log")" 3 "testpmd answered the guest's 3 pings"
gone "$GUEST_PID" 30
ok $? "the net guest powered off"
wait_line "$TMP/mon.out" '"event":"disconnected"' 30 "$MON_PID"
M=$(msgs 1)
is "$(printf '%s\n' "$M" | jq -r 'select(.direction == "to_frontend" and .reply_to.name == "SET_BACKEND_REQ_FD") | .message.payload.u64')" 0 \
	"testpmd took the monitor's back-end channel"
req=$(printf '%s\n' "$M" | jq -r 'select(.direction == "to_backend") | .message.name' | tr '\n' ' ')
like " $req" " SET_STATUS " "QEMU's net stream holds SET_STATUS"
is "$(printf '%s\n' "$M" | jq -s '[.[] | select(.direction == "to_frontend" and (.reply_to | not))] | length')" 0 \
	"every reply of testpmd is paired with its request"
gone "$MON_PID" 10
ok $? "--once: the monitor ends with the session"
kill "$TESTPMD_PID" 2>/dev/null
wait "$TESTPMD_PID" 2>/dev/null

# --- (g) a QEMU guest's vhost-user-fs -> monitor -> virtiofsd ---------------
mkdir -p "$TMP/share"
echo "shared through the monitor" >"$TMP/share/hello.txt"
FS_SOCK=$TMP/fs.sock
start_virtiofsd "$FS_SOCK" "$TMP/share"
start_monitor "$MON_SOCK" "$FS_SOCK" --device fs --once
guest_start_fs "$MON_SOCK" "$TMP/serial-fs.log"
wait_line "$TMP/serial-fs.log" "GUEST-DONE" 180 "$GUEST_PID"
ok $? "the fs guest mounted virtiofs through the monitor"
like "$(cat "$TMP/serial-fs.log")" "GUEST-CAT: shared through the monitor" "and read the file the host wrote"
gone "$GUEST_PID" 30
ok $? "the fs guest powered off"
gone "$MON_PID" 10
ok $? "--once: the monitor ends with the session"
is "$(msgs 1 | jq -s '[.[] | select(.direction == "to_backend" and .message.name == "SET_VRING_KICK")] | length')" 2 \
	"QEMU set up hiprio and one request queue of virtiofsd"

# --- (e) QEMU the server (server=on): the monitor dials both sides ----------
truncate -s 0 "$GIMG"
truncate -s 1M "$GIMG"
QEMU_SOCK=$TMP/qemu.sock
guest_start_blk "$QEMU_SOCK" "$TMP/serial3.log" ",server=on,wait=off"
wait_path -S "$QEMU_SOCK" "$GUEST_PID" 60
ok $? "QEMU listens on its vhost-user socket"
start_monitor "connect:$QEMU_SOCK" "connect:$QSD_SOCK" --device blk
wait_line "$TMP/serial3.log" "GUEST-DONE" 180 "$GUEST_PID"
ok $? "the guest, its QEMU dialled by the monitor, did its I/O"
like "$(cat "$TMP/serial3.log")" "GUEST-READ: guest-wrote-sector-0" "and read back the sector it wrote"
is "$(head -c 20 "$GIMG")" "guest-wrote-sector-0" "which the image file holds"
gone "$GUEST_PID" 30
ok $? "the guest powered off"
gone "$MON_PID" 10
ok $? "a dialled front-end gone, the monitor ends (it does not dial again)"
is "$(jq -r 'select(.event == "connected") | .side' "$TMP/mon.out" | tr '\n' ' ')" "front-end back-end " \
	"the monitor connected to QEMU, then to qsd"

echo "# real-front-end tests took $(( $(date +%s) - T0 )) s"
done_testing
