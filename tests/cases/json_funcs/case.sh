#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# json_funcs: one JSON shape for a payload's functions in info, list and get.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

[ "$HAVE_PYTHON" = 1 ] || fail "python3 is needed to check the JSON"
build_target "$T/funcs" "$CASE_DIR/funcs.c"
build_payload "$T/fix.xsp" "$CASE_DIR/fix.c" "$T/funcs"
start_ready "$T/funcs"
pid=$TPID out=$TOUT
size=$(nm -S "$T/funcs" | awk '$4 == "compute" { print $2 }')
[ -n "$size" ] || fail "compute's size is not in the symbol table"
size=$((16#$size))

xs_ok info "$T/fix.xsp" --json
cp "$XS_OUT" "$T/info.json"

# same FLAG: list --json and get --json now, checked against info --json
same() {
	xs_ok list "$pid" --json
	cp "$XS_OUT" "$T/list.json"
	xs_ok get "$pid" fix --json
	cp "$XS_OUT" "$T/get.json"
	"$PYTHON" "$CASE_DIR/check.py" "$T/info.json" "$T/list.json" "$T/get.json" "$1" \
		"$(addr_of "$out" compute)" "$(addr_of "$out" log_hit)" "$size" >&3 ||
		fail "the functions differ between info, list and get --json (applied $1)"
}

# hits_now: the hits of a tick printed from now on
hits_now() {
	local from
	from=$(fsize "$out")
	wait_count "$out" '^tick ' 2 5 "$from" || fail "no ticks"
	tail -c +$((from + 1)) "$out" | grep '^tick ' | sed -n '2s/.*hits=//p'
}

xs_ok upload "$pid" fix "$T/fix.xsp"
same false
xs_ok check "$pid" fix
xs_ok apply "$pid" fix
expect_tick "$out" 'compute\(7\)=1007 '
h=$(hits_now)
[ "$(hits_now)" = "$h" ] || fail "log_hit still counts after apply"
same true
xs_ok revert "$pid" fix
expect_tick "$out" 'compute\(7\)=14 '
h=$(hits_now)
[ "$(hits_now)" -gt "$h" ] || fail "log_hit does not count after revert"
same false
