"""The store is the source of truth (issue #4): rebuild the catalog from the store, check/repair, start-up detection.

A varied dataset is written through the SDK and raw Flight (several sequences, a sequence extended by a second
session, notifications at both levels, an unfinalized sequence, a topic without data); everything observable through
the API is snapshotted; the catalog is deleted and rebuilt; the snapshot must be identical.

Every test runs in every storage mode (conftest.py) but the one on a corrupt catalog file (SQLite only): "losing the
catalog" deletes the SQLite file or drops the PostgreSQL catalog's tables, store objects are damaged or copied
through pyarrow.fs (local directory or bucket prefix: StoreFiles), and the CLI gets the daemon's --catalog/--store
flags.
"""

from __future__ import annotations

import fnmatch
import glob
import json
import os
import subprocess

import pyarrow as pa
import pyarrow.flight as fl
import pyarrow.fs as pafs
import pytest
from mosaicolabs import IMU, Message, MosaicoClient, Vector3d

from conftest import CATALOG_MODE, MOSAICOD_BIN, catalog_sql, lose_catalog, storage_args
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
    read_topic,
    rich_batch,
    rich_schema,
    simple_batch,
    simple_schema,
)

MS = 1_000_000
BASE = 1_700_000_000_000_000_000


def run_cli(*args, data_dir: str, check=None) -> subprocess.CompletedProcess:
    proc = subprocess.run([MOSAICOD_BIN, *args, "--data-dir", data_dir, *storage_args(data_dir)], capture_output=True,
                          text=True, timeout=120)
    if check is not None:
        assert proc.returncode == check, (
            f"mosaicod {' '.join(args)} exited {proc.returncode}, want {check}\nstdout:\n{proc.stdout}\n"
            f"stderr:\n{proc.stderr[-3000:]}")
    return proc


def write_dataset(daemon) -> dict:
    """Writes the varied dataset; returns names for the assertions."""
    flight = fl.FlightClient(daemon.location)
    # 1. through the SDK: IMU data in a finalized sequence
    with MosaicoClient.connect(daemon.host, daemon.port, timeout=10) as client:
        with client.sequence_create("rec_sdk", {"site": "lab", "run": 1, "nested": {"ok": True}}) as w:
            tw = w.topic_create("/sensors/imu", {"rate_hz": 100}, IMU)
            for i in range(300):
                tw.push(Message(timestamp_ns=BASE + i * 10 * MS,
                                data=IMU(acceleration=Vector3d(x=i * 0.1, y=1.0, z=-9.8),
                                         angular_velocity=Vector3d(x=0.0, y=0.0, z=i * 0.01))))
    # 2. raw: two sessions (extension), several chunks, notifications at both levels
    create_sequence(flight, "rec_raw", {"weather": "rain", "tags": ["a", "b"], "temp": 21.5})
    s1, _ = create_session(flight, "rec_raw")
    t1 = create_topic(flight, s1, "rec_raw/lidar/front", ontology_tag="lidar", user_metadata={"model": "x1"})
    schema = rich_schema()
    put_batches(flight, "rec_raw/lidar/front", t1, schema,
                [rich_batch(schema, [BASE + (k * 500 + j) * MS for j in range(500)], seed=k) for k in range(6)])
    t_empty = create_topic(flight, s1, "rec_raw/empty", ontology_tag="none")
    put_batches(flight, "rec_raw/empty", t_empty, simple_schema(), [])
    action(flight, "sequence_notification_create", {"locator": "rec_raw", "notification_type": "error", "msg": "seq ü"})
    action(flight, "topic_notification_create",
           {"locator": "rec_raw/lidar/front", "notification_type": "error", "msg": "topic boom"})
    finalize(flight, s1)
    s2, _ = create_session(flight, "rec_raw")
    t2 = create_topic(flight, s2, "rec_raw/gps", ontology_tag="gps")
    put_batches(flight, "rec_raw/gps", t2, simple_schema(), [simple_batch(simple_schema(), [BASE + i * MS for i in range(50)])])
    finalize(flight, s2)
    # 3. unfinalized: one topic with committed data, one never written
    create_sequence(flight, "rec_open", {})
    s3, _ = create_session(flight, "rec_open")
    t3 = create_topic(flight, s3, "rec_open/imu", ontology_tag="imu")
    put_batches(flight, "rec_open/imu", t3, simple_schema(), [simple_batch(simple_schema(), [BASE + i * MS for i in range(20)])])
    create_topic(flight, s3, "rec_open/pending", ontology_tag="imu")
    # 4. a sequence with no session at all
    create_sequence(flight, "rec_bare", {"k": None})
    flight.close()
    return {"sequences": ["rec_bare", "rec_open", "rec_raw", "rec_sdk"], "open_session_uuid": s3}


