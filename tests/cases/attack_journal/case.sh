#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# attack_journal: an unprivileged target forges a journal (an apply by a run
# that is gone) and the records of its applied payload, so that "undoing"
# it would write "PWNED!" into a data buffer and 'return 666' over victim(),
# a function xsplice never patched: records moved to its data, or the
# payload's own record changed in place. No command, read-only or not, may
# write either; the target keeps computing.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

unpriv_dir
build_hostile "$T/hostile"
build_payload "$T/fix.xsp" "$PAYLOADS_DIR/compute_1000.c" "$T/hostile"
DEAD=$(cat /proc/sys/kernel/pid_max) # a pid no process ever has
CLEAN='b\(7\)=21 victim\(7\)=21 buf=hello!$'

# attack FORGERY CMD...: a target with fix applied and the forgery made
# (the target's command, OWNER for the journal's owner), then xsplice CMD
# (PID for the pid).
attack() {
	local forgery=$1 c
	shift
	hostile_loaded
	vaddr=$(addr_of "$out" victim)
	baddr=$(addr_of "$out" buf)
	expect_tick "$out" "compute\\(7\\)=1007 $CLEAN"
	applied=$(read_code "$pid" "$addr" 16)
	victim0=$(read_code "$pid" "$vaddr" 16)
	buf0=$(read_code "$pid" "$baddr" 16)
	hattack "$out" cmd "${forgery//OWNER/$DEAD}"
	c="${*//PID/$pid}"
	# shellcheck disable=SC2086
	xs_sane $c
	assert_alive "$pid" "target after $c"
	b=$(read_code "$pid" "$baddr" 16)
	v=$(read_code "$pid" "$vaddr" 16)
	[ "$b" = "$buf0" ] && [ "$v" = "$victim0" ] ||
		fail "xsplice $c wrote into the target: buf '$buf0' -> '$b', victim() '$victim0' -> '$v'"
	now=$(read_code "$pid" "$addr" 16)
	case "$1" in
	list | get)
		assert_eq "$now" "$applied" "compute's code after xsplice $c"
		steady_ticks "$out" "compute\\(7\\)=1007 $CLEAN"
		;;
	*)
		if [ "$now" = "$orig" ]; then
			steady_ticks "$out" "compute\\(7\\)=14 $CLEAN"
		else
			assert_eq "${now:0:2} ${now:15}" "e9 ${applied:15}" "compute's code after xsplice $c"
			steady_ticks "$out" "compute\\(7\\)=1007 $CLEAN"
		fi
		;;
	esac
}

# the records moved to the target's data: two of them, buf and victim()
REDIRECT="forge_undo fix OWNER"
run_variant list attack "$REDIRECT" list PID
run_variant get attack "$REDIRECT" get PID fix
run_variant list_json attack "$REDIRECT" list PID --json
run_variant revert attack "$REDIRECT" revert PID fix
run_variant apply attack "$REDIRECT" apply PID fix
run_variant unload attack "$REDIRECT" unload PID fix
if xs_has_command recover; then
	run_variant recover attack "$REDIRECT" recover PID
fi
# no journal: the forged records alone, undone by a plain revert
run_variant revert_records_only attack "forge_undo fix 0" revert PID fix
# the payload's own record, in place (every pointer inside its region)
for where in buf victim; do
	run_variant "inplace_${where}_list" attack "forge_inplace fix $where OWNER" list PID
	run_variant "inplace_${where}_revert" attack "forge_inplace fix $where 0" revert PID fix
	if xs_has_command recover; then
		run_variant "inplace_${where}_recover" attack "forge_inplace fix $where OWNER" recover PID
	else
		run_variant "inplace_${where}_apply" attack "forge_inplace fix $where OWNER" apply PID fix
	fi
done
variants_done
