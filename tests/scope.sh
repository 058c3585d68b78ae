#!/bin/sh
# SPDX-License-Identifier: MIT
# scope.sh: the process scope follows the daemon, not its pid (libnoleak(7),
# THE PROCESS SCOPE).  tests/reload is a leaky daemon that daemonizes,
# reloads by re-executing itself (finding its listener again by looking
# through its descriptors, as uWSGI does) and upgrades its binary as nginx
# does; every generation must run with the library, keep its listener,
# and start programs that get none of it.  A daemon started by a shell
# script or a launcher is protected too; flock(1)'s command holds its
# lock.  Without the library, each case shows the leak.
. "$NOLEAK_SRCDIR/tests/tap.sh"

reload=$NOLEAK_TESTS/reload
work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-scope.XXXXXX") || exit 99
sleepers=
# shellcheck disable=SC2154 # p: the trap's own loop variable
trap 'for p in $sleepers; do kill -9 "$p" 2>/dev/null; done; rm -rf "$work"' EXIT

# wait_done DIR: until DIR/done exists (at most 10 s).
wait_done() {
	i=0
	while [ ! -e "$1/done" ] && [ $i -lt 100 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	[ -e "$1/done" ]
}

# field DIR GEN NAME: the value of NAME in DIR/gen-GEN.
field() {
	sed -n "s/^$3 //p" "$1/gen-$2" 2>/dev/null
}

# generations WHO DIR FIRST LAST LIBRARY: checks of generations FIRST to
# LAST in DIR: the library mapped (LIBRARY yes) or not, the listener
# found again, and whether the system() child got it (yes without the
# library: the leak; no with it).
generations() {
	who=$1 dir=$2 first=$3 last=$4 lib=$5
	g=$first
	while [ "$g" -le "$last" ]; do
		l=$(field "$dir" "$g" listener)
		[ -n "$l" ] && [ "$l" != none ]
		ok $? "$who: generation $g found its listener again" || diag "$(cat "$dir/gen-$g" 2>&1)"
		[ "$(field "$dir" "$g" library)" = "$lib" ]
		ok $? "$who: generation $g runs with the library: $lib" || diag "$(cat "$dir/gen-$g" 2>&1)"
		case " $(field "$dir" "$g" child) " in
		*" $l "*) got=yes ;;
		*) got=no ;;
		esac
		if [ "$lib" = yes ]; then
			[ "$got" = no ]
			ok $? "$who: generation $g's system() child does not get the listener" ||
				diag "$(cat "$dir/gen-$g" 2>&1)"
		else
			[ "$got" = yes ]
			ok $? "$who: generation $g's system() child gets the listener (the leak)" ||
				diag "$(cat "$dir/gen-$g" 2>&1)"
		fi
		g=$((g + 1))
	done
}

# ---- daemonize, then reload twice; reload in place ---------------------------
for mode in daemonize inplace; do
	d=$work/none-$mode
	mkdir -p "$d"
	timeout -k 5 20 "$reload" "$d" $mode 2
	wait_done "$d"
	ok $? "without the library, $mode: the daemon ran three generations"
	generations "without the library, $mode" "$d" 0 2 no
	for scope in process tree; do
		d=$work/$scope-$mode
		mkdir -p "$d"
		timeout -k 5 20 "$NOLEAK_WRAPPER" -s $scope -- "$reload" "$d" $mode 2
		wait_done "$d"
		ok $? "$scope, $mode: the daemon ran three generations"
		generations "$scope, $mode" "$d" 0 2 yes
	done
done

