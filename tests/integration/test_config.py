"""Configuration as the reference mosaicod does it, plus ours (issue 11, part 2; docs/CONFIGURATION.md): the real
daemon started from a config file, and from the reference daemon's environment variables; `mosaicod server`,
`--version`, `mosaicod cleanup`; config errors and the search path; admin commands refusing a missing data dir.

Both suite passes run these: with MOSAICOD_TEST_CATALOG=postgres / MOSAICOD_TEST_STORE=s3 the config file and the
reference variables name the suite's PostgreSQL database and S3 server instead of a SQLite file and a directory.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import time
import urllib.parse
import uuid

import pyarrow.flight as fl
import pyarrow.fs as pafs
import pytest
from mosaicolabs import IMU, Message, MosaicoClient, Vector3d

import conftest
from conftest import (CATALOG_MODE, HOST, MOSAICOD_BIN, STORE_MODE, Daemon, _free_port, catalog_sql,
                      shutdown_all_checked, storage_args)
from mosaico_testlib import action, app_md, create_sequence, create_session, create_topic, expect_error, get_info
from mosaico_testlib import put_batches, simple_batch, simple_schema

MS = 1_000_000
BASE = 1_700_000_000_000_000_000


def version() -> str:
    out = subprocess.run([MOSAICOD_BIN, "--version"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    m = re.fullmatch(r"mosaicod (\d+\.\d+\.\d+\S*)\n", out.stdout)
    assert m, out.stdout
    return m.group(1)


def clean_env(keep_config_file: bool = True, **extra: str) -> dict:
    """The test process's environment without MOSAICOD_* settings (the suite's own MOSAICOD_TEST_* stay: they are
    unknown to the daemon, which only warns), plus `extra`. MOSAICOD_CONFIG_FILE (conftest's empty file, so that a
    config.toml installed on the machine is never read) stays unless `keep_config_file` is False."""
    keep = ("MOSAICOD_TEST", "MOSAICOD_CONFIG_FILE") if keep_config_file else ("MOSAICOD_TEST",)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOSAICOD_") or k.startswith(keep)}
    env.update(extra)
    return env


class ConfiguredDaemon(Daemon):
    """A daemon configured by a config file and/or variables instead of the suite's flags."""

    def __init__(self, argv: list[str], env: dict, data_dir: str, log_dir: str, port: int, cwd: str | None = None):
        super().__init__(data_dir, log_dir, port=port)
        self.argv, self.env, self.cwd = argv, env, cwd

    def command(self) -> list[str]:
        return [MOSAICOD_BIN, *self.argv]

    def start(self) -> "ConfiguredDaemon":
        log = open(self.log_path, "ab")
        shown = {k: v for k, v in self.env.items() if k.startswith("MOSAICOD_") and "SECRET" not in k}
        log.write(f"\n===== start: {' '.join(self.command())}\n      env: {shown}\n".encode())
        log.flush()
        self.proc = subprocess.Popen(self.command(), stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=self.env,
                                     cwd=self.cwd)
        log.close()
        self.expected_exit = 0
        conftest._LIVE_DAEMONS.append(self)
        if self not in conftest._ALL_DAEMONS:
            conftest._ALL_DAEMONS.append(self)
        try:
            self._wait_ready()
        except BaseException:
            self._force_kill()
            raise
        return self

    def log_lines(self) -> list[str]:
        text = self.log_text()
        return [line for line in text.splitlines() if line and not line.startswith(("=====", "      env:"))]


@pytest.fixture
def configured(_log_dir):
    started: list[ConfiguredDaemon] = []

    def start(argv, env, data_dir, port=None, cwd=None) -> ConfiguredDaemon:
        d = ConfiguredDaemon(argv, env, data_dir, _log_dir, port or _free_port(), cwd=cwd)
        started.append(d)
        return d.start()

    yield start
    shutdown_all_checked(started)


