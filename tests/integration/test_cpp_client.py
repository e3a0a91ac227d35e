"""C++ client (issue 14) against the Python SDK, on the suite's daemon: data written by either is read by the other.

The C++ side is build/client/mosaico_client_xlang (client/tests/xlang_tool.cc; MOSAICO_CLIENT_XLANG overrides).

- test_models_match_the_installed_sdk: the C++ built-in models (client/tools/gen_models.py output, checked in) are
  what the installed SDK builds: schema, ontology_tag, serialization format of every ontology class.
- test_cpp_writes_sdk_reads_every_model: for every built-in model the SDK ships, 3 filled messages encoded as the SDK
  encodes them are uploaded by the C++ client with its own model; the SDK reads each topic back as that model
  (not Unmodeled), with equal messages, and the topic's tag / format / schema are the SDK's.
- test_sdk_writes_cpp_reads_every_model: the SDK uploads the same; the C++ client reads every topic (striped when
  the server splits), its tables equal the SDK's encoding and its served schema is its built-in model's.
- test_cpp_row_builder_read_by_sdk: IMU / CompressedImage rows from the typed row builder, read by the SDK.
- test_query_builders_match_the_sdk: the C++ query builders' JSON equals the SDK builders' to_dict(), and its
  clusterize / intersect bodies the SDK's (_build_clusterize_payload / _build_intersect_payload).
"""

from __future__ import annotations

import json
import os
import subprocess

import pyarrow as pa
import pyarrow.ipc as ipc
import pytest
from mosaicolabs import GPS, IMU, CompressedImage, Message, MosaicoClient, SequenceStatus
from mosaicolabs.models.core.message import Message as CoreMessage
from mosaicolabs.query.builders import Query, QueryOntologyCatalog, QuerySequence, QueryTopic

from test_sdk_fidelity import _filled, _ontology_classes

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
XLANG = os.environ.get("MOSAICO_CLIENT_XLANG", os.path.join(REPO, "build", "client", "mosaico_client_xlang"))
BASE = 1_760_000_000_000_000_000
MS = 1_000_000
ROWS = 3


