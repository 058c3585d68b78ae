# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034 # $ns: read by the scripts that source it
# lib.sh: what the components of `make check-hostwide` share; sourced by
# tests/hostwide/*.sh.  Each component runs somebody else's test suite
# twice through ns.sh, with the library in /etc/ld.so.preload and
# without it, and writes one line of the summary table to
# $HOSTWIDE_RESULTS/summary (tab-separated):
#
#   component  run  failed-without  failed-with  library-only-names
#
# library-only-names is "-" or a space-separated list; a hang under the
# library is one of them, named "NAME(hang)".

: "${NOLEAK_SRCDIR:?NOLEAK_SRCDIR: the source tree}"
: "${NOLEAK_LIBRARY:?NOLEAK_LIBRARY: the library to deploy}"
# Sources and builds are cached here between runs (they are large).
: "${HOSTWIDE_WORK:=/var/tmp/noleak-hostwide}"
# Logs and the summary of this run.
: "${HOSTWIDE_RESULTS:=$HOSTWIDE_WORK/results}"
export HOSTWIDE_WORK HOSTWIDE_RESULTS
mkdir -p "$HOSTWIDE_WORK" "$HOSTWIDE_RESULTS" || exit 2

ns=$NOLEAK_SRCDIR/tests/hostwide/ns.sh

# note MESSAGE...: progress, to standard error with the time.
note() {
	echo "hostwide: $(date +%T) $*" >&2
}

# summary COMPONENT RUN FAIL_WITHOUT FAIL_WITH LIBONLY...: one table line.
summary() {
	local c=$1 r=$2 fo=$3 fw=$4
	shift 4
	local names="$*"
	printf '%s\t%s\t%s\t%s\t%s\n' "$c" "$r" "$fo" "$fw" "${names:--}" \
		>>"$HOSTWIDE_RESULTS/summary"
}

# source_package NAME DIR-GLOB: unpack Debian 12's source package NAME
# into $HOSTWIDE_WORK (apt-get source; needs deb-src lines) unless a
# directory matching DIR-GLOB is there already; prints its path.
source_package() {
	local name=$1 glob=$2 d
	for d in "$HOSTWIDE_WORK"/$glob; do
		[ -d "$d" ] && { echo "$d"; return 0; }
	done
	note "apt-get source $name"
	(cd "$HOSTWIDE_WORK" && apt-get source "$name" >"$HOSTWIDE_WORK/source-$name.log" 2>&1) ||
		{ echo "hostwide: apt-get source $name failed: see $HOSTWIDE_WORK/source-$name.log" >&2; return 1; }
	for d in "$HOSTWIDE_WORK"/$glob; do
		[ -d "$d" ] && { echo "$d"; return 0; }
	done
	return 1
}

# build_deps NAME...: apt-get build-dep, when root and something is missing.
build_deps() {
	[ "$(id -u)" = 0 ] || return 0
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 \
		build-dep -y "$@" >"$HOSTWIDE_RESULTS/build-dep.log" 2>&1 ||
		note "apt-get build-dep $* failed (see $HOSTWIDE_RESULTS/build-dep.log); going on"
}
