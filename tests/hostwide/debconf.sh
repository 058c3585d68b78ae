#!/bin/bash
# SPDX-License-Identifier: MIT
# debconf.sh [PACKAGE...]: apt, dpkg and debconf, host-wide.  Packages
# whose maintainer scripts talk to debconf (tzdata, locales: the
# confmodule protocol runs over pipes and descriptors handed from
# debconf to the script, dpkg reports to apt over --status-fd) are
# reinstalled with `apt-get install --reinstall` and reconfigured with
# `dpkg-reconfigure -f noninteractive`, each once plainly and once under
# a pty (script(1)), in ns.sh with the library in /etc/ld.so.preload and
# without it.  Each step must succeed with the library exactly when it
# succeeds without, and leave the same answer (/etc/timezone).  The
# packages are reinstalled at their installed version; what the scripts
# write under /etc stays in the namespace's overlay.  DEBCONF_SECONDS
# bounds each step (600).  Logs: $HOSTWIDE_RESULTS/debconf/.
. "$NOLEAK_SRCDIR/tests/hostwide/lib.sh"

DEBCONF_SECONDS=${DEBCONF_SECONDS:-600}
[ $# -gt 0 ] || set -- tzdata locales
out=$HOSTWIDE_RESULTS/debconf
rm -rf "$out" && mkdir -p "$out" || exit 2
[ "$(id -u)" = 0 ] || { echo "hostwide: debconf.sh needs root" >&2; exit 2; }

apt_get="apt-get -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0 -y"
# One step: a name and a command line (sh).
steps=
for p in "$@"; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		{ note "debconf: $p is not installed; skipped"; continue; }
	# The installed version exactly: a reinstall must not upgrade the host.
	v=$(dpkg-query -W -f '${Version}' "$p")
	apt-get -s install --reinstall "$p=$v" >/dev/null 2>&1 ||
		{ note "debconf: $p $v cannot be downloaded again; skipped"; continue; }
	steps="$steps
$p:reinstall	$apt_get install --reinstall $p=$v
$p:reconfigure	dpkg-reconfigure -f noninteractive $p
$p:reinstall-pty	script -qefc '$apt_get install --reinstall $p=$v' /dev/null
$p:reconfigure-pty	script -qefc 'dpkg-reconfigure -f noninteractive $p' /dev/null"
done
# The state a step leaves behind, compared between the two runs (all of
# it goes to the .state file: the braces in the step's command line).
state='cat /etc/timezone 2>/dev/null; readlink /etc/localtime; dpkg-query -W -f "\${Status}\n" '"$*"

run=0 fail_without=0 fail_with=0 libonly=
while IFS='	' read -r name cmd; do
	[ -n "$name" ] || continue
	run=$((run + 1))
	for m in without with; do
		log=$out/${name//:/.}.$m.log
		HOSTWIDE_SECONDS=$DEBCONF_SECONDS "$ns" "$m" "$NOLEAK_LIBRARY" \
			env DEBIAN_FRONTEND=noninteractive sh -c "$cmd; st=\$?; { $state; } >'$log.state'; exit \$st" \
			</dev/null >"$log" 2>&1
		echo $? >"$log.status"
	done
	so=$(cat "$out/${name//:/.}.without.log.status") sw=$(cat "$out/${name//:/.}.with.log.status")
	[ "$so" = 0 ] || fail_without=$((fail_without + 1))
	[ "$sw" = 0 ] || fail_with=$((fail_with + 1))
	if [ "$sw" != "$so" ]; then
		libonly="$libonly $name(status-$sw)"
	elif ! cmp -s "$out/${name//:/.}.without.log.state" "$out/${name//:/.}.with.log.state"; then
		libonly="$libonly $name(state)"
	fi
	note "debconf: $name: status $so without, $sw with"
done <<EOF
$steps
EOF
# shellcheck disable=SC2086 # the names, one a word: the last arguments
summary debconf "$run" "$fail_without" "$fail_with" $libonly
[ -z "$libonly" ]
