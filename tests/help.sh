#!/bin/bash
# help.sh - help as JSON off a terminal, groups of two-word commands, and
# "did you mean" for every name a person types; no back-end needed. (Help on
# a terminal and the pager: tests/repl.sh.)
. "${top_srcdir:-.}/tests/lib.sh"

"$VHUCTL" --list-commands >"$TMP/list"

# help, on a pipe: one object, every command of the table once, by group.
run_vhuctl -c help
ran_ok "help on a pipe runs"
is "$(printf '%s\n' "$OUT" | wc -l)" 1 "help on a pipe is one line"
is "$(jline 1 | jq -r '[.command, .ok, .schema_version] | @tsv')" "$(printf 'help\ttrue\t1')" "help is a result object"
is "$(jline 1 | jq -c '[.groups[].name]')" '["session","requests","memory","rings","meta"]' "help lists the groups in order"
is "$(jline 1 | jq -r '.groups[].commands[] | [.name, .summary] | @tsv' | sort)" "$(sort "$TMP/list")" \
	"help lists every command once, with --list-commands' summaries"

# The bug that asked for it: help and a command in one pipe, through jq.
OUT=$(timeout 20 "$VHUCTL" -c 'help get-features; get-queue-num' 2>/dev/null | jq -c '{command, ok}')
is "$(printf '%s\n' "$OUT" | tr '\n' ' ')" '{"command":"help","ok":true} {"command":"get-queue-num","ok":false} ' \
	"'help get-features; get-queue-num' | jq reads both objects"

# help COMMAND: the row of the table.
run_vhuctl -c 'help get-features'
is "$(jline 1 | jq -r '[.topic, .usage, .summary, .group] | @tsv')" \
	"$(printf 'get-features\tget-features [header-flags=N] [need-reply=VALUE] [sync]\tvirtio features the back-end offers\trequests')" \
	"help CMD: topic, usage, summary, group"
is "$(jline 1 | jq -c .request)" '{"name":"GET_FEATURES","number":1,"payload_kind":"none","reply_policy":"always"}' \
	"help CMD: the request it sends"
like "$(jline 1 | jq -r .spec)" "docs/interop/vhost-user.rst" "help CMD: the spec section"
is "$(jline 1 | jq -c '.arguments[0]')" \
	'{"name":"header-flags","type":"u32","required":false,"positional":false,"help":"send exactly these header flags"}' \
	"help CMD: its arguments, typed"
is "$(jline 1 | jq -r .example)" "get-features" "help CMD: its example"
run_vhuctl -c 'help set-config'
is "$(jline 1 | jq -r '.request | [.reply_policy, .protocol_feature] | @tsv')" "$(printf 'ack-only\tCONFIG')" \
	"help CMD: the reply policy and the protocol feature it needs"
run_vhuctl -c 'help set-log-base'
is "$(jline 1 | jq -r .request.reply_policy)" "if-log-shmfd" "help CMD: SET_LOG_BASE is answered with LOG_SHMFD"
run_vhuctl -c 'help iotlb-msg'
is "$(jline 1 | jq -c '.arguments[] | select(.name == "type") | [.type, .values]')" \
	'["enum",["update","invalidate","miss","access-fail"]]' "help CMD: an enumeration's values"
run_vhuctl -c 'help blk read'
is "$(jline 1 | jq -c '[.topic, (.request // "none"), (.arguments[0] | .required, .positional)]')" \
	'["blk read","none",true,true]' "help of a two-word command: no request, a required positional argument"
a=$(jline 1 | jq -cS 'del(.schema_version)')
run_vhuctl -c "help 'blk read'"
is "$(jline 1 | jq -cS 'del(.schema_version)')" "$a" "help 'blk read' is help blk read"
run_vhuctl -c 'blk read --help'
is "$(jline 1 | jq -cS 'del(.schema_version)')" "$a" "blk read --help is help blk read"
run_vhuctl -c 'help GET_FEATURES'
is "$(jline 1 | jq -r .topic)" get-features "help takes the spec spelling"

