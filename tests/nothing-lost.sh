# SPDX-License-Identifier: MIT
# shellcheck shell=sh disable=SC2154 # $scope: set by nothing-lost-process.sh and nothing-lost-tree.sh
# nothing-lost.sh: what a working program passes on purpose still arrives
# under noleak.  Sourced by nothing-lost-process.sh and nothing-lost-tree.sh,
# which set $scope; every check runs the program under `noleak -s $scope`.
. "$NOLEAK_SRCDIR/tests/tap.sh"

probe=$NOLEAK_TESTS/probe
work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-lost.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
host=$(cat /etc/hostname)

# check DESCRIPTION PATTERN COMMAND...: COMMAND under noleak prints a line
# matching PATTERN (grep -E) on stdout or stderr.
check() {
	desc=$1 pattern=$2
	shift 2
	out=$(cd "$work" && "$NOLEAK_WRAPPER" -s "$scope" -- "$@" 2>&1)
	printf '%s\n' "$out" | grep -Eq -- "$pattern"
	r=$?
	ok $r "$scope: $desc"
	[ $r -eq 0 ] || diag "expected /$pattern/ from: $*" "$out"
}

# need PROGRAM: whether it is installed; if not, the caller skips.
need() {
	command -v "$1" >/dev/null 2>&1
}

# ---- shells -------------------------------------------------------------
for sh in bash dash; do
	if ! need $sh; then
		skip "$scope: $sh" "$sh is not installed"
		continue
	fi
	check "$sh: exec 3<file; cmd reads fd 3" "^$host\$" \
		$sh -c 'exec 3</etc/hostname; cat /proc/self/fd/3'
	check "$sh: cmd 3<file" "^$host\$" \
		$sh -c 'cat /proc/self/fd/3 3</etc/hostname'
	check "$sh: exec 9>lock; flock -n 9 cmd" "^locked\$" \
		$sh -c 'exec 9>lock; flock -n 9 echo locked'
	check "$sh: exec 4>&1; a child writes to 4" "^via-four\$" \
		$sh -c 'exec 4>&1; sh -c "echo via-four >&4"'
	check "$sh: here-document" "^heredoc\$" \
		$sh -c 'cat <<EOF
heredoc
EOF'
	check "$sh: pipeline" "^b\$" $sh -c 'echo a | tr a b'
done
if need bash; then
	check "bash: process substitution" "^x\$" bash -c 'cat <(echo x)'
	check "bash: coproc" "^co\$" \
		bash -c 'coproc cat; echo co >&"${COPROC[1]}"; exec {COPROC[1]}>&-; read -r l <&"${COPROC[0]}"; echo "$l"'
fi

# ---- GNU make's jobserver ------------------------------------------------
if need make; then
	mkdir -p "$work/make/sub"
	printf 'all:\n\t+$(MAKE) -C sub\n' >"$work/make/Makefile"
	printf 'all: a b c d\na b c d:\n\t@sleep 0.2; echo done-$@\n' >"$work/make/sub/Makefile"
	out=$(cd "$work/make" && "$NOLEAK_WRAPPER" -s "$scope" -- make -j4 2>&1)
	! printf '%s\n' "$out" | grep -q 'jobserver unavailable' &&
		[ "$(printf '%s\n' "$out" | grep -c '^done-')" -eq 4 ]
	ok $? "$scope: make -j4 with a recursive \$(MAKE): no 'jobserver unavailable'" ||
			diag "$out"
else
	skip "$scope: make" "make is not installed"
fi

# ---- Python, Perl, Java --------------------------------------------------
if need python3; then
	check "python: subprocess pass_fds" "^$host\$" python3 -c '
import os, subprocess
fd = os.open("/etc/hostname", os.O_RDONLY)
subprocess.run(["cat", "/proc/self/fd/%d" % fd], pass_fds=(fd,), check=True)'
	check "python: set_inheritable with close_fds=False" "^$host\$" python3 -c '
import os, subprocess
fd = os.open("/etc/hostname", os.O_RDONLY)
os.set_inheritable(fd, True)
subprocess.run(["sh", "-c", "cat <&%d" % fd], close_fds=False, check=True)'
	check "python: a failed exec still raises FileNotFoundError" "^raised\$" python3 -c '
