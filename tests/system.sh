#!/bin/sh
# SPDX-License-Identifier: MIT
# system.sh: noleak system enable, disable and status.  On a tree of the
# test's own (--root): the file written whole and by rename, in the
# loader's grammar only (other entries kept in order, comments quoted in
# a warning and dropped), idempotence, an old path replaced in place,
# every refusal (a missing, relative, writable, foreign, unloadable
# library, a path the loader would read otherwise) leaving the file as
# it was, the warning about ASan-built programs, disable with the
# library gone, status and its exit statuses, the owner and mode of the
# configuration file the library reads ($sysconfdir/noleak.conf of its
# build), and a reader that never sees the file half written.  Then, as
# root in a private mount namespace, the real /etc/ld.so.preload: a
# program started after enable maps the library, one after disable does
# not, a library that loads only through LD_PRELOAD is refused, the
# host's own file is as it was; and the loader itself: after every step
# of enable, disable, enable (from no file, a stale entry of ours, a
# foreign entry, a file with comments) /bin/true starts with nothing on
# its standard error, and a GCC ASan program stops host-wide unless
# ASAN_OPTIONS=verify_asan_link_order=0.
. "$NOLEAK_SRCDIR/tests/tap.sh"

noleak=$NOLEAK_WRAPPER
umask 022
work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-system.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
root=$work/root
etc=$root/etc
preload=$etc/ld.so.preload
L=/usr/lib/noleak/libnoleak.so
mkdir -p "$etc" "$root/usr/lib/noleak"
cp "$NOLEAK_LIBRARY" "$root$L"
uid=$(id -u)
# The configuration file the library reads: $sysconfdir/noleak.conf of
# its build (the build's own tests name it), inside the tree.
conf=$root$NOLEAK_CONFIG_FILE
mkdir -p "${conf%/*}"

# sys ARGS...: noleak system ARGS... --root $root, as run does.
sys() {
	run system "$@" --root "$root"
}

# same FILE CONTENT: FILE holds exactly CONTENT (a final newline added).
same() {
	printf '%s\n' "$2" >"$work/want"
	cmp -s "$1" "$work/want" && return 0
	diag "$1 holds:" "$(cat "$1" 2>&1)" "expected:" "$(cat "$work/want")"
	return 1
}

# no_temp: the directory holds nothing but ld.so.preload (no temporary
# file left behind).
no_temp() {
	# shellcheck disable=SC2010 # any name but ld.so.preload
	left=$(ls -A "$etc" | grep -v '^ld\.so\.preload$')
	[ -z "$left" ] || diag "left in $etc: $left"
	[ -z "$left" ]
}

# ---- enable, status, disable on a missing file -------------------------------
sys enable --library "$L"
expect 0 "enable, no ld.so.preload yet: exit 0"
same "$preload" "$L"
ok $? "the new file names the library, and nothing else"
test "$(stat -c %a "$preload")" = 644 && { [ "$uid" != 0 ] || [ "$(stat -c %u:%g "$preload")" = 0:0 ]; }
ok $? "it is mode 644, root's ($(stat -c '%a %u:%g' "$preload"))"
no_temp
ok $? "no temporary file is left in etc/"

ino=$(stat -c %i "$preload")
sys enable --library "$L"
expect 0 "enable again: exit 0"
test "$(stat -c %i "$preload")" = "$ino" && same "$preload" "$L" &&
	printf '%s\n' "$out" | grep -q '^already enabled'
ok $? "enable again: the same file, untouched (same inode), and it says so" || diag "$out"

sys status --library "$L"
expect 0 "status, enabled and sound: exit 0"
printf '%s\n' "$out" | grep -qx "enabled: $preload names $L" &&
	printf '%s\n' "$out" | grep -qx "other entries: none" &&
	printf '%s\n' "$out" | grep -qx "library: $root$L loads (checked with /bin/true)" &&
	printf '%s\n' "$out" | grep -q "^configuration: $conf does not exist"
ok $? "status says enabled, no other entries, the library loads, no $NOLEAK_CONFIG_FILE" || diag "$out"

sys disable
expect 0 "disable: exit 0"
test ! -e "$preload"
ok $? "disable removes the file it leaves empty" || diag "$(cat "$preload")"
sys status
expect 3 "status, not enabled: exit 3"
printf '%s\n' "$out" | grep -qx "disabled: $preload does not exist"
ok $? "status says disabled, no file" || diag "$out"
sys disable
expect 0 "disable again: exit 0, nothing to do"

