"""Errors an operator can act on (issue 11, part 4): the address in use named, no gRPC noise, an unwritable data dir
refused at start-up, a full disk reported as "No space left on device" with no SQL text in the message, and the way
out of a full disk -- deleting a sequence -- working (store/space_reserve.h).

The full-disk and read-only tests mount a small tmpfs (the tests run as root, in CI too); where mounting is not
allowed they are skipped with the reason.
"""

from __future__ import annotations

import os
import socket
import subprocess
import uuid

import pyarrow as pa
import pyarrow.flight as fl
import pytest

from conftest import MOSAICOD_BIN, STORE_MODE, CATALOG_MODE, unique_name
from mosaico_testlib import (
    action,
    create_session,
    create_topic,
    describe_exc,
    expect_error,
    finalize,
    grpc_code_of,
    put_batches,
    read_topic,
)

BASE = 1_700_000_000_000_000_000
BLOB_SCHEMA = pa.schema([pa.field("timestamp_ns", pa.int64(), nullable=False), pa.field("blob", pa.binary())])


def run_daemon_briefly(*args, timeout=20) -> subprocess.CompletedProcess:
    return subprocess.run([MOSAICOD_BIN, "run", *args], capture_output=True, text=True, timeout=timeout)


def test_port_in_use_is_named_without_grpc_noise(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        proc = run_daemon_briefly("--host", "127.0.0.1", "--port", str(port), "--data-dir", str(tmp_path / "d"))
    assert proc.returncode != 0
    err = proc.stderr
    assert f"127.0.0.1:{port} is already in use" in err and "--port" in err, err[-2000:]
    for noise in ("add_port.cc", "absl::InitializeLog", "Server did not start properly"):
        assert noise not in err, f"gRPC's own lines leaked: {noise!r} in\n{err[-2000:]}"


def test_unknown_host_is_named(tmp_path):
    proc = run_daemon_briefly("--host", "no-such-host.invalid", "--port", "6999", "--data-dir", str(tmp_path / "d"))
    assert proc.returncode != 0 and "no-such-host.invalid:6999" in proc.stderr, proc.stderr[-2000:]


@pytest.fixture
def small_fs(tmp_path):
    """A 48 MiB tmpfs; unmounted afterwards."""
    mnt = tmp_path / "fs"
    mnt.mkdir()
    rc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mnt)], capture_output=True, text=True)
    if rc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {rc.stderr.strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


@pytest.mark.local_store
def test_read_only_data_dir_is_refused_at_start(small_fs):
    data = small_fs / "data"
    data.mkdir()
    subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True)
    args = ["--port", "0", "--data-dir", str(data)]
    if CATALOG_MODE == "postgres":
        pytest.skip("the catalog is on the PostgreSQL server; the store is what this test makes read-only")
    proc = run_daemon_briefly(*args)
    assert proc.returncode != 0
    assert ("not writable" in proc.stderr or "cannot be created" in proc.stderr) and str(data) in proc.stderr, \
        proc.stderr[-2000:]
    assert "Read-only file system" in proc.stderr, proc.stderr[-2000:]
    assert "INSERT" not in proc.stderr and "sqlite" not in proc.stderr.lower(), proc.stderr[-2000:]


def blob_batch(t0: int, n: int, size: int) -> pa.RecordBatch:
    return pa.record_batch([pa.array([t0 + i for i in range(n)], pa.int64()),
                            pa.array([os.urandom(size) for _ in range(n)], pa.binary())], schema=BLOB_SCHEMA)


def upload_blobs(client, seq: str, n_batches: int, rows: int = 4, size: int = 1 << 20):
    action(client, "sequence_create", {"locator": seq, "user_metadata": {}})
    s_uuid, _ = create_session(client, seq)
    t_uuid = create_topic(client, s_uuid, f"{seq}/cam", ontology_tag="image")
    put_batches(client, f"{seq}/cam", t_uuid, BLOB_SCHEMA,
                [blob_batch(BASE + k * rows, rows, size) for k in range(n_batches)])
    finalize(client, s_uuid)


