#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# fail_busy_report: an EBUSY says who is busy where, and a long wait says
# what it waits for (docs/cli.md, "When the process is busy").
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/busy" "$CASE_DIR/busy.c"
build_payload "$T/fix.xsp" "$CASE_DIR/fix.c" "$T/busy"
start_ready "$T/busy" "$T"
pid=$TPID out=$TOUT
addr=$(addr_of "$out" park_fn)
xs_ok upload "$pid" fix "$T/fix.xsp"
xs_ok check "$pid" fix

mark=$(fsize "$out")
touch "$T/park"
wait_count "$out" '^parked [0-9]+ ' 3 5 "$mark" || fail "the three threads did not park"
tids=$(tail -c +$((mark + 1)) "$out" | awk '$1 == "parked" { print $2 }')
sleep 0.1 # inside their poll by now
snapshot parked "$pid" "$addr" 32

# 1. the report: the error line last, each parked thread's stack before it
xs_busy "^xsplice: apply: pid $pid: payload fix: 3 threads still in functions (park_fn, other_fn|other_fn, park_fn) after [0-9]+ ms; try a longer --timeout, or, if it never returns, also patch the caller that loops: Device or resource busy$" \
	apply "$pid" fix --timeout 300
for tid in $tids; do
	fn=$(tail -c +$((mark + 1)) "$out" | awk -v t="$tid" '$1 == "parked" && $2 == t { print $3 }')
	grep -qx "xsplice: apply: thread $tid is in function $fn:" "$XS_ERR" ||
		fail "the report does not list thread $tid in $fn: $(cat "$XS_ERR")"
	# its frames, up to the next thread: the parked one with file and line
	frames=$(sed -n "/^xsplice: apply: thread $tid /,/^xsplice: apply: [^ ]/p" "$XS_ERR")
	assert_match "$frames" "  #[0-9]+ $fn\+0x[0-9a-f]+ \([^ ]*busy\.c:[0-9]+\)  <- here" "thread $tid's frame in $fn"
	assert_match "$frames" "  #[0-9]+ parker\+0x[0-9a-f]+ \([^ ]*busy\.c:[0-9]+\)" "thread $tid's caller"
done
grep -q 'waiting up to' "$XS_ERR" && fail "apply --timeout 300 printed a wait line"
assert_status "$pid" fix CHECKED
assert_eq "$(get_field "$pid" fix rc)" -16 "rc after the refused apply"
assert_unchanged parked "refused apply"

# 2. a long wait says what it waits for, while it waits
start=$(date +%s%N)
timeout -k 2 30 "$XSPLICE" apply "$pid" fix --timeout 3000 >"$T/long.out" 2>"$T/long.err" &
cli=$!
wait_for_line "$T/long.err" 'waiting up to' 2 || fail "no wait line within 2 s: $(cat "$T/long.err")"
kill -0 "$cli" 2>/dev/null || fail "the wait line came only after apply ended"
say "wait line after $((($(date +%s%N) - start) / 1000000)) ms: $(head -n 1 "$T/long.err")"
rc=0
wait "$cli" || rc=$?
[ "$rc" = 75 ] || fail "apply --timeout 3000: exit $rc, expected 75: $(cat "$T/long.err")"
assert_match "$(head -n 1 "$T/long.err")" \
	"^xsplice: apply: pid $pid: waiting up to [0-9]+ ms for thread ($(echo $tids | tr ' ' '|')) to leave (park_fn|other_fn), at (park_fn|other_fn)\+0x[0-9a-f]+ \([^ ]*busy\.c:[0-9]+\)$" \
	"the wait line"
[ "$(grep -c 'waiting up to' "$T/long.err")" = 1 ] || fail "the wait line is not printed once: $(cat "$T/long.err")"
[ -s "$T/long.out" ] && fail "apply printed on stdout: $(cat "$T/long.out")"
tail -n 1 "$T/long.err" | grep -q 'after [0-9]* ms; try a longer --timeout' ||
	fail "the last line is not the error: $(tail -n 1 "$T/long.err")"
assert_status "$pid" fix CHECKED
assert_unchanged parked "refused long apply"

# 3. a thread no stack walk gets past (assembly without CFI, in a system
# call): not known to be safe, said with the frames it has, symbolized
mark=$(fsize "$out")
touch "$T/nocfi"
wait_for_line "$out" '^nocfi [0-9]+$' 5 "$mark" || fail "the nocfi thread did not start"
nocfi=$(tail -c +$((mark + 1)) "$out" | awk '$1 == "nocfi" { print $2 }')
sleep 0.1
snapshot nocfi "$pid" "$addr" 32
xs_busy "^xsplice: apply: pid $pid: payload fix: 3 threads still in functions (park_fn, other_fn|other_fn, park_fn) after [0-9]+ ms, and 1 more could not be unwound; try a longer --timeout" \
	apply "$pid" fix --timeout 300
grep -Eqx "xsplice: apply: thread $nocfi could not be unwound past frame #[0-9]+, so it is not known to be safe:" "$XS_ERR" ||
	fail "the report does not say thread $nocfi could not be unwound: $(cat "$XS_ERR")"
frames=$(sed -n "/^xsplice: apply: thread $nocfi /,/^xsplice: apply: [^ ]/p" "$XS_ERR")
assert_match "$frames" "  #0 nocfi_sleep\+0x[0-9a-f]+ \(busy\)" "thread $nocfi's PC, symbolized"
assert_unchanged nocfi "apply refused for the nocfi thread"

# 4. bounded: 8 threads listed with their stacks, the others counted
mark=$(fsize "$out")
touch "$T/many"
wait_count "$out" '^parked [0-9]+ ' 7 5 "$mark" || fail "seven more threads did not park"
sleep 0.1
xs_busy "^xsplice: apply: pid $pid: payload fix: 10 threads still in functions .* after [0-9]+ ms, and 1 more could not be unwound; try a longer --timeout" \
	apply "$pid" fix --timeout 300
assert_eq "$(grep -Ec '^xsplice: apply: thread [0-9]+ (is in|could not)' "$XS_ERR")" 8 "threads listed"
assert_eq "$(grep -c '^xsplice: apply: and 3 more thread(s) like these, not listed$' "$XS_ERR")" 1 "the others counted"
assert_status "$pid" fix CHECKED
steady_ticks "$out" 'park_fn\(7\)=14 other_fn\(7\)=14$'
