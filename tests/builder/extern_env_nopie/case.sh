#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# extern_env_nopie: (-no-pie) a fix reads environ (libc's, the program has no copy) and optarg (copied into the PIE program).
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project externs "make CFLAGS='-O2 -g -fno-pie' LDFLAGS='-no-pie'" prog
readelf -h "$BIN" | grep -q 'EXEC' || fail "the target is PIE"
. "$XSPLICE_ROOT/tests/builder/extern_env_pie/cycle.sh"
