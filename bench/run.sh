#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`: the pause busy threads see while xsplice applies/reverts a
# payload of 1, 100 and 1000 functions, at 1, 16 and 128 threads, next to the
# bare-tracer floor (bench/floor.c) measured in the same run. See bench/README.md.
# Writes bench/results/<host>.txt and .json (the latest run per machine). Knobs (environment):
# BENCH_REPS (21: below 64 threads a rep takes ~0.1-2 s; with 11 a cell's
# median moved by +-0.3x between runs on a noisy host), BENCH_REPS_BIG (9, for 64 threads and more: each
# command then takes about a second, a rep of all cells ~19 s at 128 threads; with 3 the floor's median
# moved 0.51-0.62 ms between runs, with 5 a cell's ratio moved by +-0.2x), BENCH_THREADS ("1 16 128"), BENCH_FUNCS ("1 100 1000"),
# BENCH_FLOOR_SAMPLES (3: floor --rt and floor --rt --stacks runs a rep; with 1 the 128-thread floor's
# median of 9 moved 0.60-0.73 ms between runs, and every ratio of the thread count with it),
# BENCH_LOAD (1: also measures `xsplice load`, one stop; 0: not), BENCH_REFUSED_REPS (5: refused applies per thread
# count, each waits its whole --timeout), BENCH_REFUSED_TIMEOUT (1000 ms, the CLI's default), XSPLICE.
set -u
self=$(readlink -f "$0")
cd "$(dirname "$self")/.."
root=$PWD
XSPLICE=${XSPLICE:-$root/build/bin/xsplice}
REPS=${BENCH_REPS:-21}
REPS_BIG=${BENCH_REPS_BIG:-9}
FLOOR_SAMPLES=${BENCH_FLOOR_SAMPLES:-3}
THREADS=${BENCH_THREADS:-"1 16 128"}
FUNCS=${BENCH_FUNCS-"1 100 1000"}
REFUSED_REPS=${BENCH_REFUSED_REPS:-5}
REFUSED_TIMEOUT=${BENCH_REFUSED_TIMEOUT:-1000}
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
ok=1
busy_nice=0
# The harness's own helpers run at nice -10 so that, next to 128 spinning
# threads, they do not take seconds each; busy is started back at nice 0 and
# measure gives the measured commands nice 0 and SCHED_OTHER.
if [ "$(id -u)" = 0 ] && [ "$(nice)" = 0 ] && [ -z "${BENCH_NICED:-}" ]; then
	BENCH_NICED=1 exec nice -n -10 "$self" "$@"
fi
[ "$(nice)" = -10 ] && busy_nice=10

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
		gcc $CFLAGS -Ibench -Isrc bench/measure.c -o "$out/measure" &&
		gcc $CFLAGS -Isrc bench/floor.c -o "$out/floor" || return 1
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
	if ! timeout 300 "$XSPLICE" cc --target "$out/busy" -o "$out/park.xsp" bench/park_payload.c \
		>>"$log" 2>&1; then
		xs_ok=0 xs_why="xsplice cc failed for park_payload.c: $(tail -n1 "$log")"
	fi
}

start_busy() { # threads [park]
	cleanup
	shm=$shm_dir/xsplice-bench-$$-$1
	# Back to nice 0 (see main); bounded life even if we die.
	nice -n "$busy_nice" "$out/busy" "$1" "$shm" 900 ${2:-} &
	busy_pid=$!
	if ! "$out/measure" ready "$shm" || ! "$out/measure" info "$shm" >"$out/info.out"; then
		cleanup
		return 1
	fi
	read -r _ f0 <"$out/info.out"
	sleep 0.2 # let the threads settle into the scheduler
}

