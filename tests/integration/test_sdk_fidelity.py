"""Official SDK fidelity (issue 10, items 4-6): what mosaicolabs 0.7.0's own integration suite expects of the daemon.

  4. Topic-name `$match` sees the name as the SDK shows it ("/camera/left/imu"): the suite's
     `QueryTopic().with_name_match("?camera/left*")` finds that topic (docs/QUERY.md, "Topic names").
  5. An empty `$match` pattern, or one longer than 256 bytes, is INVALID_ARGUMENT naming the field.
  6. Strings in a returned schema: a top-level string column is announced (GetSchema / GetFlightInfo, hence
     `TopicHandler.ontology_schema`) and streamed (DoGet) as string_view; nested strings stay string; names, order,
     nullability and metadata are the uploaded ones, for every built-in ontology (docs/PROTOCOL_NOTES.md,
     "Strings on the wire").

Each behaviour is checked through the SDK's public API and raw pyarrow.flight, against a daemon of this module (so the
storage configuration follows MOSAICOD_TEST_CATALOG / MOSAICOD_TEST_STORE: run it in both passes).
"""

from __future__ import annotations

import enum
import itertools
import json
import os
import sys
import typing
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.flight as fl
import pytest
from mosaicolabs import (
    GPS,
    IMU,
    Header,
    Message,
    MosaicoClient,
    Point3d,
    QueryOntologyCatalog,
    QuerySequence,
    QueryTopic,
    SequenceStatus,
    String,
    Vector3d,
)
from mosaicolabs.models.core.base_model import BaseModel
from mosaicolabs.models.core.serializable import _compute_schema_fingerprint

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "client", "tools"))
import gen_models  # noqa: E402  (client/tools/gen_models.py: the SDK model list)
import query_datagen as gen
import query_reference as ref
from mosaico_testlib import action, expect_error, flight_form, get_info, raw_action, read_ticket_batches

BASE = 1_760_000_000_000_000_000
MS = 1_000_000

SYN = "fid_synthetic"  # like the SDK suite's synthetic sequence
STR = "fid_strings"
ALL = "fid_all_ontologies"
QUERY_SEQS = [SYN, STR]

SYN_TOPICS = [("/camera/left/imu", IMU), ("/camera/front/imu", IMU), ("/front/imu", IMU), ("/gps", GPS)]
STRING_VALUES = ["test_string", "", "exactly12byt", "a value longer than twelve bytes", "é" * 40, "x"]


def _imu(i: int) -> IMU:
    return IMU(header=Header(frame_id="imu_link"), acceleration=Vector3d(x=(i % 10) / 10, y=0.0, z=9.8),
               angular_velocity=Vector3d(x=0.0, y=0.0, z=0.0))


def _gps(i: int) -> GPS:
    return GPS(position=Point3d(x=45.0 + i / 100, y=9.0, z=120.0))


# ---------------------------------------------------------------------------------------------------------- dummies


def _ontology_classes() -> dict:
    """Every concrete ontology model the SDK ships (data, futures, sensors), by class name: the same list the C++
    client's models are generated from (client/tools/gen_models.py)."""
    return gen_models.ontology_classes()


# Classes whose validators tie fields together.
_OVERRIDES = {"Range": {"min_range": 0.0, "max_range": 100.0, "range": 50.0}}


def _filled(cls, seed: int):
    """An instance of `cls` with every field set (Optional ones too), values varied by `seed`; fixed-size lists get
    their declared size. Values are exact in every width used (int8, float16: small halves)."""
    counter = itertools.count(seed)

    def value(ann, meta):
        origin, args = typing.get_origin(ann), typing.get_args(ann)
        if origin is typing.Annotated:
            return value(args[0], list(args[1:]))
        if origin is typing.Union:
            return value(next(a for a in args if a is not type(None)), meta)
        if origin is list:
            size = next((m.list_size for m in meta if isinstance(m, pa.FixedSizeListType)), 2)
            return [value(args[0] if args else float, []) for _ in range(size)]
        if origin is dict:
            return {value(args[0], []): value(args[1], [])}
        if isinstance(ann, type) and issubclass(ann, enum.Enum):
            members = list(ann)
            return members[seed % len(members)]
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            return ann(**{k: value(f.annotation, f.metadata) for k, f in ann.model_fields.items()})
        k = next(counter)
        if ann is bool:
            return k % 2 == 0
        if ann is int:
            return k % 50 + 1
        if ann is float:
            return (k % 50 + 1) * 0.5
        if ann is str:
            return f"text {k}" + ("" if k % 3 else " that is longer than twelve bytes")
        if ann is bytes:
            return bytes(range(k % 7, k % 7 + 20))
        raise NotImplementedError(f"{cls.__name__}: no dummy value for {ann!r}")

    kwargs = {k: value(f.annotation, f.metadata) for k, f in cls.model_fields.items()}
    kwargs.update(_OVERRIDES.get(cls.__name__, {}))
    return cls(**kwargs)


