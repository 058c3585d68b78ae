#!/bin/sh
# SPDX-License-Identifier: MIT
# nothing-lost-process.sh: nothing-lost.sh in the process scope.
scope=process
. "$NOLEAK_SRCDIR/tests/nothing-lost.sh"
