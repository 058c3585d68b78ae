# SPDX-License-Identifier: MIT
# shellcheck shell=sh disable=SC2154 # $noleak, $work: set by the test that sources this file
# tap.sh: a few helpers for the TAP shell tests; sourced, not run.

tap_n=0
tap_failed=0

# ok COND-EXIT-STATUS DESCRIPTION: "ok N - DESCRIPTION" when the status is 0.
# Returns the same verdict, so "ok $? ... || diag ..." says why it failed.
ok() {
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
		return 1
	fi
}

# ok_todo COND-EXIT-STATUS DESCRIPTION: ok, for a check the library of
# the day is known to fail, while $tap_todo says why (the issue): a failure
# is then "not ok N - DESCRIPTION # TODO $tap_todo", an expected failure
# that does not fail the suite, and a pass a plain ok.  With $tap_todo
# empty, or NOLEAK_STRICT=1 in the environment, it is ok itself.
tap_todo=
ok_todo() {
	if [ "$1" -eq 0 ] || [ -z "$tap_todo" ] || [ "${NOLEAK_STRICT:-0}" = 1 ]; then
		ok "$@"
		return
	fi
	tap_n=$((tap_n + 1))
	echo "not ok $tap_n - $2 # TODO $tap_todo"
	return 1
}

skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1 # SKIP $2"
}

diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

# run ARGS...: run the noleak wrapper ($noleak), leaving its status in $st,
# stdout in $out and stderr in $err (files in $work).
run() {
	"$noleak" "$@" >"$work/out" 2>"$work/err"
	st=$?
	out=$(cat "$work/out")
	err=$(cat "$work/err")
}

# expect STATUS DESCRIPTION [ERR-PATTERN]: after run, one check that the
# status was STATUS and, given a pattern, that stderr matches it.
expect() {
	r=0
	[ "$st" -eq "$1" ] || r=1
	[ -z "$3" ] || printf '%s\n' "$err" | grep -q -- "$3" || r=1
	ok $r "$2"
	[ $r -eq 0 ] || diag "status $st" "stdout: $out" "stderr: $err"
}

# leaked OUTPUT: the numbers on a probe's "created" line that its child
# lists on its "inherited" line (what leaked); "none" when the child did
# not report at all.  For positive checks; a check of absence uses absent.
leaked() {
	printf '%s\n' "$1" | awk '
		$1 == "created" { for (i = 2; i <= NF; i++) made[$i] = 1 }
		$1 == "inherited" { seen = 1; for (i = 2; i <= NF; i++) if ($i in made) out = out " " $i }
		END { print seen ? out : "none" }'
}

# absent OUTPUT [FD]...: the one way a test asserts that a descriptor did
# NOT reach a child.  True when OUTPUT holds the child's report (an
# "inherited" line) and none of FD... is on it; with no FD, none of the
# numbers on OUTPUT's "created" line.  Silence is not absence: with no
# report, or no number to look for (an empty $fd), it is false and says
# why in a diag, as it does when a descriptor is there.
absent() {
	_why=$(printf '%s\n' "$1" | awk -v given=$(($# > 1)) -v fds="$(shift; echo "$*")" '
		BEGIN { n = split(fds, f, " "); for (i = 1; i <= n; i++) want[f[i]] = 1 }
		$1 == "created" && !given { for (i = 2; i <= NF; i++) want[$i] = 1 }
		$1 == "inherited" { seen = 1; for (i = 2; i <= NF; i++) got[$i] = 1 }
		END {
			for (fd in want) {
				if (fd !~ /^[0-9]+$/) { print "not a descriptor number: \"" fd "\""; exit }
				k++
			}
			if (!k) { print "no descriptor to look for (" (given ? "an empty number" : "no \"created\" line") ")"; exit }
			if (!seen) { print "the child did not report (no \"inherited\" line)"; exit }
			for (fd in want) if (fd in got) out = out " " fd
			if (out != "") print "the child inherited" out
		}')
	[ -z "$_why" ] && return 0
	diag "absent: $_why"
	return 1
}
