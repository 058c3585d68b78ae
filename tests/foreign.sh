#!/bin/sh
# SPDX-License-Identifier: MIT
# foreign.sh: programs the library cannot be loaded into, a statically
# linked one and a 32-bit one, started in the tree scope.  They run, their
# children run, and the wrapper warns that nothing stops their leaks; an
# ordinary program gets no warning.
. "$NOLEAK_SRCDIR/tests/tap.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-foreign.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
noleak=$NOLEAK_WRAPPER

for kind in static 32; do
	case $kind in
	static) prog=$NOLEAK_TESTS/tiny-static what="is statically linked" ;;
	32) prog=$NOLEAK_TESTS/tiny32 what="is a 32-bit program and libnoleak is 64-bit" ;;
	esac
	if [ ! -x "$prog" ]; then
		skip "$kind: runs in the tree scope" "configure could not build $prog (32-bit needs gcc-multilib)"
		continue
	fi
	# A kernel booted without 32-bit emulation (ia32_emulation=0) answers
	# "Exec format error" to every 32-bit program, with or without us.
	if ! timeout 10 "$prog" true >/dev/null 2>&1; then
		skip "$kind: runs in the tree scope" "this kernel cannot run $prog at all"
		continue
	fi
	run -s tree -- "$prog" sh -c 'echo child-ran'
	printf '%s\n' "$out" | grep -q '^tiny: opened' &&
		printf '%s\n' "$out" | grep -qx 'child-ran' && [ $st -eq 0 ]
	r=$?
	ok $r "$kind: it runs in the tree scope, and so does its child (exit $st)"
	[ $r -eq 0 ] || diag "$out" "$err"
	printf '%s\n' "$err" | grep -qF "noleak: warning: '$prog' $what: the library cannot be loaded into it, and what it leaks is not stopped"
	r=$?
	ok $r "$kind: the wrapper warns that it cannot be protected"
	[ $r -eq 0 ] || diag "$err"
	if [ $kind = 32 ]; then
		# The loader's own complaint, which libnoleak(7) explains.
		printf '%s\n' "$err" | grep -q 'wrong ELF class: ELFCLASS64'
		ok $? "32: the loader says the library is of the wrong class, and goes on"
	fi
done

run -s tree -- sh -c 'echo plain'
[ "$out" = plain ] && [ -z "$err" ]
ok $? "an ordinary program gets no warning"

printf '#!/bin/sh\necho script\n' >"$work/script"
chmod +x "$work/script"
run -- "$work/script"
[ "$out" = script ] && [ -z "$err" ]
ok $? "a script whose interpreter takes the library gets no warning"

if [ -x "$NOLEAK_TESTS/tiny-static" ]; then
	# "#!tiny-static true": the kernel runs "tiny-static true SCRIPT", and
	# tiny runs true, not the script again (tiny also refuses to run
	# under itself, so no chain can form whatever the resource limits).
	printf '#!%s true\n' "$NOLEAK_TESTS/tiny-static" >"$work/static-script"
	chmod +x "$work/static-script"
	run -- "$work/static-script"
	[ $st -eq 0 ] &&
		printf '%s\n' "$err" | grep -qF "noleak: warning: '$work/static-script' runs under '$NOLEAK_TESTS/tiny-static', which is statically linked"
	ok $? "a script is judged by its interpreter (and the run ends, exit $st)" || diag "$err"
else
	skip "a script is judged by its interpreter" "no static program"
fi

done_testing