# record T F ACTION REP CMD...: run CMD under measure, append one raw line.
# Nothing else runs meanwhile (no pipeline): on 2 cores a concurrent tee or
# grep would take a CPU from the busy threads and show up as pause. Parsed
# with shell builtins: each extra process costs ~0.4 s next to 128 spinners.
record() {
	local t=$1 f=$2 action=$3 rep=$4 line m= fl=
	shift 4
	"$out/measure" run "$shm" -- "$@" >"$out/last.out" 2>>"$log"
	while IFS= read -r line; do
		case $line in
		MEASURE\ *) m=${line#MEASURE } ;;
		FLOOR\ *) fl=${line#FLOOR } ;;
		esac
		printf '%s\n' "$line" >>"$log"
	done <"$out/last.out"
	[ -n "$m" ] || m="rc=-1 wall_ms=0 stall_ms=0 stall_total_ms=0 gap_max_ms=0 gap_med_ms=0 late=0 overflow=0"
	fl=${fl// /,}
	echo "$t $f $action $rep $m ${fl:-x=0}" >>"$raw"
	# A thread still not running 5 s after the command is a failure too.
	[[ $m == "rc=0 "* && $m == *" late=0 "* ]]
}

sum_is() { # expected: the sum of f0(1)..f999(1) in busy
	local s=
	"$out/measure" check "$shm" >"$out/sum.out" && read -r s <"$out/sum.out"
	[ "$s" = "$1" ]
}

# step T F ACTION REP ARGS...: one measured xsplice command (sets ok=0 on
# failure and then does nothing more until ok is reset).
step() {
	[ "$ok" = 1 ] || return 1
	local t=$1 f=$2 action=$3 rep=$4
	shift 4
	record "$t" "$f" "$action" "$rep" "$XSPLICE" "$@" || ok=0
	[ "$ok" = 1 ]
}

verify() { # T F WHAT REP EXPECTED_SUM: did the patch take (or go) in busy?
	[ "$ok" = 1 ] || return 1
	sum_is "$5" && return 0
	echo "$1 $2 verify-$3 $4 rc=1" >>"$raw"
	ok=0
	return 1
}

# One rep for payload p$f: upload, check, apply (what `xsplice load` does in
# one command, measured apart so each stop is seen on its own), revert,
# unload; then (BENCH_LOAD=1, the default) load/revert/unload. Restarts busy after any
# failure so the next rep starts clean.
xsplice_rep() { # T F REP BASESUM
	local t=$1 f=$2 rep=$3 base=$4 id=p$2 pid=$busy_pid
	ok=1
	echo "--- $t threads, p$f, rep $rep" >>"$log"
	step "$t" "$f" upload "$rep" upload "$pid" "$id" "$out/p$f.xsp"
	step "$t" "$f" check "$rep" check "$pid" "$id"
	step "$t" "$f" apply "$rep" apply "$pid" "$id"
	verify "$t" "$f" apply "$rep" $((base + f))
	step "$t" "$f" revert "$rep" revert "$pid" "$id"
	verify "$t" "$f" revert "$rep" "$base"
	step "$t" "$f" unload "$rep" unload "$pid" "$id"
	if [ "${BENCH_LOAD:-1}" = 1 ]; then
		step "$t" "$f" load "$rep" load "$pid" "$out/p$f.xsp" --id "$id"
		verify "$t" "$f" load "$rep" $((base + f))
		step "$t" "$f" revert "$rep" revert "$pid" "$id"
		step "$t" "$f" unload "$rep" unload "$pid" "$id"
	fi
	if [ "$ok" = 0 ]; then
		say "xsplice failed at $t threads, p$f, rep $rep (see $log); restarting busy"
		start_busy "$t"
	fi
}

# Refused applies: busy with one more thread that never leaves parked(),
# which park.xsp replaces. Each apply keeps trying for its whole --timeout and
# fails with EBUSY; measured like the others (what the busy threads feel, and
# the longest single stop, stop_max_ms, shown as its "tracer stop").
refused_reps() { # T
	local t=$1 r pid
	[ "$xs_ok" = 1 ] && [ "$REFUSED_REPS" -gt 0 ] || return 0
	start_busy "$t" park || { say "busy (park) did not start"; return 1; }
	pid=$busy_pid
	if ! "$XSPLICE" upload "$pid" park "$out/park.xsp" >>"$log" 2>&1 ||
		! "$XSPLICE" check "$pid" park >>"$log" 2>&1; then
		say "park.xsp: upload or check failed (see $log)"
		return 1
	fi
	for ((r = 1; r <= REFUSED_REPS; r++)); do
		record "$t" park apply-refused "$r" "$XSPLICE" apply "$pid" park \
			--timeout "$REFUSED_TIMEOUT" || true
	done
	"$XSPLICE" unload "$pid" park >>"$log" 2>&1 || say "park.xsp: unload failed (see $log)"
}

bench_threads() { # T
	local t=$1 base start=$SECONDS reps=$REPS
	[ "$t" -ge 64 ] && reps=$REPS_BIG
	say "$t threads, $reps reps"
	start_busy "$t" || { say "busy did not start"; return 1; }
	"$out/measure" check "$shm" >"$out/sum.out" && read -r base <"$out/sum.out" || return 1
	for ((rep = 1; rep <= reps; rep++)); do
		# The floor is interleaved with xsplice so both see the same machine.
		record "$t" - baseline "$rep" true
		# Every ratio of the thread count divides by the floor's median:
		# more samples of it cost little (one takes 0.2 s at 128 threads).
		for ((k = 1; k <= FLOOR_SAMPLES; k++)); do
			record "$t" - floor-rt "$rep" "$out/floor" --rt "$busy_pid" "$f0"
			record "$t" - floor-stacks "$rep" "$out/floor" --rt --stacks "$busy_pid" "$f0"
		done
		record "$t" - floor-nort "$rep" "$out/floor" --no-rt "$busy_pid" "$f0"
		[ "$xs_ok" = 1 ] || continue
		echo "$(date +%T) rep $rep" >>"$log"
		for f in $FUNCS; do
			xsplice_rep "$t" "$f" "$rep" "$base"
			[ -n "$busy_pid" ] || return 1 # busy did not restart
		done
	done
	refused_reps "$t"
	cleanup
	say "$t threads took $((SECONDS - start)) s"
	echo "$t threads took $((SECONDS - start)) s" >>"$log"
}

machine() {
	echo "host: $host"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
	echo "nproc: $(nproc)"
	echo "kernel: $(uname -sr)"
	echo "date: $(date -Is)"
	echo "load_at_start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo none)"
	echo "reps: $REPS ($REPS_BIG from 64 threads)"
	echo "xsplice: $([ "$xs_ok" = 1 ] && echo measured || echo "not measured: $xs_why")"
}

# Jiffies (USER_HZ) the hypervisor gave to others while we wanted the CPU:
# the 8th number of /proc/stat's cpu line. A run with much of it is noisy.
steal() { awk '/^cpu /{print $9; exit}' /proc/stat; }

main() {
	local start=$SECONDS steal0
	steal0=$(steal)
	build || { say "build failed"; exit 1; }
	: >"$raw"
	: >"$log"
	build_payloads || { say "payload generation failed"; exit 1; }
	[ "$xs_ok" = 1 ] || say "xsplice part skipped: $xs_why"
	machine >"$out/machine.txt"
	for t in $THREADS; do bench_threads "$t"; done
	echo "steal_s: $((($(steal) - steal0) / $(getconf CLK_TCK))) (CPU time the host took from this VM during the run)" >>"$out/machine.txt"
	# One file per machine: the latest run replaces the last (history: git log).
	local txt=$resdir/$host.txt json=$resdir/$host.json
	{
		echo "run: $stamp"
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
