#!/bin/bash
# cli.sh - invocation, output modes, located errors and exit status, no back-end needed.
. "${top_srcdir:-.}/tests/lib.sh"

run_vhuctl --version
ran_ok "--version exits 0"
is "$(printf '%s\n' "$OUT" | jq -r '.command + " " + .version')" "version $(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"/\1/p' "$top_builddir/config.h")" \
	"--version on a pipe is a JSON result with the version (tests/text.sh has more)"
run_vhuctl --version --output=text
like "$OUT" "vhuctl " "--version as text prints the name"
run_vhuctl --help
like "$OUT" "Usage: vhuctl [OPTIONS] [SOCKET]" "--help prints usage"
run_vhuctl --bogus
is "$RC" 2 "unknown option: exit 2"
run_vhuctl --json=yaml -c status
is "$RC" 2 "bad --json value: exit 2"
run_vhuctl a.sock b.sock
is "$RC" 2 "two sockets: exit 2"
run_vhuctl -f "$TMP/does-not-exist.vhu"
is "$RC" 2 "unreadable script: exit 2"
like "$ERR" "does-not-exist.vhu: No such file or directory" "unreadable script named"
run_vhuctl -t abc -c status
is "$RC" 2 "bad timeout: exit 2"
# 0 is refused: it once meant SO_RCVTIMEO {0, 0}, a wait for ever.
run_vhuctl -t 0 -c status
is "$RC" 2 "--timeout 0: exit 2"
like "$ERR" "--timeout wants milliseconds (1..3600000), not '0'" "--timeout 0: the range is named"
run_vhuctl -t 3600001 -c status
is "$RC" 2 "--timeout 3600001: exit 2"
run_vhuctl --help
like "$OUT" "bound on each command, 1..3600000 ms" "--help gives the range"
run_vhuctl -c 'timeout 0; timeout'
is "$RC/$(jline 1 | jq -r .error.code)" 1/ERANGE "'timeout 0' is an error"
like "$ERR" "the timeout is 1..3600000 ms" "'timeout 0': the range is named"
run_vhuctl -c 'timeout 1; timeout 3600000'
is "$(jline 2 | jq -r .timeout_ms)" 3600000 "'timeout' takes 1 and 3600000"

# Unknown command, with a suggestion and a located error on stderr.
run_vhuctl -c 'get-feature'
is "$RC" 3 "unknown command: exit 3, the script is invalid"
like "$ERR" "command line:1:1: error: unknown command 'get-feature' (did you mean 'get-features'?)" "unknown command located"
is "$(jline 1 | jq -c '[.command, .ok, .error.code]')" '["get-feature",false,"EINVAL"]' "error object on stdout names the command"
is "$(printf '%s\n' "$ERR" | sed -n 3p)" "^~~~~~~~~~~" "caret under the bad token"

# Spec spelling is accepted; arguments are typed.
run_vhuctl -c 'GET_FEATURES'
like "$ERR" "GET_FEATURES: not connected (use 'connect PATH')" "spec spelling runs the command"
is "$(jline 1 | jq -r .error.code)" ENOTCONN "not connected: ENOTCONN"
run_vhuctl -c 'set-vring-num 0 abc'
like "$ERR" "command line:1:17: error: 'abc' is not a valid number for 'num'" "bad number located at the argument"
run_vhuctl -c 'set-vring-num 0'
like "$ERR" "missing argument 'num'" "missing argument named"
run_vhuctl -c 'set-vring-num 0 1 2'
like "$ERR" "command line:1:19: error: unexpected argument '2'" "extra argument located"
run_vhuctl -c 'set-features VIRTIO_F_VERSION_2'
like "$ERR" "unknown feature name 'VIRTIO_F_VERSION_2'" "unknown feature name"
run_vhuctl -c 'set-protocol-features REPLY_ACK,NOPE'
like "$ERR" "unknown protocol feature name 'NOPE'" "unknown protocol feature name"
run_vhuctl -c 'set-vring-enable 0 maybe'
like "$ERR" "'maybe' is not on/off for 'enable'" "bad boolean"
run_vhuctl -c 'help "unterminated'
like "$ERR" "command line:1:6: error: unterminated quoted string" "unterminated quote located"

# Waits the user bounds are bounded too: no timeout of 3 million seconds.
run_vhuctl -c 'vring wait 0 timeout=3000000000'
like "$ERR" "command line:1:14: error: timeout is at most 3600000 ms" "vring wait refuses an unbounded timeout"
run_vhuctl -c 'net recv timeout=99999999999'
like "$ERR" "timeout is at most 3600000 ms" "net recv refuses an unbounded timeout"

