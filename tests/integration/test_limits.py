"""Request limits (docs/SECURITY.md "Limits"): each limit exceeded gives the right gRPC code and a message naming the
limit and its flag; the daemon stays up and nothing stored is touched.

  --max-message-mb                 a FlightData message carrying more Arrow data -> INVALID_ARGUMENT
  --max-action-body-bytes          an action body / descriptor / ticket over it -> INVALID_ARGUMENT
  --max-metadata-bytes             user_metadata of sequence/topic create, a notification msg -> INVALID_ARGUMENT
  locator names                    a sequence name or stored topic name over 255 bytes -> INVALID_ARGUMENT
  --max-concurrent-streams         one stream more than the cap -> UNAVAILABLE (Flight C++ has no RESOURCE_EXHAUSTED)
  --request-timeout-seconds        an action / GetFlightInfo over it -> DEADLINE_EXCEEDED
  --upload-idle-timeout-seconds    a DoPut pausing longer -> DEADLINE_EXCEEDED, the upload aborted (nothing stored)
"""

from __future__ import annotations

import json
import os
import subprocess
import time

import pyarrow as pa
import pyarrow.flight as fl
import pytest

from conftest import MOSAICOD_BIN, unique_name
from mosaico_testlib import (
    action,
    assert_tables_equal,
    create_sequence,
    create_session,
    create_topic,
    expect_error,
    finalize,
    get_info,
    put_batches,
    put_descriptor,
    read_topic,
    simple_batch,
    simple_schema,
    sort_by_ts,
)

BASE = 1_700_000_000_000_000_000
LIMIT_ARGS = ["--max-message-mb", "1", "--max-action-body-bytes", "20000", "--max-metadata-bytes", "1000"]


@pytest.fixture(scope="module")
def limited(module_daemon_factory):
    d = module_daemon_factory(extra_args=LIMIT_ARGS)
    with fl.FlightClient(d.location) as c:
        yield d, c


def _stored_topic(c, seq: str, topic: str = "imu", rows: int = 50, finalize_it: bool = True):
    """A sequence with one topic holding `rows` rows; returns (locator, expected table)."""
    create_sequence(c, seq)
    su, _ = create_session(c, seq)
    loc = f"{seq}/{topic}"
    tu = create_topic(c, su, loc)
    schema = simple_schema()
    batch = simple_batch(schema, [BASE + i * 1000 for i in range(rows)])
    put_batches(c, loc, tu, schema, [batch])
    if finalize_it:
        finalize(c, su)
    return loc, pa.Table.from_batches([batch])


def _sequence_exists(c, seq: str) -> bool:
    try:
        get_info(c, seq)
        return True
    except pa.ArrowKeyError:
        return False


def test_flags_and_env_twins_are_documented_in_help():
    out = subprocess.run([MOSAICOD_BIN, "run", "--help"], capture_output=True, text=True, check=True).stdout
    for flag, env in [("--max-concurrent-streams", "MOSAICOD_MAX_CONCURRENT_STREAMS"),
                      ("--request-timeout-seconds", "MOSAICOD_REQUEST_TIMEOUT_SECONDS"),
                      ("--upload-idle-timeout-seconds", "MOSAICOD_UPLOAD_IDLE_TIMEOUT_SECONDS"),
                      ("--max-metadata-bytes", "MOSAICOD_MAX_METADATA_BYTES"),
                      ("--max-action-body-bytes", "MOSAICOD_MAX_ACTION_BODY_BYTES"),
                      ("--max-message-mb", "MOSAICOD_MAX_MESSAGE_MB")]:
        assert flag in out and env in out, f"{flag} / {env} missing from `mosaicod run --help`"


# --- message size ---------------------------------------------------------------------------------------------------


def test_info_reports_the_enforced_message_limit(limited):
    _, c = limited
    info = action(c, "info", {})
    assert info["config"]["grpc_max_decode_message_size"] == 1 << 20, info


def test_oversized_flightdata_message_is_refused_and_nothing_is_stored(limited):
    _, c = limited
    seq = unique_name("lim_msg")
    create_sequence(c, seq)
    su, _ = create_session(c, seq)
    schema = pa.schema([pa.field("timestamp_ns", pa.int64(), nullable=False), pa.field("blob", pa.binary())])
    big = pa.RecordBatch.from_pydict({"timestamp_ns": [BASE, BASE + 1], "blob": [os.urandom(700_000)] * 2},
                                     schema=schema)  # 1.4 MB of Arrow data in one message, limit 1 MiB
    tu = create_topic(c, su, f"{seq}/big")
    expect_error("INVALID_ARGUMENT", put_batches, c, f"{seq}/big", tu, schema, [big],
                 mentions=["--max-message-mb"], what="DoPut of a 1.4 MB batch")
    # The same data in messages under the limit is accepted, into the same (still writable) topic.
    halves = [big.slice(0, 1), big.slice(1, 1)]
    put_batches(c, f"{seq}/big", tu, schema, halves)
    finalize(c, su)
    got = sort_by_ts(read_topic(c, f"{seq}/big"))
    assert_tables_equal(got, pa.Table.from_batches([big]), "topic after a refused oversized message")


