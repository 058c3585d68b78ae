#!/bin/sh
# SPDX-License-Identifier: MIT
# harm.sh: the shim must never hang, crash or write where it should not.
# Each case once hung or crashed a program, or put a report into a child's
# output: every signal reset to its default (signal 64 included) before an
# exec; a log that is a FIFO nobody reads; a syslog socket whose queue is
# full; a child whose standard error is already its output; exec calls with
# bad arguments; and many descriptors to report.  Every run is bounded by
# timeout(1), and each must show it ran to the end ("done").
. "$NOLEAK_SRCDIR/tests/tap.sh"

harm=$NOLEAK_TESTS/harm
clean="PATH=/usr/bin:/bin"
work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-harm.XXXXXX") || exit 99
sink=
trap '[ -n "$sink" ] && kill "$sink" 2>/dev/null; rm -rf "$work"' EXIT

# native ARGS... / shim [VAR=VALUE...] ARGS...: run harm without or with
# the library (harm itself is the process it is given to), in a clean
# environment, for at most 10 seconds; stdout in $out, stderr in
# $work/err, the status in $st (124: it hung).
native() {
	out=$(timeout -k 2 10 env -i $clean "$harm" "$@" 2>"$work/err")
	st=$?
}
shim() {
	out=$(timeout -k 2 10 env -i $clean NOLEAK_SIGNALS=restore "$@" 2>"$work/err")
	st=$?
}
lib="LD_PRELOAD=$NOLEAK_LIBRARY"

# ---- 1. every signal reset before an exec ---------------------------------
want=$(printf 'child-ran\nsystem-ran\ndone')
native signals
test $st -eq 0 && test "$out" = "$want"
ok $? "without the shim, resetting signals 1..SIGRTMAX then exec and system() runs to the end"
for scope in process tree; do
	shim NOLEAK_SCOPE=$scope "$lib" "$harm" signals
	test $st -eq 0 && test "$out" = "$want"
	ok $? "scope $scope: signals 1..SIGRTMAX reset (64 included), then fork+exec, system() and an exec in place finish"
	[ $st -eq 0 ] || diag "status $st" "$out"
done

# ---- 2. a log that is a FIFO ----------------------------------------------
mkfifo "$work/fifo"
shim NOLEAK_LOG="$work/fifo" "$lib" "$harm" leak-system
r=0
test $st -eq 0 && test "$out" = 'done' || r=1
grep -q "NOLEAK_LOG: ignoring '$work/fifo': it is not a regular file; using stderr" "$work/err" || r=1
ok $r "NOLEAK_LOG naming a FIFO with no reader: refused at start, named, and the program runs on"
[ $r -eq 0 ] || diag "status $st" "$out" "$(cat "$work/err")"

mkfifo "$work/read-fifo"
timeout 10 cat "$work/read-fifo" >"$work/read-fifo.out" &
reader=$!
shim NOLEAK_LOG="$work/read-fifo" "$lib" "$harm" leak-system
r=0
test $st -eq 0 && test "$out" = 'done' || r=1
grep -q "NOLEAK_LOG: ignoring '$work/read-fifo': it is not a regular file" "$work/err" || r=1
wait $reader
[ ! -s "$work/read-fifo.out" ] || r=1
ok $r "NOLEAK_LOG naming a FIFO someone reads: refused too, nothing written to it"

shim NOLEAK_LOG="$work/later" "$lib" "$harm" fifo-later "$work/later"
test $st -eq 0 && test "$out" = 'done' && test -p "$work/later"
ok $? "a log that becomes a FIFO after start: the next system() does not block on it"
[ $st -eq 0 ] || diag "status $st" "$out"

# ---- 3. a syslog that never reads -----------------------------------------
# A datagram socket whose queue is full, bind-mounted over /dev/log in a
# mount namespace of our own (a tmpfs /dev, so the host's is untouched).
if [ "$(id -u)" = 0 ] && unshare -m --propagation private true 2>/dev/null; then
	"$harm" sink "$work/log.sock" "$work/sink-ready" 2>"$work/sink.err" &
	sink=$!
	i=0
	while [ ! -e "$work/sink-ready" ] && [ $i -lt 100 ]; do
		i=$((i + 1))
		sleep 0.05
	done
	unshare -m --propagation private sh -c '
		mount -t tmpfs tmpfs /dev && mknod -m 666 /dev/null c 1 3 &&
			: >/dev/log && mount --bind "$1/log.sock" /dev/log || exit 99
		timeout -k 2 10 env -i PATH=/usr/bin:/bin NOLEAK_LOG=syslog \
			LD_PRELOAD="$3" "$2" leak-system >"$1/syslog.out" 2>&1
		echo $? >"$1/syslog.st"
	' syslog "$work" "$harm" "$NOLEAK_LIBRARY"
	r=0
	[ -e "$work/sink-ready" ] || r=1
	test "$(cat "$work/syslog.st" 2>/dev/null)" = 0 || r=1
	grep -qx 'done' "$work/syslog.out" || r=1
	ok $r "NOLEAK_LOG=syslog with /dev/log's queue full: system() does not block"
	[ $r -eq 0 ] || diag "status $(cat "$work/syslog.st" 2>&1)" "$(cat "$work/syslog.out" "$work/sink.err" 2>&1)"
	kill "$sink" 2>/dev/null
	wait "$sink" 2>/dev/null
	sink=
