"""Seeded dataset generator for the query differential tests (issue #3, docs/QUERY.md).

build_dataset(seed)        -> a dataset (see query_reference.py for the shape) plus the upload plan; deterministic.
upload_dataset(loc, ds)    -> uploads it through raw pyarrow.flight actions + DoPut (threads), then fills in the
                              server-side created_at_ns of every sequence and topic (from GetFlightInfo).
snapshot_dataset(fc, seqs) -> the reference dataset of sequences already stored in a daemon (whatever wrote them),
                              read back through GetFlightInfo + DoGet: for tests that write through the SDK.
(The random requests over this data: query_gen.QueryGen.)

Schemas follow the SDK's conventions: `timestamp_ns: int64 not null` first, then the model's fields at top level
(nested structs, lists, lists of structs, strings, bools, ints of every width, float32/float64, nullable leaves).
What the data holds on purpose:
  * two schema versions of the tag "evt" (v2 drops `uval`, adds `extra` and `tags`): a topic whose schema lacks a
    path sees it as null;
  * a tag "ghost" only ever uploaded with zero rows (a schema, no data) and a tag "orphan" only ever created without
    a DoPut (no schema at all: conditions on it match nothing, no error);
  * a few big "cam" topics (binary payload) uploaded in time order in small batches, so that they span several 1 MiB
    chunks whose statistics differ (values correlated with time, a field null in one region only, a struct null in
    another): chunk pruning is exercised;
  * int extremes of every width (int64 min/max, uint64 max), -0.0, float32 values that are not exact decimals, non
    ASCII strings, strings holding glob metacharacters, big ints in user metadata, a metadata key holding a dot.
Row timestamps are multiples of 1000 ns; generated timestamp_range bounds are either on a row or 500 ns off one.
"""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pyarrow as pa
import pyarrow.flight as fl

import mosaico_testlib as tl

BASE_TS = 1_760_000_000_000_000_000
US = 1_000

TS = pa.field("timestamp_ns", pa.int64(), nullable=False)


def _f(name, typ, nullable=True):
    return pa.field(name, typ, nullable=nullable)


_EVT_COMMON = [
    TS,
    _f("code", pa.int64()),
    _f("msg", pa.string()),
    _f("level", pa.int8()),
    _f("flag", pa.bool_(), False),
    _f("value", pa.float64()),
]