# ---------------------------------------------------------------------------------------------------------- fixture


@dataclass
class World:
    client: MosaicoClient
    raw: fl.FlightClient
    ds: dict  # reference dataset of QUERY_SEQS, read back raw
    classes: dict  # name -> ontology class written to ALL
    pushed: dict  # (sequence, topic) -> [Message]


@pytest.fixture(scope="module")
def world(module_daemon_factory):
    d = module_daemon_factory()
    client = MosaicoClient.connect(d.host, d.port, timeout=20)
    raw = fl.FlightClient(d.location)
    pushed = {}
    classes = _ontology_classes()
    try:
        plan = {
            SYN: [(name, cls, [Message(timestamp_ns=BASE + i * MS, data=(_imu(i) if cls is IMU else _gps(i)))
                               for i in range(20)]) for name, cls in SYN_TOPICS],
            STR: [("/topic/string", String, [Message(timestamp_ns=BASE + i * MS, data=String(data=v))
                                             for i, v in enumerate(STRING_VALUES)]),
                  ("/topic/vector", Vector3d, [Message(timestamp_ns=BASE, data=Vector3d(
                      header=Header(frame_id="body_frame"), x=0.0, y=0.0, z=0.0))])],
            ALL: [(f"/all/{name}", cls, [Message(timestamp_ns=BASE + i * MS, data=_filled(cls, 7 * i + 1))
                                         for i in range(3)]) for name, cls in classes.items()],
        }
        for seq, topics in plan.items():
            with client.sequence_create(seq, {"suite": "fidelity"}) as w:
                for name, cls, msgs in topics:
                    tw = w.topic_create(name, {}, cls)
                    assert tw is not None, f"topic_create({seq}, {name}) failed"
                    for m in msgs:
                        tw.push(m)
                    pushed[(seq, name)] = msgs
            assert w.status == SequenceStatus.Finalized, f"{seq}: writer ended in {w.status}"
        yield World(client, raw, gen.snapshot_dataset(raw, QUERY_SEQS), classes, pushed)
    finally:
        raw.close()
        client.close()


def _names(resp) -> dict:
    assert resp is not None, "client.query returned None"
    return {it.sequence.name: [t.name for t in it.topics] for it in resp}


def _ref_names(world: World, q: dict) -> dict:
    return {it["sequence"]: ["/" + t["locator"].split("/", 1)[1] for t in it["topics"]]
            for it in ref.run_query(world.ds, q)["items"]}


def _sdk_query(world: World, *builders) -> dict:
    """client.query(*builders) -> {sequence: [topic names]}, checked against the reference and the raw reply."""
    got = _names(world.client.query(*builders))
    q = {b.name(): b.to_dict() for b in builders}
    assert got == _ref_names(world, q), f"{q}: reference disagrees"
    assert action(world.raw, "query", q) == ref.run_query(world.ds, q), f"raw reply for {q}"
    return got


# ------------------------------------------------------------------------------------ 4. topic names as the SDK shows


def test_sdk_suite_query_with_name_match(world):
    """test_query_ontology_between of the SDK's suite: an ontology condition and with_name_match("?camera/left*")."""
    got = _sdk_query(world, QueryOntologyCatalog().with_expression(IMU.Q.acceleration.x.between([0.0, 1.0])),
                     QueryTopic().with_name_match("?camera/left*"))
    assert got == {SYN: ["/camera/left/imu"]}


@pytest.mark.parametrize("pattern,want", [
    ("?camera/left*", ["/camera/left/imu"]),
    ("?front/imu", ["/front/imu"]),
    ("?camera/*", ["/camera/front/imu", "/camera/left/imu"]),
    ("*/imu", ["/camera/front/imu", "/camera/left/imu", "/front/imu"]),
    ("/camera/*/imu", ["/camera/front/imu", "/camera/left/imu"]),
    ("[/]gps", ["/gps"]),
    ("/gps", ["/gps"]),
    ("??ps", ["/gps"]),
    ("?amera/left*", []),  # the '?' stands for the '/', so "amera" cannot follow
    ("#*", []),
    # spellings without the leading '/' that start with a literal keep working (the SDK docstrings use them)
    ("camera/left/*", ["/camera/left/imu"]),
    ("gps", ["/gps"]),
    ("front/imu", ["/front/imu"]),
    ("c?mera/#*", []),
])
def test_topic_name_match_sees_the_leading_slash(world, pattern, want):
    got = _sdk_query(world, QuerySequence().with_name(SYN), QueryTopic().with_name_match(pattern))
    assert got == ({SYN: want} if want else {}), pattern


