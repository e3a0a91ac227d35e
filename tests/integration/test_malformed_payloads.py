"""Hostile Flight payloads, spoken as raw gRPC (grpcio) because pyarrow.flight only sends well-formed IPC.

FlightData frames are protobuf-encoded by hand (FlightDescriptor = 1, data_header = 2, app_metadata = 3,
data_body = 1000) from valid IPC messages produced by pyarrow, then mutated: truncated messages, wrong body lengths,
declared sizes of 2^62 (body length, buffer offsets and lengths, row counts, string offsets), garbage flatbuffers,
dictionary batches, a schema change mid-stream, missing or wrong descriptors; plus DoGet / GetFlightInfo with
garbage tickets and descriptors, and DoExchange / Handshake calls.

Before the corpus a few topics are stored; after it the daemon is still up, every stored topic reads back identical,
and the topic all the broken uploads went to holds nothing (no half-written upload was committed). Every bad call must
end with a non-OK status that is not INTERNAL/UNKNOWN (client input is never the server's fault).
"""

from __future__ import annotations

import json
import os
import struct

import grpc
import pyarrow as pa
import pyarrow.flight as fl
import pytest

from conftest import unique_name
from mosaico_testlib import (
    assert_tables_equal,
    create_sequence,
    create_session,
    create_topic,
    finalize,
    put_batches,
    read_topic,
    sort_by_ts,
)

SERVICE = "/arrow.flight.protocol.FlightService/"
PLACEHOLDER_DESC = b"\x08\x02\x12\x0f@@placeholder@@"  # CMD descriptor, replaced per case by the case's own topic
BASE = 1_700_000_000_000_000_000
ROWS = 77
HUGE = 1 << 62
# Refusals Arrow Flight's own transport makes before the call reaches mosaicod (reading the first FlightData message
# of a DoPut / DoExchange): their code is UNKNOWN and no service code can change it (docs/FUZZING.md).
ARROW_TRANSPORT_REFUSALS = ("Stream finished before first message sent", "Descriptor missing on first message",
                            "Invalid flatbuffers message", "Expected IPC message of type schema")


def unacceptable(code: grpc.StatusCode, details: str, wire_garbage: bool = False) -> bool:
    """True for an answer a malformed request must never get.

    OK is never right. UNKNOWN is tolerated only for Arrow's transport refusals above. `wire_garbage`: the request is
    not even a decodable protobuf message, refused by gRPC/Arrow deserialization before any Flight handler (gRPC C++
    answers INTERNAL with no message then); only a non-OK status is asked of those.
    """
    if code == grpc.StatusCode.OK:
        return True
    if wire_garbage:
        return False
    if code == grpc.StatusCode.UNKNOWN:
        return not any(m in details for m in ARROW_TRANSPORT_REFUSALS)
    return code == grpc.StatusCode.INTERNAL

# --- protobuf encoding (just what Flight needs) ---------------------------------------------------------------------


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field_bytes(num: int, payload: bytes) -> bytes:
    return _varint((num << 3) | 2) + _varint(len(payload)) + payload


def _field_varint(num: int, value: int) -> bytes:
    return _varint(num << 3) + _varint(value)


def descriptor_cmd(cmd: bytes, type_code: int = 2) -> bytes:
    return _field_varint(1, type_code) + _field_bytes(2, cmd)


def descriptor_path(parts) -> bytes:
    return _field_varint(1, 1) + b"".join(_field_bytes(3, p.encode()) for p in parts)


def flight_data(descriptor: bytes | None = None, header: bytes | None = None, body: bytes | None = None,
                app_metadata: bytes | None = None) -> bytes:
    out = b""
    if descriptor is not None:
        out += _field_bytes(1, descriptor)
    if header is not None:
        out += _field_bytes(2, header)
    if app_metadata is not None:
        out += _field_bytes(3, app_metadata)
    if body is not None:
        out += _field_bytes(1000, body)
    return out


