#!/bin/bash
# fuzz.sh - TAP: every fuzz target over its committed corpus
# (tests/fuzz/corpus/TARGET/), each input once; in a --enable-fuzzing build
# (FUZZ_RUN=libfuzzer) also a short libFuzzer run from that corpus.
#
# A target that crashes, finds a wrong result, trips ASan/UBSan or leaks,
# and a target or corpus that is missing, is a 'not ok'.
. "${top_srcdir:-.}/tests/lib.sh"

TARGETS="fuzz-wire fuzz-codec fuzz-devcfg fuzz-vring fuzz-inflight fuzz-fuse fuzz-gpu fuzz-cmdline"
FUZZ_RUN=${FUZZ_RUN:-driver}

for t in $TARGETS; do
	bin=$top_builddir/tests/fuzz/$t
	corpus=$top_srcdir/tests/fuzz/corpus/$t
	inputs=()
	if [ -d "$corpus" ]; then
		mapfile -t inputs < <(find "$corpus" -type f | LC_ALL=C sort)
	fi
	ok $(( ${#inputs[@]} > 0 ? 0 : 1 )) "$t: corpus has ${#inputs[@]} inputs"
	if [ ! -x "$bin" ] || [ ${#inputs[@]} -eq 0 ]; then
		ok 1 "$t: runs its corpus (no binary or no corpus)"
		continue
	fi
	# Every input once: the plain driver and libFuzzer both take a file list.
	timeout 600 "$bin" "${inputs[@]}" >"$TMP/$t.log" 2>&1
	rc=$?
	ok $rc "$t: every corpus input runs clean (exit $rc)"
	[ $rc -eq 0 ] || tail -n 30 "$TMP/$t.log" | sed 's/^/#   /'
	if [ "$FUZZ_RUN" = libfuzzer ]; then
		# New inputs go to a scratch directory, never into the source tree.
		mkdir -p "$TMP/$t.new"
		timeout 120 "$bin" -runs=20000 -max_total_time=10 -timeout=10 -max_len=8192 \
			-artifact_prefix="$TMP/$t." "$TMP/$t.new" "$corpus" >"$TMP/$t.fuzz.log" 2>&1
		rc=$?
		ok $rc "$t: 20000 runs or 10 s of fuzzing find nothing (exit $rc)"
		[ $rc -eq 0 ] || tail -n 30 "$TMP/$t.fuzz.log" | sed 's/^/#   /'
	fi
done
done_testing