import subprocess
try:
    subprocess.run(["/nonexistent/program"])
except FileNotFoundError:
    print("raised")'
else
	skip "$scope: python3" "python3 is not installed"
fi

if need perl; then
	check "perl: \$^F raised, descriptor passed by /dev/fd" "^$host\$" perl -e '
$^F = 100; open(my $f, "<", "/etc/hostname") or die; system("cat", "/dev/fd/" . fileno($f)) == 0 or die'
else
	skip "$scope: perl" "perl is not installed"
fi

if need java && java --list-modules 2>/dev/null | grep -q '^jdk.compiler'; then
	cat >"$work/Spawn.java" <<'JAVA'
public class Spawn {
	public static void main(String[] a) throws Exception {
		Process p = new ProcessBuilder("sh", "-c", "echo child-ran").inheritIO().start();
		System.out.println("exit " + p.waitFor());
	}
}
JAVA
	for mech in POSIX_SPAWN VFORK FORK; do
		check "java ProcessBuilder, launchMechanism=$mech" "^exit 0\$" \
			java -Djdk.lang.Process.launchMechanism=$mech Spawn.java
	done
else
	skip "$scope: java" "a JDK (java with jdk.compiler) is not installed"
fi

# ---- descriptors named by number ----------------------------------------
if need gpg; then
	printf 'secret\n' >"$work/pass"
	printf 'plain text\n' >"$work/msg"
	out=$(cd "$work" && "$NOLEAK_WRAPPER" -s "$scope" -- "$probe" pass file \
		gpg --batch --yes --homedir "$work" --pinentry-mode loopback \
		--passphrase-fd {} --symmetric -o msg.gpg msg 2>&1)
	[ -s "$work/msg.gpg" ]
	ok $? "$scope: gpg --passphrase-fd N gets the daemon's descriptor"
	[ -s "$work/msg.gpg" ] || diag "$out"
else
	skip "$scope: gpg" "gpg is not installed"
fi
check "cat /dev/fd/N" "^$host\$" "$probe" pass file cat /dev/fd/{}
check "cat /proc/self/fd/N" "^$host\$" "$probe" pass file cat /proc/self/fd/{}
printf '#!/bin/sh\necho script-ran\n' >"$work/script.sh"
chmod +x "$work/script.sh"
check "fexecve of a script opened without O_CLOEXEC" "^script-ran\$" \
	"$probe" fexecve-script "$work/script.sh"
out=$("$NOLEAK_WRAPPER" -s "$scope" -- "$probe" pass listen "$probe" report 0.05 2>&1)
fd=$(printf '%s\n' "$out" | sed -n 's/^fd //p')
absent "$out" "$fd"
ok $? "$scope: a number that merely appears (0.05) does not pass listener fd $fd" || diag "$out"
out=$("$NOLEAK_WRAPPER" -s "$scope" -- "$probe" pass listen "$probe" report {} 2>&1)
fd=$(printf '%s\n' "$out" | sed -n 's/^fd //p')
absent "$out" "$fd"
ok $? "$scope: a bare number ('sleep $fd') does not pass listener fd $fd either" || diag "$out"
out=$(MAKEFLAGS=" -j2 --jobserver-auth=$fd,$((fd + 1))" \
	"$NOLEAK_WRAPPER" -s "$scope" -- "$probe" pass listen "$probe" report 0.05 2>&1)
printf '%s\n' "$out" | grep -q "^fd $fd\$" && absent "$out" "$fd"
ok $? "$scope: a stale MAKEFLAGS naming listener fd $fd does not pass it (not a pipe)" || diag "$out"

# ---- hand-over conventions ----------------------------------------------
# Fd 3 is closed for the probe: LISTEN_FDS needs the socket there, and under
# `make -jN check` make's jobserver holds it (the probe then says so and
# hands nothing over, which is a failure, not a pass).
for conv in listen_fds nginx makeflags; do
	for how in fork-execve exec; do
		out=$("$NOLEAK_WRAPPER" -s "$scope" -- "$probe" handover $conv $how 2>&1 3>&-)
		fds=$(printf '%s\n' "$out" | sed -n 's/^created //p')
		r=0
		[ -n "$fds" ] || r=1	# no descriptor handed over is no pass
		for fd in $fds; do
			printf '%s\n' "$out" | grep -Eq "^inherited.* $fd( |\$)" || r=1
		done
		ok $r "$scope: $conv hands descriptors $fds over ($how)"
		[ $r -eq 0 ] || diag "$out"
	done
