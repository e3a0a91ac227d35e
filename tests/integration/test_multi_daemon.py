"""Several daemons on one catalog and one store (issue 5): what one daemon does, every other one sees and honours.

Cases: 8 concurrent SDK uploaders spread over two daemons, then list / GetFlightInfo / DoGet / query through either
daemon agree; the same-name race (one winner, ALREADY_EXISTS for the others, store and catalog consistent); one
session driven through several daemons (create here, topics there, upload to a topic created elsewhere, finalize,
abort and delete through another daemon). The cluster (N daemons, one catalog, one store): multi_daemon_cluster.py.
Background jobs and recovery across daemons: test_multi_daemon_jobs.py.
"""

from __future__ import annotations

import json
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa
import pyarrow.flight as fl
import pytest

from conftest import Daemon
from mosaico_testlib import (
    action,
    app_md,
    assert_tables_equal,
    create_sequence,
    create_session,
    create_topic,
    expect_error,
    finalize,
    get_info,
    grpc_code_of,
    put_batches,
    read_topic,
    simple_batch,
    simple_schema,
)
from multi_daemon_cluster import SHARED_BACKENDS, SKIP_REASON, cluster, code_of  # noqa: F401 (cluster: a fixture)

if not SHARED_BACKENDS:
    pytest.skip(SKIP_REASON, allow_module_level=True)

BASE = 1_780_000_000_000_000_000
MS = 1_000_000


# ----------------------------------------------------------------------------------------------------------------------
# 8 concurrent SDK uploaders on two daemons, then every view agrees
# ----------------------------------------------------------------------------------------------------------------------


def _sdk_messages(kind: str, n: int, seed: int):
    from mosaicolabs import GPS, IMU, GPSStatus, Message, Point3d, RobotJoint, Vector3d

    rnd = random.Random(seed)
    out = []
    for i in range(n):
        ts = BASE + seed * 1000 * MS + i * MS + rnd.randint(0, 999)
        if kind == "imu":
            data = IMU(acceleration=Vector3d(x=rnd.uniform(-10, 10), y=rnd.random(), z=9.81),
                       angular_velocity=Vector3d(x=rnd.random(), y=rnd.random(), z=rnd.random()))
        elif kind == "gps":
            data = GPS(position=Point3d(x=45 + rnd.random(), y=9 + rnd.random(), z=rnd.uniform(100, 200)),
                       status=GPSStatus(status=rnd.randint(-1, 2), service=rnd.randint(0, 15)))
        else:
            k = i % 4
            data = RobotJoint(names=[f"j{j}" for j in range(k)], positions=[rnd.uniform(-3, 3) for _ in range(k)],
                              velocities=[rnd.random() for _ in range(k)], efforts=[rnd.random() for _ in range(k)])
        out.append(Message(timestamp_ns=ts, data=data))
    rnd.shuffle(out)  # pushed out of order; reads come back sorted
    return out


def _upload_with_sdk(daemon: Daemon, seq: str, uploader: int, barrier: threading.Barrier) -> dict:
    from mosaicolabs import GPS, IMU, MosaicoClient, RobotJoint, SequenceStatus

    models = {"imu": IMU, "gps": GPS, "joints": RobotJoint}
    pushed = {f"/{k}/{uploader}": _sdk_messages(k, 150 + 40 * uploader, uploader * 3 + j)
              for j, k in enumerate(models)}
    client = MosaicoClient.connect(daemon.host, daemon.port, timeout=20)
    try:
        barrier.wait(timeout=60)
        with client.sequence_create(seq, {"uploader": uploader, "daemon": daemon.port % 2}) as w:
            for name, msgs in pushed.items():
                tw = w.topic_create(name, {"topic": name}, models[name.split("/")[1]])
                assert tw is not None, f"topic_create({seq}{name}) failed (see the SDK log)"
                for m in msgs:
                    tw.push(m)
        assert w.status == SequenceStatus.Finalized, f"{seq}: writer ended in {w.status}"
    finally:
        client.close()
    return pushed


def _read_with_sdk(daemon: Daemon, seq: str, topic: str) -> list:
    from mosaicolabs import MosaicoClient

    client = MosaicoClient.connect(daemon.host, daemon.port, timeout=20)
    try:
        th = client.topic_handler(seq, topic)
        assert th is not None, f"topic_handler({seq}, {topic}) on {daemon.location} is None"
        msgs = list(th.get_data_streamer())
        th.close()
        return msgs
    finally:
        client.close()


def _dump(msgs) -> list:
    return [(m.timestamp_ns, type(m.data).__name__, m.data.model_dump()) for m in msgs]


