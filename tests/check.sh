#!/bin/sh
# SPDX-License-Identifier: MIT
# check.sh: `noleak check`, on the story's daemons.  Daemon A listens and
# holds a lock, starts B with system(); run without the shim, B holds both
# and check must say so (exit 1); run under noleak, check must find
# nothing (exit 0).  Then ports, JSON, and bad input.
. "$NOLEAK_SRCDIR/tests/tap.sh"
. "$NOLEAK_SRCDIR/tests/daemons.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-check.XXXXXX") || exit 99
trap 'stop_all; rm -rf "$work"' EXIT

report() {
	diag "status $st" "stdout: $out" "stderr: $err"
}

# has_out PATTERN: $out has a line matching the basic regular expression.
has_out() { printf '%s\n' "$out" | grep -q -- "$1"; }

# ---- a process ------------------------------------------------------------
start leaky
run check "$a"
r=0
[ "$st" -eq 1 ] || r=1
printf '%s\n' "$out" | grep -Eq "^ +fd [0-9]+ +tcp 127\.0\.0\.1:$port LISTEN\$" || r=1
ok $r "without the shim: check names A's listener, and exits 1"
[ $r -eq 0 ] || report

printf '%s\n' "$out" | grep -q "also held by $b cat" &&
	printf '%s\n' "$out" | grep -q "$work/leaky.lock (locked: FLOCK WRITE)"
ok $? "without the shim: check names the lock, and B as another holder of both"
leaky_a=$a leaky_b=$b leaky_port=$port

start clean "$noleak" --
run check "$a"
r=0
[ "$st" -eq 0 ] || r=1
printf '%s\n' "$out" | grep -q "^$a story-daemon: nothing would leak" || r=1
ok $r "under noleak: check finds nothing that would leak, and exits 0"
[ $r -eq 0 ] || report

run check "$leaky_a" "$a"
test "$st" -eq 1
ok $? "several processes: the status is the worst of them"

# ---- a port ---------------------------------------------------------------
run check ":$leaky_port"
r=0
[ "$st" -eq 1 ] || r=1
printf '%s\n' "$out" | grep -q "^  $leaky_a story-daemon fd [0-9]*: tcp 127.0.0.1:$leaky_port LISTEN" || r=1
printf '%s\n' "$out" | grep -q "^  $leaky_b cat fd [0-9]*: .*probably inherited: $leaky_a story-daemon" || r=1
ok $r ":PORT lists A and B, and says B inherited it from A"
[ $r -eq 0 ] || report

r=0
has_out "^    verdict: a leak: $leaky_b cat did not create this socket\$" || r=1
has_out "^      - $leaky_a story-daemon started before it and holds the same socket\$" || r=1
has_out "^      - cat (.*/cat) is a program that never listens" || r=1
has_out "^    next step: restart $leaky_a story-daemon under noleak (noleak -- .*/story-daemon), and kill $leaky_b cat or restart it under noleak\$" || r=1
has_out "^    verdict: $leaky_a story-daemon created it, most likely: it started first" || r=1
ok $r "A alive: :PORT says B did not create it, with the evidence, and to restart A under noleak"
[ $r -eq 0 ] || report

run check "tcp:$port"
r=0
[ "$st" -eq 0 ] || r=1
printf '%s\n' "$out" | grep -q "^  $a story-daemon fd [0-9]*: tcp 127.0.0.1:$port LISTEN, close-on-exec, no ancestor holds it\$" || r=1
printf '%s\n' "$out" | grep -q " cat " && r=1
ok $r "under noleak: tcp:PORT lists A alone, close-on-exec, and exits 0"
[ $r -eq 0 ] || report

kill -9 "$leaky_a"
wait "$leaky_a" 2>/dev/null
run check "tcp:$leaky_port"
printf '%s\n' "$out" | grep -q "^  $leaky_b cat fd [0-9]*: tcp 127.0.0.1:$leaky_port LISTEN, reaches its children"
ok $? "after A is gone: tcp:PORT finds B holding A's port"

# The story's end: A is gone, B alone holds A's port and lock.
r=0
[ "$st" -eq 1 ] || r=1
has_out "^    verdict: a leak: $leaky_b cat did not create this socket\$" || r=1
has_out "^      - cat (.*/cat) is a program that never listens: it cannot have made a listening socket\$" || r=1
has_out "^      - it holds it without close-on-exec: cat passes it to every program it starts\$" || r=1
has_out "^      - it holds $work/leaky.lock (locked: FLOCK WRITE), which process $leaky_a took and has exited\$" || r=1
has_out "^    next step: kill $leaky_b cat or restart it under noleak, to free it; then restart the daemon that created it under noleak (noleak -- DAEMON, or noleak enable-unit UNIT): it has exited; process $leaky_a, which took the lock cat holds, has exited too: likely that daemon\$" || r=1
ok $r "A gone: :PORT says B did not create it, each piece of evidence, and the next step, exit 1"
[ $r -eq 0 ] || report

