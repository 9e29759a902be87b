#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# attack_fork: a pre-forking server. The payload is applied, then the
# target forks two workers, which inherit the patched code and the
# registry's mapping. Each process is patched on its own: no command on one
# changes the code or the records of another.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

unpriv_dir
build_hostile "$T/hostile"
build_payload "$T/fix.xsp" "$PAYLOADS_DIR/compute_1000.c" "$T/hostile"

# A parent with fix applied and two forked children: P, C1, C2 (pids) and
# PO, CO1, CO2 (their outputs).
start_family() {
	hostile_loaded
	P=$pid PO=$out
	hcmd "$PO" cmd "fork 2"
	C1=$(sed -n 's/^child 1 //p' "$T/hcmd.out")
	C2=$(sed -n 's/^child 2 //p' "$T/hcmd.out")
	[ -n "$C1" ] && [ -n "$C2" ] || fail "the target did not fork: $(cat "$T/hcmd.out")"
	track_pid "$C1"
	track_pid "$C2"
	CO1=$OWN/child1.out CO2=$OWN/child2.out
	wait_for_line "$CO1" '^ready$' 5 || fail "child 1 not ready"
	wait_for_line "$CO2" '^ready$' 5 || fail "child 2 not ready"
	say "parent $P, children $C1 $C2"
	family P 1007 APPLIED C1 1007 APPLIED C2 1007 APPLIED
}

# family NAME VALUE STATUS ...: for each process (P, C1, C2) its list shows
# fix with STATUS ("-": not there), its code is the original (VALUE 14) or
# a jump, and it computes VALUE.
family() {
	local name p o v st code
	while [ $# -gt 0 ]; do
		name=$1 v=$2 st=$3
		shift 3
		p=${!name}
		case $name in P) o=$PO ;; C1) o=$CO1 ;; C2) o=$CO2 ;; esac
		assert_alive "$p" "$name (pid $p)"
		assert_eq "$(list_status "$p" fix)" "${st#-}" "status of fix in $name (pid $p)"
		code=$(read_code "$p" "$addr" 16)
		if [ "$v" = 14 ]; then
			assert_eq "$code" "$orig" "compute's code in $name (pid $p)"
		else
			assert_eq "${code:0:2}" e9 "compute's first byte in $name (pid $p)"
		fi
		steady_ticks "$o" "compute\\(7\\)=$v b\\(7\\)=21 victim\\(7\\)=21 buf=hello!$"
	done
}

child_first() {
	start_family
	xs_ok revert "$C1" fix
	family C1 14 REVERTED P 1007 APPLIED C2 1007 APPLIED
	xs_ok unload "$C1" fix
	family C1 14 - P 1007 APPLIED C2 1007 APPLIED
	mark=$(fsize "$PO")
	xs_ok revert "$P" fix
	wait_workers "$PO" 2 14 "$mark" # the parent's threads too
	family P 14 REVERTED C1 14 - C2 1007 APPLIED
	xs_ok unload "$P" fix
	family P 14 - C1 14 - C2 1007 APPLIED
	xs_ok revert "$C2" fix
	xs_ok unload "$C2" fix
	family C2 14 - P 14 - C1 14 -
}

parent_first() {
	start_family
	mark=$(fsize "$PO")
	xs_ok revert "$P" fix
	wait_workers "$PO" 2 14 "$mark"
	family P 14 REVERTED C1 1007 APPLIED C2 1007 APPLIED
	xs_ok unload "$P" fix
	family P 14 - C1 1007 APPLIED C2 1007 APPLIED
	xs_ok revert "$C2" fix
	family C2 14 REVERTED C1 1007 APPLIED P 14 -
	xs_ok unload "$C2" fix
	family C2 14 - C1 1007 APPLIED P 14 -
}

run_variant child_first child_first
run_variant parent_first parent_first
variants_done
