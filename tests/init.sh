#!/bin/sh
# SPDX-License-Identifier: MIT
# init.sh: the init files in examples/, which noleak(1) shows, run for
# real: the Debian-style script through start-stop-daemon, the plain init
# script, and the systemd unit and drop-in (checked by systemd-analyze
# verify, then their command line and environment run as systemd would).
# Each must start the story's daemon A protected (check finds nothing) and
# with the pid the init system tracks being A's own.
. "$NOLEAK_SRCDIR/tests/tap.sh"
. "$NOLEAK_SRCDIR/tests/daemons.sh"

examples=$NOLEAK_SRCDIR/examples
work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-init.XXXXXX") || exit 99
trap 'stop_all; rm -rf "$work"' EXIT

# wait_file FILE: until it is not empty, for at most 10 s.
wait_file() {
	i=0
	until [ -s "$1" ] || [ $i -gt 100 ]; do
		i=$((i + 1))
		sleep 0.1
	done
}

# protected NAME PID: A is running as PID, nothing of it would leak, and
# B (its pid in $work/NAME.b) holds nothing of A's.  What check said goes
# to the TAP output when it is not so.
protected() {
	wait_file "$work/$1.b"
	pids="$pids $2 $(cat "$work/$1.b" 2>/dev/null)"
	if test "$(cat "/proc/$2/comm" 2>/dev/null)" = story-daemon &&
	   "$noleak" check "$2" >"$work/$1.check" 2>&1 &&
	   "$noleak" check "$(cat "$work/$1.b")" >>"$work/$1.check" 2>&1; then
		return 0
	fi
	diag "pid $2: $(cat "/proc/$2/comm" 2>&1)" "$(cat "$work/$1.check" 2>&1)"
	return 1
}

# ---- start-stop-daemon ------------------------------------------------------
if command -v start-stop-daemon >/dev/null 2>&1; then
	export NOLEAK="$noleak" DAEMON="$daemon" PIDFILE="$work/ssd.pid"
	export DAEMON_ARGS="0 $work/ssd.lock system $work/ssd.b"
	sh "$examples/legacyd.sysvinit" start
	wait_file "$PIDFILE"
	protected ssd "$(cat "$PIDFILE")"
	ok $? "legacyd.sysvinit start: start-stop-daemon --startas noleak; the pid file names A, protected"
	apid=$(cat "$PIDFILE")
	sh "$examples/legacyd.sysvinit" stop && gone "$apid"
	ok $? "legacyd.sysvinit stop: start-stop-daemon --exec finds A, and stops it"
else
	skip "legacyd.sysvinit" "start-stop-daemon is not installed"
fi

# ---- a plain init script --------------------------------------------------
export NOLEAK="$noleak" DAEMON="$daemon" PIDFILE="$work/plain.pid"
export DAEMON_ARGS="0 $work/plain.lock system $work/plain.b"
(clean sh "$examples/legacyd.init" start)
wait_file "$PIDFILE"
protected plain "$(cat "$PIDFILE")"
ok $? "legacyd.init start: \$! is A's pid, and A is protected"
apid=$(cat "$PIDFILE")
sh "$examples/legacyd.init" stop
i=0
while ! gone "$apid" && [ $i -lt 50 ]; do i=$((i + 1)); sleep 0.1; done
gone "$apid"
ok $? "legacyd.init stop: A is stopped"
stop_all

# ---- systemd ------------------------------------------------------------------
# The unit and the drop-in as written, with this build's paths.
sed -e "s|/usr/bin/noleak|$noleak|" \
    -e "s|/usr/sbin/legacyd --foreground|$daemon 0 $work/unit.lock system $work/unit.b|" \
    "$examples/legacyd.service" >"$work/legacyd.service"
mkdir "$work/legacyd.service.d"
sed -e "s|/usr/lib/noleak/libnoleak.so|$NOLEAK_LIBRARY|" \
    "$examples/noleak.conf" >"$work/legacyd.service.d/noleak.conf"
if command -v systemd-analyze >/dev/null 2>&1; then
	out=$(systemd-analyze verify --man=no "$work/legacyd.service" 2>&1)
	r=$?
	test $r -eq 0 && test -z "$out"
	ok $? "systemd-analyze verify accepts legacyd.service and its noleak.conf drop-in"
	# shellcheck disable=SC2015 # diag when either test fails
	[ $r -eq 0 ] && [ -z "$out" ] || diag "$out"
else
	skip "systemd-analyze verify" "systemd-analyze is not installed"
fi

cmd=$(sed -n 's/^ExecStart=//p' "$work/legacyd.service")
(clean sh -c "exec $cmd" >/dev/null 2>&1) &
protected unit $!
ok $? "legacyd.service ExecStart=: A runs as the unit's main pid, protected"
stop_all

env=$(sed -n 's/^Environment=//p' "$work/legacyd.service.d/noleak.conf")
(clean env "$env" "$daemon" 0 "$work/dropin.lock" system "$work/dropin.b" >/dev/null 2>&1) &
protected dropin $!
ok $? "noleak.conf Environment=LD_PRELOAD=: the unit's own ExecStart runs protected"
stop_all

done_testing
