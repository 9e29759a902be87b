# SPDX-License-Identifier: MIT
# Shared helpers for the integration cases (tests/cases/<name>/case.sh): a
# per-case temp dir, targets that never outlive the case, bounded waits, the
# CLI wrapper with its one-line error contract, and "process unchanged" checks.
#
# Usage at the top of a case.sh:
#   . "${XSPLICE_ROOT:-$(dirname "$0")/../../..}/tests/lib.sh"
# Env: XSPLICE (the CLI, default build/bin/xsplice), XSPLICE_ROOT (repo root),
# XSPLICE_KEEP=1 keeps the temp dir of a failed case, XSPLICE_VERBOSE=1 shows
# every CLI output in full.

set -euo pipefail
set -E

XSPLICE_ROOT=${XSPLICE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
XSPLICE=${XSPLICE:-$XSPLICE_ROOT/build/bin/xsplice}
CASE_DIR=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
CASE_NAME=$(basename "$CASE_DIR")
TARGETS_DIR=$XSPLICE_ROOT/tests/targets
PAYLOADS_DIR=$XSPLICE_ROOT/tests/payloads
T=$(mktemp -d "${TMPDIR:-/tmp}/xs-$CASE_NAME.XXXXXX")
XS_OUT=$T/xs.out
XS_ERR=$T/xs.err
XS_RC=0
TPID=
TOUT=
TERR=
HAVE_PYTHON=0
PYTHON=/usr/bin/python3 # not a pyenv shim: those take 0.5 s to start
[ -x "$PYTHON" ] || PYTHON=$(command -v python3 || true)
[ -n "$PYTHON" ] && "$PYTHON" -c 'import json' 2>/dev/null && HAVE_PYTHON=1

_XS_PIDS=()     # every background process we started: killed on exit
_XS_CLEANUPS=() # extra shell commands run on exit (before the kills)
_XS_NTARGET=0

# Log lines go to fd 3 (the case's stdout) so that $(...) captures only data.
exec 3>&1
say() { printf '%s\n' "$*" >&3; }

fail() {
	printf 'FAIL: %s: %s\n' "$CASE_NAME" "$*" >&2
	exit 1
}

_xs_on_err() {
	printf 'FAIL: %s: command failed at line %s: %s\n' "$CASE_NAME" "$1" "$2" >&2
}
trap '_xs_on_err "$LINENO" "$BASH_COMMAND"' ERR

# State letter of PID from /proc (empty when gone).
proc_state() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	s=${s##*) }
	printf '%s' "${s%% *}"
}

# True while PID exists and is neither a zombie nor dead.
alive() {
	local st
	st=$(proc_state "$1")
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# Kill PID (SIGKILL) and reap it, waiting at most 5 s.
_xs_kill_reap() {
	local pid=$1 i
	kill -9 "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		alive "$pid" || break
		sleep 0.05
	done
	{ wait "$pid"; } 2>/dev/null || true
}

_xs_cleanup() {
	local rc=$? c p
	set +e
	trap - ERR
	for c in "${_XS_CLEANUPS[@]}"; do eval "$c" >/dev/null 2>&1; done
	# pids started in a subshell (run_variant) are only in the file; each once
	if [ -f "$T/.pids" ]; then
		mapfile -t _XS_PIDS < <({ printf '%s\n' "${_XS_PIDS[@]}"; cat "$T/.pids"; } | awk 'NF && !seen[$0]++')
	fi
	for p in "${_XS_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	for p in "${_XS_PIDS[@]}"; do _xs_kill_reap "$p"; done
	for p in "${_XS_PIDS[@]}"; do
		alive "$p" && echo "WARNING: pid $p survived the case" >&2 && rc=1
	done
	if [ "$rc" != 0 ] && [ -n "${XSPLICE_KEEP:-}" ]; then
		echo "temp dir kept: $T" >&2
	else
		rm -rf "$T"
	fi
	if [ "$rc" = 0 ]; then echo "PASS: $CASE_NAME"; fi
	exit "$rc"
}
trap _xs_cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

at_exit() { _XS_CLEANUPS+=("$*"); }
track_pid() {
	_XS_PIDS+=("$1")
	echo "$1" >>"$T/.pids"
}

# ---------------------------------------------------------------------------
# asserts

assert_eq() { # ACTUAL EXPECTED [WHAT]
	[ "$1" = "$2" ] || fail "${3:-value}: expected '$2', got '$1'"
}

assert_ne() { # ACTUAL UNEXPECTED [WHAT]
	[ "$1" != "$2" ] || fail "${3:-value}: must differ from '$2'"
}

assert_contains() { # HAYSTACK NEEDLE [WHAT]   (fixed string)
	case "$1" in
	*"$2"*) ;;
	*) fail "${3:-text} does not contain '$2': $1" ;;
	esac
}

