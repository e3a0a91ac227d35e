#!/usr/bin/env python3
"""Metadata-query latency on a large catalog (issue #12, item 4): 100k sequences x 10 topics (1M topics) by
default, on SQLite and on PostgreSQL, for one or two mosaicod binaries in the same run (interleaved).

The catalog is filled ONCE into a data dir and reused by later runs:

  fill     A daemon (--fill-bin, SQLite + local store) started with --job-workers 0 receives, from --fill-clients
           client processes (2 threads each), per sequence: sequence_create (user metadata ~10 keys: nested
           objects, numbers, strings, booleans, a list, as query_bench's catalog part), session_create, 10 x
           topic_create (ontology tag + nested sensor metadata), session_finalize. Everything in catalog and store
           is what the daemon itself writes; only the background jobs (the recover_sequence job queued by every
           finalize) are left pending, because they scan the whole catalog per job at f44f143 and would make the
           fill take hours. The dir gets fill.json when done; a later run with the same --dir skips the fill.
  postgres Database cq_base of a throwaway server (scripts/pg_test_server.sh, kept in DIR/pg): the schema created
           by the first binary, then the filled SQLite catalog's sequences, sessions and topics copied verbatim
           (ids included), so PostgreSQL holds exactly the rows the daemon wrote (`mosaicod rebuild` into
           PostgreSQL runs at ~12 sequences/s here: hours for 100k). Each binary gets cq_<label>, a copy of it
           that it migrates itself. Databases are kept and reused.
  jobs     The fill leaves one pending recover_sequence job per sequence; every start-up would re-check all of
           them (minutes). Nothing crashed during the fill, so the copies drop those jobs.
  query    For each backend and binary: a daemon (--job-workers 0, so that no background work disturbs timings)
           on a private copy of the catalog (SQLite: sqlite-<label>/catalog.db, copied once from the filled one,
           so each binary migrates its own copy; the store is the fill's); p50/p99 over --repeat runs of the typical metadata queries, of the `info`
           action (the RPC floor), of the whole ListFlights listing, of GetFlightInfo (a random sequence, a random
           topic) and of session_create (its sessions finalized afterwards, untimed). With two binaries the runs interleave, query by
           query, and ratios are within the run.

Usage: .venv/bin/python bench/catalog_query_bench.py --dir DIR [--sequences 100000] [--bin B] [--baseline-bin B0]
                      [--backends sqlite,postgres] [--repeat 30] [--warmup 1] [--queries SUBSTR,...]
                      [--client json,raw,sdk] [--fill-clients 3] [--fill-bin B]
"""
import argparse
import json
import multiprocessing as mp
import os
import random
import signal
import subprocess
import time

import pyarrow.flight as fl

import bench_daemon
from query_bench import action, create_recorded_sequence
from flight_throughput import free_port, log  # bench/ is the script's directory, so on sys.path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SENSORS = [("imu", "IMU"), ("gps", "GPS"), ("cam_front", "Image"), ("cam_rear", "Image"), ("lidar", "PointCloud"),
           ("joints", "JointState"), ("odom", "Odometry"), ("tf", "Transform"), ("battery", "BatteryState"),
           ("radar", "Radar")]


class Daemon:
    def __init__(self, binary, data_dir, extra=(), log_name=None):
        d = bench_daemon.launch(binary, data_dir, ["--job-workers", "0", "--http-port", "0", *extra], log_name,
                                timeout=600, poll=0.1)
        self.port, self.log_path, self.log_file, self.proc = d.port, d.log_path, d.log_file, d.proc
        self.url, self.client = d.url, d.client

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(120)
        self.log_file.close()


# ---------------------------------------------------------------- fill

def _fill_worker(url, indices, seed, counter):
    from concurrent.futures import ThreadPoolExecutor
    client = fl.FlightClient(url)

    def one(i):
        rnd = random.Random(seed * 1_000_003 + i)
        seq = f"run_{i:06d}"
        create_recorded_sequence(client, seq, rnd, i, SENSORS)
        with counter.get_lock():
            counter.value += 1

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(one, indices))


