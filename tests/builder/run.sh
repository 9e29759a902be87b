#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the patch builder's cases (tests/builder/<case>/case.sh) against the
# CLI in $XSPLICE (default build/bin/xsplice). Optional argument: a filter on
# the case name. Last line: "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
root=$PWD
export XSPLICE=${XSPLICE:-$root/build/bin/xsplice} XSPLICE_ROOT=$root
logdir=${XSPLICE_TEST_LOGS:-$root/build/test-logs}
mkdir -p "$logdir"
passed=0 failed=0
for dir in tests/builder/*/; do
	name=$(basename "$dir")
	[ -f "$dir/case.sh" ] || continue
	[ -n "${1:-}" ] && [[ $name != *$1* ]] && continue
	log=$logdir/builder_$name.log
	start=$(date +%s%N)
	if timeout -k 5 180 bash "$dir/case.sh" >"$log" 2>&1; then
		passed=$((passed + 1))
		printf 'PASS builder/%-30s %6d ms\n' "$name" $((($(date +%s%N) - start) / 1000000))
	else
		failed=$((failed + 1))
		printf 'FAIL builder/%-30s (log: %s)\n' "$name" "$log"
		tail -n 12 "$log" | sed 's/^/    | /'
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