# tag -> schema versions (a topic uses one of them)
TAG_SCHEMAS_PA: dict[str, list[pa.Schema]] = {
    "imu": [
        pa.schema(
            [
                TS,
                _f("acc", pa.struct([_f("x", pa.float64()), _f("y", pa.float64()), _f("z", pa.float64())])),
                _f("gyro", pa.struct([_f("x", pa.float32()), _f("y", pa.float32()), _f("z", pa.float32())]), False),
                _f("temp", pa.float32()),
                _f("seq", pa.int32()),
                _f("counter", pa.uint64()),
                _f("frame_id", pa.string()),
                _f("calibrated", pa.bool_()),
                _f("cov", pa.list_(pa.float64())),
            ]
        )
    ],
    "gps": [
        pa.schema(
            [
                TS,
                _f("pos", pa.struct([_f("lat", pa.float64()), _f("lon", pa.float64()), _f("alt", pa.float32())]),
                   False),
                _f(
                    "status",
                    pa.struct(
                        [
                            _f("fix", pa.int8(), False),
                            _f("service", pa.uint16(), False),
                            _f("sats", pa.uint8()),
                            _f("hdop", pa.float64()),
                            _f("valid", pa.bool_()),
                        ]
                    ),
                ),
                _f("label", pa.string()),
                _f("mode", pa.int16()),
                _f("big", pa.int64()),
            ]
        )
    ],
    "Joint_State": [
        pa.schema(
            [
                TS,
                _f("names", pa.list_(pa.string()), False),
                _f("positions", pa.list_(pa.float64()), False),
                _f("efforts", pa.list_(pa.int32())),
                _f(
                    "header",
                    pa.struct(
                        [
                            _f("frame_id", pa.string()),
                            _f("stamp", pa.struct([_f("sec", pa.int32(), False), _f("nsec", pa.uint32(), False)])),
                        ]
                    ),
                ),
            ]
        )
    ],
    "path": [
        pa.schema(
            [
                TS,
                _f(
                    "poses",
                    pa.list_(
                        pa.struct(
                            [
                                _f("x", pa.float64()),
                                _f("y", pa.float64()),
                                _f("kind", pa.string()),
                                _f("ok", pa.bool_()),
                                _f("w", pa.list_(pa.float32())),
                            ]
                        )
                    ),
                ),
                _f("length", pa.float64()),
                _f("id", pa.int64()),
            ]
        )
    ],
    "evt": [
        pa.schema(_EVT_COMMON + [_f("uval", pa.uint32())]),
        pa.schema(_EVT_COMMON + [_f("extra", pa.large_string()), _f("tags", pa.list_(pa.string()))]),
    ],
    # only ever uploaded with zero rows: a known tag whose topics have a schema but no data
    "ghost": [pa.schema([TS, _f("v", pa.float64()), _f("note", pa.string())])],
    # only ever created without a DoPut: topics of this tag exist, but no schema does
    "orphan": [pa.schema([TS, _f("v", pa.float64()), _f("note", pa.string())])],
    # big topics spanning several chunks (see _cam_rows); `data` is binary and never queried
    "cam": [
        pa.schema(
            [
                TS,
                _f("frame", pa.int64(), False),
                _f("exposure", pa.float64()),
                _f("gain", pa.float32()),
                _f("format", pa.string()),
                _f("ok", pa.bool_()),
                _f("label", pa.string()),
                _f("rois", pa.list_(pa.int32())),
                _f("meta", pa.struct([_f("seq", pa.int32()), _f("src", pa.string())])),
                _f("data", pa.binary()),
            ]
        )
    ],
}

TAG_WEIGHTS = {"imu": 30, "gps": 22, "Joint_State": 16, "path": 14, "evt": 14, "ghost": 4, "orphan": 3}
UNKNOWN_TAGS = ["nosuch", "IMU"]  # tags no topic has (the dataset's "imu" is lower case)

STR_POOL = [
    "base_link", "imu_link", "map", "odom", "Front", "rear", "a1", "b22", "c333", "x_y-z", "", "abc", "ABC", "zzz",
    "frame9", "0001", "left", "right", "cam.front", "a", "ab", "ba", "joint_1", "joint_2", "joint_10", "Joint_1",
    "café", "Zürich", "€uro", "日本語", "x😀y", "a*b", "what?", "#1", "[tag]", "a]b", " sp ace ",
]
MD_KEYS = ["env", "driver", "weather", "robot", "mission", "tags", "cfg", "calib", "a", "b", "c", "level", "id",
           "name", "ok", "score", "temp", "speed", "version", "notes"]
MD_STRS = ["alice", "bob", "Alice", "sunny", "rain", "fog", "v1", "v2", "v10", "x", "", "test_01", "test_02",
           "prod", "lab-3", "zone.a", "42", "true", "ünï", "a*?", "[x]"]
SEQ_NAME_FORMS = ["run_{i:03d}", "drive-{i}", "Calib.{i}", "test{i}_x", "R{i:04d}", "night_run_{i}", "a{i}"]
TOPIC_NAMES = ["sensors/imu", "imu", "imu_2", "gps", "gps/raw", "cam/front/left", "joints", "robot/joint_states",
               "path/plan", "events", "evt-log", "a.b", "x1", "diag/events.v2", "sensors/imu/raw", "nav/path"]
CAM_TOPIC = "cam/big"


# ----------------------------------------------------------------------------------------------------------------------
# Schema descriptors for the reference
# ----------------------------------------------------------------------------------------------------------------------


