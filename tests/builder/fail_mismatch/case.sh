#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# fail_mismatch: the running binary was built with other flags than --build: refused, naming the function.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project ticker "make CFLAGS='-O1 -g'"
BUILD_CMD="make CFLAGS='-O2 -g'"
refused 'report\.o \(linked into ticker\): build does not match the target: score \(report\.c\)' "$CASE_DIR/fix.diff"
