#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# docs.sh - TAP: the man page and the shell completions against the binary's
# own tables (--list-commands, 'help CMD', --help) and src/core/proto.c.
#
# Run by automake's tap-driver with VHUCTL (the binary) and top_srcdir set;
# by hand: VHUCTL=/path/to/vhuctl top_srcdir=. bash tests/docs.sh
# Failures are 'not ok' lines; the exit status is 0 unless the test itself
# cannot run.

# Run by a plain sh (SH_LOG_COMPILER=$(SHELL), say): go on in bash.
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi

set -u
export LC_ALL=C

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
MAN=$top_srcdir/man/vhuctl.1
BASHCOMP=$top_srcdir/completions/vhuctl
ZSHCOMP=$top_srcdir/completions/_vhuctl
PROTO=$top_srcdir/src/core/proto.c

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
diag() { sed 's/^/# /'; }
# check DESCRIPTION PROBLEMS: ok when PROBLEMS is empty, else not ok plus them.
check() {
	if [ -z "$2" ]; then
		ok "$1"
	else
		not_ok "$1"
		printf '%s\n' "$2" | diag
	fi
}

if [ -z "${VHUCTL:-}" ] || [ ! -x "$VHUCTL" ]; then
	echo "1..0 # SKIP VHUCTL is not set to the vhuctl binary"
	exit 0
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# Lines of man-page section $1 (".SH NAME" up to the next ".SH").
section() {
	awk -v want="$1" '
		/^\.SH / { s = $0; sub(/^\.SH +/, "", s); gsub(/"/, "", s); on = (s == want); next }
		on' "$MAN"
}

# troff text to plain text: fonts, \- \(aq \(dq \& \% \c, then \e.
unesc() {
	sed -e 's/\\f[BIRP]//g' -e 's/\\f([A-Z][A-Z]//g' -e 's/\\f\[[^]]*\]//g' \
	    -e 's/\\-/-/g' -e "s/\\\\(aq/'/g" -e 's/\\(dq/"/g' \
	    -e 's/\\&//g' -e 's/\\%//g' -e 's/\\c$//' -e 's/\\e/\\/g'
}

# --- the binary's tables ----------------------------------------------------
"$VHUCTL" --list-commands >"$tmp/list" 2>"$tmp/list.err"
rc=$?
cut -f1 "$tmp/list" >"$tmp/cmds"
if [ $rc -eq 0 ] && [ -s "$tmp/cmds" ] && ! grep -qv $'\t' "$tmp/list"; then
	ok "vhuctl --list-commands prints NAME<TAB>SUMMARY lines ($(wc -l <"$tmp/cmds") commands)"
else
	not_ok "vhuctl --list-commands prints NAME<TAB>SUMMARY lines (status $rc)"
	diag <"$tmp/list.err"
fi

# help for each command: usage line, and the request it sends, if any.
: >"$tmp/usage"
: >"$tmp/bin-reqs"
help_err=
while IFS=$'\t' read -r name _; do
	if ! "$VHUCTL" -c "help '$name' format=text" >"$tmp/help" 2>/dev/null; then
		help_err+="'help $name' failed"$'\n'
		continue
	fi
	u=$(sed -n 's/^usage: //p' "$tmp/help")
	printf '%s\t%s\n' "$name" "$u" >>"$tmp/usage"
	sed -n 's/^Sends VHOST_USER_\([A-Z0-9_]*\) (front-end request \([0-9]*\)).*/\2\tVHOST_USER_\1/p' "$tmp/help" |
		sed "s/\$/\t$name/" >>"$tmp/bin-reqs"
done <"$tmp/list"
check "'help CMD' works for every command" "${help_err%$'\n'}"

# --- (a) COMMANDS -----------------------------------------------------------
# Each command is a .TP entry: the tag line starts with its name in bold, then
# its usage; the first body line is its summary.
section COMMANDS | awk '
	prev == ".TP" && /^\\fB/ {
		e = index($0, "\\fR"); name = substr($0, 4, e - 4)
		tag = $0; want = 1; prev = $0; next
	}
	want && !/^\./ { print name "\t" tag "\t" $0; want = 0 }
	{ prev = $0 }' >"$tmp/man-entries.raw"
: >"$tmp/man-entries"
while IFS=$'\t' read -r name tag body; do
	printf '%s\t%s\t%s\n' "$(unesc <<<"$name")" "$(unesc <<<"$tag")" "$(unesc <<<"$body")" >>"$tmp/man-entries"
done <"$tmp/man-entries.raw"
cut -f1 "$tmp/man-entries" >"$tmp/man-cmds"

if [ ! -s "$tmp/man-cmds" ]; then
	not_ok "man page has a COMMANDS section with .TP entries"
else
	ok "man page has a COMMANDS section with .TP entries ($(wc -l <"$tmp/man-cmds"))"
fi

missing=$(grep -vxF -f "$tmp/man-cmds" "$tmp/cmds" | sed 's/^/undocumented command: /')
check "every command of --list-commands is in COMMANDS" "$missing"

extra=$(grep -vxF -f "$tmp/cmds" "$tmp/man-cmds" | sed 's/^/not a command: /')
dups=$(sort "$tmp/man-cmds" | uniq -d | sed 's/^/documented twice: /')
check "every command in COMMANDS is a real command, once" "$extra${extra:+${dups:+$'\n'}}$dups"

bad=
while IFS=$'\t' read -r name u; do
	tag=$(awk -F'\t' -v n="$name" '$1 == n { print $2; exit }' "$tmp/man-entries")
	[ -z "$tag" ] && continue	# reported above
	[ "$tag" = "$u" ] || bad+="$name: man '$tag', help '$u'"$'\n'
done <"$tmp/usage"
check "COMMANDS usage lines match 'help CMD'" "${bad%$'\n'}"

bad=
while IFS=$'\t' read -r name summary; do
	body=$(awk -F'\t' -v n="$name" '$1 == n { print $3; exit }' "$tmp/man-entries")
	[ -z "$body" ] && continue
	case $body in
	*"$summary"*) ;;
	*) bad+="$name: summary '$summary' not in '$body'"$'\n' ;;
	esac
