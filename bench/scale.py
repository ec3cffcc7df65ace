#!/usr/bin/env python3
"""Flat cost from a small ledger to a large one, for bench/run.sh.

    scale.py --escalate BIN --work DIR [--sizes 10000,1000000] [--runs 3] [--import-runs 3]
             [--open 2000] [--escalations 200] [--customers 5000]
             [--pg-url-template URL_WITH___DB__ --psql PSQL]

For each size N: generates N cases (bench/gen_cases.awk: `--open` of them open, the
others closed; 5 of them belong to "Customer 0000"), then measures, each command a
whole process, timed --runs times (imports --import-runs times, each on a fresh
ledger), median and min-max:

  import          `escalate case import` of the CSV into an empty ledger
                  | sqlite3 `.import` of the same CSV into a table with only a primary key
  import: the rows it writes
                  the same import | sqlite3 `.import` (psql `\\copy`) of the rows that import
                  wrote (cases, tags, events) into the same tables, indexes built after
  import (full)   `escalate case import` of N more cases into a ledger holding N
  check, show, list, due, report, case list --customer, case list --eligible --format ndjson,
  ledger info     on a ledger of the N cases and --escalations requested escalations
                  (added with SQL, one `requested` event each, the row counts moved alike)
                  | sqlite3 -readonly running the SQL that reads the same rows

and with --pg-url-template the same on PostgreSQL against psql: the import against
`\\copy` into a table with only a primary key; the ledger is `escalate ledger copy` of
the SQLite one, then VACUUM ANALYZE.

Prints the table: per command the time at each size, the growth (largest size over
smallest, the target is 1.2x for commands whose output does not grow), and the ratio to
sqlite3 (psql) at the largest size. Timing never fails the script; a command failing does.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
NOW = os.environ.get("ESCALATE_NOW", "2026-11-23T12:00:00Z")


def say(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


def run(argv, ok=(0,), cwd=None, stdout=subprocess.DEVNULL, rss=False):
    """Wall seconds, peak RSS KiB (with rss) of one process; fails on an unexpected exit code."""
    rss_file = None
    if rss and os.access("/usr/bin/time", os.X_OK):
        rss_file = os.path.join(cwd or ".", ".rss")
        argv = ["/usr/bin/time", "-f", "%M", "-o", rss_file] + argv
    t0 = time.perf_counter()
    p = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    if p.returncode not in ok:
        sys.exit(f"bench: {' '.join(argv)} exited {p.returncode}:\n{p.stderr.decode(errors='replace')[:2000]}")
    kib = None
    if rss_file:
        try:
            kib = int(open(rss_file).read().split()[-1])
        except (OSError, ValueError, IndexError):
            pass
    return wall, kib


def times(argv, n, ok=(0,), cwd=None, prepare=None, rss=False):
    out = []
    for _ in range(n):
        if prepare:
            prepare()
        out.append(run(argv, ok=ok, cwd=cwd, rss=rss))
    return out


def fresh(path):
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.unlink(path + suffix)
        except FileNotFoundError:
            pass


def sql(db, text):
    p = subprocess.run(["sqlite3", "-bail", db], input=text.encode(), capture_output=True)
    if p.returncode != 0:
        sys.exit(f"bench: sqlite3 {db} failed: {p.stderr.decode(errors='replace')}")
    return p.stdout.decode().strip()


ESCALATIONS_SQL = """
BEGIN;
INSERT INTO escalations (case_id, level, state, destination, reason, description, fields,
                         requested_by, requested_at, level_since, review_due_at, owner, raised_by)
  SELECT id, 1, 'requested', 'engineering', 'customer-deadline', 'Benchmark escalation of ' || id,
         json_object('summary', title, 'reproduction', 'See the case', 'expected', 'It works',
                     'observed', 'It fails', 'environment', 'production', 'impact', 'Customer ' || customer),
         'bench', created_at, created_at, strftime('%Y-%m-%dT%H:%M:%SZ', created_at, '+4 hours'), 'bench', 'bench'
  FROM cases WHERE status = 'open' ORDER BY id LIMIT {e};
