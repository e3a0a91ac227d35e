"""Health and metrics (issue 11, part 3; docs/OPERATIONS.md): the daemon's HTTP listener answers /healthz, /readyz
(catalog and store reachable, 503 with the reason otherwise), /metrics in the Prometheus text format; the counters
move with SDK traffic; every metric the docs list is on the page; promtool accepts the page; a real Prometheus
server (Debian's `prometheus`, run directly with a temporary config, never the system service) scrapes it.

Every daemon here gets an explicit free --http-port: several daemons run at once in the suite. Runs in both storage
passes: the store outage is a renamed directory (local) or a cut TCP line to the S3 server (s3 mode); the catalog
outage a cut line to the PostgreSQL server (postgres mode; a SQLite file that an open connection holds cannot be
taken away).
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
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pyarrow.flight as fl
import pytest
from mosaicolabs import IMU, Message, MosaicoClient, Vector3d

import conftest
from conftest import CATALOG_MODE, MOSAICOD_BIN, STORE_MODE, storage_args
from mosaico_testlib import (
    action,
    create_sequence,
    create_session,
    create_topic,
    expect_error,
    get_info,
    put_descriptor,
    simple_batch,
    simple_schema,
    wait_until,
)

MS = 1_000_000
BASE = 1_700_000_000_000_000_000
DOCS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "docs",
                    "OPERATIONS.md")
PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port: int, path: str, timeout: float = 10.0) -> tuple[int, str, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
            return r.status, r.read().decode(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), dict(e.headers)


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text: str) -> dict:
    """{(name, frozenset(labels)): value} of every sample line."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        labels = frozenset(_LABEL.findall(m.group(2) or ""))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def value(samples: dict, name: str, **labels) -> float:
    """The sample `name` with exactly these labels (0 when absent)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: dict, name: str, **labels) -> float:
    """Sum of every sample of `name` whose labels include these."""
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= set(ls))


def scrape(port: int) -> dict:
    status, body, _ = http_get(port, "/metrics")
    assert status == 200, body
    return parse(body)


def start(daemon_factory, extra=(), http_port=None):
    port = http_port or free_port()
    d = daemon_factory(extra_args=["--http-port", str(port), *extra])
    d.http_port = port
    return d


def imu_messages(n):
    return [Message(timestamp_ns=BASE + i * MS,
                    data=IMU(acceleration=Vector3d(x=i * 0.5, y=-1.0, z=9.81),
                             angular_velocity=Vector3d(x=0, y=0, z=i)))
            for i in range(n)]


def upload(d, seq: str, n: int):
    with MosaicoClient.connect(d.host, d.port, timeout=10) as client:
        with client.sequence_create(seq, {"run": "metrics"}) as w:
            tw = w.topic_create("/imu", {"rate": 1000}, IMU)
            for m in imu_messages(n):
                tw.push(m)


def documented_metrics() -> list[str]:
    """Every metric name in the docs' table (first column, `name`)."""
    with open(DOCS) as f:
        text = f.read()
    names = re.findall(r"^\| `((?:mosaicod|process)_[a-z_]+)`", text, flags=re.M)
    assert len(names) >= 20, f"no metric table found in {DOCS}"
    return names


# ----------------------------------------------------------------------------------------------------------------------


def test_endpoints_answer_and_the_page_lists_every_documented_metric(daemon_factory):
    d = start(daemon_factory)
    status, body, headers = http_get(d.http_port, "/healthz")
    assert (status, body) == (200, "ok\n")
    status, body, _ = http_get(d.http_port, "/readyz")
    assert (status, body) == (200, "ready\n"), body
    status, page, headers = http_get(d.http_port, "/metrics")
    assert status == 200
    assert headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    for name in documented_metrics():
        assert f"# TYPE {name} " in page, f"{name} is documented but not on /metrics"
    # ... and the other way round: nothing on the page is undocumented.
    on_page = set(re.findall(r"^# TYPE (\S+) ", page, flags=re.M))
    assert on_page <= set(documented_metrics()), f"undocumented: {sorted(on_page - set(documented_metrics()))}"
    assert 'mosaicod_build_info{version="' in page
    assert http_get(d.http_port, "/nope")[0] == 404
    req = urllib.request.Request(f"http://127.0.0.1:{d.http_port}/metrics", data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=5)
    assert err.value.code == 405
    assert f"event=http_listening uri=http://127.0.0.1:{d.http_port}" in d.log_text()


