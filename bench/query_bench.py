#!/usr/bin/env python3
"""Query latency of mosaicod (issue #3): metadata queries over a large catalog, value queries with and without
chunk pruning over a long IMU topic, and a short time-window read versus a full-topic read.

Parts (each prints its own table; `--parts` picks some):
  catalog  10k sequences x 5 topics, each with ~10 keys of user metadata (nested objects, numbers, strings, bools).
           p50/p99 latency of typical metadata queries, as a ratio of the `info` action's latency (the RPC floor)
           measured in the same run.
  imu      a 10 h, 1 kHz IMU topic (36M rows) with one 2-second burst of strong acceleration. Latency of a
           selective value query (acceleration.x > 20) on a daemon with chunk pruning and on a second daemon over
           the same data dir started with --no-query-pruning; the chunks / row groups each one read, from the
           daemon's `event=query_topic` log lines (debug level).
  window   on the same topic: a 2-second window read versus the full-topic read (DoGet), with the chunks and row
           groups each one touched, from the daemon's `event=read_done` log lines.

Usage: .venv/bin/python bench/query_bench.py [--sequences 10000] [--imu-hours 10] [--parts catalog,imu,window]
                                              [--repeat 50] [--keep DIR]
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import pyarrow.flight as fl

import bench_daemon
from flight_throughput import free_port, log  # bench/ is the script's directory, so on sys.path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
T0 = 1_700_000_000_000_000_000


def action(client, name, body):
    results = list(client.do_action(fl.Action(name, json.dumps(body).encode())))
    return [json.loads(r.body.to_pybytes())["response"] for r in results]


class Daemon:
    """A mosaicod process whose stderr goes to a log file we can scan for structured events."""

    def __init__(self, binary, data_dir, extra=()):
        d = bench_daemon.launch(binary, data_dir, ["--log-level", "debug", *extra])
        self.port, self.log_path, self.log_file, self.proc, self.client = d.port, d.log_path, d.log_file, d.proc, d.client

    def log_size(self):
        self.log_file.flush()
        return os.path.getsize(self.log_path)

    def events_since(self, offset, event):
        """key=value fields of every `event=<event>` line written after byte `offset`."""
        time.sleep(0.05)  # let the daemon's logger flush
        with open(self.log_path) as f:
            f.seek(offset)
            text = f.read()
        out = []
        for line in text.splitlines():
            if f"event={event}" in line:
                out.append(dict(re.findall(r"(\w+)=(\S+)", line)))
        return out

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(60)
        self.log_file.close()


def latency(fn, repeat, tail=0.99):
    """(median, `tail` percentile) seconds of `repeat` calls of fn, after one warm-up call."""
    fn()  # warm-up
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    samples.sort()
    return samples[len(samples) // 2], samples[min(len(samples) - 1, int(len(samples) * tail))]


# ---------------------------------------------------------------- catalog part

WEATHER = ["rain", "sun", "fog", "snow", "cloud"]
SITES = ["turin", "milan", "lab", "track", "field"]
SENSORS = [("imu", "IMU"), ("gps", "GPS"), ("cam_front", "Image"), ("lidar", "PointCloud"), ("joints", "JointState")]


def sequence_metadata(rnd, i):
    return {"env": {"weather": rnd.choice(WEATHER), "temp_c": rnd.randint(-10, 40), "wind": rnd.random() * 20},
            "robot": {"id": f"r-{rnd.randint(0, 99):03d}", "fw": f"1.{rnd.randint(0, 9)}.{rnd.randint(0, 9)}"},
            "site": rnd.choice(SITES), "run": i, "ok": rnd.random() < 0.9,
            "operator": rnd.choice(["ada", "bob", "cy", "dee"]), "tags": ["a", "b"]}


def topic_metadata(rnd, name):
    return {"sensor": {"model": f"{name}-m{rnd.randint(1, 5)}", "rate_hz": rnd.choice([10, 30, 100, 1000])},
            "frame_id": f"{name}_link", "calibrated": rnd.random() < 0.5}


def create_recorded_sequence(client, seq, rnd, i, sensors):
    """What the SDK does for one recording without data: the sequence with metadata, a session, one topic per
    (name, ontology tag) in `sensors` with metadata, and the session's finalize (which enqueues recover_sequence)."""
    action(client, "sequence_create", {"locator": seq, "user_metadata": sequence_metadata(rnd, i)})
    session = action(client, "session_create", {"locator": seq})[0]
    for name, tag in sensors:
        action(client, "topic_create", {"session_uuid": session["uuid"], "locator": f"{seq}/{name}",
                                        "serialization_format": "default", "ontology_tag": tag,
                                        "user_metadata": topic_metadata(rnd, name)})
    action(client, "session_finalize", {"session_uuid": session["uuid"]})


