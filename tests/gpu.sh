#!/bin/bash
# gpu.sh - vhuctl against a real vhost-user-gpu back-end (QEMU's, 2D): the gpu
# socket served, the control queue driven, a screenshot of what it scanned
# out; and a gpu socket that breaks the protocol, from the fake back-end.
. "${top_srcdir:-.}/tests/lib.sh"

S=$TMP/gpu.sock
SHOT=$TMP/shot.png
SHOT2=$TMP/shot2.png

# png_pixels FILE X,Y...: "WxH" then "R,G,B" of each pixel, from the PNG
# decoded with python3's zlib (every chunk's CRC checked).
png_pixels() {
	python3 - "$@" <<'PY'
import struct, sys, zlib
d = open(sys.argv[1], "rb").read()
assert d[:8] == b"\x89PNG\r\n\x1a\n", "no PNG signature"
i, c = 8, {}
while i < len(d):
    n, = struct.unpack(">I", d[i:i + 4]); t = d[i + 4:i + 8]; body = d[i + 8:i + 8 + n]
    assert zlib.crc32(t + body) == struct.unpack(">I", d[i + 8 + n:i + 12 + n])[0], "bad CRC in " + t.decode()
    c[t] = c.get(t, b"") + body; i += 12 + n
w, h, depth, colour = struct.unpack(">IIBB", c[b"IHDR"][:10])
assert (depth, colour) == (8, 2), "not 8-bit RGB"
raw = zlib.decompress(c[b"IDAT"])
assert len(raw) == h * (1 + 3 * w), "IDAT is not h rows of 1 + 3w bytes"
out = ["%dx%d" % (w, h)]
for xy in sys.argv[2:]:
    x, y = map(int, xy.split(","))
    row = raw[y * (1 + 3 * w):(y + 1) * (1 + 3 * w)]
    assert row[0] == 0, "a row with a filter"
    out.append("%d,%d,%d" % tuple(row[1 + 3 * x:4 + 3 * x]))
print(" ".join(out))
PY
}

# gpu_event NAME: the first gpu-request event for request NAME
gpu_event() {
	printf '%s\n' "$OUT" | jq -c --arg n "$1" 'select(.event == "gpu-request" and .gpu_message.name == $n)' | head -n 1
}

# --- the real back-end: handshake, display info, a pattern scanned out ------
start_vhost_user_gpu "$S"
cat >"$TMP/gpu.vhu" <<VHU
gpu socket displays=64x48
start
gpu display-info
gpu create 1 64 48
gpu attach 1
gpu fill 1 stripes
gpu transfer 1
gpu scanout 0 1
gpu flush 1
gpu screenshot $SHOT
gpu fill 1 gradient
gpu transfer 1 0 0 32 48
gpu flush 1 0 0 32 48
gpu screenshot $SHOT2
gpu create 1 8 8
gpu raw CMD_MOVE_CURSOR 000000000a000000140000000000000001000000000000000000000000000000 vring=1
gpu raw CMD_MOVE_CURSOR 000000000a000000140000000000000000000000000000000000000000000000 vring=1
gpu raw CMD_GET_DISPLAY_INFO reply=408
gpu raw 2457
status
VHU
run_vhuctl --device gpu --keep-going "$S" -f "$TMP/gpu.vhu"
is "$RC" 1 "the session runs to its end, the two commands that should fail failing"
is "$(printf '%s\n' "$OUT" | jq -s 'map(select(.command and (.ok | not))) | map(.command)' -c)" '["gpu create","gpu raw"]' \
	"every other command succeeds"
# the gpu socket's handshake
g=$(gpu_event GET_PROTOCOL_FEATURES)
is "$(printf '%s' "$g" | jq -c '[.gpu_message.number, .gpu_message.size, .answer_type, .protocol_features.names, .answer_bytes]')" \
	'[1,0,"u64",["VHOST_USER_GPU_PROTOCOL_F_EDID"],8]' "GET_PROTOCOL_FEATURES decoded and answered with the EDID protocol feature"
g=$(gpu_event SET_PROTOCOL_FEATURES)
is "$(printf '%s' "$g" | jq -c '[.gpu_message.number, .gpu_message.size, (.gpu_message.fields.features.value | test("^0x"))]')" \
	'[2,8,true]' "SET_PROTOCOL_FEATURES decoded"
