#!/bin/bash
# qsd.sh - vhuctl against a real vhost-user-blk back-end: qemu-storage-daemon.
. "${top_srcdir:-.}/tests/lib.sh"

IMG=$TMP/disk.img
S=$TMP/blk.sock
truncate -s 4M "$IMG"
start_qsd "$IMG" "$S" "num-queues=3,logical-block-size=4096"

# The handshake QEMU does, as a batch file.
cat >"$TMP/setup.vhu" <<'VHU'
# Handshake with a vhost-user-blk back-end, the way QEMU starts a device.
get-features
get-protocol-features
set-protocol-features MQ,REPLY_ACK,CONFIG,CONFIGURE_MEM_SLOTS
get-queue-num
get-max-mem-slots
set-owner
get-config size=60

set-features VIRTIO_F_VERSION_1,VHOST_USER_F_PROTOCOL_FEATURES
mem add 1M
set-mem-table
set-vring-num 0 256
set-vring-base 0 0
set-vring-addr 0 desc=0x0 avail=0x1000 used=0x2000 gpa
set-vring-kick 0
set-vring-call 0
set-vring-enable 0 1
get-vring-base 0
status
VHU
run_vhuctl --device blk "$S" -f "$TMP/setup.vhu"
ran_ok "handshake script succeeds"
is "$(printf '%s\n' "$OUT" | wc -l)" 18 "one JSON object per command (the SOCKET argument prints none)"

f=$(jcmd get-features)
for n in VIRTIO_F_VERSION_1 VHOST_USER_F_PROTOCOL_FEATURES VIRTIO_BLK_F_SEG_MAX VIRTIO_BLK_F_BLK_SIZE VIRTIO_BLK_F_FLUSH VIRTIO_BLK_F_MQ VIRTIO_F_EVENT_IDX; do
	is "$(printf '%s' "$f" | jq --arg n $n '.reply.payload.names | index($n) != null')" true "GET_FEATURES decodes $n"
done
like "$(printf '%s' "$f" | jq -r .reply.payload.value)" "0x1" "features value is a hex string"
is "$(printf '%s' "$f" | jq -r '.reply.payload.unknown_bits // [] | length')" 0 "no unnamed feature bits for blk"

p=$(jcmd get-protocol-features | jq -c .reply.payload.names)
for n in MQ LOG_SHMFD REPLY_ACK BACKEND_REQ CONFIG CONFIGURE_MEM_SLOTS; do
	is "$(printf '%s' "$p" | jq --arg n VHOST_USER_PROTOCOL_F_$n 'index($n) != null')" true "protocol feature $n decoded"
done

is "$(jcmd get-queue-num | jq .reply.payload.u64)" 3 "GET_QUEUE_NUM equals the export's num-queues"
is "$(jcmd get-max-mem-slots | jq .reply.payload.u64)" 32 "GET_MAX_MEM_SLOTS answered"

c=$(jcmd get-config)
is "$(printf '%s' "$c" | jq .reply.payload.decoded.capacity)" $((4 * 1024 * 1024 / 512)) "config capacity = image size / 512"
is "$(printf '%s' "$c" | jq .reply.payload.decoded.blk_size)" 4096 "config blk_size = logical-block-size"
is "$(printf '%s' "$c" | jq .reply.payload.decoded.num_queues)" 3 "config num_queues"
is "$(printf '%s' "$c" | jq -r .reply.payload.hex | wc -c)" 121 "config raw bytes as hex (60 bytes)"

for cmd in set-owner set-features set-mem-table set-vring-num set-vring-base set-vring-addr set-vring-kick set-vring-call set-vring-enable; do
	r=$(jcmd $cmd)
	is "$(printf '%s' "$r" | jq -c '[.request.flags.names, .ack.ok]')" '[["NEED_REPLY"],true]' "$cmd acked with REPLY_ACK"
done
is "$(jcmd set-mem-table | jq -r '.request.fds[0].type')" memfd "SET_MEM_TABLE sends a memfd"
is "$(jcmd set-vring-kick | jq -r '.request.fds[0].type')" eventfd "SET_VRING_KICK sends an eventfd"
is "$(jcmd get-vring-base | jq -c .reply.payload)" '{"index":0,"num":0}' "GET_VRING_BASE answered"
is "$(jcmd status | jq -c '[.reply_ack, .features.acked.value, (.memory | length)]')" '[true,"0x140000000",1]' "status shows what was negotiated"

