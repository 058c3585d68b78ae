#!/bin/sh
# SPDX-License-Identifier: MIT
# watch.sh: noleak watch against three bash processes: one that leaks
# steadily, one that grows and then stops (a plateau), and one that opens
# and closes in a sawtooth without a trend.  Then the CSV, a process that
# exits, and bad input.
. "$NOLEAK_SRCDIR/tests/tap.sh"

noleak=$NOLEAK_WRAPPER
work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-watch.XXXXXX") || exit 99
pids=
trap 'for p in $pids; do kill -9 $p 2>/dev/null; done; rm -rf "$work"' EXIT

# The watched scripts read a fifo this shell holds open where they would
# otherwise sleep: each lives until it is killed or this test ends (the
# fifo's end of file), never for a fixed time that a slow machine could
# outrun while they are watched.
mkfifo "$work/hold" && exec 9<>"$work/hold" || exit 99

# spawn SCRIPT: run a bash script in the background, reading the fifo
# (without this shell's hold on it, so that it does see the end); its pid
# in $p.
spawn() {
	bash -c "$1" <"$work/hold" >/dev/null 2>&1 9>&- &
	p=$!
	pids="$pids $p"
}

# watch_it PID ARGS...: noleak watch, status in $st, output in $out.
watch_it() {
	"$noleak" watch "$@" >"$work/out" 2>"$work/err"
	st=$?
	out=$(cat "$work/out" "$work/err")
}

# The leak naps with read's timeout rather than sleep(1): no fork per
# descriptor, so its rate stays near 20 a second on a loaded machine.
spawn 'for i in $(seq 1 400); do exec {fd}</dev/null; read -r -t 0.05 _; [ $? -gt 128 ] || break; done; read -r _'
leaky=$p
spawn 'for i in $(seq 1 30); do exec {fd}</dev/null; done; read -r _'
plateau=$p
# nap: 0.07 s, or the end of the script once the test has let go.
spawn 'nap() { read -r -t 0.07 _; [ $? -gt 128 ] || exit 0; }
	while :; do for i in 1 2 3 4 5; do exec {f[i]}</dev/null; done; nap
	for i in 1 2 3 4 5; do exec {f[i]}>&-; done; nap; done'
saw=$p
sleep 0.3	# the plateau is reached; the leak has started

watch_it -i 0.1 -d 3 --csv "$work/leaky.csv" "$leaky"
r=0
[ "$st" -eq 1 ] || r=1
printf '%s\n' "$out" | grep -Eq '^verdict: growing, [0-9.]+ descriptors a minute$' || r=1
ok $r "a steady leak: growing, with its rate, exit 1"
[ $r -eq 0 ] || diag "$out"
rate=$(printf '%s\n' "$out" | sed -n 's/^verdict: growing, \([0-9]*\).*/\1/p')
[ -n "$rate" ] && [ "$rate" -ge 600 ] && [ "$rate" -le 1500 ]
ok $? "the rate is about what the process does (20 a second: 1200 a minute; got ${rate:-none})"
printf '%s\n' "$out" | grep -q '^descriptors$' && printf '%s\n' "$out" | grep -q '^ *[0-9]* |.*\*'
ok $? "a chart of the count over time is printed"

watch_it -i 0.1 -d 3 "$plateau"
r=0
[ "$st" -eq 0 ] || r=1
printf '%s\n' "$out" | grep -Eq '^verdict: (stable|plateau)' || r=1
ok $r "a process that has stopped growing: not growing, exit 0"
[ $r -eq 0 ] || diag "$out"

spawn 'sleep 0.5; for i in $(seq 1 20); do exec {fd}</dev/null; sleep 0.02; done; read -r _'
watch_it -i 0.1 -d 3 "$p"
r=0
[ "$st" -eq 0 ] || r=1
printf '%s\n' "$out" | grep -Eq '^verdict: plateau at about [0-9]+ descriptors' || r=1
ok $r "a process that grows, then stops, while watched: plateau, exit 0"
[ $r -eq 0 ] || diag "$out"

watch_it -i 0.05 -d 3 "$saw"
r=0
[ "$st" -eq 0 ] || r=1
printf '%s\n' "$out" | grep -q '^verdict: stable$' || r=1
ok $r "a sawtooth of opens and closes: stable, exit 0"
[ $r -eq 0 ] || diag "$out"

r=0
head -n 1 "$work/leaky.csv" | grep -q '^time,fds,zombies$' || r=1
test "$(wc -l <"$work/leaky.csv")" -ge 25 || r=1
awk -F, 'NR > 2 && $2 + 0 < prev { bad = 1 } NR > 1 { prev = $2 + 0 } END { exit bad }' "$work/leaky.csv" || r=1
ok $r "--csv writes a header and one row a sample"

spawn 'for i in 1 2 3 4 5 6 7 8; do exec {fd}</dev/null; sleep 0.1; done'
watch_it -i 0.1 "$p"
printf '%s\n' "$out" | grep -q '(the process exited)'
ok $? "without --duration, the watch ends when the process exits, and says so"

watch_it -i 0 1
test "$st" -eq 2 && printf '%s\n' "$out" | grep -q "invalid interval '0'"
ok $? "a bad --interval: exit 2, named"
watch_it -d 2
test "$st" -eq 2 && printf '%s\n' "$out" | grep -q "no process given"
ok $? "no process: exit 2"
watch_it 2147483646
test "$st" -eq 2 && printf '%s\n' "$out" | grep -q "process 2147483646: no such process"
ok $? "a process that does not exist: exit 2, named"
watch_it --help
test "$st" -eq 0 && printf '%s\n' "$out" | grep -q '^Usage: noleak watch'
ok $? "watch --help prints its usage and exits 0"

done_testing
