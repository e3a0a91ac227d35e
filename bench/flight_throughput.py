#!/usr/bin/env python3
"""Ingest/read throughput of mosaicod over raw pyarrow.flight, against a do-nothing Flight server ceiling.

Workloads (data generated before timing starts):
  imu    >= 1M rows of an IMU-like schema (timestamp + 3 structs of doubles), 50k-row batches
  image  >= 200 rows of ~1 MB binary images, 8-row batches

For each workload and each server (mosaicod, ceiling), it times DoPut of the whole topic and DoGet of it back,
and prints MB/s (Arrow in-memory bytes) and rows/s, plus mosaicod as a ratio of the ceiling measured in the same
run, and the daemon's peak RSS (VmHWM). The ceiling server is pyarrow's FlightServerBase in its own process:
DoPut reads and drops the batches (keeping them for DoGet), DoGet serves the cached batches.

Usage: .venv/bin/python bench/flight_throughput.py [--imu-rows N] [--images N] [--image-kb K] [--repeat R]
"""
import argparse
import json
import multiprocessing as mp
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np
import pyarrow as pa
import pyarrow.flight as fl

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def log(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- data

def imu_schema():
    vec3 = pa.struct([("x", pa.float64()), ("y", pa.float64()), ("z", pa.float64())])
    quat = pa.struct([("x", pa.float64()), ("y", pa.float64()), ("z", pa.float64()), ("w", pa.float64())])
    return pa.schema([pa.field("timestamp_ns", pa.int64(), nullable=False),
                      ("acceleration", vec3), ("angular_velocity", vec3), ("orientation", quat)])


def imu_batches(rows, batch_rows, seed=1):
    rng = np.random.default_rng(seed)
    schema = imu_schema()
    out = []
    t0 = 1_700_000_000_000_000_000
    for start in range(0, rows, batch_rows):
        n = min(batch_rows, rows - start)
        ts = t0 + (np.arange(start, start + n, dtype=np.int64) * 1_000_000)
        def vec(names):
            return pa.StructArray.from_arrays([pa.array(rng.standard_normal(n)) for _ in names], names=names)
        out.append(pa.record_batch([pa.array(ts), vec(["x", "y", "z"]), vec(["x", "y", "z"]),
                                    vec(["x", "y", "z", "w"])], schema=schema))
    return schema, out


def image_batches(count, image_bytes, batch_rows, seed=2):
    rng = np.random.default_rng(seed)
    schema = pa.schema([pa.field("timestamp_ns", pa.int64(), nullable=False), ("format", pa.string()),
                        ("width", pa.int32()), ("height", pa.int32()), ("data", pa.binary())])
    # Compressed camera frames are close to incompressible: random bytes are a fair stand-in.
    frames = [rng.integers(0, 256, image_bytes, dtype=np.uint8).tobytes() for _ in range(count)]
    out = []
    t0 = 1_700_000_000_000_000_000
    for start in range(0, count, batch_rows):
        n = min(batch_rows, count - start)
        out.append(pa.record_batch([pa.array([t0 + (start + i) * 33_000_000 for i in range(n)], pa.int64()),
                                    pa.array(["jpeg"] * n), pa.array([1024] * n, pa.int32()),
                                    pa.array([1024] * n, pa.int32()), pa.array(frames[start:start + n], pa.binary())],
                                   schema=schema))
    return schema, out


# ---------------------------------------------------------------- ceiling server

class NullServer(fl.FlightServerBase):
    def __init__(self, location):
        super().__init__(location)
        self._cache = {}

    def do_put(self, context, descriptor, reader, writer):
        batches = [chunk.data for chunk in reader]  # read everything, keep it for do_get
        self._cache[descriptor.command] = (reader.schema, batches)

    def do_get(self, context, ticket):
        schema, batches = self._cache[ticket.ticket]
        return fl.RecordBatchStream(pa.RecordBatchReader.from_batches(schema, batches))


def run_null_server(port, ready):
    server = NullServer(f"grpc://127.0.0.1:{port}")
    ready.set()
    server.serve()


# ---------------------------------------------------------------- clients

def do_put(client, descriptor, schema, batches):
    writer, _ = client.do_put(descriptor, schema)
    for b in batches:
        writer.write_batch(b)
    writer.done_writing()
    writer.close()


def timed(fn):
    t = time.perf_counter()
    result = fn()
    return time.perf_counter() - t, result


def action(client, name, body):
    results = list(client.do_action(fl.Action(name, json.dumps(body).encode())))
    return json.loads(results[0].body.to_pybytes())["response"] if results else None


def bench_mosaicod(client, name, schema, batches):
    seq = f"bench_{name}_{time.time_ns()}"
    action(client, "sequence_create", {"locator": seq, "user_metadata": {"bench": name}})
    session = action(client, "session_create", {"locator": seq})
    topic = action(client, "topic_create", {"session_uuid": session["uuid"], "locator": f"{seq}/data",
                                            "serialization_format": "default", "ontology_tag": name,
                                            "user_metadata": {}})
    desc = fl.FlightDescriptor.for_command(json.dumps({"resource_locator": f"{seq}/data", "topic_uuid": topic["uuid"]}))
    put_s, _ = timed(lambda: do_put(client, desc, schema, batches))
    action(client, "session_finalize", {"session_uuid": session["uuid"]})
    info = client.get_flight_info(fl.FlightDescriptor.for_command(json.dumps({"resource_locator": f"{seq}/data"})))
    get_s, table = timed(lambda: client.do_get(info.endpoints[0].ticket).read_all())
    return put_s, get_s, table


def bench_ceiling(client, name, schema, batches):
    desc = fl.FlightDescriptor.for_command(f"ceiling/{name}/{time.time_ns()}".encode())
    put_s, _ = timed(lambda: do_put(client, desc, schema, batches))
    get_s, table = timed(lambda: client.do_get(fl.Ticket(desc.command)).read_all())
    return put_s, get_s, table


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--imu-rows", type=int, default=1_000_000)
    ap.add_argument("--images", type=int, default=200)
    ap.add_argument("--image-kb", type=int, default=1024)
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best is reported")
    ap.add_argument("--chunk-size-mb", type=int, default=64)
    ap.add_argument("--bin", default=os.environ.get("MOSAICOD_BIN", os.path.join(ROOT, "build", "mosaicod")))
    args = ap.parse_args()

    log("generating data")
    workloads = {
        "imu": imu_batches(args.imu_rows, 50_000),
        "image": image_batches(args.images, args.image_kb * 1024, 8),
    }

    data_dir = tempfile.mkdtemp(prefix="mosaicod-bench-")
    port = free_port()
    daemon = subprocess.Popen([args.bin, "run", "--port", str(port), "--data-dir", data_dir,
                               "--chunk-size-mb", str(args.chunk_size_mb), "--log-level", "warn"])
    ceiling_port = free_port()
    ready = mp.Event()
    ceiling = mp.Process(target=run_null_server, args=(ceiling_port, ready), daemon=True)
    ceiling.start()
    ready.wait(10)
    try:
        client = fl.FlightClient(f"grpc://127.0.0.1:{port}")
        deadline = time.time() + 20
        while True:
            try:
                action(client, "info", {})
                break
            except Exception:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)
        ceiling_client = fl.FlightClient(f"grpc://127.0.0.1:{ceiling_port}")
        time.sleep(0.2)

        rows_out = []
        for name, (schema, batches) in workloads.items():
            nbytes = sum(b.nbytes for b in batches)
            nrows = sum(b.num_rows for b in batches)
            best = {}
            for server, fn, cl in (("ceiling", bench_ceiling, ceiling_client), ("mosaicod", bench_mosaicod, client)):
                for r in range(args.repeat):
                    log(f"{name} on {server}: run {r + 1}/{args.repeat}")
                    put_s, get_s, table = fn(cl, name, schema, batches)
                    assert table.num_rows == nrows, (server, table.num_rows, nrows)
                    b = best.setdefault(server, [float("inf"), float("inf")])
                    b[0], b[1] = min(b[0], put_s), min(b[1], get_s)
            for direction, idx in (("ingest (DoPut)", 0), ("read (DoGet)", 1)):
                ours, ceil = best["mosaicod"][idx], best["ceiling"][idx]
                rows_out.append((name, direction, nrows, nbytes / 1e6,
                                 nbytes / 1e6 / ours, nrows / ours, nbytes / 1e6 / ceil, ceil / ours))
        rss = peak_rss_mb(daemon.pid)
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(30)
        ceiling.terminate()

    print()
    print(f"{'workload':8} {'direction':15} {'rows':>9} {'MB':>8} {'MB/s':>9} {'rows/s':>12} "
          f"{'ceiling MB/s':>13} {'ratio':>6}")
    for name, direction, nrows, mb, mbs, rps, ceil_mbs, ratio in rows_out:
        print(f"{name:8} {direction:15} {nrows:9d} {mb:8.1f} {mbs:9.1f} {rps:12.0f} {ceil_mbs:13.1f} {ratio:6.2f}")
    print(f"\nmosaicod peak RSS (VmHWM): {rss:.0f} MiB  (chunk size {args.chunk_size_mb} MiB; "
          f"best of {args.repeat} runs; ratio = mosaicod throughput / ceiling throughput, same run)")


if __name__ == "__main__":
    main()