assert_match() { # STRING ERE [WHAT]
	printf '%s\n' "$1" | grep -Eq -- "$2" || fail "${3:-text} does not match /$2/: $1"
}

assert_file_match() { # FILE ERE [WHAT]
	grep -Eq -- "$2" "$1" || fail "${3:-$1} has no line matching /$2/"
}

assert_no_file_match() { # FILE ERE [WHAT]
	if grep -Eq -- "$2" "$1"; then
		fail "${3:-$1} has a line matching /$2/: $(grep -E -- "$2" "$1" | head -3)"
	fi
}

assert_alive() { # PID [WHAT]
	alive "$1" || fail "${2:-process $1} is not running (state '$(proc_state "$1")')"
	case "$(proc_state "$1")" in
	T | t) fail "${2:-process $1} is stopped (state $(proc_state "$1"))" ;;
	esac
}

# ---------------------------------------------------------------------------
# building

# build_target OUT SRC... [-- CFLAGS...]: gcc -O2 -g -pthread, tests/targets/ on
# the include path; the case adds -fPIE -pie, -no-pie, -shared -fPIC, ...
build_target() {
	local out=$1 srcs=() log=$T/gcc.log
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do srcs+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	gcc -O2 -g -pthread -Wall -I"$TARGETS_DIR" "${srcs[@]}" -o "$out" "$@" >"$log" 2>&1 ||
		fail "building $out failed: $(cat "$log")"
}

# build_payload OUT.xsp SRC.c TARGET [MORE cc ARGS...]: `xsplice cc`, must work.
build_payload() {
	local out=$1 src=$2 target=$3
	shift 3
	xs_ok cc --target "$target" -o "$out" "$src" "$@"
	[ -s "$out" ] || fail "xsplice cc did not write $out"
}

# ---------------------------------------------------------------------------
# the CLI

_xs_show() { # FILE LABEL: show (part of) a captured output in the log
	[ -s "$1" ] || return 0
	if [ -n "${XSPLICE_VERBOSE:-}" ]; then
		sed "s/^/    $2| /" "$1" >&3
	else
		head -n 12 "$1" | sed "s/^/    $2| /" >&3
	fi
}

# xs ARGS...: run the CLI (30 s bound), stdout in $XS_OUT, stderr in $XS_ERR,
# exit code in XS_RC and returned.
xs() {
	local start
	start=$(date +%s%N)
	XS_RC=0
	timeout -k 2 30 "$XSPLICE" "$@" >"$XS_OUT" 2>"$XS_ERR" </dev/null || XS_RC=$?
	say "+ xsplice $* -> $XS_RC ($((($(date +%s%N) - start) / 1000000)) ms)"
	if [ -n "${XSPLICE_VERBOSE:-}" ] || ! [[ $1 =~ ^(get|list|build-id)$ ]]; then
		_xs_show "$XS_OUT" out
	fi
	_xs_show "$XS_ERR" err
	[ "$XS_RC" = 124 ] && say "    (timed out after 30 s)"
	return "$XS_RC"
}

xs_ok() {
	xs "$@" && return 0
	fail "xsplice $* failed (exit $XS_RC): $(head -c 2000 "$XS_ERR")"
}

