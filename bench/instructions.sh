#!/bin/sh
# SPDX-License-Identifier: MIT
# instructions.sh LIBRARY BENCH [EMPTY]: user-space instructions each
# wrapped call adds, and a start of /bin/true under the library and under
# an empty one (EMPTY), counted by callgrind (repeatable, unlike time).
# Part of make bench.
lib=$1 bench=$2 empty=${3-}
n=20000

if ! command -v valgrind >/dev/null 2>&1; then
	echo "6. Instructions per wrapped call: valgrind is not installed, row skipped"
	exit 0
fi
# count WITH_SHIM OP: instructions callgrind collected for N round trips.
count() {
	if [ "$1" = 1 ]; then set -- "$2" "LD_PRELOAD=$lib"; else set -- "$2" X=; fi
	env -i PATH=/usr/bin:/bin "$2" valgrind --tool=callgrind \
		--callgrind-out-file=/dev/null "$bench" percall "$1" $n 2>&1 |
		sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
}
echo "6. Instructions per wrapped call (callgrind; user space only, the system call itself not counted)"
printf '   %-14s %10s %10s %8s\n' call without with added
for op in open socket pipe dup fopen epoll_create1; do
	a=$(count 0 $op) b=$(count 1 $op)
	if [ -z "$a" ] || [ -z "$b" ]; then
		echo "   $op: callgrind gave no count"
		continue
	fi
	printf '   %-14s %10d %10d %8d\n' $op $((a / n)) $((b / n)) $(((b - a) / n))
done

# start LIB: instructions of one /bin/true with LIB preloaded.
start() {
	env -i LD_PRELOAD="$1" valgrind --tool=callgrind --callgrind-out-file=/dev/null \
		/bin/true 2>&1 | sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
}
if [ -n "$empty" ]; then
	a=$(start "$empty") b=$(start "$lib")
	if [ -n "$a" ] && [ -n "$b" ]; then
		echo "   /bin/true, start to exit: $b with the library, $a with an empty one" \
			"($(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b / a }'));" \
			"the loader's own work for a library with imports"
	fi
fi