def _leaf_kind(t: pa.DataType) -> str:
    if pa.types.is_boolean(t):
        return "bool"
    if pa.types.is_integer(t):
        return "int"
    if pa.types.is_floating(t):
        return "float"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "string"  # string_view: a top-level string as the daemon announces it (PROTOCOL_NOTES.md)
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        return "binary"
    if pa.types.is_timestamp(t) or pa.types.is_date(t) or pa.types.is_time(t) or pa.types.is_duration(t):
        return "binary"  # not one of QUERY.md's kinds: never addressed by the generators
    raise AssertionError(f"unsupported type {t}")


def type_descriptor(t: pa.DataType):
    if pa.types.is_struct(t):
        return {t.field(i).name: type_descriptor(t.field(i).type) for i in range(t.num_fields)}
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return ("list", type_descriptor(t.value_type))
    if pa.types.is_map(t):
        return "binary"
    return _leaf_kind(t)


def schema_descriptor(schema: pa.Schema) -> dict:
    return {f.name: type_descriptor(f.type) for f in schema}


def _binary_columns(schema: pa.Schema) -> list:
    return [f.name for f in schema if type_descriptor(f.type) == "binary"]


# ----------------------------------------------------------------------------------------------------------------------
# Random values
# ----------------------------------------------------------------------------------------------------------------------


def _int_extremes(t: pa.DataType) -> list:
    bits = t.bit_width
    if pa.types.is_signed_integer(t):
        return [2 ** (bits - 1) - 1, -(2 ** (bits - 1)), 2 ** (bits - 1) - 2]
    return [2**bits - 1, 2**bits - 2]


def rand_scalar(rnd: random.Random, t: pa.DataType) -> Any:
    if pa.types.is_boolean(t):
        return rnd.random() < 0.5
    if pa.types.is_integer(t):
        signed = pa.types.is_signed_integer(t)
        if rnd.random() < 0.04:
            return rnd.choice(_int_extremes(t))
        span = {8: 6, 16: 20, 32: 60, 64: 1000}[t.bit_width]
        return rnd.randint(-span if signed else 0, span)
    if pa.types.is_float32(t):
        r = rnd.random()
        if r < 0.06:
            return rnd.choice([0.1, 0.2, 1 / 3, -0.0, 3.4e38])  # stored rounded to float32
        return rnd.randint(-400, 400) / 8
    if pa.types.is_floating(t):
        r = rnd.random()
        if r < 0.15:
            return rnd.choice([0.0, -0.0, 1.5, -2.25, 100.0, 0.1, 1e300, -5e-324])
        if r < 0.3:
            return float(rnd.randint(-20, 20))
        return round(rnd.uniform(-50, 50), 1)
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        if rnd.random() < 0.7:
            return rnd.choice(STR_POOL)
        alphabet = "abcxyzABC0123456789_-.é"
        return "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 10)))
    raise AssertionError(t)


def rand_value(rnd: random.Random, t: pa.DataType, nullable: bool) -> Any:
    if nullable and rnd.random() < 0.08:
        return None
    if pa.types.is_struct(t):
        return {t.field(i).name: rand_value(rnd, t.field(i).type, t.field(i).nullable) for i in range(t.num_fields)}
    if pa.types.is_list(t):
        n = 0 if rnd.random() < 0.12 else rnd.randint(1, 4)
        vf = t.value_field
        return [rand_value(rnd, vf.type, vf.nullable) for _ in range(n)]
    return rand_scalar(rnd, t)


def rand_metadata(rnd: random.Random, depth: int = 0, max_keys: int = 6) -> dict:
    out = {}
    for _ in range(rnd.randint(0 if depth == 0 else 1, max_keys if depth == 0 else 3)):
        k = rnd.choice(MD_KEYS) if rnd.random() < 0.98 else "v 2-x"  # space and dash: valid key characters
        out[k] = rand_md_value(rnd, depth)
    return out


