#!/bin/bash
# fs.sh - vhuctl against a real vhost-user-fs back-end: QEMU's virtiofsd.
. "${top_srcdir:-.}/tests/lib.sh"

S=$TMP/fs.sock
mkdir -p "$TMP/share"
echo "vhuctl was here" >"$TMP/share/hello.txt"

# start sets up hiprio and every request queue the back-end reports.
start_virtiofsd "$S" "$TMP/share"
run_vhuctl --device fs "$S" -c 'start; status'
ran_ok "start on virtiofsd succeeds"
st=$(jcmd start)
is "$(printf '%s' "$st" | jq -c '[.queues_reported, .queues]')" '[2,2]' "start follows GET_QUEUE_NUM: hiprio and one request queue"
is "$(printf '%s' "$st" | jq -c '[.steps[] | select(.request.name == "SET_VRING_ENABLE") | .request.payload]')" \
	'[{"index":0,"num":1},{"index":1,"num":1}]' "both rings set up and enabled"
is "$(jcmd status | jq -c '[.rings[] | .index]')" '[0,1]' "status shows the kick and call eventfds of both"
# virtiofsd serves one front-end, then exits.
gone "$VIRTIOFSD_PID" 30
ok $? "virtiofsd exits once its one front-end has gone"

# queues= still decides when given.
start_virtiofsd "$S" "$TMP/share"
run_vhuctl --device fs "$S" -c 'start queues=1'
ran_ok "start queues=1"
is "$(jcmd start | jq -c '[.queues_reported, .queues]')" '[2,1]' "queues= overrides what the back-end reports"

# --- the FUSE data path: requests on ring 1, against files the test made ----
# hex FILE: its bytes as lower-case hex, no separators
hex() { od -An -v -tx1 "$1" | tr -d ' \n'; }
mkdir -p "$TMP/share/sub"
printf '\000\001\376\377' >"$TMP/share/sub/bin"
ln -s hello.txt "$TMP/share/link"
: >"$TMP/share/$(printf 'odd\001\377')"	# a name that is neither printable nor UTF-8
new=$(printf 'written by vhuctl\n' | od -An -v -tx1 | tr -d ' \n')
start_virtiofsd "$S" "$TMP/share"
cat >"$TMP/fs.vhu" <<VHU
start
fs init max_readahead=65536
fs ls /
fs stat /hello.txt
fs cat /hello.txt
fs cat /hello.txt offset=7 size=3
fs write /new.txt $new
fs stat /missing
fs ls /hello.txt
fs ls /sub
fs raw GETATTR 00000000000000000000000000000000 nodeid=1
VHU
run_vhuctl --device fs --keep-going "$S" -f "$TMP/fs.vhu"
is "$RC" 1 "the session runs to its end, two commands failing as they should"
is "$(printf '%s\n' "$OUT" | jq -s 'map(select(.ok)) | length')" 9 "every other command succeeds"
# fs init: the reply decoded
i=$(jcmd 'fs init')
is "$(printf '%s' "$i" | jq -c '[.init_out.major, .init_out.minor, .negotiated_minor, .init_out.max_readahead]')" '[7,36,36,65536]' \
	"fs init: virtiofsd answers FUSE 7.36, and the max_readahead offered"
is "$(printf '%s' "$i" | jq -c '[.out_header.error, .out_header.len, .out_header.unique == .requests[0].unique]')" '[0,80,true]' \
	"fs init: fuse_out_header decoded (error 0, len 16 + 64, the request's unique)"
is "$(printf '%s' "$i" | jq -c '.init_out.flags.names | index("FUSE_MAX_PAGES") != null')" true "fs init: flags decoded by name"
like "$(printf '%s' "$i" | jq -r .init_out.flags.value)" 0x "fs init: flags as a hex string"
is "$(printf '%s' "$i" | jq -c '[.init_out.max_write > 0, .init_out.max_pages > 0]')" '[true,true]' "fs init: max_write and max_pages answered"
# fs ls /: what the test made, by name and type
is "$(jcmd 'fs ls' | jq -r '[.entries[] | select(.name != "." and .name != "..") | "\(.name):\(.type)"] | sort | join(" ")')" \
	'hello.txt:regular link:symlink odd\x01\xff:regular sub:directory' "fs ls / lists the files the test made, with their types (an odd name escaped)"
is "$(jcmd 'fs ls' | jq -c '[.count, .readdirs, (.requests | map(.opcode) | join(","))]')" '[6,2,"OPENDIR,READDIR,READDIR,RELEASEDIR"]' \
	"fs ls: OPENDIR, READDIR until an empty one, RELEASEDIR"
is "$(jcmd 'fs ls' | jq -r '.entries[] | select(.name == "hello.txt") | .ino')" "$(stat -c %i "$TMP/share/hello.txt")" \
	"fs ls: a dirent's ino is the host's inode"
