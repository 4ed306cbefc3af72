#!/bin/bash
# text.sh - the text view (--output=text) against golden files, -q, --version,
# and the one style of usage errors. A session against qemu-storage-daemon,
# normalised (timings, addresses, paths) and compared with tests/golden/.
# After a change of the text view that is meant, TEXT_GOLDEN_WRITE=1 writes
# the golden files anew (make check TESTS=tests/text.sh TEXT_GOLDEN_WRITE=1):
# read their diff before committing it.
. "${top_srcdir:-.}/tests/lib.sh"

GOLDEN=${top_srcdir:-.}/tests/golden

# golden NAME FILE DESCRIPTION: FILE is tests/golden/NAME, or the diff is shown.
golden() {
	[ -n "${TEXT_GOLDEN_WRITE:-}" ] && cp "$2" "$GOLDEN/$1"
	if diff -u "$GOLDEN/$1" "$2" >"$TMP/diff"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		sed 's/^/#   /' "$TMP/diff" | head -n 60
	fi
}

# What changes from run to run: round trips, our mmap addresses (digit for
# digit, so that tables stay aligned), the fds vhuctl holds (their numbers
# depend on what the test harness leaves open), paths.
normalise() {
	sed -e "s|$TMP|TMP|g" \
	    -e 's/([0-9.]* µs)/(T µs)/g' \
	    -e 's/0x7[0-9a-f]\{11\}/0x7fXXXXXXXXXX/g' \
	    -e 's/\(rtt_us: *\)[0-9.]*/\1T/' \
	    -e 's/\(open_fds: *\)[0-9]*/\1N/' \
	    -e 's/^\(  fd: *\)[0-9]*/\1N/' \
	    -e 's/\(0x7fX* *\) [0-9]\( \)/\1 N\2/' \
	    -e 's/ fd=[0-9]* / fd=N /'
}

IMG=$TMP/disk.img
S=$TMP/blk.sock
truncate -s 1M "$IMG"
printf 'vhuctl was here' | dd of="$IMG" bs=512 seek=5 conv=notrunc 2>/dev/null
start_qsd "$IMG" "$S"

# --- a session, as a person sees it -------------------------------------------
cat >"$TMP/session.vhu" <<'VHU'
get-features
get-queue-num
get-config size=60
status
start
blk read 5
vring dump 0 count=4
mem read 0x1220 32
mem read 0x10000000 4
VHU
run_vhuctl --output=text --device blk "$S" -f "$TMP/session.vhu"
is "$RC" 1 "the session ends with its failing mem read"
printf '%s\n' "$OUT" | normalise >"$TMP/session.out"
golden text-session.out "$TMP/session.out" "the text view of a session: request lines, status, start's steps, a ring, hexdumps"
printf '%s\n' "$ERR" | normalise >"$TMP/session.err"
golden text-session.err "$TMP/session.err" "the failure is the located message on stderr"
ok $(printf '%s\n' "$OUT" | grep -q 'error\|0x10000000'; echo $((!$?))) "and nothing of it on stdout"
# The golden file holds what the text view promises: spot checks that it is
# not a golden file of something else.
like "$(cat "$TMP/session.out")" "GET_QUEUE_NUM → 1 (T µs)" "a request is one line: name, answer, round trip"
like "$(cat "$TMP/session.out")" "00000000: 7668 7563 746c 2077 6173 2068 6572 6500  vhuctl was here." "data is an xxd hexdump"
like "$(cat "$TMP/session.out")" "00001220: 7668 7563 746c 2077 6173 2068 6572 6500  vhuctl was here." "mem read dumps at the guest address"
# The same session as JSON says the same things (every object is checked
# against the schema at the end, those of the text view included).
run_vhuctl --device blk "$S" -f "$TMP/session.vhu"
is "$(printf '%s\n' "$OUT" | jq -r 'select(.command == "get-queue-num") | .reply.payload.u64')" 1 \
	"off a terminal the default is JSON, unchanged"
