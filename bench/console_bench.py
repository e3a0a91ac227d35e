#!/usr/bin/env python3
"""Web console speed (issue 15, docs/CONSOLE.md): time to first plot and catalog pages, on a real daemon.

1. Plot: one topic of `--hours` h at `--rate` Hz (default 10 h at 1 kHz = 36 M rows: timestamp_ns, x = a sine with one
   one-sample spike, y = a sawtooth), uploaded with raw Flight DoPut. Measured, over HTTP as the page calls it:
     - whole topic: GET /api/topic then /api/series over the whole time range at 1200 columns (the plot's first
       paint) -- the cold call (footers not cached yet) and the median of warm calls; source must be "stats" and
       the spike must be the max;
     - a 2 s window at a random place: /api/series (source "raw"/"points"), median;
     - with --browser: the same two in Debian's chromium (Playwright): page open -> plot drawn (median of 3).
2. Catalog: `--sequences` sequences (default 100 000), each with one session and one topic (no data), created with
   raw Flight actions from `--clients` processes. At each checkpoint (`--checkpoints`) it measures GET
   /api/sequences pages of 50: the first page, a page in the middle (after=<a name there>), and a name-glob search
   through the query engine ("seq_000123*", matching 10 sequences), medians of `--repeat`; as ratios against the
   first checkpoint (the cost should follow the page, not the catalog). With --browser also the catalog page in
   chromium at the last checkpoint.

Load is printed (/proc/loadavg) with every figure: the machine is shared, medians and ratios are what to compare.

Usage: .venv/bin/python bench/console_bench.py [--bin build/mosaicod] [--hours 10] [--rate 1000]
         [--sequences 100000] [--checkpoints 1000,100000] [--clients 3] [--repeat 15] [--browser] [--skip-plot]
         [--skip-catalog] [--keep DIR]
"""
import argparse
import json
import multiprocessing as mp
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request

import numpy as np
import pyarrow as pa
import pyarrow.flight as fl

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import bench_daemon  # noqa: E402
from mosaico_testlib import action, create_session, create_topic, finalize, put_descriptor  # noqa: E402

BASE = 1_700_000_000_000_000_000
SPIKE = 1000.0


def load():
    return open("/proc/loadavg").read().split()[0]


def get(port, path):
    t = time.perf_counter()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=120) as r:
        body = r.read()
    return time.perf_counter() - t, json.loads(body)


def median_ms(fn, repeat):
    fn()  # warm-up, not counted (a restarted daemon's first catalog reads are cold)
    times = []
    out = None
    for _ in range(repeat):
        dt, out = fn()
        times.append(dt)
    return statistics.median(times) * 1000, out


# ------------------------------------------------------------------------------------------------------ plot

def upload_signal(client, hours, rate):
    n = int(hours * 3600 * rate)
    step = int(1e9 / rate)
    action(client, "sequence_create", {"locator": "console_bench_signal", "user_metadata": {"bench": "console"}})
    s_uuid, _ = create_session(client, "console_bench_signal")
    t_uuid = create_topic(client, s_uuid, "console_bench_signal/signal", ontology_tag="bench_signal")
    schema = pa.schema([pa.field("timestamp_ns", pa.int64(), nullable=False), pa.field("x", pa.float64()),
                        pa.field("y", pa.float64())])
    spike_at = n * 7 // 13
    writer, reader = client.do_put(put_descriptor("console_bench_signal/signal", t_uuid), schema)
    batch = 500_000
    t0 = time.perf_counter()
    for start in range(0, n, batch):
        i = np.arange(start, min(n, start + batch), dtype=np.int64)
        x = np.sin(2 * np.pi * i / (rate * 60.0))
        if start <= spike_at < start + len(i):
            x[spike_at - start] = SPIKE
        y = (i % (rate * 10)) / float(rate * 10)
        writer.write_batch(pa.RecordBatch.from_arrays([pa.array(BASE + i * step), pa.array(x), pa.array(y)], schema=schema))
    writer.done_writing()
    reader.read()
    writer.close()
    finalize(client, s_uuid)
    return n, step, spike_at, time.perf_counter() - t0


