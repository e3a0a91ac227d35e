#!/usr/bin/env python3
"""The recover_sequence job on a PostgreSQL catalog at scale (issue 12 item 4): its time (ms per job, jobs drained
per second) and its round trips to PostgreSQL, for several binaries / worker counts on ONE catalog, interleaved.

Fills a PostgreSQL catalog once with `--sequences` x `--topics` as catalog_scale.py does (the SDK's actions through
the first configuration's binary; `--notifications N` adds N notifications to each sequence and each of its topics
with the *_notification_create actions), drops the fill's own queue, then for every round and
every configuration (the order rotating per round): starts that daemon on the catalog, inserts `--jobs` due
recover_sequence marks of random sequences, waits until the daemon has run them all, and stops it. Per configuration:
median / mean of the jobs' own ms (its event=job_done lines), the wall time to drain the batch (jobs/s), and ratios
to the first configuration. A first pass per configuration with PostgreSQL's log_statement = all (not timed) counts
the statements the daemon sent per job while draining (each statement is one round trip: libpq's extended protocol
sends parse/bind/execute together), by kind.

Usage: .venv/bin/python bench/catalog_scale_jobs.py --config before=/tmp/x/mosaicod-old --config after=build/mosaicod
         [--config after-2w=build/mosaicod:2] [--sequences 5000] [--topics 10] [--jobs 300] [--rounds 3]
         [--dir /tmp/x/jobs] [--keep]
  A config is LABEL=BINARY[:JOB_WORKERS] (default 1 worker).
"""
import argparse
import collections
import json
import multiprocessing as mp
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_daemon  # noqa: E402
from catalog_scale import filler, seq_name  # noqa: E402
from flight_throughput import log  # noqa: E402
from query_bench import action  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PG = os.path.join(ROOT, "scripts", "pg_test_server.sh")


def psql(url, sql):
    out = subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-tAc", sql], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "PGAPPNAME": "bench_psql"})
    if out.returncode != 0:
        raise RuntimeError(f"psql: {out.stderr.strip()}")
    return out.stdout.strip()


def launch(binary, workers, data_dir, url):
    return bench_daemon.launch(binary, data_dir, ["--catalog", url, "--log-level", "info", "--job-workers",
                                                  str(workers)], timeout=120)


def stop(d):
    d.proc.terminate()
    try:
        d.proc.wait(60)
    except subprocess.TimeoutExpired:
        d.proc.kill()
        d.proc.wait()
    d.log_file.close()


def fill(binary, data_dir, url, args):
    d = launch(binary, 1, data_dir, url)
    ctx = mp.get_context("spawn")
    limit, done, topics_done, ready = (ctx.Value("q", 0) for _ in range(4))
    stop_ev = ctx.Event()
    procs = [ctx.Process(target=filler, args=(d.port, k, args.clients, args.topics, limit, done, topics_done, ready,
                                             stop_ev), daemon=True) for k in range(args.clients)]
    for p in procs:
        p.start()
    t = time.time()
    limit.value = args.sequences
    last = t
    while done.value < args.sequences:
        time.sleep(0.2)
        if time.time() - last > 15:
            last = time.time()
            log(f"fill: {done.value}/{args.sequences} sequences ({done.value / (last - t):.0f}/s)")
    stop_ev.set()
    for p in procs:
        p.join(10)
    if args.notifications:
        names = [f"{n}" for n in _topic_names(args.topics)]
        for i in range(args.sequences):
            seq = seq_name(i)
            for kind, target in [("sequence", seq)] + [("topic", f"{seq}/{n}") for n in names]:
                for k in range(args.notifications):
                    action(d.client, f"{kind}_notification_create", {"locator": target, "notification_type": "error",
                                                                     "msg": f"note {k}"})
        log(f"fill: {args.notifications} notification(s) on each sequence and topic")
    log(f"fill: {args.sequences} x {args.topics} in {time.time() - t:.0f} s")
    stop(d)
    # The fill's own marks are not part of the measurement.
    psql(url, "DELETE FROM jobs WHERE state IN ('pending', 'running')")
    psql(url, "VACUUM ANALYZE")


