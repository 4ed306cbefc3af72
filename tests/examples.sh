#!/bin/bash
# examples.sh - every example in the README and the man pages, and every
# command's own example in help, parses: 'vhuctl -n' (check, run nothing)
# says so. Scripts are the fenced or .EX blocks whose every line is a
# command or a comment; one-liners are the 'vhuctl ... -c ARG' lines.
. "${top_srcdir:-.}/tests/lib.sh"

"$VHUCTL" --list-commands | cut -f1 | cut -d' ' -f1 | sort -u >"$TMP/words"

# blocks FILE KIND: each block of FILE as a file $TMP/blk.N (KIND md: ```
# fences; man: .EX/.EE, unescaped); prints the count.
blocks() {
	awk -v kind="$2" -v out="$TMP/blk" '
		kind == "md" && /^```/ { if (on) { on = 0; close(f) } else { on = 1; n++; f = out "." n; printf "" > f } next }
		kind == "man" && /^\.EX/ { on = 1; n++; f = out "." n; printf "" > f; next }
		kind == "man" && /^\.EE/ { on = 0; close(f); next }
		on { print > f }
		END { print n + 0 }' "$1"
}

# unman: a man page line as the reader sees it
unman() { sed -e 's/\\-/-/g' -e "s/\\\\(aq/'/g" -e 's/\\e/\\/g' -e 's/\\(em/-/g'; }

# is_script FILE: every non-blank line starts with a command (or is a comment)
is_script() {
	local w
	[ -s "$1" ] || return 1
	while read -r w _; do
		[ -z "$w" ] && continue
		case $w in \#*) continue ;; esac
		grep -qxF -- "$w" "$TMP/words" || return 1
	done <"$1"
}

scripts=0
for doc in "$top_srcdir/README.md" "$top_srcdir/man/vhuctl.1" "$top_srcdir/man/vhuctl-json.7"; do
	case $doc in *.md) kind=md ;; *) kind=man ;; esac
	rm -f "$TMP"/blk.*
	nb=$(blocks "$doc" $kind)
	for i in $(seq 1 "$nb"); do
		f=$TMP/blk.$i
		[ $kind = man ] && { unman <"$f" >"$f.u"; mv "$f.u" "$f"; }
		is_script "$f" || continue
		scripts=$((scripts + 1))
		out=$(timeout 20 "$VHUCTL" -n -f "$f" 2>&1 >/dev/null)
		is "$?" 0 "${doc##*/} block $i ($(head -n 1 "$f" | cut -c1-40)...) checks${out:+: $out}"
	done
done
ok $(( scripts >= 4 ? 0 : 1 )) "the documents hold scripts ($scripts found)"

# One-liners: 'vhuctl [--device D] ... -c ARG' on one line of a document.
oneliners=0
# A command line is a line that starts with vhuctl (after '$ '), or a
# \`vhuctl ...\` span of the README's prose.
command_lines() {
	{ sed -n -e 's/^\$ //' -e '/^vhuctl /p' "$@"; grep -o '`vhuctl [^`]*`' "$@" | tr -d '`'; } |
		sed 's/ |.*//'	# what a pipe feeds (jq -c ...) is not vhuctl's
}
while IFS= read -r line; do
	arg=$(printf '%s\n' "$line" | sed -n "s/.*vhuctl .*-c '\\([^']*\\)'.*/\\1/p")
	[ -n "$arg" ] || arg=$(printf '%s\n' "$line" | sed -n 's/.*vhuctl .*-c \([a-z][a-z0-9-]*\).*/\1/p')
	[ -n "$arg" ] || continue
	dev=$(printf '%s\n' "$line" | sed -n 's/.*--device[= ]\([a-z0-9]*\).*/\1/p')
	oneliners=$((oneliners + 1))
	out=$(timeout 20 "$VHUCTL" -n ${dev:+--device "$dev"} -c "$arg" 2>&1 >/dev/null)
	is "$?" 0 "one-liner '$arg'${dev:+ (--device $dev)} checks${out:+: $out}"
done < <(command_lines "$top_srcdir/README.md"; unman <"$top_srcdir/man/vhuctl.1" | command_lines;
	  unman <"$top_srcdir/man/vhuctl-json.7" | command_lines)
ok $(( oneliners >= 5 ? 0 : 1 )) "the documents hold one-liners ($oneliners found)"

# Each command's example in help, where the files they name exist.
here=$PWD
cd "$TMP" || bail "cannot cd to $TMP"
printf 'get-features\n' >setup.vhu
bad=
n_ex=0
while IFS=$'\t' read -r name _; do
	ex=$("$VHUCTL" -c "help $name" | jq -r '.example // empty')
	[ -n "$ex" ] || continue
	n_ex=$((n_ex + 1))
	"$VHUCTL" -n -c "$ex" >/dev/null 2>"$TMP/ex-err" || bad+="$name: '$ex': $(head -n 1 "$TMP/ex-err")"$'\n'
done < <("$VHUCTL" --list-commands)
cd "$here" || bail "cannot cd back to $here"
is "${bad%$'\n'}" "" "every command's help example checks ($n_ex examples)"

done_testing
