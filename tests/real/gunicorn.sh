#!/bin/bash
# SPDX-License-Identifier: MIT
# gunicorn.sh: gunicorn's binary upgrade under noleak.  `kill -USR2` makes
# the master fork and exec a new master, the listeners named in
# GUNICORN_FD="fd,fd"; the old master is then told to stop.  A client
# asks all along: not one request may go unanswered, and the new master
# serves.  gunicorn's graceful stop is TERM (its QUIT drops requests in
# flight even without noleak), so the old master gets TERM.
. "$NOLEAK_SRCDIR/tests/real/real.sh"
"$py" -c 'import gunicorn' 2>/dev/null || {
	skip gunicorn "gunicorn is missing: install the Debian package python3-gunicorn"
	done_testing
	exit 0
}

cat >"$work/app.py" <<'PY'
import os
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"master %d\n" % os.getppid()]
PY
# The master re-executes sys.argv: a script, not `python3 -m`.
cat >"$work/gunicorn-run" <<PY
#!$py
from gunicorn.app.wsgiapp import run
run()
PY
chmod +x "$work/gunicorn-run"

# new_master OLD: the new master's pid file (PIDFILE.2 while the old one
# runs) names a master other than OLD, with a worker of its own.
new_master() {
	new=$(cat "$work/$mode.pid.2" 2>/dev/null)
	[ -n "$new" ] && [ "$new" != "$1" ] && [ -n "$(children "$new")" ]
}

for mode in $modes; do
	port=$(free_port)
	daemon gunicorn-"$mode" "$mode" "$work/gunicorn-run" --chdir "$work" -b "127.0.0.1:$port" \
		-w 1 --pid "$work/$mode.pid" app:app
	old=$pid
	wait_up "$old" 20 get "http://127.0.0.1:$port/" >/dev/null
	check $? "$mode: gunicorn starts and serves" "$(tail -5 "$work/gunicorn-$mode.log")" ||
		continue
	under_lib "$mode" "$old" "the gunicorn master"

	loop_start "http://127.0.0.1:$port/"
	sleep 0.3
	kill -USR2 "$old"
	wait_for 20 new_master "$old"
	check $? "$mode: USR2 starts a new master with a worker" "$(tail -5 "$work/gunicorn-$mode.log")"
	if [ "$mode" = tree ]; then
		has_lib "$new"
		check $? "$mode: the new master still runs under the library"
	fi
	sleep 0.3
	kill -TERM "$old"
	wait_for 10 gone "$old"
	check $? "$mode: the old master stops"
	sleep 0.5
	loop_stop
	loop_clean
	check $? "$mode: every request during the upgrade answered ($loop)" \
		"$(head -5 "$work/loop.err")" "$(tail -5 "$work/gunicorn-$mode.log")"
	[ "$(get "http://127.0.0.1:$port/")" = "master $new" ]
	check $? "$mode: the new master serves after the old one quit" \
		"$(tail -5 "$work/gunicorn-$mode.log")"
	stop_session "$old"
done

done_testing
