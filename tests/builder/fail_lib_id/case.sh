#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# fail_lib_id: -o's name plus "-libcalc.so" is longer than a payload id (39
# characters): refused before any payload (not even the executable's) is written.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project withlib make prog
long=fix-for-the-calculation-overflow-bug
if xs build --src "$SRC" --patch "$CASE_DIR/fix.diff" --target "$BIN" -o "$T/$long.xsp" --build "$BUILD_CMD"; then
	fail "xsplice build succeeded but must be refused"
fi
xs_refused "payload id '$long-libcalc\.so': must be 1 to 39 characters" "build"
[ ! -e "$T/$long.xsp" ] || fail "a refused build left $T/$long.xsp behind"
[ ! -e "$T/$long-libcalc.so.xsp" ] || fail "a refused build left the library's payload behind"
