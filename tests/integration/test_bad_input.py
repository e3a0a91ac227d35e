"""Bad input: every rejection carries the right status and names the field or locator at fault, and afterwards the
daemon still serves and the data stored before reads back byte-identical (checked after every test in this module).

Status codes are reconstructed from the pyarrow exception (see mosaico_testlib.grpc_code_of for the measured table):
INVALID_ARGUMENT -> ArrowInvalid, NOT_FOUND -> ArrowKeyError, ALREADY_EXISTS -> ArrowException("Already exists: ..."),
PERMISSION_DENIED -> FlightUnauthorizedError. Lifecycle violations are PERMISSION_DENIED because an Arrow Flight C++
server cannot emit FAILED_PRECONDITION.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
import uuid as uuidlib

import pyarrow as pa
import pyarrow.flight as fl
import pytest

from conftest import unique_name
from mosaico_testlib import (
    TS_FIELD,
    action,
    app_md,
    assert_tables_equal,
    create_sequence,
    create_session,
    create_topic,
    expect_error,
    finalize,
    flight_form,
    get_info,
    put_batches,
    raw_action,
    read_ticket,
    read_topic,
    rich_batch,
    rich_schema,
    simple_batch,
    simple_schema,
    sort_by_ts,
)

BASE = 1_800_000_000_000_000_000
MS = 1_000_000

INVALID = "INVALID_ARGUMENT"
NOT_FOUND = "NOT_FOUND"
EXISTS = "ALREADY_EXISTS"
DENIED = "PERMISSION_DENIED"


# ----------------------------------------------------------------------------------------------------------------------
# Baseline data, re-checked after every test
# ----------------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def raw(daemon):
    c = fl.FlightClient(daemon.location)
    yield c
    c.close()


def _snapshot(c, seq):
    info = get_info(c, seq)
    out = {"__seq__": app_md(info)}
    for ep in info.endpoints:
        md = app_md(ep)
        loc = md["resource_locator"]
        out[loc] = (md, read_ticket(c, ep.ticket), get_info(c, loc).schema)
    return out


@pytest.fixture(scope="module")
def baseline(raw):
    seq = unique_name("baseline")
    create_sequence(raw, seq, {"purpose": "must survive bad input", "n": [1, 2, 3]})
    su, _ = create_session(raw, seq)
    rs = rich_schema()
    t1 = create_topic(raw, su, f"{seq}/rich", user_metadata={"a": 1})
    put_batches(raw, f"{seq}/rich", t1, rs, [rich_batch(rs, [BASE + k * MS for k in range(400)][::-1], seed=3)])
    ss = simple_schema()
    t2 = create_topic(raw, su, f"{seq}/simple")
    put_batches(raw, f"{seq}/simple", t2, ss, [simple_batch(ss, [BASE + k for k in (5, 1, 9, 3)])])
    finalize(raw, su)
    return seq, _snapshot(raw, seq)


@pytest.fixture(autouse=True)
def still_serves_and_baseline_identical(raw, baseline):
    yield
    envs = [json.loads(b) for b in raw_action(raw, "info", b"{}")]
    assert envs and envs[0].get("action") == "info", f"info after bad input: {envs!r}"
    seq, before = baseline
    after = _snapshot(raw, seq)
    assert sorted(after) == sorted(before), f"baseline topics changed: {sorted(after)}"
    assert after["__seq__"] == before["__seq__"], "baseline sequence app_metadata changed"
    for loc, (md, table, schema) in ((k, v) for k, v in before.items() if k != "__seq__"):
        md2, table2, schema2 = after[loc]
        assert md2 == md, f"baseline {loc} endpoint app_metadata changed:\n{md}\n{md2}"
        assert schema2.equals(schema, check_metadata=True), f"baseline {loc} schema changed"
        assert table2.equals(table), f"baseline {loc} data is no longer identical"


# ----------------------------------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------------------------------


def _open_session(c, seq):
    create_sequence(c, seq)
    return create_session(c, seq)


def _uploaded_topic(c, seq, name="t", finalize_session=False):
    su, sloc = _open_session(c, seq)
    loc = f"{seq}/{name}"
    tu = create_topic(c, su, loc)
    put_batches(c, loc, tu, simple_schema(), [simple_batch(simple_schema(), [3, 1, 2])])
    if finalize_session:
        finalize(c, su)
    return su, loc, tu


# ----------------------------------------------------------------------------------------------------------------------
# ALREADY_EXISTS
# ----------------------------------------------------------------------------------------------------------------------


def test_duplicate_sequence(raw, seq_name):
    create_sequence(raw, seq_name, {"first": True})
    expect_error(EXISTS, create_sequence, raw, seq_name, {"second": True}, mentions=[seq_name],
                 what="sequence_create(duplicate)")
    assert app_md(get_info(raw, seq_name))["user_metadata"] == {"first": True}, "duplicate create changed metadata"


def test_duplicate_sequence_with_slash_variant(raw, seq_name):
    create_sequence(raw, seq_name)
    expect_error(EXISTS, create_sequence, raw, "/" + seq_name, mentions=[seq_name],
                 what="sequence_create('/'+existing)")


def test_duplicate_topic_same_session(raw, seq_name):
    su, _ = _open_session(raw, seq_name)
    create_topic(raw, su, f"{seq_name}/a/b")
    for variant in (f"{seq_name}/a/b", f"{seq_name}/a/b/", f"/{seq_name}/a/b"):
        expect_error(EXISTS, create_topic, raw, su, variant, mentions=[f"{seq_name}/a/b", "a/b"],
                     what=f"topic_create(duplicate {variant!r})")


def test_duplicate_topic_other_session(raw, seq_name):
    su, loc, _ = _uploaded_topic(raw, seq_name, finalize_session=True)
    su2, _ = create_session(raw, seq_name)
    expect_error(EXISTS, create_topic, raw, su2, loc, mentions=[loc, "/t"], what="topic_create(topic of earlier session)")


# ----------------------------------------------------------------------------------------------------------------------
# NOT_FOUND
# ----------------------------------------------------------------------------------------------------------------------


def test_get_flight_info_unknown(raw, seq_name):
    expect_error(NOT_FOUND, get_info, raw, seq_name, mentions=[seq_name], what="get_flight_info(unknown sequence)")
    expect_error(NOT_FOUND, get_info, raw, f"{seq_name}/x/y", mentions=[seq_name],
                 what="get_flight_info(topic of unknown sequence)")
    create_sequence(raw, seq_name)
    expect_error(NOT_FOUND, get_info, raw, f"{seq_name}/x/y", mentions=[f"{seq_name}/x/y", "x/y"],
                 what="get_flight_info(unknown topic)")
    expect_error(NOT_FOUND, raw.get_schema, fl.FlightDescriptor.for_command(json.dumps({"resource_locator": f"{seq_name}/x/y"})),
                 mentions=[f"{seq_name}/x/y", "x/y"], what="get_schema(unknown topic)")


def test_do_get_ticket_of_deleted_sequence(raw, seq_name):
    _uploaded_topic(raw, seq_name, finalize_session=True)
    ticket = get_info(raw, f"{seq_name}/t").endpoints[0].ticket
    seq_ticket = get_info(raw, seq_name).endpoints[0].ticket
    action(raw, "sequence_delete", {"locator": seq_name})
    expect_error(NOT_FOUND, read_ticket, raw, ticket, mentions=[seq_name], what="do_get(topic ticket, deleted)")
    expect_error(NOT_FOUND, read_ticket, raw, seq_ticket, mentions=[seq_name], what="do_get(sequence ticket, deleted)")


def test_do_get_garbage_ticket(raw):
    for t in (b"", b"garbage", b"\x00\xff\x10", json.dumps({"resource_locator": 5}).encode()):
        expect_error((INVALID, NOT_FOUND), read_ticket, raw, fl.Ticket(t), what=f"do_get(ticket {t!r})")


@pytest.mark.parametrize(
    "name,payload",
    [
        ("sequence_delete", lambda s: {"locator": s}),
        ("session_create", lambda s: {"locator": s}),
        ("session_delete", lambda s: {"locator": f"{s}:ABC123"}),
        ("topic_delete", lambda s: {"locator": f"{s}/t"}),
        ("sequence_notification_create", lambda s: {"locator": s, "notification_type": "error", "msg": "m"}),
        ("sequence_notification_list", lambda s: {"locator": s}),
        ("sequence_notification_purge", lambda s: {"locator": s}),
        ("topic_notification_create", lambda s: {"locator": f"{s}/t", "notification_type": "error", "msg": "m"}),
        ("topic_notification_list", lambda s: {"locator": f"{s}/t"}),
        ("topic_notification_purge", lambda s: {"locator": f"{s}/t"}),
    ],
)
def test_action_on_unknown_sequence(raw, seq_name, name, payload):
    expect_error(NOT_FOUND, action, raw, name, payload(seq_name), mentions=[seq_name], what=f"{name}(unknown)")


def test_unknown_topic_and_session_in_existing_sequence(raw, seq_name):
    su, loc, _ = _uploaded_topic(raw, seq_name, finalize_session=True)
    for name, payload in [
        ("topic_delete", {"locator": f"{seq_name}/nope"}),
        ("topic_notification_list", {"locator": f"{seq_name}/nope"}),
        ("session_delete", {"locator": f"{seq_name}:ZZZ999"}),
    ]:
        expect_error(NOT_FOUND, action, raw, name, payload, mentions=[payload["locator"], "nope", "ZZZ999"],
                     what=f"{name}({payload['locator']})")


def test_session_token_unknown(raw, seq_name):
    _open_session(raw, seq_name)
    bogus = str(uuidlib.uuid4())
    # an unknown token: NOT_FOUND or PERMISSION_DENIED (INVALID_ARGUMENT if the daemon's tokens have another format)
    expect_error((NOT_FOUND, DENIED, INVALID), finalize, raw, bogus, what="session_finalize(unknown uuid)")
    expect_error((NOT_FOUND, DENIED, INVALID), create_topic, raw, bogus, f"{seq_name}/x", what="topic_create(unknown session uuid)")


# ----------------------------------------------------------------------------------------------------------------------
# INVALID_ARGUMENT: bodies
# ----------------------------------------------------------------------------------------------------------------------

BODY_ACTIONS = ["sequence_create", "session_create", "topic_create", "session_finalize", "sequence_delete",
                "sequence_notification_list", "topic_notification_create"]


@pytest.mark.parametrize("body", [b"{not json", b"", b"\xff\xfe{}", b'{"locator": "a"', b"[]", b"42", b'"str"', b"null"],
                         ids=["malformed", "empty", "bad_utf8", "truncated", "array", "number", "string", "null"])
@pytest.mark.parametrize("name", BODY_ACTIONS)
def test_bad_body(raw, name, body):
    expect_error(INVALID, raw_action, raw, name, body, what=f"{name}(body {body!r})")


@pytest.mark.parametrize(
    "name,payload,field",
    [
        ("sequence_create", {"user_metadata": {}}, "locator"),
        ("sequence_create", {"locator": 5, "user_metadata": {}}, "locator"),
        ("session_create", {}, "locator"),
        ("session_finalize", {}, "session_uuid"),
        ("session_finalize", {"session_uuid": 17}, "session_uuid"),
        ("sequence_delete", {}, "locator"),
        ("session_delete", {}, "locator"),
        ("topic_delete", {}, "locator"),
        ("sequence_notification_list", {}, "locator"),
        ("topic_notification_list", {}, "locator"),
    ],
)
def test_missing_or_mistyped_field(raw, name, payload, field):
    expect_error(INVALID, action, raw, name, payload, mentions=[field], what=f"{name}({payload})")


@pytest.mark.parametrize("missing", ["session_uuid", "locator", "ontology_tag", "serialization_format"])
def test_topic_create_missing_field(raw, seq_name, missing):
    su, _ = _open_session(raw, seq_name)
    body = {"session_uuid": su, "locator": f"{seq_name}/t", "serialization_format": "default",
            "ontology_tag": "tag", "user_metadata": {}}
    del body[missing]
    expect_error(INVALID, action, raw, "topic_create", body, mentions=[missing], what=f"topic_create without {missing}")
    # the topic was not half-created
    body = {"session_uuid": su, "locator": f"{seq_name}/t", "serialization_format": "default",
            "ontology_tag": "tag", "user_metadata": {}}
    assert action(raw, "topic_create", body)["uuid"]


def test_topic_create_bad_serialization_format(raw, seq_name):
    su, _ = _open_session(raw, seq_name)
    body = {"session_uuid": su, "locator": f"{seq_name}/t", "serialization_format": "bogus",
            "ontology_tag": "tag", "user_metadata": {}}
    expect_error(INVALID, action, raw, "topic_create", body, mentions=["serialization_format", "bogus"],
                 what="topic_create(serialization_format=bogus)")


def test_notification_create_missing_fields(raw, seq_name):
    create_sequence(raw, seq_name)
    expect_error(INVALID, action, raw, "sequence_notification_create", {"locator": seq_name, "notification_type": "error"},
                 mentions=["msg"], what="sequence_notification_create without msg")
    expect_error(INVALID, action, raw, "sequence_notification_create",
                 {"locator": seq_name, "notification_type": "weird", "msg": "m"},
                 mentions=["notification_type", "weird"], what="sequence_notification_create(type=weird)")


def test_unknown_action(raw):
    expect_error(INVALID, raw_action, raw, "no_such_action", b"{}", mentions=["no_such_action"],
                 what="do_action(no_such_action)")


# ----------------------------------------------------------------------------------------------------------------------
# INVALID_ARGUMENT: locators
# ----------------------------------------------------------------------------------------------------------------------

BAD_SEQUENCE_NAMES = {
    "empty": "",
    "slash_only": "/",
    "double_slash": "a//b",
    "dotdot_prefix": "../x",
    "dotdot_suffix": "seq/..",
    "dot": ".",
    "control_char": "a\x01b",
    "newline": "a\nb",
    "del_char": "a\x7fb",
    "space": "a b",
    "colon": "a:b",
    "non_ascii": "seq-ü",
    "too_long": "s" * 600,
}


def _mentions_for(field, text):
    m = [field]
    printable = text[:40]
    if printable and all(32 <= ord(ch) < 127 for ch in printable):
        m.append(printable)
    return m


@pytest.mark.parametrize("key", list(BAD_SEQUENCE_NAMES))
def test_bad_sequence_locator_create(raw, key):
    name = BAD_SEQUENCE_NAMES[key]
    expect_error(INVALID, create_sequence, raw, name, mentions=_mentions_for("locator", name),
                 what=f"sequence_create({name[:50]!r})")


@pytest.mark.parametrize("key", [k for k in BAD_SEQUENCE_NAMES if k != "colon"] + ["topic_dotdot", "topic_ctrl"])
def test_bad_locator_get_flight_info(raw, key):
    name = {"topic_dotdot": "seq/a/../b", "topic_ctrl": "seq/a\tb"}.get(key) or BAD_SEQUENCE_NAMES[key]
    expect_error(INVALID, get_info, raw, name, mentions=_mentions_for("resource_locator", name),
                 what=f"get_flight_info({name[:50]!r})")


@pytest.mark.parametrize("key", list(BAD_SEQUENCE_NAMES))
def test_bad_locator_other_actions(raw, key):
    name = BAD_SEQUENCE_NAMES[key]
    for act in ("session_create", "sequence_delete", "sequence_notification_list"):
        expect_error(INVALID, action, raw, act, {"locator": name}, mentions=_mentions_for("locator", name),
                     what=f"{act}({name[:50]!r})")


@pytest.mark.parametrize(
    "suffix",
    ["", "/", "//x", "/../x", "/a/..", "/a/./b", "/a//b", "/a\tb", "/a\x00b", "/a b", "/" + "y" * 600, "/a:b"],
    ids=["no_topic", "slash", "empty_seg", "dotdot", "trailing_dotdot", "dot_seg", "inner_double", "tab", "nul",
         "space", "too_long", "colon"],
)
def test_bad_topic_locator_topic_create(raw, seq_name, suffix):
    su, _ = _open_session(raw, seq_name)
    loc = seq_name + suffix
    expect_error(INVALID, create_topic, raw, su, loc, mentions=_mentions_for("locator", loc),
                 what=f"topic_create({loc[:80]!r})")


def test_topic_create_in_other_sequence_than_session(raw, seq_name):
    su, _ = _open_session(raw, seq_name)
    other = seq_name + "_other"
    create_sequence(raw, other)
    expect_error((INVALID, DENIED), create_topic, raw, su, f"{other}/t", mentions=[other, seq_name],
                 what="topic_create(locator of another sequence)")


# ----------------------------------------------------------------------------------------------------------------------
# INVALID_ARGUMENT: GetFlightInfo commands and windows
# ----------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cmd",
    [b"{bad", b"", b"[]", b'"x"', json.dumps({}).encode(), json.dumps({"resource_locator": 7}).encode()],
    ids=["malformed", "empty", "array", "string", "no_locator", "locator_int"],
)
def test_get_flight_info_bad_command(raw, cmd):
    expect_error(INVALID, raw.get_flight_info, fl.FlightDescriptor.for_command(cmd), what=f"get_flight_info(cmd {cmd!r})")


def test_get_flight_info_window_start_ge_end(raw, baseline):
    seq, _ = baseline
    for loc in (seq, f"{seq}/rich"):
        for start, end in ((BASE + 10, BASE + 10), (BASE + 11, BASE + 10), (5, -5)):
            expect_error(INVALID, get_info, raw, loc, start, end,
                         mentions=["timestamp_ns_start", "timestamp_ns_end", "window"],
                         what=f"get_flight_info({loc}, start={start}, end={end})")


@pytest.mark.parametrize("bad", ["abc", 1.5, [1], {"x": 1}, True], ids=["string", "float", "list", "object", "bool"])
def test_get_flight_info_window_wrong_type(raw, baseline, bad):
    seq, _ = baseline
    for key in ("timestamp_ns_start", "timestamp_ns_end"):
        cmd = json.dumps({"resource_locator": f"{seq}/rich", key: bad})
        expect_error(INVALID, raw.get_flight_info, fl.FlightDescriptor.for_command(cmd), mentions=[key],
                     what=f"get_flight_info({key}={bad!r})")


def test_get_flight_info_window_ok_is_not_rejected(raw, baseline):
    """Control: a valid window on the same locator works (so the rejections above are about the window)."""
    seq, _ = baseline
    info = get_info(raw, f"{seq}/rich", BASE, BASE + 1)
    assert app_md(info.endpoints[0])["time_window_info"]["row_count"] == 1


# ----------------------------------------------------------------------------------------------------------------------
# Lifecycle violations (PERMISSION_DENIED)
# ----------------------------------------------------------------------------------------------------------------------


def test_do_put_wrong_topic_uuid(raw, seq_name):
    su, _ = _open_session(raw, seq_name)
    loc_a = f"{seq_name}/a"
    loc_b = f"{seq_name}/b"
    ua = create_topic(raw, su, loc_a)
    ub = create_topic(raw, su, loc_b)
    s = simple_schema()
    for bad_uuid, what in ((str(uuidlib.uuid4()), "random uuid"), (ub, "uuid of another topic"), (su, "session uuid"),
                           ("", "empty uuid")):
        expect_error((DENIED, INVALID), put_batches, raw, loc_a, bad_uuid, s, [simple_batch(s, [1, 2])],
                     mentions=["topic_uuid", loc_a, "uuid"], what=f"do_put({what})")
    # nothing of those streams was kept and the real upload still works
    put_batches(raw, loc_a, ua, s, [simple_batch(s, [9, 8])])
    put_batches(raw, loc_b, ub, s, [simple_batch(s, [4])])
    finalize(raw, su)
    assert read_topic(raw, loc_a).column("timestamp_ns").to_pylist() == [8, 9]
    assert read_topic(raw, loc_b).column("timestamp_ns").to_pylist() == [4]


def test_do_put_bad_descriptor(raw, seq_name):
    su, _ = _open_session(raw, seq_name)
    loc = f"{seq_name}/a"
    tu = create_topic(raw, su, loc)
    s = simple_schema()
    for desc, what in (
        (fl.FlightDescriptor.for_command(b"{oops"), "malformed cmd"),
        (fl.FlightDescriptor.for_command(json.dumps({"topic_uuid": tu})), "no resource_locator"),
        (fl.FlightDescriptor.for_command(json.dumps({"resource_locator": loc})), "no topic_uuid"),
    ):
        def put():
            w, _ = raw.do_put(desc, s)
            try:
                w.write_batch(simple_batch(s, [1]))
                w.done_writing()
            finally:
                w.close()
        expect_error(INVALID, put, what=f"do_put({what})")
    put_batches(raw, loc, tu, s, [simple_batch(s, [1])])


def test_do_put_to_topic_of_finalized_session(raw, seq_name):
    su, loc, tu = _uploaded_topic(raw, seq_name, finalize_session=True)
    s = simple_schema()
    expect_error(DENIED, put_batches, raw, loc, tu, s, [simple_batch(s, [100])], mentions=[loc, "final", "lock"],
                 what="do_put(topic of finalized session)")
    assert read_topic(raw, loc).column("timestamp_ns").to_pylist() == [1, 2, 3]


def test_topic_create_on_finalized_session(raw, seq_name):
    su, loc, _ = _uploaded_topic(raw, seq_name, finalize_session=True)
    expect_error(DENIED, create_topic, raw, su, f"{seq_name}/late", mentions=[seq_name, "final", "lock", "session"],
                 what="topic_create(finalized session)")
    expect_error(NOT_FOUND, get_info, raw, f"{seq_name}/late", what="get_flight_info(topic refused at creation)")


def test_session_finalize_twice(raw, seq_name):
    su, loc, _ = _uploaded_topic(raw, seq_name, finalize_session=True)
    expect_error(DENIED, finalize, raw, su, mentions=[seq_name, "final", "lock", "session"], what="session_finalize(again)")
    s = app_md(get_info(raw, seq_name))["sessions"]
    assert len(s) == 1 and s[0]["locked"] is True


def test_second_do_put_to_uploaded_topic(raw, seq_name):
    su, loc, tu = _uploaded_topic(raw, seq_name, finalize_session=False)
    s = simple_schema()
    expect_error(DENIED, put_batches, raw, loc, tu, s, [simple_batch(s, [50, 60])], mentions=[loc, "upload"],
                 what="do_put(already uploaded topic)")
    finalize(raw, su)
    assert read_topic(raw, loc).column("timestamp_ns").to_pylist() == [1, 2, 3], "second upload leaked rows"


# ----------------------------------------------------------------------------------------------------------------------
# Schema validation on DoPut
# ----------------------------------------------------------------------------------------------------------------------

BAD_TS_SCHEMAS = {
    "no_timestamp": pa.schema([pa.field("value", pa.float64())]),
    "nullable_timestamp": pa.schema([pa.field("timestamp_ns", pa.int64(), nullable=True), pa.field("value", pa.float64())]),
    "int32_timestamp": pa.schema([pa.field("timestamp_ns", pa.int32(), nullable=False), pa.field("value", pa.float64())]),
    "arrow_timestamp_type": pa.schema([pa.field("timestamp_ns", pa.timestamp("ns"), nullable=False)]),
    "uint64_timestamp": pa.schema([pa.field("timestamp_ns", pa.uint64(), nullable=False)]),
}


@pytest.mark.parametrize("key", list(BAD_TS_SCHEMAS))
def test_do_put_bad_timestamp_schema(raw, seq_name, key):
    su, _ = _open_session(raw, seq_name)
    loc = f"{seq_name}/t"
    tu = create_topic(raw, su, loc)
    schema = BAD_TS_SCHEMAS[key]
    batch = pa.RecordBatch.from_pylist(
        [{n: (i + 1 if n == "timestamp_ns" else 0.5) for n in schema.names} for i in range(3)], schema=schema
    )
    expect_error(INVALID, put_batches, raw, loc, tu, schema, [batch], mentions=["timestamp_ns"],
                 what=f"do_put({key})")
    # a rejected stream keeps nothing: the correct upload is accepted afterwards
    good = simple_schema()
    put_batches(raw, loc, tu, good, [simple_batch(good, [2, 1])])
    finalize(raw, su)
    info = get_info(raw, loc)
    assert info.schema.equals(good, check_metadata=True), f"schema after rejected stream: {info.schema}"
    assert read_topic(raw, loc).column("timestamp_ns").to_pylist() == [1, 2]


def _null_ts_batch(schema):
    """A batch that claims a non-null timestamp_ns but carries a null in it."""
    ts = pa.array([10, None, 30], type=pa.int64())
    cols = [ts] + [pa.array([1.0, 2.0, 3.0], type=f.type) if f.name == "value" else pa.nulls(3, f.type)
                   for f in list(schema)[1:]]
    return pa.RecordBatch.from_arrays(cols, schema=schema)


def test_failed_stream_midway_keeps_nothing(raw, seq_name):
    su, _ = _open_session(raw, seq_name)
    loc = f"{seq_name}/t"
    tu = create_topic(raw, su, loc)
    s = simple_schema()
    good = [simple_batch(s, [BASE + k for k in range(0, 100)]), simple_batch(s, [BASE + k for k in range(100, 200)])]
    expect_error(INVALID, put_batches, raw, loc, tu, s, good + [_null_ts_batch(s)] + good,
                 mentions=["timestamp_ns", "null"], what="do_put(batch with null timestamp_ns)")
    md = app_md(get_info(raw, loc).endpoints[0])
    assert md["data_info"]["total_row_count"] == 0, f"failed stream left rows behind: {md['data_info']}"
    # retry with the same schema is accepted and only its rows exist
    retry = [simple_batch(s, [7, 5, 6])]
    put_batches(raw, loc, tu, s, retry)
    finalize(raw, su)
    got = read_topic(raw, loc)
    assert_tables_equal(got, sort_by_ts(pa.Table.from_batches(retry)), "topic after failed stream + retry")


def test_retry_with_different_schema_names_first_differing_field(raw, seq_name):
    su, _ = _open_session(raw, seq_name)
    loc = f"{seq_name}/t"
    tu = create_topic(raw, su, loc)
    s = simple_schema([pa.field("label", pa.string()), pa.field("count", pa.int32())])
    expect_error(INVALID, put_batches, raw, loc, tu, s, [simple_batch(s, [1, 2]), _null_ts_batch(s)],
                 mentions=["timestamp_ns"], what="first do_put (fails midway)")
    changed = {
        "label": pa.schema([TS_FIELD, pa.field("value", pa.float64()), pa.field("label", pa.large_string()),
                            pa.field("count", pa.int32())]),
        "count": pa.schema([TS_FIELD, pa.field("value", pa.float64()), pa.field("label", pa.string()),
                            pa.field("count", pa.int64())]),
        "extra": pa.schema([TS_FIELD, pa.field("value", pa.float64()), pa.field("label", pa.string()),
                            pa.field("count", pa.int32()), pa.field("extra", pa.bool_())]),
        "value": pa.schema([TS_FIELD, pa.field("value", pa.float32()), pa.field("label", pa.string()),
                            pa.field("count", pa.int32())]),
    }
    for first_diff, schema2 in changed.items():
        expect_error(INVALID, put_batches, raw, loc, tu, schema2, [simple_batch(schema2, [1])], mentions=[first_diff],
                     what=f"retry do_put with schema differing first at {first_diff!r}")
    put_batches(raw, loc, tu, s, [simple_batch(s, [3, 1])])
    finalize(raw, su)
    assert get_info(raw, loc).schema.equals(flight_form(s), check_metadata=True)
    assert read_topic(raw, loc).column("timestamp_ns").to_pylist() == [1, 3]


CRASHING_CLIENT = textwrap.dedent(
    """
    import json, os, sys, time
    import pyarrow as pa, pyarrow.flight as fl
    location, locator, topic_uuid = sys.argv[1:4]
    # the same schema as mosaico_testlib.simple_schema(), so that the retry below matches the snapshot
    schema = pa.schema([pa.field("timestamp_ns", pa.int64(), nullable=False,
                                 metadata={"description": "record time [ns]"}),
                        pa.field("value", pa.float64())])
    c = fl.FlightClient(location)
    desc = fl.FlightDescriptor.for_command(json.dumps({"resource_locator": locator, "topic_uuid": topic_uuid}))
    w, _ = c.do_put(desc, schema)
    for i in range(5):
        w.write_batch(pa.RecordBatch.from_pydict({"timestamp_ns": list(range(i * 100, i * 100 + 100)),
                                                  "value": [0.5] * 100}, schema=schema))
    time.sleep(0.3)
    print("WROTE", flush=True)
    os._exit(3)  # die without done_writing / close
    """
)


def test_client_dies_midway_keeps_nothing(raw, daemon, seq_name):
    su, _ = _open_session(raw, seq_name)
    loc = f"{seq_name}/t"
    tu = create_topic(raw, su, loc)
    proc = subprocess.run([sys.executable, "-c", CRASHING_CLIENT, daemon.location, loc, tu],
                          capture_output=True, timeout=30)
    assert b"WROTE" in proc.stdout, f"crashing client did not run: {proc.stderr[-2000:]!r}"
    s = simple_schema()
    retry = [simple_batch(s, [BASE + 2, BASE + 1])]
    deadline = time.monotonic() + 5
    while True:
        try:
            put_batches(raw, loc, tu, s, retry)
            break
        except fl.FlightUnauthorizedError as e:
            # the daemon may not have noticed the dead stream yet
            if time.monotonic() > deadline:
                di = app_md(get_info(raw, loc).endpoints[0])["data_info"]
                raise AssertionError(
                    "the uploading client died mid-stream (no done_writing), yet the daemon kept that stream as a "
                    f"complete upload: data_info={di}; the retry is refused with PERMISSION_DENIED: {str(e)[:200]!r}"
                ) from None
            time.sleep(0.1)
    finalize(raw, su)
    got = read_topic(raw, loc)
    assert_tables_equal(got, sort_by_ts(pa.Table.from_batches(retry)), "topic after a dead client + retry")
    assert app_md(get_info(raw, loc).endpoints[0])["data_info"]["total_row_count"] == 2
