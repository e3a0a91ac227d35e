"""TLS on the Flight server (issue #6): a self-signed certificate generated here; the SDK connects with its TLS
options and round-trips data; a plaintext client (or one that does not trust the certificate) fails cleanly and the
daemon keeps serving; half a TLS configuration stops the daemon at start with a clear message."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time

import pyarrow.flight as fl
import pytest
from mosaicolabs import IMU, Message, MosaicoClient, Vector3d

from conftest import MOSAICOD_BIN

MS = 1_000_000
BASE = 1_700_000_000_000_000_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    key, crt = str(d / "key.pem"), str(d / "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
                    "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    return crt, key


@pytest.fixture(scope="module")
def tls_daemon(cert, tmp_path_factory):
    crt, key = cert
    port = _free_port()
    data = str(tmp_path_factory.mktemp("tls-data"))
    log = open(os.path.join(data, "daemon.log"), "w")
    proc = subprocess.Popen([MOSAICOD_BIN, "run", "--port", str(port), "--data-dir", data, "--tls-cert", crt,
                             "--tls-key", key], stdout=log, stderr=log)
    with open(crt, "rb") as f:
        root = f.read()
    client = fl.FlightClient(f"grpc+tls://localhost:{port}", tls_root_certs=root)
    deadline = time.time() + 20
    while True:
        try:
            list(client.do_action(fl.Action("info", b"{}")))
            break
        except Exception:
            if proc.poll() is not None or time.time() > deadline:
                log.flush()
                raise RuntimeError(open(log.name).read()[-2000:])
            time.sleep(0.1)
    yield port, root, proc, log.name
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 0
    log.close()


def test_sdk_over_tls_roundtrip(tls_daemon, cert):
    port, _, _, log_path = tls_daemon
    crt, _ = cert
    msgs = [Message(timestamp_ns=BASE + i * MS, data=IMU(acceleration=Vector3d(x=i, y=0, z=9.8),
                                                          angular_velocity=Vector3d(x=0, y=0, z=0)))
            for i in range(500)]
    with MosaicoClient.connect("localhost", port, tls_cert_path=crt, timeout=10) as client:
        with client.sequence_create("tls_run", {"secure": True}) as w:
            tw = w.topic_create("/imu", {}, IMU)
            for m in msgs:
                tw.push(m)
        got = [m.data.acceleration.x for m in client.topic_handler("tls_run", "/imu").get_data_streamer()]
    assert got == [float(i) for i in range(500)]
    assert "uri=grpc+tls://" in open(log_path).read()


def test_plaintext_and_untrusting_clients_fail_cleanly(tls_daemon):
    port, root, proc, _ = tls_daemon
    plain = fl.FlightClient(f"grpc://127.0.0.1:{port}")
    with pytest.raises(fl.FlightUnavailableError):
        list(plain.do_action(fl.Action("info", b"{}"), options=fl.FlightCallOptions(timeout=5)))
    untrusting = fl.FlightClient(f"grpc+tls://localhost:{port}")  # system roots only: our certificate is unknown
    with pytest.raises(fl.FlightUnavailableError):
        list(untrusting.do_action(fl.Action("info", b"{}"), options=fl.FlightCallOptions(timeout=5)))
    # the daemon shrugged both off
    assert proc.poll() is None
    good = fl.FlightClient(f"grpc+tls://localhost:{port}", tls_root_certs=root)
    body = json.loads(list(good.do_action(fl.Action("info", b"{}")))[0].body.to_pybytes())
    assert body["action"] == "info"


@pytest.mark.parametrize("which", ["cert-only", "key-only", "not-pem"])
def test_half_or_bad_tls_configuration_stops_the_daemon(cert, tmp_path, which):
    crt, key = cert
    bad = tmp_path / "bad.pem"
    bad.write_text("hello")
    args = {"cert-only": ["--tls-cert", crt], "key-only": ["--tls-key", key],
            "not-pem": ["--tls-cert", str(bad), "--tls-key", key]}[which]
    out = subprocess.run([MOSAICOD_BIN, "run", "--port", "0", "--data-dir", str(tmp_path / "d"), *args],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    want = {"cert-only": "without --tls-key", "key-only": "without --tls-cert", "not-pem": "not PEM"}[which]
    assert want in out.stderr, out.stderr[-1500:]
