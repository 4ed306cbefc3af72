#!/bin/bash
# scripts.sh - scripts that assert (expect, as NAME), are checked whole
# before they run (and with -n), and exit with a status that says what
# failed: against a real qemu-storage-daemon.
. "${top_srcdir:-.}/tests/lib.sh"

IMG=$TMP/disk.img
S=$TMP/blk.sock
truncate -s 4M "$IMG"
start_qsd "$IMG" "$S" "num-queues=2"

# --- expect holds: a script as a regression test of a back-end ----------
cat >"$TMP/good.vhu" <<'VHU'
get-features as f
expect ok
expect .reply.payload.names contains VIRTIO_F_VERSION_1
expect .reply.payload contains VIRTIO_BLK_F_MQ
expect .reply.payload.value != 0
get-queue-num as q
expect .reply.payload.u64 == 2
expect .reply.payload.u64 >= 1
expect $q.reply.payload.u64 < 3
expect $f.reply.name == GET_FEATURES
expect $f.request.flags.value == 1
expect .request.fds
vring dump 7
expect error ENOENT
expect .error.code == ENOENT
get-protocol-features
VHU
run_vhuctl --device blk "$S" -f "$TMP/good.vhu"
is "$RC" 0 "a script whose expects all hold exits 0 (stderr: $(printf '%s' "$ERR" | head -c 300))"
is "$(printf '%s\n' "$OUT" | jq -s '[.[] | select(.command == "expect")] | length')" 12 "one result per expect"
is "$(printf '%s\n' "$OUT" | jq -s '[.[] | select(.command == "expect" and .ok)] | length')" 12 "every expect holds"
is "$(printf '%s\n' "$OUT" | jq -c 'select(.assertion == ".reply.payload.u64 == 2") | .found')" 2 "an expect shows what it found"
is "$(printf '%s\n' "$OUT" | jq -c 'select(.assertion == "error ENOENT") | .found')" '"ENOENT"' "expect error shows the code it found"
is "$(printf '%s\n' "$OUT" | jq -c 'select(.command == "vring dump") | .ok')" false "the failure an expect meant is still printed as a failure"
is "$(printf '%s\n' "$OUT" | jq -r 'select(.command == "get-protocol-features") | .ok')" true "the script went on after the failure it expected"
is "$ERR" "" "nothing on stderr when the expected failure came"

# --- a result printed from text is the result a name keeps -------------
# A request's result goes out straight from text, with no json-c tree,
# unless a name keeps it: both ways must print the same object, members
# added before the exchange (warnings) and after it (ack) in their places,
# and an expect after the text-only one must see it all.
cat >"$TMP/direct.vhu" <<'VHU'
set-features VIRTIO_F_VERSION_1,VHOST_USER_F_PROTOCOL_FEATURES
set-protocol-features REPLY_ACK,CONFIG
set-vring-num 0 3
set-vring-num 0 3 as w
set-vring-num 0 256
set-vring-num 0 256 as a
get-config size=8
get-config size=8 as c
get-features
get-features as f
VHU
run_vhuctl --device blk "$S" -f "$TMP/direct.vhu"
ran_ok "a script of requests with and without names"
norm=$(printf '%s\n' "$OUT" | jq -c 'select(.command != "expect") | del(.rtt_us)')
for i in 3 5 7 9; do
	is "$(printf '%s\n' "$norm" | sed -n "$((i + 1))p")" "$(printf '%s\n' "$norm" | sed -n "${i}p")" \
		"the same request, kept by a name or not, prints the same object: $(printf '%s\n' "$norm" | sed -n "${i}p" | jq -r '[.command, (keys_unsorted | join(","))] | join(" ")')"
done
is "$(printf '%s\n' "$OUT" | sed -n 3p | jq -r 'keys_unsorted | join(",")')" \
	"command,warnings,request,reply,reply_expected,rtt_us,ack,ok,schema_version" \
	"the members before and after the exchange are in their places"
cat >"$TMP/direct2.vhu" <<'VHU'
set-features VIRTIO_F_VERSION_1,VHOST_USER_F_PROTOCOL_FEATURES
set-protocol-features REPLY_ACK
set-vring-num 0 3
expect .warnings[0] contains power
set-vring-num 0 256
expect .ack.ok == true
expect .reply.flags.names contains REPLY
VHU
run_vhuctl --device blk "$S" -f "$TMP/direct2.vhu"
ran_ok "an expect looks into a result that went out as text only"

# --- an expect that does not hold: its line, exit 4 --------------------
printf 'get-queue-num\nexpect .reply.payload.u64 == 3\nget-features\n' >"$TMP/bad.vhu"
run_vhuctl --device blk "$S" -f "$TMP/bad.vhu"
is "$RC" 4 "a failed expect exits 4"
like "$ERR" "bad.vhu:2:8: error: expected .reply.payload.u64 == 3, got 2" "the failed expect is blamed on its line, with what was found"
is "$(printf '%s\n' "$OUT" | jq -c 'select(.command == "expect") | [.ok, .error.code, .found]')" '[false,"EEXPECT",2]' "the failed expect's object: EEXPECT and what was found"
is "$(printf '%s\n' "$OUT" | jq -r 'select(.command == "get-features") | .command')" "" "the script stops at the failed expect"

run_vhuctl --device blk --keep-going "$S" -c 'get-queue-num; expect .reply.payload.u64 == 3; expect .reply.payload.u64 == 2; get-features'
is "$RC" 4 "with --keep-going the status is still the failed expect's"
is "$(printf '%s\n' "$OUT" | jq -s -c '[.[] | .ok]')" '[true,false,true,true]' "with --keep-going it goes on, and a later expect still looks at the command's result"

