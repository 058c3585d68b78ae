#!/bin/sh
# SPDX-License-Identifier: MIT
# modes.sh: NOLEAK_MODE and the wrapper's --audit and --off.  Audit must
# report A's listener and lock as it starts B, and change nothing (B still
# inherits them); off must change nothing and say nothing; a bad mode is
# named, and the daemon is protected as by default.
. "$NOLEAK_SRCDIR/tests/tap.sh"
. "$NOLEAK_SRCDIR/tests/daemons.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-modes.XXXXXX") || exit 99
trap 'stop_all; rm -rf "$work"' EXIT

for how in system fork-execv posix_spawn; do
	HOW=$how start "audit-$how" "$noleak" --audit --
	out=$(cat "$work/audit-$how.out")
	r=0
	printf '%s\n' "$out" | grep -Eq "^noleak\[[0-9]+\]: audit: story-daemon\[$a\] would leak fd [0-9]+ \(tcp 127\.0\.0\.1:$port LISTEN\) into " || r=1
	printf '%s\n' "$out" | grep -Eq "^noleak\[[0-9]+\]: audit: story-daemon\[$a\] would leak fd [0-9]+ \($work/audit-$how.lock\) into " || r=1
	ok $r "audit ($how): A's listener and lock are reported as B starts"
	[ $r -eq 0 ] || diag "$out"
	r=0
	printf '%s\n' "$out" | grep -Eq "LISTEN\) into .*; made by socket\(\) at $daemon\+0x[0-9a-f]+\$" || r=1
	printf '%s\n' "$out" | grep -Eq "audit-$how.lock\) into .*; made by open\(\) at $daemon\+0x[0-9a-f]+\$" || r=1
	ok $r "audit ($how): each line names the creating call and where in A it was made"
	[ $r -eq 0 ] || diag "$out"
	"$noleak" check "$b" >"$work/check.out" 2>&1
	test $? -eq 1 && grep -q "tcp 127.0.0.1:$port LISTEN" "$work/check.out"
	ok $? "audit ($how): nothing is changed, B still holds A's port"
	stop_all
done

# The caller's offset is the return address of the call in the probe:
# the instruction right after a call to open.
out=$("$noleak" --audit -- "$NOLEAK_TESTS/probe" run open fork-execve 2>&1)
off=$(printf '%s\n' "$out" | sed -n 's/.*made by open() at .*+0x\([0-9a-f]*\)$/\1/p' | head -n 1)
r=1
if [ -n "$off" ] && command -v objdump >/dev/null 2>&1; then
	objdump -d "$NOLEAK_TESTS/probe" | grep -B1 -E "^ *$off:" | grep -Eq 'call.*<(open|open64)@plt>' && r=0
fi
ok $r "the offset reported is the return address of a call to open in the program"
[ $r -eq 0 ] || diag "$out"
printf '%s\n' "$out" | grep -Eq '^noleak\[[0-9]+\]: summary: probe started 1 program; 1 descriptor would have leaked into them$'
ok $? "audit: the process ends with a summary of what it saw"

# A daemon that forks into the background: the launcher returns from main
# at once, the copy it leaves running starts the program; the summary is
# the daemon's, when it ends, not the launcher's "started 0 programs".
"$noleak" --audit -- "$NOLEAK_TESTS/probe" background open fork-execve >"$work/bg.out" 2>&1
for i in $(seq 100); do
	grep -q summary "$work/bg.out" && grep -q '^inherited' "$work/bg.out" && break
	sleep 0.1
done
sleep 0.3
out=$(cat "$work/bg.out")
test "$(printf '%s\n' "$out" | grep -c 'summary: .* started ')" = 1 &&
	printf '%s\n' "$out" | grep -Eq '^noleak\[[0-9]+\]: summary: probe started 1 program; 1 descriptor would have leaked into them$'
ok $? "audit: a daemon that forks into the background says the summary when it ends, once" ||
	diag "$out"

start enforce "$noleak" --
! grep -q 'audit:' "$work/enforce.out" && "$noleak" check "$b" >/dev/null
ok $? "enforce (the default): no report, and B holds nothing of A's"
stop_all

start off "$noleak" --off --
r=0
test -z "$(grep -v '^port\|^lock\|^bind\|^started' "$work/off.out")" || r=1
"$noleak" check "$a" >/dev/null
[ $? -eq 1 ] || r=1	# 1: A's descriptors would leak; 2 (A gone) is no pass
ok $r "--off: nothing reported, nothing changed"
stop_all

NOLEAK_MODE=audit start env "$noleak" --
grep -q "audit: story-daemon\[$a\] would leak fd" "$work/env.out"
ok $? "NOLEAK_MODE=audit in the environment works as --audit"
stop_all

NOLEAK_MODE=loud start bad "$noleak" --
r=0
grep -q "NOLEAK_MODE: ignoring 'loud': expected enforce, audit or off; using enforce" "$work/bad.out" || r=1
"$noleak" check "$b" >/dev/null || r=1
ok $r "a bad NOLEAK_MODE is named, and the daemon is protected as by default"
[ $r -eq 0 ] || diag "$(cat "$work/bad.out")"
stop_all

done_testing
