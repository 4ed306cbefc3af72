#!/bin/bash
# stall.sh - vhuctl monitor when a reader stops: a back-end that stops
# reading, a peer that stalls in the middle of a message, a reader of the
# monitor's stdout that stops. Nothing is lost, the other direction goes
# on, memory stays bounded, and a signal still ends the monitor. Every wait
# is on something that happens.
. "${top_srcdir:-.}/tests/lib.sh"

MON_SOCK=$TMP/mon.sock
FK_SOCK=$TMP/fake.sock
N=3000		# requests to a back-end that stalls: well past what its socket holds

# kib PID: the peak of PID's resident memory (VmHWM), in KiB
kib() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}

# many COUNT: a script that sends COUNT requests that want no reply, then
# one that does.
many() {
	echo set-owner
	for _ in $(seq "$1"); do echo 'set-vring-num 0 256'; done
	echo get-features
}
many "$N" >"$TMP/many.vhu"
many 20000 >"$TMP/more.vhu"	# more events than the monitor holds for its stdout

# --- a back-end that stops reading -------------------------------------------
# The fake sleeps 4 s at the first request: the socket to it fills, then the
# monitor's queue (16 messages), then the monitor stops reading vhuctl,
# whose sends wait. Then the fake reads again, and everything arrives.
start_fake "$FK_SOCK" delay=4000
start_monitor "$MON_SOCK" "$FK_SOCK"
t0=$(date +%s%N)
run_vhuctl -t 30000 "$MON_SOCK" -f "$TMP/many.vhu"
ran_ok "vhuctl sent $N requests through the monitor to a back-end that stopped reading for 4 s"
is "$(jcmd get-features | jq -r .ok)" true "and the request after them was answered"
wait_log_has "req=1 "
is "$(grep -c '^req=8 ' "$TMP/fake.log")" "$N" "the back-end got all $N, none lost"
is "$(grep -o '^req=[0-9]*' "$TMP/fake.log" | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')" "req=3:1 req=8:$N req=1:1 " \
	"in the order they were sent"
M=$(jq -c 'select(.event == "message" and .direction == "to_backend") | [.seq, .time]' "$TMP/mon.out")
is "$(printf '%s\n' "$M" | wc -l)" $((N + 2)) "the monitor showed every one of them"
span=$(printf '%s\n' "$M" | jq -rs '(.[-2][1] | sub("\\.[0-9]+Z$"; "Z") | fromdate) - (.[0][1] | sub("\\.[0-9]+Z$"; "Z") | fromdate)')
ok "$([ "$span" -ge 3 ]; echo $?)" "it read the last of them $span s after the first: it stopped reading while the back-end did (no queue of its own that grows)"
hwm=$(kib "$MON_PID")
ok "$([ "$hwm" -lt 32768 ]; echo $?)" "the monitor's memory peaked at $hwm KiB (under 32 MiB; $N messages are 400 KiB on the wire)"
kill -TERM "$MON_PID"
gone "$MON_PID" 10
ok $? "the monitor ends on SIGTERM"
echo "# a back-end stalled 4 s: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
stop_fake

# The peers below, in a few lines of Python, read messages with this.
cat >"$TMP/vumsg.py" <<'EOF'
import struct
def messages(sock):
    """(request, flags, payload) of each whole message SOCK delivers, until it ends."""
    buf = b""
    while True:
        d = sock.recv(65536)
        if not d:
            return
        buf += d
        while len(buf) >= 12:
            req, flags, size = struct.unpack("<III", buf[:12])
            if len(buf) < 12 + size:
                break
            yield req, flags, buf[12:12 + size]
            buf = buf[12 + size:]
EOF

# --- a front-end that stops reading ------------------------------------------
# A front-end (a few lines of Python) sends SET_OWNER and NF GET_FEATURES
# from one thread and reads nothing for 4 s, then reads every reply. The
# replies fill the socket to it, the monitor's queue, then the back-end's
# socket: the back-end and, behind it, the front-end's own sends wait.
# Nothing is lost and nothing piles up in the monitor. NF requests are
# more than the socket from the front-end holds at once.
NF=20000
cat >"$TMP/deaf.py" <<'EOF'
import socket, struct, sys, threading, time
from vumsg import messages
path, n, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
out = open(log, "w", buffering=1)
s = socket.socket(socket.AF_UNIX)
s.connect(path)
sent = {}
def send():
    s.sendall(struct.pack("<III", 3, 1, 0) + struct.pack("<III", 1, 1, 0) * n)
    sent["t"] = time.monotonic()
t = threading.Thread(target=send)
t.start()
time.sleep(4)	# the front-end not reading: what this test is about
t_read = time.monotonic()
got, bad = 0, 0
for req, flags, payload in messages(s):
    bad += req != 1 or len(payload) != 8 or flags & 4 == 0
    got += 1
    if got == n:
        break
