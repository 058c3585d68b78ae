#!/bin/bash
# SPDX-License-Identifier: MIT
# flock.sh: locks handed to a child on purpose.  flock(1) takes the lock
# and runs its command with the lock's descriptor open, so the lock stays
# held when flock itself is killed; setlock (daemontools) and chpst -l
# (runit) take it and exec the command in place.  Under noleak the lock
# must be held exactly as without it.
. "$NOLEAK_SRCDIR/tests/real/real.sh"
need flock util-linux

# locked FILE: someone holds a lock on FILE.
locked() {
	! flock -n "$1" true
}

for mode in $modes; do
	lock=$work/$mode.lock
	daemon flock-"$mode" "$mode" flock "$lock" sleep 30
	fpid=$pid
	wait_for 5 eval '[ -n "$(children "$fpid")" ]'
	wait_for 5 locked "$lock"
	check $? "$mode: flock LOCK sleep: the lock is taken" "$(cat "$work/flock-$mode.log")"
	under_lib "$mode" "$fpid" flock
	kill -9 "$fpid"
	wait_for 5 gone "$fpid"
	locked "$lock"
	check $? "$mode: flock killed with -9: its command still holds the lock"
	stop_session "$fpid"
	wait_for 5 eval '! locked "$lock"'
	check $? "$mode: the lock is free once the command is gone too"
done

for tool in setlock chpst; do
	if ! command -v $tool >/dev/null 2>&1; then
		case $tool in
		setlock) skip "setlock" "setlock is missing: install the Debian package daemontools" ;;
		chpst) skip "chpst -l" "chpst is missing: install the Debian package runit" ;;
		esac
		continue
	fi
	for mode in $modes; do
		lock=$work/$mode-$tool.lock
		case $tool in
		setlock) daemon $tool-"$mode" "$mode" setlock "$lock" sleep 30 ;;
		chpst) daemon $tool-"$mode" "$mode" chpst -l "$lock" sleep 30 ;;
		esac
		lpid=$pid
		wait_for 5 eval 'grep -q "^sleep" /proc/$lpid/comm'
		sleep 0.2
		locked "$lock" && ! gone "$lpid"
		check $? "$mode: $tool LOCK sleep: the lock stays held after the exec in place" \
			"$(cat "$work/$tool-$mode.log")"
		stop_session "$lpid"
	done
done

done_testing