def sdk_roundtrip(d: Daemon, seq: str, n: int = 500):
    msgs = [Message(timestamp_ns=BASE + i * MS,
                    data=IMU(acceleration=Vector3d(x=i * 0.5, y=-1.0, z=9.81), angular_velocity=Vector3d(x=0, y=0, z=i)))
            for i in range(n)]
    with MosaicoClient.connect(d.host, d.port, timeout=10) as client:
        with client.sequence_create(seq, {"test": "config"}) as w:
            tw = w.topic_create("/imu", {"rate": 1000}, IMU)
            for m in msgs:
                tw.push(m)
        assert seq in client.list_sequences()
        got = [m.data.acceleration.x for m in client.topic_handler(seq, "/imu").get_data_streamer()]
    assert got == [m.data.acceleration.x for m in msgs]


def info(d: Daemon) -> dict:
    client = fl.FlightClient(d.location)
    try:
        return action(client, "info", {})
    finally:
        client.close()


def flag_value(args: list[str], flag: str) -> str:
    return args[args.index(flag) + 1]


def s3_keys(bucket_and_prefix: str) -> list[str]:
    fs = conftest._S3_SERVER.filesystem()
    return [i.path for i in fs.get_file_info(pafs.FileSelector(bucket_and_prefix, recursive=True, allow_not_found=True))]


def toml_str(s: str) -> str:
    return json.dumps(s)  # a JSON string is a valid TOML basic string


# ----------------------------------------------------------------------------------------------------------------------
# Version, `server`, a config file
# ----------------------------------------------------------------------------------------------------------------------


def test_version_flag_info_reply_and_start_line(daemon):
    v = version()
    assert info(daemon)["version"] == v
    assert re.search(rf"event=start version={re.escape(v)} command=server config_file=", daemon.log_text())


def test_server_from_a_config_file(configured, tmp_path, new_name):
    """`mosaicod server --config FILE` and nothing else: host, port, data dir, limits, logging from the file; the
    catalog and store of the suite's pass too (PostgreSQL database, S3 bucket prefix) when it runs on those."""
    data_dir = str(tmp_path / "data")
    port = _free_port()
    lines = [
        "[server]", f"host = {toml_str(HOST)}", f"port = {port}",
        "[storage]", f"data_dir = {toml_str(data_dir)}",
        "[limits]", "max_message_mb = 2",
        "[logging]", 'level = "info"', 'format = "json"',
    ]
    args = storage_args(data_dir)
    if "--catalog" in args:
        lines += ["[database]", f"url = {toml_str(flag_value(args, '--catalog'))}"]
    if "--store" in args:
        secret = tmp_path / "store_secret"
        secret.write_text(flag_value(args, "--store-secret-key") + "\n")
        lines += ["[store]", f"uri = {toml_str(flag_value(args, '--store'))}",
                  f"endpoint = {toml_str(flag_value(args, '--store-endpoint'))}",
                  f"scheme = {toml_str(flag_value(args, '--store-scheme'))}",
                  f"region = {toml_str(flag_value(args, '--store-region'))}",
                  f"access_key = {toml_str(flag_value(args, '--store-access-key'))}",
                  f"secret_key_file = {toml_str(str(secret))}"]
    config = tmp_path / "config.toml"
    config.write_text("\n".join(lines) + "\n")

    d = configured(["server", "--config", str(config)], clean_env(), data_dir, port=port)
    assert info(d)["config"]["grpc_max_decode_message_size"] == 2 << 20
    seq = new_name()
    sdk_roundtrip(d, seq)

    records = [json.loads(line) for line in d.log_lines()]  # every line is JSON
    start = next(r for r in records if r.get("event") == "start")
    assert start["command"] == "server" and start["config_file"] == str(config) and start["version"] == version()
    assert start["level"] == "info" and start["ts"].endswith("Z")
    listening = next(r for r in records if r.get("event") == "listening")
    assert listening["uri"] == f"grpc://{HOST}:{port}"

    # The data landed where the file says.
    if CATALOG_MODE == "postgres":
        assert seq in catalog_sql(data_dir, "SELECT name FROM sequences")
    else:
        con = sqlite3.connect(f"file:{data_dir}/catalog.db?mode=ro", uri=True)
        assert (seq,) in con.execute("SELECT name FROM sequences").fetchall()
        con.close()
    if STORE_MODE == "s3":
        store = flag_value(args, "--store")[len("s3://"):]
        assert any(f"/sequences/{seq}/" in k for k in s3_keys(store))
    else:
        assert os.path.isdir(os.path.join(data_dir, "store", "sequences", seq))