done <"$tmp/list"
check "COMMANDS summaries match --list-commands" "${bad%$'\n'}"

# --- (b) REQUESTS -----------------------------------------------------------
nums=$(cut -f1 "$tmp/bin-reqs" | sort -n | tr '\n' ' ')
want=$(seq 1 44 | tr '\n' ' ')
if [ "$nums" = "$want" ]; then
	ok "request commands send front-end requests 1-44, one each"
else
	not_ok "request commands send front-end requests 1-44, one each"
	echo "got: $nums" | diag
fi

# Tab-separated rows of the REQUESTS tables: TABLE NUM NAME REPLY [COMMAND].
section REQUESTS | awk -F'\t' '
	/^\.TS/ { t++; fmt = 1; next }
	/^\.TE/ { fmt = 0; t += 0; intab = 0; next }
	fmt { if (/\.[[:space:]]*$/) { fmt = 0; intab = 1 } next }
	intab && $1 ~ /^[0-9]+$/ { print t "\t" $0 }' | unesc >"$tmp/man-reqs"
awk -F'\t' '$1 == 1 { print $2 "\t" $3 }' "$tmp/man-reqs" | sort -n >"$tmp/man-front"
cut -f1,2 "$tmp/bin-reqs" | sort -n >"$tmp/bin-front"
bad=$(diff "$tmp/bin-front" "$tmp/man-front" | sed -n 's/^< /missing or wrong in REQUESTS: /p; s/^> /REQUESTS has, binary does not: /p')
check "REQUESTS lists front-end requests 1-44 with the binary's VHOST_USER_ names" "$bad"

awk -F'\t' '$1 == 1 { print $2 "\t" $5 }' "$tmp/man-reqs" | sort -n >"$tmp/man-front-cmd"
awk -F'\t' '{ print $1 "\t" $3 }' "$tmp/bin-reqs" | sort -n >"$tmp/bin-front-cmd"
bad=$(diff "$tmp/bin-front-cmd" "$tmp/man-front-cmd" | sed -n 's/^< /binary: /p; s/^> /man: /p')
check "REQUESTS names the command that sends each request" "$bad"

