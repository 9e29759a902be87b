# SPDX-License-Identifier: MIT
# json_funcs: the functions of one payload in info --json (its file), list
# --json and get --json (the process) have one shape: the same keys in the
# same order, the same values where both know them, null where one does not.
# Usage: check.py INFO LIST GET APPLIED ADDR_COMPUTE ADDR_LOG_HIT SIZE_COMPUTE
import json
import sys

KEYS = ["old", "new", "kind", "old_addr", "new_addr", "old_size", "new_size", "expect", "applied"]

info = json.load(open(sys.argv[1]))
lst = json.load(open(sys.argv[2]))
get = json.load(open(sys.argv[3]))
applied = json.loads(sys.argv[4])
addr = {"compute": int(sys.argv[5], 16), "log_hit": int(sys.argv[6], 16)}
size = {"compute": int(sys.argv[7]), "log_hit": 8}


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        print("info:", json.dumps(info["funcs"]))
        print("list:", json.dumps(lst["payloads"][0]["funcs"]))
        print("get: ", json.dumps(get["funcs"]))
        sys.exit(1)


fi, fl, fg = info["funcs"], lst["payloads"][0]["funcs"], get["funcs"]
check(len(lst["payloads"]) == 1, "one payload in list")
for name, funcs in (("info", fi), ("list", fl), ("get", fg)):
    check(isinstance(funcs, list) and len(funcs) == 2, name + ": funcs is a list of 2")
    for f in funcs:
        check(list(f.keys()) == KEYS, name + ": keys of " + f.get("old", "?"))
check(fl == fg, "list and get show the same functions")
by = {f["old"]: f for f in fi}
check(sorted(by) == ["compute", "log_hit"], "info names")
for f in fl:
    i = by[f["old"]]
    for k in ("old", "kind", "new_size", "expect"):
        check(f[k] == i[k], f["old"] + ": " + k + " differs between info and list")
    # what only a process knows
    check(int(f["old_addr"], 16) == addr[f["old"]], f["old"] + ": old_addr")
    check(f["old_size"] == size[f["old"]], f["old"] + ": old_size")
    check(f["applied"] is applied, f["old"] + ": applied")
    check(i["old_addr"] is None and i["new_addr"] is None and i["applied"] is None,
          f["old"] + ": info knows no address and no applied")
    check(i["old_size"] is None, f["old"] + ": info old_size (the loader fills it)")
    check(f["new"] is None, f["old"] + ": a process does not know the new symbol")
    check(i["expect"] is not None and len(i["expect"]) >= 2, f["old"] + ": expect recorded")
c, n = by["compute"], by["log_hit"]
check(c["kind"] == "replace" and c["new"] == "new_compute" and c["new_size"] is None, "compute in info")
check(n["kind"] == "nop" and n["new"] is None and n["new_size"] == 7, "log_hit in info")
lo, hi = (int(x, 16) for x in get["address"].split("-"))
live = {f["old"]: f for f in fl}
check(lo <= int(live["compute"]["new_addr"], 16) < hi, "compute's new_addr in the payload")
check(live["log_hit"]["new_addr"] is None, "a NOP has no new_addr")
check(n["expect"].startswith("8305"), "log_hit expects its addl")
