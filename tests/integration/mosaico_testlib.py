"""Shared helpers for the mosaicod integration tests.

Everything here speaks the wire protocol directly through ``pyarrow.flight`` (the SDK tests use the SDK's public API
instead). The authority for the protocol is the ``mosaicolabs`` 0.7.0 SDK; see /work/shared/PROTOCOL.md for the map.

Error classification
--------------------
pyarrow does not expose the gRPC status code of a failed call. What it raises depends on the gRPC code *and* on the
``x-arrow-status`` trailer that an Arrow Flight C++ server adds (it carries the arrow::StatusCode the handler
returned; the client rebuilds that status). Measured with pyarrow 26.0.1 against a minimal Arrow C++ 26 Flight server,
gRPC codes read on the wire with a raw grpcio client:

    server returns                       gRPC code on the wire  pyarrow.flight client raises
    Status::Invalid                      INVALID_ARGUMENT       pyarrow.lib.ArrowInvalid
    Status::KeyError                     NOT_FOUND              pyarrow.lib.ArrowKeyError
    Status::AlreadyExists                ALREADY_EXISTS         pyarrow.lib.ArrowException (the bare base class),
                                                                message "Unknown: <server message>"
    MakeFlightError(Unauthorized)        PERMISSION_DENIED      pyarrow.flight.FlightUnauthorizedError
    MakeFlightError(Unauthenticated)     UNAUTHENTICATED        pyarrow.flight.FlightUnauthenticatedError
    Status::NotImplemented               UNIMPLEMENTED          pyarrow.lib.ArrowNotImplementedError
    Status::Cancelled                    CANCELLED              pyarrow.flight.FlightCancelledError
    MakeFlightError(Internal)            INTERNAL               pyarrow.flight.FlightInternalError
    MakeFlightError(Failed), IOError,
      UnknownError                       UNKNOWN                pyarrow.flight.FlightServerError
    (nothing)                            FAILED_PRECONDITION    -- an Arrow Flight C++ server cannot emit it, so
                                                                lifecycle violations are PERMISSION_DENIED.
"""

from __future__ import annotations

import json
import time
from typing import Any, Iterable, Optional, Sequence

import pyarrow as pa
import pyarrow.flight as fl

# --------------------------------------------------------------------------------------------------------------------
# Error classification
# --------------------------------------------------------------------------------------------------------------------


def grpc_code_of(exc: BaseException) -> str:
    """Best reconstruction of the gRPC status code behind a pyarrow.flight exception (see module doc)."""
    msg = str(exc)
    # Flight-specific classes first: they are also ArrowException subclasses.
    if isinstance(exc, fl.FlightUnauthorizedError):
        return "PERMISSION_DENIED"
    if isinstance(exc, fl.FlightUnauthenticatedError):
        return "UNAUTHENTICATED"
    if isinstance(exc, fl.FlightTimedOutError):
        return "DEADLINE_EXCEEDED"
    if isinstance(exc, fl.FlightCancelledError):
        return "CANCELLED"
    if isinstance(exc, fl.FlightUnavailableError):
        return "UNAVAILABLE"
    if isinstance(exc, fl.FlightInternalError):
        return "INTERNAL"
    if isinstance(exc, fl.FlightServerError):
        return "UNKNOWN"
    if isinstance(exc, pa.ArrowKeyError):
        return "NOT_FOUND"
    if isinstance(exc, pa.ArrowNotImplementedError):
        return "UNIMPLEMENTED"
    if isinstance(exc, pa.ArrowInvalid):
        if "precondition failed" in msg:
            return "FAILED_PRECONDITION"
        if "out-of-range" in msg:
            return "OUT_OF_RANGE"
        if "resource exhausted" in msg:
            return "RESOURCE_EXHAUSTED"
        return "INVALID_ARGUMENT"
    if type(exc) is pa.ArrowException:
        # pyarrow has no class for arrow::StatusCode::AlreadyExists (45): the client rebuilds that code from the
        # x-arrow-status trailer and raises the bare base class, message "Unknown: <server message>" with pyarrow 26.
        # No other status a Flight server can send ends up as the bare base class.
        return "ALREADY_EXISTS"
    if isinstance(exc, (pa.ArrowIOError, OSError)):
        return "IO_ERROR(" + type(exc).__name__ + ")"
    return "UNCLASSIFIED(" + type(exc).__module__ + "." + type(exc).__name__ + ")"