def _view(client: fl.FlightClient, seqs: list[str]) -> dict:
    """Everything a client can read about `seqs` through one daemon, in comparable form."""
    listed = {}
    for info in client.list_flights():
        md = app_md(info)
        if md["resource_locator"] in seqs:
            listed[md["resource_locator"]] = md
    view = {"listed": listed, "sequences": {}, "topics": {}, "tables": {}}
    for seq in seqs:
        info = get_info(client, seq)
        view["sequences"][seq] = {"md": app_md(info), "endpoints": sorted(json.dumps(app_md(e), sort_keys=True)
                                                                           for e in info.endpoints)}
        for loc in app_md(info)["sessions"][0]["topics"]:  # full locators "<seq>/<topic>"
            tinfo = get_info(client, loc, BASE, BASE + 10**18)
            view["topics"][loc] = {"schema": tinfo.schema.serialize().to_pybytes(),
                                   "md": [app_md(e) for e in tinfo.endpoints]}
            view["tables"][loc] = read_topic(client, loc)
    return view


def test_eight_concurrent_uploaders_on_two_daemons_then_every_view_agrees(cluster, new_name):
    # Compaction off: it would rewrite chunks (and change total_chunks_count) between the two daemons' views.
    d = cluster.start(2, ["--compact-below-mb", "0", "--chunk-size-mb", "1"])
    seqs = [new_name(f"up{i}") for i in range(8)]
    barrier = threading.Barrier(8)
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(_upload_with_sdk, d[i % 2], seqs[i], i, barrier) for i in range(8)]
        pushed = [f.result(timeout=240) for f in futures]

    views = [_view(c, seqs) for c in cluster.clients]
    a, b = views
    assert sorted(a["listed"]) == sorted(seqs), f"daemon 0 lists {sorted(a['listed'])}"
    assert a["listed"] == b["listed"], "ListFlights differs between the daemons"
    assert a["sequences"] == b["sequences"], "sequence FlightInfos differ between the daemons"
    assert a["topics"].keys() == b["topics"].keys()
    for loc in a["topics"]:
        assert a["topics"][loc] == b["topics"][loc], f"{loc}: FlightInfo differs between the daemons"
        assert_tables_equal(b["tables"][loc], a["tables"][loc], f"{loc} read through daemon 1 vs daemon 0")
    for i, seq in enumerate(seqs):
        md = a["sequences"][seq]["md"]
        assert md["user_metadata"] == {"uploader": i, "daemon": d[i % 2].port % 2}
        assert len(md["sessions"]) == 1 and md["sessions"][0]["locked"], md["sessions"]
        for topic, msgs in pushed[i].items():
            assert a["tables"][seq + topic].num_rows == len(msgs), f"{seq}{topic} row count"
            want = _dump(sorted(msgs, key=lambda m: m.timestamp_ns))
            for daemon in d:  # the SDK's own read path, through each daemon
                assert _dump(_read_with_sdk(daemon, seq, topic)) == want, f"{seq}{topic} via {daemon.location}"

    tags = {m["ontology_tag"] for t in a["topics"].values() for m in t["md"]}
    assert len(tags) == 3, f"three ontologies expected, got {tags}"
    imu_tag = next(t for t in tags if t.lower() == "imu")
    queries = [
        {"sequence": {"name": {"$match": "it_up*"}}},
        {"sequence": {"user_metadata": {"uploader": {"$lt": 4}}}},
        {"topic": {"ontology_tag": {"$eq": imu_tag}}},
        {"ontology": {f"{imu_tag}.acceleration.x": {"$gt": 9.0}}},
        {"sequence": {"user_metadata": {"daemon": {"$eq": 1}}}, "ontology": {f"{imu_tag}.acceleration.x": {"$lt": 0.0}}},
    ]
    mine = set(seqs)
    for q in queries:
        replies = []
        for c in cluster.clients:
            items = action(c, "query", q)["items"]
            replies.append([it for it in items if it["sequence"] in mine])
        assert replies[0] == replies[1], f"query {q} differs between the daemons"
        assert replies[0], f"query {q} matched none of this test's sequences: the comparison would prove nothing"
    cluster.assert_consistent()


# ----------------------------------------------------------------------------------------------------------------------
# The same-name race
# ----------------------------------------------------------------------------------------------------------------------


