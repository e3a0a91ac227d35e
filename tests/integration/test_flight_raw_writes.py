"""Raw Arrow Flight protocol tests of the write path and the lifecycle, spoken with pyarrow.flight only: empty
topics, unfinalized sessions, concurrent DoPut streams, duplicate timestamps, deletes, locks, notifications.
(The read side is in test_flight_raw.py; restarts and signals in test_flight_raw_process.py.)
"""

from __future__ import annotations

import threading

import pyarrow as pa
import pyarrow.flight as fl

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
    put_batches,
    put_descriptor,
    read_ticket,
    read_topic,
    rich_batch,
    rich_schema,
    simple_batch,
    simple_schema,
    sort_by_ts,
)

BASE = 1_700_000_000_000_000_000
MS = 1_000_000


def test_zero_batch_topic_reads_zero_rows_with_schema(flight, seq_name):
    schema = simple_schema([pa.field("s", pa.list_(pa.string()), metadata={"m": "1"})])
    create_sequence(flight, seq_name)
    su, _ = create_session(flight, seq_name)
    tu = create_topic(flight, su, f"{seq_name}/nothing")
    put_batches(flight, f"{seq_name}/nothing", tu, schema, [])
    for phase in ("before finalize", "after finalize"):
        info = get_info(flight, f"{seq_name}/nothing")
        assert info.schema.equals(schema, check_metadata=True), f"{phase}: schema {info.schema}"
        di = app_md(info.endpoints[0])["data_info"]
        assert di["total_row_count"] == 0, f"{phase}: {di}"
        if phase == "before finalize":
            finalize(flight, su)
    got = read_ticket(flight, info.endpoints[0].ticket)
    assert got.num_rows == 0 and got.schema.remove_metadata().equals(schema, check_metadata=True), (
        f"do_get gave {got.num_rows} rows, schema {got.schema}"
    )


def test_unfinalized_session_is_visible_and_unlocked(flight, seq_name):
    create_sequence(flight, seq_name)
    su, sloc = create_session(flight, seq_name)
    tu = create_topic(flight, su, f"{seq_name}/t")
    put_batches(flight, f"{seq_name}/t", tu, simple_schema(), [simple_batch(simple_schema(), [5, 3, 4])])
    md = app_md(get_info(flight, seq_name))
    s = md["sessions"][0]
    assert s["locator"] == sloc and s.get("completed_at_ns") is None and s.get("locked") is False, f"open session: {s}"
    ep = app_md(get_info(flight, f"{seq_name}/t").endpoints[0])
    # the topic's upload is over but its session is open: not locked (completed_at_ns may be either)
    assert ep.get("locked") is False, f"topic of an open session: {ep}"
    finalize(flight, su)
    s = app_md(get_info(flight, seq_name))["sessions"][0]
    assert s.get("locked") is True and isinstance(s.get("completed_at_ns"), int), f"finalized session: {s}"
    ep = app_md(get_info(flight, f"{seq_name}/t").endpoints[0])
    assert ep.get("locked") is True and isinstance(ep.get("completed_at_ns"), int), f"topic after finalize: {ep}"


def test_several_do_put_streams_open_at_once(flight, seq_name):
    """The SDK keeps one DoPut open per topic while it creates more topics and pushes interleaved batches."""
    schema = simple_schema()
    create_sequence(flight, seq_name)
    su, _ = create_session(flight, seq_name)
    writers = {}
    want = {}
    for i, name in enumerate(["a", "b", "c"]):
        loc = f"{seq_name}/multi/{name}"
        tu = create_topic(flight, su, loc)  # created while earlier streams are open
        w, _ = flight.do_put(put_descriptor(loc, tu), schema)
        writers[loc] = w
        want[loc] = []
    for round_ in range(5):
        for j, (loc, w) in enumerate(writers.items()):
            ts = [BASE + (round_ * 10 + j) * MS + k for k in range(20)][::-1]
            w.write_batch(simple_batch(schema, ts, offset=j))
            want[loc].append(simple_batch(schema, ts, offset=j))
        # another action while the streams are open
        action(flight, "sequence_notification_list", {"locator": seq_name})
    for w in writers.values():
        w.done_writing()
        w.close()
    finalize(flight, su)
    for loc, batches in want.items():
        assert_tables_equal(read_topic(flight, loc), sort_by_ts(pa.Table.from_batches(batches)), f"do_get({loc})")