def fill(args):
    marker = os.path.join(args.dir, "fill.json")
    if os.path.exists(marker):
        info = json.load(open(marker))
        log(f"fill: reusing {args.dir} ({info['sequences']} sequences x {info['topics_per_sequence']} topics)")
        return info
    data = os.path.join(args.dir, "fill")
    if os.path.exists(data):
        raise SystemExit(f"{data} exists without fill.json (an interrupted fill): delete it")
    os.makedirs(data)
    daemon = Daemon(args.fill_bin, data, log_name="fill-daemon.log")
    started = time.time()
    ctx = mp.get_context("spawn")  # gRPC does not survive fork()
    counter = ctx.Value("l", 0)
    procs = [ctx.Process(target=_fill_worker, args=(daemon.url, range(k, args.sequences, args.fill_clients), 7,
                                                   counter)) for k in range(args.fill_clients)]
    for p in procs:
        p.start()
    last = 0
    while any(p.is_alive() for p in procs):
        time.sleep(10)
        done = counter.value
        log(f"fill: {done}/{args.sequences} sequences, {(done - last) / 10:.0f}/s now, "
            f"{done / (time.time() - started):.0f}/s overall")
        last = done
    for p in procs:
        p.join()
        if p.exitcode != 0:
            daemon.stop()
            raise SystemExit("fill: a client process failed")
    daemon.stop()
    elapsed = time.time() - started
    info = {"sequences": args.sequences, "topics_per_sequence": len(SENSORS), "seconds": round(elapsed, 1),
            "fill_bin": args.fill_bin, "catalog_bytes": os.path.getsize(os.path.join(data, "catalog.db"))}
    json.dump(info, open(marker, "w"))
    log(f"fill: done in {elapsed:.0f} s ({args.sequences / elapsed:.0f} sequences/s)")
    return info


# ---------------------------------------------------------------- copies per binary

def sqlite_copy(args, label):
    """DIR/sqlite-<label>/catalog.db: a copy of the filled catalog (SQLite's backup API), made once."""
    import sqlite3
    d = os.path.join(args.dir, f"sqlite-{label}")
    db = os.path.join(d, "catalog.db")
    if not os.path.exists(os.path.join(d, "copied")):
        os.makedirs(d, exist_ok=True)
        log(f"sqlite: copying the catalog for {label}")
        src = sqlite3.connect(os.path.join(args.dir, "fill", "catalog.db"))
        dst = sqlite3.connect(db)
        src.backup(dst)
        src.close()
        dst.close()
        open(os.path.join(d, "copied"), "w").close()
    # The fill left one pending recover_sequence job per sequence (it ran with --job-workers 0); a daemon would
    # re-check all 100k sequences at every start-up. Nothing crashed during the fill, so there is nothing to
    # recover: the copies drop those jobs (the PostgreSQL copy does not take the jobs table at all).
    con = sqlite3.connect(db)
    con.execute("DELETE FROM jobs WHERE kind = 'recover_sequence' AND state = 'pending'")
    con.commit()
    con.close()
    return f"sqlite://{db}"


