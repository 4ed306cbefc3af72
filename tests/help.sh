#!/bin/bash
# help.sh - "did you mean" for every name a person types, from the tables;
# no back-end needed.
. "${top_srcdir:-.}/tests/lib.sh"

dym() {	# dym COMMANDS WANT-ERROR DESCRIPTION
	run_vhuctl -c "$1"
	like "$ERR" "$2" "$3"
}

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
