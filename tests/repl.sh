#!/bin/bash
# repl.sh - the interactive shell, driven through a terminal (tmux): completion,
# history, Ctrl-C during a wait, and output that arrives while a line is typed.
. "${top_srcdir:-.}/tests/lib.sh"
command -v tmux >/dev/null || bail "tmux not installed"

TM="tmux -S $TMP/tmux.sock -f /dev/null"
export XDG_STATE_HOME=$TMP/state
# The REPLs go with the server; one that was exiting when its terminal went
# (LeakSanitizer's stop of the world loses its SIGSTOP to the hang-up's
# SIGCONT, and spins) is ended by cleanup's SIGKILL after 5 s, not left behind.
cleanup_tmux() {
	local p
	$TM kill-server 2>/dev/null
	for p in /proc/[0-9]*; do	# whatever ran in this test's terminals
		grep -qz "^TMUX=$TMP/tmux.sock," "$p/environ" 2>/dev/null && PIDS+=("${p#/proc/}")
	done
	cleanup
}
trap cleanup_tmux EXIT

screen() { $TM capture-pane -t t -p; }
last_line() { screen | sed '/^$/d' | tail -n 1; }
# wait_for TEXT: until the screen shows TEXT (30 s at most: a loaded machine
# is slow, not wrong; the wait ends as soon as the text is there)
wait_for() {
	for _ in $(seq 600); do
		screen | grep -qF -- "$1" && return 0
		sleep 0.05
	done
	return 1
}
# START_ENV: env(1) options and settings for vhuctl; COLS, ROWS: the window;
# START_SHOWS: what the screen shows once vhuctl is up (default: its name).
# shows WANT DESCRIPTION: the last screen line becomes WANT (within 30 s)
shows() {
	local want=$1; shift
	for _ in $(seq 600); do
		[ "$(last_line)" = "$want" ] && break
		sleep 0.05
	done
	is "$(last_line)" "$want" "$@"
}
start() {
	local try
	# A vhuctl that was told to quit is let finish first.
	[ -n "${QUITTING:-}" ] && { wait_for "vhuctl exited" || echo "# vhuctl did not exit after quit"; }
	QUITTING=
	$TM kill-session -t t 2>/dev/null
	for try in 1 2 3; do
		$TM new-session -d -s t -x "${COLS:-160}" -y "${ROWS:-50}" \
			"env ${START_ENV:-} TERM=xterm NO_COLOR=1 $VHUCTL $*; echo vhuctl exited \$?; sleep 30" \
			2>"$TMP/tmux.err" && break
		echo "# tmux new-session failed (try $try): $(cat "$TMP/tmux.err")"
		sleep 1
	done
	wait_for "${START_SHOWS:-vhuctl }" || bail "no prompt: $(screen 2>&1)"
}

S=$TMP/fake.sock
start --device blk
is "$(last_line)" "vhuctl (not connected)>" "prompt says not connected"

$TM send-keys -t t 'get-fe' Tab
shows "vhuctl (not connected)> get-features" "Tab completes a command name"

$TM send-keys -t t C-u 'GET_PROTO' Tab
shows "vhuctl (not connected)> GET_PROTOCOL_FEATURES" "Tab completes the spec spelling"

$TM send-keys -t t C-u 'set-features VIRTIO_F_V' Tab
shows "vhuctl (not connected)> set-features VIRTIO_F_VERSION_1" "Tab completes a feature name"
$TM send-keys -t t ',VIRTIO_BLK_F_FL' Tab
shows "vhuctl (not connected)> set-features VIRTIO_F_VERSION_1,VIRTIO_BLK_F_FLUSH" "…and the next one in the list, for the device"

$TM send-keys -t t C-u 'vring se' Tab
shows "vhuctl (not connected)> vring setup" "Tab completes the second word of a two-word command"

$TM send-keys -t t C-u 'set-vring-addr 0 de' Tab
shows "vhuctl (not connected)> set-vring-addr 0 desc=" "Tab completes key= argument names"

$TM send-keys -t t C-u 'iotlb-msg type=acc' Tab
shows "vhuctl (not connected)> iotlb-msg type=access-fail" "Tab completes enumerated values"