class PgServer:
    """scripts/pg_test_server.sh kept in DIR/pg (started if not running)."""

    def __init__(self, args):
        self.dir = os.path.join(args.dir, "pg")
        script = os.path.join(ROOT, "scripts", "pg_test_server.sh")
        url = subprocess.run([script, "url", self.dir], capture_output=True, text=True)
        alive = url.returncode == 0 and self._alive(url.stdout.strip())
        if alive and self._alive(url.stdout.strip(), "SHOW shared_buffers", args.pg_shared_buffers) is False:
            subprocess.run([script, "stop", self.dir], capture_output=True)  # restarted with the wanted cache
            alive = False
        if not alive:
            env = dict(os.environ, PG_SHARED_BUFFERS=args.pg_shared_buffers)
            url = subprocess.run([script, "start", self.dir], capture_output=True, text=True, check=True, env=env)
        self.admin = url.stdout.strip().splitlines()[-1]

    @staticmethod
    def _alive(url, sql="SELECT 1", want=None):
        if not url:
            return False
        r = subprocess.run(["psql", url, "-qAtc", sql], capture_output=True, text=True)
        if want is not None:
            return r.stdout.strip() == want
        return r.returncode == 0

    def url(self, db):
        return self.admin.rsplit("/", 1)[0] + "/" + db

    def psql(self, db, sql, **kw):
        return subprocess.run(["psql", self.url(db), "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql], check=True,
                              capture_output=True, text=True, **kw).stdout.strip()

    def has_db(self, db):
        return self.psql("postgres", f"SELECT count(*) FROM pg_database WHERE datname = '{db}'") == "1"


def migrate_only(binary, catalog_url, args):
    """Lets `binary` create/migrate the catalog schema: a daemon over an empty store, started and stopped."""
    d = os.path.join(args.dir, "empty-store")
    os.makedirs(d, exist_ok=True)
    Daemon(binary, d, ["--catalog", catalog_url, "--store", os.path.join(d, "store")], log_name="migrate.log").stop()


def pg_base(args, pg):
    """Database cq_base: the schema of the FIRST binary (--baseline-bin when given) plus the filled SQLite
    catalog's sequences, sessions and topics, copied verbatim (ids included): the rows the daemon wrote.
    (`mosaicod rebuild` into PostgreSQL writes ~12 sequences/s here: 2.3 hours for 100k.)"""
    if pg.has_db("cq_base"):
        return
    import csv
    import sqlite3
    first = args.baseline_bin or args.bin
    pg.psql("postgres", "CREATE DATABASE cq_base_tmp")
    migrate_only(first, pg.url("cq_base_tmp"), args)
    src = sqlite3.connect(os.path.join(args.dir, "fill", "catalog.db"))
    tables = {
        "sequences": ["id", "name", "user_metadata", "created_at_ns"],
        "sessions": ["id", "sequence_id", "session_key", "uuid", "created_at_ns", "completed_at_ns", "locked"],
        "topics": ["id", "sequence_id", "session_id", "name", "uuid", "ontology_tag", "serialization_format",
                   "user_metadata", "created_at_ns", "completed_at_ns", "locked", "schema_ipc", "upload_id"],
    }
    for table, cols in tables.items():
        path = os.path.join(args.dir, f"{table}.csv")
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            for row in src.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY id"):
                w.writerow(["\\x" + r.hex() if isinstance(r, bytes) else r for r in row])
        select = ", ".join(f"{c}::int::boolean" if c == "locked" else c for c in cols)
        # A schema with maintained counts (a per-row trigger adding 1 to one catalog_counts row) would update that
        # row once per copied row in one transaction, slower with every update (1M topics: hours). So the count
        # trigger is off during the copy and the count set once after it; the other triggers (the metadata values
        # table) stay on.
        counted = (f"SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = '{table}_count' "
                   f"AND tgrelid = '{table}'::regclass) AS counted \\gset\n")
        count_off = f"\\if :counted\nALTER TABLE {table} DISABLE TRIGGER {table}_count;\n\\endif\n"
        count_on = (f"\\if :counted\nDELETE FROM catalog_counts WHERE name = '{table}';\n"
                    f"INSERT INTO catalog_counts (name, shard, value) SELECT '{table}', 0, count(*) FROM {table};\n"
                    f"ALTER TABLE {table} ENABLE TRIGGER {table}_count;\n\\endif\n")
        script = (f"CREATE TEMP TABLE stage (LIKE {table}); "
                  + (f"ALTER TABLE stage ALTER COLUMN locked TYPE int USING locked::int; " if "locked" in cols else "")
                  + f"\\copy stage ({', '.join(cols)}) FROM '{path}' CSV\n"
                  + counted + count_off
                  + f"INSERT INTO {table} ({', '.join(cols)}) OVERRIDING SYSTEM VALUE SELECT {select} FROM stage;\n"
                  + count_on
                  + f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}));\n")
        log(f"postgres: copying {table}")
        subprocess.run(["psql", pg.url("cq_base_tmp"), "-v", "ON_ERROR_STOP=1", "-q"], input=script, text=True,
                       check=True, capture_output=True)
        os.remove(path)
    pg.psql("cq_base_tmp", "VACUUM ANALYZE")
    pg.psql("postgres", "ALTER DATABASE cq_base_tmp RENAME TO cq_base")


