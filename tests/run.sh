#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every test: unit tests (normal and ASan/UBSan builds), then each
# integration case in tests/cases/<name>/case.sh and each builder case in
# tests/builder/<name>/case.sh, against the ASan/UBSan CLI. Every test has a
# time bound.
# Last line: "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
root=$PWD
passed=0
failed=0
failures=()
logdir=${XSPLICE_TEST_LOGS:-$root/build/test-logs}
mkdir -p "$logdir"
filter=${1:-}

run_one() { # name timeout_s command...
	local name=$1 limit=$2; shift 2
	[ -n "$filter" ] && [[ $name != *$filter* ]] && return
	local log="$logdir/${name//\//_}.log" start end
	start=$(date +%s%N)
	if timeout -k 5 "$limit" "$@" >"$log" 2>&1; then
		passed=$((passed + 1)); end=$(date +%s%N)
		printf 'PASS %-48s %5d ms\n' "$name" $(((end - start) / 1000000))
	else
		local rc=$?
		failed=$((failed + 1)); failures+=("$name")
		[ $rc = 124 ] && echo "timed out after ${limit}s" >>"$log"
		printf 'FAIL %-48s (log: %s)\n' "$name" "$log"
		tail -n 15 "$log" | sed 's/^/    | /'
	fi
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Every stack the cases walk by frame rules is walked again by libdwfl, from
# fresh reads of the target, and must match (src/unwind/frame_rule.h).
export XSPLICE_UNWIND=${XSPLICE_UNWIND:-check}

# One per source: a binary left from a renamed test is not run, a missing one fails.
for build in build build-san; do
	for src in tests/unit/test_*.c; do
		t=$build/tests/$(basename "$src" .c)
		run_one "unit/$build/$(basename "$t")" 300 "$t"
	done
done

for case_dir in tests/cases/*/ tests/builder/*/; do
	[ -f "$case_dir/case.sh" ] || continue
	name=$(basename "$(dirname "$case_dir")")/$(basename "$case_dir")
	run_one "${name/cases\//case/}" 180 env XSPLICE="$root/build-san/bin/xsplice" \
		XSPLICE_ROOT="$root" bash "$case_dir/case.sh"
done

if [ ${#failures[@]} -gt 0 ]; then
	echo "failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