# format= chooses text or JSON whatever stdout is.
run_vhuctl -c 'help get-features format=text'
is "$(printf '%s\n' "$OUT" | head -n 1)" "usage: get-features [header-flags=N] [need-reply=VALUE] [sync]" "format=text: text on a pipe"
like "$OUT" "Sends VHOST_USER_GET_FEATURES (front-end request 1): no payload, always answered." "format=text: the request in words"
run_vhuctl -c 'help format=text'
is "$(printf '%s\n' "$OUT" | tail -n 1)" \
	"'help COMMAND' shows a command's arguments; 'help GROUP' lists a group's commands (GROUP: mem, vring, blk, net, bench, fs, gpu, log, inflight, device-state)." \
	"format=text: the list ends naming the groups"
run_vhuctl --json=pretty -c 'help get-features format=json'
is "$(printf '%s\n' "$OUT" | jq -r .topic)" get-features "format=json: JSON"
run_vhuctl -c 'help format=yaml'
like "$ERR" "bad value 'yaml' for 'format' (one of: auto, text, json" "format= takes auto, text or json"

# Groups: the first word of two-word commands, alone, after help, or with
# --help, lists that group's commands from the table.
groups=$(cut -f1 "$TMP/list" | sed -n 's/ .*//p' | uniq)
is "$(printf '%s\n' $groups | tr '\n' ' ')" "mem vring blk net bench fs gpu log inflight device-state " "the groups of two-word commands"
bad=
for g in $groups; do
	want=$(awk -F'\t' -v g="$g" 'index($1, g " ") == 1 { print $1 "\t" $2 }' "$TMP/list")
	for how in "$g" "help $g" "$g --help"; do
		run_vhuctl -c "$how"
		got=$(jline 1 | jq -r '.commands[] | [.name, .summary] | @tsv')
		[ "$RC/$(jline 1 | jq -r '.command + " " + .topic')" = "0/help $g" ] && [ "$got" = "$want" ] ||
			bad="$bad [$how: $RC $(jline 1 | head -c 200)]"
	done
done
is "$bad" "" "each group alone, after help and with --help lists its commands with their summaries"
run_vhuctl -c 'help mem format=text'
is "$(printf '%s\n' "$OUT" | sed -n 1,2p | tr '\n' '|')" "mem:|  mem add                  create a memfd guest memory region|" \
	"help mem, as text: the group and its commands"

# Did you mean: commands, from the table, close enough or not at all.
dym() {	# dym COMMANDS WANT-ERROR DESCRIPTION
	run_vhuctl -c "$1"
	like "$ERR" "$2" "$3"
}
dym 'blk reed 0' "command line:1:5: error: 'blk' has no sub-command 'reed' (did you mean 'blk read'?)" "blk reed: blk read, at the sub-command"
ok $(printf '%s' "$ERR" | grep -q "'ack'"; echo $((!$?))) "blk reed: not ack"
is "$(jline 1 | jq -r '[.ok, .error.code, .error.col] | @tsv')" "$(printf 'false\tEINVAL\t5')" "blk reed: an EINVAL error object"
dym 'blk zzz' "'blk' has no sub-command 'zzz' (it has: read, write, flush, id)" "a sub-command too far from any: the group's listed"
dym 'vring stup 0' "did you mean 'vring setup'?" "vring stup: vring setup"
dym 'blok read 0' "unknown command 'blok' (did you mean 'blk read'?)" "blok read: blk read"
dym 'vrnig' "unknown command 'vrnig' (did you mean 'vring'?)" "a group mistyped: the group"
dym 'get-feature' "unknown command 'get-feature' (did you mean 'get-features'?)" "get-feature: get-features"
dym 'GET_FEATURE' "(did you mean 'get-features'?)" "GET_FEATURE: get-features"
dym 'clear' "unknown command 'clear' (try 'help')" "clear: nothing close"
ok $(printf '%s' "$ERR" | grep -q 'sleep'; echo $((!$?))) "clear: not sleep"
dym 'help blk reed' "command line:1:10: error: 'blk' has no sub-command 'reed' (did you mean 'blk read'?)" "help blk reed: blk read"
is "$(jline 1 | jq -r .error.code)" ENOENT "help of nothing: ENOENT"
dym 'help clear' "unknown command 'clear' (try 'help')" "help clear: nothing close"