# xs_fail ERE ARGS...: must exit 1 with exactly one stderr line that starts
# with "xsplice: " and matches ERE (an errno text such as "No such process",
# or alternatives "Invalid argument|Operation not permitted"; "." = any).
xs_fail() {
	local re=$1
	shift
	if xs "$@"; then
		fail "xsplice $* succeeded but must be refused"
	fi
	xs_refused "$re" "$*"
}

# xs_usage ERE ARGS...: the same, for a command line not understood (exit 2).
xs_usage() {
	local re=$1
	shift
	if xs "$@"; then
		fail "xsplice $* succeeded but must be refused as a usage error"
	fi
	XS_WANT_RC=2 xs_refused "$re" "$*"
}

# xs_busy ERE ARGS...: the same, for a process busy for now (exit 75,
# EX_TEMPFAIL: a thread in a function being replaced, another run holding it).
# The error line is the last; the lines before it (the busy threads' stacks,
# a long wait's line) start with "xsplice: " too.
xs_busy() {
	local re=$1
	shift
	if xs "$@"; then
		fail "xsplice $* succeeded but must be refused as busy"
	fi
	[ "$XS_RC" = 75 ] || fail "xsplice $*: exit code $XS_RC, expected 75; stderr: $(head -c 2000 "$XS_ERR")"
	[ "$(tail -c 1 "$XS_ERR" | od -An -c | tr -d ' ')" = '\n' ] ||
		fail "xsplice $*: stderr does not end with a newline: $(head -c 2000 "$XS_ERR")"
	if grep -qv '^xsplice: ' "$XS_ERR"; then
		fail "xsplice $*: a stderr line does not start with 'xsplice: ': $(head -c 2000 "$XS_ERR")"
	fi
	tail -n 1 "$XS_ERR" | grep -Eq -- "$re" ||
		fail "xsplice $*: the last stderr line does not match /$re/: $(head -c 2000 "$XS_ERR")"
}

# xs_refused ERE WHAT: the last xs run was a proper refusal (exit 1, or
# XS_WANT_RC, one stderr line "xsplice: ..." matching ERE).
# A long wait's one progress line (docs/cli.md) may come first, and
# `xsplice build` reports its steps ("build: STEP (N s)"): not counted.
XS_WAIT_LINE_RE='^xsplice: [a-z-]+: pid [0-9]+: waiting up to [0-9]+ ms for thread [0-9]+ to leave '
xs_refused() {
	local re=$1 what=$2 lines want=${XS_WANT_RC:-1} err=$XS_ERR.refusal
	[ "$XS_RC" = "$want" ] || fail "xsplice $what: exit code $XS_RC, expected $want; stderr: $(head -c 2000 "$XS_ERR")"
	{ head -n 1 "$XS_ERR" | grep -Ev -- "$XS_WAIT_LINE_RE"; tail -n +2 "$XS_ERR"; } |
		grep -v '^build: ' >"$err" || true
	lines=$(wc -l <"$err")
	[ "$lines" = 1 ] && [ "$(tail -c 1 "$err" | od -An -c | tr -d ' ')" = '\n' ] ||
		fail "xsplice $what: stderr must be exactly one line, got $lines: $(head -c 2000 "$XS_ERR")"
	[ "$(head -c 9 "$err")" = "xsplice: " ] ||
		fail "xsplice $what: stderr does not start with 'xsplice: ': $(cat "$XS_ERR")"
	grep -Eq -- "$re" "$err" ||
		fail "xsplice $what: stderr does not match /$re/: $(cat "$XS_ERR")"
}