def test_oversized_action_body_and_descriptor_are_refused(limited):
    _, c = limited
    seq = unique_name("lim_body")
    body = json.dumps({"locator": seq, "user_metadata": {}, "pad": "x" * 30_000}).encode()
    expect_error("INVALID_ARGUMENT", lambda: list(c.do_action(fl.Action("sequence_create", body))),
                 mentions=["--max-action-body-bytes"], what="30 kB action body")
    assert not _sequence_exists(c, seq)
    cmd = json.dumps({"resource_locator": seq, "pad": "y" * 30_000})
    expect_error("INVALID_ARGUMENT", c.get_flight_info, fl.FlightDescriptor.for_command(cmd),
                 mentions=["--max-action-body-bytes"], what="30 kB descriptor")
    expect_error("INVALID_ARGUMENT", lambda: c.do_get(fl.Ticket(b"z" * 30_000)).read_all(),
                 mentions=["--max-action-body-bytes"], what="30 kB ticket")


# --- metadata size --------------------------------------------------------------------------------------------------


def test_user_metadata_over_the_limit_is_refused(limited):
    _, c = limited
    seq = unique_name("lim_md")
    big_md = {"notes": "n" * 2000}
    expect_error("INVALID_ARGUMENT", create_sequence, c, seq, big_md,
                 mentions=["user_metadata"], what="sequence_create with 2 kB user_metadata")
    exc = expect_error("INVALID_ARGUMENT", create_sequence, c, seq, big_md, mentions=["--max-metadata-bytes"])
    assert "1000" in str(exc), str(exc)
    assert not _sequence_exists(c, seq)
    create_sequence(c, seq, {"notes": "small"})
    su, _ = create_session(c, seq)
    expect_error("INVALID_ARGUMENT", create_topic, c, su, f"{seq}/imu", user_metadata=big_md,
                 mentions=["user_metadata"], what="topic_create with 2 kB user_metadata")
    expect_error("INVALID_ARGUMENT", action, c, "sequence_notification_create",
                 {"locator": seq, "notification_type": "error", "msg": "m" * 2000},
                 mentions=["msg"], what="notification with a 2 kB msg")
    assert action(c, "sequence_notification_list", {"locator": seq})["notifications"] == []
    # Within the limits everything works, and the refused calls left nothing behind.
    tu = create_topic(c, su, f"{seq}/imu", user_metadata={"k": "v"})
    schema = simple_schema()
    batch = simple_batch(schema, [BASE + i for i in range(10)])
    put_batches(c, f"{seq}/imu", tu, schema, [batch])
    finalize(c, su)
    assert_tables_equal(sort_by_ts(read_topic(c, f"{seq}/imu")), pa.Table.from_batches([batch]), "topic")


# --- locator length -------------------------------------------------------------------------------------------------


def test_sequence_name_of_256_bytes_is_invalid_argument_on_every_store(limited):
    _, c = limited
    prefix = unique_name("lim_loc")
    long_ok = (prefix + "_" + "a" * 255)[:255]
    too_long = (prefix + "_" + "b" * 256)[:256]
    exc = expect_error("INVALID_ARGUMENT", create_sequence, c, too_long, mentions=["255 bytes"],
                       what="sequence name of 256 bytes")
    assert too_long[:40] in str(exc), "the error names the locator"
    # 255 bytes: stored and read back on this store kind (local dir or S3).
    loc, want = _stored_topic(c, long_ok, topic="imu")
    assert_tables_equal(sort_by_ts(read_topic(c, loc)), want, "topic of a 255-byte sequence")


def test_topic_name_is_limited_as_the_store_writes_it(limited):
    _, c = limited
    seq = unique_name("lim_topic")
    create_sequence(c, seq)
    su, _ = create_session(c, seq)
    fits = "a" * 126 + "/" + "b" * 126  # 253 bytes, stored as 255 ("/" -> "%2F")
    over = fits + "c"
    expect_error("INVALID_ARGUMENT", create_topic, c, su, f"{seq}/{over}", mentions=["255 bytes"],
                 what="topic stored as 256 bytes")
    expect_error("INVALID_ARGUMENT", create_topic, c, su, f"{seq}/{'t' * 300}", mentions=["255 bytes"],
                 what="one 300-byte topic segment")
    tu = create_topic(c, su, f"{seq}/{fits}")
    schema = simple_schema()
    batch = simple_batch(schema, [BASE + i for i in range(5)])
    put_batches(c, f"{seq}/{fits}", tu, schema, [batch])
    finalize(c, su)
    assert_tables_equal(sort_by_ts(read_topic(c, f"{seq}/{fits}")), pa.Table.from_batches([batch]), "topic")


# --- concurrent streams ---------------------------------------------------------------------------------------------


