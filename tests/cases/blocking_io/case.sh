#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# blocking_io: interrupted system calls must restart as if nothing happened.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/echo" "$CASE_DIR/echo.c"
build_payload "$T/fix.xsp" "$CASE_DIR/fix.c" "$T/echo"
start_ready "$T/echo"
pid=$TPID out=$TOUT
port=$(sed -n 's/^port //p' "$out")
[ -n "$port" ] || fail "no port"

exec 7<>"/dev/tcp/127.0.0.1/$port" || fail "cannot connect to port $port"
at_exit "exec 7>&-"

# echo_on FD TEXT EXPECTED: one line through an open connection
echo_on() {
	local line=
	printf '%s\n' "$2" >&"$1"
	read -r -t 5 line <&"$1" || fail "no echo of '$2' on fd $1 (got '$line')"
	assert_eq "$line" "$3" "echo of '$2'"
}

# echo_new TEXT EXPECTED: the same through a new connection
echo_new() {
	exec 8<>"/dev/tcp/127.0.0.1/$port" || fail "cannot connect to port $port"
	echo_on 8 "$1" "$2"
	exec 8>&-
}

echo_on 7 hello hello
echo_new hello hello
wait_for_line "$out" '^slept ' 5 || fail "the sleeper never woke"
sleep 0.3 # the connection thread is back in read(), the acceptor in accept()

for round in 1 2 3; do
	xs_ok load "$pid" "$T/fix.xsp" --id "fix$round"
	echo_on 7 "hello$round" "HELLO$round"
	echo_new "abc$round" "ABC$round"
	sleep 0.3
	xs_ok revert "$pid" "fix$round"
	echo_on 7 "hello$round" "hello$round"
	echo_new "abc$round" "abc$round"
	xs_ok unload "$pid" "fix$round"
	sleep 0.3
done
steady_ticks "$out" 'transform\(a\)=a$'

# let the sleeper finish the sleep it was in during the last action
from=$(fsize "$out")
wait_for_line "$out" '^slept ' 3 "$from" || fail "the sleeper stopped"
grep -v '^tick' "$out" >&3
assert_no_file_match "$out" 'error' "target log"
n=$(grep -c '^slept ' "$out")
[ "$n" -ge 2 ] || fail "only $n nanosleep results"
bad=$(awk '/^slept / { split($2, m, "="); if (m[2] < 2000 || $3 != "rc=0") print }' "$out")
[ -z "$bad" ] || fail "a nanosleep(2 s) was cut short or failed: $bad"
assert_alive "$pid"