mkdir -p "$TMP/frames"; : >"$TMP/frames/arp.bin"
$TM send-keys -t t C-u "vring post 0 out=@$TMP/fr" Tab
shows "vhuctl (not connected)> vring post 0 out=@$TMP/frames/" "Tab completes the directory of an @FILE argument"
$TM send-keys -t t Tab
shows "vhuctl (not connected)> vring post 0 out=@$TMP/frames/arp.bin" "…and the file in it"

$TM send-keys -t t C-u "mem add 4K; vring se" Tab
shows "vhuctl (not connected)> mem add 4K; vring setup" "Tab completes the command after a ';'"

# History survives a restart, without consecutive duplicates, mode 0600.
$TM send-keys -t t C-u 'mem add 4K' Enter
wait_for 'memory_size:     4096'
ok $? "a command typed at the prompt runs, its result in the text view"
ok $(screen | grep -q '"memory_size"'; echo $((!$?))) "the text view is the default on a terminal"
$TM send-keys -t t 'mem add 4K' Enter 'mem list' Enter 'quit' Enter
QUITTING=1
wait_lines "$XDG_STATE_HOME/vhuctl/history" 1 30 '^quit$'
ok $? "quit is written to the history file"
is "$(cat "$XDG_STATE_HOME/vhuctl/history" 2>/dev/null | tr '\n' '|')" "mem add 4K|mem list|quit|" "history file, consecutive duplicates skipped"
is "$(stat -c %a "$XDG_STATE_HOME/vhuctl/history" 2>/dev/null)" 600 "history file is private (0600)"
start
$TM send-keys -t t Up Up
shows "vhuctl (not connected)> mem list" "history survives a restart"

# Ctrl-C while waiting on a back-end that never answers: back to the prompt
# long before the 60 s timeout, the session intact. (How fast is a figure
# for bench/, not a bound a loaded machine could miss.)
start_fake "$S" noreply
start -t 60000 "$S"
$TM send-keys -t t C-u 'get-features' Enter
wait_log 1	# the request has been sent: vhuctl is waiting for the reply
t0=$(date +%s%N)
$TM send-keys -t t C-c
wait_for "interrupted while waiting for the reply"
ok $? "Ctrl-C interrupts the wait"
t1=$(date +%s%N)
ok $(( (t1 - t0) / 1000000 < 10000 ? 0 : 1 )) "Ctrl-C ends the wait, not the 60 s timeout ($(( (t1 - t0) / 1000000 )) ms)"
shows "vhuctl fake.sock>" "back at the prompt, still connected"
$TM send-keys -t t C-c C-c
shows "vhuctl fake.sock>" "Ctrl-C at an empty prompt does not exit"
$TM send-keys -t t 'get-protocol-features' Enter
wait_for 'GET_PROTOCOL_FEATURES → 0x8209 MQ REPLY_ACK'
ok $? "the next command works: a request is a line"

# After GET_PROTOCOL_FEATURES, what the back-end offered comes first.
$TM send-keys -t t C-l 'set-protocol-features ' Tab Tab
wait_for "CONFIGURE_MEM_SLOTS"
ok $? "Tab Tab lists the protocol features"
first=$(screen | sed -n '/^MQ /{p;q}' | awk '{print $1}')
second=$(screen | sed -n '/^MQ /{n;p;q}' | awk '{print $1}')
is "$first $second" "MQ REPLY_ACK" "offered protocol features are listed first"
$TM send-keys -t t C-u

# The back-end goes away while a line is half typed: the event is printed
# and the typed text is kept.
$TM send-keys -t t 'mem li'
wait_for "fake.sock> mem li"
ok $? "a half-typed line"
stop_fake
wait_for 'event disconnected: socket='
ok $? "disconnection shown as an event, a line"
shows "vhuctl (not connected)> mem li" "the half-typed line survives the event"
$TM send-keys -t t 'st' Enter
wait_for '  regions: -'
ok $? "and can be finished"

