"""Differential tests of the query engine (issue #3): thousands of seeded random requests, each answered by a fresh
daemon and by the plain-Python reference evaluator (query_reference.py, which implements docs/QUERY.md); the two
must agree exactly, errors included (a request the reference rejects must get INVALID_ARGUMENT, an unknown locator
NOT_FOUND, and the daemon must reject nothing else).

The dataset (query_datagen.build_dataset) is a few hundred sequences, ~6 000 rows, plus a few big topics spanning
several 1 MiB chunks with time-correlated values, so that chunk pruning by statistics is exercised.

Environment:
  MOSAICO_QUERY_SEED       seed of the dataset and of the requests (default 20260611; "random" picks one). The seed
                           is printed in every failure: rerun with it to reproduce.
  MOSAICO_QUERY_N          number of `query` requests (default 3000)
  MOSAICO_QUERY_CLUSTERIZE number of `topic_filter_clusterize` requests (default 300)
  MOSAICO_QUERY_INTERSECT  number of `topic_filter_intersect` requests (default 200)
  MOSAICO_QUERY_WORKERS    concurrent request threads, one connection each (default 2)
  MOSAICO_QUERY_REPORT     where to write every difference as JSON (default: a file in the pytest tmp dir)

A difference fails the test with the request JSON, a readable diff and a shrunk request that still differs (fewer
conditions, scoped to one sequence where possible).
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import pyarrow.flight as fl
import pytest

import query_datagen as gen
import query_gen as qgen
import query_reference as ref
from mosaico_testlib import grpc_code_of

_seed_env = os.environ.get("MOSAICO_QUERY_SEED", "20260611")
SEED = random.SystemRandom().randrange(1, 2**31) if _seed_env == "random" else int(_seed_env)
N_QUERIES = int(os.environ.get("MOSAICO_QUERY_N", "3000"))
N_CLUSTERIZE = int(os.environ.get("MOSAICO_QUERY_CLUSTERIZE", "300"))
N_INTERSECT = int(os.environ.get("MOSAICO_QUERY_INTERSECT", "200"))
WORKERS = max(1, int(os.environ.get("MOSAICO_QUERY_WORKERS", "2")))
REPORT = os.environ.get("MOSAICO_QUERY_REPORT", "")
MAX_DETAILED = 6  # differences shown in full (all of them go to the report file)
MAX_SHRUNK = 4  # differences shrunk (each costs up to a few hundred requests)

pytestmark = [pytest.mark.timeout(300), pytest.mark.s3_slow]  # s3_slow: thousands of queries


# ----------------------------------------------------------------------------------------------------------------------
# Fixtures
# ----------------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def qdaemon(module_daemon_factory):
    return module_daemon_factory(extra_args=["--chunk-size-mb", "1"])


@pytest.fixture(scope="module")
def qdata(qdaemon):
    t0 = time.monotonic()
    full = gen.build_dataset(SEED)
    gen.upload_dataset(qdaemon.location, full)
    print(f"\n[query differential] seed={SEED} dataset {gen.dataset_stats(full)} uploaded in "
          f"{time.monotonic() - t0:.1f}s")
    return gen.public_dataset(full), full


@pytest.fixture(scope="module")
def runner(qdaemon):
    r = Runner(qdaemon.location)
    yield r
    r.close()


@pytest.fixture(scope="module")
def report_path(tmp_path_factory):
    return REPORT or str(tmp_path_factory.mktemp("query-diff") / f"differences-seed{SEED}.json")


# ----------------------------------------------------------------------------------------------------------------------
# Requests and outcomes
# ----------------------------------------------------------------------------------------------------------------------


class Runner:
    """Sends DoAction requests over a few long-lived connections (one per thread)."""

    def __init__(self, location: str):
        self.location = location
        self._local = threading.local()
        self._clients: list = []
        self._lock = threading.Lock()

    def _client(self) -> fl.FlightClient:
        c = getattr(self._local, "c", None)
        if c is None:
            c = fl.FlightClient(self.location)
            self._local.c = c
            with self._lock:
                self._clients.append(c)
        return c

    def call(self, action: str, body: Any) -> tuple:
        """('ok', [envelope, ...]) | ('error', exception)."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        try:
            results = [r.body.to_pybytes() for r in self._client().do_action(
                fl.Action(action, raw), options=fl.FlightCallOptions(timeout=60))]
        except Exception as e:  # noqa: BLE001 - classified by the caller
            return ("error", e)
        envs = []
        for b in results:
            try:
                envs.append(json.loads(b.decode("utf-8")))
            except Exception as e:  # noqa: BLE001
                return ("bad_reply", f"result body is not JSON: {b[:200]!r} ({e})")
        return ("ok", envs)

    def call_many(self, action: str, bodies: list) -> list:
        if WORKERS == 1:
            return [self.call(action, b) for b in bodies]
        with ThreadPoolExecutor(max_workers=WORKERS) as ex:
            return list(ex.map(lambda b: self.call(action, b), bodies))

    def close(self):
        for c in self._clients:
            c.close()


