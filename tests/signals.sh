#!/bin/bash
# signals.sh - no output lost, whatever ends vhuctl: SIGTERM, SIGINT or SIGHUP
# during a long wait, with the results going to a file or to a pipe; and
# --echo lines in order with the results.
. "${top_srcdir:-.}/tests/lib.sh"

S=$TMP/fake.sock
CMDS='mem add 1M; mem list; get-features; status'

# check_killed WHAT SIGNAL RC FILE: what a killed run left in FILE
check_killed() {
	local what=$1 sig=$2 rc=$3 f=$4
	is "$rc" $((128 + $(kill -l "$sig"))) "$what: vhuctl dies of SIG$sig"
	ok $(jq -e . "$f" >/dev/null 2>&1; echo $?) "$what: every line parses"
	is "$(jq -r .command "$f" | tr '\n' ' ')" "mem add mem list get-features " \
		"$what: every finished command is there, the interrupted one last"
	is "$(tail -n 1 "$f" | jq -r .error.code)" ECANCELED "$what: the interrupted command is an error object"
	like "$(tail -n 1 "$f" | jq -r .error.message)" "GET_FEATURES: interrupted while waiting for the reply (SIG$sig)" \
		"$what: which says what it was waiting for, and why it stopped"
	like "$(cat "$TMP/err")" "vhuctl: stopped by SIG$sig" "$what: stderr says how the run ended"
}

# Results to a file (written in blocks): SIGTERM while waiting for a reply
# the back-end never sends.
start_fake "$S" noreply noreply noreply noreply
env --default-signal "$VHUCTL" -t 60000 "$S" -c "$CMDS" >"$TMP/out.json" 2>"$TMP/err" </dev/null &
V=$!
wait_log 1	# GET_FEATURES has been sent: vhuctl waits for the reply
kill -TERM "$V"
wait "$V"
check_killed "file" TERM $? "$TMP/out.json"

# To a pipe (written per object), and SIGINT.
mkfifo "$TMP/pipe"
cat "$TMP/pipe" >"$TMP/piped.json" &
C=$!
# (A script's background job starts with SIGINT ignored, and vhuctl leaves
# an ignored signal ignored, as nohup expects: each case here starts vhuctl
# with every signal at its default, as a terminal's foreground job has it,
# whatever this test inherited.)
env --default-signal "$VHUCTL" -t 60000 "$S" -c "$CMDS" >"$TMP/pipe" 2>"$TMP/err" </dev/null &
V=$!
wait_log 2
kill -INT "$V"
wait "$V"
rc=$?
wait "$C"
check_killed "pipe" INT $rc "$TMP/piped.json"

# The results are in the file before the signal: a wait never holds them.
env --default-signal "$VHUCTL" -t 60000 "$S" -c "$CMDS" >"$TMP/out.json" 2>"$TMP/err" </dev/null &
V=$!
wait_log 3
wait_lines "$TMP/out.json" 2 30
ok $? "file: results written before the wait ends (not only at exit)"
kill -HUP "$V"
wait "$V"
check_killed "SIGHUP" HUP $? "$TMP/out.json"

# An ignored signal stays ignored (nohup, a script's background job).
"$VHUCTL" -t 60000 "$S" -c "$CMDS" >"$TMP/out.json" 2>"$TMP/err" </dev/null &
V=$!
wait_log 4
kill -INT "$V"	# ignored: a background job of this script
kill -TERM "$V"
wait "$V"
is $? 143 "SIGINT, ignored when vhuctl started, stays ignored; SIGTERM still ends it"

# Commands from a pipe that stays open: a signal ends the wait for input.
mkfifo "$TMP/in"
env --default-signal "$VHUCTL" -t 60000 "$S" <"$TMP/in" >"$TMP/out.json" 2>"$TMP/err" &
V=$!
exec 3>"$TMP/in"
echo "mem add 1M" >&3
wait_lines "$TMP/out.json" 1 30
ok $? "stdin: a command from the pipe runs at once"
kill -TERM "$V"
wait "$V"
is $? 143 "stdin: SIGTERM ends a wait for more commands"
exec 3>&-
is "$(jq -r .command "$TMP/out.json" | tr '\n' ' ')" "mem add " "stdin: the results are there"
stop_fake

# --echo: the command lines and the results, in the order they happened,
# when they share a file.
run_vhuctl --echo -c 'mem add 1M; mem list; sleep 1'
ran_ok "echo session succeeds"
"$VHUCTL" --echo -c 'mem add 1M; mem list; sleep 1' >"$TMP/both" 2>&1
is "$(sed 's/^\(+ [a-z ]*\).*/\1/; s/^{"command":"\([a-z ]*\)".*/= \1/' "$TMP/both" | tr '\n' '|')" \
	"+ mem add |= mem add|+ mem list|= mem list|+ sleep |= sleep|" "echo lines and results in order in one file"

done_testing
