"""A real S3-compatible server on 127.0.0.1 for the tests: moto's server mode (PyPI `moto[server]`, pinned in
requirements.txt), in its own process, plus a TCP proxy in front of it that a test can cut and restore to simulate
an S3 outage without losing the server's (in-memory) contents.

    server = MotoS3Server.start()      # picks a free port, waits until it answers
    server.create_bucket("b")
    proxy = TcpProxy(server.port)      # daemons talk to proxy.port
    proxy.cut(); proxy.restore()
    server.stop()
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

import pyarrow.fs as pafs

ACCESS_KEY = "mosaico-test"
SECRET_KEY = "mosaico-test-secret"
REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MotoS3Server:
    def __init__(self, port: int, proc: subprocess.Popen, log_path: str):
        self.port = port
        self.proc = proc
        self.log_path = log_path

    @classmethod
    def start(cls, log_dir: str) -> "MotoS3Server":
        port = _free_port()
        moto = os.path.join(os.path.dirname(sys.executable), "moto_server")
        log_path = os.path.join(log_dir, f"moto-{port}.log")
        log = open(log_path, "ab")
        proc = subprocess.Popen([moto, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log,
                                stdin=subprocess.DEVNULL)
        server = cls(port, proc, log_path)
        deadline = time.time() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"moto_server did not start; see {log_path}")
                time.sleep(0.1)
        return server

    def filesystem(self, port: int | None = None) -> pafs.S3FileSystem:
        return pafs.S3FileSystem(access_key=ACCESS_KEY, secret_key=SECRET_KEY, region=REGION, scheme="http",
                                 endpoint_override=f"127.0.0.1:{port or self.port}", allow_bucket_creation=True)

    def create_bucket(self, name: str):
        self.filesystem().create_dir(name)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def daemon_store_args(bucket: str, prefix: str, port: int) -> list[str]:
    """mosaicod flags for an S3 store in `bucket` under `prefix`, reached at 127.0.0.1:`port`."""
    return ["--store", f"s3://{bucket}/{prefix}", "--store-endpoint", f"127.0.0.1:{port}", "--store-scheme", "http",
            "--store-region", REGION, "--store-access-key", ACCESS_KEY, "--store-secret-key", SECRET_KEY]


class TcpProxy:
    """Forwards 127.0.0.1:port to 127.0.0.1:target. cut() drops every connection and refuses new ones (as a dead
    server would); restore() accepts again."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.port = _free_port()
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", self.port))
        self._listener.listen(64)
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        self._cut = False
        self._closed = False
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def _accept_loop(self):
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                if self._cut:
                    client.close()
                    continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self):
        with self._lock:
            self._cut = True
            conns, self._conns = self._conns, []
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
                c.close()
            except OSError:
                pass

    def restore(self):
        with self._lock:
            self._cut = False

    def close(self):
        self._closed = True
        self.cut()
        self._listener.close()
