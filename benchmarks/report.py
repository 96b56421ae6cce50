#!/usr/bin/env python3
"""The one benchmark table: reads the rows every benchmark of `make bench`
appended (JSON lines, see bench_lib.sh), prints metric | hearth | peer |
ratio | target | met?, and writes benchmarks/results/latest.json with the
machine it ran on (the run before it kept as previous.json).

  report.py table ROWS_FILE RESULTS_DIR
  report.py compare RESULTS_DIR      latest.json beside previous.json

A row: metric, unit, hearth, peer (null: no peer), peer_name, better
("higher" or "lower"), and target, one of {"ratio_min": x} (hearth against
its peer, > 1 means hearth is ahead whichever way is better),
{"max": x} or {"min": x} (hearth's own figure), or null.
"""
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys


def ratio(row):
    h, p = row.get("hearth"), row.get("peer")
    if h is None or p is None or h <= 0 or p <= 0:
        return None
    return h / p if row.get("better", "higher") == "higher" else p / h


def target_text(t, unit):
    if not t:
        return ""
    if "ratio_min" in t:
        return f">= {t['ratio_min']:g}x"
    if "max" in t:
        return f"<= {t['max']:g} {unit}"
    return f">= {t['min']:g} {unit}"


def met(row):
    t, h = row.get("target"), row.get("hearth")
    if not t:
        return None
    if h is None:
        return False
    if "ratio_min" in t:
        r = ratio(row)
        return r is not None and r >= t["ratio_min"]
    if "max" in t:
        return h <= t["max"]
    return h >= t["min"]


def figure(x):
    if x is None:
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def machine():
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=os.path.dirname(os.path.abspath(__file__)))
    return {"cores": os.cpu_count(), "kernel": platform.release(),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "commit": commit.stdout.strip() or None, "quick": os.environ.get("BENCH_QUICK") == "1"}


def print_table(rows, out=sys.stdout):
    cols = ["metric", "hearth", "peer", "ratio", "target", "met?"]
    lines = []
    for r in rows:
        m = met(r)
        peer = figure(r.get("peer"))
        if r.get("peer") is not None and r.get("peer_name"):
            peer += f" ({r['peer_name']})"
        rt = ratio(r)
        lines.append([r["metric"], f"{figure(r.get('hearth'))} {r['unit']}", peer,
                      "" if rt is None else f"{rt:.2f}x", target_text(r.get("target"), r["unit"]),
                      "" if m is None else ("yes" if m else "NO")])
    print("| " + " | ".join(cols) + " |", file=out)
    print("|" + "|".join("---" for _ in cols) + "|", file=out)
    for cells in lines:
        print("| " + " | ".join(cells) + " |", file=out)


def table(rows_file, results_dir):
    rows = []
    with open(rows_file) as f:
        for line in f:
            if line.strip():
                rows.append(json.loads(line))
    os.makedirs(results_dir, exist_ok=True)
    latest = os.path.join(results_dir, "latest.json")
    if os.path.exists(latest):
        shutil.copyfile(latest, os.path.join(results_dir, "previous.json"))
    for r in rows:
        r["ratio"] = ratio(r)
        r["met"] = met(r)
    doc = {"machine": machine(), "rows": rows}
    with open(latest + ".tmp", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(latest + ".tmp", latest)
    m = doc["machine"]
    print(f"\nhearth benchmarks ({m['cores']} cores, kernel {m['kernel']}, {m['commit']}"
          f"{', quick mode: figures are not comparable' if m['quick'] else ''}); written to {latest}\n")
    print_table(rows)
    missed = [r["metric"] for r in rows if r["met"] is False]
    print(f"\n{sum(1 for r in rows if r['met'])} of {sum(1 for r in rows if r['met'] is not None)} targets met"
          + (f"; missed: {', '.join(missed)}" if missed else ""))


def compare(results_dir):
    try:
        with open(os.path.join(results_dir, "latest.json")) as f:
            latest = json.load(f)
        with open(os.path.join(results_dir, "previous.json")) as f:
            previous = json.load(f)
    except FileNotFoundError as e:
        sys.exit(f"bench-compare: {e.filename} is missing (make bench writes latest.json; a second run keeps previous.json)")
    before = {r["metric"]: r for r in previous["rows"]}
    pm, lm = previous["machine"], latest["machine"]
    print(f"previous: {pm['date']} {pm['commit']} ({pm['cores']} cores, {pm['kernel']})")
    print(f"latest:   {lm['date']} {lm['commit']} ({lm['cores']} cores, {lm['kernel']})")
    if (pm["cores"], pm["kernel"], pm.get("quick")) != (lm["cores"], lm["kernel"], lm.get("quick")):
        print("note: the runs differ in machine or mode; the change is not only the code's")
    print("\n| metric | previous | latest | change | better? |\n|---|---|---|---|---|")
    for r in latest["rows"]:
        p = before.get(r["metric"])
        old, new = (p or {}).get("hearth"), r.get("hearth")
        if old is None or new is None or old == 0:
            print(f"| {r['metric']} | {figure(old)} | {figure(new)} {r['unit']} | | |")
            continue
        change = (new - old) / old
        better = change > 0 if r.get("better", "higher") == "higher" else change < 0
        mark = "" if abs(change) < 0.05 else ("yes" if better else "NO")
        print(f"| {r['metric']} | {figure(old)} | {figure(new)} {r['unit']} | {change:+.1%} | {mark} |")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "table":
        table(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "compare":
        compare(sys.argv[2])
    else:
        sys.exit(__doc__)
