#!/usr/bin/env python3
"""Catalog at scale (issue #12, item 4): does mosaicod stay as fast at 1M topics as at 1k?

Fills a catalog through raw Flight actions, exactly as the SDK writes a recording (sequence_create, session_create,
topic_create per topic, session_finalize: the finalize enqueues the sequence's `recover_sequence` mark, as every
real recording does), from several client processes, up to `--sequences` x `--topics`. The fill pauses at each
checkpoint (default 1k, 10k, 50k, 100k sequences) to measure, on an otherwise idle daemon:

  - creation rate of the window that ended there (sequences/s, topics/s) as a ratio to the first window;
  - the largest overdue count sampled in that window (column "max overdue", the queue's worst lag there);
  - p50 latency of a ListFlights first page (criteria {"limit": 100}; a daemon without paging sends the whole
    listing: that is what its clients wait for), GetFlightInfo of a sequence and of a topic, session_create --
    as ratios to the first checkpoint;

and all along the job queue: pending jobs (the daemon's /metrics, mosaicod_job_queue_depth) and the
overdue ones (pending and due: the backlog the workers have not caught up with; recover_sequence marks are due one
to two minutes after their operation, so "pending" alone counts marks that merely wait). After the fill it waits
for the backlog to drain (`--drain-timeout`), then reports catalog (and store) bytes on disk per topic (the catalog's
also at each checkpoint). Each checkpoint's row is also logged as it is measured, so a run cut short keeps them.

SIGUSR1 ends the fill early (e.g. when a deadline approaches): the sequences started so far are finished, that count
becomes the last checkpoint (measured as any other), then the drain and the report run as usual.

With `--baseline BIN` the same fill runs first against BIN (e.g. /tmp/baseline/mosaicod-f44f143), then against
`--bin`, in the same run; with `--parallel` both at the same time (each with its own clients), so that both see
the same machine load (they stop together at each checkpoint and measure latencies one after the other, with no
fill running). The daemons log at info level: the mean duration of the recover_sequence jobs that finished
in each window is read from their event=job_done lines.

Usage: .venv/bin/python bench/catalog_scale.py [--bin build/mosaicod] [--baseline BIN] [--sequences 100000]
         [--topics 10] [--clients 4] [--checkpoints 1000,10000,50000,100000] [--repeat 30] [--keep DIR]
         [--catalog sqlite|postgres] [--drain-timeout 300] [--parallel] [--job-workers N]
  --catalog postgres starts a throwaway server with scripts/pg_test_server.sh (one database per daemon).
"""
import argparse
import json
import multiprocessing as mp
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pyarrow.flight as fl

import bench_daemon
from flight_throughput import free_port, log  # bench/ is the script's directory, so on sys.path
from query_bench import SENSORS, action, create_recorded_sequence, latency

CUT = threading.Event()  # set by SIGUSR1: end the fill at the sequences created so far
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CHECKPOINTS = [1000, 10000, 50000, 100000]


def seq_name(i):
    return f"run_{i:06d}"


def topic_names(n_topics):
    return [(f"{SENSORS[k % len(SENSORS)][0]}_{k}", SENSORS[k % len(SENSORS)][1]) for k in range(n_topics)]


# ---------------------------------------------------------------- fill (client processes)

def filler(port, worker, n_workers, n_topics, limit, done, topics_done, ready, stop):
    """Creates the sequences i = worker, worker + n_workers, ... while i < limit.value, as the SDK does."""
    client = fl.FlightClient(f"grpc://127.0.0.1:{port}")
    action(client, "info", {})
    with ready.get_lock():
        ready.value += 1
    names = topic_names(n_topics)
    i = worker
    while not stop.is_set():
        if i >= limit.value:
            time.sleep(0.02)
            continue
        rnd = random.Random(i)
        seq = seq_name(i)
        create_recorded_sequence(client, seq, rnd, i, names)
        with done.get_lock():
            done.value += 1
        with topics_done.get_lock():
            topics_done.value += n_topics
        i += n_workers


# ---------------------------------------------------------------- daemon

