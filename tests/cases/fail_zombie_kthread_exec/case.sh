#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# fail_zombie_kthread_exec: a zombie, a kernel thread, and a program that
# runs execve while being patched. Before, these said "process has exited",
# "built for build-id ..., which no object in pid N has", "cannot read
# /proc/N/maps" or "thread N could not be unwound", and an execve in the
# stop could take the old program's registers into the new one.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/zombie" "$CASE_DIR/zombie.c"
build_target "$T/execloop" "$CASE_DIR/execloop.c"
build_payload "$T/fix.xsp" "$PAYLOADS_DIR/compute_1000.c" "$T/execloop"

every_command() { # PID: the commands that name a process
	printf '%s\n' "list $1" "list $1 --json" "get $1 fix" "upload $1 fix $T/fix.xsp" \
		"check $1 fix" "apply $1 fix" "revert $1 fix" "unload $1 fix" "replace $1 fix" \
		"load $1 $T/fix.xsp" "build-id $1"
}

# 1. a zombie: the child of a parent that never reaps it
start_ready "$T/zombie"
z=$(sed -n 's/^zombie //p' "$TOUT")
assert_eq "$(proc_state "$z")" Z "state of the unreaped child $z"
while read -r cmd; do
	# shellcheck disable=SC2086
	xs_fail "pid $z: is a zombie \(exited, not reaped\): No such process" $cmd
done < <(every_command "$z")
assert_eq "$(proc_state "$z")" Z "state of $z after every command (not reaped by us)"

# 2. a kernel thread: kthreadd, or any with PF_KTHREAD (none in some containers)
kt=
for f in /proc/2/stat /proc/[0-9]*/stat; do
	line=$(cat "$f" 2>/dev/null) || continue
	read -r -a fields <<<"${line##*) }"
	if [ $((fields[6] & 0x200000)) != 0 ]; then
		kt=${f#/proc/}
		kt=${kt%/stat}
		break
	fi
done
if [ -n "$kt" ]; then
	while read -r cmd; do
		# shellcheck disable=SC2086
		xs_fail "pid $kt: is a kernel thread: nothing to patch: Invalid argument" $cmd
	done < <(every_command "$kt")
else
	say "no kernel thread is visible here: that part is skipped"
fi

exec_re='ran execve (while stopped|during this command): its code is new, nothing was changed: Operation canceled'

# 3. execve from inside compute(): apply waits for the looper to leave it,
# letting it run, and it runs execve instead (1.5 s after each image starts)
mkdir "$T/a"
start_ready "$T/execloop" 1500 "$T/a"
pid=$TPID out=$TOUT
stopped=0
for r in 1 2 3; do
	wait_for_line "$out" "^image $((r - 1))$" 10 || fail "image $((r - 1)) never started"
	xs_fail "pid $pid: $exec_re" load "$pid" "$T/fix.xsp" --id "f$r" --timeout 5000
	grep -q 'while stopped' "$XS_ERR" && stopped=$((stopped + 1))
done
[ "$stopped" -ge 1 ] || fail "no execve was seen in the stop (3 tries)"
assert_no_file_match "$out" 'compute\(7\)=1007' "the exec loop's output (never patched)"

# 4. execve from the main thread every ~15 ms: each load applies in one image
# or names the execve; nothing else
mkdir "$T/b"
start_ready "$T/execloop" -15 "$T/b"
pid2=$TPID out2=$TOUT
applied=0 named=0
for r in $(seq 20); do
	if xs load "$pid2" "$T/fix.xsp" --id "g$r" --timeout 2000; then
		applied=$((applied + 1))
	else
		xs_refused "pid $pid2: $exec_re" "load (fast exec loop, try $r)"
		named=$((named + 1))
	fi
done
say "fast exec loop: $applied applied, $named named the execve"
n=$(grep -c '^image ' "$out2")
wait_for_line "$out2" "^image $n\$" 5 || fail "the fast exec loop stopped after image $((n - 1))"

# 5. both live on: stopped exec'ing, they take the payload and run it
for d in a b; do
	p=$pid out_d=$out
	[ "$d" = b ] && p=$pid2 out_d=$out2
	touch "$T/$d/stop"
	wait_for_line "$out_d" '^settled ' 10 || fail "process $p never settled"
	assert_alive "$p"
	assert_eq "$(list_ids "$p")" "" "payloads of $p once settled (the registry went with the execve)"
	mark=$(fsize "$out_d")
	xs_ok load "$p" "$T/fix.xsp" --id final
	wait_count "$out_d" '^i[0-9]+ compute\(7\)=1007$' 1 5 "$mark" || fail "process $p does not run the payload"
done
