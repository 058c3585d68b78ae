#!/bin/sh
# SPDX-License-Identifier: MIT
# spawn.sh: posix_spawn, system and popen, which the shim now carries out
# itself (shim/spawn.c), behave as glibc's: every result line of
# tests/spawn.c is the same with and without the shim, in both scopes.
# And the shim's way is visible: a descriptor it cannot see reaches no
# child, and no flag in the caller's own table changes.  (timeout runs
# outside env, so that the program is the process the library was given
# to in the process scope; NOLEAK_SIGNALS=keep, because the default gives
# children the signal state of start-up on purpose, which the cases would
# see as a difference: nothing-lost.sh tests that.)
. "$NOLEAK_SRCDIR/tests/tap.sh"

spawn=$NOLEAK_TESTS/spawn
clean="PATH=/usr/bin:/bin"
work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-spawn.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT

(cd "$work" && timeout 60 env -i $clean "$spawn" cases "$work" >"$work/without" 2>&1)
grep -q '^system-sigint survived$' "$work/without" && grep -q '^popen-read out\|^popen-read from-popen' "$work/without"
r=$?
ok $r "without the shim every case runs (the comparison has something to compare)"
[ $r -eq 0 ] || diag "$(cat "$work/without")"
for scope in process tree; do
	(cd "$work" && timeout 60 env -i $clean NOLEAK_SCOPE=$scope NOLEAK_SIGNALS=keep \
		LD_PRELOAD="$NOLEAK_LIBRARY" "$spawn" cases "$work" >"$work/with" 2>&1)
	st=$?
	ok $st "$scope: the cases run to the end under the shim (exit $st)"
	diff "$work/without" "$work/with" >"$work/diff"
	r=$?
	ok $r "$scope: $(wc -l <"$work/without") result lines, each as without the shim"
	[ $r -eq 0 ] || diag "$(cat "$work/diff")"
done

timeout 60 env -i $clean "$spawn" parent >"$work/native" 2>&1
n=$(grep -c '^leaked$' "$work/native")
[ "$n" -eq 3 ]
ok $? "without the shim, a descriptor made by a raw system call reaches all 3 children ($n)"
for scope in process tree; do
	timeout 60 env -i $clean NOLEAK_SCOPE=$scope LD_PRELOAD="$NOLEAK_LIBRARY" \
		"$spawn" parent >"$work/shim" 2>&1
	c=$(grep -c '^clean$' "$work/shim")
	[ "$c" -eq 3 ] && ! grep -q '^leaked$' "$work/shim"
	r=$?
	ok $r "$scope: under the shim it reaches none of posix_spawn, system and popen's children ($c clean)"
	[ $r -eq 0 ] || diag "$(cat "$work/shim")"
	[ "$(grep -c '^parent-flag-after-.* 0$' "$work/shim")" -eq 3 ]
	r=$?
	ok $r "$scope: the caller's own flag on it never changed (the child swept its own table)"
	[ $r -eq 0 ] || diag "$(cat "$work/shim")"
done

# No lock while a command runs: openpty in one thread while another is
# inside system("sleep 1").  The shim once made openpty spin on a lock
# there, 200 ms a call (3 calls and 550 ms of CPU in 0.6 s).
# shellcheck disable=SC2046,SC2086 # the probe's words, and $clean's NAME=VALUE words
set -- $(timeout 60 env -i $clean "$spawn" nolock)
base=${2:-0}
# shellcheck disable=SC2046,SC2086 # the probe's words, and $clean's NAME=VALUE words
set -- $(timeout 60 env -i $clean LD_PRELOAD="$NOLEAK_LIBRARY" "$spawn" nolock)
[ "$base" -ge 20 ] && [ "${2:-0}" -ge $((base / 2)) ] && [ "${4:-9999}" -le 300 ]
ok $? "openpty beside a running system(): ${2:-no} calls (${base} without the shim), ${4:-?} ms of CPU, no spinning"

# What is decided for the JDK's helper stays in its child: a listener the
# shim made close-on-exec reaches no system() child started meanwhile (the
# old way, flags taken off in the shared table, let a few through).
cp /bin/true "$work/jspawnhelper"
# shellcheck disable=SC2046,SC2086 # the probe's words, and $clean's NAME=VALUE words
set -- $(timeout 60 env -i $clean "$spawn" helper "$work")
[ "${2:-0}" -gt 0 ] && [ "${4:-0}" = "${2:-0}" ]
ok $? "without the shim the listener reaches every system() child (${4:-?} of ${2:-?})"
# shellcheck disable=SC2046,SC2086 # the probe's words, and $clean's NAME=VALUE words
set -- $(timeout 60 env -i $clean LD_PRELOAD="$NOLEAK_LIBRARY" "$spawn" helper "$work")
[ "${2:-0}" -gt 0 ] && [ "${4:-1}" -eq 0 ]
ok $? "with jspawnhelper started alongside, it reaches none (${4:-?} of ${2:-?})"

done_testing
