#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# fail_inlined: a payload replacing a function gcc inlined into a caller is refused.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/inl" "$TARGETS_DIR/inlined.c"
line=$(grep -n 'inlined here' "$TARGETS_DIR/inlined.c" | cut -d: -f1)
# The file as DWARF names it: relative to where gcc ran.
copy="checksum: inlined into handle at ([^ ]*/)?inlined\.c:$line: that copy keeps the old code\$"
refusal='1 copy of the old code stays in place \(listed above\): replace the function holding it too, or pass --allow-inlined to go on knowingly: Operation not supported$'
start_ready "$T/inl"
pid=$TPID out=$TOUT
expect_tick "$out" ' inlined=564 direct=564 scale=14$'
addr=$(addr_of "$out" checksum)

# cc: one line for the copy, one for the refusal; no payload written.
xs_fail_lines 2 "^xsplice: cc: payload $T/fix.xsp: $refusal" \
	cc --target "$T/inl" -o "$T/fix.xsp" "$PAYLOADS_DIR/checksum_fix.c"
assert_match "$(head -n 1 "$XS_ERR")" "^xsplice: cc: $copy" "cc's first line"
[ ! -e "$T/fix.xsp" ] || fail "a refused cc left $T/fix.xsp"

# Built knowingly, it is still refused where it would go in: upload and load.
xs_ok cc --target "$T/inl" -o "$T/fix.xsp" "$PAYLOADS_DIR/checksum_fix.c" --allow-inlined
assert_match "$(cat "$XS_ERR")" "^xsplice: cc: warning: $copy" "cc --allow-inlined's warning"
assert_eq "$(wc -l <"$XS_ERR")" 1 "lines of cc --allow-inlined's warning"
snapshot before "$pid" "$addr" 16
xs_fail_lines 2 "^xsplice: upload: payload fix: $refusal" upload "$pid" fix "$T/fix.xsp"
assert_match "$(head -n 1 "$XS_ERR")" "^xsplice: upload: $copy" "upload's first line"
assert_unchanged before "refused upload"
assert_eq "$(list_ids "$pid")" "" "payloads after a refused upload"
xs_fail_lines 2 "^xsplice: load: payload fix: $refusal" load "$pid" "$T/fix.xsp"
assert_match "$(head -n 1 "$XS_ERR")" "^xsplice: load: $copy" "load's first line"
assert_unchanged before "refused load"
assert_eq "$(list_ids "$pid")" "" "payloads after a refused load"
steady_ticks "$out" ' inlined=564 direct=564 scale=14$'

# A function nobody inlined or cloned loads as before, without a word.
build_payload "$T/scale.xsp" "$PAYLOADS_DIR/scale_1000.c" "$T/inl"
[ ! -s "$XS_ERR" ] || fail "cc of scale said: $(cat "$XS_ERR")"
xs_ok load "$pid" "$T/scale.xsp"
[ ! -s "$XS_ERR" ] || fail "load of scale said: $(cat "$XS_ERR")"
expect_tick "$out" ' inlined=564 direct=564 scale=1007$'
xs_ok revert "$pid" scale
expect_tick "$out" ' scale=14$'
xs_ok unload "$pid" scale
assert_eq "$(list_ids "$pid")" "" "payloads at the end"
