#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Times `xsplice build` on a generated project: N C files (default 60) of 8
# functions each, one executable, a one-function fix. Prints the builder's own
# step timings (orig build, patched build, diff, check, emit) for RUNS runs,
# then the first and the second build with --cache (two different fixes),
# then the same for a real project (real.sh: nginx from its Debian source), and
# writes them to bench/results/builder-<host>.txt (the latest run per machine).
#   bench/builder/run.sh [N_FILES] [RUNS]        BENCH_REAL=0: no real project
set -eu
cd "$(dirname "$0")/../.."
root=$PWD
xsplice=${XSPLICE:-$root/build/bin/xsplice}
nfiles=${1:-60}
runs=${2:-3}
jobs=$(nproc)
[ -x "$xsplice" ] || { echo "build $xsplice first (make build/bin/xsplice)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/xsplice-bench-builder.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# The project: fN.c with fN_0..fN_7 (a loop, a table, a string each), main.c
# calls them all once a second.
gen() {
	local dir=$1 i k
	mkdir -p "$dir"
	for ((i = 0; i < nfiles; i++)); do
		{
			echo "/* generated */"
			echo "#include <stdio.h>"
			echo "static const int tab$i[8] = { 1, 2, 3, 4, 5, 6, 7, $i };"
			for ((k = 0; k < 8; k++)); do
				echo "__attribute__((noinline)) int f${i}_$k(int x)"
				echo "{"
				echo "	int s = 0;"
				echo "	for (int j = 0; j < x % 16; j++)"
				echo "		s += tab$i[j % 8] * $k;"
				echo "	if (s < 0)"
				echo "		fprintf(stderr, \"f${i}_$k: %d\\n\", s);"
				echo "	return s + $k;"
				echo "}"
			done
		} >"$dir/f$i.c"
	done
	{
		echo "#include <stdio.h>"
		echo "#include <unistd.h>"
		for ((i = 0; i < nfiles; i++)); do
			for ((k = 0; k < 8; k++)); do echo "int f${i}_$k(int x);"; done
		done
		echo "int main(void) { for (int n = 0;; n++) { long t = 0;"
		for ((i = 0; i < nfiles; i++)); do
			for ((k = 0; k < 8; k++)); do echo "t += f${i}_$k(n);"; done
		done
		echo "printf(\"tick %d %ld\\n\", n, t); fflush(stdout); sleep(1); } }"
	} >"$dir/main.c"
	{
		echo "CC ?= gcc"
		echo "CFLAGS ?= -O2 -g"
		printf 'OBJS := main.o'
		for ((i = 0; i < nfiles; i++)); do printf ' f%d.o' "$i"; done
		echo
		echo "prog: \$(OBJS)"
		printf '\t$(CC) $(CFLAGS) -o $@ $(OBJS)\n'
		echo "%.o: %.c"
		printf '\t$(CC) $(CFLAGS) -c $< -o $@\n'
	} >"$dir/Makefile"
}

gen "$tmp/a"
(cd "$tmp/a" && make -s -j"$jobs") >/dev/null
cp -r "$tmp/a" "$tmp/b"
rm -f "$tmp/b"/*.o "$tmp/b/prog"
sed -i 's/return s + 3;/return s + 3 + (x > 1000);/' "$tmp/b/f7.c"
(cd "$tmp" && diff -ru a b | grep -v '^Only in' >"$tmp/fix.diff") || true
grep -q '^+++ ' "$tmp/fix.diff" || { echo "generating the diff failed" >&2; exit 1; }

# The second fix, for the --cache rows: another function in another file.
cp -r "$tmp/a" "$tmp/c"
rm -f "$tmp/c"/*.o "$tmp/c/prog"
sed -i 's/return s + 5;/return s + 5 + (x > 1000);/' "$tmp/c/f11.c"
(cd "$tmp" && diff -ru a c | grep -v '^Only in' >"$tmp/fix2.diff") || true
grep -q '^+++ ' "$tmp/fix2.diff" || { echo "generating the second diff failed" >&2; exit 1; }

# phases OUT: "orig patched diff check emit" (ms) from the builder's timings line.
phases() {
	sed -n 's/^timings: orig build \([0-9]*\) ms, patched build \([0-9]*\) ms, diff \([0-9]*\) ms, check \([0-9]*\) ms, emit \([0-9]*\) ms$/\1 \2 \3 \4 \5/p' "$1"
}
# funcs OUT: how many functions the payloads replace or add.
funcs() { grep '\.xsp: ' "$1" | sed 's/ (for .*//; s/^[^:]*://' | wc -w; }
# cached_row LABEL BUILD OUT START_NS: one row of a --cache table.
cached_row() {
	local a b c d e total k cp
	read -r a b c d e < <(phases "$3")
	total=$((($(date +%s%N) - $4) / 1000000))
	grep -q '^cache: original build reused' "$3" || [ "$2" = first ] ||
		{ echo "the second build did not reuse the cache: $(cat "$3")"; exit 1; }
	# "cache: ... (key and check K ms[, copy C ms])": not inside the timings
	k=$(sed -n 's/^cache: .* (key and check \([0-9]*\) ms.*/\1/p' "$3")
	cp=$(sed -n 's/^cache: .*, copy \([0-9]*\) ms)$/\1/p' "$3")
	printf '%-8s %-7s %9s %7s %7s %13s %16s %7s %8s %7s %5s\n' "$1" "$2" "$total" "${k:--}" "${cp:--}" \
		"$a" "$b" "$c" "$d" "$e" "$(funcs "$3")"
}
export -f phases funcs cached_row

host=$(hostname -s 2>/dev/null || echo host)
out=$root/bench/results/builder-$host.txt
mkdir -p "$root/bench/results"
{
	echo "# xsplice build: $nfiles C files + main.c, 8 functions each, one-function fix (f7_3)"
	echo "# $(date -u '+%Y-%m-%d %H:%M:%S UTC') $(uname -srm), $(nproc) cpus, $(gcc --version | head -n1), build: make -j$jobs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# run  orig_build_ms  patched_build_ms  diff_ms  check_ms  emit_ms  payloads  funcs"
} >"$out"
for ((r = 1; r <= runs; r++)); do
	rm -f "$tmp/fix.xsp"
	"$xsplice" build --src "$tmp/a" --patch "$tmp/fix.diff" --target "$tmp/a/prog" -o "$tmp/fix.xsp" \
		--build "make -j$jobs" >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
	# "timings: orig build A ms, patched build B ms, diff C ms, check D ms, emit E ms"
	read -r a b c d e < <(phases "$tmp/out")
	objs=$(grep -c '\.xsp: ' "$tmp/out")
	printf '%-4s %13s %17s %8s %9s %8s %9s %6s\n' "$r" "$a" "$b" "$c" "$d" "$e" "$objs" "$(funcs "$tmp/out")" >>"$out"
done
awk '!/^#/ { n++; de += $4 + $6 } END { if (n) printf "# diff + emit: %.0f ms per run on average (target: < 1000 ms per changed object)\n", de / n }' "$out" >>"$out"

# --cache: the first build (empty cache) keeps the original build, the second
# (another fix) starts from it.
{
	echo "#"
	echo "# --cache DIR, same project: first build (empty cache, fix f7_3), second build (fix f11_5)"
	echo "# fix      build   total_ms  key_ms copy_ms orig_build_ms patched_build_ms diff_ms check_ms emit_ms funcs"
} >>"$out"
for f in "f7_3 first fix.diff" "f11_5 second fix2.diff"; do
	set -- $f
	start=$(date +%s%N)
	"$xsplice" build --src "$tmp/a" --patch "$tmp/$3" --target "$tmp/a/prog" -o "$tmp/fix.xsp" \
		--build "make -j$jobs" --cache "$tmp/cache" >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
	cached_row "$1" "$2" "$tmp/out" "$start" >>"$out"
done

[ "${BENCH_REAL:-1}" = 0 ] || XSPLICE=$xsplice JOBS=$jobs bash "$root/bench/builder/real.sh" >>"$out"
cat "$out"
echo "written: $out"