class Daemon:
    def __init__(self, binary, data_dir, catalog_url=None, job_workers=None):
        self.http_port = free_port()
        self.data_dir = data_dir
        self.catalog_url = catalog_url
        args = ["--http-port", str(self.http_port), "--log-level", "info"]
        if job_workers is not None:
            args += ["--job-workers", str(job_workers)]
        if catalog_url:
            args += ["--catalog", catalog_url]
        d = bench_daemon.launch(binary, data_dir, args, timeout=60)
        self.port, self.log_path, self.log_file, self.proc, self.client = d.port, d.log_path, d.log_file, d.proc, d.client

    def job_ms(self, kind="recover_sequence"):
        """Durations (ms) of the `kind` jobs finished since the last call, from the daemon's event=job_done lines."""
        self.log_file.flush()
        out = []
        with open(self.log_path, errors="replace") as f:
            f.seek(getattr(self, "_job_offset", 0))
            while True:
                line = f.readline()
                if not line.endswith("\n"):
                    break
                if "event=job_done" in line and f"kind={kind} " in line:
                    m = re.search(r"\bms=(\d+)", line)
                    if m:
                        out.append(int(m.group(1)))
                self._job_offset = f.tell()
        return out

    def pending_jobs(self):
        """Pending jobs by kind, from /metrics (cached by the daemon for a few seconds)."""
        text = urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/metrics", timeout=30).read().decode()
        out = {}
        for m in re.finditer(r'^mosaicod_job_queue_depth\{kind="([^"]+)",state="pending"\} (\S+)$', text, re.M):
            out[m.group(1)] = int(float(m.group(2)))
        return out

    def overdue_jobs(self):
        """Pending jobs already due (the backlog), read from the catalog (psql on PostgreSQL)."""
        if self.catalog_url:
            out = subprocess.run(["psql", self.catalog_url, "-tAc", "SELECT count(*) FROM jobs WHERE state = "
                                  f"'pending' AND run_after_ns <= {time.time_ns()}"], capture_output=True, text=True,
                                 timeout=60)
            if out.returncode != 0:
                raise RuntimeError(f"psql: {out.stderr.strip()}")
            return int(out.stdout.strip())
        conn = sqlite3.connect(f"file:{os.path.join(self.data_dir, 'catalog.db')}?mode=ro", uri=True, timeout=30)
        try:
            return conn.execute("SELECT count(*) FROM jobs WHERE state = 'pending' AND run_after_ns <= ?",
                                (time.time_ns(),)).fetchone()[0]
        finally:
            conn.close()

    def catalog_bytes(self):
        if self.catalog_url:
            out = subprocess.run(["psql", self.catalog_url, "-tAc", "SELECT pg_database_size(current_database())"],
                                 capture_output=True, text=True)
            return int(out.stdout.strip()) if out.returncode == 0 else -1
        return sum(os.path.getsize(os.path.join(self.data_dir, f)) for f in os.listdir(self.data_dir)
                   if f.startswith("catalog.db"))

    def store_bytes(self):
        out = subprocess.run(["du", "-sb", os.path.join(self.data_dir, "store")], capture_output=True, text=True)
        return int(out.stdout.split()[0]) if out.returncode == 0 else -1

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log_file.close()


# ---------------------------------------------------------------- measurements

def p50(fn, repeat):
    return latency(fn, repeat)[0]


def latencies(daemon, created, n_topics, repeat, rnd):
    client = daemon.client
    names = topic_names(n_topics)
    page = json.dumps({"limit": 100}).encode()
    sessions = []

    def list_page():
        return list(client.list_flights(criteria=page))

    def seq_info():
        seq = seq_name(rnd.randrange(created))
        return client.get_flight_info(fl.FlightDescriptor.for_command(json.dumps({"resource_locator": seq})))

    def topic_info():
        loc = f"{seq_name(rnd.randrange(created))}/{names[rnd.randrange(n_topics)][0]}"
        return client.get_flight_info(fl.FlightDescriptor.for_command(json.dumps({"resource_locator": loc})))

    def session_create():
        sessions.append(action(client, "session_create", {"locator": seq_name(rnd.randrange(created))})[0])

    out = {"list_page": p50(list_page, repeat), "seq_info": p50(seq_info, repeat),
           "topic_info": p50(topic_info, repeat), "session_create": p50(session_create, repeat)}
    t = time.perf_counter()
    listed = sum(1 for _ in client.list_flights())
    out["list_all"] = time.perf_counter() - t
    out["list_page_items"] = len(list_page())
    assert listed >= created, (listed, created)
    for s in sessions:  # leave no open session behind (not timed)
        action(client, "session_finalize", {"session_uuid": s["uuid"]})
    return out