is "$(printf '%s\n' "$OUT" | wc -l)" 9 "one object per command, the failure's too"
run_vhuctl --output=json-pretty --device blk "$S" -c 'get-queue-num'
is "$(printf '%s\n' "$OUT" | sed -n 2p)" '  "command": "get-queue-num",' "--output=json-pretty indents"
run_vhuctl --json=pretty --device blk "$S" -c 'get-queue-num'
is "$(printf '%s\n' "$OUT" | sed -n 2p)" '  "command": "get-queue-num",' "--json=pretty is --output=json-pretty"
run_vhuctl --output=text "$S" -c 'help get-features format=json'
is "$(printf '%s\n' "$OUT" | jq -r .topic)" get-features "help format=json is JSON in a text session"

# Nothing is lost: every value of a result that has no view of its own (and
# of status) is in the text, bit names as the view shortens them. The JSON
# is the copy the text view itself logged, so the values are the same run's.
: >"$TMP/seen.json"
VHUCTL_JSON_LOG=$TMP/seen.json run_vhuctl --output=text --device blk "$S" -c 'start; status; blk read 5; mem list; blk id'
ran_ok "a session of results shown member by member"
cat "$TMP/seen.json" >>"$VHUCTL_JSON_LOG"
jq -r 'select(.command == "status" or .command == "blk read" or .command == "mem list" or .command == "blk id")
	| del(.schema_version, .ok, .command, .data)
	| paths(scalars) as $p | getpath($p) | tostring | sub("^.*?_F_"; "")' "$TMP/seen.json" | sort -u >"$TMP/values"
missing=$(while IFS= read -r v; do grep -qF -- "$v" "$TMP/out" || printf '%s ' "$v"; done <"$TMP/values")
is "$missing" "" "every value of status, blk read, mem list and blk id is in the text ($(wc -l <"$TMP/values") values)"
ok $(( $(wc -l <"$TMP/values") > 40 ? 0 : 1 )) "…and there are values to look for"

# A result with no renderer of its own shows every member, nested ones too.
run_vhuctl --output=text -c 'timeout; expect .timeout_ms == 5000; expect .timeout_ms > 9000'
is "$(printf '%s\n' "$OUT" | sed -n 2,3p | tr '\n' '|')" 'expect .timeout_ms == 5000: holds (found 5000)|expect .timeout_ms > 9000: does not hold (found 5000)|' \
	"expect in text: the assertion, whether it held, what it found"
run_vhuctl --output=text -c 'mem add 64K; mem list; timeout'
printf '%s\n' "$OUT" | normalise >"$TMP/generic.out"
golden text-generic.out "$TMP/generic.out" "results without a renderer: member by member, tables for lists"

# --- events: one line each ----------------------------------------------------
FS=$TMP/fake.sock
start_fake "$FS" ok ok ok "backend=4,payload=0100000000000000"
run_vhuctl --output=text --device blk "$FS" -c \
	'get-protocol-features; set-protocol-features REPLY_ACK,BACKEND_REQ; set-backend-req-fd; get-features; backend-wait count=1'
ran_ok "a session with a back-end request, as text"
is "$(printf '%s\n' "$OUT" | grep -c '^event ')" 1 "the event is one line"
like "$(printf '%s\n' "$OUT" | grep '^event ')" "event backend-request: request=BACKEND_VRING_CALL" "naming the event and its request"
stop_fake

# --- -q: failures only ------------------------------------------------------
cat >"$TMP/ok.vhu" <<'VHU'
get-features
get-queue-num
mem add 64K
mem read 0x0 16
VHU
run_vhuctl -q --device blk "$S" -f "$TMP/ok.vhu"
ran_ok "-q: a script that works"
is "$OUT" "" "-q: it prints nothing"
run_vhuctl -q --device blk "$S" -c 'get-queue-num; mem read 0x10000000 4'
is "$RC" 1 "-q: a script that fails"
is "$(printf '%s\n' "$OUT" | wc -l)" 1 "-q: one object, the failure's"
is "$(printf '%s\n' "$OUT" | jq -c '[.command, .ok, .error.code]')" '["mem read",false,"EFAULT"]' "-q: the error object"
like "$ERR" "error: 0x10000000+4 is not inside one memory region" "-q: and the located message"
run_vhuctl -q --output=text --device blk "$S" -c 'get-queue-num; mem read 0x10000000 4'
is "$OUT" "" "-q with text: the failure is on stderr only"
start_fake "$FS" ok ok ok "backend=4,payload=0100000000000000"
run_vhuctl -q --device blk "$FS" -c \
	'get-protocol-features; set-protocol-features REPLY_ACK,BACKEND_REQ; set-backend-req-fd; get-features; backend-wait count=1'
