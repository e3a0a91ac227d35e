#!/usr/bin/env python3
"""Do the fixed-shape catalog calls stay flat as the catalog grows? (issue 12, item 4: "ListFlights paging,
GetFlightInfo and session_create stay flat as the catalog grows", "PostgreSQL within 2x of SQLite").

Two catalogs filled by catalog_query_bench.py (`--fill-only`; e.g. 100k sequences x 10 topics = 1M topics, and
1k x 10 = 10k topics), each with its SQLite copy and its PostgreSQL copy made the way catalog_query_bench.py makes
them (its functions, its DIR/pg server, databases cq_<label>). One daemon per catalog size x backend x binary, ALL
up at once (--job-workers 0), and every call timed on each daemon in turn (interleaved), so every ratio below is
within one run at one machine load:

  list_page       ListFlights with criteria {"limit": 100} (the paged first page)
  seq_info        GetFlightInfo of a random sequence (10 topics)
  topic_info      GetFlightInfo of a random topic
  session_create  the action on a random sequence (its sessions finalized afterwards, untimed)
  console_page    the web console's sequence list, a page of 50 after a random name (/api/sequences, HTTP)

Every daemon sees the same random draws (seeded alike; indexes within its own catalog). Reported: p50 per daemon
(ms), then ratios of p50s: big/small per backend (flat = ~1), postgres/sqlite per size, before/after per size and
backend (with --baseline-bin). --rounds N repeats the whole measurement N times and reports the median of the
rounds' p50s.

Usage: .venv/bin/python bench/catalog_flat_bench.py --big DIR --small DIR [--bin B] [--baseline-bin B0]
          [--backends sqlite,postgres] [--repeat 30] [--warmup 8] [--rounds 3] [--pg-shared-buffers 1GB]
          [--probes list_page,seq_info,topic_info,session_create,console_page]
"""
import argparse
import json
import os
import random
import statistics
import time
from types import SimpleNamespace

import urllib.request

import pyarrow.flight as fl

import bench_daemon
import catalog_query_bench as cq
from query_bench import action
from flight_throughput import free_port, log

PROBES = ("list_page", "seq_info", "topic_info", "session_create", "console_page")


class Daemon(cq.Daemon):
    """catalog_query_bench's daemon (--job-workers 0), with the HTTP listener on (the console's JSON API)."""

    def __init__(self, binary, data_dir, extra):
        self.http_port = free_port()
        d = bench_daemon.launch(binary, data_dir, ["--job-workers", "0", "--http-port", str(self.http_port), *extra],
                                timeout=600, poll=0.1)
        self.port, self.log_path, self.log_file, self.proc = d.port, d.log_path, d.log_file, d.proc
        self.url, self.client = d.url, d.client