st=$(jcmd 'gpu socket')
is "$(printf '%s' "$st" | jq -c '[.steps[0].command, .protocol_features_offered.value, .displays]')" \
	'["gpu-set-socket","0x1",[{"width":64,"height":48}]]' "gpu socket: GPU_SET_SOCKET sent, the handshake waited for"
# GET_DISPLAY_INFO: asked on the gpu socket, answered from displays=
g=$(gpu_event GET_DISPLAY_INFO)
is "$(printf '%s' "$g" | jq -c '[.answer_type, .answer_bytes]')" '["RESP_OK_DISPLAY_INFO",408]' \
	"the back-end's GET_DISPLAY_INFO is answered with a virtio_gpu_resp_display_info"
d=$(jcmd 'gpu display-info')
is "$(printf '%s' "$d" | jq -c '[.response.type, .used_len, .pmodes[0].width, .pmodes[0].height, .pmodes[0].enabled, .pmodes[1].enabled, (.pmodes | length)]')" \
	'["RESP_OK_DISPLAY_INFO",408,64,48,true,false,16]' "gpu display-info: the control queue's answer is what the gpu socket was told"
# create, attach, fill, transfer, scanout, flush
is "$(printf '%s\n' "$OUT" | jq -r 'select(.command == "gpu create" and .ok) | .response.type')" RESP_OK_NODATA "gpu create: RESP_OK_NODATA"
a=$(jcmd 'gpu attach')
is "$(printf '%s' "$a" | jq -c '[.response.type, .len, (.addr | test("^0x"))]')" '["RESP_OK_NODATA",12288,true]' \
	"gpu attach: 64 x 48 x 4 bytes of backing in guest memory"
is "$(jcmd 'gpu transfer' | jq -r .response.type)" RESP_OK_NODATA "gpu transfer: RESP_OK_NODATA"
is "$(jcmd 'gpu scanout' | jq -r .response.type)" RESP_OK_NODATA "gpu scanout: RESP_OK_NODATA"
g=$(gpu_event SCANOUT)
is "$(printf '%s' "$g" | jq -c .gpu_message.fields)" '{"scanout_id":0,"width":64,"height":48}' "SET_SCANOUT: the back-end sends SCANOUT 64x48"
g=$(gpu_event UPDATE)
is "$(printf '%s' "$g" | jq -c '[.gpu_message.size, .gpu_message.fields]')" \
	'[12308,{"scanout_id":0,"x":0,"y":0,"width":64,"height":48,"data_len":12288}]' "RESOURCE_FLUSH: the back-end sends UPDATE with the pixels"
# the screenshot: the SMPTE-order bars of stripes, 8 pixels each
sh=$(jcmd 'gpu screenshot')
is "$(printf '%s' "$sh" | jq -c '[.width, .height, .updates, .bytes > 9216]')" '[64,48,1,true]' "gpu screenshot: 64x48, from one UPDATE"
is "$(printf '%s' "$sh" | jq -r .bytes)" "$(stat -c %s "$SHOT")" "gpu screenshot: bytes is the file's size"
is "$(png_pixels "$SHOT" 0,0 9,5 17,10 25,20 33,30 41,40 49,47 63,47)" \
	"64x48 255,255,255 255,255,0 0,255,255 0,255,0 255,0,255 255,0,0 0,0,255 0,0,0" \
	"the PNG holds the stripes vhuctl wrote into guest memory, as the back-end sent them back"
# a partial transfer and flush: the left half is the gradient, the right still stripes
is "$(png_pixels "$SHOT2" 0,0 31,47 40,0 63,47)" "64x48 0,0,128 125,255,128 255,0,0 0,0,0" \
	"a transfer and flush of the left half changes the left half only"
is "$(printf '%s\n' "$OUT" | jq -s 'map(select(.event == "gpu-request" and .gpu_message.name == "UPDATE")) | .[1].gpu_message.fields.width')" 32 \
	"the second UPDATE is the 32 columns flushed"
# an ERR_* response is an error by name
e=$(printf '%s\n' "$OUT" | jq -c 'select(.command == "gpu create" and (.ok | not))')
is "$(printf '%s' "$e" | jq -c '[.error.code, .response.type]')" '["EPROTO","RESP_ERR_INVALID_RESOURCE_ID"]' \
	"gpu create of a resource that exists: RESP_ERR_INVALID_RESOURCE_ID, an EPROTO error"
