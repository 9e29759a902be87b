#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# fail_clone: a payload replacing functions whose callers call their clones is refused.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/cl" "$CASE_DIR/clones.c" -- -fipa-cp-clone
syms=$(nm "$T/cl")
for s in scale scale.constprop.0 pick pick.constprop.0.isra.0; do
	grep -q " $s\$" <<<"$syms" || fail "gcc made no $s in the target: $(grep -E 'scale|pick' <<<"$syms" | tr '\n' ' ')"
done
line=$(grep -n '/\* the calls \*/' "$CASE_DIR/clones.c" | cut -d: -f1)
at="at ([^ ]*/)?clones\\.c:$line: that call keeps the old code\$"
refusal='2 copies of the old code stay in place \(listed above\): replace the functions holding them too, or pass --allow-inlined to go on knowingly: Operation not supported$'
start_ready "$T/cl"
pid=$TPID out=$TOUT
expect_tick "$out" ' scale=21 scale1=27 pick=56$'
addr=$(addr_of "$out" scale)

# cc: the two calls into clones, then the refusal; nothing written.
xs_fail_lines 3 "^xsplice: cc: payload $T/fix.xsp: $refusal" \
	cc --target "$T/cl" -o "$T/fix.xsp" "$CASE_DIR/fix.c"
assert_file_match "$XS_ERR" "^xsplice: cc: scale: main calls scale\\.constprop\\.0, a copy of it, $at"
assert_file_match "$XS_ERR" "^xsplice: cc: pick: main calls pick\\.constprop\\.0\\.isra\\.0, a copy of it, $at"
[ ! -e "$T/fix.xsp" ] || fail "a refused cc left $T/fix.xsp"

# upload: the same, and the process is as it was.
xs_ok cc --target "$T/cl" -o "$T/fix.xsp" "$CASE_DIR/fix.c" --allow-inlined
snapshot before "$pid" "$addr" 16
xs_fail_lines 3 "^xsplice: upload: payload fix: $refusal" upload "$pid" fix "$T/fix.xsp"
assert_file_match "$XS_ERR" "^xsplice: upload: scale: main calls scale\\.constprop\\.0, a copy of it, $at"
assert_unchanged before "refused upload"
assert_eq "$(list_ids "$pid")" "" "payloads after a refused upload"
steady_ticks "$out" ' scale=21 scale1=27 pick=56$'

# Without DWARF: a warning that inlining cannot be seen, the clones by name.
objcopy --strip-debug "$T/cl" "$T/cl.nodebug"
xs_fail_lines 4 "^xsplice: cc: payload $T/fix2.xsp: $refusal" \
	cc --target "$T/cl.nodebug" -o "$T/fix2.xsp" "$CASE_DIR/fix.c"
assert_match "$(head -n 1 "$XS_ERR")" "^xsplice: cc: warning: $T/cl\\.nodebug: no \\.debug_info in it, no debug file [^ ]*\\.build-id/[0-9a-f]{2}/[0-9a-f]+\\.debug: cannot see where (scale, pick|pick, scale) were inlined" "the no-DWARF warning"
assert_file_match "$XS_ERR" '^xsplice: cc: scale: scale\.constprop\.0 at 0x[0-9a-f]+ is a copy of it that keeps the old code$'
assert_file_match "$XS_ERR" '^xsplice: cc: pick: pick\.constprop\.0\.isra\.0 at 0x[0-9a-f]+ is a copy of it that keeps the old code$'

# Replacing the clone too takes its call with it: only pick's is left. (The
# clone takes x only, so new_scale would not fit it: this payload is only built.)
sed 's/^XSPLICE_REPLACE(scale, new_scale);$/&\nXSPLICE__FUNC("scale.constprop.0", new_scale, 0);/' \
	"$CASE_DIR/fix.c" >"$T/fix3.c"
grep -q 'scale.constprop.0' "$T/fix3.c" || fail "fix3.c does not replace the clone"
xs_fail_lines 2 "^xsplice: cc: payload $T/fix3.xsp: 1 copy" \
	cc --target "$T/cl" -o "$T/fix3.xsp" "$T/fix3.c"
grep -q 'scale\.constprop\.0' "$XS_ERR" && fail "the replaced clone is still named: $(cat "$XS_ERR")"
true
