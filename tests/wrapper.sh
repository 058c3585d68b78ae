#!/bin/sh
# SPDX-License-Identifier: MIT
# wrapper.sh: the noleak command, from the build tree: options, messages,
# exit statuses like env(1), and what it puts in the environment.
. "$NOLEAK_SRCDIR/tests/tap.sh"

noleak=$NOLEAK_WRAPPER
probe=$NOLEAK_TESTS/probe
work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-wrapper.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT

run --help
printf '%s\n' "$out" | grep -q '^Usage: noleak \[OPTION\]... \[--\] COMMAND'
ok $(( st == 0 && $? == 0 ? 0 : 1 )) "--help prints usage on stdout and exits 0"

run --version
test "$st" -eq 0 && test "$out" = "noleak (noleak) $NOLEAK_VERSION"
ok $? "--version prints the version"

run --frobnicate -- true
expect 125 "an unknown option exits 125 and is named" "unrecognized option '--frobnicate'"

run -k
expect 125 "a missing option argument exits 125" "option '-k' requires an argument"

run
expect 125 "no command exits 125" "no command given"

# Bad keep entries, numbers and resources, refused by the wrapper: tested
# here and nowhere else among the shell tests (the parser's reasons are
# tests/check_policy.c's, the library's messages tests/check_preload.c's).
for bad in abc 9-4 3- -3 1-2-3 99999999999 'x,5' \
	tcp:0 udp:65536 tcp:http unix:run/x.sock path:; do
	run -k "$bad" -- true
	entry=${bad%%,*}
	expect 125 "-k '$bad' is refused, naming the entry" "invalid keep entry '$entry'"
done

run --scope sideways -- true
expect 125 "a bad --scope is refused, naming it" "invalid scope 'sideways'"

run --signals=maybe -- true
expect 125 "a bad --signals is refused, naming it" "invalid signals setting 'maybe'"

run -s tree --signals keep -- sh -c 'echo "$NOLEAK_SCOPE $NOLEAK_SIGNALS"'
test "$out" = "tree keep"
ok $? "--scope and --signals reach the library's variables"

run -- sh -c 'echo "$_NOLEAK_PID $$"'
# shellcheck disable=SC2086 # the probe's words, split on purpose
set -- $out
test "$1" = "$2"
ok $? "the library is told which process it belongs to (the command's pid)"

run -- /nonexistent/command
expect 127 "a missing command exits 127" "'/nonexistent/command': No such file"

run -- no-such-command-anywhere
expect 127 "a command not on PATH exits 127" "'no-such-command-anywhere'"

printf 'echo hi\n' >"$work/not-executable"
run -- "$work/not-executable"
expect 126 "a file that is not executable exits 126" "Permission denied"

run -- "$work"
expect 126 "a directory exits 126" "Permission denied"

run -- sh -c 'exit 3'
expect 3 "the command's own exit status comes through"

NOLEAK_LIBRARY=/nonexistent/libnoleak.so run -- true
expect 125 "a missing library exits 125 and is named" "/nonexistent/libnoleak.so"

run -k 5 --keep 7-8 --keep=10 -k11 -- sh -c 'echo "$NOLEAK_KEEP"'
test "$out" = "5,7-8,10,11"
ok $? "every keep option reaches NOLEAK_KEEP, in order"

NOLEAK_KEEP=3 run -k 5 -- sh -c 'echo "$NOLEAK_KEEP"'
test "$out" = "3,5"
ok $? "keep options add to a NOLEAK_KEEP already set"

libc=$(ldd /bin/true | awk '/libc\.so/ { print $3 }')
LD_PRELOAD=$libc run -- sh -c 'echo "$LD_PRELOAD"'
test "$out" = "$NOLEAK_LIBRARY:$libc"
ok $? "the library goes first in LD_PRELOAD; entries already there stay"

LD_PRELOAD=$libc run -- "$noleak" -- sh -c 'echo "$LD_PRELOAD"'
test "$out" = "$NOLEAK_LIBRARY:$libc"
ok $? "noleak under noleak does not load the library twice"

LD_PRELOAD=$libc run -- env
printf '%s\n' "$out" | grep -q "^LD_PRELOAD=$NOLEAK_LIBRARY:$libc\$"
ok $? "the command itself keeps the library (an exec in place)"

# find is not a shell: what it starts is not the daemon.
LD_PRELOAD=$libc run -- find /dev/null -exec sh -c 'env | grep ^LD_PRELOAD=' \;
test "$out" = "LD_PRELOAD=$libc"
ok $? "process scope: the command's children run without the library; other entries stay"

run -- find /dev/null -exec sh -c 'env | grep -c ^LD_PRELOAD=' \;
test "$out" = "0"
ok $? "process scope: an LD_PRELOAD left empty is removed"

LD_PRELOAD=$libc run -- python3 -c 'import os
pid = os.posix_spawn("/bin/sh", ["sh", "-c", "env | grep ^LD_PRELOAD="], os.environ)
os.waitpid(pid, 0)'
test "$out" = "LD_PRELOAD=$libc"
ok $? "process scope: a child started by posix_spawn runs without the library"

LD_PRELOAD=$libc run -s tree -- sh -c 'env | grep ^LD_PRELOAD='
test "$out" = "LD_PRELOAD=$NOLEAK_LIBRARY:$libc"
ok $? "tree scope: the command's children run under the library too"

run -- "$probe" run open fork-execve
absent "$out"
ok $? "a descriptor opened under noleak does not reach a child" || diag "$out" "$err"

run -k 3-9 -- "$probe" run socket fork-execve
fd=$(printf '%s\n' "$out" | sed -n 's/^created //p')
printf '%s\n' "$out" | grep -q "^inherited.* $fd\( \|$\)"
ok $? "a descriptor named by --keep reaches the child"

done_testing
