#!/bin/bash
# SPDX-License-Identifier: MIT
# repro-env.sh: finding 2 of doc/hostwide-findings.md.  Deployed
# host-wide, the library's constructor puts _NOLEAK_PID=<its own pid>
# into the environment of every program that starts without it, even one
# started with an environment built from scratch: `env -i A=1 env` prints
# two lines instead of one.  Prints both outputs; exits 1 when they
# differ.  Needs root (ns.sh).
here=$(cd "$(dirname "$0")" && pwd)
lib=${NOLEAK_LIBRARY:-$here/../../shim/.libs/libnoleak.so}
without=$("$here/ns.sh" without "$lib" env -i A=1 /usr/bin/env)
with=$("$here/ns.sh" with "$lib" env -i A=1 /usr/bin/env)
# shellcheck disable=SC2086,SC2116 # the output on one line
echo "without the library: $(echo $without)"
# shellcheck disable=SC2086,SC2116 # the output on one line
echo "with the library:    $(echo $with)"
[ "$without" = "$with" ]
