#!/bin/sh
# SPDX-License-Identifier: MIT
# fuzz.sh: build the fuzz targets of fuzz/parsers.c with clang's libFuzzer,
# ASan and UBSan, run each for a while, and report executions and crashes.
#
#   fuzz.sh CLANG SRCDIR BUILDDIR SECONDS [merge]
#
# New inputs go to BUILDDIR/fuzz/work/TARGET, crashes to
# BUILDDIR/fuzz/crashes/; with "merge", inputs that reach new code are
# added to SRCDIR/fuzz/corpus/TARGET, the corpus kept in the tree (and
# replayed by every `make check`).  Exit status 1 if any target crashed,
# 2 if they cannot be built.
set -u
clang=$1 srcdir=$2 builddir=$3 seconds=$4 merge=${5:-}
targets="keep glob env args config conf"
out=$builddir/fuzz
status=0

if [ -z "$clang" ]; then
	echo "fuzz.sh: no clang; install it (apt-get install clang) and re-run configure" >&2
	exit 2
fi
mkdir -p "$out/crashes" || exit 2
for t in $targets; do
	"$clang" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-I"$builddir" -I"$srcdir/shim" -DFUZZ_TARGET=fuzz_"$t" \
		"$srcdir/fuzz/parsers.c" "$srcdir/shim/policy.c" -o "$out/fuzz-$t" || exit 2
done

for t in $targets; do
	mkdir -p "$out/work/$t"
	# shellcheck disable=SC2012 # counts libFuzzer's crash-<sha1> files: plain names
	before=$(ls "$out/crashes" | wc -l)
	"$out/fuzz-$t" -max_total_time="$seconds" -print_final_stats=1 \
		-artifact_prefix="$out/crashes/$t-" \
		"$out/work/$t" "$srcdir/fuzz/corpus/$t" >"$out/$t.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log")
	# shellcheck disable=SC2012 # counts libFuzzer's crash-<sha1> files: plain names
	crashes=$(( $(ls "$out/crashes" | wc -l) - before ))
	echo "$t: ${runs:-0} executions in ${seconds}s, $crashes crashes"
	if [ $rc -ne 0 ] || [ $crashes -ne 0 ]; then
		status=1
		grep -E '^(==[0-9]+==ERROR|SUMMARY)' "$out/$t.log" | head -n 5
		echo "$t: see $out/$t.log and $out/crashes/$t-*"
	fi
	if [ -n "$merge" ]; then
		"$out/fuzz-$t" -merge=1 -use_counters=0 "$srcdir/fuzz/corpus/$t" \
			"$out/work/$t" 2>&1 | sed -n "s/^MERGE-OUTER: \([0-9]*\) new files.*/$t: \1 inputs added to the corpus/p"
	fi
done
exit $status
