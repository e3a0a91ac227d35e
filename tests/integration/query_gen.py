"""Seeded random request generator for the query differential tests (issue #3, docs/QUERY.md).

QueryGen(ds, seed) -> .query(), .clusterize_body(), .intersect_body(): random requests over the grammar, biased
towards values that exist in the dataset (query_datagen.build_dataset / snapshot_dataset) so that results are not
all empty; a few percent of the queries are deliberately invalid (the reference, query_reference.py, says which).
glob_from(rnd, s) -> a glob derived from s (usually matching it); dumps(obj) -> canonical JSON for failure reports.
"""

from __future__ import annotations

import json
import random
from typing import Any, Optional

import query_reference as ref
from query_datagen import MD_KEYS, MD_STRS, STR_POOL, TAG_SCHEMAS_PA, UNKNOWN_TAGS, schema_descriptor

_GLOB_META = {"*": "[*]", "?": "[?]", "#": "[#]", "[": "[[]"}


def glob_from(rnd: random.Random, s: str) -> str:
    """A valid glob derived from s: usually matches s, sometimes deliberately not."""
    if rnd.random() < 0.05:
        return rnd.choice(["*", "?", "*?*", "#*", "*#", "[a-z]*", "*[0-9]", "**", "*a**", "[a-]*", "[-_]*"])
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
    return "".join(out) or "*"  # an empty pattern is invalid (make_invalid's glob_empty)


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
            if slash and isinstance(s, str) and rnd.random() < 0.5:
                # from the name as the SDK shows it ("/sensors/imu"): the '/' may become '?', '*', a class...
                return {op: glob_from(rnd, "/" + s)}
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
                 "two_ops", "md_empty_segment", "md_too_deep", "md_64_segments", "glob_too_long", "glob_256",
                 "glob_empty",
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
        elif k == "glob_too_long":  # 257 bytes, or 129 two-byte characters (258 bytes): the limit counts bytes
            pat = rnd.choice(["*" + "a" * 256, "é" * 129])
            q.setdefault(rnd.choice(["sequence", "topic"]), {})["name"] = {"$match": pat}
        elif k == "glob_256":  # valid: exactly 256 bytes (2-byte characters included), as sent
            q.setdefault(rnd.choice(["sequence", "topic"]), {})["name"] = {"$match": "*" + "é" * 127 + "*"}
        elif k == "glob_empty":
            where = rnd.choice(["sequence.name", "topic.name", "md", "ontology"])
            if where == "md":
                q.setdefault("topic", {}).setdefault("user_metadata", {})["env"] = {"$match": ""}
            elif where == "ontology":
                strs = [p for p, lf in leaves if lf == "string"] or [[("field", "nosuch")]]
                q.setdefault("ontology", {})[path_to_key(tag, rnd.choice(strs))] = {"$match": ""}
            else:
                q.setdefault(where.split(".")[0], {})["name"] = {"$match": ""}
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