def reference_outcome(fn: Callable, ds: dict, body: Any) -> tuple:
    try:
        return ("ok", fn(ds, body))
    except ref.QueryError as e:
        return ("error", "INVALID_ARGUMENT", e.key)
    except ref.NotFound as e:
        return ("error", "NOT_FOUND", e.locator)


def daemon_outcome(action: str, raw: tuple) -> tuple:
    """Normalizes a daemon answer: ('ok', payload) | ('error', code, message) | ('bad_reply', why)."""
    if raw[0] == "bad_reply":
        return raw
    if raw[0] == "error":
        return ("error", grpc_code_of(raw[1]), str(raw[1]))
    envs = raw[1]
    for env in envs:
        if not isinstance(env, dict) or env.get("action") != action or "response" not in env:
            return ("bad_reply", f"bad result envelope {str(env)[:300]}")
    if action == "query":
        if len(envs) != 1:
            return ("bad_reply", f"`query` sent {len(envs)} results, want exactly 1")
        return ("ok", envs[0]["response"])
    return ("ok", [env["response"] for env in envs])


def compare(action: str, want: tuple, got: tuple) -> str:
    """'' when the daemon's outcome is the reference's, else a readable difference."""
    if want[0] == "error":
        if got[0] == "error" and got[1] == want[1]:
            key = want[2]
            if want[1] == "INVALID_ARGUMENT" and key and key != "<body>" and key not in got[2]:
                return f"error message does not name the key {key!r}: {got[2][:300]!r}"
            return ""
        if got[0] == "error":
            return f"want {want[1]} (key {want[2]!r}), daemon answered {got[1]}: {got[2][:400]!r}"
        return f"want {want[1]} (key {want[2]!r}), daemon answered {str(got[1])[:400]}"
    if got[0] == "bad_reply":
        return f"malformed reply: {got[1]}"
    if got[0] == "error":
        return f"daemon answered {got[1]}: {got[2][:400]!r}"
    if action == "query":
        return ref.diff_replies(want[1], got[1])
    return ref.diff_windows(want[1], got[1])


REF_FN = {"query": ref.run_query, "topic_filter_clusterize": ref.clusterize, "topic_filter_intersect": ref.intersect}


def differs(runner: Runner, ds: dict, action: str, body: Any) -> str:
    want = reference_outcome(REF_FN[action], ds, body)
    got = daemon_outcome(action, runner.call(action, body))
    return compare(action, want, got)


# ----------------------------------------------------------------------------------------------------------------------
# Shrinking: smaller requests that still differ
# ----------------------------------------------------------------------------------------------------------------------


def _query_candidates(q: Any) -> list:
    """Smaller variants of a query: one section / condition / metadata key / $in value less."""
    out = []
    if not isinstance(q, dict):
        return out
    for sec in list(q):
        out.append({k: v for k, v in q.items() if k != sec})
    for sec, body in q.items():
        if not isinstance(body, dict):
            continue
        for field in list(body):
            if len(body) > 1:
                out.append({**q, sec: {k: v for k, v in body.items() if k != field}})
            cond = body[field]
            if field == "user_metadata" and isinstance(cond, dict) and len(cond) > 1:
                for mk in list(cond):
                    out.append({**q, sec: {**body, field: {k: v for k, v in cond.items() if k != mk}}})
            if isinstance(cond, dict) and len(cond) == 1:
                ((op, arg),) = cond.items()
                if op == "$in" and isinstance(arg, list) and len(arg) > 1:
                    for i in range(len(arg)):
                        out.append({**q, sec: {**body, field: {op: arg[:i] + arg[i + 1:]}}})
    return out