# ---- other entries ---------------------------------------------------------
tab=$(printf '\t')
others="# site preloads, loaded in this order
/opt/first.so$tab/opt/second.so

  /opt/third.so:/opt/fourth.so   # a trailing comment"
printf '%s\n' "$others" >"$preload"
cp "$preload" "$work/others"
ino=$(stat -c %i "$preload")
sys enable --library "$L"
expect 0 "enable beside other entries: exit 0"
same "$preload" "/opt/first.so$tab/opt/second.so
/opt/third.so:/opt/fourth.so
$L"
ok $? "every other entry stays, in order, with its separators; the comments and blank lines go; the library comes last"
printf '%s\n' "$err" | grep -qF "warning: the comments of '$preload' are not kept" &&
	printf '%s\n' "$err" | grep -qxF "  # site preloads, loaded in this order" &&
	printf '%s\n' "$err" | grep -qxF "  # a trailing comment"
ok $? "enable quotes the comments it drops on standard error" || diag "$err"
test "$(stat -c %i "$preload")" != "$ino"
ok $? "the file was replaced by a rename (a new inode)"
no_temp
ok $? "no temporary file is left in etc/"
sys status
expect 0 "status beside other entries: exit 0"
printf '%s\n' "$out" | grep -qx "other entries: /opt/first.so /opt/second.so /opt/third.so /opt/fourth.so"
ok $? "status lists the other entries, in order" || diag "$out"
sys disable
expect 0 "disable beside other entries: exit 0"
same "$preload" "/opt/first.so$tab/opt/second.so
/opt/third.so:/opt/fourth.so"
ok $? "disable gives back the other entries as they were, in order"

printf '# only a comment\n%s\n' "$L" >"$preload"
sys status
printf '%s\n' "$err" | grep -qF "warning: '$preload' has comments"
ok $? "status warns of comments in the file" || diag "$err"
sys disable
expect 0 "disable, the library and a comment: exit 0" "  # only a comment"
test ! -e "$preload"
ok $? "disable removes a file left with nothing but its comment" || diag "$(cat "$preload")"

# Another entry with a backslash is kept byte for byte (an awk -v would
# read it as an escape).
printf '%s\n' '/opt/we\tird\\.so' >"$preload"
cp "$preload" "$work/bs"
sys enable --library "$L" && sys disable
cmp -s "$preload" "$work/bs"
ok $? "an entry with backslashes is kept as it was through enable and disable" || diag "$(cat "$preload")"

# Whoever enables is told what happens to ASan-built programs.
rm -f "$preload"
sys enable --library "$L"
expect 0 "enable: exit 0, with the sanitizer warning" \
	"warning: programs built with GCC's -fsanitize=address .*ASAN_OPTIONS=verify_asan_link_order=0"
sys disable

# ---- an older path, in place ------------------------------------------------
printf '/opt/first.so\n/usr/local/lib/noleak/libnoleak.so /opt/second.so\n' >"$preload"
sys enable --library "$L"
expect 0 "enable over an older path of the library: exit 0"
same "$preload" "/opt/first.so
$L /opt/second.so"
ok $? "the older path is replaced where it was"
printf '%s\n' "$out" | grep -qF "in place of /usr/local/lib/noleak/libnoleak.so"
ok $? "and the message says which path it replaced" || diag "$out"

printf '/a/libnoleak.so:/opt/x.so /b/libnoleak.so\n/c/libnoleak.so\n/opt/y.so\n' >"$preload"
sys status
expect 1 "status, libnoleak named three times (and missing): exit 1"
sys enable --library "$L"
same "$preload" "$L:/opt/x.so
/opt/y.so"
ok $? "enable keeps one entry, the first one's place, and drops the others"

printf '/opt/x.so /srv/renamed.so /old/libnoleak.so\n' >"$preload"
sys disable --library /srv/renamed.so
expect 0 "disable --library PATH: exit 0"
same "$preload" "/opt/x.so"
ok $? "disable removes the exact path given and any */libnoleak.so, nothing else"

# ---- refusals ------------------------------------------------------------------
printf '/opt/x.so\n' >"$preload"
cp "$preload" "$work/before"