def create_catalog(client, n_sequences, seed=7):
    rnd_master = random.Random(seed)
    seeds = [rnd_master.random() for _ in range(n_sequences)]

    def one(i):
        rnd = random.Random(seeds[i])
        seq = f"run_{i:05d}"
        create_recorded_sequence(client, seq, rnd, i, SENSORS)

    done = 0
    started = time.time()
    with ThreadPoolExecutor(4) as pool:
        for _ in pool.map(one, range(n_sequences)):
            done += 1
            if done % 1000 == 0 or done == n_sequences:
                log(f"catalog: {done}/{n_sequences} sequences ({done / (time.time() - started):.0f}/s)")


CATALOG_QUERIES = [
    ("sequence name glob", {"sequence": {"name": {"$match": "run_012*"}}}),
    ("sequence metadata eq", {"sequence": {"user_metadata": {"env.weather": {"$eq": "rain"}}}}),
    ("sequence metadata range + site", {"sequence": {"user_metadata": {"env.temp_c": {"$between": [30, 35]},
                                                                       "site": {"$in": ["turin", "lab"]}}}}),
    ("sequence metadata ** key", {"sequence": {"user_metadata": {"**.fw": {"$eq": "1.2.3"}}}}),
    ("topic tag + sequence metadata", {"sequence": {"user_metadata": {"env.weather": {"$eq": "fog"}}},
                                       "topic": {"ontology_tag": {"$eq": "IMU"}}}),
    ("topic metadata", {"topic": {"user_metadata": {"sensor.rate_hz": {"$geq": 1000}, "calibrated": {"$eq": True}}}}),
    ("topic name exact", {"topic": {"name": {"$eq": "lidar"}}, "sequence": {"name": {"$eq": "run_04242"}}}),
]


def bench_catalog(binary, data_dir, args):
    daemon = Daemon(binary, data_dir)
    try:
        log(f"catalog: creating {args.sequences} sequences x {len(SENSORS)} topics")
        create_catalog(daemon.client, args.sequences)
        base50, base99 = latency(lambda: action(daemon.client, "info", {}), args.repeat)
        rows = []
        for label, q in CATALOG_QUERIES:
            log(f"catalog: {label}")
            items = action(daemon.client, "query", q)[0]["items"]
            n_topics = sum(len(it["topics"]) for it in items)
            p50, p99 = latency(lambda: action(daemon.client, "query", q), args.repeat)
            rows.append((label, len(items), n_topics, p50, p99))
    finally:
        daemon.stop()
    print(f"\ncatalog: {args.sequences} sequences x {len(SENSORS)} topics; {args.repeat} runs per query; "
          f"baseline = `info` action p50 {base50 * 1e3:.2f} ms, p99 {base99 * 1e3:.2f} ms")
    print(f"{'query':32} {'seqs':>6} {'topics':>7} {'p50 ms':>8} {'p99 ms':>8} {'p50/info':>9}")
    for label, ns, nt, p50, p99 in rows:
        print(f"{label:32} {ns:6d} {nt:7d} {p50 * 1e3:8.2f} {p99 * 1e3:8.2f} {p50 / base50:9.1f}")