def test_concurrent_uploads_from_threads(daemon, seq_name):
    """Several clients upload topics of one session in parallel."""
    schema = rich_schema()
    c0 = fl.FlightClient(daemon.location)
    create_sequence(c0, seq_name)
    su, _ = create_session(c0, seq_name)
    locs = [f"{seq_name}/par/t{i}" for i in range(6)]
    uuids = [create_topic(c0, su, loc) for loc in locs]
    data = {loc: [rich_batch(schema, [BASE + (k * 6 + i) * MS for k in range(200)][::-1], seed=i)] for i, loc in enumerate(locs)}
    errors = []

    def upload(loc, tu):
        c = fl.FlightClient(daemon.location)
        try:
            put_batches(c, loc, tu, schema, data[loc])
        except Exception as e:  # noqa: BLE001
            errors.append((loc, e))
        finally:
            c.close()

    threads = [threading.Thread(target=upload, args=(loc, tu)) for loc, tu in zip(locs, uuids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, f"parallel uploads failed: {errors}"
    finalize(c0, su)
    for loc in locs:
        assert_tables_equal(read_topic(c0, loc), sort_by_ts(pa.Table.from_batches(data[loc])), f"do_get({loc})")
    c0.close()


def test_duplicate_timestamps_are_kept(flight, seq_name):
    schema = simple_schema()
    create_sequence(flight, seq_name)
    su, _ = create_session(flight, seq_name)
    loc = f"{seq_name}/dups"
    tu = create_topic(flight, su, loc)
    b = pa.RecordBatch.from_pydict({"timestamp_ns": [3, 1, 3, 2, 1, 3], "value": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}, schema=schema)
    put_batches(flight, loc, tu, schema, [b])
    finalize(flight, su)
    got = read_topic(flight, loc)
    assert got.column("timestamp_ns").to_pylist() == [1, 1, 2, 3, 3, 3]
    assert sorted(got.column("value").to_pylist()) == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "rows with equal timestamps lost"
    md = app_md(get_info(flight, loc, 1, 3).endpoints[0])
    assert md["time_window_info"]["row_count"] == 3


def test_topic_delete_and_session_delete_of_open_session(flight, seq_name):
    """Failure paths the SDK uses: topic_delete when it cannot open a writer, session_delete (policy Delete)."""
    schema = simple_schema()
    create_sequence(flight, seq_name)
    s1, l1 = create_session(flight, seq_name)
    t1 = create_topic(flight, s1, f"{seq_name}/keep")
    put_batches(flight, f"{seq_name}/keep", t1, schema, [simple_batch(schema, [1, 2])])
    finalize(flight, s1)
    s2, l2 = create_session(flight, seq_name)
    create_topic(flight, s2, f"{seq_name}/dropme")
    action(flight, "topic_delete", {"locator": f"{seq_name}/dropme"})
    expect_error("NOT_FOUND", get_info, flight, f"{seq_name}/dropme", what="get_flight_info(deleted topic)")
    t3 = create_topic(flight, s2, f"{seq_name}/gone")
    put_batches(flight, f"{seq_name}/gone", t3, schema, [simple_batch(schema, [7, 8])])
    action(flight, "session_delete", {"locator": l2})
    expect_error("NOT_FOUND", get_info, flight, f"{seq_name}/gone", what="get_flight_info(topic of deleted session)")
    md = app_md(get_info(flight, seq_name))
    assert [s["locator"] for s in md["sessions"]] == [l1], f"sessions after session_delete: {md['sessions']}"
    want = pa.Table.from_batches([simple_batch(schema, [1, 2])])
    assert_tables_equal(read_topic(flight, f"{seq_name}/keep"), want, "surviving topic")


def test_locked_session_refuses_writes_and_topic_delete_but_not_session_delete(flight, seq_name):
    """SDK docs: once finalized a session is locked -- no new topics, no uploads, no topic_delete -- but
    session_delete "permanently deletes a session and all its associated data" (test_session_delete.py)."""
    schema = simple_schema()
    create_sequence(flight, seq_name)
    s1, l1 = create_session(flight, seq_name)
    t1 = create_topic(flight, s1, f"{seq_name}/x")
    put_batches(flight, f"{seq_name}/x", t1, schema, [simple_batch(schema, [1])])
    finalize(flight, s1)
    expect_error("PERMISSION_DENIED", action, flight, "topic_delete", {"locator": f"{seq_name}/x"},
                 mentions=[f"{seq_name}/x"], what="topic_delete(locked topic)")
    expect_error("PERMISSION_DENIED", create_topic, flight, s1, f"{seq_name}/late", what="topic_create(locked session)")
    assert read_topic(flight, f"{seq_name}/x").num_rows == 1
    action(flight, "session_delete", {"locator": l1})
    assert app_md(get_info(flight, seq_name))["sessions"] == []


def test_sequence_delete_removes_everything(flight, seq_name):
    schema = simple_schema()
    create_sequence(flight, seq_name)
    s1, _ = create_session(flight, seq_name)
    t1 = create_topic(flight, s1, f"{seq_name}/x")
    put_batches(flight, f"{seq_name}/x", t1, schema, [simple_batch(schema, [1, 2, 3])])
    finalize(flight, s1)
    ticket = get_info(flight, f"{seq_name}/x").endpoints[0].ticket
    action(flight, "sequence_delete", {"locator": seq_name})
    expect_error("NOT_FOUND", get_info, flight, seq_name, what="get_flight_info(deleted sequence)")
    expect_error("NOT_FOUND", get_info, flight, f"{seq_name}/x", what="get_flight_info(topic of deleted sequence)")
    expect_error("NOT_FOUND", read_ticket, flight, ticket, what="do_get(ticket of deleted sequence)")
    listed = [p.decode() for i in flight.list_flights() for p in (i.descriptor.path or [])]
    assert seq_name not in listed
    # the name is free again
    create_sequence(flight, seq_name)
    assert app_md(get_info(flight, seq_name))["sessions"] == []


def test_notifications_raw(flight, seq_name):
    schema = simple_schema()
    create_sequence(flight, seq_name)
    s1, _ = create_session(flight, seq_name)
    t1 = create_topic(flight, s1, f"{seq_name}/n/t")
    put_batches(flight, f"{seq_name}/n/t", t1, schema, [simple_batch(schema, [1])])
    action(flight, "sequence_notification_create", {"locator": seq_name, "notification_type": "error", "msg": "seq boom ü"})
    action(flight, "topic_notification_create", {"locator": f"{seq_name}/n/t", "notification_type": "error", "msg": "topic boom"})
    finalize(flight, s1)
    resp = action(flight, "sequence_notification_list", {"locator": seq_name})
    notes = resp.get("notifications")
    assert isinstance(notes, list) and len(notes) == 1, f"sequence notifications: {resp!r}"
    n = notes[0]
    assert n.get("name") == seq_name and n.get("notification_type") == "error" and n.get("msg") == "seq boom ü", n
    from mosaicolabs.comm.notifications import Notification

    parsed = Notification._from_dict(n)  # created_datetime must parse
    assert parsed.sequence_name == seq_name and parsed.topic_name is None
    resp = action(flight, "topic_notification_list", {"locator": f"{seq_name}/n/t"})
    tn = resp.get("notifications")
    assert isinstance(tn, list) and len(tn) == 1 and tn[0].get("msg") == "topic boom", f"topic notifications: {resp!r}"
    assert tn[0].get("name") in (f"{seq_name}/n/t", f"/{seq_name}/n/t"), tn[0]
    parsed = Notification._from_dict(tn[0])
    assert parsed.sequence_name == seq_name and parsed.topic_name == "/n/t"
    action(flight, "topic_notification_purge", {"locator": f"{seq_name}/n/t"})
    assert action(flight, "topic_notification_list", {"locator": f"{seq_name}/n/t"})["notifications"] == []
    assert len(action(flight, "sequence_notification_list", {"locator": seq_name})["notifications"]) == 1
    action(flight, "sequence_notification_purge", {"locator": seq_name})
    assert action(flight, "sequence_notification_list", {"locator": seq_name})["notifications"] == []


# ----------------------------------------------------------------------------------------------------------------------
# Process lifecycle: restart, crash, signals
# ----------------------------------------------------------------------------------------------------------------------