# refused DESCRIPTION PATTERN ARGS...: enable ARGS refused, exit 1, with a
# message matching PATTERN, and the file as it was.
refused() {
	what=$1 pattern=$2
	shift 2
	sys enable "$@"
	expect 1 "refused, $what: exit 1" "$pattern"
	cmp -s "$preload" "$work/before" && no_temp
	ok $? "refused, $what: the file is as it was"
}

refused "a library that does not exist" \
	"refused: the library '$root/usr/lib/noleak/nothere.so' does not exist" \
	--library /usr/lib/noleak/nothere.so
refused "a relative path" "refused: the library 'usr/lib/noleak/libnoleak.so' is not an absolute path" \
	--library usr/lib/noleak/libnoleak.so
refused "a path with a colon" "the library path '/usr/lib/noleak/a:b.so' contains a colon, which the loader reads as the end of a path" \
	--library /usr/lib/noleak/a:b.so
refused "a path with a blank" "the library path '/usr/lib/noleak/a b.so' contains a blank" \
	--library '/usr/lib/noleak/a b.so'
refused "a path with a '#'" "the library path '/usr/lib/noleak/a#b.so' contains a '#'" \
	--library '/usr/lib/noleak/a#b.so'
refused "a path with a backslash" "the library path '/usr/lib/noleak/a\\\\tb.so' contains a backslash" \
	--library '/usr/lib/noleak/a\tb.so'

mkdir -p "$root/usr/lib/ww" "$root/usr/lib/gw" "$root/usr/lib/other"
cp "$root$L" "$root/usr/lib/ww/libnoleak.so" && chmod 666 "$root/usr/lib/ww/libnoleak.so"
refused "a library anyone can write" "'$root/usr/lib/ww/libnoleak.so' is writable by its group and by others" \
	--library /usr/lib/ww/libnoleak.so
cp "$root$L" "$root/usr/lib/gw/libnoleak.so" && chmod 775 "$root/usr/lib/gw"
refused "a library in a directory its group can write" "'$root/usr/lib/gw' is writable by its group" \
	--library /usr/lib/gw/libnoleak.so
if [ "$uid" = 0 ]; then
	cp "$root$L" "$root/usr/lib/other/libnoleak.so" && chown 65534 "$root/usr/lib/other/libnoleak.so"
	refused "a library another user owns" "'$root/usr/lib/other/libnoleak.so' belongs to user 65534, not root" \
		--library /usr/lib/other/libnoleak.so
else
	skip "refused, a library another user owns" "needs root to chown"
	skip "refused, a library another user owns: the file is as it was" "needs root to chown"
fi
ln -s libnoleak.so "$root/usr/lib/noleak/link.so"
refused "a symbolic link" "'$root/usr/lib/noleak/link.so' is a symbolic link" \
	--library /usr/lib/noleak/link.so
echo 'not a library' >"$root/usr/lib/noleak/text.so"
refused "a file that is not ELF" "'$root/usr/lib/noleak/text.so' is not an ELF file" \
	--library /usr/lib/noleak/text.so

# Another architecture: the library with e_machine made AArch64 (183),
# then with its class made 32-bit; the inspector reads the header.
cp "$root$L" "$root/usr/lib/noleak/arm.so"
printf '\267\000' | dd of="$root/usr/lib/noleak/arm.so" bs=1 seek=18 conv=notrunc 2>/dev/null
refused "a library of another machine" \
	"'$root/usr/lib/noleak/arm.so' is not of this host's architecture: '/bin/true' is built for another machine" \
	--library /usr/lib/noleak/arm.so
cp "$root$L" "$root/usr/lib/noleak/class32.so"
printf '\001' | dd of="$root/usr/lib/noleak/class32.so" bs=1 seek=4 conv=notrunc 2>/dev/null
refused "a library of another word size" \
	"'$root/usr/lib/noleak/class32.so' is not of this host's architecture: '/bin/true' is a 64-bit program and libnoleak is 32-bit" \
	--library /usr/lib/noleak/class32.so

# An ELF file of the right machine that the loader will not preload: a
# program (position-independent executables cannot be dlopened).
cp /bin/true "$root/usr/lib/noleak/program.so"
refused "a program, which the loader will not preload" \
	"LD_PRELOAD=$root/usr/lib/noleak/program.so /bin/true.*cannot be preloaded" \
	--library /usr/lib/noleak/program.so

