#!/bin/bash
# SPDX-License-Identifier: MIT
# spawners.sh: language runtimes that hand a descriptor to a child on
# purpose.  Python's subprocess pass_fds, Perl's system() with $^F raised
# or FD_CLOEXEC cleared by fcntl, and Java's ProcessBuilder.inheritIO()
# must work under noleak exactly as without it.
. "$NOLEAK_SRCDIR/tests/real/real.sh"

echo handed-over >"$work/secret"

# expect MODE DESCRIPTION WANT COMMAND...: COMMAND run as MODE prints a
# line WANT.
expect() {
	m=$1 d=$2 want=$3
	shift 3
	wrap "$m"
	out=$(cd "$work" && timeout 60 "${nl[@]}" "$@" 2>&1)
	printf '%s\n' "$out" | grep -qx -- "$want"
	check $? "$m: $d" "$out"
}

for mode in $modes; do
	if [ -x "$py" ]; then
		expect "$mode" "python subprocess.Popen(pass_fds=[fd]): the child reads fd" handed-over \
			"$py" -c '
import os, subprocess
fd = os.open("secret", os.O_RDONLY)
subprocess.Popen(["cat", "/proc/self/fd/%d" % fd], pass_fds=[fd]).wait()'
	else
		skip "$mode: python" "python3 is missing: install the Debian package python3"
	fi
	if command -v perl >/dev/null 2>&1; then
		expect "$mode" "perl \$^F raised: system() child reads the descriptor" handed-over \
			perl -e '$^F = 100; open(my $f, "<", "secret") or die;
				system("cat /dev/fd/" . fileno($f)) == 0 or die "status $?"'
		expect "$mode" "perl fcntl clears FD_CLOEXEC: system() child reads the descriptor" handed-over \
			perl -e 'use Fcntl; open(my $f, "<", "secret") or die;
				fcntl($f, F_SETFD, 0) or die; system("cat /dev/fd/" . fileno($f)) == 0 or die "status $?"'
	else
		skip "$mode: perl" "perl is missing: install the Debian package perl"
	fi
done

if command -v java >/dev/null 2>&1 && java --list-modules 2>/dev/null | grep -q '^jdk.compiler'; then
	cat >"$work/Spawn.java" <<'JAVA'
public class Spawn {
	public static void main(String[] a) throws Exception {
		Process p = new ProcessBuilder("sh", "-c", "echo child-ran; cat secret").inheritIO().start();
		System.out.println("exit " + p.waitFor());
	}
}
JAVA
	for mode in $modes; do
		wrap "$mode"
		out=$(cd "$work" && timeout 60 "${nl[@]}" java Spawn.java 2>&1)
		printf '%s\n' "$out" | grep -qx child-ran &&
			printf '%s\n' "$out" | grep -qx handed-over &&
			printf '%s\n' "$out" | grep -qx 'exit 0'
		check $? "$mode: java ProcessBuilder.inheritIO(): the child writes to the JVM's stdout" "$out"
	done
else
	skip "java" "a JDK is missing: install the Debian package default-jdk-headless"
fi

done_testing
