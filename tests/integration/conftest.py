"""Fixtures that run the real mosaicod binary for the integration tests.

Environment:
  MOSAICOD_BIN                path of the daemon binary (default /work/main/build/mosaicod)
  MOSAICOD_TEST_ARGS          extra arguments for every daemon started here (default: none)
  MOSAICOD_TEST_CHUNK_MB      --chunk-size-mb for the shared daemon (default 1, so that uploads span several chunks)
  MOSAICOD_TEST_MAX_MSG_MB    --max-message-mb for the shared daemon (default 1: `info` then reports a 1 MiB decode
                              limit, so the SDK splits its uploads into several batches of <= 0.9 MiB); "" to omit
  MOSAICOD_TEST_LOG_LEVEL     --log-level (default info)
  MOSAICOD_STARTUP_TIMEOUT    seconds to wait for the `info` action to answer (default 20)
  MOSAICOD_TEST_STORE         "local" (default) or "s3": every daemon stores its data in a bucket of a real
                              S3-compatible server (moto, started here on 127.0.0.1) under a prefix derived from
                              its data dir, so restarts on the same data dir find their data. Tests marked
                              `local_store` (they inspect or damage store files directly) or `s3_slow` (thousands of
                              requests: minutes against moto) are skipped in s3 mode.
  MOSAICOD_TEST_CATALOG       "sqlite" (default) or "postgres": every daemon gets its own PostgreSQL database
                              (named from its data dir, so restarts find it) on a server started here with
                              scripts/pg_test_server.sh, or on MOSAICOD_TEST_PG_URL when set. Tests marked
                              `sqlite_catalog` (they delete or damage the catalog file) are skipped then.

Fixtures:
  daemon          session-scoped daemon (tests sharing it must use distinct sequence names: see `seq_name`)
  fresh_daemon    function-scoped daemon with its own data dir, for tests that stop, kill or restart it
  daemon_factory  function-scoped factory: start(data_dir=None, extra_args=()) -> Daemon; all are stopped at teardown
  module_daemon_factory  the same, module-scoped: start(extra_args=(), data_dir=None) -> Daemon
  client          a connected mosaicolabs.MosaicoClient on `daemon`
  flight          a raw pyarrow.flight.FlightClient on `daemon`
  seq_name        a fresh, unique, valid sequence name for the current test
  new_name        factory: new_name(prefix) -> unique valid name

A Daemon unpacks as (host, port, data_dir, proc) and also carries .location, .log_path, .stop(), .kill(), .restart().
On teardown each daemon gets SIGTERM and must exit with code 0 within 10 s. When a test fails, the part of each daemon's
stderr written during that test is attached to the report.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from typing import Optional

import pyarrow.flight as fl
import pytest

HOST = "127.0.0.1"
MOSAICOD_BIN = os.environ.get("MOSAICOD_BIN", "/work/main/build/mosaicod")
STARTUP_TIMEOUT_S = float(os.environ.get("MOSAICOD_STARTUP_TIMEOUT", "20"))
SHUTDOWN_TIMEOUT_S = 10.0
LOG_LEVEL = os.environ.get("MOSAICOD_TEST_LOG_LEVEL", "info")
SHARED_CHUNK_MB = os.environ.get("MOSAICOD_TEST_CHUNK_MB", "1")
SHARED_MAX_MSG_MB = os.environ.get("MOSAICOD_TEST_MAX_MSG_MB", "1")
EXTRA_ARGS = os.environ.get("MOSAICOD_TEST_ARGS", "").split()
# Every daemon and CLI run here reads an empty config file unless a test gives its own: a config.toml installed on
# the machine (/etc/mosaicod, ~/.config/mosaicod) must not redirect the tests' data (apps/mosaicod/config_file.h).
if "MOSAICOD_CONFIG_FILE" not in os.environ:
    _empty_config = tempfile.NamedTemporaryFile("w", prefix="mosaicod-test-config-", suffix=".toml", delete=False)
    _empty_config.write("# empty: every setting comes from flags and the environment\n")
    _empty_config.close()
    os.environ["MOSAICOD_CONFIG_FILE"] = _empty_config.name
STORE_MODE = os.environ.get("MOSAICOD_TEST_STORE", "local")
S3_BUCKET = "mosaico-suite"
_S3_SERVER = None  # started on first use in s3 mode, stopped at session end


def _s3_store_args(data_dir: str) -> list[str]:
    """--store flags putting this data dir's objects in the suite's bucket (s3 mode)."""
    global _S3_SERVER
    import hashlib

    from s3_server import MotoS3Server, daemon_store_args

    if _S3_SERVER is None:
        log_dir = os.environ.get("MOSAICOD_TEST_LOG_DIR") or tempfile.mkdtemp(prefix="mosaicod-s3-")
        _S3_SERVER = MotoS3Server.start(log_dir)
        _S3_SERVER.create_bucket(S3_BUCKET)
    prefix = "d-" + hashlib.sha1(os.path.abspath(data_dir).encode()).hexdigest()[:16]
    return daemon_store_args(S3_BUCKET, prefix, _S3_SERVER.port)


CATALOG_MODE = os.environ.get("MOSAICOD_TEST_CATALOG", "sqlite")
_PG = {"url": os.environ.get("MOSAICOD_TEST_PG_URL", ""), "dir": None, "dbs": set()}
_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _pg_catalog_args(data_dir: str) -> list[str]:
    """--catalog naming this data dir's own database on the suite's PostgreSQL server (postgres mode)."""
    import hashlib

    if not _PG["url"]:
        _PG["dir"] = tempfile.mkdtemp(prefix="mosaicod-pg-suite-")
        _PG["url"] = subprocess.run([os.path.join(_REPO, "scripts", "pg_test_server.sh"), "start", _PG["dir"]],
                                    check=True, capture_output=True, text=True).stdout.strip()
    db = "it_" + hashlib.sha1(os.path.abspath(data_dir).encode()).hexdigest()[:16]
    base = _PG["url"].rsplit("/", 1)[0]
    if db not in _PG["dbs"]:
        subprocess.run(["psql", _PG["url"], "-q", "-c", f"DROP DATABASE IF EXISTS {db}", "-c", f"CREATE DATABASE {db}"],
                       check=True, capture_output=True)
        _PG["dbs"].add(db)
    return ["--catalog", f"{base}/{db}"]


def storage_args(data_dir: str, extra_args=()) -> list[str]:
    """--store (s3 mode) and --catalog (postgres mode) flags for `data_dir`; the same on every call, so a CLI command
    run on a daemon's data dir reaches that daemon's bucket prefix and database. Flags already in extra_args win."""
    args = []
    if STORE_MODE == "s3" and "--store" not in extra_args:
        args += _s3_store_args(data_dir)
    if CATALOG_MODE == "postgres" and "--catalog" not in extra_args:
        args += _pg_catalog_args(data_dir)
    return args


def catalog_sql(data_dir: str, sql: str) -> list[str]:
    """Runs `sql` with psql on the PostgreSQL catalog database of `data_dir` (postgres mode); one string per row."""
    args = storage_args(data_dir)
    url = args[args.index("--catalog") + 1]
    out = subprocess.run(["psql", url, "-X", "-q", "-At", "-c", sql], check=True, capture_output=True, text=True)
    return [line for line in out.stdout.splitlines() if line]


def lose_catalog(data_dir: str):
    """The catalog of `data_dir` is gone, its store intact: the SQLite file deleted, or the PostgreSQL catalog's
    tables dropped (the database and an empty schema remain, as after restoring an empty database)."""
    if CATALOG_MODE == "postgres":
        catalog_sql(data_dir, "DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        return
    for f in os.listdir(data_dir):
        if f.startswith("catalog.db"):
            os.remove(os.path.join(data_dir, f))


def pytest_sessionfinish(session, exitstatus):
    if _S3_SERVER is not None:
        _S3_SERVER.stop()
    if _PG["dir"]:
        subprocess.run([os.path.join(_REPO, "scripts", "pg_test_server.sh"), "stop", _PG["dir"]], capture_output=True)
        shutil.rmtree(_PG["dir"], ignore_errors=True)


def pytest_collection_modifyitems(config, items):
    skip_store = pytest.mark.skip(reason="inspects local store files; not applicable with MOSAICOD_TEST_STORE=s3")
    slow = pytest.mark.skip(reason="minutes against moto; its store I/O is covered by the rest of the s3 run")
    skip_catalog = pytest.mark.skip(reason="works on the SQLite catalog file; not applicable with a PostgreSQL catalog")
    for item in items:
        if STORE_MODE == "s3" and item.get_closest_marker("local_store"):
            item.add_marker(skip_store)
        elif STORE_MODE == "s3" and item.get_closest_marker("s3_slow"):
            item.add_marker(slow)
        elif CATALOG_MODE == "postgres" and item.get_closest_marker("sqlite_catalog"):
            item.add_marker(skip_catalog)

_LIVE_DAEMONS: list["Daemon"] = []
_ALL_DAEMONS: list["Daemon"] = []  # for attaching logs to failing tests, even of daemons already stopped


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class DaemonError(AssertionError):
    pass


class Daemon:
    """A running mosaicod process. Iterates as (host, port, data_dir, proc)."""

    def __init__(self, data_dir: str, log_dir: str, extra_args=(), port: Optional[int] = None,
                 env_only: bool = False):
        self.env_only = env_only  # configure through MOSAICOD_HOST/PORT/DATA_DIR instead of flags
        self.host = HOST
        self.port = port or _free_port()
        self.data_dir = data_dir
        self.extra_args = list(extra_args)
        self.log_path = os.path.join(log_dir, f"mosaicod-{self.port}-{uuid.uuid4().hex[:6]}.stderr.log")
        self.proc: Optional[subprocess.Popen] = None
        self.expected_exit: Optional[int] = 0  # None once a test killed it on purpose

    # -- tuple protocol ------------------------------------------------------------------------------------------------
    def _tuple(self):
        return (self.host, self.port, self.data_dir, self.proc)

    def __iter__(self):
        return iter(self._tuple())

    def __getitem__(self, i):
        return self._tuple()[i]

    def __len__(self):
        return 4

    def __repr__(self):
        return f"Daemon({self.location}, data_dir={self.data_dir!r}, pid={self.proc.pid if self.proc else None})"

    @property
    def location(self) -> str:
        return f"grpc://{self.host}:{self.port}"

    # -- lifecycle -----------------------------------------------------------------------------------------------------
    def storage_args(self) -> list[str]:
        """The --store/--catalog flags the test mode adds for this data dir (none in the default mode): what a
        `mosaicod rebuild|check|import` on this daemon's data must be given too (see `storage_args`)."""
        return storage_args(self.data_dir, self.extra_args)

    def command(self) -> list[str]:
        store_args = self.storage_args()
        if self.env_only:
            return [MOSAICOD_BIN, "run", *EXTRA_ARGS, *store_args, *self.extra_args]
        return [
            MOSAICOD_BIN,
            "run",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--data-dir",
            self.data_dir,
            *([] if "--log-level" in self.extra_args else ["--log-level", LOG_LEVEL]),
            *EXTRA_ARGS,
            *store_args,
            *self.extra_args,
        ]

    def start(self) -> "Daemon":
        if not os.path.exists(MOSAICOD_BIN):
            pytest.fail(f"mosaicod binary not found at {MOSAICOD_BIN} (set MOSAICOD_BIN)", pytrace=False)
        os.makedirs(self.data_dir, exist_ok=True)
        log = open(self.log_path, "ab")
        log.write(f"\n===== start: {' '.join(self.command())}\n".encode())
        log.flush()
        # The suite's own MOSAICOD_BIN / MOSAICOD_TEST_* variables are not daemon settings: the daemon would warn about
        # each as an unknown MOSAICOD_* variable.
        env = {k: v for k, v in os.environ.items() if k != "MOSAICOD_BIN" and not k.startswith("MOSAICOD_TEST_")}
        if self.env_only:
            env.update(MOSAICOD_HOST=self.host, MOSAICOD_PORT=str(self.port), MOSAICOD_DATA_DIR=self.data_dir)
            log.write(f"      env: MOSAICOD_HOST={self.host} MOSAICOD_PORT={self.port} MOSAICOD_DATA_DIR={self.data_dir}\n".encode())
            log.flush()
        self.proc = subprocess.Popen(self.command(), stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env)
        log.close()
        self.expected_exit = 0
        _LIVE_DAEMONS.append(self)
        if self not in _ALL_DAEMONS:
            _ALL_DAEMONS.append(self)
        try:
            self._wait_ready()
        except BaseException:
            self._force_kill()
            raise
        return self

    def _wait_ready(self):
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        last: object = None
        client = None
        try:
            while True:
                code = self.proc.poll()
                if code is not None:
                    raise DaemonError(
                        f"mosaicod exited with code {code} during startup.\n{self.log_tail()}"
                    )
                try:
                    if client is None:
                        client = fl.FlightClient(self.location)
                    results = list(
                        client.do_action(fl.Action("info", b"{}"), options=fl.FlightCallOptions(timeout=2))
                    )
                    if results:
                        env = json.loads(results[0].body.to_pybytes())
                        if isinstance(env, dict) and env.get("action") == "info" and env.get("response"):
                            return
                        last = f"unexpected info reply {env!r:.300}"
                    else:
                        last = "info returned no result"
                except fl.FlightUnauthenticatedError:
                    return  # started with API keys on (--auth on): it answers, refusing a call without a key
                except Exception as e:  # noqa: BLE001
                    last = e
                if time.monotonic() > deadline:
                    raise DaemonError(
                        f"mosaicod did not answer `info` within {STARTUP_TIMEOUT_S}s (last: {last!r}).\n"
                        f"{self.log_tail()}"
                    )
                time.sleep(0.05)
        finally:
            if client is not None:
                client.close()

    def stop(self, sig=signal.SIGTERM, timeout: float = SHUTDOWN_TIMEOUT_S) -> Optional[int]:
        """Sends `sig` and waits; returns the exit code, or None if it did not exit in time (then it is killed)."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=timeout)
            self.expected_exit = None  # stopped on purpose: the caller judges the exit code
            return code
        except subprocess.TimeoutExpired:
            self._force_kill()
            return None
        finally:
            if self in _LIVE_DAEMONS:
                _LIVE_DAEMONS.remove(self)

    def kill(self):
        """SIGKILL on purpose (crash simulation); teardown will not check the exit code."""
        self.expected_exit = None
        self._force_kill()

    def _force_kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        if self in _LIVE_DAEMONS:
            _LIVE_DAEMONS.remove(self)

    def restart(self, same_port: bool = True) -> "Daemon":
        """Clean stop (must exit 0) then start again on the same data dir."""
        if self.proc is not None and self.proc.poll() is None:
            code = self.stop()
            assert code == 0, f"mosaicod exit code on SIGTERM was {code!r}, want 0.\n{self.log_tail()}"
        if not same_port:
            self.port = _free_port()
        return self.start()

    def shutdown_checked(self):
        """Teardown: SIGTERM, expect exit code 0 within the limit."""
        if self.proc is None:
            return
        if self.proc.poll() is not None:
            code = self.proc.returncode
            if self in _LIVE_DAEMONS:
                _LIVE_DAEMONS.remove(self)
            if self.expected_exit is not None:
                raise DaemonError(f"mosaicod had already exited (code {code}) before teardown.\n{self.log_tail()}")
            return
        code = self.stop()
        if code is None:
            raise DaemonError(
                f"mosaicod did not exit within {SHUTDOWN_TIMEOUT_S}s of SIGTERM (killed).\n{self.log_tail()}"
            )
        if code != 0:
            raise DaemonError(f"mosaicod exited with code {code} on SIGTERM, want 0.\n{self.log_tail()}")

    # -- logs ----------------------------------------------------------------------------------------------------------
    def log_size(self) -> int:
        try:
            return os.path.getsize(self.log_path)
        except OSError:
            return 0

    def log_text(self, since: int = 0) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(since)
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 120, since: int = 0) -> str:
        text = self.log_text(since).splitlines()
        cut = text[-lines:]
        head = f"----- mosaicod stderr ({self.log_path}), last {len(cut)} of {len(text)} lines -----"
        return "\n".join([head, *cut])


# ----------------------------------------------------------------------------------------------------------------------
# Fixtures
# ----------------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _log_dir():
    d = tempfile.mkdtemp(prefix="mosaicod-it-logs-")
    yield d
    # logs are left behind only if something failed; they are small
    if os.environ.get("MOSAICOD_KEEP_LOGS") != "1":
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def daemon(tmp_path_factory, _log_dir):
    data_dir = str(tmp_path_factory.mktemp("mosaicod-data-shared"))
    args = ["--chunk-size-mb", SHARED_CHUNK_MB] if SHARED_CHUNK_MB else []
    args += ["--max-message-mb", SHARED_MAX_MSG_MB] if SHARED_MAX_MSG_MB else []
    d = Daemon(data_dir, _log_dir, extra_args=args).start()
    yield d
    d.shutdown_checked()


def shutdown_all_checked(daemons) -> None:
    """Stops every daemon (exit code and log checked: Daemon.shutdown_checked), then fails the test naming each one
    that misbehaved -- all are stopped even when the first fails."""
    errors = []
    for d in daemons:
        try:
            d.shutdown_checked()
        except AssertionError as e:
            errors.append(str(e))
    if errors:
        pytest.fail("\n\n".join(errors), pytrace=False)


@pytest.fixture
def daemon_factory(tmp_path, _log_dir):
    started: list[Daemon] = []

    def start(data_dir: Optional[str] = None, extra_args=(), env_only: bool = False) -> Daemon:
        dd = data_dir or str(tmp_path / f"data-{len(started)}")
        d = Daemon(dd, _log_dir, extra_args=extra_args, env_only=env_only)
        started.append(d)
        d.start()
        return d

    yield start
    shutdown_all_checked(started)


@pytest.fixture(scope="module")
def module_daemon_factory(tmp_path_factory, _log_dir):
    """Module-scoped twin of daemon_factory: start(extra_args=()) -> Daemon with its own data dir, for a module that
    needs a catalog holding only its own data (the query tests). Stopped (exit code 0 checked) after the module."""
    started: list[Daemon] = []

    def start(extra_args=(), data_dir: Optional[str] = None) -> Daemon:
        dd = data_dir or str(tmp_path_factory.mktemp("mosaicod-data-module"))
        d = Daemon(dd, _log_dir, extra_args=extra_args)
        started.append(d)
        d.start()
        return d

    yield start
    shutdown_all_checked(started)


@pytest.fixture
def fresh_daemon(daemon_factory):
    return daemon_factory()


@pytest.fixture
def flight(daemon):
    c = fl.FlightClient(daemon.location)
    yield c
    c.close()


@pytest.fixture
def client(daemon):
    from mosaicolabs import MosaicoClient

    c = MosaicoClient.connect(daemon.host, daemon.port, timeout=10)
    yield c
    c.close()


def _sanitize(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_")[:48] or "t"


@pytest.fixture
def new_name(request):
    base = _sanitize(request.node.name)

    def make(prefix: str = "") -> str:
        p = _sanitize(prefix) + "_" if prefix else ""
        return f"it_{p}{base}_{uuid.uuid4().hex[:10]}"

    return make


@pytest.fixture
def seq_name(new_name):
    return new_name()


def unique_name(prefix: str) -> str:
    """For module/session scoped fixtures, which cannot use `new_name`."""
    return f"it_{_sanitize(prefix)}_{uuid.uuid4().hex[:10]}"


# ----------------------------------------------------------------------------------------------------------------------
# Attach daemon stderr to failing test reports
# ----------------------------------------------------------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    item._mosaicod_log_offsets = {id(d): d.log_size() for d in _ALL_DAEMONS}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if not rep.failed:
        return
    offsets = getattr(item, "_mosaicod_log_offsets", {})
    for d in list(_ALL_DAEMONS):
        since = offsets.get(id(d), 0)
        if d.log_size() <= since and d not in _LIVE_DAEMONS:
            continue
        rep.sections.append((f"mosaicod stderr {d.location} ({rep.when})", d.log_tail(lines=150, since=since)))