# xs_fail_lines N ERE ARGS...: a refusal that lists what it found first: exit
# 1, exactly N stderr lines, each starting "xsplice: "; the last (the error
# line) matches ERE.
xs_fail_lines() {
	local n=$1 re=$2 lines err=$XS_ERR
	shift 2
	if xs "$@"; then
		fail "xsplice $* succeeded but must be refused"
	fi
	[ "$XS_RC" = 1 ] || fail "xsplice $*: exit code $XS_RC, expected 1; stderr: $(head -c 2000 "$XS_ERR")"
	if grep -q '^build: ' "$XS_ERR"; then # the steps of `xsplice build`
		err=$XS_ERR.refusal
		grep -v '^build: ' "$XS_ERR" >"$err" || true
	fi
	lines=$(wc -l <"$err")
	[ "$lines" = "$n" ] || fail "xsplice $*: stderr must be $n lines, got $lines: $(head -c 2000 "$err")"
	if grep -qv '^xsplice: ' "$err"; then
		fail "xsplice $*: a stderr line does not start with 'xsplice: ': $(cat "$err")"
	fi
	tail -n 1 "$err" | grep -Eq -- "$re" ||
		fail "xsplice $*: the last stderr line does not match /$re/: $(cat "$err")"
}

# The refusal message of the last xs_fail (one line).
xs_err() { cat "$XS_ERR"; }

# get_field PID ID KEY: value of "KEY: value" in `xsplice get PID ID`.
get_field() {
	xs_ok get "$1" "$2"
	sed -n "s/^$3: //p" "$XS_OUT" | head -n 1
}

status_of() { get_field "$1" "$2" status; }

assert_status() { # PID ID STATUS
	local st
	st=$(status_of "$1" "$2")
	assert_eq "$st" "$3" "status of payload $2"
}

# IDs in `xsplice list PID` (text form: header line, then one row each).
list_ids() {
	xs_ok list "$1"
	tail -n +2 "$XS_OUT" | awk 'NF { print $1 }'
}

# STATUS of ID in the text `list` (checks the table agrees with `get`).
list_status() {
	xs_ok list "$1"
	head -n 1 "$XS_OUT" | grep -q '^ID  *STATUS' || fail "list header is not 'ID STATUS ...': $(head -n 1 "$XS_OUT")"
	awk -v id="$2" 'NR > 1 && $1 == id { print $2 }' "$XS_OUT"
}

# json_eval FILE PYEXPR: print PYEXPR evaluated with d = the parsed JSON
# (python3 only; callers check HAVE_PYTHON).
json_eval() {
	"$PYTHON" -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$1" "$2" || fail "invalid JSON or expression: $2: $(head -c 500 "$1")"
}

# list --json: checks it parses and prints its version.
list_json_version() {
	xs_ok list "$1" --json
	if [ "$HAVE_PYTHON" = 1 ]; then
		json_eval "$XS_OUT" 'd["version"]'
	else
		grep -o '"version": *[0-9]*' "$XS_OUT" | grep -o '[0-9]*$' || fail "no version in list --json"
	fi
}

# ---------------------------------------------------------------------------
# targets

# start_target BIN ARGS...: start in the background, stdout appended to a
# fresh file; sets TPID, TOUT (stdout), TERR (stderr).
start_target() {
	_XS_NTARGET=$((_XS_NTARGET + 1))
	TOUT=$T/target$_XS_NTARGET.out
	TERR=$T/target$_XS_NTARGET.err
	: >"$TOUT"
	: >"$TERR"
	"$@" >>"$TOUT" 2>>"$TERR" </dev/null 3>&- &
	TPID=$!
	track_pid "$TPID"
	say "started target pid $TPID: $*"
}

# start_ready BIN ARGS...: start_target, then wait for its "ready" line.
start_ready() {
	start_target "$@"
	wait_for_line "$TOUT" '^ready$' 10 || fail "target $* never printed 'ready'; stderr: $(head -c 1000 "$TERR"); stdout: $(head -c 1000 "$TOUT")"
}

# Byte size of FILE: a mark for wait_for_line's FROM.
fsize() { stat -c %s "$1"; }

# wait_for_line FILE ERE TIMEOUT_S [FROM_BYTE]: poll (every 25 ms, bounded)
# until a line after byte FROM matches. Returns 1 on timeout.
wait_for_line() {
	local file=$1 re=$2 limit=$3 from=${4:-0} i n
	n=$((limit * 40))
	for ((i = 0; i <= n; i++)); do
		if tail -c +$((from + 1)) "$file" 2>/dev/null | grep -Eq -- "$re"; then
			return 0
		fi
		sleep 0.025
	done
	say "timeout (${limit}s) waiting for /$re/ in $file"
	return 1
}

