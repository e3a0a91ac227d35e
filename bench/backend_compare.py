#!/usr/bin/env python3
"""PostgreSQL catalog + S3 store versus SQLite catalog + local directory store, in one run (issue #5).

Starts daemons from the same binary: one on SQLite + a local directory (the default configuration), one on
PostgreSQL (a throwaway server from scripts/pg_test_server.sh) + S3 (moto's server mode from
tests/integration/s3_server.py), and with --minio BIN a third on PostgreSQL + a MinIO server (a real S3
implementation; `go install github.com/minio/minio@latest` builds one) started here on a temporary directory. Each
PostgreSQL daemon has its own database. Then, on each daemon in turn, with the same data (generated before any
timing):

  ingest/read  an IMU-like topic (small rows) and an image-like topic (~1 MiB rows) through raw pyarrow.flight:
               DoPut of the whole topic (sequence/session/topic create, upload, commit), finalize, DoGet back
               (flight_throughput.bench_mosaicod); best of --repeat.
  catalog      --sequences sequences x 5 topics with user metadata, created by 4 client threads through actions
               (query_bench.create_catalog): sequences/s, every one a handful of catalog transactions and store
               manifest writes.
  metadata     p50/p95 latency over --queries runs of: sequence listing (ListFlights), get_flight_info of a
               sequence and of a topic, `query` by sequence metadata, by name glob, by topic metadata, and by an
               ontology value (reads chunk data from the store: --value-queries runs).

Prints one table with every backend and its ratio to SQLite+local (for throughput >1 means faster, for latency >1
means slower). moto is a single-process Python mock of S3, so its figures are a pessimistic bound for a real S3
server; MinIO on the same machine is the optimistic one (no network between daemon and store).

Usage: .venv/bin/python bench/backend_compare.py [--imu-rows 500000] [--images 100] [--image-kb 1024]
           [--sequences 1000] [--queries 50] [--value-queries 10] [--repeat 2]
           [--minio ~/go/bin/minio]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import pyarrow.flight as fl
import pyarrow.fs as pafs

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from flight_throughput import bench_mosaicod, image_batches, imu_batches, log  # noqa: E402
from query_bench import Daemon, action, create_catalog, latency  # noqa: E402
from s3_server import REGION, MotoS3Server, _free_port, daemon_store_args  # noqa: E402

BASELINE = "sqlite+local"


# ---------------------------------------------------------------- servers

class PgServer:
    """scripts/pg_test_server.sh in a directory of ours, with one database for the daemon."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="mosaicod-backends-pg-")  # its own: the script hands it to `postgres`
        started = subprocess.run([os.path.join(ROOT, "scripts", "pg_test_server.sh"), "start", self.dir],
                                 capture_output=True, text=True)
        if started.returncode != 0:
            raise RuntimeError(f"pg_test_server.sh failed: {started.stderr}")
        self.admin_url = started.stdout.strip()

    def database(self, name):
        subprocess.run(["psql", self.admin_url, "-q", "-c", f"CREATE DATABASE {name}"], check=True,
                       capture_output=True)
        return self.admin_url.rsplit("/", 1)[0] + "/" + name

    def stop(self):
        subprocess.run([os.path.join(ROOT, "scripts", "pg_test_server.sh"), "stop", self.dir], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


class MinioServer:
    """`minio server` on a temporary directory, 127.0.0.1 only, with one bucket."""

    USER, PASSWORD = "mosaico-bench", "mosaico-bench-secret"

    def __init__(self, binary, bucket):
        self.dir = tempfile.mkdtemp(prefix="mosaicod-backends-minio-")
        self.port = _free_port()
        self.log = open(os.path.join(self.dir, "minio.log"), "w")
        env = dict(os.environ, MINIO_ROOT_USER=self.USER, MINIO_ROOT_PASSWORD=self.PASSWORD)
        self.proc = subprocess.Popen([binary, "server", os.path.join(self.dir, "data"), "--address",
                                      f"127.0.0.1:{self.port}", "--console-address", f"127.0.0.1:{_free_port()}"],
                                     env=env, stdout=self.log, stderr=self.log)
        fs = pafs.S3FileSystem(access_key=self.USER, secret_key=self.PASSWORD, region=REGION, scheme="http",
                               endpoint_override=f"127.0.0.1:{self.port}", allow_bucket_creation=True)
        deadline = time.time() + 60
        while True:
            try:
                fs.create_dir(bucket)
                break
            except OSError:
                if time.time() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"minio did not start, see {self.dir}/minio.log")
                time.sleep(0.5)
        self.store_args = daemon_store_args(bucket, "compare", self.port)
        keys = self.store_args.index("--store-access-key")
        self.store_args[keys + 1], self.store_args[keys + 3] = self.USER, self.PASSWORD

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------- measurements

