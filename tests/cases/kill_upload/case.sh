#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# kill_upload: SIGKILL of the CLI at any moment of upload or unload (inside
# an injected system call, a hook, an IFUNC resolver call, or the release of
# the threads) never kills or upsets the target, and a later run carries on.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

MIN_KILLS=${KILL_UPLOAD_KILLS:-100} # random kills; the crash points come on top
BUDGET_S=60                         # for the random kills
# The steps of the target door's injection sequence (src/target_*.c).
POINTS="frame-written syscall-regs-set syscall-entry syscall-exit call-regs-set call-running
	call-returned call-parked reenter release-restored"

build_target "$T/tgt" "$CASE_DIR/target.c"
build_payload "$T/hooked.xsp" "$CASE_DIR/hooked.c" "$T/tgt"
build_payload "$T/plain.xsp" "$PAYLOADS_DIR/compute_1000.c" "$T/tgt"
start_ready "$T/tgt"
pid=$TPID out=$TOUT
nthreads=$(nthreads_of "$pid")
expect_tick "$out" 'compute\(7\)=14 loads=0 unloads=0 bad=0$'

kills=0 crashes=0 finished=0

# no_harm WHAT: the target runs, no thread is stopped or gone, nothing BAD.
no_harm() {
	local i
	for ((i = 0; i < 40; i++)); do # a thread may still be on its way out of a stop
		grep -q '^State:.*[tT]' /proc/"$pid"/task/*/status 2>/dev/null || break
		sleep 0.005
	done
	alive "$pid" || fail "target died: $1 (after $kills kills, $crashes crash points)"
	assert_alive "$pid" "target after $1"
	assert_eq "$(nthreads_of "$pid")" "$nthreads" "threads after $1"
	assert_no_file_match "$out" '^BAD' "target output after $1"
}

TR=0
tracer_of() { # TracerPid of the target into TR, without a fork
	local k v
	TR=0
	while read -r k v; do
		if [ "$k" = TracerPid: ]; then
			TR=$v
			break
		fi
	done <"/proc/$pid/status"
	return 0
}

# killed SPIN ARGS...: run the CLI; once it holds the target (TracerPid),
# spin SPIN rounds (~1-2 us each) and SIGKILL it, unless it finished first.
killed() {
	local spin=$1 cli rc=0 i
	shift
	"$XSPLICE" "$@" >"$T/k.out" 2>"$T/k.err" </dev/null &
	cli=$!
	for ((i = 0; i < 200000; i++)); do
		tracer_of
		[ "$TR" != 0 ] && break
		kill -0 "$cli" 2>/dev/null || break
	done
	for ((i = 0; i < spin; i++)); do :; done
	kill -9 "$cli" 2>/dev/null || true
	{ wait "$cli"; } 2>/dev/null || rc=$?
	case $rc in
	0) finished=$((finished + 1)) ;;
	137) kills=$((kills + 1)) ;;
	*) fail "xsplice $* (SIGKILL after $spin spins): exit $rc: $(head -c 500 "$T/k.err")" ;;
	esac
	no_harm "xsplice $* killed after $spin spins (exit $rc)"
}

# crashing POINT ARGS...: the CLI kills itself at POINT; 0 when it finished
# instead (the point is not passed that often).
crashing() {
	local point=$1 rc=0
	shift
	{ XSPLICE_TEST_CRASH_AT=$point "$XSPLICE" "$@" >"$T/k.out" 2>"$T/k.err" </dev/null; } 2>/dev/null ||
		rc=$? # no "Killed" from bash
	case $rc in
	0) ;;
	137) crashes=$((crashes + 1)) ;;
	*) fail "xsplice $* (crash at $point): exit $rc: $(head -c 500 "$T/k.err")" ;;
	esac
	no_harm "xsplice $* crashed at $point (exit $rc)"
	return "$rc"
}

listed() { list_ids "$pid" | grep -qx "$1"; }

# gone ID: after a crash, a normal unload removes what it left registered.
gone() {
	if listed "$1"; then xs_ok unload "$pid" "$1"; fi
	return 0
}

# 0. The first upload into a process also makes the registry: a crash after
# each of its system calls (the process stays fresh until one gets through).
n_id=0
for ((n = 1; n <= 60; n++)); do
	n_id=$((n_id + 1))
	crashing "syscall-exit:$n" upload "$pid" "c$n_id" "$T/hooked.xsp" || { gone "c$n_id" && continue; }
	break
done
[ "$n" -gt 1 ] || fail "the first upload never passed crash point syscall-exit"
say "first upload: crashed after each of its $((n - 1)) system calls"
xs_ok unload "$pid" "c$n_id"

# 1. Every step of the injection sequence, each time it is passed.
for point in $POINTS; do
	for action in upload unload; do
		for ((n = 1; n <= 60; n++)); do
			n_id=$((n_id + 1))
			id=c$n_id
			if [ "$action" = upload ]; then
				crashing "$point:$n" upload "$pid" "$id" "$T/hooked.xsp" || { gone "$id" && continue; }
				xs_ok unload "$pid" "$id"
			else
				xs_ok upload "$pid" "$id" "$T/hooked.xsp"
				crashing "$point:$n" unload "$pid" "$id" || { gone "$id" && continue; }
			fi
			break
		done
		[ "$n" -le 60 ] || fail "$action still crashing at $point after 60 passes"
		[ "$n" -gt 1 ] || fail "$action never passed crash point $point"
		say "$action: crash point $point passed $((n - 1)) times"
	done
done
assert_eq "$(list_ids "$pid")" "" "payloads left after the crash points"
steady_ticks "$out" 'compute\(7\)=14 .* bad=0$'

# 2. SIGKILL from outside at random moments while the CLI holds the target.
start=$(date +%s)
round=0
while [ "$kills" -lt "$MIN_KILLS" ]; do
	[ $(($(date +%s) - start)) -lt "$BUDGET_S" ] ||
		fail "only $kills kills in ${BUDGET_S}s ($finished runs finished)"
	round=$((round + 1))
	id=r$round
	file=$T/hooked.xsp
	[ $((round % 3)) = 0 ] && file=$T/plain.xsp
	killed $((RANDOM % 400)) upload "$pid" "$id" "$file"
	listed "$id" || continue
	killed $((RANDOM % 400)) unload "$pid" "$id"
	gone "$id"
done
say "$crashes crash points, $kills random kills ($finished runs finished first), in $(($(date +%s) - start)) s"
assert_eq "$(list_ids "$pid")" "" "payloads left"
steady_ticks "$out" 'compute\(7\)=14 .* bad=0$'

# 3. Everything still works: load, apply (every worker sees the new code),
# revert, unload.
from=$(fsize "$out")
xs_ok load "$pid" "$T/hooked.xsp" --id after
wait_count "$out" '^t[0-9]+ compute\(7\)=1007$' 3 5 "$from" || fail "workers did not all see compute(7)=1007"
expect_tick "$out" 'compute\(7\)=1007 .* bad=0$'
xs_ok revert "$pid" after
expect_tick "$out" 'compute\(7\)=14 .* bad=0$'
xs_ok unload "$pid" after
assert_eq "$(list_ids "$pid")" "" "payloads at the end"
no_harm "the last unload"