# count_lines FILE ERE [FROM]: distinct matching lines after FROM.
count_lines() {
	{ tail -c +$((${3:-0} + 1)) "$1" 2>/dev/null | grep -E -- "$2" || true; } | sort -u | wc -l
}

# wait_count FILE ERE N TIMEOUT_S [FROM]: until N distinct lines match.
wait_count() {
	local file=$1 re=$2 want=$3 limit=$4 from=${5:-0} i n c=0
	n=$((limit * 40))
	for ((i = 0; i <= n; i++)); do
		c=$(count_lines "$file" "$re" "$from")
		[ "$c" -ge "$want" ] && return 0
		sleep 0.025
	done
	say "timeout (${limit}s): $c of $want lines /$re/ in $file"
	return 1
}

# expect_tick FILE ERE [TIMEOUT_S]: a "tick" line printed from now on matches
# (the target prints "tick N ..." every 100-200 ms): the new behaviour is seen.
expect_tick() {
	local from
	from=$(fsize "$1")
	wait_for_line "$1" "^tick .*$2" "${3:-5}" "$from" ||
		fail "no fresh tick matching /$2/; last ticks: $(grep '^tick' "$1" | tail -n 3 | tr '\n' '|')"
}

# steady_ticks FILE ERE: the next two ticks both match (behaviour stable,
# target alive and not stopped). The second was computed after the mark.
steady_ticks() {
	local from bad
	from=$(fsize "$1")
	wait_count "$1" '^tick ' 2 5 "$from" ||
		fail "target stopped printing ticks: $(tail -n 3 "$1" | tr '\n' '|')"
	bad=$(tail -c +$((from + 1)) "$1" | grep '^tick ' | grep -Ev -- "$2" | head -n 1 || true)
	[ -z "$bad" ] || fail "tick does not match /$2/: $bad"
}

# addr_of FILE NAME: the address the target printed as "addr NAME 0x...".
addr_of() {
	local a
	a=$(sed -n "s/^addr $2 \(0x[0-9a-fA-F]*\)$/\1/p" "$1" | tail -n 1)
	[ -n "$a" ] || fail "target printed no 'addr $2' line"
	printf '%s' "$a"
}

# read_code PID ADDR LEN: LEN bytes of the target's memory, as "f3 0f 1e fa".
read_code() {
	local out
	out=$(dd if="/proc/$1/mem" bs="$3" count=1 skip=$(($2)) iflag=skip_bytes status=none 2>/dev/null |
		od -An -tx1 -v | tr -s ' \n' ' ' | sed 's/^ //; s/ $//') || true
	[ -n "$out" ] || fail "cannot read $3 bytes at $2 in pid $1"
	printf '%s' "$out"
}

# write_code PID ADDR HEX...: write bytes into PID's memory, with the
# process stopped (SIGSTOP, then SIGCONT) so no thread runs half-written code.
write_code() {
	local pid=$1 addr=$2 esc= b
	shift 2
	for b in "$@"; do esc="$esc\\x$b"; done
	kill -STOP "$pid" || fail "cannot stop pid $pid"
	for _ in $(seq 200); do # every thread, not just the first, within 2 s
		[ -z "$(grep -Lw '^State:.T' /proc/"$pid"/task/*/status 2>/dev/null)" ] && break
		sleep 0.01
	done
	printf "$esc" | dd of="/proc/$pid/mem" bs=1 seek=$((addr)) oflag=seek_bytes conv=notrunc status=none ||
		{ kill -CONT "$pid"; fail "cannot write $# bytes at $addr in pid $pid"; }
	kill -CONT "$pid" || fail "cannot resume pid $pid"
}

# Maps of PID, without the lines that move on their own.
maps_of() {
	grep -Ev '\[(vsyscall|vvar|vvar_vclock|vdso)\]' "/proc/$1/maps" ||
		fail "cannot read /proc/$1/maps"
}

