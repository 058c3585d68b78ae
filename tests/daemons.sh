# SPDX-License-Identifier: MIT
# shellcheck shell=sh disable=SC2034,SC2154 # shares $noleak, $work, $port with the tests that source it
# daemons.sh: the story's daemons, started for tests that look at them
# (check.sh, keep.sh, log.sh, modes.sh, init.sh); sourced after tap.sh.
# start() gives back A and B running, or ends the test with "Bail out!":
# no check ever looks at a daemon that never started.  B is "cat" reading
# a fifo this shell holds open (STORY_HOLD, tests/story-daemon.c), so it
# lives until stop_all kills it or the test ends, however slow the
# machine: nothing here waits on a "sleep 30" outliving the checks.

noleak=$NOLEAK_WRAPPER
daemon=$NOLEAK_TESTS/story-daemon
pids=
hold=

# gone PID: PID has exited (a zombie counts: whoever adopted it may be
# slow to reap it, and here that is not the test's concern).
gone() {
	! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

# stop_all: kill every daemon started, and wait until each has exited, so
# that its port and lock are free for the next test.
stop_all() {
	for p in $pids; do kill -9 "$p" 2>/dev/null; done
	for p in $pids; do
		i=0
		while ! gone "$p" && [ $i -lt 50 ]; do
			i=$((i + 1))
			sleep 0.1
		done
	done
	pids=
}

# clean COMMAND...: become COMMAND with nothing open but 0-2, so that what
# check reports is the daemon's own (bash: dash cannot name fds above 9).
clean() {
	exec bash -c 'for f in /proc/$$/fd/*; do
		n=${f##*/}
		[ "$n" -gt 2 ] && eval "exec $n>&-"
	done
	exec "$@"' clean "$@"
}

# start NAME [WRAPPER...]: start A (and so B, through system()); sets $a,
# $b and $port.  A's output is in $work/NAME.out; HOW may name another
# spawn path of story-daemon, and PORT the port (default: any free one).
# Returns once A has said "started", is still running, and B is cat; when
# that has not happened within 10 s, or A has exited, the test bails out
# with what A said.
start() {
	name=$1; shift
	if [ -z "$hold" ]; then
		hold=$work/hold
		mkfifo "$hold" || exit 99
		exec 9<>"$hold"	# read-write: neither this open nor B's blocks
	fi
	clean env STORY_HOLD="$hold" "$@" "$daemon" "${PORT:-0}" "$work/$name.lock" \
		"${HOW:-system}" "$work/$name.b" >"$work/$name.out" 2>&1 &
	a=$!
	pids="$pids $a"
	i=0 b=
	until grep -q '^started' "$work/$name.out" 2>/dev/null && ! gone "$a" &&
	      b=$(cat "$work/$name.b" 2>/dev/null) && [ -n "$b" ] &&
	      [ "$(cat "/proc/$b/comm" 2>/dev/null)" = cat ]; do
		i=$((i + 1))
		if [ $i -gt 100 ] || gone "$a"; then
			diag "A ($a) said:" "$(cat "$work/$name.out" 2>&1)" \
				"B: ${b:-no pid}, $(cat "/proc/${b:-0}/comm" 2>&1)"
			echo "Bail out! daemon $name: A did not start, or B is not running"
			exit 1
		fi
		sleep 0.1
	done
	pids="$pids $b"
	port=$(sed -n 's/^port //p' "$work/$name.out")
}
