#!/bin/bash
# SPDX-License-Identifier: MIT
# python.sh [TEST...]: CPython's own tests of the calls the library
# wraps (subprocess, os, signal, pty, tempfile, socket...), host-wide: the
# system's /usr/bin/python3 runs `-m test -v TEST...` (Debian's
# libpython3.11-testsuite, installed when root and missing) in ns.sh with
# the library in /etc/ld.so.preload and without it, and the
# verdict of every test method ("... ok", "... FAIL", "... ERROR") is
# compared.  A method that fails only with the library is run once more
# with it, alone; what fails again is a library-only failure.
# PYTHON_SECONDS bounds each run (900).  Logs: $HOSTWIDE_RESULTS/python/.
. "$NOLEAK_SRCDIR/tests/hostwide/lib.sh"

PYTHON_SECONDS=${PYTHON_SECONDS:-900}
py=/usr/bin/python3
[ $# -gt 0 ] || set -- test_subprocess test_os test_signal test_pty test_tempfile test_socket
out=$HOSTWIDE_RESULTS/python
rm -rf "$out" && mkdir -p "$out" || exit 2
if ! "$py" -c 'import test.test_subprocess' 2>/dev/null && [ "$(id -u)" = 0 ]; then
	v=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y \
		"libpython$v-testsuite" >"$out/install.log" 2>&1
fi
"$py" -c 'import test.test_subprocess' 2>/dev/null ||
	{ summary python 0 0 0 'python(no-testsuite)'; exit 1; }

# run MODE LOG TEST...: the tests in the namespace, from an empty directory.
run() {
	local m=$1 log=$2
	shift 2
	mkdir -p "$out/cwd-$m"
	HOSTWIDE_NET=private HOSTWIDE_SECONDS=$PYTHON_SECONDS "$ns" "$m" "$NOLEAK_LIBRARY" \
		env -C "$out/cwd-$m" "$py" -m test -v -i '*VSOCK*' "$@" </dev/null >"$log" 2>&1
	echo $? >"$log.status"
}
# verdicts LOG: "VERDICT class.method" a line, from unittest's -v lines
# ("method (class) ... ok", or the name alone on its line when a
# docstring follows, and the verdict at the end of the docstring's line).
verdicts() {
	awk '
	match($0, /^[A-Za-z_0-9]+ \([A-Za-z_0-9.]+\)/) {
		split(substr($0, 1, RLENGTH), w, /[ ()]+/)
		name = w[2]
	}
	/ \.\.\. (ok|FAIL|ERROR|skipped.*|expected failure)$/ && name != "" {
		v = $0; sub(/.* \.\.\. /, "", v)
		if (v ~ /^skipped/) v = "skip"
		if (v == "expected failure") v = "xfail"
		print v, name; name = ""
	}' "$1"
}
bad() { grep -E '^(FAIL|ERROR) ' | cut -d' ' -f2 | sort; }

# One after the other: AF_VSOCK ports are not in the network namespace,
# and test_socket's VSOCK tests of two runs at once meet each other.
# (They are left out anyway: ThreadedVSOCKSocketStreamTest hangs, with
# and without the library, in a virtual machine's namespace.)
note "python: $* without the library, then with it"
start=$(date +%s)
run without "$out/without.log" "$@"
run with "$out/with.log" "$@"
note "python: took $(( $(date +%s) - start ))s"
verdicts "$out/without.log" >"$out/without.verdicts"
verdicts "$out/with.log" >"$out/with.verdicts"
only=$(comm -13 <(bad <"$out/without.verdicts") <(bad <"$out/with.verdicts"))
libonly=
for t in $only; do
	# test.test_subprocess.POSIXProcessTestCase.test_x -> run that alone.
	run with "$out/again.log" -m "${t##*.}" "$(echo "$t" | cut -d. -f2)"
	if verdicts "$out/again.log" | bad | grep -qx "$t"; then
		libonly="$libonly $t"
	else
		note "python: $t failed once with the library, passed again (flaky)"
	fi
done
sw=$(cat "$out/with.log.status")
case $sw in 124|137) libonly="$libonly python(hang)" ;; esac
# shellcheck disable=SC2086 # the names, one a word: the last arguments
summary python "$(grep -cv '^skip' "$out/without.verdicts")" \
	"$(bad <"$out/without.verdicts" | wc -l)" "$(bad <"$out/with.verdicts" | wc -l)" $libonly
[ -z "$libonly" ]
