#!/bin/sh
# SPDX-License-Identifier: MIT
# attack.sh: places where the shim's own posix_spawn, system, popen,
# pclose and fclose (shim/spawn.c, the bottom of shim/wrap-exec.c) answer
# differently from glibc's.  tests/attack.c prints one line per case; each
# case must print the same with the library as without it, in both scopes.
# (NOLEAK_SIGNALS=keep, as in spawn.sh: the default gives children the
# signal state of start-up on purpose.)  Descriptors 3 and up are closed
# for each run, so that redirect-fd's descriptor 3 is one the program made.
. "$NOLEAK_SRCDIR/tests/tap.sh"

attack=$NOLEAK_TESTS/attack
work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-attack.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT

# name, then what it is about (for the TAP line).
cases='bad-argv|posix_spawn, an unreadable argv string: EFAULT, not a crash
bad-envp|posix_spawn, an unreadable envp string: EFAULT, not a crash
bad-envvec|posix_spawn, envp itself unreadable: EFAULT, not a crash
bad-argvp|posix_spawnp, an unreadable argv string: EFAULT, not a crash
cancel-system|system cancelled while waiting: child killed and collected, SIGINT/SIGQUIT restored
cancel-pclose|pclose is no cancellation point: the child is collected
popen-many|300 popen streams at once, as many as the descriptor limit allows
fclose-status|fclose of a popen stream returns the wait status, as pclose
no-clone|seccomp denies clone but not clone3: glibc spawns with clone3
redirect-fd|system("cat <&3"): a shell redirection names descriptor 3'

run_case() {	# run_case CASE [VAR=VALUE...]: the case's output in $out
	c=$1
	shift
	out=$(cd "$work" && timeout 60 env -i PATH=/usr/bin:/bin "$@" \
		"$attack" "$c" 3<&- 4<&- 5<&- 6<&- 7<&- 8<&- 9<&- 2>&1)
	out="$out (exit $?)"
}

printf '%s\n' "$cases" | while IFS='|' read -r c what; do
	run_case "$c"
	without=$out
	for scope in process tree; do
		run_case "$c" NOLEAK_SCOPE=$scope NOLEAK_SIGNALS=keep \
			LD_PRELOAD="$NOLEAK_LIBRARY"
		[ "$out" = "$without" ]
		r=$?
		ok $r "$scope: $what" || diag "without: $without" "with:    $out"
	done
	echo "$tap_n $tap_failed" >"$work/count"
done
read -r tap_n tap_failed <"$work/count"
done_testing
