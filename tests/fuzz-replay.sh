#!/bin/sh
# SPDX-License-Identifier: MIT
# fuzz-replay.sh: every input of the fuzzing corpus (fuzz/corpus, what
# `make fuzz` found reaching new code, and every crash it ever found once
# fixed) through its parser, built with ASan and UBSan where the compiler
# has them.
. "$NOLEAK_SRCDIR/tests/tap.sh"

replay=$NOLEAK_TESTS/../fuzz/replay
for t in keep glob env args config conf; do
	out=$("$replay" "$t" "$NOLEAK_SRCDIR/fuzz/corpus/$t" 2>&1)
	st=$?
	n=$(printf '%s\n' "$out" | sed -n "s/^$t: \([0-9]*\) inputs$/\1/p")
	[ $st -eq 0 ] && [ "${n:-0}" -gt 0 ]
	r=$?
	ok $r "$t: ${n:-0} corpus inputs parse without a fault"
	[ $r -eq 0 ] || diag "$out"
done
"$replay" --sanitized >/dev/null 2>&1
case $? in
0) diag "the replay runs under ASan and UBSan" ;;
*) diag "the replay runs without sanitizers (the compiler has none)" ;;
esac

done_testing
