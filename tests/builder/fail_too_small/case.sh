#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# fail_too_small: hook() is a lone "ret" (1 byte): no room for a jump: refused.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project ticker make
refused 'calc\.c: hook: function of 1 bytes is too small for a 5-byte jump' "$CASE_DIR/fix.diff"
