#!/bin/sh
# SPDX-License-Identifier: MIT
# loader.sh: the shim and the dynamic loader's edge cases.  A huge
# environment and long argument lists through every exec path in both
# scopes; an environment without LD_PRELOAD; other libraries in
# LD_PRELOAD, kept in their order; a library whose constructor opens a
# file before the shim's constructor has run; a program whose own malloc
# opens a file while the shim starts up.
. "$NOLEAK_SRCDIR/tests/tap.sh"

probe=$NOLEAK_TESTS/probe
libs=$NOLEAK_TESTS/.libs
early=$libs/libearly.so
nothing=$libs/libnothing.so
clean="PATH=/usr/bin:/bin"
paths="fork-execve fork-execv fork-execvp fork-execvpe fork-execl fork-execlp
fork-execle fork-fexecve fork-execveat vfork-execv posix_spawn posix_spawnp
system popen exec"
work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-loader.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT


# field OUTPUT NAME: the word after NAME on the child's "environ" line.
field() {
	printf '%s\n' "$1" | awk -v k="$2" '$1 == "environ" { for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'
}

# ---- a huge environment, long argument lists ------------------------------
# 5,000 variables of 40 bytes and 3,000 arguments: 300 KB, well inside
# what the kernel takes, far beyond what any buffer of the shim's holds.
bigenv=$(seq 5000 | sed 's/^/NOLEAK_BIG_/; s/$/=a-value-of-some-forty-bytes-or-so/')
nargs=3000
for scope in process tree; do
	for how in $paths; do
		# shellcheck disable=SC2086
		out=$(env -i $clean $bigenv \
			"$NOLEAK_WRAPPER" -s $scope -- "$probe" big "$how" $nargs 2>&1)
		vars=$(field "$out" environ)
		args=$(field "$out" args)
		preload=$(field "$out" preload)
		case $how in
		*execl* | system | popen) want=3 ;;	# the probe passes two words
		*) want=$((nargs + 2)) ;;
		esac
		# The process scope takes the library out of the child's
		# LD_PRELOAD where it can: posix_spawn, system and popen on the
		# stack they map; the exec family in the child of fork in
		# memory it maps; only a vfork child, whose environment this
		# big does not fit the stack budget, leaves it there, dormant.
		# An exec in place is the daemon itself: it keeps it.
		case $scope/$how in
		process/vfork* | process/exec) want_preload="$NOLEAK_LIBRARY" ;;
		process/*) want_preload=- ;;
		*) want_preload="$NOLEAK_LIBRARY" ;;
		esac
		absent "$out" && [ "${vars:-0}" -ge 5000 ] &&
			[ "$args" = "$want" ] && [ "$preload" = "$want_preload" ]
		r=$?
		ok $r "$scope, $how: 5,000 variables and $want arguments arrive, the descriptor does not"
		[ $r -eq 0 ] || diag "expected $want arguments, LD_PRELOAD $want_preload; got" "$out"
	done
done

# A vfork child cannot have memory mapped for it (it would stay in the
# parent): beyond the stack budget its environment is passed on as it is,
# and the child loads the library and stays dormant.  The child of fork
# maps what it needs, and posix_spawn rewrites it on the stack it maps for
# its child (shim/spawn.c), whatever its size.
for how in fork-execve vfork-execv posix_spawn; do
	case $how in
	vfork*) want=$NOLEAK_LIBRARY what="left in" ;;
	*) want=- what="taken out of" ;;
	esac
	# shellcheck disable=SC2046
	out=$(env -i $clean $(seq 9000 | sed 's/^/NOLEAK_BIG_/; s/$/=v/') \
		"$NOLEAK_WRAPPER" -s process -- "$probe" big $how 1 2>&1)
	absent "$out" && [ "$(field "$out" environ)" -ge 9000 ] &&
		[ "$(field "$out" preload)" = "$want" ]
	r=$?
	ok $r "process, $how, 9,000 variables: the child runs, with the library $what its LD_PRELOAD"
	[ $r -eq 0 ] || diag "$out"
done

# ---- an environment without LD_PRELOAD ---------------------------------------
# A program that starts a child with an environment of its own making:
# the sweep still runs in the parent; the child runs without the library.
for scope in process tree; do
	for how in fork-execve posix_spawn system; do
		out=$(env -i $clean "$NOLEAK_WRAPPER" -s $scope -- "$probe" big "$how" 1 unset 2>&1)
		absent "$out" && [ "$(field "$out" preload)" = - ]
		r=$?
		ok $r "$scope, $how: a child given no LD_PRELOAD runs, without the descriptor"
		[ $r -eq 0 ] || diag "$out"
	done
done
out=$(env -i $clean LD_PRELOAD="$NOLEAK_LIBRARY" "$probe" big fork-execve 1 unset 2>&1)
absent "$out"
ok $? "a program whose own environment lost LD_PRELOAD still sweeps"

# ---- other libraries in LD_PRELOAD -------------------------------------------
for how in fork-execve posix_spawn; do
	out=$(env -i $clean LD_PRELOAD="$nothing:$early" \
		"$NOLEAK_WRAPPER" -s process -- "$probe" big "$how" 1 2>&1)
	[ "$(field "$out" preload)" = "$nothing:$early" ] && absent "$out"
	r=$?
	ok $r "process, $how: the child keeps the other libraries, in their order, without the shim"
	[ $r -eq 0 ] || diag "$out"
	out=$(env -i $clean LD_PRELOAD="$nothing:$early" \
		"$NOLEAK_WRAPPER" -s tree -- "$probe" big "$how" 1 2>&1)
	[ "$(field "$out" preload)" = "$NOLEAK_LIBRARY:$nothing:$early" ]
	r=$?
	ok $r "tree, $how: the child gets LD_PRELOAD exactly as the wrapper set it"
	[ $r -eq 0 ] || diag "$out"
done

# ---- a constructor that opens before the shim's ---------------------------------
# The loader runs preloaded libraries' constructors last-listed first:
# listed after the shim, libearly's runs first and its open() is the
# shim's before the shim has read its configuration.
for order in "$NOLEAK_LIBRARY $early" "$early $NOLEAK_LIBRARY"; do
	case $order in
	"$early"*) label="after the shim's constructor" ;;
	*) label="before the shim's constructor" ;;
	esac
	for how in fork-execve posix_spawn system; do
		out=$(env -i $clean NOLEAK_EARLY=1 LD_PRELOAD="$order" "$probe" early "$how" 2>&1)
		first=$(printf '%s\n' "$out" | awk '$1 == "first" { print $2 }')
		case $label in before*) want=1 ;; *) want=0 ;; esac
		[ "$first" = $want ] && absent "$out" &&
			printf '%s\n' "$out" | grep -qx 'cloexec 1'
		r=$?
		ok $r "a library constructor's open() $label, $how: close-on-exec, not inherited"
		[ $r -eq 0 ] || diag "$out"
	done
done
out=$(env -i $clean NOLEAK_EARLY=1 LD_PRELOAD="$early" "$probe" early fork-execve 2>&1)
[ -n "$(leaked "$out")" ] && [ "$(leaked "$out")" != none ]
ok $? "without the shim the constructor's descriptor is inherited"

# ---- a malloc that opens a file --------------------------------------------------
out=$(timeout 30 env -i $clean LD_PRELOAD="$NOLEAK_LIBRARY" "$NOLEAK_TESTS/mallocopen" "$probe" 2>&1)
st=$?
[ $st -eq 0 ] && absent "$out" && printf '%s\n' "$out" | grep -qx 'cloexec 1'
r=$?
ok $r "a program whose malloc opens a file starts, and the file is not inherited (exit $st)"
[ $r -eq 0 ] || diag "$out"
out=$(timeout 30 env -i $clean "$NOLEAK_TESTS/mallocopen" "$probe" 2>&1)
[ -n "$(leaked "$out")" ] && [ "$(leaked "$out")" != none ]
ok $? "without the shim the allocator's descriptor is inherited"

done_testing
