#!/bin/sh
# SPDX-License-Identifier: MIT
# stress.sh: every creator at once (through glibc, by raw system calls and
# through io_uring), a timer signal whose handler opens and forks, an
# atfork handler that uses stdio, while children are started through every
# path.  With the shim: no crash, no hang, no child that inherits anything,
# and the creators at least half as fast as without it.  Without the shim
# the same run must leak.  STRESS_SECONDS makes it run longer (`make
# stress` runs it for a minute; the run without the shim, for at most 10 s).
. "$NOLEAK_SRCDIR/tests/tap.sh"

stress=$NOLEAK_TESTS/stress
seconds=${STRESS_SECONDS:-4}
without_seconds=$seconds
[ "$seconds" -gt 10 ] && without_seconds=10
clean="PATH=/usr/bin:/bin"
work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-stress.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT

# field NAME FILE: the number after NAME on the summary line of FILE.
field() {
	awk -v name="$1" '$1 == "spawns" { for (i = 1; i < NF; i++) if ($i == name) print $(i + 1) }' "$2"
}

timeout -k 5 $((seconds + 60)) env -i $clean LD_PRELOAD="$NOLEAK_LIBRARY" \
	"$stress" "$seconds" >"$work/with" 2>&1
st=$?
diag "with the shim:" "$(cat "$work/with")"
grep -q '^spawns ' "$work/with" && [ $st -eq 0 ]
ok $? "with the shim: the run ends normally, no crash and no hang (status $st)"

spawns=$(field spawns "$work/with")
reports=$(field reports "$work/with")
bad=$(field bad "$work/with")
[ -n "$spawns" ] && [ "$spawns" -ge 30 ] && [ "$reports" -eq "$spawns" ] && [ "$bad" -eq 0 ]
ok $? "with the shim: every one of ${spawns:-no} children started, reported and exited 0 ($reports reports, $bad failures)"

while read -r _ path _ _ _ r _ leaked; do
	[ -n "$leaked" ] && [ "$r" -gt 0 ] && [ "$leaked" -eq 0 ]
	ok $? "with the shim: no descriptor leaked into children of $path ($leaked over $r children)"
done <<EOF
$(grep '^path ' "$work/with")
EOF

timeout -k 5 $((without_seconds + 60)) env -i $clean \
	"$stress" "$without_seconds" >"$work/without" 2>&1
st=$?
diag "without the shim:" "$(grep -v '^leak: ' "$work/without")"
leaked=$(field leaked "$work/without")
[ $st -eq 0 ] && [ -n "$leaked" ] && [ "$leaked" -gt 0 ]
ok $? "without the shim the same run leaks (${leaked:-no} descriptors)"

with_rate=$(field rate "$work/with")
without_rate=$(field rate "$work/without")
[ -n "$with_rate" ] && [ -n "$without_rate" ] && [ $((2 * with_rate)) -ge "$without_rate" ]
ok $? "creators with the shim make at least half as many descriptors a second as without (${with_rate:-?}/s against ${without_rate:-?}/s)"

done_testing
