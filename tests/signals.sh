#!/bin/sh
# SPDX-License-Identifier: MIT
# signals.sh: NOLEAK_SIGNALS=restore gives back only what a child inherited
# across a fork (seed 001: a daemon's ignored SIGCHLD must not reach the
# programs it starts); a set-up a process makes and then execs in place
# (nohup, env --ignore-signal, a shell's trap) is intent and stays.  Both
# scopes; each case also runs without the library, to show what is native.
. "$NOLEAK_SRCDIR/tests/tap.sh"

hand=$NOLEAK_TESTS/hand
work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-signals.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 99

HUP=1 PIPE=13 CHLD=17

# ignored SIG OUTPUT: whether the SigIgn line in OUTPUT has signal SIG.
ignored() {
	hex=$(printf '%s\n' "$2" | sed -n 's/^SigIgn:[[:space:]]*//p' | head -n 1)
	[ -n "$hex" ] || return 2
	[ $(( (0x$hex >> ($1 - 1)) & 1 )) -eq 1 ]
}

# case WANT SIG DESC COMMAND...: under the library in both scopes, signal
# SIG is ignored (WANT yes) or not (no) in what COMMAND prints; without the
# library, it is ignored (every case here sets it on purpose or leaks it),
# unless NATIVE=any (the shell of system and popen resets SIGCHLD itself).
case_() {
	want=$1 sig=$2 desc=$3
	shift 3
	out=$(timeout -k 5 20 "$@" 2>/dev/null)
	if [ "${NATIVE:-yes}" = yes ]; then
		ignored "$sig" "$out"
		ok $? "without the library, $desc: signal $sig ignored" || diag "$out"
	else
		ignored "$sig" "$out"
		[ $? -le 1 ]
		ok $? "without the library, $desc: the command ran" || diag "$out"
	fi
	for scope in process tree; do
		out=$(timeout -k 5 20 "$NOLEAK_WRAPPER" -s "$scope" -- "$@" 2>/dev/null)
		ignored "$sig" "$out"
		r=$?
		if [ "$want" = yes ]; then
			[ $r -eq 0 ]
		else
			[ $r -eq 1 ]
		fi
		ok $? "$scope: $desc: signal $sig $( [ "$want" = yes ] && echo ignored, as meant || echo back to default)" ||
			diag "$out"
	done
}

status='grep ^SigIgn /proc/self/status'

# ---- set up, then exec in place: kept ---------------------------------------
# shellcheck disable=SC2086 # $status is a command and its arguments
case_ yes $HUP "nohup CMD" nohup $status
# shellcheck disable=SC2086 # $status is a command and its arguments
case_ yes $PIPE "env --ignore-signal=PIPE CMD" env --ignore-signal=PIPE $status
case_ yes $HUP "sh: trap '' HUP; exec CMD" sh -c "trap '' HUP; exec $status"
case_ yes $HUP "sh: trap '' HUP; CMD &" sh -c "trap '' HUP; $status & wait"
case_ yes $HUP "sh: nohup CMD &" sh -c "nohup $status & wait"
case_ yes $HUP "bash: trap '' HUP; exec CMD" bash -c "trap '' HUP; exec $status"

# ---- a daemon's own set-up reaching what it forks: given back ---------------
for how in system popen spawn exec; do
	native=yes
	case $how in system | popen) native=any ;; esac
	# shellcheck disable=SC2086 # $status is a command and its arguments
	NATIVE=$native case_ no $CHLD "a daemon ignoring SIGCHLD starts CMD ($how)" \
		"$hand" --ignore $CHLD 5 $how $status
	# shellcheck disable=SC2086 # $status is a command and its arguments
	case_ no $PIPE "a daemon ignoring SIGPIPE starts CMD ($how)" \
		"$hand" --ignore $PIPE 5 $how $status
done
# The forked child's first exec gives SIGCHLD back; nohup, which that
# child runs, then ignores SIGHUP itself and execs in place: kept.
# shellcheck disable=SC2086 # $status is a command and its arguments
case_ yes $HUP "a daemon ignoring SIGCHLD forks nohup CMD" \
	"$hand" --ignore $CHLD 5 exec nohup $status
# shellcheck disable=SC2086 # $status is a command and its arguments
case_ no $CHLD "a daemon ignoring SIGCHLD forks nohup CMD" \
	"$hand" --ignore $CHLD 5 exec nohup $status

# ---- the price, as libnoleak(7) says it -------------------------------------
# CPython ignores SIGPIPE for itself; subprocess with restore_signals=False
# asks for that to reach the child.  restore gives it back (the child was
# forked); --signals=keep leaves it.
if command -v python3 >/dev/null 2>&1; then
	py="import subprocess; subprocess.run(['grep', '^SigIgn', '/proc/self/status'], restore_signals=False)"
	out=$(timeout -k 5 20 python3 -c "$py")
	ignored $PIPE "$out"
	ok $? "without the library, Python restore_signals=False: SIGPIPE ignored in the child" || diag "$out"
	out=$(timeout -k 5 20 "$NOLEAK_WRAPPER" -- python3 -c "$py")
	ignored $PIPE "$out"
	[ $? -eq 1 ]
	ok $? "restore: Python restore_signals=False: SIGPIPE back to default (the documented cost)" || diag "$out"
	out=$(timeout -k 5 20 "$NOLEAK_WRAPPER" --signals=keep -- python3 -c "$py")
	ignored $PIPE "$out"
	ok $? "--signals=keep: Python restore_signals=False: SIGPIPE ignored, as asked" || diag "$out"
else
	skip "Python restore_signals=False" "python3 is not installed"
fi

done_testing