def rand_md_value(rnd: random.Random, depth: int) -> Any:
    r = rnd.random()
    if r < 0.2:
        return rnd.randint(-3, 15)
    if r < 0.23:
        return rnd.choice([2**53 + 1, -(2**62), 2**63 - 1, 9007199254740993])
    if r < 0.3:
        return rnd.randint(-12, 60) / 4
    if r < 0.5:
        return rnd.choice(MD_STRS)
    if r < 0.6:
        return rnd.random() < 0.5
    if r < 0.65:
        return None
    if r < 0.75:
        return [rnd.choice([rnd.randint(0, 5), rnd.choice(MD_STRS), True]) for _ in range(rnd.randint(0, 3))]
    if depth < 3:
        return rand_metadata(rnd, depth + 1)
    return rnd.choice(MD_STRS)


# ----------------------------------------------------------------------------------------------------------------------
# Dataset
# ----------------------------------------------------------------------------------------------------------------------


def _rows_for(rnd: random.Random, schema: pa.Schema, n: int, start: int) -> list:
    rows = []
    ts = start
    for _ in range(n):
        row = {"timestamp_ns": ts}
        for f in schema:
            if f.name != "timestamp_ns":
                row[f.name] = rand_value(rnd, f.type, f.nullable)
        rows.append(row)
        ts += rnd.choice([0, 1, 1, 2, 3, 5, 10, 40, 100]) * US
    return rows


