#!/bin/sh
# SPDX-License-Identifier: MIT
# log.sh: NOLEAK_LOG and the wrapper's --log.  With a log set, enforce
# reports what it kept from B; audit lines go to the log too.  The log is
# created 0600, appended to, held close-on-exec at a high number (no
# child sees it), never opened through a symbolic link; bad values are
# named and reports fall back to standard error.  Syslog is tested in a
# private mount namespace (as root).
. "$NOLEAK_SRCDIR/tests/tap.sh"
. "$NOLEAK_SRCDIR/tests/daemons.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-log.XXXXXX") || exit 99
trap 'stop_all; rm -rf "$work"' EXIT
log=$work/noleak.log

start file "$noleak" --log "$log" --
r=0
grep -Eq "^noleak\[[0-9]+\]: stopped: story-daemon\[$a\] fd [0-9]+ \(tcp 127\.0\.0\.1:$port LISTEN\) from leaking into cat <" "$log" || r=1
grep -Eq "^noleak\[[0-9]+\]: stopped: story-daemon\[$a\] fd [0-9]+ \($work/file.lock\) from leaking into " "$log" || r=1
ok $r "enforce with a log: the listener and the lock kept from B are reported there"
[ $r -eq 0 ] || diag "$(cat "$log" 2>&1)"

! grep -q 'noleak\[' "$work/file.out"
ok $? "...and not on standard error"

test "$(stat -c %a "$log")" = 600
ok $? "the log is created with mode 0600"

# Only while A is there to look at: its listener is in the same listing.
# The log is opened once, at start, and held out of the program's way
# (a high number, close-on-exec): workers that change user write through
# it (workers.sh).
fds=$(ls -l "/proc/$a/fd" 2>&1)
held=$(printf '%s\n' "$fds" | awk -v lf="$log" '$NF == lf { print $(NF - 2) }')
flags=$(awk '$1 == "flags:" { print $2 }' "/proc/$a/fdinfo/$held" 2>/dev/null)
printf '%s\n' "$fds" | grep -q 'socket:' && [ -n "$held" ] && [ "$held" -ge 100 ] &&
	[ $((0$flags & 02000000)) -ne 0 ]
ok $? "the daemon holds the log at a high number ($held), close-on-exec" || diag "A ($a): $fds"
# shellcheck disable=SC2010 # the fd links, for the log's path
"$noleak" check "$b" >/dev/null &&
	! ls -l "/proc/$b/fd" 2>&1 | grep -q -- "-> $log\$"
ok $? "with a log, B still gets nothing of A's, nor the log"
stop_all

"$noleak" --log "$log" -- "$NOLEAK_TESTS/probe" run socket system >/dev/null 2>&1
grep -Eq '^noleak\[[0-9]+\]: stopped: probe\[[0-9]+\] fd [0-9]+ \(tcp 0\.0\.0\.0:0\) from leaking into .*; made by socket\(\) at .*/probe\+0x[0-9a-f]+$' "$log" &&
	grep -Eq '^noleak\[[0-9]+\]: summary: probe started 1 program; 1 descriptor kept from them$' "$log"
ok $? "enforce with a log: a socket made close-on-exec at creation is reported, with its maker, and summed up"

lines=$(wc -l <"$log")
start append "$noleak" --audit -l "$log" --
test "$(wc -l <"$log")" -gt "$lines" &&
	grep -q "audit: story-daemon\[$a\] would leak fd" "$log" &&
	head -n "$lines" "$log" | grep -q "stopped: "
ok $? "audit lines are appended to the same log, after what was there"
stop_all

ln -s "$log" "$work/link.log"
NOLEAK_LOG=$work/link.log start link "$noleak" --
r=0
grep -q "NOLEAK_LOG: ignoring '$work/link.log': cannot open it (it is a symbolic link); using stderr" "$work/link.out" || r=1
"$noleak" check "$b" >/dev/null || r=1
ok $r "a log that is a symbolic link is refused, named, and the daemon still protected"
[ $r -eq 0 ] || diag "$(cat "$work/link.out")"
stop_all

NOLEAK_LOG=$work/missing/dir/x.log start missing "$noleak" --
grep -q "NOLEAK_LOG: ignoring '$work/missing/dir/x.log': cannot open it (No such file or directory); using stderr" "$work/missing.out"
ok $? "a log that cannot be created is named, with the reason"
stop_all

NOLEAK_LOG=relative.log start relative "$noleak" --
grep -q "NOLEAK_LOG: ignoring 'relative.log': expected stderr, syslog or an absolute path; using stderr" "$work/relative.out"
ok $? "a relative log path is named and refused"
stop_all

NOLEAK_LOG=$(head -c 3000 /dev/urandom | tr -d '\000') start random "$noleak" --
r=0
grep -q "^noleak\[$a\]: NOLEAK_LOG: ignoring '.*\.\.\.': " "$work/random.out" || r=1
grep -q '^started' "$work/random.out" || r=1
"$noleak" check "$b" >/dev/null || r=1
ok $r "3,000 random bytes in NOLEAK_LOG: one message, cut short, and the daemon runs protected"
[ $r -eq 0 ] || diag "$(cat "$work/random.out")"
stop_all

