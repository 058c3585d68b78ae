#!/bin/sh
# SPDX-License-Identifier: MIT
# manlint.sh: the manual pages format without warnings, have a NAME line
# apropos can read, and are installed by make and by the Debian package.
. "$NOLEAK_SRCDIR/tests/tap.sh"

for page in "$NOLEAK_SRCDIR"/man/*.[0-9]; do
	name=$(basename "$page")
	if [ -n "$GROFF" ]; then
		out=$(LC_ALL=C.UTF-8 "$GROFF" -man -ww -z -t "$page" 2>&1)
		test -z "$out"
		ok $? "$name: groff -man -ww reports nothing"
		[ -z "$out" ] || diag "$out"
	else
		skip "$name: groff" "groff is not installed"
	fi
	if [ -n "$MANDOC" ]; then
		out=$("$MANDOC" -Tlint -W warning "$page" 2>&1)
		test -z "$out"
		ok $? "$name: mandoc -Tlint reports nothing"
		[ -z "$out" ] || diag "$out"
	else
		skip "$name: mandoc" "mandoc is not installed"
	fi
	if command -v lexgrog >/dev/null 2>&1; then
		out=$(lexgrog "$page" 2>&1)
		ok $? "$name: lexgrog reads its NAME line" || diag "$out"
	else
		skip "$name: lexgrog" "man-db is not installed"
	fi
	grep -q "^dist_man_MANS = .*man/$name\( \|\$\)" "$NOLEAK_SRCDIR/Makefile.am"
	ok $? "$name: in dist_man_MANS of Makefile.am"
	section=${name##*.}
	grep -qx "usr/share/man/man$section/$name" "$NOLEAK_SRCDIR"/debian/*.install
	ok $? "$name: installed by debian/*.install"
done

done_testing
