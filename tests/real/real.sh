# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034 # $nl, $modes: read by the tests that source it
# real.sh: helpers for the real-daemon tests of `make check-real`; sourced
# by each tests/real/*.sh.  Each daemon runs in a session of its own, so
# that the EXIT trap finds and kills whatever it started (workers, new
# masters, children) by session id, and everything lives in $work.
. "$NOLEAK_SRCDIR/tests/tap.sh"

noleak=$NOLEAK_WRAPPER
# The system's Python: the one Debian's packages (gunicorn) are built for.
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)
work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-real.XXXXXX") || exit 99
chmod 755 "$work"
sessions=

# stop_session SID: kill -9 every process of session SID (a daemon the
# test started with `daemon`, and all it started).
stop_session() {
	for p in $(ps -e -o pid= -o sid= | awk -v s="$1" '$2 == s { print $1 }'); do
		kill -9 "$p" 2>/dev/null
	done
}

cleanup() {
	for sid in $sessions; do stop_session "$sid"; done
	for pid in ${extra_pids-}; do kill -9 "$pid" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "${KEEP_WORK-}" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# daemon NAME MODE COMMAND...: start COMMAND as MODE says (see under) in
# a session of its own, stdin from /dev/null, output in $work/NAME.log;
# $pid is its pid (and the session's id).
daemon() {
	name=$1 m=$2
	shift 2
	[ "$m" = none ] || set -- "$noleak" -s "$m" -- "$@"
	setsid "$@" </dev/null >"$work/$name.log" 2>&1 &
	pid=$!
	disown $pid
	sessions="$sessions $pid"
}

# wrap MODE: the array nl is what goes before a command to run it as MODE
# says: nothing, or the noleak wrapper and its scope.
wrap() {
	if [ "$1" = none ]; then nl=(); else nl=("$noleak" -s "$1" --); fi
}

# under MODE COMMAND...: COMMAND as MODE runs it: "none" without noleak,
# "process" and "tree" under noleak in that scope.
under() {
	m=$1
	shift
	case $m in
	none) "$@" ;;
	*) "$noleak" -s "$m" -- "$@" ;;
	esac
}

# wait_for SECONDS COMMAND...: run COMMAND every 0.1 s until it succeeds
# (status 0) or SECONDS have passed (status 1).
wait_for() {
	limit=$(($1 * 10))
	shift
	i=0
	until "$@"; do
		i=$((i + 1))
		[ $i -ge $limit ] && return 1
		sleep 0.1
	done
}

# wait_up PID SECONDS COMMAND...: as wait_for, but gives up as soon as
# PID has exited.
wait_up() {
	wpid=$1 limit=$(($2 * 10))
	shift 2
	i=0
	until "$@"; do
		i=$((i + 1))
		[ $i -ge $limit ] && return 1
		gone "$wpid" && return 1
		sleep 0.1
	done
}

# gone PID: PID has exited (a zombie counts).
gone() {
	! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
	"$py" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# get URL: the body at URL (status 0), or nothing and status 1.
get() {
	curl -fsS --max-time 3 "$1" 2>/dev/null
}

# listener_inode PORT: the inode of the socket listening on TCP PORT.
listener_inode() {
	hex=$(printf '%04X' "$1")
	awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { print $10; exit }' \
		/proc/net/tcp /proc/net/tcp6
}

# listening PORT: something listens on TCP PORT.
listening() {
	[ -n "$(listener_inode "$1")" ]
}

# has_lib PID: PID has the library mapped.
has_lib() {
	grep -q libnoleak "/proc/$1/maps" 2>/dev/null
}

# children PID: the pids whose parent is PID.
children() {
	cat /proc/"$1"/task/*/children 2>/dev/null
}

# loop_start URL: a client that requests URL every 20 ms, each with a 3 s
# timeout, until loop_stop; loop_stop leaves "answered N failed M" in
# $loop and the failures in $work/loop.err.
loop_start() {
	rm -f "$work/loop.stop" "$work/loop.out" "$work/loop.err"
	"$py" - "$1" "$work/loop.stop" >"$work/loop.out" 2>"$work/loop.err" <<'PY' &
import os, sys, time, urllib.request
url, stop = sys.argv[1], sys.argv[2]
answered = failed = 0
while not os.path.exists(stop):
    try:
        with urllib.request.urlopen(url, timeout=3) as r:
            r.read()
        answered += 1
    except Exception as e:
        failed += 1
        print(time.strftime("%T"), repr(e), file=sys.stderr)
    time.sleep(0.02)
print("answered %d failed %d" % (answered, failed))
PY
	loop_pid=$!
	extra_pids="${extra_pids-} $loop_pid"
}

loop_stop() {
	touch "$work/loop.stop"
	wait "$loop_pid"
	loop=$(cat "$work/loop.out")
}

# loop_clean: whether the last loop answered every request (and some).
loop_clean() {
	case $loop in
	"answered 0 "*) return 1 ;;
	*" failed 0") return 0 ;;
	*) return 1 ;;
	esac
}

# need PROGRAM PACKAGE: when PROGRAM is missing, skip the whole script
# with the reason and exit.
need() {
	if ! command -v "$1" >/dev/null 2>&1 && [ ! -x "$1" ]; then
		skip "$(basename "$0" .sh)" "$1 is missing: install the Debian package $2"
		done_testing
		exit 0
	fi
}

# check STATUS DESCRIPTION [DIAG...]: ok, and the DIAG lines when STATUS
# says it failed; returns STATUS.
check() {
	r=$1 d=$2
	shift 2
	ok "$r" "$d"
	[ "$r" -eq 0 ] || { [ $# -eq 0 ] || diag "$@"; }
	return "$r"
}

# under_lib MODE PID NAME: under noleak (MODE process or tree), check that
# PID, the daemon itself, has the library loaded: otherwise the run
# proves nothing.  Nothing for MODE none.
under_lib() {
	[ "$1" = none ] && return 0
	has_lib "$2"
	check $? "$1: $3 runs with the library loaded"
}

# not_run DESCRIPTION...: a failure for each check that could not run
# (the daemon did not start), so that the count of checks stays the same.
not_run() {
	for d in "$@"; do ok 1 "$d (not run: it did not start)"; done
}

# scopes: the three ways each case runs.
modes="none process tree"
