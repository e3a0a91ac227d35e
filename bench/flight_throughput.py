#!/usr/bin/env python3
"""Ingest/read throughput of mosaicod over raw pyarrow.flight, side by side with its ceilings (issue 12).

Servers, all started by this script and measured in the same run, repeats interleaved (median of --repeat):
  ours      mosaicod (--bin), SQLite + local directory store, fsync per chunk
  base      a second mosaicod binary (--baseline-bin, e.g. the build before your change); optional
  null      C++ do-nothing Flight server (bench/ceiling_server, mode null): DoPut reads the batches and keeps them,
            DoGet streams them back from memory. The transport ceiling.
  parquet   the same C++ server, mode parquet: DoPut writes the batches as Parquet chunks with mosaicod's writer
            settings, chunk size and fsync policy, nothing else (the Flight + Parquet ingest ceiling); DoGet decodes
            those files with mosaicod's reader settings and streams the batches as decoded (the read ceiling).
  pynull    with --python-null: the pyarrow do-nothing server earlier versions of this script used (the issue's
            "do-nothing Flight server"), for comparison.

Workloads (data generated before timing starts):
  imu           timestamp_ns + 10 float64 in 3 structs; --imu-rows rows in --imu-batch-rows batches; the values
                full-precision N(0,1) noise (random mantissas: zstd saves ~10 %, so mosaicod stores them uncompressed)
  imu-sensor    the same schema and sizes with values of a real sensor's precision: acceleration 16-bit ADC counts
                times 9.80665/2048 (full mantissas again: zstd saves ~9 %, stored uncompressed), angular velocity
                float32 readings widened to double (saves ~55 %), orientation a smooth quaternion (slow rotation +
                1e-4 noise, saves ~25 %): those 7 of the 10 columns stay byte-stream-split + zstd
  blob-default  --blobs rows of the SDK's Image schema with --blob-kb KiB of random bytes (incompressible, like
                compressed camera frames), --blob-batch-rows per batch; topic declared serialization_format "default"
  blob-image    the same batches, topic declared as the SDK declares its Image model (format "image", tag "Image")

Per workload it times DoPut of the whole topic (for mosaicod: after sequence_create/session_create/topic_create; the
time includes the last chunk's encode and the upload commit) and DoGet of all of it (mosaicod: after
session_finalize, through get_flight_info's ticket), and prints MB/s (Arrow in-memory bytes), the ratios
ours/null, ours/parquet (ingest: the Flight + Parquet ceiling; read: the read ceiling), ours/base, and each server's
peak RSS per workload and direction (VmHWM, reset before every call through /proc/<pid>/clear_refs).

Before every timed call (any server, ingest or read) the script writes and frees --warm-mb MiB of anonymous memory
in its own process (default: twice the workload's bytes + 256 MiB). This VM (Firecracker) reports free guest pages
to the host (virtio-balloon free page reporting), which takes their backing away: the next touch of such a page is a
host fault, several times dearer than the copy into it. Page cache and purged allocator pages largely come off the
guest's free lists most-recently-freed first, so without this step a server's cost per MB depended on how long the
pages it got had been free -- on what ran before it and for how long -- for the ceiling as much as for mosaicod
(bench/README.md, 2026-12-08 00:45). After it every call starts on recently touched free pages; other noise stays.
--warm-mb 0: the method before.

--quick: the regression guard a developer runs before submitting (bench/README.md): smaller sizes, same table,
under ~2 minutes on the 2-core VM.
"""
import argparse
import json
import multiprocessing as mp
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import pyarrow as pa
import pyarrow.flight as fl

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CEILING_BIN = os.path.join(ROOT, "build", "bench", "ceiling_server", "mosaicod_bench_ceiling")
T0 = 1_700_000_000_000_000_000


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


