#!/bin/sh
# SPDX-License-Identifier: MIT
# creators.sh: every wrapped symbol of shim/symbols.def has a row in the
# probe's one table of creators (tests/probe.c, "probe table"): a case that
# check_preload runs through every spawn path, or "not a creator" with its
# reason.  A wrapper added without a probe case fails here, not silently.
. "$NOLEAK_SRCDIR/tests/tap.sh"

probe=$NOLEAK_TESTS/probe
work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-creators.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT

# wrapped FILE: the names a symbols.def-like FILE exports (NOLEAK_COMPAT
# adds a pointer to a listed name, no name of its own).
wrapped() {
	sed -n 's/^NOLEAK_\(EAGER\|LAZY\|EXPORT_ONLY\)(\([A-Za-z0-9_]*\))$/\2/p' "$1" | sort -u
}

# rowless FILE: the names of FILE that have no row in the table.
rowless() {
	wrapped "$1" | while read -r name; do
		grep -q "^$name " "$work/table" || echo "$name"
	done
}

timeout 20 "$probe" table >"$work/table" 2>"$work/err"
st=$?
rows=$(wc -l <"$work/table")
test $st -eq 0 && test "$rows" -gt 80
ok $? "probe table: one row a case ($rows rows)" || diag "status $st" "$(cat "$work/err")"

wrapped "$NOLEAK_SRCDIR/shim/symbols.def" >"$work/wrapped"
n=$(wc -l <"$work/wrapped")
missing=$(rowless "$NOLEAK_SRCDIR/shim/symbols.def")
test "$n" -gt 80 && test -z "$missing"
ok $? "each of the $n wrapped symbols has a row: a probe case or 'not a creator'" ||
	diag "symbols.def entries without a row in tests/probe.c (creator_rows[]):" "$missing"

# The same check on a symbols.def with one more wrapper: it must fail.
cp "$NOLEAK_SRCDIR/shim/symbols.def" "$work/symbols.def"
echo 'NOLEAK_LAZY(noleak_test_new_creator)' >>"$work/symbols.def"
missing=$(rowless "$work/symbols.def" | tr '\n' ' ')
case " $missing" in *" noleak_test_new_creator "*) r=0 ;; *) r=1 ;; esac
ok $r "a wrapper added to symbols.def without a row is reported (reported: ${missing:-nothing})"

# A not-a-creator row says why, and names a wrapped symbol: no stale rows.
bad=$(awk '$2 == "not-a-creator" && NF < 3 { print $1 " (no reason)" }' "$work/table")
bad=$bad$(awk '$2 == "not-a-creator" { print $1 }' "$work/table" | while read -r name; do
	grep -qx "$name" "$work/wrapped" || printf ' %s' "$name (not in symbols.def)"
done)
test -z "$bad"
ok $? "every 'not a creator' row has its reason and names a wrapped symbol" || diag "$bad"

# Each creator row is a case of create(): the probe makes its descriptor.
awk '$2 != "not-a-creator" { print $1 }' "$work/table" >"$work/creators"
bad=
while read -r name; do
	out=$(timeout 20 "$probe" run "$name" fork-execve 2>&1 </dev/null)
	st=$?
	# "skipped": the creator needs a privilege this run lacks.
	test $st -eq 0 && printf '%s\n' "$out" | grep -q '^created [0-9]\|^skipped ' ||
		bad="$bad [$name: status $st, $(printf '%s\n' "$out" | head -n 2 | tr '\n' ' ')]"
done <"$work/creators"
test -z "$bad"
ok $? "every other row is a case of the probe's create(): it makes its descriptor" || diag "$bad"

done_testing