def test_topic_name_match_raw_flight(world):
    """The same rule through a raw DoAction, on every sequence of the module."""
    for pattern, want in [("?camera/left*", {SYN: ["camera/left/imu"]}),
                          ("?topic/*", {STR: ["topic/string", "topic/vector"]}),
                          ("topic/*", {STR: ["topic/string", "topic/vector"]}),
                          ("?opic/*", {})]:
        q = {"topic": {"name": {"$match": pattern}}, "sequence": {"name": {"$match": "fid_s*"}}}
        got = action(world.raw, "query", q)
        assert got == ref.run_query(world.ds, q), pattern
        assert {it["sequence"]: [t["locator"].split("/", 1)[1] for t in it["topics"]] for it in got["items"]} == want


def test_other_topic_name_operators_take_either_spelling(world):
    for name in ("/front/imu", "front/imu"):
        assert _sdk_query(world, QueryTopic().with_name(name)) == {SYN: ["/front/imu"]}, name


def test_sequence_names_are_matched_as_shown_without_slash(world):
    """The SDK shows sequence names without '/', and so are they matched."""
    assert _sdk_query(world, QuerySequence().with_name_match("fid_syn*")) == {SYN: [t for t, _ in sorted(SYN_TOPICS)]}
    assert _sdk_query(world, QuerySequence().with_name_match("?id_synthetic")) == {
        SYN: [t for t, _ in sorted(SYN_TOPICS)]}
    assert _sdk_query(world, QuerySequence().with_name_match("/fid_syn*")) == {}


# ------------------------------------------------------------------------------- 5. empty and over-long patterns


BAD_PATTERNS = [
    (lambda: QueryTopic().with_name_match(""), "name"),
    (lambda: QuerySequence().with_name_match(""), "name"),
    (lambda: QueryTopic().with_user_metadata("sensor.id", match=""), "sensor.id"),
    (lambda: QuerySequence().with_user_metadata("suite", match=""), "suite"),
    (lambda: QueryOntologyCatalog(String.Q.data.match("")), "String.data"),
    (lambda: QueryTopic().with_name_match("a" * 257), "name"),
    (lambda: QuerySequence().with_name_match("*" + "é" * 128), "name"),  # 257 bytes, 129 characters
    (lambda: QueryOntologyCatalog(String.Q.data.match("?" * 257)), "String.data"),
]


@pytest.mark.parametrize("make,field", BAD_PATTERNS, ids=[f"b{i}" for i in range(len(BAD_PATTERNS))])
def test_empty_or_overlong_match_is_invalid_argument_sdk(world, make, field):
    builder = make()
    with pytest.raises(pa.ArrowInvalid) as ei:  # what the SDK suite expects of INVALID_ARGUMENT
        world.client.query(builder)
    assert field in str(ei.value), str(ei.value)
    q = {builder.name(): builder.to_dict()}
    with pytest.raises(ref.QueryError):
        ref.run_query(world.ds, q)
    expect_error("INVALID_ARGUMENT", action, world.raw, "query", q, mentions=[field], what=json.dumps(q)[:100])


def test_empty_or_overlong_match_in_clusterize_and_intersect_raw(world):
    loc = f"{STR}/topic/string"
    for pattern in ("", "x" * 257):
        body = {"locator": loc, "clustering_dt_ns": 0, "ontology": {"String.data": {"$match": pattern}},
                "timestamp_range": None}
        expect_error("INVALID_ARGUMENT", raw_action, world.raw, "topic_filter_clusterize", json.dumps(body).encode(),
                     mentions=["String.data"])
        inter = {"topics": [{k: v for k, v in body.items() if k != "timestamp_range"}] * 2, "intersect_dt_ns": 0}
        expect_error("INVALID_ARGUMENT", raw_action, world.raw, "topic_filter_intersect", json.dumps(inter).encode(),
                     mentions=["String.data"])