def throughput(client, workloads, repeat, label):
    """{(workload, direction): (MB/s, rows/s)}, best of `repeat`."""
    out = {}
    for name, (schema, batches) in workloads.items():
        nbytes = sum(b.nbytes for b in batches)
        nrows = sum(b.num_rows for b in batches)
        best_put = best_get = float("inf")
        for r in range(repeat):
            log(f"{label}: {name} ingest + read, run {r + 1}/{repeat} ({nbytes / 1e6:.0f} MB)")
            put_s, get_s, table = bench_mosaicod(client, name, schema, batches)
            assert table.num_rows == nrows, (label, name, table.num_rows, nrows)
            best_put, best_get = min(best_put, put_s), min(best_get, get_s)
        out[(name, "ingest")] = (nbytes / 1e6 / best_put, nrows / best_put)
        out[(name, "read")] = (nbytes / 1e6 / best_get, nrows / best_get)
    return out


def metadata_latencies(client, args, label):
    """{label: (p50 s, p95 s, result size)}."""
    def info(locator):
        return client.get_flight_info(fl.FlightDescriptor.for_command(json.dumps({"resource_locator": locator})))

    probe = f"run_{args.sequences // 2:05d}"
    checks = [
        ("list sequences (ListFlights)", lambda: list(client.list_flights()), args.queries, len),
        ("get_flight_info sequence", lambda: info(probe), args.queries, lambda i: len(i.endpoints)),
        ("get_flight_info topic", lambda: info(f"{probe}/imu"), args.queries, lambda i: len(i.endpoints)),
        ("query sequence metadata", lambda: action(client, "query", {
            "sequence": {"user_metadata": {"env.weather": {"$eq": "rain"}}}})[0], args.queries, _topics),
        ("query sequence name glob", lambda: action(client, "query", {
            "sequence": {"name": {"$match": "run_001*"}}})[0], args.queries, _topics),
        ("query topic metadata", lambda: action(client, "query", {
            "topic": {"user_metadata": {"sensor.rate_hz": {"$geq": 1000}}}})[0], args.queries, _topics),
        ("query ontology value", lambda: action(client, "query", {
            "ontology": {"imu.acceleration.x": {"$gt": 4.0}}})[0], args.value_queries, _topics),
    ]
    out = {}
    for name, fn, repeat, size in checks:
        log(f"{label}: {name} x{repeat}")
        p50, p95 = latency(fn, repeat, tail=0.95)
        out[name] = (p50, p95, size(fn()))
    return out


def _topics(reply):
    return sum(len(item["topics"]) for item in reply["items"])


def run_backend(label, daemon, workloads, args):
    client = daemon.client
    results = {"throughput": throughput(client, workloads, args.repeat, label)}
    log(f"{label}: creating {args.sequences} sequences x 5 topics")
    t = time.perf_counter()
    create_catalog(client, args.sequences)
    results["catalog"] = args.sequences / (time.perf_counter() - t)
    results["latency"] = metadata_latencies(client, args, label)
    return results


