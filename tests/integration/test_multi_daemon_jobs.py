"""Several daemons on one catalog and one store (issue 5): background work is done exactly once.

Background jobs (abandoned-session sweep, compaction) run exactly once although every daemon's workers compete for
them; start-up recovery looks only where work is pending; a notify cut short on one daemon is settled once by
another. The cluster (N daemons, one catalog, one store): multi_daemon_cluster.py.
"""

from __future__ import annotations

import json
import random
import re

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
    finalize,
    get_info,
    put_batches,
    read_topic,
    simple_batch,
    simple_schema,
    wait_until,
)
from multi_daemon_cluster import SHARED_BACKENDS, SKIP_REASON, Cluster, cluster, code_of  # noqa: F401 (cluster: a fixture)

if not SHARED_BACKENDS:
    pytest.skip(SKIP_REASON, allow_module_level=True)

BASE = 1_780_000_000_000_000_000
MS = 1_000_000


# ----------------------------------------------------------------------------------------------------------------------
# Background jobs run once
# ----------------------------------------------------------------------------------------------------------------------


def _log_count(cluster: Cluster, pattern: str) -> int:
    return sum(len(re.findall(pattern, d.log_text())) for d in cluster.daemons)


def test_abandoned_session_sweep_runs_once_across_daemons(cluster, new_name):
    # Every daemon schedules a sweep every second with two workers: they compete for every job.
    cluster.start(3, ["--job-workers", "2", "--sweep-interval-seconds", "1", "--abandon-after-hours", "0.0005",
                      "--compact-below-mb", "0"])
    c0 = cluster.clients[0]
    schema = simple_schema([pa.field("blob", pa.binary())])
    seqs = [new_name(f"abandon{i}") for i in range(3)]
    for i, seq in enumerate(seqs):
        c = cluster.clients[i]
        create_sequence(c, seq)
        s, _ = create_session(c, seq)
        tok = create_topic(c, s, f"{seq}/t")
        put_batches(c, f"{seq}/t", tok, schema, [pa.record_batch(
            [pa.array([BASE + j for j in range(10)], pa.int64()), pa.array([0.0] * 10), pa.array([b"x"] * 10)],
            schema=schema)])

    def all_swept():
        return all(not app_md(get_info(c0, seq))["sessions"] for seq in seqs)

    wait_until(all_swept, timeout=60, what="the abandoned sessions removed")
    for seq in seqs:
        for c in cluster.clients:
            notes = action(c, "sequence_notification_list", {"locator": seq})["notifications"]
            abandoned = [n for n in notes if n["msg"].startswith("abandoned session")]
            assert len(abandoned) == 1, f"{seq} via {c}: {notes}"
        # The catalog forgets the session before its store objects are deleted and the removal is logged
        # (~0.4 s on S3 under load): wait for the line, then check that no other daemon removed it too.
        removed = rf"event=abandoned_session_removed session={re.escape(seq)}:"
        wait_until(lambda: _log_count(cluster, removed) >= 1, timeout=30, what=f"{seq}'s removal logged")
        assert _log_count(cluster, removed) == 1

    started = {}
    for d in cluster.daemons:
        for m in re.finditer(r"event=job_started kind=(\S+) id=(\d+) attempt=(\d+)", d.log_text()):
            started.setdefault(m.group(2), []).append(d.port)
    assert all(len(v) == 1 for v in started.values()), {k: v for k, v in started.items() if len(v) > 1}
    rows = cluster.sql("SELECT id, kind, state, attempts FROM jobs WHERE kind = 'sweep_abandoned_sessions'")
    assert rows and all(r[3] in ("0", "1") for r in rows), rows
    assert not [r for r in rows if r[2] == "failed"], rows
    cluster.assert_consistent()


def test_compaction_job_runs_once_across_daemons(cluster, new_name):
    # Three daemons with two workers each compete for the compact_topic job a finalize enqueues.
    cluster.start(3, ["--job-workers", "2", "--chunk-size-mb", "1", "--compact-below-mb", "4",
                      "--compact-chunk-size-mb", "8", "--compaction-grace-seconds", "0"])
    c0, c1, c2 = cluster.clients
    schema = simple_schema([pa.field("blob", pa.binary())])
    # compaction: a finalized topic of many small chunks is rewritten by exactly one worker of one daemon
    seq = new_name("compact")
    create_sequence(c1, seq)
    s, _ = create_session(c1, seq)
    tok = create_topic(c2, s, f"{seq}/t")
    rnd = random.Random(5)
    batches = [pa.record_batch([pa.array([BASE + k * 1000 + j for j in range(100)], pa.int64()),
                                pa.array([float(j) for j in range(100)]),
                                pa.array([rnd.randbytes(3000) for _ in range(100)])], schema=schema)
               for k in range(12)]  # ~3.6 MB of Arrow data: several 1 MiB chunks
    put_batches(c0, f"{seq}/t", tok, schema, batches)
    before = app_md(get_info(c0, f"{seq}/t").endpoints[0])["data_info"]
    assert before["total_chunks_count"] >= 3, before
    want = read_topic(c2, f"{seq}/t")
    finalize(c2, s)

    def compacted():
        return app_md(get_info(c1, f"{seq}/t").endpoints[0])["data_info"]["total_chunks_count"] == 1

    wait_until(compacted, timeout=60, what="the topic compacted")
    for c in cluster.clients:
        assert_tables_equal(read_topic(c, f"{seq}/t"), want, "compacted topic")
    assert _log_count(cluster, rf"event=compaction_done topic={re.escape(seq)}/t ") == 1
    jobs = cluster.sql(f"SELECT kind, state, attempts FROM jobs WHERE dedup_key = 'compact_topic:{seq}/t'")
    assert jobs == [("compact_topic", "done", "1")], jobs
    # the replaced upload is removed by one delete_upload job (no grace here)
    wait_until(lambda: cluster.sql(f"SELECT state FROM jobs WHERE dedup_key LIKE 'delete_upload:{seq}/t/%'")
               == [("done",)], timeout=60, what="the replaced upload deleted")

    # the queue as a whole: no job was ever claimed twice, none failed
    rows = cluster.sql("SELECT id, kind, state, attempts, lease_owner FROM jobs")
    assert rows, "the queue is empty"
    assert all(r[3] in ("0", "1") for r in rows), [r for r in rows if r[3] not in ("0", "1")]
    assert not [r for r in rows if r[2] == "failed"], rows
    started = {}
    for d in cluster.daemons:
        for m in re.finditer(r"event=job_started kind=(\S+) id=(\d+) attempt=(\d+)", d.log_text()):
            started.setdefault(m.group(2), []).append(d.port)
    assert all(len(v) == 1 for v in started.values()), {k: v for k, v in started.items() if len(v) > 1}
    cluster.assert_consistent()


