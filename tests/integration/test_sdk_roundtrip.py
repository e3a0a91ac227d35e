"""Round trips through the official Python SDK (mosaicolabs 0.7.0), public API only.

The module fixture `written` records one sequence with five topics of different ontology types (IMU, GPS,
CompressedImage, RobotJoint with lists, Polygon with a list of nested structs), ~3,500 rows in total, the IMU rows
pushed partly out of order, the images large enough to span several 1 MB chunks. Every read-back is compared value by
value with what was pushed, sorted by timestamp_ns; windows are [start, end).
"""

from __future__ import annotations

import datetime
import random
import re
import time
from dataclasses import dataclass, field
from typing import Optional

import pyarrow as pa
import pytest
from mosaicolabs import (
    GPS,
    IMU,
    CompressedImage,
    GPSStatus,
    Header,
    ImageFormat,
    Message,
    MosaicoClient,
    Point3d,
    Polygon,
    Quaternion,
    RobotJoint,
    SequenceStatus,
    SessionLevelErrorPolicy,
    Time,
    TopicLevelErrorPolicy,
    Vector3d,
)
from mosaicolabs.comm.notifications import NotificationType
from mosaicolabs.models.core.serializable import _compute_schema_fingerprint

from conftest import unique_name
from mosaico_testlib import expect_error, flight_form, get_info

BASE = 1_750_000_000_000_000_000
MS = 1_000_000

SEQ_MD = {
    "driver": {"driver_id": "drv_sim_017", "role": "validation", "experience level": "senior"},
    "location": {"city": "Milano", "country": "IT", "gps": {"lat": 45.46481, "lon": 9.19201}},
    "runs": [1, 2, 3, {"nested": [True, False, None]}, "x"],
    "weird text": "quote\" backslash\\ tab\t newline\n unicode ü€😀",
    "big_int": 9007199254740993,
    "negative": -42,
    "small float": 1.5e-12,
    "ok": True,
    "not ok": False,
    "nothing": None,
    "empty": {},
    "empty_list": [],
}


@dataclass
class TopicData:
    name: str  # as the SDK shows it: "/sensors/imu"
    cls: type
    metadata: dict
    pushed: list  # Messages in push order
    expected: list = field(default_factory=list)  # sorted by timestamp_ns

    def __post_init__(self):
        self.expected = sorted(self.pushed, key=lambda m: m.timestamp_ns)


def _hdr(rnd: random.Random, i: int, frame: str) -> Optional[Header]:
    if i % 11 == 0:
        return None
    return Header(
        timestamp=Time(seconds=1_700_000_000 + i, nanoseconds=rnd.randint(0, 999_999_999)),
        frame_id=None if i % 5 == 0 else frame,
        sample_counter=None if i % 4 == 0 else i,
    )


def _v3(rnd, cov: bool) -> Vector3d:
    return Vector3d(
        x=rnd.uniform(-100, 100),
        y=rnd.uniform(-1e-6, 1e-6),
        z=rnd.choice([0.0, -0.0, 9.80665, 1e300, -1e-300]),
        covariance=[rnd.random() for _ in range(9)] if cov else None,
        covariance_type=rnd.randint(0, 3) if cov else None,
    )


def _make_imu() -> TopicData:
    rnd = random.Random(11)
    n = 2000
    msgs = [
        Message(
            timestamp_ns=BASE + i * MS,
            data=IMU(
                header=_hdr(rnd, i, "imu_link"),
                acceleration=_v3(rnd, i % 3 == 0),
                angular_velocity=_v3(rnd, i % 7 == 0),
                orientation=None
                if i % 6 == 0
                else Quaternion(x=rnd.random(), y=rnd.random(), z=rnd.random(), w=rnd.random()),
            ),
        )
        for i in range(n)
    ]
    # push partly out of order: the last 100 first, a reversed block, two swapped blocks
    order = list(range(1900, 2000)) + list(range(0, 300)) + list(range(699, 299, -1)) + list(range(700, 1000))
    order += list(range(1500, 1700)) + list(range(1200, 1500)) + list(range(1000, 1200)) + list(range(1700, 1900))
    assert sorted(order) == list(range(n))
    return TopicData("/sensors/imu", IMU, {"vendor": "inertix", "rate_hz": 1000, "calibrated": False},
                     [msgs[i] for i in order])