# A link in place of the file: a rename would replace the link.
mv "$preload" "$etc/real-preload"
ln -s real-preload "$preload"
sys enable --library "$L"
expect 1 "refused, ld.so.preload is a symbolic link: exit 1" "'$preload' is a symbolic link (to 'real-preload')"
test -L "$preload" && cmp -s "$etc/real-preload" "$work/before"
ok $? "refused, ld.so.preload is a symbolic link: the link and its file are as they were"
rm "$preload"
mv "$etc/real-preload" "$preload"

# ---- the library gone --------------------------------------------------------
printf '/opt/x.so\n' >"$preload"
sys enable --library "$L"
mv "$root$L" "$work/saved.so"
sys status
expect 1 "status, the library named is missing: exit 1" "WARNING: $preload names $L, which does not exist"
printf '%s\n' "$err" | grep -qF "ERROR: ld.so: object '$L' from /etc/ld.so.preload cannot be preloaded"
ok $? "status quotes the loader's message every program would print" || diag "$err"
printf '%s\n' "$out" | grep -qx "library: $root$L is MISSING"
ok $? "status says MISSING on standard output too" || diag "$out"
sys disable
expect 0 "disable with the library gone: exit 0"
same "$preload" "/opt/x.so"
ok $? "disable with the library gone removes its entry, keeps the rest"
mv "$work/saved.so" "$root$L"

# ---- the configuration file ------------------------------------------------------
# $sysconfdir/noleak.conf of the library's build ($conf here), which is
# what the library reads: status judges that one, read from the library.
printf 'mode = enforce\n' >"$conf"
chmod 644 "$conf"
sys status
expect 3 "status with a sound configuration file, not enabled: exit 3"
printf '%s\n' "$out" | grep -qx "configuration: $conf"
ok $? "status names the library's configuration file, $NOLEAK_CONFIG_FILE" || diag "$out"
if [ "$NOLEAK_CONFIG_FILE" != /etc/noleak.conf ]; then
	printf 'mode = enforce\n' >"$etc/noleak.conf"
	chmod 666 "$etc/noleak.conf"
	sys status
	expect 3 "status, a bad /etc/noleak.conf the library does not read: exit 3"
	! printf '%s\n%s\n' "$out" "$err" | grep -q "$etc/noleak.conf"
	ok $? "status does not judge /etc/noleak.conf, which a library built for $NOLEAK_CONFIG_FILE never reads" ||
		diag "$out" "$err"
	rm -f "$etc/noleak.conf"
else
	skip "status, a bad /etc/noleak.conf the library does not read" "this build reads /etc/noleak.conf"
	skip "status does not judge /etc/noleak.conf" "this build reads /etc/noleak.conf"
fi
chmod 664 "$conf"
sys status
expect 1 "status, the configuration file writable by its group: exit 1" \
	"'$conf' is writable by group or others: the library ignores it"
if [ "$uid" = 0 ]; then
	chmod 644 "$conf" && chown 65534 "$conf"
	sys status
	expect 1 "status, the configuration file owned by another user: exit 1" \
		"'$conf' belongs to user 65534, not root: the library ignores it"
else
	skip "status, the configuration file owned by another user" "needs root to chown"
fi
rm -f "$conf"

# ---- the command line ---------------------------------------------------------
run system
expect 2 "no command: exit 2" "no command given"
run system frob
expect 2 "an unknown command: exit 2" "unknown command 'frob'"
run system enable --root "$work/nowhere"
expect 2 "a --root that is not a directory: exit 2" "invalid root '$work/nowhere'"
run system enable --library
expect 2 "--library without a value: exit 2" "option '--library' requires an argument"
run system enable --frob
expect 2 "an unknown option: exit 2" "unrecognized option '--frob'"
run system --help
expect 0 "--help: exit 0"
printf '%s\n' "$out" | grep -q 'noleak system enable'
ok $? "--help shows the commands" || diag "$out"

# ---- never half written ------------------------------------------------------------
# 3000 other entries (some 60 KiB, more than one write), then enable and
# disable by turns while a reader checksums the file as fast as it can:
# every read must be one of the two whole files.
i=0
while [ $i -lt 3000 ]; do
	echo "/opt/site/preload-number-$i.so"
	i=$((i + 1))
