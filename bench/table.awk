# SPDX-License-Identifier: MIT
# Turns bench/run.sh's raw samples ("THREADS FUNCS ACTION REP key=value...")
# into the results table (-v fmt=text) or JSON (-v fmt=json -v machine=FILE).
# Plain POSIX awk (Debian's mawk): no asort, so medians sort by hand.

function median(g, key,    n, i, j, v, a) {
	n = cnt[g]
	if (n == 0) return -1
	for (i = 1; i <= n; i++) a[i] = val[g, key, i] + 0
	for (i = 2; i <= n; i++) {
		v = a[i]
		for (j = i - 1; j >= 1 && a[j] > v; j--) a[j + 1] = a[j]
		a[j + 1] = v
	}
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}

function maxof(g, key,    n, i, m) {
	n = cnt[g]
	m = -1
	for (i = 1; i <= n; i++) if (val[g, key, i] + 0 > m) m = val[g, key, i] + 0
	return m
}

function minof(g, key,    n, i, m) {
	n = cnt[g]
	m = -1
	for (i = 1; i <= n; i++) if (m < 0 || val[g, key, i] + 0 < m) m = val[g, key, i] + 0
	return m
}

function num(x, prec) { return x < 0 ? "-" : sprintf("%." prec "f", x) }

function jnum(x) { return x < 0 ? "null" : sprintf("%.4f", x) }

function jstr(s) {
	gsub(/\\/, "\\\\", s)
	gsub(/"/, "\\\"", s)
	return "\"" s "\""
}

function add_group(g) {
	if (!(g in seen)) { seen[g] = 1; order[++ngroups] = g }
}

{
	t = $1; f = $2; action = $3
	delete kv
	for (i = 5; i <= NF; i++) {
		nparts = split($i, parts, ",")
		for (p = 1; p <= nparts; p++) {
			eq = index(parts[p], "=")
			if (eq) kv[substr(parts[p], 1, eq - 1)] = substr(parts[p], eq + 1)
		}
	}
	samples[++nsamples] = $0
	if (action ~ /^verify-/) { # the payload's effect was not seen in busy
		g = t SUBSEP f SUBSEP substr(action, 8)
		add_group(g)
		badverify[g]++
		next
	}
	g = t SUBSEP f SUBSEP action
	add_group(g)
	# A refused apply must fail as busy (exit 75; 1 before 2026-12-08); everything else must work.
	if ((action ~ /-refused$/ ? kv["rc"] != "75" && kv["rc"] != "1" : kv["rc"] != "0") ||
	    kv["late"] + 0 > 0) {
		fails[g]++; suspect[g] += kv["late"] > 0; next
	}
	n = ++cnt[g]
	val[g, "wall", n] = kv["wall_ms"]
	val[g, "stall", n] = kv["stall_ms"]
	# Before 2026-12-06 there was no stall_window_ms: stall_ms was the window's.
	val[g, "window", n] = ("stall_window_ms" in kv) ? kv["stall_window_ms"] : kv["stall_ms"]
	if (val[g, "window", n] + 0 > val[g, "stall", n] + 0) away[g]++
	val[g, "gap", n] = kv["gap_max_ms"]
	if ("stop_us" in kv) val[g, "stop", n] = kv["stop_us"] / 1000
	# xsplice's own longest stop, for the refused apply (many stops, one command)
	else if (action ~ /-refused$/ && ("stop_max_ms" in kv)) val[g, "stop", n] = kv["stop_max_ms"]
	if ("rt" in kv && kv["rt"] == "0" && action == "floor-rt") rt_refused = 1
	if (kv["overflow"] + 0 > 0) suspect[g]++
}

