#!/bin/sh
# harm.sh: the shim must never hang, crash or write where it should not.
# Each case once hung or crashed a program, or put a report into a child's
# output: every signal reset to its default (signal 64 included) before an
# exec; a log that is a FIFO nobody reads; a syslog socket whose queue is
# full; a child whose standard error is already its output; exec calls with
# bad arguments; and many descriptors to report.  Every run is bounded by
# timeout(1), and each must show it ran to the end ("done").
. "$NOLEAK_SRCDIR/tests/tap.sh"

harm=$NOLEAK_TESTS/harm
clean="PATH=/usr/bin:/bin"
work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-harm.XXXXXX") || exit 99
sink=
trap '[ -n "$sink" ] && kill "$sink" 2>/dev/null; rm -rf "$work"' EXIT

# native ARGS... / shim [VAR=VALUE...] ARGS...: run harm without or with
# the library (harm itself is the process it is given to), in a clean
# environment, for at most 10 seconds; stdout in $out, stderr in
# $work/err, the status in $st (124: it hung).
native() {
	out=$(timeout -k 2 10 env -i $clean "$harm" "$@" 2>"$work/err")
	st=$?
}
shim() {
	out=$(timeout -k 2 10 env -i $clean NOLEAK_SIGNALS=restore "$@" 2>"$work/err")
	st=$?
}
lib="LD_PRELOAD=$NOLEAK_LIBRARY"

# ---- 1. every signal reset before an exec ---------------------------------
want=$(printf 'child-ran\nsystem-ran\ndone')
native signals
test $st -eq 0 && test "$out" = "$want"
ok $? "without the shim, resetting signals 1..SIGRTMAX then exec and system() runs to the end"
for scope in process tree; do
	shim NOLEAK_SCOPE=$scope "$lib" "$harm" signals
	test $st -eq 0 && test "$out" = "$want"
	ok $? "scope $scope: signals 1..SIGRTMAX reset (64 included), then fork+exec, system() and an exec in place finish"
	[ $st -eq 0 ] || diag "status $st" "$out"
done

done_testing