def _make_gps() -> TopicData:
    rnd = random.Random(12)
    msgs = [
        Message(
            timestamp_ns=BASE + i * 4 * MS,
            data=GPS(
                header=_hdr(rnd, i, "gps"),
                position=Point3d(x=45 + rnd.random(), y=9 + rnd.random(), z=rnd.uniform(100, 200)),
                velocity=None if i % 3 == 0 else _v3(rnd, False),
                status=None
                if i % 9 == 0
                else GPSStatus(
                    status=rnd.randint(-1, 2),
                    service=rnd.randint(0, 15),
                    satellites=None if i % 2 else rnd.randint(0, 30),
                    hdop=rnd.random(),
                    vdop=None if i % 4 == 0 else rnd.random(),
                ),
            ),
        )
        for i in range(500)
    ]
    return TopicData("/sensors/gps", GPS, {"interface": {"type": "UART", "baudrate": 115200}}, msgs)


def _make_images() -> TopicData:
    rnd = random.Random(13)
    fmts = [ImageFormat.JPEG, ImageFormat.PNG]
    msgs = [
        Message(
            timestamp_ns=BASE + i * 33 * MS + 7,
            data=CompressedImage(header=_hdr(rnd, i, "cam"), data=rnd.randbytes(rnd.randint(20_000, 40_000)),
                                 format=fmts[i % 2]),
        )
        for i in range(120)
    ]
    return TopicData("/camera/front/compressed", CompressedImage, {"resolution": [1920, 1080], "fps": 30.0}, msgs)


def _make_joints() -> TopicData:
    rnd = random.Random(14)
    msgs = []
    for i in range(600):
        k = i % 5
        msgs.append(
            Message(
                timestamp_ns=BASE + i * 3 * MS + 1,
                data=RobotJoint(
                    header=_hdr(rnd, i, "base"),
                    names=[f"joint_{j}" for j in range(k)],
                    positions=[rnd.uniform(-3.14, 3.14) for _ in range(k)],
                    velocities=[rnd.random() for _ in range(k if i % 2 else 0)],
                    efforts=[rnd.random() for _ in range(k)],
                ),
            )
        )
    return TopicData("/robot/joints", RobotJoint, {"dof": 4, "names": ["j0", "j1"]}, msgs)


def _make_polygons() -> TopicData:
    rnd = random.Random(15)
    msgs = [
        Message(
            timestamp_ns=BASE + i * 5 * MS + 3,
            data=Polygon(
                header=_hdr(rnd, i, "map"),
                points=[
                    Point3d(
                        x=rnd.random(),
                        y=rnd.random(),
                        z=rnd.random(),
                        covariance=[rnd.random()] * (j % 3) if j % 2 else None,
                        header=_hdr(rnd, j + 1, "pt") if j == 1 else None,
                    )
                    for j in range(i % 6)
                ],
            ),
        )
        for i in range(300)
    ]
    return TopicData("/perception/polygon", Polygon, {"source": {"model": "x", "version": 3}}, msgs)


TOPIC_NAMES = ["/sensors/imu", "/sensors/gps", "/camera/front/compressed", "/robot/joints", "/perception/polygon"]
WIN_START = BASE + 500 * MS  # rows of several topics sit exactly on the bounds
WIN_END = BASE + 1500 * MS


@dataclass
class Written:
    seq: str
    topics: dict
    session_locator: str
    t_before: int
    t_after: int


@pytest.fixture(scope="module")
def sdk_client(daemon):
    c = MosaicoClient.connect(daemon.host, daemon.port, timeout=10)
    yield c
    c.close()


