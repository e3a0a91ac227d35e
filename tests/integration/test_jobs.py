"""The event queue and its background jobs (docs/JOBS.md): abandoned-session cleanup, store GC, at-least-once jobs
that survive a crash (SIGKILL mid-job) and a clean restart.

The queue lives in the catalog's `jobs` table; the tests read it with Python's sqlite3 module (read-only) while the
daemon runs, and insert one delayed job the same way to see it run after a restart.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import time

import pyarrow.flight as fl
import pytest

from conftest import HOST, MOSAICOD_BIN, _free_port
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
    put_descriptor,
    read_topic,
    simple_batch,
    simple_schema,
    wait_until,
)

pytestmark = [pytest.mark.local_store, pytest.mark.sqlite_catalog]  # plants and inspects store files, reads the SQLite catalog

BASE = 1_700_000_000_000_000_000
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
HOUR_S = 3600


def ulid_at(unix_s: float) -> str:
    """A ULID minted at `unix_s` (the daemon's upload ids are ULIDs: their time is the upload's start)."""
    value = (int(unix_s * 1000) << 80) | random.getrandbits(80)
    return "".join(CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))


def catalog_path(data_dir: str) -> str:
    return os.path.join(data_dir, "catalog.db")


def jobs(data_dir: str) -> list[dict]:
    """Every row of the queue, oldest first."""
    con = sqlite3.connect(f"file:{catalog_path(data_dir)}?mode=ro", uri=True, timeout=10)
    try:
        con.row_factory = sqlite3.Row
        return [dict(r) for r in con.execute("SELECT * FROM jobs ORDER BY id")]
    finally:
        con.close()


def job(data_dir: str, job_id: int) -> dict:
    return next(j for j in jobs(data_dir) if j["id"] == job_id)


def write_topic(flight, session_uuid: str, locator: str, n: int = 20, start: int = 0):
    t = create_topic(flight, session_uuid, locator, ontology_tag="imu")
    put_batches(flight, locator, t, simple_schema(), [simple_batch(simple_schema(), [BASE + start + i for i in range(n)])])
    return t


def topic_dir(data_dir: str, seq: str, topic: str) -> str:
    return os.path.join(data_dir, "store", "sequences", seq, "topics", topic.replace("/", "%2F"))


def plant(path: str, data: bytes, age_s: float = 0.0):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    if age_s:
        t = time.time() - age_s
        os.utime(path, (t, t))


# ---------------------------------------------------------------------------------------------------------------------
# (a) abandoned sessions
# ---------------------------------------------------------------------------------------------------------------------


def test_abandoned_session_is_removed_with_a_notification(daemon_factory, new_name):
    idle_s = 5.4
    d = daemon_factory(extra_args=["--abandon-after-hours", str(idle_s / HOUR_S), "--sweep-interval-seconds", "0.25",
                                   "--gc-interval-minutes", "0"])
    flight = fl.FlightClient(d.location)
    finalized, abandoned, streaming, fresh = (new_name(p) for p in ("fin", "abandoned", "streaming", "fresh"))

    create_sequence(flight, finalized)
    su, _ = create_session(flight, finalized)
    write_topic(flight, su, f"{finalized}/imu")
    finalize(flight, su)

    create_sequence(flight, abandoned)
    au, alocator = create_session(flight, abandoned)
    write_topic(flight, au, f"{abandoned}/imu")
    write_topic(flight, au, f"{abandoned}/cam/front")
    t_abandoned = time.monotonic()

    # As old as the abandoned one, but its DoPut stream stays open the whole time.
    create_sequence(flight, streaming)
    stu, _ = create_session(flight, streaming)
    st_topic = create_topic(flight, stu, f"{streaming}/imu", ontology_tag="imu")
    writer, _ = flight.do_put(put_descriptor(f"{streaming}/imu", st_topic), simple_schema())
    writer.write_batch(simple_batch(simple_schema(), [BASE + i for i in range(10)]))

    time.sleep(max(0.0, t_abandoned + 2.5 - time.monotonic()))
    create_sequence(flight, fresh)
    fu, _ = create_session(flight, fresh)
    write_topic(flight, fu, f"{fresh}/imu")

    def gone():
        try:
            get_info(flight, f"{abandoned}/imu")
            return False
        except Exception:  # noqa: BLE001
            return True

    wait_until(gone, timeout=idle_s + 10, interval=0.1, what="the abandoned session's removal")
    # Checked right away: the fresh session is ~3 s old, under the 5.4 s limit; the streaming one is active.
    assert app_md(get_info(flight, f"{fresh}/imu")), "fresh session's topic vanished"
    get_info(flight, f"{streaming}/imu")
    assert read_topic(flight, f"{finalized}/imu").num_rows == 20

    expect_error("NOT_FOUND", get_info, flight, f"{abandoned}/cam/front", what="topic of the abandoned session")
    assert app_md(get_info(flight, abandoned))["sessions"] == [], "the abandoned session is still listed"
    assert not os.path.exists(topic_dir(d.data_dir, abandoned, "imu")), "abandoned topic data left in the store"
    assert not os.path.exists(topic_dir(d.data_dir, abandoned, "cam/front"))
    notes = action(flight, "sequence_notification_list", {"locator": abandoned})["notifications"]
    assert len(notes) == 1, notes
    msg = notes[0]["msg"]
    assert notes[0]["notification_type"] == "error"
    assert msg.startswith(f"abandoned session '{alocator}'"), msg
    assert "[cam/front, imu]" in msg and "idle for" in msg, msg

    # The survivors still work: the stream commits, the fresh session finalizes.
    writer.done_writing()
    writer.close()
    assert read_topic(flight, f"{streaming}/imu").num_rows == 10
    finalize(flight, fu)
    assert read_topic(flight, f"{fresh}/imu").num_rows == 20
    assert action(flight, "sequence_notification_list", {"locator": fresh})["notifications"] == []
    assert "event=abandoned_session_removed" in d.log_text()
    flight.close()


# ---------------------------------------------------------------------------------------------------------------------
# (b) store GC
# ---------------------------------------------------------------------------------------------------------------------


def test_gc_removes_old_garbage_and_keeps_young_garbage(daemon_factory, new_name):
    d = daemon_factory(extra_args=["--gc-interval-minutes", "0.005", "--gc-min-age-seconds", "600",
                                   "--sweep-interval-seconds", "0"])
    flight = fl.FlightClient(d.location)
    seq = new_name()
    create_sequence(flight, seq)
    su, _ = create_session(flight, seq)
    write_topic(flight, su, f"{seq}/imu")
    finalize(flight, su)

    uploads = os.path.join(topic_dir(d.data_dir, seq, "imu"), "uploads")
    old_upload = os.path.join(uploads, ulid_at(time.time() - 2 * HOUR_S))
    young_upload = os.path.join(uploads, ulid_at(time.time()))
    for u, age in ((old_upload, 2 * HOUR_S), (young_upload, 0)):
        plant(os.path.join(u, "chunk-000000.parquet"), b"cut stream", age)
        plant(os.path.join(u, "chunk-000001.parquet"), b"cut stream", age)
    old_tmp = os.path.join(d.data_dir, "store", "sequences", seq, ".tmp-0bad")
    young_tmp = os.path.join(d.data_dir, "store", "sequences", seq, ".tmp-0new")
    plant(old_tmp, b"half", 2 * HOUR_S)
    plant(young_tmp, b"half")

    wait_until(lambda: not os.path.exists(old_upload) and not os.path.exists(old_tmp), timeout=15,
               what="GC of the old interrupted upload and temp object")
    assert os.path.exists(os.path.join(young_upload, "chunk-000000.parquet")), "young upload removed"
    assert os.path.exists(young_tmp), "young temp object removed"
    assert read_topic(flight, f"{seq}/imu").num_rows == 20
    log = d.log_text()
    assert "event=gc_removed kind=interrupted_upload" in log and "action=delete_object" in log, log[-3000:]
    done = [j for j in jobs(d.data_dir) if j["kind"] == "gc_store" and j["state"] == "done"]
    assert done, jobs(d.data_dir)
    flight.close()


# ---------------------------------------------------------------------------------------------------------------------
# (c) a job interrupted by a crash runs again after the restart and completes
# ---------------------------------------------------------------------------------------------------------------------


def test_job_interrupted_by_a_crash_runs_again_after_restart(daemon_factory, tmp_path):
    data_dir = str(tmp_path / "crash")
    os.makedirs(data_dir)
    args = ["--job-lease-seconds", "1", "--gc-interval-minutes", "60", "--sweep-interval-seconds", "300"]
    log_path = tmp_path / "crashing.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [MOSAICOD_BIN, "run", "--host", HOST, "--port", str(_free_port()), "--data-dir", data_dir, *args],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=dict(os.environ, MOSAICOD_CRASH_AT="job.after_claim"))
        try:
            code = proc.wait(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert code == -signal.SIGKILL, f"exit {code}\n{log_path.read_text()[-3000:]}"

    claimed = [j for j in jobs(data_dir) if j["state"] == "running"]
    assert len(claimed) == 1, jobs(data_dir)
    interrupted = claimed[0]
    assert interrupted["attempts"] == 1
    assert interrupted["lease_owner"].endswith(f":{proc.pid}:0"), interrupted

    d = daemon_factory(data_dir=data_dir, extra_args=args)
    wait_until(lambda: job(data_dir, interrupted["id"])["state"] == "done", timeout=15,
               what=f"job {interrupted['id']} to complete after the restart")
    again = job(data_dir, interrupted["id"])
    assert again["attempts"] == 2, again
    assert again["kind"] == interrupted["kind"]
    assert again["lease_owner"].endswith(f":{d.proc.pid}:0"), again
    # The restart's own schedule found the interrupted job (dedup) instead of adding a twin.
    same_kind = [j for j in jobs(data_dir) if j["kind"] == interrupted["kind"]]
    assert len(same_kind) == 1, same_kind
    log = d.log_text()
    assert f"event=job_started kind={interrupted['kind']} id={interrupted['id']} attempt=2" in log, log[-3000:]
    assert f"event=job_done kind={interrupted['kind']} id={interrupted['id']} attempt=2" in log


# ---------------------------------------------------------------------------------------------------------------------
# (d) a pending delayed job survives a clean restart and runs afterwards
# ---------------------------------------------------------------------------------------------------------------------


def test_pending_delayed_job_survives_a_clean_restart(daemon_factory, new_name):
    d = daemon_factory(extra_args=["--gc-interval-minutes", "0", "--sweep-interval-seconds", "0"])
    flight = fl.FlightClient(d.location)
    seq = new_name()
    create_sequence(flight, seq)
    su, _ = create_session(flight, seq)
    write_topic(flight, su, f"{seq}/imu")
    finalize(flight, su)
    replaced = ulid_at(time.time() - 60)  # as if compaction had replaced this upload
    replaced_dir = os.path.join(topic_dir(d.data_dir, seq, "imu"), "uploads", replaced)
    plant(os.path.join(replaced_dir, "chunk-000000.parquet"), b"old small chunk")

    due_ns = time.time_ns() + 3_000_000_000
    con = sqlite3.connect(catalog_path(d.data_dir), timeout=10)
    with con:
        cur = con.execute(
            "INSERT INTO jobs (kind, payload, dedup_key, state, attempts, run_after_ns, created_at_ns, updated_at_ns) "
            "VALUES ('delete_upload', ?, ?, 'pending', 0, ?, ?, ?)",
            (f'{{"sequence":"{seq}","topic":"imu","upload_id":"{replaced}"}}', f"delete_upload:{seq}/imu/{replaced}",
             due_ns, time.time_ns(), time.time_ns()))
        job_id = cur.lastrowid
    con.close()

    flight.close()
    assert d.stop() == 0, d.log_tail()  # clean stop (SIGTERM) before the job is due
    assert time.time_ns() < due_ns, "the daemon took too long to stop for this test to mean anything"
    assert job(d.data_dir, job_id)["state"] == "pending"
    assert os.path.exists(replaced_dir)
    d.start()  # the same data dir again
    wait_until(lambda: job(d.data_dir, job_id)["state"] == "done", timeout=15, what="the delayed job after restart")
    finished = job(d.data_dir, job_id)
    assert finished["attempts"] == 1 and finished["updated_at_ns"] >= due_ns, finished
    assert not os.path.exists(replaced_dir)
    flight = fl.FlightClient(d.location)
    assert read_topic(flight, f"{seq}/imu").num_rows == 20  # the live upload untouched
    flight.close()
