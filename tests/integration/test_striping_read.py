"""Striped reads (issue 13 item 1), through raw pyarrow.flight: a GetFlightInfo descriptor with "stripes": N returns up
to N endpoints per topic, each a self-contained ticket for a time slice; fetched in any order, on any connection,
their streams concatenated in endpoint order are exactly the unstriped stream (rows, order, schema), with or without
a time window, also when the topic's chunks overlap in time (the sorted merge). Without "stripes" nothing changes:
one endpoint per topic, as the SDK expects.

One module daemon with 1 MiB chunks, one sequence:
  s/seq       ~8 MiB uploaded in time order: several chunks that follow each other
  s/overlap   batches uploaded out of time order with duplicate timestamps: chunks that overlap in time
  s/late      chunks that overlap pairwise, then a separate later stretch (cuts only where the merge order allows)
  s/empty     a topic whose upload held no row
"""

from __future__ import annotations

import json
import random
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa
import pyarrow.flight as fl
import pytest

from conftest import unique_name
from mosaico_testlib import (
    app_md,
    create_sequence,
    create_session,
    create_topic,
    expect_error,
    finalize,
    get_info,
    put_batches,
    read_ticket,
    read_topic,
    TS_FIELD,
)

BASE = 1_790_000_000_000_000_000
MS = 1_000_000
SCHEMA = pa.schema([TS_FIELD, pa.field("row", pa.int64()), pa.field("pad", pa.binary())])


def _batch(ts: list[int], first_row: int, pad: int = 240) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict(
        {"timestamp_ns": ts, "row": list(range(first_row, first_row + len(ts))), "pad": [b"x" * pad] * len(ts)},
        schema=SCHEMA)


def _sequential_batches() -> list[pa.RecordBatch]:
    out, row = [], 0
    for b in range(8):
        ts = [BASE + (b * 4000 + i) * MS for i in range(4000)]
        out.append(_batch(ts, row))
        row += len(ts)
    return out


def _overlapping_batches() -> list[pa.RecordBatch]:
    """Six ~1.3 MB batches (one chunk each) uploaded out of time order, duplicates inside each one; stretches 0-1
    and 4-5 share a timestamp, 1 and 2 overlap: the only admissible cuts are 3000 and 4000 (ms from BASE)."""
    rnd = random.Random(5)
    ranges = {0: (0, 1000), 1: (1000, 2300), 2: (2000, 3000), 3: (3000, 4000), 4: (4000, 5000), 5: (5000, 6000)}
    out, row = [], 0
    for k in (3, 1, 0, 2, 5, 4):
        lo, hi = ranges[k]
        ts = [lo + rnd.randrange(0, hi - lo) for _ in range(3999)]
        ts.append(hi if k in (0, 4) else lo)  # the shared timestamps: 1000 in 0 and 1, 5000 in 4 and 5
        out.append(_batch(sorted(BASE + t * MS for t in ts), row, pad=300))
        row += len(ts)
    return out


def _late_batches() -> list[pa.RecordBatch]:
    out, row = [], 0
    for stretch in range(3):  # each stretch: two batches that interleave, ~2 MiB, then a gap
        for parity in range(2):
            ts = [BASE + (stretch * 100_000 + 2 * i + parity) * MS for i in range(4000)]
            out.append(_batch(ts, row, pad=500))
            row += len(ts)
    return out


@pytest.fixture(scope="module")
def striped(module_daemon_factory):
    d = module_daemon_factory(extra_args=["--chunk-size-mb", "1"])
    client = fl.FlightClient(d.location)
    seq = unique_name("stripes")
    create_sequence(client, seq)
    session, _ = create_session(client, seq)
    topics = {"s/seq": _sequential_batches(), "s/overlap": _overlapping_batches(), "s/late": _late_batches(),
              "s/empty": []}
    for name, batches in topics.items():
        uuid = create_topic(client, session, f"{seq}/{name}")
        put_batches(client, f"{seq}/{name}", uuid, SCHEMA, batches)
    finalize(client, session)
    yield d, client, seq
    client.close()


def _descriptor(locator: str, stripes=None, start=None, end=None) -> fl.FlightDescriptor:
    cmd = {"resource_locator": locator}
    if stripes is not None:
        cmd["stripes"] = stripes
    if start is not None:
        cmd["timestamp_ns_start"] = start
    if end is not None:
        cmd["timestamp_ns_end"] = end
    return fl.FlightDescriptor.for_command(json.dumps(cmd))


