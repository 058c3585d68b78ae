#!/bin/bash
# SPDX-License-Identifier: MIT
# prometheus.sh: the fleet view, end to end.  Debian's
# prometheus-node-exporter runs on a private loopback port, its textfile
# collector reading a directory of this test's; the command of the
# package's noleak-prometheus.service (debian/), given that directory,
# writes "noleak check --all --format=prometheus" into it.  The story's
# end state: daemon A listens, holds a flock, runs "sleep 300 &" with
# system() and exits, leaving sleep with its port and lock.  While that
# lasts, node_exporter's /metrics shows the leaked listener and lock,
# with sleep as their holder; once sleep is killed and the service runs
# again, it shows neither.  Before A runs, the port is in no series (so
# the check can fail), and the service leaves no temporary file behind.
. "$NOLEAK_SRCDIR/tests/real/real.sh"
exporter=/usr/bin/prometheus-node-exporter
need "$exporter" prometheus-node-exporter
need curl curl
need "$py" python3

unit=$NOLEAK_SRCDIR/debian/noleak.noleak-prometheus.service
dir=$work/textfile
mkdir "$dir"

# The service's command, from the unit: its $$ unescaped, and noleak the
# one under test.  It reads its directory from TEXTFILE_DIR.
cmd=$(sed -n "s/^ExecStart=\/bin\/sh -c '\(.*\)'\$/\1/p" "$unit")
cmd=${cmd//\$\$/\$}
cmd=${cmd//\/usr\/bin\/noleak/$noleak}
service() {
	TEXTFILE_DIR=$dir sh -c "$cmd"
}
[ -n "$cmd" ]
check $? "the service's ExecStart is a shell command this test can run" "$(grep ExecStart "$unit")"

eport=$(free_port)
daemon exporter none "$exporter" --web.listen-address="127.0.0.1:$eport" \
	--collector.disable-defaults --collector.textfile --collector.textfile.directory="$dir"
epid=$pid
wait_up "$epid" 10 get "http://127.0.0.1:$eport/metrics" >/dev/null
check $? "node_exporter answers on 127.0.0.1:$eport" "$(cat "$work/exporter.log")"

# metrics: node_exporter's /metrics, into $metrics.
metrics() {
	metrics=$(get "http://127.0.0.1:$eport/metrics")
}

# shows KIND PORT-OR-PATH: /metrics has a leaked KIND (listener, lock)
# series held by sleep, for that port (or lock file).
shows() {
	case $1 in
	listener) printf '%s\n' "$metrics" | grep -E "^noleak_leaked_listener\{.*holder=\"sleep\".*port=\"$2\".*\} [1-9]" ;;
	lock) printf '%s\n' "$metrics" | grep -E "^noleak_leaked_lock\{.*holder=\"sleep\".*path=\"$2\".*\} [1-9]" ;;
	esac >/dev/null
}

port=$(free_port)
lock=$work/story.lock
service
metrics
r=0
printf '%s\n' "$metrics" | grep -Eq '^noleak_scan_timestamp_seconds [0-9.e+]+$' || r=1
printf '%s\n' "$metrics" | grep -Eq '^node_textfile_scrape_error 0$' || r=1
shows listener "$port" && r=1
check $r "before the leak: /metrics has noleak's metrics and its timestamp, and no leak on port $port" \
	"$(printf '%s\n' "$metrics" | grep -E '^(noleak|node_textfile)')"

# Daemon A of the story: listens, locks, system("sleep 300 &"), exits.
daemon story none "$py" -c '
import fcntl, os, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
os.set_inheritable(s.fileno(), True)
f = open(sys.argv[2], "w")
fcntl.flock(f, fcntl.LOCK_EX)
os.set_inheritable(f.fileno(), True)
os.system("sleep 300 &")
' "$port" "$lock"
apid=$pid
wait_for 10 gone "$apid"
wait_for 10 listening "$port"
check $? "the story's end: A has exited, and its port $port is still held" "$(cat "$work/story.log")"

service
metrics
r=0
shows listener "$port" || r=1
shows lock "$lock" || r=1
check $r "while sleep holds A's port and lock: /metrics shows the leaked listener and lock, held by sleep" \
	"$(printf '%s\n' "$metrics" | grep '^noleak')"
# shellcheck disable=SC2010 # any name but the collector's file
ls -A "$dir" | grep -v '^noleak\.prom$' >/dev/null
check $((! $?)) "the service leaves only noleak.prom in the directory (written to a temporary file, renamed)" \
	"$(ls -A "$dir")"

stop_session "$apid"
wait_for 10 eval '! listening "$port"'
service
metrics
r=0
shows listener "$port" && r=1
shows lock "$lock" && r=1
printf '%s\n' "$metrics" | grep -Eq '^noleak_scan_timestamp_seconds ' || r=1
check $r "once sleep is killed: /metrics shows neither the listener nor the lock" \
	"$(printf '%s\n' "$metrics" | grep '^noleak')"

done_testing