# ---------------------------------------------------------------- imu part

IMU_TAG = "IMU"
BURST_START_S = 5 * 3600 + 17 * 60  # one 2-second burst, 5h17m into the recording


def imu_schema():
    vec3 = pa.struct([("x", pa.float64()), ("y", pa.float64()), ("z", pa.float64())])
    return pa.schema([pa.field("timestamp_ns", pa.int64(), nullable=False), ("acceleration", vec3),
                      ("angular_velocity", vec3), ("temperature", pa.float32())])


def imu_batch(rng, start_row, n):
    ts = T0 + (np.arange(start_row, start_row + n, dtype=np.int64) * 1_000_000)
    ax = rng.standard_normal(n)
    burst = (ts >= T0 + BURST_START_S * 10**9) & (ts < T0 + (BURST_START_S + 2) * 10**9)
    ax[burst] += 40.0

    def vec(x=None):
        return pa.StructArray.from_arrays([pa.array(x if x is not None else rng.standard_normal(n)),
                                           pa.array(rng.standard_normal(n)), pa.array(rng.standard_normal(n))],
                                          names=["x", "y", "z"])
    temp = pa.array((25 + rng.standard_normal(n)).astype(np.float32))
    return pa.record_batch([pa.array(ts), vec(ax), vec(), temp], schema=imu_schema())


