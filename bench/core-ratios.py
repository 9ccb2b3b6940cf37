#!/usr/bin/env python3
"""Print selfsign-core / rcgen ratios from criterion's estimates and the paired benchmark.

Usage: bench/core-ratios.py [CRITERION_DIR]   (default: $CARGO_TARGET_DIR/criterion or target/criterion)
Each row pairs `<group>/selfsign/<alg>` with its peer in the same group (`rcgen`, or `x509-parser`
for inspect). Times are criterion's medians (wall clock). "criterion ratio" divides them; its range
divides the ends of the two 95 % confidence intervals. "paired ratio" comes from the `paired`
bench (CRITERION_DIR/paired.json): both sides alternate in ~2 ms batches timed by on-CPU time, so
it is the figure to trust on a loaded machine; its range is the interquartile range of the rounds.
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


def load_paired(root):
    path = root / "paired.json"
    if not path.exists():
        return {}
    return {(r["group"], r["alg"]): r for r in json.loads(path.read_text())}


def main():
    default = Path(os.environ.get("CARGO_TARGET_DIR", "target")) / "criterion"
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    results = load(root)
    paired = load_paired(root)
    if not results:
        sys.exit(f"core-ratios: no criterion results under {root}; run cargo bench -p selfsign-core")
    rank = {g: i for i, g in enumerate(ORDER)}
    alg_rank = {"p256": 0, "p384": 1, "ed25519": 2}
    rows = []
    for (group, alg), impls in sorted(results.items(), key=lambda kv: (rank.get(kv[0][0], 99), alg_rank.get(kv[0][1], 9))):
        ours = impls.get("selfsign")
        peers = [(name, v) for name, v in impls.items() if name != "selfsign"]
        if not ours or not peers:
            continue
        peer_name, peer = peers[0]
        ratio = ours[0] / peer[0]
        lo, hi = ours[1] / peer[2], ours[2] / peer[1]
        p = paired.get((group, alg))
        if p:
            headline, lo_h = p["ratio"], p["q1"]
            paired_cell = f"{p['ratio']:.3f} ({p['q1']:.3f}-{p['q3']:.3f})"
        else:
            headline, lo_h = ratio, lo
            paired_cell = "-"
        note = "" if peer_name == "rcgen" else f"peer: {peer_name}"
        if peer_name == "rcgen" and lo_h > GOAL:
            note = f"over the {GOAL} goal"
        elif peer_name == "rcgen" and headline > GOAL:
            note = "within noise of the goal"
        rows.append((group, alg, fmt_time(ours[0]), fmt_time(peer[0]), f"{ratio:.2f} ({lo:.2f}-{hi:.2f})",
                     paired_cell, note, headline))
    header = ("operation", "key", "selfsign", "peer", "criterion ratio", "paired ratio (IQR)", "note")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    kind = "paired" if paired else "criterion"
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r[:7]))
    rcgen_ratios = [r[7] for r in rows if not r[6].startswith("peer:")]
    if rcgen_ratios:
        geo = 1.0
        for x in rcgen_ratios:
            geo *= x
        geo **= 1 / len(rcgen_ratios)
        print(f"\ngeometric mean of the {kind} selfsign/rcgen ratios over {len(rcgen_ratios)} operations: "
              f"{geo:.3f} (goal <= {GOAL})")


if __name__ == "__main__":
    main()
