#!/bin/sh
# SPDX-License-Identifier: MIT
# smallstack.sh: starting programs from places with little stack must work
# under the shim as it does without it, and still keep a stray descriptor
# from the child: posix_spawn, posix_spawnp, system and popen from a thread
# with a 16 KiB stack; a vfork child of a 32 KiB thread with 4,000
# variables; a SIGSEGV or SIGUSR1 handler on an 8 KiB sigaltstack that
# forks and execs or calls posix_spawn; clone(CLONE_VM | CLONE_VFORK)
# children on 16 KiB of the heap, between two canaries.
#
# The shim of 5ab4e41 swept and reported on the caller's stack.  Against
# it, these fail: posix_spawn, posix_spawnp and both signal handlers'
# posix_spawn (the program dies of SIGSEGV), fork and execve in either
# handler (the child dies), in both scopes; the vfork child with 4,000
# variables (it dies) and the clone children with 4,000 variables (a
# canary is overwritten), in the process scope.  system and popen (swept
# in the caller, about 7.8 KiB) and the clone children with a small
# environment (about 7.8 KiB of 16) pass there: they guard the spawns the
# shim now makes itself, not a crash that was seen.
#
# tests/smallstack makes a descriptor the shim cannot see (a raw dup, no
# close-on-exec) before each case, with NOLEAK_LOG set, so the report runs;
# the child lists its descriptors.  Each case, in each scope: without the
# shim it ends normally and the child shows the leak (the test can see
# one); with it, it ends the same way, the child lists its descriptors
# without the leak, and the log names it.
. "$NOLEAK_SRCDIR/tests/tap.sh"

prog=$NOLEAK_TESTS/smallstack
clean="PATH=/usr/bin:/bin"
work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-smallstack.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT

# go NAME CASE SCOPE [VAR=VALUE...]: run the case for at most 20 seconds,
# stdout in $work/NAME.out, stderr in $work/NAME.err, the status in $st
# (124: it hung); $result is its "result" line, $leakfd and $leakid the
# descriptor it made, $fds the child's list ("" when it printed none).
go() {
	g_name=$1 g_case=$2 g_scope=$3
	shift 3
	# shellcheck disable=SC2086 # $clean is a list of words on purpose
	timeout -k 2 20 env -i $clean NOLEAK_SCOPE="$g_scope" \
		NOLEAK_LOG="$work/$g_name.log" "$@" "$prog" "$g_case" \
		>"$work/$g_name.out" 2>"$work/$g_name.err"
	st=$?
	result=$(grep "^result $g_case " "$work/$g_name.out")
	# shellcheck disable=SC2046 # the line's words, on purpose
	set -- $(grep "^$g_case leak " "$work/$g_name.out")
	leakfd=${3:-none} leakid=${4:-none}
	fds=$(grep "^$g_case fds" "$work/$g_name.out")
}

# has_leak: whether the child's list holds the leaked socket, by any number.
has_leak() {
	printf '%s\n' "$fds" | awk -v id="$leakid" '
		{ for (i = 3; i <= NF; i++) { sub(/^[0-9]+=/, "", $i); if ($i == id) found = 1 } }
		END { exit !found }'
}

# show NAME: the run's output and errors, for a failure.
show() {
	diag "status $st" "$(cat "$work/$1.out" "$work/$1.err")"
}

for case in $("$prog" cases); do
	for scope in process tree; do
		go "$case-$scope-without" "$case" "$scope"
		want=$result
		r=0
		test $st -eq 0 && test "$result" = "result $case ok" && test -n "$fds" || r=1
		[ $r -ne 0 ] || has_leak || r=1
		ok $r "$case, $scope, without the shim: ends normally, and the child gets the stray fd $leakfd"
		[ $r -eq 0 ] || show "$case-$scope-without"

		go "$case-$scope-with" "$case" "$scope" LD_PRELOAD="$NOLEAK_LIBRARY"
		r=0
		test $st -eq 0 && test "$result" = "$want" && test -n "$fds" || r=1
		[ $r -ne 0 ] || ! has_leak || r=1
		grep -q " stopped: smallstack\[[0-9]*\] fd $leakfd (" "$work/$case-$scope-with.log" 2>/dev/null || r=1
		ok $r "$case, $scope, with the shim: ends normally as without, the child lists its fds without fd $leakfd, and the log says so"
		if [ $r -ne 0 ]; then
			show "$case-$scope-with"
			diag "log: $(cat "$work/$case-$scope-with.log" 2>&1)"
		fi
	done
done

done_testing
