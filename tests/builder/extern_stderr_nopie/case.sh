#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# extern_stderr_nopie: the same fix for a -no-pie -O2 program (absolute code, no copy of stderr).
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"
. "$XSPLICE_ROOT/tests/builder/extern_stderr_pie/check.sh"

project ticker "make CFLAGS='-O2 -g -fno-pie' LDFLAGS='-no-pie'"
readelf -h "$BIN" | grep -q "EXEC" || fail "the target is PIE"
stderr_cycle
