#!/bin/sh
# SPDX-License-Identifier: MIT
# check-all.sh: `noleak check --all`, the host-wide scan.  Daemon A
# listens and holds a flock, starts B (cat) with system(); without the
# shim, --all must find both in B, grouped under A (exit 1), and the lock
# under an exited process once A is killed; under noleak it must find
# nothing (exit 0).  A prefork master and its workers sharing a listener
# are no leak; a worker's system() child of another program is, grouped
# under that worker.  Hand-overs (LISTEN_FDS, flock(1)) are no leak.  In
# the story's end (A gone) the listener and the lock are both found in B,
# with the evidence; the Prometheus format counts them while they leak;
# what was passed on purpose by a process that is gone (socket
# activation, inetd's descriptor 0, a prefork server's workers) is no
# leak, and one worker left alone "cannot tell".
# The scan sees every process, so the test runs in a pid namespace of
# its own (unshare, as root), where the only processes are its own.
if [ -z "$NOLEAK_CHECK_ALL_NS" ]; then
	if [ "$(id -u)" = 0 ] && unshare --pid --fork --mount-proc true 2>/dev/null; then
		NOLEAK_CHECK_ALL_NS=1 exec unshare --pid --fork --mount-proc sh "$0" "$@"
	fi
	echo "1..0 # SKIP needs root and unshare --pid --mount-proc, so that the scan sees only this test's processes"
	exit 0
fi
. "$NOLEAK_SRCDIR/tests/tap.sh"
. "$NOLEAK_SRCDIR/tests/daemons.sh"
. "$NOLEAK_SRCDIR/tests/check-purpose.sh"
prefork=$NOLEAK_TESTS/prefork

work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-check-all.XXXXXX") || exit 99
trap 'stop_all; rm -rf "$work"' EXIT

report() {
	diag "status $st" "stdout: $out" "stderr: $err"
}

# has PATTERN: $out has a line matching the basic regular expression.
has() {
	printf '%s\n' "$out" | grep -q -- "$1"
}

# master NAME CMD [ENV...]: start the prefork fixture, two workers, the
# first running CMD (may be empty) with system(); sets $m, $w1, $port.
# With CMD, waits for CMD to write its pid in $work/NAME.c and become cat
# (the worker's child: CMD execs it), and sets $c.
master() {
	name=$1 cmd=$2
	shift 2
	clean env "$@" "$prefork" 127.0.0.1 2 ${cmd:+"$cmd"} >"$work/$name.out" 2>&1 &
	m=$!
	pids="$pids $m"
	i=0 c=
	until grep -q '^started' "$work/$name.out" 2>/dev/null &&
	      { [ -z "$cmd" ] || { c=$(cat "$work/$name.c" 2>/dev/null) && [ -n "$c" ] &&
				   [ "$(cat "/proc/$c/comm" 2>/dev/null)" = cat ]; }; }; do
		i=$((i + 1))
		if [ $i -gt 100 ] || gone "$m"; then
			diag "prefork ($m) said:" "$(cat "$work/$name.out" 2>&1)"
			echo "Bail out! prefork $name did not start"
			exit 1
		fi
		sleep 0.1
	done
	w1=$(sed -n 's/^worker //p' "$work/$name.out" | head -n 1)
	port=$(sed -n 's/^port //p' "$work/$name.out")
	pids="$pids $c"
}

# ---- the story's leak -------------------------------------------------------
start leaky
run check --all
r=0
[ "$st" -eq 1 ] || r=1
has "^leaked by $a story-daemon (.*/story-daemon): $a story-daemon <- 1 " || r=1
has "^  tcp 127\.0\.0\.1:$port LISTEN\$" || r=1
has "^  $work/leaky\.lock (locked: FLOCK WRITE)\$" || r=1
[ "$(printf '%s\n' "$out" | grep -c "^    held by $b cat (.*cat), fd [0-9]*: $b cat <- ")" -eq 2 ] || r=1
has "^2 resources held by 1 process that did not create them" || r=1
ok $r "without the shim: --all finds A's listener and lock in B, grouped under A, and exits 1"
[ $r -eq 0 ] || report

if command -v python3 >/dev/null 2>&1; then
	run check --all --json
	printf '%s\n' "$out" | python3 -m json.tool >/dev/null &&
	printf '%s\n' "$out" | python3 -c '