@pytest.fixture(scope="module")
def written(sdk_client) -> Written:
    seq = unique_name("sdk")
    topics = {t.name: t for t in (_make_imu(), _make_gps(), _make_images(), _make_joints(), _make_polygons())}
    t0 = time.time_ns()
    with sdk_client.sequence_create(seq, SEQ_MD) as w:
        for t in topics.values():
            tw = w.topic_create(t.name, t.metadata, t.cls)
            assert tw is not None, f"topic_create({t.name}) returned None (see the SDK log for the server error)"
            for m in t.pushed:
                tw.push(m)
        locator = w.session_locator
    assert w.status == SequenceStatus.Finalized, f"sequence writer ended in {w.status}"
    return Written(seq, topics, locator, t0, time.time_ns())


def _key(msg):
    return (msg.timestamp_ns, type(msg.data).__name__, msg.data.model_dump())


def assert_messages_equal(got: list, want: list, what: str):
    if len(got) != len(want):
        gts = [m.timestamp_ns for m in got]
        wts = [m.timestamp_ns for m in want]
        missing = sorted(set(wts) - set(gts))[:5]
        extra = sorted(set(gts) - set(wts))[:5]
        raise AssertionError(f"{what}: got {len(got)} messages, want {len(want)}; missing ts {missing}, extra ts {extra}")
    for i, (g, w) in enumerate(zip(got, want)):
        if _key(g) != _key(w):
            raise AssertionError(
                f"{what}: message {i} differs\n got: ts={g.timestamp_ns} {type(g.data).__name__} {g.data.model_dump()!r:.800}\n"
                f"want: ts={w.timestamp_ns} {type(w.data).__name__} {w.data.model_dump()!r:.800}"
            )


def _in_window(msgs, start, end):
    return [m for m in msgs if (start is None or m.timestamp_ns >= start) and (end is None or m.timestamp_ns < end)]


def _ns_plausible(v, lo, hi, what):
    assert isinstance(v, int), f"{what} is {v!r}"
    assert lo - 5_000_000_000 <= v <= hi + 5_000_000_000, f"{what}={v} outside [{lo}, {hi}]"


# ----------------------------------------------------------------------------------------------------------------------
# Catalog views
# ----------------------------------------------------------------------------------------------------------------------


def test_connect_and_info(client):
    info = client.info()
    assert info.version and info.config.grpc_max_decode_message_size > 0


def test_list_sequences_and_exists(sdk_client, written):
    seqs = sdk_client.list_sequences()
    assert seqs.count(written.seq) == 1, f"list_sequences has {written.seq!r} {seqs.count(written.seq)} times"
    assert sdk_client.sequence_exists(written.seq)
    assert sdk_client.sequence_exists("/" + written.seq)
    assert not sdk_client.sequence_exists(written.seq + "_nope")
    for name in TOPIC_NAMES:
        assert sdk_client.topic_exists(written.seq, name), name
        assert sdk_client.topic_exists(written.seq, name.lstrip("/")), name
        assert sdk_client.topic_exists(written.seq, name + "/"), name
    assert not sdk_client.topic_exists(written.seq, "/sensors/nope")
    assert not sdk_client.topic_exists(written.seq + "_nope", "/sensors/imu")
    assert sdk_client.sequence_handler(written.seq + "_nope") is None
    assert sdk_client.topic_handler(written.seq, "/sensors/nope") is None


