#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shared_lib_only: a diff touching only libcalc.so: its payload is
# fix-libcalc.so.xsp, and no fix.xsp (for the executable) is written.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project withlib make prog
xs_build "$CASE_DIR/fix.diff" || fail "xsplice build failed (exit $XS_RC): $(head -c 2000 "$XS_ERR")"
lib=$T/fix-libcalc.so.xsp
[ -s "$lib" ] || fail "xsplice build did not write $lib"
[ ! -e "$T/fix.xsp" ] || fail "no change in prog, but $T/fix.xsp was written"
assert_eq "$(grep -c '\.xsp: ' "$XS_OUT")" 1 "payload lines"
assert_file_match "$XS_OUT" "^$lib: calc \(for $SRC/libcalc\.so, build-id "
start_ready "$BIN"
expect_tick "$TOUT" ' calc=7 '
xs_ok load "$TPID" "$lib"
expect_tick "$TOUT" ' calc=1006 '
xs_ok revert "$TPID" fix-libcalc.so
expect_tick "$TOUT" ' calc=7 '
xs_ok unload "$TPID" fix-libcalc.so
