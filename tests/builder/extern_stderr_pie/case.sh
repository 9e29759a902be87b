#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# extern_stderr_pie: a fix adds fprintf(stderr, ...) to a PIE -O2 program that never used stderr.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"
. "$XSPLICE_ROOT/tests/builder/extern_stderr_pie/check.sh"

project ticker "make CFLAGS='-O2 -g -fPIE' LDFLAGS='-pie'"
readelf -h "$BIN" | grep -q 'DYN' || fail "the target is not PIE"
stderr_cycle