def _topic_names(n):
    from catalog_scale import topic_names
    return [name for name, _ in topic_names(n)]


def log_time(line):
    m = re.match(r"\d{4}-\d\d-\d\dT(\d\d):(\d\d):(\d\d\.\d+)Z", line)  # the daemon's text log format
    if not m:
        return None
    h, mi, sec = m.groups()
    return int(h) * 3600 + int(mi) * 60 + float(sec)


def job_ms(log_path, offset):
    """The recover_sequence jobs' ms (event=job_done) and the span from the first job_started to the last job_done
    (the daemon's own timestamps: the batch's drain time without the idle poll that found it)."""
    out, first, last = [], None, None
    with open(log_path, errors="replace") as f:
        f.seek(offset)
        for line in f:
            if "kind=recover_sequence " not in line:
                continue
            if "event=job_started" in line and first is None:
                first = log_time(line)
            if "event=job_done" in line:
                m = re.search(r"\bms=(\d+)", line)
                if m:
                    out.append(int(m.group(1)))
                last = log_time(line)
    span = (last - first) if first is not None and last is not None else float("nan")
    return out, span


def one_batch(cfg, data_dir, url, args, tag, pg_log=None):
    label, binary, workers = cfg
    d = launch(binary, workers, data_dir, url)
    time.sleep(2)  # start-up done, idle polls only
    offset = os.path.getsize(d.log_path)
    pg_offset = os.path.getsize(pg_log) if pg_log else 0
    now = time.time_ns()
    psql(url, "INSERT INTO jobs (kind, payload, dedup_key, state, attempts, run_after_ns, created_at_ns, "
              "updated_at_ns) SELECT 'recover_sequence', json_build_object('sequence', name)::text, "
              f"'bench:' || name || ':{tag}', 'pending', 0, {now}, {now}, {now} FROM sequences "
              f"ORDER BY random() LIMIT {args.jobs}")
    while True:
        left = int(psql(url, "SELECT count(*) FROM jobs WHERE kind = 'recover_sequence' AND state IN "
                             "('pending', 'running')"))
        if left == 0:
            break
        time.sleep(0.05)
    d.log_file.flush()
    ms, drain = job_ms(d.log_path, offset)
    stmts = None
    if pg_log:
        stmts = collections.Counter()
        with open(pg_log, errors="replace") as f:
            f.seek(pg_offset)
            for line in f:
                m = re.search(r"LOG:\s+(?:execute [^:]*|statement): (.*)", line)
                if not m or "bench_psql" in line.split("LOG:")[0]:
                    continue
                sql = re.sub(r"\s+", " ", m.group(1)).strip()
                stmts[" ".join(sql.split(" ")[:6])[:70]] += 1
    stop(d)
    return {"drain_s": drain, "ms": ms, "stmts": stmts, "load": os.getloadavg()[0]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", action="append", required=True, help="LABEL=BINARY[:JOB_WORKERS]")
    ap.add_argument("--sequences", type=int, default=5000)
    ap.add_argument("--topics", type=int, default=10)
    ap.add_argument("--notifications", type=int, default=0)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--jobs", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--count-jobs", type=int, default=100, help="jobs of the statement-counting pass")
    ap.add_argument("--dir", default="/tmp/catalog_scale_jobs")
    ap.add_argument("--keep", action="store_true", help="reuse a catalog already filled in --dir, keep it after")
    ap.add_argument("--json")
    args = ap.parse_args()
    configs = []
    for c in args.config:
        label, rest = c.split("=", 1)
        binary, _, workers = rest.partition(":")
        configs.append((label, os.path.abspath(binary), int(workers or 1)))

    os.makedirs(args.dir, exist_ok=True)
    pg_dir, data_dir = os.path.join(args.dir, "pg"), os.path.join(args.dir, "data")
    filled = args.keep and os.path.exists(os.path.join(args.dir, "filled"))
    env = {**os.environ, "PG_SHARED_BUFFERS": os.environ.get("PG_SHARED_BUFFERS", "128MB")}
    admin = subprocess.run([PG, "start", pg_dir], capture_output=True, text=True, env=env, check=True).stdout.strip()
    url = admin.rsplit("/", 1)[0] + "/jobs_bench"
    pg_log = os.path.join(pg_dir, "server.log")
    try:
        if not filled:
            shutil.rmtree(data_dir, ignore_errors=True)
            os.makedirs(data_dir)
            psql(admin, "DROP DATABASE IF EXISTS jobs_bench")
            psql(admin, "CREATE DATABASE jobs_bench")
            fill(configs[0][1], data_dir, url, args)
            open(os.path.join(args.dir, "filled"), "w").write(f"{args.sequences} {args.topics}\n")
        topics = int(psql(url, "SELECT count(*) FROM topics"))
        log(f"catalog: {topics} topics, {psql(url, 'SELECT count(*) FROM notifications')} notifications")

        # Statement counts, one pass per configuration (logging on: not timed).
        psql(admin, "ALTER SYSTEM SET log_statement = 'all'")
        psql(admin, "ALTER SYSTEM SET log_line_prefix = '%m [%p] %a %d '")
        psql(admin, "SELECT pg_reload_conf()")
        counts = {}
        saved_jobs = args.jobs
        args.jobs = args.count_jobs
        try:
            for cfg in configs:
                r = one_batch(cfg, data_dir, url, args, f"count-{cfg[0]}", pg_log)
                counts[cfg[0]] = r["stmts"]
        finally:
            args.jobs = saved_jobs
            psql(admin, "ALTER SYSTEM RESET log_statement")
            psql(admin, "SELECT pg_reload_conf()")

        results = {c[0]: [] for c in configs}
        for r in range(args.rounds):
            order = configs[r % len(configs):] + configs[:r % len(configs)]
            for cfg in order:
                res = one_batch(cfg, data_dir, url, args, f"r{r}-{cfg[0]}")
                results[cfg[0]].append(res)
                log(f"round {r + 1} {cfg[0]}: {args.jobs} jobs drained in {res['drain_s']:.1f} s, median "
                    f"{statistics.median(res['ms']) if res['ms'] else float('nan'):.0f} ms, load {res['load']:.1f}")
    finally:
        subprocess.run([PG, "stop", pg_dir], env=env)
        if not args.keep:
            shutil.rmtree(args.dir, ignore_errors=True)

    print(f"\n{topics} topics ({args.sequences} x {args.topics}), {args.jobs} due recover_sequence marks per batch, "
          f"{args.rounds} interleaved rounds; PostgreSQL; load at the end {os.getloadavg()[0]:.1f}")
    base = configs[0][0]

    def med(label, key):
        return statistics.median(x[key] for x in results[label])

    def job_med(label):
        return statistics.median(statistics.median(x["ms"]) for x in results[label] if x["ms"])

    print(f"{'config':>14} {'workers':>7} {'job ms p50':>10} {'/base':>6} {'job ms mean':>11} {'drain s':>8} "
          f"{'jobs/s':>7} {'/base':>6} {'stmts/job':>9} {'loads':>14}")
    for label, _, workers in configs:
        total = sum(counts[label].values()) / args.count_jobs
        means = statistics.median(sum(x["ms"]) / len(x["ms"]) for x in results[label] if x["ms"])
        rate = args.jobs / med(label, "drain_s")
        print(f"{label:>14} {workers:7d} {job_med(label):10.1f} {job_med(label) / job_med(base):6.2f} {means:11.1f} "
              f"{med(label, 'drain_s'):8.2f} {rate:7.1f} {rate / (args.jobs / med(base, 'drain_s')):6.2f} "
              f"{total:9.1f} {' '.join('%.1f' % x['load'] for x in results[label]):>14}")
    for label, _, _ in configs:
        print(f"\nstatements per job, {label} (pass of {args.count_jobs} jobs, idle polls and heartbeats included):")
        for sql, n in counts[label].most_common(14):
            print(f"  {n / args.count_jobs:6.2f}  {sql}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"configs": configs, "results": results,
                       "counts": {k: dict(v) for k, v in counts.items()}}, f, indent=1)


if __name__ == "__main__":
    main()