def pg_copy(args, pg, label):
    db = f"cq_{label}"
    if not pg.has_db(db):
        pg.psql("postgres", f"CREATE DATABASE {db} TEMPLATE cq_base")
    return pg.url(db)


# ---------------------------------------------------------------- queries

QUERIES = [
    ("sequence name glob", {"sequence": {"name": {"$match": "run_0123*"}}}),
    # The same shape at growing answer sizes (at 100k sequences x 10 topics: 10k, 20k, 50k, 100k topics), to find
    # where a p50 crosses a line; a name range is cheap SQL, so the cost is per result topic.
    ("sequence name range 1%", {"sequence": {"name": {"$match": "run_000*"}}}),
    ("sequence name range 2%", {"sequence": {"name": {"$match": "run_00[01]*"}}}),
    ("sequence name range 5%", {"sequence": {"name": {"$match": "run_00[0-4]*"}}}),
    ("sequence name range 10%", {"sequence": {"name": {"$match": "run_01*"}}}),
    ("sequence metadata eq", {"sequence": {"user_metadata": {"env.weather": {"$eq": "rain"}}}}),
    ("sequence metadata eq, 1%", {"sequence": {"user_metadata": {"robot.id": {"$eq": "r-042"}}}}),
    ("sequence metadata range + site", {"sequence": {"user_metadata": {"env.temp_c": {"$between": [30, 35]},
                                                                       "site": {"$in": ["turin", "lab"]}}}}),
    ("sequence metadata ** key", {"sequence": {"user_metadata": {"**.fw": {"$eq": "1.2.3"}}}}),
    ("topic tag + sequence metadata", {"sequence": {"user_metadata": {"env.weather": {"$eq": "fog"}}},
                                       "topic": {"ontology_tag": {"$eq": "IMU"}}}),
    ("topic metadata", {"topic": {"user_metadata": {"sensor.rate_hz": {"$geq": 1000}, "calibrated": {"$eq": True}}}}),
    ("topic metadata eq + tag", {"topic": {"ontology_tag": {"$eq": "Radar"},
                                           "user_metadata": {"sensor.model": {"$eq": "radar-m3"}}}}),
    ("topic name exact", {"topic": {"name": {"$eq": "lidar"}}, "sequence": {"name": {"$eq": "run_042424"}}}),
]


def sdk_query(client, q):
    """The SDK's `MosaicoClient.query` path after its query builders: _do_action (json.loads, then a dataclass per
    topic through _DoActionQueryResponse.from_dict) on the raw query dict."""
    from mosaicolabs.comm.do_action import _do_action, _DoActionQueryResponse
    from mosaicolabs.enum import FlightAction
    return _do_action(client=client, action=FlightAction.QUERY, payload=q,
                      expected_type=_DoActionQueryResponse).query_response


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def pct(samples, q):
    s = sorted(samples)
    return s[min(len(s) - 1, int(len(s) * q))]