run check "udp:$leaky_port"
test "$st" -eq 0 && printf '%s\n' "$out" | grep -q "no process holds it"
ok $? "udp:PORT on a port only TCP uses: nobody holds it, exit 0"

# ---- JSON -----------------------------------------------------------------
if command -v python3 >/dev/null 2>&1; then
	run check --json "$leaky_b" ":$leaky_port"
	printf '%s\n' "$out" | python3 -c '
import json, sys
doc = json.load(sys.stdin)
proc, port = doc["results"]
assert doc["status"] == 1, doc
assert proc["pid"] == int(sys.argv[1]) and proc["name"] == "cat", proc
assert any(l["kind"] == "tcp" and "LISTEN" in l["what"] for l in proc["leaks"]), proc
assert any(l["locked"] for l in proc["leaks"]), proc
assert port["port"] == int(sys.argv[2]), port
assert [h["pid"] for h in port["holders"]] == [int(sys.argv[1])], port
assert port["holders"][0]["cloexec"] is False, port
assert port["holders"][0]["verdict"] == "leaked" and port["holders"][0]["never_listens"], port
' "$leaky_b" "$leaky_port"
	ok $? "--json: one document with the leaks, the holders, B's verdict and the status"
else
	skip "--json" "python3 is not installed"
fi

# ---- what a new user tripped over ------------------------------------------
prefork=$NOLEAK_TESTS/prefork

# fixture NAME [WRAPPER...] -- ADDR WORKERS: the prefork fixture, started
# clean; sets $m and $port once it has said "started".
fixture() {
	name=$1; shift
	clean "$@" >"$work/$name.out" 2>&1 &
	m=$!
	pids="$pids $m"
	i=0
	until grep -q '^started' "$work/$name.out" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ] || gone "$m"; then
			echo "Bail out! prefork $name did not start: $(cat "$work/$name.out")"
			exit 1
		fi
		sleep 0.1
	done
	port=$(sed -n 's/^port //p' "$work/$name.out")
}

fixture mapped env PREFORK_UNBOUND=1 "$prefork" ::ffff:127.0.0.1 0
run check "$m"
r=0
has_out "^  fd [0-9]* *tcp 127\.0\.0\.1:$port LISTEN\$" || r=1
has_out "ffff" && r=1
ok $r "an IPv4-mapped listener prints as 127.0.0.1:PORT"
[ $r -eq 0 ] || report

has_out "^  fd [0-9]* *tcp socket (inode [0-9]*, not in any /proc/net table: not bound yet, closed, or in another network namespace)\$"
ok $? "a socket in no /proc/net table: its protocol, and why it may be missing" ||
	report

fixture v6 "$prefork" ::1 0
run check "$m"
has_out "^  fd [0-9]* *tcp \[::1\]:$port LISTEN\$"
ok $? "an IPv6 listener prints compressed, [::1]:PORT" ||
	report

fixture one "$noleak" -- "$prefork" 127.0.0.1 0
run check "$m"
test "$st" -eq 0 && has_out "^$m prefork: nothing would leak (1 descriptor from 3 up, close-on-exec)\$"
ok $? "one descriptor is '1 descriptor', not '1 descriptors'" ||
	report

fixture workers "$prefork" 127.0.0.1 2
run check "$m"
r=0
[ "$st" -eq 0 ] || r=1
has_out "^  fd [0-9]* *tcp 127\.0\.0\.1:$port LISTEN: shared on purpose with 2 processes of the same program" || r=1
has_out "^$m prefork: nothing would leak (1 descriptor from 3 up: 1 listener shared on purpose" || r=1
ok $r "a prefork master's listener, shared with its workers: by design, exit 0"
[ $r -eq 0 ] || report

run check ":$port"
r=0
[ "$st" -eq 0 ] || r=1
[ "$(printf '%s\n' "$out" | grep -c "inherited from $m prefork (the same program: shared on purpose)")" -eq 2 ] || r=1
has_out "every holder runs the program of $m" || r=1
ok $r ":PORT held by a master and its workers: by design, exit 0"
[ $r -eq 0 ] || report
stop_all

# ---- never a false accusation ------------------------------------------------
# Listeners passed on purpose, in the state where whoever passed them is
# gone (or not): socket activation, inetd's way (descriptor 0), a prefork
# server's workers.  tests/story-daemon cannot play these: a Python
# fixture does (tests/check-purpose.sh), as in check-all.sh.
. "$NOLEAK_SRCDIR/tests/check-purpose.sh"