# fs stat /hello.txt
st=$(jcmd 'fs stat')
is "$(printf '%s' "$st" | jq -c '[.attr.size, .attr.type, .attr.mode, .attr.ino, .attr.nlink]')" \
	"[$(stat -c '%s,"regular","0100%a",%i,%h' "$TMP/share/hello.txt")]" "fs stat: size, type, mode, ino and nlink as the host has them"
is "$(printf '%s' "$st" | jq -c '[.requests[] | [.opcode, .vring]]')" '[["LOOKUP",1],["GETATTR",1],["FORGET",0]]' \
	"fs stat: LOOKUP, GETATTR, then FORGET on the hiprio ring"
is "$(printf '%s' "$st" | jq -c '[.requests[0].name, .requests[0].nodeid, .nodeid == .requests[1].nodeid, .requests[2].nodeid == .nodeid, .nodeid > 1]')" \
	'["hello.txt",1,true,true,true]' "fs stat: LOOKUP in the root; GETATTR and FORGET of the node it answered"
is "$(printf '%s' "$st" | jq -r '.requests[2].used_len')" 0 "FORGET has no reply: its used entry has length 0"
# fs cat: the bytes, whole and in part
c=$(printf '%s\n' "$OUT" | jq -c 'select(.command == "fs cat")')
is "$(printf '%s\n' "$c" | sed -n 1p | jq -r .data.hex)" "$(hex "$TMP/share/hello.txt")" "fs cat returns exactly the bytes of the file"
is "$(printf '%s\n' "$c" | sed -n 1p | jq -c '[.eof, .reads, .data.len]')" '[true,2,16]' "fs cat: READs until one comes back empty"
is "$(printf '%s\n' "$c" | sed -n 2p | jq -c '[.data.text, .eof, .offset]')" '["was",false,7]' "fs cat offset=7 size=3: those bytes"
# fs write: created, and the host reads it
w=$(jcmd 'fs write')
is "$(printf '%s' "$w" | jq -c '[.created, .bytes, .writes, (.requests | map(.opcode) | join(","))]')" \
	'[true,18,1,"LOOKUP,CREATE,WRITE,RELEASE,FORGET"]' "fs write /new.txt: LOOKUP says ENOENT, CREATE, WRITE, RELEASE"
is "$(hex "$TMP/share/new.txt")" "$new" "the host reads the bytes fs write wrote"
# errors, decoded
m=$(printf '%s\n' "$OUT" | jq -c 'select(.command == "fs stat" and .path == "/missing")')
is "$(printf '%s' "$m" | jq -c '[.ok, .error.code, .requests[-1].out_header.error, .requests[-1].out_header.errno]')" '[false,"ENOENT",-2,"ENOENT"]' \
	"fs stat /missing: an ENOENT error object, the reply's error decoded"
like "$(printf '%s' "$m" | jq -r .error.message)" "LOOKUP 'missing' in node 1: the back-end answered ENOENT (-2)" "fs stat /missing: the message names the request"
n=$(printf '%s\n' "$OUT" | jq -c 'select(.command == "fs ls" and .path == "/hello.txt")')
is "$(printf '%s' "$n" | jq -c '[.ok, .error.code, (.requests | map(.opcode) | join(","))]')" '[false,"ENOTDIR","LOOKUP,OPENDIR,FORGET"]' \
	"fs ls /hello.txt: ENOTDIR from OPENDIR, and its node still forgotten"
like "$ERR" "OPENDIR: the back-end answered ENOTDIR (-20)" "the error is on stderr too"
is "$(printf '%s\n' "$OUT" | jq -r 'select(.command == "fs ls" and .path == "/sub") | [.entries[].name] | sort | join(" ")')" '. .. bin' \
	"fs ls /sub: a directory below the root"
r=$(jcmd 'fs raw')
is "$(printf '%s' "$r" | jq -c '[.out_header.error, .decoded.attr.type, .decoded.attr.ino, (.body_hex | length)]')" \
	"[0,\"directory\",$(stat -c %i "$TMP/share"),208]" "fs raw GETATTR: header decoded, body as hex and decoded"
gone "$VIRTIOFSD_PID" 30
ok $? "virtiofsd exits after the session"

# FUSE_INIT sent by the first fs command; small writes and reads without
# FUSE_MAX_PAGES (max_write is then 128 KiB): several WRITEs and READs.
head -c 300000 /dev/urandom >"$TMP/big"
start_virtiofsd "$S" "$TMP/share"
run_vhuctl --device fs --keep-going "$S" -c "start; fs cat /sub/bin; fs write /hello.txt 5858 offset=1; fs init flags=FUSE_INIT_EXT; \
fs write /sub/big @$TMP/big; fs cat /sub/big; fs raw FORGET 0100000000000000 nodeid=1; fs raw 99"
is "$RC" 1 "the second session: one command fails, as it should"
is "$(jcmd 'fs cat' | jq -c '[.requests[0].opcode, .data.hex]')" '["INIT","0001feff"]' "an fs command sends FUSE_INIT first when the session has not"
is "$(jcmd 'fs write' | jq -c '[.created, .bytes]')" '[false,2]' "fs write on a file that exists: opened, not created"
is "$(cat "$TMP/share/hello.txt")" "vXXctl was here" "it is written at offset=, not truncated"
is "$(jcmd 'fs init' | jq -c '[.init_out.max_write, (.init_out.flags.names | index("FUSE_MAX_PAGES"))]')" '[131072,null]' \
	"fs init flags=FUSE_INIT_EXT: without FUSE_MAX_PAGES, max_write is 128 KiB"