@pytest.mark.local_store
def test_full_disk_says_so_and_deleting_a_sequence_frees_it(daemon_factory, small_fs):
    if CATALOG_MODE != "sqlite":
        pytest.skip("the embedded catalog shares the full disk only with SQLite")
    d = daemon_factory(data_dir=str(small_fs / "data"), extra_args=["--chunk-size-mb", "4", "--max-message-mb", "8"])
    assert os.path.exists(small_fs / "data" / "store" / ".mosaicod-reserve"), "the space reserve is taken at start"
    client = fl.FlightClient(d.location)
    first = unique_name("full_first")
    upload_blobs(client, first, n_batches=4)  # 16 MiB
    # Fill the rest of the disk: the upload fails, and says why in words an operator knows.
    with pytest.raises(fl.FlightError) as full:
        upload_blobs(client, unique_name("full_second"), n_batches=12)
    msg = str(full.value)
    assert grpc_code_of(full.value) == "UNAVAILABLE", describe_exc(full.value)
    assert "No space left on device" in msg or "disk is full" in msg, msg[:1000]
    for internal in ("INSERT", "UPDATE ", "SELECT ", "sqlite3_", "[errno"):
        assert internal not in msg, f"internal detail {internal!r} reached the client: {msg[:1000]}"
    # A failed upload removes what it wrote; fill every byte left, so the disk is truly full for the delete.
    filler = small_fs / "filler"
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(b"\0" * (256 << 10))
                f.flush()
        except OSError:
            pass
    refused = expect_error(("UNAVAILABLE",), action, client, "sequence_create",
                           {"locator": unique_name("full_x"), "user_metadata": {}},
                           mentions=["No space left on device", "disk is full"], what="sequence_create on a full disk")
    assert "INSERT" not in str(refused) and "catalog" in str(refused), str(refused)[:1000]  # the SQL stays in the log
    # The way out: delete a sequence. Its first writes (recovery mark, tombstone) need space too: the reserve gives
    # it, and is taken back once the sequence's data is gone.
    action(client, "sequence_delete", {"locator": first})
    log = d.log_text()
    assert "event=space_reserve_released" in log, log[-3000:]
    assert "event=space_reserve_restored" in log, log[-3000:]
    assert os.path.exists(small_fs / "data" / "store" / ".mosaicod-reserve")
    expect_error("NOT_FOUND", read_topic, client, f"{first}/cam")
    os.remove(filler)
    # Room again: a new upload works and reads back.
    again = unique_name("full_again")
    upload_blobs(client, again, n_batches=2)
    assert read_topic(client, f"{again}/cam").num_rows == 8
    client.close()


def test_schema_parquet_cannot_store_is_refused_and_binds_nothing(flight):
    """A dense union cannot be stored in Parquet: refused as the DoPut's schema arrives, naming the field and type,
    and the topic keeps no schema snapshot -- a later upload with a storable schema is accepted."""
    seq = unique_name("unstorable")
    action(flight, "sequence_create", {"locator": seq, "user_metadata": {}})
    s_uuid, _ = create_session(flight, seq)
    t_uuid = create_topic(flight, s_uuid, f"{seq}/t")
    union = pa.dense_union([pa.field("i", pa.int32()), pa.field("s", pa.string())])
    bad_schema = pa.schema([pa.field("timestamp_ns", pa.int64(), nullable=False), pa.field("u", union)])
    exc = expect_error("INVALID_ARGUMENT", put_batches, flight, f"{seq}/t", t_uuid, bad_schema, [],
                       mentions=["field 'u' has type dense_union"], what="DoPut with a dense union")
    assert "Parquet" in str(exc)
    good = pa.schema([pa.field("timestamp_ns", pa.int64(), nullable=False), pa.field("v", pa.float64())])
    put_batches(flight, f"{seq}/t", t_uuid, good,
                [pa.record_batch([pa.array([BASE, BASE + 1], pa.int64()), pa.array([1.0, 2.0])], schema=good)])
    finalize(flight, s_uuid)
    assert read_topic(flight, f"{seq}/t").num_rows == 2
    action(flight, "sequence_delete", {"locator": seq})


def test_sdk_name_probe_is_not_a_warning(daemon_factory):
    """The SDK answers sequence_exists() (and checks names) with GetFlightInfo: its NOT_FOUND is a debug line."""
    from mosaicolabs import IMU, Message, MosaicoClient, Vector3d
    daemon = daemon_factory(extra_args=["--log-level", "debug"])
    since = daemon.log_size()
    seq = unique_name("probe")
    v = Vector3d(x=0.0, y=0.0, z=9.8)
    with MosaicoClient.connect(daemon.host, daemon.port, timeout=10) as c:
        with c.sequence_create(seq, {}) as w:
            w.topic_create("/imu", {}, IMU).push(Message(timestamp_ns=BASE, data=IMU(acceleration=v, angular_velocity=v)))
        c.sequence_delete(seq)
        assert not c.sequence_exists(seq)
    log = daemon.log_text(since)
    assert "event=sequence_created" in log
    assert not [ln for ln in log.splitlines() if " warning " in ln and "GetFlightInfo" in ln], log[-3000:]
    assert [ln for ln in log.splitlines() if " debug " in ln and "rpc=GetFlightInfo" in ln and "not found" in ln], \
        "the SDK's probe should show up at debug level"