# Values are checked against the field they go into, never cut short.
run_vhuctl -c 'get-inflight-fd 70000'
like "$ERR" "command line:1:17: error: num_queues=70000 is over 65535, the most the field holds" "a u16 field refuses 70000"
run_vhuctl -c 'start size=65792'
like "$ERR" "size=65792 is over 32768" "start refuses a ring size that would wrap to 256"
run_vhuctl -c 'iotlb-msg iova=0 size=1 uaddr=0 perm=300'
like "$ERR" "perm=300 is over 255" "a u8 field refuses 300"

# Indexes people type are checked against what they index, in the argument
# spec: the session's 256 rings, its 64 memory regions, the 8-bit ring index
# of kick/call/err. (vring setup 4294967295 once indexed past the rings.)
while IFS='|' read -r c most; do
	run_vhuctl -c "$c"
	is "$RC/$(jline 1 | jq -r .error.code)" 3/ERANGE "'$c': exit 3 with an ERANGE error object, not a crash"
	like "$ERR" "is over $most, the most" "'$c': the index is refused"
done <<'CASES'
vring setup 4294967295|255
vring setup 256 size=8|255
vring post 4294967295 out=00|255
vring kick 4294967295|255
vring wait 256 timeout=1|255
vring used 4294967295 wait|255
vring dump 65536|255
set-vring-kick 256|255
set-vring-call 4294967295 nofd|255
mem remove 4294967295|63
add-mem-reg 64|63
rem-mem-reg region=4294967295|63
CASES

# Scripts: comments, blank lines, stop at the first failure, FILE:LINE:COL.
cat >"$TMP/s.vhu" <<'VHU'
# memory for the guest
mem add 1M

mem add 64K gpa=0x100000 # trailing comment
mem add 4K gpa=0x100000
mem list
VHU
run_vhuctl -f "$TMP/s.vhu"
is "$RC" 1 "script: overlap fails"
is "$(printf '%s\n' "$OUT" | wc -l)" 3 "script: two results and one error, then stop"
like "$ERR" "$TMP/s.vhu:5:" "script: error names file and line"
like "$ERR" "overlaps an existing one" "script: overlap explained"
is "$(jline 3 | jq -c '[.error.file, .error.line]')" "[\"$TMP/s.vhu\",5]" "script: error object has file and line"
run_vhuctl --keep-going -f "$TMP/s.vhu"
is "$RC" 1 "keep-going: still exit 1"
is "$(jline 4 | jq -r '.command')" "mem list" "keep-going: ran the rest"
is "$(jline 4 | jq -c '[.regions[].memory_size]')" '[1048576,65536]' "mem list shows the regions (sizes are numbers)"
is "$(jline 4 | jq -c '.regions[0].seals')" '["SHRINK","GROW","SEAL"]' "memfd regions are sealed against shrinking and growing"

# Located errors in scripts: exact FILE:LINE:COL, the line, and a caret.
check_script() {	# check_script CONTENT WANT-LOCATION WANT-MESSAGE DESCRIPTION
	printf '%b' "$1" >"$TMP/loc.vhu"
	run_vhuctl --keep-going -f "$TMP/loc.vhu"
	like "$ERR" "$TMP/loc.vhu:$2: error: $3" "$4"
}
check_script 'mem list\n\n  get-feature\n' "3:3" "unknown command 'get-feature' (did you mean 'get-features'?)" "script: unknown command at 3:3"
check_script '# ring\nset-vring-num 0 25x6\n' "2:17" "'25x6' is not a valid number for 'num'" "script: bad number at 2:17"
check_script 'mem list\nset-vring-addr 1 desc=0 used=0\n' "2:31" "missing argument 'avail'" "script: missing argument just past the line's end"
check_script 'mem list\nhelp "set-vring\nmem list\n' "2:6" "unterminated quoted string" "script: unterminated quote at 2:6"
is "$(printf '%s\n' "$OUT" | jq -s -c '[.[] | .command // .error.code]')" '["EINVAL"]' "script: a line that does not parse stops the whole script before it runs, --keep-going or not"
is "$(printf '%s\n' "$ERR" | sed -n 2,3p | tr '\n' '|')" 'help "set-vring|     ^|' "script: the source line and a caret"
printf 'mem add 4K\nsource %s\nmem list\n' "$TMP/loc.vhu" >"$TMP/outer.vhu"
run_vhuctl -f "$TMP/outer.vhu"
like "$ERR" "$TMP/loc.vhu:2:6: error: unterminated quoted string" "source: the inner file's error is located"
is "$(printf '%s\n' "$OUT" | jq -s -c '[.[] | select(.ok)] | length')" 0 "source: nothing of the outer script ran (mem add 4K came first)"
is "$RC" 3 "source: an error inside makes the run invalid"
printf 'source %s\n' "$TMP/self.vhu" >"$TMP/self.vhu"
run_vhuctl -f "$TMP/self.vhu"
like "$ERR" "'source' nested more than 8 deep" "source: nesting is bounded"