# libvhost-user drops a front-end that leaves out VERSION_1: shown, named.
# (It acks SET_FEATURES first, then hangs up: the next request sees it.)
run_vhuctl "$S" -c 'get-features; get-protocol-features; set-protocol-features REPLY_ACK; set-features VHOST_USER_F_PROTOCOL_FEATURES; get-features'
is "$RC" 5 "legacy features: the session fails, exit 5 (the back-end went away)"
like "$ERR" "GET_FEATURES: back-end closed the connection" "legacy features: the disconnect is named (before or after the request, as it races)"
is "$(jcmd set-features | jq -c .ack)" '{"u64":0,"ok":true}' "legacy features: acked before the disconnect"
wait_line "$TMP/qsd.log" "virtio legacy devices aren't supported" 30
ok $? "the back-end says why in its log"

# The back-end keeps listening: a new session works.
run_vhuctl "$S" -c 'get-features'
ran_ok "back-end serves the next connection"

# --- rings: real I/O through a ring vhuctl lays out and drives -------------
# A second export with 512-byte blocks; sector 5 is written beforehand and
# vhuctl must read it back.
IMG=$TMP/io.img
S=$TMP/io.sock
truncate -s 1M "$IMG"
printf 'vhuctl was here' | dd of="$IMG" bs=512 seek=5 conv=notrunc 2>/dev/null
start_qsd "$IMG" "$S"
pat=$(printf 'a5%.0s' $(seq 1024))	# 1024 bytes = 2 sectors
cat >"$TMP/io.vhu" <<VHU
start
blk id
blk read 5
blk write 8 $pat
blk read 8 2
blk flush
vring dump 0 chains-only
vring dump 0 count=8
stop
VHU
run_vhuctl --device blk "$S" -f "$TMP/io.vhu"
ran_ok "start and block I/O succeed"
is "$(jcmd start | jq -r '.steps | map(.command) | join(",")')" \
   "get-features,get-protocol-features,set-protocol-features,get-queue-num,set-owner,set-features,mem add,set-mem-table,set-vring-num,set-vring-base,set-vring-addr,set-vring-kick,set-vring-call,set-vring-enable" \
   "start sends QEMU's sequence"
is "$(jcmd start | jq -c '[.steps[] | select(.request.name | . == "SET_PROTOCOL_FEATURES" or . == "SET_FEATURES") | .request.payload.value]')" \
   '["0x20b","0x140001240"]' "start acks the protocol features and features it wants"
is "$(jcmd start | jq -c '.steps[] | select(.request.name == "SET_VRING_ENABLE") | .request.payload')" '{"index":0,"num":1}' "start sets up and enables ring 0"
is "$(jcmd start | jq -c '.steps[] | select(.request.name == "SET_OWNER") | [.ok, .ack, .reply.payload]')" '[true,{"u64":0,"ok":true},{"u64":0}]' \
   "start shows each step as the command alone shows it: request, reply, ack"
is "$(jcmd 'blk id' | jq -r .device_id)" vhost_user_blk "blk id returns the export's id string"
is "$(jcmd 'blk read' | jq -r .data.text)" "vhuctl was here" "blk read returns what was in the image"
is "$(jcmd 'blk read' | jq -c '[.status, .used_len]')" '["OK",513]' "blk read: status OK, used len = data + status byte"
is "$(jcmd 'blk write' | jq -r .status)" OK "blk write: status OK"
r8=$(printf '%s\n' "$OUT" | jq -c 'select(.command == "blk read" and .sector == 8)')
is "$(printf '%s' "$r8" | jq -r .data.hex | md5sum)" "$(printf '%s\n' "$pat" | md5sum)" "blk write then read returns the same bytes"
is "$(dd if="$IMG" bs=512 skip=8 count=2 2>/dev/null | od -An -v -tx1 | tr -d ' \n' | md5sum)" "$(printf '%s' "$pat" | md5sum)" "the image file on disk holds them"
is "$(jcmd 'blk flush' | jq -r .status)" OK "blk flush: status OK"
is "$(jcmd stop | jq -c .bases)" '[{"index":0,"num":5}]' "GET_VRING_BASE after 5 requests answers 5"
d=$(printf '%s\n' "$OUT" | jq -c 'select(.command == "vring dump") | .ring' | tail -n 1)
is "$(printf '%s' "$d" | jq -c '[.used.idx, .avail.idx, .counts.available]')" '[5,5,0]' "vring dump: all 5 requests used"
is "$(printf '%s' "$d" | jq -c '[.used.ring[0:5][] | .len]')" '[21,513,1,1025,1]' "vring dump: used entries with the right lengths"
is "$(printf '%s' "$d" | jq -c .anomalies)" '[]' "vring dump: no anomalies on a healthy ring"
is "$(printf '%s' "$d" | jq '.descriptors | length')" 8 "vring dump count= limits the output"