def snapshot(daemon) -> dict:
    """Everything observable through the API, in a comparable form."""
    flight = fl.FlightClient(daemon.location)
    out: dict = {"flights": {}, "infos": {}, "data": {}, "notifications": {}}
    for info in flight.list_flights():
        seq = info.descriptor.path[0].decode()
        out["flights"][seq] = app_md(info)
        sinfo = get_info(flight, seq)
        out["infos"][seq] = (app_md(sinfo), [app_md(e) for e in sinfo.endpoints],
                             sinfo.schema.serialize().to_pybytes() if sinfo.schema is not None else None)
        out["notifications"][seq] = action(flight, "sequence_notification_list", {"locator": seq})
        for ep in sinfo.endpoints:
            loc = app_md(ep).get("locator") or app_md(ep).get("resource_locator")
            if not loc:
                continue
            loc = loc.strip("/")
            tinfo = get_info(flight, loc)
            out["infos"][loc] = (app_md(tinfo), [app_md(e) for e in tinfo.endpoints],
                                 tinfo.schema.serialize().to_pybytes())
            out["data"][loc] = read_topic(flight, loc)
            out["notifications"][loc] = action(flight, "topic_notification_list", {"locator": loc})
            win = get_info(flight, loc, BASE + 100 * MS, BASE + 700 * MS)
            out["infos"][loc + "@window"] = (app_md(win), [app_md(e) for e in win.endpoints])
    if "query" in [a.type for a in flight.list_actions()]:
        for q in ({"sequence": {"user_metadata": {"weather": {"$eq": "rain"}}}},
                  {"topic": {"ontology_tag": {"$in": ["gps", "imu", "IMU", "lidar"]}}},
                  {"ontology": {"IMU.acceleration.x": {"$gt": 10.0}}}):
            out.setdefault("queries", []).append(action(flight, "query", q))
    flight.close()
    return out


def assert_same_snapshot(before: dict, after: dict):
    assert sorted(before["flights"]) == sorted(after["flights"]), "list_flights differs after rebuild"
    for key in ("flights", "infos", "notifications"):
        for name in before[key]:
            assert before[key][name] == after[key].get(name), f"{key}[{name!r}] differs after rebuild"
        assert set(before[key]) == set(after[key]), f"{key}: different entries after rebuild"
    assert set(before["data"]) == set(after["data"])
    for loc, table in before["data"].items():
        assert table.equals(after["data"][loc], check_metadata=True), f"data of {loc!r} differs after rebuild"
    assert before.get("queries") == after.get("queries"), "query answers differ after rebuild"


def catalog_files(data_dir: str) -> list[str]:
    return glob.glob(os.path.join(data_dir, "catalog.db*"))


