#!/usr/bin/env python3
"""Concurrent writers for bench/versus.sh.

    writers.py -w WRITERS -k WRITES [-n ROUNDS] [--per-command M] [--stderr FILE] [--label A --label B] -- CMD_A... [::: CMD_B...]

A round of one command is WRITERS writers started together (behind a barrier),
each running the command WRITES times one after the other, every time as its
own process (no shell; stdin from /dev/null, stdout to /dev/null). In the
command's words, `{r}` becomes the round (1-based), `{w}` the writer (1-based)
and `{k}` the write (1-based), so that every write can name a distinct row. The
round lasts from the barrier to the end of the last writer; its rate is
WRITERS * WRITES * M / that wall time, where M (--per-command, default 1) is
the number of writes one run of the command makes (a psql given M statements). Rounds alternate between the commands
(A, B, A, B, ...) so that a change in machine load hits both sides alike.

Prints one tab-separated line per command:
    label  writes_per_round  median_rate  min_rate  max_rate  lat_p50_s  lat_p95_s  lat_max_s  failures  exit_codes
Rates are writes per second over the rounds (median, min, max); lat_* are the
latencies of single runs of the command (whole processes) over every round,
divided by M. failures counts
writes that exited non-zero; the stderr of the first one (and its command) is
kept in FILE.<index of the command> when --stderr is given. Exits 0 whatever
the writes did: the caller checks failures and its own row counts.
"""

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time


def fill(argv, r, w, k):
    return [a.replace("{r}", str(r)).replace("{w}", str(w)).replace("{k}", str(k)) for a in argv]


def one_round(argv, r, writers, writes):
    barrier = threading.Barrier(writers + 1)
    lat = [[] for _ in range(writers)]
    codes = [[] for _ in range(writers)]
    failed = []  # (argv, stderr) of failing writes
    lock = threading.Lock()

    def writer(w):
        barrier.wait()
        for k in range(1, writes + 1):
            cmd = fill(argv, r, w + 1, k)
            t0 = time.perf_counter()
            p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            lat[w].append(time.perf_counter() - t0)
            codes[w].append(p.returncode)
            if p.returncode != 0:
                with lock:
                    failed.append((cmd, p.stderr.decode("utf-8", "replace")))

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    t0 = time.perf_counter()
    barrier.wait()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return wall, [x for l in lat for x in l], [c for l in codes for c in l], failed


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(p / 100 * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", "--rounds", type=int, default=1)
    ap.add_argument("-w", "--writers", type=int, required=True)
    ap.add_argument("-k", "--writes", type=int, required=True)
    ap.add_argument("--per-command", type=int, default=1)
    ap.add_argument("--stderr", default=None)
    ap.add_argument("--label", action="append", default=[])
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    cmds, cur = [], []
    for w in cmd:
        if w == ":::":
            cmds.append(cur)
            cur = []
        else:
            cur.append(w)
    cmds.append(cur)
    if any(not c for c in cmds):
        ap.error("an empty command")
    labels = a.label + [c[0] for c in cmds[len(a.label):]]
    per_round = a.writers * a.writes * a.per_command
    rates = [[] for _ in cmds]
    lats = [[] for _ in cmds]
    codes = [set() for _ in cmds]
    fails = [0 for _ in cmds]
    first_fail = [None for _ in cmds]
    for r in range(1, a.rounds + 1):
        for i, c in enumerate(cmds):
            wall, lat, cs, failed = one_round(c, r, a.writers, a.writes)
            rates[i].append(per_round / wall)
            lats[i].extend(x / a.per_command for x in lat)
            codes[i].update(cs)
            fails[i] += len(failed)
            if failed and first_fail[i] is None:
                first_fail[i] = failed[0]
    for i, label in enumerate(labels):
        if a.stderr:
            with open(f"{a.stderr}.{i}", "w") as f:
                if first_fail[i]:
                    f.write("$ " + " ".join(first_fail[i][0]) + "\n" + first_fail[i][1])
        print("\t".join([
            label,
            str(per_round),
            f"{statistics.median(rates[i]):.3f}",
            f"{min(rates[i]):.3f}",
            f"{max(rates[i]):.3f}",
            f"{pct(lats[i], 50):.6f}",
            f"{pct(lats[i], 95):.6f}",
            f"{max(lats[i]):.6f}",
            str(fails[i]),
            ",".join(map(str, sorted(codes[i]))),
        ]))


if __name__ == "__main__":
    sys.exit(main())
