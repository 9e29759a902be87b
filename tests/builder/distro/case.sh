#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# distro: -O2 -g -fPIE -pie -fcf-protection=full -fstack-protector-strong, header change across two files.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project ticker "make CFLAGS='-O2 -g -fPIE -fcf-protection=full -fstack-protector-strong' LDFLAGS='-pie'"
readelf -h "$BIN" | grep -q 'DYN' || fail "the target is not PIE"
xs_build_ok "$CASE_DIR/fix.diff"
cycle ' calc=15 off=1 other=9$' ' calc=1014 off=1000 other=-990$'
