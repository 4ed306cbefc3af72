#!/bin/bash
# layers.sh - the layers call one way (HACKING.md): each folder of src/ includes
# only from itself and the folders below it, the core never prints and knows
# nothing of readline, and the unit tests stay off the front-end.
. "${top_srcdir:-.}/tests/lib.sh"

SRC=$top_srcdir/src

# allowed FOLDER: the folders whose headers files in FOLDER may include
allowed() {
	case $1 in
	core) echo "core" ;;
	cmd) echo "core cmd" ;;
	check) echo "core cmd check" ;;
	monitor) echo "core cmd monitor" ;;
	shell) echo "core cmd shell check monitor" ;;
	esac
}

for dir in core cmd check monitor shell; do
	bad=
	for f in "$SRC/$dir"/*.[ch]; do
		while IFS= read -r inc; do
			top=${inc%%/*}
			case " $(allowed $dir) " in
			*" $top "*) ;;
			*) bad="$bad ${f#"$SRC/"}:$inc" ;;
			esac
		done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
	done
	is "${bad# }" "" "src/$dir includes only from: $(allowed $dir)"
done

# Every include of our own headers names its layer, so that the rule above
# sees them all.
bare=$(grep -ln '^#include "[^/"]*\.h"' "$SRC"/*/*.[ch] 2>/dev/null | sed "s|$SRC/||" | tr '\n' ' ')
is "$bare" "" "every include of a header of ours names its folder"

# The core never prints: it fills an error and returns (STYLE.md).
prints=$(grep -n '\bprintf\s*(\|fprintf\s*(\|\bputs\s*(\|fputs\s*(\|\bputchar\s*(\|\bperror\s*(\|\bstdout\b\|\bstderr\b' \
	"$SRC"/core/*.c | grep -v 'format(printf' | sed "s|$SRC/||")
is "$prints" "" "src/core writes nothing to stdout or stderr"

# readline belongs to the shell alone.
rl=$(grep -ln '<readline/' "$SRC"/core/*.[ch] "$SRC"/cmd/*.[ch] 2>/dev/null | sed "s|$SRC/||" | tr '\n' ' ')
is "$rl" "" "only src/shell uses readline"

# The unit tests and fuzz targets link the libraries: no front-end header.
shellinc=$(grep -ln '#include "shell/' "$top_srcdir"/tests/unit/*.c "$top_srcdir"/tests/fuzz/*.c 2>/dev/null | tr '\n' ' ')
is "$shellinc" "" "tests include no header of the front-end"

# And the checks above can fail: a core file that includes a command header is caught.
tmpdir=$TMP/layers
mkdir -p "$tmpdir/core"
printf '#include "cmd/cmd.h"\n' >"$tmpdir/core/x.c"
caught=$(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$tmpdir/core/x.c" | while read -r inc; do
	case " $(allowed core) " in *" ${inc%%/*} "*) ;; *) echo caught ;; esac
done)
is "$caught" caught "a core file including a command header would be caught"

done_testing