def imu_batches(rows, batch_rows, seed=1, sensor=False):
    """IMU batches; sensor=False: N(0,1) doubles; sensor=True: values of a real sensor's precision (see --help)."""
    rng = np.random.default_rng(seed)
    schema = imu_schema()
    out = []
    for start in range(0, rows, batch_rows):
        n = min(batch_rows, rows - start)
        ts = T0 + (np.arange(start, start + n, dtype=np.int64) * 1_000_000)

        def vec(names, values):
            return pa.StructArray.from_arrays([pa.array(values(i)) for i in range(len(names))], names=names)
        if not sensor:
            noise = lambda i: rng.standard_normal(n)  # noqa: E731
            cols = [vec(["x", "y", "z"], noise), vec(["x", "y", "z"], noise), vec(["x", "y", "z", "w"], noise)]
        else:
            t = np.arange(start, start + n) * 1e-3  # seconds at 1 kHz
            adc = lambda i: np.round(rng.standard_normal(n) * 2048) / 2048 * 9.80665  # noqa: E731
            f32 = lambda i: rng.standard_normal(n).astype(np.float32).astype(np.float64)  # noqa: E731
            quat = lambda i: np.cos(0.1 * t + i) + rng.standard_normal(n) * 1e-4  # noqa: E731
            cols = [vec(["x", "y", "z"], adc), vec(["x", "y", "z"], f32), vec(["x", "y", "z", "w"], quat)]
        out.append(pa.record_batch([pa.array(ts)] + cols, schema=schema))
    return schema, out


def image_batches(count, image_bytes, batch_rows, seed=2):
    """A simple blob schema (timestamp, format, width, height, data); kept for backend_compare.py."""
    rng = np.random.default_rng(seed)
    schema = pa.schema([pa.field("timestamp_ns", pa.int64(), nullable=False), ("format", pa.string()),
                        ("width", pa.int32()), ("height", pa.int32()), ("data", pa.binary())])
    frames = [rng.integers(0, 256, image_bytes, dtype=np.uint8).tobytes() for _ in range(count)]
    out = []
    for start in range(0, count, batch_rows):
        n = min(batch_rows, count - start)
        out.append(pa.record_batch([pa.array([T0 + (start + i) * 33_000_000 for i in range(n)], pa.int64()),
                                    pa.array(["jpeg"] * n), pa.array([1024] * n, pa.int32()),
                                    pa.array([1024] * n, pa.int32()), pa.array(frames[start:start + n], pa.binary())],
                                   schema=schema))
    return schema, out


def sdk_image_schema():
    """The schema the SDK's TopicWriter opens its DoPut with for `Image` (Message._get_schema(Image))."""
    try:
        from mosaicolabs.models.core.message import Message
        from mosaicolabs.models.sensors.image import Image
        return Message._get_schema(Image)
    except Exception as e:  # the SDK is in requirements-test.txt; a hand-written equivalent otherwise
        log(f"mosaicolabs not importable ({e}); using a hand-written copy of the SDK's Image schema")
        stamp = pa.struct([pa.field("seconds", pa.int32(), False), pa.field("nanoseconds", pa.uint32(), False)])
        header = pa.struct([("timestamp", stamp), ("frame_id", pa.string()), ("sample_counter", pa.uint64())])
        return pa.schema([pa.field("timestamp_ns", pa.int64(), False), ("header", header),
                          pa.field("data", pa.binary(), False), pa.field("format", pa.string(), False),
                          pa.field("width", pa.int32(), False), pa.field("height", pa.int32(), False),
                          pa.field("stride", pa.int32(), False), pa.field("encoding", pa.string(), False),
                          ("is_bigendian", pa.bool_())])