t.join()
out.write("replies=%d bad=%d sends_waited=%d\n" % (got, bad, sent["t"] > t_read))
EOF
start_fake "$FK_SOCK"
start_monitor "$MON_SOCK" "$FK_SOCK"
PYTHONPATH=$TMP python3 "$TMP/deaf.py" "$MON_SOCK" "$NF" "$TMP/deaf.log" &
DEAF_PID=$!
PIDS+=("$DEAF_PID")
wait_line "$TMP/deaf.log" "replies=" 60 "$DEAF_PID"
ok $? "the front-end that stopped reading for 4 s got to the end"
is "$(cat "$TMP/deaf.log")" "replies=$NF bad=0 sends_waited=1" \
	"it got all $NF replies, each a GET_FEATURES reply; its sends waited while it did not read (no queue that grows)"
hwm=$(kib "$MON_PID")
ok "$([ "$hwm" -lt 32768 ]; echo $?)" "the monitor's memory peaked at $hwm KiB"
wait_log_has "req=1 "
is "$(grep -c '^req=1 ' "$TMP/fake.log")" "$NF" "the back-end got all $NF"
wait_lines "$TMP/mon.out" $((2 * NF + 1)) 30 '"event":"message"'
is "$(jq -sc '[.[] | select(.event == "message") | .direction] | group_by(.) | map([.[0], length])' "$TMP/mon.out")" \
	"[[\"to_backend\",$((NF + 1))],[\"to_frontend\",$NF]]" "the monitor showed every request and every reply"
kill -TERM "$MON_PID"
gone "$MON_PID" 10
ok $? "the monitor ends on SIGTERM"
stop_fake

# --- a peer that stalls in the middle of a message ---------------------------
# A back-end (a few lines of Python) that answers GET_FEATURES with a reply
# header and never its payload, and goes on reading: the monitor relays
# the front-end's next requests all the same, and says, when the front-end
# goes, what the back-end left unfinished.
cat >"$TMP/half.py" <<'EOF'
import os, socket, struct, sys
from vumsg import messages
path, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(1)
open(log + ".ready", "w").close()
c, _ = s.accept()
out = open(log, "w", buffering=1)
for req, flags, payload in messages(c):
    out.write("req=%d\n" % req)
    if req == 1:
        c.sendall(struct.pack("<III", 1, 5, 8))
        out.write("stalled\n")
out.write("eof\n")
EOF
rm -f "$TMP/half.log.ready"
PYTHONPATH=$TMP python3 "$TMP/half.py" "$TMP/half.sock" "$TMP/half.log" &
HALF_PID=$!
PIDS+=("$HALF_PID")
wait_path -e "$TMP/half.log.ready" "$HALF_PID" 30 || bail "the half-message peer did not start"
start_monitor "$MON_SOCK" "$TMP/half.sock" --once
run_vhuctl -t 1000 --keep-going "$MON_SOCK" -c 'get-features; set-owner; set-vring-num 0 256; get-queue-num'
is "$(printf '%s\n' "$OUT" | jq -sc '[.[] | [.command, .ok]]')" \
	'[["get-features",false],["set-owner",true],["set-vring-num",true],["get-queue-num",false]]' \
	"vhuctl: GET_FEATURES never answered whole (timed out), the requests after it went"
wait_line "$TMP/half.log" eof 30 "$HALF_PID"
ok $? "the peer saw the front-end go"
is "$(grep -o '^req=[0-9]*' "$TMP/half.log" | tr '\n' ' ')" "req=1 req=3 req=8 req=17 " \
	"the monitor relayed every request after the back-end stalled mid-message"
gone "$MON_PID" 10
ok $? "--once: the monitor ends when the front-end goes"
is "$(jq -r 'select(.event == "disconnected") | .reason' "$TMP/mon.out")" \
	"closed the connection; the back-end had sent 12 of the 20 bytes of a message (request 1), no more" \
	"and says what the back-end left unfinished"
is "$(jq -s '[.[] | select(.event == "message" and .direction == "to_frontend")] | length' "$TMP/mon.out")" 0 \
	"the unfinished reply is not shown as a message"
st=$(jq -c 'select(.event == "stalled")' "$TMP/mon.out")
is "$(printf '%s\n' "$st" | jq -c '[.side, .direction, .session]' | tr '\n' ' ')" '["back-end","to_frontend",1] ' \
	"while the session went on, the monitor said once that the back-end stalled in the middle of its reply"
