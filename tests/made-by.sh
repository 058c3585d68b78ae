#!/bin/sh
# SPDX-License-Identifier: MIT
# made-by.sh: the creator a report names belongs to the descriptor, not to
# its number.  php-fpm's master creat()s its pid file on a number and
# closes it; each worker dup()s the pool's listener onto that number; an
# audit named the worker's listener "made by creat()".  tests/creator
# plays that in one process: creat() 3 and 4, close them, a socket on 3,
# its dup() on 4, system("true").  Under --audit with a log, the line for
# 4 names dup(); a descriptor made by a raw system call names no call.
# Both fail on the library before this round (d805dbe), which named
# creat().
. "$NOLEAK_SRCDIR/tests/tap.sh"

prog=$NOLEAK_TESTS/creator
work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-madeby.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT

# reused OUT: whether "made A B S D" says the socket took creat()'s first
# number and its dup() the second (whatever the harness left open below).
reused() {
	printf '%s\n' "$1" | awk '$1 == "made" && $4 == $2 && $5 == $3 { f = 1 } END { exit !f }'
}

# The numbers must really be reused, without the library as with it.
out=$(timeout 20 env -i PATH=/usr/bin:/bin "$prog" "$work" 2>&1)
reused "$out"
ok $? "without the library, creat() had two numbers, and the socket and its dup() take them again ($out)"

for how in dup raw; do
	log=$work/$how.log
	out=$(timeout 20 env -i PATH=/usr/bin:/bin NOLEAK_MODE=audit NOLEAK_LOG="$log" \
		LD_PRELOAD="$NOLEAK_LIBRARY" "$prog" "$work" $how 2>&1)
	d=$(printf '%s\n' "$out" | awk '$1 == "made" { print $5 }')
	line=$(grep " would leak fd ${d:-none} " "$log" 2>/dev/null)
	case $how in
	dup)
		reused "$out" &&
			printf '%s\n' "$line" | grep -Eq '\(tcp 0\.0\.0\.0:0\) into true; made by dup\(\) at ' &&
			! grep -q 'made by creat' "$log"
		ok $? "audit: fd ${d:-?}, the socket's dup(), is reported made by dup(), not by the creat() that had its number" ||
			diag "out: $out" "log: $(cat "$log" 2>&1)" ;;
	raw)
		reused "$out" &&
			printf '%s\n' "$line" | grep -q '; made by a call the library does not see' &&
			! grep -q 'made by creat' "$log"
		ok $? "audit: fd ${d:-?} made by a raw system call names no call, not the creat() that had its number" ||
			diag "out: $out" "log: $(cat "$log" 2>&1)" ;;
	esac
done

done_testing