else
	skip "syslog that never reads" "needs root and unshare -m"
fi

# ---- 4. reports never go into a child's output ----------------------------
# The child of fork puts a pipe on its stdout and stderr, then execs: the
# report of that exec must not reach the pipe, and a child that changes
# nothing still gets it on the daemon's stderr.
for how in "NOLEAK_MODE=audit" "NOLEAK_LOG=stderr"; do
	shim "$how" "$lib" "$harm" audit-child pipe
	r=0
	test $st -eq 0 || r=1
	printf '%s\n' "$out" | grep -qx 'pipe: child-output' || r=1
	! printf '%s\n' "$out" | grep -q '^pipe: .*noleak' || r=1
	ok $r "$how: a child that put a pipe on fd 1 and 2 gets no report in it"
	[ $r -eq 0 ] || diag "$out"
	shim "$how" "$lib" "$harm" audit-child plain
	test $st -eq 0 && grep -Eq "^noleak\[[0-9]+\]: (audit|stopped): harm\[[0-9]+\] (would leak )?fd [0-9]+ \(unix " "$work/err"
	r=$?
	ok $r "$how: with standard error unchanged, the report is there"
	[ $r -eq 0 ] || diag "status $st" "$out" "$(cat "$work/err")"
done

# ---- 5. exec calls with bad arguments -------------------------------------
# The same result line (return value, errno) as without the shim, or the
# new program running, and a normal exit: in place and in a forked child.
for case in execve-null-argv execve-null-envp execve-bad-argv execve-bad-envp \
	    execve-noaccess-argv execve-noaccess-envp execve-bad-arg-string \
	    execve-bad-env-string execve-noaccess-env-string execv-bad-argv \
	    execveat-null-path execveat-bad-path execveat-empty-path \
	    execveat-empty-no-flag execveat-bad-argv fexecve-bad-fd \
	    fexecve-null-argv fexecve-bad-envp execvp-null-argv \
	    execvp-missing-null-argv execvpe-null-argv execvpe-bad-envp; do
	for how in badexec badexec-child; do
		native "$how" "$case"
		want="$st $out"
		shim "$lib" "$harm" "$how" "$case"
		r=0
		test -n "$out" || r=1
		test "$st $out" = "$want" || r=1
		# shellcheck disable=SC2086,SC2116 # the output on one line
		ok $r "$how $case: as without the shim ($(echo $want))"
		[ $r -eq 0 ] || diag "with the shim: $st $out"
	done
done

# fds_allowed N: whether a program started here may open N descriptors: the
# hard RLIMIT_NOFILE allows it, or this shell may raise it (root with
# CAP_SYS_RESOURCE), which it then does.  Otherwise the check that needs
# them skips, saying so: a limit the user cannot raise (a container, a CI
# runner) is no failure of noleak.
fds_allowed() {
	fds_hard=$(ulimit -Hn)
	[ "$fds_hard" = unlimited ] || [ "$fds_hard" -ge "$1" ] || ulimit -Hn "$1" 2>/dev/null
}

# ---- 6. how much one spawn reports ----------------------------------------
# harm raises its soft RLIMIT_NOFILE to the hard one for its 5,003 sockets.
if fds_allowed 5100; then
	shim NOLEAK_LOG="$work/many.log" "$lib" "$harm" stopped 5000 3
	n=$(grep -c ' stopped: ' "$work/many.log")
	test $st -eq 0 && test "$out" = 'done' && test "$n" -eq 3
	ok $? "5,000 sockets the program made close-on-exec and 3 the shim stopped: 3 lines"
	[ "$n" = 3 ] || diag "status $st, $n lines"
else
	skip "5,000 sockets the program made close-on-exec and 3 the shim stopped" "the hard RLIMIT_NOFILE is $fds_hard and cannot be raised to 5100 here (root without CAP_SYS_RESOURCE, or a container)"
fi

shim NOLEAK_LOG="$work/hundred.log" "$lib" "$harm" stopped 0 100
r=0
test $st -eq 0 && test "$out" = 'done' || r=1
test "$(grep -c ' stopped: harm\[[0-9]*\] fd ' "$work/hundred.log")" -eq 16 || r=1
test "$(grep -c ' stopped: harm\[[0-9]*\] \.\.\. and 84 more descriptors from leaking into true$' "$work/hundred.log")" -eq 1 || r=1
grep -q 'summary: harm started 1 program; 100 descriptors kept from them' "$work/hundred.log" || r=1
ok $r "100 descriptors stopped at one spawn: 16 lines, one line for the 84 more, all 100 counted"
[ $r -eq 0 ] || diag "$(cut -c1-100 "$work/hundred.log" | tail -n 4)"

shim NOLEAK_MODE=audit "$lib" "$harm" stopped 0 100
r=0
test "$(grep -c ' audit: harm\[[0-9]*\] would leak fd ' "$work/err")" -eq 16 || r=1
test "$(grep -c ' audit: harm\[[0-9]*\] \.\.\. and 84 more descriptors would leak into true$' "$work/err")" -eq 1 || r=1
ok $r "audit, 100 descriptors at one spawn: 16 lines and one for the 84 more"

done_testing