def ingest_imu(client, hours):
    rows = int(hours * 3600 * 1000)
    seq = "imu_10h"
    action(client, "sequence_create", {"locator": seq, "user_metadata": {"bench": "imu"}})
    session = action(client, "session_create", {"locator": seq})[0]
    topic = action(client, "topic_create", {"session_uuid": session["uuid"], "locator": f"{seq}/imu",
                                            "serialization_format": "default", "ontology_tag": IMU_TAG,
                                            "user_metadata": {}})[0]
    desc = fl.FlightDescriptor.for_command(json.dumps({"resource_locator": f"{seq}/imu",
                                                       "topic_uuid": topic["uuid"]}))
    rng = np.random.default_rng(3)
    writer, _ = client.do_put(desc, imu_schema())
    batch_rows = 100_000
    started = time.time()
    for start in range(0, rows, batch_rows):
        writer.write_batch(imu_batch(rng, start, min(batch_rows, rows - start)))
        if (start // batch_rows) % 36 == 0:
            log(f"imu: {start + batch_rows:,}/{rows:,} rows ({(start + batch_rows) / (time.time() - started):,.0f}"
                " rows/s)")
    writer.done_writing()
    writer.close()
    action(client, "session_finalize", {"session_uuid": session["uuid"]})
    return f"{seq}/imu", rows


def query_topic_counters(daemon, offset):
    events = daemon.events_since(offset, "query_topic")
    keys = ("chunks_total", "chunks_pruned", "chunks_read", "row_groups_total", "row_groups_read", "rows_evaluated")
    return {k: sum(int(e.get(k, 0)) for e in events) for k in keys}


def read_counters(daemon, offset):
    events = daemon.events_since(offset, "read_done")
    keys = ("chunks_total", "chunks_opened", "row_groups_read", "rows_decoded", "rows_emitted")
    return {k: sum(int(e.get(k, 0)) for e in events) for k in keys}


def bench_imu_and_window(binary, data_dir, args, parts):
    daemon = Daemon(binary, data_dir)
    unpruned = None
    try:
        log(f"imu: ingesting {args.imu_hours} h at 1 kHz")
        t = time.perf_counter()
        locator, rows = ingest_imu(daemon.client, args.imu_hours)
        log(f"imu: ingested {rows:,} rows in {time.perf_counter() - t:.1f} s")
        base50, _ = latency(lambda: action(daemon.client, "info", {}), args.repeat)
        if "imu" in parts:
            q = {"ontology": {f"{IMU_TAG}.acceleration.x": {"$gt": 20.0}}}
            unpruned = Daemon(binary, data_dir, ["--no-query-pruning"])
            table = []
            for label, d, repeat in (("with pruning", daemon, args.repeat), ("without pruning", unpruned, 3)):
                reply = action(d.client, "query", q)[0]
                offset = d.log_size()
                p50, p99 = latency(lambda: action(d.client, "query", q), repeat)
                counters = query_topic_counters(d, offset)
                runs = repeat + 1
                table.append((label, reply["items"][0]["topics"][0]["timestamp_range"], p50, p99,
                              {k: v // runs for k, v in counters.items()}))
            print(f"\nimu value query {json.dumps(q)} over {rows:,} rows; baseline `info` p50 {base50 * 1e3:.2f} ms")
            print(f"{'':16} {'p50 ms':>9} {'p99 ms':>9} {'chunks read/total':>18} {'row groups read/total':>22} "
                  f"{'rows evaluated':>15}")
            for label, rng, p50, p99, c in table:
                print(f"{label:16} {p50 * 1e3:9.1f} {p99 * 1e3:9.1f} {c['chunks_read']:>8}/{c['chunks_total']:<9} "
                      f"{c['row_groups_read']:>10}/{c['row_groups_total']:<11} {c['rows_evaluated']:>15,}")
            print(f"matched timestamp_range {table[0][1]} (burst at +{BURST_START_S} s); "
                  f"speed-up from pruning: {table[1][2] / table[0][2]:.0f}x")
        if "window" in parts:
            def read(start=None, end=None):
                body = {"resource_locator": locator}
                if start is not None:
                    body.update({"timestamp_ns_start": start, "timestamp_ns_end": end})
                info = daemon.client.get_flight_info(fl.FlightDescriptor.for_command(json.dumps(body)))
                n = 0
                for ep in info.endpoints:
                    n += daemon.client.do_get(ep.ticket).read_all().num_rows
                return n

            w0 = T0 + 3 * 3600 * 10**9 + 123_000_000
            results = []
            for label, fn, repeat in (("2 s window", lambda: read(w0, w0 + 2 * 10**9), args.repeat),
                                      ("full topic", lambda: read(), 1)):
                n = fn()
                offset = daemon.log_size()
                p50, _ = latency(fn, repeat)
                c = read_counters(daemon, offset)
                runs = repeat + 1
                results.append((label, n, p50, {k: v // runs for k, v in c.items()}))
            print(f"\nwindow read vs full read (DoGet) of {rows:,} rows")
            print(f"{'':12} {'rows':>12} {'p50 ms':>10} {'chunks opened/total':>20} {'row groups read':>16}")
            for label, n, p50, c in results:
                print(f"{label:12} {n:12,} {p50 * 1e3:10.1f} {c['chunks_opened']:>9}/{c['chunks_total']:<10} "
                      f"{c['row_groups_read']:>16}")
            print(f"full / window latency: {results[1][2] / results[0][2]:.0f}x")
    finally:
        if unpruned:
            unpruned.stop()
        daemon.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sequences", type=int, default=10_000)
    ap.add_argument("--imu-hours", type=float, default=10.0)
    ap.add_argument("--parts", default="catalog,imu,window")
    ap.add_argument("--repeat", type=int, default=50)
    ap.add_argument("--keep", help="use (and keep) this data dir instead of a temporary one")
    ap.add_argument("--bin", default=os.environ.get("MOSAICOD_BIN", os.path.join(ROOT, "build", "mosaicod")))
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    base = args.keep or tempfile.mkdtemp(prefix="mosaicod-qbench-")
    try:
        if "catalog" in parts:
            d = os.path.join(base, "catalog")
            os.makedirs(d, exist_ok=True)
            bench_catalog(args.bin, d, args)
        if parts & {"imu", "window"}:
            d = os.path.join(base, "imu")
            os.makedirs(d, exist_ok=True)
            bench_imu_and_window(args.bin, d, args, parts)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
