"""mosaicod on an S3-compatible store (issue #5, store half): a real S3 server (moto, server mode) on 127.0.0.1,
reached through a cuttable TCP proxy. The SDK writes and reads back unchanged; rebuild works from the bucket alone;
a missing bucket or an unreachable endpoint fail clearly at start; an outage mid-upload fails that upload with a
clear error, damages nothing finalized, and the daemon serves again once the server is back.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid

import pyarrow.flight as fl
import pyarrow.fs as pafs
import pytest
from mosaicolabs import IMU, Message, MosaicoClient, Vector3d

from conftest import MOSAICOD_BIN, lose_catalog, storage_args
from mosaico_testlib import (
    action,
    create_sequence,
    create_session,
    create_topic,
    finalize,
    grpc_code_of,
    put_batches,
    read_topic,
    simple_batch,
    simple_schema,
)
from s3_server import MotoS3Server, TcpProxy, daemon_store_args

MS = 1_000_000
BASE = 1_700_000_000_000_000_000
BUCKET = "mosaico-it"


@pytest.fixture(scope="module")
def s3(_log_dir):
    server = MotoS3Server.start(_log_dir)
    server.create_bucket(BUCKET)
    proxy = TcpProxy(server.port)
    yield server, proxy
    proxy.close()
    server.stop()


def _args(proxy, prefix=None):
    return daemon_store_args(BUCKET, prefix or f"it-{uuid.uuid4().hex[:8]}", proxy.port) + ["--chunk-size-mb", "1"]


def _imu_messages(n):
    return [Message(timestamp_ns=BASE + i * MS,
                    data=IMU(acceleration=Vector3d(x=i * 0.5, y=-1.0, z=9.81), angular_velocity=Vector3d(x=0, y=0, z=i)))
            for i in range(n)]


def test_sdk_roundtrip_and_rebuild_from_the_bucket(daemon_factory, s3):
    server, proxy = s3
    args = _args(proxy)
    d = daemon_factory(extra_args=args)
    msgs = _imu_messages(3000)
    with MosaicoClient.connect(d.host, d.port, timeout=10) as client:
        with client.sequence_create("s3_run", {"store": "s3"}) as w:
            tw = w.topic_create("/imu", {"rate": 1000}, IMU)
            for m in msgs:
                tw.push(m)
        assert "s3_run" in client.list_sequences()
    flight = fl.FlightClient(d.location)
    before = read_topic(flight, "s3_run/imu")
    assert before.num_rows == 3000
    flight.close()
    # the objects really are in the bucket, under the prefix
    prefix = args[1].split("/", 3)[3]
    keys = [i.path for i in server.filesystem().get_file_info(pafs.FileSelector(f"{BUCKET}/{prefix}", recursive=True))]
    assert any(k.endswith(".parquet") for k in keys), keys[:20]
    assert any(k.endswith("sequence.json") for k in keys), keys[:20]

    # the catalog is only an index: rebuild it from the bucket alone
    assert d.stop() == 0
    lose_catalog(d.data_dir)
    out = subprocess.run([MOSAICOD_BIN, "rebuild", "--data-dir", d.data_dir, *args[:-2],
                          *storage_args(d.data_dir, args)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "sequences 1" in out.stdout, out.stdout
    d.start()
    flight = fl.FlightClient(d.location)
    assert read_topic(flight, "s3_run/imu").equals(before)
    flight.close()
    with MosaicoClient.connect(d.host, d.port, timeout=10) as client:
        got = [m.data.acceleration.x for m in client.topic_handler("s3_run", "/imu").get_data_streamer()]
        assert got == [m.data.acceleration.x for m in msgs]


def _start_fails(data_dir, args, timeout=60):
    return subprocess.run([MOSAICOD_BIN, "run", "--port", "0", "--data-dir", data_dir, *args], capture_output=True,
                          text=True, timeout=timeout)


def test_missing_bucket_and_dead_endpoint_fail_clearly_at_start(tmp_path, s3):
    server, proxy = s3
    out = _start_fails(str(tmp_path / "a"), daemon_store_args("no-such-bucket", "x", proxy.port))
    assert out.returncode != 0
    assert "no-such-bucket" in out.stderr and "does not exist" in out.stderr, out.stderr[-1500:]
    dead = TcpProxy(server.port)
    dead.cut()
    try:
        out = _start_fails(str(tmp_path / "b"), daemon_store_args(BUCKET, "x", dead.port))
    finally:
        dead.close()
    assert out.returncode != 0
    assert "cannot reach S3" in out.stderr and BUCKET in out.stderr, out.stderr[-1500:]


def test_outage_mid_upload_fails_cleanly_and_the_daemon_recovers(daemon_factory, s3):
    server, _ = s3
    proxy = TcpProxy(server.port)  # this test's own line to the server, so cutting it disturbs no other test
    try:
        d = daemon_factory(extra_args=_args(proxy))
        flight = fl.FlightClient(d.location)
        schema = simple_schema()
        # a finalized sequence that must survive the outage untouched
        create_sequence(flight, "kept", {})
        s, _ = create_session(flight, "kept")
        t = create_topic(flight, s, "kept/x")
        put_batches(flight, "kept/x", t, schema, [simple_batch(schema, [BASE + i * MS for i in range(500)])])
        finalize(flight, s)
        kept = read_topic(flight, "kept/x")

        create_sequence(flight, "cut", {})
        s2, _ = create_session(flight, "cut")
        t2 = create_topic(flight, s2, "cut/x")
        writer, _ = flight.do_put(fl.FlightDescriptor.for_command(
            f'{{"resource_locator": "cut/x", "topic_uuid": "{t2}"}}'), schema)
        err = None
        try:
            for k in range(200):  # ~ several 1 MiB chunks; the line is cut after the first few
                writer.write_batch(simple_batch(schema, [BASE + (k * 2000 + i) * MS for i in range(2000)]))
                if k == 20:
                    proxy.cut()
            writer.done_writing()
            writer.close()
        except Exception as e:  # noqa: BLE001 - the upload must fail, with a clear message
            err = e
        assert err is not None, "an upload whose store went away must fail"
        assert grpc_code_of(err) in ("UNAVAILABLE", "INTERNAL", "UNKNOWN"), f"{type(err).__name__}: {err}"
        assert BUCKET in str(err) and "sequences/cut/topics/x/" in str(err), str(err)[:500]  # names what failed

        proxy.restore()
        deadline = time.time() + 30
        while True:  # the daemon serves again: the finalized data reads back unchanged
            try:
                assert read_topic(flight, "kept/x").equals(kept)
                break
            except fl.FlightError:
                if time.time() > deadline:
                    raise
                time.sleep(0.5)
        # the cut topic holds no half upload and takes a new one
        put_batches(flight, "cut/x", t2, schema, [simple_batch(schema, [BASE + i * MS for i in range(100)])])
        finalize(flight, s2)
        assert read_topic(flight, "cut/x").num_rows == 100
        flight.close()
    finally:
        proxy.close()
