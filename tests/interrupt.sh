#!/bin/sh
# SPDX-License-Identifier: MIT
# interrupt.sh: signals and errors reach the program exactly as without
# the shim, and a signal handler that forks, opens or calls system() while
# other threads are inside wrappers never deadlocks.
. "$NOLEAK_SRCDIR/tests/tap.sh"

interrupt=$NOLEAK_TESTS/interrupt
clean="PATH=/usr/bin:/bin"
work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-interrupt.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT

env -i $clean "$interrupt" errno >"$work/without" 2>&1
env -i $clean LD_PRELOAD="$NOLEAK_LIBRARY" "$interrupt" errno >"$work/with" 2>&1
grep -q '^fcntl-setlkw-interrupted -1 EINTR$' "$work/without"
r=$?
ok $r "without the shim the blocking calls are interrupted (the test can tell)"
[ $r -eq 0 ] || diag "$(cat "$work/without")"
while read -r name rest; do
	got=$(awk -v n="$name" '$1 == n { $1 = ""; print substr($0, 2) }' "$work/with")
	[ "$got" = "$rest" ]
	r=$?
	ok $r "$name: $rest, as without the shim"
	[ $r -eq 0 ] || diag "with the shim: ${got:-nothing}"
done <"$work/without"

# A millisecond timer for two seconds; a deadlock is caught by timeout.
out=$(env -i $clean LD_PRELOAD="$NOLEAK_LIBRARY" timeout 60 "$interrupt" storm 2 2>&1)
st=$?
# shellcheck disable=SC2086 # the probe's words, split on purpose
set -- $out
[ $st -eq 0 ] && [ "${2:-0}" -ge 300 ] && [ "${4:-0}" -ge 50 ] &&
	[ "${6:-0}" -ge 50 ] && [ "${8:-0}" -ge 5 ]
r=$?
ok $r "a timer signal under load: handlers fork, open and call system() (exit $st: $out)"

done_testing