# ---- what a report says of a reload in place ---------------------------------
# The reload hands its listener to its new image on purpose (R7): neither
# audit nor a log accuses it of leaking into the daemon, while both name
# the listener where it does go, into the system() child of generation 0.
for how in --audit --log=stderr; do
	for scope in process tree; do
		d=$work/report$how-$scope
		mkdir -p "$d"
		out=$(timeout -k 5 20 "$NOLEAK_WRAPPER" "$how" -s $scope -- "$reload" "$d" inplace 1 2>&1)
		wait_done "$d"
		child=$(printf '%s\n' "$out" | grep -c "fd [0-9]* (tcp 127.0.0.1:[0-9]* LISTEN).* into ls ")
		self=$(printf '%s\n' "$out" | grep -c "LISTEN).* into $reload")
		[ "$child" -ge 1 ] && [ "$self" = 0 ] && [ "$(field "$d" 1 listener)" != none ]
		ok $? "$scope, $how: a reload in place is not reported as a leak into the daemon; the child's is ($child line(s))" ||
			diag "$out"
	done
done

# ---- nginx's binary upgrade: a new environment built from scratch -------------
d=$work/none-upgrade
mkdir -p "$d"
timeout -k 5 20 "$reload" "$d" upgrade 1
wait_done "$d"
[ "$(field "$d" 1 library)" = no ] && [ "$(field "$d" 1 listener)" != none ]
ok $? "without the library, upgrade: the new master gets the listener NGINX names" ||
	diag "$(cat "$d/gen-1" 2>&1)"
for scope in process tree; do
	d=$work/$scope-upgrade
	mkdir -p "$d"
	timeout -k 5 20 "$NOLEAK_WRAPPER" -s $scope -- "$reload" "$d" upgrade 1
	wait_done "$d"
	[ "$(field "$d" 1 library)" = yes ]
	ok $? "$scope, upgrade: the new master, started with only TZ and NGINX, still runs with the library" ||
		diag "$(cat "$d/gen-1" 2>&1)"
	l=$(field "$d" 1 listener)
	[ -n "$l" ] && [ "$l" != none ]
	ok $? "$scope, upgrade: the new master gets the listener NGINX names" ||
		diag "$(cat "$d/gen-1" 2>&1)"
done

# ---- a shell script or a launcher starts the daemon without exec -------------
# (the init script's way: the shell is never the daemon).
starts() {
	desc=$1
	shift
	d=$work/start-$(printf '%s' "$desc" | tr -c 'a-z0-9' '-')
	mkdir -p "$d"
	timeout -k 5 20 "$NOLEAK_WRAPPER" -- "$@" "$reload" "$d" inplace 0 >/dev/null 2>&1
	wait_done "$d"
	ok $? "process: $desc starts the daemon"
	generations "process, $desc" "$d" 0 0 yes
}
starts "sh -c 'daemon &'" sh -c '"$@" & wait' sh
starts "bash -c 'daemon; true'" bash -c '"$@"; true' bash
starts "a shell script that calls a shell script" sh -c 'sh -c "\"\$@\"; true" sh "$@"; true' sh
# A build or a login has a large environment; dash's vfork children
# rewrite it on the shell's own stack (libnoleak(7), LIMITATIONS).
# shellcheck disable=SC2046 # 150 NAME=VALUE words, split on purpose
starts "a shell script that calls a shell script, 150 more variables" \
	env $(seq 150 | sed 's/^/NOLEAK_SCOPE_VAR_/; s/$/=a-value-of-some-length/') \
	sh -c 'sh -c "\"\$@\"; true" sh "$@"; true' sh
starts "timeout" timeout 10
starts "setsid --fork --wait" setsid --fork --wait
if command -v busybox >/dev/null 2>&1; then
	starts "busybox sh -c 'daemon; true'" busybox sh -c '"$@"; true' sh
	starts "busybox timeout" busybox timeout 10
	out=$(cd "$work" && timeout -k 5 20 "$NOLEAK_WRAPPER" -- busybox sh -c 'cat /proc/self/fd/3 3</etc/hostname' 2>&1)
	[ "$out" = "$(cat /etc/hostname)" ]
	ok $? "busybox sh is still a shell: cmd 3<file reads the file" || diag "$out"
else
	skip "busybox" "busybox is not installed"
fi

