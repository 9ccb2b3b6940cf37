#!/usr/bin/env python3
"""Print selfsign-core / rcgen ratios from criterion's estimates (target/criterion/**/new/).

Usage: bench/core-ratios.py [CRITERION_DIR]   (default: $CARGO_TARGET_DIR/criterion or target/criterion)
Each row pairs `<group>/selfsign/<alg>` with its peer in the same group (`rcgen`, or `x509-parser`
for inspect). The ratio uses criterion's median; the range divides the ends of the two 95 %
confidence intervals, so a range that straddles 1.0 means "no difference this run could see".
"""
import json
import os
import sys
from pathlib import Path

ORDER = ["keygen", "self_signed", "ca_leaf", "issue_leaf", "csr_new", "csr_sign", "inspect"]
GOAL = 1.05


def fmt_time(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.1f} us"
    return f"{ns:.0f} ns"


def load(root):
    results = {}
    for bench in root.glob("*/*/*/new/benchmark.json"):
        meta = json.loads(bench.read_text())
        est = json.loads((bench.parent / "estimates.json").read_text())["median"]
        ci = est["confidence_interval"]
        key = (meta["group_id"], meta["value_str"])
        results.setdefault(key, {})[meta["function_id"]] = (
            est["point_estimate"],
            ci["lower_bound"],
            ci["upper_bound"],
        )
    return results


def main():
    default = Path(os.environ.get("CARGO_TARGET_DIR", "target")) / "criterion"
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    results = load(root)
    if not results:
        sys.exit(f"core-ratios: no criterion results under {root}; run cargo bench -p selfsign-core")
    rank = {g: i for i, g in enumerate(ORDER)}
    rows = []
    for (group, alg), impls in sorted(results.items(), key=lambda kv: (rank.get(kv[0][0], 99), kv[0][1])):
        ours = impls.get("selfsign")
        peers = [(name, v) for name, v in impls.items() if name != "selfsign"]
        if not ours or not peers:
            continue
        peer_name, peer = peers[0]
        ratio = ours[0] / peer[0]
        lo, hi = ours[1] / peer[2], ours[2] / peer[1]
        note = "" if peer_name == "rcgen" else f"peer: {peer_name}"
        if peer_name == "rcgen" and lo > GOAL:
            note = f"over the {GOAL} goal"
        elif peer_name == "rcgen" and ratio > GOAL:
            note = "within noise of the goal"
        rows.append((group, alg, fmt_time(ours[0]), fmt_time(peer[0]), f"{ratio:.2f}", f"{lo:.2f}-{hi:.2f}", note))
    header = ("operation", "key", "selfsign", "peer", "ratio", "95% range", "note")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))
    rcgen_ratios = [float(r[4]) for r in rows if not r[6].startswith("peer:")]
    if rcgen_ratios:
        geo = 1.0
        for x in rcgen_ratios:
            geo *= x
        geo **= 1 / len(rcgen_ratios)
        print(f"\ngeometric mean selfsign/rcgen over {len(rcgen_ratios)} operations: {geo:.2f} (goal <= {GOAL})")


if __name__ == "__main__":
    main()