# Argument names, bare words, enumerations.
dym 'get-features heder-flags=1' "unknown argument 'heder-flags' (did you mean 'header-flags'? arguments: header-flags, need-reply, sync)" \
	"an argument name: the closest, and all of them"
dym 'get-features zzz=1' "unknown argument 'zzz' (arguments: header-flags, need-reply, sync)" "an argument name far from all: all of them"
dym 'status x=1' "unknown argument 'x' (the command takes none)" "a command without arguments says so"
dym 'get-features snyc' "unexpected argument 'snyc' (did you mean 'sync'?)" "a flag mistyped: the flag"
dym 'set-vring-num 0 1 2' "unexpected argument '2'" "a word too many"
ok $(printf '%s' "$ERR" | grep -q 'did you mean'; echo $((!$?))) "a word too many: nothing suggested"
dym 'iotlb-msg type=acces-fail' "bad value 'acces-fail' for 'type' (did you mean 'access-fail'? one of: update, invalidate, miss, access-fail, or a number)" \
	"an enumerated value: the closest"
dym 'iotlb-msg type=zzz' "bad value 'zzz' for 'type' (one of: update, invalidate, miss, access-fail, or a number)" "an enumerated value far from all: the list"

# Feature, protocol feature and status names, from the tables in core.
dym 'set-features VIRTIO_F_VERSION_2' "unknown feature name 'VIRTIO_F_VERSION_2' (did you mean 'VIRTIO_F_VERSION_1'?)" "a feature name: the closest"
dym 'set-features version-2' "(did you mean 'VIRTIO_F_VERSION_1'?)" "a short feature name: the spec's name"
dym 'device blk; set-features VERSION_1,FLUSHH' "unknown feature name 'FLUSHH' (did you mean 'VIRTIO_BLK_F_FLUSH'?)" "a device's feature name"
dym 'set-features MQ' "unknown feature name 'MQ' (did you mean 'VIRTIO_NET_F_MQ'?)" "without a device: the device whose name it is"
dym 'set-features NOTHING_LIKE_IT' "unknown feature name 'NOTHING_LIKE_IT'" "a feature name far from all"
ok $(printf '%s' "$ERR" | grep -q 'did you mean'; echo $((!$?))) "a feature name far from all: nothing suggested"
dym 'set-protocol-features REPLY_AKC' "unknown protocol feature name 'REPLY_AKC' (did you mean 'REPLY_ACK'?)" "a protocol feature name"
dym 'set-status DRIVER_OKK' "unknown status name 'DRIVER_OKK' (did you mean 'DRIVER_OK'?)" "a status name"

# Device types: the device command and --device.
dym 'device blok' "unknown device type 'blok' (did you mean 'blk'? one of: net, blk, console" "device blok: blk"
run_vhuctl --device blok -c device
is "$RC" 2 "--device blok: a usage error"
like "$ERR" "vhuctl: unknown device type 'blok' (did you mean 'blk'? one of: net, blk, console" "--device blok: blk"
run_vhuctl --device=zzz -c device
like "$ERR" "unknown device type 'zzz' (one of: net, blk" "--device zzz: the list"
ok $(printf '%s' "$ERR" | grep -q 'did you mean'; echo $((!$?))) "--device zzz: nothing suggested"

done_testing
