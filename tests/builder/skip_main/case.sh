#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# skip_main: changes that cannot take effect live do not block the fix. The
# diff changes main (its tick format), the constructor setup(), mood() and
# word(): main and setup are left out with a warning each, mood by --skip;
# the payload replaces word() alone, whose new code calls the running mood().
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project spinner "make CFLAGS='-O0 -g'"

say "=== --skip and --include must name a changed function"
xs_usage '--skip nosuch: the diff changes no function' build --src "$SRC" --patch "$CASE_DIR/fix.diff" \
	--target "$BIN" -o "$T/fix.xsp" --build "$BUILD_CMD" --skip nosuch
[ ! -e "$T/fix.xsp" ] || fail "a refused build wrote $T/fix.xsp"

say "=== default: main and the constructor left out, with a warning each"
xs_build_ok "$CASE_DIR/fix.diff" --skip mood
assert_file_match "$XS_ERR" '^xsplice: build: warning: main: changed, but it runs once at start-up and never returns: not replaced .*; the rest is built; --include main replaces it$'
assert_file_match "$XS_ERR" '^xsplice: build: warning: spinner\.c#setup: changed, but it is a constructor, run once at start-up: not replaced'
assert_file_match "$XS_ERR" '^xsplice: build: warning: mood: changed, but left out by --skip: not replaced'
assert_eq "$(grep -vc "^build: " "$XS_ERR")" 3 "warning lines"
xs_ok info "$T/fix.xsp"
assert_eq "$(grep -c '^  replace ' "$XS_OUT")" 1 "replaced functions"
assert_file_match "$XS_OUT" '^  replace word -> '
# the running main keeps its format (no " v=2"), word() is new and calls the old mood()
cycle ' word=plain mood=calm spinning=yes$' ' word=FANCY! mood=calm spinning=yes$'

say "=== everything left out: nothing to patch"
xs build --src "$SRC" --patch "$CASE_DIR/fix.diff" --target "$BIN" -o "$T/none.xsp" \
	--build "$BUILD_CMD" --skip mood --skip spinner.c#word || true
assert_eq "$XS_RC" 1 "exit code with every change left out"
assert_match "$(tail -n 1 "$XS_ERR")" '^xsplice: build: the diff .*/fix\.diff changes only functions left out \(see the warnings above\): nothing to patch' "error line"
[ ! -e "$T/none.xsp" ] || fail "a refused build wrote $T/none.xsp"

say "=== --include main: replaced as asked, so the running main keeps apply busy"
rm -f "$T/fix.xsp"
xs_build_ok "$CASE_DIR/fix.diff" --include main
assert_no_file_match "$XS_ERR" 'warning: main'
xs_ok info "$T/fix.xsp"
assert_file_match "$XS_OUT" '^  replace main -> '
start_ready "$BIN"
xs_busy 'main' load "$TPID" "$T/fix.xsp"
expect_tick "$TOUT" ' word=plain mood=calm spinning=yes$'