class QueueSampler(threading.Thread):
    def __init__(self, daemon, done, period=2.0):
        super().__init__(daemon=True)
        self.d, self.done, self.period = daemon, done, period
        self.samples = []  # (seconds, sequences, pending, overdue)
        self.stop_event = threading.Event()
        self.t0 = time.time()

    def sample(self):
        try:
            # gc_sequence jobs wait an hour by design (until their sequence's garbage is old enough: jobs/gc.h):
            # they are not backlog, and "queue empty" means every other kind ran.
            pending = sum(v for k, v in self.d.pending_jobs().items() if k != "gc_sequence")
            overdue = self.d.overdue_jobs()
        except Exception as e:  # a busy catalog: skip this sample
            log(f"queue sample failed: {e}")
            return None
        s = (time.time() - self.t0, self.done.value, pending, overdue)
        self.samples.append(s)
        return s

    def run(self):
        while not self.stop_event.wait(self.period):
            self.sample()


def cut_fill(limit, done, n_workers, settle_s=3.0):
    """Ends the fill early: lowers the limit just above what is created, so that every sequence below the new
    limit gets finished (each worker completes its own indices below it), then waits until no worker is busy.
    Returns the new limit (sequences 0..limit-1 all exist; workers run unevenly, so some above it may too) and
    the time the last sequence was finished."""
    new_limit = min(limit.value, done.value + n_workers)
    limit.value = new_limit
    last, since = done.value, time.time()
    while time.time() - since < settle_s or done.value < new_limit:
        time.sleep(0.1)
        if done.value != last:
            last, since = done.value, time.time()
    return new_limit, since


class NoSync:
    def wait(self):
        pass


def run_one(label, binary, args, data_dir, catalog_url, sync=NoSync(), measure_lock=None):
    """`sync` (a Barrier across parallel runs): every run reaches each checkpoint before any measures, and none
    fills on while another measures; `measure_lock` makes them measure one at a time."""
    checkpoints = sorted({c for c in args.checkpoints if c < args.sequences} | {args.sequences})
    daemon = Daemon(binary, data_dir, catalog_url, args.job_workers)
    log(f"{label}: daemon on port {daemon.port}, data in {data_dir}")
    ctx = mp.get_context("spawn")  # gRPC does not survive a fork of a process that already has a client
    limit, done, topics_done, ready = (ctx.Value("q", 0) for _ in range(4))
    stop = ctx.Event()
    workers = [ctx.Process(target=filler, args=(daemon.port, k, args.clients, args.topics, limit, done, topics_done,
                                               ready, stop), daemon=True) for k in range(args.clients)]
    for w in workers:
        w.start()
    while ready.value < args.clients:
        time.sleep(0.05)
    sampler = QueueSampler(daemon, done)
    sampler.start()
    rnd = random.Random(11)
    rows = []
    prev = 0
    fill_s = 0.0
    try:
        for cp in checkpoints:
            t = time.time()
            window_first_sample = len(sampler.samples)
            limit.value = cp
            last_log = t
            t_end = None
            while done.value < cp:
                time.sleep(0.05)
                if CUT.is_set():
                    cp, t_end = cut_fill(limit, done, args.clients)
                    log(f"{label}: fill cut short (SIGUSR1) at {done.value} sequences (0..{cp - 1} all there)")
                    break
                if time.time() - last_log > 10:
                    last_log = time.time()
                    s = sampler.samples[-1] if sampler.samples else None
                    log(f"{label}: {done.value}/{args.sequences} sequences, "
                        f"{(done.value - prev) / (time.time() - t):.0f}/s in this window"
                        + (f"; queue pending {s[2]} overdue {s[3]}" if s else ""))
            window_s = (t_end or time.time()) - t
            fill_s += window_s
            created = done.value  # == cp unless the fill was cut short
            rate = (created - prev) / window_s
            q = sampler.sample()
            sync.wait()
            with measure_lock or threading.Lock():
                log(f"{label}: checkpoint {cp}: {rate:.0f} sequences/s; measuring latencies")
                lat = latencies(daemon, cp, args.topics, args.repeat, rnd)
            sync.wait()
            jobs = daemon.job_ms()
            cat_bytes = daemon.catalog_bytes()
            in_window = [s[3] for s in sampler.samples[window_first_sample:] if s[3] is not None]
            rows.append({"sequences": created, "rate": rate, "topics_rate": rate * args.topics, "queue": q,
                         "max_overdue": max(in_window) if in_window else -1,
                         "jobs": len(jobs), "job_ms": sum(jobs) / len(jobs) if jobs else float("nan"),
                         "catalog_bytes": cat_bytes, "load": os.getloadavg()[0], **lat})
            log(f"{label}: {created}: {rate:.0f} seq/s = {rate * args.topics:.0f} topics/s, queue (s, seq, pending, "
                f"overdue) {q}, {len(jobs)} jobs {rows[-1]['job_ms']:.2f} ms; list page {lat['list_page'] * 1e3:.1f} "
                f"ms, seq info {lat['seq_info'] * 1e3:.1f} ms, topic info {lat['topic_info'] * 1e3:.1f} ms, "
                f"session_create {lat['session_create'] * 1e3:.1f} ms, list all {lat['list_all']:.2f} s; catalog "
                f"{cat_bytes / (created * args.topics):.0f} B/topic; load {rows[-1]['load']:.1f}")
            prev = created
            if CUT.is_set():
                break
        stop.set()
        # Drain: the backlog (overdue jobs) first, then everything pending (marks are due 1-2 min after).
        t = time.time()
        drained_overdue = drained_all = None
        while time.time() - t < args.drain_timeout:
            s = sampler.sample()
            if s and (s[3] or 0) == 0 and drained_overdue is None:
                drained_overdue = time.time() - t
            if s and s[2] == 0:
                drained_all = time.time() - t
                break
            time.sleep(2)
        sampler.stop_event.set()
        final = sampler.sample()
        drain_jobs = daemon.job_ms()
        result = {"label": label, "binary": binary, "rows": rows, "samples": sampler.samples, "fill_s": fill_s,
                  "drained_overdue_s": drained_overdue, "drained_all_s": drained_all, "final_queue": final,
                  "drain_jobs": len(drain_jobs),
                  "drain_job_ms": sum(drain_jobs) / len(drain_jobs) if drain_jobs else float("nan"),
                  "catalog_bytes": daemon.catalog_bytes(), "store_bytes": daemon.store_bytes(),
                  "sequences": done.value, "topics": done.value * args.topics}
    finally:
        stop.set()
        for w in workers:
            w.join(10)
            if w.is_alive():
                w.terminate()
        daemon.stop()
    return result