# --- IPC messages from pyarrow --------------------------------------------------------------------------------------


def topic_schema() -> pa.Schema:
    return pa.schema([
        pa.field("timestamp_ns", pa.int64(), nullable=False),
        pa.field("value", pa.float64()),
        pa.field("name", pa.utf8()),
        pa.field("big", pa.large_utf8()),
    ])


def topic_batch(schema: pa.Schema, start: int = 0) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict({
        "timestamp_ns": [BASE + (start + i) * 1000 for i in range(ROWS)],
        "value": [float(i) for i in range(ROWS)],
        "name": ["ab"] * ROWS,
        "big": ["xyz"] * ROWS,
    }, schema=schema)


def ipc_parts(buf: pa.Buffer) -> tuple[bytes, bytes]:
    """(flatbuffer Message, body) of one serialized IPC message."""
    msg = pa.ipc.read_message(buf)
    return msg.metadata.to_pybytes(), msg.body.to_pybytes() if msg.body is not None else b""


def stream_messages(schema: pa.Schema, batches) -> list[tuple[bytes, bytes]]:
    """Every IPC message of a stream (schema, dictionaries, batches) as (header, body)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, schema) as w:
        for b in batches:
            w.write_batch(b)
    reader = pa.ipc.MessageReader.open_stream(sink.getvalue())
    out = []
    while True:
        try:
            m = reader.read_next_message()
        except StopIteration:
            break
        if m is None:
            break
        out.append((m.metadata.to_pybytes(), m.body.to_pybytes() if m.body is not None else b""))
    return out


def replace_int(data: bytes, old: int, new: int, fmt: str, occurrence: int) -> bytes:
    """Replaces the `occurrence`-th little-endian `fmt` encoding of `old` in `data` by `new`."""
    pat = struct.pack(fmt, old)
    pos = -1
    for _ in range(occurrence + 1):
        pos = data.find(pat, pos + 1)
        assert pos >= 0, f"pattern {old} #{occurrence} not found"
    return data[:pos] + struct.pack(fmt, new) + data[pos + len(pat):]


def find_buffers(header: bytes, n: int, body_len: int) -> tuple[int, list[tuple[int, int]]]:
    """Position and (offset, length) pairs of the n Buffer structs of a RecordBatch flatbuffer: the one run of n
    16-byte pairs starting at offset 0, 8-aligned, nondecreasing and inside the body."""
    for p in range(0, len(header) - 16 * n + 1, 4):
        pairs = [struct.unpack_from("<qq", header, p + 16 * k) for k in range(n)]
        if pairs[0][0] != 0 or sum(1 for _, length in pairs if length > 0) < n // 2:
            continue
        if all(o % 8 == 0 and length >= 0 and o + length <= body_len for o, length in pairs) and all(
                pairs[k][0] <= pairs[k + 1][0] for k in range(n - 1)):
            return p, pairs
    raise AssertionError("no Buffer vector found in the RecordBatch header")


def count_int(data: bytes, value: int, fmt: str) -> int:
    pat = struct.pack(fmt, value)
    n, pos = 0, data.find(pat)
    while pos >= 0:
        n, pos = n + 1, data.find(pat, pos + 1)
    return n


# --- the corpus -----------------------------------------------------------------------------------------------------


def put_cases(desc: bytes) -> list[tuple[str, list[bytes]]]:
    """(name, FlightData frames) of every malformed DoPut, all aimed at the topic named by `desc`."""
    schema = topic_schema()
    sh, _ = ipc_parts(schema.serialize())
    bh, bb = ipc_parts(topic_batch(schema).serialize())
    first = flight_data(descriptor=desc, header=sh)
    cases: list[tuple[str, list[bytes]]] = []

    def batch_case(name, header=bh, body=bb, extra=()):
        cases.append((name, [first, flight_data(header=header, body=body), *extra]))

    # Truncations and wrong body lengths.
    batch_case("truncated batch header", header=bh[: len(bh) // 2])
    batch_case("batch header of 1 byte", header=bh[:1])
    batch_case("truncated body", body=bb[: len(bb) // 2])
    batch_case("empty body", body=b"")
    cases.append(("truncated schema header", [flight_data(descriptor=desc, header=sh[: len(sh) // 2])]))
    # Enormous declared sizes.
    body_len = len(bb)
    assert count_int(bh, body_len, "<q") >= 1
    # Flight hands the IPC reader the body it received, so a declared bodyLength that disagrees, or bytes after the
    # last buffer, leave a well-formed batch: refused, or stored exactly as the buffers say ("declared-only").
    batch_case("declared-only: bodyLength 2^62", header=replace_int(bh, body_len, HUGE, "<q", 0))
    batch_case("declared-only: bodyLength -1", header=replace_int(bh, body_len, -1, "<q", 0))
    batch_case("declared-only: body longer than its buffers", body=bb + os.urandom(4096))
    for i in range(count_int(bh, ROWS, "<q")):  # RecordBatch.length and each FieldNode.length
        batch_case(f"row count #{i} = 2^62", header=replace_int(bh, ROWS, HUGE, "<q", i))
        batch_case(f"row count #{i} = -1", header=replace_int(bh, ROWS, -1, "<q", i))
    pos, buffers = find_buffers(bh, 10, body_len)  # validity + data (+ offsets) of the 4 columns
    for k, (off, length) in enumerate(buffers):
        if length == 0:
            continue  # an absent validity bitmap: its offset is never read
        for what, field, value in (("length", 8, HUGE), ("length", 8, -1), ("length", 8, length + 8),
                                   ("offset", 0, HUGE), ("offset", 0, body_len - 8)):
            h = bh[: pos + 16 * k + field] + struct.pack("<q", value) + bh[pos + 16 * k + field + 8:]
            # A buffer declared a little longer than its data needs is still well-formed.
            tag = "declared-only: " if value == length + 8 else ""
            batch_case(f"{tag}buffer {k} {what} = {value}", header=h)
    # String offsets pointing far outside the data buffer (utf8: int32 offsets, large_utf8: int64 offsets).
    batch_case("utf8 last offset 2^31-1", body=replace_int(bb, 2 * ROWS, 0x7FFFFFFF, "<i", 0))
    batch_case("utf8 offsets decreasing", body=replace_int(bb, 2 * 10, 2 * 50, "<i", 0))
    batch_case("large_utf8 last offset 2^62", body=replace_int(bb, 3 * ROWS, HUGE, "<q", 0))
    batch_case("utf8 invalid UTF-8 data", body=bb.replace(b"ab" * ROWS, b"\xff\xfe" * ROWS, 1))
    # Garbage flatbuffers.
    batch_case("random header", header=os.urandom(len(bh)))
    batch_case("zero header", header=b"\x00" * len(bh))
    batch_case("header with flipped bytes", header=bytes(b ^ 0x5A if i % 7 == 3 else b for i, b in enumerate(bh)))
    cases.append(("random schema header", [flight_data(descriptor=desc, header=os.urandom(64))]))
    # Message kinds out of place.
    batch_case("schema message where a batch belongs", header=sh, body=b"")
    other = pa.schema([pa.field("timestamp_ns", pa.int64(), nullable=False), pa.field("other", pa.int32())])
    oh, _ = ipc_parts(other.serialize())
    batch_case("schema change mid-stream", extra=[flight_data(header=oh), flight_data(header=bh, body=bb)])
    cases.append(("batch before the schema", [flight_data(descriptor=desc, header=bh, body=bb)]))
    # Dictionary batches: mid-stream on a schema without dictionaries, and a dictionary-encoded stream.
    dschema = pa.schema([pa.field("timestamp_ns", pa.int64(), nullable=False),
                         pa.field("label", pa.dictionary(pa.int32(), pa.utf8()))])
    dbatch = pa.RecordBatch.from_pydict({"timestamp_ns": [BASE + i for i in range(ROWS)],
                                         "label": pa.array(["a", "b"] * (ROWS // 2) + ["a"]).dictionary_encode()},
                                        schema=dschema)
    dmsgs = stream_messages(dschema, [dbatch])
    assert len(dmsgs) == 3, "schema, dictionary, batch"
    dict_h, dict_b = dmsgs[1]
    batch_case("dictionary batch mid-stream", header=dict_h, body=dict_b)
    cases.append(("batch referencing a dictionary never sent",
                  [flight_data(descriptor=desc, header=dmsgs[0][0]),
                   flight_data(header=dmsgs[2][0], body=dmsgs[2][1])]))
    cases.append(("dictionary batch sent twice (delta-less replacement)",
                  [flight_data(descriptor=desc, header=dmsgs[0][0]), flight_data(header=dict_h, body=dict_b),
                   flight_data(header=dict_h, body=dict_b[: len(dict_b) // 2])]))
    cases.append(("dictionary indices out of range",
                  [flight_data(descriptor=desc, header=dmsgs[0][0]), flight_data(header=dict_h, body=dict_b),
                   flight_data(header=dmsgs[2][0], body=dmsgs[2][1].replace(struct.pack("<i", 1),
                                                                            struct.pack("<i", 1 << 30)))]))
    # Descriptors missing, of the wrong type, or naming something else.
    cases.append(("no descriptor", [flight_data(header=sh), flight_data(header=bh, body=bb)]))
    cases.append(("PATH descriptor", [flight_data(descriptor=descriptor_path(["x", "y"]), header=sh)]))
    cases.append(("descriptor type 7", [flight_data(descriptor=descriptor_cmd(b"{}", 7), header=sh)]))
    cases.append(("descriptor type UNKNOWN", [flight_data(descriptor=descriptor_cmd(b"{}", 0), header=sh)]))
    cases.append(("garbage descriptor cmd", [flight_data(descriptor=descriptor_cmd(os.urandom(40)), header=sh)]))
    cases.append(("descriptor of a wrong topic uuid",
                  [flight_data(descriptor=descriptor_cmd(json.dumps({"resource_locator": "nope/x",
                                                                     "topic_uuid": "0"}).encode()), header=sh)]))
    cases.append(("descriptor only, no schema", [flight_data(descriptor=desc)]))
    cases.append(("empty stream", []))
    cases.append(("wire: garbage protobuf frame", [os.urandom(200)]))
    cases.append(("wire: truncated protobuf frame", [first[: len(first) // 2]]))
    cases.append(("wire: enormous protobuf length prefix", [_varint((2 << 3) | 2) + _varint(HUGE) + b"abc"]))
    # Arrow's transport reports an undecodable frame as the end of the stream, indistinguishable through the Flight
    # API from the client's own half-close: the well-formed prefix may be committed, exactly as sent, nothing more.
    cases.append(("prefix-only: garbage frame after a good batch",
                  [first, flight_data(header=bh, body=bb), os.urandom(300), flight_data(header=bh, body=bb)]))
    return cases


@pytest.fixture(scope="module")
def setup(module_daemon_factory):
    d = module_daemon_factory()
    stored = {}
    with fl.FlightClient(d.location) as c:
        seq = unique_name("malformed")
        create_sequence(c, seq, {"purpose": "malformed payload corpus"})
        su, _ = create_session(c, seq)
        schema = topic_schema()
        for i, name in enumerate(["a", "b/c", "d"]):
            loc = f"{seq}/{name}"
            tu = create_topic(c, su, loc)
            batches = [topic_batch(schema, start=1000 * i + 100 * k) for k in range(3)]
            put_batches(c, loc, tu, schema, batches)
            stored[loc] = pa.Table.from_batches(batches)
        finalize(c, su)
        # The target of every broken upload: a topic in a session left open.
        bad_seq = unique_name("malformed_target")
        create_sequence(c, bad_seq)
        bsu, _ = create_session(c, bad_seq)
        bad_loc = f"{bad_seq}/target"
        btu = create_topic(c, bsu, bad_loc)
    channel = grpc.insecure_channel(f"{d.host}:{d.port}")
    yield {"daemon": d, "channel": channel, "stored": stored, "bad_loc": bad_loc, "bad_uuid": btu,
           "bad_session": bsu, "bad_seq": bad_seq, "case_topics": {}}
    channel.close()


def _status_of(call) -> tuple[grpc.StatusCode, str]:
    try:
        call()
    except grpc.RpcError as e:
        return e.code(), e.details() or ""
    return grpc.StatusCode.OK, ""


def _check_alive(d):
    assert d.proc.poll() is None, f"mosaicod died: exit code {d.proc.returncode}\n{d.log_tail()}"


def test_malformed_doput_corpus(setup):
    """Every case goes to a topic of its own (a committed upload would close a topic to the cases after it)."""
    d, ch = setup["daemon"], setup["channel"]
    do_put = ch.stream_stream(SERVICE + "DoPut")
    placeholder = _field_bytes(1, PLACEHOLDER_DESC)
    cases = put_cases(PLACEHOLDER_DESC)
    assert len(cases) >= 40
    failures = []
    with fl.FlightClient(d.location) as c:
        for i, (name, frames) in enumerate(cases):
            loc = f"{setup['bad_seq']}/case{i:03d}"
            tu = create_topic(c, setup["bad_session"], loc)
            real = _field_bytes(1, descriptor_cmd(json.dumps({"resource_locator": loc, "topic_uuid": tu}).encode()))
            frames = [f.replace(placeholder, real) for f in frames]
            code, details = _status_of(lambda: list(do_put(iter(frames), timeout=30)))
            _check_alive(d)
            if code == grpc.StatusCode.OK and name.startswith(("declared-only:", "prefix-only:")):
                setup["case_topics"][loc] = pa.Table.from_batches([topic_batch(topic_schema())])
                continue
            setup["case_topics"][loc] = None  # refused: must hold nothing
            if unacceptable(code, details, wire_garbage=name.startswith("wire:")):
                failures.append(f"{name}: {code.name} {details[:300]!r}")
    assert not failures, "malformed DoPut streams answered OK/INTERNAL/UNKNOWN:\n" + "\n".join(failures)


def test_garbage_tickets_and_descriptors(setup):
    d, ch = setup["daemon"], setup["channel"]
    do_get = ch.unary_stream(SERVICE + "DoGet")
    get_info = ch.unary_unary(SERVICE + "GetFlightInfo")
    get_schema = ch.unary_unary(SERVICE + "GetSchema")
    loc = next(iter(setup["stored"]))
    tickets = [b"", b"\x00", os.urandom(64), b"{", b"[]", b"null", b'{"v":1}', b'{"resource_locator": 5}',
               json.dumps({"v": 1, "resource_locator": loc, "timestamp_ns_start": 10, "timestamp_ns_end": 1}).encode(),
               json.dumps({"v": 1, "resource_locator": loc, "timestamp_ns_start": 1e300}).encode(),
               json.dumps({"v": 1, "resource_locator": "../../etc/passwd"}).encode(),
               json.dumps({"v": 1, "resource_locator": loc.split("/")[0]}).encode(),
               b'{"v":1,"resource_locator":"' + b"a" * 5000 + b'"}', "é".encode("latin-1")]
    descriptors = [descriptor_cmd(b""), descriptor_cmd(os.urandom(32)), descriptor_cmd(b"{}", 0),
                   descriptor_cmd(b"{}", 9), descriptor_path([]), descriptor_path(["", ""]),
                   descriptor_path(["..", "x"]), descriptor_path(["a" * 300]),
                   descriptor_cmd(json.dumps({"resource_locator": loc, "timestamp_ns_start": "x"}).encode())]
    failures = []
    for t in tickets:
        code, details = _status_of(lambda: list(do_get(_field_bytes(1, t), timeout=30)))
        _check_alive(d)
        if unacceptable(code, details):
            failures.append(f"DoGet ticket {t[:60]!r}: {code.name} {details[:200]!r}")
    for raw in (os.urandom(16), b"\xff\xff\xff", _varint((1 << 3) | 2) + _varint(HUGE)):  # not protobuf
        code, details = _status_of(lambda: list(do_get(raw, timeout=30)))
        _check_alive(d)
        if unacceptable(code, details, wire_garbage=True):
            failures.append(f"DoGet raw {raw[:40]!r}: {code.name} {details[:200]!r}")
    for desc, wire in [(x, False) for x in descriptors] + [(os.urandom(24), True), (b"\xff\xff\xff", True)]:
        for rpc, fn in (("GetFlightInfo", get_info), ("GetSchema", get_schema)):
            code, details = _status_of(lambda: fn(desc, timeout=30))
            _check_alive(d)
            if unacceptable(code, details, wire_garbage=wire):
                failures.append(f"{rpc} {desc[:40]!r}: {code.name} {details[:200]!r}")
    assert not failures, "\n".join(failures)


def test_do_exchange_and_handshake_are_refused(setup):
    d, ch = setup["daemon"], setup["channel"]
    exchange = ch.stream_stream(SERVICE + "DoExchange")
    handshake = ch.stream_stream(SERVICE + "Handshake")
    desc = descriptor_cmd(json.dumps({"resource_locator": setup["bad_loc"]}).encode())
    sh, _ = ipc_parts(topic_schema().serialize())
    for frames, wire in (([], False), ([flight_data(descriptor=desc, header=sh)], False), ([os.urandom(50)], True)):
        code, details = _status_of(lambda: list(exchange(iter(frames), timeout=30)))
        _check_alive(d)
        assert not unacceptable(code, details, wire_garbage=wire), f"DoExchange: {code.name} {details!r}"
    for frames, wire in (([], False), ([_field_varint(1, 0) + _field_bytes(2, os.urandom(30))], False),
                         ([os.urandom(70)], True)):
        code, details = _status_of(lambda: list(handshake(iter(frames), timeout=30)))
        _check_alive(d)
        # Without authentication configured a handshake may be a no-op (OK); otherwise a clean refusal.
        if code != grpc.StatusCode.OK:
            assert not unacceptable(code, details, wire_garbage=wire), f"Handshake: {code.name} {details!r}"


def test_after_the_corpus_stored_data_is_identical_and_nothing_was_committed(setup):
    # Runs last in this module (pytest keeps file order): the corpus tests above have hit the daemon.
    d = setup["daemon"]
    _check_alive(d)
    with fl.FlightClient(d.location) as c:
        for loc, want in setup["stored"].items():
            assert_tables_equal(sort_by_ts(read_topic(c, loc)), sort_by_ts(want), f"{loc} after the corpus")
        # No refused upload left rows behind; what a declared-only case stored is exactly its batch.
        assert setup["case_topics"], "the DoPut corpus did not run"
        for loc, want in setup["case_topics"].items():
            got = read_topic(c, loc)
            if want is None:
                assert got.num_rows == 0, f"{loc}: a refused malformed upload left {got.num_rows} rows behind"
            else:
                assert_tables_equal(sort_by_ts(got), want, f"{loc} (declared-only case)")
        assert read_topic(c, setup["bad_loc"]).num_rows == 0, "a malformed upload left rows behind"
        schema = topic_schema()
        good = topic_batch(schema, start=5000)
        put_batches(c, setup["bad_loc"], setup["bad_uuid"], schema, [good])
        finalize(c, setup["bad_session"])
        assert_tables_equal(sort_by_ts(read_topic(c, setup["bad_loc"])), pa.Table.from_batches([good]),
                            "target topic after a good upload")
