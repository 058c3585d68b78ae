#!/bin/bash
# SPDX-License-Identifier: MIT
# cron.sh: cron under noleak runs a job every minute; the job must run,
# and must hold none of cron's descriptors.  The control run without
# noleak says whether cron leaks any on its own.
#
# cron reads the system's crontabs and keeps a pid file in /run, so each
# cron runs in a mount namespace of its own (unshare -m) where those are
# the test's.  A job runs at the start of the next minute: the three
# crons run side by side, and the script takes up to 65 seconds
# (NOLEAK_REAL_CRON=no skips it).
. "$NOLEAK_SRCDIR/tests/real/real.sh"
need /usr/sbin/cron cron
need unshare util-linux
if [ "${NOLEAK_REAL_CRON-}" = no ]; then
	skip cron "NOLEAK_REAL_CRON=no (the job needs up to a minute)"
	done_testing
	exit 0
fi
if ! unshare -m true 2>/dev/null; then
	skip cron "unshare -m is refused here (cron needs a mount namespace of its own)"
	done_testing
	exit 0
fi

for mode in $modes; do
	mkdir -p "$work/$mode/run" "$work/$mode/empty"
	# ls reports its own descriptors (the job's, but for the directory it
	# reads): not the shell's, which keeps copies of 1 and 2 it saved.
	echo "* * * * * root sh -c 'exec ls -l /proc/self/fd' >$work/$mode/fds.tmp 2>&1; mv $work/$mode/fds.tmp $work/$mode/fds" \
		>"$work/$mode/crontab"
	chmod 644 "$work/$mode/crontab"
	# Started with nothing open but 0-2, so that whatever the job holds
	# from 3 up is cron's own.
	daemon cron-"$mode" "$mode" bash -c '
		for f in /proc/$$/fd/*; do
			n=${f##*/}
			[ "$n" -gt 2 ] && eval "exec $n>&-"
		done
		exec unshare -m sh -c "mount --bind \$0/run /run &&
			mount --bind \$0/empty /etc/cron.d &&
			mount --bind \$0/empty /var/spool/cron/crontabs &&
			mount --bind \$0/crontab /etc/crontab && exec \"\$@\"" "$@"' \
		clean "$work/$mode" /usr/sbin/cron -f -L 15
	eval "cron_$mode=\$pid"
done
for mode in $modes; do
	wait_for 66 test -e "$work/$mode/fds"
	check $? "$mode: cron runs the job" "$(cat "$work/cron-$mode.log")" || continue
	eval "under_lib \$mode \$cron_$mode cron"
	held=$(awk '$9 ~ /^[0-9]+$/ && $9 > 2 && $11 !~ /^\/proc\// { print $9 " -> " $11 $12 }' \
		"$work/$mode/fds")
	if [ "$mode" = none ]; then
		if [ -n "$held" ]; then
			diag "without noleak, the job holds cron's descriptors:" "$held"
		else
			diag "without noleak, cron keeps its descriptors from the job by itself" \
				"(its pid file is close-on-exec): no leak to show here"
		fi
	else
		[ -z "$held" ]
		check $? "$mode: the job holds none of cron's descriptors" "$held"
	fi
done

done_testing