def test_sequence_handler_properties(sdk_client, written):
    sdk_client.clear_sequence_handlers_cache()
    sh = sdk_client.sequence_handler(written.seq)
    assert sh is not None, "sequence_handler returned None"
    assert sh.name == written.seq
    assert sh.user_metadata == SEQ_MD, f"sequence user_metadata round-trip:\n{sh.user_metadata!r}\n{SEQ_MD!r}"
    _ns_plausible(sh.created_timestamp, written.t_before, written.t_after, "created_timestamp")
    assert sorted(sh.topics) == sorted(TOPIC_NAMES), f"topics {sh.topics}"
    assert len(sh.sessions) == 1, f"sessions {sh.sessions}"
    s = sh.sessions[0]
    assert s.locator == written.session_locator and re.fullmatch(re.escape(written.seq) + r":[A-Za-z0-9]+", s.locator), s
    assert s.locked is True, f"session after a clean finalize: locked={s.locked}"
    _ns_plausible(s.created_timestamp, written.t_before, written.t_after, "session created")
    _ns_plausible(s.completed_timestamp, written.t_before, written.t_after, "session completed")
    assert sorted(s.topics) == sorted(TOPIC_NAMES)
    assert sh.updated_timestamps == [s.created_timestamp]
    assert sh.total_size_bytes > 0
    all_ts = [m.timestamp_ns for t in written.topics.values() for m in t.pushed]
    assert sh.timestamp_ns_min == min(all_ts) and sh.timestamp_ns_max == max(all_ts), (
        f"sequence ts range {sh.timestamp_ns_min}..{sh.timestamp_ns_max}, want {min(all_ts)}..{max(all_ts)}"
    )


@pytest.mark.parametrize("name", TOPIC_NAMES)
def test_topic_handler_properties(sdk_client, written, name):
    t = written.topics[name]
    sdk_client.clear_topic_handlers_cache()
    th = sdk_client.topic_handler(written.seq, name)
    assert th is not None, f"topic_handler({name}) returned None"
    assert th.name == name and th.sequence_name == written.seq
    assert th.user_metadata == t.metadata, f"topic user_metadata: {th.user_metadata!r}"
    assert th.ontology_tag == t.cls.__ontology_tag__
    assert th.serialization_format == t.cls.__serialization_format__
    assert th.locked is True
    _ns_plausible(th.created_timestamp, written.t_before, written.t_after, f"{name} created")
    assert th.total_size_bytes > 0 and (th.chunks_number or 0) >= 1
    assert th.timestamp_ns_min == t.expected[0].timestamp_ns and th.timestamp_ns_max == t.expected[-1].timestamp_ns
    # the model's schema in Flight form (top-level strings as string_view, docs/PROTOCOL_NOTES.md), metadata included;
    # the SDK's fingerprint (which reads string_view as string) is the model's
    want = pa.struct(list(flight_form(pa.schema(list(t.cls.__msco_pyarrow_struct__)))))
    assert th.ontology_schema.equals(want, check_metadata=True), (
        f"{name}: ontology schema differs\n{th.ontology_schema}\n{want}"
    )
    assert _compute_schema_fingerprint(th.ontology_schema) == t.cls.__schema_fingerprint__, name
    # the same handler through the sequence handler
    sh = sdk_client.sequence_handler(written.seq)
    th2 = sh.get_topic_handler(name, force_new_instance=True)
    assert th2.user_metadata == t.metadata


def test_images_span_several_chunks(sdk_client, written):
    th = sdk_client.topic_handler(written.seq, "/camera/front/compressed")
    assert th.chunks_number and th.chunks_number >= 2, (
        f"~3.6 MB of images with --chunk-size-mb 1 --max-message-mb 1 gave chunks_number={th.chunks_number}"
    )


# ----------------------------------------------------------------------------------------------------------------------
# Topic streams
# ----------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", TOPIC_NAMES)
def test_topic_stream_full(sdk_client, written, name):
    t = written.topics[name]
    th = sdk_client.topic_handler(written.seq, name)
    st = th.get_data_streamer()
    assert st.next_timestamp() == t.expected[0].timestamp_ns
    got = list(st)
    th.close()
    assert_messages_equal(got, t.expected, f"{name} full stream")
    assert st.msg_count == len(t.expected)


