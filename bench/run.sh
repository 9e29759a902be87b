#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`: the pause busy threads see while xsplice applies/reverts a
# payload of 1, 100 and 1000 functions, at 1, 16 and 128 threads, next to the
# bare-tracer floor (bench/floor.c) measured in the same run. See bench/README.md.
# Writes bench/results/<host>-<date>.txt and .json. Knobs (environment):
# BENCH_REPS (5), BENCH_THREADS ("1 16 128"), BENCH_FUNCS ("1 100 1000"), XSPLICE.
set -u
cd "$(dirname "$0")/.."
root=$PWD
XSPLICE=${XSPLICE:-$root/build/bin/xsplice}
REPS=${BENCH_REPS:-5}
THREADS=${BENCH_THREADS:-"1 16 128"}
FUNCS=${BENCH_FUNCS:-"1 100 1000"}
out=$root/build/bench
shm_dir=/dev/shm
host=$(hostname)
stamp=$(date +%Y-%m-%d-%H%M%S)
resdir=$root/bench/results
raw=$out/raw.txt
log=$out/bench.log
CFLAGS="-std=gnu11 -Wall -Wextra -Werror -O2 -g -D_GNU_SOURCE"
busy_pid=
shm=

say() { echo "bench: $*" >&2; }

cleanup() {
	[ -n "$busy_pid" ] && kill "$busy_pid" 2>/dev/null && wait "$busy_pid" 2>/dev/null
	[ -n "$shm" ] && rm -f "$shm"
	busy_pid=
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

build() {
	mkdir -p "$out" "$resdir" || return 1
	bench/gen_payload.sh funcs 1000 >"$out/busy_funcs.c" &&
		gcc $CFLAGS -Ibench -pthread bench/busy.c "$out/busy_funcs.c" -o "$out/busy" &&
		gcc $CFLAGS -Ibench bench/measure.c -o "$out/measure" &&
		gcc $CFLAGS bench/floor.c -o "$out/floor" || return 1
	# Every fN must have room for a 5-byte jump.
	local small
	small=$(nm -S "$out/busy" | awk '$4 ~ /^f[0-9]+$/ && $2 ~ /^0+[0-4]$/' | head -3)
	[ -z "$small" ] || { say "functions under 5 bytes: $small"; return 1; }
}

# Payloads p1, p100, p1000 against this busy binary; sets xs_ok/xs_why.
build_payloads() {
	xs_ok=1 xs_why=
	if [ ! -x "$XSPLICE" ]; then
		xs_ok=0 xs_why="$XSPLICE not built"
		return
	fi
	for f in $FUNCS; do
		bench/gen_payload.sh payload "$f" >"$out/p$f.c" || return 1
		if ! timeout 300 "$XSPLICE" cc --target "$out/busy" -o "$out/p$f.xsp" "$out/p$f.c" \
			>>"$log" 2>&1; then
			xs_ok=0 xs_why="xsplice cc failed for p$f.c: $(tail -n1 "$log")"
			return
		fi
	done
}

start_busy() { # threads
	cleanup
	shm=$shm_dir/xsplice-bench-$$-$1
	"$out/busy" "$1" "$shm" 900 & # bounded life even if we die
	busy_pid=$!
	"$out/measure" ready "$shm" || return 1
	read -r _ f0 < <("$out/measure" info "$shm")
	sleep 0.2 # let the threads settle into the scheduler
}

# record T F ACTION REP CMD...: run CMD under measure, append one raw line.
record() {
	local t=$1 f=$2 action=$3 rep=$4 line extra=
	shift 4
	line=$("$out/measure" run "$shm" -- "$@" 2>>"$log" | tee -a "$log" | grep -E '^(MEASURE|FLOOR)')
	local m fl
	m=$(grep '^MEASURE' <<<"$line")
	fl=$(grep '^FLOOR' <<<"$line")
	[ -n "$fl" ] && extra=$(sed 's/^FLOOR //; s/ threads=[0-9]*//; s/ /,/g' <<<"$fl")
	if [ -z "$m" ]; then
		echo "$t $f $action $rep rc=-1 wall_ms=0 stall_ms=0 stall_total_ms=0 gap_max_ms=0 gap_med_ms=0 late=0 overflow=0 ${extra:-x=0}" >>"$raw"
		return 1
	fi
	echo "$t $f $action $rep $(sed 's/^MEASURE //; s/ threads=[0-9]*//' <<<"$m") ${extra:-x=0}" >>"$raw"
	grep -q 'rc=0 ' <<<"$m"
}

sum_is() { # expected: the sum of f0(1)..f999(1) in busy
	local s
	s=$("$out/measure" check "$shm") && [ "$s" = "$1" ]
}

# One rep of upload/check/apply/revert/unload of p$f; restarts busy on failure.
xsplice_rep() { # T F REP BASESUM
	local t=$1 f=$2 rep=$3 base=$4 id=p$2 ok=1
	echo "--- $t threads, p$f, rep $rep" >>"$log"
	record "$t" "$f" upload "$rep" "$XSPLICE" upload "$busy_pid" "$id" "$out/p$f.xsp" &&
		record "$t" "$f" check "$rep" "$XSPLICE" check "$busy_pid" "$id" &&
		record "$t" "$f" apply "$rep" "$XSPLICE" apply "$busy_pid" "$id" || ok=0
	if [ $ok = 1 ] && ! sum_is $((base + f)); then
		echo "$t $f verify-apply $rep rc=1" >>"$raw"
		ok=0
	fi
	[ $ok = 1 ] && { record "$t" "$f" revert "$rep" "$XSPLICE" revert "$busy_pid" "$id" || ok=0; }
	if [ $ok = 1 ] && ! sum_is "$base"; then
		echo "$t $f verify-revert $rep rc=1" >>"$raw"
		ok=0
	fi
	[ $ok = 1 ] && { record "$t" "$f" unload "$rep" "$XSPLICE" unload "$busy_pid" "$id" || ok=0; }
	if [ $ok = 0 ]; then
		say "xsplice failed at $t threads, p$f, rep $rep (see $log); restarting busy"
		start_busy "$t"
	fi
}

bench_threads() { # T
	local t=$1 base
	say "$t threads"
	start_busy "$t" || { say "busy did not start"; return 1; }
	base=$("$out/measure" check "$shm") || return 1
	for ((rep = 1; rep <= REPS; rep++)); do
		# The floor is interleaved with xsplice so both see the same machine.
		record "$t" - exec "$rep" true
		record "$t" - floor-rt "$rep" "$out/floor" --rt "$busy_pid" "$f0"
		record "$t" - floor-nort "$rep" "$out/floor" --no-rt "$busy_pid" "$f0"
		[ "$xs_ok" = 1 ] || continue
		for f in $FUNCS; do xsplice_rep "$t" "$f" "$rep" "$base"; done
	done
	cleanup
}

machine() {
	echo "host: $host"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
	echo "nproc: $(nproc)"
	echo "kernel: $(uname -sr)"
	echo "date: $(date -Is)"
	echo "load_at_start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo none)"
	echo "reps: $REPS"
	echo "xsplice: $([ "$xs_ok" = 1 ] && echo measured || echo "not measured: $xs_why")"
}

main() {
	local start=$SECONDS
	build || { say "build failed"; exit 1; }
	: >"$raw"
	: >"$log"
	build_payloads || { say "payload generation failed"; exit 1; }
	[ "$xs_ok" = 1 ] || say "xsplice part skipped: $xs_why"
	machine >"$out/machine.txt"
	for t in $THREADS; do bench_threads "$t"; done
	local txt=$resdir/$host-$stamp.txt json=$resdir/$host-$stamp.json
	{
		cat "$out/machine.txt"
		echo "duration_s: $((SECONDS - start))"
		echo
		awk -f bench/table.awk -v fmt=text "$raw"
		echo
		echo "# raw samples: threads funcs action rep key=value..."
		cat "$raw"
	} >"$txt"
	awk -f bench/table.awk -v fmt=json -v machine="$out/machine.txt" "$raw" >"$json"
	awk -f bench/table.awk -v fmt=text "$raw"
	say "results: $txt (and .json), log: $log, $((SECONDS - start)) s"
}

main