# JSON at the prompt, when asked for.
start --output=json-pretty
$TM send-keys -t t 'mem add 4K' Enter
wait_for '"memory_size": 4096'
ok $? "--output=json-pretty at the prompt: indented JSON"

# A typo at the prompt: the located message, with no JSON object around it.
$TM send-keys -t t 'get-feature' Enter
wait_for "unknown command 'get-feature' (did you mean 'get-features'?)"
ok $? "a typo gets a located message with a suggestion"
ok $(screen | grep -q '"code": "ENOENT"'; echo $((!$?))) "and no JSON error object on a terminal"
like "$(screen)" "$(printf 'error: unknown command')" "the message starts with error:"
ok $(screen | grep -q '<stdin>:[0-9]*:[0-9]*: error'; echo $((!$?))) "no file:line:col for a line typed at the prompt"
like "$(screen)" "^~~~~~~~~~~" "the typed line is underlined"

# A message read ahead behind a short reply is shown at once as an event,
# and its fds are closed.
start_fake "$S" short-extra
start "$S"
$TM send-keys -t t C-u 'get-features' Enter
wait_for 'event unsolicited: message=#99'
ok $? "a message behind a short reply comes out as an event without waiting"
wait_for 'fds_closed=3'
ok $? "its three fds are reported closed"
is "$(screen | grep '^event unsolicited' | grep -o '+file' | wc -l)" 3 "the event showed the three fds"
$TM send-keys -t t 'status' Enter
wait_for 'open_fds:'
ok $? "status runs: key: value lines"
stop_fake

# help, and COMMAND --help.
$TM send-keys -t t 'set-vring-num --help' Enter
wait_for "usage: set-vring-num index num"
ok $? "COMMAND --help shows usage"
$TM send-keys -t t 'quit' Enter
wait_for "vhuctl exited"
ok $? "quit ends the session"

# help on a terminal is text; long text goes through the pager, unless
# --no-pager or stdout is not the terminal. The pager here notes that it ran
# and what it was given, then shows it.
cat >"$TMP/pager" <<PAGER
#!/bin/sh
echo ran >>"$TMP/pager.log"
tee "$TMP/pager.in"
echo "(paged)"
PAGER
chmod +x "$TMP/pager"
: >"$TMP/pager.log"
paged() { wc -l <"$TMP/pager.log"; }
START_ENV="-u VHUCTL_PAGER PAGER=$TMP/pager" start -c "'help get-features'"
wait_for "vhuctl exited 0"
ok $? "help CMD on a terminal runs"
like "$(screen)" "usage: get-features [header-flags=N] [need-reply=VALUE] [sync]" "help CMD on a terminal: its usage, as text"
like "$(screen)" "Sends VHOST_USER_GET_FEATURES (front-end request 1): no payload, always answered." "…and the request in words"
is "$(paged)" 0 "help that fits the terminal is not paged"
START_ENV="PAGER=$TMP/pager" start --json=pretty -c "'help get-features'"
wait_for "vhuctl exited 0"
like "$(screen)" '"topic": "get-features"' "help with --json on a terminal is JSON"
START_ENV="PAGER=$TMP/pager" start -c blk
wait_for "vhuctl exited 0"
like "$(screen)" "  blk read                 read sectors (VIRTIO_BLK_T_IN)" "a group alone on a terminal lists its commands as text"

