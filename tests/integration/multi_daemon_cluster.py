"""Several daemons sharing one catalog and one store, for the multi-daemon tests (issue 5).

The `cluster` fixture starts N daemons, each with its own data dir and port but sharing one catalog and one store:
  * PostgreSQL + S3 pass (MOSAICOD_TEST_CATALOG=postgres MOSAICOD_TEST_STORE=s3): one database of the suite's
    PostgreSQL server and one prefix of the suite's moto bucket -- the deployment this is for;
  * SQLite + local pass: one SQLite file (WAL, several processes) and one local store directory. That is a sound
    configuration too (SQLite serializes writers across processes, the local store renames whole objects), so the
    same tests run there.
Mixed configurations (one shared backend, one per-daemon) cannot share both: SHARED_BACKENDS is False and the test
modules skip themselves with SKIP_REASON.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess

import pyarrow.flight as fl
import pytest

import conftest
from conftest import CATALOG_MODE, MOSAICOD_BIN, STORE_MODE, Daemon
from mosaico_testlib import grpc_code_of

SHARED_BACKENDS = (CATALOG_MODE == "postgres") == (STORE_MODE == "s3")
SKIP_REASON = ("several daemons need both backends shared: run with MOSAICOD_TEST_CATALOG=postgres and "
               "MOSAICOD_TEST_STORE=s3 together, or with neither (one SQLite file + one local store directory)")


class Cluster:
    def __init__(self, shared_dir: str, log_dir: str):
        self.shared_dir = shared_dir
        os.makedirs(shared_dir, exist_ok=True)
        if STORE_MODE == "s3":
            self.backend_args = conftest._s3_store_args(shared_dir)
        else:
            self.backend_args = ["--store", os.path.join(shared_dir, "store")]
        if CATALOG_MODE == "postgres":
            self.backend_args += conftest._pg_catalog_args(shared_dir)
        else:
            self.backend_args += ["--catalog", "sqlite://" + os.path.join(shared_dir, "catalog.db")]
        self.catalog_url = self.backend_args[self.backend_args.index("--catalog") + 1]
        self.log_dir = log_dir
        self.daemons: list[Daemon] = []
        self.clients: list[fl.FlightClient] = []

    def start(self, n: int, extra_args=()) -> list[Daemon]:
        for _ in range(n):
            i = len(self.daemons)
            d = Daemon(os.path.join(self.shared_dir, f"daemon-{i}"), self.log_dir,
                       extra_args=[*self.backend_args, *extra_args])
            self.daemons.append(d)
            d.start()
            self.clients.append(fl.FlightClient(d.location))
        return self.daemons

    def cli(self, *args) -> subprocess.CompletedProcess:
        """A mosaicod command (check, ...) on the shared catalog and store."""
        return subprocess.run([MOSAICOD_BIN, *args, "--data-dir", os.path.join(self.shared_dir, "cli"),
                               *self.backend_args], capture_output=True, text=True, timeout=300)

    def assert_consistent(self, allow=()):
        """`mosaicod check` finds nothing, except findings of the kinds in `allow` (garbage the GC removes)."""
        out = self.cli("check", "--min-upload-age", "0")
        findings = [line.split()[0] for line in out.stdout.splitlines() if line.startswith("  ") and line.strip()]
        unexpected = [k for k in findings if k not in allow]
        assert out.returncode in (0, 1) and not unexpected, (
            f"check found disagreements:\n{out.stdout}\n{out.stderr[-3000:]}")

    def sql(self, query: str, write: bool = False) -> list[tuple]:
        """Rows of a query on the shared catalog (read-only unless `write`)."""
        if CATALOG_MODE == "postgres":
            out = subprocess.run(["psql", self.catalog_url, "-X", "-q", "-A", "-t", "-F", "\x1f", "-c", query],
                                 check=True, capture_output=True, text=True)
            return [tuple(line.split("\x1f")) for line in out.stdout.splitlines() if line]
        mode = "rw" if write else "ro"
        con = sqlite3.connect(f"file:{os.path.join(self.shared_dir, 'catalog.db')}?mode={mode}", uri=True, timeout=10)
        try:
            rows = [tuple("" if v is None else str(v) for v in row) for row in con.execute(query)]
            con.commit()
            return rows
        finally:
            con.close()

    def close(self):
        for c in self.clients:
            c.close()
        conftest.shutdown_all_checked(self.daemons)


@pytest.fixture
def cluster(tmp_path, _log_dir):
    c = Cluster(str(tmp_path / "shared"), _log_dir)
    yield c
    c.close()


def code_of(fn, *args, **kwargs) -> str:
    try:
        fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - classified
        return grpc_code_of(e)
    return "OK"
