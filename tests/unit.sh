#!/bin/sh
# SPDX-License-Identifier: MIT
# unit.sh: noleak enable-unit and disable-unit, on units in a directory of
# the test's own (NOLEAK_SYSTEMD_DIR), with a recording stand-in for
# systemctl (NOLEAK_SYSTEMCTL): the drop-in written, idempotence, --keep
# carried into NOLEAK_KEEP, refusals with env(1)'s statuses, and the
# drop-in's environment protecting the unit's program as systemd runs it.
. "$NOLEAK_SRCDIR/tests/tap.sh"

noleak=$NOLEAK_WRAPPER
probe=$NOLEAK_TESTS/probe
work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-unit.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
units=$work/system
mkdir "$units"
NOLEAK_SYSTEMD_DIR=$units
NOLEAK_SYSTEMCTL="$work/systemctl"
export NOLEAK_SYSTEMD_DIR NOLEAK_SYSTEMCTL
printf '#!/bin/sh\necho "$*" >>"%s/reloads"\n' "$work" >"$work/systemctl"
chmod +x "$work/systemctl"
: >"$work/reloads"

# reloads: how many times systemctl was run, and with what, since the last call.
reloads() {
	n=$(grep -c '^daemon-reload$' "$work/reloads")
	other=$(grep -vc '^daemon-reload$' "$work/reloads")
	: >"$work/reloads"
	echo "$n${other#0}"
}

# unit NAME EXECSTART: a service unit in $units.
unit() {
	printf '[Unit]\nDescription=%s\n\n[Service]\nExecStart=%s\n' "$1" "$2" >"$units/$1"
}

unit legacyd.service "$probe run open fork-execve"
dropin=$units/legacyd.service.d/noleak.conf

# ---- enable -----------------------------------------------------------------
run enable-unit legacyd
expect 0 "enable-unit legacyd: exit 0"
test "$(sed -n 2,99p "$dropin" 2>&1)" = "[Service]
Environment=LD_PRELOAD=$NOLEAK_LIBRARY"
ok $? "the drop-in legacyd.service.d/noleak.conf sets LD_PRELOAD to the library, and nothing else" ||
	diag "$(cat "$dropin" 2>&1)"
head -n 1 "$dropin" | grep -q '^# Written by noleak enable-unit'
ok $? "the drop-in says who wrote it"
test "$(stat -c %a "$dropin")" = 644
ok $? "the drop-in is mode 644"
test "$(reloads)" = 1
ok $? "systemctl daemon-reload ran once"
printf '%s\n' "$out" | grep -q "systemctl restart legacyd.service"
ok $? "the message says to restart the unit" || diag "$out"

cp "$dropin" "$work/before"
run enable-unit legacyd.service
expect 0 "enable-unit again: exit 0" 
cmp -s "$dropin" "$work/before" && printf '%s\n' "$out" | grep -q 'already enabled'
ok $? "enable-unit again: the same drop-in, and it says so"
test "$(reloads)" = 0
ok $? "enable-unit again: no daemon-reload"

run enable-unit --keep 3 -k tcp:8080 --keep='path:/srv/50%/*' legacyd
expect 0 "enable-unit --keep: exit 0"
grep -qx 'Environment="NOLEAK_KEEP=3,tcp:8080,path:/srv/50%%/\*"' "$dropin"
ok $? "--keep entries go into NOLEAK_KEEP, in order, % doubled for systemd" || diag "$(cat "$dropin")"
test "$(reloads)" = 1
ok $? "a changed drop-in: daemon-reload again"

if command -v systemd-analyze >/dev/null 2>&1; then
	vout=$(systemd-analyze verify --man=no "$units/legacyd.service" 2>&1)
	test $? -eq 0 && test -z "$vout"
	ok $? "systemd-analyze verify accepts the unit with its drop-in" || diag "$vout"
else
	skip "systemd-analyze verify" "systemd-analyze is not installed"
fi

# ---- the drop-in at work ------------------------------------------------------
# The unit's ExecStart run with the drop-in's environment, as systemd would.
run enable-unit legacyd
preload=$(sed -n 's/^Environment=LD_PRELOAD=//p' "$dropin")
without=$(leaked "$(env -i PATH="$PATH" "$probe" run open fork-execve 2>&1)")
with=$(leaked "$(env -i PATH="$PATH" LD_PRELOAD="$preload" "$probe" run open fork-execve 2>&1)")
test -n "$without" && test "$without" != none && test -z "$with"
ok $? "the unit's program leaks fd$without without the drop-in, nothing with it" ||
	diag "without: '$without'" "with: '$with'"

