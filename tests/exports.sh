#!/bin/sh
# SPDX-License-Identifier: MIT
# exports.sh: the library exports exactly the wrappers listed in
# shim/symbols.def, references no glibc symbol version newer than the
# oldest glibc the README supports, and is really loaded by the wrapper.
. "$NOLEAK_SRCDIR/tests/tap.sh"

lib=$NOLEAK_LIBRARY
oldest=2.34	# keep in step with README.md

expected=$(sed -n 's/^NOLEAK_\(EAGER\|LAZY\|EXPORT_ONLY\)(\([A-Za-z0-9_]*\))$/\2/p' \
	"$NOLEAK_SRCDIR/shim/symbols.def" | sort -u)
# Drop the version tags of versioned exports (posix_spawn@@GLIBC_2.15).
actual=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TtWw]$/ { print $3 }' |
	sed 's/@.*//' | grep -v '^_init$\|^_fini$' | sort -u)

test -n "$expected" && test "$expected" = "$actual"
ok $? "exported functions are exactly the list in symbols.def"
if [ "$expected" != "$actual" ]; then
	diag "missing or extra:" "$(printf '%s\n' "$expected" | diff - \
		"$(printf '%s\n' "$actual" >"${TMPDIR:-/tmp}/noleak-exp.$$"; \
		echo "${TMPDIR:-/tmp}/noleak-exp.$$")")"
	rm -f "${TMPDIR:-/tmp}/noleak-exp.$$"
fi

# Only once nm has listed the functions: an nm that read nothing lists no data.
data=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[BbDdGgSs]$/')
test -n "$actual" && test -z "$data"
ok $? "no data symbols are exported" || diag "functions: $(echo "$actual" | wc -w)" "data: $data"

newest=$(objdump -T "$lib" | grep -o 'GLIBC_[0-9.]*' | grep -v 'GLIBC_2\.2\.5\|GLIBC_2\.15' |
	sed 's/GLIBC_//' | sort -V | tail -n 1)
[ -z "$newest" ] || [ "$(printf '%s\n%s\n' "$newest" "$oldest" | sort -V | tail -n 1)" = "$oldest" ]
ok $? "needs no glibc newer than $oldest (newest referenced: ${newest:-none})"

# A wrapper that calls another exported wrapper goes through the PLT: the
# report then names the wrong call, and an interposer after us sees it
# twice.  Internal calls go to static functions instead.
wrapped=$(printf '%s\n' "$expected" | tr '\n' '|' | sed 's/|$//')
through=$(objdump -d "$lib" | grep -E "(call|jmp) .*<($wrapped)@plt>" | sed 's/.*<//; s/>.*//' | sort -u)
[ -z "$through" ] && [ -n "$wrapped" ]
ok $? "no wrapper calls another exported wrapper through the PLT" || diag "$through"

# HACKING.md's recipe (Where is X wrapped?) finds every listed name in its
# file: a wrapper written another way would be a name a newcomer cannot find.
lost=$(sed -n 's/^NOLEAK_\(EAGER\|LAZY\|EXPORT_ONLY\)(\(.*\))$/\2/p' \
	"$NOLEAK_SRCDIR/shim/symbols.def" | while read -r name; do
	grep -qE "^NOLEAK_EXPORT .*[ *]$name\(|\.symver .*, $name@" \
		"$NOLEAK_SRCDIR"/shim/wrap-*.c || printf ' %s' "$name"
done)
[ -z "$lost" ] && [ -n "$expected" ]
ok $? "HACKING.md's grep finds each of the $(printf '%s\n' "$expected" | wc -l) wrapped names in its file" ||
	diag "not found:$lost"

maps=$("$NOLEAK_WRAPPER" -- cat /proc/self/maps)
echo "$maps" | grep -q "$(basename "$lib")"
ok $? "the wrapper really loads the library into the command"

done_testing