def _race(n: int, fn) -> list[str]:
    barrier = threading.Barrier(n)

    def one(i):
        barrier.wait(timeout=30)
        return code_of(fn, i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def test_same_sequence_name_race_has_exactly_one_winner(cluster, new_name):
    cluster.start(3)
    for round_ in range(3):
        seq = new_name(f"race{round_}")
        conns = [fl.FlightClient(d.location) for d in cluster.daemons for _ in range(4)]  # 12 clients on 3 daemons
        try:
            codes = _race(len(conns), lambda i: create_sequence(conns[i], seq, {"racer": i}))
        finally:
            for c in conns:
                c.close()
        assert codes.count("OK") == 1, f"round {round_}: {codes}"
        assert set(codes) == {"OK", "ALREADY_EXISTS"}, f"round {round_}: {codes}"
        winner = codes.index("OK")
        for c in cluster.clients:
            assert app_md(get_info(c, seq))["user_metadata"] == {"racer": winner}
        # and once more, sequentially, through every daemon
        for c in cluster.clients:
            expect_error("ALREADY_EXISTS", create_sequence, c, seq, {}, mentions=[seq])

    # topic names within one session, raced through every daemon
    seq = new_name("topicrace")
    create_sequence(cluster.clients[0], seq)
    session_uuid, _ = create_session(cluster.clients[1], seq)
    conns = [fl.FlightClient(d.location) for d in cluster.daemons for _ in range(3)]
    try:
        codes = _race(len(conns), lambda i: create_topic(conns[i], session_uuid, f"{seq}/same/topic",
                                                          user_metadata={"racer": i}))
    finally:
        for c in conns:
            c.close()
    assert codes.count("OK") == 1 and set(codes) == {"OK", "ALREADY_EXISTS"}, codes
    finalize(cluster.clients[2], session_uuid)
    md = app_md(get_info(cluster.clients[0], seq))
    assert md["sessions"][0]["topics"] == [f"{seq}/same/topic"] and md["sessions"][0]["locked"], md

    # real SDK writers and raw clients racing for one name: the SDK's loser fails on entering its writer
    from mosaicolabs import MosaicoClient

    seq = new_name("sdkrace")
    sdks = [MosaicoClient.connect(d.host, d.port, timeout=20) for d in cluster.daemons for _ in range(2)]
    raws = [fl.FlightClient(d.location) for d in cluster.daemons]

    def sdk_or_raw(i):
        if i < len(sdks):
            with sdks[i].sequence_create(seq, {"racer": i}):
                pass
        else:
            create_sequence(raws[i - len(sdks)], seq, {"racer": i})

    try:
        codes = _race(len(sdks) + len(raws), sdk_or_raw)
    finally:
        for c in sdks:
            c.close()
        for c in raws:
            c.close()
    assert codes.count("OK") == 1, codes
    winner = codes.index("OK")
    for c in cluster.clients:
        assert app_md(get_info(c, seq))["user_metadata"] == {"racer": winner}
    cluster.assert_consistent()


# ----------------------------------------------------------------------------------------------------------------------
# One session driven through several daemons
# ----------------------------------------------------------------------------------------------------------------------


def test_session_started_on_one_daemon_is_finished_on_another(cluster, new_name):
    cluster.start(2)
    c0, c1 = cluster.clients
    schema = simple_schema()
    seq = new_name("cross")
    create_sequence(c0, seq, {"k": 1})
    session_uuid, session_loc = create_session(c0, seq)
    t_a = create_topic(c0, session_uuid, f"{seq}/a", ontology_tag="tag_a")
    t_b = create_topic(c1, session_uuid, f"{seq}/b", ontology_tag="tag_b")  # the session came from daemon 0
    batch_a = simple_batch(schema, [BASE + i * MS for i in range(300, 0, -1)])
    batch_b = simple_batch(schema, [BASE + i * MS for i in range(50)], offset=1.0)
    put_batches(c1, f"{seq}/a", t_a, schema, [batch_a])  # topic created on daemon 0, uploaded through daemon 1
    put_batches(c0, f"{seq}/b", t_b, schema, [batch_b])
    # a second stream to a committed topic is refused whichever daemon it reaches
    for c, loc, tok in ((c0, "a", t_a), (c1, "b", t_b)):
        expect_error(("FAILED_PRECONDITION", "PERMISSION_DENIED"), put_batches, c, f"{seq}/{loc}", tok, schema,
                     [batch_b])
    finalize(c1, session_uuid)
    for c in (c0, c1):
        expect_error(("FAILED_PRECONDITION", "PERMISSION_DENIED"), finalize, c, session_uuid, mentions=[seq])
        expect_error(("FAILED_PRECONDITION", "PERMISSION_DENIED"), create_topic, c, session_uuid, f"{seq}/late",
                     mentions=[seq])
    for c in (c0, c1):
        md = app_md(get_info(c, seq))
        assert md["sessions"][0]["locator"] == session_loc and md["sessions"][0]["locked"]
        assert sorted(md["sessions"][0]["topics"]) == [f"{seq}/a", f"{seq}/b"]
        assert_tables_equal(read_topic(c, f"{seq}/a"), batch_a_sorted(batch_a), "topic a")
        assert read_topic(c, f"{seq}/b").num_rows == 50

    # abort: a session opened on daemon 1, written there, deleted through daemon 0
    s2, s2_loc = create_session(c1, seq)
    t_c = create_topic(c1, s2, f"{seq}/c")
    put_batches(c1, f"{seq}/c", t_c, schema, [simple_batch(schema, [BASE, BASE + 1])])
    action(c0, "session_delete", {"locator": s2_loc})
    for c in (c0, c1):
        md = app_md(get_info(c, seq))
        assert [s["locator"] for s in md["sessions"]] == [session_loc], md["sessions"]
        expect_error("NOT_FOUND", get_info, c, f"{seq}/c")
        expect_error("NOT_FOUND", create_topic, c, s2, f"{seq}/d")
    # topic delete through the other daemon
    s3, _ = create_session(c0, seq)
    create_topic(c0, s3, f"{seq}/e")
    action(c1, "topic_delete", {"locator": f"{seq}/e"})
    for c in (c0, c1):
        expect_error("NOT_FOUND", get_info, c, f"{seq}/e")
    finalize(c1, s3)
    # notifications written through one daemon are listed (and purged) through the other
    action(c0, "sequence_notification_create", {"locator": seq, "notification_type": "error", "msg": "from d0"})
    action(c1, "topic_notification_create", {"locator": f"{seq}/a", "notification_type": "error", "msg": "from d1"})
    assert [n["msg"] for n in action(c1, "sequence_notification_list", {"locator": seq})["notifications"]] == ["from d0"]
    assert [n["msg"] for n in action(c0, "topic_notification_list", {"locator": f"{seq}/a"})["notifications"]] == [
        "from d1"]
    action(c1, "sequence_notification_purge", {"locator": seq})
    assert action(c0, "sequence_notification_list", {"locator": seq})["notifications"] == []
    cluster.assert_consistent()
    # sequence delete through the daemon that did not create it
    action(c1, "sequence_delete", {"locator": seq})
    for c in (c0, c1):
        expect_error("NOT_FOUND", get_info, c, seq)
    create_sequence(c1, seq, {"k": 2})  # the name is free again, everywhere
    assert app_md(get_info(c0, seq))["user_metadata"] == {"k": 2}
    cluster.assert_consistent()


def batch_a_sorted(batch: pa.RecordBatch) -> pa.Table:
    return pa.Table.from_batches([batch]).sort_by([("timestamp_ns", "ascending")])


def test_upload_stream_racing_a_finalize_on_another_daemon_never_half_commits(cluster, new_name):
    """A DoPut still open on daemon 0 while daemon 1 finalizes the session: the stream must not land in the
    finalized topic afterwards (it fails, its objects are removed), and catalog and store agree."""
    cluster.start(2)
    c0, c1 = cluster.clients
    schema = simple_schema()
    seq = new_name("streamfin")
    create_sequence(c0, seq)
    session_uuid, _ = create_session(c0, seq)
    tok = create_topic(c0, session_uuid, f"{seq}/t")
    writer, _ = c0.do_put(fl.FlightDescriptor.for_command(json.dumps({"resource_locator": f"{seq}/t",
                                                                      "topic_uuid": tok})), schema)
    writer.write_batch(simple_batch(schema, [BASE + i for i in range(100)]))
    code = code_of(finalize, c1, session_uuid)
    try:
        writer.done_writing()
        writer.close()
        stream = "OK"
    except Exception as e:  # noqa: BLE001
        stream = grpc_code_of(e)
    # exactly one of the two won: either the finalize was refused (stream open) or the stream was
    assert (code == "OK") != (stream == "OK"), f"finalize {code}, stream {stream}"
    for c in (c0, c1):
        rows = app_md(get_info(c, f"{seq}/t").endpoints[0])["data_info"]["total_row_count"]
        assert rows == (100 if stream == "OK" else 0)
    if code != "OK":
        finalize(c1, session_uuid)
    # A stream admitted before the finalize may have written its schema snapshot after it: garbage that the store
    # GC (drop_orphan_schema) removes, never data in a finalized topic.
    cluster.assert_consistent(allow=("orphan_schema",))
