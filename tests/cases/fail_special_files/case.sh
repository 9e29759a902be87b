#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# fail_special_files: a FIFO or a device where a file belongs. Opening a FIFO
# for reading blocks until a writer comes, and the CLI blocks SIGINT/SIGTERM,
# so a plain open() held it forever; every user-given path must be refused
# at once instead.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/compute" "$TARGETS_DIR/compute.c"
build_payload "$T/fix.xsp" "$PAYLOADS_DIR/compute_1000.c" "$T/compute"
mkfifo "$T/fifo"

# refused_fast ERE ARGS...: refused with one line within 5 s (then SIGTERM,
# which the CLI blocks, and SIGKILL a second later).
refused_fast() {
	local re=$1 start ms
	shift
	start=$(date +%s%N)
	XS_RC=0
	timeout -k 1 5 "$XSPLICE" "$@" >"$XS_OUT" 2>"$XS_ERR" </dev/null || XS_RC=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	say "+ xsplice $* -> $XS_RC ($ms ms): $(head -c 300 "$XS_ERR")"
	case $XS_RC in 124 | 137) fail "xsplice $* still blocked after 5 s" ;; esac
	xs_refused "$re" "$*"
}

start_compute "$T/compute"
snapshot before "$pid" "$addr" 16

F=$T/fifo
refused_fast "payload $F: not a regular file" info "$F"
refused_fast "payload $F: not a regular file" info "$F" --json
refused_fast "payload $F: not a regular file" upload "$pid" fifo "$F"
refused_fast "payload $F: not a regular file" load "$pid" "$F"
refused_fast "payload /dev/zero: not a regular file" load "$pid" /dev/zero
refused_fast "$F: not a regular file" build-id "$F"
refused_fast "source $F: not a regular file" cc --target "$T/compute" -o "$T/x.xsp" "$F"
refused_fast "$F: not a regular file" cc --target "$F" -o "$T/x.xsp" "$PAYLOADS_DIR/compute_1000.c"
refused_fast "payload $F: not a regular file" cc --target "$T/compute" -o "$T/x.xsp" \
	--depends "$F" "$PAYLOADS_DIR/compute_1000.c"
# an output that is a FIFO: ld would block writing it, and a failed cc
# removed its output (a FIFO, or /dev/null when run as root)
refused_fast "output $F: not a regular file" cc --target "$T/compute" -o "$F" \
	"$PAYLOADS_DIR/compute_1000.c"
[ -p "$F" ] || fail "the FIFO $F was removed"
mkdir "$T/src"
refused_fast "patch $F: not a regular file" build --src "$T/src" --patch "$F" \
	--target "$T/compute" -o "$T/x.xsp"
[ ! -e "$T/x.xsp" ] || fail "a refused command left $T/x.xsp"

# A FIFO the CLI cannot see: gcc blocks on it (-include). The CLI blocks
# SIGINT/SIGTERM for itself; its children must not inherit that: a SIGTERM
# to the process group ends gcc, and cc fails with one line.
setsid "$XSPLICE" cc --target "$T/compute" -o "$T/x.xsp" "$PAYLOADS_DIR/compute_1000.c" \
	-- -include "$F" >"$XS_OUT" 2>"$XS_ERR" </dev/null &
cc_pid=$!
track_pid "$cc_pid"
sleep 1
kill -TERM -- -"$cc_pid" 2>/dev/null || true
for _ in $(seq 60); do
	alive "$cc_pid" || break
	sleep 0.05
done
if alive "$cc_pid"; then
	kill -KILL -- -"$cc_pid" 2>/dev/null || true
	fail "cc with gcc blocked on a FIFO still runs 3 s after SIGTERM to its group"
fi
XS_RC=0
wait "$cc_pid" || XS_RC=$?
say "+ xsplice cc ... -- -include $F, SIGTERM to the group -> $XS_RC: $(head -c 300 "$XS_ERR")"
xs_refused 'cc: gcc was killed by SIGTERM' "cc -include FIFO, then SIGTERM"

assert_unchanged before "refused FIFO payloads"
assert_eq "$(list_ids "$pid")" "" "payloads after the refusals"
steady_ticks "$out" 'compute\(7\)=14$'
