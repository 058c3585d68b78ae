#!/bin/sh
# SPDX-License-Identifier: MIT
# nothing-lost-tree.sh: nothing-lost.sh in the tree scope.
scope=tree
. "$NOLEAK_SRCDIR/tests/nothing-lost.sh"
