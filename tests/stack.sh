#!/bin/sh
# SPDX-License-Identifier: MIT
# stack.sh: the stack every exec and spawn path uses under the shim may
# exceed glibc's own use of it by at most 1 KiB.  A vfork child runs on its
# parent's stack, and a program may call exec from a thread with a small
# one; what the shim adds there must stay small whatever the environment,
# the number of descriptors or the log.  tests/stack measures by painting;
# each case runs it without the shim (the floor) and with it, in the same
# environment, and each path in each case is one assertion.
. "$NOLEAK_SRCDIR/tests/tap.sh"

stack=$NOLEAK_TESTS/stack
limit=1024
work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-stack.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
clean="PATH=/usr/bin:/bin"

# 5,000 more variables, for the case with a large environment.
bigenv=$(awk 'BEGIN { for (i = 0; i < 5000; i++) printf "NOLEAK_STACK_VAR_%d=value-%d ", i, i }')

# fds_allowed N: whether a program started here may open N descriptors: the
# hard RLIMIT_NOFILE allows it, or this shell may raise it (root with
# CAP_SYS_RESOURCE), which it then does.  Otherwise the check that needs
# them skips, saying so: a limit the user cannot raise (a container, a CI
# runner) is no failure of noleak.
fds_allowed() {
	fds_hard=$(ulimit -Hn)
	[ "$fds_hard" = unlimited ] || [ "$fds_hard" -ge "$1" ] || ulimit -Hn "$1" 2>/dev/null
}

# measure CASE ARGS...: run tests/stack ARGS without and with the shim in
# the environment of CASE, leaving "path without with" lines in $work/CASE.
measure() {
	case=$1
	shift
	vars="$clean NOLEAK_SCOPE=process"
	case $case in
	tree) vars="$clean NOLEAK_SCOPE=tree" ;;
	env5000) vars="$vars $bigenv" ;;
	log) vars="$vars NOLEAK_LOG=$work/noleak.log" ;;
	esac
	# shellcheck disable=SC2086 # $vars is a list of words on purpose
	timeout -k 5 20 env -i $vars "$stack" "$@" >"$work/$case.without" 2>"$work/$case.err"
	st_without=$?
	# shellcheck disable=SC2086
	timeout -k 5 20 env -i $vars LD_PRELOAD="$NOLEAK_LIBRARY" "$stack" "$@" >"$work/$case.with" 2>>"$work/$case.err"
	st_with=$?
	[ $st_without -eq 0 ] && [ $st_with -eq 0 ] &&
		grep -qx 'loaded 0' "$work/$case.without" &&
		grep -qx 'loaded 1' "$work/$case.with"
	ok $? "$case: measured every path; the shim is loaded with, not without (status $st_without/$st_with)"
	[ -s "$work/$case.err" ] && diag "$(cat "$work/$case.err")"
	awk 'NR == FNR { w[$1] = $2; next } $1 != "loaded" { print $1, w[$1], $2 }' \
			"$work/$case.without" "$work/$case.with" >"$work/$case"
}

measure process all
measure tree all
measure env5000 all
# tests/stack opens 2,000 descriptors, and raises its soft limit to the
# hard one for them.
fds2000=2100
if fds_allowed $fds2000; then
	measure fds2000 fds 2000 all
else
	skip "fds2000: 2,000 open descriptors" "the hard RLIMIT_NOFILE is $fds_hard and cannot be raised to $fds2000 here (root without CAP_SYS_RESOURCE, or a container)"
	: >"$work/fds2000"
fi
measure log leak all

grep -q "stopped: " "$work/noleak.log" 2>/dev/null
ok $? "log: the shim wrote its reports to NOLEAK_LOG while measured"

diag "$(printf '%-14s %-8s %9s %9s %9s' path case without with delta)"
for case in process tree env5000 fds2000 log; do
	while read -r path without with; do
		delta=$((with - without))
		diag "$(printf '%-14s %-8s %9s %9s %9s' "$path" "$case" "$without" "$with" "$delta")"
		[ "$without" -gt 0 ] && [ "$with" -gt 0 ] && [ "$delta" -le $limit ]
		ok $? "$path, $case: the shim adds $delta bytes of stack (without $without, with $with; at most $limit)"
	done <"$work/$case"
done

done_testing