done >"$preload"
cp "$preload" "$work/off"
sys enable --library "$L"
cp "$preload" "$work/on"
on=$(cksum <"$work/on") off=$(cksum <"$work/off")
(
	n=0 bad=0
	while [ ! -e "$work/stop" ] && [ $n -lt 100000 ]; do
		sum=$(cksum <"$preload")
		[ "$sum" = "$on" ] || [ "$sum" = "$off" ] || bad=$((bad + 1))
		n=$((n + 1))
	done
	echo "$n $bad" >"$work/reads"
) &
reader=$!
cycles=0
while [ $cycles -lt 8 ]; do
	# shellcheck disable=SC2015 # break when either step fails
	sys disable && sys enable --library "$L" || break
	cycles=$((cycles + 1))
done
touch "$work/stop"
wait $reader
read -r reads bad <"$work/reads"
[ $cycles -eq 8 ] && [ "$bad" -eq 0 ] && [ "$reads" -ge 20 ]
ok $? "a reader never saw the file half written ($reads reads, $bad bad, over $cycles disable/enable cycles)"
no_temp
ok $? "no temporary file is left after the cycles"

# ---- the real /etc/ld.so.preload, in a private mount namespace ----------------------
# /etc is a copy bound over the real one (as secure.sh does), so the
# host's file is never written; the library is put in that copy, a path
# root owns.  A program started inside must map it after enable, not
# after disable.  libpicky loads through LD_PRELOAD only: enable must
# refuse it, which only the trial of the new file itself can tell.
picky=$NOLEAK_TESTS/.libs/libpicky.so
if [ "$uid" = 0 ] && unshare -m --propagation private true 2>/dev/null; then
	if [ -e /etc/ld.so.preload ]; then
		host_before=$(cksum </etc/ld.so.preload)
	else
		host_before=absent
	fi
	timeout -k 5 300 unshare -m --propagation private sh -c '
		work=$1 noleak=$2 library=$3 picky=$4 nothing=$5
		cp -a /etc "$work/etc-copy" && mount --bind "$work/etc-copy" /etc || exit 99
		mkdir -p /etc/noleak-test && cp "$library" /etc/noleak-test/libnoleak.so &&
			cp "$picky" /etc/noleak-test/libpicky.so &&
			cp "$nothing" /etc/noleak-test/libnothing.so || exit 99
		echo /etc/noleak-test/libnothing.so >>/etc/ld.so.preload
		cp /etc/ld.so.preload "$work/real-before"
		"$noleak" system enable --library /etc/noleak-test/libnoleak.so >"$work/real-enable" 2>&1
		echo "enable $?" >>"$work/real-status"
		sh -c "grep -q /etc/noleak-test/libnoleak.so /proc/\$\$/maps && echo mapped || echo absent" >"$work/real-maps-on" 2>&1
		"$noleak" system status >"$work/real-st" 2>&1
		echo "status $?" >>"$work/real-status"
		"$noleak" system disable >"$work/real-disable" 2>&1
		echo "disable $?" >>"$work/real-status"
		sh -c "grep -q /etc/noleak-test/libnoleak.so /proc/\$\$/maps && echo mapped || echo absent" >"$work/real-maps-off" 2>&1
		cp /etc/ld.so.preload "$work/real-after"
		env -i LD_PRELOAD=/etc/noleak-test/libpicky.so /bin/true
		echo "picky-env $?" >>"$work/real-status"
		rm /etc/ld.so.preload
		"$noleak" system enable --library /etc/noleak-test/libpicky.so >"$work/real-picky" 2>&1
		echo "picky $?" >>"$work/real-status"
		test ! -e /etc/ld.so.preload
		echo "picky-file $?" >>"$work/real-status"
	' system "$work" "$noleak" "$NOLEAK_LIBRARY" "$picky" "$NOLEAK_TESTS/.libs/libnothing.so"
	st=$?
	[ $st -eq 0 ]
	ok $? "the namespace ran (exit $st)" || diag "$(cat "$work/real-status" 2>&1)"
	grep -qx 'enable 0' "$work/real-status" && grep -q "^enabled: /etc/ld.so.preload names /etc/noleak-test/libnoleak.so" "$work/real-enable" &&
		! grep -q 'could not try' "$work/real-enable"
	ok $? "enable on the real /etc/ld.so.preload: exit 0, tried in a namespace of its own (no warning that it could not)" ||
		diag "$(cat "$work/real-enable" "$work/real-status" 2>&1)"
	test "$(cat "$work/real-maps-on" 2>&1)" = mapped
	ok $? "a program started after enable has the library in /proc/self/maps" ||
		diag "$(cat "$work/real-maps-on" 2>&1)"
	grep -qx 'status 0' "$work/real-status"
	ok $? "status: exit 0" || diag "$(cat "$work/real-st" 2>&1)"
	grep -qx 'disable 0' "$work/real-status" && test "$(cat "$work/real-maps-off" 2>&1)" = absent &&
		cmp -s "$work/real-before" "$work/real-after"
	ok $? "after disable a new program does not map it, and the file is as before enable" ||
		diag "$(cat "$work/real-disable" "$work/real-maps-off" "$work/real-after" 2>&1)"
	grep -qx 'picky-env 0' "$work/real-status"
	ok $? "libpicky loads through LD_PRELOAD" || diag "$(cat "$work/real-status")"
	grep -qx 'picky 1' "$work/real-status" && grep -qx 'picky-file 0' "$work/real-status" &&
		grep -q 'refused: /bin/true started with the new /etc/ld.so.preload exited 42' "$work/real-picky"
	ok $? "enable refuses libpicky, which the new file would not load, and writes no file" ||
		diag "$(cat "$work/real-picky" "$work/real-status" 2>&1)"
	if [ -e /etc/ld.so.preload ]; then
		host_after=$(cksum </etc/ld.so.preload)
	else
		host_after=absent
	fi
	# shellcheck disable=SC2010 # no hidden temporary of ld.so.preload
	[ "$host_before" = "$host_after" ] && [ ! -e /etc/noleak-test ] &&
		! ls -A /etc | grep -q '^\.ld\.so\.preload'
	ok $? "the host's own /etc/ld.so.preload is untouched ($host_after), nothing left in its /etc"