# ----------------------------------------------------------------------------------------------------------------------
# Recovery without a full store scan; notifications settled once
# ----------------------------------------------------------------------------------------------------------------------


def _scope(d: Daemon, since: int) -> int:
    found = re.findall(r"event=startup_recovery_scope sequences=(\d+)", d.log_text(since))
    assert found, f"no startup_recovery_scope line in\n{d.log_tail(40, since)}"
    return int(found[-1])


def test_startup_recovery_looks_only_where_work_is_pending(cluster, new_name):
    # No workers anywhere: the marks stay pending however slow the test runs.
    d0, d1 = cluster.start(2, ["--job-workers", "0"])
    c0 = cluster.clients[0]
    schema = simple_schema()
    done = [new_name(f"done{i}") for i in range(4)]
    for seq in done:
        create_sequence(c0, seq)
        s, _ = create_session(c0, seq)
        tok = create_topic(c0, s, f"{seq}/t")
        put_batches(c0, f"{seq}/t", tok, schema, [simple_batch(schema, [BASE, BASE + 1])])
        finalize(c0, s)
    open_seq = new_name("open")
    create_sequence(c0, open_seq)
    create_session(c0, open_seq)
    # Every finalize left a recover_sequence mark, due a minute or two later: until then a restart looks there.
    marks = cluster.sql("SELECT payload FROM jobs WHERE kind = 'recover_sequence' AND state = 'pending'")
    assert {json.loads(p[0])["sequence"] for p in marks} == set(done), marks
    since = d1.log_size()
    d1.restart()
    assert _scope(d1, since) == len(done) + 1
    # Once the marks ran (simulated: they are due only in a minute), only the open sequence is left to look at.
    cluster.sql("UPDATE jobs SET state = 'done' WHERE kind = 'recover_sequence'", write=True)
    since = d1.log_size()
    d1.restart()
    assert _scope(d1, since) == 1
    for seq in done:
        assert read_topic(cluster.clients[0], f"{seq}/t").num_rows == 2
    cluster.assert_consistent()


def test_notify_cut_short_on_one_daemon_is_settled_once_by_another(cluster, new_name, monkeypatch):
    """Daemon 0 dies between a notification's store object and its catalog row; daemon 1, which never restarts,
    settles it through the sync_notifications job the notify enqueued first; restarting daemon 0 afterwards does not
    add it a second time."""
    seq = new_name("notecrash")
    monkeypatch.setenv("MOSAICOD_CRASH_AT", "notify.after_store")
    cluster.start(1)
    monkeypatch.delenv("MOSAICOD_CRASH_AT")
    cluster.start(1)
    d0, d1 = cluster.daemons
    c0, c1 = cluster.clients
    create_sequence(c1, seq)
    assert code_of(action, c0, "sequence_notification_create",
                   {"locator": seq, "notification_type": "error", "msg": "cut short"}) != "OK"
    d0.proc.wait(timeout=10)
    d0.expected_exit = None

    def listed():
        return [n["msg"] for n in action(c1, "sequence_notification_list", {"locator": seq})["notifications"]]

    wait_until(lambda: listed() == ["cut short"], timeout=60, what="the notification settled by daemon 1")
    sync_job = f"SELECT state, attempts FROM jobs WHERE dedup_key = 'sync_notifications:{seq}'"
    wait_until(lambda: cluster.sql(sync_job) == [("done", "1")], timeout=30, what=f"{sync_job} -> done, 1 attempt")
    d0.start()
    cluster.clients[0] = fl.FlightClient(d0.location)
    for c in (cluster.clients[0], c1):
        assert [n["msg"] for n in action(c, "sequence_notification_list", {"locator": seq})["notifications"]] == [
            "cut short"]
    cluster.assert_consistent()
