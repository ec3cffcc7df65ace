#!/usr/bin/env python3
"""Time whole processes for bench/versus.sh.

    timer.py [-n RUNS] [--stdout FILE] [--stderr FILE] [--rss] [--label A --label B] -- CMD_A... [::: CMD_B...]

Runs each command RUNS times, interleaving the commands (A, B, A, B, ...) so
that a change in machine load hits both sides alike. Each run is one process,
started directly (no shell), stdin from /dev/null, stdout to FILE (default
/dev/null), stderr to FILE (default /dev/null); a FILE other than /dev/null
gets the command's index appended (FILE.0, FILE.1) and holds the last run's.

Prints one tab-separated line per command:
    label  median_wall_s  min_wall_s  max_wall_s  median_cpu_s  max_rss_kib  rss_source  exit_codes  q1_wall_s  q3_wall_s
cpu is user + system time of the process (from wait4). max_rss (KiB) is only
measured with --rss, and then is the process's peak resident set size: from
`/usr/bin/time -f %M` when that is GNU time (rss_source "time"), else the last
VmHWM read from /proc/PID/status, polled every 10 ms while the process runs
(rss_source "vmhwm"). Not wait4's ru_maxrss: a child spawned from this
Python process inherits Python's own peak (about 15 MiB) in that number.
Without --rss, max_rss is "-". q1 and q3 are the wall time's quartiles over
the runs (statistics.quantiles, inclusive); with one run both are that run.
Columns are only ever added at the end.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

GNU_TIME = "/usr/bin/time"
_gnu_time = None


def gnu_time():
    """Whether /usr/bin/time is GNU time (takes -f and -o); BSD time does not."""
    global _gnu_time
    if _gnu_time is None:
        _gnu_time = False
        if os.access(GNU_TIME, os.X_OK):
            try:
                r = subprocess.run([GNU_TIME, "-f", "%M", "-o", os.devnull, "true"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)
                _gnu_time = r.returncode == 0
            except (OSError, subprocess.SubprocessError):
                pass
    return _gnu_time


def vmhwm(pid):
    """The peak RSS (KiB) of a running process, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def run_once(argv, stdout_path, stderr_path, rss):
    rss_file = None
    if rss and gnu_time():
        fd, rss_file = tempfile.mkstemp(prefix="bench-rss-")
        os.close(fd)
        argv = [GNU_TIME, "-f", "%M", "-o", rss_file] + argv
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, stdout_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
        (os.POSIX_SPAWN_OPEN, 2, stderr_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
    ]
    poll = rss and not rss_file
    hwm = None
    t0 = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=actions)
    if poll:
        while True:
            done, status, ru = os.wait4(pid, os.WNOHANG)
            if done:
                break
            hwm = vmhwm(pid) or hwm
            time.sleep(0.01)
    else:
        _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    max_rss, source = ("-", "-") if not poll else (hwm if hwm is not None else "?", "vmhwm")
    if rss_file:
        try:
            with open(rss_file) as f:
                lines = [l.strip() for l in f if l.strip()]
            # GNU time prints "Command exited with non-zero status N" first on failure.
            max_rss, source = int(lines[-1]), "time"
        except (OSError, ValueError, IndexError):
            pass
        finally:
            os.unlink(rss_file)
    return wall, ru.ru_utime + ru.ru_stime, max_rss, source, code


def max_rss(rs):
    known = [r[2] for r in rs if isinstance(r[2], int)]
    return str(max(known)) if known else str(rs[-1][2])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", "--runs", type=int, default=1)
    ap.add_argument("--stdout", default="/dev/null")
    ap.add_argument("--stderr", default="/dev/null")
    ap.add_argument("--rss", action="store_true")
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
    results = [[] for _ in cmds]
    for _ in range(a.runs):
        for i, c in enumerate(cmds):
            out = a.stdout if a.stdout == "/dev/null" else f"{a.stdout}.{i}"
            err = a.stderr if a.stderr == "/dev/null" else f"{a.stderr}.{i}"
            results[i].append(run_once(c, out, err, a.rss))
    for label, rs in zip(labels, results):
        walls = [r[0] for r in rs]
        cpus = [r[1] for r in rs]
        codes = sorted({r[4] for r in rs})
        q1, _, q3 = statistics.quantiles(walls, n=4, method="inclusive") if len(walls) > 1 else walls * 3
        print("\t".join([
            label,
            f"{statistics.median(walls):.6f}",
            f"{min(walls):.6f}",
            f"{max(walls):.6f}",
            f"{statistics.median(cpus):.6f}",
            max_rss(rs),
            rs[-1][3],
            ",".join(map(str, codes)),
            f"{q1:.6f}",
            f"{q3:.6f}",
        ]))


if __name__ == "__main__":
    sys.exit(main())
