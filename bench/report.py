#!/usr/bin/env python3
"""The table of bench/run.sh: report.py RESULTS.tsv CASES RUNS IMPORT_RUNS.

RESULTS.tsv has one line per task and side: task, label (escalate or sqlite3),
then timer.py's columns (median, min, max wall seconds, median CPU seconds,
max RSS KiB, RSS source, exit codes). Targets are reported, never enforced.
"""

import statistics
import sys

TARGETS = {"import": 1.5, "check": 3.0, "list": 2.0, "ndjson": 2.0}
RSS_TARGET_MIB = 64


def secs(s):
    if s >= 10:
        return f"{s:.2f} s"
    if s >= 1:
        return f"{s:.3f} s"
    return f"{s * 1000:.1f} ms"


def main():
    path, cases, runs, import_runs = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    res = {}
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        res.setdefault((f[0], f[1]), []).append(f[2:])
    names = {
        "import": f"import {cases:,} cases",
        "check": "check ID",
        "list": "list --state requested (table)",
        "ndjson": "list --state requested --format ndjson",
    }
    rows, cpu = [], []
    for task, target in TARGETS.items():
        e, s = res.get((task, "escalate")), res.get((task, "sqlite3"))
        if not e or not s:
            continue
        te = statistics.median(float(r[0]) for r in e)
        ts = statistics.median(float(r[0]) for r in s)
        ratio = te / ts
        rows.append((names[task], secs(te), secs(ts), f"{ratio:.2f}x", f"<= {target:g}x", "yes" if ratio <= target else "NO"))
        ce = statistics.median(float(r[3]) for r in e)
        cs = statistics.median(float(r[3]) for r in s)
        cpu.append(f"{task} {secs(ce)} vs {secs(cs)} ({ce / cs:.2f}x)")
    e, s = res.get(("import", "escalate")), res.get(("import", "sqlite3"))
    rss_note = ""
    if e and s:
        try:
            re_ = max(int(r[4]) for r in e) / 1024
            rs = max(int(r[4]) for r in s) / 1024
            rows.append(("import peak RSS", f"{re_:.1f} MiB", f"{rs:.1f} MiB", f"{re_ / rs:.2f}x",
                         f"< {RSS_TARGET_MIB} MiB", "yes" if re_ < RSS_TARGET_MIB else "NO"))
            rss_note = f"Peak RSS from {e[-1][5] if e[-1][5] == s[-1][5] else e[-1][5] + '/' + s[-1][5]}."
        except ValueError:
            rows.append(("import peak RSS", e[-1][4], s[-1][4], "-", f"< {RSS_TARGET_MIB} MiB", "?"))
    head = ("task", "escalate", "sqlite3", "ratio", "target", "met")
    w = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]

    def fmt(r):
        return "  ".join(c.ljust(w[i]) if i == 0 else c.rjust(w[i]) for i, c in enumerate(r))

    print()
    print(fmt(head))
    print("  ".join("-" * x for x in w))
    for r in rows:
        print(fmt(r))
    print()
    print(f"Wall-clock medians of whole processes: check and list {runs} runs each, import {import_runs}")
    print("run(s) each on a fresh database; escalate and sqlite3 interleaved. Targets are reported, never enforced.")
    print("CPU (user+sys, medians), escalate vs sqlite3: " + "; ".join(cpu) + ".")
    if rss_note:
        print(rss_note)


if __name__ == "__main__":
    main()