# ---------------------------------------------------------------- report

def report(res, args):
    rows = res["rows"]
    first = rows[0]
    print(f"\n## {res['label']}: {res['binary']}")
    print(f"{res['sequences']} sequences x {args.topics} topics, {args.clients} client processes, catalog "
          f"{args.catalog}; fill {res['fill_s']:.0f} s; p50 of {args.repeat} calls per latency")
    print(f"{'sequences':>9} {'topics':>8} {'seq/s':>7} {'topics/s':>8} {'rate/1st':>8} {'pending':>8} {'overdue':>8} "
          f"{'list pg ms':>10} {'/1st':>5} {'seq info':>8} {'/1st':>5} {'top info':>8} {'/1st':>5} "
          f"{'sess cr':>8} {'/1st':>5} {'list all s':>10} {'jobs':>6} {'job ms':>7} {'cat B/topic':>11} {'load':>5} "
          f"{'max overdue':>11}")
    for r in rows:
        q = r["queue"] or (0, 0, -1, -1)
        print(f"{r['sequences']:9d} {r['sequences'] * args.topics:8d} {r['rate']:7.0f} {r['topics_rate']:8.0f} "
              f"{r['rate'] / first['rate']:8.2f} "
              f"{q[2]:8d} {q[3] if q[3] is not None else -1:8d} "
              f"{r['list_page'] * 1e3:10.2f} {r['list_page'] / first['list_page']:5.2f} "
              f"{r['seq_info'] * 1e3:8.2f} {r['seq_info'] / first['seq_info']:5.2f} "
              f"{r['topic_info'] * 1e3:8.2f} {r['topic_info'] / first['topic_info']:5.2f} "
              f"{r['session_create'] * 1e3:8.2f} {r['session_create'] / first['session_create']:5.2f} "
              f"{r['list_all']:10.2f} {r['jobs']:6d} {r['job_ms']:7.2f} "
              f"{r['catalog_bytes'] / (r['sequences'] * args.topics):11.0f} {r['load']:5.1f} "
              f"{r.get('max_overdue', -1):11d}")
    samples = res["samples"]
    step = max(1, len(samples) // 12)
    print("job queue over time (s, sequences, pending, overdue): " +
          ", ".join(f"({s[0]:.0f}, {s[1]}, {s[2]}, {s[3]})" for s in samples[::step]))
    print(f"after the fill: backlog (overdue) drained in "
          f"{'%.0f s' % res['drained_overdue_s'] if res['drained_overdue_s'] is not None else 'not drained'}, "
          f"queue empty in {'%.0f s' % res['drained_all_s'] if res['drained_all_s'] is not None else 'not emptied'} "
          f"(timeout {args.drain_timeout} s); final {res['final_queue']}; {res['drain_jobs']} recover_sequence "
          f"jobs ran meanwhile, mean {res['drain_job_ms']:.2f} ms")
    print(f"catalog {res['catalog_bytes'] / 2**20:.1f} MiB = {res['catalog_bytes'] / res['topics']:.0f} bytes/topic; "
          f"store {res['store_bytes'] / 2**20:.1f} MiB = {res['store_bytes'] / res['topics']:.0f} bytes/topic")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "mosaicod"))
    ap.add_argument("--baseline", help="a second binary, filled first in the same run")
    ap.add_argument("--sequences", type=int, default=100000)
    ap.add_argument("--topics", type=int, default=10)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--checkpoints", type=lambda s: [int(x) for x in s.split(",")], default=DEFAULT_CHECKPOINTS)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--drain-timeout", type=float, default=300)
    ap.add_argument("--catalog", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--parallel", action="store_true",
                    help="with --baseline: fill both daemons at the same time (same load) instead of one after the other")
    ap.add_argument("--keep", help="keep the data dirs under DIR (one per binary)")
    ap.add_argument("--job-workers", type=int, help="the daemons' --job-workers (default: theirs)")
    ap.add_argument("--json", help="also write the raw results to this file")
    args = ap.parse_args()
    signal.signal(signal.SIGUSR1, lambda *_: CUT.set())

    base = args.keep or tempfile.mkdtemp(prefix="mosaico-catalog-scale-")
    os.makedirs(base, exist_ok=True)
    os.chmod(base, 0o755)  # mkdtemp's 0700 keeps out the PostgreSQL server, which runs as its own user
    pg_dir = None
    runs = ([("baseline", args.baseline)] if args.baseline else []) + [("new", args.bin)]
    results = []
    try:
        pg_url = None
        if args.catalog == "postgres":
            pg_dir = os.path.join(base, "pg")
            pg_url = subprocess.run([os.path.join(ROOT, "scripts", "pg_test_server.sh"), "start", pg_dir],
                                    check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        plans = []
        for label, binary in runs:
            data_dir = os.path.join(base, label)
            shutil.rmtree(data_dir, ignore_errors=True)
            os.makedirs(data_dir)
            url = None
            if pg_url:
                db = f"catalog_scale_{label}_{os.getpid()}"
                subprocess.run(["psql", pg_url, "-qc", f"CREATE DATABASE {db}"], check=True)
                url = pg_url.rsplit("/", 1)[0] + "/" + db
            plans.append((label, binary, data_dir, url))
        if args.parallel:  # both daemons filled at once: they see the same machine load
            sync, lock = threading.Barrier(len(plans)), threading.Lock()
            with ThreadPoolExecutor(len(plans)) as pool:
                results = list(pool.map(lambda p: run_one(p[0], p[1], args, p[2], p[3], sync, lock), plans))
        else:
            results = [run_one(label, binary, args, data_dir, url) for label, binary, data_dir, url in plans]
    finally:
        if pg_dir:
            subprocess.run([os.path.join(ROOT, "scripts", "pg_test_server.sh"), "stop", pg_dir])
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print(f"\n# catalog_scale: load at the end {os.getloadavg()[0]:.2f}")
    for res in results:
        report(res, args)
    if len(results) == 2:
        b, n = results
        print("\nnew / baseline at each checkpoint (rate: higher is better; latencies: lower is better):")
        for rb, rn in zip(b["rows"], n["rows"]):
            print(f"  {rn['sequences']:7d} sequences: rate x{rn['rate'] / rb['rate']:.2f}, list page "
                  f"x{rn['list_page'] / rb['list_page']:.2f}, seq info x{rn['seq_info'] / rb['seq_info']:.2f}, "
                  f"topic info x{rn['topic_info'] / rb['topic_info']:.2f}, session_create "
                  f"x{rn['session_create'] / rb['session_create']:.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