if command -v python3 >/dev/null 2>&1; then
	purpose activated
	run check ":$port"
	r=0
	[ "$st" -eq 0 ] || r=1
	has_out "^    verdict: not a leak: handed to $kids sleep on purpose\$" || r=1
	has_out "^      - LISTEN_FDS is in its environment: socket activation handed it over on purpose\$" || r=1
	has_out "verdict: a leak" && r=1
	ok $r "socket activation, the activator gone: sleep with LISTEN_FDS holds it on purpose, exit 0"
	[ $r -eq 0 ] || report
	stop_all

	purpose inetd-stays
	run check ":$port"
	r=0
	[ "$st" -eq 0 ] || r=1
	# shellcheck disable=SC2086 # the pids, one a word, split on purpose
	set -- $kids
	has_out "^    verdict: not a leak: handed to $2 sleep on purpose\$" || r=1
	has_out "^      - it holds it on descriptor 0, where inetd and its kind hand a socket over on purpose\$" || r=1
	has_out "^    verdict: $1 python3 created it, most likely" || r=1
	has_out "verdict: a leak" && r=1
	ok $r "inetd's way, the server running: its child holds the listener on descriptor 0 on purpose, exit 0"
	[ $r -eq 0 ] || report
	stop_all

	purpose inetd
	run check ":$port"
	r=0
	[ "$st" -eq 0 ] || r=1
	has_out "^    verdict: not a leak: handed to $kids sleep on purpose\$" || r=1
	has_out "verdict: a leak" && r=1
	ok $r "inetd's way, the server gone: the child on descriptor 0 is no leak, exit 0"
	[ $r -eq 0 ] || report
	stop_all

	purpose prefork
	run check ":$port"
	r=0
	[ "$st" -eq 0 ] || r=1
	[ "$(printf '%s\n' "$out" | grep -c '^    verdict: not a leak: shared on purpose by the processes of one program')" -eq 2 ] || r=1
	has_out "verdict: a leak" && r=1
	ok $r "a prefork master gone, its two workers left: shared on purpose, exit 0"
	[ $r -eq 0 ] || report
	stop_all

	purpose worker
	run check ":$port"
	r=0
	has_out "^    verdict: cannot tell whether $kids python3 created this socket: no other process holds it, the kernel keeps no record of a socket's creator, and .*python3.* is not a program known never to listen\$" || r=1
	has_out "^      - the leader of its session, process [0-9]*, has exited" || r=1
	has_out "^    next step: if python3 is the daemon that serves it, nothing; if not, kill $kids python3 or restart it under noleak" || r=1
	has_out "verdict: a leak" && r=1
	ok $r "one worker left of a master gone: cannot tell, and why; no accusation"
	[ $r -eq 0 ] || report
	stop_all
else
	for t in activated inetd-stays inetd prefork worker; do
		skip "on purpose: $t" "python3 is not installed"
	done
fi

# A pid that is no process but could be a port.
n=65000
while [ -e "/proc/$n" ]; do n=$((n - 1)); done
run check "$n"
test "$st" -eq 2 && printf '%s\n' "$err" | grep -q "process $n: no such process" &&
	printf '%s\n' "$err" | grep -q "for the port $n, write ':$n'"
ok $? "a number that is no process: the message suggests ':PORT'" ||
	report

# ---- bad input ------------------------------------------------------------
run check foo
test "$st" -eq 2 && printf '%s\n' "$err" | grep -q "invalid target 'foo'"
ok $? "a target that is neither a PID nor a port: exit 2, named"

run check :70000
test "$st" -eq 2 && printf '%s\n' "$err" | grep -q "invalid target ':70000'"
ok $? "a port above 65535: exit 2, named"

run check 2147483646
test "$st" -eq 2 && printf '%s\n' "$err" | grep -q "process 2147483646: no such process"
ok $? "a process that does not exist: exit 2, named"

run check
test "$st" -eq 2 && printf '%s\n' "$err" | grep -q "no process or port given"
ok $? "no target: exit 2"

run check --help
test "$st" -eq 0 && printf '%s\n' "$out" | grep -q "^Usage: noleak check"
ok $? "check --help prints its usage and exits 0"

mkdir "$work/bin"
printf '#!/bin/sh\necho "a program called check: $*"\n' >"$work/bin/check"
chmod +x "$work/bin/check"
PATH="$work/bin:$PATH" run -- check 42
test "$st" -eq 0 && test "$out" = "a program called check: 42"
ok $? "'noleak -- check' runs a program called check"

done_testing
