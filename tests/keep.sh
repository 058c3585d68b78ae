#!/bin/sh
# SPDX-License-Identifier: MIT
# keep.sh: keep-list entries that name what a descriptor is.  A's listener
# and lock reach B when --keep names them (tcp:PORT, tcp:ADDR:PORT,
# path:GLOB), and only then; the library names a bad entry in NOLEAK_KEEP
# and still applies the good ones.  (The wrapper's refusal of bad --keep
# entries is tested in one place, wrapper.sh.)
. "$NOLEAK_SRCDIR/tests/tap.sh"
. "$NOLEAK_SRCDIR/tests/daemons.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-keep.XXXXXX") || exit 99
trap 'stop_all; rm -rf "$work"' EXIT

# look: check B, into $work/check.out.  False, with what check said, when
# check did not report on B ("PID cat: ..."): a "! holds" that follows is
# then not asked, since an absence in no report proves nothing.
look() {
	"$noleak" check "$b" >"$work/check.out" 2>&1
	grep -q "^$b cat: " "$work/check.out" && return 0
	diag "check did not report on B ($b):" "$(cat "$work/check.out")"
	return 1
}

# holds WHAT: whether check's last report on B lists a descriptor
# described by WHAT (grep -E).
holds() {
	grep -Eq "^ +fd [0-9]+ +$1" "$work/check.out"
}

start probe "$noleak" --	# a free port, held by nobody once A is gone
stop_all
free=$port

PORT=$free start both "$noleak" --keep "tcp:$free" --keep "path:$work/*.lock" --
look && holds "tcp 127.0.0.1:$free LISTEN" && holds "$work/both.lock"
ok $? "--keep tcp:PORT --keep path:GLOB: B gets A's listener and lock"
stop_all

PORT=$free start addr "$noleak" -k "tcp:127.0.0.1:$free" --
look && holds "tcp 127.0.0.1:$free LISTEN" && ! holds "$work/addr.lock"
ok $? "--keep tcp:ADDR:PORT: B gets the listener, and not the lock"
stop_all

PORT=$free start other "$noleak" --keep "tcp:$((free % 65535 + 1)),udp:$free,tcp:10.9.8.7:$free,path:$work/*.nope" --
look && ! holds "tcp " && ! holds "$work/other.lock"
ok $? "entries naming another port, protocol, address or path keep nothing"
stop_all

PORT=$free NOLEAK_KEEP="tcp:1.2.3:80,tcp:$free" start env "$noleak" --
r=0
grep -q "NOLEAK_KEEP: ignoring 'tcp:1.2.3:80': not an IPv4 address" "$work/env.out" || r=1
look && holds "tcp 127.0.0.1:$free LISTEN" || r=1
ok $r "NOLEAK_KEEP: a bad address is named, and the good entry still keeps the listener"
[ $r -eq 0 ] || diag "$(cat "$work/env.out")"
stop_all

PORT=$free NOLEAK_KEEP="$(head -c 3000 /dev/urandom | tr -d '\000'),tcp:$free" start random "$noleak" --
r=0
n=$(grep -c 'NOLEAK_KEEP' "$work/random.out")
[ "$n" -ge 1 ] && [ "$n" -le 4 ] || r=1
grep -q '^started' "$work/random.out" || r=1
look && holds "tcp 127.0.0.1:$free LISTEN" && ! holds "$work/random.lock" || r=1
ok $r "3,000 random bytes in NOLEAK_KEEP: at most four lines, the valid entry applies, nothing else is kept"
[ $r -eq 0 ] || diag "$(cat "$work/random.out")"
stop_all

done_testing