def _xlang(*args: str) -> dict:
    if not os.path.exists(XLANG):
        pytest.fail(f"{XLANG} not built (cmake --build build --target mosaico_client_xlang)", pytrace=False)
    proc = subprocess.run([XLANG, *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"mosaico_client_xlang {' '.join(args)} failed:\n{proc.stderr}"
    return json.loads(proc.stdout)


def _messages(cls) -> list:
    return [Message(timestamp_ns=BASE + i * MS, data=_filled(cls, 7 * i + 1)) for i in range(ROWS)]


def _sdk_table(cls, msgs) -> pa.Table:
    """The batch the SDK's writer builds for `msgs` (handlers/internal/topic_write_state.py)."""
    cols = {}
    for m in msgs:
        for k, v in m._encode().items():
            cols.setdefault(k, []).append(v)
    return pa.Table.from_batches([pa.RecordBatch.from_pydict(cols, schema=CoreMessage._get_schema(cls))])


def _plain(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """A read table in the uploaded types (top-level string_view back to string)."""
    return table.cast(schema)


@pytest.fixture(scope="module")
def classes():
    return _ontology_classes()


def test_models_match_the_installed_sdk(classes):
    proc = subprocess.run([os.path.join(REPO, ".venv", "bin", "python"),
                           os.path.join(REPO, "client", "tools", "gen_models.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert f"{len(classes)} models up to date" in proc.stderr


def test_cpp_writes_sdk_reads_every_model(daemon, seq_name, classes, tmp_path):
    for name, cls in classes.items():
        table = _sdk_table(cls, _messages(cls))
        with ipc.new_file(str(tmp_path / f"{name}.arrow"), table.schema) as w:
            w.write_table(table)
    out = _xlang("write", daemon.location, seq_name, str(tmp_path))
    assert len(out["topics"]) == len(classes)
    with MosaicoClient.connect(daemon.host, daemon.port) as client:
        for name, cls in classes.items():
            th = client.topic_handler(seq_name, f"all/{name}")
            assert th is not None, name
            assert th.ontology_tag == cls.ontology_tag(), name
            got = list(th.get_data_streamer())
            want = _messages(cls)
            assert len(got) == ROWS, name
            for g, w in zip(got, want):
                assert type(g.data) is cls, f"{name}: the SDK reads {type(g.data).__name__}"
                assert (g.timestamp_ns, g.data.model_dump()) == (w.timestamp_ns, w.data.model_dump()), name
    # the uploaded schema is exactly the SDK's (names, types, nullability, field metadata)
    import pyarrow.flight as fl
    raw = fl.FlightClient(daemon.location)
    try:
        for name, cls in classes.items():
            info = raw.get_flight_info(fl.FlightDescriptor.for_command(
                json.dumps({"resource_locator": f"{seq_name}/all/{name}"})))
            meta = json.loads(info.endpoints[0].app_metadata)
            assert meta["ontology_tag"] == cls.ontology_tag(), name
            assert meta["serialization_format"] == cls.__serialization_format__.value, name
            want = CoreMessage._get_schema(cls)
            served = info.schema
            assert served.names == want.names, name
            for f_served, f_want in zip(served, want):
                t = pa.string_view() if f_want.type == pa.string() else f_want.type
                assert f_served.equals(f_want.with_type(t), check_metadata=True), (name, f_served, f_want)
    finally:
        raw.close()


def test_sdk_writes_cpp_reads_every_model(daemon, seq_name, classes, tmp_path):
    with MosaicoClient.connect(daemon.host, daemon.port) as client:
        with client.sequence_create(seq_name, {"writer": "sdk"}) as w:
            for name, cls in classes.items():
                tw = w.topic_create(f"all/{name}", {}, cls)
                assert tw is not None, name
                for m in _messages(cls):
                    tw.push(m)
        assert w.status == SequenceStatus.Finalized
    out = _xlang("read", daemon.location, seq_name, str(tmp_path), "2")
    by_locator = {t["locator"]: t for t in out["topics"]}
    assert len(by_locator) == len(classes)
    for name, cls in classes.items():
        t = by_locator[f"{seq_name}/all/{name}"]
        assert t["ontology_tag"] == cls.ontology_tag() and t["rows"] == ROWS, t
        assert t["model_match"], f"{name}: the served schema is not the C++ built-in model's"
        got = ipc.open_file(str(tmp_path / t["file"])).read_all()
        want = _sdk_table(cls, _messages(cls))
        assert _plain(got, want.schema).equals(want), name


def test_cpp_row_builder_read_by_sdk(daemon, seq_name):
    n = 200
    assert _xlang("rows", daemon.location, seq_name, str(n)) == {"imu": n, "camera": n // 10}
    with MosaicoClient.connect(daemon.host, daemon.port) as client:
        imu = list(client.topic_handler(seq_name, "imu").get_data_streamer())
        assert len(imu) == n
        for i, m in enumerate(imu):
            d = m.data
            assert isinstance(d, IMU)
            assert m.timestamp_ns == 1_700_000_000_000_000_000 + i * MS
            assert (d.acceleration.x, d.acceleration.y, d.acceleration.z) == (0.5 * i, -1.0, 9.81)
            assert d.angular_velocity.z == float(i % 7)
            assert d.header.frame_id == "imu_link"
            assert (d.header.timestamp.seconds, d.header.timestamp.nanoseconds) == (i, i * 1000)
            assert d.orientation.w == 1.0 and d.orientation.covariance == [1, 0, 0, 0, 1, 0, 0, 0, 1]
        cams = list(client.topic_handler(seq_name, "camera").get_data_streamer())
        assert len(cams) == n // 10
        for k, m in enumerate(cams):
            i = 10 * k
            assert isinstance(m.data, CompressedImage)
            assert m.data.format == "png"
            assert m.data.data == bytes([ord("a") + i % 26]) * (1000 + i)


def test_query_builders_match_the_sdk():
    got = _xlang("queries")
    want = [
        Query(QuerySequence().with_name_match("run_*").with_user_metadata("robot.id", eq="r1")
              .with_created_timestamp(5, 9)).to_dict(),
        Query(QueryTopic().with_name("/imu").with_ontology_tag("IMU").with_user_metadata("vendor", in_=["a", "b"])
              .with_created_timestamp(time_end=7)).to_dict(),
        Query(QuerySequence().with_name("s"), QueryTopic().with_name_match("?camera/*"),
              QueryOntologyCatalog(IMU.Q.acceleration.x.gt(0.5), IMU.Q.acceleration.y.between([1, 2]),
                                   IMU.Q.acceleration.z.outside([-1.0, 1.0]), GPS.Q.status.service.in_([1, 2]),
                                   IMU.Q.header.frame_id.match("imu*"),
                                   IMU.Q.timestamp_ns.leq(1_700_000_000_000_000_000))).to_dict(),
    ]
    # clusterize / intersect bodies, as the SDK's QueryResponseItemTopic builds them
    from mosaicolabs.query.response import (QueryResponseItemTopic, TimestampRange, _build_clusterize_payload,
                                            _build_intersect_payload)
    a = QueryResponseItemTopic(locator="s/camera/imu", ontology_tag="IMU")
    a._query_exprs = [IMU.Q.acceleration.x.gt(0.5)]
    b = QueryResponseItemTopic(locator="s/gps", ontology_tag="GPS")
    b._query_exprs = [GPS.Q.status.service.in_([1, 2])]
    want += [_build_clusterize_payload(a, 2000, TimestampRange(10, 20)), _build_clusterize_payload(b),
             _build_intersect_payload([a, b], 500, {"IMU": 2000})]
    assert got == want