like "$(printf '%s' "$e" | jq -r .error.message)" "CMD_RESOURCE_CREATE_2D: the back-end answered RESP_ERR_INVALID_RESOURCE_ID" \
	"the error names the command and the response"
# gpu raw: the cursor queue, answered on the gpu socket; any control command
is "$(gpu_event CURSOR_POS | jq -c .gpu_message.fields)" '{"scanout_id":0,"x":10,"y":20}' \
	"CMD_MOVE_CURSOR of a resource on the cursor queue: the back-end sends CURSOR_POS"
is "$(gpu_event CURSOR_POS_HIDE | jq -c .gpu_message.fields)" '{"scanout_id":0,"x":10,"y":20}' \
	"CMD_MOVE_CURSOR of resource 0: CURSOR_POS_HIDE"
is "$(printf '%s\n' "$OUT" | jq -s -c 'map(select(.command == "gpu raw")) | map([.ok, .used_len])')" '[[true,0],[true,0],[true,408],[false,24]]' \
	"gpu raw: the cursor queue's used entries carry nothing, GET_DISPLAY_INFO's 408 bytes"
is "$(printf '%s\n' "$OUT" | jq -s -r 'map(select(.command == "gpu raw"))[2].body_hex | length')" 768 \
	"gpu raw: the 384 bytes after the header as body_hex"
is "$(printf '%s\n' "$OUT" | jq -s -c 'map(select(.command == "gpu raw"))[3] | [.response.type, .error.code]')" '["RESP_ERR_UNSPEC","EPROTO"]' \
	"gpu raw of a type the back-end does not know: RESP_ERR_UNSPEC, an error"
is "$(printf '%s\n' "$OUT" | jq -s 'map(select(.event == "gpu-request" and (.warnings or .gpu_message.payload_error))) | length')" 0 \
	"no message of the real back-end draws a warning"
is "$(jcmd status | jq -c '.kept_fds | has("gpu-socket")')" true "the gpu socket is kept while the connection lasts"
gone "$VUGPU_PID" 30
ok $? "vhost-user-gpu exits once its one front-end has gone"

# gpu commands need the gpu socket first: a clear error, nothing posted
start_vhost_user_gpu "$S"
run_vhuctl --device gpu "$S" -c 'start; gpu display-info'
is "$(jcmd 'gpu display-info' | jq -c '[.ok, .error.code]')" '[false,"ENOTCONN"]' "gpu display-info without a gpu socket: ENOTCONN"
like "$(jcmd 'gpu display-info' | jq -r .error.message)" "gpu socket" "the error says what to run"

# two displays, and display-info asked before start is refused by the ring
start_vhost_user_gpu "$S"
run_vhuctl --device gpu "$S" -c 'gpu socket displays=800x600,640x480 edid=off; start; gpu display-info'
ran_ok "gpu socket displays= edid=off"
is "$(jcmd 'gpu socket' | jq -c '[.protocol_features_offered.names, .edid]')" '[[],false]' "edid=off: no EDID protocol feature offered"
is "$(jcmd 'gpu display-info' | jq -c '[.pmodes[0].width, .pmodes[0].height, .pmodes[1].width, .pmodes[1].height, .pmodes[1].enabled, .pmodes[2].enabled]')" \
	'[800,600,640,480,true,false]' "gpu display-info answers both displays"

# --- a gpu socket that breaks the protocol (the fake back-end) ---------------
# GPU_SET_SOCKET's fd is the channel the fake's backend= sends on.
F=$TMP/fake.sock
start_fake "$F" ok backend=99,payload=0102 backend=7,payload=0000 backend=8,payload=000000000000000000000000010000000100000000 \
	backend=1,size=4294967295
run_vhuctl --keep-going "$F" -c 'gpu-set-socket; get-features; get-features; get-features; get-features; get-features; status'
ran_ok "vhuctl goes on through a gpu socket that breaks the protocol"
ev=$(printf '%s\n' "$OUT" | jq -c 'select(.event)')
is "$(printf '%s\n' "$ev" | jq -s -c 'map(.event)')" '["gpu-request","gpu-request","gpu-request","gpu-socket-closed"]' \
	"each message is an event; the over-long one closes the socket"
