#!/bin/sh
# SPDX-License-Identifier: MIT
# story.sh: the story noleak exists to end, for each way daemon A can start
# daemon B.  A listens on a port and holds a lock, starts B in the
# background, is killed, and is started again.  Without the shim the
# restart must fail (B holds the port and the lock: this proves the test
# can fail); under `noleak --` it must succeed.
. "$NOLEAK_SRCDIR/tests/tap.sh"

daemon=$NOLEAK_TESTS/story-daemon
work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-story.XXXXXX") || exit 99
trap 'cleanup; rm -rf "$work"' EXIT

# B is "cat" reading a fifo this shell holds (tests/story-daemon.c): it
# lives until it is killed or this test ends, not for a sleep's 30 s.  A
# is started with the fifo closed, so that only this shell holds it.
mkfifo "$work/hold" && exec 9<>"$work/hold" || exit 99
STORY_HOLD=$work/hold
export STORY_HOLD

bpids=
apids=
cleanup() {
	for p in $apids $bpids; do kill -9 "$p" 2>/dev/null; done
	apids='' bpids=''
}

# wait_for FILE PATTERN: until a line of FILE matches, for at most 10 s.
wait_for() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 100 ] && return 1
		sleep 0.1
	done
}

# story HOW [WRAPPER]: run the story once; prints the restart's output and
# returns 0 when the restart got both the lock and the port.
story() {
	how=$1; shift
	out=$work/$how.$#
	lock=$work/$how.lock
	bpid=$work/$how.bpid
	rm -f "$out".* "$bpid"

	"$@" "$daemon" 0 "$lock" "$how" "$bpid" >"$out.1" 2>&1 9>&- &
	apids="$apids $!"
	if ! wait_for "$out.1" '^started' || ! wait_for "$bpid" .; then
		diag "A did not start, or B did not:" "$(cat "$out.1")"
		return 2
	fi
	b=$(cat "$bpid")
	bpids="$bpids $b"
	port=$(sed -n 's/^port //p' "$out.1")
	# shellcheck disable=SC2086 # the pids, one a word
	kill -9 $apids 2>/dev/null
	wait 2>/dev/null
	apids=

	"$@" "$daemon" "$port" "$lock" "$how" "$bpid.2" >"$out.2" 2>&1 9>&- &
	apid=$!
	apids="$apids $apid"
	wait_for "$out.2" '^started\|^bind in-use\|^lock busy' || true
	restarted=1
	if grep -q '^started' "$out.2"; then
		restarted=0
		wait_for "$bpid.2" . && bpids="$bpids $(cat "$bpid.2")"
	else
		wait "$apid"	# A exits at once: let it finish its report
	fi
	cat "$out.2"
	# The restart is judged with B still there: one that succeeds because
	# B had gone proves nothing, and one that fails had better be B's doing.
	if ! kill -0 "$b" 2>/dev/null; then
		echo "B ($b) was gone before the restart was judged"
		restarted=2
	fi
	cleanup
	wait 2>/dev/null
	return $restarted
}

for how in system popen fork-execv vfork-execv posix_spawn; do
	result=$(story "$how")
	status=$?
	echo "$result" | grep -q '^lock busy' && echo "$result" | grep -q '^bind in-use'
	ok $(( status == 1 && $? == 0 ? 0 : 1 )) \
		"$how: without the shim, B keeps A's port and lock and the restart fails"
	[ $status -eq 1 ] || diag "$result"

	result=$(story "$how" "$NOLEAK_WRAPPER" --)
	status=$?
	ok $status "$how: under noleak, A restarts with its port and lock"
	[ $status -eq 0 ] || diag "$result"
done

done_testing