"$noleak" --log=log.txt -- true >"$work/out" 2>&1
test $? -eq 125 && grep -q "invalid log 'log.txt'" "$work/out"
ok $? "the wrapper refuses a relative --log with 125, naming it"

# ---- secure execution -----------------------------------------------------
# ld.so drops LD_PRELOAD for setuid programs, but not /etc/ld.so.preload:
# in a mount namespace whose /etc has one, a setuid copy of the probe runs
# under the library, and must not open a log its environment names.  The
# same probe without the setuid bit opens it (so the test can fail).
if [ "$(id -u)" = 0 ] && unshare -m --propagation private true 2>/dev/null; then
	cp "$NOLEAK_TESTS/probe" "$work/sprobe"
	cp "$NOLEAK_TESTS/probe" "$work/plain-probe"
	chown nobody "$work/sprobe" && chmod 4755 "$work/sprobe"
	chmod 755 "$work" "$work/plain-probe"
	unshare -m --propagation private sh -c '
		cp -a /etc "$1/etc" && echo "$2" >"$1/etc/ld.so.preload" &&
			mount --bind "$1/etc" /etc || exit 99
		NOLEAK_LOG=$1/secure.log "$1/sprobe" run open fork-execve >"$1/secure.out" 2>&1
		NOLEAK_LOG=$1/plain.log "$1/plain-probe" run open fork-execve >/dev/null 2>&1
		NOLEAK_KEEP=3-99 "$1/sprobe" program-cloexec fork-execve >"$1/secure-cloexec.out" 2>&1
		"$1/sprobe" run raw fork-execve >"$1/secure-raw.out" 2>&1
	' secure "$work" "$NOLEAK_LIBRARY"
	r=0
	[ ! -e "$work/secure.log" ] || r=1
	grep -q "NOLEAK_LOG: ignoring '$work/secure.log': a setuid or setcap program opens no file named by its environment; using stderr" "$work/secure.out" || r=1
	[ -e "$work/plain.log" ] || r=1
	ok $r "a setuid program under the library opens no log file named by its environment"
	[ $r -eq 0 ] || diag "$(cat "$work/secure.out" 2>&1)"
	# Still protected there, and its own close-on-exec flags hold even
	# when a keep-list names the descriptor.
	for case in cloexec raw; do
		f=$work/secure-$case.out
		fd=$(awk '$1 == "created" { print $2 }' "$f")
		absent "$(cat "$f")" "$fd"
		r=$?
		case $case in
		cloexec) ok $r "a setuid program: a keep-list does not clear close-on-exec the program set" ;;
		raw) ok $r "a setuid program: a descriptor made behind the library's back is swept" ;;
		esac
		[ $r -eq 0 ] || diag "$(cat "$f")"
	done
else
	skip "secure execution" "needs root and unshare -m"
fi

# ---- syslog ---------------------------------------------------------------
# /dev/log, in a mount namespace of its own: a tmpfs over /dev holding
# /dev/null and a datagram socket that Python reads.
if [ "$(id -u)" = 0 ] && command -v python3 >/dev/null 2>&1 &&
   unshare -m --propagation private true 2>/dev/null; then
	unshare -m --propagation private sh -c '
		mount -t tmpfs tmpfs /dev && mknod -m 666 /dev/null c 1 3 || exit 99
		python3 -c "
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(\"/dev/log\")
s.settimeout(10)
open(sys.argv[1], \"w\").close()
with open(sys.argv[2], \"wb\") as out:
    while True:
        data = s.recv(4096)
        out.write(data + b\"\\n\")
        out.flush()
        if b\"LISTEN\" in data:
            break
" "$1/ready" "$1/syslog" &
		while [ ! -e "$1/ready" ]; do sleep 0.05; done
		"$2" --log syslog -- "$3" 0 "$1/sys.lock" system "$1/sys.b" >"$1/sys.out" 2>&1 &
		wait $!
	' syslog "$work" "$noleak" "$daemon" &
	i=0
	until grep -q LISTEN "$work/syslog" 2>/dev/null || [ $i -gt 100 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	grep -Eq "^<28>noleak\[[0-9]+\]: stopped: story-daemon\[[0-9]+\] fd [0-9]+ \(tcp 127\.0\.0\.1:[0-9]+ LISTEN\) from leaking into " "$work/syslog"
	ok $? "--log syslog: reports reach /dev/log, facility daemon, priority warning"
	[ -s "$work/sys.b" ] && kill -9 "$(cat "$work/sys.b")" 2>/dev/null
	pkill -9 -f "$work/sys.lock" 2>/dev/null
	wait 2>/dev/null
else
	skip "--log syslog" "needs root, python3 and unshare -m"
fi

done_testing
