#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ifunc_copyreloc: IFUNC symbols and copy relocations resolved the way the
# dynamic linker did it for the target.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/ic" "$CASE_DIR/ic.c" -- -no-pie -fno-pie
readelf -rW "$T/ic" | grep -q 'R_X86_64_COPY.*stderr' || fail "the target has no copy relocation for stderr"
build_payload "$T/fix.xsp" "$CASE_DIR/fix.c" "$T/ic" -- -fno-builtin
start_ready "$T/ic" "$T/log"
pid=$TPID out=$TOUT
wait_for_line "$T/log" '^stderr is the log file$' 5 || fail "the target did not write its log"
expect_tick "$out" 'compute\(7\)=14$'

xs_ok load "$pid" "$T/fix.xsp"
expect_tick "$out" 'compute\(7\)=1022$'
wait_for_line "$T/log" '^xsplice payload: payload says hi$' 5 ||
	fail "the payload's message is not in the log (stderr: $(cat "$TERR"))"
assert_no_file_match "$TERR" 'payload' "the target's original fd 2"
xs_ok revert "$pid" fix
expect_tick "$out" 'compute\(7\)=14$'
xs_ok unload "$pid" fix
steady_ticks "$out" 'compute\(7\)=14$'
