#!/bin/sh
# SPDX-License-Identifier: MIT
# secure.sh: the library may undo only what it provably added itself, and a
# setuid program takes nothing from its environment that widens what its
# children get.  Also: any number of inherited descriptors is passed on
# while the sweep keeps working.  The program is tests/secure-helper.
. "$NOLEAK_SRCDIR/tests/tap.sh"

helper=$NOLEAK_TESTS/secure-helper
work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-secure.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT

# has FILE FD: whether FILE's "inherited" line lists FD.
has() {
	awk -v fd="$2" '$1 == "inherited" { for (i = 2; i <= NF; i++) if ($i == fd) hit = 1 }
		END { exit !hit }' "$1"
}

# ---- 1. a flag the library added, on a number something else took -------
# open() through the library (close-on-exec added), close(), then a creator
# the library does not see (opendir, glibc's own opens of /etc/passwd and
# /etc/shadow) takes number 3 with its own O_CLOEXEC.  Naming 3 in the
# keep-list or the child's argv must not clear that flag.
for how in opendir getpwent getspent; do
	for pass in keep argv; do
		f=$work/reuse-$how-$pass
		if [ $pass = keep ]; then
			env LD_PRELOAD="$NOLEAK_LIBRARY" NOLEAK_KEEP=3 "$helper" reuse $how plain >"$f" 2>&1
		else
			env LD_PRELOAD="$NOLEAK_LIBRARY" "$helper" reuse $how argv >"$f" 2>&1
		fi
		grep -q '^reused yes$' "$f" && absent "$(cat "$f")" 3
		r=$?
		ok $r "$how took back number 3: naming it ($pass) does not pass the program's close-on-exec file"
		[ $r -eq 0 ] || diag "$(cat "$f")"
	done
done

# The flag the library put on a file it still holds does come off when the
# program names it.
for pass in keep argv; do
	f=$work/legit-$pass
	if [ $pass = keep ]; then
		env LD_PRELOAD="$NOLEAK_LIBRARY" NOLEAK_KEEP=3 "$helper" reuse legit plain >"$f" 2>&1
	else
		env LD_PRELOAD="$NOLEAK_LIBRARY" "$helper" reuse legit argv >"$f" 2>&1
	fi
	has "$f" 3
	ok $? "a descriptor the library marked and the program names ($pass) still reaches the child"
done

# fds_allowed N: whether a program started here may open N descriptors: the
# hard RLIMIT_NOFILE allows it, or this shell may raise it (root with
# CAP_SYS_RESOURCE), which it then does.  Otherwise the check that needs
# them skips, saying so: a limit the user cannot raise (a container, a CI
# runner) is no failure of noleak.
fds_allowed() {
	fds_hard=$(ulimit -Hn)
	[ "$fds_hard" = unlimited ] || [ "$fds_hard" -ge "$1" ] || ulimit -Hn "$1" 2>/dev/null
}

# ---- 3. any number of inherited descriptors -----------------------------
# A process started with N inheritable descriptors passes all N to a forked
# and exec'd child; one made afterwards by an inline syscall instruction
# does not.  Without the library that one leaks (so the test can fail).
# The helper sets its soft and hard RLIMIT_NOFILE to N + 100.
for n in 300 3000; do
	if ! fds_allowed $((n + 100)); then
		skip "$n inherited descriptors" "the hard RLIMIT_NOFILE is $fds_hard and cannot be raised to $((n + 100)) here (root without CAP_SYS_RESOURCE, or a container)"
		continue
	fi
	"$helper" many $n "$NOLEAK_LIBRARY" >"$work/many" 2>&1
	"$helper" many $n "" >"$work/many-bare" 2>&1
	grep -qx "kept $n of $n" "$work/many" && grep -qx 'raw closed' "$work/many" &&
		grep -qx 'raw open' "$work/many-bare"
	r=$?
	ok $r "$n inherited descriptors reach the child, and a raw one made after them does not"
	[ $r -eq 0 ] || diag "$(cat "$work/many" "$work/many-bare")"
done

# ---- 2. secure execution ----------------------------------------------------
# ld.so drops LD_PRELOAD for setuid programs but honours /etc/ld.so.preload:
# in a private mount namespace whose /etc has one, a setuid-root copy of the
# helper opens a root-only secret (through open(), so the library adds
# close-on-exec; or by a raw syscall, inheritable), drops to the caller's
# user and starts a reporter.  Run as nobody with NOLEAK_KEEP=3, or with
# LISTEN_FDS=1 inherited, the reporter must not read the secret.  The same
# program with LISTEN_FDS set by itself does pass it (positive evidence),
# and so does a copy without the setuid bit, given a file nobody can read.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1 &&
   unshare -m --propagation private true 2>/dev/null; then
	cp "$helper" "$work/suid" && chmod 4755 "$work/suid"
	cp "$helper" "$work/plain" && chmod 755 "$work/plain"
	chmod 755 "$work"
	echo NOLEAK-SECRET >"$work/secret" && chmod 600 "$work/secret"
	echo NOLEAK-SECRET >"$work/open" && chmod 644 "$work/open"
	unshare -m --propagation private sh -c '
		cp -a /etc "$1/etc" && echo "$2" >"$1/etc/ld.so.preload" &&
			mount --bind "$1/etc" /etc || exit 99
		as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
		as_nobody env NOLEAK_KEEP=3 "$1/suid" secret "$1/secret" open "$1/plain" >"$1/s-keep" 2>&1
		as_nobody env LISTEN_FDS=1 "$1/suid" secret "$1/secret" open "$1/plain" >"$1/s-listen" 2>&1
		as_nobody env LISTEN_FDS=1 "$1/suid" secret "$1/secret" raw "$1/plain" >"$1/s-listen-raw" 2>&1
		as_nobody env NOLEAK_KEEP=3 "$1/suid" secret "$1/secret" raw "$1/plain" >"$1/s-keep-raw" 2>&1
		as_nobody env "$1/suid" secret "$1/secret" raw-listen "$1/plain" >"$1/s-own" 2>&1
		as_nobody env NOLEAK_KEEP=3 "$1/plain" secret "$1/open" open "$1/plain" >"$1/p-keep" 2>&1
		as_nobody env LISTEN_FDS=1 "$1/plain" secret "$1/open" open "$1/plain" >"$1/p-listen" 2>&1
	' secure "$work" "$NOLEAK_LIBRARY"
	for case in keep listen listen-raw keep-raw; do
		f=$work/s-$case
		grep -qx 'created 3' "$f" && grep -q '^inherited' "$f" && ! grep -q '^secret' "$f"
		r=$?
		ok $r "setuid, run as nobody ($case): the child cannot read the secret"
		[ $r -eq 0 ] || diag "$(cat "$f")"
	done
	grep -qx 'secret 3' "$work/s-own"
	ok $? "setuid: LISTEN_FDS the program sets for its child itself still passes the descriptor"
	for case in keep listen; do
		grep -qx 'secret 3' "$work/p-$case"
		ok $? "without the setuid bit, $case passes the descriptor (what the setuid checks rule out)"
	done
else
	skip "secure execution" "needs root, setpriv and unshare -m"
fi

done_testing