def _concat(tables: list[pa.Table], schema: pa.Schema) -> pa.Table:
    for t in tables:
        assert t.schema.equals(schema, check_metadata=True), f"stripe schema {t.schema} != {schema}"
    return pa.concat_tables(tables) if tables else schema.empty_table()


def _read_stripes(location: str, endpoints, parallel: bool = True) -> list[pa.Table]:
    """Each stripe on its own connection, fetched concurrently (as a striping client does)."""
    def fetch(ep):
        c = fl.FlightClient(location)
        try:
            return read_ticket(c, ep.ticket)
        finally:
            c.close()
    if not parallel:
        return [fetch(ep) for ep in endpoints]
    with ThreadPoolExecutor(max_workers=len(endpoints)) as pool:
        return list(pool.map(fetch, endpoints))


def _check_stripe_metadata(endpoints, topic_md: dict):
    n = len(endpoints)
    prev_end = "unset"
    for i, ep in enumerate(endpoints):
        md = app_md(ep)
        stripe = md.pop("stripe")
        assert md == topic_md, "a stripe's app_metadata must be its topic's, plus 'stripe'"
        assert stripe["index"] == i and stripe["count"] == n
        if prev_end != "unset":
            assert stripe["timestamp_ns_start"] == prev_end, "stripes must tile the window"
        prev_end = stripe["timestamp_ns_end"]
        assert stripe["estimated_bytes"] >= 0


@pytest.mark.parametrize("topic", ["s/seq", "s/overlap", "s/late"])
@pytest.mark.parametrize("window", [(None, None), (BASE + 1234 * MS + 17, BASE + 25_000 * MS), (BASE + 2500 * MS, None)])
def test_stripes_concatenate_to_the_unstriped_stream(striped, topic, window):
    d, client, seq = striped
    loc = f"{seq}/{topic}"
    start, end = window
    plain_info = client.get_flight_info(_descriptor(loc, start=start, end=end))
    assert len(plain_info.endpoints) == 1
    want = read_ticket(client, plain_info.endpoints[0].ticket)
    assert want.num_rows > 0
    counts = set()
    for n in (2, 4, 8):
        info = client.get_flight_info(_descriptor(loc, stripes=n, start=start, end=end))
        assert info.ordered, "a striped FlightInfo is ordered"
        assert 1 <= len(info.endpoints) <= n
        assert info.total_records == plain_info.total_records and info.total_bytes == plain_info.total_bytes
        assert info.schema.equals(plain_info.schema, check_metadata=True)
        _check_stripe_metadata(info.endpoints, app_md(plain_info.endpoints[0]))
        for ep in info.endpoints:
            assert not ep.locations, "one daemon: endpoints reuse the caller's connection"
        got = _concat(_read_stripes(d.location, info.endpoints), want.schema)
        assert got.equals(want), f"{topic} window={window} stripes={n}: concatenation differs from the unstriped read"
        counts.add(len(info.endpoints))
    if topic == "s/seq" and window == (None, None):
        assert max(counts) >= 4, f"an 8-chunk topic in time order must give at least 4 stripes, got {counts}"
    if topic == "s/overlap" and window == (None, None):
        assert counts == {2, 3}, counts
    if topic == "s/late" and window == (None, None):
        # Cuts only between stretches (the pairs interleave): at most 3 stripes, however many are asked.
        assert counts == {2, 3}, counts


def test_without_stripes_nothing_changes(striped):
    _, client, seq = striped
    for stripes in (None, 1):
        info = client.get_flight_info(_descriptor(seq, stripes=stripes))
        names = [app_md(ep)["resource_locator"] for ep in info.endpoints]
        assert names == sorted(set(names)) and len(names) == 4, "one endpoint per topic"
        for ep in info.endpoints:
            assert "stripe" not in app_md(ep) and not ep.locations
        topic = client.get_flight_info(_descriptor(f"{seq}/s/seq", stripes=stripes))
        assert len(topic.endpoints) == 1 and "stripe" not in app_md(topic)


