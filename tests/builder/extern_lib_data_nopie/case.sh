#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# extern_lib_data_nopie: (-no-pie) a fix in a PIE program reads and writes a variable only its shared library has.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project externs "make CFLAGS='-O2 -g -fno-pie' LDFLAGS='-no-pie'" prog
readelf -h "$BIN" | grep -q 'EXEC' || fail "the target is PIE"
. "$XSPLICE_ROOT/tests/builder/extern_lib_data_pie/cycle.sh"
