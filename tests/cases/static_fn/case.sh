#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# static_fn: file-local functions and variables named by their source file.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/parse" "$CASE_DIR/main.c" "$CASE_DIR/parse_a.c" "$CASE_DIR/parse_b.c"
[ "$(readelf -sW "$T/parse" | awk '$8 == "parse_len"' | wc -l)" = 2 ] ||
	fail "the target does not have two local parse_len symbols"
build_payload "$T/fix.xsp" "$CASE_DIR/fix.c" "$T/parse"
start_ready "$T/parse"
pid=$TPID out=$TOUT
expect_tick "$out" ' a=3 b=30$'
addr_a=$(addr_of "$out" parse_len_a)
addr_b=$(addr_of "$out" parse_len_b)
orig_b=$(read_code "$pid" "$addr_b" 16)
orig_a=$(read_code "$pid" "$addr_a" 16)

xs_ok load "$pid" "$T/fix.xsp"
expect_tick "$out" ' a=546 b=30$'
steady_ticks "$out" ' a=546 b=30$'
assert_eq "$(read_code "$pid" "$addr_b" 16)" "$orig_b" "parse_b.c's parse_len"
assert_eq "$(read_code "$pid" "$addr_a" 1)" e9 "first byte of parse_a.c's parse_len"
xs_ok revert "$pid" fix
expect_tick "$out" ' a=3 b=30$'
assert_eq "$(read_code "$pid" "$addr_a" 16)" "$orig_a" "parse_a.c's parse_len after revert"
xs_ok unload "$pid" fix

# plain "parse_len" is ambiguous: refused (at cc, upload or check), nothing changes
snapshot amb "$pid" "$addr_a" 16
if xs cc --target "$T/parse" -o "$T/amb.xsp" "$CASE_DIR/ambiguous.c"; then
	if xs upload "$pid" amb "$T/amb.xsp"; then
		xs_fail . check "$pid" amb
		grep -q parse_len "$XS_ERR" || fail "refusal does not name parse_len: $(xs_err)"
		assert_status "$pid" amb LOADED
		xs_ok unload "$pid" amb
	else
		xs_refused . "upload amb"
		grep -q parse_len "$XS_ERR" || fail "refusal does not name parse_len: $(xs_err)"
	fi
else
	grep -q parse_len "$XS_ERR" || fail "cc refusal does not name parse_len: $(xs_err)"
fi
assert_unchanged amb "ambiguous payload refused"
steady_ticks "$out" ' a=3 b=30$'