import json, sys
doc = json.load(sys.stdin)
a, b = int(sys.argv[1]), int(sys.argv[2])
assert doc["status"] == 1, doc
[leaker] = doc["leakers"]
assert leaker["pid"] == a and leaker["name"] == "story-daemon" and not leaker["exited"], leaker
assert leaker["chain"][0]["pid"] == a, leaker
assert sorted(r["kind"] for r in leaker["resources"]) == ["lock", "tcp"], leaker
for r in leaker["resources"]:
    assert [h["pid"] for h in r["holders"]] == [b], r
    assert r["holders"][0]["name"] == "cat" and r["holders"][0]["chain"][0]["pid"] == b, r
assert doc["scanned"]["listening_sockets"] >= 1 and doc["scanned"]["locked_files"] >= 1, doc
' "$a" "$b"
	ok $? "--all --json: valid JSON, one leaker A, its listener and lock, held by B" ||
		report
else
	skip "--all --json" "python3 is not installed"
fi

# prom_has PATTERN: $out has a line matching the extended regular expression.
prom_has() {
	printf '%s\n' "$out" | grep -Eq -- "$1"
}

run check --all --format=prometheus
r=0
[ "$st" -eq 1 ] || r=1
prom_has "^noleak_leaked_listener\{holder=\"cat\",program=\"[^\"]*/cat\",leaker=\"story-daemon\",proto=\"tcp\",port=\"$port\",address=\"127\.0\.0\.1:$port\"\} 1\$" || r=1
prom_has "^noleak_leaked_lock\{holder=\"cat\",program=\"[^\"]*/cat\",leaker=\"story-daemon\",path=\"$work/leaky\.lock\"\} 1\$" || r=1
prom_has '^noleak_leaks\{kind="listener"\} 1$' && prom_has '^noleak_leaks\{kind="lock"\} 1$' || r=1
prom_has '^# TYPE noleak_leaked_listener gauge$' || r=1
prom_has '^noleak_scan_timestamp_seconds [0-9]+\.[0-9]{3}$' || r=1
ok $r "--format=prometheus, A alive: B's leaked listener and lock by holder program and port, a timestamp"
[ $r -eq 0 ] || report

kill -9 "$a"
i=0
while ! gone "$a" && [ $i -lt 50 ]; do i=$((i + 1)); sleep 0.1; done
run check --all
r=0
[ "$st" -eq 1 ] || r=1
has "^leaked by \(process $a, which has exited (it took the lock these processes hold)\|a process that has exited (the kernel keeps no record of which)\):\$" || r=1
[ "$(printf '%s\n' "$out" | grep -c "^leaked by")" -eq 1 ] || r=1
has "^  $work/leaky\.lock (locked: FLOCK WRITE)\$" || r=1
has "^  tcp 127\.0\.0\.1:$port LISTEN\$" || r=1
[ "$(printf '%s\n' "$out" | grep -c "^    held by $b cat ")" -eq 2 ] || r=1
has "^2 resources held by 1 process that did not create them: 1 listening socket and 1 locked file, leaked by 1 process (0 running, 1 exited); scanned 1 listening socket and 1 locked file in " || r=1
ok $r "A killed: --all finds B holding A's listener and lock, under one exited leaker; the counts add up; exit 1"
[ $r -eq 0 ] || report

r=0
has "^      verdict: a leak: $b cat did not create this socket\$" || r=1
has "^        - cat (.*/cat) is a program that never listens: it cannot have made a listening socket\$" || r=1
has "^      verdict: a leak: $b cat did not take this lock\$" || r=1
[ "$(printf '%s\n' "$out" | grep -c "^      next step: kill $b cat or restart it under noleak, to free it; then restart the daemon that created it under noleak")" -eq 2 ] || r=1
ok $r "A killed: each holder's verdict, evidence and next step, in the words of check :PORT"
[ $r -eq 0 ] || report

run check --all --format=prometheus
r=0
[ "$st" -eq 1 ] || r=1
prom_has "^noleak_leaked_listener\{holder=\"cat\",program=\"[^\"]*/cat\",leaker=\"exited\",proto=\"tcp\",port=\"$port\",address=\"127\.0\.0\.1:$port\"\} 1\$" || r=1
prom_has "^noleak_leaked_lock\{holder=\"cat\",.*,path=\"$work/leaky\.lock\"\} 1\$" || r=1
prom_has '^noleak_leaks\{kind="listener"\} 1$' || r=1
ok $r "--format=prometheus, A killed: the listener and the lock are still counted"
[ $r -eq 0 ] || report
stop_all

# ---- under noleak ------------------------------------------------------------
start clean "$noleak" --
run check --all
r=0
[ "$st" -eq 0 ] || r=1
has "^nothing leaked: .*; scanned 1 listening socket and 1 locked file in " || r=1
has "^leaked by" && r=1
ok $r "under noleak: --all finds A's listener and lock, held by A alone: nothing leaked, exit 0"
[ $r -eq 0 ] || report

