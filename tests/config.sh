#!/bin/sh
# SPDX-License-Identifier: MIT
# config.sh: the configuration file (NOLEAK_CONFIG here, $sysconfdir/
# noleak.conf on a host).  Its mode, keep entries and per-program sections
# apply; the environment overrides it; a file others may write to, or a
# bad line, is named in one message and changes nothing; and a process
# reads it at most once, only when it needs the configuration: one that
# creates no descriptor and starts no program does not even open it.
. "$NOLEAK_SRCDIR/tests/tap.sh"

probe=$NOLEAK_TESTS/probe
lib=$NOLEAK_LIBRARY
work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-config.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
conf=$work/noleak.conf
exe=$(readlink -f "$probe")

# under [VAR=VALUE...]: the probe opens /etc/hostname and starts a child,
# with the library and the configuration file; its output and the
# library's messages in $out.
under() {
	out=$(timeout 30 env NOLEAK_CONFIG="$conf" "$@" LD_PRELOAD="$lib" \
		"$probe" run open fork-execve 2>&1)
}

# setup TEXT: the file's contents, mode 0644.
setup() {
	printf '%s\n' "$1" >"$conf"
	chmod 0644 "$conf"
}

# ---- the leak, with and without a file --------------------------------------
out=$(timeout 30 "$probe" run open fork-execve 2>&1)
fd=$(printf '%s\n' "$out" | sed -n 's/^created //p')
test "$(leaked "$out")" = " $fd"
ok $? "without the library, the child inherits the probe's descriptor ($fd)" || diag "$out"

setup '# nothing but a comment'
under
absent "$out"
ok $? "with a file that says nothing, the library protects as by default" || diag "$out"

# ---- what the file says applies ---------------------------------------------
setup 'mode = off'
under
test "$(leaked "$out")" = " $fd" && ! printf '%s\n' "$out" | grep -q noleak
ok $? "mode = off: the library changes nothing, and says nothing" || diag "$out"

setup 'mode = audit'
under
test "$(leaked "$out")" = " $fd" &&
	printf '%s\n' "$out" | grep -q "audit: probe\[[0-9]*\] would leak fd $fd (/etc/hostname)"
ok $? "mode = audit: the leak is reported and left" || diag "$out"

setup "keep = path:/etc/hostname"
under
test "$(leaked "$out")" = " $fd"
ok $? "keep = path:/etc/hostname: the descriptor reaches the child" || diag "$out"

# ---- sections: one program's rules ------------------------------------------
setup "mode = enforce
[$exe]
keep = path:/etc/hostname"
under
test "$(leaked "$out")" = " $fd"
ok $? "a section naming the probe's executable ($exe) applies to it" || diag "$out"

setup "[$exe.other]
mode = off
[/usr/sbin/nothing-like-it]
keep = path:/etc/hostname"
under
absent "$out"
ok $? "sections naming other programs do not" || diag "$out"

setup "[$exe]
mode = off"
under
test "$(leaked "$out")" = " $fd"
ok $? "mode = off in the probe's section: the library stays dormant in it" || diag "$out"

# ---- the environment has the last word ----------------------------------------
setup 'mode = off'
under NOLEAK_MODE=enforce
absent "$out"
ok $? "NOLEAK_MODE=enforce overrides the file's mode = off" || diag "$out"

setup 'mode = off'
under NOLEAK_CONFIG=
absent "$out"
ok $? "an empty NOLEAK_CONFIG reads no file" || diag "$out"

# ---- files and lines that are not used --------------------------------------
setup 'mode = off'
chmod 0666 "$conf"
under
absent "$out" &&
	test "$(printf '%s\n' "$out" | grep -c noleak)" = 1 &&
	printf '%s\n' "$out" | grep -q "noleak\[[0-9]*\]: $conf: ignored: group or others may write to it (mode 0666)$"
ok $? "a file others may write to is ignored, with one message naming it and its mode" || diag "$out"

setup 'mode = of
keep = tcp:99999
colour = blue
just words
[relative/path]'
under
absent "$out" && test "$(printf '%s\n' "$out" | grep -c "$conf")" = 1 &&
	printf '%s\n' "$out" | grep -q "$conf:1: ignoring 'of': expected enforce, audit or off (the first of 5 bad lines in this file, all ignored)$"
ok $? "five bad lines: one message, naming the file, the first bad line and the count; the library protects as by default" ||
	diag "$out"

for setup in 'colour = blue' '[relative/path]' 'keep = tcp:99999 tcp:88888'; do
	setup "$setup"
	under
	absent "$out" && test "$(printf '%s\n' "$out" | grep -c "$conf")" = 1 &&
		printf '%s\n' "$out" | grep "$conf:1: ignoring '" | grep -vq 'bad lines'
	ok $? "one bad line ($setup): one message, without a count" || diag "$out"
done

# reexec's paths: 511 bytes in all, as the value would write them.  A
# path of 511 bytes (nothing on disk need be there) is one; a blank and
# another path are too many.
long=/$(printf '%0510d' 0)