def bench_plot(d, args):
    n, step, spike_at, up_s = upload_signal(d.client, args.hours, args.rate)
    print(f"uploaded {n} rows ({args.hours} h at {args.rate} Hz) in {up_s:.1f} s", flush=True)
    port = d.http_port
    topic_q = "sequence=console_bench_signal&topic=signal"

    def whole():
        t = time.perf_counter()
        _, topic = get(port, f"/api/topic?{topic_q}")
        _, s = get(port, f"/api/series?{topic_q}&fields=x,y&start={topic['ts_min']}&end={topic['ts_max'] + 1}&width=1200")
        return time.perf_counter() - t, s

    cold_s, s = whole()
    assert s["source"] == ("stats" if n > 1_000_000 else "raw"), s["source"]
    assert max(s["fields"][0]["max"]) == SPIKE, "spike lost"
    warm_ms, s = median_ms(whole, args.repeat)
    print(f"[load {load()}] whole topic (/api/topic + /api/series, 1200 columns): cold {cold_s * 1000:.0f} ms, "
          f"warm median {warm_ms:.1f} ms; source={s['source']} row_groups={s['row_groups']} chunks={s['chunks']} "
          f"rows~{s['rows_estimate']}", flush=True)
    # Baseline in the same run: the same whole-topic plot from every row (what the statistics save).
    t = time.perf_counter()
    _, raw = get(port, f"/api/series?{topic_q}&fields=x,y&width=1200&raw_row_limit={n + 1}")
    raw_s = time.perf_counter() - t
    assert raw["source"] == "raw" and max(raw["fields"][0]["max"]) == SPIKE
    print(f"[load {load()}] baseline, whole topic from all {n} rows: {raw_s * 1000:.0f} ms "
          f"({raw_s * 1000 / warm_ms:.0f}x the statistics' warm time)", flush=True)
    rnd = random.Random(1)

    def window():
        start = BASE + rnd.randrange(0, n - 2 * args.rate) * step
        t = time.perf_counter()
        _, topic = get(port, f"/api/topic?{topic_q}")
        _, s = get(port, f"/api/series?{topic_q}&fields=x,y&start={start}&end={start + 2_000_000_000}&width=1200")
        return time.perf_counter() - t, s

    win_ms, s = median_ms(window, args.repeat)
    print(f"[load {load()}] 2 s window (/api/topic + /api/series): median {win_ms:.1f} ms; source={s['source']} "
          f"row_groups={s['row_groups']}", flush=True)
    # Spike window: the raw path finds it too.
    start = BASE + (spike_at - 1000) * step
    _, s = get(port, f"/api/series?{topic_q}&fields=x&start={start}&end={start + 2_000_000_000}&width=1200")
    assert max(s["fields"][0]["max"]) == SPIKE
    out = {"whole_cold_ms": cold_s * 1000, "whole_warm_ms": warm_ms, "window_2s_ms": win_ms}
    if args.browser:
        out.update(browser_plot(port, args))
    return out


def browser_session():
    from playwright.sync_api import sync_playwright
    p = sync_playwright().start()
    b = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                          args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                                "--disable-background-networking", "--disable-component-update", "--disable-sync"])
    return p, b


def time_page_loads(browser, urls, ready_js, in_page_js, check=None):
    """Opens each url in a fresh page, waits for `ready_js` to be true; median ms from goto() and of `in_page_js`."""
    times, in_page = [], []
    for url in urls:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        t = time.perf_counter()
        page.goto(url)
        page.wait_for_function(ready_js, timeout=60000)
        times.append(time.perf_counter() - t)
        in_page.append(page.evaluate(in_page_js))
        if check:
            check(page)
        page.close()
    return statistics.median(times) * 1000, statistics.median(in_page)


