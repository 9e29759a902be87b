#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# fail_expect: a payload carries the bytes its target has at each function
# it patches (xsplice cc records them from --target), and check and apply
# refuse a process whose code there is anything else, naming the function
# and the bytes: code changed in the process, a jump left at the site with
# no payload applied there (what a forked child's revert used to leave), a
# site that no longer holds what the payload applied there wrote, and a
# binary with the payload's build-id but other code.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/guard" "$CASE_DIR/guard.c"
build_payload "$T/fix1.xsp" "$CASE_DIR/fix1.c" "$T/guard"
build_payload "$T/fix2.xsp" "$CASE_DIR/fix2.c" "$T/guard"
RUN=$T/run
touch "$RUN"
start_ready "$T/guard" "$RUN"
pid=$TPID out=$TOUT
addr=$(addr_of "$out" spare)
expect_tick "$out" ' spare\(7\)=[0-9]+$'
v0=$(grep '^tick .* spare' "$out" | tail -n 1 | sed 's/.*=//')
code=$(read_code "$pid" "$addr" 40)
po=0 # the patch goes after endbr64
[ "${code:0:11}" = "f3 0f 1e fa" ] && po=4
site=$((addr + po))
orig=$(read_code "$pid" "$site" 32)
say "spare at $addr, spare(7)=$v0, its first bytes: $orig"

# idle: spare() no longer runs (so its code may be rewritten); busy V: it
# runs again and returns V.
idle() {
	rm -f "$RUN"
	expect_tick "$out" ' idle$'
}
busy() {
	touch "$RUN"
	expect_tick "$out" " spare\\(7\\)=$1\$"
}
# refused_at WHAT ERE ARGS...: one line naming payload and function, with
# what the site holds and what was expected (ERE).
refused_at() {
	local what=$1 re=$2
	shift 2
	xs_fail "function spare at 0x[0-9a-f]+: $re" "$@"
	say "  refused ($what): $(head -n 1 "$XS_ERR")"
}
bytes() { printf '%s' "${orig:$((3 * $1)):$((3 * $2 - 1))}"; } # FROM COUNT of orig

say "=== the payload carries spare's first 32 bytes (after endbr64)"
xs_ok info "$T/fix1.xsp"
assert_file_match "$XS_OUT" "^  replace spare -> new_spare, expects $orig \\(32 bytes\\)$"
xs_ok info "$T/fix1.xsp" --json
if [ "$HAVE_PYTHON" = 1 ]; then
	assert_eq "$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["funcs"][0]["expect"])' "$XS_OUT")" \
		"${orig// /}" "info --json: expect of spare"
fi

say "=== other code at spare: refused by check and by load, nothing changed"
idle
write_code "$pid" "$site" 0f 1f 44 00 00
changed="0f 1f 44 00 00 $(bytes 5 3)"
xs_ok upload "$pid" fix1 "$T/fix1.xsp"
snapshot other "$pid" "$addr" 40
refused_at "other code" "holds $changed \\.\\.\\., expected $(bytes 0 8) \\.\\.\\." check "$pid" fix1
grep -q '^xsplice: check: payload fix1: ' "$XS_ERR" || fail "the refusal does not name payload fix1: $(xs_err)"
assert_status "$pid" fix1 LOADED
refused_at "other code" "holds $changed \\.\\.\\., expected $(bytes 0 8) \\.\\.\\." load "$pid" "$T/fix1.xsp" --id viaload
assert_eq "$(list_ids "$pid" | tr '\n' ' ')" "fix1 " "payloads after the refused load"
assert_unchanged other "refused check and load"
write_code "$pid" "$site" $(bytes 0 5)
busy "$v0"

say "=== the code as built: check and apply go through"
xs_ok check "$pid" fix1
xs_ok apply "$pid" fix1
busy $((7 + 1000))
jump=$(read_code "$pid" "$site" 5)
assert_eq "${jump:0:2}" e9 "spare's patch"

say "=== a jump at spare, no payload applied there: refused, nothing changed"
# The registry says fix1 is REVERTED while the code still jumps into it:
# applying over it would save that jump as spare's own code, and a later
# revert would write it back.
xs_ok revert "$pid" fix1
busy "$v0"
idle
write_code "$pid" "$site" $jump
busy $((7 + 1000))
stale="$jump $(bytes 5 3)"
xs_ok upload "$pid" fix2 "$T/fix2.xsp"
snapshot stale "$pid" "$addr" 40
refused_at "stale jump" "holds $stale \\.\\.\\., expected $(bytes 0 8) \\.\\.\\." check "$pid" fix2
assert_status "$pid" fix2 LOADED
refused_at "stale jump" "holds $stale \\.\\.\\., expected $(bytes 0 8) \\.\\.\\." apply "$pid" fix1
assert_status "$pid" fix1 REVERTED
assert_unchanged stale "refused check and apply"
busy $((7 + 1000))
idle
write_code "$pid" "$site" $(bytes 0 5)
busy "$v0"

