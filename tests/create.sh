#!/bin/sh
# SPDX-License-Identifier: MIT
# create.sh: descriptors made where the other tests do not look, each run
# with the shim and without it (where the leak must show, so that every
# check can fail): openat2 through syscall() with a struct of any size the
# kernel takes; fopen and freopen with modes the shim cannot rewrite in
# place; the newer creators through syscall(); the shell wordexp starts;
# and what a program says about inheritance through syscall().
. "$NOLEAK_SRCDIR/tests/tap.sh"

create=$NOLEAK_TESTS/create
clean="PATH=/usr/bin:/bin"
work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-create.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT

with() {
	timeout 30 env -i $clean LD_PRELOAD="$NOLEAK_LIBRARY" "$create" "$@" 2>&1
}
without() {
	timeout 30 env -i $clean "$create" "$@" 2>&1
}

# ---- openat2 through syscall(): every size the kernel accepts -------------
# The struct is extensible: a larger one with a zero tail is valid, up to a
# page.  Sizes the kernel refuses must get the kernel's own answer.
for size in 24 32 64 512 4096; do
	w=$(with openat2 $size)
	o=$(without openat2 $size)
	[ "$w" = "cloexec 1 struct kept" ] && [ "$o" = "cloexec 0 struct kept" ]
	r=$?
	ok $r "syscall(SYS_openat2) with a $size-byte struct: close-on-exec, the caller's struct untouched"
	[ $r -eq 0 ] || diag "with: $w" "without: $o"
done
for args in "16" "4097" "32 tail"; do
	# shellcheck disable=SC2086
	w=$(with openat2 $args)
	# shellcheck disable=SC2086
	o=$(without openat2 $args)
	case $o in error\ E*) [ "$w" = "$o" ] ;; *) false ;; esac
	r=$?
	ok $r "syscall(SYS_openat2), struct of $args: the kernel's own error ($o)"
	[ $r -eq 0 ] || diag "with: $w" "without: $o"
done

# ---- fopen and freopen with modes the shim cannot rewrite in place --------
long="r,ccs=UTF-8,$(printf '%070d' 0 | tr 0 z)"
printf 'precious\n' >"$work/exists"
for func in fopen fopen64 freopen freopen64; do
	for mode in "$long" "r,ccs=UTF-8"; do
		w=$(with fopen $func "$mode" /dev/null)
		o=$(without fopen $func "$mode" /dev/null)
		[ "${w#cloexec 1 }" != "$w" ] && [ "${o#cloexec 0 }" != "$o" ] &&
			[ "${w#cloexec 1 }" = "${o#cloexec 0 }" ]
		r=$?
		ok $r "$func, a mode of ${#mode} characters: close-on-exec, wide orientation as without the shim"
		[ $r -eq 0 ] || diag "with: $w" "without: $o"
	done
	# 'x' is the seventh character, the last glibc reads: an 'e' put
	# before it would push it out, and the file would be truncated.
	w=$(with fopen $func wbbbbbx "$work/exists")
	o=$(without fopen $func wbbbbbx "$work/exists")
	[ "$o" = "error EEXIST" ] && [ "$w" = "$o" ] &&
		[ "$(cat "$work/exists")" = precious ]
	r=$?
	ok $r "$func, mode wbbbbbx on an existing file: EEXIST, the file untouched"
	[ $r -eq 0 ] || diag "with: $w" "without: $o" "file: $(cat "$work/exists")"
	printf 'precious\n' >"$work/exists"
done

# ---- the newer creators through syscall() ---------------------------------
# Those the kernel always makes close-on-exec are checked to be so; the
# others must leak without the shim.
for call in memfd_secret fspick fsopen fsmount open_tree userfaultfd \
	perf_event_open pidfd_open pidfd_getfd io_uring_setup \
	landlock_create_ruleset seccomp; do
	w=$(with sys $call)
	o=$(without sys $call)
	case $w$o in
	*skip*)
		skip "syscall(SYS_$call)" "$(printf '%s\n%s\n' "$w" "$o" | grep -m1 skip | sed 's/^skip //')"
		continue
		;;
	esac
	case $call in
	pidfd_* | io_uring_setup | landlock_* | seccomp)
		want_without="cloexec 1" what="always close-on-exec, by the kernel" ;;
	*)
		want_without="cloexec 0" what="close-on-exec" ;;
	esac
	[ "$w" = "cloexec 1" ] && [ "$o" = "$want_without" ]
	r=$?
	ok $r "syscall(SYS_$call): $what"
	[ $r -eq 0 ] || diag "with: $w" "without: $o"
done

# ---- wordexp's shell ------------------------------------------------------
# A descriptor made by a bare syscall instruction, which no wrapper sees,
# and a command substitution that lists the shell's descriptors.
for words in '$(ls /proc/self/fd)' '`ls /proc/self/fd`'; do
	w=$(with wordexp "$words")
	o=$(without wordexp "$words")
	absent "$w" && printf '%s\n' "$w" | grep -q '^inherited.* 1 ' &&
		[ -n "$(leaked "$o")" ] && [ "$(leaked "$o")" != none ]
	r=$?
	ok $r "wordexp $words: the command runs without the stray"
	[ $r -eq 0 ] || diag "with:" "$w" "without:" "$o"
done
w=$(with wordexp 'a $HOME b')
printf '%s\n' "$w" | grep -qx 'inherited a b' && printf '%s\n' "$w" | grep -qx 'cloexec 0'
r=$?
ok $r "wordexp without a command: nothing started, nothing marked"
[ $r -eq 0 ] || diag "$w"

# ---- intent said through syscall() ----------------------------------------
for how in dup2 dup3 setfd fionclex; do
	for spawn in fork-execve system; do
		w=$(with said $how $spawn)
		o=$(without said $how $spawn)
		[ -n "$(leaked "$w")" ] && [ "$(leaked "$w")" != none ] &&
			[ "$(leaked "$w")" = "$(leaked "$o")" ]
		r=$?
		ok $r "syscall() $how, then $spawn: the descriptor reaches the child"
		[ $r -eq 0 ] || diag "with:" "$w" "without:" "$o"
	done
done
# close_range(CLOSE_RANGE_CLOEXEC) is the program marking the descriptor
# itself: naming it to the child must not take the flag off.
for spawn in fork-execve system; do
	w=$(with said closerange $spawn)
	o=$(without said closerange $spawn)
	absent "$w" && absent "$o"
	r=$?
	ok $r "syscall() close_range CLOSE_RANGE_CLOEXEC, then $spawn naming it: the child does not get it"
	[ $r -eq 0 ] || diag "with:" "$w" "without:" "$o"
done

done_testing