def catalog_backups(data_dir: str) -> list[str]:
    """Catalogs a `rebuild --force` kept: catalog.db.bak-* files, or mosaico_backup_* schemas."""
    if CATALOG_MODE == "postgres":
        return catalog_sql(data_dir, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'mosaico\\_backup\\_%'")
    return glob.glob(os.path.join(data_dir, "catalog.db.bak-*"))


def rebuild_leftovers(data_dir: str) -> list[str]:
    """What a rebuild builds aside before publishing: catalog.db.rebuild-* files, or mosaico_rebuild_* schemas."""
    if CATALOG_MODE == "postgres":
        return catalog_sql(data_dir, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'mosaico\\_rebuild\\_%'")
    return glob.glob(os.path.join(data_dir, "catalog.db.rebuild-*"))


def run_daemon_once(data_dir: str, *args) -> subprocess.CompletedProcess:
    """`mosaicod run` expected to refuse to start (it would otherwise serve on a random port until the timeout)."""
    return subprocess.run([MOSAICOD_BIN, "run", "--port", "0", "--data-dir", data_dir, *storage_args(data_dir), *args],
                          capture_output=True, text=True, timeout=30)


def test_rebuild_restores_everything_observable(daemon_factory, tmp_path):
    d = daemon_factory()
    names = write_dataset(d)
    before = snapshot(d)
    assert sorted(before["flights"]) == names["sequences"]
    assert len(before["data"]) >= 5, f"topics seen: {sorted(before['data'])}"
    code = d.stop()
    assert code == 0

    run_cli("check", data_dir=d.data_dir, check=0)
    lose_catalog(d.data_dir)

    # A lost catalog is detected: the daemon refuses to start and says how to rebuild.
    refused = run_daemon_once(d.data_dir)
    assert refused.returncode == 3, refused
    assert "mosaicod rebuild" in refused.stderr

    out = run_cli("rebuild", data_dir=d.data_dir, check=0)
    assert "sequences 4" in out.stdout, out.stdout
    assert "event=progress op=rebuild" in out.stderr, "rebuild shows no progress lines"
    run_cli("check", "--verify-checksums", data_dir=d.data_dir, check=0)

    d.start()
    after = snapshot(d)
    assert_same_snapshot(before, after)

    # The unfinalized sequence is still unlocked: its open session accepts a new topic, and it can be deleted.
    flight = fl.FlightClient(d.location)
    create_topic(flight, names["open_session_uuid"], "rec_open/late", ontology_tag="imu")
    action(flight, "sequence_delete", {"locator": "rec_open"})
    expect_error(["NOT_FOUND"], get_info, flight, "rec_open")
    # Finalized data stays immutable after a rebuild.
    expect_error(["PERMISSION_DENIED", "FAILED_PRECONDITION"], action, flight, "topic_delete", {"locator": "rec_raw/gps"})
    flight.close()


def test_rebuild_refuses_to_overwrite_without_force(daemon_factory):
    d = daemon_factory()
    flight = fl.FlightClient(d.location)
    create_sequence(flight, "keep_me", {"a": 1})
    flight.close()
    d.stop()
    out = run_cli("rebuild", data_dir=d.data_dir, check=2)
    assert "--force" in out.stderr
    out = run_cli("rebuild", "--force", data_dir=d.data_dir, check=0)
    assert "previous catalog kept as" in out.stdout
    assert catalog_backups(d.data_dir), "no backup of the replaced catalog"
    assert not rebuild_leftovers(d.data_dir)
    d.start()
    assert [i.descriptor.path[0].decode() for i in fl.FlightClient(d.location).list_flights()] == ["keep_me"]


def test_an_interrupted_rebuild_leaves_the_old_catalog_and_the_next_one_cleans_up(daemon_factory):
    d = daemon_factory()
    _write_small(d, "kept", {"a": 1}, 300)
    before = snapshot(d)
    d.stop()
    # SIGKILL after the new catalog is built, before it is put in place (core/crash_point.h).
    crashed = subprocess.run([MOSAICOD_BIN, "rebuild", "--force", "--data-dir", d.data_dir, *storage_args(d.data_dir)],
                             capture_output=True, text=True, timeout=120,
                             env=dict(os.environ, MOSAICOD_CRASH_AT="rebuild.before_publish"))
    assert crashed.returncode == -9, crashed
    assert rebuild_leftovers(d.data_dir), "the crash point was not reached inside the rebuild"
    assert not catalog_backups(d.data_dir), "the old catalog was moved before the new one was complete"
    d.start()
    assert_same_snapshot(before, snapshot(d))
    d.stop()
    out = run_cli("rebuild", "--force", data_dir=d.data_dir, check=0)
    assert "sequences 1" in out.stdout, out.stdout
    assert "phase=publish" in out.stderr, out.stderr[-2000:]
    assert not rebuild_leftovers(d.data_dir), "the dead rebuild's work was not cleaned up"
    d.start()
    assert_same_snapshot(before, snapshot(d))


def test_rebuild_if_missing(daemon_factory):
    d = daemon_factory()
    flight = fl.FlightClient(d.location)
    create_sequence(flight, "auto_a", {"x": 1})
    flight.close()
    d.stop()
    lose_catalog(d.data_dir)
    d.extra_args = ["--rebuild-if-missing"]
    d.start()
    assert [i.descriptor.path[0].decode() for i in fl.FlightClient(d.location).list_flights()] == ["auto_a"]
    assert not catalog_backups(d.data_dir), "there was no catalog to keep"
    run_cli("check", data_dir=d.data_dir, check=0)


@pytest.mark.sqlite_catalog  # damages the catalog file
def test_rebuild_if_unreadable_catalog_file(daemon_factory):
    d = daemon_factory()
    flight = fl.FlightClient(d.location)
    create_sequence(flight, "auto_a", {"x": 1})
    flight.close()
    d.stop()
    d.extra_args = ["--rebuild-if-missing"]
    # A corrupt catalog file: refused without the flag, rebuilt with it (the broken file is kept aside).
    with open(os.path.join(d.data_dir, "catalog.db"), "wb") as f:
        f.write(b"this is not a database" * 100)
    refused = run_daemon_once(d.data_dir)
    assert refused.returncode == 3 and "rebuild --force" in refused.stderr, refused
    d.start()
    assert [i.descriptor.path[0].decode() for i in fl.FlightClient(d.location).list_flights()] == ["auto_a"]
    assert glob.glob(os.path.join(d.data_dir, "catalog.db.bak-*"))


class StoreFiles:
    """A daemon's store as files, in either store mode: its local directory, or its bucket prefix on the suite's S3
    server (conftest.py), both through pyarrow.fs. Paths are "/"-joined under `root`."""

    def __init__(self, data_dir: str):
        args = storage_args(data_dir)
        if "--store" in args:
            import conftest

            self.uri = args[args.index("--store") + 1]  # s3://bucket/prefix
            self.fs = conftest._S3_SERVER.filesystem()
            self.root = self.uri[len("s3://"):]
            self.import_source = self.uri
        else:
            self.fs = pafs.LocalFileSystem()
            self.root = os.path.join(data_dir, "store")
            self.uri = self.root
            self.import_source = data_dir  # `import --from` also takes a data dir and finds its store/
        self.local = "--store" not in args

    def path(self, *parts: str) -> str:
        return "/".join([self.root, *parts])

    def find(self, under: str, pattern: str) -> list[str]:
        """Files below path(under) whose path relative to it matches the fnmatch `pattern`, sorted."""
        base = self.path(under)
        infos = self.fs.get_file_info(pafs.FileSelector(base, recursive=True, allow_not_found=True))
        return sorted(i.path for i in infos
                      if i.type == pafs.FileType.File and fnmatch.fnmatch(i.path[len(base) + 1:], pattern))

    def exists(self, path: str) -> bool:
        """A file, or a directory (prefix) holding at least one file."""
        info = self.fs.get_file_info(path)
        if info.type == pafs.FileType.File:
            return True
        return any(i.type == pafs.FileType.File for i in
                   self.fs.get_file_info(pafs.FileSelector(path, recursive=True, allow_not_found=True)))

    def write(self, path: str, data: bytes):
        if self.local:
            os.makedirs(os.path.dirname(path), exist_ok=True)
        with self.fs.open_output_stream(path) as f:
            f.write(data)

    def flip(self, path: str, offset: int, mask: int):
        with self.fs.open_input_file(path) as f:
            data = bytearray(f.read())
        data[offset] ^= mask
        self.write(path, bytes(data))

    def copy_tree(self, under: str, dst: "StoreFiles"):
        pafs.copy_files(self.path(under), dst.path(under), source_filesystem=self.fs, destination_filesystem=dst.fs)


def _chunk_files(data_dir: str, seq: str) -> list[str]:
    return StoreFiles(data_dir).find(f"sequences/{seq}", "topics/*/uploads/*/chunk-*.parquet")


def test_check_reports_and_repairs(daemon_factory, tmp_path):
    d = daemon_factory()
    flight = fl.FlightClient(d.location)
    create_sequence(flight, "chk", {})
    s, _ = create_session(flight, "chk")
    t = create_topic(flight, s, "chk/data")
    put_batches(flight, "chk/data", t, simple_schema(), [simple_batch(simple_schema(), [BASE + i * MS for i in range(100)])])
    finalize(flight, s)
    flight.close()
    d.stop()
    run_cli("check", data_dir=d.data_dir, check=0)

    st = StoreFiles(d.data_dir)
    chunk = _chunk_files(d.data_dir, "chk")[0]
    # An abandoned upload from long ago (ULID time 0), a leftover temp file, a flipped byte in a committed chunk.
    stale = st.path("sequences", "chk", "topics", "data", "uploads", "00000000000000000000000000")
    tmp = st.path("sequences", "chk", ".tmp-1234")
    st.write(stale + "/chunk-000000.parquet", b"PAR1 partial")
    st.write(tmp, b"x")
    st.flip(chunk, 100, 0xFF)

    out = run_cli("check", data_dir=d.data_dir, check=1)
    assert "interrupted_upload" in out.stdout and "[repairable]" in out.stdout, out.stdout
    assert "unlisted_object" in out.stdout and ".tmp-1234" in out.stdout, out.stdout
    assert "checksum_mismatch" not in out.stdout, "checksums are only verified on request"
    out = run_cli("check", "--verify-checksums", data_dir=d.data_dir, check=1)
    assert "checksum_mismatch" in out.stdout and os.path.basename(chunk) in out.stdout, out.stdout

    # the checksum mismatch is reported, never "repaired"
    out = run_cli("check", "--repair", "--verify-checksums", data_dir=d.data_dir, check=1)
    assert "repaired 2 finding(s)" in out.stdout and "checksum_mismatch" in out.stdout, out.stdout
    assert not st.exists(stale)
    assert not st.exists(tmp)
    assert st.exists(chunk), "repair must never delete committed data"
    run_cli("check", data_dir=d.data_dir, check=0)
    run_cli("check", "--verify-checksums", data_dir=d.data_dir, check=1)


def test_repair_restores_a_sequence_missing_from_the_catalog(daemon_factory, tmp_path):
    # A sequence copied into the store by hand (e.g. from a backup) is restored into the catalog by repair.
    src = daemon_factory()
    flight = fl.FlightClient(src.location)
    create_sequence(flight, "copied", {"from": "elsewhere"})
    s, _ = create_session(flight, "copied")
    t = create_topic(flight, s, "copied/x")
    put_batches(flight, "copied/x", t, simple_schema(), [simple_batch(simple_schema(), [BASE + i * MS for i in range(30)])])
    finalize(flight, s)
    want = read_topic(flight, "copied/x")
    flight.close()
    src.stop()

    dst = daemon_factory()
    dst.stop()
    StoreFiles(src.data_dir).copy_tree("sequences/copied", StoreFiles(dst.data_dir))
    out = run_cli("check", data_dir=dst.data_dir, check=1)
    assert "missing_in_catalog" in out.stdout and "copied" in out.stdout, out.stdout
    run_cli("check", "--repair", data_dir=dst.data_dir, check=0)
    dst.start()
    flight = fl.FlightClient(dst.location)
    assert read_topic(flight, "copied/x").equals(want)
    expect_error(["PERMISSION_DENIED", "FAILED_PRECONDITION"], action, flight, "topic_delete", {"locator": "copied/x"})
    flight.close()


def _write_small(daemon, seq: str, md: dict, rows: int, finalize_it: bool = True, seed: float = 0.0):
    flight = fl.FlightClient(daemon.location)
    create_sequence(flight, seq, md)
    s, _ = create_session(flight, seq)
    t = create_topic(flight, s, f"{seq}/imu", ontology_tag="imu", user_metadata={"seed": seed})
    put_batches(flight, f"{seq}/imu", t, simple_schema(),
                [simple_batch(simple_schema(), [BASE + i * MS for i in range(k, k + 100)], offset=seed)
                 for k in range(0, rows, 100)])
    action(flight, "topic_notification_create", {"locator": f"{seq}/imu", "notification_type": "error", "msg": "n"})
    if finalize_it:
        finalize(flight, s)
    table = read_topic(flight, f"{seq}/imu")
    flight.close()
    return table


def _names(daemon) -> list[str]:
    return sorted(i.descriptor.path[0].decode() for i in fl.FlightClient(daemon.location).list_flights())


def test_import_verifies_renames_skips_and_rejects_corruption(daemon_factory):
    src = daemon_factory()
    want = {"A": _write_small(src, "A", {"from": "src"}, 300, seed=1.0),
            "B": _write_small(src, "B", {}, 200, finalize_it=False, seed=2.0),
            "C": _write_small(src, "C", {"c": True}, 100, seed=3.0)}
    src.stop()
    dst = daemon_factory()
    dst_a = _write_small(dst, "A", {"from": "dst"}, 50, seed=9.0)
    dst.stop()
    src_store = StoreFiles(src.data_dir)
    source = src_store.import_source  # the data dir (local mode) or the bucket prefix (s3 mode)

    out = run_cli("import", "--from", source, "--on-duplicate", "skip", data_dir=dst.data_dir, check=0)
    assert "skipped  A" in out.stdout and "imported  B" in out.stdout and "imported  C" in out.stdout, out.stdout
    assert "event=progress op=import" in out.stderr
    out = run_cli("import", "--from", source, data_dir=dst.data_dir, check=1)  # default: a duplicate fails
    assert out.stdout.count("failed") == 3, out.stdout
    out = run_cli("import", "--from", source, "--on-duplicate", "rename", data_dir=dst.data_dir, check=0)
    assert "renamed  A -> A_imported" in out.stdout and "renamed  B -> B_imported" in out.stdout, out.stdout
    run_cli("check", "--verify-checksums", data_dir=dst.data_dir, check=0)

    dst.start()
    assert _names(dst) == ["A", "A_imported", "B", "B_imported", "C", "C_imported"]
    flight = fl.FlightClient(dst.location)
    assert read_topic(flight, "A/imu").equals(dst_a), "the existing sequence was touched by the import"
    assert read_topic(flight, "A_imported/imu").equals(want["A"])
    assert read_topic(flight, "B/imu").equals(want["B"])
    assert read_topic(flight, "C/imu").equals(want["C"])
    assert read_topic(flight, "B_imported/imu").equals(want["B"])
    notes = action(flight, "topic_notification_list", {"locator": "A_imported/imu"})["notifications"]
    assert len(notes) == 1 and notes[0]["msg"] == "n", notes
    # lock state travels: B stays unfinalized (deletable topic), C is finalized (topic cannot be deleted)
    action(flight, "topic_delete", {"locator": "B/imu"})
    expect_error(["PERMISSION_DENIED", "FAILED_PRECONDITION"], action, flight, "topic_delete", {"locator": "C/imu"})
    flight.close()
    dst.stop()

    # A corrupt source chunk: that sequence is refused, the others still come in, nothing half-imported remains.
    src_store.flip(_chunk_files(src.data_dir, "C")[0], 64, 0x01)
    third = daemon_factory()
    third.stop()
    out = run_cli("import", "--from", src_store.uri, data_dir=third.data_dir, check=1)
    assert "failed  C" in out.stdout and "corrupt" in out.stdout, out.stdout
    assert "imported  A" in out.stdout and "imported  B" in out.stdout, out.stdout
    assert not StoreFiles(third.data_dir).exists(StoreFiles(third.data_dir).path("sequences", "C"))
    run_cli("check", data_dir=third.data_dir, check=0)
    third.start()
    assert _names(third) == ["A", "B"]
