#!/usr/bin/env python3
"""The transport floor of a `query` reply (issue #12, item 4): how much of a large answer's latency is gRPC + the
raw client, whatever the daemon does.

For each chosen catalog_query_bench query: the daemon's reply is captured once (raw bytes, sha1 printed), then a
do-nothing pyarrow Flight server in its own process answers the `query` action with exactly those bytes (one
Flight result, the buffer built before any timing). The raw client of catalog_query_bench (--client raw:
do_action until the last byte, no decoding) calls the daemon and the floor server interleaved; p50/p99 of both,
and the daemon's own split from its log (event=query_done: catalog_ms = FindTopics, reply_ms = writing the text).

Usage: .venv/bin/python bench/query_reply_floor.py --dir DIR --bin B [--label after] [--queries SUBSTR,...]
                      [--repeat 15] [--warmup 3]
DIR is a catalog_query_bench data dir; the daemon runs on its SQLite copy DIR/sqlite-<label> (made if missing).
"""
import argparse
import hashlib
import json
import multiprocessing as mp
import os
import re

import pyarrow as pa
import pyarrow.flight as fl

from bench_daemon import wait_ready
from catalog_query_bench import QUERIES, Daemon, pct, sqlite_copy, timed
from flight_throughput import free_port, log


def _serve(port, replies, ready):
    class Floor(fl.FlightServerBase):
        def __init__(self):
            super().__init__(f"grpc://127.0.0.1:{port}")
            self.replies = {k: pa.py_buffer(v) for k, v in replies.items()}

        def do_action(self, context, action):
            if action.type == "info":
                return [fl.Result(pa.py_buffer(b"{}"))]
            return [fl.Result(self.replies[action.body.to_pybytes()])]

    server = Floor()
    ready.set()
    server.serve()


def raw_call(client, body):
    return b"".join(r.body.to_pybytes() for r in client.do_action(fl.Action("query", body)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--label", default="after", help="which SQLite copy of DIR the daemon runs on")
    ap.add_argument("--queries", default="sequence metadata eq,topic metadata")
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=3)
    args = ap.parse_args()
    picked = [(n, json.dumps(q).encode()) for n, q in QUERIES if any(n == w for w in args.queries.split(","))]
    if not picked:
        raise SystemExit("--queries: no query of catalog_query_bench has that exact name")
    url = sqlite_copy(args, args.label)
    d = os.path.join(args.dir, f"run-floor-{args.label}")
    os.makedirs(d, exist_ok=True)
    daemon = Daemon(args.bin, d, ["--catalog", url, "--store", os.path.join(args.dir, "fill", "store")])
    server = None
    try:
        replies = {body: raw_call(daemon.client, body) for _, body in picked}
        for name, body in picked:
            log(f"{name}: reply {len(replies[body])} B, sha1 {hashlib.sha1(replies[body]).hexdigest()}")
        ready = mp.get_context("spawn").Event()
        port = free_port()
        server = mp.get_context("spawn").Process(target=_serve, args=(port, replies, ready), daemon=True)
        server.start()
        ready.wait(60)
        floor = fl.FlightClient(f"grpc://127.0.0.1:{port}")
        if not wait_ready(floor, alive=server.is_alive):
            raise RuntimeError("the floor server did not answer")
        load = os.getloadavg()
        rows = []
        for name, body in picked:
            for _ in range(args.warmup):
                assert raw_call(daemon.client, body) == replies[body]
                assert raw_call(floor, body) == replies[body]
            log_start = os.path.getsize(daemon.log_path)
            times = {"daemon": [], "floor": []}
            for _ in range(args.repeat):
                times["daemon"].append(timed(lambda: raw_call(daemon.client, body))[0])
                times["floor"].append(timed(lambda: raw_call(floor, body))[0])
            daemon.log_file.flush()
            with open(daemon.log_path) as f:
                f.seek(log_start)
                done = [l for l in f if "event=query_done" in l]
            split = {}
            for key in ("catalog_ms", "reply_ms", "total_ms"):
                vals = [float(m.group(1)) for l in done for m in [re.search(key + r"=([0-9.]+)", l)] if m]
                split[key] = pct(vals, 0.5) if vals else float("nan")
            rows.append((name, len(replies[body]), times, split))
        load_after = os.getloadavg()
    finally:
        daemon.stop()
        if server is not None:
            server.terminate()
    print(f"\nquery_reply_floor: {args.repeat} interleaved runs per query; load average {load[0]:.1f} before, "
          f"{load_after[0]:.1f} after; p50 / p99 ms (raw client, bytes received)")
    print(f"{'query':28} {'reply MB':>9} {'daemon':>17} {'floor server':>17} {'daemon-floor':>13} "
          f"{'d.catalog_ms':>13} {'d.reply_ms':>11} {'d.total_ms':>11}")
    for name, size, times, split in rows:
        d50, f50 = pct(times["daemon"], 0.5), pct(times["floor"], 0.5)
        print(f"{name:28} {size / 1e6:9.2f} {d50 * 1e3:8.2f}/{pct(times['daemon'], 0.99) * 1e3:8.2f} "
              f"{f50 * 1e3:8.2f}/{pct(times['floor'], 0.99) * 1e3:8.2f} {(d50 - f50) * 1e3:13.2f} "
              f"{split['catalog_ms']:13.2f} {split['reply_ms']:11.2f} {split['total_ms']:11.2f}")


if __name__ == "__main__":
    main()
