#!/bin/bash
# pcap.sh - vhuctl monitor --pcap: a real session captured as pcapng, decoded
# by Wireshark's tshark with vhuctl's Lua dissector, which is generated from
# vhuctl's own request tables.
. "${top_srcdir:-.}/tests/lib.sh"
LUA=${top_srcdir:-.}/wireshark/vhost-user.lua
command -v tshark >/dev/null || bail "tshark not installed (apt-get install tshark)"

# The dissector's tables are vhuctl's: generated, and still in step.
OUT=$TMP/gen.lua VHUCTL=$VHUCTL bash -c "cd '${top_srcdir:-.}' && dev/gen-lua '$VHUCTL'" >/dev/null
ok $? "dev/gen-lua runs"
out=$(diff "$LUA" "$TMP/gen.lua")
ok $? "wireshark/vhost-user.lua has vhuctl's request tables, as dev/gen-lua makes them${out:+: $(printf '%s' "$out" | head -c 300)}"
is "$(grep -c '^	\[[0-9]*\] = { "' "$LUA")" "$("$VHUCTL" --list-requests | wc -l)" "one row per request of both tables"

IMG=$TMP/disk.img
S=$TMP/blk.sock
M=$TMP/mon.sock
truncate -s 1M "$IMG"
start_qsd "$IMG" "$S"
start_monitor "$M" "$S" --device blk --once --pcap "$TMP/cap.pcapng"
run_vhuctl --device blk "$M" -c 'start; blk read 0; get-config 8; stop'
ran_ok "a session through the monitor with --pcap"
gone "$MON_PID" 10
ok $? "--once: the monitor ends, and closes its capture"
is "$(cat "$TMP/mon.err")" "" "nothing on the monitor's stderr"
is "$(head -c 4 "$TMP/cap.pcapng" | od -An -tx1 | tr -d ' ')" 0a0d0d0a "the file starts with a pcapng section header"

T=$(tshark -X "lua_script:$LUA" -r "$TMP/cap.pcapng" -T fields -E separator=/t \
	-e vhostuser.seq -e vhostuser.direction -e vhostuser.name -e vhostuser.flags.reply -e vhostuser.malformed 2>"$TMP/tshark.err")
ok $? "tshark reads the capture with the dissector ($(grep -v 'Running as user' "$TMP/tshark.err" | head -c 200))"
J=$(jq -r 'select(.event == "message") | [.seq, .direction, .message.name] | @tsv' "$TMP/mon.out")
n=$(printf '%s\n' "$J" | wc -l)
ok "$([ "$n" -ge 20 ]; echo $?)" "the session has its messages ($n)"
dirs='to_backend to_frontend backend_channel_to_frontend backend_channel_to_backend'
got=$(printf '%s\n' "$T" | awk -F'\t' -v d="$dirs" 'BEGIN { split(d, a, " ") } { print $1 "\t" a[$2 + 1] "\t" $3 }')
is "$got" "$J" "tshark names every message as the monitor's stream does: seq, direction, request"
is "$(printf '%s\n' "$T" | awk -F'\t' '$5 != ""' | wc -l)" 0 "no message is flagged malformed"
is "$(printf '%s\n' "$T" | awk -F'\t' '$4 == "True" || $4 == "1"' | wc -l)" \
	"$(jq -r 'select(.event == "message" and .direction == "to_frontend") | .seq' "$TMP/mon.out" | wc -l)" \
	"the REPLY flag decoded on every reply"
# payloads: the fields of SET_VRING_ADDR and SET_MEM_TABLE as the stream has them
addr=$(tshark -X "lua_script:$LUA" -r "$TMP/cap.pcapng" -Y 'vhostuser.name == "SET_VRING_ADDR"' -T fields \
	-e vhostuser.desc_user_addr 2>/dev/null | head -n 1)
is "$(printf '%d' "$addr")" "$(printf '%d' "$(jq -r 'select(.message.name == "SET_VRING_ADDR" and .direction == "to_backend") | .message.payload.desc_user_addr' "$TMP/mon.out" | head -n 1)")" \
	"SET_VRING_ADDR's desc_user_addr decoded"
size=$(tshark -X "lua_script:$LUA" -r "$TMP/cap.pcapng" -Y 'vhostuser.name == "SET_MEM_TABLE"' -T fields \
	-e vhostuser.memory_size 2>/dev/null | head -n 1)
is "$size" "$(jq -r 'select(.message.name == "SET_MEM_TABLE" and .direction == "to_backend") | .message.payload.regions[0].memory_size' "$TMP/mon.out")" \
	"SET_MEM_TABLE's region decoded"
"$VHUCTL" monitor --pcap "$TMP/no/such/dir/x.pcapng" "$M" "$S" >/dev/null 2>"$TMP/mon.err" </dev/null
is "$?" 1 "--pcap into a directory that is not there: exit 1"
like "$(cat "$TMP/mon.err")" "x.pcapng: No such file or directory" "and says why"
done_testing
