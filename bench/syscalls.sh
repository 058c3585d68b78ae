#!/bin/sh
# SPDX-License-Identifier: MIT
# syscalls.sh LIBRARY BENCH: the system calls each creator makes under the
# library (a legacy program: no close-on-exec asked for) beside those of
# the careful program (close-on-exec asked for by hand, no library),
# counted by strace over two loop lengths, so that what a process start
# makes cancels out.  Part of make bench.
lib=$1 bench=$2

if ! command -v strace >/dev/null 2>&1; then
	echo "7. System calls per creation: strace is not installed, row skipped"
	exit 0
fi
# calls WITH_SHIM OP N: "name count" lines for N round trips.
calls() {
	# strace -E: the library is for the traced program, not for strace
	# (which would be its owner, and the program a dormant descendant).
	if [ "$1" = 1 ]; then set -- "$2" "$3" "LD_PRELOAD=$lib"; else set -- "$2" "$3" X=; fi
	out=$(mktemp) || exit 1
	env -i PATH=/usr/bin:/bin strace -E "$3" -f -qq -o "$out" "$bench" percall "$1" "$2" \
		>/dev/null 2>&1
	sed -n 's/^[0-9]* *\([a-z_0-9]*\)(.*/\1/p' "$out" | sort | uniq -c |
		awk '{ print $2, $1 }'
	rm -f "$out"
}
# per WITH_SHIM OP: the calls of one round trip, "name xN name xN".
per() {
	{ calls "$1" "$2" 100 | sed 's/^/a /'; calls "$1" "$2" 200 | sed 's/^/b /'; } |
		awk '{ n[$2] += ($1 == "b" ? $3 : -$3) }
		     END { for (k in n) if (n[k] > 0) printf "%s x%g\n", k, n[k] / 100 }' |
		sort | tr '\n' ' '
}
echo "7. System calls per create+close round trip (strace): a legacy program under the"
echo "   library, beside the careful program without it (must be equal)"
status=0
for op in open openat socket accept pipe dup fopen epoll_create1 eventfd; do
	careful=$(per 0 "$op-cloexec") shim=$(per 1 "$op")
	same=equal
	[ "$careful" = "$shim" ] || { same=DIFFERENT; status=1; }
	printf '   %-14s careful: %-40s shim: %-40s %s\n' "$op" "$careful" "$shim" "$same"
done
exit $status