# ---------------------------------------------------------------- report

def report(res, args):
    base = res[BASELINE]
    others = [label for label in res if label != BASELINE]
    print(f"\nbackend_compare: {', '.join(res)}; same run, same data; ratio = backend / {BASELINE}")
    print(f"sizes: imu {args.imu_rows:,} rows, images {args.images} x {args.image_kb} KiB, catalog "
          f"{args.sequences} sequences x 5 topics; throughput best of {args.repeat}; latency over {args.queries} "
          f"runs ({args.value_queries} for the ontology value query); chunk size {args.chunk_size_mb} MiB")
    print(f"\n{'throughput':30} {BASELINE:>13}" + "".join(f" {label:>13} {'ratio':>6}" for label in others))
    rows = [(f"{name} {direction} MB/s", lambda r, k=(name, direction): r["throughput"][k][0])
            for (name, direction) in base["throughput"]]
    rows.append(("catalog writes: sequences/s", lambda r: r["catalog"]))
    for label, get in rows:
        line = f"{label:30} {get(base):13.1f}"
        for other in others:
            line += f" {get(res[other]):13.1f} {get(res[other]) / get(base):6.2f}"
        print(line)
    print(f"\n{'latency p50 / p95 ms':30} {'results':>7} {BASELINE:>15}" +
          "".join(f" {label:>15} {'ratio':>6}" for label in others))
    for name, (p50, p95, n) in base["latency"].items():
        line = f"{name:30} {n:7d} {p50 * 1e3:7.2f}/{p95 * 1e3:7.2f}"
        for other in others:
            q50, q95, m = res[other]["latency"][name]
            assert m == n, f"{other} answered {name} with {m} results, {BASELINE} with {n}"
            line += f" {q50 * 1e3:7.2f}/{q95 * 1e3:7.2f} {q50 / p50:6.2f}"
        print(line)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--imu-rows", type=int, default=500_000)
    ap.add_argument("--images", type=int, default=100)
    ap.add_argument("--image-kb", type=int, default=1024)
    ap.add_argument("--sequences", type=int, default=1000)
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--value-queries", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--chunk-size-mb", type=int, default=16)
    ap.add_argument("--minio", help="a minio binary: adds a PostgreSQL + MinIO daemon")
    ap.add_argument("--bin", default=os.environ.get("MOSAICOD_BIN", os.path.join(ROOT, "build", "mosaicod")))
    args = ap.parse_args()

    log("generating data")
    workloads = {"imu": imu_batches(args.imu_rows, 50_000), "image": image_batches(args.images, args.image_kb * 1024, 8)}
    base = tempfile.mkdtemp(prefix="mosaicod-backends-")
    pg = moto = minio = None
    daemons, results = {}, {}
    try:
        log("starting PostgreSQL and the S3 server(s)")
        pg = PgServer()
        moto = MotoS3Server.start(base)
        moto.create_bucket("bench")
        common = ["--chunk-size-mb", str(args.chunk_size_mb)]
        backends = [(BASELINE, common),
                    ("pg+s3(moto)", ["--catalog", pg.database("bench_moto"),
                                     *daemon_store_args("bench", "compare", moto.port), *common])]
        if args.minio:
            minio = MinioServer(args.minio, "bench")
            backends.append(("pg+s3(minio)", ["--catalog", pg.database("bench_minio"), *minio.store_args, *common]))
        for label, extra in backends:
            data_dir = os.path.join(base, label.replace("(", "_").replace(")", ""))
            os.makedirs(data_dir)
            daemons[label] = Daemon(args.bin, data_dir, extra)
        for label, _ in backends:
            results[label] = run_backend(label, daemons[label], workloads, args)
    finally:
        for d in daemons.values():
            d.stop()
        for server in (moto, minio, pg):
            if server:
                server.stop()
        shutil.rmtree(base, ignore_errors=True)
    report(results, args)


if __name__ == "__main__":
    main()