def describe_exc(exc: BaseException) -> str:
    return f"{type(exc).__module__}.{type(exc).__name__} [{grpc_code_of(exc)}]: {str(exc)[:600]!r}"


def expect_error(codes, fn, *args, mentions: Sequence[str] = (), what: str = "", **kwargs) -> BaseException:
    """Calls fn(*args, **kwargs) and asserts it fails with one of `codes` (gRPC code names, see grpc_code_of).

    `mentions`: at least one of these strings must appear in the error message (the field or locator at fault).
    Returns the exception. The assertion message says what came back, for the report.
    """
    if isinstance(codes, str):
        codes = (codes,)
    label = what or getattr(fn, "__name__", "call")
    try:
        result = fn(*args, **kwargs)
    except BaseException as exc:  # noqa: BLE001 - we classify everything
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        code = grpc_code_of(exc)
        assert code in codes, f"{label}: expected {'/'.join(codes)}, got {describe_exc(exc)}"
        if mentions:
            msg = str(exc)
            assert any(m in msg for m in mentions), (
                f"{label}: error {code} does not name any of {list(mentions)!r}: {msg[:600]!r}"
            )
        return exc
    raise AssertionError(f"{label}: expected {'/'.join(codes)}, but the call succeeded and returned {result!r:.400}")


# --------------------------------------------------------------------------------------------------------------------
# DoAction
# --------------------------------------------------------------------------------------------------------------------


def raw_action(client: fl.FlightClient, name: str, body: bytes) -> list[bytes]:
    """Runs a DoAction with a raw body; returns the raw result bodies."""
    return [r.body.to_pybytes() for r in client.do_action(fl.Action(name, body))]


def action_results(client: fl.FlightClient, name: str, payload: Any) -> list[dict]:
    """Runs a DoAction with a JSON payload and returns every decoded result envelope, checked for shape."""
    bodies = raw_action(client, name, json.dumps(payload).encode("utf-8"))
    envelopes = []
    for b in bodies:
        if not b:
            continue
        try:
            env = json.loads(b.decode("utf-8"))
        except Exception as e:  # pragma: no cover - reported as failure
            raise AssertionError(f"action {name!r}: result body is not JSON: {b[:300]!r} ({e})")
        assert isinstance(env, dict), f"action {name!r}: result body is not a JSON object: {env!r:.300}"
        assert env.get("action") == name, f"action {name!r}: envelope 'action' is {env.get('action')!r}: {env!r:.300}"
        envelopes.append(env)
    return envelopes


def action(client: fl.FlightClient, name: str, payload: Any) -> Optional[Any]:
    """DoAction returning the single envelope's ``response`` (None when the server sent no envelope)."""
    envs = action_results(client, name, payload)
    assert len(envs) <= 1, f"action {name!r}: expected at most one result, got {len(envs)}"
    if not envs:
        return None
    return envs[0].get("response")


def create_sequence(client, name: str, user_metadata: Optional[dict] = None):
    return action(client, "sequence_create", {"locator": name, "user_metadata": user_metadata or {}})


def create_session(client, seq: str) -> tuple[str, str]:
    resp = action(client, "session_create", {"locator": seq})
    assert isinstance(resp, dict), f"session_create({seq!r}) returned no response object: {resp!r}"
    assert isinstance(resp.get("uuid"), str) and resp["uuid"], f"session_create: bad uuid in {resp!r}"
    assert isinstance(resp.get("locator"), str), f"session_create: bad locator in {resp!r}"
    return resp["uuid"], resp["locator"]