# A role names a program's own kind: in its section, from the five words.
# Each bad one is named and the library protects as by default (the probe
# is no shell or launcher, so its name gives it no role either).
for bad in "role = launcher|a role is a program's own: put it in the program's [/path] section" \
	"[$exe]
role = laucher|'laucher': unknown role; expected shell, launcher, locks, helper or none" \
	"[$exe]
role = none, launcher|'none, launcher': \"none\" goes alone" \
	"[$exe]
reexec = relative/legacyd|'relative/legacyd': expected an absolute path" \
	"reexec = /usr/sbin/legacyd|programs re-executed are a program's own" \
	"[$exe]
reexec =|'': expected an absolute path" \
	"[$exe]
reexec = , ,	|', ,': expected an absolute path" \
	"[$exe]
reexec = $long /b|'/b': too many paths to re-execute (511 bytes in all)"; do
	setup "${bad%%|*}"
	under
	absent "$out" && test "$(printf '%s\n' "$out" | grep -c "$conf")" = 1 &&
		printf '%s\n' "$out" | grep -qF -- "${bad#*|}"
	ok $? "a bad role or reexec line is named ($(printf '%s' "${bad%%|*}" | tail -1 | cut -c1-48)); the library protects as by default" ||
		diag "$out"
done
# Good ones: a value of exactly 511 bytes; the probe protects as by default.
half=/$(printf '%0254d' 0)
for good in "$long" "$half,$half"; do
	setup "[$exe]
reexec = $good"
	under
	paths=$(printf '%s\n' "$good" | awk -F, '{ print NF }')
	absent "$out" && ! printf '%s\n' "$out" | grep -q "$conf"
	ok $? "reexec = a value of ${#good} bytes, $paths path(s): taken, without a message" ||
		diag "$out"
done
# A good one: the probe as a shell is left alone, the leak as without us.
setup "[$exe]
role = shell"
under
test "$(leaked "$out")" = " $fd" && ! printf '%s\n' "$out" | grep -q "$conf"
ok $? "role = shell in the probe's own section: left alone as a shell, the child inherits ($fd)" ||
	diag "$out"

# One message a process, however many bad lines: 400 unknown keys, then a
# line that applies (it does).  The same file without the library says
# nothing, so the messages are the library's.
{
	i=0
	while [ $i -lt 400 ]; do
		echo "colour$i = blue"
		i=$((i + 1))
	done
	echo 'mode = audit'
} >"$conf"
out=$(timeout 30 env NOLEAK_CONFIG="$conf" "$probe" run open fork-execve 2>&1)
test "$(printf '%s\n' "$out" | grep -c "$conf")" = 0
ok $? "without the library, the bad file gives no message" || diag "$out"
under
pids=$(printf '%s\n' "$out" | sed -n "s|^noleak\[\([0-9]*\)\]: $conf.*|\1|p")
per=$(printf '%s\n' "$pids" | sort | uniq -c | awk '{ print $1 }' | sort -n | tail -1)
test "$(leaked "$out")" = " $fd" && test -n "$pids" && test "$per" = 1 &&
	printf '%s\n' "$out" | grep -q "$conf:1: ignoring 'colour0': unknown key; expected mode, signals, log, keep, role or reexec (the first of 400 bad lines in this file, all ignored)$"
ok $? "400 bad lines: one message a process ($(printf '%s\n' "$out" | grep -c "$conf") in all), naming the first and the count; the good line applies" ||
	diag "$(printf '%s\n' "$out" | head -8)"

under NOLEAK_CONFIG="$work/missing.conf"
absent "$out" &&
	printf '%s\n' "$out" | grep -q "NOLEAK_CONFIG: ignoring '$work/missing.conf': cannot open it (No such file or directory)"
ok $? "a missing file named by NOLEAK_CONFIG is named, with why" || diag "$out"

under NOLEAK_CONFIG=relative.conf
printf '%s\n' "$out" | grep -q "NOLEAK_CONFIG: ignoring 'relative.conf': expected an absolute path"
ok $? "a relative NOLEAK_CONFIG is refused by name" || diag "$out"

# ---- read once, and only when needed ------------------------------------------
if command -v strace >/dev/null 2>&1; then
	setup 'mode = enforce'
	timeout 30 strace -f -qq -e trace=open,openat -o "$work/trace" \
		-E NOLEAK_CONFIG="$conf" -E LD_PRELOAD="$lib" "$probe" run open fork-execve >/dev/null 2>&1
	n=$(grep -c "$conf" "$work/trace")
	test "$n" = 1
	ok $? "a process that opens a file and starts a child reads the file once ($n opens)" ||
		diag "$(cat "$work/trace")"
	timeout 30 strace -qq -o "$work/trace" \
		-E NOLEAK_CONFIG="$conf" -E LD_PRELOAD="$lib" /bin/true
	grep -q "$(basename "$lib")" "$work/trace" &&
		! grep -Eq "$conf|/proc/self/fd|close_range" "$work/trace"
	ok $? "/bin/true, which makes no descriptor and starts nothing, opens neither the file nor /proc/self/fd" ||
		diag "$(cat "$work/trace")"
else
	skip "the file is read once" "strace is not installed"
	skip "/bin/true reads nothing" "strace is not installed"
fi

done_testing