INSERT INTO events (at, actor, case_id, escalation_id, kind, data, policy_digest)
  SELECT requested_at, requested_by, case_id, id, 'requested',
         json_object('level', level, 'destination', destination, 'reason', reason, 'description', description,
                     'fields', json(fields), 'review_due_at', review_due_at),
         (SELECT digest FROM policies ORDER BY first_used_at LIMIT 1)
  FROM escalations;
UPDATE row_counts SET n = n + (SELECT count(*) FROM escalations) WHERE name IN ('escalations', 'events');
COMMIT;
"""


def commands(check_id):
    """(name, escalate args, exit codes, the SQL reading the same rows)."""
    q = check_id.replace("'", "''")
    esc = "SELECT e.*, c.customer FROM escalations e JOIN cases c ON c.id = e.case_id"
    return [
        ("check ID", ["check", check_id], (1,),
         f"SELECT * FROM cases WHERE id = '{q}'; SELECT * FROM escalations WHERE case_id = '{q}';"
         f" SELECT * FROM pauses WHERE case_id = '{q}';"),
        ("show ID", ["show", check_id], (0,),
         f"SELECT * FROM cases WHERE id = '{q}'; SELECT * FROM escalations WHERE case_id = '{q}';"
         f" SELECT * FROM events WHERE case_id = '{q}' ORDER BY seq;"),
        ("list", ["list"], (0,), f"{esc} WHERE e.state IN ('requested', 'approved', 'rejected') ORDER BY e.id;"),
        ("due", ["due"], (0, 1), f"{esc} WHERE e.state IN ('requested', 'approved', 'rejected') ORDER BY e.id;"),
        ("report", ["report"], (0,), f"{esc} ORDER BY e.id;"),
        ("case list --customer C", ["case", "list", "--customer", "Customer 0000"], (0,),
         "SELECT * FROM cases WHERE customer = 'Customer 0000' AND status = 'open' ORDER BY opened_at, id;"),
        ("case list --eligible --format ndjson", ["case", "list", "--eligible", "--format", "ndjson"], (0,),
         "SELECT * FROM cases WHERE status = 'open' AND id NOT IN (SELECT case_id FROM escalations) ORDER BY opened_at, id;"),
        ("ledger info", ["ledger", "info"], (0,),
         "SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM escalations), (SELECT count(*) FROM events);"),
    ]


class Bench:
    def __init__(self, a):
        self.a = a
        self.esc = a.escalate
        self.work = a.work
        self.res = {}  # (backend, task, size, side) -> [wall seconds], and rss
        self.notes = []
        self.pg_made = []

    def put(self, backend, task, size, side, runs):
        self.res[(backend, task, size, side)] = runs

    def gen(self, n, prefix):
        a = self.a
        name = f"{prefix.rstrip('-').lower()}-{n}-{a.customers}-{a.open}.csv"
        path = os.path.join(a.csv_dir or self.work, name)
        if not os.path.exists(path):
            with open(path, "w") as f:
                subprocess.run(["awk", "-v", f"n={n}", "-v", f"customers={self.a.customers}", "-v", "few=5",
                                "-v", f"open={min(self.a.open, n)}", "-v", f"prefix={prefix}",
                                "-f", os.path.join(HERE, "gen_cases.awk")], stdout=f, check=True)
        return path

    def sqlite_size(self, n):
        a, w = self.a, self.work
        csv = self.gen(n, "CASE-")
        more = self.gen(n, "MORE-")
        ledger = os.path.join(w, f"ledger-{n}.db")
        floor = os.path.join(w, f"floor-{n}.db")
        say(f"{n:,} cases: import into an empty ledger against sqlite3 .import, {a.import_runs} runs each")
        open(os.path.join(w, "floor.sql"), "w").write(
            "CREATE TABLE cases (id TEXT PRIMARY KEY, customer, severity, tier, opened_at, title, priority, tags,"
            " status, closed_at);\n"
            f".import --csv --skip 1 {csv} cases\n")
        esc_runs, floor_runs = [], []
        for _ in range(a.import_runs):
            fresh(ledger)
            esc_runs.append(run([self.esc, "--ledger", ledger, "case", "import", csv], cwd=w, rss=True))
            fresh(floor)
            floor_runs.append(run(["sqlite3", floor, f".read {os.path.join(w, 'floor.sql')}"], cwd=w, rss=True))
        self.put("sqlite", "import", n, "escalate", esc_runs)
        self.put("sqlite", "import", n, "other", floor_runs)
        say(f"{n:,} cases: sqlite3 .import of the rows escalate's import wrote, {a.import_runs} runs")
        self.put("sqlite", "import: the rows it writes", n, "escalate", esc_runs)
        self.put("sqlite", "import: the rows it writes", n, "other", self.own_rows_sqlite(ledger, n))
        base = os.path.join(w, f"base-{n}.db")
        shutil.copyfile(ledger, base)
        say(f"{n:,} cases: import {n:,} more into a ledger holding {n:,}, {a.import_runs} runs")
        full = os.path.join(w, f"full-{n}.db")
        runs = times([self.esc, "--ledger", full, "case", "import", more], a.import_runs, cwd=w, rss=True,
                     prepare=lambda: (fresh(full), shutil.copyfile(base, full)))
        self.put("sqlite", "import into a full ledger", n, "escalate", runs)
        fresh(full)
        fresh(base)
        sql(ledger, ESCALATIONS_SQL.format(e=a.escalations))
        counts = [int(c) for c in sql(ledger, "SELECT count(*) FROM cases; SELECT count(*) FROM escalations;"
                                              " SELECT count(*) FROM events;").split()]
        info = json.loads(subprocess.run([self.esc, "--ledger", ledger, "ledger", "info", "--json"],
                                         capture_output=True, cwd=w).stdout)
        shown = [info["cases"], info["escalations"], info["events"]]
        self.notes.append(f"SQLite {n:,}: {counts[0]:,} cases, {counts[1]:,} escalations, {counts[2]:,} events"
                          f" ({'as ledger info says' if shown == counts else f'ledger info says {shown}: WRONG'});"
                          f" ledger {os.path.getsize(ledger) / 2**20:.0f} MiB, sqlite3's table"
                          f" {os.path.getsize(floor) / 2**20:.0f} MiB")
        check_id = sql(ledger, "SELECT case_id FROM escalations ORDER BY id LIMIT 1 OFFSET "
                       f"{a.escalations // 2}")
        fresh(floor)
        return ledger, csv, check_id

    def own_rows_sqlite(self, ledger, n):
        """sqlite3 loading, with .import in one transaction, the rows escalate's import wrote
        (cases, their tags and events, as CSV) into the same tables (not STRICT, no foreign
        keys or triggers), the secondary indexes built after the load: the floor of the
        ledger's own format, where the import's 3x budget is against a bare table."""
        w = self.work
        tables = ("cases", "case_tags", "events")
        schema = sql(ledger, "SELECT sql || ';' FROM sqlite_master WHERE type = 'table' AND name IN"
                             " ('cases', 'case_tags', 'events') ORDER BY name;")
        schema = schema.replace(") STRICT, WITHOUT ROWID;", ") WITHOUT ROWID;").replace(") STRICT;", ");")
        indexes = sql(ledger, "SELECT sql || ';' FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                              " AND tbl_name IN ('cases', 'case_tags', 'events') ORDER BY name;")
        script = [schema, "BEGIN;"]
        for t in tables:
            path = os.path.join(w, f"rows-{t}.csv")
            with open(path, "w") as f:
                subprocess.run(["sqlite3", "-csv", ledger, f"SELECT * FROM {t}"], stdout=f, check=True)
            script.append(f".import --csv {path} {t}")
        script += [indexes, "COMMIT;"]
        load = os.path.join(w, "rows.sql")
        open(load, "w").write("\n".join(script) + "\n")
        target = os.path.join(w, f"rows-{n}.db")
        runs = []
        for _ in range(self.a.import_runs):
            fresh(target)
            runs.append(run(["sqlite3", "-bail", target, f".read {load}"], cwd=w, rss=True))
        fresh(target)
        for t in tables:
            os.unlink(os.path.join(w, f"rows-{t}.csv"))
        return runs

    def reads(self, ledgers):
        """Every read command on every size, interleaved (run by run, size by size) so that
        the machine's load falls on each size alike."""
        a = self.a
        for r in range(a.runs):
            say(f"read commands, run {r + 1}/{a.runs}: escalate and sqlite3{' and psql' if a.pg_url_template else ''}"
                f" on {' and '.join(f'{n:,}' for n in ledgers)} cases")
            for n, (ledger, check_id, pg_ledger) in ledgers.items():
                for name, args, ok, text in commands(check_id):
                    self.res.setdefault(("sqlite", name, n, "escalate"), []).append(
                        run([self.esc, "--ledger", ledger] + args, ok=ok, cwd=self.work))
                    self.res.setdefault(("sqlite", name, n, "other"), []).append(
                        run(["sqlite3", "-readonly", ledger, text], cwd=self.work))
                    if pg_ledger:
                        cmds = [c.strip() for c in text.split(";") if c.strip()]
                        argv = [a.psql, "-X", "-d", pg_ledger] + [x for c in cmds for x in ("-c", c)]
                        self.res.setdefault(("pg", name, n, "escalate"), []).append(
                            run([self.esc, "--ledger", pg_ledger] + args, ok=ok, cwd=self.work))
                        self.res.setdefault(("pg", name, n, "other"), []).append(run(argv, cwd=self.work))

    def pg_size(self, n, ledger, csv, check_id):
        a, w, psql = self.a, self.work, self.a.psql
        url = lambda db: a.pg_url_template.replace("__DB__", db)

        def pg(db, *cmds):
            args = [psql, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", url(db)]
            for c in cmds:
                args += ["-c", c]
            p = subprocess.run(args, capture_output=True)
            if p.returncode != 0:
                sys.exit(f"bench: psql failed: {p.stderr.decode(errors='replace')}")
            return p.stdout.decode().strip()

        def fresh_db(db):
            pg("postgres", f'DROP DATABASE IF EXISTS "{db}"', f'CREATE DATABASE "{db}"')

        say(f"PostgreSQL {n:,} cases: import against psql \\copy, {a.import_runs} runs each")
        open(os.path.join(w, "pgfloor.sql"), "w").write(
            "CREATE TABLE cases (id text PRIMARY KEY, customer text, severity text, tier text, opened_at text,"
            " title text, priority text, tags text, status text, closed_at text);\n"
            f"\\copy cases FROM '{csv}' WITH (FORMAT csv, HEADER true)\n")
        mine, theirs = [], []
        for _ in range(a.import_runs):
            fresh_db("bench_import")
            mine.append(run([self.esc, "--ledger", url("bench_import"), "case", "import", csv], cwd=w, rss=True))
            fresh_db("bench_floor")
            theirs.append(run([psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url("bench_floor"),
                               "-f", os.path.join(w, "pgfloor.sql")], cwd=w, rss=True))
        self.put("pg", "import", n, "escalate", mine)
        self.put("pg", "import", n, "other", theirs)
        say(f"PostgreSQL {n:,} cases: psql \\copy of the rows escalate's import wrote, {a.import_runs} runs")
        tables = ("cases", "case_tags", "events")
        for t in tables:
            pg("bench_import", f"\\copy (SELECT * FROM public.{t}) TO '{os.path.join(w, 'pgrows-' + t + '.csv')}'"
                               " WITH (FORMAT csv)")
        indexes = pg("bench_import", "SELECT indexdef || ';' FROM pg_indexes WHERE schemaname = 'public'"
                                     " AND tablename IN ('cases', 'case_tags', 'events') ORDER BY indexname")
        load = ["DROP SCHEMA IF EXISTS copied CASCADE;", "CREATE SCHEMA copied;"]
        load += [f"CREATE TABLE copied.{t} (LIKE public.{t} INCLUDING DEFAULTS);" for t in tables]
        load += [f"\\copy copied.{t} FROM '{os.path.join(w, 'pgrows-' + t + '.csv')}' WITH (FORMAT csv)"
                 for t in tables]
        load.append(indexes.replace(" ON public.", " ON copied."))
        open(os.path.join(w, "pgrows.sql"), "w").write("\n".join(load) + "\n")
        rows = [run([psql, "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-d", url("bench_import"),
                     "-f", os.path.join(w, "pgrows.sql")], cwd=w, rss=True) for _ in range(a.import_runs)]
        pg("bench_import", "DROP SCHEMA copied CASCADE")
        for t in tables:
            os.unlink(os.path.join(w, f"pgrows-{t}.csv"))
        self.put("pg", "import: the rows it writes", n, "escalate", mine)
        self.put("pg", "import: the rows it writes", n, "other", rows)
        say(f"PostgreSQL {n:,} cases: import {n:,} more into a database holding {n:,}")
        more = self.gen(n, "MORE-")
        runs = []
        for _ in range(a.import_runs):
            pg("postgres", 'DROP DATABASE IF EXISTS "bench_full"',
               'CREATE DATABASE "bench_full" TEMPLATE "bench_import"')
            runs.append(run([self.esc, "--ledger", url("bench_full"), "case", "import", more], cwd=w, rss=True))
        self.put("pg", "import into a full ledger", n, "escalate", runs)
        say(f"PostgreSQL {n:,} cases: escalate ledger copy of the SQLite ledger, VACUUM ANALYZE")
        db = f"bench_ledger_{n}"
        fresh_db(db)
        copy = run([self.esc, "--ledger", ledger, "ledger", "copy", "--to", url(db)], cwd=w, rss=True)
        self.notes.append(f"PostgreSQL {n:,}: ledger copy of the SQLite ledger {copy[0]:.1f} s")
        pg(db, "VACUUM ANALYZE")
        pg("postgres", *[f'DROP DATABASE IF EXISTS "{d}"' for d in ("bench_import", "bench_floor", "bench_full")])
        self.pg_made.append(db)
        return url(db)


def secs(s):
    return f"{s:.2f} s" if s >= 1 else f"{s * 1000:.1f} ms"


def med(runs):
    return statistics.median(r[0] for r in runs)


def spread(runs):
    w = [r[0] for r in runs]
    return f"{secs(min(w))}-{secs(max(w))}"


def report(b, backend, other):
    sizes = b.a.sizes
    lo, hi = sizes[0], sizes[-1]
    tasks = []
    for (be, task, _, _) in b.res:
        if be == backend and task not in tasks:
            tasks.append(task)
    head = ["command"] + [f"{n:,}" for n in sizes] + ["growth", f"{other} growth", f"{other} at {hi:,}",
                                                       f"ratio to {other}"]
    rows, spreads = [], []
    for t in tasks:
        row, sp = [t], [t]
        for n in sizes:
            e = b.res.get((backend, t, n, "escalate"))
            row.append(secs(med(e)) if e else "-")
            sp.append(spread(e) if e else "-")
        e_lo, e_hi = b.res.get((backend, t, lo, "escalate")), b.res.get((backend, t, hi, "escalate"))
        row.append(f"{med(e_hi) / med(e_lo):.2f}x" if e_lo and e_hi and lo != hi else "-")
        o, o_lo = b.res.get((backend, t, hi, "other")), b.res.get((backend, t, lo, "other"))
        row.append(f"{med(o) / med(o_lo):.2f}x" if o and o_lo and lo != hi else "-")
        row.append(secs(med(o)) if o else "-")
        if t == "import into a full ledger" and e_hi:
            empty = b.res.get((backend, "import", hi, "escalate"))
            row.append(f"{med(e_hi) / med(empty):.2f}x of the empty import" if empty else "-")
        else:
            row.append(f"{med(e_hi) / med(o):.2f}x" if o and e_hi else "-")
        sp.append(spread(o) if o else "-")
        rows.append(row)
        spreads.append(sp)
    print()
    print(("SQLite" if backend == "sqlite" else "PostgreSQL") + f": medians; growth is the time at {hi:,} cases"
          f" over the time at {lo:,} (target <= 1.2x where the output does not grow)")
    table(head, rows)
    print()
    print(f"Spread (min-max over the runs), escalate at each size and {other} at {hi:,}:")
    table(["command"] + [f"{n:,}" for n in sizes] + [other], spreads)
    for label, task in (("import", "import"), ("import into a full ledger", "import into a full ledger")):
        for n in sizes:
            e = b.res.get((backend, task, n, "escalate"))
            rss = [r[1] for r in e or [] if r[1]]
            if rss:
                print(f"Peak RSS, {label} of {n:,}: {max(rss) / 1024:.1f} MiB (target < 64 MiB)")
        o = b.res.get((backend, task, hi, "other"))
        if o and [r[1] for r in o if r[1]]:
            print(f"Peak RSS of {other}'s import of {hi:,}: {max(r[1] for r in o if r[1]) / 1024:.1f} MiB")


def table(head, rows):
    w = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    fmt = lambda r: "  ".join(str(c).ljust(w[i]) if i == 0 else str(c).rjust(w[i]) for i, c in enumerate(r))
    print(fmt(head))
    print("  ".join("-" * x for x in w))
    for r in rows:
        print(fmt(r))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--escalate", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--sizes", default="10000,1000000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--import-runs", type=int, default=3)
    ap.add_argument("--open", type=int, default=2000)
    ap.add_argument("--escalations", type=int, default=200)
    ap.add_argument("--customers", type=int, default=5000)
    ap.add_argument("--csv-dir", help="where the generated CSV files are kept and reused (default: --work)")
    ap.add_argument("--pg-url-template")
    ap.add_argument("--psql")
    a = ap.parse_args()
    a.sizes = sorted(int(s) for s in a.sizes.split(","))
    b = Bench(a)
    ledgers = {}
    for n in a.sizes:
        ledger, csv, check_id = b.sqlite_size(n)
        pg_ledger = b.pg_size(n, ledger, csv, check_id) if a.pg_url_template else None
        ledgers[n] = (ledger, check_id, pg_ledger)
    b.reads(ledgers)
    for n, (ledger, _, _) in ledgers.items():
        fresh(ledger)
    if a.pg_url_template:
        for db in b.pg_made:
            subprocess.run([a.psql, "-X", "-q", "-d", a.pg_url_template.replace("__DB__", "postgres"),
                            "-c", f'DROP DATABASE IF EXISTS "{db}"'], capture_output=True)
    report(b, "sqlite", "sqlite3")
    if a.pg_url_template:
        report(b, "pg", "psql")
    print()
    print(f"Medians of {a.runs} runs ({a.import_runs} for imports, each into a fresh ledger); every command a"
          f" whole process. Data: bench/gen_cases.awk, {a.open} open cases ({a.escalations} of them with a"
          f" requested escalation), 5 of \"Customer 0000\", the rest closed; clock {NOW}.")
    for note in b.notes:
        print(note)


if __name__ == "__main__":
    main()
