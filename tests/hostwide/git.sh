#!/bin/bash
# SPDX-License-Identifier: MIT
# git.sh [PATTERN...]: git's own test suite, host-wide.  Git is built from
# Debian 12's source package (apt-get source git: 2.39.x) without the
# library; each test script then runs in ns.sh twice, with the library in
# /etc/ld.so.preload and without it, and the TAP lines ("ok N", "not ok
# N", known breakages apart) are compared subtest by subtest.  A subtest
# that fails only with the library, or a script that hangs (past
# GIT_SECONDS) or stops early only with it, is run once more with the
# library: what fails again is a library-only failure, what passes is
# listed as flaky.
#
# PATTERNs are globs of script names under t/ (default: the full set of
# `make check-hostwide`).  GIT_SECONDS bounds each script run (300),
# HOSTWIDE_JOBS the runs at once (2).  Logs: $HOSTWIDE_RESULTS/git/.
. "$NOLEAK_SRCDIR/tests/hostwide/lib.sh"

GIT_SECONDS=${GIT_SECONDS:-300}
jobs=${HOSTWIDE_JOBS:-2}
[ $# -gt 0 ] || set -- 't00[0-9][0-9]-*' 't13[0-9][0-9]-*' 't1400-*' \
	't34[01][0-9]-*' 't3420-*' 't55[0-2][0-9]-*' 't5530-*' \
	't75[01][0-9]-*' 't7520-*' 't0300-*' 't0301-*' 't0302-*' 't0303-*' \
	't1800-*'

src=$(source_package git 'git-2.39.*') || { summary git 0 0 0 'git(no-source)'; exit 1; }
if [ ! -x "$src/git" ] || [ ! -f "$src/GIT-BUILD-OPTIONS" ]; then
	build_deps git
	note "building git in $src (make -j2, no documentation)"
	make -C "$src" -j2 NO_TCLTK=1 all >"$HOSTWIDE_RESULTS/git-build.log" 2>&1 ||
		{ echo "hostwide: git build failed: $HOSTWIDE_RESULTS/git-build.log" >&2
		  summary git 0 0 0 'git(build)'; exit 1; }
fi

out=$HOSTWIDE_RESULTS/git
rm -rf "$out"
mkdir -p "$out/with" "$out/without" "$out/again" || exit 2

# shellcheck disable=SC2086 # each argument is a glob of test scripts
scripts=$(cd "$src/t" && for p in "$@"; do ls $p.sh 2>/dev/null; done | sort -u)
[ -n "$scripts" ] || { echo "hostwide: no git test matches $*" >&2; exit 2; }

# run SCRIPT MODE DIR: one run in the namespace; TAP in DIR/SCRIPT.tap,
# exit status in DIR/SCRIPT.status, the verbose log under
# DIR/test-results/.
run() {
	local s=$1 m=$2 d=$3 st
	HOSTWIDE_NET=private HOSTWIDE_SECONDS=$GIT_SECONDS \
		"$ns" "$m" "$NOLEAK_LIBRARY" env -C "$src/t" TEST_OUTPUT_DIRECTORY="$d" \
		sh "./$s" --verbose-log </dev/null >"$d/$s.tap" 2>"$d/$s.err"
	st=$?
	echo $st >"$d/$s.status"
	rm -rf "$d/trash directory.${s%.sh}"
}

# pool: at most $jobs runs at once.
pool() {
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
	"$@" &
}

n=$(echo "$scripts" | wc -l)
note "git: $n scripts, with and without the library, $jobs at once, ${GIT_SECONDS}s each"
start=$(date +%s)
for s in $scripts; do
	pool run "$s" without "$out/without"
	pool run "$s" with "$out/with"
done
wait
note "git: both passes took $(( $(date +%s) - start ))s"

# failed TAPFILE: the numbers of the subtests that failed (not known
# breakages).  executed TAPFILE: how many ran (not skipped).
failed() {
	sed -n 's/^not ok \([0-9][0-9]*\) .*/\1 &/p' "$1" | grep -v '# TODO' | cut -d' ' -f1
}
executed() {
	grep -E '^(not )?ok [0-9]+' "$1" | grep -civ '# skip'
}
# problems SCRIPT DIR: what went wrong in one run, beyond failed subtests.
problems() {
	local s=$1 d=$2 st
	st=$(cat "$d/$s.status")
	case $st in
	124|137) echo hang ;;
	125) echo setup ;;
	esac
	grep -q '^1\.\.[0-9]' "$d/$s.tap" || echo no-plan
}

run_total=0 fail_without=0 fail_with=0 libonly='' flaky=''
for s in $scripts; do
	t=${s%%-*}
	for m in without with; do
		[ -f "$out/$m/$s.tap" ] || : >"$out/$m/$s.tap"
	done
	run_total=$((run_total + $(executed "$out/without/$s.tap")))
	fail_without=$((fail_without + $(failed "$out/without/$s.tap" | wc -l)))
	fail_with=$((fail_with + $(failed "$out/with/$s.tap" | wc -l)))
	only=$(comm -13 <(failed "$out/without/$s.tap" | sort) <(failed "$out/with/$s.tap" | sort))
	pw=$(problems "$s" "$out/with") po=$(problems "$s" "$out/without")
	extra=$(comm -13 <(echo "$po" | sort) <(echo "$pw" | sort) | grep .)
	[ -n "$only$extra" ] || continue
	# Once more with the library: a failure must come back to count.
	note "git: $s: with the library only: ${only//$'\n'/ } ${extra//$'\n'/ }; again"
	run "$s" with "$out/again"
	again=$(failed "$out/again/$s.tap")
	pa=$(problems "$s" "$out/again")
	for k in $only; do
		if echo "$again" | grep -qx "$k"; then
			libonly="$libonly $t.$k"
		else
			flaky="$flaky $t.$k"
		fi
	done
	for p in $extra; do
		if echo "$pa" | grep -qx "$p"; then
			libonly="$libonly $t($p)"
		else
			flaky="$flaky $t($p)"
		fi
	done
done
[ -z "$flaky" ] || note "git: flaky (failed once with the library, passed again):$flaky"
[ -z "$flaky" ] || echo "$flaky" >"$out/flaky"
# shellcheck disable=SC2086 # the names, one a word: the last arguments
summary git "$run_total" "$fail_without" "$fail_with" $libonly
[ -z "$libonly" ]
