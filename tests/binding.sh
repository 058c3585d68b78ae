#!/bin/sh
# SPDX-License-Identifier: MIT
# binding.sh: each wrapper reads its next symbol with the macro its kind in
# shim/symbols.def allows (shim/noleak.h, next.c):
#
#   NOLEAK_EAGER  bound at start-up: NEXT (in the zone, which never
#                 binds), NEXT_SET_UP or NEXT_BOUND;
#   NOLEAK_LAZY   bound by nobody but NEXT_BOUND: NEXT would read NULL
#                 forever, and the wrapper would fall back to the raw system
#                 call (or ENOSYS) for the life of the process, silently;
#                 NEXT_SET_UP promises a symbol the set-up binds;
#   NOLEAK_COMPAT its pointer, next_NAME_compat, bound at start-up: NEXT;
#   NOLEAK_EXPORT_ONLY  no pointer at all.
#
# And every pointer is read somewhere: nothing is bound that no wrapper
# calls.  The check runs over the sources (no build needed), and once over
# a copy with a wrong binding, to show that it fails.
. "$NOLEAK_SRCDIR/tests/tap.sh"

src=$NOLEAK_SRCDIR
work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-binding.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT

# kinds DEF: "NAME KIND" for each entry of a symbols.def.
kinds() {
	sed -n 's/^NOLEAK_\(EAGER\|LAZY\|EXPORT_ONLY\)(\([A-Za-z0-9_]*\))$/\2 \1/p;
		s/^NOLEAK_COMPAT(\([A-Za-z0-9_]*\),.*$/\1_compat COMPAT/p' "$1"
}

# uses FILE...: "FILE:LINE MACRO NAME" for each read of a next symbol.
uses() {
	grep -Hno 'NEXT\(_SET_UP\|_BOUND\)\?([A-Za-z0-9_][A-Za-z0-9_]*)' "$@" |
		sed 's/^\([^:]*:[0-9]*\):\(NEXT[A-Z_]*\)(\(.*\))$/\1 \2 \3/'
}

# wrong DEF FILE...: one line for each read whose macro the symbol's kind
# does not allow, and for each pointer nothing reads.
wrong() {
	kinds "$1" >"$work/kinds"
	shift
	uses "$@" >"$work/uses"
	awk 'NR == FNR { kind[$1] = $2; next }
		{
			read[$3] = 1
			k = kind[$3]
			if (k == "")
				print $1 ": " $2 "(" $3 "): " $3 " is not in symbols.def"
			else if (k == "EXPORT_ONLY")
				print $1 ": " $2 "(" $3 "): " $3 " is NOLEAK_EXPORT_ONLY: it has no next symbol"
			else if (k == "LAZY" && $2 != "NEXT_BOUND")
				print $1 ": " $2 "(" $3 "): " $3 " is NOLEAK_LAZY, bound only by NEXT_BOUND"
			else if (k == "COMPAT" && $2 != "NEXT")
				print $1 ": " $2 "(" $3 "): " $3 " is bound at start-up, read with NEXT"
		}
		END {
			for (s in kind)
				if (kind[s] != "EXPORT_ONLY" && !(s in read))
					print "symbols.def: " s " (NOLEAK_" kind[s] ") is bound but no wrapper reads it"
		}' "$work/kinds" "$work/uses" | sort
}

files=$(find "$src/shim" -name '*.c' | sort)
# shellcheck disable=SC2086 # the file names, one a word
n=$(uses $files | wc -l)
# shellcheck disable=SC2086 # the file names, one a word
bad=$(wrong "$src/shim/symbols.def" $files)
test "$n" -gt 60 && test -z "$bad"
ok $? "each of the $n reads of a next symbol in shim/ uses a macro its kind allows" ||
	diag "$bad"

# A lazy symbol read with NEXT, and one read with NEXT_SET_UP: both found.
sed 's/NEXT_BOUND(accept)/NEXT(accept)/' "$src/shim/wrap-socket.c" >"$work/wrap-socket.c"
sed 's/NEXT_BOUND(fopen)/NEXT_SET_UP(fopen)/' "$src/shim/wrap-stdio.c" >"$work/wrap-stdio.c"
others=$(printf '%s\n' "$files" | grep -v '/wrap-socket\.c$\|/wrap-stdio\.c$')
# shellcheck disable=SC2086 # the file names, one a word
bad=$(wrong "$src/shim/symbols.def" $others "$work/wrap-socket.c" "$work/wrap-stdio.c")
printf '%s\n' "$bad" | grep -q 'NEXT(accept): accept is NOLEAK_LAZY' &&
	printf '%s\n' "$bad" | grep -q 'NEXT_SET_UP(fopen): fopen is NOLEAK_LAZY'
ok $? "NEXT(accept) and NEXT_SET_UP(fopen) on lazy symbols are reported" || diag "found: $bad"

# A symbol made lazy that a zone file reads with NEXT: reported too.
sed 's/^NOLEAK_EAGER(execve)$/NOLEAK_LAZY(execve)/' "$src/shim/symbols.def" >"$work/symbols.def"
# shellcheck disable=SC2086 # the file names, one a word
bad=$(wrong "$work/symbols.def" $files)
printf '%s\n' "$bad" | grep -q 'exec\.c:[0-9]*: NEXT(execve): execve is NOLEAK_LAZY'
ok $? "execve made lazy while exec.c reads it with NEXT: reported" || diag "found: $bad"

done_testing
