#!/bin/bash
# SPDX-License-Identifier: MIT
# php-fpm.sh: Debian's php-fpm, its pool's workers running as nobody with
# their standard error on /dev/null, under `noleak --audit --log FILE`.
# A PHP script served through FastCGI (cgi-fcgi) starts a program
# (system()), into which the worker's copy of the pool's listener leaks.
# The worker cannot open FILE (root's, mode 0600), yet its "would leak"
# line must be there while php-fpm runs, naming the listener; and the
# summary php-fpm's master says when it ends names it too.  The control
# run without noleak says the leak is real.
. "$NOLEAK_SRCDIR/tests/real/real.sh"
need php-fpm8.2 php8.2-fpm
need cgi-fcgi libfcgi-bin

cat >"$work/fds.php" <<'PHP'
<?php
echo "php-ran\n";
system("ls -l /proc/self/fd");
PHP
chmod 644 "$work/fds.php"
cmd='ls -l /proc/self/fd'

# request PORT: the body cgi-fcgi gets for fds.php from the pool on PORT.
request() {
	SCRIPT_FILENAME=$work/fds.php SCRIPT_NAME=/fds.php REQUEST_METHOD=GET \
		timeout 5 cgi-fcgi -bind -connect "127.0.0.1:$1" 2>/dev/null
}

served() {
	request "$port" >"$work/$mode.out" && grep -q '^php-ran$' "$work/$mode.out"
}

for mode in none audit; do
	port=$(free_port)
	log=$work/$mode.noleak.log
	cat >"$work/$mode.conf" <<CONF
[global]
pid = $work/$mode.pid
error_log = $work/$mode.err
daemonize = no

[www]
user = nobody
group = nogroup
listen = 127.0.0.1:$port
pm = static
pm.max_children = 1
catch_workers_output = no
CONF
	if [ $mode = none ]; then
		daemon php-fpm-$mode none php-fpm8.2 -F -y "$work/$mode.conf" -c /dev/null
	else
		daemon php-fpm-$mode none "$noleak" --audit --log "$log" -- \
			php-fpm8.2 -F -y "$work/$mode.conf" -c /dev/null
	fi
	master=$pid
	wait_up "$master" 15 served
	check $? "$mode: php-fpm serves a PHP script that starts a program" \
		"$(cat "$work/php-fpm-$mode.log" "$work/$mode.err" 2>/dev/null | tail -5)" || continue
	inode=$(listener_inode "$port")
	worker=$(children "$master" | awk '{ print $1 }')
	fd=$(awk -v s="socket:[$inode]" '$NF == s { print $(NF - 2) }' "$work/$mode.out")
	if [ $mode = none ]; then
		[ -n "$fd" ]
		check $? "none: without noleak, the program the worker starts holds the pool's listener (socket:[$inode])" \
			"$(cat "$work/$mode.out")"
		stop_session "$master"
		continue
	fi
	has_lib "$master"
	check $? "audit: php-fpm's master runs with the library loaded"
	[ "$(ps -o user= -p "$worker" 2>/dev/null)" = nobody ] &&
		[ "$(readlink "/proc/$worker/fd/2")" = /dev/null ] &&
		[ "$(stat -c '%U %a' "$log")" = "root 600" ]
	check $? "audit: the worker ($worker) runs as nobody, its stderr on /dev/null; the log is root's, mode 0600" \
		"$(ps -o pid,user,args -p "$worker")" "$(ls -l "/proc/$worker/fd" 2>&1)" "$(ls -l "$log")"
	# The line the worker wrote as its program started: the listener, at
	# the number the program found it (the control's leak, named), made
	# by the worker's dup() of the pool's listener, not by the creat() of
	# the master's pid file that had the number before.
	line="^noleak\[$worker\]: audit: php-fpm8\.2\[$master\] would leak fd $fd \(tcp 127\.0\.0\.1:$port LISTEN\) into $cmd; made by dup\(\)"
	[ -n "$fd" ] && wait_up "$master" 5 grep -Eq "$line" "$log" && ! gone "$master"
	check $? "audit: while php-fpm runs, the log has the worker's line: fd ${fd:-?} (tcp 127.0.0.1:$port LISTEN) would leak into $cmd; made by dup()" \
		"log: $(cat "$log" 2>&1)" "the program's descriptors: $(cat "$work/$mode.out")"
	kill -TERM "$master"
	wait_for 10 gone "$master"
	grep -Eq "^noleak\[$master\]: summary: \(tcp 127\.0\.0\.1:$port LISTEN\) would have leaked into $cmd, [0-9]+ times?\$" "$log"
	check $? "audit: php-fpm's summary, when it ends, names the listener and the program" \
		"$(grep summary "$log" 2>&1)"
	stop_session "$master"
done

done_testing
