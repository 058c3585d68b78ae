#!/bin/sh
# SPDX-License-Identifier: MIT
# looks.sh: what a program can see of the library, found by running test
# suites host-wide (doc/hostwide-findings.md): msg_flags after a recvmsg
# that did not ask for MSG_CMSG_CLOEXEC, and F_GETFD of a descriptor it
# opened without O_CLOEXEC, read the same as without the library; the
# descriptor is still kept from the child, and a flag the program sets
# itself reads back.
. "$NOLEAK_SRCDIR/tests/tap.sh"

probe=$NOLEAK_TESTS/probe
without=$(timeout 30 "$probe" looks 2>&1)
with=$(timeout 30 env LD_PRELOAD="$NOLEAK_LIBRARY" "$probe" looks 2>&1)

field() {
	printf '%s\n' "$1" | sed -n "s/^$2 //p"
}

test "$(field "$without" msg_flags)" = 0 && test "$(field "$with" msg_flags)" = 0
ok $? "recvmsg with flags 0 returns msg_flags 0, as without the library" ||
	diag "without: $without" "with: $with"

test "$(field "$without" getfd)" = 0 && test "$(field "$with" getfd)" = 0
ok $? "F_GETFD of a descriptor opened without O_CLOEXEC reads 0, as without the library" ||
	diag "without: $without" "with: $with"

fd=$(field "$with" created)
test "$(leaked "$without")" = " $(field "$without" created)" && absent "$with" "$fd"
ok $? "that descriptor still reaches no child (without the library, it does)" ||
	diag "without: $without" "with: $with"

test "$(field "$without" getfd-set)" = 1 && test "$(field "$with" getfd-set)" = 1
ok $? "a close-on-exec flag the program sets itself reads back" ||
	diag "without: $without" "with: $with"

done_testing