ran_ok "-q: a session with a back-end request"
is "$OUT" "" "-q: events are not printed either"
stop_fake

# --- --version ----------------------------------------------------------------
run_vhuctl --version
ran_ok "--version"
printf '%s\n' "$OUT" >"$TMP/version.json"
python3 "${top_srcdir:-.}/tests/schema.py" "${top_srcdir:-.}/schema/vhuctl.schema.json" "$TMP/version.json" >"$TMP/why" 2>&1
ok $? "--version off a terminal is a JSON object the schema accepts"
is "$(jq -r '[.command, .ok, .version] | @tsv' "$TMP/version.json")" "$(printf 'version\ttrue\t%s' "$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"/\1/p' "$top_builddir/config.h")")" \
	"--version: the command, ok, the version"
want=$(pkg-config --modversion json-c 2>/dev/null || dpkg-query -W -f '${Version}' libjson-c5 2>/dev/null)
like "$want" "$(jq -r .features.json_c "$TMP/version.json")" "--version names json-c's version ($want)"
like "$(jq -r .features.readline "$TMP/version.json")" "." "--version names readline's version"
is "$(jq -r .features.vhost_user_spec "$TMP/version.json")" \
	"$(sed -n 's/^#define VHU_SPEC_REVISION[[:space:]]*"\(.*\)"/\1/p' "${top_srcdir:-.}/src/core/proto.h")" \
	"--version names the spec revision of core/proto.h"
is "$(jq -c '[.features.sanitizers, .features.fuzzing, .features.schema_version]' "$TMP/version.json")" \
	"[$(grep -q '^#define BUILD_SANITIZERS 1' "$top_builddir/config.h" && echo true || echo false),$(grep -q '^#define BUILD_FUZZING 1' "$top_builddir/config.h" && echo true || echo false),1]" \
	"--version says how it was built, and the schema version"
run_vhuctl --output=text --version
is "$(printf '%s\n' "$OUT" | head -n 1)" "vhuctl $(jq -r .version "$TMP/version.json")" "--version as text: vhuctl VERSION first"
like "$OUT" "  json_c:          $(jq -r .features.json_c "$TMP/version.json")" "…then aligned feature lines"
run_vhuctl -V --json=compact -o json-pretty
is "$(printf '%s\n' "$OUT" | sed -n 2p)" '  "command": "version",' "--version follows --output wherever it comes"

# --- usage errors: one style, exit 2 ------------------------------------------
bad_usage() {	# bad_usage MESSAGE ARGS...: vhuctl: MESSAGE, the hint, 2, nothing on stdout
	local want=$1; shift
	run_vhuctl "$@"
	is "$RC/$OUT/$ERR" "2//vhuctl: $want"$'\n'"Try 'vhuctl --help'." "usage error: vhuctl $*"
}
bad_usage "unknown or ambiguous option '--bogus'" --bogus
bad_usage "unknown or ambiguous option '--no'" --no
bad_usage "unknown option '-x'" -x
bad_usage "option '--timeout' needs an argument" --timeout
bad_usage "option '-c' needs an argument" -c
bad_usage "option '--no-ack' takes no argument" --no-ack=yes
bad_usage "--timeout wants milliseconds (1..3600000), not '0'" -t 0
bad_usage "--output is json, json-pretty or text, not 'yaml'" --output=yaml
bad_usage "--json is pretty or compact, not 'text'" --json=text
bad_usage "--color is auto, always or never, not 'red'" --color=red
bad_usage "unknown device type 'blck' (did you mean 'blk'? one of: net, blk, console, rng, scsi, gpu, input, vsock, crypto, sound, fs, i2c, gpio, or a virtio device ID)" --device=blck
bad_usage "one SOCKET at most (got 'b.sock' too)" a.sock b.sock
bad_usage "--listen and a SOCKET to connect to exclude each other" --listen "$TMP/l.sock" a.sock
bad_usage "$TMP/none.vhu: No such file or directory" -f "$TMP/none.vhu"
# ...and no message of vhuctl.c's own escapes that style.
grep -n 'fprintf(stderr, "vhuctl: ' "${top_srcdir:-.}/src/shell/vhuctl.c" >"$TMP/stray"
is "$(cat "$TMP/stray")" "" "vhuctl.c says every usage error through usage_error()"

done_testing