# Dirty log: after I/O the log lists the pages of the used ring and of the
# buffers the back-end wrote, and nothing else.
run_vhuctl --device blk "$S" -c 'start; log start; blk read 0 2; vring dump 0 chains-only; log dump clear; log dump; log stop'
ran_ok "dirty log session succeeds"
like "$(jcmd 'log start' | jq -r '.steps[].command')" "set-log-base" "log start sends SET_LOG_BASE"
# (libvhost-user answers with whatever u64 was in its buffer: the request's
# mmap_size. QEMU ignores the value; vhuctl shows it.)
is "$(jcmd 'log start' | jq -c '[.steps[0].reply_expected, .steps[0].reply.size]')" '[true,8]' "SET_LOG_BASE answered with a u64 (LOG_SHMFD)"
is "$(jcmd 'log start' | jq -r '.steps[1].request.payload.names | index("VHOST_F_LOG_ALL") != null')" true "VHOST_F_LOG_ALL set"
is "$(jcmd 'log start' | jq -r '.steps[2].request.payload.flags.names[0]')" VHOST_VRING_F_LOG "rings get VHOST_VRING_F_LOG"
used=$(jcmd 'vring dump' | jq -r '.ring.used_addr')
want=$(jcmd 'blk read' | jq -r --arg used "$used" '
	def pages(a; l): [range((a / 4096 | floor); ((a + l - 1) / 4096 | floor) + 1)];
	[(.buffers[] | select(.write) | (.addr | ltrimstr("0x") | explode | reduce .[] as $c (0; . * 16 + (if $c >= 97 then $c - 87 else $c - 48 end))) as $a | pages($a; .len)[]),
	 ($used | ltrimstr("0x") | explode | reduce .[] as $c (0; . * 16 + (if $c >= 97 then $c - 87 else $c - 48 end)) / 4096 | floor)]
	| unique | map(. * 4096)')
got=$(printf '%s\n' "$OUT" | jq -c 'select(.command == "log dump")' | head -n 1 | jq -c '[.dirty[] | (.gpa | ltrimstr("0x") | explode | reduce .[] as $c (0; . * 16 + (if $c >= 97 then $c - 87 else $c - 48 end))) as $g | range(0; .pages) | $g + . * 4096]')
is "$got" "$(printf '%s' "$want" | jq -c .)" "dirty pages = used ring + buffers written, nothing else"
is "$(printf '%s\n' "$OUT" | jq -c 'select(.command == "log dump")' | tail -n 1 | jq .dirty_pages)" 0 "log dump clear clears"

# A ring set up by hand, request by request, in a region at 4 GiB with its
# areas at odd (but aligned) places inside it and never enabled: vhuctl's
# model of it comes from what it sent, and blk I/O goes through it.
pat=$(printf '5a%.0s' $(seq 512))
cat >"$TMP/hand.vhu" <<VHU
get-features
get-protocol-features
set-protocol-features REPLY_ACK
set-owner
set-features VIRTIO_F_VERSION_1,VHOST_USER_F_PROTOCOL_FEATURES
mem add 2M gpa=0x100000000
set-mem-table
set-vring-num 0 64
set-vring-base 0 0
set-vring-addr 0 desc=0x100012340 avail=0x100005ffe used=0x10017a004 gpa
set-vring-kick 0
set-vring-call 0
blk write 3 $pat
blk read 3
blk read 5
vring dump 0
VHU
run_vhuctl --device blk "$S" -f "$TMP/hand.vhu"
ran_ok "I/O through a ring set up by hand"
is "$(jcmd 'blk write' | jq -r .status)" OK "hand-set ring: blk write OK"
is "$(jcmd 'blk read' | jq -r .data.hex)" "$pat" "hand-set ring: blk read returns what was written"
is "$(dd if="$IMG" bs=512 skip=3 count=1 2>/dev/null | od -An -v -tx1 | tr -d ' \n')" "$pat" "hand-set ring: the bytes are in the image file"
is "$(printf '%s\n' "$OUT" | jq -r 'select(.command == "blk read") | .data.text' | sed -n 2p)" "vhuctl was here" "hand-set ring: a sector written beforehand is read"
d=$(jcmd 'vring dump' | jq -c .ring)
is "$(printf '%s' "$d" | jq -c '[.size, .desc_addr, .avail_addr, .used_addr]')" '[64,"0x100012340","0x100005ffe","0x10017a004"]' "the dump is of the areas that were sent"
is "$(printf '%s' "$d" | jq -c '[.avail.idx, .used.idx, .anomalies]')" '[3,3,[]]' "three chains made available and used, no anomaly"

# What is missing, or not in vhuctl's memory, is named.
run_vhuctl --device blk "$S" -c 'get-features; set-owner; mem add 1M; set-mem-table; set-vring-num 0 64; blk read 0'
like "$ERR" "ring 0 is not set up: SET_VRING_ADDR was never sent for it" "a ring with no SET_VRING_ADDR: the missing part is named"
run_vhuctl --device blk "$S" -c 'get-features; set-owner; mem add 1M; set-mem-table; set-vring-num 0 64; set-vring-addr 0 desc=0x7000 avail=0x6000 used=0x5000; blk read 0'
like "$ERR" "ring 0: the descriptor table address 0x7000 that SET_VRING_ADDR sent is in no memory region vhuctl holds" "an area outside vhuctl's memory is named"

# Fault injection with raw: vhuctl warns where a message breaks the table,
# sends it, reports what the back-end did, and stays usable (--reconnect).
run_vhuctl -t 2000 --keep-going --reconnect "$S" -c 'raw 0; raw 99; get-features; mem add 1M; raw SET_MEM_TABLE payload=02000000000000000000000000000000000010000000000000000000000000000000000000000000 fds=1; get-features'
raws=$(printf '%s\n' "$OUT" | jq -c 'select(.command == "raw")')
is "$(printf '%s\n' "$raws" | jq -r .outcome | tr '\n' ' ')" "silent closed closed " "raw: request 0 ignored, 99 and a bad memory table make it hang up"
like "$(printf '%s\n' "$raws" | sed -n 2p | jq -r '.warnings[]')" "request 99 is not in the protocol table" "raw: unknown request warned about"
like "$(printf '%s\n' "$raws" | sed -n 3p | jq -r '.warnings[]')" "memory table says 2 regions but 1 fds are attached" "raw: region count vs fds warned about"
is "$(printf '%s\n' "$OUT" | jq -r 'select(.event) | .event' | tr '\n' ' ')" "reconnected reconnected " "raw: vhuctl reconnects after each hang-up"
is "$(printf '%s\n' "$OUT" | jq -r 'select(.command == "get-features") | .reply.payload.value' | tr '\n' ' ')" "0x175007e46 0x175007e46 " "raw: and answers again after each"
wait_line "$TMP/qsd.log" "Unhandled request: 99" 30
ok $? "the back-end's own log agrees"

# Memory slots: regions added after start with ADD_MEM_REG and withdrawn with
# REM_MEM_REG, within GET_MAX_MEM_SLOTS.
run_vhuctl --device blk "$S" -c 'get-features; get-protocol-features; set-protocol-features REPLY_ACK,CONFIGURE_MEM_SLOTS; get-max-mem-slots; set-owner; set-features VIRTIO_F_VERSION_1,VHOST_USER_F_PROTOCOL_FEATURES; mem add 1M; set-mem-table; mem add 1M; add-mem-reg; rem-mem-reg 1; add-mem-reg 1'
ran_ok "memory slots session succeeds"
is "$(printf '%s\n' "$OUT" | jq -c 'select(.command == "add-mem-reg" or .command == "rem-mem-reg") | [.command, .request.payload.guest_phys_addr, (.request.fds | length), .ack.ok]' | tr '\n' ' ')" \
   '["add-mem-reg","0x100000",1,true] ["rem-mem-reg","0x100000",0,true] ["add-mem-reg","0x100000",1,true] ' "ADD_MEM_REG (with its fd) and REM_MEM_REG acked"
run_vhuctl "$S" -c 'get-features; get-protocol-features; set-protocol-features REPLY_ACK,CONFIGURE_MEM_SLOTS; get-max-mem-slots; set-owner; set-features VIRTIO_F_VERSION_1,VHOST_USER_F_PROTOCOL_FEATURES; mem add 4K; set-mem-table'"$(for i in $(seq 32); do printf '; mem add 4K'; done)"'; add-mem-reg 32'
like "$ERR" "region 32 is past the back-end's 32 memory slots (GET_MAX_MEM_SLOTS)" "GET_MAX_MEM_SLOTS honoured"

# Event index and indirect descriptors, negotiated: the I/O still works.
run_vhuctl --device blk "$S" -c 'start features=VIRTIO_F_VERSION_1,VHOST_USER_F_PROTOCOL_FEATURES,VIRTIO_F_EVENT_IDX,VIRTIO_F_INDIRECT_DESC; blk read 5; blk read 5; vring post 0 out=00000000000000000500000000000000 in=512 in=1 indirect; vring kick 0; vring used 0 wait; vring dump 0 count=1'
ran_ok "EVENT_IDX + INDIRECT_DESC session succeeds"
is "$(printf '%s\n' "$OUT" | jq -r 'select(.command == "blk read") | .data.text' | tr '\n' ' ')" "vhuctl was here vhuctl was here " "reads with EVENT_IDX negotiated"
is "$(jcmd 'vring used' | jq -r '.used[0].buffers[1].data.text')" "vhuctl was here" "an indirect chain posted by hand comes back used with the data"
is "$(jcmd 'vring dump' | jq -c '[.ring.avail.used_event, .ring.used.avail_event != null]')" '[3,true]' "vring dump shows used_event and avail_event"

# A write whose length is not a multiple of 512 is refused by the back-end.
run_vhuctl --device blk "$S" -c 'start; blk write 0 0102'
like "$ERR" "back-end answered IOERR: 2 bytes is not a whole number of 512-byte sectors" "odd-sized write: IOERR shown, with the likely reason"
is "$(jcmd "blk write" | jq -c "[.status, .status_value]")" '["IOERR",1]' "odd-sized write: status decoded"

# A failing script stops at the first error, with FILE:LINE.
printf 'get-features\nset-vring-num 0 abc\nget-features\n' >"$TMP/bad.vhu"
run_vhuctl "$S" -f "$TMP/bad.vhu"
is "$RC" 3 "script error: exit 3 (invalid)"
like "$ERR" "$TMP/bad.vhu:2:17: error: 'abc' is not a valid number for 'num'" "script error located"
is "$(printf '%s\n' "$OUT" | jq -s -c '[.[] | .command]')" '["set-vring-num"]' "nothing of the script ran: only the error object, before its first request"

# A malformed SET_VRING_ADDR (a user address in no region) is acked, then
# the back-end hangs up: the error comes on the next request, and names the
# one it hung up after, with its line. (Whether the next request found the
# socket closed or went out first and saw the hang-up waiting for its ack
# depends on how fast qsd closes; either way the blame is the same.)
cat >"$TMP/bad3.vhu" <<'VHU'
get-features
get-protocol-features
set-protocol-features MQ,REPLY_ACK,CONFIG
set-owner
set-features VIRTIO_F_VERSION_1,VHOST_USER_F_PROTOCOL_FEATURES
mem add 1M
set-mem-table
set-vring-num 0 256
set-vring-base 0 0
set-vring-addr 0 desc=0xdead0000 avail=0x1000 used=0x2000
set-vring-kick 0
set-vring-call 0
VHU
run_vhuctl "$S" -f "$TMP/bad3.vhu"
is "$RC" 5 "hang-up after an acked request: the script fails, exit 5"
wait_line "$TMP/qsd.log" "Invalid vring_addr message" 30
ok $? "qsd says why it hung up"
like "$ERR" "$TMP/bad3.vhu:11:1: error: SET_VRING_KICK: back-end closed the connection" "reported on the request that met the hang-up"
like "$ERR" "SET_VRING_ADDR ($TMP/bad3.vhu:10, answered, " "naming the request the back-end hung up after, and its line"
like "$ERR" "$TMP/bad3.vhu:10:1: note: the back-end accepted the request sent here, then closed the connection" "with a note on that line"
is "$(jline 10 | jq -r .command)" set-vring-addr "the acked request itself succeeded"

done_testing
