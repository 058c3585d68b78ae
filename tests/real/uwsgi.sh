#!/bin/bash
# SPDX-License-Identifier: MIT
# uwsgi.sh: uWSGI under noleak, its listener a --shared-socket that
# --http-socket maps (=0), with a master.  SIGHUP makes the master exec
# itself in place, finding the shared socket again by its number: after
# the reload it must still serve (under noleak today it maps the socket
# to -1, an outage).
. "$NOLEAK_SRCDIR/tests/real/real.sh"
need uwsgi uwsgi
if ! [ -e /usr/lib/uwsgi/plugins/python3_plugin.so ]; then
	skip uwsgi "uWSGI's Python plugin is missing: install the Debian package uwsgi-plugin-python3"
	done_testing
	exit 0
fi

cat >"$work/app.py" <<'PY'
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"served\n"]
PY

# respawned N: the master has (re)spawned its master process N times.
respawned() {
	[ "$(grep -c 'gracefully (RE)spawned uWSGI master' "$work/uwsgi-$mode.log")" -ge "$1" ]
}

for mode in $modes; do
	port=$(free_port)
	daemon uwsgi-"$mode" "$mode" uwsgi --plugin python3 --master --processes 1 \
		--shared-socket "127.0.0.1:$port" --http-socket =0 \
		--wsgi-file "$work/app.py" --pidfile "$work/$mode.pid"
	master=$pid
	wait_up "$master" 15 get "http://127.0.0.1:$port/" >/dev/null
	check $? "$mode: uWSGI starts and serves" "$(tail -5 "$work/uwsgi-$mode.log")" || continue
	under_lib "$mode" "$master" "the uWSGI master"

	loop_start "http://127.0.0.1:$port/"
	sleep 0.3
	kill -HUP "$master"
	wait_up "$master" 15 respawned 1
	check $? "$mode: SIGHUP reloads the master in place" "$(tail -5 "$work/uwsgi-$mode.log")"
	wait_up "$master" 5 get "http://127.0.0.1:$port/" >/dev/null
	[ "$(get "http://127.0.0.1:$port/")" = served ]
	check $? "$mode: uWSGI serves after the reload" \
		"$(grep -E 'socket|error|refused' "$work/uwsgi-$mode.log" | tail -6)"
	loop_stop
	loop_clean
	check $? "$mode: every request during the reload answered ($loop)" "$(head -3 "$work/loop.err")"
	stop_session "$master"
done

done_testing