END {
	for (k = 1; k <= ngroups; k++) {
		split(order[k], key, SUBSEP)
		if (key[3] == "floor-rt") floor_med[key[1]] = median(order[k], "stall")
		if (key[3] == "floor-stacks") stacks_med[key[1]] = median(order[k], "stall")
	}
	if (fmt == "json") { json(); exit }
	printf "pause = longest time in which no busy thread made progress (all stopped), during a stop of the command;\n"
	printf "away = reps whose longest such time in the whole command lay outside its stops (the host's), not counted;\n"
	printf "thr gap = largest gap one thread saw (includes its waits for a CPU);\n"
	printf "floor-stacks = the floor that also reads every stack top as xsplice does: what a stack check costs at least;\n"
	printf "floor = bench/floor.c at SCHED_FIFO%s; ratio = pause / floor (same threads);\n",
		rt_refused ? " (REFUSED: ran without RT)" : ""
	printf "vs stacks = pause / floor-stacks (same threads);\n"
	printf "apply-refused = an apply that waits its whole --timeout for a thread parked in the function, then fails;\n"
	printf "tracer stop = the floor's stop; for apply-refused, the longest of xsplice's stops.\n"
	printf "%7s %5s %-12s %9s %8s %8s %8s %9s %6s %6s %8s %8s %5s %5s\n", "threads", "funcs",
		"action", "wall ms", "pause ms", "pause ms", "pause ms", "floor ms", "ratio", "vs",
		"thr gap", "tracer", "away", "ok"
	printf "%7s %5s %-12s %9s %8s %8s %8s %9s %6s %6s %8s %8s %5s %5s\n", "", "", "", "median",
		"median", "min", "max", "median", "", "stacks", "ms med", "stop ms", "", ""
	for (k = 1; k <= ngroups; k++) {
		g = order[k]
		split(g, key, SUBSEP)
		fm = (key[1] in floor_med) ? floor_med[key[1]] : -1
		sm = (key[1] in stacks_med) ? stacks_med[key[1]] : -1
		pm = median(g, "stall")
		ratio = (pm >= 0 && fm > 0) ? pm / fm : -1
		vs = (pm >= 0 && sm > 0) ? pm / sm : -1
		okcol = (cnt[g] - badverify[g]) "/" (cnt[g] + fails[g])
		if (badverify[g]) okcol = okcol "!"
		if (suspect[g]) okcol = okcol "?"
		printf "%7s %5s %-12s %9s %8s %8s %8s %9s %6s %6s %8s %8s %5s %5s\n", key[1], key[2], key[3],
			num(median(g, "wall"), 2), num(pm, 3), num(minof(g, "stall"), 3),
			num(maxof(g, "stall"), 3), num(fm, 3),
			num(ratio, 2), num(vs, 2), num(median(g, "gap"), 2),
			(((g, "stop", 1) in val) ? num(median(g, "stop"), 3) : "-"), away[g] + 0, okcol
	}
	printf "ok = successful/attempted; ! = the patch's effect was not seen in busy;\n"
	printf "? = a thread did not run again within 10 s (counted failed) or a gap log overflowed.\n"
}

function json(    k, g, key, fm, sm, pm, line, sep, i) {
	printf "{\n  \"machine\": {"
	sep = ""
	while ((getline line < machine) > 0) {
		i = index(line, ": ")
		if (!i) continue
		printf "%s\n    %s: %s", sep, jstr(substr(line, 1, i - 1)), jstr(substr(line, i + 2))
		sep = ","
	}
	printf "\n  },\n  \"floor_rt_refused\": %s,\n  \"rows\": [", rt_refused ? "true" : "false"
	for (k = 1; k <= ngroups; k++) {
		g = order[k]
		split(g, key, SUBSEP)
		fm = (key[1] in floor_med) ? floor_med[key[1]] : -1
		sm = (key[1] in stacks_med) ? stacks_med[key[1]] : -1
		pm = median(g, "stall")
		printf "%s\n    {\"threads\": %d, \"funcs\": %s, \"action\": %s, \"ok\": %d, " \
			"\"failed\": %d, \"effect_not_seen\": %d, \"wall_ms_median\": %s, " \
			"\"wall_ms_max\": %s, \"pause_ms_median\": %s, \"pause_ms_min\": %s, " \
			"\"pause_ms_max\": %s, \"pause_window_ms_median\": %s, \"reps_away\": %d, " \
			"\"floor_pause_ms_median\": %s, \"ratio\": %s, \"ratio_to_floor_stacks\": %s, " \
			"\"thread_gap_ms_median\": %s, " \
			"\"tracer_stop_ms_median\": %s}",
			(k > 1 ? "," : ""), key[1], key[2] == "-" ? "null" : key[2], jstr(key[3]),
			cnt[g], fails[g], badverify[g], jnum(median(g, "wall")), jnum(maxof(g, "wall")),
			jnum(pm), jnum(minof(g, "stall")), jnum(maxof(g, "stall")),
			jnum(median(g, "window")), away[g] + 0, jnum(fm),
			(pm >= 0 && fm > 0) ? jnum(pm / fm) : "null",
			(pm >= 0 && sm > 0) ? jnum(pm / sm) : "null", jnum(median(g, "gap")),
			(((g, "stop", 1) in val) ? jnum(median(g, "stop")) : "null")
	}
	printf "\n  ],\n  \"samples\": ["
	for (i = 1; i <= nsamples; i++) {
		printf "%s\n    %s", (i > 1 ? "," : ""), jstr(samples[i])
	}
	printf "\n  ]\n}\n"
}
