#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# extern_stderr_O0: the same fix for a PIE -O0 program.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"
. "$XSPLICE_ROOT/tests/builder/extern_stderr_pie/check.sh"

project ticker "make CFLAGS='-O0 -g -fPIE' LDFLAGS='-pie'"
readelf -h "$BIN" | grep -q 'DYN' || fail "the target is not PIE"
stderr_cycle
