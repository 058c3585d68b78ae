#!/bin/sh
# SPDX-License-Identifier: MIT
# valgrind.sh: the integration scenarios that reach every part of the shim,
# run once under valgrind's memcheck: the inventory through every spawn
# path (every creator, the sweep, the children's start-up, with
# --trace-children), audit reports (describing descriptors, finding where
# they were made), a log file, resource keep entries, a huge environment
# through the process scope's rewrite, the race, and the error paths.
# Any memcheck error fails the scenario; so does a leak.  Skipped when
# valgrind is not installed.
. "$NOLEAK_SRCDIR/tests/tap.sh"

probe=$NOLEAK_TESTS/probe
clean="PATH=/usr/bin:/bin"
work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-valgrind.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT

if ! command -v valgrind >/dev/null 2>&1; then
	skip "memcheck finds nothing in the shim" "valgrind is not installed"
	done_testing
	exit
fi

# memcheck LABEL [ENV=VALUE...] -- COMMAND...: COMMAND under memcheck with
# the shim preloaded, and its children too unless $children is "no"; $out
# holds what it printed (valgrind's lines too).
memcheck() {
	label=$1
	shift
	vars=
	while [ "$1" != -- ]; do vars="$vars $1"; shift; done
	shift
	# shellcheck disable=SC2086
	out=$(env -i $clean $vars LD_PRELOAD="$NOLEAK_LIBRARY" \
		valgrind -q --error-exitcode=97 --trace-children=${children:-yes} \
		--trace-children-skip='*/sh,*/dash,*/bash' "$@" 2>&1)
	st=$?
	errors=$(printf '%s\n' "$out" | grep -c '^==[0-9]*== .*\(Invalid\|uninitialised\|Uninitialised\|Mismatched\|overlap\|Syscall param\)')
}


verdict() {
	[ $st -ne 97 ] && [ "$errors" -eq 0 ] && [ "$1" -eq 0 ]
	r=$?
	ok $r "$label: no memcheck errors${2:+, $2}"
	[ $r -eq 0 ] || diag "exit $st" "$out"
}

for how in fork-execve fork-execvp vfork-execv posix_spawn system popen; do
	memcheck "inventory, $how" -- "$probe" inventory "$how"
	absent "$out"
	verdict $? "and nothing leaked"
done

memcheck "audit reports" NOLEAK_MODE=audit -- "$probe" inventory fork-execve
printf '%s\n' "$out" | grep -q 'would leak fd .* made by '
verdict $? "and each descriptor reported with where it was made"

memcheck "a log file" NOLEAK_LOG="$work/log" -- "$probe" inventory posix_spawn
grep -q '^noleak\[[0-9]*\]: stopped: probe\[[0-9]*\] fd [0-9]* .* from leaking into ' "$work/log"
verdict $? "and what it stopped written to the log"

memcheck "resource keep entries" NOLEAK_KEEP='tcp:1,udp:2,unix:/nowhere,path:/etc/*' -- \
	"$probe" run open fork-execve
printf '%s\n' "$out" | grep -q '^inherited'
verdict $? "and the child reports"

bigenv=$(seq 5000 | sed 's/^/NOLEAK_BIG_/; s/$/=v/')
# shellcheck disable=SC2086
memcheck "5,000 variables through the process scope" $bigenv -- \
	"$probe" big posix_spawn 3000
printf '%s\n' "$out" | grep '^environ [0-9]* args 3002 preload ' | grep -qv libnoleak
verdict $? "and the library taken out of the child's environment"

# Children under valgrind would report valgrind's own descriptors.
children=no memcheck "the race" -- "$NOLEAK_TESTS/race" 1 40
# shellcheck disable=SC2046 # the counts, one a word, split on purpose
set -- $(printf '%s\n' "$out" | grep '^spawns')
[ "${6:-1}" -eq 0 ]
verdict $? "and nothing leaked over ${4:-0} children"

memcheck "errors and interruptions" -- "$NOLEAK_TESTS/interrupt" errno
printf '%s\n' "$out" | grep -q '^fcntl-setlkw-interrupted -1 EINTR$'
verdict $? "and the calls interrupted"

done_testing