def test_reference_environment(configured, tmp_path, new_name):
    """The reference daemon's variables: MOSAICOD_DB_URL (sqlite:/// or postgresql://, user and password apart),
    MOSAICOD_STORE_ENDPOINT + MOSAICOD_STORE_BUCKET (file:///dir, or http://host:port of the S3 server),
    MOSAICOD_STORE_ACCESS_KEY / _SECRET_KEY_FILE, MOSAICOD_LOG_LEVEL=warning, MOSAICOD_LOG_FORMAT=json. Started in
    an empty working directory: nothing may land in ./data."""
    work = tmp_path / "cwd"
    work.mkdir()
    port = _free_port()
    env = clean_env(MOSAICOD_HOST=HOST, MOSAICOD_PORT=str(port), MOSAICOD_LOG_LEVEL="warning",
                    MOSAICOD_LOG_FORMAT="json", MOSAICOD_NOT_A_SETTING="1")
    key_dir = str(tmp_path / "keys")  # the suite's PostgreSQL database is keyed by a data dir path
    args = storage_args(key_dir)
    if CATALOG_MODE == "postgres":
        url = urllib.parse.urlsplit(flag_value(args, "--catalog"))
        password = tmp_path / "db_password"
        password.write_text("unused-with-trust-auth\n")
        env.update(MOSAICOD_DB_URL=url._replace(netloc=f"{url.hostname}:{url.port}").geturl(),
                   MOSAICOD_DB_USER=url.username, MOSAICOD_DB_PASSWORD_FILE=str(password))
    else:
        env["MOSAICOD_DB_URL"] = f"sqlite:///{tmp_path}/catalog/catalog.db"
    bucket = "mosaico-ref-" + uuid.uuid4().hex[:8]
    if STORE_MODE == "s3":
        conftest._S3_SERVER.create_bucket(bucket)
        secret = tmp_path / "store_secret"
        secret.write_text(flag_value(args, "--store-secret-key"))
        endpoint = flag_value(args, "--store-endpoint")
        env.update(MOSAICOD_STORE_ENDPOINT=f"http://{endpoint}", MOSAICOD_STORE_BUCKET=bucket,
                   MOSAICOD_STORE_ACCESS_KEY=flag_value(args, "--store-access-key"),
                   MOSAICOD_STORE_SECRET_KEY_FILE=str(secret))
    else:
        env.update(MOSAICOD_STORE_ENDPOINT=f"file://{tmp_path}/stores", MOSAICOD_STORE_BUCKET=bucket)

    d = configured(["server"], env, key_dir, port=port, cwd=str(work))
    seq = new_name()
    sdk_roundtrip(d, seq)

    records = [json.loads(line) for line in d.log_lines()]
    assert records, "no log line at all"
    assert {r["level"] for r in records} <= {"warning", "error", "critical"}, records
    assert any(r.get("event") == "config_unknown_variable" and r.get("name") == "MOSAICOD_NOT_A_SETTING"
               for r in records), records
    assert not any(r.get("event") == "config_unknown_variable" and r.get("name", "").startswith(("MOSAICOD_DB_",
                   "MOSAICOD_STORE_", "MOSAICOD_LOG_")) for r in records), records

    if CATALOG_MODE == "postgres":
        assert seq in catalog_sql(key_dir, "SELECT name FROM sequences")
    else:
        con = sqlite3.connect(f"file:{tmp_path}/catalog/catalog.db?mode=ro", uri=True)
        assert (seq,) in con.execute("SELECT name FROM sequences").fetchall()
        con.close()
    if STORE_MODE == "s3":
        assert any(f"/sequences/{seq}/" in k for k in s3_keys(bucket))
    else:
        assert os.path.isdir(tmp_path / "stores" / bucket / "sequences" / seq)
    assert os.listdir(work) == [], "the daemon wrote into its working directory"


# ----------------------------------------------------------------------------------------------------------------------
# Errors, the search path, precedence across sources
# ----------------------------------------------------------------------------------------------------------------------


