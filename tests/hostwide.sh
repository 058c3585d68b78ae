#!/bin/sh
# SPDX-License-Identifier: MIT
# hostwide.sh: the library in /etc/ld.so.preload, with no NOLEAK_* variable
# anywhere, as a host-wide install has it; in a private mount namespace
# (root and unshare -m), with a copy of /etc bound over the real one, so
# the host never sees it.  Every process is protected, however far down
# the tree (the story's leak three levels below the first process), and
# nothing is written into the environment of the programs; the
# configuration file's sections apply to their program only.  The same
# runs without the preload file show the leak, so no check passes on a
# library that is not there.
. "$NOLEAK_SRCDIR/tests/tap.sh"

probe=$NOLEAK_TESTS/probe
work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-hostwide.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT

if [ "$(id -u)" != 0 ] || ! unshare -m --propagation private true 2>/dev/null; then
	skip "host-wide protection" "needs root and unshare -m (a private mount namespace)"
	done_testing
	exit
fi
confdir=$(dirname "${NOLEAK_CONFIG_FILE:-/etc/noleak.conf}")
cp "$probe" "$work/other-probe"
# The configuration file's directory may not exist yet (make distcheck's
# prefix): made for the test, empty on the host (a tmpfs covers it in the
# namespace), and taken away again.
made=
if [ ! -d "$confdir" ]; then
	made=$confdir
	while [ ! -d "$(dirname "$made")" ]; do
		made=$(dirname "$made")
	done
	mkdir -p "$confdir" || exit 99
fi
trap 'rm -rf "$work"; [ -z "$made" ] || rm -r "$made"' EXIT

# inside PRELOAD SCRIPT: run SCRIPT with sh in a private mount namespace
# where /etc/ld.so.preload names the library (PRELOAD 1) or does not exist
# (0), and the configuration file's directory is empty but for
# $work/noleak.conf, if there is one; no variable of the library is set.
inside() {
	timeout -k 5 120 unshare -m --propagation private sh -c '
		work=$1 lib=$2 preload=$3 confdir=$4 script=$5
		cp -a /etc "$work/etc" && mount --bind "$work/etc" /etc || exit 99
		rm -f /etc/ld.so.preload
		[ "$preload" = 1 ] && echo "$lib" >/etc/ld.so.preload
		if [ -d "$confdir" ] && [ "$confdir" != /etc ]; then
			mount -t tmpfs tmpfs "$confdir" || exit 99
		fi
		rm -f "$confdir/noleak.conf"
		[ -f "$work/noleak.conf" ] && cp -p "$work/noleak.conf" "$confdir/noleak.conf"
		exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin sh -c "$script"
	' hostwide "$work" "$NOLEAK_LIBRARY" "$1" "$confdir" "$2" 2>&1
	st=$?
	rm -rf "${work:?}/etc"
	return $st
}

# ---- every process, three levels down ---------------------------------------
# Not shells only: a shell passes protection to what it starts; perl's
# system(), a program like any other, does not.
deep="perl -e 'system(q{perl}, q{-e}, q{system(q{$probe}, q{run}, q{open}, q{fork-execve})})'"
out=$(inside 0 "$deep")
fd=$(printf '%s\n' "$out" | sed -n 's/^created //p')
test -n "$fd" && test "$(leaked "$out")" = " $fd"
ok $? "without the preload file, the probe two programs down leaks its descriptor into its child" ||
	diag "$out"
out=$(inside 1 "$deep")
absent "$out"
ok $? "with it, and no NOLEAK_* variable anywhere, the probe two programs down is protected" ||
	diag "$out"

for how in system posix_spawn popen; do
	out=$(inside 1 "sh -c '$probe run socket $how'")
	absent "$out"
	ok $? "host-wide: a listener does not reach a child started by $how, below a shell" || diag "$out"
done

out=$(inside 1 "grep -c libnoleak /proc/self/maps; sh -c 'env' | grep -c '^_NOLEAK_\\|^NOLEAK_'")
test "$(printf '%s\n' "$out" | head -n 1)" -ge 1 && test "$(printf '%s\n' "$out" | tail -n 1)" = 0
ok $? "the library is in every process, and writes no variable into their environment" ||
	diag "$out"

out=$(inside 1 "sh -c 'echo started; exit 3'; echo status \$?")
test "$out" = "started
status 3"
ok $? "host-wide, a program's output and status are its own (no message)" || diag "$out"

# ---- signals: POSIX's way unless asked ----------------------------------------
# CPython's restore_signals=False and every C launcher that ignores a signal
# for its child rely on an ignored signal staying ignored across exec.
native=$(inside 0 "$probe signals")
out=$(inside 1 "$probe signals")
printf '%s\n' "$native" | grep -qx 'sigpipe ignored' && test "$out" = "$native"
ok $? "host-wide, a child finds the signals its parent ignored ignored, as without the library" ||
	diag "without: $native" "with: $out"
out=$(inside 1 "NOLEAK_SIGNALS=restore $probe signals")
printf '%s\n' "$out" | grep -qx 'sigpipe default'
ok $? "NOLEAK_SIGNALS=restore still gives the child default dispositions" || diag "$out"

# ---- the configuration file's sections ----------------------------------------
printf '# test\n[%s]\nmode = off\n' "$(readlink -f "$probe")" >"$work/noleak.conf"
chmod 0644 "$work/noleak.conf"
out=$(inside 1 "$probe run open fork-execve")
test -n "$fd" && test "$(leaked "$out")" = " $fd"
ok $? "a section with mode = off leaves its program as without the library" || diag "$out"
out=$(inside 1 "$work/other-probe run open fork-execve")
absent "$out"
ok $? "the same program under another path is protected" || diag "$out"

chmod 0666 "$work/noleak.conf"
out=$(inside 1 "$probe run open fork-execve")
absent "$out" && ! printf '%s\n' "$out" | grep -q noleak
ok $? "a file others may write to is ignored, and host-wide its message goes to syslog, not stderr" ||
	diag "$out"
rm -f "$work/noleak.conf"

done_testing