# The reply column and the back-end table against the table in src/core/proto.c.
if [ -r "$PROTO" ]; then
	sed -nE 's/^[[:space:]]*\{ *([0-9]+), *"([A-Z0-9_]+)",.*SIDE_(FRONTEND|BACKEND),.*(REPLY_[A-Z_]+),.*/\3\t\1\tVHOST_USER_\2\t\4/p' "$PROTO" |
		sed -e 's/\tREPLY_ALWAYS$/\talways/' -e 's/\tREPLY_ACK_ONLY$/\tack/' -e 's/\tREPLY_IF_LOG_SHMFD$/\tLOG_SHMFD/' \
		    -e 's/^FRONTEND/1/' -e 's/^BACKEND/2/' | sort -k1,1n -k2,2n >"$tmp/proto-reqs"
	cut -f1-4 "$tmp/man-reqs" | sort -k1,1n -k2,2n >"$tmp/man-reqs4"
	if [ "$(grep -c '^1' "$tmp/proto-reqs")" -lt 44 ]; then
		not_ok "REQUESTS matches src/core/proto.c (number, name, reply; back-end table too)"
		echo "could not read the request tables of $PROTO; update this test" | diag
	else
		bad=$(diff "$tmp/proto-reqs" "$tmp/man-reqs4" | sed -n 's/^< /proto.c: /p; s/^> /man: /p')
		check "REQUESTS matches src/core/proto.c (number, name, reply; back-end table too)" "$bad"
	fi
else
	skip "src/core/proto.c not found"
fi

# --- (c) OPTIONS ------------------------------------------------------------
# --help option lines: "  -c, --command ARG   help" -> the left column.
"$VHUCTL" --help >"$tmp/help-out" 2>&1
grep '^ \+-' "$tmp/help-out" | sed -e 's/^ *//' -e 's/  .*//' >"$tmp/help-left"
grep -o -- '--[a-z][a-z0-9-]*' "$tmp/help-left" | sort -u >"$tmp/help-long"
grep -oE -- '(^|[ ,])-[A-Za-z0-9]' "$tmp/help-left" | grep -o -- '-.' | sort -u >"$tmp/help-short"
section OPTIONS | awk 'prev == ".TP" { print } { prev = $0 }' | unesc >"$tmp/man-opt-tags"
grep -o -- '--[a-z][a-z0-9-]*' "$tmp/man-opt-tags" | sort -u >"$tmp/man-long"
grep -oE -- '(^|[ ,])-[A-Za-z0-9]' "$tmp/man-opt-tags" | grep -o -- '-.' | sort -u >"$tmp/man-short"
if [ ! -s "$tmp/help-long" ]; then
	not_ok "--help lists long options"
else
	ok "--help lists long options ($(wc -l <"$tmp/help-long"))"
fi
check "every option of --help is in OPTIONS" \
	"$(comm -23 "$tmp/help-long" "$tmp/man-long"; comm -23 "$tmp/help-short" "$tmp/man-short")"
check "every option in OPTIONS is in --help" \
	"$(comm -13 "$tmp/help-long" "$tmp/man-long"; comm -13 "$tmp/help-short" "$tmp/man-short")"

# The --timeout range: --help, the man page and what vhuctl takes agree.
help_range=$(grep -- '--timeout' "$tmp/help-out" | grep -oE '[0-9]+\.\.[0-9]+' | head -n 1)
man_range=$(section OPTIONS | unesc | awk '/^-t, --timeout/ { on = 1; next } on && /^\.TP/ { exit } on' |
	grep -oE '[0-9]+ to [0-9]+' | head -n 1 | sed 's/ to /../')