@pytest.mark.parametrize(
    "start,end",
    [(WIN_START, WIN_END), (WIN_START, None), (None, WIN_END), (BASE + 1234 * MS + 1, BASE + 1234 * MS + 2)],
    ids=["both", "start_only", "end_only", "tiny"],
)
@pytest.mark.parametrize("name", TOPIC_NAMES)
def test_topic_stream_window(sdk_client, written, name, start, end):
    t = written.topics[name]
    want = _in_window(t.expected, start, end)
    th = sdk_client.topic_handler(written.seq, name)
    st = th.get_data_streamer(start_timestamp_ns=start, end_timestamp_ns=end)
    got = list(st)
    assert_messages_equal(got, want, f"{name} window [{start}, {end})")
    assert st.msg_count == len(want), f"{name}: streamer msg_count {st.msg_count}, want {len(want)}"
    if want:
        assert (st.timestamp_ns_min, st.timestamp_ns_max) == (want[0].timestamp_ns, want[-1].timestamp_ns)
    th.close()


def test_window_bounds_are_start_inclusive_end_exclusive(sdk_client, written):
    imu = written.topics["/sensors/imu"].expected
    th = sdk_client.topic_handler(written.seq, "/sensors/imu")
    got = list(th.get_data_streamer(start_timestamp_ns=WIN_START, end_timestamp_ns=WIN_END))
    assert got[0].timestamp_ns == WIN_START, "the row at start must be included"
    assert got[-1].timestamp_ns == WIN_END - MS, "the row at end must be excluded"
    assert len(got) == 1000
    assert any(m.timestamp_ns == WIN_END for m in imu)
    th.close()


# ----------------------------------------------------------------------------------------------------------------------
# Sequence (merged) streams
# ----------------------------------------------------------------------------------------------------------------------


def _check_merged(stream_items, want_by_topic, what):
    last = None
    by_topic = {}
    for topic, msg in stream_items:
        assert last is None or msg.timestamp_ns >= last, f"{what}: merged stream goes back in time at {topic} {msg.timestamp_ns}"
        last = msg.timestamp_ns
        by_topic.setdefault(topic, []).append(msg)
    want_nonempty = {k: v for k, v in want_by_topic.items() if v}
    assert sorted(by_topic) == sorted(want_nonempty), f"{what}: topics in stream {sorted(by_topic)}"
    for name, want in want_nonempty.items():
        assert_messages_equal(by_topic[name], want, f"{what} / {name}")


def test_sequence_stream_full(sdk_client, written):
    sh = sdk_client.sequence_handler(written.seq)
    st = sh.get_data_streamer()
    assert st.next_timestamp() == min(t.expected[0].timestamp_ns for t in written.topics.values())
    _check_merged(st, {n: t.expected for n, t in written.topics.items()}, "sequence stream")
    sh.close()


@pytest.mark.parametrize("start,end", [(WIN_START, WIN_END), (None, BASE + 40 * MS), (BASE + 1990 * MS, None)],
                         ids=["both", "end_only", "start_only"])
def test_sequence_stream_window(sdk_client, written, start, end):
    sh = sdk_client.sequence_handler(written.seq)
    st = sh.get_data_streamer(start_timestamp_ns=start, end_timestamp_ns=end)
    want = {n: _in_window(t.expected, start, end) for n, t in written.topics.items()}
    assert st.msg_count == sum(len(v) for v in want.values())
    _check_merged(st, want, f"sequence window [{start}, {end})")
    sh.close()


def test_sequence_stream_topic_subset(sdk_client, written):
    sh = sdk_client.sequence_handler(written.seq)
    subset = ["/sensors/gps", "/robot/joints"]
    st = sh.get_data_streamer(topics=subset, start_timestamp_ns=WIN_START, end_timestamp_ns=WIN_END)
    _check_merged(st, {n: _in_window(written.topics[n].expected, WIN_START, WIN_END) for n in subset}, "subset")
    sh.close()


# ----------------------------------------------------------------------------------------------------------------------
# Sessions: extending a sequence
# ----------------------------------------------------------------------------------------------------------------------


def _imu_msgs(n, t0, seed=0):
    rnd = random.Random(seed)
    return [
        Message(timestamp_ns=t0 + i * MS, data=IMU(acceleration=_v3(rnd, False), angular_velocity=_v3(rnd, True)))
        for i in range(n)
    ]


