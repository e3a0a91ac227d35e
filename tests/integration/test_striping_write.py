"""Striped uploads (issue 13 item 3; docs/PROTOCOL_NOTES.md, "Striped uploads"), over raw pyarrow.flight.

One topic's upload arrives over several DoPut streams at once ({"stripes": N, "stripe": i} in the DoPut descriptor,
each stripe on its own connection and thread). It commits once, when the last stripe closes: reads return the union
sorted by timestamp_ns, ties by stripe index then sending order. A stripe failing, a client vanishing, the idle limit
or a kill -9 leave nothing half-committed; refusals (duplicate / out-of-range stripe, a different stripe count or
schema, a stripe after the commit) change nothing; `check` and `rebuild` see a striped topic like any other.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time

import pyarrow as pa
import pyarrow.flight as fl
import pytest

from conftest import STORE_MODE, lose_catalog
from mosaico_testlib import (
    action,
    app_md,
    create_sequence,
    create_session,
    create_topic,
    expect_error,
    finalize,
    get_info,
    put_batches,
    put_stripe,
    put_striped,
    read_topic,
    striped_put_descriptor,
    wait_until,
)
from multi_daemon_cluster import SHARED_BACKENDS, SKIP_REASON, cluster  # noqa: F401 (cluster: a fixture)
from test_recovery import StoreFiles, run_cli

BASE = 1_700_000_000_000_000_000
MS = 1_000_000
REFUSED = ["PERMISSION_DENIED", "FAILED_PRECONDITION"]  # lifecycle refusals travel as PERMISSION_DENIED
SCHEMA = pa.schema([
    pa.field("timestamp_ns", pa.int64(), nullable=False),
    pa.field("stripe", pa.int32()),
    pa.field("sent", pa.int64()),  # sending order inside the stripe
    pa.field("payload", pa.binary()),
])


def stripe_batches(stripe: int, batches: int, rows: int, payload: int = 16, distinct_ts: int = 40) -> list:
    """Batches of one stripe; timestamps from a small set (out of order, many ties with every other stripe)."""
    out, sent = [], 0
    for b in range(batches):
        ts = [BASE + ((r * 7 + stripe * 3 + b * 5) % distinct_ts) * MS for r in range(rows)]
        out.append(pa.RecordBatch.from_pydict({
            "timestamp_ns": ts,
            "stripe": [stripe] * rows,
            "sent": list(range(sent, sent + rows)),
            "payload": [bytes([(stripe * 31 + sent + r) % 256]) * payload for r in range(rows)],
        }, schema=SCHEMA))
        sent += rows
    return out


def expected_union(all_batches: list) -> list[tuple]:
    rows = []
    for batches in all_batches:
        for b in batches:
            d = b.to_pydict()
            rows += zip(d["timestamp_ns"], d["stripe"], d["sent"])
    return sorted(rows)  # timestamp, then stripe index, then sending order


def read_rows(flight, locator: str) -> list[tuple]:
    t = read_topic(flight, locator)
    return list(zip(t.column("timestamp_ns").to_pylist(), t.column("stripe").to_pylist(), t.column("sent").to_pylist()))


def new_topic(flight, name: str, topics=("cam",)) -> tuple[str, dict]:
    create_sequence(flight, name, {})
    session, _ = create_session(flight, name)
    return session, {t: create_topic(flight, session, f"{name}/{t}") for t in topics}


def upload_objects(d, seq: str) -> list[str]:
    return StoreFiles(d.data_dir).find(f"sequences/{seq}", "topics/*/uploads/*")


def rows_of(flight, locator: str) -> int:
    return app_md(get_info(flight, locator))["data_info"]["total_row_count"]


@pytest.fixture
def striped_daemon(daemon_factory):
    # 1 MiB chunks: a stripe of a few MiB writes several chunks. A short idle limit for the idle test.
    # Compaction after finalize (chunks below 4 MiB merged into 16 MiB ones) without delay, for the order test.
    return daemon_factory(extra_args=["--chunk-size-mb", "1", "--upload-idle-timeout-seconds", "3",
                                      "--compact-below-mb", "4", "--compact-chunk-size-mb", "16",
                                      "--compaction-grace-seconds", "1"])


def test_striped_upload_commits_the_union_in_timestamp_then_stripe_order(striped_daemon, new_name):
    d = striped_daemon
    flight = fl.FlightClient(d.location)
    seq = new_name()
    session, uuids = new_topic(flight, seq, ("cam", "small"))
    # 4 stripes, ~2.5 MiB each (several 1 MiB chunks per stripe), every timestamp shared by all stripes.
    data = [stripe_batches(s, batches=5, rows=500, payload=1000) for s in range(4)]
    replies = put_striped(d.location, f"{seq}/cam", uuids["cam"], SCHEMA, data)
    assert [r["stripe"] for r in replies] == [0, 1, 2, 3] and all(r["stripes"] == 4 for r in replies), replies
    assert len({r["upload_id"] for r in replies}) == 1, replies
    committed = [r for r in replies if r["committed"]]
    assert len(committed) == 1 and committed[0]["waiting_for"] == [], replies
    assert all(r["waiting_for"] for r in replies if not r["committed"]), replies

    got = read_rows(flight, f"{seq}/cam")
    assert len(got) == 4 * 5 * 500
    assert got == expected_union(data), "rows not in (timestamp_ns, stripe, sending order)"

    # One upload directory, one upload.json, chunk names of every stripe's range (stripe s: s*1000000 + k).
    files = upload_objects(d, seq)
    manifests = [f for f in files if f.endswith("upload.json")]
    assert len(manifests) == 1, files
    chunks = sorted(os.path.basename(f) for f in files if f.endswith(".parquet"))
    assert any(c.startswith("chunk-000000") for c in chunks) and any(c.startswith("chunk-3000000") for c in chunks)
    assert len(chunks) >= 8, chunks

    # One stripe is a valid striped upload too; stripes may be sent one after another.
    small = [stripe_batches(s, batches=1, rows=20) for s in range(3)]
    r2 = put_stripe(d.location, f"{seq}/small", uuids["small"], SCHEMA, small[2], 3, 2)
    r0 = put_stripe(d.location, f"{seq}/small", uuids["small"], SCHEMA, small[0], 3, 0)
    assert (r2["committed"], r2["waiting_for"], r0["waiting_for"]) == (False, [0, 1], [1]), (r2, r0)
    assert rows_of(flight, f"{seq}/small") == 0, "a partial striped upload is visible"
    r1 = put_stripe(d.location, f"{seq}/small", uuids["small"], SCHEMA, small[1], 3, 1)
    assert r1["committed"] is True
    assert read_rows(flight, f"{seq}/small") == expected_union(small)
    chunks_before = app_md(get_info(flight, f"{seq}/cam"))["data_info"]["total_chunks_count"]
    finalize(flight, session)
    # Compaction rewrites the stripes' chunks as one upload: the same rows in the same order.
    wait_until(lambda: app_md(get_info(flight, f"{seq}/cam"))["data_info"]["total_chunks_count"] < chunks_before,
               timeout=60, interval=0.3, what="compaction of the striped topic")
    assert read_rows(flight, f"{seq}/cam") == expected_union(data), "compaction changed the rows or their order"


def test_refused_stripes_change_nothing(daemon, flight, new_name):
    seq = new_name()
    session, uuids = new_topic(flight, seq)
    loc, uuid = f"{seq}/cam", uuids["cam"]
    data = [stripe_batches(s, batches=2, rows=30) for s in range(2)]

    def bad_put(cmd: dict, schema=SCHEMA, batches=()):
        writer, reader = flight.do_put(fl.FlightDescriptor.for_command(json.dumps(cmd)), schema)
        try:
            for b in batches:
                writer.write_batch(b)
            writer.done_writing()
            reader.read()
        finally:
            writer.close()

    base = {"resource_locator": loc, "topic_uuid": uuid}
    expect_error(["INVALID_ARGUMENT"], bad_put, {**base, "stripes": 2}, mentions=["'stripe'"])
    expect_error(["INVALID_ARGUMENT"], bad_put, {**base, "stripe": 0}, mentions=["'stripes'"])
    expect_error(["INVALID_ARGUMENT"], bad_put, {**base, "stripes": 2, "stripe": 2}, mentions=["'stripe'"])
    expect_error(["INVALID_ARGUMENT"], bad_put, {**base, "stripes": 65, "stripe": 0}, mentions=["'stripes'"])
    expect_error(["INVALID_ARGUMENT"], bad_put, {**base, "stripes": "2", "stripe": 0}, mentions=["stripes"])

    # Stripe 0 streams (open, not closed) while the refusals arrive.
    writer, reader = flight.do_put(striped_put_descriptor(loc, uuid, 2, 0), SCHEMA)
    writer.write_batch(data[0][0])
    wait_until(lambda: f"event=striped_upload_opened topic={loc} " in daemon.log_text(), what="stripe 0 opened")
    expect_error(["ALREADY_EXISTS"], bad_put, {**base, "stripes": 2, "stripe": 0}, mentions=["'stripe'"])
    expect_error(["INVALID_ARGUMENT"], bad_put, {**base, "stripes": 3, "stripe": 1}, mentions=["'stripes'"])
    other = pa.schema([*SCHEMA, pa.field("extra", pa.float64())])
    expect_error(["INVALID_ARGUMENT"], bad_put, {**base, "stripes": 2, "stripe": 1}, schema=other,
                 mentions=["extra"])
    expect_error(["PERMISSION_DENIED"], bad_put, {**base, "topic_uuid": "0" * 32, "stripes": 2, "stripe": 1})
    # The topic counts as uploading: no unstriped stream, no finalize.
    expect_error(REFUSED, put_batches, flight, loc, uuid, SCHEMA, data[1])
    expect_error(REFUSED, finalize, flight, session)

    # The upload in progress was not disturbed.
    writer.write_batch(data[0][1])
    writer.done_writing()
    r0 = json.loads(reader.read().to_pybytes())
    writer.close()
    assert r0["committed"] is False and r0["waiting_for"] == [1]
    r1 = put_stripe(daemon.location, loc, uuid, SCHEMA, data[1], 2, 1)
    assert r1["committed"] is True
    assert read_rows(flight, loc) == expected_union(data)

    # After the commit: a late stripe is refused naming the field, and nothing changes.
    expect_error(REFUSED, put_stripe, daemon.location, loc, uuid, SCHEMA, data[1], 2, 1,
                 mentions=["'stripe'", "committed"])
    assert read_rows(flight, loc) == expected_union(data)
    finalize(flight, session)


def test_one_stripe_failing_aborts_every_stripe(striped_daemon, new_name):
    d = striped_daemon
    flight = fl.FlightClient(d.location)
    seq = new_name()
    session, uuids = new_topic(flight, seq)
    loc, uuid = f"{seq}/cam", uuids["cam"]
    data = [stripe_batches(s, batches=3, rows=400, payload=1000) for s in range(3)]
    for s in (0, 1):
        r = put_stripe(d.location, loc, uuid, SCHEMA, data[s], 3, s)
        assert r["committed"] is False
    assert upload_objects(d, seq), "the closed stripes wrote no chunks"
    bad = pa.RecordBatch.from_arrays([pa.array([BASE, None], pa.int64()), pa.array([2, 2], pa.int32()),
                                      pa.array([0, 1], pa.int64()), pa.array([b"x", b"y"])], schema=SCHEMA)
    expect_error(["INVALID_ARGUMENT"], put_stripe, d.location, loc, uuid, SCHEMA, [data[2][0], bad], 3, 2,
                 mentions=["timestamp_ns"])
    assert rows_of(flight, loc) == 0
    wait_until(lambda: not upload_objects(d, seq), what="the aborted upload's objects deleted")

    # A stripe of the aborted upload sent later opens a new upload; the client retries the whole upload.
    replies = put_striped(d.location, loc, uuid, SCHEMA, data)
    assert sum(r["committed"] for r in replies) == 1
    assert read_rows(flight, loc) == expected_union(data)
    finalize(flight, session)


def test_a_vanished_client_aborts_and_the_session_can_be_deleted(striped_daemon, new_name):
    d = striped_daemon
    flight = fl.FlightClient(d.location)
    seq = new_name()
    session, uuids = new_topic(flight, seq)
    loc, uuid = f"{seq}/cam", uuids["cam"]
    data = [stripe_batches(s, batches=3, rows=400, payload=1000) for s in range(2)]
    assert put_stripe(d.location, loc, uuid, SCHEMA, data[0], 2, 0)["committed"] is False
    # Stripe 1 streams from another process, which is killed (SIGKILL) before it closes the stripe.
    script = (
        "import sys, time, pyarrow as pa, pyarrow.flight as fl\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from test_striping_write import SCHEMA, stripe_batches\n"
        "from mosaico_testlib import striped_put_descriptor\n"
        "w, _ = fl.FlightClient(sys.argv[2]).do_put(striped_put_descriptor(sys.argv[3], sys.argv[4], 2, 1), SCHEMA)\n"
        "for b in stripe_batches(1, batches=3, rows=400, payload=1000):\n"
        "    w.write_batch(b)\n"
        "print('written', flush=True)\n"
        "time.sleep(60)\n")
    child = subprocess.Popen([sys.executable, "-c", script, os.path.dirname(__file__), d.location, loc, uuid],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "written"
    finally:
        child.kill()
        child.wait()
    wait_until(lambda: "event=striped_upload_aborted" in d.log_text(), timeout=10, what="the upload aborted")
    # The SDK's abort: the session is deleted; nothing of the upload remains.
    wait_until(lambda: _try(action, flight, "session_delete", {"locator": f"{seq}:{session_key(flight, seq)}"}),
               timeout=10, what="session_delete accepted")
    assert not upload_objects(d, seq)
    assert rows_of_sequence(flight, seq) == 0


def test_idle_striped_upload_is_aborted(striped_daemon, new_name):
    d = striped_daemon  # --upload-idle-timeout-seconds 3
    flight = fl.FlightClient(d.location)
    seq = new_name()
    session, uuids = new_topic(flight, seq)
    loc, uuid = f"{seq}/cam", uuids["cam"]
    data = [stripe_batches(s, batches=1, rows=50) for s in range(3)]
    put_stripe(d.location, loc, uuid, SCHEMA, data[0], 3, 0)
    expect_error(REFUSED, finalize, flight, session)
    wait_until(lambda: "event=striped_upload_aborted" in d.log_text(), timeout=10, what="the idle upload aborted")
    assert "stripe(s) 1, 2 of 3 never arrived" in d.log_text()
    wait_until(lambda: not upload_objects(d, seq), what="the idle upload's objects deleted")
    # The topic is free again: a complete upload commits, then the session finalizes.
    put_striped(d.location, loc, uuid, SCHEMA, data)
    assert read_rows(flight, loc) == expected_union(data)
    finalize(flight, session)


def test_deleting_abandons_a_striped_upload_waiting_for_stripes(daemon, flight, new_name):
    """The SDK's abort deletes the session: an upload with stripes missing and none streaming is given up (its
    objects deleted) instead of refusing the delete; a topic delete does the same for its topic only."""
    seq = new_name()
    session, uuids = new_topic(flight, seq, ("a", "b"))
    data = [stripe_batches(s, batches=2, rows=50) for s in range(3)]
    for t in ("a", "b"):
        for s in (0, 1):
            assert put_stripe(daemon.location, f"{seq}/{t}", uuids[t], SCHEMA, data[s], 3, s)["committed"] is False
    expect_error(REFUSED, finalize, flight, session)
    action(flight, "topic_delete", {"locator": f"{seq}/a"})
    expect_error(["NOT_FOUND"], get_info, flight, f"{seq}/a")
    assert rows_of(flight, f"{seq}/b") == 0
    expect_error(REFUSED, finalize, flight, session)  # topic b's upload still waits
    action(flight, "session_delete", {"locator": f"{seq}:{session_key(flight, seq)}"})
    assert app_md(get_info(flight, seq))["sessions"] == []
    assert not upload_objects(daemon, seq)
    # The late stripe of the abandoned upload finds no topic.
    expect_error(["NOT_FOUND"], put_stripe, daemon.location, f"{seq}/b", uuids["b"], SCHEMA, data[2], 3, 2)


@pytest.mark.skipif(not SHARED_BACKENDS, reason=SKIP_REASON)
def test_stripes_split_over_two_daemons_never_commit_half(cluster, new_name):
    """All stripes of one upload go to one daemon. A client that splits them over two daemons sharing the catalog
    gets two uploads that never complete: nothing is committed, both are aborted at the idle limit, and a complete
    upload on one daemon then commits."""
    a, b = cluster.start(2, extra_args=["--upload-idle-timeout-seconds", "2"])
    flight = cluster.clients[0]
    seq = new_name()
    session, uuids = new_topic(flight, seq)
    loc, uuid = f"{seq}/cam", uuids["cam"]
    data = [stripe_batches(s, batches=2, rows=50) for s in range(2)]
    r0 = put_stripe(a.location, loc, uuid, SCHEMA, data[0], 2, 0)
    r1 = put_stripe(b.location, loc, uuid, SCHEMA, data[1], 2, 1)
    assert (r0["committed"], r0["waiting_for"], r1["committed"], r1["waiting_for"]) == (False, [1], False, [0])
    assert r0["upload_id"] != r1["upload_id"]
    for c in cluster.clients:
        assert rows_of(c, loc) == 0
    for d in (a, b):
        wait_until(lambda: "event=striped_upload_aborted" in d.log_text(), timeout=10, what="idle upload aborted")
    put_striped(a.location, loc, uuid, SCHEMA, data)
    assert read_rows(cluster.clients[1], loc) == expected_union(data)
    finalize(flight, session)
    cluster.assert_consistent()


def _try(fn, *args) -> bool:
    try:
        fn(*args)
        return True
    except fl.FlightError:
        return False


def session_key(flight, seq: str) -> str:
    return app_md(get_info(flight, seq))["sessions"][0]["locator"].split(":", 1)[1]


def rows_of_sequence(flight, seq: str) -> int:
    try:
        md = app_md(get_info(flight, seq))
    except fl.FlightError:
        return 0
    return sum(rows_of(flight, t) for s in md["sessions"] for t in s["topics"])


def test_kill_during_a_striped_upload_leaves_all_or_nothing(daemon_factory, new_name):
    d = daemon_factory(extra_args=["--chunk-size-mb", "1"])
    flight = fl.FlightClient(d.location)
    seq = new_name()
    session, uuids = new_topic(flight, seq, ("cut", "whole"))
    data = [stripe_batches(s, batches=3, rows=400, payload=1000) for s in range(3)]
    # "cut": two stripes closed, the third streaming, then kill -9: nothing visible after the restart.
    for s in (0, 1):
        put_stripe(d.location, f"{seq}/cut", uuids["cut"], SCHEMA, data[s], 3, s)
    c = fl.FlightClient(d.location)
    writer, _ = c.do_put(striped_put_descriptor(f"{seq}/cut", uuids["cut"], 3, 2), SCHEMA)
    writer.write_batch(data[2][0])
    time.sleep(0.3)
    d.kill()
    c.close()
    flight.close()
    d.start()
    flight = fl.FlightClient(d.location)
    assert rows_of(flight, f"{seq}/cut") == 0
    # "whole": killed right after the striped upload's upload.json: start-up commits every stripe's rows.
    d.stop()
    os.environ["MOSAICOD_CRASH_AT"] = "upload.after_manifest"
    try:
        d.start()
    finally:
        os.environ.pop("MOSAICOD_CRASH_AT", None)
    try:
        put_striped(d.location, f"{seq}/whole", uuids["whole"], SCHEMA, data)
    except fl.FlightError:
        pass  # the last stripe's reply died with the daemon
    assert d.proc.wait(timeout=20) != 0
    d.expected_exit = None
    d.start()
    flight = fl.FlightClient(d.location)
    assert read_rows(flight, f"{seq}/whole") == expected_union(data)
    assert rows_of(flight, f"{seq}/cut") == 0
    # The retried upload of "cut" commits; the killed one's chunks are garbage `check --repair` removes.
    put_striped(d.location, f"{seq}/cut", uuids["cut"], SCHEMA, data)
    assert read_rows(flight, f"{seq}/cut") == expected_union(data)
    finalize(flight, session)
    flight.close()
    assert d.stop() == 0
    run_cli("check", "--repair", "--min-upload-age", "0", data_dir=d.data_dir, check=0)
    run_cli("check", "--verify-checksums", data_dir=d.data_dir, check=0)


def test_rebuild_restores_a_striped_topic(daemon_factory, new_name):
    d = daemon_factory(extra_args=["--chunk-size-mb", "1"])
    flight = fl.FlightClient(d.location)
    seq = new_name()
    session, uuids = new_topic(flight, seq, ("done",))
    data = [stripe_batches(s, batches=2, rows=500, payload=1000) for s in range(4)]
    put_striped(d.location, f"{seq}/done", uuids["done"], SCHEMA, data)
    before = read_rows(flight, f"{seq}/done")
    assert before == expected_union(data)
    finalize(flight, session)
    session2, _ = create_session(flight, seq)
    open_uuid = create_topic(flight, session2, f"{seq}/later")
    put_striped(d.location, f"{seq}/later", open_uuid, SCHEMA, data[:2])
    flight.close()
    assert d.stop() == 0
    lose_catalog(d.data_dir)
    run_cli("rebuild", data_dir=d.data_dir, check=0)
    run_cli("check", "--verify-checksums", data_dir=d.data_dir, check=0)
    d.start()
    flight = fl.FlightClient(d.location)
    assert read_rows(flight, f"{seq}/done") == before
    assert read_rows(flight, f"{seq}/later") == expected_union(data[:2])
    flight.close()


def _vm_kib(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"{field} missing from /proc/{pid}/status")


def test_stripes_stay_within_the_ingest_memory_budget(daemon_factory, new_name):
    """Each stripe is a stream of its own for the memory budget: 8 stripes of 32 MiB each (below the default 64 MiB
    chunk, so without a budget every stripe would buffer all its data until it closes) against --ingest-memory-mb 16.
    The budget binds (stripes wait, chunks are flushed early) and never admits more than its capacity; the peak RSS
    follows test_ingest_memory.py's rule: budget + per stream one message and the allowance + the data the clients
    sent that the daemon had not admitted yet (gRPC buffers it per stream). Measured once against 8 unstriped
    streams of the same data: VmHWM +199..235 MiB unstriped, +193..266 MiB striped."""
    budget_mb, stripes, per_stripe_mb = 16, 8, 32
    d = daemon_factory(extra_args=["--ingest-memory-mb", str(budget_mb), "--max-message-mb", "1"])
    flight = fl.FlightClient(d.location)
    seq = new_name()
    session, uuids = new_topic(flight, seq)
    before_kib = _vm_kib(d.proc.pid, "VmHWM")
    rows = 8  # 8 x 64 KiB = 512 KiB per message
    data = []
    for s in range(stripes):
        batches, sent = [], 0
        for b in range(per_stripe_mb * 2):
            batches.append(pa.RecordBatch.from_arrays([
                pa.array([BASE + (b * rows + r) * stripes + s for r in range(rows)], pa.int64()),
                pa.array([s] * rows, pa.int32()), pa.array(range(sent, sent + rows), pa.int64()),
                pa.array([os.urandom(64 << 10) for _ in range(rows)], pa.binary())], schema=SCHEMA))
            sent += rows
        data.append(batches)
    put_striped(d.location, f"{seq}/cam", uuids["cam"], SCHEMA, data)
    peak_mb = (_vm_kib(d.proc.pid, "VmHWM") - before_kib) / 1024
    assert rows_of(flight, f"{seq}/cam") == stripes * per_stripe_mb * 2 * rows
    finalize(flight, session)
    flight.close()
    assert d.stop() == 0
    summary = re.search(r"event=ingest_memory_summary capacity_bytes=(\d+) peak_in_use_bytes=(\d+) waits=(\d+) "
                        r"oversize_grants=(\d+) reclaimed_bytes=(\d+)", d.log_text())
    assert summary, "no event=ingest_memory_summary at shutdown"
    capacity, peak_in_use, waits, _, reclaimed = map(int, summary.groups())
    assert capacity == budget_mb << 20 and peak_in_use <= capacity, summary.group(0)
    assert waits > 0 and reclaimed > 0, f"the budget never bound the stripes: {summary.group(0)}"
    allowance = 100 if STORE_MODE != "s3" else 140
    allowed = budget_mb + stripes * 1 + allowance + stripes * per_stripe_mb
    print(f"striped upload of {stripes} x {per_stripe_mb} MiB: VmHWM +{peak_mb:.0f} MiB (allowed +{allowed}), "
          f"peak admitted {peak_in_use / 2**20:.1f} MiB, waits {waits}, reclaimed {reclaimed / 2**20:.0f} MiB")
    assert peak_mb <= allowed, f"peak RSS grew by {peak_mb:.0f} MiB, more than {allowed} MiB"
