"""Compaction of finalized topics (issue #4, jobs/compaction.h): "compaction keeps query and read answers identical".

A daemon that runs no background jobs (--job-workers 0) ingests with 1 MiB chunks, so the big topics span several
small chunks, and finalizes: the compact_topic jobs stay queued. Every answer is recorded -- GetFlightInfo, full and
windowed DoGet (ties on timestamp_ns across chunks included), and a few hundred seeded `query`,
`topic_filter_clusterize` and `topic_filter_intersect` requests (query_gen.QueryGen). The daemon restarts with
background jobs and compaction into 16 MiB chunks; once every multi-chunk topic has been compacted and, after a
1 s grace, its old upload deleted, every answer must be identical and `mosaicod check --verify-checksums` clean.
The crash tests kill the daemon at "compaction.after_write" (the new upload is committed in the store, the catalog
still serves the old one: the start-up recovery swaps the catalog to the compacted upload, adopt_upload) and at
"compaction.after_swap" (no delete job for the old upload): answers are identical after the restart, the job claimed
again after its lease has nothing left to do, and `check --repair` (removing the replaced upload) plus
`check --verify-checksums` converge to a clean store.
"""

from __future__ import annotations

import glob
import json
import os
import random
import signal
import subprocess

import pyarrow as pa
import pyarrow.flight as fl
import pytest

import mosaico_testlib as tl
import query_datagen as gen
import query_gen as qgen
from conftest import MOSAICOD_BIN, DaemonError

pytestmark = [pytest.mark.local_store, pytest.mark.sqlite_catalog, pytest.mark.timeout(400)]  # `check` on local files

SEED = 20261127
N_QUERIES = int(os.environ.get("MOSAICO_COMPACTION_QUERIES", "300"))
INGEST_ARGS = ["--chunk-size-mb", "1", "--max-message-mb", "1", "--job-workers", "0"]
COMPACT_ARGS = ["--chunk-size-mb", "1", "--max-message-mb", "1", "--job-workers", "1", "--job-lease-seconds", "2",
                "--compact-below-mb", "4", "--compact-chunk-size-mb", "16", "--compaction-grace-seconds", "1",
                "--gc-interval-minutes", "0", "--sweep-interval-seconds", "0"]
TIES_SEQ = "compaction_ties"
TIES_TOPIC = f"{TIES_SEQ}/lidar/points"
BASE_TS = 1_765_000_000_000_000_000


# ----------------------------------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------------------------------


