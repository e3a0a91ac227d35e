"""Raw Arrow Flight protocol tests: every RPC the SDK uses, spoken with pyarrow.flight only.

The module fixture `uploaded` writes one sequence through the raw write path (sequence_create, session_create,
topic_create, DoPut, session_finalize) with three topics:
  sensors/rich    nested structs, lists, a map, binary, nulls, field metadata; 3 batches out of order across batches
  sensors/big     ~4 MB of incompressible binary in 8 batches out of order (spans several 1 MB chunks)
  empty/topic     a schema and zero batches
and the read-side tests check GetFlightInfo / GetSchema / DoGet / ListFlights against what was uploaded.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.flight as fl
import pytest

from conftest import unique_name
from mosaico_testlib import (
    action,
    action_results,
    app_md,
    assert_tables_equal,
    create_sequence,
    create_session,
    create_topic,
    expect_error,
    finalize,
    flight_form,
    get_info,
    put_batches,
    read_ticket,
    read_ticket_batches,
    read_topic,
    rich_batch,
    rich_schema,
    simple_batch,
    simple_schema,
    sort_by_ts,
    window_filter,
    TS_FIELD,
)


BASE = 1_700_000_000_000_000_000
MS = 1_000_000

SEQ_USER_MD = {
    "mission": {"id": 42, "name": "raw-flight", "tags": ["a", "b", {"deep": [1, 2.5, None, True]}]},
    "driver": "Zoë «quoted» \"x\" \\ back",
    "big_int": 9007199254740993,
    "neg": -17,
    "ratio": 0.1,
    "tiny": 1e-300,
    "flag": False,
    "empty_obj": {},
    "empty_list": [],
    "nothing": None,
}


@dataclass
class TopicSpec:
    path: str  # relative to the sequence, no leading '/'
    schema: pa.Schema
    batches: list  # as uploaded (out of order)
    ontology_tag: str
    serialization_format: str
    user_metadata: dict
    uuid: str = ""

    @property
    def expected(self) -> pa.Table:
        if not self.batches:
            return self.schema.empty_table()
        return sort_by_ts(pa.Table.from_batches(self.batches, schema=self.schema))


@dataclass
class Uploaded:
    seq: str
    session_uuid: str
    session_locator: str
    topics: dict = field(default_factory=dict)  # path -> TopicSpec
    t_before_ns: int = 0
    t_after_ns: int = 0

    def loc(self, path: str) -> str:
        return f"{self.seq}/{path}"


def _rich_topic() -> TopicSpec:
    schema = rich_schema()
    ks = list(range(900))
    random.Random(1).shuffle(ks)
    # three batches whose time ranges interleave: out of order within and across batches
    chunks = [ks[0:250], ks[250:600], ks[600:900]]
    batches = [rich_batch(schema, [BASE + k * MS for k in c], seed=i) for i, c in enumerate(chunks)]
    return TopicSpec(
        "sensors/rich",
        schema,
        batches,
        "rich_tag",
        "ragged",
        {"vendor": "acme", "rate_hz": 1000, "calib": {"matrix": [[1, 0], [0, 1]], "ok": True}},
    )


def _big_topic() -> TopicSpec:
    schema = pa.schema([TS_FIELD, pa.field("payload", pa.binary(), nullable=False), pa.field("seq_no", pa.uint32())])
    rnd = random.Random(7)
    ks = list(range(2000))
    # batches of 250 rows, batch order reversed and every batch internally shuffled
    groups = [ks[i : i + 250] for i in range(0, 2000, 250)][::-1]
    batches = []
    for g in groups:
        g = list(g)
        rnd.shuffle(g)
        batches.append(
            pa.RecordBatch.from_pydict(
                {
                    "timestamp_ns": [BASE + k * MS + 500 for k in g],
                    "payload": [rnd.randbytes(2048) for _ in g],
                    "seq_no": list(g),
                },
                schema=schema,
            )
        )
    return TopicSpec("sensors/big", schema, batches, "blob_tag", "default", {"size": "big"})


def _interleaved_topic() -> TopicSpec:
    """8 batches whose rows interleave in time (batch i holds k % 8 == i): every chunk spans the whole time range,
    so reads must merge chunks, not concatenate them."""
    schema = pa.schema([TS_FIELD, pa.field("payload", pa.binary()), pa.field("k", pa.int64(), nullable=False)])
    rnd = random.Random(9)
    batches = []
    for i in range(8):
        ks = [k for k in range(2000) if k % 8 == i]
        rnd.shuffle(ks)
        batches.append(
            pa.RecordBatch.from_pydict(
                {"timestamp_ns": [BASE + k * MS + 250 for k in ks], "payload": [rnd.randbytes(2000) for _ in ks], "k": ks},
                schema=schema,
            )
        )
    return TopicSpec("sensors/interleaved", schema, batches, "blob_tag", "default", {"layout": "interleaved"})


def _empty_topic() -> TopicSpec:
    schema = simple_schema([pa.field("note", pa.string(), metadata={"why": "no rows"})])
    return TopicSpec("empty/topic", schema, [], "empty_tag", "default", {})


@pytest.fixture(scope="module")
def raw(daemon):
    c = fl.FlightClient(daemon.location)
    yield c
    c.close()


@pytest.fixture(scope="module")
def uploaded(raw) -> Uploaded:
    seq = unique_name("raw")
    t0 = time.time_ns()
    create_sequence(raw, seq, SEQ_USER_MD)
    s_uuid, s_loc = create_session(raw, seq)
    up = Uploaded(seq, s_uuid, s_loc, t_before_ns=t0)
    for spec in (_rich_topic(), _big_topic(), _interleaved_topic(), _empty_topic()):
        spec.uuid = create_topic(
            raw,
            s_uuid,
            up.loc(spec.path),
            ontology_tag=spec.ontology_tag,
            serialization_format=spec.serialization_format,
            user_metadata=spec.user_metadata,
        )
        put_batches(raw, up.loc(spec.path), spec.uuid, spec.schema, spec.batches)
        up.topics[spec.path] = spec
    finalize(raw, s_uuid)
    up.t_after_ns = time.time_ns()
    return up


def _ns_plausible(value, lo: int, hi: int, what: str):
    assert isinstance(value, int) and not isinstance(value, bool), f"{what} is not an integer: {value!r}"
    slack = 5_000_000_000
    assert lo - slack <= value <= hi + slack, f"{what}={value} is not a wall-clock ns time within [{lo}, {hi}]"


# ----------------------------------------------------------------------------------------------------------------------
# DoAction basics
# ----------------------------------------------------------------------------------------------------------------------


def test_info_envelope(flight):
    envs = action_results(flight, "info", {})
    assert len(envs) == 1, f"info: expected one result, got {len(envs)}"
    resp = envs[0].get("response")
    assert isinstance(resp, dict), f"info: response is {resp!r}"
    assert isinstance(resp.get("version"), str) and resp["version"], f"info: version is {resp.get('version')!r}"
    sv = resp.get("semver")
    assert isinstance(sv, dict), f"info: semver is {sv!r}"
    for k in ("major", "minor", "patch"):
        assert isinstance(sv.get(k), int) and sv[k] >= 0, f"info: semver.{k} is {sv.get(k)!r}"
    assert "pre" in sv and (sv["pre"] is None or isinstance(sv["pre"], str)), f"info: semver.pre is {sv.get('pre')!r}"
    assert f"{sv['major']}.{sv['minor']}.{sv['patch']}" in resp["version"], (
        f"info: version {resp['version']!r} does not match semver {sv!r}"
    )
    cfg = resp.get("config")
    assert isinstance(cfg, dict), f"info: config is {cfg!r}"
    for k in ("grpc_max_decode_message_size", "grpc_max_encode_message_size", "grpc_target_encode_message_size"):
        assert isinstance(cfg.get(k), int) and cfg[k] > 0, f"info: config.{k} is {cfg.get(k)!r}"
    assert cfg["grpc_max_decode_message_size"] >= 1 << 20, "info: decode limit below 1 MiB makes the SDK batch tiny"
    assert cfg["grpc_target_encode_message_size"] <= cfg["grpc_max_encode_message_size"], (
        f"info: target encode size above the max encode size: {cfg}"
    )
    # the SDK's own parser accepts it
    from mosaicolabs import ServerInfo

    ServerInfo.from_dict(resp)


CORE_ACTIONS = [
    "info",
    "sequence_create",
    "session_create",
    "session_finalize",
    "topic_create",
    "sequence_delete",
    "session_delete",
    "topic_delete",
    "sequence_notification_create",
    "sequence_notification_list",
    "sequence_notification_purge",
    "topic_notification_create",
    "topic_notification_list",
    "topic_notification_purge",
]
QUERY_ACTIONS = ["query", "topic_filter_clusterize", "topic_filter_intersect"]


def test_list_actions_includes_core_actions(flight):
    names = [a.type for a in flight.list_actions()]
    assert len(names) == len(set(names)), f"list_actions has duplicates: {names}"
    missing = [n for n in CORE_ACTIONS if n not in names]
    assert not missing, f"list_actions lacks {missing}; it lists {names}"


def test_list_actions_includes_query_actions(flight):
    names = [a.type for a in flight.list_actions()]
    missing = [n for n in QUERY_ACTIONS if n not in names]
    assert not missing, f"list_actions lacks the query actions {missing}; it lists {names}"


def test_write_path_action_replies(flight, seq_name):
    # sequence_create: the SDK ignores the reply but it must be either nothing or a well-formed envelope
    envs = action_results(flight, "sequence_create", {"locator": seq_name, "user_metadata": {"k": 1}})
    assert len(envs) <= 1
    uuid1, loc1 = create_session(flight, seq_name)
    m = re.fullmatch(re.escape(seq_name) + r":([A-Za-z0-9]+)", loc1)
    assert m, f"session_create locator {loc1!r} is not '{seq_name}:<id>'"
    t_uuid = create_topic(flight, uuid1, f"{seq_name}/a.b/c-d_E9")
    assert t_uuid != uuid1, "topic uuid equals the session uuid"
    t_uuid2 = create_topic(flight, uuid1, f"{seq_name}/c")
    assert t_uuid2 != t_uuid, "two topics got the same uuid"
    put_batches(flight, f"{seq_name}/a.b/c-d_E9", t_uuid, simple_schema(), [simple_batch(simple_schema(), [1, 2, 3])])
    put_batches(flight, f"{seq_name}/c", t_uuid2, simple_schema(), [])
    envs = action_results(flight, "session_finalize", {"session_uuid": uuid1})
    assert len(envs) <= 1
    # a second session on the same sequence gets a different id
    uuid2, loc2 = create_session(flight, seq_name)
    assert uuid2 != uuid1 and loc2 != loc1, f"second session reused id: {loc1!r} / {loc2!r}"
    assert loc2.startswith(seq_name + ":")
    finalize(flight, uuid2)


# ----------------------------------------------------------------------------------------------------------------------
# ListFlights
# ----------------------------------------------------------------------------------------------------------------------


def test_list_flights_one_per_sequence(raw, uploaded):
    infos = list(raw.list_flights())
    ours = [i for i in infos if i.descriptor.path and [p.decode() for p in i.descriptor.path] == [uploaded.seq]]
    assert len(ours) == 1, f"list_flights: {len(ours)} FlightInfos for {uploaded.seq!r}, want exactly 1"
    d = ours[0].descriptor
    assert d.descriptor_type == fl.DescriptorType.PATH, f"descriptor type is {d.descriptor_type}"
    # every listed flight is a sequence: a single path element, no duplicates
    paths = [tuple(p.decode() for p in i.descriptor.path or []) for i in infos]
    assert all(len(p) == 1 for p in paths), f"list_flights descriptors with path length != 1: {paths[:10]}"
    assert len(paths) == len(set(paths)), "list_flights lists a sequence twice"
    for p in paths:
        assert "/" not in p[0] and ":" not in p[0], f"list_flights lists a non-sequence {p[0]!r}"


def test_list_flights_pages_with_after_and_limit(flight, new_name):
    # ListFlights criteria {"after", "limit"} (docs/PROTOCOL_NOTES.md "Listing"): pages in name order that walk the
    # whole listing; the SDK's empty criteria still get everything.
    prefix = new_name()
    names = [f"{prefix}_{i}" for i in range(5)]
    for n in names:
        create_sequence(flight, n)

    def page(**crit):
        return [p.decode() for i in flight.list_flights(criteria=json.dumps(crit).encode())
                for p in (i.descriptor.path or [])]

    everything = [p.decode() for i in flight.list_flights() for p in (i.descriptor.path or [])]
    assert everything == sorted(everything, key=lambda n: n.encode()), "list_flights is not in name order"
    assert [n for n in everything if n.startswith(prefix)] == names
    assert page(after=names[0], limit=2) == names[1:3]
    assert page(limit=0) == []
    walked, after = [], ""
    while True:
        got = page(after=after, limit=3)
        assert len(got) <= 3
        walked += got
        if len(got) < 3:
            break
        after = got[-1]
    assert walked == everything
    for bad in (b"not json", b"[1]", b'{"limit": -1}', b'{"skip": 2}'):
        expect_error("INVALID_ARGUMENT", lambda: list(flight.list_flights(criteria=bad)), what=f"criteria {bad!r}")


# ----------------------------------------------------------------------------------------------------------------------
# GetFlightInfo on a sequence
# ----------------------------------------------------------------------------------------------------------------------


def test_sequence_flight_info_app_metadata(raw, uploaded):
    info = get_info(raw, uploaded.seq)
    md = app_md(info)
    assert md.get("resource_locator") == uploaded.seq, f"resource_locator is {md.get('resource_locator')!r}"
    _ns_plausible(md.get("created_at_ns"), uploaded.t_before_ns, uploaded.t_after_ns, "sequence created_at_ns")
    assert md.get("user_metadata") == SEQ_USER_MD, f"sequence user_metadata round-trip: {md.get('user_metadata')!r}"
    sessions = md.get("sessions")
    assert isinstance(sessions, list) and len(sessions) == 1, f"sessions: {sessions!r}"
    s = sessions[0]
    assert s.get("locator") == uploaded.session_locator, f"session locator {s.get('locator')!r}"
    _ns_plausible(s.get("created_at_ns"), uploaded.t_before_ns, uploaded.t_after_ns, "session created_at_ns")
    _ns_plausible(s.get("completed_at_ns"), uploaded.t_before_ns, uploaded.t_after_ns, "session completed_at_ns")
    assert s["completed_at_ns"] >= s["created_at_ns"]
    assert s.get("locked") is True, f"finalized session locked={s.get('locked')!r}"
    want_topics = sorted(uploaded.loc(p) for p in uploaded.topics)
    assert sorted(s.get("topics") or []) == want_topics, (
        f"session topics {s.get('topics')!r}, want full locators {want_topics!r}"
    )
    # the SDK parses it
    from mosaicolabs.platform.app_metadata import SequenceAppMetadata

    parsed = SequenceAppMetadata._from_app_metadata(md)
    assert parsed.locator == uploaded.seq


def _check_endpoint_md(md: dict, spec: TopicSpec, up: Uploaded, windowed: bool):
    loc = up.loc(spec.path)
    assert md.get("resource_locator") == loc, f"endpoint resource_locator {md.get('resource_locator')!r}, want {loc!r}"
    _ns_plausible(md.get("created_at_ns"), up.t_before_ns, up.t_after_ns, f"{loc} created_at_ns")
    _ns_plausible(md.get("completed_at_ns"), up.t_before_ns, up.t_after_ns, f"{loc} completed_at_ns")
    assert md.get("locked") is True, f"{loc}: locked={md.get('locked')!r} after finalize"
    assert md.get("ontology_tag") == spec.ontology_tag, f"{loc}: ontology_tag {md.get('ontology_tag')!r}"
    assert md.get("serialization_format") == spec.serialization_format, (
        f"{loc}: serialization_format {md.get('serialization_format')!r}"
    )
    assert md.get("user_metadata") == spec.user_metadata, f"{loc}: user_metadata {md.get('user_metadata')!r}"
    di = md.get("data_info")
    assert isinstance(di, dict), f"{loc}: data_info is {di!r}"
    exp = spec.expected
    assert di.get("total_row_count") == exp.num_rows, f"{loc}: total_row_count {di.get('total_row_count')!r}"
    assert isinstance(di.get("total_bytes"), int) and isinstance(di.get("total_chunks_count"), int), f"{loc}: {di!r}"
    if exp.num_rows:
        assert di["total_bytes"] > 0 and di["total_chunks_count"] >= 1, f"{loc}: data_info {di!r}"
        ts = exp.column("timestamp_ns").to_pylist()
        assert di.get("interval") == {"start_ns": min(ts), "end_ns": max(ts)}, f"{loc}: interval {di.get('interval')!r}"
    else:
        assert di["total_bytes"] >= 0 and di["total_chunks_count"] >= 0
        assert di.get("interval") in (None, {}, {"start_ns": None, "end_ns": None}), (
            f"{loc}: empty topic interval {di.get('interval')!r}"
        )
    if not windowed:
        assert md.get("time_window_info") is None, f"{loc}: time_window_info without a window: {md.get('time_window_info')!r}"


def test_sequence_flight_info_endpoints(raw, uploaded):
    info = get_info(raw, uploaded.seq)
    mds = [app_md(ep) for ep in info.endpoints]
    locs = sorted(md.get("resource_locator") for md in mds)
    assert locs == sorted(uploaded.loc(p) for p in uploaded.topics), f"endpoints cover {locs}"
    for md in mds:
        spec = uploaded.topics[md["resource_locator"].split("/", 1)[1]]
        _check_endpoint_md(md, spec, uploaded, windowed=False)
    from mosaicolabs.platform.app_metadata import TopicAppMetadata

    for ep in info.endpoints:
        TopicAppMetadata._from_flight_endpoint(ep)  # the SDK parses every endpoint


def test_sequence_endpoint_tickets_read_each_topic(raw, uploaded):
    info = get_info(raw, uploaded.seq)
    for ep in info.endpoints:
        loc = app_md(ep)["resource_locator"]
        spec = uploaded.topics[loc.split("/", 1)[1]]
        got = read_ticket(raw, ep.ticket)
        assert_tables_equal(got, spec.expected, f"do_get(sequence endpoint {loc})")


# ----------------------------------------------------------------------------------------------------------------------
# GetFlightInfo / GetSchema / DoGet on a topic
# ----------------------------------------------------------------------------------------------------------------------

TOPIC_PATHS = ["sensors/rich", "sensors/big", "sensors/interleaved", "empty/topic"]


@pytest.mark.parametrize("path", TOPIC_PATHS)
def test_topic_flight_info(raw, uploaded, path):
    spec = uploaded.topics[path]
    info = get_info(raw, uploaded.loc(path))
    assert len(info.endpoints) == 1, f"topic get_flight_info: {len(info.endpoints)} endpoints"
    assert info.schema is not None, "topic FlightInfo carries no schema"
    assert info.schema.equals(flight_form(spec.schema), check_metadata=True), (
        f"FlightInfo.schema differs from the uploaded one in Flight form\n--- got\n{info.schema}\n--- uploaded\n"
        f"{spec.schema}"
    )
    _check_endpoint_md(app_md(info.endpoints[0]), spec, uploaded, windowed=False)


@pytest.mark.parametrize("path", ["sensors/big", "sensors/interleaved"])
def test_big_topics_span_several_chunks(raw, uploaded, path):
    """~4 MiB in 8 batches with --chunk-size-mb 1 (shared daemon): several chunks, so reads cross chunk bounds."""
    di = app_md(get_info(raw, uploaded.loc(path)).endpoints[0])["data_info"]
    assert di["total_chunks_count"] >= 2, f"{path}: {di}"


@pytest.mark.parametrize("path", TOPIC_PATHS)
def test_topic_get_schema(raw, uploaded, path):
    spec = uploaded.topics[path]
    res = raw.get_schema(fl.FlightDescriptor.for_command(json.dumps({"resource_locator": uploaded.loc(path)})))
    assert res.schema.equals(flight_form(spec.schema), check_metadata=True), (
        f"get_schema differs from the uploaded one in Flight form\n--- got\n{res.schema}\n--- uploaded\n{spec.schema}"
    )


@pytest.mark.parametrize("path", TOPIC_PATHS)
def test_topic_do_get_sorted_identical(raw, uploaded, path):
    spec = uploaded.topics[path]
    info = get_info(raw, uploaded.loc(path))
    schema, batches = read_ticket_batches(raw, info.endpoints[0].ticket)
    assert schema.remove_metadata().equals(flight_form(spec.schema), check_metadata=True), (
        f"do_get schema (fields) differs\n--- got\n{schema}\n--- uploaded\n{spec.schema}"
    )
    for i, b in enumerate(batches[:-1]):
        assert b.num_rows > 0, f"do_get sent an empty batch mid-stream (batch {i}); the SDK reads it as end of stream"
    limit = action(raw, "info", {})["config"]["grpc_max_encode_message_size"]
    for i, b in enumerate(batches):
        size = pa.ipc.get_record_batch_size(b)
        assert size <= limit, f"do_get batch {i} is {size} bytes, above grpc_max_encode_message_size={limit}"
    got = pa.Table.from_batches(batches, schema=schema) if batches else schema.empty_table()
    ts = got.column("timestamp_ns").to_pylist()
    assert ts == sorted(ts), "do_get rows are not sorted by timestamp_ns"
    assert_tables_equal(got, spec.expected, f"do_get({uploaded.loc(path)})")


def test_topic_path_normalisation(raw, uploaded):
    """The SDK may send '/seq/topic' or 'seq/topic/' for the same topic."""
    want = uploaded.topics["sensors/rich"].expected
    for variant in (f"/{uploaded.seq}/sensors/rich", f"{uploaded.seq}/sensors/rich/"):
        info = get_info(raw, variant)
        assert len(info.endpoints) == 1
        assert app_md(info.endpoints[0])["resource_locator"] == uploaded.loc("sensors/rich")
        assert_tables_equal(read_ticket(raw, info.endpoints[0].ticket), want, f"do_get via {variant!r}")


# ----------------------------------------------------------------------------------------------------------------------
# Time windows [start, end)
# ----------------------------------------------------------------------------------------------------------------------

WINDOWS = {
    "exact_bounds": (BASE + 100 * MS, BASE + 400 * MS),  # rich rows sit exactly on both bounds
    "start_only": (BASE + 850 * MS, None),
    "end_only": (None, BASE + 5 * MS + 1),
    "between_rows": (BASE + 1 * MS + 1, BASE + 1 * MS + 501),  # one big row, no rich row
    "after_all": (BASE + 10_000 * MS, BASE + 11_000 * MS),
    "covers_all": (BASE - 1_000 * MS, BASE + 3_000 * MS),
    "one_ns": (BASE + 700 * MS, BASE + 700 * MS + 1),
}


def _check_window_md(md: dict, spec: TopicSpec, start, end):
    exp = window_filter(spec.expected, start, end)
    twi = md.get("time_window_info")
    assert isinstance(twi, dict), f"{spec.path} window {start},{end}: time_window_info is {twi!r}"
    assert twi.get("row_count") == exp.num_rows, (
        f"{spec.path} window [{start},{end}): row_count {twi.get('row_count')!r}, want {exp.num_rows}"
    )
    if exp.num_rows:
        ts = exp.column("timestamp_ns").to_pylist()
        assert twi.get("interval") == {"start_ns": min(ts), "end_ns": max(ts)}, (
            f"{spec.path} window [{start},{end}): interval {twi.get('interval')!r}, want rows' min/max {min(ts)}/{max(ts)}"
        )
    else:
        assert twi.get("interval") in (None, {}, {"start_ns": None, "end_ns": None}), (
            f"{spec.path} window [{start},{end}) holds no rows but interval is {twi.get('interval')!r}"
        )
    # data_info stays about the whole topic
    assert md["data_info"]["total_row_count"] == spec.expected.num_rows
    return exp


@pytest.mark.parametrize("wname", list(WINDOWS))
@pytest.mark.parametrize("path", TOPIC_PATHS)
def test_topic_window(raw, uploaded, path, wname):
    start, end = WINDOWS[wname]
    spec = uploaded.topics[path]
    info = get_info(raw, uploaded.loc(path), start, end)
    assert len(info.endpoints) == 1
    exp = _check_window_md(app_md(info.endpoints[0]), spec, start, end)
    got = read_ticket(raw, info.endpoints[0].ticket)
    assert_tables_equal(got, exp, f"do_get({spec.path}, [{start},{end}))")


@pytest.mark.parametrize("wname", ["exact_bounds", "end_only", "after_all"])
def test_sequence_window(raw, uploaded, wname):
    start, end = WINDOWS[wname]
    info = get_info(raw, uploaded.seq, start, end)
    locs = sorted(app_md(ep).get("resource_locator") for ep in info.endpoints)
    assert locs == sorted(uploaded.loc(p) for p in uploaded.topics), f"windowed sequence endpoints: {locs}"
    for ep in info.endpoints:
        md = app_md(ep)
        spec = uploaded.topics[md["resource_locator"].split("/", 1)[1]]
        exp = _check_window_md(md, spec, start, end)
        assert_tables_equal(read_ticket(raw, ep.ticket), exp, f"do_get(sequence ticket {spec.path}, [{start},{end}))")


def test_ticket_carries_window_not_later_state(raw, uploaded):
    """A ticket obtained with a window keeps that window when redeemed twice."""
    start, end = WINDOWS["exact_bounds"]
    info = get_info(raw, uploaded.loc("sensors/big"), start, end)
    exp = window_filter(uploaded.topics["sensors/big"].expected, start, end)
    t = info.endpoints[0].ticket
    assert_tables_equal(read_ticket(raw, t), exp, "first do_get")
    assert_tables_equal(read_ticket(raw, t), exp, "second do_get of the same ticket")


def test_parallel_readers(daemon, uploaded):
    """Several clients read (windowed) tickets of the multi-chunk topics at the same time."""
    jobs = []
    for path in ("sensors/big", "sensors/interleaved"):
        for wname in ("exact_bounds", "covers_all", "start_only", "end_only"):
            jobs.append((path, *WINDOWS[wname]))
    errors = []

    def run(path, start, end):
        c = fl.FlightClient(daemon.location)
        try:
            got = read_topic(c, uploaded.loc(path), start, end)
            assert_tables_equal(got, window_filter(uploaded.topics[path].expected, start, end), f"{path} [{start},{end})")
        except Exception as e:  # noqa: BLE001
            errors.append(e)
        finally:
            c.close()

    threads = [threading.Thread(target=run, args=j) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, f"{len(errors)} parallel reads failed, first: {errors[0]!r:.600}"


def test_cancel_do_get_midway_then_serve(raw, uploaded):
    """The SDK cancels readers it no longer needs; the daemon must tolerate it."""
    for _ in range(3):
        reader = raw.do_get(get_info(raw, uploaded.loc("sensors/big")).endpoints[0].ticket)
        reader.read_chunk()
        reader.cancel()
    got = read_topic(raw, uploaded.loc("sensors/big"))
    assert_tables_equal(got, uploaded.topics["sensors/big"].expected, "do_get after cancelled readers")


# ----------------------------------------------------------------------------------------------------------------------
# Write-path behaviours
# ----------------------------------------------------------------------------------------------------------------------
