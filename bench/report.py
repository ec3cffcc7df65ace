#!/usr/bin/env python3
"""The tables of bench/versus.sh:

    report.py RESULTS.tsv CASES RUNS IMPORT_RUNS [WRITERS WRITES WRITE_ROUNDS]

RESULTS.tsv has one line per task and side: task, label (escalate, sqlite3 or
psql), then timer.py's columns (median, min, max wall seconds, median CPU
seconds, max RSS KiB, RSS source, exit codes, then the first and third quartile
of the wall time when timer.py gave them). Tasks import, check, list and ndjson
are the SQLite section (escalate against sqlite3). Tasks starting with `pg-`
are the PostgreSQL section (escalate against psql): pg-import, pg-check,
pg-list and pg-ndjson as above, pg-copy (escalate only: `ledger copy`), and
pg-writes and pg-writes-session with writers.py's columns (writes per round,
median, min, max writes per second, latency p50, p95, max, failures, exit
codes). Targets are reported, never enforced.
"""

import statistics
import sys

TARGETS = {"import": 1.5, "check": 3.0, "list": 2.0, "ndjson": 2.0}
# The PostgreSQL targets stated for this comparison; None: no target stated.
PG_TARGETS = {"import": 2.0, "check": 3.0, "list": None, "ndjson": None}
RSS_TARGET_MIB = 64


def secs(s):
    if s >= 10:
        return f"{s:.2f} s"
    if s >= 1:
        return f"{s:.3f} s"
    return f"{s * 1000:.1f} ms"


def rate(r):
    return f"{r:,.1f}/s" if r < 1000 else f"{r:,.0f}/s"


def med(lines, col):
    return statistics.median(float(r[col]) for r in lines)


def spread(lines):
    """min-max of the wall times, and the IQR, over every run of these lines.

    One line of several runs: its own min, max and quartiles. Several lines of
    one run each (imports): over their medians."""
    if len(lines) == 1:
        r = lines[0]
        lo, hi = float(r[1]), float(r[2])
        q1, q3 = (float(r[7]), float(r[8])) if len(r) > 8 else (None, None)
    else:
        walls = [float(r[0]) for r in lines]
        lo, hi = min(walls), max(walls)
        q1, _, q3 = statistics.quantiles(walls, n=4, method="inclusive")
    if lo == hi:
        return "one run"
    s = f"{secs(lo)} - {secs(hi)}"
    if q1 is not None:
        s += f", IQR {secs(q3 - q1)}"
    return s


def table(head, rows):
    w = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]

    def fmt(r):
        return "  ".join(c.ljust(w[i]) if i == 0 else c.rjust(w[i]) for i, c in enumerate(r))

    print(fmt(head))
    print("  ".join("-" * x for x in w))
    for r in rows:
        print(fmt(r))


def timed_rows(res, prefix, other, targets, names):
    rows, cpu, spreads = [], [], []
    for task, target in targets.items():
        e, s = res.get((prefix + task, "escalate")), res.get((prefix + task, other))
        if not e or not s:
            continue
        te, ts = med(e, 0), med(s, 0)
        ratio = te / ts
        if target is None:
            rows.append((names[task], secs(te), secs(ts), f"{ratio:.2f}x", "-", "-"))
        else:
            rows.append((names[task], secs(te), secs(ts), f"{ratio:.2f}x", f"<= {target:g}x",
                         "yes" if ratio <= target else "NO"))
        ce, cs = med(e, 3), med(s, 3)
        cpu.append(f"{task} {secs(ce)} vs {secs(cs)} ({ce / cs:.2f}x)")
        spreads.append((names[task], spread(e), spread(s)))
    return rows, cpu, spreads


def rss_row(res, task, other):
    e, s = res.get((task, "escalate")), res.get((task, other))
    if not e or not s:
        return None, ""
    try:
        re_ = max(int(r[4]) for r in e) / 1024
        rs = max(int(r[4]) for r in s) / 1024
        src = e[-1][5] if e[-1][5] == s[-1][5] else e[-1][5] + "/" + s[-1][5]
        return ("import peak RSS", f"{re_:.1f} MiB", f"{rs:.1f} MiB", f"{re_ / rs:.2f}x",
                f"< {RSS_TARGET_MIB} MiB", "yes" if re_ < RSS_TARGET_MIB else "NO"), f"Peak RSS from {src}."
    except ValueError:
        return ("import peak RSS", e[-1][4], s[-1][4], "-", f"< {RSS_TARGET_MIB} MiB", "?"), ""


