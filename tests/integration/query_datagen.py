"""Seeded data and query generators for the query differential tests (issue #3, docs/QUERY.md).

build_dataset(seed)        -> a dataset (see query_reference.py for the shape) plus the upload plan; deterministic.
upload_dataset(loc, ds)    -> uploads it through raw pyarrow.flight actions + DoPut (threads), then fills in the
                              server-side created_at_ns of every sequence and topic (from GetFlightInfo).
snapshot_dataset(fc, seqs) -> the reference dataset of sequences already stored in a daemon (whatever wrote them),
                              read back through GetFlightInfo + DoGet: for tests that write through the SDK.
QueryGen(ds, seed)         -> .query(), .clusterize_body(), .intersect_body(): random requests over the grammar,
                              biased towards values that exist in the data so that results are not all empty; a few
                              percent of the queries are deliberately invalid (the reference says which).

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

import json
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Optional

import pyarrow as pa
import pyarrow.flight as fl

import mosaico_testlib as tl
import query_reference as ref

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
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "string"
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
        k = rnd.choice(MD_KEYS) if rnd.random() < 0.98 else "v.2"  # a key holding a dot: no dotted path reaches it
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


# ----------------------------------------------------------------------------------------------------------------------
# Random queries
# ----------------------------------------------------------------------------------------------------------------------

_GLOB_META = {"*": "[*]", "?": "[?]", "#": "[#]", "[": "[[]"}


def glob_from(rnd: random.Random, s: str) -> str:
    """A valid glob derived from s: usually matches s, sometimes deliberately not."""
    if rnd.random() < 0.05:
        return rnd.choice(["*", "", "?", "*?*", "#*", "*#", "[a-z]*", "*[0-9]", "**", "*a**", "[a-]*", "[-_]*"])
    out = []
    i = 0
    while i < len(s):
        c = s[i]
        r = rnd.random()
        if r < 0.12:
            # a star eating a run (possibly empty); sometimes a double star (the same as one)
            j = i + rnd.randint(0, 4)
            out.append("**" if rnd.random() < 0.1 else "*")
            i = j
            continue
        if r < 0.22:
            out.append("?")
        elif r < 0.32 and c.isdigit() and c.isascii():
            out.append("#")
        elif r < 0.40 and c.isalnum():
            others = "".join(rnd.sample("abcxyzABC0123", 3))
            if rnd.random() < 0.8:
                out.append("[" + others + c + "]")
            else:  # a class that may miss c
                out.append("[" + others + "]")
        elif r < 0.45 and c.isascii() and c.isalpha():
            out.append("[a-z]" if c.islower() else "[A-Z]")
        elif r < 0.47:
            out.append(rnd.choice("abc0_"))  # a literal that may break the match
        else:
            out.append(_GLOB_META.get(c, c))
        i += 1
    if rnd.random() < 0.15:
        out.insert(0, "*")
    if rnd.random() < 0.15:
        out.append("*")
    if rnd.random() < 0.05:
        out.append("?")
    return "".join(out)


def _resolve_concrete(rnd: random.Random, value: Any, path: list) -> Any:
    """A value at `path` in a row, choosing a random element for [?]/[!]. None when missing/null."""
    for step, val in path:
        if value is None:
            return None
        if step == "field":
            value = value.get(val)
        else:
            if not value:
                return None
            if val in ("?", "!"):
                value = rnd.choice(value)
            else:
                value = value[val] if val < len(value) else None
    return value


def path_to_key(tag: str, path: list) -> str:
    out = tag
    for step, val in path:
        out += ("." + val) if step == "field" else f"[{val}]"
    return out


_path_to_key = path_to_key


def _int64_arg(x: Any) -> Any:
    """Query arguments stay within int64 (outside, nothing can hold them: see test_query_bad): else a float."""
    if type(x) is int and not (ref.INT64_MIN <= x <= ref.INT64_MAX):
        return float(x)
    return x


class QueryGen:
    def __init__(self, ds: dict, seed: int, invalid_rate: float = 0.04):
        self.ds = ds
        self.rnd = random.Random(seed)
        self.invalid_rate = invalid_rate
        self.seqs = ds["sequences"]
        self.topics = [t for s in self.seqs for t in s["topics"]]
        self.topics_by_tag: dict[str, list] = {}
        for t in self.topics:
            self.topics_by_tag.setdefault(t["ontology_tag"], []).append(t)
        self.tags = sorted(ds["tag_schemas"])  # tags with a schema
        self.all_tags = sorted(set(self.tags) | set(self.topics_by_tag))  # also tags of topics without a schema
        self.data_tags = sorted(tag for tag, ts in self.topics_by_tag.items() if any(t["rows"] for t in ts))
        self.seq_names = [s["name"] for s in self.seqs]
        self.topic_names = sorted({t["name"] for t in self.topics})
        self.seq_created = [s["created_at_ns"] for s in self.seqs]
        self.topic_created = [t["created_at_ns"] for t in self.topics]
        self.seq_of = {id(t): s for s in self.seqs for t in s["topics"]}
        self._anchor: Optional[dict] = None  # a target (sequence, topic, row) the query is built around

    def _pick(self, anchored, pool):
        """The anchored value list most of the time while a query is anchored, else the whole pool."""
        if self._anchor is not None and self.rnd.random() < 0.9:
            return anchored
        return pool

    # -- scalar helpers -------------------------------------------------------------------------------------------------
    def _string_cond(self, pool: list, extra_missing: list, slash: bool = False) -> dict:
        """A condition on a string field. slash: topic names, sent with or without the leading '/' the SDK shows."""
        rnd = self.rnd

        def sl(x):
            if not slash or not isinstance(x, str):
                return x
            r = rnd.random()
            return "/" + x if r < 0.5 else ("//" + x if r < 0.53 else x)

        s = rnd.choice(pool)
        op = rnd.choices(
            ["$eq", "$neq", "$in", "$match", "$lt", "$leq", "$gt", "$geq", "$between", "$outside"],
            weights=[15, 6, 12, 35, 4, 3, 4, 3, 10, 8],
        )[0]
        if op == "$eq":
            return {op: sl(s if rnd.random() < 0.7 else rnd.choice(extra_missing))}
        if op == "$neq":
            return {op: sl(s)}
        if op == "$in":
            vals = rnd.sample(pool, min(len(pool), rnd.randint(0 if rnd.random() < 0.03 else 1, 5)))
            if rnd.random() < 0.3:
                vals.append(rnd.choice(extra_missing))
            return {op: [sl(v) for v in vals]}
        if op == "$match":
            return {op: sl(glob_from(rnd, s))}
        if op in ("$between", "$outside"):
            a, b = sorted([s, rnd.choice(pool)])
            if rnd.random() < 0.05:
                a, b = b, a  # reversed bounds: valid, $between matches nothing
            return {op: [sl(a), sl(b)]}
        v = s if rnd.random() < 0.7 else s[: rnd.randint(0, len(s))]
        return {op: sl(v)}

    def _int_cond(self, pool: list) -> dict:
        rnd = self.rnd
        v = rnd.choice(pool)
        d = rnd.choice([0, 0, 1, -1, 1000, -1000])
        op = rnd.choice(["$eq", "$neq", "$lt", "$leq", "$gt", "$geq", "$between", "$outside", "$in"])
        if op in ("$between", "$outside"):
            a, b = sorted([v + d, rnd.choice(pool)])
            return {op: [a, b]}
        if op == "$in":
            return {op: [rnd.choice(pool) for _ in range(rnd.randint(1, 4))]}
        return {op: v + d}

    # -- user metadata ----------------------------------------------------------------------------------------------------
    def _md_paths(self, md: Any, prefix=()) -> list:
        out = []
        if isinstance(md, dict):
            for k, v in md.items():
                out.append((prefix + (k,), v))
                out.extend(self._md_paths(v, prefix + (k,)))
        return out

    def _md_value_for(self, v: Any) -> tuple[str, Any]:
        rnd = self.rnd
        if rnd.random() < 0.06:
            return rnd.choice(["$ex", "$nex"]), None
        if isinstance(v, bool):
            op = rnd.choice(["$eq", "$eq", "$neq", "$in"])
            arg = v if rnd.random() < 0.6 else rnd.choice([not v, 1, 0, "true"])
            return op, ([arg, rnd.choice([True, False, 1])] if op == "$in" else arg)
        if isinstance(v, (int, float)):
            op = rnd.choice(["$eq", "$neq", "$lt", "$leq", "$gt", "$geq", "$between", "$outside", "$in"])
            d = rnd.choice([0, 0, 1, -1, 0.5, -0.25, 3])
            x = v + d
            if isinstance(x, float) and x == int(x) and rnd.random() < 0.5:
                x = int(x)  # int argument on a float value
            if isinstance(v, int) and abs(v) > 2**53 and rnd.random() < 0.4:
                x = float(v)  # a float that is not exactly the big int
            x = _int64_arg(x)
            if rnd.random() < 0.07:
                x = str(v)  # type mismatch: never matches on user_metadata
            if op in ("$between", "$outside"):
                if isinstance(x, str):
                    return op, [x, x + "z"]
                return op, sorted([x, _int64_arg(v + rnd.choice([-2, 0, 2, 5]))])
            if op == "$in":
                return op, [x, rnd.randint(-3, 15)] + ([rnd.choice(MD_STRS)] if rnd.random() < 0.3 else [])
            if isinstance(x, str) and op not in ("$eq", "$neq"):
                return "$eq", x
            return op, x
        if isinstance(v, str):
            op = rnd.choice(["$eq", "$neq", "$match", "$match", "$in", "$lt", "$gt", "$between", "$outside"])
            if op == "$match":
                return op, glob_from(rnd, v)
            if op == "$in":
                return op, [v if rnd.random() < 0.7 else rnd.choice(MD_STRS), rnd.choice(MD_STRS)]
            if op in ("$between", "$outside"):
                return op, sorted([v, rnd.choice(MD_STRS)])
            if rnd.random() < 0.08 and op in ("$eq", "$neq"):
                return op, 42  # type mismatch
            return op, v
        # null, object, list
        return rnd.choice([("$ex", None), ("$nex", None), ("$eq", 1), ("$eq", "x"), ("$neq", "x"), ("$gt", 0)])

    def _md_section(self, entities: list) -> dict:
        rnd = self.rnd
        out = {}
        for _ in range(rnd.randint(1, 3)):
            ent = rnd.choice(entities)
            paths = self._md_paths(ent["user_metadata"])
            if not paths or rnd.random() < 0.08:
                key = rnd.choice(MD_KEYS) + ("." + rnd.choice(MD_KEYS) if rnd.random() < 0.5 else "")
                value: Any = rnd.choice([1, "alice", True, None])
            else:
                segs, value = rnd.choice(paths)
                segs = [s for seg in segs for s in seg.split(".")]  # a key holding a dot becomes two segments
                r = rnd.random()
                if r < 0.15:
                    segs[rnd.randrange(len(segs))] = "*"
                elif r < 0.25:
                    cut = rnd.randrange(len(segs))  # replace segs[:cut] with ** (zero or more levels)
                    segs = ["**"] + segs[cut:]
                elif r < 0.30 and len(segs) >= 2:
                    segs = segs[:1] + ["**"] + segs[-1:]
                key = ".".join(segs)
            op, arg = self._md_value_for(value)
            out[key] = {op: arg}
        return out

    # -- sections ------------------------------------------------------------------------------------------------------
    def sequence_section(self) -> dict:
        rnd = self.rnd
        out = {}
        for field in rnd.sample(["name", "created_at_ns", "user_metadata"], rnd.choices([1, 2, 3], [6, 3, 1])[0]):
            a = self._anchor["seq"] if self._anchor else None
            if field == "name":
                pool = self._pick([a and a["name"]], self.seq_names)
                out["name"] = self._string_cond(pool, ["nope", "run_999", "RUN_001", ""])
            elif field == "created_at_ns":
                out["created_at_ns"] = self._int_cond(self._pick([a and a["created_at_ns"]], self.seq_created))
            else:
                out["user_metadata"] = self._md_section(self._pick([a], self.seqs))
        return out

    def topic_section(self) -> dict:
        rnd = self.rnd
        out = {}
        fields = ["name", "ontology_tag", "created_at_ns", "user_metadata"]
        for field in rnd.sample(fields, rnd.choices([1, 2, 3], [6, 3, 1])[0]):
            a = self._anchor["topic"] if self._anchor else None
            if field == "name":
                pool = self._pick([a and a["name"]], self.topic_names)
                out["name"] = self._string_cond(pool, ["nope", "IMU", "sensors", "sensors/"], slash=True)
            elif field == "ontology_tag":
                out["ontology_tag"] = self._string_cond(self._pick([a and a["ontology_tag"]], self.all_tags),
                                                        ["nope", "IMU", "Imu"])
            elif field == "created_at_ns":
                out["created_at_ns"] = self._int_cond(self._pick([a and a["created_at_ns"]], self.topic_created))
            else:
                out["user_metadata"] = self._md_section(self._pick([a], self.topics))
        return out

    def random_path(self, tag: str) -> tuple[list, str]:
        """A path to a queryable scalar leaf of one schema of the tag (any schema of it for tags without one)."""
        rnd = self.rnd
        schemas = ref.schemas_of(self.ds["tag_schemas"], tag)
        if not schemas:
            pa_schemas = TAG_SCHEMAS_PA.get(tag) or TAG_SCHEMAS_PA["orphan"]
            schemas = [schema_descriptor(s) for s in pa_schemas]
        node: Any = rnd.choice(schemas)
        path = []
        while True:
            if isinstance(node, dict):
                names = [n for n in node if node[n] != "binary"]
                if not path and rnd.random() < 0.75 and len(names) > 1:
                    names = [n for n in names if n != "timestamp_ns"]
                name = rnd.choice(names)
                path.append(("field", name))
                node = node[name]
            elif isinstance(node, tuple):
                r = rnd.random()
                spec: Any = "?" if r < 0.4 else ("!" if r < 0.65 else rnd.randint(0, 3))
                path.append(("spec", spec))
                node = node[1]
            else:
                return path, node

    def _sample_value(self, tag: str, path: list) -> Any:
        rnd = self.rnd
        a = self._anchor
        if a is not None and a["row"] is not None and a["topic"]["ontology_tag"] == tag and rnd.random() < 0.85:
            v = _resolve_concrete(rnd, a["row"], path)
            if v is not None:
                return v
        topics = [t for t in self.topics_by_tag.get(tag, []) if t["rows"]]
        for _ in range(4):
            if not topics:
                break
            row = rnd.choice(rnd.choice(topics)["rows"])
            v = _resolve_concrete(rnd, row, path)
            if v is not None:
                return v
        return None

    def ontology_condition(self, tag: str, path: list, leaf: str) -> dict:
        rnd = self.rnd
        if rnd.random() < 0.1:
            return {rnd.choice(["$ex", "$nex"]): None}
        v = self._sample_value(tag, path)
        if leaf == "bool":
            if v is None:
                v = rnd.random() < 0.5
            op = rnd.choice(["$eq", "$eq", "$neq", "$in"])
            return {op: [v] if op == "$in" else v} if op != "$in" or rnd.random() < 0.5 else {op: [True, False]}
        if leaf == "string":
            if v is None:
                v = rnd.choice(STR_POOL)
            op = rnd.choices(["$eq", "$neq", "$match", "$in", "$lt", "$leq", "$gt", "$geq", "$between", "$outside"],
                             weights=[15, 8, 30, 12, 4, 3, 4, 3, 8, 6])[0]
            if op == "$match":
                return {op: glob_from(rnd, v)}
            if op == "$in":
                return {op: [v, rnd.choice(STR_POOL)] + ([rnd.choice(STR_POOL)] if rnd.random() < 0.5 else [])}
            if op in ("$between", "$outside"):
                return {op: sorted([v, rnd.choice(STR_POOL)])}
            return {op: v}
        # numbers
        if v is None:
            v = rnd.choice([0, 1, -1, 2.5, 10])
        op = rnd.choice(["$eq", "$neq", "$lt", "$leq", "$gt", "$geq", "$between", "$outside", "$in"])
        r = rnd.random()
        if leaf == "int":
            x = v if r < 0.6 else (v + 0.5 if r < 0.8 else (v + rnd.choice([1, -1, 10**6, -(10**6)])))
            if r > 0.97:
                x = rnd.choice([-1, 2**40, -(2**40), 1e15, 2**63 - 1, -(2**63), 9.223372036854776e18])
            elif r > 0.94 and isinstance(v, int) and abs(v) > 2**53:
                x = float(v)  # the nearest double of a big int: not equal to it
        else:
            x = v if r < 0.6 else (float(int(v)) if r < 0.7 else (int(v) if r < 0.8 else v + rnd.choice([0.1, -0.125, 3])))
            if r > 0.97:
                x = rnd.choice([0.1, 0.2, 1 / 3, -0.0, 0])  # decimals vs float32-rounded values; -0.0 == 0
        x = _int64_arg(x)
        if op in ("$between", "$outside"):
            y = _int64_arg(v + rnd.choice([-5, -1, 0, 0.5, 1, 7]))
            return {op: sorted([x, y])}
        if op == "$in":
            return {op: [x] + [_int64_arg(rnd.choice([v, 0, 1, 3, -2, 0.5])) for _ in range(rnd.randint(0, 3))]}
        return {op: x}

    def ontology_section(self, tags: Optional[list] = None, cond_weights=(5, 3, 1)) -> dict:
        rnd = self.rnd
        if tags is None:
            k = rnd.choices([1, 2], [4, 1])[0]
            r = rnd.random()
            pool = self.data_tags if r < 0.93 else (self.tags if r < 0.97 else self.all_tags + UNKNOWN_TAGS)
            tags = rnd.sample(pool, min(k, len(pool)))
            if self._anchor is not None and self._anchor["topic"]["ontology_tag"] not in tags:
                tags[0] = self._anchor["topic"]["ontology_tag"]
        out = {}
        for tag in tags:
            for _ in range(rnd.choices([1, 2, 3], cond_weights)[0]):
                path, leaf = self.random_path(tag)
                out[path_to_key(tag, path)] = self.ontology_condition(tag, path, leaf)
        return out

    def query(self) -> dict:
        rnd = self.rnd
        self._anchor = None
        if rnd.random() < 0.7:
            with_rows = [t for t in self.topics if t["rows"]]
            cams = [t for t in with_rows if t["ontology_tag"] == "cam"]
            r = rnd.random()
            if cams and r < 0.1:
                t = rnd.choice(cams)  # the big topics: several chunks, pruning by statistics
            else:
                t = rnd.choice(with_rows) if r < 0.9 else rnd.choice(self.topics)
            self._anchor = {"seq": self.seq_of[id(t)], "topic": t,
                            "row": rnd.choice(t["rows"]) if t["rows"] else None}
        try:
            q = self._query()
        finally:
            self._anchor = None
        if rnd.random() < self.invalid_rate:
            q = self.make_invalid(q)
        return q

    def _query(self) -> dict:
        rnd = self.rnd
        q: dict = {}
        if rnd.random() < 0.5:
            q["sequence"] = self.sequence_section()
        if rnd.random() < 0.45:
            q["topic"] = self.topic_section()
        if rnd.random() < 0.45:
            q["ontology"] = self.ontology_section()
        if not q:
            r = rnd.random()
            if r < 0.6:
                q["ontology"] = self.ontology_section()
            elif r < 0.85:
                q[rnd.choice(["sequence", "topic", "ontology"])] = {}  # an empty section is no condition
            # else: the empty query {} (every topic of every sequence that has topics)
        if rnd.random() < 0.02:
            q[rnd.choice(["sequence", "topic", "ontology"])] = {}  # an empty section is no condition
        return q

    # -- invalid queries -------------------------------------------------------------------------------------------------
    def make_invalid(self, q: dict) -> dict:
        """Adds one defect to a valid query (the reference decides; a few mutations are valid edge cases)."""
        rnd = self.rnd
        q = json.loads(json.dumps(q))
        tag = rnd.choice(self.data_tags)
        kinds = ["bad_glob", "wrong_type_ontology", "unknown_field", "list_no_spec", "spec_on_scalar", "struct_leaf",
                 "match_on_number", "order_on_bool", "unknown_section", "unknown_field_topic", "unknown_op",
                 "two_ops", "md_empty_segment", "md_too_deep", "md_64_segments", "glob_too_long", "glob_1024",
                 "name_number", "created_at_string", "created_at_float", "between_three", "in_not_list",
                 "in_too_many", "ontology_not_object"]
        k = rnd.choice(kinds)
        ont = q.setdefault("ontology", {}) if k in ("wrong_type_ontology", "unknown_field", "list_no_spec",
                                                   "spec_on_scalar", "struct_leaf", "match_on_number",
                                                   "order_on_bool") else None
        sch = ref.schemas_of(self.ds["tag_schemas"], tag)[0]
        leaves = _leaf_paths(sch)
        if k == "bad_glob":
            pat = rnd.choice(["[abc", "a[]b", "[z-a]*", "x[", "[", "[]"])
            where = rnd.choice(["sequence.name", "topic.name", "md", "ontology"])
            if where == "md":
                q.setdefault("sequence", {}).setdefault("user_metadata", {})["env"] = {"$match": pat}
            elif where == "ontology":
                strs = [p for p, lf in leaves if lf == "string"] or [[("field", "nosuch")]]
                q.setdefault("ontology", {})[path_to_key(tag, rnd.choice(strs))] = {"$match": pat}
            else:
                q.setdefault(where.split(".")[0], {})["name"] = {"$match": pat}
        elif k == "wrong_type_ontology":
            p, lf = rnd.choice(leaves)
            arg = {"string": 5, "int": "5", "float": "1.5", "bool": 1}[lf]
            op = rnd.choice(["$eq", "$neq", "$in", "$between"])
            ont[path_to_key(tag, p)] = {op: [arg] if op == "$in" else ([arg, arg] if op == "$between" else arg)}
        elif k == "unknown_field":
            ont[f"{tag}.no_such_field"] = {"$ex": None}
        elif k == "list_no_spec":
            lists = _list_paths(sch)
            if lists:
                ont[path_to_key(tag, rnd.choice(lists))] = {"$ex": None}
            else:
                ont[f"{tag}.timestamp_ns[0]"] = {"$gt": 0}
        elif k == "spec_on_scalar":
            ont[f"{tag}.timestamp_ns[?]"] = {"$gt": 0}
        elif k == "struct_leaf":
            structs = [n for n, v in sch.items() if isinstance(v, dict)]
            ont[f"{tag}.{rnd.choice(structs)}" if structs else f"{tag}.nope.deeper"] = {"$ex": None}
        elif k == "match_on_number":
            ont[f"{tag}.timestamp_ns"] = {"$match": "1*"}
        elif k == "order_on_bool":
            bools = [p for p, lf in leaves if lf == "bool"]
            if bools:
                ont[path_to_key(tag, rnd.choice(bools))] = {rnd.choice(["$lt", "$geq", "$between"]):
                                                            rnd.choice([1, [0, 1]])}
            else:
                ont[f"{tag}.timestamp_ns"] = {"$lt": True}
        elif k == "unknown_section":
            q[rnd.choice(["sequences", "topics", "Ontology", "data"])] = {}
        elif k == "unknown_field_topic":
            q.setdefault(rnd.choice(["sequence", "topic"]), {})[rnd.choice(["nam", "tag", "created_at"])] = {"$ex": None}
            if "sequence" in q and rnd.random() < 0.3:
                q["sequence"]["ontology_tag"] = {"$eq": "imu"}
        elif k == "unknown_op":
            q.setdefault("sequence", {})["name"] = {rnd.choice(["$like", "$ne", "$regex", "eq", "$EQ"]): "x"}
        elif k == "two_ops":
            q.setdefault("topic", {})["created_at_ns"] = {"$gt": 1, "$lt": 2}
        elif k == "md_empty_segment":
            q.setdefault("topic", {}).setdefault("user_metadata", {})[rnd.choice(["a..b", ".a", "a.", ""])] = \
                {"$ex": None}
        elif k == "md_too_deep":
            q.setdefault("sequence", {}).setdefault("user_metadata", {})[".".join(["k"] * 65)] = {"$ex": None}
        elif k == "md_64_segments":  # valid: at most 64 segments
            q.setdefault("sequence", {}).setdefault("user_metadata", {})[".".join(["k"] * 64)] = {"$nex": None}
        elif k == "glob_too_long":
            q.setdefault("sequence", {})["name"] = {"$match": "*" + "a" * 1024}
        elif k == "glob_1024":  # valid: exactly 1024 bytes (2-byte characters included)
            q.setdefault("sequence", {})["name"] = {"$match": "*" + "é" * 500 + "x" * 22 + "*"}
        elif k == "name_number":
            q.setdefault(rnd.choice(["sequence", "topic"]), {})["name"] = {rnd.choice(["$eq", "$in"]): 7}
        elif k == "created_at_string":
            q.setdefault(rnd.choice(["sequence", "topic"]), {})["created_at_ns"] = {"$gt": "1"}
        elif k == "created_at_float":
            q.setdefault(rnd.choice(["sequence", "topic"]), {})["created_at_ns"] = {"$gt": 1.5}
        elif k == "between_three":
            q.setdefault("sequence", {})["created_at_ns"] = {rnd.choice(["$between", "$outside"]): [1, 2, 3]}
        elif k == "in_not_list":
            q.setdefault("topic", {})["ontology_tag"] = {"$in": "imu"}
        elif k == "in_too_many":
            q.setdefault("topic", {})["created_at_ns"] = {"$in": list(range(ref.MAX_IN_VALUES + 1))}
        elif k == "ontology_not_object":
            q["ontology"] = rnd.choice([[], "imu", 1])
        return q

    # -- clusterize / intersect -----------------------------------------------------------------------------------------
    def _ts_range(self, topic: dict) -> Optional[dict]:
        rnd = self.rnd
        ts = [r["timestamp_ns"] for r in topic["rows"]]
        if not ts or rnd.random() < 0.5:
            return None
        if rnd.random() < 0.1:  # beyond the data
            return {"start_ns": ts[-1] + 500, "end_ns": ts[-1] + 10**9 + 500}
        a, b = sorted(rnd.sample(ts, 2) if len(ts) >= 2 else [ts[0], ts[0]])
        start = a + rnd.choice([-500, 0, 500])  # 0: exactly on a row (inclusive bound)
        end = b + rnd.choice([-500, 0, 500])
        if end < start:
            end = start + 1000
        return {"start_ns": start, "end_ns": end}

    def clusterize_body(self, topic: Optional[dict] = None, allow_empty_ontology: bool = False,
                        with_range: bool = True, cond_weights=(5, 3, 1), empty_p: float = 0.3) -> dict:
        rnd = self.rnd
        if topic is None:
            with_rows = [t for t in self.topics if t["rows"]]
            cams = [t for t in with_rows if t["ontology_tag"] == "cam"]
            r = rnd.random()
            if cams and r < 0.2:
                topic = rnd.choice(cams)
            else:
                topic = rnd.choice(with_rows) if r < 0.92 else rnd.choice(self.topics)
        tag = topic["ontology_tag"]
        if allow_empty_ontology and rnd.random() < empty_p:
            ontology = {}
        else:
            self._anchor = {"seq": self.seq_of[id(topic)], "topic": topic,
                            "row": rnd.choice(topic["rows"]) if topic["rows"] else None}
            try:
                ontology = self.ontology_section([tag], cond_weights)
            finally:
                self._anchor = None
            # Now and then conditions of another tag ride along (raw clients may send them; the SDK does not):
            # docs/QUERY.md says they are ignored beside own-tag conditions and match nothing on their own.
            others = [t for t in self.tags if t != tag]
            if others and rnd.random() < 0.15:
                extra = self.ontology_section([rnd.choice(others)], cond_weights)
                ontology = extra if rnd.random() < 0.3 else {**ontology, **extra}
        body = {
            "locator": topic["locator"],
            "clustering_dt_ns": rnd.choice([0, 0, 1000, 2000, 5000, 20_000, 100_000, 10**9]),
            "ontology": ontology,
        }
        if with_range:
            body["timestamp_range"] = self._ts_range(topic)
        return body

    def intersect_body(self, allow_empty_ontology: bool = False) -> dict:
        """Bodies without timestamp_range (QUERY.md: the SDK sends none in intersect)."""
        rnd = self.rnd
        cands = [s for s in self.seqs if sum(1 for t in s["topics"] if t["rows"]) >= 2]
        seq = rnd.choice(cands)
        pool = [t for t in seq["topics"] if t["rows"] or rnd.random() < 0.05]
        if len(pool) < 2:
            pool = [t for t in seq["topics"] if t["rows"]]
        k = min(len(pool), rnd.choices([1, 2, 3], [1, 12, 4])[0])
        chosen = rnd.sample(pool, k)
        if rnd.random() < 0.1:  # a topic of another sequence
            chosen.append(rnd.choice([t for t in self.topics if t["rows"]]))
        bodies = [self.clusterize_body(t, allow_empty_ontology, with_range=False, cond_weights=(6, 1, 0),
                                       empty_p=0.4) for t in chosen]
        for b in bodies:
            b["clustering_dt_ns"] = rnd.choice([0, 0, 1000, 2000, 5000, 20_000])
        dt = rnd.choice([0, 0, 1000, 1001, 3000, 10_000, 50_000, 200_000, 1_000_000])
        return {"topics": bodies, "intersect_dt_ns": dt}


def _leaf_paths(schema: dict, prefix=()) -> list:
    """[(path, leaf)] of queryable scalar leaves reachable without list specifiers, plus [?] through lists."""
    out = []
    for name, node in schema.items():
        p = list(prefix) + [("field", name)]
        while isinstance(node, tuple):
            p.append(("spec", "?"))
            node = node[1]
        if isinstance(node, dict):
            out.extend(_leaf_paths(node, p))
        elif node != "binary":
            out.append((p, node))
    return out


def _list_paths(schema: dict) -> list:
    return [[("field", n)] for n, v in schema.items() if isinstance(v, tuple)]


def dumps(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False)
