#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# extern_env_pie: a fix reads environ (libc's, the program has no copy) and optarg (copied into the PIE program).
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project externs "make CFLAGS='-O2 -g -fPIE' LDFLAGS='-pie'" prog
readelf -h "$BIN" | grep -q 'DYN' || fail "the target is not PIE"
. "$XSPLICE_ROOT/tests/builder/extern_env_pie/cycle.sh"