# A failure followed by an expect that does not mean it: both are shown, 4.
run_vhuctl --device blk "$S" -c 'vring dump 7; expect error EPROTO; get-features'
is "$RC" 4 "an expect error with another code: exit 4"
like "$ERR" "ring 7 is not set up" "the unexpected failure is shown"
like "$ERR" "expected error EPROTO, got error ENOENT" "and the expect that did not hold"
run_vhuctl --device blk "$S" -c 'get-features; expect error'
is "$RC" 4 "expect error after a success: exit 4"
like "$ERR" "expected error, got ok" "expect error says it got ok"
run_vhuctl --device blk "$S" -c 'vring dump 7; expect ok'
is "$RC" 4 "expect ok after a failure: exit 4"
like "$ERR" "expected ok, got error ENOENT" "expect ok names the error it got"
run_vhuctl --device blk "$S" -c 'vring dump 7; get-features'
is "$RC" 1 "a failure no expect looks at: exit 1, the script stops there"
is "$(printf '%s\n' "$OUT" | wc -l)" 1 "nothing after the failure ran"

# --- the whole script is checked before its first request --------------
printf 'get-features\nget-queue-num\nblk reed 0\nexpect .x = 1\nexpect $nope.ok\nget-features as 9\n' >"$TMP/typo.vhu"
run_vhuctl --device blk "$S" -f "$TMP/typo.vhu"
is "$RC" 3 "a script that does not parse exits 3"
is "$(printf '%s\n' "$OUT" | jq -s -c '[.[] | select(.ok == true)] | length')" 0 "nothing of it ran: no result succeeded"
like "$ERR" "typo.vhu:3:5: error: 'blk' has no sub-command 'reed' (did you mean 'blk read'?)" "the typo on line 3 is found before line 1 runs"
like "$ERR" "typo.vhu:4:11: error: '=' is not an operator" "every error is reported, not only the first"
like "$ERR" "typo.vhu:5:8: error: no result is named 'nope'" "a name no command gave is an error"
like "$ERR" "typo.vhu:6:17: error: '9' is not a name" "a bad name after as is an error"

# -n checks without connecting: no socket needed at all.
run_vhuctl -n --device blk -f "$TMP/typo.vhu" "$TMP/no-such.sock"
is "$RC" 3 "-n on a bad script: exit 3"
is "$(printf '%s\n' "$OUT" | jq -c 'select(.command == "check-script") | [.checked, .errors, .ok]')" '[6,4,false]' "-n counts the commands checked and the errors"
run_vhuctl -n --device blk -f "$TMP/good.vhu" "$TMP/no-such.sock"
is "$RC" 0 "-n on a good script: exit 0, without connecting to the socket given"
is "$(printf '%s\n' "$OUT" | jq -c '[.command, .checked, .errors, .ok]')" '["check-script",16,0,true]' "-n prints only its summary for a good script"

# Feature names follow the device a 'device' command names.
run_vhuctl -n -c 'set-features VIRTIO_BLK_F_MQQ'
is "$RC" 3 "a feature name of no device: invalid"
run_vhuctl -n -c 'device net; set-features VIRTIO_BLK_F_MQ'
is "$RC" 3 "a blk feature name after 'device net': invalid"
run_vhuctl -n -c 'device blk; set-features VIRTIO_BLK_F_MQ; device nte'
is "$RC" 3 "a device name that is not one: invalid"
like "$ERR" "did you mean 'net'?" "with a suggestion"
run_vhuctl -n -c 'device blk; set-features VIRTIO_BLK_F_MQ'
is "$RC" 0 "after 'device blk', blk feature names check"

# Sourced scripts are checked too, with their own file and line.
printf 'get-features\nset-vring-num 0\n' >"$TMP/inner.vhu"
printf 'get-features\nsource %s\n' "$TMP/inner.vhu" >"$TMP/outer.vhu"
run_vhuctl --device blk "$S" -f "$TMP/outer.vhu"
is "$RC" 3 "an error in a sourced script stops the outer one before it runs"
like "$ERR" "inner.vhu:2:" "the error is located in the sourced file"
printf 'source %s\n' "$TMP/loop.vhu" >"$TMP/loop.vhu"
run_vhuctl -n -f "$TMP/loop.vhu"
is "$RC" 3 "a script that sources itself: invalid, and the check ends"
like "$ERR" "nested more than 8 deep" "saying how deep"

# --- exit statuses: connection, usage ----------------------------------
run_vhuctl -c 'get-features'
is "$RC" 5 "not connected: exit 5"
run_vhuctl "$TMP/no-such.sock" -c 'get-features'
is "$RC" 5 "no socket: exit 5"
run_vhuctl --bogus
is "$RC" 2 "a bad option: exit 2"
run_vhuctl --list-exit-codes
is "$(printf '%s\n' "$OUT" | cut -f1 | tr '\n' ' ')" "0 1 2 3 4 5 " "--list-exit-codes lists 0 to 5"
run_vhuctl --help
like "$OUT" "4  expect" "--help lists the exit statuses"

# Pipes are checked a command at a time: a later typo does not stop what came before.
printf 'get-features\nexpect ok\nbogus-command\n' | timeout 60 "$VHUCTL" --device blk "$S" >"$TMP/out" 2>"$TMP/err"
RC=$?
is "$RC" 3 "a typo read from a pipe: exit 3"
is "$(jq -s -c '[.[] | .command]' "$TMP/out")" '["get-features","expect","bogus-command"]' "what came before it on the pipe ran"

done_testing
