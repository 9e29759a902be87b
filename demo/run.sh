#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The live-patch demo (`make demo`): a running, loaded TCP service leaks other
# clients' data; xsplice fixes it without a restart, reverts, re-applies.
# Checks every claim it prints; exits non-zero if one is false. ~15 s.
set -u
cd "$(dirname "$0")/.."
XS=${XSPLICE:-build/bin/xsplice}
OUT=build/demo
CFLAGS="-std=gnu11 -Wall -Wextra -Werror -O2 -g -D_GNU_SOURCE -pthread"
WORKERS=8 CONNS=8 EVIL=50 RATE=2000 # per connection: 2000 requests/s, 1 in 50 malicious

server_pid= client_pid= failures=() shown=0 marks=0

cleanup() {
	for p in $client_pid $server_pid; do
		kill -KILL "$p" 2>/dev/null
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold= plain=; fi
say() { printf '\n%s%s%s\n' "$bold" "$*" "$plain"; }
claim() { # claim "text" test...: print and record the verdict
	local text=$1; shift
	if "$@"; then
		echo "  [ok] $text"
	else
		echo "  [FAILED] $text"
		failures+=("$text")
	fi
}
run() { # show a command and its output; bounded in time
	echo "\$ $*"
	timeout -k 2 30 "$@" >"$OUT/cmd.log" 2>&1
	local rc=$?
	sed 's/^/  /' "$OUT/cmd.log"
	[ $rc = 0 ] || echo "  (exit status $rc)"
	return $rc
}
die() {
	echo "demo: $*" >&2
	exit 1
}

# The client's per-second lines printed since the last call.
client_lines() {
	local total
	total=$(grep -c '^\[' "$OUT/client.log")
	if [ "$total" -gt "$shown" ]; then
		echo "  client, one line per second:"
		grep '^\[' "$OUT/client.log" | tail -n +$((shown + 1)) | sed 's/^/    /'
	fi
	shown=$total
}

# Ask the client for its running totals (SIGUSR1) and parse them into m_*.
mark() {
	local line="" i
	marks=$((marks + 1))
	kill -USR1 "$client_pid" 2>/dev/null || die "the client (pid $client_pid) is gone"
	for i in $(seq 60); do
		line=$(grep "^mark $marks:" "$OUT/client.log") && break
		sleep 0.05
	done
	[ -n "$line" ] || die "the client did not answer mark $marks within 3 s"
	local head=${line%% sample=*}
	for f in ok leaked refused wrong dropped; do
		eval "m_$f=$(sed -n "s/.* $f=\([0-9]*\).*/\1/p" <<<"$head")"
	done
	m_sample=${line#* sample=}
}

# Run for $1 seconds after a settling pause; d_* = what happened in between.
observe() {
	sleep 0.3 # requests already in flight belong to the previous state
	mark
	local o=$m_ok l=$m_leaked r=$m_refused
	sleep "$1"
	mark
	d_ok=$((m_ok - o)) d_leaked=$((m_leaked - l)) d_refused=$((m_refused - r))
	client_lines
	echo "  in those ${1}s: $d_ok valid requests answered correctly," \
		"$d_leaked malicious requests got leaked data, $d_refused were refused;" \
		"wrong answers so far: $m_wrong, dropped connections so far: $m_dropped"
}

[ -x "$XS" ] || die "$XS is missing: run make first"
mkdir -p "$OUT"
rm -f "$OUT"/fix.xsp "$OUT"/*.log

say "0. building the demo service and its load generator"
run gcc $CFLAGS demo/server.c -o "$OUT/server" || die "cannot build the server"
run gcc $CFLAGS demo/client.c -o "$OUT/client" || die "cannot build the client"

"$OUT/server" "$WORKERS" >"$OUT/server.log" 2>&1 &
server_pid=$!
for i in $(seq 100); do
	port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$OUT/server.log")
	[ -n "$port" ] && break
	sleep 0.05
done
[ -n "$port" ] || die "the server did not start: $(cat "$OUT/server.log")"
"$OUT/client" "$port" 60 "$CONNS" "$EVIL" "$RATE" >"$OUT/client.log" 2>"$OUT/client.err" &
client_pid=$!
echo "\$ $OUT/server $WORKERS &"
sed 's/^/  /' "$OUT/server.log"
echo "\$ $OUT/client $port 60 $CONNS $EVIL $RATE &"
sleep 0.2
sed 's/^/  /' "$OUT/client.log"

say "1. the service is running; the client sees the bug: a 1-byte record declaring 64 bytes gets 63 bytes of someone else's request back"
observe 2
echo "  a leak, as the client saw it: $m_sample"
claim "the bug is visible before the fix ($d_leaked leaks in 2 s)" test "$d_leaked" -gt 0
claim "valid requests are served meanwhile" test "$d_ok" -gt 0

say "2. building the fix: xsplice cc (demo/fix.c replaces the static parse_record() of server.c)"
run "$XS" cc --target "$OUT/server" -o "$OUT/fix.xsp" demo/fix.c || die "xsplice cc failed"
run "$XS" info "$OUT/fix.xsp"

say "3. applying live: xsplice load $server_pid $OUT/fix.xsp"
t0=$(date +%s%N)
run "$XS" load "$server_pid" "$OUT/fix.xsp"
rc=$?
echo "  (took $((($(date +%s%N) - t0) / 1000000)) ms, the server was never restarted)"
claim "xsplice load succeeded" test $rc = 0
[ $rc = 0 ] || die "nothing to show without the patch applied"

say "4. what the process now runs: xsplice list / get"
run "$XS" list "$server_pid"
run "$XS" get "$server_pid" fix

say "5. the bug is gone; no connection dropped"
observe 2
claim "no leak after the fix" test "$d_leaked" = 0
claim "the malicious records are refused instead ($d_refused)" test "$d_refused" -gt 0
claim "valid requests still answered correctly ($d_ok, wrong so far: $m_wrong)" \
	test "$d_ok" -gt 0 -a "$m_wrong" = 0
claim "no connection dropped" test "$m_dropped" = 0

say "6. reverting: xsplice revert $server_pid fix"
run "$XS" revert "$server_pid" fix
claim "xsplice revert succeeded" test $? = 0
run "$XS" list "$server_pid"

say "7. the bug is back"
observe 2
echo "  a leak, as the client saw it: $m_sample"
claim "the bug is visible again after the revert ($d_leaked leaks)" test "$d_leaked" -gt 0

say "8. applying again (the payload is still loaded): xsplice apply $server_pid fix"
run "$XS" apply "$server_pid" fix
claim "xsplice apply succeeded" test $? = 0
observe 1.5
claim "no leak after re-applying" test "$d_leaked" = 0
claim "the malicious records are refused again ($d_refused)" test "$d_refused" -gt 0

say "9. stopping the client and the server"
kill -TERM "$client_pid"
for i in $(seq 100); do
	kill -0 "$client_pid" 2>/dev/null || break
	sleep 0.05
done
kill -0 "$client_pid" 2>/dev/null && die "the client did not stop within 5 s"
wait "$client_pid"
client_rc=$?
client_pid=
client_lines
grep '^client:' "$OUT/client.log" | tail -n 2 | sed 's/^/  /'
sed 's/^/  /' "$OUT/client.err"
claim "the client's own verdict: every valid answer right, no connection dropped" test $client_rc = 0
kill -TERM "$server_pid"
for i in $(seq 100); do
	kill -0 "$server_pid" 2>/dev/null || break
	sleep 0.05
done
wait "$server_pid" 2>/dev/null
server_pid=
tail -n 1 "$OUT/server.log" | sed 's/^/  /'
server_refused=$(sed -n 's/.* \([0-9]*\) bad records refused.*/\1/p' "$OUT/server.log")
client_refused=$(sed -n 's/^client: totals:.* refused=\([0-9]*\).*/\1/p' "$OUT/client.log")
claim "the server's refusal counter, a static of server.c the fix updates, matches the client's ${client_refused:-?} refusals" \
	test -n "$server_refused" -a "$server_refused" = "$client_refused"

say "summary"
if [ ${#failures[@]} = 0 ]; then
	echo "demo: PASS: bug seen before the fix, gone while applied, back after revert, gone after re-apply; no connection dropped"
	exit 0
fi
printf 'demo: FAILED: %s\n' "${failures[@]}"
exit 1