bad=
[ -n "$help_range" ] || bad+="--help gives no LO..HI range for --timeout"$'\n'
[ "$help_range" = "$man_range" ] || bad+="--help says '$help_range', the man page '$man_range'"$'\n'
if [ -n "$help_range" ]; then
	lo=${help_range%..*} hi=${help_range#*..}
	for t in "$lo" "$hi"; do
		"$VHUCTL" -t "$t" -c timeout >/dev/null 2>&1 || bad+="vhuctl refuses -t $t"$'\n'
	done
	for t in $((lo - 1)) $((hi + 1)); do
		"$VHUCTL" -t "$t" -c timeout >/dev/null 2>&1
		[ $? = 2 ] || bad+="vhuctl does not refuse -t $t with a usage error"$'\n'
	done
fi
check "the --timeout range agrees in --help, the man page and vhuctl (${help_range:-none})" "${bad%$'\n'}"

# --- (c2) vhuctl check: its options, its cases ----------------------------------
# The subcommand's --help against CHECK OPTIONS, as the program's against OPTIONS.
"$VHUCTL" check --help >"$tmp/check-help" 2>&1
grep '^ \+-' "$tmp/check-help" | sed -e 's/^ *//' -e 's/  .*//' >"$tmp/check-left"
grep -o -- '--[a-z][a-z0-9-]*' "$tmp/check-left" | sort -u >"$tmp/check-long"
grep -oE -- '(^|[ ,])-[A-Za-z0-9]' "$tmp/check-left" | grep -o -- '-.' | sort -u >"$tmp/check-short"
section "CHECK OPTIONS" | awk 'prev == ".TP" { print } { prev = $0 }' | unesc >"$tmp/man-check-tags"
grep -o -- '--[a-z][a-z0-9-]*' "$tmp/man-check-tags" | sort -u >"$tmp/man-check-long"
grep -oE -- '(^|[ ,])-[A-Za-z0-9]' "$tmp/man-check-tags" | grep -o -- '-.' | sort -u >"$tmp/man-check-short"
if [ -s "$tmp/check-long" ]; then
	ok "vhuctl check --help lists long options ($(wc -l <"$tmp/check-long"))"
else
	not_ok "vhuctl check --help lists long options"
fi
check "every option of vhuctl check --help is in CHECK OPTIONS" \
	"$(comm -23 "$tmp/check-long" "$tmp/man-check-long"; comm -23 "$tmp/check-short" "$tmp/man-check-short")"
check "every option in CHECK OPTIONS is in vhuctl check --help" \
	"$(comm -13 "$tmp/check-long" "$tmp/man-check-long"; comm -13 "$tmp/check-short" "$tmp/man-check-short")"
# And the cases: CHECK has an entry for each of --list, with its level,
# section and title, and for nothing else.
"$VHUCTL" check --list | awk -F'\t' '{ print $1 " (" $3 "; " $4 ")\t" $5 }' | sort >"$tmp/check-cases"
section CHECK | awk 'prev == ".TP" && /^\\fB/ { tag = $0; getline body; print tag "\t" body } { prev = $0 }' |
	unesc | sort >"$tmp/man-check-cases"
if [ "$(wc -l <"$tmp/check-cases")" -ge 60 ]; then
	ok "vhuctl check --list lists the cases ($(wc -l <"$tmp/check-cases"))"
else
	not_ok "vhuctl check --list lists the cases"
fi
check "CHECK lists every case of vhuctl check --list, with its level, section and title" \
	"$(diff "$tmp/check-cases" "$tmp/man-check-cases" | sed -n 's/^< /--list has, the man page not: /p; s/^> /the man page has, --list not: /p')"

# docs/check-matrix.md (dev/gen-matrix): a row for each case of --list, in
# its order, and for nothing else; and a verdict (not missing) in every back-end's column.
MATRIX=$top_srcdir/docs/check-matrix.md
sed -n 's/^| `\([^`]*\)` |.*/\1/p' "$MATRIX" >"$tmp/matrix-cases" 2>/dev/null
check "docs/check-matrix.md has a row for every case of vhuctl check --list, in order, and no other (dev/gen-matrix)" \
	"$(diff <("$VHUCTL" check --list | cut -f1) "$tmp/matrix-cases" | sed -n 's/^< /--list has, the matrix not: /p; s/^> /the matrix has, --list not: /p')"
check "every cell of docs/check-matrix.md has a verdict" \
	"$(grep '^| `' "$MATRIX" | awk -F' [|] ' '{ for (i = 3; i <= 5; i++) if ($i !~ /^(pass|skip|[*][*](fail|warn)[*][*])/) print $2 ": column " i ": " $i }')"

# EXIT STATUS has an entry for each status vhuctl's table has, and no other.
"$VHUCTL" --list-exit-codes | cut -f1 | sort >"$tmp/exit-codes"
section "EXIT STATUS" | awk 'prev == ".TP" && /^\.B [0-9]+$/ { print $2 } { prev = $0 }' | sort >"$tmp/man-exit-codes"
if [ -s "$tmp/exit-codes" ]; then
	check "EXIT STATUS lists every status of --list-exit-codes, and no other" \
		"$(diff "$tmp/exit-codes" "$tmp/man-exit-codes" | sed -n 's/^< /vhuctl has, the man page not: /p; s/^> /the man page has, vhuctl not: /p')"
else
	not_ok "vhuctl --list-exit-codes lists the exit statuses"
fi

# --- (d) completions mention every option -----------------------------------
for f in "$BASHCOMP" "$ZSHCOMP"; do
	miss=
	[ -r "$f" ] || miss="cannot read $f"$'\n'
	grep -Eq -- '--list-commands|--complete ' "$f" 2>/dev/null || miss+="asks vhuctl neither --list-commands nor --complete"$'\n'
	while read -r o; do
		grep -Eq -- "$o([^a-z0-9-]|\$)" "$f" 2>/dev/null || miss+="no $o"$'\n'
	done <"$tmp/help-long"
	while read -r o; do
		grep -Eq -- "$o([^a-z0-9-]|\$)" "$f" 2>/dev/null || miss+="no vhuctl check $o"$'\n'
	done <"$tmp/check-long"
	grep -q -- 'check --list' "$f" 2>/dev/null || miss+="asks vhuctl check --list nothing"$'\n'
	check "${f#"$top_srcdir"/} asks vhuctl for its commands and has every long option, vhuctl check's too" "${miss%$'\n'}"
done

# --device values offered by the completions are ones vhuctl accepts.
devs=$(sed -n "s/^ *local devices='\\([^']*\\)'.*/\\1/p" "$BASHCOMP")
bad=
[ -n "$devs" ] || bad="no 'local devices=...' line in the bash completion"
for d in $devs; do
	"$VHUCTL" --device="$d" -c device >/dev/null 2>&1 || bad+="vhuctl rejects --device=$d"$'\n'
	grep -q "[( ]${d}[ )]" "$ZSHCOMP" || bad+="zsh completion lacks device $d"$'\n'
done
check "completions offer only --device values vhuctl accepts" "${bad%$'\n'}"

# --- (e) syntax ---------------------------------------------------------------
if out=$(bash -n "$BASHCOMP" 2>&1); then ok "bash -n completions/vhuctl"; else not_ok "bash -n completions/vhuctl"; echo "$out" | diag; fi
if command -v zsh >/dev/null 2>&1; then
	if out=$(zsh -n "$ZSHCOMP" 2>&1); then ok "zsh -n completions/_vhuctl"; else not_ok "zsh -n completions/_vhuctl"; echo "$out" | diag; fi
else
	skip "zsh is not installed"
fi

if command -v groff >/dev/null 2>&1; then
	out=$(groff -t -man -Tutf8 -ww -z "$MAN" 2>&1)
	check "man page renders without groff warnings" "$out"
else
	skip "groff is not installed"
fi

# --- (f) the bash completion, run ------------------------------------------
# PATH holds vhuctl and nothing else: the completion may run no other program.
mkdir -p "$tmp/bin" "$tmp/sock"
ln -s "$VHUCTL" "$tmp/bin/vhuctl"
# complete WORDS... -> COMPREPLY, one a line (COMP_CWORD is the last word).
# shellcheck disable=SC2016 # the script is expanded by the inner bash
complete_words() {
	env -i HOME="$tmp" PATH="$tmp/bin" "$BASH" --norc --noprofile -c '
		source "$1" || exit 1
		shift
		spec=$(complete -p vhuctl 2>/dev/null)
		fn=${spec#*-F }
		fn=${fn%% *}
		[[ $spec == *"-F "* && -n $fn ]] || { echo "no complete -F for vhuctl" >&2; exit 1; }
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		COMPREPLY=()
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD-1]}
		"$fn" vhuctl "$cur" "$prev"
		printf "%s\n" "${COMPREPLY[@]}"' bash "$BASHCOMP" "$@" 2>&1
}
# expect DESCRIPTION WANTED WORDS...: WANTED must be among the completions.
expect() {
	local what=$1 wanted=$2 out
	shift 2
	out=$(complete_words "$@")
	if grep -qxF -- "$wanted" <<<"$out"; then
		ok "bash completion: $what"
	else
		not_ok "bash completion: $what"
		printf 'words: %s\nwanted: %s\ngot:\n%s\n' "$*" "$wanted" "$out" | diag
	fi
}
expect "'vhuctl -c get-fe' offers get-features" get-features vhuctl -c get-fe
expect "'vhuctl -c \"mem a' offers 'mem add'" "mem add" vhuctl -c "'mem a"
expect "'vhuctl -c \"get-features; set-ow' goes on after ';'" "get-features; set-owner" vhuctl -c "'get-features; set-ow"
# The text of -c completes as the prompt does: vhuctl --complete answers.
expect "'vhuctl -c \"set-vring-addr 0 ' offers key names" "set-vring-addr 0 desc=" vhuctl -c "'set-vring-addr 0 "
expect "'vhuctl -c \"iotlb-msg type=acc' offers the enumeration's value" "iotlb-msg type=access-fail" vhuctl -c "'iotlb-msg type=acc"
expect "'vhuctl -c \"fs raw LOO' offers a FUSE opcode from its table" "fs raw LOOKUP" vhuctl -c "'fs raw LOO"
expect "'vhuctl --device=blk -c \"set-features VIRTIO_BLK_F_FL' offers the device's feature" \
	"set-features VIRTIO_BLK_F_FLUSH" vhuctl --device=blk -c "'set-features VIRTIO_BLK_F_FL"