def test_patterns_at_the_limit_are_accepted(world):
    assert _sdk_query(world, QuerySequence().with_name(STR), QueryTopic().with_name_match("*" * 256)) == {
        STR: ["/topic/string", "/topic/vector"]}
    assert _sdk_query(world, QuerySequence().with_name_match("*" + "é" * 127 + "*")) == {}  # 256 bytes
    assert _sdk_query(world, QueryOntologyCatalog(String.Q.data.match("?" * 256))) == {}
    assert _sdk_query(world, QueryOntologyCatalog(String.Q.data.match("?"))) == {STR: ["/topic/string"]}


# ---------------------------------------------------------------------------------- 6. strings in returned schemas


def _get_schema(raw: fl.FlightClient, loc: str) -> pa.Schema:
    return raw.get_schema(fl.FlightDescriptor.for_command(json.dumps({"resource_locator": loc}))).schema


def test_string_ontology_schema_is_string_view_sdk(world):
    """test_query_ontology_top_level_string of the SDK's suite, plus reading the topic back through the model."""
    world.client.clear_topic_handlers_cache()
    th = world.client.topic_handler(STR, "/topic/string")
    assert th is not None
    assert pa.types.is_string_view(th.ontology_schema.field("data").type), th.ontology_schema
    assert _compute_schema_fingerprint(th.ontology_schema) == String.__schema_fingerprint__
    assert _sdk_query(world, QueryOntologyCatalog().with_expression(String.Q.data.eq("test_string"))) == {
        STR: ["/topic/string"]}
    got = list(th.get_data_streamer())
    assert [type(m.data) for m in got] == [String] * len(STRING_VALUES), "decoded as another class than String"
    assert [m.data.data for m in got] == STRING_VALUES
    assert [m.timestamp_ns for m in got] == [m.timestamp_ns for m in world.pushed[(STR, "/topic/string")]]
    # the sequence-level streamer decodes it too
    sh = world.client.sequence_handler(STR)
    merged = [(t, m.data) for t, m in sh.get_data_streamer()]
    assert [d.data for t, d in merged if t == "/topic/string"] == STRING_VALUES


def test_nested_string_stays_string_sdk(world):
    """test_query_ontology_nested_string of the SDK's suite."""
    world.client.clear_topic_handlers_cache()
    th = world.client.topic_handler(STR, "/topic/vector")
    header = th.ontology_schema.field("header").type
    assert pa.types.is_string(header.field("frame_id").type), header
    assert _sdk_query(world, QueryOntologyCatalog().with_expression(Vector3d.Q.header.frame_id.eq("body_frame"))) == {
        STR: ["/topic/vector"]}
    (msg,) = list(th.get_data_streamer())
    assert type(msg.data) is Vector3d and msg.data.header.frame_id == "body_frame"


def _uploaded_schema(cls) -> pa.Schema:
    """The envelope's fields, then the model's: what the SDK's writer uploads. (Not Message._get_schema: it is an
    lru_cache keyed by StructType, whose equality ignores field metadata, so Temperature would get Pressure's.)"""
    return pa.schema(list(Message.__msco_pyarrow_struct__) + list(cls.__msco_pyarrow_struct__))


@pytest.mark.parametrize("name", ["/topic/string", "/topic/vector"])
def test_announced_and_streamed_schemas_agree_raw(world, name):
    loc = STR + name
    cls = String if name.endswith("string") else Vector3d
    want = flight_form(_uploaded_schema(cls))
    assert _get_schema(world.raw, loc).equals(want, check_metadata=True), _get_schema(world.raw, loc)
    info = get_info(world.raw, loc)
    assert info.schema.equals(want, check_metadata=True), info.schema
    schema, batches = read_ticket_batches(world.raw, info.endpoints[0].ticket)
    assert schema.equals(want, check_metadata=True), schema
    assert batches and all(b.schema.equals(want, check_metadata=True) for b in batches)
    table = pa.Table.from_batches(batches, schema=schema)
    if cls is String:
        assert table.column("data").type == pa.string_view()
        assert table.column("data").to_pylist() == STRING_VALUES
        # a window read (a slice of the stored batch) agrees too
        ep = get_info(world.raw, loc, BASE + 2 * MS, BASE + 4 * MS).endpoints[0]
        s2, b2 = read_ticket_batches(world.raw, ep.ticket)
        assert s2.equals(want, check_metadata=True)
        assert pa.Table.from_batches(b2, schema=s2).column("data").to_pylist() == STRING_VALUES[2:4]
    else:
        assert table.schema.field("header").type.field("frame_id").type == pa.string()
        assert table.column("header").to_pylist()[0]["frame_id"] == "body_frame"