else
	skip "enable on the real /etc/ld.so.preload" "needs root and unshare -m"
fi

# ---- the loader itself: nothing on any program's standard error ---------------------
# In a private mount namespace, with a copy of /etc as above: from each
# starting file, enable, disable, enable, and after each step /bin/true
# started by the real loader must print nothing (the loader says
# "ERROR: ld.so: object ... cannot be preloaded" for each word of the
# file it cannot load).  The starting files: none; a stale entry of ours
# (an older path that no longer exists); a foreign library; the same
# with a comment after another, which glibc reads as libraries (so the
# start itself is noisy: the check can fail); a foreign library and a
# stale entry of ours on one line, by a colon.  And a GCC ASan program:
# it runs before enable, stops after it, runs with the option set.
asan=$NOLEAK_TESTS/asan
[ -x "$asan" ] || asan=
if [ "$uid" = 0 ] && unshare -m --propagation private true 2>/dev/null; then
	cat >"$work/loader.sh" <<'LOADER'
work=$1 noleak=$2 library=$3 nothing=$4 asan=$5
cp -a /etc "$work/etc-loader" && mount --bind "$work/etc-loader" /etc || exit 99
mkdir -p /etc/noleak-test && cp "$library" /etc/noleak-test/libnoleak.so &&
	cp "$nothing" /etc/noleak-test/libnothing.so || exit 99
lib=/etc/noleak-test/libnoleak.so
# look CASE STEP: /bin/true's stderr in $work/true-CASE-STEP, and a line
# "CASE STEP BYTES NOLEAK NOTHING" (what a new program maps) in results.
look() {
	env -i /bin/true 2>"$work/true-$1-$2"
	maps=$(env -i /bin/cat /proc/self/maps 2>/dev/null)
	n=absent t=absent
	case $maps in *"$lib"*) n=mapped ;; esac
	case $maps in */etc/noleak-test/libnothing.so*) t=mapped ;; esac
	echo "$1 $2 $(wc -c <"$work/true-$1-$2") $n $t" >>"$work/results"
}
# sequence CASE CONTENT: the file starts as CONTENT (none: no file).
sequence() {
	rm -f /etc/ld.so.preload
	[ "$2" = none ] || printf '%s\n' "$2" >/etc/ld.so.preload
	look "$1" start
	for step in enable disable enable2; do
		"$noleak" system "${step%2}" --library "$lib" >"$work/out-$1-$step" 2>&1
		echo "$1 $step exit $?" >>"$work/exits"
		look "$1" "$step"
	done
}
sequence none none
sequence stale /usr/lib/noleak-old/libnoleak.so
sequence foreign /etc/noleak-test/libnothing.so
sequence comments "# the site's preloads, first of all
/etc/noleak-test/libnothing.so     # a library of the site's own, in use"
sequence colon /etc/noleak-test/libnothing.so:/usr/lib/noleak-old/libnoleak.so
if [ -n "$asan" ]; then
	rm -f /etc/ld.so.preload
	env -i "$asan" >"$work/asan-off" 2>&1
	echo "asan-off $?" >>"$work/exits"
	"$noleak" system enable --library "$lib" >/dev/null 2>&1
	env -i "$asan" >"$work/asan-on" 2>&1
	echo "asan-on $?" >>"$work/exits"
	env -i ASAN_OPTIONS=verify_asan_link_order=0 "$asan" >"$work/asan-option" 2>&1
	echo "asan-option $?" >>"$work/exits"