is "$(printf '%s\n' "$ev" | sed -n 1p | jq -c '[.gpu_message.number, (.gpu_message | has("name")), .warnings[0]]')" \
	'[99,false,"request number not in the vhost-user-gpu table: not answered"]' "an unknown request: a warning, no answer"
is "$(printf '%s\n' "$ev" | sed -n 2p | jq -r .gpu_message.payload_error)" "SCANOUT: payload of 2 bytes, expected 12" \
	"a SCANOUT too short: payload_error says so"
like "$(printf '%s\n' "$ev" | sed -n 3p | jq -r .gpu_message.payload_error)" "UPDATE: 1 x 1 pixels need 4 bytes of data, the payload has 1" \
	"an UPDATE whose data disagrees with its rectangle: refused"
like "$(printf '%s\n' "$ev" | sed -n 4p | jq -r .reason)" "says its payload is 4294967295 bytes, over the bound" \
	"a size over the bound: refused unread, and the socket dropped"
is "$(jcmd status | jq -c '[.connected, (.kept_fds | has("gpu-socket"))]')" '[true,false]' \
	"the connection stays; the gpu socket's fd is closed"
stop_fake

# what the real back-end (QEMU 7.2) never asks: GET_EDID, DMABUF_UPDATE; each
# answered as the spec says, read back by the fake ("wait")
start_fake "$F" ok backend=1,wait backend=11,payload=00000000,wait backend=11,payload=05000000,wait \
	backend=10,payload=0000000000000000000000000000000000000000,wait backend=3,wait
run_vhuctl --keep-going "$F" -c 'gpu-set-socket; get-features; get-features; get-features; get-features; get-features; get-features'
ran_ok "the gpu socket's questions answered between requests"
replies=$(grep '^backend-reply' "$TMP/fake.log")
is "$(printf '%s\n' "$replies" | sed -n 1p)" "backend-reply req=1 flags=0x4 size=8 payload=0100000000000000" \
	"GET_PROTOCOL_FEATURES: a reply (flags 0x4) of u64 VHOST_USER_GPU_PROTOCOL_F_EDID"
edid=$(printf '%s\n' "$replies" | sed -n 2p)
like "$edid" "backend-reply req=11 flags=0x4 size=1056 payload=04110000" "GET_EDID: a virtio_gpu_resp_edid, RESP_OK_EDID"
is "$(printf '%s' "${edid#*payload=}" | python3 -c '
import sys; b = bytes.fromhex(sys.stdin.read().strip()); e = b[32:160]
print(int.from_bytes(b[24:28], "little"), e[:8].hex(), sum(e) % 256, e[56] | (e[58] >> 4) << 8, e[59] | (e[61] >> 4) << 8)')" \
	"128 00ffffffffffff00 0 1024 768" "the EDID: 128 bytes, its header, its checksum, the 1024x768 display's timing"
like "$(printf '%s\n' "$replies" | sed -n 3p)" "backend-reply req=11 flags=0x4 size=1056 payload=00120000" \
	"GET_EDID of a scanout with no display: RESP_ERR_UNSPEC"
is "$(printf '%s\n' "$replies" | sed -n 4p)" "backend-reply req=10 flags=0x4 size=0 payload=" "DMABUF_UPDATE: the empty acknowledgement"
like "$(printf '%s\n' "$replies" | sed -n 5p)" "backend-reply req=3 flags=0x4 size=408 payload=01110000" \
	"GET_DISPLAY_INFO: RESP_OK_DISPLAY_INFO"
stop_fake

# a header cut short, then the socket closed
start_fake "$F" ok backend=3,short=5
run_vhuctl --keep-going "$F" -c 'status; gpu-set-socket; get-features; get-features; status'
ran_ok "a short header does not stop the session"
is "$(printf '%s\n' "$OUT" | jq -r 'select(.event) | .event')" gpu-socket-closed "a short header closes the gpu socket"
like "$(printf '%s\n' "$OUT" | jq -r 'select(.event) | .reason')" "after 5 of 12 header bytes" "the reason says how much of the header came"
is "$(printf '%s\n' "$OUT" | jq -s 'map(select(.command == "status") | .open_fds) | .[0] == .[1]')" true \
	"no fd is left open: as many as before the gpu socket"
stop_fake

done_testing
