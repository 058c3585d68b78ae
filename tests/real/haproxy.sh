#!/bin/bash
# SPDX-License-Identifier: MIT
# haproxy.sh: haproxy in master-worker mode (-W) under noleak.  The master
# forks a worker, then re-executes itself in place, keeping the socketpair
# to the worker (named in HAPROXY_PROCESSES) and the listeners; a reload
# (USR2) re-executes it again.  It must start, serve, and keep serving
# across a reload.
. "$NOLEAK_SRCDIR/tests/real/real.sh"
need /usr/sbin/haproxy haproxy

# The backend: a plain Python web server, not under noleak.
mkdir -p "$work/www"
echo backend-page >"$work/www/index.html"
bport=$(free_port)
daemon backend none "$py" -m http.server "$bport" --bind 127.0.0.1 --directory "$work/www"
wait_for 10 get "http://127.0.0.1:$bport/" >/dev/null ||
	diag "the backend did not start: $(cat "$work/backend.log")"

# serves PORT: the frontend on PORT answers with the backend's page.
serves() {
	[ "$(get "http://127.0.0.1:$1/")" = backend-page ]
}

# worker PID: the worker processes (children) of master PID.
worker() {
	w=$(children "$1")
	[ -n "$w" ]
}

for mode in $modes; do
	port=$(free_port)
	cat >"$work/$mode.cfg" <<CFG
global
	master-worker
defaults
	mode http
	timeout connect 2s
	timeout client 5s
	timeout server 5s
frontend fe
	bind 127.0.0.1:$port
	default_backend be
backend be
	server s1 127.0.0.1:$bport
CFG
	daemon haproxy-"$mode" "$mode" /usr/sbin/haproxy -W -db -f "$work/$mode.cfg"
	master=$pid
	wait_up "$master" 10 serves "$port"
	check $? "$mode: haproxy -W starts and serves" "$(tail -5 "$work/haproxy-$mode.log")" ||
		{
			not_run "$mode: USR2 reload: a new worker replaces the old one" \
				"$mode: the master still runs and serves after the reload" \
				"$mode: every request during the reload answered"
			stop_session "$master"
			continue
		}
	under_lib "$mode" "$master" "the haproxy master"
	worker "$master"
	# shellcheck disable=SC2034 # read in the eval below
	old=$w

	loop_start "http://127.0.0.1:$port/"
	sleep 0.3
	kill -USR2 "$master"
	wait_for 10 eval 'worker "$master" && [ "$w" != "$old" ] && gone "$old"'
	ok $? "$mode: USR2 reload: a new worker replaces the old one"
	sleep 0.3
	loop_stop
	! gone "$master" && serves "$port"
	check $? "$mode: the master still runs and serves after the reload" \
		"$(tail -5 "$work/haproxy-$mode.log")"
	loop_clean
	check $? "$mode: every request during the reload answered ($loop)" \
		"$(head -5 "$work/loop.err")"
	stop_session "$master"
done

done_testing