# Executable mappings (addresses + perms + name) of PID.
exec_maps_of() {
	awk '$2 ~ /x/ { print $1, $2, $6 }' "/proc/$1/maps"
}

# snapshot TAG PID ADDR LEN: remember maps and LEN code bytes at ADDR.
snapshot() {
	local tag=$1 pid=$2 addr=$3 len=$4
	maps_of "$pid" >"$T/snap.$tag.maps"
	read_code "$pid" "$addr" "$len" >"$T/snap.$tag.code"
	printf '%s %s %s\n' "$pid" "$addr" "$len" >"$T/snap.$tag.meta"
}

# assert_unchanged TAG [WHAT]: same maps, same code bytes, still running.
assert_unchanged() {
	local tag=$1 what=${2:-} pid addr len
	read -r pid addr len <"$T/snap.$tag.meta"
	assert_alive "$pid" "target (after $what)"
	maps_of "$pid" >"$T/snap.$tag.maps.now"
	if ! cmp -s "$T/snap.$tag.maps" "$T/snap.$tag.maps.now"; then
		diff "$T/snap.$tag.maps" "$T/snap.$tag.maps.now" | head -n 20 >&3 || true
		fail "maps of pid $pid changed ($what)"
	fi
	assert_eq "$(read_code "$pid" "$addr" "$len")" "$(cat "$T/snap.$tag.code")" "code at $addr ($what)"
}

# Signal masks of every thread: "tid SigBlk SigCgt" lines.
sigmasks_of() {
	local s
	for s in /proc/"$1"/task/*/status; do
		awk -v t="${s%/status}" '/^SigBlk|^SigCgt/ { v = v " " $2 } END { sub(".*/", "", t); print t v }' "$s"
	done | sort
}

nthreads_of() { ls "/proc/$1/task" | wc -l; }

# A pid that no process has (a child we started and reaped).
dead_pid() {
	local p
	sleep 0 &
	p=$!
	wait "$p" || true
	printf '%s' "$p"
}

# start_compute BIN: start BIN (built from tests/targets/compute.c) with 4
# workers and wait until each has computed 14; sets pid, out, addr (compute's
# address) and orig (its first 16 bytes), as most cases begin.
start_compute() {
	start_ready "$1" 4
	pid=$TPID out=$TOUT
	wait_workers "$out" 4 14 0
	addr=$(addr_of "$out" compute)
	orig=$(read_code "$pid" "$addr" 16)
}

# wait_workers FILE NTHREADS VALUE FROM [TIMEOUT_S]: every worker of the
# compute target printed "tI compute(7)=VALUE" after byte FROM.
wait_workers() {
	wait_count "$1" "^t[0-9]+ compute\(7\)=$3$" "$2" "${5:-5}" "$4" ||
		fail "only $(count_lines "$1" "^t[0-9]+ compute\(7\)=$3$" "$4") of $2 workers saw compute(7)=$3"
}

# new_lines A B: lines of file B that are not in file A.
new_lines() { grep -vxF -f "$1" "$2" || true; }

# patch_bytes FILE OFFSET HEXBYTE...: overwrite bytes in place.
patch_bytes() {
	local file=$1 off=$2 esc=
	shift 2
	for b in "$@"; do esc="$esc\\x$b"; done
	printf "$esc" | dd of="$file" bs=1 seek="$off" conv=notrunc status=none ||
		fail "cannot patch $file at $off"
}

# patch_u64 FILE OFFSET VALUE: a little-endian 64-bit value.
patch_u64() {
	local v=$3 bytes=() i
	for ((i = 0; i < 8; i++)); do
		bytes+=("$(printf '%02x' $(((v >> (8 * i)) & 255)))")
	done
	patch_bytes "$1" "$2" "${bytes[@]}"
}

# read_uint FILE OFFSET SIZE(1|2|4|8): a little-endian unsigned value.
read_uint() {
	od -An -tu"$3" -j "$2" -N "$3" "$1" | tr -d ' '
}

