"""session_delete of a finalized session (issue 10, item 1), through the real SDK 0.7.0 and raw pyarrow.flight.

mosaicolabs documents `MosaicoClient.session_delete` as "permanently deletes a session and all its associated data",
and its sequence-update workflow adds a session to an existing sequence and removes it again. The session, its
topics, their chunks and statistics go; the sequence and its other sessions stay; `check` stays clean and `rebuild`
gives back the same catalog. Crashes inside such a delete are covered by test_crash_safety.py (its workload deletes
finalized sessions too).
"""

from __future__ import annotations

import os
import time

import pyarrow.flight as fl
import pytest
from mosaicolabs import IMU, Message, MosaicoClient, QueryTopic, Vector3d

from conftest import STORE_MODE, unique_name
from mosaico_testlib import (
    action,
    app_md,
    create_session,
    create_topic,
    describe_exc,
    expect_error,
    finalize,
    get_info,
    grpc_code_of,
    put_batches,
    put_descriptor,
    read_topic,
    simple_batch,
    simple_schema,
    wait_until,
)
from test_recovery import assert_same_snapshot, run_cli, snapshot

MS = 1_000_000
BASE = 1_700_000_000_000_000_000


def imu(i: int) -> Message:
    v = Vector3d(x=float(i), y=1.0, z=-9.8)
    return Message(timestamp_ns=BASE + i * MS, data=IMU(acceleration=v, angular_velocity=v))


def connect(d) -> MosaicoClient:
    return MosaicoClient.connect(d.host, d.port, timeout=10)


def write_two_sessions(client: MosaicoClient, seq: str) -> str:
    """A sequence written in one session (/imu, 40 rows) and updated in a second (/extra, 25 rows); returns the
    second session's locator, as the SDK's SequenceUpdater gives it."""
    with client.sequence_create(seq, {"site": "lab"}) as w:
        tw = w.topic_create("/imu", {"rate_hz": 1000}, IMU)
        for i in range(40):
            tw.push(imu(i))
    with client.sequence_update(seq) as u:
        tw = u.topic_create("/extra", {"note": "added later"}, IMU)
        for i in range(25):
            tw.push(imu(1000 + i))
        locator = u.session_locator
    return locator


def test_sdk_deletes_a_finalized_update_session(daemon):
    seq = unique_name("sdel_update")
    with connect(daemon) as c:
        locator = write_two_sessions(c, seq)
        sh = c.sequence_handler(seq)
        assert sorted(sh.topics) == ["/extra", "/imu"] and len(sh.sessions) == 2
        assert all(s.locked for s in sh.sessions)

        c.session_delete(locator)

        c.clear_sequence_handlers_cache()
        c.clear_topic_handlers_cache()
        sh = c.sequence_handler(seq)
        assert sh is not None, "the sequence stays"
        assert sh.topics == ["/imu"], sh.topics
        assert [s.locator for s in sh.sessions] != [locator] and len(sh.sessions) == 1
        assert sh.sessions[0].locked
        assert sh.user_metadata == {"site": "lab"}
        th = c.topic_handler(seq, "/imu")
        assert th is not None and len(list(th.get_data_streamer())) == 40, "the other session's data is intact"
        assert c.topic_handler(seq, "/extra") is None, "the deleted session's topic is gone"
        # Queries no longer see the deleted topic.
        found = c.query(QueryTopic().with_name("/extra"))
        assert not found or all(item.sequence.name != seq for item in found)
        # The sequence can be updated again, with the deleted topic's name too.
        with c.sequence_update(seq) as u:
            u.topic_create("/extra", {}, IMU).push(imu(5000))
        c.clear_sequence_handlers_cache()
        assert sorted(c.sequence_handler(seq).topics) == ["/extra", "/imu"]
        c.sequence_delete(seq)


def test_sdk_deletes_the_only_session_of_a_sequence(daemon):
    seq = unique_name("sdel_only")
    with connect(daemon) as c:
        with c.sequence_create(seq, {}) as w:
            w.topic_create("/imu", {}, IMU).push(imu(0))
            locator = w.session_locator
        c.session_delete(locator)
        c.clear_sequence_handlers_cache()
        sh = c.sequence_handler(seq)
        assert sh is not None and sh.topics == [] and sh.sessions == []
        assert seq in c.list_sequences()
        c.sequence_delete(seq)


def test_raw_session_delete_of_a_finalized_session(flight):
    seq = unique_name("sdel_raw")
    action(flight, "sequence_create", {"locator": seq, "user_metadata": {}})
    schema = simple_schema()
    keep_uuid, keep_locator = create_session(flight, seq)
    t1 = create_topic(flight, keep_uuid, f"{seq}/keep")
    put_batches(flight, f"{seq}/keep", t1, schema, [simple_batch(schema, [BASE + i * MS for i in range(30)])])
    finalize(flight, keep_uuid)
    gone_uuid, gone_locator = create_session(flight, seq)
    t2 = create_topic(flight, gone_uuid, f"{seq}/gone")
    put_batches(flight, f"{seq}/gone", t2, schema,
                [simple_batch(schema, [BASE + i * MS for i in range(k * 100, k * 100 + 100)]) for k in range(5)])
    action(flight, "topic_notification_create", {"locator": f"{seq}/gone", "notification_type": "error", "msg": "x"})
    finalize(flight, gone_uuid)

    assert action(flight, "session_delete", {"locator": gone_locator}) in (None, {})
    md = app_md(get_info(flight, seq))
    assert [s["locator"] for s in md["sessions"]] == [keep_locator]
    assert read_topic(flight, f"{seq}/keep").num_rows == 30
    expect_error("NOT_FOUND", get_info, flight, f"{seq}/gone", mentions=["gone"])
    expect_error("NOT_FOUND", action, flight, "session_delete", {"locator": gone_locator}, mentions=[gone_locator],
                 what="deleting it twice")
    expect_error("NOT_FOUND", action, flight, "topic_notification_list", {"locator": f"{seq}/gone"})
    # Bad locators are still refused before anything is touched.
    expect_error("INVALID_ARGUMENT", action, flight, "session_delete", {"locator": seq}, mentions=["locator"])
    assert read_topic(flight, f"{seq}/keep").num_rows == 30
    action(flight, "sequence_delete", {"locator": seq})