def run_queries(args):
    labels = [("before", args.baseline_bin)] if args.baseline_bin else []
    labels.append(("after", args.bin))
    backends = args.backends.split(",")
    pg = PgServer(args) if "postgres" in backends else None
    if pg:
        pg_base(args, pg)
    daemons = []  # (backend, label, Daemon)
    store = os.path.join(args.dir, "fill", "store")
    try:
        for backend in backends:
            for label, binary in labels:
                url = sqlite_copy(args, label) if backend == "sqlite" else pg_copy(args, pg, label)
                d = os.path.join(args.dir, f"run-{backend}-{label}")
                os.makedirs(d, exist_ok=True)
                log(f"starting {backend}/{label} ({binary})")
                t, daemon = timed(lambda: Daemon(binary, d, ["--catalog", url, "--store", store]))
                log(f"  up in {t:.1f} s")
                daemons.append((backend, label, daemon))
        load = os.getloadavg()
        results = {}  # name -> {(backend,label): (n_seq, n_topics, samples)}

        def measure(name, fn, count):
            per = {}
            for backend, label, dm in daemons:
                for _ in range(max(args.warmup, 1)):  # warm-up (every pooled connection's first use); the last
                    _, out = timed(lambda: fn(dm))        # call's answer gives the result size, so at least one
                per[(backend, label)] = (count(out), [])
            for _ in range(args.repeat):  # interleaved: one call per daemon per round
                for backend, label, dm in daemons:
                    t, _ = timed(lambda: fn(dm))
                    per[(backend, label)][1].append(t)
            results[name] = per
            log(f"{name}: " + ", ".join(f"{b}/{l} {pct(v[1], 0.5) * 1e3:.1f} ms" for (b, l), v in per.items()))

        measure("info (RPC floor)", lambda dm: action(dm.client, "info", {}), lambda out: "")
        # Arrow C++'s gRPC client (under pyarrow) reads the whole ListFlights stream before it yields the first item,
        # so this is the unpaged listing the SDK's list_sequences waits for; catalog_scale.py times a paged first page.
        if not args.queries:  # 6-7 s per call at 1M topics: only in full runs
            measure("ListFlights whole listing", lambda dm: next(iter(dm.client.list_flights())), lambda out: "")
        # Fixed-shape catalog statements (PostgreSQL runs them as prepared statements from their second use on a
        # pooled connection): GetFlightInfo of a sequence and of a topic, session_create (its sessions are finalized
        # afterwards, untimed).
        rnd = random.Random(11)
        opened = []  # (daemon, session uuid)

        def info(dm, topic):
            loc = f"run_{rnd.randrange(args.sequences):06d}" + (f"/{SENSORS[rnd.randrange(len(SENSORS))][0]}"
                                                                if topic else "")
            return dm.client.get_flight_info(fl.FlightDescriptor.for_command(json.dumps({"resource_locator": loc})))

        def session_create(dm):
            s = action(dm.client, "session_create", {"locator": f"run_{rnd.randrange(args.sequences):06d}"})[0]
            opened.append((dm, s["uuid"]))

        if not args.queries:
            measure("GetFlightInfo sequence", lambda dm: info(dm, False), lambda out: "")
            measure("GetFlightInfo topic", lambda dm: info(dm, True), lambda out: "")
            measure("session_create", session_create, lambda out: "")
            for dm, uuid in opened:
                action(dm.client, "session_finalize", {"session_uuid": uuid})
        def count(out):
            items = out[0]["items"]
            return f"{len(items)}/{sum(len(it['topics']) for it in items)}"

        def raw_count(out):  # out: the reply's bytes (one Flight result), parsed only for the size column
            return count([json.loads(out)["response"]])

        def sdk_count(out):
            return f"{len(out.items)}/{sum(len(it.topics) for it in out.items)}"

        clients = args.client.split(",")
        for name, q in [(n, q) for n, q in QUERIES if not args.queries or any(w in n for w in args.queries.split(","))]:
            for client in clients:
                label = name if len(clients) == 1 and client == "json" else f"{name} [{client}]"
                if client == "json":  # the reply's bytes + json.loads (what this bench timed before --client)
                    measure(label, lambda dm, q=q: action(dm.client, "query", q), count)
                elif client == "raw":  # the daemon's share: do_action until the last byte is received, no decode
                    measure(label, lambda dm, q=q: b"".join(
                        r.body.to_pybytes() for r in dm.client.do_action(fl.Action("query", json.dumps(q).encode()))),
                        raw_count)
                elif client == "sdk":  # mosaicolabs' own decoding (_do_action -> QueryResponse), as client.query
                    measure(label, lambda dm, q=q: sdk_query(dm.client, q), sdk_count)
                else:
                    raise SystemExit(f"--client: unknown mode {client!r}")
        load_after = os.getloadavg()
    finally:
        for _, _, dm in daemons:
            dm.stop()
    keys = [(b, l) for b, l, _ in daemons]
    print(f"\ncatalog_query_bench: {args.sequences} sequences x {len(SENSORS)} topics; {args.repeat} interleaved runs "
          f"per query; load average {load[0]:.1f} before, {load_after[0]:.1f} after")
    print("p50 / p99 ms; seqs/topics = result size; " + ", ".join(f"{b}/{l}" for b, l in keys))
    head = f"{'query':32} {'seqs/topics':>13}" + "".join(f" {b[:6] + '/' + l:>19}" for b, l in keys)
    ratios = []
    if len(labels) == 2:
        ratios += [(f"{b[:6]} before/after", (b, "before"), (b, "after")) for b in backends]
    if "sqlite" in backends and "postgres" in backends:
        ratios += [(f"pg/sqlite {l}", ("postgres", l), ("sqlite", l)) for l, _ in labels]
    print(head + "".join(f" {r[0]:>20}" for r in ratios))
    for name, per in results.items():
        size = per[keys[-1]][0]
        line = f"{name:32} {size:>13}"
        for k in keys:
            line += f" {pct(per[k][1], 0.5) * 1e3:9.2f}/{pct(per[k][1], 0.99) * 1e3:9.2f}"
        for _, a, b in ratios:
            line += f" {pct(per[a][1], 0.5) / pct(per[b][1], 0.5):20.2f}"
        print(line)
    # The migrated copy of the last binary (it holds what that binary adds, e.g. the metadata index of schema 6).
    sizes = {}
    if "sqlite" in backends:
        sizes["sqlite"] = os.path.getsize(os.path.join(args.dir, f"sqlite-{labels[-1][0]}", "catalog.db"))
    if pg:
        sizes["postgres"] = int(pg.psql("cq_after", "SELECT pg_database_size(current_database())"))
    topics = args.sequences * len(SENSORS)
    print("catalog size on disk per topic: " + ", ".join(f"{k} {v / topics:.0f} B" for k, v in sizes.items()))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", required=True, help="data dir, filled once and reused")
    ap.add_argument("--sequences", type=int, default=100_000)
    ap.add_argument("--fill-clients", type=int, default=3)
    ap.add_argument("--fill-bin", default="/tmp/baseline/mosaicod-f44f143")
    ap.add_argument("--fill-only", action="store_true")
    ap.add_argument("--bin", default=os.environ.get("MOSAICOD_BIN", os.path.join(ROOT, "build", "mosaicod")))
    ap.add_argument("--baseline-bin", help="a second binary (\"before\"), measured interleaved with --bin")
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=1,
                    help="untimed calls per daemon and query first (a pooled PostgreSQL connection's first use of "
                         "an index costs tens of ms: use ~8 to time warm connections)")
    ap.add_argument("--queries", default="", help="comma-separated substrings: only the metadata queries named so "
                    "(and no ListFlights, GetFlightInfo or session_create probes)")
    ap.add_argument("--client", default="json",
                    help="comma-separated, how each metadata query is called and timed: json (do_action + json.loads "
                         "of the reply, the default), raw (do_action until the reply's last byte is received, no "
                         "decoding: the daemon's share plus gRPC), sdk (mosaicolabs' _do_action, the decoding "
                         "MosaicoClient.query does); with several, each query gets a row per mode")
    ap.add_argument("--pg-shared-buffers", default="1GB",
                    help="the PostgreSQL server's cache (the test server's 32MB holds 5%% of a 1M-topic catalog)")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    info = fill(args)
    args.sequences = info["sequences"]
    if not args.fill_only:
        run_queries(args)


if __name__ == "__main__":
    main()
