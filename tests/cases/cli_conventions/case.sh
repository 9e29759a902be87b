#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# cli_conventions: what scripts rely on: exit codes (0 done, 1 refused, 2
# usage, 75 busy for now), --retry, --version, help, --opt=value, unknown
# options named, cc's temporary files, true error texts.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

PARK=$XSPLICE_ROOT/tests/cases/thread_parked
build_target "$T/park.bin" "$PARK/park.c"
build_payload "$T/fix.xsp" "$PARK/fix.c" "$T/park.bin"

say "=== --version, help CMD, CMD --help"
xs_ok --version
assert_eq "$(cat "$XS_OUT")" "xsplice $(cat "$XSPLICE_ROOT/VERSION")" "--version"
for cmd in apply load list cc info; do
	xs_ok help "$cmd"
	assert_match "$(head -n 1 "$XS_OUT")" "^usage: xsplice $cmd " "help $cmd, first line"
	[ "$(wc -l <"$XS_OUT")" = 2 ] && [ -n "$(sed -n 2p "$XS_OUT")" ] ||
		fail "help $cmd: not the usage line and one line of description: $(cat "$XS_OUT")"
	cp "$XS_OUT" "$T/help.$cmd"
	xs_ok "$cmd" --help
	cmp -s "$XS_OUT" "$T/help.$cmd" || fail "$cmd --help differs from help $cmd: $(cat "$XS_OUT")"
done
assert_contains "$(cat "$T/help.apply")" "--retry N" "help apply"
xs help nosuch || true
assert_eq "$XS_RC" 2 "exit code of help for an unknown command"

start_ready "$T/park.bin" "$T"
pid=$TPID out=$TOUT
addr=$(addr_of "$out" compute)
xs_ok upload "$pid" fix "$T/fix.xsp"
xs_ok check "$pid" fix
snapshot checked "$pid" "$addr" 32

say "=== 2: usage, unknown options named"
for cmd in "apply $pid fix" "revert $pid fix" "load $pid $T/fix.xsp" "list $pid" "get $pid fix" \
	"upload $pid x $T/fix.xsp" "check $pid fix" "info $T/fix.xsp" \
	"cc --target $T/park.bin -o $T/o.xsp $PARK/fix.c"; do
	# shellcheck disable=SC2086
	xs_usage "unknown option '--bogus'" $cmd --bogus
	# shellcheck disable=SC2086
	xs_usage "unknown option '--bogus'" $cmd --bogus=3
done
xs_usage "option '--json' takes no value" list "$pid" --json=1
xs_usage "usage: --timeout 'abc'" apply "$pid" fix --timeout=abc
xs_usage "usage: --retry 'x'" apply "$pid" fix --retry x
xs_usage "'x1' is not a process id" apply x1 fix
xs_usage "usage: xsplice apply PID ID" apply "$pid"
assert_unchanged checked "usage errors"

say "=== 1: refused"
xs_fail "payload fix is CHECKED: cannot revert it" revert "$pid" fix
assert_status "$pid" fix CHECKED

say "=== 75: a thread parked in compute, then --retry"
mark=$(fsize "$out")
touch "$T/park"
wait_for_line "$out" '^parked$' 5 "$mark" || fail "the parker thread did not park"
xs_busy 'payload fix: 1 thread still in function compute after [0-9]+ ms; try a longer --timeout.*: Device or resource busy$' apply "$pid" fix --timeout=300
grep -q '^unparked' "$out" && fail "the parked thread left compute too early: test is not valid"
assert_unchanged checked "busy apply"
assert_status "$pid" fix CHECKED
# parked for 4 s: tries of 300 ms with pauses of 100, 200, 400, ... 2000 ms
xs_ok apply "$pid" fix --timeout=300 --retry=10
grep -q '^unparked' "$out" || fail "apply --retry succeeded while the thread was still parked"
n=$(grep -c "^xsplice: apply: pid $pid: payload fix: 1 thread still in function compute after [0-9]* ms; .*: Device or resource busy; retry [0-9]* of 10 in [0-9]* ms$" "$XS_ERR" || true)
[ "$n" -ge 1 ] && [ "$n" = "$(wc -l <"$XS_ERR")" ] || fail "apply --retry: expected one 'retry N of 10' line per retry: $(cat "$XS_ERR")"
grep -q "retry 1 of 10 in 100 ms" "$XS_ERR" || fail "first retry not after 100 ms: $(cat "$XS_ERR")"
assert_status "$pid" fix APPLIED
xs_ok revert "$pid" fix --timeout 2000 --retry 2
assert_status "$pid" fix REVERTED

say "=== --opt=value"
xs_ok load "$pid" "$T/fix.xsp" --id=fix2 --timeout=2000
assert_status "$pid" fix2 APPLIED
xs_ok revert "$pid" fix2 --timeout=2000

say "=== true error texts"
build_target "$T/other.bin" "$PARK/park.c" -- -Wl,--build-id=0x0123456789abcdef0123456789abcdef01234567
build_payload "$T/other.xsp" "$PARK/fix.c" "$T/other.bin"
xs_fail "build-id" upload "$pid" other "$T/other.xsp"
assert_no_file_match "$XS_ERR" 'Exec format error' "build-id mismatch"
cat >"$T/undef.c" <<'C'
#include <xsplice/payload.h>
extern int no_such_symbol_anywhere(int);
static int compute_new(int x) { return no_such_symbol_anywhere(x); }
XSPLICE_REPLACE(compute, compute_new);
C
build_payload "$T/undef.xsp" "$T/undef.c" "$T/park.bin"
xs_fail "no_such_symbol_anywhere" upload "$pid" undef "$T/undef.xsp"
assert_no_file_match "$XS_ERR" 'No such file or directory' "missing symbol"

say "=== cc honours TMPDIR and leaves nothing after a failure"
mkdir "$T/tmp"
printf 'this is not C\n' >"$T/bad.c"
TMPDIR=$T/tmp xs cc --target "$T/park.bin" -o "$T/bad.xsp" "$T/bad.c" || true
assert_eq "$XS_RC" 1 "exit code of cc on a source that does not compile"
# the suffix is true: gcc said no, not "Invalid argument"
tail -n 1 "$XS_ERR" | grep -q 'failed (status [0-9]*): Tool failed$' ||
	fail "cc's refusal of a source gcc cannot compile: $(tail -n 1 "$XS_ERR")"
[ -e "$T/bad.xsp" ] && fail "cc left a partial output"
[ -z "$(ls -A "$T/tmp")" ] || fail "cc left files in TMPDIR: $(ls -A "$T/tmp")"
# ... and puts them there: a TMPDIR that cannot hold them is named
TMPDIR=$T/nonexistent xs cc --target "$T/park.bin" -o "$T/o.xsp" "$PARK/fix.c" || true
assert_eq "$XS_RC" 1 "exit code of cc with a TMPDIR that does not exist"
assert_contains "$(cat "$XS_ERR")" "$T/nonexistent" "cc's refusal"
[ -e "$T/o.xsp" ] && fail "cc wrote its output without a temporary directory"

steady_ticks "$out" 'compute\(7\)=14$'
