#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# attack_pid_reuse: a CLI killed half way through an apply leaves a journal
# whose owner is its pid; a process (here: sleep, as nobody) takes that pid
# before the next run. The next action must still find the journal stale and
# put the process back in one piece: status and code agree.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

unpriv_dir
build_hostile "$T/hostile"
build_payload "$T/fix.xsp" "$CASE_DIR/fix.c" "$T/hostile"
OLD='compute\(7\)=14 b\(7\)=21 victim'
NEW='compute\(7\)=1007 b\(7\)=2007 victim'

start_ready_unpriv "$T/hostile" "$OWN" 2
pid=$TPID out=$TOUT
addr_a=$(addr_of "$out" compute)
addr_b=$(addr_of "$out" compute_b)
orig_a=$(read_code "$pid" "$addr_a" 16)
orig_b=$(read_code "$pid" "$addr_b" 16)
expect_tick "$out" "$OLD"
xs_ok upload "$pid" fix "$T/fix.xsp"
xs_ok check "$pid" fix

# the CLI dies between its two writes (not through `timeout`: we need its pid)
rc=0
XSPLICE_TEST_CRASH_AT=apply-after-first-write "$XSPLICE" apply "$pid" fix \
	>"$T/crash.out" 2>"$T/crash.err" </dev/null &
cli=$!
wait "$cli" || rc=$?
say "+ XSPLICE_TEST_CRASH_AT=apply-after-first-write xsplice apply $pid fix (pid $cli) -> $rc"
[ "$rc" = 137 ] || fail "the CLI was to die of SIGKILL (137), got $rc: $(cat "$T/crash.err")"
ca=$(read_code "$pid" "$addr_a" 16)
cb=$(read_code "$pid" "$addr_b" 16)
[ "$ca" = "$orig_a" ] && na=0 || na=1
[ "$cb" = "$orig_b" ] && nb=0 || nb=1
[ $((na + nb)) = 1 ] || fail "$((na + nb)) of 2 sites changed when the CLI died, expected 1"
if HCMD_MAY_FAIL=1 hcmd "$out" cmd "show journal owner"; then
	say "journal owner: $(sed -n 's/^val journal owner //p' "$T/hcmd.out") (the CLI was $cli)"
fi

# another process takes the dead CLI's pid
squat=
for ((i = 0; i < 300; i++)); do
	echo $((cli - 1)) >/proc/sys/kernel/ns_last_pid
	"${UNPRIV[@]}" sleep 120 </dev/null >/dev/null 2>&1 3>&- &
	s=$!
	if [ "$s" = "$cli" ]; then
		squat=$s
		track_pid "$s"
		break
	fi
	kill -9 "$s" 2>/dev/null || true
	wait "$s" 2>/dev/null || true
done
[ -n "$squat" ] || fail "could not start a process with pid $cli in $i tries"
assert_alive "$squat" "the process holding pid $cli"
say "pid $cli now belongs to: $(tr '\0' ' ' <"/proc/$squat/cmdline") (after $((i + 1)) tries)"

# the next action repairs the process: all old or all new, as its status says
if xs_has_command recover; then
	xs_sane recover "$pid"
fi
xs_sane apply "$pid" fix
st=$(status_of "$pid" fix)
ca=$(read_code "$pid" "$addr_a" 16)
cb=$(read_code "$pid" "$addr_b" 16)
say "after the next run: status $st, compute ${ca:0:2}.., compute_b ${cb:0:2}.."
case "$st" in
APPLIED)
	assert_eq "${ca:0:2} ${cb:0:2}" "e9 e9" "first bytes of compute, compute_b while APPLIED"
	steady_ticks "$out" "$NEW"
	xs_ok revert "$pid" fix
	;;
LOADED | CHECKED | REVERTED)
	[ "$ca" = "$orig_a" ] && [ "$cb" = "$orig_b" ] ||
		fail "status $st but the code is patched: compute ${ca:0:14}.. (was ${orig_a:0:14}..), compute_b ${cb:0:14}.. (was ${orig_b:0:14}..)"
	steady_ticks "$out" "$OLD"
	xs_ok apply "$pid" fix
	steady_ticks "$out" "$NEW"
	xs_ok revert "$pid" fix
	;;
*) fail "status after the next run: '$st'" ;;
esac
ca=$(read_code "$pid" "$addr_a" 16)
cb=$(read_code "$pid" "$addr_b" 16)
[ "$ca" = "$orig_a" ] && [ "$cb" = "$orig_b" ] ||
	fail "after the final revert ($(status_of "$pid" fix)) the code is patched: compute ${ca:0:14}.. (was ${orig_a:0:14}..), compute_b ${cb:0:14}.. (was ${orig_b:0:14}..)"
steady_ticks "$out" "$OLD"
assert_alive "$squat" "the process holding pid $cli"