fi
LOADER
	timeout -k 5 300 unshare -m --propagation private \
		sh "$work/loader.sh" "$work" "$noleak" "$NOLEAK_LIBRARY" "$NOLEAK_TESTS/.libs/libnothing.so" "$asan" \
		>"$work/loader-out" 2>&1
	st=$?
	[ $st -eq 0 ] && [ "$(wc -l <"$work/results")" = 20 ]
	ok $? "the loader's namespace ran (exit $st), 5 cases of 4 steps" ||
		diag "$(cat "$work/results" "$work/loader-out" 2>&1)"
	for case in none stale foreign comments colon; do
		grep -qx "$case enable exit 0" "$work/exits" && grep -qx "$case disable exit 0" "$work/exits" &&
			grep -qx "$case enable2 exit 0" "$work/exits"
		ok $? "from $case: enable, disable, enable all exit 0" ||
			diag "$(grep "^$case " "$work/exits")" "$(cat "$work/out-$case-"* 2>&1)"
		quiet=0
		for step in enable disable enable2; do
			[ -s "$work/true-$case-$step" ] && quiet=1
		done
		[ $quiet -eq 0 ]
		ok $? "from $case: after each of enable, disable, enable, /bin/true's standard error is empty" ||
			for step in enable disable enable2; do
				diag "after $step:" "$(cat "$work/true-$case-$step")"
			done
		want_t=absent
		[ "$case" = foreign ] || [ "$case" = comments ] || [ "$case" = colon ] && want_t=mapped
		want="$case enable 0 mapped $want_t
$case disable 0 absent $want_t
$case enable2 0 mapped $want_t"
		test "$(grep "^$case [a-z2]* " "$work/results" | grep -v " start ")" = "$want"
		ok $? "from $case: a new program maps libnoleak after enable, not after disable; $want_t the foreign library" ||
			diag "$(grep "^$case " "$work/results")"
	done
	# The checks above can fail: the starting files with a stale entry or
	# a later comment make the loader complain in every program.
	grep -q "ERROR: ld.so: object '/usr/lib/noleak-old/libnoleak.so' from /etc/ld.so.preload" \
		"$work/true-stale-start" &&
		grep -q "ERROR: ld.so: object 'library' from /etc/ld.so.preload" "$work/true-comments-start"
	ok $? "the loader does complain of a stale entry, and of a comment after another (glibc reads its words)" ||
		diag "$(cat "$work/true-stale-start" "$work/true-comments-start")"
	if [ -n "$asan" ]; then
		grep -qx 'asan-off 0' "$work/exits" && grep -qx 'asan program ran' "$work/asan-off"
		ok $? "an ASan program runs when the library is not enabled" || diag "$(cat "$work/asan-off")"
		! grep -qx 'asan-on 0' "$work/exits" &&
			grep -q 'ASan runtime does not come first in initial library list' "$work/asan-on"
		ok $? "host-wide, the ASan program stops at start, as libnoleak(7) says" || diag "$(cat "$work/asan-on")"
		grep -qx 'asan-option 0' "$work/exits" && grep -qx 'asan program ran' "$work/asan-option"
		ok $? "host-wide, ASAN_OPTIONS=verify_asan_link_order=0 runs it" || diag "$(cat "$work/asan-option")"
	else
		for t in "runs when not enabled" "stops host-wide" "runs with verify_asan_link_order=0"; do
			skip "an ASan program $t" "no ASan runtime: configure found none (tests/asan not built)"
		done
	fi
else
	skip "the loader's namespace" "needs root and unshare -m"
fi

done_testing