say "=== fix1 applied, its jump gone from the code: refused"
xs_ok apply "$pid" fix1
busy $((7 + 1000))
idle
write_code "$pid" "$site" $(bytes 0 5)
refused_at "lost jump" "holds $(bytes 0 8) \\.\\.\\., expected $jump $(bytes 5 3) \\.\\.\\. \\(as payload fix1 left it\\)" check "$pid" fix2
assert_status "$pid" fix2 LOADED
write_code "$pid" "$site" $jump
busy $((7 + 1000))

say "=== stacked: fix2 over fix1 expects spare's own bytes, not fix1's jump"
xs_ok check "$pid" fix2
xs_ok apply "$pid" fix2
busy $((7 + 2000))
xs_ok revert "$pid" fix2
busy $((7 + 1000))
xs_ok revert "$pid" fix1
busy "$v0"
assert_eq "$(read_code "$pid" "$site" 32)" "$orig" "spare after the reverts"
xs_ok unload "$pid" fix2
xs_ok unload "$pid" fix1
assert_eq "$(list_ids "$pid")" "" "payloads at the end"

say "=== a binary with the payload's build-id but other code"
bid=0x5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed
build_target "$T/guard-a" "$CASE_DIR/guard.c" -- -Wl,--build-id=$bid
build_target "$T/guard-b" "$CASE_DIR/guard.c" -- -DOTHER -Wl,--build-id=$bid
assert_eq "$("$XSPLICE" build-id "$T/guard-a")" "$("$XSPLICE" build-id "$T/guard-b")" "the two builds' build-ids"
build_payload "$T/fix-a.xsp" "$CASE_DIR/fix1.c" "$T/guard-a"
start_ready "$T/guard-b" "$RUN"
pid=$TPID out=$TOUT
addr=$(addr_of "$out" spare)
site=$((addr + po))
expect_tick "$out" ' spare\(7\)=[0-9]+$'
vb=$(grep '^tick .* spare' "$out" | tail -n 1 | sed 's/.*=//')
# The message shows 8 bytes at most from where they differ (or from the
# start when that is near), "..." where more were compared.
want=$("$XSPLICE" info "$T/fix-a.xsp" | sed -n 's/^  replace spare -> new_spare, expects \(.*\) (32 bytes)$/\1/p')
have=$(read_code "$pid" "$site" 32)
assert_ne "$have" "$want" "spare's bytes in the two builds"
read -r -a h <<<"$have"
read -r -a w <<<"$want"
d=0
while [ "${h[$d]}" = "${w[$d]}" ]; do d=$((d + 1)); done
[ "$d" -lt 6 ] && d=0
more=$([ $((d + 8)) -lt 32 ] && printf ' \\.\\.\\.' || true)
shown_h=$(printf '%s ' "${h[@]:$d:8}") shown_w=$(printf '%s ' "${w[@]:$d:8}")
xs_ok upload "$pid" fixa "$T/fix-a.xsp"
snapshot other_build "$pid" "$addr" 40
refused_at "other build" "holds ${shown_h% }$more, expected ${shown_w% }$more" check "$pid" fixa
assert_status "$pid" fixa LOADED
refused_at "other build" "holds ${shown_h% }$more, expected ${shown_w% }$more" load "$pid" "$T/fix-a.xsp" --id fixa2
assert_eq "$(list_ids "$pid")" "fixa" "payloads after the refused load"
assert_unchanged other_build "refused check and load"
steady_ticks "$out" " spare\\(7\\)=$vb\$"

say "=== cc without a target file: one warning, no expected bytes"
xs_ok cc --target-build-id "${bid#0x}" -o "$T/fix-id.xsp" "$CASE_DIR/fix1.c"
assert_eq "$(wc -l <"$XS_ERR")" 1 "cc's stderr lines"
assert_file_match "$XS_ERR" '^xsplice: cc: warning: .*fix-id\.xsp: no --target file: .*cannot be recorded'
xs_ok info "$T/fix-id.xsp"
assert_file_match "$XS_OUT" '^  replace spare -> new_spare, expects -$'
