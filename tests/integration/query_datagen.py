"""Seeded data and query generators for the query differential tests (issue #3).

build_dataset(seed)       -> a dataset (see query_reference.py for the shape) plus the upload plan; deterministic.
upload_dataset(loc, ds)   -> uploads it through raw pyarrow.flight actions + DoPut (threads), then fills in the
                             server-side created_at_ns of every sequence and topic (from GetFlightInfo).
QueryGen(ds, seed)        -> .query(), .clusterize_body(), .intersect_body(): random but valid requests over the
                             grammar, biased towards values that exist in the data so that results are not all empty.

Schemas follow the SDK's conventions: `timestamp_ns: int64 not null` first, then the model's fields at top level
(nested structs, lists, lists of structs, strings, bools, ints of every width, float32/float64, nullable leaves).
Every row timestamp is a multiple of 1000 ns, so generated timestamp_range bounds (x + 500) never tie with a row.
Strings are ASCII. Ints stay within +-2^53; float32 values are multiples of 1/8 (exact in float32 and float64).
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

BASE_TS = 1_760_000_000_000_000_000
US = 1_000

TS = pa.field("timestamp_ns", pa.int64(), nullable=False)


def _f(name, typ, nullable=True):
    return pa.field(name, typ, nullable=nullable)


TAG_SCHEMAS_PA: dict[str, pa.Schema] = {
    "imu": pa.schema(
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
    ),
    "gps": pa.schema(
        [
            TS,
            _f("pos", pa.struct([_f("lat", pa.float64()), _f("lon", pa.float64()), _f("alt", pa.float32())]), False),
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
        ]
    ),
    "Joint_State": pa.schema(
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
    ),
    "path": pa.schema(
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
    ),
    "evt": pa.schema(
        [
            TS,
            _f("code", pa.int64()),
            _f("msg", pa.string()),
            _f("level", pa.int8()),
            _f("flag", pa.bool_(), False),
            _f("value", pa.float64()),
            _f("uval", pa.uint32()),
        ]
    ),
    # only ever uploaded with zero rows: a known tag whose topics have no data
    "ghost": pa.schema([TS, _f("v", pa.float64()), _f("note", pa.string())]),
}

TAG_WEIGHTS = {"imu": 30, "gps": 22, "Joint_State": 16, "path": 14, "evt": 14, "ghost": 4}

STR_POOL = [
    "base_link", "imu_link", "map", "odom", "Front", "rear", "a1", "b22", "c333", "x_y-z", "", "abc", "ABC", "zzz",
    "frame9", "0001", "left", "right", "cam.front", "a", "ab", "ba", "joint_1", "joint_2", "joint_10", "Joint_1",
]
MD_KEYS = ["env", "driver", "weather", "robot", "mission", "tags", "cfg", "calib", "a", "b", "c", "level", "id",
           "name", "ok", "score", "temp", "speed", "version", "notes"]
MD_STRS = ["alice", "bob", "Alice", "sunny", "rain", "fog", "v1", "v2", "v10", "x", "", "test_01", "test_02",
           "prod", "lab-3", "zone.a", "42", "true"]
SEQ_NAME_FORMS = ["run_{i:03d}", "drive-{i}", "Calib.{i}", "test{i}_x", "R{i:04d}", "night_run_{i}", "a{i}"]
TOPIC_NAMES = ["sensors/imu", "imu", "imu_2", "gps", "gps/raw", "cam/front/left", "joints", "robot/joint_states",
               "path/plan", "events", "evt-log", "a.b", "x1", "diag/events.v2", "sensors/imu/raw", "nav/path"]


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
    raise AssertionError(f"unsupported type {t}")


def type_descriptor(t: pa.DataType):
    if pa.types.is_struct(t):
        return {t.field(i).name: type_descriptor(t.field(i).type) for i in range(t.num_fields)}
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return ("list", type_descriptor(t.value_type))
    return _leaf_kind(t)


def schema_descriptor(schema: pa.Schema) -> dict:
    return {f.name: type_descriptor(f.type) for f in schema}


# ----------------------------------------------------------------------------------------------------------------------
# Random values
# ----------------------------------------------------------------------------------------------------------------------


def rand_scalar(rnd: random.Random, t: pa.DataType) -> Any:
    if pa.types.is_boolean(t):
        return rnd.random() < 0.5
    if pa.types.is_integer(t):
        bits = t.bit_width
        signed = pa.types.is_signed_integer(t)
        if rnd.random() < 0.05:  # extremes
            if signed:
                hi = min(2 ** (bits - 1) - 1, 2**53)
                return rnd.choice([hi, -hi])
            return min(2**bits - 1, 2**53)
        span = {8: 6, 16: 20, 32: 60, 64: 1000}[bits]
        return rnd.randint(-span if signed else 0, span)
    if pa.types.is_float32(t):
        return rnd.randint(-400, 400) / 8
    if pa.types.is_floating(t):
        r = rnd.random()
        if r < 0.15:
            return rnd.choice([0.0, 1.5, -2.25, 100.0, 0.1])
        if r < 0.3:
            return float(rnd.randint(-20, 20))
        return round(rnd.uniform(-50, 50), 1)
    if pa.types.is_string(t):
        if rnd.random() < 0.7:
            return rnd.choice(STR_POOL)
        alphabet = "abcxyzABC0123456789_-."
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
        k = rnd.choice(MD_KEYS)
        out[k] = rand_md_value(rnd, depth)
    return out


def rand_md_value(rnd: random.Random, depth: int) -> Any:
    r = rnd.random()
    if r < 0.2:
        return rnd.randint(-3, 15)
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


def _rows_for(rnd: random.Random, tag: str, n: int, start: int) -> list:
    schema = TAG_SCHEMAS_PA[tag]
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


def build_dataset(seed: int, n_sequences: int = 150, prefix: str = "") -> dict:
    """Deterministic dataset. Each topic carries `_plan` (how to upload it) and `_batches` (pyarrow batches)."""
    rnd = random.Random(seed)
    tags = list(TAG_WEIGHTS)
    weights = [TAG_WEIGHTS[t] for t in tags]
    sequences = []
    for i in range(n_sequences):
        name = prefix + rnd.choice(SEQ_NAME_FORMS).format(i=i)
        n_topics = rnd.choices([0, 1, 2, 3, 4, 5], weights=[6, 14, 25, 25, 16, 14])[0]
        topic_names = rnd.sample(TOPIC_NAMES, n_topics)
        topics = []
        for tname in topic_names:
            tag = rnd.choices(tags, weights=weights)[0]
            r = rnd.random()
            if tag == "ghost" or r < 0.06:
                n_rows, plan = 0, "empty_put"
            elif r < 0.08:
                n_rows, plan = 0, "no_put"
            else:
                n_rows, plan = rnd.randint(1, 25), "put"
            start = BASE_TS + i * 10**9 + rnd.randint(0, 200) * US
            rows = _rows_for(rnd, tag, n_rows, start)
            shuffled = rows[:]
            rnd.shuffle(shuffled)
            schema = TAG_SCHEMAS_PA[tag]
            batches = []
            if shuffled:
                cut = rnd.randint(1, len(shuffled))
                for part in (shuffled[:cut], shuffled[cut:]):
                    if part:
                        batches.append(pa.RecordBatch.from_pylist(part, schema=schema))
            # the reference sees exactly what Arrow stores (float32 rounding included)
            stored = [r for b in batches for r in b.to_pylist()]
            stored.sort(key=lambda r: r["timestamp_ns"])
            topics.append(
                {
                    "name": "/" + tname,
                    "locator": f"{name}/{tname}",
                    "ontology_tag": tag,
                    "created_at_ns": None,
                    "user_metadata": rand_metadata(rnd),
                    "rows": stored,
                    "_plan": plan,
                    "_batches": batches,
                    "_session": 0,
                }
            )
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
    return {
        "sequences": sequences,
        "tag_schemas": {tag: schema_descriptor(s) for tag, s in TAG_SCHEMAS_PA.items()},
    }


def dataset_stats(ds: dict) -> dict:
    topics = [t for s in ds["sequences"] for t in s["topics"]]
    return {
        "sequences": len(ds["sequences"]),
        "topics": len(topics),
        "topics_with_rows": sum(1 for t in topics if t["rows"]),
        "rows": sum(len(t["rows"]) for t in topics),
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
                tl.put_batches(client, t["locator"], tuuid, TAG_SCHEMAS_PA[t["ontology_tag"]], t["_batches"])
        tl.finalize(client, session_uuid)
    info = tl.get_info(client, seq["name"])
    md = tl.app_md(info)
    seq["created_at_ns"] = md["created_at_ns"]
    by_loc = {}
    for ep in info.endpoints:
        emd = tl.app_md(ep)
        by_loc[str(emd["resource_locator"]).strip("/")] = emd
    for t in seq["topics"]:
        emd = by_loc.get(t["locator"])
        if emd is None:  # resource_locator may be relative to the sequence
            emd = by_loc.get(t["name"].strip("/"))
        assert emd is not None, f"no endpoint for {t['locator']} in {sorted(by_loc)}"
        t["created_at_ns"] = emd["created_at_ns"]


def upload_dataset(location: str, ds: dict, threads: int = 8):
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

    try:
        with ThreadPoolExecutor(max_workers=threads) as ex:
            for fut in [ex.submit(lambda s=s: _upload_sequence(client(), s)) for s in ds["sequences"]]:
                fut.result()
    finally:
        for c in clients:
            c.close()


def public_dataset(ds: dict) -> dict:
    """The dataset without the upload plan (JSON-serialisable)."""
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


# ----------------------------------------------------------------------------------------------------------------------
# Random queries
# ----------------------------------------------------------------------------------------------------------------------


def glob_from(rnd: random.Random, s: str) -> str:
    """A glob derived from s: usually matches s, sometimes deliberately not."""
    if rnd.random() < 0.05:
        return rnd.choice(["*", "", "?", "*?*", "#*", "*#", "[a-z]*", "*[0-9]"])
    out = []
    i = 0
    while i < len(s):
        c = s[i]
        r = rnd.random()
        if r < 0.12:
            # a star eating a run (possibly empty)
            j = i + rnd.randint(0, 4)
            out.append("*")
            i = j
            continue
        if r < 0.22:
            out.append("?")
        elif r < 0.32 and c.isdigit():
            out.append("#")
        elif r < 0.40 and c.isalnum():
            others = "".join(rnd.sample("abcxyzABC0123", 3))
            if rnd.random() < 0.8:
                out.append("[" + others + c + "]")
            else:  # a class that may miss c
                out.append("[" + others + "]")
        elif r < 0.45 and c.isalpha():
            if c.islower():
                out.append("[a-z]")
            else:
                out.append("[A-Z]")
        elif r < 0.47:
            out.append(rnd.choice("abc0_"))  # a literal that may break the match
        else:
            out.append(c)
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


def _path_to_key(tag: str, path: list) -> str:
    out = tag
    for step, val in path:
        out += ("." + val) if step == "field" else f"[{val}]"
    return out


class QueryGen:
    def __init__(self, ds: dict, seed: int):
        self.ds = ds
        self.rnd = random.Random(seed)
        self.seqs = ds["sequences"]
        self.topics = [t for s in self.seqs for t in s["topics"]]
        self.topics_by_tag: dict[str, list] = {}
        for t in self.topics:
            self.topics_by_tag.setdefault(t["ontology_tag"], []).append(t)
        self.tags = sorted(ds["tag_schemas"])
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
    def _string_cond(self, pool: list, extra_missing: list) -> dict:
        rnd = self.rnd
        s = rnd.choice(pool)
        op = rnd.choices(
            ["$eq", "$neq", "$in", "$match", "$lt", "$leq", "$gt", "$geq", "$between", "$outside"],
            weights=[15, 6, 12, 35, 4, 3, 4, 3, 10, 8],
        )[0]
        if op == "$eq":
            return {op: s if rnd.random() < 0.7 else rnd.choice(extra_missing)}
        if op == "$neq":
            return {op: s}
        if op == "$in":
            vals = rnd.sample(pool, min(len(pool), rnd.randint(1, 5)))
            if rnd.random() < 0.3:
                vals.append(rnd.choice(extra_missing))
            return {op: vals}
        if op == "$match":
            return {op: glob_from(rnd, s)}
        if op in ("$between", "$outside"):
            a, b = sorted([s, rnd.choice(pool)])
            return {op: [a, b]}
        v = s if rnd.random() < 0.7 else s[: rnd.randint(0, len(s))]
        return {op: v}

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
            if isinstance(v, float) and x == int(x) and rnd.random() < 0.5:
                x = int(x)  # int argument on a float value
            if rnd.random() < 0.07:
                x = str(v)  # type mismatch: never matches on user_metadata
            if op in ("$between", "$outside"):
                if isinstance(x, str):
                    return op, [x, x + "z"]
                return op, sorted([x, v + rnd.choice([-2, 0, 2, 5])])
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
        return rnd.choice([("$ex", None), ("$nex", None), ("$eq", 1), ("$eq", "x"), ("$neq", "x")])

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
                segs = list(segs)
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
                out["name"] = self._string_cond(pool, ["/nope", "imu", "/IMU", "/sensors"])
            elif field == "ontology_tag":
                out["ontology_tag"] = self._string_cond(self._pick([a and a["ontology_tag"]], self.tags),
                                                        ["nope", "IMU", "Imu"])
            elif field == "created_at_ns":
                out["created_at_ns"] = self._int_cond(self._pick([a and a["created_at_ns"]], self.topic_created))
            else:
                out["user_metadata"] = self._md_section(self._pick([a], self.topics))
        return out

    def random_path(self, tag: str) -> tuple[list, str]:
        rnd = self.rnd
        node: Any = self.ds["tag_schemas"][tag]
        path = []
        while True:
            if isinstance(node, dict):
                names = list(node)
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
                x = rnd.choice([-1, 2**40, -(2**40), 1e15])  # out of many types' ranges
        else:
            x = v if r < 0.6 else (float(int(v)) if r < 0.7 else (int(v) if r < 0.8 else v + rnd.choice([0.1, -0.125, 3])))
        if op in ("$between", "$outside"):
            y = v + rnd.choice([-5, -1, 0, 0.5, 1, 7])
            return {op: sorted([x, y])}
        if op == "$in":
            return {op: [x] + [rnd.choice([v, 0, 1, 3, -2, 0.5]) for _ in range(rnd.randint(0, 3))]}
        return {op: x}

    def ontology_section(self, tags: Optional[list] = None, cond_weights=(5, 3, 1)) -> dict:
        rnd = self.rnd
        if tags is None:
            k = rnd.choices([1, 2], [4, 1])[0]
            pool = self.data_tags if rnd.random() < 0.95 else self.tags
            tags = rnd.sample(pool, min(k, len(pool)))
            if self._anchor is not None and self._anchor["topic"]["ontology_tag"] not in tags:
                tags[0] = self._anchor["topic"]["ontology_tag"]
        out = {}
        for tag in tags:
            for _ in range(rnd.choices([1, 2, 3], cond_weights)[0]):
                path, leaf = self.random_path(tag)
                out[_path_to_key(tag, path)] = self.ontology_condition(tag, path, leaf)
        return out

    def query(self) -> dict:
        rnd = self.rnd
        self._anchor = None
        if rnd.random() < 0.7:
            with_rows = [t for t in self.topics if t["rows"]]
            t = rnd.choice(with_rows) if rnd.random() < 0.9 else rnd.choice(self.topics)
            self._anchor = {"seq": self.seq_of[id(t)], "topic": t,
                            "row": rnd.choice(t["rows"]) if t["rows"] else None}
        try:
            return self._query()
        finally:
            self._anchor = None

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

    # -- clusterize / intersect -----------------------------------------------------------------------------------------
    def _ts_range(self, topic: dict) -> Optional[dict]:
        rnd = self.rnd
        ts = [r["timestamp_ns"] for r in topic["rows"]]
        if not ts or rnd.random() < 0.5:
            return None
        if rnd.random() < 0.1:  # beyond the data
            return {"start_ns": ts[-1] + 500, "end_ns": ts[-1] + 10**9 + 500}
        a, b = sorted(rnd.sample(ts, 2) if len(ts) >= 2 else [ts[0], ts[0]])
        start = a + rnd.choice([-500, 500])
        end = b + rnd.choice([-500, 500])
        if end <= start:
            end = start + 1000
        return {"start_ns": start, "end_ns": end}

    def clusterize_body(self, topic: Optional[dict] = None, allow_empty_ontology: bool = False,
                        with_range: bool = True, cond_weights=(5, 3, 1)) -> dict:
        rnd = self.rnd
        if topic is None:
            with_rows = [t for t in self.topics if t["rows"]]
            topic = rnd.choice(with_rows) if rnd.random() < 0.92 else rnd.choice(self.topics)
        tag = topic["ontology_tag"]
        if allow_empty_ontology and rnd.random() < 0.3:
            ontology = {}
        else:
            self._anchor = {"seq": self.seq_of[id(topic)], "topic": topic,
                            "row": rnd.choice(topic["rows"]) if topic["rows"] else None}
            try:
                ontology = self.ontology_section([tag], cond_weights)
            finally:
                self._anchor = None
        body = {
            "locator": topic["locator"],
            "clustering_dt_ns": rnd.choice([0, 0, 1000, 2000, 5000, 20_000, 100_000, 10**9]),
            "ontology": ontology,
        }
        if with_range:
            body["timestamp_range"] = self._ts_range(topic)
        return body

    def intersect_body(self, allow_empty_ontology: bool = False) -> dict:
        rnd = self.rnd
        cands = [s for s in self.seqs if sum(1 for t in s["topics"] if t["rows"]) >= 2]
        seq = rnd.choice(cands)
        pool = [t for t in seq["topics"] if t["rows"] or rnd.random() < 0.2]
        if len(pool) < 2:
            pool = [t for t in seq["topics"] if t["rows"]]
        k = min(len(pool), rnd.choices([2, 3], [3, 1])[0])
        chosen = rnd.sample(pool, k)
        bodies = [self.clusterize_body(t, allow_empty_ontology, with_range=rnd.random() < 0.3, cond_weights=(6, 1, 0))
                  for t in chosen]
        return {"topics": bodies, "intersect_dt_ns": rnd.choice([0, 0, 1000, 3000, 10_000, 1_000_000])}


def dumps(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True)