def test_sequence_stripes_are_grouped_per_topic(striped):
    d, client, seq = striped
    info = client.get_flight_info(_descriptor(seq, stripes=4))
    assert info.ordered
    groups: dict[str, list] = {}
    order: list[str] = []
    for ep in info.endpoints:
        name = app_md(ep)["resource_locator"]
        if not order or order[-1] != name:
            assert name not in groups, f"the stripes of {name} are not consecutive"
            order.append(name)
        groups.setdefault(name, []).append(ep)
    assert order == sorted(order) and len(order) == 4
    assert len(groups[f"{seq}/s/empty"]) == 1
    for name, eps in groups.items():
        want = read_topic(client, name)
        got = _concat(_read_stripes(d.location, eps, parallel=False), want.schema)
        assert got.equals(want), name


def test_a_stripe_is_a_ticket_on_its_own(striped):
    """Refetched out of order, twice, on fresh connections: identical every time."""
    d, client, seq = striped
    info = client.get_flight_info(_descriptor(f"{seq}/s/overlap", stripes=3))
    assert len(info.endpoints) >= 2
    first = _read_stripes(d.location, info.endpoints)
    again = _read_stripes(d.location, list(reversed(info.endpoints)), parallel=False)
    for a, b in zip(first, reversed(again)):
        assert a.equals(b)
    assert sum(t.num_rows for t in first) == 6 * 4000


def test_many_stripes_are_capped(striped):
    _, client, seq = striped
    info = client.get_flight_info(_descriptor(f"{seq}/s/seq", stripes=10_000))
    assert 1 <= len(info.endpoints) <= 64


def test_empty_topic_and_empty_window(striped):
    d, client, seq = striped
    info = client.get_flight_info(_descriptor(f"{seq}/s/empty", stripes=4))
    assert len(info.endpoints) == 1
    assert read_ticket(client, info.endpoints[0].ticket).num_rows == 0
    info = client.get_flight_info(_descriptor(f"{seq}/s/seq", stripes=4, start=BASE - 10 * MS, end=BASE - MS))
    assert len(info.endpoints) == 1
    assert read_ticket(client, info.endpoints[0].ticket).num_rows == 0


@pytest.mark.parametrize("bad", [0, -3, "4", 2.5, True, [2]])
def test_bad_stripes_is_invalid_argument(striped, bad):
    _, client, seq = striped
    expect_error({"INVALID_ARGUMENT"}, client.get_flight_info, _descriptor(f"{seq}/s/seq", stripes=bad),
                 mentions=["stripes"])