def spread_table(other, spreads):
    print()
    print("Spread over the runs (wall min - max, interquartile range):")
    table(("task", "escalate", other), spreads)


def main():
    path, cases, runs, import_runs = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    writers, writes, rounds = (sys.argv[5:8] + [None] * 3)[:3]
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

    # ---- SQLite: escalate against sqlite3 --------------------------------------------------
    rows, cpu, spreads = timed_rows(res, "", "sqlite3", TARGETS, names)
    rss, rss_note = rss_row(res, "import", "sqlite3")
    if rss:
        rows.append(rss)
    head = ("task", "escalate", "sqlite3", "ratio", "target", "met")
    if rows:
        print()
        table(head, rows)
        print()
        print(f"Wall-clock medians of whole processes: check and list {runs} runs each, import {import_runs}")
        print("run(s) each on a fresh database; escalate and sqlite3 interleaved. Targets are reported, never enforced.")
        print("CPU (user+sys, medians), escalate vs sqlite3: " + "; ".join(cpu) + ".")
        if rss_note:
            print(rss_note)
        spread_table("sqlite3", spreads)

    # ---- PostgreSQL: escalate against psql ----------------------------------------------------
    if not any(task.startswith("pg-") for task, _ in res):
        return
    rows, cpu, spreads = timed_rows(res, "pg-", "psql", PG_TARGETS, names)
    rss, rss_note = rss_row(res, "pg-import", "psql")
    if rss:
        rows.append(rss)
    we, wp = res.get(("pg-writes", "escalate")), res.get(("pg-writes", "psql"))
    ws = res.get(("pg-writes-session", "psql"))
    wname = f"writes/s, {writers} writers x {writes}"
    re_ = float(we[0][1]) if we else None
    if we and wp:
        rp = float(wp[0][1])
        # As a time ratio, like the others: how much longer escalate takes per write.
        rows.append((wname, rate(re_), rate(rp), f"{rp / re_:.2f}x", "-", "-"))
        spreads.append((wname, wspread(we[0], rounds), wspread(wp[0], rounds)))
    if ws:
        rs = float(ws[0][1])
        rows.append((wname + " (psql: a session per writer)", "", rate(rs), f"{rs / re_:.2f}x" if re_ else "-", "-", "-"))
        spreads.append((wname + " (psql: a session per writer)", "", wspread(ws[0], rounds)))
    print()
    print("PostgreSQL")
    print()
    table(("task", "escalate", "psql", "ratio", "target", "met"), rows)
    print()
    print(f"Wall-clock medians of whole processes: check and list {runs} runs each, import {import_runs}")
    print("run(s) each on a fresh database; escalate and psql interleaved. Targets are reported, never enforced.")
    print("Ratios are escalate's time over psql's (for writes/s: psql's rate over escalate's).")
    if we:
        print(f"Writes: {writers} writers at once, each making {writes} writes one after the other, every write one")
        print("process with its own connection: `escalate case add` | `psql -c` with one INSERT; the last row is")
        print(f"one psql per writer with {writes} INSERTs (autocommitted each). Median rate of {rounds} round(s).")
    print("CPU (user+sys, medians) of the client processes only (the server's is not counted), escalate vs")
    print("psql: " + "; ".join(cpu) + ".")
    if rss_note:
        print(rss_note + " psql's is the client's alone: the server loads the rows.")
    copy = res.get(("pg-copy", "escalate"))
    if copy:
        r = copy[0]
        kib = f", peak RSS {int(r[4]) / 1024:.1f} MiB" if r[4].isdigit() else ""
        print(f"escalate ledger copy of the SQLite ledger into PostgreSQL (not in the table): {secs(float(r[0]))}{kib}.")
    print()
    print("Spread over the runs (wall min - max, interquartile range; writes: rate min - max over rounds,")
    print("latency of one write p50 / p95 / max):")
    table(("task", "escalate", "psql"), spreads)


def wspread(r, rounds):
    # writers.py: writes_per_round, median, min, max rate, p50, p95, max latency, failures, codes
    lo, hi = float(r[2]), float(r[3])
    s = f"{rate(lo)} - {rate(hi)}; " if rounds and int(rounds) > 1 else ""
    s += f"{secs(float(r[4]))} / {secs(float(r[5]))} / {secs(float(r[6]))}"
    if r[7] != "0":
        s += f"; {r[7]} FAILED"
    return s


if __name__ == "__main__":
    main()