def catalog(dir_, args, labels):
    """(sequences, {(backend, label): catalog url}) for a filled catalog_query_bench dir."""
    info = json.load(open(os.path.join(dir_, "fill.json")))
    a = SimpleNamespace(dir=dir_, bin=labels[-1][1], baseline_bin=labels[0][1] if len(labels) == 2 else None,
                        pg_shared_buffers=args.pg_shared_buffers)
    urls = {}
    backends = args.backends.split(",")
    pg = None
    if "postgres" in backends:
        pg = cq.PgServer(a)
        cq.pg_base(a, pg)
    for backend in backends:
        for label, _ in labels:
            urls[(backend, label)] = cq.sqlite_copy(a, label) if backend == "sqlite" else cq.pg_copy(a, pg, label)
    return info["sequences"], urls


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--big", required=True)
    ap.add_argument("--small", required=True)
    ap.add_argument("--bin", default=os.environ.get("MOSAICOD_BIN", os.path.join(cq.ROOT, "build", "mosaicod")))
    ap.add_argument("--baseline-bin")
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=8, help="untimed calls per daemon and probe first")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--pg-shared-buffers", default="1GB")
    ap.add_argument("--probes", default=",".join(PROBES), help="comma-separated subset of " + ", ".join(PROBES))
    args = ap.parse_args()
    probes = [p for p in PROBES if p in args.probes.split(",")]
    labels = ([("before", args.baseline_bin)] if args.baseline_bin else []) + [("after", args.bin)]

    daemons = []  # (size, backend, label, n_sequences, Daemon)
    try:
        for size, dir_ in (("big", args.big), ("small", args.small)):
            n, urls = catalog(dir_, args, labels)
            store = os.path.join(dir_, "fill", "store")
            for (backend, label), url in urls.items():
                binary = dict(labels)[label]
                d = os.path.join(dir_, f"flat-{backend}-{label}")
                os.makedirs(d, exist_ok=True)
                log(f"starting {size}/{backend}/{label}")
                daemons.append((size, backend, label, n,
                                Daemon(binary, d, ["--catalog", url, "--store", store, "--log-level", "warn"])))
        load = os.getloadavg()[0]
        page = json.dumps({"limit": 100}).encode()

        def probe(kind, dm, n, rnd, opened):
            c = dm.client
            if kind == "list_page":
                items = list(c.list_flights(criteria=page))
                assert 0 < len(items) <= 100, len(items)
            elif kind == "seq_info":
                loc = f"run_{rnd.randrange(n):06d}"
                c.get_flight_info(fl.FlightDescriptor.for_command(json.dumps({"resource_locator": loc})))
            elif kind == "topic_info":
                loc = f"run_{rnd.randrange(n):06d}/{cq.SENSORS[rnd.randrange(len(cq.SENSORS))][0]}"
                c.get_flight_info(fl.FlightDescriptor.for_command(json.dumps({"resource_locator": loc})))
            elif kind == "console_page":
                url = f"http://127.0.0.1:{dm.http_port}/api/sequences?limit=50&after=run_{rnd.randrange(n):06d}"
                with urllib.request.urlopen(url, timeout=60) as resp:
                    assert json.loads(resp.read())["items"] is not None
            else:
                opened.append((c, action(c, "session_create", {"locator": f"run_{rnd.randrange(n):06d}"})[0]["uuid"]))

        rounds = []  # per round: {(probe, key): p50 s}
        first = {}  # (probe, key): seconds of the daemon's first call of that probe (round 1's first warm-up call)
        for r in range(args.rounds):
            p50s = {}
            for kind in probes:
                opened = []
                rnds = {id(dm): random.Random(1000 * r + PROBES.index(kind)) for *_, dm in daemons}
                samples = {}
                for size, backend, label, n, dm in daemons:
                    for w in range(args.warmup):
                        t = time.perf_counter()
                        probe(kind, dm, n, rnds[id(dm)], opened)
                        if r == 0 and w == 0:  # the daemon's first call of this kind (cold statements)
                            first[(kind, (size, backend, label))] = time.perf_counter() - t
                    samples[(size, backend, label)] = []
                order = list(daemons)
                for i in range(args.repeat):  # interleaved, the order rotating
                    for size, backend, label, n, dm in order[i % len(order):] + order[:i % len(order)]:
                        t = time.perf_counter()
                        probe(kind, dm, n, rnds[id(dm)], opened)
                        samples[(size, backend, label)].append(time.perf_counter() - t)
                for c, uuid in opened:
                    action(c, "session_finalize", {"session_uuid": uuid})
                for k, v in samples.items():
                    p50s[(kind, k)] = statistics.median(v)
            rounds.append(p50s)
            log(f"round {r + 1}/{args.rounds} done, load {os.getloadavg()[0]:.1f}")
        load_after = os.getloadavg()[0]
    finally:
        for *_, dm in daemons:
            dm.stop()

    keys = [(s, b, l) for s, b, l, _, _ in daemons]
    sizes = {s: n for s, _, _, n, _ in daemons}
    med = {k: statistics.median(rd[k] for rd in rounds) * 1e3 for k in rounds[0]}
    print(f"\ncatalog_flat_bench: big {sizes['big']} sequences, small {sizes['small']} (x {len(cq.SENSORS)} topics); "
          f"p50 of {args.repeat} interleaved calls after {args.warmup} warm-up, median of {args.rounds} rounds; "
          f"load {load:.1f} before, {load_after:.1f} after")
    print(f"{'probe':15}" + "".join(f" {s + '/' + b[:2] + '/' + l:>18}" for s, b, l in keys))
    for kind in probes:
        print(f"{kind:15}" + "".join(f" {med[(kind, k)]:18.3f}" for k in keys))
    if args.warmup:
        print("first call of each probe on the fresh daemon (ms; PostgreSQL: the pooled connection's first use of "
              "these statements) / its warm p50")
        for kind in probes:
            print(f"{kind:15}" + "".join(f" {first[(kind, k)] * 1e3:9.3f} /{first[(kind, k)] * 1e3 / med[(kind, k)]:6.1f}x"
                                         for k in keys))
    ratios = []
    backends = args.backends.split(",")
    for b in backends:
        for l, _ in labels:
            ratios.append((f"big/small {b[:2]} {l}", ("big", b, l), ("small", b, l)))
    if len(backends) == 2:
        for s in ("big", "small"):
            for l, _ in labels:
                ratios.append((f"pg/sqlite {s} {l}", (s, "postgres", l), (s, "sqlite", l)))
    if len(labels) == 2:
        for s in ("big", "small"):
            for b in backends:
                ratios.append((f"before/after {s} {b[:2]}", (s, b, "before"), (s, b, "after")))
    print("\nratios of p50s")
    print(f"{'':28}" + "".join(f" {k:>14}" for k in probes))
    for name, a, b in ratios:
        print(f"{name:28}" + "".join(f" {med[(k, a)] / med[(k, b)]:14.2f}" for k in probes))


if __name__ == "__main__":
    main()
