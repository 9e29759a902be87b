#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# attack_fields: an unprivileged target corrupts fields of the registry and
# of its payload's per-function records (src/state/state.h) that sizes, indexes
# or bit shifts in the root CLI come from. Every command may refuse, none
# may crash or report a sanitizer error, and no read-only one may change the
# process.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

unpriv_dir
build_hostile "$T/hostile"
build_payload "$T/fix.xsp" "$PAYLOADS_DIR/compute_1000.c" "$T/hostile"
DEAD=$(cat /proc/sys/kernel/pid_max) # a pid no process ever has
CLEAN='victim\(7\)=21 buf=hello!$'

# A target with fix applied (compute(7)=1007) and fix2 (the same code)
# checked; the registry and the records saved as they are then.
fresh() {
	hostile_loaded
	vaddr=$(addr_of "$out" victim)
	expect_tick "$out" "compute\\(7\\)=1007 b\\(7\\)=21 $CLEAN"
	xs_ok upload "$pid" fix2 "$T/fix.xsp"
	xs_ok check "$pid" fix2
	applied=$(read_code "$pid" "$addr" 16)
	hcmd "$out" cmd "slot fix" "show payload.fix apply_seq" save
	slot=$(sed -n 's/^slot fix //p' "$T/hcmd.out")
	seq=$(sed -n 's/^val payload.fix apply_seq //p' "$T/hcmd.out")
}

# variant LINE...: corrupt the registry with the target's commands (@SLOT:
# the slot of fix, @SEQ: its apply sequence), then run every command on it.
variant() {
	local c lines=("$@")
	fresh
	lines=("${lines[@]//@SLOT/$slot}")
	hattack "$out" cmd "${lines[@]//@SEQ/$seq}"
	snapshot code "$pid" "$addr" 16
	snapshot victim "$pid" "$vaddr" 16
	for c in "list $pid" "get $pid fix" "list $pid --json"; do
		# shellcheck disable=SC2086
		xs_sane $c
		assert_unchanged code "$c"
		assert_unchanged victim "$c"
	done
	steady_ticks "$out" "compute\\(7\\)=1007 b\\(7\\)=21 $CLEAN"
	for c in "revert $pid fix" "unload $pid fix" "apply $pid fix2"; do
		# shellcheck disable=SC2086
		xs_sane $c
		assert_alive "$pid" "target after $c"
		assert_eq "$(read_code "$pid" "$vaddr" 16)" "$(cat "$T/snap.victim.code")" "victim() after $c"
	done
	# whatever was done, the code is whole: the original or a jump to a payload
	now=$(read_code "$pid" "$addr" 16)
	if [ "$now" = "$orig" ]; then
		steady_ticks "$out" "compute\\(7\\)=14 b\\(7\\)=21 $CLEAN"
	else
		assert_eq "${now:0:2} ${now:15}" "e9 ${applied:15}" "code at compute after the commands"
		steady_ticks "$out" "compute\\(7\\)=1007 b\\(7\\)=21 $CLEAN"
	fi
}

# jvariant LINE...: the same with a journal left by a run that is gone, as
# a revert of fix would leave it: even list reads the records then.
jvariant() {
	variant "$@" "set journal action 2" "set journal owner $DEAD" "set journal count 1" \
		"set entry.0 slot @SLOT" "set entry.0 prev_status 3" "set entry.0 prev_seq @SEQ"
}

run_variant fstate_len_4096 variant "set fstate.fix.0 len 4096"
run_variant fstate_len_4096_journal jvariant "set fstate.fix.0 len 4096"
run_variant fstate_offset_wraps variant "set fstate.fix.0 patch_offset 0xfffffffe" "set fstate.fix.0 len 5"
run_variant fstate_offset_wraps_journal jvariant "set fstate.fix.0 patch_offset 0xfffffffe" "set fstate.fix.0 len 5"
run_variant nfuncs_huge variant "set payload.fix nfuncs 0x40000000"
run_variant nfuncs_max variant "set payload.fix nfuncs 0xffffffff"
run_variant id_without_nul variant "set payload.fix id fill:A"
run_variant object_without_nul variant "set payload.fix object fill:B"
run_variant build_id_len_255 variant "set payload.fix build_id.len 255"
run_variant target_id_len_255 variant "set payload.fix target_id.len 255"
run_variant depends_len_255 variant "set payload.fix depends_id.len 255"
run_variant status_99 variant "set payload.fix status 99"
run_variant status_negative variant "set payload.fix status -1"
run_variant eh_frame_huge variant "set payload.fix eh_frame_size 0x100000000000"
run_variant nhooks_200000 variant "set payload.fix nhooks.pre_revert 200000" "set payload.fix nhooks.unload 200000"
run_variant journal_count_1000 variant "set journal action 1" "set journal owner $DEAD" "set journal count 1000"
run_variant journal_slot_minus_5 variant "set journal action 1" "set journal owner $DEAD" "set journal count 1" "set entry.0 slot -5"
run_variant journal_slot_9999 variant "set journal action 1" "set journal owner $DEAD" "set journal count 1" "set entry.0 slot 9999"
variants_done
