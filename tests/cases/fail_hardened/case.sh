#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# fail_hardened: no such process, already traced, seccomp forbids PROT_EXEC
# (refused); systemd's MemoryDenyWriteExecute= filter (works: text mapped r-x
# by mmap itself); seccomp forbids memfd_create (refused before any change);
# the kernel's own MDWE, PR_SET_MDWE (works, by mmap too).
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/compute" "$TARGETS_DIR/compute.c"
build_target "$T/sec" "$CASE_DIR/sec.c"
build_target "$T/xs_tracer" "$CASE_DIR/tracer.c"
build_payload "$T/fix.xsp" "$PAYLOADS_DIR/compute_1000.c" "$T/compute"
build_payload "$T/secfix.xsp" "$PAYLOADS_DIR/compute_1000.c" "$T/sec"

# 1. no such process
dead=$(dead_pid)
for cmd in "list $dead" "list $dead --json" "get $dead fix" "upload $dead fix $T/fix.xsp" \
	"check $dead fix" "apply $dead fix" "revert $dead fix" "unload $dead fix" \
	"replace $dead fix" "load $dead $T/fix.xsp"; do
	# shellcheck disable=SC2086
	xs_fail 'No such process' $cmd
	grep -q "$dead" "$XS_ERR" || fail "message does not name pid $dead: $(xs_err)"
done

# 2. already traced by another process
start_ready "$T/compute" 2
pid=$TPID out=$TOUT
addr=$(addr_of "$out" compute)
snapshot traced "$pid" "$addr" 16
start_target "$T/xs_tracer" "$pid"
tracer=$TPID
wait_for_line "$TOUT" '^seized$' 5 || fail "the tracer could not seize the target: $(cat "$TERR")"
assert_eq "$(awk '/^TracerPid/ { print $2 }' "/proc/$pid/status")" "$tracer" "TracerPid of the target"
for cmd in "upload $pid fix $T/fix.xsp" "load $pid $T/fix.xsp"; do
	# shellcheck disable=SC2086
	xs_fail 'Operation not permitted|Device or resource busy' $cmd
	grep -Eq "$tracer|xs_tracer" "$XS_ERR" || fail "message does not name the tracer ($tracer): $(xs_err)"
done
assert_unchanged traced "refused while traced"
steady_ticks "$out" 'compute\(7\)=14$'
_xs_kill_reap "$tracer"
mark=$(fsize "$out")
xs_ok load "$pid" "$T/fix.xsp"
wait_workers "$out" 2 1007 "$mark"
xs_ok revert "$pid" fix
xs_ok unload "$pid" fix
steady_ticks "$out" 'compute\(7\)=14$'

# 3. seccomp forbids executable mappings
start_ready "$T/sec"
pid=$TPID out=$TOUT
grep -q '^seccomp on$' "$out" || fail "the seccomp target did not install its filter"
addr=$(addr_of "$out" compute)
snapshot sec "$pid" "$addr" 16
xs_fail 'Operation not permitted' upload "$pid" fix "$T/secfix.xsp"
grep -q "no thread's seccomp filter allows mprotect(.*, nor mmap(" "$XS_ERR" ||
	fail "the refusal does not name both ways to make the text executable: $(xs_err)"
assert_unchanged sec "upload refused by seccomp"
xs_fail 'Operation not permitted' load "$pid" "$T/secfix.xsp"
assert_unchanged sec "load refused by seccomp"
assert_eq "$(list_ids "$pid")" "" "payloads in the seccomp target"
steady_ticks "$out" 'compute\(7\)=14$'
assert_no_file_match "$TERR" . "the seccomp target's stderr"