def browser_plot(port, args):
    p, b = browser_session()
    plotted = "window.__console && window.__console.plotted"
    topic_url = f"http://127.0.0.1:{port}/console/#/topic/console_bench_signal/signal"
    try:
        def spike_shown(page):
            assert page.evaluate("Math.max(...window.__console.plot.data[1].filter(v => v !== null))") == SPIKE

        whole, whole_in_page = time_page_loads(b, [topic_url] * 3, plotted, "window.__console.plottedAt",
                                               spike_shown)
        print(f"[load {load()}] browser: whole-topic plot drawn (spike shown), median of 3: {whole:.0f} ms from goto(), "
              f"{whole_in_page:.0f} ms from navigation start (performance.now())", flush=True)

        def from_rows(page):
            assert page.evaluate("window.__console.series.source") in ("raw", "points")

        starts = [BASE + (k + 1) * 3_600_000_000_000 for k in range(3)]
        window, window_in_page = time_page_loads(
            b, [f"{topic_url}?start={s}&end={s + 2_000_000_000}" for s in starts], plotted,
            "window.__console.plottedAt", from_rows)
        print(f"[load {load()}] browser: 2 s window plot drawn, median of 3: {window:.0f} ms from goto(), "
              f"{window_in_page:.0f} ms from navigation start", flush=True)
        return {"browser_whole_ms": whole, "browser_window_ms": window}
    finally:
        b.close()
        p.stop()


# ------------------------------------------------------------------------------------------------------ catalog

def seq_name(i):
    return f"seq_{i:07d}"


def filler(port, worker, n_workers, lo, hi):
    client = fl.FlightClient(f"grpc://127.0.0.1:{port}")
    for i in range(lo + worker, hi, n_workers):
        name = seq_name(i)
        action(client, "sequence_create", {"locator": name, "user_metadata": {"robot": f"r{i % 7}", "i": i}})
        s_uuid, _ = create_session(client, name)
        create_topic(client, s_uuid, f"{name}/imu", ontology_tag="imu")
        finalize(client, s_uuid)