# hold_run POINT ARGS...: start `xsplice ARGS...` in the background, held at
# its test pause point POINT (XSPLICE_TEST_PAUSE_AT: before-stop, in-stop);
# returns once it is held, its pid in HELD_PID. release_held lets it go.
hold_run() {
	local point=$1
	shift
	rm -f "$T/go" "$T/go.ready"
	XSPLICE_TEST_PAUSE_AT=$point XSPLICE_TEST_PAUSE_FILE="$T/go" \
		timeout -k 2 60 "$XSPLICE" "$@" >"$T/held.out" 2>"$T/held.err" </dev/null &
	HELD_PID=$!
	track_pid "$HELD_PID"
	for _ in $(seq 600); do
		[ -e "$T/go.ready" ] && return 0
		alive "$HELD_PID" || break
		sleep 0.05
	done
	fail "xsplice $* never reached $point: $(cat "$T/held.err")"
}

# release_held: let the held run go; its exit code in HELD_RC, stderr in $T/held.err.
release_held() {
	touch "$T/go"
	HELD_RC=0
	wait "$HELD_PID" || HELD_RC=$?
	say "+ held run -> $HELD_RC: $(cat "$T/held.out" "$T/held.err")"
}

# ---------------------------------------------------------------------------
# unprivileged, hostile targets (the attack_* cases): the process is
# untrusted, the CLI runs as root against it.

UNPRIV=(setpriv --reuid=nobody --regid=nogroup --clear-groups)

# unpriv_dir: $T readable by nobody (the binaries live there) and $OWN, a
# directory nobody owns: the target's files and its command files.
unpriv_dir() {
	chmod 755 "$T"
	OWN=$T/own
	mkdir -p "$OWN"
	chown nobody:nogroup "$OWN"
}

# start_ready_unpriv BIN ARGS...: start_ready, as nobody.
start_ready_unpriv() {
	start_ready "${UNPRIV[@]}" "$@"
}

# hostile_loaded [root]: the hostile target (as nobody; as root with "root")
# with two workers and tests/payloads/compute_1000.c ($T/fix.xsp) loaded:
# pid, out, addr (compute), orig (its first 16 bytes before) are set.
hostile_loaded() {
	if [ "${1:-}" = root ]; then
		start_ready "$T/hostile" "$OWN" 2
	else
		start_ready_unpriv "$T/hostile" "$OWN" 2
	fi
	pid=$TPID out=$TOUT
	wait_workers "$out" 2 14 0
	addr=$(addr_of "$out" compute)
	orig=$(read_code "$pid" "$addr" 16)
	xs_ok load "$pid" "$T/fix.xsp"
	expect_tick "$out" 'compute\(7\)=1007 '
}

# build_hostile OUT: tests/targets/hostile.c, compiled against src/state/state.h
# (its field names, not offsets: it follows the header as it changes).
build_hostile() {
	build_target "$1" "$TARGETS_DIR/hostile.c" -- -I"$XSPLICE_ROOT/src" -I"$XSPLICE_ROOT/include"
}

# hcmd OUT NAME LINE...: hand the hostile target whose stdout is OUT the
# command lines (in $OWN/NAME: "cmd", or "cmd.cI" for forked child I) and
# wait for its "done"; fails on an "err" line unless HCMD_MAY_FAIL=1 (then
# returns 1). The target's answers are in $T/hcmd.out.
hcmd() {
	local out=$1 name=$2 mark
	shift 2
	mark=$(fsize "$out")
	printf '%s\n' "$@" >"$OWN/.$name.tmp"
	mv "$OWN/.$name.tmp" "$OWN/$name"
	say "> $name: $*"
	wait_for_line "$out" '^done$' 10 "$mark" || fail "target did not run: $*"
	tail -c +$((mark + 1)) "$out" | grep -Ev '^(tick|t[0-9]+) ' >"$T/hcmd.out" || true
	if grep -q '^err ' "$T/hcmd.out"; then
		[ "${HCMD_MAY_FAIL:-0}" = 1 ] && { say "  $(grep '^err ' "$T/hcmd.out" | head -n 1)"; return 1; }
		fail "target command failed: $(grep '^err ' "$T/hcmd.out" | head -n 3 | tr '\n' '|')"
	fi
	return 0
}

