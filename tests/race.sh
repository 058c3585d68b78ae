#!/bin/sh
# SPDX-License-Identifier: MIT
# race.sh: four threads create descriptors through every creator while the
# main thread starts children through every spawn path.  With the shim no
# child may inherit anything over at least 1,000 spawns; without it, the
# same program must see leaks.  RACE_SECONDS makes it run longer
# (`make race` runs it for a minute).
. "$NOLEAK_SRCDIR/tests/tap.sh"

race=$NOLEAK_TESTS/race
seconds=${RACE_SECONDS:-2}
clean="PATH=/usr/bin:/bin"

with=$(env -i $clean LD_PRELOAD="$NOLEAK_LIBRARY" "$race" "$seconds" 1000)
diag "with the shim: $with"
# shellcheck disable=SC2086 # the counts, one a word, split on purpose
set -- $with
[ "$2" -ge 1000 ] && [ "$4" -ge 1000 ] && [ "$6" -eq 0 ]
ok $? "with the shim: $6 leaked descriptors over $4 children"

without=$(env -i $clean "$race" 1 300)
diag "without the shim: $without"
# shellcheck disable=SC2086 # the counts, one a word, split on purpose
set -- $without
[ "$6" -gt 0 ]
ok $? "without the shim the same race leaks ($6 descriptors)"

done_testing
