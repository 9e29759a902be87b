#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# mount_ns: objects are read through the process (/proc/PID/map_files or
# /proc/PID/root), not through paths that only exist in its own namespace.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/compute" "$TARGETS_DIR/compute.c"
build_payload "$T/fix.xsp" "$PAYLOADS_DIR/compute_1000.c" "$T/compute"

cycle() { # PID OUT: load, revert, unload with the behaviour checked
	local pid=$1 out=$2 mark
	wait_workers "$out" 2 14 0
	mark=$(fsize "$out")
	xs_ok load "$pid" "$T/fix.xsp"
	wait_workers "$out" 2 1007 "$mark"
	expect_tick "$out" 'compute\(7\)=1007$'
	assert_status "$pid" fix APPLIED
	mark=$(fsize "$out")
	xs_ok revert "$pid" fix
	wait_workers "$out" 2 14 "$mark"
	xs_ok unload "$pid" fix
	steady_ticks "$out" 'compute\(7\)=14$'
}

# (a) the executable lives on a tmpfs only its own mount namespace sees
mkdir "$T/priv"
start_ready unshare -m --propagation private sh -c \
	"mount -t tmpfs xs-priv '$T/priv' && cp '$T/compute' '$T/priv/compute' && exec '$T/priv/compute' 2"
pid=$TPID
grep -q "$T/priv/compute" "/proc/$pid/maps" || fail "target does not run from $T/priv"
[ -e "$T/priv/compute" ] && fail "$T/priv/compute is visible outside the namespace: test is not valid"
cycle "$pid" "$TOUT"
_xs_kill_reap "$pid"

# (b) a chroot on a tmpfs of its own mount namespace, with copies of the
# executable and its libraries
mkdir "$T/root" "$T/stage"
cp "$T/compute" "$T/stage/compute"
for lib in $(ldd "$T/compute" | grep -o '/[^ ]*'); do
	mkdir -p "$T/stage$(dirname "$lib")"
	cp -L "$lib" "$T/stage$lib"
done
start_ready unshare -m --propagation private sh -c \
	"mount -t tmpfs xs-root '$T/root' && cp -a '$T/stage/.' '$T/root/' && exec chroot '$T/root' /compute 2"
pid=$TPID
grep -q "$T/root/compute" "/proc/$pid/maps" || fail "target does not run from the chroot $T/root"
[ -e "$T/root/compute" ] && fail "$T/root/compute is visible outside the namespace: test is not valid"
assert_eq "$(readlink "/proc/$pid/root")" "$T/root" "root of the target"
cycle "$pid" "$TOUT"