printf '%s\n' "$st" | jq -r .reason | grep -qE '^the back-end has sent 12 of the 20 bytes of a message \(request 1\), and nothing more for 1[0-9]{3} ms$'
ok $? \
	"and what it had sent: $(printf '%s\n' "$st" | jq -r .reason)"
is "$(jq -s -r 'map(.event) | (index("stalled") < index("disconnected"))' "$TMP/mon.out")" true \
	"before the session ended"

# --- a reader of the monitor's stdout that stops -----------------------------
# stdout is a fifo the test holds open and does not read. The monitor
# holds up to 1 MiB for it, then waits for its reader (the relay with it:
# no event is dropped), says so on stderr; SIGTERM still ends it, and what
# it had printed reaches the reader once it reads, whole lines all.
# stalled_monitor: the monitor to the fake, its stdout the fifo; vhuctl
# sending many.vhu through it; back once the monitor says it waits.
stalled_monitor() {
	rm -f "$TMP/out.fifo"
	mkfifo "$TMP/out.fifo"
	exec 7<>"$TMP/out.fifo"
	: >"$TMP/mon.err"
	# (its 20000 objects are checked here, not copied to the schema's log)
	VHUCTL_JSON_LOG= "$VHUCTL" monitor "$MON_SOCK" "$FK_SOCK" >"$TMP/out.fifo" 2>"$TMP/mon.err" </dev/null 7>&- &
	MON_PID=$!
	PIDS+=("$MON_PID")
	wait_path -S "$MON_SOCK" "$MON_PID" 30 || bail "vhuctl monitor did not start: $(cat "$TMP/mon.err")"
	VHUCTL_JSON_LOG= "$VHUCTL" -t 60000 "$MON_SOCK" -f "$TMP/more.vhu" >/dev/null 2>"$TMP/vh.err" </dev/null 7>&- &
	VH_PID=$!
	PIDS+=("$VH_PID")
	wait_line "$TMP/mon.err" "stdout is not read" 60 "$MON_PID"
}
start_fake "$FK_SOCK"
stalled_monitor
ok $? "the monitor says its stdout is not read: $(head -n 1 "$TMP/mon.err")"
hwm=$(kib "$MON_PID")
ok "$([ "$hwm" -lt 32768 ]; echo $?)" "holding it, the monitor's memory peaked at $hwm KiB"
kill -0 "$VH_PID" 2>/dev/null
ok $? "vhuctl waits with it (the relay waits for the monitor's reader)"
t0=$(date +%s%N)
kill -TERM "$MON_PID"
cat "$TMP/out.fifo" >"$TMP/out.jsonl" 7>&- &
CAT_PID=$!
PIDS+=("$CAT_PID")
gone "$MON_PID" 15
ok $? "SIGTERM ends it while its stdout is stalled, once the reader reads ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
wait "$MON_PID"
is "$?" 0 "with status 0"
exec 7>&-	# the reader's end now is cat's alone: it sees the end
gone "$CAT_PID" 10
ok $? "the reader gets to the end of the monitor's output"
is "$(jq -c . "$TMP/out.jsonl" 2>&1 >/dev/null | head -n 3)" "" "every line of it is a whole JSON object"
out=$(python3 "${top_srcdir:-.}/tests/schema.py" "${top_srcdir:-.}/schema/vhuctl.schema.json" "$TMP/out.jsonl" 2>&1)
ok $? "in the contract's shape ($(printf '%s' "$out" | tail -n 1))"
is "$(jq -s '[.[] | select(.event == "message") | .seq] | . == [range(1; length + 1)]' "$TMP/out.jsonl")" true \
	"the messages numbered 1, 2, 3... with none missing: every event it made was written"
got=$(jq -s '[.[] | select(.event == "message" and .direction == "to_backend")] | length' "$TMP/out.jsonl")
relayed=$(grep -c '^req=' "$TMP/fake.log")
ok "$([ "$got" -ge "$relayed" ] && [ "$relayed" -gt 1000 ]; echo $?)" \
	"each of the $relayed requests the back-end got was shown ($got shown)"
is "$(grep -v 'stdout is not read' "$TMP/mon.err")" "" "and nothing else on stderr: nothing was lost"
kill "$VH_PID" 2>/dev/null
wait "$VH_PID" 2>/dev/null

# The same stall, and a reader that closes without reading: the monitor
# ends at once and says how much of its output never went.
stalled_monitor
ok $? "stalled again"
kill -TERM "$MON_PID"
t0=$(date +%s%N)
exec 7<&-
gone "$MON_PID" 15
ok $? "the reader gone, SIGTERM ends the monitor ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
like "$(cat "$TMP/mon.err")" "bytes of output not written: the reader of stdout went" "and it says the output it could not write"
kill "$VH_PID" 2>/dev/null
wait "$VH_PID" 2>/dev/null
stop_fake
done_testing