def _retry_until_refused(fn, what: str, timeout: float = 20.0) -> BaseException:
    """Calls fn until it raises (the other stream may not hold its slot yet when we start); returns the error."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            fn()
        except Exception as e:  # noqa: BLE001
            return e
        assert time.monotonic() < deadline, f"{what}: never refused while another stream held the only slot"
        time.sleep(0.05)


def test_streams_over_the_cap_are_refused_and_slots_come_back(daemon_factory):
    d = daemon_factory(extra_args=["--max-concurrent-streams", "1"])
    with fl.FlightClient(d.location) as c:
        loc, want = _stored_topic(c, unique_name("lim_streams"))
        # An open upload holds the only slot ...
        seq2 = unique_name("lim_streams_open")
        create_sequence(c, seq2)
        su2, _ = create_session(c, seq2)
        tu2 = create_topic(c, su2, f"{seq2}/imu")
        schema = simple_schema()
        writer, _ = c.do_put(put_descriptor(f"{seq2}/imu", tu2), schema)
        writer.write_batch(simple_batch(schema, [BASE, BASE + 1]))
        # ... so a read is refused with UNAVAILABLE naming the limit and the flag ...
        exc = _retry_until_refused(lambda: read_topic(c, loc), "DoGet")
        expect_error("UNAVAILABLE", lambda: (_ for _ in ()).throw(exc), mentions=["--max-concurrent-streams"],
                     what="DoGet over the stream cap")
        assert "limit 1" in str(exc)
        # ... so is a second upload and a query (a long action) ...
        expect_error("UNAVAILABLE", put_batches, c, loc, "whatever", schema, [], mentions=["--max-concurrent-streams"])
        expect_error("UNAVAILABLE", action, c, "topic_filter_clusterize",
                     {"locator": loc, "clustering_dt_ns": 10, "ontology": {}}, mentions=["--max-concurrent-streams"])
        # ... but short actions are not streams.
        assert action(c, "info", {})
        writer.done_writing()
        writer.close()  # returns once the server finished the call: the slot is free again
        assert_tables_equal(sort_by_ts(read_topic(c, loc)), want, "read once the upload finished")
        # Failing calls give their slot back too.
        for _ in range(5):
            expect_error("INVALID_ARGUMENT", lambda: c.do_get(fl.Ticket(b"garbage")).read_all())
            expect_error(("INVALID_ARGUMENT", "NOT_FOUND"), put_batches, c, "nope/imu", "x", schema, [])
        assert_tables_equal(sort_by_ts(read_topic(c, loc)), want, "read after failed calls")
        finalize(c, su2)


# --- deadlines ------------------------------------------------------------------------------------------------------


def test_request_timeout_gives_deadline_exceeded(daemon_factory):
    # 1 ns: every query that reads data and every GetFlightInfo is over the limit; short actions never poll it.
    d = daemon_factory(extra_args=["--request-timeout-seconds", "0.000000001"])
    with fl.FlightClient(d.location) as c:
        seq = unique_name("lim_deadline")
        loc, _ = _stored_topic(c, seq)
        expect_error("DEADLINE_EXCEEDED", get_info, c, loc, mentions=["--request-timeout-seconds"],
                     what="GetFlightInfo over the time limit")
        body = {"ontology": {"test_tag.value": {"$gt": -1.0}}}
        expect_error("DEADLINE_EXCEEDED", action, c, "query", body, mentions=["--request-timeout-seconds"],
                     what="query over the time limit")
        expect_error("DEADLINE_EXCEEDED", action, c, "topic_filter_clusterize",
                     {"locator": loc, "clustering_dt_ns": 10, "ontology": body["ontology"]},
                     mentions=["--request-timeout-seconds"], what="clusterize over the time limit")
        assert action(c, "info", {})
    # Stored data is untouched: the same data dir without the limit reads it back.
    d.stop()
    d.extra_args = []
    d.start()
    with fl.FlightClient(d.location) as c:
        assert read_topic(c, loc).num_rows == 50


def test_idle_upload_is_aborted_and_the_topic_stays_writable(daemon_factory):
    d = daemon_factory(extra_args=["--upload-idle-timeout-seconds", "0.3"])
    with fl.FlightClient(d.location) as c:
        seq = unique_name("lim_idle")
        create_sequence(c, seq)
        su, _ = create_session(c, seq)
        loc = f"{seq}/imu"
        tu = create_topic(c, su, loc)
        schema = simple_schema()

        def paused_upload():
            writer, _ = c.do_put(put_descriptor(loc, tu), schema)
            try:
                writer.write_batch(simple_batch(schema, [BASE, BASE + 1]))
                time.sleep(1.0)  # longer than the idle limit
                writer.write_batch(simple_batch(schema, [BASE + 2]))
                writer.done_writing()
            finally:
                writer.close()

        expect_error("DEADLINE_EXCEEDED", paused_upload, mentions=["--upload-idle-timeout-seconds"],
                     what="DoPut pausing 1 s with a 0.3 s idle limit")
        # Nothing of the aborted upload was committed; the topic takes a new upload and finalizes.
        batch = simple_batch(schema, [BASE + 10 + i for i in range(20)])
        put_batches(c, loc, tu, schema, [batch])
        finalize(c, su)
        assert_tables_equal(sort_by_ts(read_topic(c, loc)), pa.Table.from_batches([batch]), "topic after idle abort")