def _flat_fields(struct, prefix="") -> dict:
    """dotted path -> (type without children, nullable, metadata) for every field at every depth."""
    out = {}
    for f in struct:
        path = f"{prefix}.{f.name}" if prefix else f.name
        t = f.type
        leaf = t
        while pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
            t = t.value_type
        out[path] = (str(leaf) if not pa.types.is_struct(t) else "struct", f.nullable, dict(f.metadata or {}))
        if pa.types.is_struct(t):
            out.update(_flat_fields(t, path))
    return out


def test_every_builtin_ontology_schema_promise_sdk(world):
    """For every model the SDK ships: the schema TopicHandler.ontology_schema reports has the model's names, order,
    nullability and field metadata at every depth; its types are the model's except top-level strings, which are
    string_view; the SDK's fingerprint (which reads string_view as string) is the model's."""
    problems = []
    world.client.clear_topic_handlers_cache()
    for name, cls in world.classes.items():
        th = world.client.topic_handler(ALL, f"/all/{name}")
        assert th is not None, name
        model = cls.__msco_pyarrow_struct__
        got = th.ontology_schema
        if [f.name for f in got] != [f.name for f in model]:
            problems.append(f"{name}: field order {[f.name for f in got]}")
            continue
        want = pa.struct(list(flight_form(pa.schema(list(model)))))
        if not got.equals(want, check_metadata=True):
            problems.append(f"{name}: schema\n  got  {got}\n  want {want}")
        gf, mf = _flat_fields(got), _flat_fields(model)
        for path, (t, nullable, md) in mf.items():
            g = gf.get(path)
            if g is None or g[1] != nullable or g[2] != md:
                problems.append(f"{name}.{path}: nullability/metadata {g} vs {(t, nullable, md)}")
            elif "." not in path and t in ("string", "large_string"):
                if g[0] != "string_view":
                    problems.append(f"{name}.{path}: {g[0]}, want string_view")
            elif g[0] != t:
                problems.append(f"{name}.{path}: type {g[0]}, want {t}")
        if _compute_schema_fingerprint(got) != cls.__schema_fingerprint__:
            problems.append(f"{name}: fingerprint differs")
    assert not problems, "\n".join(problems)


def test_every_builtin_ontology_reads_back_through_its_model_sdk(world):
    problems = []
    for name, cls in world.classes.items():
        th = world.client.topic_handler(ALL, f"/all/{name}")
        want = world.pushed[(ALL, f"/all/{name}")]
        got = list(th.get_data_streamer())
        if [type(m.data) for m in got] != [cls] * len(want):
            problems.append(f"{name}: decoded as {[type(m.data).__name__ for m in got]}")
            continue
        for g, w in zip(got, want):
            if g.timestamp_ns != w.timestamp_ns or g.data.model_dump() != w.data.model_dump():
                problems.append(f"{name}: {g.data.model_dump()!r:.300} != {w.data.model_dump()!r:.300}")
                break
    assert not problems, "\n".join(problems)


def _schema_diff(got: pa.Schema, want: pa.Schema) -> str:
    if got.names != want.names:
        return f"names {got.names} vs {want.names}"
    if got.metadata != want.metadata:
        return f"schema metadata {got.metadata} vs {want.metadata}"
    for g, w in zip(got, want):
        if not g.equals(w, check_metadata=True):
            return f"field {g!r} {g.metadata} vs {w!r} {w.metadata}"
    return "?"


def test_every_builtin_ontology_raw_flight(world):
    """Raw pyarrow.flight: GetSchema, GetFlightInfo and DoGet agree on the Flight form of the uploaded schema, and the
    streamed values are the uploaded ones (cast back to the uploaded schema, losslessly)."""
    problems = []
    for name, cls in world.classes.items():
        loc = f"{ALL}/all/{name}"
        uploaded = _uploaded_schema(cls)
        want = flight_form(uploaded)
        info = get_info(world.raw, loc)
        schema, batches = read_ticket_batches(world.raw, info.endpoints[0].ticket)
        for what, s in [("GetSchema", _get_schema(world.raw, loc)), ("GetFlightInfo", info.schema),
                        ("DoGet", schema)] + [(f"batch {i}", b.schema) for i, b in enumerate(batches)]:
            if not s.equals(want, check_metadata=True):
                problems.append(f"{name}: {what} schema differs: {_schema_diff(s, want)}")
        table = pa.Table.from_batches(batches, schema=schema)
        sent = pa.Table.from_batches([pa.RecordBatch.from_pylist(
            [m._encode() for m in world.pushed[(ALL, f"/all/{name}")]], schema=uploaded)])
        if not table.cast(uploaded).equals(sent):
            problems.append(f"{name}: values differ")
    assert not problems, "\n".join(problems)