def _scope_candidates(q: Any, ds: dict, diff_text: str) -> list:
    """The query restricted to the one sequence a difference line names (sequence.name $eq)."""
    if not isinstance(q, dict) or not isinstance(q.get("sequence", {}), dict):
        return []
    names = [s["name"] for s in ds["sequences"] if f"'{s['name']}'" in diff_text or f"'{s['name']}/" in diff_text]
    out = []
    for n in names[:2]:
        seq = dict(q.get("sequence") or {})
        if seq.get("name") == {"$eq": n}:
            continue
        seq["name"] = {"$eq": n}
        out.append({**q, "sequence": seq})
    return out


def _clusterize_candidates(b: dict) -> list:
    out = []
    if b.get("timestamp_range") is not None:
        out.append({**b, "timestamp_range": None})
    if b.get("clustering_dt_ns"):
        out.append({**b, "clustering_dt_ns": 0})
    ont = b.get("ontology")
    if isinstance(ont, dict):
        for k in list(ont):
            out.append({**b, "ontology": {kk: v for kk, v in ont.items() if kk != k}})
    return out


def _intersect_candidates(b: dict) -> list:
    out = []
    topics = b.get("topics") or []
    if len(topics) > 2:
        for i in range(len(topics)):
            out.append({**b, "topics": topics[:i] + topics[i + 1:]})
    if b.get("intersect_dt_ns"):
        out.append({**b, "intersect_dt_ns": 0})
    for i, t in enumerate(topics):
        for c in _clusterize_candidates(t):
            out.append({**b, "topics": topics[:i] + [c] + topics[i + 1:]})
    return out


def shrink(runner: Runner, ds: dict, action: str, body: Any, diff_text: str, budget: int = 300) -> tuple:
    """Greedy shrink: (smallest body that still differs, its diff)."""
    cur, cur_diff = body, diff_text
    progress = True
    while progress and budget > 0:
        progress = False
        if action == "query":
            cands = _scope_candidates(cur, ds, cur_diff) + _query_candidates(cur)
        elif action == "topic_filter_clusterize":
            cands = _clusterize_candidates(cur) if isinstance(cur, dict) else []
        else:
            cands = _intersect_candidates(cur) if isinstance(cur, dict) else []
        for c in cands:
            budget -= 1
            d = differs(runner, ds, action, c)
            if d:
                cur, cur_diff, progress = c, d, True
                break
            if budget <= 0:
                break
    return cur, cur_diff


# ----------------------------------------------------------------------------------------------------------------------
# The differential loop
# ----------------------------------------------------------------------------------------------------------------------


def run_differential(runner: Runner, ds: dict, action: str, bodies: list, report_path: str,
                     fail: bool = True) -> dict:
    """Sends every body, compares with the reference; fails (or, fail=False, returns stats["failure"]) on a
    difference."""
    t0 = time.monotonic()
    raws = runner.call_many(action, bodies)
    elapsed = time.monotonic() - t0
    failures = []
    stats = {"ok_empty": 0, "ok_nonempty": 0, "rejected": 0}
    for i, (body, raw) in enumerate(zip(bodies, raws)):
        want = reference_outcome(REF_FN[action], ds, body)
        if want[0] == "error":
            stats["rejected"] += 1
        else:
            payload = want[1]
            empty = not payload["items"] if action == "query" else not payload
            stats["ok_empty" if empty else "ok_nonempty"] += 1
        d = compare(action, want, daemon_outcome(action, raw))
        if d:
            failures.append({"index": i, "request": body, "diff": d})
    stats["daemon_seconds"] = round(elapsed, 2)
    if failures:
        for f in failures[:MAX_SHRUNK]:
            small, small_diff = shrink(runner, ds, action, f["request"], f["diff"])
            f["shrunk_request"], f["shrunk_diff"] = small, small_diff
        _write_report(report_path, action, failures)
        lines = [f"{action}: {len(failures)} of {len(bodies)} requests differ from the reference "
                 f"(seed {SEED}: MOSAICO_QUERY_SEED={SEED} reproduces; all differences in {report_path}); "
                 f"stats {stats}"]
        for f in failures[:MAX_DETAILED]:
            lines.append(f"\n--- request #{f['index']}: {qgen.dumps(f['request'])[:1500]}")
            lines.append(_indent(f["diff"]))
            if "shrunk_request" in f:
                lines.append(f"    shrunk to: {qgen.dumps(f['shrunk_request'])[:1500]}")
                lines.append(_indent(f["shrunk_diff"], 6))
        if fail:
            pytest.fail("\n".join(lines), pytrace=False)
        stats["failure"] = "\n".join(lines)
    return stats


