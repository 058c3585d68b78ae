#!/bin/sh
# SPDX-License-Identifier: MIT
# manlint.sh: the manual pages format without warnings.
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
done

done_testing