def _cam_rows(rnd: random.Random, n: int, start: int, payload: int) -> list:
    """Values correlated with time, so that chunks have distinct statistics."""
    rows = []
    ts = start
    for i in range(n):
        third = 3 * i // n
        rows.append(
            {
                "timestamp_ns": ts,
                "frame": i,
                "exposure": None if i % 29 == 7 else 10.0 + i * 0.5,
                "gain": None if third == 0 else (i % 17) / 8,  # null in the first third only
                "format": "raw" if i % 53 == 11 else ("jpeg" if 2 * i < n else "png"),
                "ok": None if third == 1 and i % 5 else (i % 3 == 0),  # mostly null in the middle third
                "label": f"f{i:04d}",
                "rois": [] if i % 13 == 0 else [i // 10, i // 10 + 1],
                "meta": None if third == 2 and i % 4 == 0 else {"seq": i, "src": "cam" if i % 2 else "sim"},
                "data": rnd.randbytes(payload),
            }
        )
        ts += (50_000 if i % 40 == 39 else rnd.choice([1000, 1000, 2000])) * US
    return rows


def _batches_of(rows: list, schema: pa.Schema, size: int) -> list:
    return [pa.RecordBatch.from_pylist(rows[k : k + size], schema=schema) for k in range(0, len(rows), size)]


def _stored_rows(batches: list, schema: pa.Schema) -> list:
    """What the reference sees: exactly what Arrow holds (float32 rounding included), binary columns dropped."""
    drop = set(_binary_columns(schema))
    stored = []
    for b in batches:
        for r in b.to_pylist():
            for k in drop:
                r.pop(k, None)
            stored.append(r)
    stored.sort(key=lambda r: r["timestamp_ns"])
    return stored


def build_dataset(seed: int, n_sequences: int = 200, prefix: str = "", n_cam: int = 4,
                  cam_rows: int = 240, cam_payload: int = 12_000, max_rows: int = 20) -> dict:
    """Deterministic dataset. Each topic carries `_plan` (how to upload it), `_schema` and `_batches`."""
    rnd = random.Random(seed)
    tags = list(TAG_WEIGHTS)
    weights = [TAG_WEIGHTS[t] for t in tags]
    cam_seqs = set(rnd.sample(range(n_sequences), min(n_cam, n_sequences)))
    sequences = []
    for i in range(n_sequences):
        name = prefix + rnd.choice(SEQ_NAME_FORMS).format(i=i)
        n_topics = rnd.choices([0, 1, 2, 3, 4, 5], weights=[6, 14, 25, 25, 16, 14])[0]
        topic_names = rnd.sample(TOPIC_NAMES, n_topics)
        topics = []
        for tname in topic_names:
            tag = rnd.choices(tags, weights=weights)[0]
            schema = rnd.choice(TAG_SCHEMAS_PA[tag])
            r = rnd.random()
            if tag == "ghost" or r < 0.06:
                n_rows, plan = 0, "empty_put"
            elif tag == "orphan" or r < 0.08:
                n_rows, plan = 0, "no_put"
            else:
                n_rows, plan = rnd.randint(1, max_rows), "put"
            if tag == "orphan":
                n_rows, plan = 0, "no_put"
            start = BASE_TS + i * 10**9 + rnd.randint(0, 200) * US
            rows = _rows_for(rnd, schema, n_rows, start)
            shuffled = rows[:]
            rnd.shuffle(shuffled)
            batches = []
            if shuffled:
                cut = rnd.randint(1, len(shuffled))
                for part in (shuffled[:cut], shuffled[cut:]):
                    if part:
                        batches.append(pa.RecordBatch.from_pylist(part, schema=schema))
            topics.append(_topic(name, tname, tag, schema, plan, batches, rnd))
        if i in cam_seqs:
            schema = TAG_SCHEMAS_PA["cam"][0]
            rows = _cam_rows(rnd, cam_rows + rnd.randint(0, 40), BASE_TS + i * 10**9 + 7 * US, cam_payload)
            if len(cam_seqs) > 1 and i == min(cam_seqs):
                rnd.shuffle(rows)  # one big topic uploaded out of order: chunks overlap in time
            topics.append(_topic(name, CAM_TOPIC, "cam", schema, "put", _batches_of(rows, schema, 16), rnd))
        n_sessions = 2 if (len(topics) >= 2 and rnd.random() < 0.2) else (1 if topics or rnd.random() < 0.5 else 0)
        if n_sessions == 2:
            cut = rnd.randint(1, len(topics) - 1)
            for t in topics[cut:]:
                t["_session"] = 1
        sequences.append(
            {
                "name": name,
                "created_at_ns": None,
                "user_metadata": rand_metadata(rnd),
                "topics": topics,
                "_sessions": n_sessions,
            }
        )
    ds = {"sequences": sequences}
    ds["tag_schemas"] = tag_schemas_of(ds)
    return ds


def _topic(seq_name: str, tname: str, tag: str, schema: pa.Schema, plan: str, batches: list,
           rnd: random.Random) -> dict:
    return {
        "name": tname,  # stored relative
        "locator": f"{seq_name}/{tname}",
        "ontology_tag": tag,
        "created_at_ns": None,
        "user_metadata": rand_metadata(rnd),
        "rows": _stored_rows(batches, schema),
        "_plan": plan,
        "_schema": schema,
        "_batches": batches,
        "_session": 0,
    }


def tag_schemas_of(ds: dict) -> dict:
    """tag -> distinct schema descriptors of the topics that have a schema (a DoPut stream was opened)."""
    out: dict = {}
    for s in ds["sequences"]:
        for t in s["topics"]:
            if t.get("_plan", "put") == "no_put":
                continue
            d = schema_descriptor(t["_schema"])
            lst = out.setdefault(t["ontology_tag"], [])
            if d not in lst:
                lst.append(d)
    return out


def dataset_stats(ds: dict) -> dict:
    topics = [t for s in ds["sequences"] for t in s["topics"]]
    return {
        "sequences": len(ds["sequences"]),
        "topics": len(topics),
        "topics_with_rows": sum(1 for t in topics if t["rows"]),
        "rows": sum(len(t["rows"]) for t in topics),
        "tags_with_schema": sorted(ds["tag_schemas"]),
    }


# ----------------------------------------------------------------------------------------------------------------------
# Upload
# ----------------------------------------------------------------------------------------------------------------------


def _upload_sequence(client: fl.FlightClient, seq: dict):
    tl.create_sequence(client, seq["name"], seq["user_metadata"])
    for s_idx in range(seq["_sessions"]):
        session_uuid, _ = tl.create_session(client, seq["name"])
        for t in seq["topics"]:
            if t["_session"] != s_idx:
                continue
            tuuid = tl.create_topic(
                client,
                session_uuid,
                t["locator"],
                ontology_tag=t["ontology_tag"],
                user_metadata=t["user_metadata"],
            )
            if t["_plan"] in ("put", "empty_put"):
                tl.put_batches(client, t["locator"], tuuid, t["_schema"], t["_batches"])
        tl.finalize(client, session_uuid)
    fill_created_at(client, seq)


def fill_created_at(client: fl.FlightClient, seq: dict):
    info = tl.get_info(client, seq["name"])
    md = tl.app_md(info)
    seq["created_at_ns"] = md["created_at_ns"]
    by_loc = {}
    for ep in info.endpoints:
        emd = tl.app_md(ep)
        by_loc[str(emd["resource_locator"]).strip("/")] = emd
    for t in seq["topics"]:
        emd = by_loc.get(t["locator"])
        assert emd is not None, f"no endpoint for {t['locator']} in {sorted(by_loc)}"
        t["created_at_ns"] = emd["created_at_ns"]
        t["_endpoint_md"] = emd


def upload_dataset(location: str, ds: dict, threads: int = 6):
    local = threading.local()
    clients = []
    lock = threading.Lock()

    def client():
        c = getattr(local, "c", None)
        if c is None:
            c = fl.FlightClient(location)
            local.c = c
            with lock:
                clients.append(c)
        return c

    # the big topics first: they take longest
    order = sorted(ds["sequences"], key=lambda s: -sum(len(t["rows"]) for t in s["topics"]))
    try:
        with ThreadPoolExecutor(max_workers=threads) as ex:
            for fut in [ex.submit(lambda s=s: _upload_sequence(client(), s)) for s in order]:
                fut.result()
    finally:
        for c in clients:
            c.close()


def public_dataset(ds: dict) -> dict:
    """The dataset without the upload plan (JSON-serialisable apart from tuples in descriptors)."""
    return {
        "sequences": [
            {
                "name": s["name"],
                "created_at_ns": s["created_at_ns"],
                "user_metadata": s["user_metadata"],
                "topics": [{k: v for k, v in t.items() if not k.startswith("_")} for t in s["topics"]],
            }
            for s in ds["sequences"]
        ],
        "tag_schemas": ds["tag_schemas"],
    }


def snapshot_dataset(client: fl.FlightClient, seq_names: list) -> dict:
    """The reference dataset of sequences stored in a daemon, read back through GetFlightInfo and DoGet.

    A topic's schema counts for its tag when the topic has a non-empty schema (a DoPut stream was opened)."""
    ds: dict = {"sequences": [], "tag_schemas": {}}
    for name in seq_names:
        info = tl.get_info(client, name)
        md = tl.app_md(info)
        seq = {"name": name, "created_at_ns": md["created_at_ns"], "user_metadata": md.get("user_metadata") or {},
               "topics": []}
        for ep in info.endpoints:
            emd = tl.app_md(ep)
            loc = str(emd["resource_locator"]).strip("/")
            try:
                table = tl.read_ticket(client, ep.ticket)
            except pa.ArrowInvalid:  # a topic without a DoPut has no schema: nothing to read
                table = pa.table({})
            schema = table.schema
            drop = set(_binary_columns(schema)) if len(schema) else set()
            rows = []
            for r in table.to_pylist():
                for k in drop:
                    r.pop(k, None)
                rows.append(r)
            rows.sort(key=lambda r: r["timestamp_ns"])
            seq["topics"].append({
                "name": loc.split("/", 1)[1],
                "locator": loc,
                "ontology_tag": emd["ontology_tag"],
                "created_at_ns": emd["created_at_ns"],
                "user_metadata": emd.get("user_metadata") or {},
                "rows": rows,
            })
            if len(schema) and "timestamp_ns" in schema.names:
                d = schema_descriptor(schema)
                lst = ds["tag_schemas"].setdefault(emd["ontology_tag"], [])
                if d not in lst:
                    lst.append(d)
        ds["sequences"].append(seq)
    return ds
