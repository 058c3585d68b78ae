#!/bin/sh
# SPDX-License-Identifier: MIT
# workers.sh: every report reaches the log, from every process of the
# tree, as long as it lives.  A daemon started as root under
# `noleak --audit --log FILE` forks a worker that becomes nobody, puts its
# standard error on /dev/null and starts programs (tests/dropper.c): its
# "would leak" lines are in FILE while the daemon runs, through the
# descriptor the library opened at start (numbered high, close-on-exec:
# no child sees it).  The log may be rotated meanwhile, logrotate's way
# (create, copytruncate); a worker that closes every descriptor gets the
# log again by its path, or, when it may not open it, says so once on
# syslog, where its lines then go.  The summary at exit names each
# descriptor it counts.  Needs root (the worker changes user).
. "$NOLEAK_SRCDIR/tests/tap.sh"

noleak=$NOLEAK_WRAPPER
dropper=$NOLEAK_TESTS/dropper
work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-workers.XXXXXX") || exit 99
d=
trap '[ -n "$d" ] && kill -9 "$d" 2>/dev/null; rm -rf "$work"' EXIT

if [ "$(id -u)" != 0 ]; then
	skip "workers that change user" "needs root"
	done_testing
	exit
fi
# Where /var/log is: the log's directory is open to all, the log is not.
chmod 755 "$work"
# make's jobserver descriptors (3 and 4, say) are handed on by MAKEFLAGS:
# a pipe the worker makes at those numbers would be named, not leaked.
unset MAKEFLAGS MFLAGS

# wait_for PATTERN FILE: until FILE has a line matching PATTERN (ERE), at
# most 10 s.
wait_for() {
	_i=0
	until grep -Eq -- "$1" "$2" 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -gt 100 ] && return 1
		sleep 0.1
	done
}

# count PATTERN FILE: how many lines of FILE match PATTERN (ERE).
count() {
	grep -Ec -- "$1" "$2" 2>/dev/null || true
}

# launch NAME COMMAND [WRAPPER...]: the dropper, through WRAPPER (say,
# noleak --audit --log FILE), its worker running COMMAND; output in
# $work/NAME.out.  Sets $d (the daemon), $w (the worker) and $port once the
# worker has changed user, or bails out with what the daemon said.
launch() {
	_name=$1 _cmd=$2
	shift 2
	"$@" "$dropper" "$work" 60 "$_cmd" >"$work/$_name.out" 2>&1 &
	if ! wait_for '^worker ' "$work/$_name.out"; then
		echo "Bail out! the dropper did not start its worker: $(cat "$work/$_name.out")"
		exit 1
	fi
	d=$(awk '$1 == "daemon" { print $2 }' "$work/$_name.out")
	w=$(awk '$1 == "worker" { print $2 }' "$work/$_name.out")
	port=$(awk '$1 == "port" { print $2 }' "$work/$_name.out")
}

# halt: SIGTERM to the daemon, which stops its worker and ends (saying the
# summary); wait at most 10 s for it.
halt() {
	kill -TERM "$d" 2>/dev/null
	_i=0
	while kill -0 "$d" 2>/dev/null && [ $_i -lt 100 ]; do
		_i=$((_i + 1))
		sleep 0.1
	done
	d=
}

lock=$work/dropper.lock
ls_cmd='ls -l /proc/self/fd'

# ---- the leak is there without the library -------------------------------
launch native "$ls_cmd" env
wait_for " -> $lock\$" "$work/native.out"
grep -q " -> $lock\$" "$work/native.out" &&
	grep -q "^worker $w uid 65534\$" "$work/native.out"
ok $? "without the library: the worker, nobody, leaks the daemon's lock into ls" ||
	diag "$(cat "$work/native.out")"
halt

# ---- a worker that became nobody, stderr on /dev/null ---------------------
log=$work/audit.log
launch audit "$ls_cmd" "$noleak" --audit --log "$log" --
r=0
wait_for "^noleak\[$w\]: audit: dropper\[[0-9]+\] would leak fd [0-9]+ \($lock\) into $ls_cmd" "$log" || r=1
grep -Eq "^noleak\[$w\]: audit: dropper\[[0-9]+\] would leak fd [0-9]+ \(tcp 127\.0\.0\.1:$port LISTEN\) into $ls_cmd" "$log" || r=1
kill -0 "$d" || r=1
ok $r "the worker's would-leak lines (lock, listener) are in the root-only log while the daemon runs" ||
	diag "log: $(cat "$log" 2>&1)" "out: $(head -n 5 "$work/audit.out")"

test "$(stat -c '%a %U' "$log")" = "600 root"
ok $? "...though the log is root's, mode 0600"

grep -q " -> $lock\$" "$work/audit.out" && ! grep -q " -> $log\$" "$work/audit.out"
ok $? "audit changes nothing (the lock still reaches ls), and the log's descriptor reaches no child" ||
	diag "$(grep -- ' -> ' "$work/audit.out" | sort -u)"

# shellcheck disable=SC2012 # the fd link's target, as ls -l shows it
held=$(ls -l "/proc/$w/fd" 2>/dev/null | awk -v lf="$log" '$NF == lf { print $(NF - 2) }')
flags=$(awk '$1 == "flags:" { print $2 }' "/proc/$w/fdinfo/$held" 2>/dev/null)
[ -n "$held" ] && [ "$held" -ge 100 ] && [ $((0$flags & 02000000)) -ne 0 ]
ok $? "the worker writes through the descriptor the daemon opened at start: numbered high ($held), close-on-exec" ||
	diag "$(ls -l "/proc/$w/fd" 2>&1)"

