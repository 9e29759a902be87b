#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# far_data: a payload that reads libc's stderr (no copy in the PIE target)
# works through its GOT, and built to read it PC-relative is refused naming
# the symbol, the relocation, the section and libc.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/fd" "$CASE_DIR/fd.c" -- -pie -fPIE
readelf -h "$T/fd" | grep -q DYN || fail "the target is not PIE"
if nm -D "$T/fd" | grep -q ' stderr'; then fail "the target has its own copy of stderr"; fi
build_payload "$T/fix.xsp" "$CASE_DIR/fix.c" "$T/fd"
build_payload "$T/pc.xsp" "$CASE_DIR/fix.c" "$T/fd" -- -fno-pic
start_ready "$T/fd"

xs_fail "section \.text\.new_compute\+0x[0-9a-f]+: R_X86_64_PC32 against 'stderr' \(0x[0-9a-f]+ in [^ ]*libc\.so[^ ]*\) does not fit: .*GOT" \
	load "$TPID" "$T/pc.xsp"
expect_tick "$TOUT" 'compute\(7\)=14$'

xs_ok load "$TPID" "$T/fix.xsp"
expect_tick "$TOUT" 'compute\(7\)=1007$'
wait_for_line "$TERR" '^xsplice payload: 7$' 5 || fail "the payload's line is not on the target's stderr"
xs_ok revert "$TPID" fix
expect_tick "$TOUT" 'compute\(7\)=14$'
xs_ok unload "$TPID" fix
