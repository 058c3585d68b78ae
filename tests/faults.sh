#!/bin/sh
# SPDX-License-Identifier: MIT
# faults.sh: the shim on machines that lack what it would rather use.
# close_range answered with ENOSYS (before Linux 5.9), EINVAL for
# CLOSE_RANGE_CLOEXEC (5.9 and 5.10) or EPERM (old seccomp profiles); no
# /proc; a process at its descriptor limit.  Each time the inventory (one
# descriptor from every creator) and the race must reach no child, and the
# same run without the shim must leak, or the test proves nothing.
. "$NOLEAK_SRCDIR/tests/tap.sh"

probe=$NOLEAK_TESTS/probe
deny=$NOLEAK_TESTS/deny
race=$NOLEAK_TESTS/race
clean="PATH=/usr/bin:/bin"
spawns="fork-execve fork-execvp vfork-execv posix_spawn system popen"
work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-faults.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT


# under DENY-OPTIONS...: run the probe's arguments after "--" under deny,
# with and without the shim; sets $with and $without, or $skipped.  deny's
# filter stands for an older kernel, not for a sandbox: with the shim,
# NOLEAK_SECCOMP=trust says so (a filter the process came with is
# otherwise taken for the program's own list of calls, and the shim makes
# none of its own: tests/sandbox.sh).
under() {
	opts=
	while [ "$1" != -- ]; do opts="$opts $1"; shift; done
	shift
	skipped=
	# shellcheck disable=SC2086
	with=$("$deny" $opts -- env -i $clean NOLEAK_SECCOMP=trust LD_PRELOAD="$NOLEAK_LIBRARY" "$@" 2>&1)
	st=$?
	if [ $st -eq 77 ]; then
		skipped=$(printf '%s\n' "$with" | tail -n 1)
		return
	fi
	# shellcheck disable=SC2086
	without=$("$deny" $opts -- env -i $clean "$@" 2>&1)
}

# inventory LABEL DENY-OPTIONS...: the inventory through every spawn path.
inventory() {
	label=$1
	shift
	for how in $spawns; do
		under "$@" -- "$probe" inventory "$how"
		if [ -n "$skipped" ]; then
			skip "$label, $how: zero leaks" "$skipped"
			continue
		fi
		n=$(printf '%s\n' "$with" | awk '$1 == "created" { print NF - 1 }')
		[ "${n:-0}" -gt 40 ] && absent "$with"
		ok $? "$label, $how: none of ${n:-0} descriptors reach the child" || diag "$with"
		l=$(leaked "$without")
		[ -n "$l" ] && [ "$l" != none ]
		ok $? "$label, $how: without the shim they do"
	done
}

for err in ENOSYS EINVAL EPERM; do
	inventory "close_range $err" --close-range=$err

	under --close-range=$err -- "$race" 1 300
	if [ -n "$skipped" ]; then
		skip "close_range $err: the race" "$skipped"
		continue
	fi
	# shellcheck disable=SC2086 # the counts, one a word, split on purpose
	set -- $with
	[ "${4:-0}" -ge 300 ] && [ "$6" = 0 ]
	r=$?
	ok $r "close_range $err: the race, $6 leaked over ${4:-0} children"
	[ $r -eq 0 ] || diag "$with"
	# shellcheck disable=SC2086 # the counts, one a word, split on purpose
	set -- $without
	[ "${6:-0}" -gt 0 ]
	ok $? "close_range $err: without the shim the race leaks (${6:-0})"
done

# Without /proc the sweep falls back to asking every number below the
# soft limit; with close_range still there it never needs /proc at all.
inventory "no /proc, no close_range" --no-proc --close-range=ENOSYS
under --no-proc -- "$probe" inventory fork-execve
if [ -n "$skipped" ]; then
	skip "no /proc: zero leaks" "$skipped"
else
	absent "$with"
	ok $? "no /proc, close_range there: zero leaks"
fi

# At the descriptor limit: the table is full of descriptors made behind
# the shim's back, so only the sweep stands between them and the child,
# and it may not open anything (the /proc walk cannot) to do its work.
for err in "" --close-range=ENOSYS; do
	label="at the descriptor limit${err:+, close_range ${err#*=}}"
	for how in fork-execve vfork-execv posix_spawn system; do
		under --nofile=48 $err -- "$probe" emfile "$how"
		if [ -n "$skipped" ]; then
			skip "$label, $how" "$skipped"
			continue
		fi
		printf '%s\n' "$with" | grep -q '^full 1$' && absent "$with"
		r=$?
		ok $r "$label, $how: the child starts and inherits none"
		[ $r -eq 0 ] || diag "$with"
		# Without the shim the child inherits the whole table, or
		# cannot even load its C library for want of a descriptor.
		l=$(leaked "$without")
		case $l in
		none) what="cannot start" ;;
		*) what="inherits$l" ;;
		esac
		[ -n "$l" ]
		ok $? "$label, $how: without the shim the child $what"
	done
done

done_testing