def create_topic(
    client,
    session_uuid: str,
    locator: str,
    *,
    ontology_tag: str = "test_tag",
    serialization_format: str = "default",
    user_metadata: Optional[dict] = None,
) -> str:
    resp = action(
        client,
        "topic_create",
        {
            "session_uuid": session_uuid,
            "locator": locator,
            "serialization_format": serialization_format,
            "ontology_tag": ontology_tag,
            "user_metadata": user_metadata if user_metadata is not None else {},
        },
    )
    assert isinstance(resp, dict) and isinstance(resp.get("uuid"), str) and resp["uuid"], (
        f"topic_create({locator!r}) returned {resp!r}"
    )
    return resp["uuid"]


def finalize(client, session_uuid: str):
    return action(client, "session_finalize", {"session_uuid": session_uuid})


# --------------------------------------------------------------------------------------------------------------------
# DoPut / GetFlightInfo / DoGet
# --------------------------------------------------------------------------------------------------------------------


def put_descriptor(locator: str, topic_uuid: str) -> fl.FlightDescriptor:
    return fl.FlightDescriptor.for_command(json.dumps({"resource_locator": locator, "topic_uuid": topic_uuid}))


def info_descriptor(locator: str, start: Optional[int] = None, end: Optional[int] = None) -> fl.FlightDescriptor:
    cmd: dict[str, Any] = {"resource_locator": locator}
    if start is not None:
        cmd["timestamp_ns_start"] = start
    if end is not None:
        cmd["timestamp_ns_end"] = end
    return fl.FlightDescriptor.for_command(json.dumps(cmd))


def put_batches(client, locator: str, topic_uuid: str, schema: pa.Schema, batches: Iterable[pa.RecordBatch]):
    """One complete DoPut stream: schema, batches, done. Raises whatever the server answered."""
    writer, _reader = client.do_put(put_descriptor(locator, topic_uuid), schema)
    try:
        for b in batches:
            writer.write_batch(b)
        writer.done_writing()
    finally:
        writer.close()


def striped_put_descriptor(locator: str, topic_uuid: str, stripes: int, stripe: int) -> fl.FlightDescriptor:
    """DoPut descriptor of one stripe of a striped upload (docs/PROTOCOL_NOTES.md, "Striped uploads")."""
    return fl.FlightDescriptor.for_command(json.dumps(
        {"resource_locator": locator, "topic_uuid": topic_uuid, "stripes": stripes, "stripe": stripe}))


def put_stripe(location: str, locator: str, topic_uuid: str, schema: pa.Schema, batches: Iterable[pa.RecordBatch],
               stripes: int, stripe: int) -> dict:
    """One complete stripe over its own connection; returns the stripe's PutResult JSON. Raises the server's error."""
    client = fl.FlightClient(location)
    try:
        writer, reader = client.do_put(striped_put_descriptor(locator, topic_uuid, stripes, stripe), schema)
        try:
            for b in batches:
                writer.write_batch(b)
            writer.done_writing()
            buf = reader.read()
        finally:
            writer.close()
        assert buf is not None, f"stripe {stripe} of {locator!r}: no PutResult"
        return json.loads(buf.to_pybytes())
    finally:
        client.close()