def _indent(text: str, max_lines: int = 8) -> str:
    ls = text.splitlines() or [""]
    more = len(ls) - max_lines
    ls = [("    " + x)[:600] for x in ls[:max_lines]]
    if more > 0:
        ls.append(f"    ... {more} more lines")
    return "\n".join(ls)


def _write_report(path: str, action: str, failures: list):
    try:
        old = json.load(open(path)) if os.path.exists(path) else {}
    except Exception:  # noqa: BLE001
        old = {}
    old[action] = {"seed": SEED, "failures": failures}
    with open(path, "w") as f:
        json.dump(old, f, indent=1, ensure_ascii=False, default=str)


def _check_mix(stats: dict, total: int, what: str, min_nonempty: float = 0.2, min_empty: float = 0.1):
    """The generators must keep producing a healthy mix, or the test proves little."""
    assert stats["ok_nonempty"] >= total * min_nonempty, f"{what}: too few non-empty answers {stats}"
    assert stats["ok_empty"] >= total * min_empty, f"{what}: too few empty answers {stats}"


# ----------------------------------------------------------------------------------------------------------------------
# Tests
# ----------------------------------------------------------------------------------------------------------------------


def test_big_topics_span_several_chunks(qdata):
    """Precondition of the pruning coverage: the big topics were split into several chunks."""
    _, full = qdata
    cams = [t for s in full["sequences"] for t in s["topics"] if t["ontology_tag"] == "cam"]
    assert cams, "the dataset has no big topics"
    for t in cams:
        di = t["_endpoint_md"]["data_info"]
        assert di["total_chunks_count"] >= 2, f"{t['locator']}: {di}"
        assert di["total_row_count"] == len(t["rows"]), f"{t['locator']}: {di}"


def test_query_differential(qdata, runner, report_path):
    ds, _ = qdata
    qg = qgen.QueryGen(ds, SEED + 1)
    bodies = [qg.query() for _ in range(N_QUERIES)]
    stats = run_differential(runner, ds, "query", bodies, report_path)
    print(f"[query differential] query seed={SEED}: {stats}")
    if N_QUERIES >= 500:
        _check_mix(stats, N_QUERIES, "query")
        assert stats["rejected"] >= N_QUERIES * 0.01, f"too few invalid queries {stats}"


def test_clusterize_differential(qdata, runner, report_path):
    ds, _ = qdata
    qg = qgen.QueryGen(ds, SEED + 2)
    bodies = [qg.clusterize_body(allow_empty_ontology=True) for _ in range(N_CLUSTERIZE)]
    stats = run_differential(runner, ds, "topic_filter_clusterize", bodies, report_path)
    print(f"[query differential] clusterize seed={SEED}: {stats}")
    if N_CLUSTERIZE >= 100:
        _check_mix(stats, N_CLUSTERIZE, "clusterize")


def test_intersect_differential(qdata, runner, report_path):
    ds, _ = qdata
    qg = qgen.QueryGen(ds, SEED + 3)
    bodies = [qg.intersect_body(allow_empty_ontology=True) for _ in range(N_INTERSECT)]
    stats = run_differential(runner, ds, "topic_filter_intersect", bodies, report_path)
    print(f"[query differential] intersect seed={SEED}: {stats}")
    if N_INTERSECT >= 100:
        _check_mix(stats, N_INTERSECT, "intersect", min_nonempty=0.1)


