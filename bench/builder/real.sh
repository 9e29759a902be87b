#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The builder bench's real project (run by run.sh, which passes XSPLICE, JOBS
# and the row helpers): nginx from this distribution's source package, fetched
# with apt-get source into $TMPDIR/xsplice-bench-real/ (never committed;
# fetched once; not under build/, whose *.d files the Makefile includes),
# built with its own configure and Makefile at -O2, then `xsplice build --cache`
# of a one-function fix (nginx-hextoi.diff: ngx_hextoi), and of another one
# (nginx-atofp.diff: ngx_atofp) that starts from the cached original build.
# Prints its rows for bench/results/builder-<host>.txt; progress on stderr.
#
# apt-get runs with a private configuration (deb-src lines made from the
# machine's Debian sources, its own lists and cache in that directory):
# the machine's apt setup is neither read for packages nor changed.
set -eu
cd "$(dirname "$0")/../.."
root=$PWD
here=$root/bench/builder
scratch=${TMPDIR:-/tmp}/xsplice-bench-real
jobs=${JOBS:-$(nproc)}
pkg=nginx
mkdir -p "$scratch"

fetch() {
	local apt=$scratch/apt f codename
	ls "$scratch"/${pkg}_*.dsc >/dev/null 2>&1 && return 0
	command -v dpkg-source >/dev/null || { echo "real.sh: needs dpkg-source (apt-get install dpkg-dev)" >&2; return 1; }
	rm -rf "$apt"
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/sources"
	for f in /etc/apt/sources.list.d/*.sources; do
		grep -q debian-archive-keyring "$f" 2>/dev/null || continue
		sed 's/^Types: deb$/Types: deb-src/' "$f" >"$apt/sources/${f##*/}"
	done
	ls "$apt/sources"/*.sources >/dev/null 2>&1 ||
		{ echo "real.sh: no Debian deb822 source in /etc/apt/sources.list.d to make deb-src lines from" >&2; return 1; }
	local opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt/sources"
		-o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache")
	timeout 300 apt-get "${opts[@]}" -q update >&2
	codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
	# the release's own version: a mirror may lack the security suite's sources
	(cd "$scratch" && timeout 300 apt-get "${opts[@]}" -q --download-only source "$pkg/$codename") >&2
}

fetch || { echo "# real project: fetching the $pkg source failed (see above): not measured"; exit 0; }
dsc=$(ls "$scratch"/${pkg}_*.dsc | tail -n 1)
src=$scratch/$pkg
rm -rf "$src" "$scratch/cache"
dpkg-source -q -x "$dsc" "$src" >&2
# -O2 after nginx's own -O; no PCRE here, so no rewrite module
conf=(--with-cc-opt=-O2 --without-http_rewrite_module)
t0=$(date +%s%N)
(cd "$src" && ./configure "${conf[@]}") >"$scratch/configure.log" 2>&1 ||
	{ echo "# real project: $pkg's configure failed: see $scratch/configure.log"; exit 0; }
t1=$(date +%s%N)
(cd "$src" && make -j"$jobs") >"$scratch/make.log" 2>&1 ||
	{ echo "# real project: building $pkg failed: see $scratch/make.log"; exit 0; }
t2=$(date +%s%N)
rows=
for f in "hextoi first" "atofp second"; do
	set -- $f
	start=$(date +%s%N)
	"$XSPLICE" build --src "$src" --patch "$here/nginx-$1.diff" --target "$src/objs/nginx" \
		-o "$scratch/$1.xsp" --build "make -j$jobs" --cache "$scratch/cache" >"$scratch/$1.out" 2>"$scratch/$1.err" ||
		{ echo "# xsplice build of nginx-$1.diff failed: $(tail -n 1 "$scratch/$1.err")"; exit 0; }
	row=$(cached_row "$1" "$2" "$scratch/$1.out" "$start") || { echo "# nginx-$1.diff: $row"; exit 0; }
	rows+=$row$'\n'
done
nc=$(cat "$scratch"/cache/*/orig.compiles | wc -l)

echo "#"
echo "# real project: $(basename "$dsc" .dsc) (apt-get source), ./configure ${conf[*]}, make -j$jobs:"
echo "#   $nc C files; its own build: configure $((($t1 - $t0) / 1000000)) ms, make $((($t2 - $t1) / 1000000)) ms"
echo "# --cache DIR: first build (empty cache, fix ngx_hextoi), second build (fix ngx_atofp, same file)"
echo "# fix      build   total_ms  key_ms copy_ms orig_build_ms patched_build_ms diff_ms check_ms emit_ms funcs"
printf '%s' "$rows"

# Both payloads into a running nginx (one process, no master), which must
# still serve a file afterwards.
run=$scratch/run
rm -rf "$run" && mkdir -p "$run/logs" && echo served >"$run/index.html"
port=$((20000 + $$ % 20000))
cat >"$run/nginx.conf" <<CONF
daemon off;
master_process off;
error_log stderr;
pid nginx.pid;
events { worker_connections 64; }
http { access_log off; server { listen 127.0.0.1:$port; location / { root $run; } } }
CONF
timeout 120 "$src/objs/nginx" -p "$run/" -c nginx.conf >"$run/out" 2>&1 &
npid=$!
get() { curl -s --max-time 5 "http://127.0.0.1:$port/index.html" 2>/dev/null; }
for ((i = 0; i < 50; i++)); do [ "$(get)" = served ] && break; sleep 0.1; done
# timeout forks nginx: its child is the server
pid=$(pgrep -P "$npid" -x nginx || true)
loads=
for f in hextoi atofp; do
	"$XSPLICE" load "$pid" "$scratch/$f.xsp" >/dev/null 2>"$scratch/$f.load.err" && loads+=" $f loaded," ||
		loads+=" $f NOT loaded ($(tail -n 1 "$scratch/$f.load.err")),"
done
[ "$(get)" = served ] && serving="still serving" || serving="NOT serving"
kill "$npid" 2>/dev/null || true
wait "$npid" 2>/dev/null || true
echo "# into the running nginx (pid ${pid:-none}):$loads $serving"