done

# ---- locks, workers, spawn file actions, stdio ---------------------------
# The probe locks, then becomes sleep in place: once it is sleep, and while
# it still is (it is killed, not timed), flock must find the lock taken.
"$NOLEAK_WRAPPER" -s "$scope" -- "$probe" setlock "$work/setlock" 300 &
holder=$!
i=0
until [ "$(cat "/proc/$holder/comm" 2>/dev/null)" = sleep ] || [ $i -gt 100 ]; do
	i=$((i + 1))
	sleep 0.1
done
flock -n -E 42 "$work/setlock" true
r=$?
[ "$(cat "/proc/$holder/comm" 2>/dev/null)" = sleep ] && [ $r -eq 42 ]
ok $? "$scope: setlock: the lock stays held after the exec in place" ||
	diag "holder $holder: $(cat "/proc/$holder/comm" 2>&1); flock -n exit $r (42: taken)"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
check "prefork: four workers that never exec serve connections" "^served 4\$" \
	"$probe" prefork
out=$("$NOLEAK_WRAPPER" -s "$scope" -- "$probe" spawn-dup2 7 2>&1)
printf '%s\n' "$out" | grep -Eq '^inherited.* 7( |$)'
ok $? "$scope: posix_spawn adddup2 onto fd 7"
check "posix_spawn adddup2 onto fd 1" "^read via-dup2\$" "$probe" spawn-dup2 1
check "vfork, dup2 onto stdout, exec" "^read via-vfork\$" "$probe" vfork-dup2
check "the daemonize idiom keeps 0-2 inheritable" "^std-cloexec 0 0 0\$" "$probe" stdio
check "close(1); dup(pipe)" "^read through-the-pipe\$" "$probe" old-dup fork-execv
out=$(cd "$work" && "$NOLEAK_WRAPPER" -s "$scope" -- "$probe" freopen-system "$work/freopen" 2>&1)
grep -q '^hello-from-system$' "$work/freopen"
ok $? "$scope: freopen(path, \"w\", stdout) then system()"
check "a failed exec leaves descriptors usable" "^usable yes\$" "$probe" failexec open
check "execvp still walks PATH" "^execvp 0\$" "$probe" execvp-path

# ---- the keep-list's reach -----------------------------------------------
out=$("$NOLEAK_WRAPPER" -s "$scope" -k 3-30 -- "$probe" run socket fork-execve 2>&1)
fd=$(printf '%s\n' "$out" | sed -n 's/^created //p')
printf '%s\n' "$out" | grep -Eq "^inherited.* $fd( |\$)"
ok $? "$scope: a keep-list entry reaches the direct child"
out=$("$NOLEAK_WRAPPER" -s "$scope" -k 3-30 -- "$probe" pass file "$probe" run socket fork-execve 2>&1)
fd=$(printf '%s\n' "$out" | sed -n 's/^created //p')
if [ "$scope" = tree ]; then
	absent "$out" "$fd"
	ok $? "$scope: ...but not an unrelated fd $fd with a kept number in a grandchild" || diag "$out"
else
	printf '%s\n' "$out" | grep -q '^cloexec 0'
	ok $? "$scope: ...and the child runs without the shim at all"
fi

# ---- signals -------------------------------------------------------------
check "signals: the helper's system() works though the daemon ignores SIGCHLD" \
	"^system 0\$" "$probe" signals
for via in signal sigaction syscall; do
	check "signals: the helper's SIGPIPE is back to default (ignored by $via)" \
		"^sigpipe default\$" "$probe" signals $via
done
check "signals: SIGHUP ignored at start (nohup) stays ignored" "^sighup ignored\$" \
	sh -c 'trap "" HUP; exec "$0" signals' "$probe"
out=$(NOLEAK_SIGNALS=keep "$NOLEAK_WRAPPER" -s "$scope" -- "$probe" signals 2>&1)
printf '%s\n' "$out" | grep -q '^sigpipe ignored$'
ok $? "$scope: NOLEAK_SIGNALS=keep leaves the helper's signals alone"

done_testing