# 4. systemd's MemoryDenyWriteExecute= (mmap W|X, mprotect X denied): the text
# is mapped r-x by mmap itself, written through /proc/PID/mem; all works.
# mdwe_cycle: load, revert, unload in the target just started.
mdwe_cycle() {
	addr=$(addr_of "$out" compute)
	orig=$(read_code "$pid" "$addr" 16)
	maps_of "$pid" >"$T/mdwe.maps0"
	mark=$(fsize "$out")
	xs_ok load "$pid" "$T/secfix.xsp"
	expect_tick "$out" 'compute\(7\)=1007$'
	assert_status "$pid" secfix APPLIED
	maps_of "$pid" >"$T/mdwe.maps1"
	new_lines "$T/mdwe.maps0" "$T/mdwe.maps1" >"$T/mdwe.added"
	say "mappings added by load under MDWE:"; sed 's/^/    /' "$T/mdwe.added" >&3
	awk '$2 ~ /^r-xp/ && $6 == ""' "$T/mdwe.added" | grep -q . || fail "no anonymous r-x mapping for the payload's text"
	assert_no_file_match "$T/mdwe.maps1" '^[^ ]+ .wx' "the maps under MDWE (a writable and executable mapping)"
	xs_ok revert "$pid" secfix
	expect_tick "$out" 'compute\(7\)=14$'
	assert_eq "$(read_code "$pid" "$addr" 16)" "$orig" "code at compute after revert under MDWE"
	xs_ok unload "$pid" secfix
	assert_eq "$(list_ids "$pid")" "" "payloads in the MDWE target after unload"
	maps_of "$pid" >"$T/mdwe.maps2"
	new_lines "$T/mdwe.maps0" "$T/mdwe.maps2" >"$T/mdwe.left"
	if grep -v 'xsplice-state' "$T/mdwe.left" | grep -q .; then
		fail "mappings left after unload under MDWE: $(cat "$T/mdwe.left")"
	fi
	steady_ticks "$out" 'compute\(7\)=14$'
	assert_no_file_match "$TERR" . "the MDWE target's stderr"
}

start_ready "$T/sec" mdwe
pid=$TPID out=$TOUT
grep -q '^seccomp on$' "$out" || fail "the MDWE target did not install its filter"
assert_eq "$(awk '/^Seccomp:/ { print $2 }' "/proc/$pid/status")" 2 "seccomp mode of the MDWE target"
mdwe_cycle

# 5. seccomp forbids memfd_create: the registry cannot be made, so the upload
# is refused, naming it, before anything is mapped.
start_ready "$T/sec" nomemfd
pid=$TPID out=$TOUT
grep -q '^seccomp on$' "$out" || fail "the no-memfd target did not install its filter"
addr=$(addr_of "$out" compute)
snapshot nomemfd "$pid" "$addr" 16
xs_fail 'Operation not permitted' load "$pid" "$T/secfix.xsp"
grep -q "no thread's seccomp filter allows memfd_create(" "$XS_ERR" ||
	fail "the refusal does not name memfd_create: $(xs_err)"
assert_unchanged nomemfd "load refused by seccomp (memfd_create)"
assert_eq "$(list_ids "$pid")" "" "payloads in the no-memfd target"
steady_ticks "$out" 'compute\(7\)=14$'
assert_no_file_match "$TERR" . "the no-memfd target's stderr"

# 6. the kernel's own MDWE (PR_SET_MDWE: no filter to read, mprotect to X fails
# with EACCES): upload maps the text r-x by mmap instead; all works.
start_target "$T/sec" kmdwe
wait_for_line "$TOUT" '^(ready|kmdwe unsupported)$' 10 || fail "the kernel-MDWE target did not start: $(cat "$TERR" "$TOUT")"
if grep -q '^kmdwe unsupported$' "$TOUT"; then
	say "skipped: the kernel has no PR_SET_MDWE"
else
	pid=$TPID out=$TOUT
	assert_eq "$(awk '/^Seccomp:/ { print $2 }' "/proc/$pid/status")" 0 "seccomp mode of the kernel-MDWE target"
	mdwe_cycle
fi
