#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shared_lib: a diff touching the executable and the libcalc.so it loads:
# one payload each (fix.xsp, fix-libcalc.so.xsp), both loaded and reverted.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project withlib make prog
xs_build_ok "$CASE_DIR/fix.diff"
lib=$T/fix-libcalc.so.xsp
[ -s "$lib" ] || fail "xsplice build did not write $lib"
assert_eq "$(grep -c '^/.*\.xsp: ' "$XS_OUT")" 2 "payload lines"
assert_file_match "$XS_OUT" "^$T/fix\.xsp: bonus \(for $BIN, build-id $("$XSPLICE" build-id "$BIN")\)$"
assert_file_match "$XS_OUT" "^$lib: calc \(for $SRC/libcalc\.so, build-id $("$XSPLICE" build-id "$SRC/libcalc.so")\)$"
xs_ok info "$T/fix.xsp"
assert_eq "$(grep -c '^  replace ' "$XS_OUT")" 1 "functions replaced in prog"
assert_file_match "$XS_OUT" '^  replace main\.c#bonus -> '
xs_ok info "$lib"
assert_eq "$(grep -c '^  replace ' "$XS_OUT")" 1 "functions replaced in libcalc.so"
assert_file_match "$XS_OUT" '^  replace calc -> '

start_ready "$BIN"
expect_tick "$TOUT" ' bonus=[0-4] calc=7 '
xs_ok load "$TPID" "$T/fix.xsp"
expect_tick "$TOUT" ' bonus=10[0-4] calc=7 '
xs_ok load "$TPID" "$lib"
expect_tick "$TOUT" ' bonus=10[0-4] calc=1006 '
steady_ticks "$TOUT" ' bonus=10[0-4] calc=1006 '
xs_ok revert "$TPID" fix-libcalc.so
expect_tick "$TOUT" ' bonus=10[0-4] calc=7 '
xs_ok revert "$TPID" fix
expect_tick "$TOUT" ' bonus=[0-4] calc=7 '
steady_ticks "$TOUT" ' bonus=[0-4] calc=7 '
xs_ok unload "$TPID" fix-libcalc.so
xs_ok unload "$TPID" fix
