#!/bin/bash
# SPDX-License-Identifier: MIT
# debbuild.sh PACKAGE...: `dpkg-buildpackage -us -uc -b` of Debian 12
# source packages whose builds run their own test suites (make-dfsg:
# make's perl test driver, once per flavour; diffutils: automake's
# harness, its own tests and gnulib's), host-wide: the same source built
# twice in ns.sh, with the library in /etc/ld.so.preload and without it,
# at once.  Every process of the build (dpkg, debhelper, perl, the
# compiler, the test programs) runs under the library in the first.
# Compared: the build's status, how many tests ran and which failed.
# DEB_SECONDS bounds each build (1800).  Logs: $HOSTWIDE_RESULTS/deb/.
. "$NOLEAK_SRCDIR/tests/hostwide/lib.sh"

DEB_SECONDS=${DEB_SECONDS:-1800}
[ $# -gt 0 ] || set -- diffutils make-dfsg
build_deps "$@"

# results LOG: one line per test, "STATUS NAME", from automake's harness
# (PASS: name) and make's driver, a line per category of tests
# (features/archives ..... ok     (12 passed) / FAILED (3/5 passed)).
results() {
	sed -n -E \
		-e 's/^(PASS|FAIL|XFAIL|XPASS|ERROR): ([^ ]+).*/\1 \2/p' \
		-e 's/^([a-z_]+\/[^ ]+) \.+ ok( .*)?$/PASS \1/p' \
		-e 's/^([a-z_]+\/[^ ]+) \.+ (FAILED|Error).*/FAIL \1/p' "$1"
}
bad() { grep -E '^(FAIL|XPASS|ERROR) ' | cut -d' ' -f2 | sort; }

# build PACKAGE MODE: copy the unpacked source and build it in the
# namespace; the log in $out/PACKAGE.MODE.log, the status beside it.
build() {
	local p=$1 m=$2 d=$out/$1/$2
	rm -rf "$d" && mkdir -p "$d" && cp -a "$src" "$d/" || return 1
	HOSTWIDE_SECONDS=$DEB_SECONDS "$ns" "$m" "$NOLEAK_LIBRARY" \
		env -C "$d/$(basename "$src")" DEB_BUILD_OPTIONS=parallel=1 \
		dpkg-buildpackage -us -uc -b </dev/null >"$out/$p.$m.log" 2>&1
	echo $? >"$out/$p.$m.status"
}

out=$HOSTWIDE_RESULTS/deb
mkdir -p "$out" || exit 2
st=0
for p in "$@"; do
	src=$(source_package "$p" "$p-[0-9]*/") ||
		{ summary "deb:$p" 0 0 0 "$p(no-source)"; st=1; continue; }
	src=${src%/}
	note "deb: dpkg-buildpackage $p, with and without the library, at once"
	start=$(date +%s)
	build "$p" without & build "$p" with & wait
	note "deb: $p took $(( $(date +%s) - start ))s"
	results "$out/$p.without.log" >"$out/$p.without.results"
	results "$out/$p.with.log" >"$out/$p.with.results"
	only=$(comm -13 <(bad <"$out/$p.without.results") <(bad <"$out/$p.with.results"))
	so=$(cat "$out/$p.without.status") sw=$(cat "$out/$p.with.status")
	case $sw in
	0) ;;
	124|137) only="$only $p(hang)" ;;
	*) [ "$so" != 0 ] || only="$only $p(build-status-$sw)" ;;
	esac
	nw=$(wc -l <"$out/$p.with.results") no=$(wc -l <"$out/$p.without.results")
	[ "$nw" -ge "$no" ] || only="$only $p(ran-$nw-of-$no)"
	# shellcheck disable=SC2086 # the names, one a word: the last arguments
	summary "deb:$p" "$no" "$(bad <"$out/$p.without.results" | wc -l)" \
		"$(bad <"$out/$p.with.results" | wc -l)" $only
	# shellcheck disable=SC2086,SC2116 # empty when only blanks
	[ -z "$(echo $only)" ] || st=1
	# The build trees are large; the logs stay.
	rm -rf "$out/$p/with" "$out/$p/without"
done
exit $st
