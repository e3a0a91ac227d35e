"""Bad queries (issue #3, docs/QUERY.md "Every error is INVALID_ARGUMENT with a message naming the key"): a corpus of
malformed and hostile `query`, `topic_filter_clusterize` and `topic_filter_intersect` requests sent raw through
pyarrow.flight. Each must be refused with the right status (and, where there is a key at fault, a message naming it),
quickly, without crashing the daemon or touching stored data; at the end the daemon still answers and the data
written before the corpus reads back identical.

Every JSON request of the corpus is also run through the reference evaluator, which must reject it too (keeps the
corpus and query_reference.py in step). Status codes come from mosaico_testlib.grpc_code_of.
"""

from __future__ import annotations

import json
import time

import pyarrow as pa
import pyarrow.flight as fl
import pytest

import query_datagen as gen
import query_reference as ref
from mosaico_testlib import (
    TS_FIELD,
    action,
    create_sequence,
    create_session,
    create_topic,
    expect_error,
    finalize,
    put_batches,
    put_descriptor,
    raw_action,
    read_topic,
    assert_tables_equal,
)

INVALID = "INVALID_ARGUMENT"
NOT_FOUND = "NOT_FOUND"
BASE = 1_780_000_000_000_000_000
TAG = "qbad"
SEQ = "qbad_seq"
TOPIC = f"{SEQ}/sensors/qb"
LONG_SEQ = "L" + "a" * 200  # longer names fail: see the report (a path segment > NAME_MAX)
LONG_TOPIC = f"{LONG_SEQ}/t/" + "b" * 150
LONG_VALUE = "a" * 5000

SCHEMA = pa.schema([
    TS_FIELD,
    pa.field("acc", pa.struct([pa.field("x", pa.float64()), pa.field("y", pa.float64())])),
    pa.field("frame_id", pa.string()),
    pa.field("calibrated", pa.bool_()),
    pa.field("cov", pa.list_(pa.float64())),
    pa.field("temp", pa.float32()),
    pa.field("seq", pa.int32()),
    pa.field("poses", pa.list_(pa.struct([pa.field("x", pa.float64())]))),
    pa.field("blob", pa.binary()),
])


def _batch(n: int, t0: int, frame: str) -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist(
        [{"timestamp_ns": t0 + i * 1000, "acc": {"x": float(i), "y": -float(i)}, "frame_id": frame,
          "calibrated": i % 2 == 0, "cov": [float(i)] * 3, "temp": i / 8, "seq": i, "poses": [{"x": 1.0}],
          "blob": b"\x00" * 8} for i in range(n)], schema=SCHEMA)


@pytest.fixture(scope="module")
def bad_daemon(module_daemon_factory):
    return module_daemon_factory(extra_args=["--chunk-size-mb", "1"])


@pytest.fixture(scope="module")
def fc(bad_daemon):
    c = fl.FlightClient(bad_daemon.location)
    yield c
    c.close()


@pytest.fixture(scope="module")
def stored(fc):
    """Two sequences written before the corpus (one with very long names and values); what they hold."""
    want = {}
    for seq, loc, frame, md in [(SEQ, TOPIC, "imu_link", {"env": "lab", "long": LONG_VALUE}),
                                (LONG_SEQ, LONG_TOPIC, LONG_VALUE, {"long": LONG_VALUE, "n": 1})]:
        create_sequence(fc, seq, md)
        su, _ = create_session(fc, seq)
        tu = create_topic(fc, su, loc, ontology_tag=TAG, user_metadata={"k": LONG_VALUE})
        batch = _batch(50, BASE, frame)
        put_batches(fc, loc, tu, SCHEMA, [batch])
        finalize(fc, su)
        want[loc] = pa.Table.from_batches([batch])
    return want


@pytest.fixture(scope="module")
def refds(fc, stored):
    return gen.snapshot_dataset(fc, [SEQ, LONG_SEQ])


def _raw(fc, name: str, body: bytes):
    return raw_action(fc, name, body)