# ---- the summary names what it counts -------------------------------------
halt
r=0
wait_for "^noleak\[[0-9]+\]: summary: dropper started [0-9]+ programs; [0-9]+ descriptors would have leaked into them\$" "$log" || r=1
grep -Eq "^noleak\[[0-9]+\]: summary: \($lock\) would have leaked into $ls_cmd, [0-9]+ times\$" "$log" || r=1
grep -Eq "^noleak\[[0-9]+\]: summary: \(tcp 127\.0\.0\.1:$port LISTEN\) would have leaked into $ls_cmd, [0-9]+ times\$" "$log" || r=1
ok $r "the summary at exit names each descriptor, the program, and how many times" ||
	diag "$(grep summary "$log" 2>&1)"
# The counts add up: the rows' times are the head line's descriptors.
total=$(sed -n 's/.*summary: dropper started [0-9]* programs; \([0-9]*\) descriptors.*/\1/p' "$log")
rows=$(sed -n 's/.*summary: (.*) would have leaked into .*, \([0-9]*\) times\{0,1\}$/\1/p' "$log" |
	awk '{ n += $1 } END { print n + 0 }')
[ -n "$total" ] && [ "$total" -gt 0 ] && [ "$rows" = "$total" ]
ok $? "...and the rows add up to the count ($rows of ${total:-none})"

# ---- rotation: create (rename, new file) and copytruncate ----------------
# rotate LOG HOW: logrotate's way; the new file is root's, 0600.
rotate() {
	case $2 in
	create) mv "$1" "$1.1" && (umask 077 && : >"$1") ;;
	copytruncate) cp "$1" "$1.1" && : >"$1" ;;
	esac
}

for as in root nobody; do
	for how in create copytruncate; do
		log=$work/$as-$how.log
		rm -f "$log" "$log.1"
		launch "$as-$how" true env DROPPER_AS=$as "$noleak" --audit --log "$log" --
		wait_for "^noleak\[$w\]: audit: .* would leak fd" "$log" || diag "no line before the rotation"
		rotate "$log" "$how"
		sleep 0.3	# a line written as it rotated may land on either side
		before=$(count "^noleak\[$w\]: audit:" "$log")
		old=$(count "^noleak\[$w\]: audit:" "$log.1")
		sleep 1
		r=0
		case $as-$how in
		nobody-create)
			# nobody may not open the new file: the old one takes the
			# lines, none lost.
			[ "$(count "^noleak\[$w\]: audit:" "$log.1")" -gt "$old" ] || r=1
			what="lines keep arriving in the renamed file, which the worker still holds" ;;
		*)
			[ "$(count "^noleak\[$w\]: audit:" "$log")" -gt "$before" ] || r=1
			what="lines keep arriving in the new file" ;;
		esac
		kill -0 "$d" || r=1
		ok $r "worker as $as, rotation by $how: $what" ||
			diag "$log: $(tail -n 3 "$log" 2>&1)" "$log.1: $(tail -n 3 "$log.1" 2>&1)"
		halt
	done
done

# ---- a worker that closes every descriptor --------------------------------
log=$work/closed.log
launch closed true env DROPPER_AS=root DROPPER_CLOSE_ALL=1 "$noleak" --audit --log "$log" --
wait_for "^noleak\[$w\]: audit: dropper\[[0-9]+\] would leak fd [0-9]+ \(pipe\) into true" "$log"
ok $? "a worker (root) that closed every descriptor: the log is opened again by its path" ||
	diag "$(cat "$log" 2>&1)" "$(cat "$work/closed.out")"
halt

# As nobody, it cannot open it again: once, on syslog, it says so, and its
# lines go there.  /dev/log, in a mount namespace of its own (a tmpfs over
# /dev, with /dev/null), read by Python.
if command -v python3 >/dev/null 2>&1 && unshare -m --propagation private true 2>/dev/null; then
	log=$work/closed-nobody.log
	timeout -k 5 30 unshare -m --propagation private sh -c '
		mount -t tmpfs tmpfs /dev && mknod -m 666 /dev/null c 1 3 || exit 99
		python3 -c "
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(\"/dev/log\")
import os; os.chmod(\"/dev/log\", 0o666)
s.settimeout(1)
open(sys.argv[1], \"w\").close()
end, seen = time.time() + 15, 0
with open(sys.argv[2], \"wb\") as out:
    while time.time() < end and seen < 5:
        try:
            data = s.recv(4096)
        except socket.timeout:
            continue
        out.write(data + b\"\\n\")
        out.flush()
        seen += b\"would leak\" in data
" "$1/ready" "$1/syslog" &
		py=$!
		while [ ! -e "$1/ready" ]; do sleep 0.05; done
		DROPPER_CLOSE_ALL=1 "$2" --audit --log "$3" -- "$4" "$1" 60 true >"$1/syslog.out" 2>&1 &
		dropper=$!
		wait $py
		kill -TERM $(awk "\$1 == \"daemon\" { print \$2 }" "$1/syslog.out")
		wait $dropper
	' syslog "$work" "$noleak" "$log" "$dropper"
	w=$(awk '$1 == "worker" { print $2 }' "$work/syslog.out")
	r=0
	[ "$(count "^<28>noleak\[$w\]: cannot write to the log $log as uid 65534 \(permission denied\); this process's reports go to syslog\$" "$work/syslog")" = 1 ] || r=1
	[ "$(count "^<28>noleak\[$w\]: audit: dropper\[[0-9]+\] would leak fd [0-9]+ \(pipe\) into true; made by pipe\(\) at .*" "$work/syslog")" -ge 2 ] || r=1
	ok $r "a worker (nobody) that closed every descriptor says once on syslog that it cannot write to the log, and its lines go there" ||
		diag "$(cat "$work/syslog" 2>&1)" "$(cat "$work/syslog.out" 2>&1)"
else
	skip "a worker that cannot open the log again" "needs python3 and unshare -m"
fi

done_testing
