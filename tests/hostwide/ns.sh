#!/bin/bash
# SPDX-License-Identifier: MIT
# ns.sh MODE LIBRARY COMMAND...: run COMMAND as if the library were
# deployed host-wide (MODE "with": named in /etc/ld.so.preload) or not
# (MODE "without"), in a mount and pid namespace of its own, so that the
# host never sees either.
#
# /etc in the namespace is an overlay: the host's /etc below, a tmpfs
# above.  /etc/ld.so.preload is written (or, for "without", removed) in
# the tmpfs only, so the host's file, present or not, is never touched,
# and whatever COMMAND writes under /etc (a maintainer script's
# /etc/timezone) stays in the namespace too.  The library is copied into
# the same tmpfs, so a rebuild during a run changes nothing.  The pid
# namespace ends every process COMMAND left behind (daemons, detached
# helpers) when COMMAND ends: the kernel kills them with its first
# process.  Host-wide means no environment: LD_PRELOAD and every
# NOLEAK_* variable are taken out.
#
# HOSTWIDE_SECONDS (default 300) bounds the whole run: past it, what
# every process in the namespace is doing (state, kernel wait, command
# line, descriptors) goes to standard error, then unshare's session gets
# TERM, 10 s later KILL, and with unshare (--kill-child) the namespace
# goes; status 124 then.
# HOSTWIDE_NET=private gives COMMAND a network namespace of its own with
# only the loopback up (no clash of test ports between parallel runs).
#
# Before COMMAND runs, a probe asserts the deployment: under "with", a
# fresh program (grep, reading its own /proc/self/maps) has the library
# mapped; under "without", it has not.  Exit status: COMMAND's, or 125
# when the namespace could not be set up or the probe disagreed.
set -u

mode=${1:?usage: ns.sh with|without LIBRARY COMMAND...}
lib=${2:?usage: ns.sh with|without LIBRARY COMMAND...}
shift 2
case $mode in with|without) ;; *) echo "ns.sh: mode is with or without" >&2; exit 125 ;; esac

# dump PID: every process in the pid namespace of PID's child: its
# state, where it waits in the kernel, its command line, its descriptors.
dump() {
	local c ns='' p sid
	c=$(cut -d' ' -f1 "/proc/$1/task/$1/children" 2>/dev/null)
	[ -z "$c" ] || ns=$(readlink "/proc/$c/ns/pid" 2>/dev/null)
	[ -n "$ns" ] || echo "(unshare, pid $1, has no child: by session)"
	# shellcheck disable=SC2010 # the digit names of /proc, in numeric order
	for p in $(ls /proc | grep -E '^[0-9]+$' | sort -n); do
		if [ -n "$ns" ]; then
			[ "$(readlink "/proc/$p/ns/pid" 2>/dev/null)" = "$ns" ] || continue
		else
			sid=$(awk '{ print $6 }' "/proc/$p/stat" 2>/dev/null)
			[ "$sid" = "$1" ] || continue
		fi
		echo "--- pid $p ($(awk '{ print "ppid " $4 ", state " $3 }' "/proc/$p/stat" 2>/dev/null)," \
			"wchan $(cat "/proc/$p/wchan" 2>/dev/null)): $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
		# shellcheck disable=SC2012 # fd numbers and link targets, for a person to read
		ls -l "/proc/$p/fd" 2>/dev/null | awk 'NR > 1 { print "    fd " $9 " -> " $11 }'
		sed 's/^/    /' "/proc/$p/stack" 2>/dev/null | head -n 8
	done
}

if [ -z "${HOSTWIDE_INSIDE-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "ns.sh: needs root (mount namespaces)" >&2; exit 125; }
	[ "$mode" = without ] || [ -r "$lib" ] || { echo "ns.sh: no library $lib" >&2; exit 125; }
	# The mount point: the only thing made on the host, removed at the end.
	mnt=$(mktemp -d "${TMPDIR:-/tmp}/noleak-hostwide.XXXXXX") || exit 125
	net=
	[ "${HOSTWIDE_NET-}" != private ] || net=--net
	# Every signal back to its default: a background job of a script
	# starts with SIGINT and SIGQUIT ignored, which is no host's state.
	HOSTWIDE_INSIDE=$mnt env --default-signal setsid unshare --mount --propagation private --pid \
		--fork $net --mount-proc --kill-child=KILL -- \
		"$BASH" "${BASH_SOURCE[0]}" "$mode" "$lib" "$@" &
	up=$!
	# The watchdog: past the deadline, what every process of the
	# namespace was doing goes to standard error, then TERM, then KILL.
	deadline=$(( $(date +%s) + ${HOSTWIDE_SECONDS:-300} ))
	hung=
	while kill -0 "$up" 2>/dev/null; do
		if [ -z "$hung" ] && [ "$(date +%s)" -ge "$deadline" ]; then
			hung=1
			echo "ns.sh: still running after ${HOSTWIDE_SECONDS:-300} s; in the namespace:" >&2
			dump "$up" >&2
			kill -TERM -- "-$up" 2>/dev/null
			deadline=$(( $(date +%s) + 10 ))
		elif [ -n "$hung" ] && [ "$(date +%s)" -ge "$deadline" ]; then
			kill -KILL -- "-$up" 2>/dev/null
		fi
		sleep 1
	done
	wait "$up"
	st=$?
	[ -z "$hung" ] || st=124
	rmdir "$mnt" 2>/dev/null || echo "ns.sh: could not remove $mnt" >&2
	exit $st
fi

# Inside: pid 1 of the new pid namespace, in a private mount namespace.
mnt=$HOSTWIDE_INSIDE
unset HOSTWIDE_INSIDE LD_PRELOAD
for v in $(env | sed -n 's/^\(_\{0,1\}NOLEAK_[A-Za-z0-9_]*\)=.*/\1/p'); do
	unset "$v"
done
fail() { echo "ns.sh: $*" >&2; exit 125; }
[ "${HOSTWIDE_NET-}" != private ] || ip link set lo up || fail "loopback up"
mount -t tmpfs -o size=256m,mode=755 noleak-hostwide "$mnt" || fail "tmpfs on $mnt"
mkdir "$mnt/upper" "$mnt/work" "$mnt/lib" || fail "mkdir in $mnt"
mount -t overlay noleak-hostwide-etc \
	-o "lowerdir=/etc,upperdir=$mnt/upper,workdir=$mnt/work" /etc || fail "overlay on /etc"
if [ "$mode" = with ]; then
	cp "$lib" "$mnt/lib/libnoleak.so" || fail "copy $lib"
	echo "$mnt/lib/libnoleak.so" >/etc/ld.so.preload || fail "write /etc/ld.so.preload"
	grep -q 'noleak-hostwide.*/libnoleak\.so$' /proc/self/maps ||
		fail "probe: the library is not mapped in a new program"
else
	rm -f /etc/ld.so.preload || fail "remove /etc/ld.so.preload in the overlay"
	! grep -q 'libnoleak' /proc/self/maps || fail "probe: a library is mapped without it"
fi
"$@"
