"""The daemon process seen through raw Arrow Flight: restart and SIGKILL keep finalized data, SIGINT/SIGTERM exit
cleanly (also with open streams), configuration from the environment. (Protocol tests: test_flight_raw*.py.)
"""

from __future__ import annotations

import os
import signal
import time

import pyarrow.flight as fl
import pytest

from conftest import unique_name
from mosaico_testlib import (
    app_md,
    create_sequence,
    create_session,
    create_topic,
    finalize,
    get_info,
    put_batches,
    put_descriptor,
    read_ticket,
    rich_batch,
    rich_schema,
    simple_batch,
    simple_schema,
)

BASE = 1_700_000_000_000_000_000
MS = 1_000_000


def _write_small_sequence(c, seq, n_topics=2):
    schema = rich_schema()
    create_sequence(c, seq, {"restart": True, "n": n_topics})
    su, _ = create_session(c, seq)
    for i in range(n_topics):
        loc = f"{seq}/t{i}"
        tu = create_topic(c, su, loc, user_metadata={"i": i})
        put_batches(c, loc, tu, schema, [rich_batch(schema, [BASE + k * MS for k in range(300)][::-1], seed=i)])
    finalize(c, su)


def _snapshot(c, seq):
    info = get_info(c, seq)
    seq_md = app_md(info)
    topics = {}
    for ep in info.endpoints:
        md = app_md(ep)
        topics[md["resource_locator"]] = (md, read_ticket(c, ep.ticket), get_info(c, md["resource_locator"]).schema)
    return seq_md, topics


def _assert_same_snapshot(a, b, what):
    assert a[0] == b[0], f"{what}: sequence app_metadata changed\n{a[0]}\n{b[0]}"
    assert sorted(a[1]) == sorted(b[1]), f"{what}: topics changed {sorted(a[1])} vs {sorted(b[1])}"
    for loc, (md, table, schema) in a[1].items():
        md2, table2, schema2 = b[1][loc]
        assert md == md2, f"{what}: {loc} endpoint app_metadata changed\n{md}\n{md2}"
        assert schema.equals(schema2, check_metadata=True), f"{what}: {loc} schema changed"
        assert table.equals(table2), f"{what}: {loc} data changed"


def test_restart_keeps_everything(fresh_daemon):
    d = fresh_daemon
    c = fl.FlightClient(d.location)
    seq = unique_name("restart")
    _write_small_sequence(c, seq)
    before = _snapshot(c, seq)
    c.close()
    d.restart()
    c = fl.FlightClient(d.location)
    after = _snapshot(c, seq)
    _assert_same_snapshot(before, after, "after SIGTERM + restart")
    # still writable: extend with a new session
    su, _ = create_session(c, seq)
    tu = create_topic(c, su, f"{seq}/after")
    put_batches(c, f"{seq}/after", tu, simple_schema(), [simple_batch(simple_schema(), [1, 2])])
    finalize(c, su)
    assert len(app_md(get_info(c, seq))["sessions"]) == 2
    c.close()


def test_sigkill_keeps_finalized_data(fresh_daemon, daemon_factory):
    d = fresh_daemon
    c = fl.FlightClient(d.location)
    done = unique_name("killdone")
    _write_small_sequence(c, done)
    before = _snapshot(c, done)
    # leave another sequence with an open session and an open DoPut stream
    open_seq = unique_name("killopen")
    create_sequence(c, open_seq)
    su, _ = create_session(c, open_seq)
    tu = create_topic(c, su, f"{open_seq}/t")
    w, _ = c.do_put(put_descriptor(f"{open_seq}/t", tu), simple_schema())
    w.write_batch(simple_batch(simple_schema(), [1, 2, 3]))
    d.kill()
    try:
        w.close()
    except Exception:  # noqa: BLE001 - the server is gone
        pass
    c.close()
    d2 = daemon_factory(data_dir=d.data_dir)
    c = fl.FlightClient(d2.location)
    after = _snapshot(c, done)
    _assert_same_snapshot(before, after, "after SIGKILL + restart")
    # the daemon still answers about the interrupted sequence, whatever it decided to keep
    list(c.list_flights())
    c.close()


def test_sigint_exits_zero(fresh_daemon):
    code = fresh_daemon.stop(signal.SIGINT)
    assert code == 0, f"exit code on SIGINT: {code!r}\n{fresh_daemon.log_tail()}"


def test_sigterm_with_open_streams_exits_zero(fresh_daemon):
    """A client holding an open DoPut and an unread DoGet must not block a clean shutdown."""
    d = fresh_daemon
    c = fl.FlightClient(d.location)
    seq = unique_name("sigopen")
    _write_small_sequence(c, seq, n_topics=1)
    reader = c.do_get(get_info(c, f"{seq}/t0").endpoints[0].ticket)
    s2 = unique_name("sigopen2")
    create_sequence(c, s2)
    su, _ = create_session(c, s2)
    tu = create_topic(c, su, f"{s2}/t")
    w, _ = c.do_put(put_descriptor(f"{s2}/t", tu), simple_schema())
    w.write_batch(simple_batch(simple_schema(), [1]))
    t0 = time.monotonic()
    code = d.stop(signal.SIGTERM)
    elapsed = time.monotonic() - t0
    assert code == 0, f"exit code {code!r} after {elapsed:.1f}s with open streams\n{d.log_tail()}"
    for closer in (w.close, reader.cancel, c.close):
        try:
            closer()
        except Exception:  # noqa: BLE001
            pass


@pytest.mark.sqlite_catalog  # checks that the data dir holds the embedded catalog
def test_configuration_from_environment(daemon_factory, tmp_path):
    """MOSAICOD_HOST / MOSAICOD_PORT / MOSAICOD_DATA_DIR instead of flags."""
    data_dir = str(tmp_path / "env-data")
    d = daemon_factory(data_dir=data_dir, env_only=True)
    c = fl.FlightClient(d.location)
    seq = unique_name("envcfg")
    _write_small_sequence(c, seq, n_topics=1)
    c.close()
    assert any(os.scandir(data_dir)), "nothing was written under MOSAICOD_DATA_DIR"
    code = d.stop()
    assert code == 0, f"exit code {code!r} on SIGTERM\n{d.log_tail()}"
