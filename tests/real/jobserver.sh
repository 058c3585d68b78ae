#!/bin/bash
# SPDX-License-Identifier: MIT
# jobserver.sh: GNU make's jobserver reaching a cargo-style client.  A
# recipe marked recursive (+) runs a client that, as cargo does, reads the
# jobserver from CARGO_MAKEFLAGS (set to make's MAKEFLAGS) or MAKEFLAGS,
# parses --jobserver-auth=R,W and takes a token from descriptor R; a
# second client runs as cargo's build scripts do, in a grandchild that
# sees only CARGO_MAKEFLAGS.  Under noleak each must get its token.
. "$NOLEAK_SRCDIR/tests/real/real.sh"
need make make

cat >"$work/client.py" <<'PY'
import os, re, select, subprocess, sys
flags = os.environ.get("CARGO_MAKEFLAGS") or os.environ.get("MAKEFLAGS", "")
if sys.argv[1:] == ["cargo"]:
    # What cargo does for a build script: the jobserver in CARGO_MAKEFLAGS
    # only, the descriptors left open.
    env = dict(os.environ, CARGO_MAKEFLAGS=flags)
    env.pop("MAKEFLAGS", None)
    env.pop("MFLAGS", None)
    sys.exit(subprocess.run([sys.executable, sys.argv[0]], env=env, close_fds=False).returncode)
m = re.search(r"--jobserver-(?:auth|fds)=(\d+),(\d+)", flags)
if not m:
    sys.exit("no --jobserver-auth in %r" % flags)
r, w = int(m.group(1)), int(m.group(2))
try:
    ready, _, _ = select.select([r], [], [], 5)
    if not ready:
        sys.exit("no token on fd %d within 5 s" % r)
    token = os.read(r, 1)
    os.write(w, token)
except OSError as e:
    sys.exit("jobserver fds %d,%d: %s" % (r, w, e))
print("got a token")
PY
cat >"$work/Makefile" <<MAKE
all: direct cargo
direct:
	+@CARGO_MAKEFLAGS="\$(MAKEFLAGS)" $py $work/client.py
cargo:
	+@$py $work/client.py cargo
MAKE

for mode in $modes; do
	for target in direct cargo; do
		wrap "$mode"
		out=$(cd "$work" && timeout 30 "${nl[@]}" make -j4 -s $target 2>&1)
		[ "$out" = "got a token" ]
		check $? "$mode: make -j4: a $target client takes a jobserver token" "$out"
	done
done

done_testing