fd=${without# }
run enable-unit --keep "$fd" legacyd
keepenv=$(sed -n 's/^Environment="\(NOLEAK_KEEP=[^"]*\)"$/\1/p' "$dropin")
kept=$(leaked "$(env -i PATH="$PATH" LD_PRELOAD="$preload" "$keepenv" "$probe" run open fork-execve 2>&1)")
test "$keepenv" = "NOLEAK_KEEP=$fd" && test "$kept" = " $fd"
ok $? "--keep $fd: the drop-in's NOLEAK_KEEP lets fd $fd through" || diag "env: $keepenv" "leaked: '$kept'"
reloads >/dev/null

# ---- disable ------------------------------------------------------------------
run disable-unit legacyd.service
expect 0 "disable-unit: exit 0"
test ! -e "$dropin" && test ! -e "$units/legacyd.service.d"
ok $? "disable-unit removes the drop-in and its empty directory"
test "$(reloads)" = 1
ok $? "disable-unit: daemon-reload once"
run disable-unit legacyd
expect 0 "disable-unit again: exit 0"
printf '%s\n' "$out" | grep -q 'not enabled'
ok $? "disable-unit again: it says there was nothing to do"
test "$(reloads)" = 0
ok $? "disable-unit again: no daemon-reload"

mkdir -p "$units/legacyd.service.d"
echo keep-me >"$units/legacyd.service.d/other.conf"
run enable-unit legacyd && run disable-unit legacyd
test "$(cat "$units/legacyd.service.d/other.conf")" = keep-me && test ! -e "$dropin"
ok $? "disable-unit leaves the unit's other drop-ins alone"
rm -rf "$units/legacyd.service.d"
reloads >/dev/null

# ---- a drop-in someone else wrote ---------------------------------------------
mkdir -p "$units/legacyd.service.d"
printf '[Service]\nEnvironment=LD_PRELOAD=/elsewhere/libnoleak.so\n' >"$dropin"
cp "$dropin" "$work/theirs"
run enable-unit legacyd
expect 125 "enable-unit over a noleak.conf it did not write: refused (125)" "not written by noleak enable-unit"
run disable-unit legacyd
expect 125 "disable-unit of a noleak.conf it did not write: refused (125)" "not written by noleak enable-unit"
cmp -s "$dropin" "$work/theirs"
ok $? "that noleak.conf is left as it was"
test "$(reloads)" = 0
ok $? "no daemon-reload when nothing changed"
rm -rf "$units/legacyd.service.d"

# ---- refusals -----------------------------------------------------------------
run enable-unit
expect 125 "no unit: 125" "no unit given"
run enable-unit a b
expect 125 "two units: 125, naming the second" "unexpected 'b'"
run enable-unit /etc/systemd/system/legacyd.service
expect 125 "a path instead of a name: 125, naming it" "invalid unit '/etc/systemd/system/legacyd.service'"
run enable-unit legacyd.socket
expect 125 "a socket unit: 125, naming it" "invalid unit 'legacyd.socket': only a service"
run enable-unit 'legacy d'
expect 125 "a name with a space: 125, naming it" "invalid unit 'legacy d'"
run enable-unit --keep abc legacyd
expect 125 "a bad --keep: 125, naming the entry" "invalid keep entry 'abc'"
run disable-unit --keep 3 legacyd
expect 125 "disable-unit takes no --keep: 125" "only enable-unit takes --keep"
run enable-unit --frobnicate legacyd
expect 125 "an unknown option: 125, naming it" "unrecognized option '--frobnicate'"
test ! -e "$units/legacyd.service.d"
ok $? "nothing written by any refused command"

run enable-unit nosuch
expect 127 "a unit that does not exist: 127, naming it" "unit 'nosuch.service' not found"

unit gone.service "/nonexistent/legacyd --foreground"
run enable-unit gone
expect 127 "ExecStart runs a program that does not exist: 127, naming it" "'/nonexistent/legacyd', which does not exist"

unit bare.service "no-such-program-here -x"
run enable-unit bare
expect 127 "ExecStart runs a bare name not on systemd's path: 127" "'no-such-program-here', which is not found"

unit spec.service "%h/bin/legacyd"
run enable-unit spec
expect 125 "ExecStart with a specifier: refused, naming it" "ExecStart '%h/bin/legacyd'"

unit prefixed.service "-@$probe probe run"
run enable-unit prefixed
expect 0 "ExecStart with systemd's prefixes (-@): the program behind them is judged"
test "$(reloads)" = 1
ok $? "...and the drop-in is written"

printf '#!/bin/sh\nexec true\n' >"$work/script"
chmod +x "$work/script"
unit script.service "$work/script"
run enable-unit script
expect 0 "ExecStart runs a shell script: judged by its interpreter, enabled"

ln -s /dev/null "$units/masked.service"
run enable-unit masked
expect 127 "a masked unit: 127" "is masked"

unit inst@.service "$probe run %i"
run enable-unit inst@one
expect 0 "an instance of a template unit: the template's ExecStart is judged" 
test -f "$units/inst@one.service.d/noleak.conf"
ok $? "...and the drop-in is the instance's"

static=$NOLEAK_TESTS/tiny-static
if [ -x "$static" ]; then
	unit static.service "$static --foreground"
	run enable-unit static
	expect 126 "ExecStart runs a static program: refused, 126" "statically linked"
	test ! -e "$units/static.service.d"
	ok $? "...and no drop-in is written"

	# systemd's rules: an empty ExecStart= clears the list; drop-ins come last.
	mkdir "$units/static.service.d"
	printf '[Service]\nExecStart=\nExecStart=%s run\n' "$probe" >"$units/static.service.d/override.conf"
	run enable-unit static
	expect 0 "a drop-in that replaces the static ExecStart: enabled"
	unit dyn.service "$probe run"
	mkdir "$units/dyn.service.d"
	printf '[Service]\nExecStart=\nExecStart=%s\n' "$static" >"$units/dyn.service.d/override.conf"
	run enable-unit dyn
	expect 126 "a drop-in that replaces ExecStart with a static program: refused" "statically linked"
else
	skip "static ExecStart" "configure could not build a static program"
fi

done_testing
