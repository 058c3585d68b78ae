#!/bin/bash
# SPDX-License-Identifier: MIT
# lighttpd.sh: a CGI server under noleak.  The CGI script reports the
# descriptors it holds; under noleak it must not hold the server's
# listening socket, and the request must work.  The control run without
# noleak says whether lighttpd leaks its listener on its own.
. "$NOLEAK_SRCDIR/tests/real/real.sh"
need /usr/sbin/lighttpd lighttpd

mkdir -p "$work/www"
cat >"$work/www/fds.sh" <<'CGI'
printf 'Content-Type: text/plain\r\n\r\n'
echo cgi-ran
ls -l /proc/$$/fd
CGI

for mode in $modes; do
	port=$(free_port)
	cat >"$work/$mode.conf" <<CONF
server.modules = ( "mod_cgi" )
server.document-root = "$work/www"
server.bind = "127.0.0.1"
server.port = $port
server.errorlog = "$work/$mode.err"
cgi.assign = ( ".sh" => "/bin/sh" )
CONF
	daemon lighttpd-"$mode" "$mode" /usr/sbin/lighttpd -D -f "$work/$mode.conf"
	lpid=$pid
	wait_up "$lpid" 10 get "http://127.0.0.1:$port/fds.sh" >"$work/$mode.out"
	grep -q '^cgi-ran$' "$work/$mode.out"
	check $? "$mode: lighttpd runs the CGI script" \
		"$(cat "$work/lighttpd-$mode.log" "$work/$mode.err" 2>/dev/null | tail -5)" || continue
	under_lib "$mode" "$lpid" lighttpd
	inode=$(listener_inode "$port")
	if grep -q "socket:\[$inode\]" "$work/$mode.out"; then held=0; else held=1; fi
	case $mode in
	none)
		if [ $held -eq 0 ]; then
			diag "without noleak, the CGI child holds lighttpd's listener (socket:[$inode])"
		else
			diag "without noleak, lighttpd keeps its listener from the CGI child by itself" \
				"(it makes its sockets close-on-exec): no leak to show here"
		fi
		;;
	*)
		[ -n "$inode" ] && [ $held -eq 1 ]
		check $? "$mode: the CGI child does not hold the listener (socket:[$inode])" \
			"$(cat "$work/$mode.out")"
		;;
	esac
	stop_session "$lpid"
done

done_testing
