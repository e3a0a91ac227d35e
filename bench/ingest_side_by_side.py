#!/usr/bin/env python3
"""Where an ingest's CPU goes: mosaicod and the Flight + Parquet ceiling side by side, DoPut only, put by put.

.venv/bin/python bench/ingest_side_by_side.py WORKLOAD [--puts 6] [--bin PATH] [--ceiling-bin PATH]
    [--variant-conf MALLOC_CONF] [--variant-bin PATH] [--warm-mb N] [--perf-record OUT_PREFIX] [--perf-event ARGS]

Starts mosaicod (--bin) and the parquet ceiling (bench/ceiling_server) on a temporary directory, optionally a third
server "var" (mosaicod --variant-bin, or --bin with MALLOC_CONF=--variant-conf), and times --puts DoPuts of the same
flight_throughput workload on each, interleaved (the order rotates). Per put it prints MB/s, the server's user and
system CPU seconds and minor page faults per MB (from /proc/<pid>/stat), and the medians at the end: the figures
flight_throughput's tables fold into one CPU number. --warm-mb writes and frees that much memory before every put
(as flight_throughput --warm-mb; 0 here by default, to see the cold state). --perf-record runs `perf record -g`
(--perf-event, e.g. "-e page-faults -c 10 --call-graph dwarf,16384"; default "-F 1999") on each server during its
last put, into OUT_PREFIX-<server>.data. Run under the bench lock (bench/README.md, flight_throughput 2026-12-08).
"""
import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import flight_throughput as ft  # bench/ is the script's directory, so on sys.path


def proc_stat(pid):
    """(minor faults, user ticks, system ticks) of process `pid` so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[7]), int(fields[11]), int(fields[12])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workload", choices=tuple(ft.DECLARED))
    ap.add_argument("--puts", type=int, default=6)
    ap.add_argument("--bin", default=os.environ.get("MOSAICOD_BIN", os.path.join(ft.ROOT, "build", "mosaicod")))
    ap.add_argument("--ceiling-bin", default=ft.DEFAULT_CEILING_BIN)
    ap.add_argument("--variant-conf", help="MALLOC_CONF of a third server, mosaicod 'var'")
    ap.add_argument("--variant-bin", help="binary of a third server, mosaicod 'var'")
    ap.add_argument("--warm-mb", type=int, default=0)
    ap.add_argument("--perf-record", metavar="OUT_PREFIX")
    ap.add_argument("--perf-event", default="-F 1999")
    args = ap.parse_args()

    fa = ft.parse_args(["--workloads", args.workload])
    schema, batches = ft.make_workloads(fa)[args.workload]
    mb = sum(b.nbytes for b in batches) / 1e6
    fmt, tag = ft.DECLARED[args.workload]
    tmp = tempfile.mkdtemp(prefix="mosaicod-side-")
    procs, servers = [], {}
    try:
        proc, client = ft.start_daemon(args.bin, os.path.join(tmp, "ours"), fa.chunk_size_mb, procs)
        servers["ours"] = (proc.pid, lambda c=client: ft.mosaicod_put(c, args.workload, schema, batches, fmt, tag)[0])
        proc, client, _ = ft.start_ceiling(args.ceiling_bin, os.path.join(tmp, "parquet"), fa.chunk_size_mb,
                                           "default", procs)
        servers["parquet"] = (proc.pid, lambda c=client: ft.ceiling_put(
            c, "parquet", f"{args.workload}-{time.time_ns()}", schema, batches)[0])
        if args.variant_conf or args.variant_bin:
            saved = dict(os.environ)
            if args.variant_conf:
                os.environ["MALLOC_CONF"] = args.variant_conf
            try:
                proc, client = ft.start_daemon(args.variant_bin or args.bin, os.path.join(tmp, "var"),
                                               fa.chunk_size_mb, procs)
            finally:
                os.environ.clear()
                os.environ.update(saved)
            servers["var"] = (proc.pid, lambda c=client: ft.mosaicod_put(c, args.workload, schema, batches, fmt, tag)[0])

        keys = list(servers)
        tck = os.sysconf("SC_CLK_TCK")
        res = {k: [] for k in keys}
        for r in range(args.puts):
            for key in keys[r % len(keys):] + keys[:r % len(keys)]:
                pid, put = servers[key]
                ft.warm_free_memory(args.warm_mb)
                perf = None
                if args.perf_record and r == args.puts - 1:
                    perf = subprocess.Popen(["perf", "record", *args.perf_event.split(), "-g", "-o",
                                             f"{args.perf_record}-{key}.data", "-p", str(pid)],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    time.sleep(1)
                before = proc_stat(pid)
                wall = put()
                after = proc_stat(pid)
                if perf:
                    perf.send_signal(signal.SIGINT)
                    perf.wait()
                faults, user, system = (after[i] - before[i] for i in range(3))
                res[key].append((wall, user / tck, system / tck))
                print(f"{r} {key:8s} {mb / wall:7.1f} MB/s  user {user / tck:5.2f} s  sys {system / tck:5.2f} s  "
                      f"faults/MB {faults / mb:6.1f}  load {os.getloadavg()[0]:.2f}", flush=True)
        for key, rs in res.items():
            walls = [x[0] for x in rs]
            print(f"{key}: median {mb / statistics.median(walls):.1f} MB/s (min {mb / max(walls):.1f}, max "
                  f"{mb / min(walls):.1f}), user {statistics.median(x[1] for x in rs):.2f} s, "
                  f"sys {statistics.median(x[2] for x in rs):.2f} s per put")
    finally:
        for p in procs:
            ft.stop(p)
        shutil.rmtree(tmp)


if __name__ == "__main__":
    sys.exit(main())
