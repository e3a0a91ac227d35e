"""The SDK's own query API (mosaicolabs 0.7.0) against the real daemon (issue #3), used exactly as a user would:
QuerySequence / QueryTopic / QueryOntologyCatalog on the SDK's ontology models (IMU, GPS, RobotJoint, Polygon),
Query combining them, client.query(...), and the response helpers (iteration, item.topics, clusterize, intersect,
clusterize_all, to_query_sequence / to_query_topic, TimestampRange).

The module writes its own sequences through SequenceWriter / TopicWriter into a dedicated daemon (so the catalog holds
only them). Every answer is checked twice: against hand-computed expectations (the data is simple enough to reason
about) and against the reference evaluator (query_reference.py) run on what the daemon stores (read back raw).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pyarrow.flight as fl
import pytest
from mosaicolabs import (
    GPS,
    IMU,
    GPSStatus,
    Header,
    Message,
    MosaicoClient,
    Point3d,
    Polygon,
    Query,
    QueryOntologyCatalog,
    QuerySequence,
    QueryTopic,
    RobotJoint,
    SequenceStatus,
    Time,
    Vector3d,
)
from mosaicolabs.query.topic_cluster import TimestampRange

import query_datagen as gen
import query_reference as ref
from mosaico_testlib import raw_action

BASE = 1_770_000_000_000_000_000
MS = 1_000_000
B2 = BASE + 10**9  # the second sequence's time origin

ALPHA, BETA, CALIB, EMPTY = "qsdk_alpha", "qsdk_beta", "calib_007", "qsdk_empty"
SEQ_MD = {
    ALPHA: {"env": {"weather": "sunny", "visibility": 80}, "driver": "alice", "version": 3, "project": "apollo",
            "tags": ["a", "b"], "ok": True},
    BETA: {"env": {"weather": "rain", "visibility": 30}, "driver": "bob", "version": 4, "project": "apollo"},
    CALIB: {"calibration": {"run": 7, "operator": "alice"}, "driver": "carol", "version": 10},
    EMPTY: {"driver": "dave", "version": 1},
}
IMU_TAG = IMU.ontology_tag()
GPS_TAG = GPS.ontology_tag()
JOINT_TAG = RobotJoint.ontology_tag()
POLY_TAG = Polygon.ontology_tag()


def _hdr(i: int, frame: str) -> Header:
    return Header(timestamp=Time(seconds=1_700_000_000 + i, nanoseconds=0), frame_id=frame, sample_counter=i)


def _alpha_imu():
    # acceleration.x = i - 50 (x > 40 for i = 91..99), acceleration.y = i / 2, one row per ms
    return [Message(timestamp_ns=BASE + i * MS,
                    data=IMU(header=_hdr(i, "imu_link" if i % 4 else "imu_alt"),
                             acceleration=Vector3d(x=float(i - 50), y=i / 2, z=9.8,
                                                   covariance=[float(i % 3)] * 3 if i % 2 else None),
                             angular_velocity=Vector3d(x=0.0, y=0.0, z=0.0)))
            for i in range(100)]


def _alpha_gps():
    # one row per 2 ms; status None every 7th row; status.status 2 from i = 25; satellites i % 12
    out = []
    for i in range(50):
        status = None if i % 7 == 6 else GPSStatus(status=2 if i >= 25 else 0, service=1, satellites=i % 12)
        out.append(Message(timestamp_ns=BASE + i * 2 * MS,
                           data=GPS(position=Point3d(x=45 + i / 100, y=9.0, z=120.0), status=status)))
    return out


def _alpha_joints():
    # names joint_0..joint_{k-1} with k = i % 4; positions j - 0.5 (never all > 0 unless empty)
    return [Message(timestamp_ns=BASE + i * 3 * MS + 1,
                    data=RobotJoint(names=[f"joint_{j}" for j in range(i % 4)],
                                    positions=[j - 0.5 for j in range(i % 4)],
                                    velocities=[], efforts=[1.0] * (i % 4)))
            for i in range(30)]


def _beta_imu():
    # acceleration.x = -i (<= 0), x < -70 for i = 71..79
    return [Message(timestamp_ns=B2 + i * MS,
                    data=IMU(header=_hdr(i, "imu_link"),
                             acceleration=Vector3d(x=-float(i), y=1.0, z=9.8),
                             angular_velocity=Vector3d(x=0.0, y=0.0, z=float(i))))
            for i in range(80)]


def _beta_polygon():
    return [Message(timestamp_ns=B2 + i * 5 * MS,
                    data=Polygon(points=[Point3d(x=0.1 * j + 0.01 * i, y=0.0, z=0.0) for j in range(i % 4)]))
            for i in range(20)]


def _calib_imu():
    return [Message(timestamp_ns=BASE + 5 * 10**9 + i * MS,
                    data=IMU(acceleration=Vector3d(x=0.0, y=0.0, z=9.8), angular_velocity=Vector3d(x=0.0, y=0.0, z=0.0)))
            for i in range(10)]


PLAN = {
    ALPHA: [("/sensors/imu", IMU, {"vendor": "inertix", "rate_hz": 100, "calib": {"done": True}}, _alpha_imu),
            ("/sensors/gps", GPS, {"interface": {"type": "UART", "baud": 115200}}, _alpha_gps),
            ("/robot/joints", RobotJoint, {"dof": 4}, _alpha_joints)],
    BETA: [("/sensors/imu", IMU, {"vendor": "gyrolytics", "rate_hz": 200}, _beta_imu),
           ("/perception/polygon", Polygon, {"model": "poly-v2"}, _beta_polygon)],
    CALIB: [("/sensors/imu", IMU, {"vendor": "inertix", "rate_hz": 100}, _calib_imu)],
    EMPTY: [],
}


@dataclass
class World:
    client: MosaicoClient
    ds: dict  # the reference dataset, read back raw from the daemon
    created: dict  # sequence name -> created_at_ns
    raw: fl.FlightClient  # for the parts of a reply the SDK drops (timestamp_range)


@pytest.fixture(scope="module")
def world(module_daemon_factory):
    d = module_daemon_factory(extra_args=["--chunk-size-mb", "1", "--max-message-mb", "1"])
    client = MosaicoClient.connect(d.host, d.port, timeout=20)
    try:
        for seq, topics in PLAN.items():
            with client.sequence_create(seq, SEQ_MD[seq]) as w:
                for name, cls, md, make in topics:
                    tw = w.topic_create(name, md, cls)
                    assert tw is not None, f"topic_create({seq}, {name}) failed"
                    for m in make():
                        tw.push(m)
            assert w.status == SequenceStatus.Finalized, f"{seq}: writer ended in {w.status}"
        raw = fl.FlightClient(d.location)
        ds = gen.snapshot_dataset(raw, list(PLAN))
        created = {s["name"]: s["created_at_ns"] for s in ds["sequences"]}
        yield World(client, ds, created, raw)
        raw.close()
    finally:
        client.close()


# ----------------------------------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------------------------------


def shape(resp) -> list:
    """The SDK-visible part of a QueryResponse: [(sequence, [(topic name, locator, tag)])], in reply order."""
    assert resp is not None, "client.query returned None"
    return [(it.sequence.name, [(t.name, t.locator, t.ontology_tag) for t in it.topics]) for it in resp]


def ref_shape(world: World, query_dict: dict) -> list:
    want = ref.run_query(world.ds, query_dict)
    return [(it["sequence"], [("/" + t["locator"].split("/", 1)[1], t["locator"], t["ontology_tag"])
                              for t in it["topics"]]) for it in want["items"]]


def run(world: World, *builders) -> list:
    """client.query(*builders), checked against the reference on the same JSON the SDK sends; returns the shape."""
    resp = world.client.query(*builders)
    got = shape(resp)
    query_dict = {b.name(): b.to_dict() for b in builders}
    want = ref_shape(world, query_dict)
    assert got == want, f"query {query_dict}\n got: {got}\nwant: {want}"
    # the whole reply (the SDK drops timestamp_range), for the same JSON sent raw
    full = [json.loads(b) for b in raw_action(world.raw, "query", json.dumps(query_dict).encode())]
    assert len(full) == 1 and full[0]["action"] == "query", full
    assert full[0]["response"] == ref.run_query(world.ds, query_dict), f"raw reply for {query_dict}"
    assert len(resp) == len(got) and resp.is_empty() == (not got)
    return got


def seqs(sh: list) -> list:
    return [s for s, _ in sh]


def topics_of(sh: list) -> dict:
    return {s: [t[0] for t in ts] for s, ts in sh}


def windows(clusters) -> list:
    return [(c.id, c.timerange.start, c.timerange.end) for c in clusters]


def ref_clusterize(world: World, topic, exprs, dt=0, tr=None) -> list:
    """Reference windows for the body the SDK builds for topic.clusterize(dt, tr)."""
    own = {k: v for e in exprs if e.get_expr_tag() == topic.ontology_tag for k, v in e.to_dict().items()}
    body = {"locator": topic.locator, "clustering_dt_ns": dt, "ontology": own,
            "timestamp_range": tr.to_dict() if tr else None}
    return [(w["id"], w["ts"]["start_ns"], w["ts"]["end_ns"]) for w in ref.clusterize(world.ds, body)]


# ----------------------------------------------------------------------------------------------------------------------
# QuerySequence
# ----------------------------------------------------------------------------------------------------------------------


def test_sequence_with_name(world):
    sh = run(world, QuerySequence().with_name(ALPHA))
    assert seqs(sh) == [ALPHA]
    assert topics_of(sh)[ALPHA] == ["/robot/joints", "/sensors/gps", "/sensors/imu"]  # sorted by locator
    assert run(world, QuerySequence().with_name("qsdk")) == []
    assert run(world, QuerySequence().with_name(EMPTY)) == [], "a sequence without topics is never an item"


@pytest.mark.parametrize("pattern,want", [
    ("qsdk_*", [ALPHA, BETA]),
    ("calib_###", [CALIB]),
    ("*a", [ALPHA, BETA]),
    ("qsdk_[ab]?[pt]*", [ALPHA, BETA]),
    ("qsdk_[ab]?[pe]*", [ALPHA]),
    ("qsdk_[a-b]lpha", [ALPHA]),
    ("?????_???", [CALIB]),
    ("*", [CALIB, ALPHA, BETA]),
    ("QSDK_*", []),
    ("qsdk_alpha", [ALPHA]),
])
def test_sequence_with_name_match(world, pattern, want):
    assert seqs(run(world, QuerySequence().with_name_match(pattern))) == want


def test_sequence_with_created_timestamp(world):
    c = world.created
    assert c[ALPHA] < c[BETA] < c[CALIB] < c[EMPTY], c
    assert seqs(run(world, QuerySequence().with_created_timestamp(time_start=c[BETA]))) == [CALIB, BETA]
    assert seqs(run(world, QuerySequence().with_created_timestamp(time_end=c[BETA]))) == [ALPHA, BETA]
    assert seqs(run(world, QuerySequence().with_created_timestamp(c[BETA], c[BETA]))) == [BETA]
    assert seqs(run(world, QuerySequence().with_created_timestamp(c[ALPHA] + 1, c[CALIB] - 1))) == [BETA]
    assert seqs(run(world, QuerySequence().with_created_timestamp(time_start=c[EMPTY] + 1))) == []


@pytest.mark.parametrize("key,op,want", [
    ("env.weather", {"eq": "sunny"}, [ALPHA]),
    ("env.weather", {"neq": "sunny"}, [BETA]),
    ("env.visibility", {"lt": 50}, [BETA]),
    ("env.visibility", {"geq": 80}, [ALPHA]),
    ("version", {"between": (3, 4)}, [ALPHA, BETA]),
    ("version", {"gt": 3}, [CALIB, BETA]),
    ("version", {"leq": 3.5}, [ALPHA]),
    ("version", {"eq": 3.0}, [ALPHA]),  # int value, float argument: numbers compare as numbers
    ("version", {"eq": "3"}, []),  # another kind never matches
    ("driver", {"in_": ["alice", "carol"]}, [CALIB, ALPHA]),
    ("driver", {"match": "[ab]*"}, [ALPHA, BETA]),
    ("calibration.run", {"ex": True}, [CALIB]),
    ("calibration", {"ex": False}, [ALPHA, BETA]),
    ("*.weather", {"eq": "rain"}, [BETA]),
    ("**.operator", {"eq": "alice"}, [CALIB]),
    ("**", {"eq": "alice"}, [CALIB, ALPHA]),  # zero or more levels: root keys too
    ("ok", {"eq": True}, [ALPHA]),
    ("tags", {"ex": True}, [ALPHA]),  # a list is a present, non-null value
    ("tags", {"eq": "a"}, []),  # lists are not descended
    ("project", {"match": "apo*"}, [ALPHA, BETA]),
])
def test_sequence_with_user_metadata(world, key, op, want):
    assert seqs(run(world, QuerySequence().with_user_metadata(key, **op))) == want


def test_sequence_several_conditions(world):
    q = (QuerySequence().with_name_match("qsdk_*").with_user_metadata("project", eq="apollo")
         .with_user_metadata("env.visibility", gt=50))
    assert seqs(run(world, q)) == [ALPHA]


# ----------------------------------------------------------------------------------------------------------------------
# QueryTopic
# ----------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["/sensors/imu", "sensors/imu"])
def test_topic_with_name(world, name):
    sh = run(world, QueryTopic().with_name(name))
    assert seqs(sh) == [CALIB, ALPHA, BETA]
    assert all(ts == ["/sensors/imu"] for ts in topics_of(sh).values())
    for s, ts in sh:
        assert ts[0][1] == f"{s}/sensors/imu", f"locator {ts[0][1]!r}: '<seq>/<topic>' without a leading '/'"


@pytest.mark.parametrize("pattern,want", [
    ("/sensors/*", {CALIB: ["/sensors/imu"], ALPHA: ["/sensors/gps", "/sensors/imu"], BETA: ["/sensors/imu"]}),
    ("*/[gp]*", {ALPHA: ["/sensors/gps"], BETA: ["/perception/polygon"]}),
    ("robot/*", {ALPHA: ["/robot/joints"]}),  # starts with a literal: relative, the '/' is implied
    ("/*/*s", {ALPHA: ["/robot/joints", "/sensors/gps"]}),
    ("//sensors/*", {}),  # matched against "/sensors/..." as the SDK shows it: no empty first segment
    # against the name as the SDK shows it: '?' / '*' / a class may stand for the leading '/'
    ("?sensors/gps", {ALPHA: ["/sensors/gps"]}),
    ("?robot*", {ALPHA: ["/robot/joints"]}),
    ("[/]perception/*", {BETA: ["/perception/polygon"]}),
    ("?ensors/gps", {}),  # '?' is the '/', not the 's'
    ("*/imu", {CALIB: ["/sensors/imu"], ALPHA: ["/sensors/imu"], BETA: ["/sensors/imu"]}),
])
def test_topic_with_name_match(world, pattern, want):
    assert topics_of(run(world, QueryTopic().with_name_match(pattern))) == want


def test_topic_with_ontology_tag(world):
    sh = run(world, QueryTopic().with_ontology_tag(IMU_TAG))
    assert seqs(sh) == [CALIB, ALPHA, BETA]
    assert all(t[2] == IMU_TAG for _, ts in sh for t in ts)
    assert topics_of(run(world, QueryTopic().with_ontology_tag(POLY_TAG))) == {BETA: ["/perception/polygon"]}
    assert run(world, QueryTopic().with_ontology_tag(IMU_TAG.lower() + "_nope")) == []


def test_topic_with_created_timestamp(world):
    created = sorted(t["created_at_ns"] for s in world.ds["sequences"] for t in s["topics"])
    mid = created[len(created) // 2]
    sh = run(world, QueryTopic().with_created_timestamp(time_start=mid))
    assert sum(len(ts) for _, ts in sh) == len(created) - len(created) // 2
    sh = run(world, QueryTopic().with_created_timestamp(created[0], created[1]))
    assert sum(len(ts) for _, ts in sh) == 2


@pytest.mark.parametrize("key,op,want", [
    ("vendor", {"eq": "inertix"}, {CALIB: ["/sensors/imu"], ALPHA: ["/sensors/imu"]}),
    ("rate_hz", {"in_": [200]}, {BETA: ["/sensors/imu"]}),
    ("interface.baud", {"geq": 9600}, {ALPHA: ["/sensors/gps"]}),
    ("calib.done", {"eq": True}, {ALPHA: ["/sensors/imu"]}),
    ("dof", {"ex": True}, {ALPHA: ["/robot/joints"]}),
    ("model", {"match": "poly-v#"}, {BETA: ["/perception/polygon"]}),
])
def test_topic_with_user_metadata(world, key, op, want):
    assert topics_of(run(world, QueryTopic().with_user_metadata(key, **op))) == want


# ----------------------------------------------------------------------------------------------------------------------
# QueryOntologyCatalog on SDK models
# ----------------------------------------------------------------------------------------------------------------------


def test_ontology_imu_threshold_and_clusterize(world):
    q = QueryOntologyCatalog(IMU.Q.acceleration.x.gt(40.0))
    resp = world.client.query(q)
    sh = shape(resp)
    assert sh == ref_shape(world, {"ontology": q.to_dict()})
    assert topics_of(sh) == {ALPHA: ["/sensors/imu"]}
    topic = resp[0].topics[0]
    # x > 40 on rows 91..99, one per ms
    assert windows(topic.clusterize()) == [(0, BASE + 91 * MS, BASE + 99 * MS)]
    assert windows(topic.clusterize(clustering_dt_ns=MS)) == [(0, BASE + 91 * MS, BASE + 99 * MS)]
    assert windows(topic.clusterize(clustering_dt_ns=MS - 1)) == [(i - 91, BASE + i * MS, BASE + i * MS)
                                                                   for i in range(91, 100)]
    tr = TimestampRange(start=BASE + 93 * MS, end=BASE + 200 * MS)
    assert windows(topic.clusterize(timestamp_range=tr)) == [(0, BASE + 93 * MS, BASE + 99 * MS)]
    tr = TimestampRange(start=BASE + 93 * MS, end=BASE + 95 * MS)  # both bounds on a row: inclusive
    assert windows(topic.clusterize(timestamp_range=tr)) == [(0, BASE + 93 * MS, BASE + 95 * MS)]
    tr = TimestampRange(start=BASE, end=BASE + 90 * MS)
    assert windows(topic.clusterize(timestamp_range=tr)) == []


def test_ontology_same_row_rule(world):
    # x > 0 holds on alpha rows 51..99, y < 10 on rows 0..19: never on the same row
    q = QueryOntologyCatalog(IMU.Q.acceleration.x.gt(0.0)).with_expression(IMU.Q.acceleration.y.lt(10.0))
    assert run(world, q) == []
    q = QueryOntologyCatalog(IMU.Q.acceleration.x.gt(0.0)).with_expression(IMU.Q.acceleration.y.lt(30.0))
    resp = world.client.query(q)
    assert topics_of(shape(resp)) == {ALPHA: ["/sensors/imu"]}
    assert windows(resp[0].topics[0].clusterize()) == [(0, BASE + 51 * MS, BASE + 59 * MS)]


@pytest.mark.parametrize("expr,want", [
    (lambda: IMU.Q.acceleration.x.lt(-70.0), {BETA: ["/sensors/imu"]}),
    (lambda: IMU.Q.acceleration.x.eq(0), {CALIB: ["/sensors/imu"], ALPHA: ["/sensors/imu"], BETA: ["/sensors/imu"]}),
    (lambda: IMU.Q.acceleration.x.between([-1.0, 1.0]),
     {CALIB: ["/sensors/imu"], ALPHA: ["/sensors/imu"], BETA: ["/sensors/imu"]}),
    (lambda: IMU.Q.acceleration.x.outside([-78.5, 48.5]), {ALPHA: ["/sensors/imu"], BETA: ["/sensors/imu"]}),
    (lambda: IMU.Q.acceleration.x.outside([-79.0, 49.0]), {}),
    (lambda: IMU.Q.acceleration.x.in_(7.0, -7.0), {ALPHA: ["/sensors/imu"], BETA: ["/sensors/imu"]}),
    (lambda: IMU.Q.header.frame_id.eq("imu_alt"), {ALPHA: ["/sensors/imu"]}),
    (lambda: IMU.Q.header.frame_id.match("imu_*"), {ALPHA: ["/sensors/imu"], BETA: ["/sensors/imu"]}),
    (lambda: IMU.Q.header.frame_id.in_("nope", "imu_link"), {ALPHA: ["/sensors/imu"], BETA: ["/sensors/imu"]}),
    (lambda: IMU.Q.header.sample_counter.geq(95), {ALPHA: ["/sensors/imu"]}),
    (lambda: IMU.Q.acceleration.covariance[0].eq(2.0), {ALPHA: ["/sensors/imu"]}),
    (lambda: IMU.Q.acceleration.covariance[3].gt(-1.0), {}),  # out of range: no match
    (lambda: IMU.Q.timestamp_ns.between([B2, B2 + 5 * MS]), {BETA: ["/sensors/imu"]}),
    (lambda: GPS.Q.status.satellites.geq(10), {ALPHA: ["/sensors/gps"]}),
    (lambda: GPS.Q.status.status.eq(2), {ALPHA: ["/sensors/gps"]}),
    (lambda: GPS.Q.status.status.eq(3), {}),
    (lambda: GPS.Q.position.x.gt(45.485), {ALPHA: ["/sensors/gps"]}),
    (lambda: RobotJoint.Q.names.any().eq("joint_2"), {ALPHA: ["/robot/joints"]}),
    (lambda: RobotJoint.Q.names[2].eq("joint_2"), {ALPHA: ["/robot/joints"]}),
    (lambda: RobotJoint.Q.positions.all().gt(0.0), {}),  # j = 0 gives -0.5; an empty list is false
    (lambda: RobotJoint.Q.positions.all().gt(-1.0), {ALPHA: ["/robot/joints"]}),
    (lambda: Polygon.Q.points.any().x.gt(0.25), {BETA: ["/perception/polygon"]}),
    (lambda: Polygon.Q.points.all().x.lt(0.0), {}),
])
def test_ontology_expressions(world, expr, want):
    assert topics_of(run(world, QueryOntologyCatalog(expr()))) == want


def test_ontology_clusterize_matches_reference(world):
    """clusterize of every topic returned by several queries, windows checked against the reference."""
    cases = [
        [GPS.Q.status.satellites.geq(10)],
        [RobotJoint.Q.names.any().eq("joint_2")],
        [Polygon.Q.points.any().x.gt(0.25)],
        [IMU.Q.header.frame_id.eq("imu_alt"), IMU.Q.acceleration.x.gt(-20.0)],
        [IMU.Q.acceleration.x.eq(0), GPS.Q.status.status.eq(2)],
    ]
    for exprs in cases:
        q = QueryOntologyCatalog(*exprs)
        resp = world.client.query(q)
        assert shape(resp) == ref_shape(world, {"ontology": q.to_dict()})
        assert not resp.is_empty(), q.to_dict()
        for item in resp:
            for topic in item.topics:
                for dt in (0, MS, 3 * MS, 10 * MS):
                    got = windows(topic.clusterize(clustering_dt_ns=dt))
                    assert got == ref_clusterize(world, topic, exprs, dt), (q.to_dict(), topic.locator, dt)
                    assert got, f"{topic.locator}: a topic returned by query has no window"
            all_w = item.clusterize_all(override_clustering_dt_ns=2 * MS)
            assert sorted(all_w) == sorted(t.name for t in item.topics)
            for topic in item.topics:
                assert windows(all_w[topic.name]) == ref_clusterize(world, topic, exprs, 2 * MS)


def test_intersect(world):
    # alpha imu x > 40: [91 ms, 99 ms]; alpha gps status.status == 2: rows 25..49 at 2 ms (none at i % 7 == 6)
    q = QueryOntologyCatalog(IMU.Q.acceleration.x.gt(40.0)).with_expression(GPS.Q.status.status.eq(2))
    resp = world.client.query(q)
    assert topics_of(shape(resp)) == {ALPHA: ["/sensors/gps", "/sensors/imu"]}
    item = resp[0]
    gps, imu = item.topics
    assert windows(gps.clusterize()) == [(0, BASE + 50 * MS, BASE + 98 * MS)]
    assert windows(item.intersect()) == [(0, BASE + 91 * MS, BASE + 98 * MS)]
    assert windows(imu.intersect(gps)) == [(0, BASE + 91 * MS, BASE + 98 * MS)]
    # gps windows with a 2 ms gap tolerance: rows 25..49 minus 27, 34, 41, 48 (status None) -> gaps of 4 ms split
    gw = ref_clusterize(world, gps, q.expressions(), 2 * MS)
    assert len(gw) > 1
    got = windows(imu.intersect(gps, clustering_map={GPS_TAG: 2 * MS}))
    want = ref.intersect_windows([[(s, e) for _, s, e in ref_clusterize(world, imu, q.expressions(), 0)],
                                  [(s, e) for _, s, e in gw]], 0)
    assert got == [(i, s, e) for i, (s, e) in enumerate(want)]
    assert len(got) >= 2
    # a tolerance: imu windows of single rows (dt < 1 ms) against gps windows
    got = windows(imu.intersect(gps, intersect_dt_ns=MS, override_clustering_dt_ns=MS // 2))
    per = [[(s, e) for _, s, e in ref_clusterize(world, t, q.expressions(), MS // 2)] for t in (imu, gps)]
    want = ref.intersect_windows(per, MS)
    assert got == [(i, s, e) for i, (s, e) in enumerate(want)]


def test_intersect_across_sequences(world):
    """topic.intersect with topics of other sequences (time ranges that never meet: nothing)."""
    resp = world.client.query(QueryOntologyCatalog(IMU.Q.acceleration.x.eq(0)))
    topics = [t for it in resp for t in it.topics]
    assert len(topics) == 3
    assert windows(topics[0].intersect(*topics[1:])) == []
    assert windows(topics[1].intersect(topics[1])) == [(0, BASE + 50 * MS, BASE + 50 * MS)]


# ----------------------------------------------------------------------------------------------------------------------
# Query combining builders; response helpers
# ----------------------------------------------------------------------------------------------------------------------


def test_query_combining_builders(world):
    q = Query(
        QuerySequence().with_user_metadata("project", eq="apollo"),
        QueryTopic().with_ontology_tag(IMU_TAG),
        QueryOntologyCatalog(IMU.Q.acceleration.x.leq(0.0)),
    )
    resp = world.client.query(query=q)
    sh = shape(resp)
    assert sh == ref_shape(world, q.to_dict())
    assert topics_of(sh) == {ALPHA: ["/sensors/imu"], BETA: ["/sensors/imu"]}
    assert windows(resp[0].topics[0].clusterize()) == [(0, BASE, BASE + 50 * MS)]
    assert windows(resp[1].topics[0].clusterize()) == [(0, B2, B2 + 79 * MS)]
    # the same through variadic builders
    assert shape(world.client.query(*q._queries)) == sh


def test_query_three_builders_no_overlap(world):
    q = Query(QuerySequence().with_name(CALIB), QueryTopic().with_name("/sensors/imu"),
              QueryOntologyCatalog(IMU.Q.acceleration.x.gt(0.0)))
    assert shape(world.client.query(query=q)) == [] == ref_shape(world, q.to_dict())


def test_response_iteration_and_chaining(world):
    resp = world.client.query(QueryTopic().with_name_match("/sensors/*"))
    items = list(resp)
    assert [it.sequence.name for it in items] == [CALIB, ALPHA, BETA]
    assert resp[1].sequence.name == ALPHA and len(resp) == 3 and not resp.is_empty()
    assert [t.name for t in resp[1].topics] == ["/sensors/gps", "/sensors/imu"]
    assert [t.locator for t in resp[1].topics] == [f"{ALPHA}/sensors/gps", f"{ALPHA}/sensors/imu"]
    assert [t.ontology_tag for t in resp[1].topics] == [GPS_TAG, IMU_TAG]
    # to_query_sequence: a $in on the returned names
    qs = resp.to_query_sequence()
    sh = run(world, qs, QueryOntologyCatalog(IMU.Q.acceleration.x.lt(-70.0)))
    assert topics_of(sh) == {BETA: ["/sensors/imu"]}
    # to_query_topic: a $in on the returned topic names, as the SDK shows them ("/sensors/imu")
    first = world.client.query(QuerySequence().with_name(BETA))
    qt = first.to_query_topic()
    assert qt.to_dict()["name"]["$in"][0].startswith("/"), qt.to_dict()
    sh = run(world, qt)
    assert topics_of(sh) == {CALIB: ["/sensors/imu"], ALPHA: ["/sensors/imu"],
                             BETA: ["/perception/polygon", "/sensors/imu"]}


def test_empty_response(world):
    resp = world.client.query(QuerySequence().with_name("nope"))
    assert resp is not None and resp.is_empty() and len(resp) == 0 and list(resp) == []
    with pytest.raises(ValueError):
        resp.to_query_sequence()


def test_invalid_query_raises(world):
    """The daemon's INVALID_ARGUMENT surfaces as an exception from client.query; the client stays usable."""
    with pytest.raises(Exception) as ei:
        world.client.query(QueryOntologyCatalog(IMU.Q.header.frame_id.match("imu_[")))
    assert "IMU.header.frame_id" in str(ei.value), str(ei.value)
    with pytest.raises(Exception):
        world.client.query(QuerySequence().with_user_metadata("a..b", eq=1))
    assert seqs(run(world, QuerySequence().with_name(ALPHA))) == [ALPHA]


def test_ontology_on_tag_without_data_matches_nothing(world):
    """A tag no topic has a schema of (here: an SDK model never written) matches nothing, no error."""
    from mosaicolabs import CompressedImage

    assert run(world, QueryOntologyCatalog(CompressedImage.Q.format.eq("jpeg"))) == []
