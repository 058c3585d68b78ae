#!/bin/sh
# SPDX-License-Identifier: MIT
# zone.sh: the async-signal-safe zone is a property, not a comment.  The
# code that may run between fork (or vfork) and exec, or in a signal
# handler, lives in files of its own, listed once as ZONE_FILES in
# Makefile.am (NOLEAK_ZONE here); their object files must reference no
# allocator, stdio, dlsym, pthread or environment-reading symbol, and call
# nothing outside the zone but a short list of libc functions that are safe
# there (string functions, mmap).  To show the check can fail, it is also run on wrap-exec.o, which
# is outside the zone on purpose, and must find what it uses there.
. "$NOLEAK_SRCDIR/tests/tap.sh"

objs=${NOLEAK_TESTS%/tests}/shim/.libs
# The zone's files, as Makefile.am lists them: shim/raw.c -> raw.
zone=$(for f in $NOLEAK_ZONE; do f=${f##*/}; printf '%s ' "${f%.c}"; done)
if [ -z "$zone" ]; then
	ok 1 "the zone's files are listed (ZONE_FILES in Makefile.am)" || diag "NOLEAK_ZONE is empty"
	done_testing
	exit 1
fi
# libc calls the zone may make: pure string functions, the errno location,
# memory mapping, and what the compiler emits itself.
allowed=" memcpy memmove memset memcmp memchr strlen strnlen strcmp strncmp
strchr strrchr strstr strcspn strspn inet_pton mmap munmap mprotect
__errno_location __stack_chk_fail _GLOBAL_OFFSET_TABLE_ environ "
forbidden='^(malloc|calloc|realloc|free|.*printf|fopen|fdopen|fclose|fwrite|fputs|puts|fflush|perror|dlsym|dlvsym|dladdr|dlopen|pthread_.*|__pthread_.*|getenv|secure_getenv|setenv|unsetenv|putenv)$'

# object NAME: the object file of shim/NAME.c, as libtool named it.
object() {
	# shellcheck disable=SC2012 # object names made by libtool: plain names
	ls "$objs"/*-"$1".o 2>/dev/null | head -n 1
}

# Every symbol the library's objects define, with its type, for telling a
# variable (data the zone may read) from a function (a call out of it).
defined=$(for o in "$objs"/*.o; do nm --defined-only "$o" | awk -v o="${o##*/}" '{ print $3, $2, o }'; done)

# verdict NAME: the symbols of NAME's object that break the zone's rule,
# one "symbol: why" line each; nothing when it keeps it.
verdict() {
	o=$(object "$1")
	zone_objs=$(for z in $zone; do object "$z"; done | tr "\n" " ")
	nm -u "$o" | awk '{ print $2 }' | while read -r sym; do
		if printf '%s\n' "$sym" | grep -Eq "$forbidden"; then
			echo "$sym: not async-signal-safe"
			continue
		fi
		case $allowed in *" $sym "* | *"
$sym "* | *" $sym
"*) continue ;; esac
		where=$(printf '%s\n' "$defined" | awk -v s="$sym" '$1 == s { print $2, $3; exit }')
		[ -n "$where" ] || { echo "$sym: a libc function not on the zone's list"; continue; }
		type=${where%% *}
		file=${where#* }
		case $type in
		[BbDdRrVG]) continue ;;		# a variable
		esac
		case " $zone_objs " in
		*"/$file "*) continue ;;
		esac
		echo "$sym: defined outside the zone ($file)"
	done
}

for z in $zone; do
	o=$(object "$z")
	if [ -z "$o" ]; then
		ok 1 "shim/$z.c is built" || diag "no object for $z in $objs"
		continue
	fi
	bad=$(verdict "$z")
	[ -z "$bad" ]
	ok $? "shim/$z.c keeps to the zone: no unsafe symbol, no call out of it" || diag "$bad"
done

# The check finds what it should where the rule does not hold.
bad=$(verdict wrap-exec)
printf '%s\n' "$bad" | grep -q '^pthread_mutex_lock: not async-signal-safe$' &&
	printf '%s\n' "$bad" | grep -q '^noleak_init: defined outside the zone'
ok $? "the check sees pthread and calls out of the zone in wrap-exec.c, which is outside it" || diag "$bad"

done_testing