run check --all --format=prometheus
r=0
[ "$st" -eq 0 ] || r=1
prom_has '^noleak_leaks\{kind="listener"\} 0$' && prom_has '^noleak_leaks\{kind="lock"\} 0$' || r=1
prom_has '^noleak_leaked_(listener|lock)\{' && r=1
ok $r "--format=prometheus under noleak: zero leaks, and no leaked series"
[ $r -eq 0 ] || report
stop_all

# ---- a prefork server ------------------------------------------------------------
master prefork ""
run check --all
r=0
[ "$st" -eq 0 ] || r=1
has "^nothing leaked: .*; scanned 1 listening socket and 0 locked files in " || r=1
ok $r "a prefork master and its two workers sharing a listener: no leak, exit 0"
[ $r -eq 0 ] || report
stop_all

master worker-leak "echo \$\$ >'$work/worker-leak.c'; exec cat <'$hold' >/dev/null 2>&1"
run check --all
r=0
[ "$st" -eq 1 ] || r=1
has "^leaked by $w1 prefork (.*/prefork): $w1 prefork <- $m prefork <- 1 " || r=1
has "^  tcp 127\.0\.0\.1:$port LISTEN\$" || r=1
has "^    held by $c cat (.*), fd [0-9]*: $c cat <- $w1 prefork <- $m prefork <- 1 " || r=1
has "^leaked by $m " && r=1
ok $r "a worker's system() child of another program: a leak, grouped under that worker, exit 1"
[ $r -eq 0 ] || report
stop_all

master activated "echo \$\$ >'$work/activated.c'; exec env LISTEN_FDS=1 cat <'$hold' >/dev/null 2>&1"
run check --all
test "$st" -eq 0 && has "^nothing leaked"
ok $? "a holder with LISTEN_FDS in its environment (socket activation): handed over, exit 0" ||
	report
stop_all

# flock(1) takes the lock and runs its command, which holds it on purpose.
clean flock "$work/flock.lock" cat "$hold" >/dev/null 2>&1 &
f=$!
pids="$pids $f"
i=0
until [ "$(grep -c . /proc/locks)" -gt 0 ] && pgrep -P "$f" cat >/dev/null; do
	i=$((i + 1))
	[ $i -gt 100 ] && break
	sleep 0.1
done
pids="$pids $(pgrep -P "$f" cat)"
run check --all
test "$st" -eq 0 && has "^nothing leaked: .*; scanned 0 listening sockets and 1 locked file in "
ok $? "flock(1)'s command holding its lock: handed over, exit 0" ||
	report
stop_all

# ---- passed on purpose by a process that is gone ---------------------------------
if command -v python3 >/dev/null 2>&1; then
	for mode in activated inetd prefork; do
		purpose $mode
		run check --all
		r=0
		[ "$st" -eq 0 ] || r=1
		has "^nothing leaked: .*; scanned 1 listening socket and 0 locked files in " || r=1
		has "cannot tell" && r=1
		ok $r "$mode, the process that passed the listener gone: nothing leaked, exit 0"
		[ $r -eq 0 ] || report
		stop_all
	done

	purpose worker
	run check --all
	r=0
	[ "$st" -eq 0 ] || r=1
	has "^cannot tell (no evidence decides whether the holder created it):\$" || r=1
	has "^      verdict: cannot tell whether $kids python3 created this socket" || r=1
	has "^leaked by" && r=1
	has "^nothing leaked: .*; 1 listening socket whose holder cannot be told; scanned 1 listening socket and 0 locked files in " || r=1
	ok $r "one worker left of a master gone: listed under cannot tell, not as a leak, exit 0"
	[ $r -eq 0 ] || report
	stop_all
else
	for mode in activated inetd prefork worker; do
		skip "on purpose: $mode" "python3 is not installed"
	done
fi

# ---- usage ------------------------------------------------------------------------
run check --all 1
test "$st" -eq 2 && printf '%s\n' "$err" | grep -q "it takes no target, but '1' was given"
ok $? "--all with a target: exit 2, named"

run check --format=prometheus 1
test "$st" -eq 2 && printf '%s\n' "$err" | grep -q -- "--format=prometheus goes with --all"
ok $? "--format=prometheus without --all: exit 2, named"

run check --all --format=yaml
test "$st" -eq 2 && printf '%s\n' "$err" | grep -q -- "invalid --format 'yaml'"
ok $? "--format with an unknown value: exit 2, named"

done_testing