def run(args, env=None, cwd=None, timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run([MOSAICOD_BIN, *args], capture_output=True, text=True, env=env or clean_env(), cwd=cwd,
                          timeout=timeout)


def test_config_errors_stop_the_start_naming_key_and_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[server]\nport = 7000\nhostt = "0.0.0.0"\n')
    out = run(["server", "--config", str(bad)])
    assert out.returncode == 2, out
    assert f"config file '{bad}' line 3: unknown key server.hostt (did you mean server.host?)" in out.stderr

    bad.write_text('[server]\nport = "7000"\n')
    out = run(["server", "--config", str(bad)])
    assert out.returncode == 2 and f"server.port in {bad} (line 2): expected an integer, got a string" in out.stderr

    bad.write_text('[store]\nsecret_key = "plain"\n')
    out = run(["server", "--config", str(bad)])
    assert out.returncode == 2 and "give its path as store.secret_key_file" in out.stderr, out.stderr

    out = run(["server", "--config", str(tmp_path / "missing.toml")])
    assert out.returncode == 2 and "--config: no such file" in out.stderr
    out = run(["server"], env=clean_env(MOSAICOD_CONFIG_FILE=str(tmp_path / "missing.toml")))
    assert out.returncode == 2 and "MOSAICOD_CONFIG_FILE: no such file" in out.stderr

    out = run(["server"], env=clean_env(MOSAICOD_PORT="http"))
    assert out.returncode == 2 and "MOSAICOD_PORT='http': not an integer" in out.stderr
    out = run(["server"], env=clean_env(MOSAICOD_TLS_ENABLED="true", MOSAICOD_TLS_CERT_FILE="/x.pem"))
    assert out.returncode == 2 and "TLS is enabled (MOSAICOD_TLS_ENABLED) but server.tls.private_key_file" in out.stderr


def test_search_path_and_precedence(tmp_path):
    xdg = tmp_path / "xdg"
    (xdg / "mosaicod").mkdir(parents=True)
    (xdg / "mosaicod" / "config.toml").write_text('[server]\nport = 7001\nhost = "10.1.1.1"\n[jobs]\nworkers = 3\n')
    named = tmp_path / "named.toml"
    named.write_text("[server]\nport = 7002\n")

    def show(args=(), **env) -> dict[str, tuple[str, str]]:
        out = run(["config", "--show", *args], env=clean_env(False, XDG_CONFIG_HOME=str(xdg), **env))
        assert out.returncode == 0, out.stderr
        settings = {}
        for line in out.stdout.splitlines():
            m = re.fullmatch(r"(\S+) = (.*?)  # (.*)", line)
            if m:
                settings[m.group(1)] = (m.group(2), m.group(3))
            elif line.startswith("# config file: "):
                settings["file"] = line[len("# config file: "):]
        return settings

    s = show()
    assert s["file"] == str(xdg / "mosaicod" / "config.toml")
    assert s["server.port"] == ("7001", f"server.port in {s['file']} (line 2)")
    assert s["jobs.workers"][0] == "3"
    s = show(MOSAICOD_CONFIG_FILE=str(named))  # the variable outranks the XDG file
    assert s["file"] == str(named) and s["server.port"][0] == "7002" and s["jobs.workers"] == ("1", "default")
    s = show(MOSAICOD_PORT="7003")
    assert s["server.port"] == ("7003", "MOSAICOD_PORT") and s["server.host"][0] == '"10.1.1.1"'
    s = show(["--port", "7004"], MOSAICOD_PORT="7003")
    assert s["server.port"] == ("7004", "--port")
    s = show(["--config", str(named)], MOSAICOD_CONFIG_FILE=str(tmp_path / "missing.toml"))
    assert s["file"] == str(named)
    # Reference spellings: a byte count for our MiB setting; the higher level wins across the two.
    s = show(MOSAICOD_MAX_GRPC_MESSAGE_SIZE=str(8 << 20))
    assert s["limits.max_message_mb"][0] == "8"
    s = show(["--max-message-mb", "3"], MOSAICOD_MAX_GRPC_MESSAGE_SIZE=str(8 << 20))
    assert s["limits.max_message_mb"] == ("3", "--max-message-mb")


def test_the_sample_config_and_the_docs_table_come_from_the_binary(tmp_path):
    sample = run(["config", "--print-toml"])
    assert sample.returncode == 0 and "[server]" in sample.stdout and "#port = 6726" in sample.stdout
    path = tmp_path / "sample.toml"
    path.write_text(sample.stdout)
    assert run(["config", "--show", "--config", str(path)]).returncode == 0
    table = run(["config", "--print-table"]).stdout
    docs = open(os.path.join(conftest._REPO, "docs", "CONFIGURATION.md")).read()
    assert table in docs, "docs/CONFIGURATION.md is out of date: paste `mosaicod config --print-table` into it"


# ----------------------------------------------------------------------------------------------------------------------
# cleanup
# ----------------------------------------------------------------------------------------------------------------------


def plant_abandoned_session(flight, seq: str) -> str:
    create_sequence(flight, seq)
    su, locator = create_session(flight, seq)
    topic = create_topic(flight, su, f"{seq}/imu", ontology_tag="imu")
    put_batches(flight, f"{seq}/imu", topic, simple_schema(), [simple_batch(simple_schema(), [BASE + i for i in range(20)])])
    return locator


def test_cleanup_once_removes_an_abandoned_session(daemon_factory, new_name):
    d = daemon_factory(extra_args=["--job-workers", "0"])  # the daemon's own sweep stays out of the way
    flight = fl.FlightClient(d.location)
    seq = new_name()
    locator = plant_abandoned_session(flight, seq)
    time.sleep(2.0)
    out = run(["cleanup", "--abandon-after-hours", str(1.0 / 3600), "--data-dir", d.data_dir,
               *storage_args(d.data_dir)], env=clean_env(), timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr[-3000:]
    assert f"removed abandoned session {seq}:" in out.stdout, out.stdout
    assert re.search(r"cleanup: 1 abandoned session\(s\) removed", out.stdout), out.stdout
    assert "event=progress op=cleanup phase=abandoned_sessions" in out.stderr
    assert "event=progress op=cleanup phase=store_garbage" in out.stderr
    assert re.search(r"event=cleanup_done run=1 sessions_checked=1 sessions_removed=1 .* ok=true", out.stderr)
    expect_error("NOT_FOUND", get_info, flight, f"{seq}/imu", what="topic of the swept session")
    assert app_md(get_info(flight, seq))["sessions"] == []
    notes = action(flight, "sequence_notification_list", {"locator": seq})["notifications"]
    assert len(notes) == 1 and notes[0]["msg"].startswith(f"abandoned session '{locator}'"), notes
    flight.close()


def test_cleanup_interval_repeats_until_sigterm(daemon_factory):
    d = daemon_factory()
    d.stop()
    proc = subprocess.Popen([MOSAICOD_BIN, "cleanup", "--interval", "0.2", "--data-dir", d.data_dir,
                             *storage_args(d.data_dir)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=clean_env(MOSAICOD_CLEANUP_RETENTION_DURATION="600"))
    try:
        time.sleep(1.5)
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr[-3000:]
    assert stdout.count("cleanup: 0 abandoned session(s) removed") >= 2, stdout
    assert "younger than 600 s" in stdout  # the reference's retention name reached the GC
    assert "event=cleanup_done run=2" in stderr and "event=cleanup_stopped" in stderr


# ----------------------------------------------------------------------------------------------------------------------
# Admin commands and a missing data dir (issue 11, part 4)
# ----------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["check"], ["rebuild"], ["api-key", "list"], ["cleanup"]])
def test_admin_commands_refuse_a_missing_data_dir(tmp_path, command):
    """Only local paths are involved (no --catalog/--store): the same in both suite passes."""
    missing = tmp_path / "nope"
    out = run([*command, "--data-dir", str(missing)], cwd=str(tmp_path))
    assert out.returncode == 2, out
    assert f"the data directory '{missing}' does not exist; nothing was created" in out.stderr, out.stderr
    assert not missing.exists()
    out = run(command, cwd=str(tmp_path))  # the default, ./data
    assert out.returncode == 2 and "the data directory './data' does not exist" in out.stderr, out.stderr
    assert os.listdir(tmp_path) == []