def fill(d, lo, hi, clients):
    t = time.perf_counter()
    procs = [mp.get_context("spawn").Process(target=filler, args=(d.port, w, clients, lo, hi)) for w in range(clients)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
        assert p.exitcode == 0
    return (hi - lo) / (time.perf_counter() - t)


def sql_fill(db, lo, hi):
    """Rows as the actions write them (sequence, locked session, topic without data), inserted straight into the
    stopped daemon's SQLite catalog: the action path runs at ~100 sequences/s on this loaded 2-core machine."""
    import sqlite3
    import uuid
    c = sqlite3.connect(db)
    now = time.time_ns()
    with c:
        for i in range(lo, hi):
            name = seq_name(i)
            sid = c.execute("INSERT INTO sequences(name, user_metadata, created_at_ns) VALUES (?, ?, ?)",
                            (name, json.dumps({"robot": f"r{i % 7}", "i": i}), now + i)).lastrowid
            sess = c.execute("INSERT INTO sessions(sequence_id, session_key, uuid, created_at_ns, completed_at_ns, "
                             "locked) VALUES (?, ?, ?, ?, ?, 1)",
                             (sid, f"01BENCH{i:019d}", str(uuid.uuid4()), now + i, now + i)).lastrowid
            c.execute("INSERT INTO topics(sequence_id, session_id, name, uuid, ontology_tag, serialization_format, "
                      "created_at_ns, completed_at_ns, locked) VALUES (?, ?, 'imu', ?, 'imu', 'default', ?, ?, 1)",
                      (sid, sess, str(uuid.uuid4()), now + i, now + i))
    c.close()


def measure_catalog(port, count, repeat):
    mid = seq_name(count // 2)
    first_ms, page = median_ms(lambda: get(port, "/api/sequences?limit=50"), repeat)
    assert len(page["items"]) == 50
    mid_ms, page = median_ms(lambda: get(port, f"/api/sequences?limit=50&after={mid}"), repeat)
    assert page["items"][0]["name"] == seq_name(count // 2 + 1)
    glob = seq_name(count // 2)[:-1] + "*"
    glob_ms, page = median_ms(lambda: get(port, f"/api/sequences?limit=50&name={glob}"), repeat)
    assert len(page["items"]) == 10, len(page["items"])
    return {"first_ms": first_ms, "middle_ms": mid_ms, "glob_ms": glob_ms}


def browser_catalog(port):
    p, b = browser_session()
    try:
        return time_page_loads(b, [f"http://127.0.0.1:{port}/console/#/"] * 3,
                               "window.__console && window.__console.page === 'catalog'", "performance.now()")
    finally:
        b.close()
        p.stop()


def relaunch(d, args):
    n = bench_daemon.launch(args.bin, d.data_dir, ["--http-port", str(d.http_port), "--log-level", "warn"], timeout=120)
    n.http_port, n.data_dir = d.http_port, d.data_dir
    return n


def bench_catalog(d, args):
    checkpoints = [int(c) for c in args.checkpoints.split(",")]
    done, base = 0, None
    for cp in checkpoints:
        if done == 0 or args.fill == "actions":
            rate = fill(d, done, cp, args.clients)
            how = f"actions, {rate:.0f}/s"
        else:
            d.proc.terminate()
            d.proc.wait(30)
            t = time.perf_counter()
            sql_fill(os.path.join(d.data_dir, "catalog.db"), done, cp)
            how = f"SQL inserts, {(cp - done) / (time.perf_counter() - t):.0f}/s"
            d = relaunch(d, args)
        done = cp
        m = measure_catalog(d.http_port, cp, args.repeat)
        base = base or m
        print(f"[load {load()}] {cp} sequences ({how}): first page {m['first_ms']:.1f} ms, "
              f"middle page {m['middle_ms']:.1f} ms, name glob {m['glob_ms']:.1f} ms; ratios to {checkpoints[0]}: "
              f"{m['first_ms'] / base['first_ms']:.2f} / {m['middle_ms'] / base['middle_ms']:.2f} / "
              f"{m['glob_ms'] / base['glob_ms']:.2f}", flush=True)
    if args.browser:
        ms, in_page = browser_catalog(d.http_port)
        print(f"[load {load()}] browser: catalog page at {done} sequences, first page shown, median of 3: "
              f"{ms:.0f} ms from goto(), <= {in_page:.0f} ms from navigation start", flush=True)
    return d


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "build", "mosaicod"))
    ap.add_argument("--hours", type=float, default=10)
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--sequences", type=int, default=100_000)
    ap.add_argument("--checkpoints", default="1000,100000")
    ap.add_argument("--clients", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--browser", action="store_true")
    ap.add_argument("--fill", choices=["sql", "actions"], default="sql",
                    help="after the first checkpoint (always actions): SQL inserts into SQLite (default) or actions")
    ap.add_argument("--skip-plot", action="store_true")
    ap.add_argument("--skip-catalog", action="store_true")
    ap.add_argument("--keep", help="data directory to use and keep (default: a temporary one, removed)")
    args = ap.parse_args()
    data = args.keep or tempfile.mkdtemp(prefix="console-bench-")
    os.makedirs(data, exist_ok=True)
    http_port = bench_daemon.free_port()
    d = bench_daemon.launch(args.bin, data, ["--http-port", str(http_port), "--log-level", "warn"], timeout=60)
    d.http_port, d.data_dir = http_port, data
    print(f"console bench: {args.bin}, nproc {os.cpu_count()}, load {load()}", flush=True)
    try:
        if not args.skip_plot:
            bench_plot(d, args)
        if not args.skip_catalog:
            d = bench_catalog(d, args)
    finally:
        d.proc.terminate()
        d.proc.wait(30)
        if not args.keep:
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