def upload_ties_topic(location: str, rows: int = 24_000):
    """A rich-schema topic of a few MiB whose timestamps repeat (3 rows each), uploaded shuffled in batches, so
    ties on timestamp_ns are spread over several chunks: the read order of ties must survive compaction."""
    client = fl.FlightClient(location)
    try:
        rnd = random.Random(SEED)
        ts = [BASE_TS + (i // 3) * 1000 for i in range(rows)]
        rnd.shuffle(ts)
        schema = tl.rich_schema()
        batches = [tl.rich_batch(schema, ts[k:k + 1000], seed=k) for k in range(0, rows, 1000)]
        tl.create_sequence(client, TIES_SEQ, {"purpose": "ties"})
        session, _ = tl.create_session(client, TIES_SEQ)
        tuuid = tl.create_topic(client, session, TIES_TOPIC, ontology_tag="ties_tag")
        tl.put_batches(client, TIES_TOPIC, tuuid, schema, batches)
        tl.finalize(client, session)
    finally:
        client.close()


def build_and_upload(location: str) -> dict:
    full = gen.build_dataset(SEED, n_sequences=30, n_cam=4)
    gen.upload_dataset(location, full, threads=2)
    upload_ties_topic(location)
    return gen.public_dataset(full)


def requests_for(ds: dict) -> list:
    """Seeded query / clusterize / intersect bodies; the clusterize ones half aimed at the multi-chunk cam topics."""
    qg = qgen.QueryGen(ds, SEED)
    cams = [t for s in ds["sequences"] for t in s["topics"] if t["ontology_tag"] == "cam"]
    out = [("query", qg.query()) for _ in range(N_QUERIES)]
    for i in range(N_QUERIES // 4):
        topic = cams[i % len(cams)] if cams and i % 2 == 0 else None
        out.append(("topic_filter_clusterize", qg.clusterize_body(topic=topic)))
    out += [("topic_filter_intersect", qg.intersect_body()) for _ in range(N_QUERIES // 8)]
    return out


# ----------------------------------------------------------------------------------------------------------------------
# Answers
# ----------------------------------------------------------------------------------------------------------------------


def call(client: fl.FlightClient, name: str, body) -> tuple:
    try:
        results = [r.body.to_pybytes() for r in client.do_action(
            fl.Action(name, json.dumps(body).encode()), options=fl.FlightCallOptions(timeout=60))]
    except Exception as e:  # noqa: BLE001 - the outcome is compared, errors included
        return ("error", tl.grpc_code_of(e), str(e))
    return ("ok", [json.loads(b) for b in results if b])


def topic_layout(location: str, sequences: list) -> dict:
    """locator -> data_info (total_chunks_count, total_bytes, ...) of every topic of `sequences`."""
    client = fl.FlightClient(location)
    try:
        out = {}
        for seq in sequences:
            for ep in tl.get_info(client, seq).endpoints:
                md = tl.app_md(ep)
                out[str(md["resource_locator"]).strip("/")] = md.get("data_info") or {}
        return out
    finally:
        client.close()


def answers(location: str, sequences: list, requests: list) -> dict:
    """Everything a client can observe about the data: infos, reads (full and windowed), query answers."""
    client = fl.FlightClient(location)
    out: dict = {"info": {}, "read": {}, "query": []}
    try:
        for seq in sequences:
            sinfo = tl.get_info(client, seq)
            for ep in sinfo.endpoints:
                md = tl.app_md(ep)
                loc = str(md["resource_locator"]).strip("/")
                data_info = dict(md.get("data_info") or {})
                # the layout of the data is what compaction changes; nothing else may
                data_info.pop("total_chunks_count", None)
                data_info.pop("total_bytes", None)
                md["data_info"] = data_info
                out["info"][loc] = md
                try:
                    out["read"][loc] = tl.read_ticket(client, ep.ticket)
                except pa.ArrowInvalid:  # a topic that never received a DoPut has no schema to stream
                    out["read"][loc] = None
                interval = data_info.get("interval") or {}
                lo, hi = interval.get("start_ns"), interval.get("end_ns")
                if lo is None or hi is None or hi <= lo:
                    continue
                span = hi - lo
                for a, b in ((0, 1), (1, 4), (5, 6), (3, 10)):
                    start, end = lo + span * a // 10, lo + span * b // 10 + (1 if b == 10 else 0)
                    if end <= start:
                        continue
                    info = tl.get_info(client, loc, start, end)
                    wmd = tl.app_md(info.endpoints[0])
                    key = f"{loc}@{a}-{b}"
                    out["info"][key] = wmd.get("time_window_info")
                    out["read"][key] = tl.read_ticket(client, info.endpoints[0].ticket)
        out["query"] = [call(client, name, body) for name, body in requests]
    finally:
        client.close()
    return out


def assert_same_answers(before: dict, after: dict, when: str):
    assert set(before["info"]) == set(after["info"]), f"{when}: different topics/windows"
    for key, md in before["info"].items():
        assert md == after["info"][key], f"{when}: flight info of {key!r} differs:\n{md}\n{after['info'][key]}"
    for key, table in before["read"].items():
        got = after["read"][key]
        if table is None or got is None:
            assert table is got, f"{when}: {key!r} readable before xor after"
            continue
        assert got.schema.equals(table.schema, check_metadata=True), f"{when}: schema of {key!r} differs"
        tl.assert_tables_equal(got, table, what=f"{when}: DoGet {key!r}")
        assert got.combine_chunks().equals(table.combine_chunks(), check_metadata=True), f"{when}: {key!r} differs"
    assert len(before["query"]) == len(after["query"])
    for i, (b, a) in enumerate(zip(before["query"], after["query"])):
        assert b == a, f"{when}: answer {i} differs:\nbefore {str(b)[:1500]}\nafter  {str(a)[:1500]}"


# ----------------------------------------------------------------------------------------------------------------------
# Daemon helpers
# ----------------------------------------------------------------------------------------------------------------------


def run_cli(*args, data_dir: str) -> subprocess.CompletedProcess:
    return subprocess.run([MOSAICOD_BIN, *args, "--data-dir", data_dir], capture_output=True, text=True, timeout=180)


def assert_check_clean(data_dir: str, repair: bool = False):
    if repair:
        fixed = run_cli("check", "--repair", "--min-upload-age", "0", data_dir=data_dir)
        assert fixed.returncode in (0, 1), f"check --repair failed: {fixed.stdout}\n{fixed.stderr[-3000:]}"
    proc = run_cli("check", "--verify-checksums", data_dir=data_dir)
    assert proc.returncode == 0, f"check not clean:\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-3000:]}"


def upload_dirs(data_dir: str, locator: str) -> dict:
    """upload id -> whether it has an upload.json, for one topic of the local store."""
    seq, topic = locator.split("/", 1)
    base = os.path.join(data_dir, "store", "sequences", seq, "topics", topic.replace("/", "%2F"), "uploads")
    return {os.path.basename(d): os.path.exists(os.path.join(d, "upload.json"))
            for d in glob.glob(os.path.join(base, "*"))}


def multi_chunk_topics(layout: dict) -> dict:
    return {loc: info["total_chunks_count"] for loc, info in layout.items() if info.get("total_chunks_count", 0) >= 2}


def wait_compacted(location: str, sequences: list, before: dict, timeout: float = 120.0) -> dict:
    """Waits until every topic of `before` (locator -> chunk count) has fewer chunks; returns the new layout."""
    def done():
        layout = topic_layout(location, sequences)
        return layout if all(layout[loc]["total_chunks_count"] < n for loc, n in before.items()) else None
    return tl.wait_until(done, timeout=timeout, interval=0.5, what="compaction of every multi-chunk topic")


def wait_log(daemon, needle: str, count: int, since: int = 0, timeout: float = 60.0):
    tl.wait_until(lambda: daemon.log_text(since).count(needle) >= count, timeout=timeout, interval=0.2,
                  what=f"{count} x {needle!r} in the daemon log")


# ----------------------------------------------------------------------------------------------------------------------
# Tests
# ----------------------------------------------------------------------------------------------------------------------


def test_compaction_keeps_query_and_read_answers_identical(daemon_factory, tmp_path):
    data_dir = str(tmp_path / "data")
    d = daemon_factory(data_dir=data_dir, extra_args=INGEST_ARGS)
    ds = build_and_upload(d.location)
    sequences = sorted([s["name"] for s in ds["sequences"]] + [TIES_SEQ])
    requests = requests_for(ds)
    layout = topic_layout(d.location, sequences)
    multi = multi_chunk_topics(layout)
    assert TIES_TOPIC in multi and len(multi) >= 4, f"too few multi-chunk topics to compact: {multi}"
    before = answers(d.location, sequences, requests)
    assert sum(1 for q in before["query"] if q[0] == "ok") > len(requests) // 2, "most requests should succeed"

    d.extra_args = COMPACT_ARGS
    since = d.log_size()
    d.restart()
    after_layout = wait_compacted(d.location, sequences, multi)
    for loc, n in multi.items():
        assert after_layout[loc]["total_chunks_count"] == 1, f"{loc}: {n} chunks became {after_layout[loc]}"
    for loc in set(layout) - set(multi):  # single-chunk topics are left as they were
        assert after_layout[loc] == layout[loc], f"{loc} changed: {layout[loc]} -> {after_layout[loc]}"
    wait_log(d, "event=compaction_done", len(multi), since)
    assert_same_answers(before, answers(d.location, sequences, requests), "after compaction")

    # After the grace period the old uploads go; then catalog and store agree exactly, checksums included.
    wait_log(d, "event=upload_deleted", len(multi), since)
    for loc in multi:
        dirs = upload_dirs(data_dir, loc)
        assert list(dirs.values()) == [True], f"{loc}: uploads left in the store: {dirs}"
    assert_same_answers(before, answers(d.location, sequences, requests), "after the old uploads were deleted")
    assert d.stop() == 0
    assert_check_clean(data_dir)


@pytest.mark.parametrize("point", ["compaction.after_write", "compaction.after_swap"])
def test_crash_mid_compaction_converges(daemon_factory, tmp_path, monkeypatch, point):
    data_dir = str(tmp_path / "data")
    d = daemon_factory(data_dir=data_dir, extra_args=INGEST_ARGS)
    upload_ties_topic(d.location)
    sequences = [TIES_SEQ]
    multi = multi_chunk_topics(topic_layout(d.location, sequences))
    assert list(multi) == [TIES_TOPIC]
    original = upload_dirs(data_dir, TIES_TOPIC)
    before = answers(d.location, sequences, [])

    # The compaction dies right after the store commit of its new upload (after_write), or right after the catalog
    # swap, before the delete job of the old upload was enqueued (after_swap).
    d.extra_args = COMPACT_ARGS
    assert d.stop() == 0
    crash_log = d.log_size()
    monkeypatch.setenv("MOSAICOD_CRASH_AT", point)
    try:
        d.start()
    except DaemonError:
        pass  # the job may already have killed the daemon while start() waited for `info`
    finally:
        monkeypatch.delenv("MOSAICOD_CRASH_AT")
    try:
        code = d.proc.wait(timeout=60)
    finally:
        d.kill()  # expected: teardown does not judge its exit code
    assert code == -signal.SIGKILL, f"the daemon should have died at the crash point (exit {code})"
    assert "event=compaction_done" not in d.log_text(crash_log), f"the compaction finished: no crash at {point}"
    dirs = upload_dirs(data_dir, TIES_TOPIC)
    assert len(dirs) == 2 and all(dirs.values()), f"want the old and the new committed upload: {dirs}"
    crashed = max(set(dirs) - set(original))

    # Restarted: after_write -- the start-up recovery rolls the compaction forward (the store's truth is the newer
    # upload holding the same rows: the catalog is swapped to it). Either way the job, claimed again once its lease
    # expired, has nothing left to do, and answers never changed.
    since = d.log_size()
    d.start()
    adopted = "action=adopt_upload" in d.log_text(since)
    assert adopted == (point == "compaction.after_write"), d.log_tail(since=since)
    assert_same_answers(before, answers(d.location, sequences, []), "right after the crash")
    layout = topic_layout(d.location, sequences)
    assert layout[TIES_TOPIC]["total_chunks_count"] == 1, layout
    wait_log(d, "event=job_done kind=compact_topic", 1, since)
    assert "event=compaction_done" not in d.log_text(since)
    assert_same_answers(before, answers(d.location, sequences, []), "after the re-run")
    assert d.stop() == 0
    # The replaced upload (its delete job was never enqueued) is a superseded upload: garbage for repair / the GC.
    assert_check_clean(data_dir, repair=True)
    assert list(upload_dirs(data_dir, TIES_TOPIC)) == [crashed]
    d.start()
    assert_same_answers(before, answers(d.location, sequences, []), "after repair")


def test_default_settings_leave_full_chunks_alone(daemon_factory, tmp_path):
    """Compacted chunks default to the ingest chunk size: chunks that ingest already filled are not rewritten."""
    d = daemon_factory(data_dir=str(tmp_path / "data"), extra_args=["--chunk-size-mb", "1", "--max-message-mb", "1"])
    since = d.log_size()
    upload_ties_topic(d.location)
    wait_log(d, "event=job_done kind=compact_topic", 1, since)
    assert "event=compaction_done" not in d.log_text(since)
    layout = topic_layout(d.location, [TIES_SEQ])
    assert layout[TIES_TOPIC]["total_chunks_count"] >= 2, layout
    assert len(upload_dirs(d.data_dir, TIES_TOPIC)) == 1


def test_an_imported_topic_is_compacted_by_the_daemon_it_lands_on(daemon_factory, tmp_path):
    """No finalize happens on the receiving daemon, so `mosaicod import` itself asks for the compaction."""
    src = daemon_factory(data_dir=str(tmp_path / "src"), extra_args=INGEST_ARGS)
    upload_ties_topic(src.location)
    before = multi_chunk_topics(topic_layout(src.location, [TIES_SEQ]))
    assert TIES_TOPIC in before, before
    expected = tl.read_topic(fl.FlightClient(src.location), TIES_TOPIC)
    assert src.stop() == 0

    dst_dir = str(tmp_path / "dst")
    out = subprocess.run([MOSAICOD_BIN, "import", "--from", src.data_dir, "--data-dir", dst_dir],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and f"imported  {TIES_SEQ}" in out.stdout, out.stdout + out.stderr[-2000:]
    dst = daemon_factory(data_dir=dst_dir, extra_args=COMPACT_ARGS)
    wait_compacted(dst.location, [TIES_SEQ], before)
    got = tl.read_topic(fl.FlightClient(dst.location), TIES_TOPIC)
    assert got.combine_chunks().equals(expected.combine_chunks(), check_metadata=True)
