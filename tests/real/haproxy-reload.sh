#!/bin/bash
# SPDX-License-Identifier: MIT
# haproxy-reload.sh: the program a `program` section of HAProxy's
# configuration runs, started by the master in master-worker mode (-W),
# at start and again after a reload (USR2, which re-executes the master
# in place: "-sf PID... -x sockpair@N", the socketpairs to its workers
# named in HAPROXY_PROCESSES).  Without the library the program gets the
# master's own descriptors (its socketpairs, its epoll): the leak.  Under
# the library, in the process scope, the tree scope and host-wide (the
# library in /etc/ld.so.preload, in a mount namespace: tests/hostwide/ns.sh),
# it must get exactly what it gets without the library minus that leak:
# 0-2 and a descriptor the test passes down on purpose (fd 9), nothing of
# HAProxy's, before the reload and after it.
#
# The host-wide run starts this script again inside the namespace:
#   haproxy-reload.sh --case OUT SRCDIR
# runs one case with whatever library the loader gives, into OUT.*.
if [ "${1-}" = --case ]; then
	out=$2
	NOLEAK_SRCDIR=$3
fi
. "$NOLEAK_SRCDIR/tests/real/real.sh"
need /usr/sbin/haproxy haproxy

# fds PID: "N TARGET" for each descriptor of PID, by number; TARGET as
# /proc says, but the daemon's log named LOG and the file passed down on
# purpose INHERITED (their paths differ from run to run).
fds() {
	for f in /proc/"$1"/fd/*; do
		t=$(readlink "$f") || continue
		[ "$t" = "${log-}" ] && t=LOG
		[ "$t" = "$work/inherited" ] && t=INHERITED
		echo "${f##*/} $t"
	done | sort -n
}

# program MASTER: $prog, the pid of the program the master runs (a child
# whose command is sleep, that is, after its exec).
program() {
	prog=
	for c in $(children "$1"); do
		[ "$(cat /proc/"$c"/comm 2>/dev/null)" = sleep ] && prog=$c
	done
	[ -n "$prog" ]
}