@pytest.mark.skipif(not os.path.exists(PROMTOOL), reason="promtool (Debian prometheus) not installed")
def test_promtool_accepts_the_page(daemon_factory, new_name):
    d = start(daemon_factory)
    upload(d, new_name(), 50)
    _, page, _ = http_get(d.http_port, "/metrics")
    out = subprocess.run([PROMTOOL, "check", "metrics"], input=page, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stdout + out.stderr


def test_counters_move_with_sdk_traffic(daemon_factory, new_name):
    d = start(daemon_factory, extra=["--chunk-size-mb", "1", "--max-message-mb", "1"])
    before = scrape(d.http_port)
    n = 3000
    seq = new_name()
    upload(d, seq, n)
    with MosaicoClient.connect(d.host, d.port, timeout=10) as client:
        got = [m.data.acceleration.x for m in client.topic_handler(seq, "/imu").get_data_streamer()]
    assert len(got) == n
    flight = fl.FlightClient(d.location)
    items = action(flight, "query", {"sequence": {"name": {"$eq": seq}}})["items"]
    assert [i["sequence"] for i in items] == [seq]
    after = scrape(d.http_port)
    # (The SDK probes names with GetFlightInfo too: count this one call alone.)
    expect_error("NOT_FOUND", get_info, flight, "it_no_such_sequence_" + uuid.uuid4().hex[:8])
    flight.close()
    not_found = scrape(d.http_port)
    assert value(not_found, "mosaicod_rpc_requests_total", method="GetFlightInfo", code="NOT_FOUND") - \
        value(after, "mosaicod_rpc_requests_total", method="GetFlightInfo", code="NOT_FOUND") == 1

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("mosaicod_rpc_requests_total", method="DoPut", code="OK") == 1
    assert delta("mosaicod_rpc_duration_seconds_count", method="DoPut") == 1
    assert delta("mosaicod_rows_received_total") == n
    assert delta("mosaicod_bytes_received_total") > n * 8  # 7 float64/int64 columns per row, at least
    assert delta("mosaicod_uploads_total", outcome="committed") == 1
    assert delta("mosaicod_uploads_total", outcome="aborted") == 0
    assert delta("mosaicod_rpc_requests_total", method="DoGet", code="OK") >= 1
    assert delta("mosaicod_rows_sent_total") == n
    assert delta("mosaicod_bytes_sent_total") > n * 8
    assert delta("mosaicod_action_requests_total", action="query", code="OK") == 1
    assert delta("mosaicod_query_duration_seconds_count", action="query") == 1
    assert delta("mosaicod_action_requests_total", action="sequence_create", code="OK") == 1
    assert delta("mosaicod_store_bytes_written_total") > 0
    # Histogram consistency: the +Inf bucket is the count.
    assert value(after, "mosaicod_rpc_duration_seconds_bucket", method="DoPut", le="+Inf") == \
        value(after, "mosaicod_rpc_duration_seconds_count", method="DoPut")
    # Nothing left open once the calls ended.
    assert total(after, "mosaicod_open_streams") == 0
    assert value(after, "mosaicod_rpc_in_flight", method="DoPut") == 0
    assert value(after, "mosaicod_rpc_in_flight", method="DoGet") == 0
    # The catalog figures (cached a few seconds) and the finalize's compaction job catch up.
    wait_until(lambda: value(scrape(d.http_port), "mosaicod_catalog_sequences") >= 1, timeout=20,
               what="mosaicod_catalog_sequences >= 1")
    wait_until(lambda: value(scrape(d.http_port), "mosaicod_catalog_topics") >= 1, timeout=20,
               what="mosaicod_catalog_topics >= 1")
    # The jobs the scheduler enqueues at start (sweep, job pruning; the full store GC is off by default) ran on
    # this daemon's worker.
    wait_until(lambda: value(scrape(d.http_port), "mosaicod_job_runs_total", kind="prune_jobs", outcome="done") >= 1,
               timeout=30, what="a prune_jobs job run counted")
    page = scrape(d.http_port)
    assert value(page, "mosaicod_job_duration_seconds_count", kind="prune_jobs") >= 1
    assert value(page, "process_resident_memory_bytes") > 0


def test_an_aborted_upload_and_refused_calls_are_counted(daemon_factory, new_name):
    d = start(daemon_factory, extra=["--auth", "on"])
    before = scrape(d.http_port)
    flight = fl.FlightClient(d.location)
    # No API key: refused by the auth middleware, still counted (the metrics middleware runs first).
    expect_error("UNAUTHENTICATED", action, flight, "sequence_create", {"name": new_name()})
    flight.close()
    after = scrape(d.http_port)
    assert value(after, "mosaicod_rpc_requests_total", method="DoAction", code="UNAUTHENTICATED") - \
        value(before, "mosaicod_rpc_requests_total", method="DoAction", code="UNAUTHENTICATED") == 1


def test_an_aborted_upload_is_counted(daemon_factory, new_name):
    d = start(daemon_factory, extra=["--upload-idle-timeout-seconds", "1"])
    flight = fl.FlightClient(d.location)
    seq = new_name()
    create_sequence(flight, seq, {})
    session, _ = create_session(flight, seq)
    topic_uuid = create_topic(flight, session, f"{seq}/x")
    schema = simple_schema()
    before = scrape(d.http_port)

    def paused_upload():
        writer, _ = flight.do_put(put_descriptor(f"{seq}/x", topic_uuid), schema)
        try:
            writer.write_batch(simple_batch(schema, [BASE + i * MS for i in range(100)]))
            wait_until(lambda: value(scrape(d.http_port), "mosaicod_open_streams", rpc="DoPut") == 1, timeout=10,
                       what="the DoPut stream is open")
            assert value(scrape(d.http_port), "mosaicod_rpc_in_flight", method="DoPut") == 1
            time.sleep(1.5)  # longer than the idle limit: the daemon aborts the upload
            writer.write_batch(simple_batch(schema, [BASE + 1000 * MS]))
            writer.done_writing()
        finally:
            writer.close()

    expect_error("DEADLINE_EXCEEDED", paused_upload)
    flight.close()
    after = scrape(d.http_port)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("mosaicod_uploads_total", outcome="aborted") == 1
    assert delta("mosaicod_uploads_total", outcome="committed") == 0
    assert delta("mosaicod_rpc_requests_total", method="DoPut", code="DEADLINE_EXCEEDED") == 1
    assert delta("mosaicod_rows_received_total") == 100  # the late batch is refused before it is counted
    assert value(after, "mosaicod_open_streams", rpc="DoPut") == 0
    assert value(after, "mosaicod_rpc_in_flight", method="DoPut") == 0


# ---------------------------------------------------------------------------------------------------------- readiness


def _readyz_fails(port: int, mentions: str, timeout: float = 30.0) -> str:
    """Waits until /readyz answers 503 mentioning `mentions`; returns the body. Each answer within a few seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        started = time.monotonic()
        status, body, _ = http_get(port, "/readyz", timeout=10)
        assert time.monotonic() - started < 5, "readyz must answer within its probe timeout"
        last = (status, body)
        if status == 503 and mentions in body:
            assert body.startswith("not ready\n"), body
            return body
        time.sleep(0.2)
    raise AssertionError(f"/readyz never failed mentioning {mentions!r}; last answer {last!r}")


def _readyz_recovers(port: int, timeout: float = 60.0):
    wait_until(lambda: http_get(port, "/readyz")[0] == 200, timeout=timeout, interval=0.3, what="/readyz back to 200")


def test_readyz_fails_while_the_store_is_unavailable(daemon_factory, tmp_path):
    if STORE_MODE == "s3":
        from s3_server import TcpProxy, daemon_store_args

        data_dir = str(tmp_path / "data")
        storage_args(data_dir)  # starts the suite's S3 server if this is the first test to need it
        proxy = TcpProxy(conftest._S3_SERVER.port)  # this test's own line to it, so cutting it disturbs no other test
        try:
            store = daemon_store_args(conftest.S3_BUCKET, "readyz-" + uuid.uuid4().hex[:8], proxy.port)
            d = start(daemon_factory, extra=store)
            assert http_get(d.http_port, "/readyz")[0] == 200
            proxy.cut()
            body = _readyz_fails(d.http_port, "store: ")
            assert "catalog:" not in body, body
            assert http_get(d.http_port, "/healthz")[0] == 200  # alive, just not ready
            proxy.restore()
            _readyz_recovers(d.http_port)
            assert d.stop() == 0  # before its line to the server goes
        finally:
            proxy.close()
        return
    d = start(daemon_factory)
    store_dir = os.path.join(d.data_dir, "store")
    moved = store_dir + "-away"
    os.rename(store_dir, moved)
    try:
        body = _readyz_fails(d.http_port, "store: ")
        assert f"store directory '{store_dir}' does not exist" in body, body
        assert "catalog:" not in body, body
        assert http_get(d.http_port, "/healthz")[0] == 200
    finally:
        os.rename(moved, store_dir)
    _readyz_recovers(d.http_port)


@pytest.mark.skipif(CATALOG_MODE != "postgres",
                    reason="a SQLite catalog file stays readable through the daemon's open connection")
def test_readyz_fails_while_the_catalog_is_unavailable(daemon_factory, tmp_path):
    from s3_server import TcpProxy

    data_dir = str(tmp_path / "data")
    url = storage_args(data_dir)[storage_args(data_dir).index("--catalog") + 1]
    parsed = urllib.parse.urlsplit(url)
    proxy = TcpProxy(parsed.port)
    try:
        proxied = parsed._replace(netloc=f"{parsed.username}@127.0.0.1:{proxy.port}").geturl()
        d = start(daemon_factory, extra=["--catalog", proxied])
        assert http_get(d.http_port, "/readyz")[0] == 200
        proxy.cut()
        body = _readyz_fails(d.http_port, "catalog: ")
        assert "store:" not in body, body
        assert http_get(d.http_port, "/healthz")[0] == 200
        # /metrics still answers, with the last catalog figures.
        status, page, _ = http_get(d.http_port, "/metrics")
        assert status == 200 and "mosaicod_rpc_requests_total" in page
        proxy.restore()
        _readyz_recovers(d.http_port)
        assert d.stop() == 0  # before its line to the server goes
    finally:
        proxy.close()


def test_readyz_is_503_once_shutdown_begins(daemon_factory, new_name):
    d = start(daemon_factory, extra=["--upload-idle-timeout-seconds", "30"])
    # An upload in flight keeps the daemon draining (up to its grace period) after SIGTERM.
    flight = fl.FlightClient(d.location)
    seq = new_name()
    create_sequence(flight, seq, {})
    session, _ = create_session(flight, seq)
    topic_uuid = create_topic(flight, session, f"{seq}/x")
    schema = simple_schema()
    writer, _ = flight.do_put(put_descriptor(f"{seq}/x", topic_uuid), schema)
    writer.write_batch(simple_batch(schema, [BASE + i * MS for i in range(10)]))
    wait_until(lambda: value(scrape(d.http_port), "mosaicod_open_streams", rpc="DoPut") == 1, timeout=10,
               what="the DoPut stream is open")
    d.proc.send_signal(signal.SIGTERM)
    status, body = None, None
    deadline = time.monotonic() + 4
    while time.monotonic() < deadline:
        try:
            status, body, _ = http_get(d.http_port, "/readyz", timeout=2)
        except (urllib.error.URLError, ConnectionError):
            break
        if status == 503:
            break
        time.sleep(0.05)
    assert (status, body) == (503, "not ready\nshutting down\n")
    threading.Thread(target=flight.close, daemon=True).start()
    assert d.proc.wait(timeout=20) == 0
    d.expected_exit = None


# ------------------------------------------------------------------------------------------------ address settings


def test_http_port_zero_disables_the_listener(daemon_factory):
    d = daemon_factory(extra_args=["--http-port", "0"])
    assert "event=http_disabled" in d.log_text()
    assert "event=http_listening" not in d.log_text()


def test_the_env_variable_sets_the_port(daemon_factory, monkeypatch):
    port = free_port()
    monkeypatch.setenv("MOSAICOD_HTTP_PORT", str(port))
    d = daemon_factory()
    assert http_get(port, "/healthz")[0] == 200
    assert f"event=http_listening uri=http://127.0.0.1:{port}" in d.log_text()


def test_an_explicit_port_in_use_refuses_the_start_naming_it(tmp_path):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        port = blocker.getsockname()[1]
        data_dir = str(tmp_path / "data")
        out = subprocess.run([MOSAICOD_BIN, "run", "--port", "0", "--data-dir", data_dir, "--http-port", str(port),
                              *storage_args(data_dir)], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert f"127.0.0.1:{port}" in out.stderr and "--http-port" in out.stderr, out.stderr[-2000:]
    assert "event=listening" not in out.stderr, "Flight must not start when the monitoring port is refused"


def test_the_default_port_when_taken_only_warns(daemon_factory):
    # Whether 6727 is free or not on this machine, holding it makes it taken: the daemon still serves Flight.
    blocker = socket.socket()
    try:
        try:
            blocker.bind(("127.0.0.1", 6727))
            blocker.listen(1)
        except OSError:
            pass  # taken by someone else already: the same situation
        d = daemon_factory()  # no --http-port
        assert "event=http_unavailable address=127.0.0.1:6727" in d.log_text(), d.log_tail()
    finally:
        blocker.close()


# --------------------------------------------------------------------------------------------------------- Prometheus


@pytest.mark.skipif(not os.path.exists(PROMETHEUS), reason="Debian prometheus not installed (scripts/setup.sh "
                                                           "--with-tests)")
def test_a_prometheus_server_scrapes_the_daemon(daemon_factory, new_name):
    d = start(daemon_factory)
    n = 500
    upload(d, new_name(), n)
    workdir = tempfile.mkdtemp(prefix="mosaicod-prometheus-")
    prom_port = free_port()
    config = os.path.join(workdir, "prometheus.yml")
    with open(config, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n"
                "scrape_configs:\n  - job_name: mosaicod\n    static_configs:\n"
                f"      - targets: ['127.0.0.1:{d.http_port}']\n")
    log = open(os.path.join(workdir, "prometheus.log"), "wb")
    prom = subprocess.Popen([PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={workdir}/data",
                             f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=warn"],
                            stdout=log, stderr=log, stdin=subprocess.DEVNULL)

    def query(expr: str) -> list:
        url = f"http://127.0.0.1:{prom_port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                reply = json.load(r)
        except (urllib.error.URLError, ConnectionError):
            return []
        assert reply["status"] == "success", reply
        return reply["data"]["result"]

    try:
        def scraped(expr):
            result = query(expr)
            return bool(result) and float(result[0]["value"][1]) > 0

        wait_until(lambda: scraped('up{job="mosaicod"} == 1'), timeout=60, interval=0.5,
                   what='Prometheus scraped the daemon (up{job="mosaicod"} == 1)')
        wait_until(lambda: scraped('mosaicod_rpc_requests_total{job="mosaicod",method="DoPut",code="OK"}'), timeout=30,
                   interval=0.5, what="the DoPut counter in Prometheus")
        rows = query('mosaicod_rows_received_total{job="mosaicod"}')
        assert float(rows[0]["value"][1]) == n, rows
        # A histogram works as one: a latency quantile over the scraped buckets.
        wait_until(lambda: query('histogram_quantile(0.5, sum by (le) '
                                 '(mosaicod_rpc_duration_seconds_bucket{job="mosaicod",method="DoPut"}))'),
                   timeout=10, interval=0.5, what="a DoPut latency quantile")
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{prom_port}/api/v1/targets", timeout=5))
        active = targets["data"]["activeTargets"]
        assert [t["health"] for t in active] == ["up"], active
        assert not active[0]["lastError"], active
    finally:
        prom.terminate()
        try:
            prom.wait(timeout=20)
        except subprocess.TimeoutExpired:
            prom.kill()
        log.close()
        shutil.rmtree(workdir, ignore_errors=True)
