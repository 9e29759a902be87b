#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# stale_lines: a -p0 diff whose hunk line numbers are off by 9 still applies.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project ticker make
xs_build_ok "$CASE_DIR/fix.diff"
cycle ' score=[0-6] ' ' score=10[0-6] '