def _read_topic(client, seq, name):
    client.clear_topic_handlers_cache()
    th = client.topic_handler(seq, name)
    assert th is not None, f"topic_handler({seq}, {name}) is None"
    out = list(th.get_data_streamer())
    th.close()
    return out


def test_update_adds_topics_in_new_sessions(client, seq_name):
    a = _imu_msgs(50, BASE, 1)
    b = _imu_msgs(30, BASE + 10 * MS, 2)
    c = _imu_msgs(20, BASE - 100 * MS, 3)
    with client.sequence_create(seq_name, {"v": 1}) as w:
        tw = w.topic_create("/a", {"k": "a"}, IMU)
        assert tw is not None and w.get_topic_writer("/a") is tw
        for m in a:
            tw.push(m)
        loc1 = w.session_locator
    with client.sequence_update(seq_name) as u:
        tw = u.topic_create("/b", {"k": "b"}, IMU)
        assert tw is not None
        for m in b:
            tw.push(m)
        loc2 = u.session_locator
    assert loc2 != loc1 and loc2.startswith(seq_name + ":")
    sh = client.sequence_handler(seq_name)
    assert sh.reload()
    with sh.update() as u3:
        tw = u3.topic_create("/c/deep", {}, IMU)
        assert tw is not None
        for m in c:
            tw.push(m)
        loc3 = u3.session_locator
    assert sh.reload()
    assert sh.user_metadata == {"v": 1}, "an update must not touch the sequence metadata"
    assert sorted(sh.topics) == ["/a", "/b", "/c/deep"]
    sessions = {s.locator: s for s in sh.sessions}
    assert set(sessions) == {loc1, loc2, loc3}, f"sessions {list(sessions)}"
    assert sessions[loc1].topics == ["/a"] and sessions[loc2].topics == ["/b"] and sessions[loc3].topics == ["/c/deep"]
    assert all(s.locked and s.completed_timestamp for s in sh.sessions)
    created = [s.created_timestamp for s in sh.sessions]
    assert created == sorted(created), "sessions should be listed in creation order"
    assert sh.timestamp_ns_min == BASE - 100 * MS
    assert_messages_equal(_read_topic(client, seq_name, "/a"), a, "/a")
    assert_messages_equal(_read_topic(client, seq_name, "/b"), b, "/b")
    assert_messages_equal(_read_topic(client, seq_name, "/c/deep"), c, "/c/deep")
    st = sh.get_data_streamer()
    _check_merged(st, {"/a": a, "/b": b, "/c/deep": c}, "merged over three sessions")
    sh.close()


def test_sequence_delete(client, seq_name):
    with client.sequence_create(seq_name, {}) as w:
        tw = w.topic_create("/x", {}, IMU)
        for m in _imu_msgs(10, BASE):
            tw.push(m)
    assert client.sequence_exists(seq_name)
    client.sequence_delete(seq_name)
    assert not client.sequence_exists(seq_name)
    assert seq_name not in client.list_sequences()
    client.clear_sequence_handlers_cache()
    assert client.sequence_handler(seq_name) is None
    assert not client.topic_exists(seq_name, "/x")
    import pyarrow.flight as fl

    raw = fl.FlightClient(f"grpc://{client._host}:{client._port}")
    expect_error("NOT_FOUND", get_info, raw, seq_name, mentions=[seq_name], what="get_flight_info(deleted)")
    raw.close()


# ----------------------------------------------------------------------------------------------------------------------
# Error policies and notifications
# ----------------------------------------------------------------------------------------------------------------------


class Boom(RuntimeError):
    pass


def _recent(dt: datetime.datetime):
    now = datetime.datetime.now(datetime.timezone.utc)
    assert dt.tzinfo is not None and abs((now - dt).total_seconds()) < 300, f"created_datetime {dt} is not recent"


