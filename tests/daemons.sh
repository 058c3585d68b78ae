# SPDX-License-Identifier: MIT
# daemons.sh: the story's daemons, started for tests that look at them
# (check.sh, modes.sh); sourced after tap.sh, with $work set.

noleak=$NOLEAK_WRAPPER
daemon=$NOLEAK_TESTS/story-daemon
pids=

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
start() {
	name=$1; shift
	clean "$@" "$daemon" "${PORT:-0}" "$work/$name.lock" "${HOW:-system}" "$work/$name.b" \
		>"$work/$name.out" 2>&1 &
	a=$!
	pids="$pids $a"
	i=0
	until grep -q '^started' "$work/$name.out" 2>/dev/null && [ -s "$work/$name.b" ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && break
		sleep 0.1
	done
	b=$(cat "$work/$name.b")
	pids="$pids $b"
	port=$(sed -n 's/^port //p' "$work/$name.out")
}
