#!/bin/bash
# SPDX-License-Identifier: MIT
# run.sh full|ci: `make check-hostwide` (full) and `make check-hostwide-ci`
# (ci): other people's test suites with the library deployed host-wide
# (/etc/ld.so.preload, no NOLEAK_* environment) and without it, in a mount
# and pid namespace of their own (ns.sh), compared test by test.  Needs
# root.  Prints one table: per component, the tests run, the failures
# without the library, with it, and the failures (or hangs) seen only with
# it, by name; exits 1 if there is any of those, 2 if a component could
# not run.  First, a control row: the same comparison with a library that
# does harm (noisy.c) must find failures, or nothing here could fail.
#
#   full: git's tests (t0000-t0099, t1300-t1400, t3400-t3420, t5500-t5530,
#         t7500-t7520, t0300-t0303, t1800), the builds of make-dfsg and
#         diffutils with their test suites, apt/dpkg/debconf on tzdata
#         and locales, and CPython's tests of subprocess, os, signal, pty,
#         tempfile and socket.
#   ci:   what fits CI's time without building anything: the control on
#         CPython's test_subprocess, apt/dpkg/debconf on tzdata, and
#         CPython's test_subprocess, test_signal and test_socket.
set -u
: "${NOLEAK_SRCDIR:?}" "${NOLEAK_LIBRARY:?}"
. "$NOLEAK_SRCDIR/tests/hostwide/lib.sh"
what=${1:-full}
[ "$(id -u)" = 0 ] || { echo "check-hostwide: needs root (mount namespaces, dpkg)" >&2; exit 2; }
rm -f "$HOSTWIDE_RESULTS/summary"
start=$(date +%s)
here=$NOLEAK_SRCDIR/tests/hostwide
# The control: the same comparison with a library that writes a line to
# standard error (noisy.c) must find library-only failures in git's
# t0061, or the comparison could not fail.
control() {
	local lib=$HOSTWIDE_WORK/libnoisy.so r=$HOSTWIDE_RESULTS/control
	cc -shared -fPIC -o "$lib" "$here/noisy.c" || { summary 'control' 0 0 0 'control(build)'; return; }
	mkdir -p "$r" && rm -f "$r/summary"
	if NOLEAK_LIBRARY=$lib HOSTWIDE_RESULTS=$r bash "$here/git.sh" t0061-run-command; then
		summary 'control(noisy lib)' "$(cut -f2 "$r/summary")" 0 0 'control(found-nothing)'
	else
		note "control: the noisy library fails $(cut -f5 "$r/summary" | wc -w) of t0061's subtests only with it, as it must"
		summary 'control(noisy lib)' "$(cut -f2 "$r/summary")" "$(cut -f3 "$r/summary")" \
			"$(cut -f4 "$r/summary")"
	fi
}

# The same control on CPython's test_subprocess, for the CI subset, which
# builds no git.
control_python() {
	local lib=$HOSTWIDE_WORK/libnoisy.so r=$HOSTWIDE_RESULTS/control
	mkdir -p "$HOSTWIDE_WORK" "$r" && rm -f "$r/summary"
	cc -shared -fPIC -o "$lib" "$here/noisy.c" || { summary 'control' 0 0 0 'control(build)'; return; }
	if NOLEAK_LIBRARY=$lib HOSTWIDE_RESULTS=$r bash "$here/python.sh" test_subprocess; then
		summary 'control(noisy lib)' "$(cut -f2 "$r/summary")" 0 0 'control(found-nothing)'
	else
		note "control: the noisy library fails $(cut -f5 "$r/summary" | wc -w) of test_subprocess's methods only with it, as it must"
		summary 'control(noisy lib)' "$(cut -f2 "$r/summary")" "$(cut -f3 "$r/summary")" \
			"$(cut -f4 "$r/summary")"
	fi
}

case $what in
full)
	control
	bash "$here/git.sh"
	bash "$here/debbuild.sh" diffutils make-dfsg
	bash "$here/debconf.sh" tzdata locales
	bash "$here/python.sh"
	;;
ci)
	control_python
	bash "$here/debconf.sh" tzdata
	bash "$here/python.sh" test_subprocess test_signal test_socket
	;;
*) echo "run.sh: full or ci" >&2; exit 2 ;;
esac

# The table.
bad=0
printf '\n%-18s %7s %9s %9s  %s\n' component run 'fail w/o' 'fail with' 'library-only failures'
while IFS='	' read -r c r fo fw names; do
	printf '%-18s %7s %9s %9s  %s\n' "$c" "$r" "$fo" "$fw" "$names"
	[ "$names" = - ] || bad=1
done <"$HOSTWIDE_RESULTS/summary"
echo "check-hostwide ($what): $(( $(date +%s) - start )) s; logs in $HOSTWIDE_RESULTS"
grep -q . "$HOSTWIDE_RESULTS/summary" || exit 2
exit $bad