def test_report_policy_keeps_sequence_and_notifies(client, seq_name):
    with pytest.raises(Boom):
        with client.sequence_create(seq_name, {"policy": "report"}, on_error=SessionLevelErrorPolicy.Report) as w:
            tw = w.topic_create("/imu", {}, IMU)
            for m in _imu_msgs(40, BASE):
                tw.push(m)
            raise Boom("boom-report-1234")
    assert client.sequence_exists(seq_name), "Report policy must keep the sequence"
    notes = client.list_sequence_notifications(seq_name)
    assert len(notes) >= 1, "no sequence notification after an error with policy Report"
    n = notes[0]
    assert n.type == NotificationType.Error and n.sequence_name == seq_name and n.topic_name is None
    assert "boom-report-1234" in n.message, n.message
    _recent(n.created_datetime)
    sh = client.sequence_handler(seq_name)
    assert sh is not None and len(sh.sessions) == 1
    assert sh.sessions[0].completed_timestamp is not None, "Report policy finalizes the session"
    assert sh.topics == ["/imu"]
    tnotes = client.list_topic_notifications(seq_name, "/imu")
    assert len(tnotes) >= 1 and any("boom-report-1234" in t.message for t in tnotes), tnotes
    assert all(t.type == NotificationType.Error and t.topic_name == "/imu" and t.sequence_name == seq_name for t in tnotes)
    client.clear_topic_notifications(seq_name, "/imu")
    assert client.list_topic_notifications(seq_name, "/imu") == []
    assert len(client.list_sequence_notifications(seq_name)) == len(notes), "topic purge touched sequence notifications"
    client.clear_sequence_notifications(seq_name)
    assert client.list_sequence_notifications(seq_name) == []
    # the sequence can still be deleted afterwards (triage done)
    client.sequence_delete(seq_name)
    assert not client.sequence_exists(seq_name)


def test_delete_policy_removes_sequence(client, seq_name):
    with pytest.raises(Boom):
        with client.sequence_create(seq_name, {"policy": "delete"}, on_error=SessionLevelErrorPolicy.Delete) as w:
            tw = w.topic_create("/imu", {}, IMU)
            for m in _imu_msgs(40, BASE):
                tw.push(m)
            raise Boom("boom-delete")
    assert not client.sequence_exists(seq_name), "Delete policy must remove the sequence"
    assert seq_name not in client.list_sequences()


def test_update_with_delete_policy_drops_only_the_new_session(client, seq_name):
    a = _imu_msgs(25, BASE, 5)
    with client.sequence_create(seq_name, {}) as w:
        tw = w.topic_create("/a", {}, IMU)
        for m in a:
            tw.push(m)
    with pytest.raises(Boom):
        with client.sequence_update(seq_name, on_error=SessionLevelErrorPolicy.Delete) as u:
            tw = u.topic_create("/b", {}, IMU)
            for m in _imu_msgs(10, BASE):
                tw.push(m)
            raise Boom("boom-update")
    assert client.sequence_exists(seq_name)
    client.clear_sequence_handlers_cache()
    sh = client.sequence_handler(seq_name)
    assert sh.topics == ["/a"] and len(sh.sessions) == 1, f"after failed update: {sh.topics} {sh.sessions}"
    assert not client.topic_exists(seq_name, "/b")
    assert_messages_equal(_read_topic(client, seq_name, "/a"), a, "/a after failed update")


def test_topic_level_finalize_policy(client, seq_name):
    """An error inside a TopicWriter context with policy Finalize closes that topic only and notifies."""
    good = _imu_msgs(30, BASE, 8)
    with client.sequence_create(seq_name, {}) as w:
        bad = w.topic_create("/bad", {}, IMU, on_error=TopicLevelErrorPolicy.Finalize)
        with bad:
            raise Boom("boom-topic")
        ok = w.topic_create("/ok", {}, IMU)
        for m in good:
            ok.push(m)
    assert w.status == SequenceStatus.Finalized
    notes = client.list_topic_notifications(seq_name, "/bad")
    assert any("boom-topic" in n.message for n in notes), notes
    assert client.list_topic_notifications(seq_name, "/ok") == []
    assert_messages_equal(_read_topic(client, seq_name, "/ok"), good, "/ok")