# hattack OUT NAME LINE...: hcmd for the commands that mount an attack. If
# the target cannot write the memory it attacks through ("read-only to the
# target": xsplice made it so), the attack is moot: the case (or the
# run_variant subshell) ends here and passes.
hattack() {
	if HCMD_MAY_FAIL=1 hcmd "$@"; then
		return 0
	fi
	if grep -q '^err .*: read-only to the target$' "$T/hcmd.out"; then
		say "the target cannot write what it attacks through: nothing to test"
		exit 0
	fi
	fail "target command failed: $(grep '^err ' "$T/hcmd.out" | head -n 3 | tr '\n' '|')"
}

# xs_sane ARGS...: run the CLI against a hostile process. It may do the
# action or refuse it, but must not die of a signal or time out, must print
# no sanitizer report, and a refusal is one line "xsplice: ..." (exit 1).
# Never fails the caller for a refusal: the exit code is in XS_RC.
xs_sane() {
	xs "$@" || true
	if grep -Eq 'Sanitizer|runtime error:|SUMMARY: ' "$XS_ERR"; then
		fail "xsplice $* (exit $XS_RC): sanitizer report: $(grep -E 'ERROR|runtime error|SUMMARY' "$XS_ERR" | head -n 3 | tr '\n' '|')"
	fi
	if [ "$XS_RC" -ge 128 ]; then
		fail "xsplice $*: killed by signal $((XS_RC - 128)) (exit $XS_RC); stderr: $(head -c 500 "$XS_ERR")"
	fi
	[ "$XS_RC" = 124 ] && fail "xsplice $*: timed out"
	if [ "$XS_RC" = 2 ] || [ "$XS_RC" = 75 ]; then # usage, busy: refusals too
		XS_WANT_RC=$XS_RC xs_refused . "$*"
	elif [ "$XS_RC" != 0 ]; then
		xs_refused . "$*"
	elif [ "$(wc -l <"$XS_ERR")" -gt 1 ]; then
		fail "xsplice $* succeeded with more than one line on stderr: $(head -c 500 "$XS_ERR")"
	fi
	return 0
}

# xs_has_command NAME: the CLI knows the command (its usage lists it).
xs_has_command() {
	"$XSPLICE" --help 2>/dev/null | grep -Eq "^ +xsplice $1( |\$)"
}

# run_variant NAME FUNC ARGS...: run FUNC in a subshell, so that one
# variant's failure is reported and the others still run; the processes it
# started are killed when it ends. variants_done fails the case if any failed.
VARIANT_FAILS=()
run_variant() {
	local name=$1 n=${#_XS_PIDS[@]} rc=0 sub
	shift
	say "=== $name"
	# in the background: a subshell in an || list would run without set -e
	(
		trap '_xs_variant_end '"$n" EXIT
		"$@"
	) &
	sub=$!
	wait "$sub" || rc=$?
	if [ "$rc" != 0 ]; then
		VARIANT_FAILS+=("$name")
		say "=== $name: FAILED"
	fi
	return 0
}

_xs_variant_end() {
	local rc=$? i
	trap - ERR
	# the last started first: a target's forked children before it
	for ((i = ${#_XS_PIDS[@]} - 1; i >= $1; i--)); do _xs_kill_reap "${_XS_PIDS[$i]}"; done
	# gone: the case's cleanup must not kill these pids again (reused by then)
	printf '%s\n' "${_XS_PIDS[@]:0:$1}" | grep . >"$T/.pids" || true
	exit "$rc"
}

variants_done() {
	[ ${#VARIANT_FAILS[@]} = 0 ] || fail "${#VARIANT_FAILS[@]} variant(s) failed: ${VARIANT_FAILS[*]}"
}