# answers PORT: the frontend on PORT answers.
answers() {
	[ "$(get "http://127.0.0.1:$1/")" = up ]
}

# run_case MODE OUT: HAProxy with a program section, run as MODE says
# (none: as the loader has it; process, tree: under noleak; host-wide:
# as the loader has it, which must map the library), with the
# file $work/inherited open on fd 9; writes the program's descriptors at
# start to OUT.start and after a reload to OUT.after, and why the case
# stopped short (with HAProxy's log) to OUT.why.  Status 0 when both
# lists were written.
run_case() {
	local cm=$1 o=$2 w=$1
	rm -f "$o.start" "$o.after" "$o.why"
	port=$(free_port)
	cat >"$work/$cm.cfg" <<CFG
global
	master-worker
defaults
	mode http
	timeout connect 2s
	timeout client 5s
	timeout server 5s
frontend fe
	bind 127.0.0.1:$port
	http-request return status 200 content-type text/plain string up
program leaker
	command /bin/sleep 600
	option start-on-reload
CFG
	echo inherited >"$work/inherited"
	exec 9<"$work/inherited"
	[ "$cm" = host-wide ] && w=none
	daemon haproxy-"$cm" "$w" /usr/sbin/haproxy -W -db -f "$work/$cm.cfg"
	exec 9<&-
	master=$pid log=$work/haproxy-$cm.log
	if ! wait_up "$master" 10 eval 'answers "$port" && program "$master"'; then
		{ echo "it did not start and run its program"; tail -5 "$log"; } >"$o.why"
		stop_session "$master"
		return 1
	fi
	if [ "$cm" != none ] && ! has_lib "$master"; then
		echo "the master runs without the library" >"$o.why"
		stop_session "$master"
		return 1
	fi
	fds "$prog" >"$o.start"
	# shellcheck disable=SC2034 # read in the eval below
	old=$prog
	kill -USR2 "$master"
	if ! wait_for 10 eval 'program "$master" && [ "$prog" != "$old" ] && gone "$old"'; then
		{ echo "no new program after USR2"; tail -5 "$log"; } >"$o.why"
		stop_session "$master"
		return 1
	fi
	fds "$prog" >"$o.after"
	if ! wait_for 5 answers "$port"; then
		{ echo "it no longer answers after the reload"; tail -5 "$log"; } >"$o.why"
		stop_session "$master"
		return 1
	fi
	stop_session "$master"
}

if [ "${1-}" = --case ]; then
	run_case host-wide "$out"
	exit
fi

# HAProxy's own: what a native list holds that the test did not pass
# down (a socket, pipe or epoll this shell does not hold itself).
ours=$(fds $$ | awk '$1 > 2 && $1 != 255')
theirs() {
	awk -v ours="$ours" 'BEGIN { n = split(ours, l, "\n"); for (i = 1; i <= n; i++) held[l[i]] = 1 }
		$1 > 2 && $2 ~ /^(socket|pipe|anon_inode):/ && !($0 in held)' "$1"
}

# want: what every run under the library must give the program: the
# native list without HAProxy's own.
want() {
	theirs "$1" | grep -vxF -f - "$1"
}

run_case none "$work/none"
check $? "none: HAProxy -W starts its program, reloads, answers" "$(cat "$work/none.why" 2>/dev/null)"
if [ -s "$work/none.after" ]; then
	[ -n "$(theirs "$work/none.after")" ]
	check $? "none: after USR2 the program gets HAProxy's own descriptors (the leak is there)" \
		"the program's descriptors:" "$(cat "$work/none.after")"
	grep -qx "9 INHERITED" "$work/none.after"
	check $? "none: after USR2 the program gets fd 9, passed down on purpose" \
		"the program's descriptors:" "$(cat "$work/none.after")"
else
	not_run "none: after USR2 the program gets HAProxy's own descriptors (the leak is there)" \
		"none: after USR2 the program gets fd 9, passed down on purpose"
fi

# compare MODE: MODE's lists against the native ones, at start and after
# the reload.
compare() {
	for when in start after; do
		case $when in
		start) d="$1: at start: the program gets what it gets without the library but HAProxy's own" ;;
		after) d="$1: after USR2: the program gets what it gets without the library but HAProxy's own" ;;
		esac
		if [ ! -s "$work/none.$when" ] || [ ! -s "$work/$1.$when" ]; then
			not_run "$d"
			continue
		fi
		diff <(want "$work/none.$when") "$work/$1.$when" >"$work/diff" 2>&1
		check $? "$d" "without the library, minus HAProxy's own (<), against under it (>):" \
			"$(cat "$work/diff")"
	done
}

for mode in process tree; do
	run_case "$mode" "$work/$mode"
	check $? "$mode: HAProxy -W starts its program under noleak, reloads, answers" \
		"$(cat "$work/$mode.why" 2>/dev/null)"
	compare "$mode"
done

# Host-wide: the same case in a mount namespace whose /etc/ld.so.preload
# names the library.
ns=$NOLEAK_SRCDIR/tests/hostwide/ns.sh
if [ "$(id -u)" != 0 ] || ! unshare -m --propagation private true 2>/dev/null; then
	for d in "host-wide: HAProxy -W starts its program, reloads, answers" \
		"host-wide: at start: the program gets what it gets without the library but HAProxy's own" \
		"host-wide: after USR2: the program gets what it gets without the library but HAProxy's own"; do
		skip "$d" "needs root and unshare -m (a private mount namespace)"
	done
else
	HOSTWIDE_SECONDS=60 HOSTWIDE_NET=private timeout -k 5 90 bash "$ns" with "$NOLEAK_LIBRARY" \
		bash "$NOLEAK_SRCDIR/tests/real/haproxy-reload.sh" --case "$work/host-wide" "$NOLEAK_SRCDIR" \
		>"$work/host-wide.log" 2>&1
	st=$?
	check $st "host-wide: HAProxy -W starts its program, reloads, answers" \
		"status $st" "$(cat "$work/host-wide.why" 2>/dev/null)" "$(tail -5 "$work/host-wide.log")"
	compare host-wide
fi

done_testing