mkdir -p "$tmp/data"; : >"$tmp/data/frame.bin"
expect "'vhuctl -c \"net send @DIR/fr' offers the file" "net send @$tmp/data/frame.bin" vhuctl -c "'net send @$tmp/data/fr"
expect "'vhuctl -c \"start; vring post 0 out=@DIR/' offers files after ';' and '='" \
	"start; vring post 0 out=@$tmp/data/frame.bin" vhuctl -c "'start; vring post 0 out=@$tmp/data/"
expect "'vhuctl --json=p' offers pretty" pretty vhuctl --json = p
expect "'vhuctl --output=json-' offers json-pretty" json-pretty vhuctl --output = json-
expect "'vhuctl -o ' offers text" text vhuctl -o ""
expect "'vhuctl --color=' offers never" never vhuctl --color =
expect "'vhuctl --device b' offers blk" blk vhuctl --device b
expect "'vhuctl --no' offers --no-ack" --no-ack vhuctl --no
expect "'vhuctl ch' offers check" check vhuctl ch
expect "'vhuctl check --ca' offers --case-timeout=" --case-timeout= vhuctl check --ca
expect "'vhuctl check --group ' offers reply-ack" reply-ack vhuctl check --group ""
expect "'vhuctl check --only ' offers iotlb" iotlb vhuctl check --only ""
expect "'vhuctl check --only iotlb.m' offers the case" iotlb.msg-answered vhuctl check --only iotlb.m
expect "'vhuctl check --case=reply-ack.set-vring-n' offers the case" reply-ack.set-vring-num vhuctl check --case = reply-ack.set-vring-n
expect "'vhuctl mo' offers monitor" monitor vhuctl mo
expect "'vhuctl monitor --ou' offers --output=" --output= vhuctl monitor --ou
expect "'vhuctl monitor -o ' offers text" text vhuctl monitor -o ""
expect "'vhuctl monitor ' offers listen:" listen: vhuctl monitor ""
expect "'vhuctl be' offers bench" bench vhuctl be
expect "'vhuctl bench ' offers blk" blk vhuctl bench ""
expect "'vhuctl bench blk S rw=randr' offers randread" randread vhuctl bench blk /tmp/x.sock rw = randr
expect "'vhuctl bench blk S io' offers iodepth=" iodepth= vhuctl bench blk /tmp/x.sock io
# vhuctl monitor's options, from its help: each in both completions and its man page.
mon_opts=$("$VHUCTL" monitor --help | grep -oE '^ +(-., )?--[a-z-]+' | grep -oE -- '--[a-z-]+')
missing=
for o in $mon_opts; do
	grep -qE -- "(^|[ '])$o(=|[ '])" "$BASHCOMP" || missing="$missing bash:$o"
	grep -qE -- "'(\\([^)]*\\))?\\*?(\\{[^}]*,)?$o(=|\\[|\\})" "$ZSHCOMP" || missing="$missing zsh:$o"
	grep -qE -- "(^\\.BI? |\\\\fB)\\\\-\\\\-${o#--}([^a-z-]|$)" "$top_srcdir/man/vhuctl-monitor.1" || missing="$missing man:$o"
done
check "every option of 'vhuctl monitor --help' ($(printf '%s\n' "$mon_opts" | wc -l)) is in the bash and zsh completions and vhuctl-monitor(1)" "${missing# }"
expect "'vhuctl monitor --rep' offers --replay=" --replay= vhuctl monitor --rep

# Sockets for SOCKET: only with a way to make one.
if command -v python3 >/dev/null 2>&1 &&
   python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$tmp/sock/be.sock" 2>/dev/null; then
	: >"$tmp/sock/plain.txt"
	out=$(complete_words vhuctl "$tmp/sock/")
	if grep -qxF "$tmp/sock/be.sock" <<<"$out" && ! grep -qF plain.txt <<<"$out"; then
		ok "bash completion: SOCKET offers sockets, not plain files"
	else
		not_ok "bash completion: SOCKET offers sockets, not plain files"
		printf '%s\n' "$out" | diag
	fi
else
	skip "cannot make a unix socket (no python3)"
fi

echo "1..$n"
exit 0
