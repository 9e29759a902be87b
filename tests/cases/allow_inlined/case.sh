#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# allow_inlined: --allow-inlined loads a payload that leaves an inlined copy, with a warning.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/inl" "$TARGETS_DIR/inlined.c"
line=$(grep -n 'inlined here' "$TARGETS_DIR/inlined.c" | cut -d: -f1)
copy="checksum: inlined into handle at ([^ ]*/)?inlined\\.c:$line: that copy keeps the old code\$"
start_ready "$T/inl"
pid=$TPID out=$TOUT
expect_tick "$out" ' inlined=564 direct=564 scale=14$'
addr=$(addr_of "$out" checksum)
orig=$(read_code "$pid" "$addr" 16)

# warned COMMAND: it worked, with exactly the one warning line.
warned() {
	assert_eq "$(wc -l <"$XS_ERR")" 1 "stderr lines of $1"
	assert_match "$(cat "$XS_ERR")" "^xsplice: $1: warning: $copy" "$1's warning"
}

xs_ok cc --target "$T/inl" -o "$T/fix.xsp" "$PAYLOADS_DIR/checksum_fix.c" --allow-inlined
warned cc
xs_ok load "$pid" "$T/fix.xsp" --allow-inlined
warned load
assert_eq "$(list_status "$pid" fix)" APPLIED "list"
# What the warning said: the function itself is fixed, the copy in handle is not.
expect_tick "$out" ' inlined=564 direct=532 scale=14$'
steady_ticks "$out" ' inlined=564 direct=532 scale=14$'
xs_ok revert "$pid" fix
expect_tick "$out" ' inlined=564 direct=564 scale=14$'
assert_eq "$(read_code "$pid" "$addr" 16)" "$orig" "checksum's bytes after revert"
xs_ok unload "$pid" fix

# Step by step: upload takes the flag, check and apply need nothing more.
xs_ok upload "$pid" fix "$T/fix.xsp" --allow-inlined
warned upload
xs_ok check "$pid" fix
xs_ok apply "$pid" fix
expect_tick "$out" ' inlined=564 direct=532 scale=14$'
xs_ok revert "$pid" fix
xs_ok unload "$pid" fix
expect_tick "$out" ' inlined=564 direct=564 scale=14$'
assert_eq "$(list_ids "$pid")" "" "payloads at the end"