def test_open_upload_still_blocks_session_delete(flight):
    """A session with a stream still uploading is not deleted under it: either the delete is refused (the stream was
    admitted first; Flight C++ has no FAILED_PRECONDITION code, so it arrives as PERMISSION_DENIED naming the open
    stream) and the upload commits, or the delete won and the stream fails without leaving anything."""
    seq = unique_name("sdel_busy")
    action(flight, "sequence_create", {"locator": seq, "user_metadata": {}})
    s_uuid, s_locator = create_session(flight, seq)
    t_uuid = create_topic(flight, s_uuid, f"{seq}/t")
    schema = simple_schema()
    writer, _ = flight.do_put(put_descriptor(f"{seq}/t", t_uuid), schema)
    writer.write_batch(simple_batch(schema, [BASE, BASE + MS]))
    time.sleep(0.3)  # lets the daemon admit the stream: the refusal is the usual outcome
    try:
        action(flight, "session_delete", {"locator": s_locator})
        deleted = True
    except fl.FlightError as e:
        assert grpc_code_of(e) == "PERMISSION_DENIED" and "upload" in str(e), describe_exc(e)
        deleted = False
    try:
        writer.done_writing()
        writer.close()
        committed = True
    except fl.FlightError:
        committed = False
    assert deleted != committed, f"session_delete {'won' if deleted else 'refused'}, stream committed={committed}"
    if committed:
        assert read_topic(flight, f"{seq}/t").num_rows == 2
        action(flight, "session_delete", {"locator": s_locator})
    assert app_md(get_info(flight, seq))["sessions"] == []
    action(flight, "sequence_delete", {"locator": seq})


def test_deleted_finalized_session_leaves_check_clean_and_rebuild_equal(daemon_factory):
    d = daemon_factory()
    seq = unique_name("sdel_rebuild")
    with connect(d) as c:
        locator = write_two_sessions(c, seq)
        c.session_delete(locator)
    before = snapshot(d)
    assert d.stop() == 0
    check = run_cli("check", "--min-upload-age", "0", data_dir=d.data_dir)
    assert check.returncode == 0, f"check after a finalized session delete:\n{check.stdout}\n{check.stderr[-2000:]}"
    if STORE_MODE == "local":
        session_key = locator.split(":", 1)[1]
        seq_dir = os.path.join(d.data_dir, "store", "sequences")
        leftovers = [os.path.join(root, f) for root, _, files in os.walk(seq_dir) for f in files
                     if session_key in os.path.join(root, f) or "/extra" in os.path.join(root, f)]
        assert not leftovers, f"objects of the deleted session remain: {leftovers}"
    run_cli("rebuild", "--force", data_dir=d.data_dir, check=0)
    d.start()
    assert_same_snapshot(before, snapshot(d))


@pytest.mark.parametrize("compacted", [False, True])
def test_finalized_session_with_compacted_topics_is_deleted(daemon_factory, compacted):
    """A compacted topic's old upload waits out its grace period under the topic; deleting the session takes both."""
    extra = ["--chunk-size-mb", "1", "--max-message-mb", "1", "--compact-below-mb", "4", "--compact-chunk-size-mb", "16",
             "--compaction-grace-seconds", "3600"] if compacted else ["--compact-below-mb", "0"]
    d = daemon_factory(extra_args=extra)
    flight = fl.FlightClient(d.location)
    seq = unique_name("sdel_compact")
    action(flight, "sequence_create", {"locator": seq, "user_metadata": {}})
    s_uuid, s_locator = create_session(flight, seq)
    t_uuid = create_topic(flight, s_uuid, f"{seq}/t")
    schema = simple_schema()
    put_batches(flight, f"{seq}/t", t_uuid, schema,
                [simple_batch(schema, [BASE + i * MS for i in range(k * 40000, k * 40000 + 40000)]) for k in range(8)])
    finalize(flight, s_uuid)
    if compacted:
        wait_until(lambda: "event=compaction_done" in d.log_text(), timeout=60, interval=0.2,
                   what="compaction of the topic")
    action(flight, "session_delete", {"locator": s_locator})
    assert app_md(get_info(flight, seq))["sessions"] == []
    flight.close()
    assert d.stop() == 0
    check = run_cli("check", "--min-upload-age", "0", data_dir=d.data_dir)
    assert check.returncode == 0, f"check:\n{check.stdout}\n{check.stderr[-2000:]}"