def put_striped(location: str, locator: str, topic_uuid: str, schema: pa.Schema,
                stripe_batches: Sequence[Sequence[pa.RecordBatch]]) -> list[dict]:
    """A striped upload: stripe i sends stripe_batches[i], all stripes at once (a thread and a connection each).
    Returns the replies by stripe; raises the first stripe error (after every thread ended)."""
    import threading

    n = len(stripe_batches)
    replies: list = [None] * n
    errors: list = [None] * n

    def run(i: int):
        try:
            replies[i] = put_stripe(location, locator, topic_uuid, schema, stripe_batches[i], n, i)
        except BaseException as e:  # noqa: BLE001 - re-raised below
            errors[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in errors:
        if e is not None:
            raise e
    return replies


def get_info(client, locator: str, start: Optional[int] = None, end: Optional[int] = None) -> fl.FlightInfo:
    return client.get_flight_info(info_descriptor(locator, start, end))


def app_md(obj) -> dict:
    """Decodes the JSON app_metadata of a FlightInfo or FlightEndpoint."""
    raw = obj.app_metadata
    assert raw, f"empty app_metadata on {type(obj).__name__}"
    md = json.loads(raw)
    assert isinstance(md, dict), f"app_metadata is not a JSON object: {md!r:.300}"
    return md


def read_ticket(client, ticket: fl.Ticket) -> pa.Table:
    reader = client.do_get(ticket)
    return reader.read_all()


def read_ticket_batches(client, ticket: fl.Ticket) -> tuple[pa.Schema, list[pa.RecordBatch]]:
    reader = client.do_get(ticket)
    batches = []
    while True:
        try:
            chunk = reader.read_chunk()
        except StopIteration:
            break
        if chunk.data is None:
            break
        batches.append(chunk.data)
    return reader.schema, batches


def read_topic(client, locator: str, start: Optional[int] = None, end: Optional[int] = None) -> pa.Table:
    info = get_info(client, locator, start, end)
    assert len(info.endpoints) == 1, f"get_flight_info({locator!r}) returned {len(info.endpoints)} endpoints, want 1"
    return read_ticket(client, info.endpoints[0].ticket)


def sort_by_ts(table: pa.Table) -> pa.Table:
    # pyarrow 26 has no take kernel for string_view (what DoGet streams top-level strings as): sort a copy with
    # plain strings, then give the columns their types back.
    plain = pa.schema([f.with_type(pa.string()) if f.type == pa.string_view() else f for f in table.schema],
                      metadata=table.schema.metadata)
    if plain.equals(table.schema, check_metadata=True):
        return table.sort_by([("timestamp_ns", "ascending")])
    return table.cast(plain).sort_by([("timestamp_ns", "ascending")]).cast(table.schema)


def window_filter(table: pa.Table, start: Optional[int], end: Optional[int]) -> pa.Table:
    import pyarrow.compute as pc

    mask = None
    ts = table.column("timestamp_ns")
    if start is not None:
        mask = pc.greater_equal(ts, start)
    if end is not None:
        m2 = pc.less(ts, end)
        mask = m2 if mask is None else pc.and_(mask, m2)
    return table if mask is None else table.filter(mask)


_TEXT_TYPES = (pa.string(), pa.large_string())


def flight_form(schema: pa.Schema) -> pa.Schema:
    """The schema the daemon announces and streams for a topic uploaded with `schema` (docs/PROTOCOL_NOTES.md,
    "Strings on the wire"): every top-level string / large_string field typed string_view; names, order,
    nullability, field and schema metadata, nested fields and every other type unchanged."""
    return pa.schema([f.with_type(pa.string_view()) if f.type in _TEXT_TYPES else f for f in schema],
                     metadata=schema.metadata)


def to_flight_form(table: pa.Table) -> pa.Table:
    """`table` (uploaded form) as a DoGet returns it: flight_form(table.schema), same values."""
    target = flight_form(table.schema)
    return table if target.equals(table.schema, check_metadata=True) else table.cast(target)


def assert_tables_equal(got: pa.Table, want: pa.Table, what: str = "table"):
    """Value equality of two tables (chunking ignored), with a useful diff on failure. `got` is read from the daemon,
    `want` may be in uploaded form: it is compared in Flight form (to_flight_form), types included."""
    got_c = got.combine_chunks()
    want_c = to_flight_form(want).combine_chunks()
    assert got_c.schema.remove_metadata().equals(want_c.schema.remove_metadata(), check_metadata=True), (
        f"{what}: schema differs\n--- got\n{got_c.schema}\n--- want\n{want_c.schema}"
    )
    if got_c.num_rows != want_c.num_rows:
        raise AssertionError(f"{what}: got {got_c.num_rows} rows, want {want_c.num_rows}")
    if got_c.equals(want_c):
        return
    for name in want_c.column_names:
        g = got_c.column(name)
        w = want_c.column(name)
        if not g.equals(w):
            for i in range(want_c.num_rows):
                if g[i] != w[i]:
                    raise AssertionError(
                        f"{what}: column {name!r} differs first at row {i}: got {g[i]!r:.300} want {w[i]!r:.300}"
                    )
            raise AssertionError(f"{what}: column {name!r} differs (null layout?)")
    raise AssertionError(f"{what}: tables differ")


def wait_until(predicate, timeout: float = 5.0, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as e:  # noqa: BLE001
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last error: {last!r})")


# --------------------------------------------------------------------------------------------------------------------
# A rich test schema
# --------------------------------------------------------------------------------------------------------------------

TS_FIELD = pa.field("timestamp_ns", pa.int64(), nullable=False, metadata={"description": "record time [ns]"})


def rich_schema() -> pa.Schema:
    """timestamp_ns plus nested structs, lists, a map, binary and field metadata at several depths."""
    return pa.schema(
        [
            TS_FIELD,
            pa.field("value", pa.float64(), metadata={"unit": "m/s", "description": "a double"}),
            pa.field("label", pa.string()),
            pa.field("flags", pa.list_(pa.field("item", pa.int32()))),
            pa.field(
                "nested",
                pa.struct(
                    [
                        pa.field("a", pa.int16(), nullable=False, metadata={"k": "inner"}),
                        pa.field(
                            "pts",
                            pa.list_(pa.field("item", pa.struct([pa.field("c", pa.string()), pa.field("d", pa.float32())]))),
                        ),
                    ]
                ),
                metadata={"description": "nested struct"},
            ),
            pa.field("attrs", pa.map_(pa.string(), pa.int64())),
            pa.field("blob", pa.binary()),
            pa.field("ok", pa.bool_(), nullable=False),
        ]
    )


def rich_batch(schema: pa.Schema, timestamps: Sequence[int], seed: int = 0) -> pa.RecordBatch:
    """Deterministic rows for rich_schema(); every 7th row has nulls in the nullable columns."""
    import random

    rnd = random.Random(seed)
    cols: dict[str, list] = {n: [] for n in schema.names}
    for i, ts in enumerate(timestamps):
        null_row = (i % 7) == 3
        cols["timestamp_ns"].append(int(ts))
        cols["value"].append(None if null_row else rnd.uniform(-1e6, 1e6))
        cols["label"].append(None if null_row else f"row-{ts}-é€-{rnd.randint(0, 10**9)}")
        cols["flags"].append(None if null_row else [rnd.randint(-(2**31), 2**31 - 1) for _ in range(i % 4)])
        cols["nested"].append(
            None
            if null_row
            else {
                "a": rnd.randint(-(2**15), 2**15 - 1),
                "pts": [{"c": f"p{j}", "d": float(j) / 4} for j in range(i % 3)],
            }
        )
        cols["attrs"].append(None if null_row else [(f"k{j}", rnd.randint(-(2**62), 2**62)) for j in range(i % 3)])
        cols["blob"].append(None if null_row else rnd.randbytes(rnd.randint(0, 64)))
        cols["ok"].append(bool(i % 2))
    return pa.RecordBatch.from_pydict(cols, schema=schema)


def simple_schema(extra: Optional[list] = None) -> pa.Schema:
    fields = [TS_FIELD, pa.field("value", pa.float64())]
    return pa.schema(fields + (extra or []))


def simple_batch(schema: pa.Schema, timestamps: Sequence[int], offset: float = 0.0) -> pa.RecordBatch:
    data = {"timestamp_ns": [int(t) for t in timestamps], "value": [float(t) / 1e6 + offset for t in timestamps]}
    for f in schema:
        if f.name not in data:
            data[f.name] = [None] * len(timestamps)
    return pa.RecordBatch.from_pydict(data, schema=schema)