def test_striped_uploads_read_back_striped(striped):
    """Topics written by striped DoPuts (issue 13 item 3): chunks of different stripes interleave in time and share
    timestamps (ties come by stripe index); read striped, the concatenation is still exactly the unstriped stream."""
    from mosaico_testlib import put_striped

    d, client, _ = striped
    seq = unique_name("striped_put")
    create_sequence(client, seq)
    session, _ = create_session(client, seq)
    # w/rr: 4 stripes round-robin over one time range, stripes 0/1 and 2/3 sharing every timestamp.
    rr = [[_batch([BASE + ((b * 4000 + i) * 2 + s // 2) * MS for i in range(4000)], s * 100_000 + b * 4000, pad=300)
           for b in range(2)] for s in range(4)]
    # w/blocks: each stripe one block of time, stripe 0 the latest: upload order is not time order.
    blocks = [[_batch([BASE + ((3 - s) * 10_000 + b * 4000 + i) * MS for i in range(4000)], s * 100_000 + b * 4000,
                      pad=300) for b in range(2)] for s in range(4)]
    for name, stripe_batches in (("w/rr", rr), ("w/blocks", blocks)):
        uuid = create_topic(client, session, f"{seq}/{name}")
        put_striped(d.location, f"{seq}/{name}", uuid, SCHEMA, stripe_batches)
    finalize(client, session)
    for name in ("w/rr", "w/blocks"):
        loc = f"{seq}/{name}"
        want = read_topic(client, loc)
        assert want.num_rows == 4 * 2 * 4000
        for n in (2, 4, 8):
            for window in ((None, None), (BASE + 3000 * MS, BASE + 35_000 * MS)):
                info = client.get_flight_info(_descriptor(loc, stripes=n, start=window[0], end=window[1]))
                plain = read_ticket(client, client.get_flight_info(
                    _descriptor(loc, start=window[0], end=window[1])).endpoints[0].ticket)
                got = _concat(_read_stripes(d.location, info.endpoints), want.schema)
                assert got.equals(plain), f"{name} stripes={n} window={window}"
                if window == (None, None):
                    assert len(info.endpoints) >= 2, f"{name}: stripe-aligned flushes leave admissible cuts"


# ----------------------------------------------------------------------------------------------------------------------
# Several daemons on one catalog (issue 13 item 2): --advertise-uri, heartbeats, locations rotated over live daemons
# ----------------------------------------------------------------------------------------------------------------------

from multi_daemon_cluster import SHARED_BACKENDS, SKIP_REASON, Cluster  # noqa: E402

import conftest  # noqa: E402
from conftest import Daemon  # noqa: E402
from mosaico_testlib import wait_until  # noqa: E402

BEAT = 1.0  # --heartbeat-seconds: dead after 3 missed beats (loaded CI machines delay beats)


def _start_advertised(cluster: Cluster, n: int) -> list[Daemon]:
    out = []
    for _ in range(n):
        i = len(cluster.daemons)
        port = conftest._free_port()
        d = Daemon(f"{cluster.shared_dir}/daemon-{i}", cluster.log_dir, port=port,
                   extra_args=[*cluster.backend_args, "--advertise-uri", f"grpc://127.0.0.1:{port}",
                               "--heartbeat-seconds", str(BEAT), "--chunk-size-mb", "1"])
        cluster.daemons.append(d)
        d.start()
        cluster.clients.append(fl.FlightClient(d.location))
        out.append(d)
    return out


def _upload_sequential(client, seq: str, topic: str = "s/seq"):
    create_sequence(client, seq)
    session, _ = create_session(client, seq)
    uuid = create_topic(client, session, f"{seq}/{topic}")
    put_batches(client, f"{seq}/{topic}", uuid, SCHEMA, _sequential_batches())
    finalize(client, session)


def _uris(ep) -> list[str]:
    return [loc.uri.decode() if isinstance(loc.uri, bytes) else str(loc.uri) for loc in ep.locations]


@pytest.fixture
def advertised_cluster(tmp_path, _log_dir):
    if not SHARED_BACKENDS:
        pytest.skip(SKIP_REASON)
    c = Cluster(str(tmp_path / "shared"), _log_dir)
    yield c
    c.close()


def test_one_advertised_daemon_gives_no_locations(advertised_cluster):
    (d,) = _start_advertised(advertised_cluster, 1)
    client = advertised_cluster.clients[0]
    seq = unique_name("one_daemon")
    _upload_sequential(client, seq)
    # (Registered right after the listener opens: a client may be served a moment before the first beat.)
    wait_until(lambda: advertised_cluster.sql("SELECT uri FROM daemons") == [(f"grpc://127.0.0.1:{d.port}",)],
               what="the daemon registered")
    info = client.get_flight_info(_descriptor(f"{seq}/s/seq", stripes=4))
    assert len(info.endpoints) >= 2
    assert all(not ep.locations for ep in info.endpoints), "one live daemon: the caller's connection is reused"


def test_stripes_spread_over_live_daemons_and_dead_ones_age_out(advertised_cluster):
    d0, d1 = _start_advertised(advertised_cluster, 2)
    c0, c1 = advertised_cluster.clients
    uris = sorted(f"grpc://127.0.0.1:{d.port}" for d in (d0, d1))
    seq = unique_name("two_daemons")
    _upload_sequential(c0, seq)
    loc = f"{seq}/s/seq"
    want = read_topic(c1, loc)

    # Both daemons see both (the second one's first beat reaches the first within one interval).
    def both_listed(client):
        info = client.get_flight_info(_descriptor(loc, stripes=4))
        return info if all(sorted(_uris(ep)) == uris for ep in info.endpoints) else None
    info = wait_until(lambda: both_listed(c0), timeout=10 * BEAT + 5, what="d0 listing both daemons")
    wait_until(lambda: both_listed(c1), timeout=10 * BEAT + 5, what="d1 listing both daemons")
    assert len(info.endpoints) >= 4
    firsts = [_uris(ep)[0] for ep in info.endpoints]
    assert all(a != b for a, b in zip(firsts, firsts[1:])), f"consecutive stripes must alternate daemons: {firsts}"

    # Each stripe from the daemon its endpoint names first, then from the other one: identical, and the
    # concatenation is the unstriped stream.
    clients = {f"grpc://127.0.0.1:{d.port}": c for d, c in ((d0, c0), (d1, c1))}
    got = [read_ticket(clients[_uris(ep)[0]], ep.ticket) for ep in info.endpoints]
    other = [read_ticket(clients[_uris(ep)[1]], ep.ticket) for ep in info.endpoints]
    assert all(a.equals(b) for a, b in zip(got, other)), "a stripe fetched from either daemon must be identical"
    assert _concat(got, want.schema).equals(want)

    # Rotated per request: the next reply starts on the other daemon.
    again = c0.get_flight_info(_descriptor(loc, stripes=4))
    assert _uris(again.endpoints[0])[0] != _uris(info.endpoints[0])[0] or len(uris) == 1

    # Without "stripes": still exactly one endpoint per topic (what the SDK reads), with the locations.
    plain = c0.get_flight_info(_descriptor(seq))
    assert len(plain.endpoints) == 1 and sorted(_uris(plain.endpoints[0])) == uris

    # d1 dies without leaving the registry: after 3 missed beats d0 stops naming it (and deletes its row).
    d1.kill()
    wait_until(lambda: all(not ep.locations for ep in c0.get_flight_info(_descriptor(loc, stripes=4)).endpoints),
               timeout=10 * BEAT + 5, what="the dead daemon aging out")
    wait_until(lambda: advertised_cluster.sql("SELECT uri FROM daemons") == [(f"grpc://127.0.0.1:{d0.port}",)],
               timeout=10 * BEAT + 5, what="the dead daemon's row deleted")


def test_sdk_reads_unchanged_with_two_live_daemons(advertised_cluster):
    """The SDK 0.7.0 (no "stripes") writes through one daemon and reads through the other while endpoints carry
    locations: one endpoint per topic, all rows, in order."""
    from mosaicolabs import IMU, Message, MosaicoClient, Vector3d

    d0, d1 = _start_advertised(advertised_cluster, 2)
    wait_until(lambda: len(advertised_cluster.sql("SELECT uri FROM daemons")) == 2, what="both registered")
    seq = unique_name("sdk_two")
    rnd = random.Random(3)
    pushed = [Message(timestamp_ns=BASE + i * MS + rnd.randint(0, 999),
                      data=IMU(acceleration=Vector3d(x=rnd.random(), y=1.0, z=9.81),
                               angular_velocity=Vector3d(x=0.0, y=rnd.random(), z=0.0))) for i in range(400)]
    rnd.shuffle(pushed)
    writer = MosaicoClient.connect(d0.host, d0.port, timeout=20)
    try:
        with writer.sequence_create(seq, {"k": 1}) as w:
            tw = w.topic_create("/imu", {}, IMU)
            for m in pushed:
                tw.push(m)
    finally:
        writer.close()
    wait_until(lambda: all(len(ep.locations) == 2 for ep in
                           advertised_cluster.clients[1].get_flight_info(_descriptor(seq)).endpoints),
               timeout=10 * BEAT + 5, what="locations on d1's endpoints")
    reader = MosaicoClient.connect(d1.host, d1.port, timeout=20)
    try:
        th = reader.topic_handler(seq, "/imu")
        got = [m.timestamp_ns for m in th.get_data_streamer()]
        th.close()
        sh = reader.sequence_handler(seq)
        merged = [m.timestamp_ns for _, m in sh.get_data_streamer()]
        sh.close()
    finally:
        reader.close()
    want = sorted(m.timestamp_ns for m in pushed)
    assert got == want
    assert merged == want


def test_clean_shutdown_leaves_the_registry_at_once(advertised_cluster):
    d0, d1 = _start_advertised(advertised_cluster, 2)
    wait_until(lambda: len(advertised_cluster.sql("SELECT uri FROM daemons")) == 2, what="both registered")
    assert d1.stop() == 0
    assert advertised_cluster.sql("SELECT uri FROM daemons") == [(f"grpc://127.0.0.1:{d0.port}",)]


def test_bad_advertise_uri_refuses_to_start(tmp_path, _log_dir):
    import subprocess
    out = subprocess.run([conftest.MOSAICOD_BIN, "run", "--port", str(conftest._free_port()), "--data-dir",
                          str(tmp_path / "d"), "--http-port", "0", "--advertise-uri", "not a uri",
                          *conftest.storage_args(str(tmp_path / "d"))],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "--advertise-uri" in out.stderr + out.stdout