ROWS=24 START_ENV="-u VHUCTL_PAGER PAGER=$TMP/pager" start -c help
wait_for "vhuctl exited 0"
ok $? "help longer than the terminal runs"
is "$(paged)" 1 "help longer than the terminal goes through \$PAGER"
is "$(head -n 1 "$TMP/pager.in")" "session:" "the pager is given the whole list"
like "$(tail -n 1 "$TMP/pager.in")" "'help COMMAND' shows a command's arguments" "…to its end"
ROWS=24 START_ENV="PAGER=false VHUCTL_PAGER=$TMP/pager" start -c help
wait_for "vhuctl exited 0"
is "$(paged)" 2 "VHUCTL_PAGER comes before PAGER"
ROWS=24 START_ENV="PAGER=$TMP/pager" start --no-pager -c help
wait_for "vhuctl exited 0"
like "$(screen)" "'help COMMAND' shows a command's arguments" "--no-pager: the text on the terminal"
is "$(paged)" 2 "--no-pager: no pager"
ROWS=24 START_ENV="PAGER=$TMP/pager" start -c help "| cat"
wait_for "vhuctl exited 0"
like "$($TM capture-pane -t t -p -J -S -)" '{"command":"help","groups":' "help into a pipe, on a terminal: JSON"
is "$(paged)" 2 "help into a pipe is not paged"
ROWS=24 START_ENV="-u VHUCTL_PAGER PAGER=$TMP/no-such-pager" start -c help
wait_for "vhuctl exited 0"
like "$(screen)" "'help COMMAND' shows a command's arguments" "a pager that cannot run: the text on the terminal"

# The default pager, less: Ctrl-C in it is less's, q ends it and vhuctl.
if command -v less >/dev/null; then
	ROWS=24 START_ENV="-u VHUCTL_PAGER -u PAGER -u LESS" START_SHOWS="session:" start -c help
	ok 0 "help longer than the terminal: less shows it"
	ok $(screen | grep -q "vhuctl exited"; echo $((!$?))) "vhuctl waits for less"
	$TM send-keys -t t C-c
	# less may drop what is typed while it takes the interrupt: q until it ends.
	for _ in $(seq 60); do
		$TM send-keys -t t q
		for _ in $(seq 10); do screen | grep -q "vhuctl exited" && break 2; sleep 0.05; done
	done
	like "$(screen)" "vhuctl exited 0" "Ctrl-C in less leaves vhuctl be; q ends less, and vhuctl exits 0"
fi

# At the prompt: help pages as on the command line, and the prompt is back after.
ROWS=24 START_ENV="-u VHUCTL_PAGER PAGER=$TMP/pager" start
$TM send-keys -t t 'help' Enter
wait_for "(paged)"
ok $? "help at the prompt goes through the pager"
shows "vhuctl (not connected)>" "the prompt is back after the pager"
is "$(paged)" 3 "the pager ran once"
$TM send-keys -t t C-l 'help blk' Enter
wait_for "'help blk COMMAND' shows a command's arguments"
ok $? "help GROUP at the prompt lists the group"
is "$(paged)" 3 "a short help is not paged"
$TM send-keys -t t C-l 'vring' Enter
wait_for "  vring setup"
ok $? "a group alone at the prompt lists the group"
$TM send-keys -t t 'blk reed 0' Enter
wait_for "error: 'blk' has no sub-command 'reed' (did you mean 'blk read'?)"
ok $? "a mistyped sub-command at the prompt: did you mean"
$TM send-keys -t t 'quit' Enter
wait_for "vhuctl exited"

# The gpu socket is served at the prompt too: a message that comes while
# nothing runs is shown then (the fake sends it right after GPU_SET_SOCKET).
start_fake "$S" backend=7,payload=000000000800000008000000
start "$S"
$TM send-keys -t t 'gpu-set-socket' Enter
wait_for "gpu_message={name=SCANOUT number=7"
ok $? "a gpu socket message at the prompt is served and shown, no command needed"
$TM send-keys -t t 'quit' Enter
wait_for "vhuctl exited"
stop_fake

# The terminal goes away under a session (its window closed): vhuctl ends,
# by SIGHUP, or by the end of input when SIGHUP is ignored (nohup).
for how in "" "trap '' HUP;"; do
	$TM kill-session -t t 2>/dev/null
	$TM new-session -d -s t -x 160 -y 50 "sh -c \"$how exec env TERM=xterm $VHUCTL --device fs\""
	pid=
	for _ in $(seq 200); do
		pid=$(pgrep -f -x "$VHUCTL --device fs") && break
		sleep 0.05
	done
	wait_for "vhuctl (not connected)>"
	$TM kill-session -t t
	gone "$pid" 30
	ok $? "the terminal closed under the prompt${how:+ (SIGHUP ignored)}: vhuctl ends"
	kill -9 "$pid" 2>/dev/null
done

done_testing
