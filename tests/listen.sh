#!/bin/bash
# listen.sh - listen mode: dpdk-testpmd as a client (client=1) connects to vhuctl;
# it restarts, reconnects, and vhuctl accepts it and replays the set-up.
. "${top_srcdir:-.}/tests/lib.sh"

S=$TMP/listen.sock
F=ffffffffffff5254001234560800450000320000000040110000c0a80001c0a80002000176687563746c76687563746c76687563746c76687563746c76687563746c76687563746c

start_client_testpmd() {
	: >"$TMP/testpmd.log"
	stdbuf -oL -eL dpdk-testpmd --no-huge --no-pci --no-shconf -l 0-1 \
		--vdev "net_vhost0,iface=$S,queues=1,client=1" \
		-- --total-num-mbufs=2048 --forward-mode=io --no-flush-rx --auto-start --stats-period 3600 \
		</dev/null >"$TMP/testpmd.log" 2>&1 3>&- &
	TESTPMD_PID=$!
	PIDS+=("$TESTPMD_PID")
}
# lines N: wait until vhuctl has printed N results (a failed test point if not)
lines() {
	wait_lines "$TMP/out" "$1" 60 && return 0
	ok 1 "vhuctl printed $1 results (it printed $(wc -l <"$TMP/out"): $(tail -c 300 "$TMP/err"))"
	return 1
}

start_client_testpmd
mkfifo "$TMP/in"
timeout 120 "$VHUCTL" --device net -t 10000 --keep-going --listen "$S" <"$TMP/in" >"$TMP/out" 2>"$TMP/err" &
VPID=$!
PIDS+=("$VPID")
exec 3>"$TMP/in"

# --listen prints nothing of its own on success (the first result is the
# first command's): 'status' runs once the back-end has connected.
echo "status" >&3
lines 1
OUT=$(cat "$TMP/out")
is "$(jline 1 | jq -c '[.command, .connected, .mode]')" '["status",true,"listen"]' "the back-end connects to vhuctl"
is "$(jline 1 | jq -r .peer_pid)" "$TESTPMD_PID" "vhuctl knows who connected"

testpmd_ready --auto-start
echo "start" >&3
echo "net send $F" >&3
echo "net recv" >&3
lines 4
OUT=$(cat "$TMP/out")
is "$(jline 2 | jq -r .error.message)" null "handshake over the accepted connection"
is "$(jline 4 | jq -r '.frames[0].hex')" "$F" "a frame loops through the client back-end"

# The back-end restarts and reconnects; vhuctl accepts it and replays.
kill "$TESTPMD_PID"; wait "$TESTPMD_PID" 2>/dev/null
start_client_testpmd
echo "accept" >&3
lines 5
OUT=$(cat "$TMP/out")
is "$(jline 5 | jq -c '[.command, .connected, .peer.pid]')" "[\"accept\",true,$TESTPMD_PID]" "the restarted back-end is accepted"
testpmd_ready --auto-start
echo "replay" >&3
echo "net send $F" >&3
echo "net recv" >&3
echo "quit" >&3
exec 3>&-
wait "$VPID"
RC=$?
OUT=$(cat "$TMP/out")
ERR=$(cat "$TMP/err")
is "$(printf '%s\n' "$OUT" | sed -n '6,$p' | jq -r 'select(.command == "start") | .queues')" 2 "replay runs start again on the new connection"
is "$(printf '%s\n' "$OUT" | tail -n 1 | jq -r '.frames[0].hex')" "$F" "and frames flow again"
ran_ok "the whole session exits 0"

done_testing