def test_sdk_shaped_clusterize_of_query_results(qdata, runner, report_path):
    """What the SDK does after a query: clusterize every returned topic with the query's conditions of its tag."""
    ds, _ = qdata
    qg = qgen.QueryGen(ds, SEED + 4)
    rnd = random.Random(SEED + 4)
    bodies = []
    while len(bodies) < max(20, N_CLUSTERIZE // 3):
        q = {"ontology": qg.ontology_section()}
        try:
            res = ref.run_query(ds, q)
        except ref.QueryError:
            continue
        for item in res["items"]:
            for t in item["topics"]:
                own = {k: v for k, v in q["ontology"].items() if k.split(".", 1)[0] == t["ontology_tag"]}
                bodies.append({"locator": t["locator"], "clustering_dt_ns": rnd.choice([0, 1000, 10_000]),
                               "ontology": own, "timestamp_range": None})
    stats = run_differential(runner, ds, "topic_filter_clusterize", bodies, report_path)
    # every topic the query returned has at least one window, and the single dt=0 window is its timestamp_range
    assert stats["ok_empty"] == 0, f"a topic returned by `query` has no clusterize window: {stats}"


def test_query_is_deterministic(qdata, runner):
    """The same request twice gives the same bytes-equal answer (no order instability across runs/threads)."""
    ds, _ = qdata
    qg = qgen.QueryGen(ds, SEED + 5)
    bodies = [qg.query() for _ in range(60)]
    first = runner.call_many("query", bodies)
    second = runner.call_many("query", bodies)
    for b, x, y in zip(bodies, first, second):
        a = daemon_outcome("query", x)
        c = daemon_outcome("query", y)
        if a[0] == "error":
            assert c[0] == "error" and a[1] == c[1], f"{qgen.dumps(b)}: {a} then {c}"
        else:
            assert a == c, f"{qgen.dumps(b)}: two different answers\n{str(a)[:500]}\n{str(c)[:500]}"


# ----------------------------------------------------------------------------------------------------------------------
# Hand-picked edge cases (every seed): the rules of QUERY.md that random generation reaches only by luck
# ----------------------------------------------------------------------------------------------------------------------

N = None  # JSON null, for $ex / $nex

EDGE_QUERIES = [
    # schema versions of one tag: a topic whose schema lacks the path sees null
    {"ontology": {"evt.extra": {"$nex": N}}},
    {"ontology": {"evt.extra": {"$ex": N}}},
    {"ontology": {"evt.uval": {"$ex": N}}},
    {"ontology": {"evt.uval": {"$nex": N}, "evt.code": {"$ex": N}}},
    {"ontology": {"evt.extra": {"$ex": N}, "evt.uval": {"$ex": N}}},  # no schema has both: nothing
    {"ontology": {"evt.tags[?]": {"$match": "*"}}},
    {"ontology": {"evt.tags[!]": {"$nex": N}}},
    # tags without schema / without rows / unknown
    {"ontology": {"orphan.v": {"$gt": 0}}},
    {"ontology": {"orphan.v": {"$nex": N}}},
    {"ontology": {"ghost.v": {"$nex": N}}},
    {"ontology": {"nosuch.x": {"$eq": 1}, "imu.temp": {"$ex": N}}},
    {"ontology": {"IMU.acc.x": {"$ex": N}}},
    {"topic": {"ontology_tag": {"$eq": "orphan"}}},
    {"topic": {"ontology_tag": {"$in": ["ghost", "orphan"]}}},
    {"topic": {"ontology_tag": {"$eq": "ghost"}}, "ontology": {"imu.temp": {"$ex": N}}},
    # topic names: stored relative, one leading '/' removed from arguments; $match sees the name as the SDK shows it
    # ("/sensors/imu"), a pattern starting with another literal is relative
    {"topic": {"name": {"$match": "?sensors/*"}}},
    {"topic": {"name": {"$match": "?imu*"}}},
    {"topic": {"name": {"$match": "?ensors/imu"}}},
    {"topic": {"name": {"$match": "[/]gps*"}}},
    {"topic": {"name": {"$match": "*/imu"}}},
    {"topic": {"name": {"$match": "#*"}}},
    {"topic": {"name": {"$match": "[a-z]*"}}},
    {"topic": {"name": {"$match": "sensors/*"}}},
    {"topic": {"name": {"$match": "/"}}},
    {"topic": {"name": {"$match": "?"}}},
    {"topic": {"name": {"$match": "??"}}},
    {"sequence": {"name": {"$match": "/*"}}},
    {"topic": {"name": {"$eq": "/sensors/imu"}}},
    {"topic": {"name": {"$eq": "sensors/imu"}}},
    {"topic": {"name": {"$eq": "//sensors/imu"}}},
    {"topic": {"name": {"$in": ["/imu", "gps", "//x1"]}}},
    {"topic": {"name": {"$between": ["/a", "/h"]}}},
    {"topic": {"name": {"$outside": ["/b", "/s"]}}},
    {"topic": {"name": {"$lt": "/b"}}},
    {"topic": {"name": {"$neq": "/imu"}}},
    {"topic": {"name": {"$match": "/*imu*"}}},
    {"topic": {"name": {"$match": "//*"}}},
    {"topic": {"name": {"$match": "*/*/*"}}},
    {"topic": {"name": {"$match": "a.b"}}},
    {"topic": {"name": {"$match": "a?b"}}},
    # big topics: chunk statistics (values correlated with time, nulls in one region only)
    {"ontology": {"cam.gain": {"$nex": N}}},
    {"ontology": {"cam.gain": {"$ex": N}}},
    {"ontology": {"cam.gain": {"$eq": 0}}},
    {"ontology": {"cam.format": {"$eq": "png"}}},
    {"ontology": {"cam.format": {"$eq": "raw"}}},
    {"ontology": {"cam.format": {"$match": "jp?g"}}},
    {"ontology": {"cam.frame": {"$gt": 200}}},
    {"ontology": {"cam.frame": {"$eq": 0}}},
    {"ontology": {"cam.frame": {"$between": [79, 81]}}},
    {"ontology": {"cam.frame": {"$outside": [1, 250]}}},
    {"ontology": {"cam.frame": {"$in": [5, 150, 260]}}},
    {"ontology": {"cam.exposure": {"$geq": 129.5}}},
    {"ontology": {"cam.exposure": {"$nex": N}}},
    {"ontology": {"cam.ok": {"$nex": N}}},
    {"ontology": {"cam.ok": {"$neq": True}}},
    {"ontology": {"cam.label": {"$gt": "f0200"}}},
    {"ontology": {"cam.label": {"$match": "f01##"}}},
    {"ontology": {"cam.meta.seq": {"$nex": N}}},
    {"ontology": {"cam.meta.src": {"$eq": "sim"}, "cam.frame": {"$gt": 230}}},
    {"ontology": {"cam.rois[!]": {"$geq": 0}}},
    {"ontology": {"cam.rois[0]": {"$eq": 5}}},
    {"ontology": {"cam.rois[1]": {"$gt": 20}}},
    {"ontology": {"cam.rois[?]": {"$nex": N}}},
    {"ontology": {"cam.gain": {"$nex": N}, "cam.frame": {"$gt": 150}}},  # same row: never
    # numbers: int against float exactly, extremes, -0.0, float32 rounding
    {"ontology": {"gps.big": {"$eq": 9223372036854775807}}},
    {"ontology": {"gps.big": {"$lt": 9.223372036854776e18}}},
    {"ontology": {"gps.big": {"$geq": 9.223372036854776e18}}},
    {"ontology": {"gps.big": {"$eq": -9223372036854775808}}},
    {"ontology": {"gps.big": {"$leq": -9.223372036854776e18}}},
    {"ontology": {"gps.big": {"$gt": 9223372036854775806}}},
    {"ontology": {"imu.counter": {"$gt": 9223372036854775807}}},
    {"ontology": {"imu.counter": {"$gt": 1.8446744073709552e19}}},
    {"ontology": {"imu.counter": {"$geq": 1.8446744073709550e19}}},
    {"ontology": {"imu.counter": {"$eq": 1.8446744073709552e19}}},
    {"ontology": {"imu.seq": {"$eq": 2147483647.0}}},
    {"ontology": {"imu.seq": {"$gt": 2147483646.5}}},
    {"ontology": {"gps.status.sats": {"$eq": 255}}},
    {"ontology": {"gps.status.sats": {"$gt": 254.5}}},
    {"ontology": {"gps.status.fix": {"$lt": -127.5}}},
    {"ontology": {"imu.temp": {"$eq": 0.1}}},
    {"ontology": {"imu.temp": {"$eq": 0.10000000149011612}}},
    {"ontology": {"imu.temp": {"$between": [0.1, 0.2]}}},
    {"ontology": {"imu.temp": {"$gt": 3.4e38}}},
    {"ontology": {"imu.acc.x": {"$eq": 0}}},
    {"ontology": {"imu.acc.x": {"$eq": -0.0}}},
    {"ontology": {"imu.acc.x": {"$lt": 0}}},
    {"ontology": {"imu.acc.x": {"$between": [-1e-300, -1e-320]}}},
    {"ontology": {"imu.acc.x": {"$geq": 1e300}}},
    {"ontology": {"imu.timestamp_ns": {"$gt": 1.76e18}}},
    {"ontology": {"imu.timestamp_ns": {"$in": [1760000000000000000, 1.760000001e18]}}},
    # strings: byte order, code points in globs, metacharacters in data
    {"ontology": {"gps.label": {"$gt": "z"}}},
    {"ontology": {"gps.label": {"$lt": "é"}}},
    {"ontology": {"gps.label": {"$between": ["Z", "a"]}}},
    {"ontology": {"gps.label": {"$match": "?ürich"}}},
    {"ontology": {"gps.label": {"$match": "x?y"}}},
    {"ontology": {"gps.label": {"$match": "??"}}},
    {"ontology": {"gps.label": {"$match": "*[*]*"}}},
    {"ontology": {"gps.label": {"$match": "[[]*"}}},
    {"ontology": {"gps.label": {"$match": "*]*"}}},
    {"ontology": {"gps.label": {"$match": "#?"}}},
    {"ontology": {"gps.label": {"$eq": ""}}},
    {"ontology": {"gps.label": {"$match": "*"}}},  # (an empty pattern is INVALID_ARGUMENT: test_query_bad)
    {"ontology": {"gps.label": {"$match": "[ -/]*"}}},
    {"ontology": {"imu.frame_id": {"$match": "*[é€日]*"}}},
    # lists: specifiers on empty / null lists
    {"ontology": {"imu.cov[!]": {"$nex": N}}},
    {"ontology": {"imu.cov[0]": {"$nex": N}}},
    {"ontology": {"imu.cov[3]": {"$ex": N}}},
    {"ontology": {"path.poses[?].w[!]": {"$gt": 0}}},
    {"ontology": {"path.poses[!].ok": {"$eq": True}}},
    {"ontology": {"path.poses[0].w[0]": {"$nex": N}}},
    {"ontology": {"Joint_State.names[!]": {"$match": "joint_*"}}},
    {"ontology": {"Joint_State.header.stamp.sec": {"$nex": N}}},
    # user metadata paths
    {"sequence": {"user_metadata": {"v.2": {"$ex": N}}}},
    {"sequence": {"user_metadata": {"v": {"$ex": N}}}},
    {"sequence": {"user_metadata": {"**": {"$eq": "alice"}}}},
    {"sequence": {"user_metadata": {"*": {"$eq": True}}}},
    {"sequence": {"user_metadata": {"**.**.a": {"$ex": N}}}},
    {"sequence": {"user_metadata": {"*.*.*": {"$nex": N}}}},
    {"sequence": {"user_metadata": {"*.**": {"$gt": 10}}}},
    {"topic": {"user_metadata": {"**.id": {"$eq": 9007199254740993}}}},
    {"topic": {"user_metadata": {"**.id": {"$eq": 9007199254740992.0}}}},
    {"topic": {"user_metadata": {"**": {"$eq": 9223372036854775807}}}},
    {"topic": {"user_metadata": {"**": {"$geq": 9.223372036854776e18}}}},
    {"sequence": {"user_metadata": {"tags": {"$eq": 1}}}},
    {"sequence": {"user_metadata": {"tags": {"$ex": N}}}},
    {"sequence": {"user_metadata": {"notes": {"$nex": N}, "env": {"$ex": N}}}},
    {"sequence": {"user_metadata": {"**.ok": {"$in": [True, 1]}}}},
    {"sequence": {"user_metadata": {"**": {"$match": "*[.]*"}}}},
    # argument edge cases that are valid
    {"topic": {"name": {"$in": []}}},
    {"ontology": {"imu.seq": {"$in": []}}},
    {"sequence": {"name": {"$between": ["z", "a"]}}},
    {"sequence": {"name": {"$outside": ["z", "a"]}}},
    {"sequence": {"created_at_ns": {"$gt": 0}}, "topic": {}, "ontology": {}},
    {"sequence": {}, "topic": {}},
    {},
]


def _edge_bodies(ds: dict) -> tuple[list, list]:
    topics = [t for s in ds["sequences"] for t in s["topics"]]
    cams = [t for t in topics if t["ontology_tag"] == "cam"]
    empty = [t for t in topics if not t["rows"]]
    evt = [t for t in topics if t["ontology_tag"] == "evt" and t["rows"]]
    cl = []
    for c in cams[:2]:
        ts = [r["timestamp_ns"] for r in c["rows"]]
        for ont in ({}, {"cam.gain": {"$nex": N}}, {"cam.ok": {"$ex": N}}, {"cam.format": {"$eq": "raw"}},
                    {"cam.frame": {"$gt": 100}, "cam.rois[?]": {"$lt": 20}},
                    # conditions of a tag that is not the topic's: they hold on no row of it (QUERY.md: "the rows
                    # of the topic that satisfy the body's ontology conditions"); the SDK never sends these
                    {"nosuch.x": {"$ex": N}}, {"imu.temp": {"$ex": N}}):
            for dt in (0, 1, 1_000_000, 2_000_000, 49_999_999, 50_000_000, 51_000_000):
                cl.append({"locator": c["locator"], "clustering_dt_ns": dt, "ontology": ont, "timestamp_range": None})
            cl.append({"locator": c["locator"], "clustering_dt_ns": 2_000_000, "ontology": ont,
                       "timestamp_range": {"start_ns": ts[10], "end_ns": ts[100]}})
            cl.append({"locator": "/" + c["locator"], "clustering_dt_ns": 0, "ontology": ont,
                       "timestamp_range": {"start_ns": ts[5] + 1, "end_ns": ts[5] + 2}})
    for t in empty[:4]:
        cl.append({"locator": t["locator"], "clustering_dt_ns": 0, "ontology": {}, "timestamp_range": None})
    for t in evt[:4]:
        cl.append({"locator": t["locator"], "clustering_dt_ns": 1000, "ontology": {"evt.extra": {"$nex": N}},
                   "timestamp_range": None})
    it = []
    if len(cams) >= 2:
        a, b = cams[0], cams[1]
        for dt in (0, 1, 999, 10**9, 10**10):
            it.append({"topics": [{"locator": a["locator"], "clustering_dt_ns": 0, "ontology": {}},
                                  {"locator": b["locator"], "clustering_dt_ns": 0, "ontology": {}}],
                       "intersect_dt_ns": dt})
    for c in cams[:2]:
        for dt in (0, 2000, 3001, 10**6):
            it.append({"topics": [
                {"locator": c["locator"], "clustering_dt_ns": 1_000_000, "ontology": {"cam.frame": {"$lt": 100}}},
                {"locator": c["locator"], "clustering_dt_ns": 0, "ontology": {"cam.frame": {"$gt": 100}}},
            ], "intersect_dt_ns": dt})
            it.append({"topics": [
                {"locator": c["locator"], "clustering_dt_ns": 1_000_000, "ontology": {"cam.gain": {"$nex": N}}},
                {"locator": c["locator"], "clustering_dt_ns": 1_000_000, "ontology": {"cam.format": {"$eq": "raw"}}},
                {"locator": c["locator"], "clustering_dt_ns": 1_000_000, "ontology": {}},
            ], "intersect_dt_ns": dt})
        it.append({"topics": [{"locator": c["locator"], "clustering_dt_ns": 0, "ontology": {}}], "intersect_dt_ns": 0})
        it.append({"topics": [], "intersect_dt_ns": 0})
        if empty:
            it.append({"topics": [{"locator": c["locator"], "clustering_dt_ns": 0, "ontology": {}},
                                  {"locator": empty[0]["locator"], "clustering_dt_ns": 0, "ontology": {}}],
                       "intersect_dt_ns": 10**12})
    return cl, it


def test_edge_cases_differential(qdata, runner, report_path):
    ds, _ = qdata
    cl, it = _edge_bodies(ds)
    assert cl and it
    results = [run_differential(runner, ds, "query", EDGE_QUERIES, report_path, fail=False),
               run_differential(runner, ds, "topic_filter_clusterize", cl, report_path, fail=False),
               run_differential(runner, ds, "topic_filter_intersect", it, report_path, fail=False)]
    assert results[0]["rejected"] == 0, f"an edge query is invalid for the reference: {results[0]}"
    failures = [r["failure"] for r in results if "failure" in r]
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)