def _check(fc, refds, name: str, body, code: str = INVALID, mentions=(), what: str = ""):
    """body: a JSON-able object (sent with json.dumps) or raw bytes. Also checks the reference agrees."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
    label = what or f"{name} {raw[:200]!r}"
    t0 = time.monotonic()
    expect_error(code, _raw, fc, name, raw, mentions=mentions, what=label)
    elapsed = time.monotonic() - t0
    assert elapsed < 10, f"{label}: took {elapsed:.1f}s to refuse"
    if not isinstance(body, bytes):
        fn = {"query": ref.run_query, "topic_filter_clusterize": ref.clusterize,
              "topic_filter_intersect": ref.intersect}[name]
        want_exc = ref.QueryError if code == INVALID else ref.NotFound
        with pytest.raises(want_exc):
            fn(refds, body)


# ----------------------------------------------------------------------------------------------------------------------
# Malformed bodies
# ----------------------------------------------------------------------------------------------------------------------

MALFORMED = [
    # (an empty body is not here: the daemon reads an empty action body as {} for every action, flight_service.cc)
    b"{", b'{"sequence": ', b"not json", b"\xff\xfe{}", b'{"sequence": {"name": {"$eq": "a"}}', b"{}}",
    b'{"topic": {"name": {"$eq": \'x\'}}}', b'{"sequence": {"name": {"$eq": "a",}}}',
]


@pytest.mark.parametrize("body", MALFORMED, ids=[f"m{i}" for i in range(len(MALFORMED))])
@pytest.mark.parametrize("name", ["query", "topic_filter_clusterize", "topic_filter_intersect"])
def test_malformed_json(fc, refds, name, body):
    _check(fc, refds, name, body)


@pytest.mark.parametrize("body", [b"[]", b'"query"', b"1", b"null", b"true", b"[{}]"])
def test_non_object_body(fc, refds, body):
    _check(fc, refds, "query", body)
    with pytest.raises(ref.QueryError):
        ref.run_query(refds, json.loads(body))


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "nan", "inf"])
def test_nan_infinity_tokens(fc, refds, token):
    body = ('{"topic": {"created_at_ns": {"$gt": %s}}}' % token).encode()
    _check(fc, refds, "query", body)
    body = ('{"ontology": {"%s.acc.x": {"$lt": %s}}}' % (TAG, token)).encode()
    _check(fc, refds, "query", body)


# ----------------------------------------------------------------------------------------------------------------------
# Grammar: sections, fields, operators, argument shapes
# ----------------------------------------------------------------------------------------------------------------------

GRAMMAR = [
    # (query, keys that the message may name)
    ({"sequences": {}}, ["sequences"]),
    ({"data": {"name": {"$eq": "x"}}}, ["data"]),
    ({"sequence": {}, "Ontology": {}}, ["Ontology"]),
    ({"sequence": {"ontology_tag": {"$eq": "x"}}}, ["ontology_tag"]),
    ({"topic": {"nam": {"$eq": "x"}}}, ["nam"]),
    ({"topic": {"created_at": {"$gt": 1}}}, ["created_at"]),
    ({"sequence": []}, ["sequence"]),
    ({"topic": "imu"}, ["topic"]),
    ({"ontology": [1]}, ["ontology"]),
    ({"sequence": {"user_metadata": []}}, ["user_metadata"]),
    ({"sequence": {"name": {"$like": "x"}}}, ["name", "$like"]),
    ({"sequence": {"name": {"eq": "x"}}}, ["name"]),
    ({"topic": {"name": {}}}, ["name"]),
    ({"topic": {"name": "sensors/imu"}}, ["name"]),
    ({"topic": {"created_at_ns": {"$gt": 1, "$lt": 2}}}, ["created_at_ns"]),
    ({"sequence": {"user_metadata": {"env": {"$eq": "lab", "$neq": "x"}}}}, ["env"]),
    ({"sequence": {"user_metadata": {"env": {"$regex": "l.*"}}}}, ["env"]),
    ({"ontology": {f"{TAG}.acc.x": {"$gt": 1, "$lt": 2}}}, [f"{TAG}.acc.x"]),
    ({"ontology": {f"{TAG}.acc.x": {"$nope": 1}}}, [f"{TAG}.acc.x"]),
    # argument shapes
    ({"sequence": {"created_at_ns": {"$between": [1, 2, 3]}}}, ["created_at_ns"]),
    ({"sequence": {"created_at_ns": {"$between": [1]}}}, ["created_at_ns"]),
    ({"sequence": {"created_at_ns": {"$outside": 5}}}, ["created_at_ns"]),
    ({"sequence": {"user_metadata": {"n": {"$between": [1, "z"]}}}}, ["n"]),
    ({"sequence": {"user_metadata": {"n": {"$between": [True, False]}}}}, ["n"]),
    ({"topic": {"ontology_tag": {"$in": "imu"}}}, ["ontology_tag"]),
    ({"topic": {"ontology_tag": {"$in": [["imu"]]}}}, ["ontology_tag"]),
    ({"sequence": {"user_metadata": {"n": {"$in": {"a": 1}}}}}, ["n"]),
    ({"sequence": {"name": {"$match": 5}}}, ["name"]),
    ({"sequence": {"user_metadata": {"env": {"$match": ["l*"]}}}}, ["env"]),
    ({"sequence": {"name": {"$eq": ["x"]}}}, ["name"]),
    ({"sequence": {"user_metadata": {"env": {"$eq": {"a": 1}}}}}, ["env"]),
    ({"sequence": {"user_metadata": {"env": {"$lt": True}}}}, ["env"]),
    ({"sequence": {"user_metadata": {"env": {"$gt": [1]}}}}, ["env"]),
    # typed fields: string vs number
    ({"sequence": {"name": {"$eq": 5}}}, ["name"]),
    ({"topic": {"name": {"$in": ["a", 5]}}}, ["name"]),
    ({"topic": {"ontology_tag": {"$eq": True}}}, ["ontology_tag"]),
    ({"sequence": {"created_at_ns": {"$eq": "5"}}}, ["created_at_ns"]),
    ({"topic": {"created_at_ns": {"$between": ["1", "2"]}}}, ["created_at_ns"]),
    ({"topic": {"created_at_ns": {"$gt": 1.5}}}, ["created_at_ns"]),
    ({"sequence": {"created_at_ns": {"$match": "1*"}}}, ["created_at_ns"]),
    # typed ontology leaves
    ({"ontology": {f"{TAG}.acc.x": {"$eq": "1"}}}, [f"{TAG}.acc.x"]),
    ({"ontology": {f"{TAG}.seq": {"$in": [1, "2"]}}}, [f"{TAG}.seq"]),
    ({"ontology": {f"{TAG}.temp": {"$between": ["a", "b"]}}}, [f"{TAG}.temp"]),
    ({"ontology": {f"{TAG}.frame_id": {"$eq": 1}}}, [f"{TAG}.frame_id"]),
    ({"ontology": {f"{TAG}.frame_id": {"$lt": 1.5}}}, [f"{TAG}.frame_id"]),
    ({"ontology": {f"{TAG}.calibrated": {"$eq": 1}}}, [f"{TAG}.calibrated"]),
    ({"ontology": {f"{TAG}.calibrated": {"$in": [True, "false"]}}}, [f"{TAG}.calibrated"]),
    ({"ontology": {f"{TAG}.acc.x": {"$match": "1*"}}}, [f"{TAG}.acc.x"]),
    ({"ontology": {f"{TAG}.calibrated": {"$match": "t*"}}}, [f"{TAG}.calibrated"]),
    ({"ontology": {f"{TAG}.calibrated": {"$gt": 0}}}, [f"{TAG}.calibrated"]),
    ({"ontology": {f"{TAG}.calibrated": {"$between": [0, 1]}}}, [f"{TAG}.calibrated"]),
    ({"ontology": {f"{TAG}.calibrated": {"$outside": ["a", "b"]}}}, [f"{TAG}.calibrated"]),
    ({"ontology": {f"{TAG}.cov[0]": {"$eq": "x"}}}, [f"{TAG}.cov[0]"]),
    ({"ontology": {f"{TAG}.poses[?].x": {"$eq": True}}}, [f"{TAG}.poses[?].x"]),
    # bad ontology keys
    ({"ontology": {TAG: {"$ex": None}}}, [TAG]),
    ({"ontology": {f".acc.x": {"$ex": None}}}, [".acc.x"]),
    ({"ontology": {f"{TAG}.": {"$ex": None}}}, [f"{TAG}."]),
    ({"ontology": {f"{TAG}.acc..x": {"$ex": None}}}, [f"{TAG}.acc..x"]),
    ({"ontology": {f"{TAG}.cov[x]": {"$gt": 0}}}, [f"{TAG}.cov[x]"]),
    ({"ontology": {f"{TAG}.cov[-1]": {"$gt": 0}}}, [f"{TAG}.cov[-1]"]),
    ({"ontology": {f"{TAG}.cov[]": {"$gt": 0}}}, [f"{TAG}.cov[]"]),
    ({"ontology": {f"{TAG}.cov[0": {"$gt": 0}}}, [f"{TAG}.cov[0"]),
    ({"ontology": {f"{TAG}.temp[0]": {"$gt": 0}}}, [f"{TAG}.temp[0]"]),
    ({"ontology": {f"{TAG}.acc[?].x": {"$gt": 0}}}, [f"{TAG}.acc[?].x"]),
    ({"ontology": {f"{TAG}.cov": {"$gt": 0}}}, [f"{TAG}.cov"]),
    ({"ontology": {f"{TAG}.poses.x": {"$gt": 0}}}, [f"{TAG}.poses.x"]),
    ({"ontology": {f"{TAG}.poses[0]": {"$ex": None}}}, [f"{TAG}.poses[0]"]),
    ({"ontology": {f"{TAG}.cov[0][0]": {"$gt": 0}}}, [f"{TAG}.cov[0][0]"]),
    ({"ontology": {f"{TAG}.nosuch": {"$ex": None}}}, [f"{TAG}.nosuch"]),
    ({"ontology": {f"{TAG}.acc.w": {"$gt": 0}}}, [f"{TAG}.acc.w"]),
    ({"ontology": {f"{TAG}.acc": {"$ex": None}}}, [f"{TAG}.acc"]),
    ({"ontology": {f"{TAG}.frame_id.x": {"$ex": None}}}, [f"{TAG}.frame_id.x"]),
    # a valid condition next to a bad one: the bad one decides
    ({"sequence": {"name": {"$eq": SEQ}}, "ontology": {f"{TAG}.acc.x": {"$gt": 0}, f"{TAG}.nosuch": {"$gt": 0}}},
     [f"{TAG}.nosuch"]),
    # user metadata keys
    ({"sequence": {"user_metadata": {"a..b": {"$ex": None}}}}, ["a..b"]),
    ({"sequence": {"user_metadata": {".a": {"$ex": None}}}}, [".a"]),
    ({"topic": {"user_metadata": {"a.": {"$ex": None}}}}, ["a."]),
    ({"topic": {"user_metadata": {"": {"$ex": None}}}}, []),
    ({"sequence": {"user_metadata": {".".join(["k"] * 65): {"$ex": None}}}}, ["k.k.k"]),
    # globs
    ({"sequence": {"name": {"$match": "qbad_[seq"}}}, ["name", "qbad_[seq"]),
    ({"sequence": {"name": {"$match": "qbad_[]seq"}}}, ["name"]),
    ({"sequence": {"name": {"$match": "[z-a]*"}}}, ["name"]),
    ({"sequence": {"name": {"$match": "["}}}, ["name"]),
    ({"topic": {"name": {"$match": "/sensors/[q"}}}, ["name"]),
    ({"sequence": {"user_metadata": {"env": {"$match": "la[b"}}}}, ["env"]),
    ({"ontology": {f"{TAG}.frame_id": {"$match": "imu_[9-0]"}}}, [f"{TAG}.frame_id"]),
    ({"sequence": {"name": {"$match": "*" + "a" * 1024}}}, ["name"]),
    ({"sequence": {"user_metadata": {"env": {"$match": "é" * 513}}}}, ["env"]),
    # the reference's limits: no empty pattern, at most 256 bytes (counted as sent, before a topic name's '/')
    ({"topic": {"name": {"$match": ""}}}, ["name"]),
    ({"sequence": {"name": {"$match": ""}}}, ["name"]),
    ({"topic": {"user_metadata": {"env": {"$match": ""}}}}, ["env"]),
    ({"ontology": {f"{TAG}.frame_id": {"$match": ""}}}, [f"{TAG}.frame_id"]),
    ({"topic": {"name": {"$match": "*" + "a" * 256}}}, ["name"]),
    ({"topic": {"name": {"$match": "a" * 257}}}, ["name"]),
    ({"sequence": {"name": {"$match": "é" * 129}}}, ["name"]),
    ({"ontology": {f"{TAG}.frame_id": {"$match": "*" + "x" * 256}}}, [f"{TAG}.frame_id"]),
    # huge ints, anywhere
    ({"topic": {"created_at_ns": {"$gt": 2**70}}}, ["created_at_ns"]),
    ({"topic": {"created_at_ns": {"$in": [1, -(2**70)]}}}, ["created_at_ns"]),
    ({"sequence": {"user_metadata": {"n": {"$eq": 2**70}}}}, ["n"]),
    ({"ontology": {f"{TAG}.seq": {"$lt": 2**70}}}, [f"{TAG}.seq"]),
    ({"ontology": {f"{TAG}.acc.x": {"$between": [0, 2**64]}}}, [f"{TAG}.acc.x"]),
    # $in size
    ({"topic": {"created_at_ns": {"$in": list(range(10_001))}}}, ["created_at_ns"]),
    ({"sequence": {"user_metadata": {"n": {"$in": ["x"] * 10_001}}}}, ["n"]),
    ({"ontology": {f"{TAG}.seq": {"$in": list(range(10_001))}}}, [f"{TAG}.seq"]),
]


@pytest.mark.parametrize("query,keys", GRAMMAR, ids=[f"g{i}" for i in range(len(GRAMMAR))])
def test_bad_query(fc, refds, query, keys):
    _check(fc, refds, "query", query, mentions=keys)


def test_limits_are_inclusive(fc, refds):
    """What is exactly at a limit is valid: 10 000 $in values, a 256-byte pattern, 64 key segments."""
    ok = [
        {"topic": {"created_at_ns": {"$in": list(range(10_000))}}},
        {"sequence": {"name": {"$match": "*" + "é" * 127 + "*"}}},  # 256 bytes
        {"topic": {"name": {"$match": "s" + "?" * 255}}},  # 256 bytes as sent (257 once the '/' is added)
        {"topic": {"name": {"$match": "?"}}},
        {"sequence": {"user_metadata": {".".join(["k"] * 64): {"$nex": None}}}},
        {"sequence": {"user_metadata": {"n": {"$in": []}}}},
        {"ontology": {f"{TAG}.seq": {"$in": list(range(10_000))}}},
    ]
    for q in ok:
        got = action(fc, "query", q)
        assert got == ref.run_query(refds, q), f"{json.dumps(q)[:200]}: {str(got)[:300]}"


def test_unknown_tag_is_not_an_error(fc, refds):
    """No topic of the tag has a schema: the condition matches nothing (QUERY.md), even with odd paths."""
    for q in [{"ontology": {"nosuchtag.x": {"$gt": 1}}},
              {"ontology": {"nosuchtag.a.b[?].c[3]": {"$match": "x*"}}},
              {"sequence": {"name": {"$eq": SEQ}}, "ontology": {"nosuchtag.x": {"$ex": None}}}]:
        assert action(fc, "query", q) == {"items": []}, json.dumps(q)


# ----------------------------------------------------------------------------------------------------------------------
# Clusterize / intersect bodies
# ----------------------------------------------------------------------------------------------------------------------

GOOD_CB = {"locator": TOPIC, "clustering_dt_ns": 0, "ontology": {f"{TAG}.acc.x": {"$gt": 3.0}}, "timestamp_range": None}

CLUSTERIZE_BAD = [
    ({**GOOD_CB, "clustering_dt_ns": -1}, INVALID, ["clustering_dt_ns"]),
    ({**GOOD_CB, "clustering_dt_ns": "0"}, INVALID, ["clustering_dt_ns"]),
    ({**GOOD_CB, "clustering_dt_ns": 1.5}, INVALID, ["clustering_dt_ns"]),
    ({**GOOD_CB, "clustering_dt_ns": 2**70}, INVALID, ["clustering_dt_ns"]),
    ({k: v for k, v in GOOD_CB.items() if k != "locator"}, INVALID, ["locator"]),
    ({**GOOD_CB, "locator": 5}, INVALID, ["locator"]),
    ({**GOOD_CB, "ontology": {f"{TAG}.nosuch": {"$ex": None}}}, INVALID, [f"{TAG}.nosuch"]),
    ({**GOOD_CB, "ontology": {f"{TAG}.acc.x": {"$eq": "1"}}}, INVALID, [f"{TAG}.acc.x"]),
    ({**GOOD_CB, "ontology": {f"{TAG}.frame_id": {"$match": "[a"}}}, INVALID, [f"{TAG}.frame_id"]),
    ({**GOOD_CB, "ontology": [1]}, INVALID, ["ontology"]),
    ({**GOOD_CB, "timestamp_range": {"start_ns": "a", "end_ns": 1}}, INVALID, ["timestamp_range", "start_ns"]),
    ({**GOOD_CB, "timestamp_range": [1, 2]}, INVALID, ["timestamp_range"]),
    ({**GOOD_CB, "locator": f"{SEQ}/sensors/nope"}, NOT_FOUND, [f"{SEQ}/sensors/nope", "sensors/nope"]),
    ({**GOOD_CB, "locator": "nope_seq/sensors/qb"}, NOT_FOUND, ["nope_seq"]),
]


@pytest.mark.parametrize("body,code,keys", CLUSTERIZE_BAD, ids=[f"c{i}" for i in range(len(CLUSTERIZE_BAD))])
def test_bad_clusterize(fc, refds, body, code, keys):
    _check(fc, refds, "topic_filter_clusterize", body, code=code, mentions=keys)


def _ib(*bodies, dt=0):
    return {"topics": [{k: v for k, v in b.items() if k != "timestamp_range"} for b in bodies], "intersect_dt_ns": dt}


INTERSECT_BAD = [
    ({"topics": "x", "intersect_dt_ns": 0}, INVALID, ["topics"]),
    ({**_ib(GOOD_CB, GOOD_CB), "intersect_dt_ns": "0"}, INVALID, ["intersect_dt_ns"]),
    ({"topics": _ib(GOOD_CB, GOOD_CB)["topics"]}, INVALID, ["intersect_dt_ns"]),
    (_ib(GOOD_CB, {**GOOD_CB, "clustering_dt_ns": -5}), INVALID, ["clustering_dt_ns"]),
    (_ib(GOOD_CB, {**GOOD_CB, "ontology": {f"{TAG}.cov": {"$ex": None}}}), INVALID, [f"{TAG}.cov"]),
    (_ib(GOOD_CB, {**GOOD_CB, "locator": f"{SEQ}/nope"}), NOT_FOUND, [f"{SEQ}/nope", "nope"]),
]


@pytest.mark.parametrize("body,code,keys", INTERSECT_BAD, ids=[f"i{i}" for i in range(len(INTERSECT_BAD))])
def test_bad_intersect(fc, refds, body, code, keys):
    _check(fc, refds, "topic_filter_intersect", body, code=code, mentions=keys)


def test_good_clusterize_and_intersect_answer(fc, refds):
    """Sanity next to the corpus: the same bodies without defects answer like the reference."""
    want = ref.clusterize(refds, GOOD_CB)
    assert want == [{"ts": {"start_ns": BASE + 4000, "end_ns": BASE + 49_000}, "id": 0}]
    got = [json.loads(b)["response"] for b in raw_action(fc, "topic_filter_clusterize", json.dumps(GOOD_CB).encode())]
    assert got == want
    body = _ib(GOOD_CB, {**GOOD_CB, "locator": LONG_TOPIC}, dt=0)
    got = [json.loads(b)["response"] for b in raw_action(fc, "topic_filter_intersect", json.dumps(body).encode())]
    assert got == ref.intersect(refds, body)


# ----------------------------------------------------------------------------------------------------------------------
# Hostile but valid: pathological globs against long names and values must answer (correctly) and fast
# ----------------------------------------------------------------------------------------------------------------------

PATHOLOGICAL = [  # each at most 256 bytes, the longest pattern there is (longer: GRAMMAR)
    {"sequence": {"name": {"$match": "*" * 255 + "x"}}},
    {"sequence": {"name": {"$match": "*" * 255 + "a"}}},
    {"sequence": {"name": {"$match": "*a" * 127 + "*"}}},
    {"sequence": {"name": {"$match": "L" + "*a" * 127}}},
    {"sequence": {"name": {"$match": "?" * 201}}},
    {"sequence": {"name": {"$match": "?" * 256}}},
    {"sequence": {"user_metadata": {"long": {"$match": "*a" * 127 + "b"}}}},
    {"sequence": {"user_metadata": {"long": {"$match": "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*"}}}},
    {"topic": {"user_metadata": {"k": {"$match": "*" * 120 + "a" * 120 + "*" + "b"}}}},
    {"topic": {"name": {"$match": "/" + "*" * 250 + "b"}}},
    {"topic": {"name": {"$match": "*[ab]" * 51 + "*"}}},
    {"ontology": {f"{TAG}.frame_id": {"$match": "*a" * 127 + "b"}}},
    {"ontology": {f"{TAG}.frame_id": {"$match": "*" + "[a]*" * 63 + "?"}}},
]

@pytest.mark.timeout(120)
@pytest.mark.parametrize("query", PATHOLOGICAL, ids=[f"p{i}" for i in range(len(PATHOLOGICAL))])
def test_pathological_globs(fc, refds, query):
    got = action(fc, "query", query)
    assert got == ref.run_query(refds, query), f"{json.dumps(query)[:200]}: {str(got)[:300]}"


def test_pathological_glob_clusterize(fc, refds):
    body = {"locator": LONG_TOPIC, "clustering_dt_ns": 0, "timestamp_range": None,
            "ontology": {f"{TAG}.frame_id": {"$match": "*a" * 127 + "*"}}}
    got = [json.loads(b)["response"] for b in raw_action(fc, "topic_filter_clusterize", json.dumps(body).encode())]
    assert got == ref.clusterize(refds, body) == [{"ts": {"start_ns": BASE, "end_ns": BASE + 49_000}, "id": 0}]


# ----------------------------------------------------------------------------------------------------------------------
# Deep nesting (run last but one: a crash here must show in the health check below)
# ----------------------------------------------------------------------------------------------------------------------

DEEP = 10_000


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", ["query", "topic_filter_clusterize", "topic_filter_intersect"])
@pytest.mark.parametrize("shape", ["arrays", "objects", "in_condition", "in_metadata", "in_ontology"])
def test_deeply_nested_json(fc, name, shape):
    if shape == "arrays":
        body = "[" * DEEP + "]" * DEEP
    elif shape == "objects":
        body = '{"a":' * DEEP + "1" + "}" * DEEP
    elif shape == "in_condition":
        body = '{"sequence": {"name": {"$eq": ' + "[" * DEEP + "]" * DEEP + "}}}"
    elif shape == "in_metadata":
        body = '{"sequence": {"user_metadata": {"a": {"$in": [' + '{"b":' * DEEP + "1" + "}" * DEEP + "]}}}}"
    else:
        body = '{"ontology": {"%s.acc.x": {"$between": ' % TAG + "[" * DEEP + "]" * DEEP + "}}}"
    if name != "query" and shape not in ("arrays", "objects"):
        # the nested value inside a clusterize body's ontology condition
        nested = ("[" * DEEP + "]" * DEEP) if shape != "in_metadata" else ('{"b":' * DEEP + "1" + "}" * DEEP)
        body = '{"locator": "%s", "clustering_dt_ns": 0, "ontology": {"%s.acc.x": {"$in": [%s]}}}' % (
            TOPIC, TAG, nested)
        if name == "topic_filter_intersect":
            body = '{"intersect_dt_ns": 0, "topics": [%s, %s]}' % (body, body)
    expect_error(INVALID, raw_action, fc, name, body.encode(), what=f"{name} {shape} x{DEEP}")


def test_very_deeply_nested_json(fc):
    """Ten times deeper than above: still a clean refusal, not a stack overflow."""
    n = 20 * DEEP
    for body in ["[" * n + "]" * n, '{"a":' * n + "1" + "}" * n, '{"topic": ' * n + "{}" + "}" * n]:
        expect_error(INVALID, raw_action, fc, "query", body.encode(), what=f"query nested x{n}")


# ----------------------------------------------------------------------------------------------------------------------
# Only committed data is queried (its own daemon: the corpus above must not see this data)
# ----------------------------------------------------------------------------------------------------------------------


def test_streaming_upload_is_not_queried(fresh_daemon):
    c = fl.FlightClient(fresh_daemon.location)
    seq, loc = "qstream", "qstream/live/qb"
    try:
        create_sequence(c, seq, {})
        su, _ = create_session(c, seq)
        tu = create_topic(c, su, loc, ontology_tag=TAG)
        writer, _reader = c.do_put(put_descriptor(loc, tu), SCHEMA)
        try:
            writer.write_batch(_batch(20, BASE, "imu_link"))
            writer.write_batch(_batch(20, BASE + 10**6, "imu_link"))
            time.sleep(0.3)  # let the daemon take the batches in
            q_all = {"sequence": {"name": {"$eq": seq}}}
            q_data = {"ontology": {f"{TAG}.acc.x": {"$geq": 0.0}}}
            assert action(c, "query", q_all) == {"items": [{"sequence": seq, "topics": [
                {"locator": loc, "ontology_tag": TAG, "timestamp_range": None}]}]}, "a streaming topic has no rows yet"
            assert action(c, "query", q_data) == {"items": []}
            body = {"locator": loc, "clustering_dt_ns": 0, "ontology": {}, "timestamp_range": None}
            assert raw_action(c, "topic_filter_clusterize", json.dumps(body).encode()) == []
            writer.done_writing()
        finally:
            writer.close()
        # committed (the session is still open): now queried
        want_range = [BASE, BASE + 10**6 + 19_000]
        assert action(c, "query", q_all)["items"][0]["topics"][0]["timestamp_range"] == want_range
        assert action(c, "query", q_data)["items"][0]["topics"][0]["timestamp_range"] == want_range
        finalize(c, su)
        assert action(c, "query", q_data)["items"][0]["topics"][0]["timestamp_range"] == want_range
    finally:
        c.close()


# ----------------------------------------------------------------------------------------------------------------------
# Afterwards: alive, still answering, data untouched
# ----------------------------------------------------------------------------------------------------------------------


def test_daemon_healthy_and_data_untouched_after_corpus(bad_daemon, fc, stored, refds):
    assert bad_daemon.proc.poll() is None, f"mosaicod died during the corpus.\n{bad_daemon.log_tail()}"
    info = action(fc, "info", {})
    assert info, "info does not answer after the corpus"
    q = {"sequence": {"name": {"$eq": SEQ}}, "ontology": {f"{TAG}.acc.x": {"$geq": 10.0}}}
    assert action(fc, "query", q) == ref.run_query(refds, q) == {"items": [{"sequence": SEQ, "topics": [
        {"locator": TOPIC, "ontology_tag": TAG, "timestamp_range": [BASE + 10_000, BASE + 49_000]}]}]}
    for loc, want in stored.items():
        assert_tables_equal(read_topic(fc, loc), want, f"{loc} after the bad-query corpus")
    # a fresh connection works too
    c2 = fl.FlightClient(bad_daemon.location)
    try:
        assert action(c2, "query", {"topic": {"name": {"$eq": "/sensors/qb"}}})["items"][0]["sequence"] == SEQ
    finally:
        c2.close()
