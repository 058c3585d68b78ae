#!/bin/bash
# SPDX-License-Identifier: MIT
# nginx.sh: nginx's binary upgrade under noleak.  `kill -USR2` makes the
# master fork and exec its own binary with the listeners named in
# NGINX="fd;fd;"; the old master is then told to QUIT.  A client asks all
# along: not one request may go unanswered, and the new master serves.
. "$NOLEAK_SRCDIR/tests/real/real.sh"
need /usr/sbin/nginx nginx

# conf DIR PORT: a configuration of its own in DIR, one worker.  nginx
# ignores USR2 unless the master's parent is init, so it daemonizes (and
# leaves the test's session: the master's own session is added).
conf() {
	mkdir -p "$1/tmp"
	cat >"$1/nginx.conf" <<CONF
daemon on;
master_process on;
worker_processes 1;
user root root;
pid $1/nginx.pid;
error_log $1/error.log info;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $1/tmp/body;
	proxy_temp_path $1/tmp/proxy;
	fastcgi_temp_path $1/tmp/fastcgi;
	uwsgi_temp_path $1/tmp/uwsgi;
	scgi_temp_path $1/tmp/scgi;
	server {
		listen 127.0.0.1:$2;
		location / { return 200 "served\n"; }
	}
}
CONF
}

# new_master OLD: the pid in nginx.pid is a master other than OLD, with a
# worker of its own.
new_master() {
	new=$(cat "$dir/nginx.pid" 2>/dev/null)
	[ -n "$new" ] && [ "$new" != "$1" ] && [ -n "$(children "$new")" ]
}

for mode in $modes; do
	dir=$work/$mode
	port=$(free_port)
	conf "$dir" "$port"
	daemon nginx-"$mode" "$mode" /usr/sbin/nginx -p "$dir" -c "$dir/nginx.conf"
	wait_for 10 test -s "$dir/nginx.pid"
	old=$(cat "$dir/nginx.pid" 2>/dev/null)
	sessions="$sessions $old"
	wait_for 10 get "http://127.0.0.1:$port/" >/dev/null
	check $? "$mode: nginx starts and serves" \
		"$(cat "$work/nginx-$mode.log")" "$(tail -5 "$dir/error.log")" || continue
	under_lib "$mode" "$old" "the nginx master"

	loop_start "http://127.0.0.1:$port/"
	sleep 0.3
	kill -USR2 "$old"
	wait_for 10 new_master "$old"
	check $? "$mode: USR2 starts a new master with a worker" "$(tail -5 "$dir/error.log")"
	if [ "$mode" = tree ]; then
		has_lib "$new"
		ok $? "$mode: the new master still runs under the library"
	fi
	sleep 0.3
	kill -QUIT "$old"
	wait_for 10 gone "$old"
	ok $? "$mode: the old master quits"
	sleep 0.3
	loop_stop
	loop_clean
	check $? "$mode: every request during the upgrade answered ($loop)" \
		"$(head -5 "$work/loop.err")" "$(tail -5 "$dir/error.log")"
	[ "$(get "http://127.0.0.1:$port/")" = served ] && ! gone "$new"
	check $? "$mode: the new master serves after the old one quit" \
		"$(tail -5 "$dir/error.log")"
	stop_session "$old"
done

done_testing