def sdk_image_batches(count, blob_bytes, batch_rows, seed=2):
    """`count` rows of the SDK's Image schema whose data is `blob_bytes` random bytes (incompressible)."""
    rng = np.random.default_rng(seed)
    schema = sdk_image_schema()
    frames = [rng.integers(0, 256, blob_bytes, dtype=np.uint8).tobytes() for _ in range(count)]
    width = 1024
    out = []
    for start in range(0, count, batch_rows):
        n = min(batch_rows, count - start)
        values = {"timestamp_ns": pa.array([T0 + (start + i) * 33_000_000 for i in range(n)], pa.int64()),
                  "data": pa.array(frames[start:start + n], pa.binary()),
                  "format": pa.array(["raw"] * n), "width": pa.array([width] * n, pa.int32()),
                  "height": pa.array([max(1, blob_bytes // width)] * n, pa.int32()),
                  "stride": pa.array([width] * n, pa.int32()), "encoding": pa.array(["mono8"] * n),
                  "is_bigendian": pa.array([False] * n)}
        ts = values["timestamp_ns"].to_numpy()
        stamp = {"seconds": pa.array(ts // 1_000_000_000, pa.int32()),
                 "nanoseconds": pa.array(ts % 1_000_000_000, pa.uint32())}
        header = {"frame_id": pa.array(["camera"] * n), "sample_counter": pa.array(range(start, start + n), pa.uint64())}
        if "header" in schema.names:  # every field filled, as the SDK sends a message with a header
            htype = schema.field("header").type
            stype = htype.field("timestamp").type
            header["timestamp"] = pa.StructArray.from_arrays([stamp[f.name] for f in stype], fields=list(stype))
            values["header"] = pa.StructArray.from_arrays([header[f.name] for f in htype], fields=list(htype))
        columns = [values[f.name] if f.name in values else pa.nulls(n, f.type) for f in schema]
        out.append(pa.record_batch(columns, schema=schema))
    return schema, out


# (serialization_format, ontology_tag) each workload's topic is declared with on mosaicod
DECLARED = {"imu": ("default", "IMU"), "imu-sensor": ("default", "IMU"), "blob-default": ("default", "Blob"), "blob-image": ("image", "Image")}


# ---------------------------------------------------------------- the pyarrow do-nothing server (--python-null)

class NullServer(fl.FlightServerBase):
    def __init__(self, location):
        super().__init__(location)
        self._cache = {}

    def do_put(self, context, descriptor, reader, writer):
        batches = [chunk.data for chunk in reader]  # read everything, keep it for do_get
        self._cache[descriptor.command] = (reader.schema, batches)

    def do_get(self, context, ticket):
        schema, batches = self._cache.pop(ticket.ticket)
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


def mosaicod_put(client, name, schema, batches, serialization_format="default", ontology_tag=None):
    """Creates a sequence with one topic and times its DoPut; returns (seconds, the topic locator)."""
    seq = f"bench_{name.replace('-', '_')}_{time.time_ns()}"
    action(client, "sequence_create", {"locator": seq, "user_metadata": {"bench": name}})
    session = action(client, "session_create", {"locator": seq})
    topic = action(client, "topic_create", {"session_uuid": session["uuid"], "locator": f"{seq}/data",
                                            "serialization_format": serialization_format,
                                            "ontology_tag": ontology_tag or name, "user_metadata": {}})
    desc = fl.FlightDescriptor.for_command(json.dumps({"resource_locator": f"{seq}/data", "topic_uuid": topic["uuid"]}))
    put_s, _ = timed(lambda: do_put(client, desc, schema, batches))
    action(client, "session_finalize", {"session_uuid": session["uuid"]})
    return put_s, f"{seq}/data"


def mosaicod_get(client, locator):
    info = client.get_flight_info(fl.FlightDescriptor.for_command(json.dumps({"resource_locator": locator})))
    return timed(lambda: client.do_get(info.endpoints[0].ticket).read_all())


def bench_mosaicod(client, name, schema, batches, serialization_format="default", ontology_tag=None):
    """DoPut then DoGet of one topic on mosaicod: (put seconds, get seconds, table read). Used by backend_compare."""
    put_s, locator = mosaicod_put(client, name, schema, batches, serialization_format, ontology_tag)
    get_s, table = mosaicod_get(client, locator)
    return put_s, get_s, table


def ceiling_put(client, mode, name, schema, batches):
    target = f"{mode}/{name}".encode()
    put_s, _ = timed(lambda: do_put(client, fl.FlightDescriptor.for_command(target), schema, batches))
    return put_s, target


def ceiling_get(client, target):
    return timed(lambda: client.do_get(fl.Ticket(target)).read_all())


# ---------------------------------------------------------------- processes

def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak_rss(pid):
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS (Linux >= 4.0)
    except OSError:
        pass


def wait_until_serving(client, proc, what):
    deadline = time.time() + 30
    while True:
        try:
            action(client, "info", {})
            return
        except Exception:
            if proc.poll() is not None:
                raise RuntimeError(f"{what} exited with status {proc.returncode}")
            if time.time() > deadline:
                raise
            time.sleep(0.05)


class Server:
    """One measured server: put(workload) -> (seconds, handle); get(handle) -> (seconds, table); pid for RSS;
    data_dir (None: keeps nothing on disk) for the chunk bytes an ingest writes."""

    def __init__(self, key, pid, put, get, data_dir=None):
        self.key, self.pid, self.put, self.get, self.data_dir = key, pid, put, get, data_dir


def chunk_bytes(data_dir):
    """Bytes of the Parquet chunk files (chunk-*.parquet, mosaicod's and the ceiling's naming) under data_dir."""
    total = 0
    for root, _, files in os.walk(data_dir):
        for f in files:
            if f.endswith(".parquet"):
                try:
                    total += os.path.getsize(os.path.join(root, f))
                except OSError:
                    pass  # removed meanwhile (compaction, GC)
    return total


def start_daemon(binary, data_dir, chunk_mb, procs):
    port = free_port()
    # This script's own variables are no daemon settings (the daemon warns about unknown MOSAICOD_* variables).
    env = {k: v for k, v in os.environ.items() if k not in ("MOSAICOD_BIN", "MOSAICOD_BASELINE_BIN", "MOSAICOD_CEILING_BIN")}
    proc = subprocess.Popen([binary, "run", "--port", str(port), "--http-port", "0", "--data-dir", data_dir,
                             "--chunk-size-mb", str(chunk_mb), "--compact-below-mb", "0", "--log-level", "warn"],
                            env=env)
    procs.append(proc)
    client = fl.FlightClient(f"grpc://127.0.0.1:{port}")
    wait_until_serving(client, proc, binary)
    return proc, client


# Allocator settings of the ceiling servers (--ceiling-alloc). mosaicod's process-memory policy
# (src/mosaico/server/process_memory.h) is jemalloc for Arrow and a fixed 64 KiB glibc mmap threshold.
CEILING_ALLOC_ENV = {
    "default": {},  # the libraries' defaults: the wheel's Arrow pool (mimalloc), glibc's dynamic mmap threshold
    "arrow-jemalloc": {"ARROW_DEFAULT_MEMORY_POOL": "jemalloc"},  # mosaicod's Arrow pool only
    # mosaicod's process-memory policy (src/mosaico/server/process_memory.h): Debian's jemalloc as malloc with the
    # daemon's settings (kDaemonJemallocConf), the wheel's jemalloc as Arrow's pool
    "mosaicod": {"ARROW_DEFAULT_MEMORY_POOL": "jemalloc", "LD_PRELOAD": "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
                 "MALLOC_CONF": "background_thread:true,dirty_decay_ms:250,muzzy_decay_ms:0,tcache:false"},
}


def start_ceiling(binary, data_dir, chunk_mb, alloc, procs):
    port = free_port()
    env = dict(os.environ, **CEILING_ALLOC_ENV[alloc])
    proc = subprocess.Popen([binary, "--port", str(port), "--data-dir", data_dir, "--chunk-size-mb", str(chunk_mb)],
                            stdout=subprocess.PIPE, text=True, env=env)
    procs.append(proc)
    line = proc.stdout.readline()
    if not line.startswith("listening"):
        raise RuntimeError(f"{binary} did not start: {line!r}")
    return proc, fl.FlightClient(f"grpc://127.0.0.1:{port}"), line.strip()


def stop(proc):
    if isinstance(proc, subprocess.Popen):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
    elif proc.is_alive():  # multiprocessing.Process
        proc.terminate()


# ---------------------------------------------------------------- main

def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="regression-guard sizes: --imu-rows 1000000 --blobs 96 --repeat 5 (explicit options win)")
    ap.add_argument("--imu-rows", type=int, help="IMU rows (default 5,000,000; --quick 1,000,000)")
    ap.add_argument("--imu-batch-rows", type=int, default=65536)
    ap.add_argument("--blobs", type=int, help="blob rows (default 200; --quick 96)")
    ap.add_argument("--blob-kb", type=int, default=1024, help="KiB per blob")
    ap.add_argument("--blob-batch-rows", type=int, default=8)
    ap.add_argument("--workloads", default="imu,blob-default,blob-image", help="comma-separated subset")
    ap.add_argument("--repeat", type=int, help="interleaved runs per measurement, the median is reported (default 3; "
                                               "--quick 5)")
    ap.add_argument("--chunk-size-mb", type=int, default=64)
    ap.add_argument("--bin", default=os.environ.get("MOSAICOD_BIN", os.path.join(ROOT, "build", "mosaicod")),
                    help="mosaicod under test (default $MOSAICOD_BIN or build/mosaicod)")
    ap.add_argument("--baseline-bin", default=os.environ.get("MOSAICOD_BASELINE_BIN"),
                    help="a second mosaicod measured in the same run (ours/base); default $MOSAICOD_BASELINE_BIN")
    ap.add_argument("--ceiling-bin", default=os.environ.get("MOSAICOD_CEILING_BIN", DEFAULT_CEILING_BIN),
                    help="bench/ceiling_server binary (default $MOSAICOD_CEILING_BIN or the build tree's)")
    ap.add_argument("--ceiling-alloc", choices=tuple(CEILING_ALLOC_ENV), default="default",
                    help="allocators of the ceiling servers: the libraries' defaults (mimalloc Arrow pool, glibc's "
                         "dynamic mmap threshold), mosaicod's Arrow pool only (jemalloc), or mosaicod's whole "
                         "process-memory policy (jemalloc + 64 KiB mmap threshold)")
    ap.add_argument("--warm-mb", type=int, default=-1,
                    help="MiB of memory written and freed before every timed call, so that every server starts on "
                         "host-backed free pages (default -1: twice the workload's bytes + 256; 0: off)")
    ap.add_argument("--python-null", action="store_true", help="also measure the pyarrow do-nothing server")
    ap.add_argument("--json", help="write every measurement to this file")
    ap.add_argument("--markdown", action="store_true", help="also print the table as Markdown (bench/README.md)")
    args = ap.parse_args(argv)
    if args.imu_rows is None:
        args.imu_rows = 1_000_000 if args.quick else 5_000_000
    if args.repeat is None:
        args.repeat = 5 if args.quick else 3
    if args.blobs is None:
        args.blobs = 96 if args.quick else 200
    args.workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    unknown = [w for w in args.workloads if w not in DECLARED]
    if unknown:
        ap.error(f"unknown workload(s) {unknown}; known: {', '.join(DECLARED)}")
    return args


def make_workloads(args):
    out = {}
    blobs = None
    for w in args.workloads:
        if w == "imu":
            out[w] = imu_batches(args.imu_rows, args.imu_batch_rows)
        elif w == "imu-sensor":
            out[w] = imu_batches(args.imu_rows, args.imu_batch_rows, sensor=True)
        else:
            blobs = blobs or sdk_image_batches(args.blobs, args.blob_kb * 1024, args.blob_batch_rows)
            out[w] = blobs
    return out


def cpu_seconds(pid):
    """User + system CPU time of process `pid` (all its threads) so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def warm_free_memory(mib):
    """Writes and frees `mib` MiB of anonymous memory: the guest's free lists then start with pages the host backs
    (see --warm-mb), whatever ran before. The pages go back to the system when numpy unmaps the array."""
    if mib > 0:
        np.ones(mib << 20, dtype=np.uint8)


def warm_mib(args, nbytes):
    return args.warm_mb if args.warm_mb >= 0 else 2 * nbytes // (1 << 20) + 256


def measure(args, workloads, servers):
    """{(workload, server key, direction): [(wall seconds, server CPU seconds) per repeat]}, {same key: peak RSS MiB},
    {(workload, server key): chunk bytes one ingest wrote (the first run's)}"""
    runs, rss, disk = {}, {}, {}

    def call(w, s, direction, fn):
        warm_free_memory(warm)
        reset_peak_rss(s.pid)
        cpu = cpu_seconds(s.pid)
        wall, result = fn()
        runs.setdefault((w, s.key, direction), []).append((wall, cpu_seconds(s.pid) - cpu))
        rss[(w, s.key, direction)] = max(rss.get((w, s.key, direction), 0), peak_rss_mb(s.pid))
        return result

    for w, (schema, batches) in workloads.items():
        nrows = sum(b.num_rows for b in batches)
        warm = warm_mib(args, sum(b.nbytes for b in batches))
        for r in range(args.repeat):
            order = servers[r % len(servers):] + servers[:r % len(servers)]  # rotate: no server always goes first
            for s in order:
                log(f"{w}: run {r + 1}/{args.repeat} on {s.key}")
                before = chunk_bytes(s.data_dir) if s.data_dir and r == 0 else None
                handle = call(w, s, "ingest", lambda: s.put(w, schema, batches))
                if before is not None:
                    disk[(w, s.key)] = chunk_bytes(s.data_dir) - before
                table = call(w, s, "read", lambda: s.get(handle))
                if table.num_rows != nrows:
                    raise RuntimeError(f"{s.key} returned {table.num_rows} rows of {w}, expected {nrows}")
                del table
    return runs, rss, disk


def table_lines(header, rows, markdown):
    """Plain columns (first two left-aligned) or a Markdown table."""
    if markdown:
        return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + \
               ["| " + " | ".join(r) + " |" for r in rows]
    widths = [max(len(x[i]) for x in [header] + rows) for i in range(len(header))]
    return ["  ".join(c.ljust(wd) if i < 2 else c.rjust(wd) for i, (c, wd) in enumerate(zip(r, widths)))
            for r in [header] + rows]


def report(args, workloads, keys, runs, rss, disk, load_start, load_end, markdown=False):
    """The ratio tables (bench/README.md shows them as Markdown)."""
    def nbytes(w):
        return sum(b.nbytes for b in workloads[w][1])

    def mbs(w, k, d):  # MB/s of the median wall time
        r = runs.get((w, k, d))
        return nbytes(w) / 1e6 / statistics.median(x[0] for x in r) if r else None

    def mb_per_cpu(w, k, d):  # MB per server CPU second, median over runs
        r = runs.get((w, k, d))
        return nbytes(w) / 1e6 / max(statistics.median(x[1] for x in r), 1e-3) if r else None

    def ratio(a, b):
        return f"{a / b:.2f}" if a and b else "-"

    def fmt(v):
        return f"{v:.0f}" if v else "-"

    cols = [k for k in ("ours", "base", "null", "parquet", "pynull") if k in keys]
    ratio_cols = [k for k in ("null", "parquet", "base", "pynull") if k in keys]
    out = []
    for title, metric in (("throughput: MB/s of the median wall time; ratio = ours / other", mbs),
                          ("server CPU efficiency: MB per CPU second of the server process (median); "
                           "ratio = ours / other (below 1: ours spends more CPU per MB)", mb_per_cpu)):
        header = ["workload", "direction", "MB"] + cols + [f"ours/{k}" for k in ratio_cols]
        rows = []
        for w in workloads:
            for d in ("ingest", "read"):
                ours = metric(w, "ours", d)
                rows.append([w, d, f"{nbytes(w) / 1e6:.0f}"] + [fmt(metric(w, k, d)) for k in cols] +
                            [ratio(ours, metric(w, k, d)) for k in ratio_cols])
        out += ["", title] + table_lines(header, rows, markdown)
    # Issue 12's targets on the wall-time ratios; `ours/base` needed for "2x the reference" if base is f44f143.
    targets = [("imu", "ingest", "parquet", 0.7, 1.43), ("imu", "read", "null", 0.7, 1.05),
               ("blob-default", "ingest", "parquet", 0.7, 1.25), ("blob-default", "read", "null", 0.7, None),
               ("blob-image", "ingest", "parquet", 0.7, None), ("blob-image", "read", "null", 0.7, None),
               ("imu-sensor", "ingest", "parquet", 0.7, None), ("imu-sensor", "read", "null", 0.7, None)]
    rows = []
    for w, d, k, goal, base_goal in targets:
        if w not in workloads or k not in keys:
            continue
        got = ratio(mbs(w, "ours", d), mbs(w, k, d))
        row = [w, d, f"ours/{k} >= {goal}", got, "yes" if got != "-" and float(got) >= goal else "no"]
        if "base" in keys:
            got = ratio(mbs(w, "ours", d), mbs(w, "base", d))
            row += [f">= {base_goal}" if base_goal else "-", got]
        rows.append(row)
    if rows:
        header = ["workload", "direction", "target", "now", "met"] + \
                 (["ours/base needed (base = f44f143)", "ours/base"] if "base" in keys else [])
        out += ["", "issue 12 targets (wall time; see the noise notes in bench/README.md)"]
        out += table_lines(header, rows, markdown)
    rss_cols = [k for k in ("ours", "base", "null", "parquet") if k in keys]
    rows = [[w, d] + [fmt(rss.get((w, k, d))) for k in rss_cols] for w in workloads for d in ("ingest", "read")]
    out += ["", "peak RSS MiB (VmHWM during the call, max over runs; null holds the whole upload by design)"]
    out += table_lines(["workload", "direction"] + rss_cols, rows, markdown)
    disk_cols = [k for k in ("ours", "base", "parquet") if k in keys and any((w, k) in disk for w in workloads)]
    if disk_cols:
        rows = [[w, f"{nbytes(w) / 1e6:.0f}"] + [f"{disk[(w, k)] / 1e6:.1f}" if (w, k) in disk else "-"
                                                 for k in disk_cols] +
                [ratio(disk.get((w, "ours")), disk.get((w, k))) for k in disk_cols if k != "ours"]
                for w in workloads]
        out += ["", "chunk bytes on disk per ingest (MB of chunk-*.parquet files the first run wrote)"]
        out += table_lines(["workload", "Arrow MB"] + disk_cols + [f"ours/{k}" for k in disk_cols if k != "ours"],
                           rows, markdown)

    def described(path):
        return f"{path} (built {time.strftime('%Y-%m-%d %H:%M', time.gmtime(os.path.getmtime(path)))} UTC)"
    imu = f"imu {args.imu_rows:,} rows in {args.imu_batch_rows}-row batches" if any(w.startswith("imu") for w in workloads) else ""
    blob = (f"blobs {args.blobs} x {args.blob_kb} KiB in {args.blob_batch_rows}-row batches"
            if any(not w.startswith("imu") for w in workloads) else "")
    warm = ("no memory warming (--warm-mb 0)" if args.warm_mb == 0 else
            (f"{args.warm_mb} MiB" if args.warm_mb > 0 else "2x the workload's bytes + 256 MiB") +
            " of free memory written and freed before every timed call")
    head = [f"flight_throughput: {', '.join(x for x in (imu, blob) if x)}; chunk {args.chunk_size_mb} MiB; "
            f"median of {args.repeat} interleaved runs; {warm}",
            f"load average (1/5/15 min) at start {load_start[0]:.2f}/{load_start[1]:.2f}/{load_start[2]:.2f}, "
            f"at end {load_end[0]:.2f}/{load_end[1]:.2f}/{load_end[2]:.2f}; {os.cpu_count()} CPUs",
            f"ours = {described(args.bin)}" + (f"; base = {described(args.baseline_bin)}" if args.baseline_bin else ""),
            f"ceiling = {described(args.ceiling_bin)} (two processes: null, parquet): "
            f"{args.ceiling_said.split(' (', 1)[-1].rstrip(')')}",
            "parquet = Flight + Parquet ceiling for ingest, Parquet read ceiling for read"]
    if markdown:  # ready to paste into bench/README.md
        head = [f"- {line}" for line in head]
    print("\n".join([""] + head + out))


def main(argv=None):
    args = parse_args(argv)
    load_start = os.getloadavg()
    log(f"generating data (load average {load_start[0]:.2f})")
    workloads = make_workloads(args)

    tmp = tempfile.mkdtemp(prefix="mosaicod-bench-")
    procs, servers = [], []
    try:
        for key, binary in (("ours", args.bin), ("base", args.baseline_bin)):
            if not binary:
                continue
            proc, client = start_daemon(binary, os.path.join(tmp, key), args.chunk_size_mb, procs)

            def put(w, schema, batches, client=client):
                fmt, tag = DECLARED[w]
                return mosaicod_put(client, w, schema, batches, fmt, tag)
            servers.append(Server(key, proc.pid, put, lambda loc, client=client: mosaicod_get(client, loc),
                                  os.path.join(tmp, key)))

        for mode in ("null", "parquet"):  # one process each, so that each has its own peak RSS
            proc, client, args.ceiling_said = start_ceiling(args.ceiling_bin, os.path.join(tmp, mode),
                                                            args.chunk_size_mb, args.ceiling_alloc, procs)
            servers.append(Server(mode, proc.pid,
                                  lambda w, schema, batches, mode=mode, client=client:
                                  ceiling_put(client, mode, w, schema, batches),
                                  lambda target, client=client: ceiling_get(client, target),
                                  os.path.join(tmp, mode) if mode == "parquet" else None))
        if args.python_null:
            ctx = mp.get_context("spawn")  # a fork would inherit this process's gRPC state (and its data)
            port, ready = free_port(), ctx.Event()
            pyproc = ctx.Process(target=run_null_server, args=(port, ready), daemon=True)
            pyproc.start()
            procs.append(pyproc)
            ready.wait(10)
            pyclient = fl.FlightClient(f"grpc://127.0.0.1:{port}")
            time.sleep(0.3)

            def pyput(w, schema, batches):
                desc = fl.FlightDescriptor.for_command(f"{w}/{time.time_ns()}".encode())
                put_s, _ = timed(lambda: do_put(pyclient, desc, schema, batches))
                return put_s, desc.command
            servers.append(Server("pynull", pyproc.pid, pyput, lambda t: ceiling_get(pyclient, t)))

        runs, rss, disk = measure(args, workloads, servers)
    finally:
        for p in procs:
            stop(p)
        subprocess.run(["rm", "-rf", tmp])
    load_end = os.getloadavg()
    keys = [s.key for s in servers]
    report(args, workloads, keys, runs, rss, disk, load_start, load_end)
    if args.markdown:
        report(args, workloads, keys, runs, rss, disk, load_start, load_end, markdown=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": {k: v for k, v in vars(args).items()}, "load_start": load_start, "load_end": load_end,
                       "bytes": {w: sum(b.nbytes for b in workloads[w][1]) for w in workloads},
                       "wall_and_cpu_seconds": {"|".join(k): v for k, v in runs.items()},
                       "peak_rss_mib": {"|".join(k): v for k, v in rss.items()},
                       "chunk_bytes": {"|".join(k): v for k, v in disk.items()}}, f, indent=1)


if __name__ == "__main__":
    main()