b=$(printf '%s\n' "$OUT" | jq -c 'select(.command == "fs write" and .path == "/sub/big")')
is "$(printf '%s' "$b" | jq -c '[.bytes, .writes]')" '[300000,3]' "fs write @FILE: 300000 bytes in WRITEs of max_write"
is "$(md5sum <"$TMP/share/sub/big")" "$(md5sum <"$TMP/big")" "the host holds those bytes"
b=$(printf '%s\n' "$OUT" | jq -c 'select(.command == "fs cat" and .path == "/sub/big")')
is "$(printf '%s' "$b" | jq -c '[.data.len, .reads, .eof]')" '[300000,4,true]' "fs cat: READs of 32 pages, then the empty one"
is "$(printf '%s' "$b" | jq -r .data.hex | md5sum)" "$({ hex "$TMP/big"; echo; } | md5sum)" "fs cat: the same bytes"
is "$(jcmd 'fs raw' | jq -c '[.ok, .requests[0].vring, .requests[0].used_len, has("out_header")]')" '[true,0,0,false]' \
	"fs raw FORGET: on the hiprio ring, no reply"
is "$(printf '%s\n' "$OUT" | jq -c 'select(.command == "fs raw" and .requests[0].opcode_value == 99) | [.error.code, .requests[0].opcode]')" \
	'["ENOSYS","unknown"]' "fs raw 99: an opcode virtiofsd does not know is ENOSYS"

# The text view: fs ls long as ls -l has it, fs cat as a hexdump at the offset.
start_virtiofsd "$S" "$TMP/share"
run_vhuctl --device fs --output=text "$S" -c 'start; fs ls / long; fs ls /sub; fs cat /hello.txt offset=2'
ran_ok "fs ls long, fs ls, fs cat in the text view"
is "$(printf '%s\n' "$OUT" | awk '$NF == "hello.txt" && NF == 8 { print $1, $2, $5 }')" "$(stat -c '%A %h %s' "$TMP/share/hello.txt")" \
	"fs ls / long (READDIRPLUS): a line as ls -l has it"
is "$(printf '%s\n' "$OUT" | awk '$NF == "bin" { print $1, $2 }')" "-????????? $(stat -c %i "$TMP/share/sub/bin")" \
	"fs ls: the type and inode of each entry"
like "$OUT" "00000002: 5863 746c 2077 6173 2068 6572 650a        Xctl was here." "fs cat: a hexdump at the file offset"
start_virtiofsd "$S" "$TMP/share"
run_vhuctl --device fs "$S" -c 'start; fs ls / long'
is "$(jcmd 'fs ls' | jq -c '[.requests[] | .opcode] | join(",")')" '"INIT,OPENDIR,READDIRPLUS,READDIRPLUS,RELEASEDIR,BATCH_FORGET"' \
	"fs ls long: READDIRPLUS, then one BATCH_FORGET of the nodes it looked up"
is "$(jcmd 'fs ls' | jq -r '.entries[] | select(.name == "hello.txt") | .entry.attr.size')" "$(stat -c %s "$TMP/share/hello.txt")" \
	"fs ls long: each entry with its attributes"
is "$(jcmd 'fs ls' | jq -r '[.entries[] | select(.name == "." or .name == "..") | .entry.nodeid] | join(",")')" "0,0" \
	"fs ls long: . and .. come with nodeid 0, and are not forgotten"

# Before FUSE_INIT virtiofsd answers EIO; an INIT it refuses (7.30: it
# takes 7.31 and up) leaves the session without one, so the next command
# sends INIT again.
start_virtiofsd "$S" "$TMP/share"
run_vhuctl --device fs --keep-going "$S" -c 'start; fs raw GETATTR 00000000000000000000000000000000 nodeid=1; fs init minor=30; fs stat /'
is "$(jcmd 'fs raw' | jq -c '[.error.code, .out_header.errno]')" '["EIO","EIO"]' "fs raw sends no INIT of its own: virtiofsd answers EIO"
is "$(jcmd 'fs init' | jq -c '[.error.code, .init_in.flags.names]')" '["EPROTO",["FUSE_MAX_PAGES"]]' \
	"fs init minor=30: EPROTO (and no FUSE_INIT_EXT before 7.36)"
is "$(jcmd 'fs stat' | jq -c '[.ok, (.requests | map(.opcode) | join(",")), .attr.type]')" '[true,"INIT,GETATTR","directory"]' \
	"after a refused INIT the next fs command sends INIT again"

done_testing