# ---- roles as data: the configuration file's row, not the program's name -----
# A vendor launcher under a name of its own: not a launcher by name (the
# daemon it starts runs without the library: the leak), one by its row.
mkdir -p "$work/vendor"
cp "$(command -v timeout)" "$work/vendor/vendor-start"
printf '[%s]\nrole = launcher\n' "$work/vendor/vendor-start" >"$work/roles.conf"
starts_as() {
	desc=$1 conf=$2 lib=$3
	shift 3
	d=$work/role-$(printf '%s' "$desc" | tr -c 'a-z0-9' '-')
	mkdir -p "$d"
	NOLEAK_CONFIG=$conf timeout -k 5 20 "$NOLEAK_WRAPPER" -- "$@" "$reload" "$d" inplace 0 >/dev/null 2>&1
	wait_done "$d"
	ok $? "process: $desc starts the daemon"
	generations "process, $desc" "$d" 0 0 "$lib"
}
starts_as "vendor-start (timeout under another name), no row" "" no \
	"$work/vendor/vendor-start" 10
starts_as "vendor-start, its row says role = launcher" "$work/roles.conf" yes \
	"$work/vendor/vendor-start" 10
# And a name that says launcher, taken back by a row.
cp "$(command -v timeout)" "$work/vendor/timeout"
printf '[%s]\nrole = none\n' "$work/vendor/timeout" >"$work/none.conf"
starts_as "timeout, its row says role = none" "$work/none.conf" no \
	"$work/vendor/timeout" 10
starts_as "timeout, no row" "" yes "$work/vendor/timeout" 10

# ---- a row names another file as the daemon's own program (reexec) ----------
# The daemon (copy A) upgrades by executing its argv[0], here copy B:
# another file, so not its own program, and in the process scope the new
# master runs without the library; its row's "reexec = B" makes it its own.
cp "$reload" "$work/vendor/reload-a"
cp "$reload" "$work/vendor/reload-b"
printf '[%s]\nreexec = %s\n' "$work/vendor/reload-a" "$work/vendor/reload-b" >"$work/reexec.conf"
for conf in "" "$work/reexec.conf"; do
	d=$work/reexec-none
	[ -z "$conf" ] || d=$work/reexec-row
	mkdir -p "$d"
	NOLEAK_CONFIG=$conf timeout -k 5 20 "$NOLEAK_WRAPPER" -- bash -c 'exec -a "$0" "$@"' \
		"$work/vendor/reload-b" "$work/vendor/reload-a" "$d" upgrade 1 >/dev/null 2>&1
	wait_done "$d"
	if [ -z "$conf" ]; then
		[ "$(field "$d" 1 library)" = no ]
		ok $? "process, upgrade to another file, no row: the new master runs without the library" ||
			diag "$(cat "$d/gen-1" 2>&1)"
	else
		[ "$(field "$d" 1 library)" = yes ]
		ok $? "process, upgrade to another file its row names (reexec): the new master runs with the library" ||
			diag "$(cat "$d/gen-1" 2>&1)"
	fi
done

# ---- flock(1): the command holds the lock, even once flock is gone -----------
# lock_held SCOPE: run flock LOCK sleep under the library (SCOPE none:
# without), kill -9 flock, then see whether the lock is still held.
lock_held() {
	lock=$work/$1.lock
	if [ "$1" = none ]; then
		flock "$lock" sleep 30 &
	else
		"$NOLEAK_WRAPPER" -s "$1" -- flock "$lock" sleep 30 &
	fi
	pid=$!
	i=0
	while flock -n "$lock" true 2>/dev/null && [ $i -lt 50 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	s=$(ps -o pid= --ppid "$pid" | tr -d ' ')
	sleepers="$sleepers $s"
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	! flock -n "$lock" true
}
lock_held none
ok $? "without the library: flock's command holds the lock after kill -9 flock"
for scope in process tree; do
	lock_held $scope
	ok $? "$scope: flock's command holds the lock after kill -9 flock"
done

done_testing
