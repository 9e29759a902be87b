#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# adjacent_sites: sites a few bytes apart are read and written in one run
# (src/code_runs.c); the bytes between them, another function's, stay as
# they were, through apply and revert.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/three" "$CASE_DIR/three.c"
build_payload "$T/fix.xsp" "$CASE_DIR/fix.c" "$T/three"
start_ready "$T/three"
pid=$TPID out=$TOUT
addr=$(addr_of "$out" ret_a)
orig=$(read_code "$pid" "$addr" 18)
assert_eq "$orig" "b8 01 00 00 00 c3 b8 02 00 00 00 c3 b8 03 00 00 00 c3" "the three functions' bytes"
steady_ticks "$out" ' a=1 b=2 c=3$'

xs_ok load "$pid" "$T/fix.xsp"
assert_status "$pid" fix APPLIED
code=$(read_code "$pid" "$addr" 18)
say "after apply: $code"
assert_eq "${code:0:2}" e9 "ret_a starts with a jump"
assert_eq "${code:18:17}" "b8 02 00 00 00 c3" "ret_b, between the two sites"
assert_eq "${code:36:2}" e9 "ret_c starts with a jump"
steady_ticks "$out" ' a=10 b=2 c=30$'

xs_ok revert "$pid" fix
assert_eq "$(read_code "$pid" "$addr" 18)" "$orig" "the three functions after revert"
steady_ticks "$out" ' a=1 b=2 c=3$'
xs_ok unload "$pid" fix
assert_alive "$pid" "target after unload"