# stdin that is not a terminal is a script; output is one object per line.
OUT=$(printf 'mem add 1M\nmem list\n' | timeout 20 "$VHUCTL")
is "$(printf '%s\n' "$OUT" | wc -l)" 2 "stdin script: one line per command"
is "$(printf '%s\n' "$OUT" | jq -c . | tr -d '\n')" "$(printf '%s\n' "$OUT" | tr -d '\n')" "compact output is jq -c's form"
OUT=$(printf 'mem add 1M\n' | timeout 20 "$VHUCTL" --json=pretty)
ok $(( $(printf '%s\n' "$OUT" | wc -l) > 3 ? 0 : 1 )) "--json=pretty spreads an object over lines"
like "$OUT" '"memory_size": 1048576' "--json=pretty is valid, spaced JSON"
OUT=$(printf 'mem add 1M\n' | timeout 20 "$VHUCTL" -f -)
is "$(printf '%s' "$OUT" | jq -r .memory_size)" 1048576 "-f - reads stdin"

# Colour: keys, strings and numbers when asked; never on a pipe by default.
OUT=$(timeout 20 "$VHUCTL" --json=pretty --color=always -c 'mem add 4K')
like "$OUT" $'\033[34;1m"memory_size"' "--color=always colours keys"
like "$OUT" $'\033[32m"0x0"' "--color=always colours strings"
like "$OUT" $'\033[33m4096' "--color=always colours numbers"
OUT=$(timeout 20 "$VHUCTL" --json=pretty -c 'mem add 4K')
ok $(printf '%s' "$OUT" | grep -q $'\033'; echo $((!$?))) "no colour on a pipe"
OUT=$(NO_COLOR=1 timeout 20 "$VHUCTL" --json=pretty --color=never -c 'mem add 4K')
ok $(printf '%s' "$OUT" | grep -q $'\033'; echo $((!$?))) "--color=never: none"

# -c with several commands, repeatable -c; quit stops.
run_vhuctl -c 'mem add 4K; mem add 4K' -c 'mem list; quit; mem list'
is "$(printf '%s\n' "$OUT" | wc -l)" 3 "-c runs each command; quit stops"

# No expansion of any kind.
run_vhuctl -c 'help "$(touch '"$TMP"'/pwned)"'
ok $([ ! -e "$TMP/pwned" ]; echo $?) "\$(...) is never run"
like "$ERR" "unknown command '\$(touch" "\$(...) is just text"

# Output to a closed pipe ends quietly, no SIGPIPE death.
timeout 20 "$VHUCTL" -c 'mem add 4K; mem list; mem list; mem list' 2>/dev/null | head -c 1 >/dev/null
st=${PIPESTATUS[0]}
ok $(( st < 128 ? 0 : 1 )) "closed stdout is not a signal death (status $st)"

# A socket that does not exist, or is not listening.
run_vhuctl "$TMP/nope.sock" -c status
is "$RC" 5 "missing socket: exit 5 (connection)"
like "$ERR" "no such socket (is the back-end running?)" "missing socket explained"

# help for every command works: its JSON names it and its usage, so does
# COMMAND --help's, and its text (format=text) starts with the usage.
bad=
while IFS= read -r c; do
	h=$(timeout 20 "$VHUCTL" -c "help \"$c\"" 2>&1 | jq -r '[.command, .topic, .usage] | join("|")')
	case "$h" in "help|$c|$c"*) ;; *) bad="$bad [help $c: $h]" ;; esac
	h=$(timeout 20 "$VHUCTL" -c "$c --help" 2>&1 | jq -r '[.command, .topic, .usage] | join("|")')
	case "$h" in "help|$c|$c"*) ;; *) bad="$bad [$c --help: $h]" ;; esac
	h=$(timeout 20 "$VHUCTL" -c "help \"$c\" format=text" 2>&1)
	case "$h" in "usage: $c"*) ;; *) bad="$bad [help $c format=text]" ;; esac
done < <("$VHUCTL" --list-commands | cut -f1)
is "$bad" "" "help, --help and help format=text work for every command in --list-commands"
is "$("$VHUCTL" --list-commands | cut -f1 | grep -c -- '^[a-z]')" "$("$VHUCTL" --list-commands | wc -l)" "command names are lower case"
n=0
while IFS= read -r c; do
	timeout 20 "$VHUCTL" -c "help \"$c\" format=text" 2>/dev/null | grep -q '^Sends VHOST_USER_' && n=$((n + 1))
done < <("$VHUCTL" --list-commands | cut -f1)
is "$n" 44 "one command per front-end request, 44 in all"

done_testing
