"""Plain-Python reference evaluator for the `query`, `topic_filter_clusterize` and `topic_filter_intersect` actions.

Written to be obviously right rather than fast: it walks plain dicts and lists. It knows nothing about the daemon.

Data model (what query_datagen.py builds, or a test builds by hand):

    dataset = {
        "sequences": [
            {"name": "run_1", "created_at_ns": 17..., "user_metadata": {...},
             "topics": [
                 {"name": "/sensors/imu",            # as the SDK shows it: leading "/"
                  "locator": "run_1/sensors/imu",
                  "ontology_tag": "imu",
                  "created_at_ns": 17...,
                  "user_metadata": {...},
                  "rows": [{"timestamp_ns": 1, "acc": {"x": 1.0, ...}, ...}, ...]},   # pyarrow to_pylist() rows
             ]},
        ],
        "tag_schemas": {"imu": {"timestamp_ns": "int", "acc": {"x": "float"}, "cov": ("list", "float"), ...}},
    }

Schema descriptors: a leaf is "int" | "float" | "string" | "bool"; a struct is a dict; a list is ("list", element).

Semantics (issue #3; where the SDK decides, the SDK wins):
  * Query JSON {"sequence"?:{name, created_at_ns, user_metadata}, "topic"?:{name, ontology_tag, created_at_ns,
    user_metadata}, "ontology"?:{"<tag>.<path>": {op: v}}}; every condition is {op: value} with exactly one operator
    (that is what the SDK builders produce); all conditions ANDed; an empty section is no condition.
  * user_metadata keys are dotted paths kept as one string; a "*" segment matches exactly one key level, "**" any
    number of levels (zero or more). Only JSON objects are descended. The key resolves to the set of present values;
    an operator other than $nex holds when at least one present, non-null value satisfies it; $ex = some value is
    present and not null; $nex = no value is present-and-not-null. Type mismatches (number vs string vs bool,
    scalar vs object/list) never match: no error on user_metadata.
  * Ontology keys "<tag>.<field>.<sub>" with list specifiers "[N]" (element N; out of range or null/empty list ->
    no match), "[?]" (any element), "[!]" (all elements; an empty or null list -> false). A null struct makes its
    fields null. Null satisfies only $nex; $ex = present and not null. All conditions of one tag must hold on the
    SAME row; a topic matches when some row satisfies all the conditions of its own tag; when an ontology section is
    present, topics of other tags and topics without rows do not match.
  * Operators: $eq $neq (row-level: value != v) $lt $leq $gt $geq, $between [a,b] inclusive, $outside [a,b]
    (v < a or v > b), $in [..] (any equal), $match glob on strings (* any run, ? one char, # one digit, [..] class,
    anchored to the whole string), $ex, $nex (the SDK sends {"$ex": null} / {"$nex": null}). Numbers compare as
    numbers (int vs float exactly); strings compare by code point (= UTF-8 byte order); booleans only equal/differ.
  * Typed fields (name, created_at_ns, ontology_tag, ontology leaves): a value of the wrong type is a QueryError
    (INVALID_ARGUMENT on the wire), naming the key.
  * Reply {"items": [{"sequence": s, "topics": [{"locator", "ontology_tag", "timestamp_range"}]}]}, sequences
    sorted by name, topics by locator; sequences without a matching topic are left out. timestamp_range: with an
    ontology section, [min, max] timestamp_ns of the rows that matched; otherwise the topic's data interval, or None
    when it has no rows.
  * Clusterize: the matching rows of one topic (conditions of its own tag; an empty ontology matches every row),
    restricted to timestamp_range {start_ns, end_ns} (inclusive; the tests keep row timestamps off the bounds), sorted
    by time; consecutive rows with a gap <= clustering_dt_ns share a window; clustering_dt_ns == 0 gives ONE window
    [min, max] (SDK 0.7.0 docstring of QueryResponseItemTopic.clusterize: "Setting clustering_dt_ns to zero (default)
    returns a unique cluster representing the first and last timestamp the query evaluated true"). Windows
    {"ts": {"start_ns", "end_ns"}, "id": n}, ids 0.. in time order.
  * Intersect: each topic clustered as above; empty when a topic has no window; otherwise a k-way walk over the
    per-topic windows: take the current window of every topic, max_start / min_end; when max_start <= min_end +
    intersect_dt_ns emit [max_start, min_end] if max_start <= min_end, else the tolerance window
    [max_start - dt//2, min_end + (dt - dt//2)]; then advance the topic whose current window ends first (the first
    such topic on ties); stop when a topic runs out. (The walk and the tolerance window follow the public mosaicod's
    documented algorithm, since issue #3 only says "overlapping clusters within intersect_dt_ns".)
"""

from __future__ import annotations

import copy
import functools
import re
from typing import Any, Iterable, Optional

OPERATORS = ("$eq", "$neq", "$lt", "$leq", "$gt", "$geq", "$between", "$outside", "$in", "$match", "$ex", "$nex")
ORDER_OPS = ("$lt", "$leq", "$gt", "$geq", "$between", "$outside")
SECTIONS = ("sequence", "topic", "ontology")
SEQUENCE_FIELDS = {"name": "string", "created_at_ns": "int"}
TOPIC_FIELDS = {"name": "string", "ontology_tag": "string", "created_at_ns": "int"}


class QueryError(ValueError):
    """An invalid query: the daemon must answer INVALID_ARGUMENT naming `key`."""

    def __init__(self, key: str, why: str):
        super().__init__(f"{key}: {why}")
        self.key = key
        self.why = why


# ----------------------------------------------------------------------------------------------------------------------
# Values
# ----------------------------------------------------------------------------------------------------------------------


_KINDS = {bool: "bool", int: "num", float: "num", str: "str"}


def kind(v: Any) -> Optional[str]:
    """'num' | 'str' | 'bool' | None (null, object, list: nothing compares with those)."""
    return _KINDS.get(type(v))


def is_num(v: Any) -> bool:
    return kind(v) == "num"


def _same_kind(a: Any, b: Any) -> bool:
    ka = kind(a)
    return ka is not None and ka == kind(b)


def _ordered(a: Any, b: Any) -> bool:
    return _same_kind(a, b) and kind(a) in ("num", "str")


@functools.lru_cache(maxsize=4096)
def glob_tokens(pattern: str) -> tuple:
    """Tokens: ("star",), ("any",), ("digit",), ("class", set_of_chars, ranges), ("lit", ch)."""
    toks = []
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            toks.append(("star",))
        elif c == "?":
            toks.append(("any",))
        elif c == "#":
            toks.append(("digit",))
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j < 0:
                toks.append(("lit", "["))  # unclosed: a literal "[" (the generators never produce this)
            else:
                body = pattern[i + 1 : j]
                chars = set()
                ranges = []
                k = 0
                while k < len(body):
                    if k + 2 < len(body) and body[k + 1] == "-":
                        ranges.append((body[k], body[k + 2]))
                        k += 3
                    else:
                        chars.add(body[k])
                        k += 1
                toks.append(("class", frozenset(chars), tuple(ranges)))
                i = j
        else:
            toks.append(("lit", c))
        i += 1
    return tuple(toks)


def _tok_matches(tok, ch: str) -> bool:
    t = tok[0]
    if t == "any":
        return True
    if t == "digit":
        return "0" <= ch <= "9"
    if t == "lit":
        return ch == tok[1]
    if t == "class":
        return ch in tok[1] or any(lo <= ch <= hi for lo, hi in tok[2])
    raise AssertionError(tok)


def glob_match(pattern: str, text: str) -> bool:
    """Anchored glob match by NFA simulation (set of pattern positions): O(len(text) * len(pattern)), no backtracking."""
    toks = glob_tokens(pattern)
    m = len(toks)

    def closure(states):
        out = set(states)
        stack = list(states)
        while stack:
            s = stack.pop()
            if s < m and toks[s][0] == "star" and s + 1 not in out:
                out.add(s + 1)
                stack.append(s + 1)
        return out

    states = closure({0})
    for ch in text:
        nxt = set()
        for s in states:
            if s >= m:
                continue
            tok = toks[s]
            if tok[0] == "star":
                nxt.add(s)  # the star eats ch and stays
            elif _tok_matches(tok, ch):
                nxt.add(s + 1)
        states = closure(nxt)
        if not states:
            return False
    return m in states


def op_holds(op: str, arg: Any, v: Any) -> bool:
    """Does one present value v satisfy {op: arg}? v is None for null/absent."""
    if op == "$nex":
        return v is None
    if v is None:
        return False
    if op == "$ex":
        return True
    if op == "$eq":
        return _same_kind(v, arg) and v == arg
    if op == "$neq":
        return _same_kind(v, arg) and v != arg
    if op == "$lt":
        return _ordered(v, arg) and v < arg
    if op == "$leq":
        return _ordered(v, arg) and v <= arg
    if op == "$gt":
        return _ordered(v, arg) and v > arg
    if op == "$geq":
        return _ordered(v, arg) and v >= arg
    if op == "$between":
        a, b = arg
        return _ordered(v, a) and _ordered(v, b) and a <= v <= b
    if op == "$outside":
        a, b = arg
        return _ordered(v, a) and _ordered(v, b) and (v < a or v > b)
    if op == "$in":
        return any(_same_kind(v, x) and v == x for x in arg)
    if op == "$match":
        return isinstance(v, str) and glob_match(arg, v)
    raise AssertionError(op)


# ----------------------------------------------------------------------------------------------------------------------
# Validation (what must be INVALID_ARGUMENT)
# ----------------------------------------------------------------------------------------------------------------------


def _split_condition(key: str, cond: Any) -> tuple[str, Any]:
    if not isinstance(cond, dict) or len(cond) != 1:
        raise QueryError(key, "a condition is an object with exactly one operator")
    (op, arg), = cond.items()
    if op not in OPERATORS:
        raise QueryError(key, f"unknown operator {op!r}")
    return op, arg


def _check_arg_shape(key: str, op: str, arg: Any):
    """Operator/argument shape, independent of the field's type."""
    scalar = lambda x: kind(x) is not None  # noqa: E731
    if op in ("$ex", "$nex"):
        return
    if op in ("$between", "$outside"):
        if not isinstance(arg, list) or len(arg) != 2 or not all(scalar(x) for x in arg):
            raise QueryError(key, f"{op} takes [min, max]")
        if not _ordered(arg[0], arg[1]):
            raise QueryError(key, f"{op} bounds must be two numbers or two strings")
        return
    if op == "$in":
        if not isinstance(arg, list) or not all(scalar(x) for x in arg):
            raise QueryError(key, "$in takes a list of values")
        return
    if op == "$match":
        if not isinstance(arg, str):
            raise QueryError(key, "$match takes a string")
        return
    if op in ("$lt", "$leq", "$gt", "$geq"):
        if kind(arg) not in ("num", "str"):
            raise QueryError(key, f"{op} takes a number or a string")
        return
    if not scalar(arg):  # $eq $neq
        raise QueryError(key, f"{op} takes a number, a string or a boolean")


def _arg_values(op: str, arg: Any) -> list:
    if op in ("$ex", "$nex"):
        return []
    if op in ("$between", "$outside", "$in"):
        return list(arg)
    return [arg]


def _check_typed(key: str, op: str, arg: Any, leaf: str):
    """A typed field: every argument value must be of the field's kind."""
    want = {"int": "num", "float": "num", "string": "str", "bool": "bool"}[leaf]
    if op == "$match" and leaf != "string":
        raise QueryError(key, "$match on a non-string field")
    if leaf == "bool" and op in ORDER_OPS:
        raise QueryError(key, f"{op} on a boolean field")
    for x in _arg_values(op, arg):
        if kind(x) != want:
            raise QueryError(key, f"value {x!r} does not match the field type {leaf}")


_SEG_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)((?:\[(?:\d+|\?|!)\])*)$")
_SPEC_RE = re.compile(r"\[(\d+|\?|!)\]")


def parse_ontology_key(key: str) -> tuple[str, list]:
    """'tag.a.b[?].c[0]' -> ('tag', [('field','a'), ('field','b'), ('spec','?'), ('field','c'), ('spec', 0)])."""
    if "." not in key:
        raise QueryError(key, "ontology key must be <tag>.<field>")
    tag, rest = key.split(".", 1)
    if not tag:
        raise QueryError(key, "empty ontology tag")
    path = []
    for part in rest.split("."):
        m = _SEG_RE.match(part)
        if not m:
            raise QueryError(key, f"bad path segment {part!r}")
        path.append(("field", m.group(1)))
        for spec in _SPEC_RE.findall(m.group(2)):
            path.append(("spec", int(spec) if spec.isdigit() else spec))
    return tag, path


def ontology_leaf_type(key: str, schema: dict, path: list) -> str:
    node: Any = schema
    for step, val in path:
        if step == "field":
            if not isinstance(node, dict) or val not in node:
                raise QueryError(key, f"unknown field {val!r}")
            node = node[val]
        else:
            if not (isinstance(node, tuple) and node[0] == "list"):
                raise QueryError(key, "list specifier on a field that is not a list")
            node = node[1]
    if not isinstance(node, str):
        raise QueryError(key, "the key does not name a scalar field (lists need [N], [?] or [!])")
    return node


def validate(query: Any, tag_schemas: dict):
    """Raises QueryError for every query the daemon must refuse. Returns None."""
    if not isinstance(query, dict):
        raise QueryError("<body>", "the query is a JSON object")
    for section, body in query.items():
        if section not in SECTIONS:
            raise QueryError(section, "unknown query section")
        if not isinstance(body, dict):
            raise QueryError(section, "a section is a JSON object")
        if section in ("sequence", "topic"):
            fields = SEQUENCE_FIELDS if section == "sequence" else TOPIC_FIELDS
            for field, cond in body.items():
                if field == "user_metadata":
                    if not isinstance(cond, dict):
                        raise QueryError(field, "user_metadata is an object of conditions")
                    for mkey, mcond in cond.items():
                        if not mkey or any(s == "" for s in mkey.split(".")):
                            raise QueryError(mkey, "empty key segment")
                        op, arg = _split_condition(mkey, mcond)
                        _check_arg_shape(mkey, op, arg)
                    continue
                if field not in fields:
                    raise QueryError(field, f"unknown {section} field")
                op, arg = _split_condition(field, cond)
                _check_arg_shape(field, op, arg)
                _check_typed(field, op, arg, fields[field])
        else:
            for key, cond in body.items():
                tag, path = parse_ontology_key(key)
                if tag not in tag_schemas:
                    raise QueryError(key, f"unknown ontology tag {tag!r}")
                leaf = ontology_leaf_type(key, tag_schemas[tag], path)
                op, arg = _split_condition(key, cond)
                _check_arg_shape(key, op, arg)
                _check_typed(key, op, arg, leaf)


# ----------------------------------------------------------------------------------------------------------------------
# Evaluation
# ----------------------------------------------------------------------------------------------------------------------


def metadata_values(md: Any, key: str) -> list:
    """All values reached by the dotted key (with * and ** segments) in a JSON object."""
    segs = key.split(".")
    nodes = [md]  # reached nodes (list: duplicates are harmless)

    def step(node_list, seg):
        out = []
        for node in node_list:
            if not isinstance(node, dict):
                continue
            if seg == "*":
                out.extend(node.values())
            elif seg in node:
                out.append(node[seg])
        return out

    def descendants_or_self(node_list):
        out = []
        stack = list(node_list)
        while stack:
            n = stack.pop()
            out.append(n)
            if isinstance(n, dict):
                stack.extend(n.values())
        return out

    i = 0
    while i < len(segs):
        seg = segs[i]
        if seg == "**":
            nodes = descendants_or_self(nodes)
        else:
            nodes = step(nodes, seg)
        i += 1
    return nodes


def metadata_condition(md: dict, key: str, op: str, arg: Any) -> bool:
    vals = [v for v in metadata_values(md, key) if v is not None]
    if op == "$nex":
        return not vals
    return any(op_holds(op, arg, v) for v in vals)


def _path_holds(value: Any, path: list, op: str, arg: Any) -> bool:
    if not path:
        return op_holds(op, arg, value)
    (step, val), rest = path[0], path[1:]
    if step == "field":
        if value is None:
            if any(s == "spec" for s, _ in rest):
                return False  # a list under a null struct is null: specifiers find no element
            return op_holds(op, arg, None)
        return _path_holds(value.get(val), rest, op, arg)
    # list specifier
    if value is None or len(value) == 0:
        return False
    if val == "?":
        return any(_path_holds(e, rest, op, arg) for e in value)
    if val == "!":
        return all(_path_holds(e, rest, op, arg) for e in value)
    if val >= len(value):
        return False
    return _path_holds(value[val], rest, op, arg)


def row_matches(row: dict, conds: list) -> bool:
    """conds: [(path, op, arg)] of one tag; all on this same row."""
    return all(_path_holds(row, path, op, arg) for path, op, arg in conds)


def _simple_condition(value: Any, cond: dict) -> bool:
    (op, arg), = cond.items()
    return op_holds(op, arg, value)


def _entity_matches(entity: dict, section: dict) -> bool:
    for field, cond in section.items():
        if field == "user_metadata":
            for mkey, mcond in cond.items():
                (op, arg), = mcond.items()
                if not metadata_condition(entity.get("user_metadata") or {}, mkey, op, arg):
                    return False
        elif not _simple_condition(entity[field], cond):
            return False
    return True


def ontology_conditions_by_tag(ontology: dict) -> dict:
    by_tag: dict = {}
    for key, cond in ontology.items():
        tag, path = parse_ontology_key(key)
        (op, arg), = cond.items()
        by_tag.setdefault(tag, []).append((path, op, arg))
    return by_tag


def matching_rows(topic: dict, conds: list, ts_range: Optional[tuple] = None) -> list:
    rows = topic["rows"]
    if ts_range is not None:
        lo, hi = ts_range
        rows = [r for r in rows if lo <= r["timestamp_ns"] <= hi]
    return [r for r in rows if row_matches(r, conds)]


def run_query(dataset: dict, query: dict) -> dict:
    """The exact reply the daemon must send (the `response` part of the envelope). Raises QueryError."""
    validate(query, dataset["tag_schemas"])
    seq_q = query.get("sequence") or {}
    top_q = query.get("topic") or {}
    ont_q = query.get("ontology") or {}
    by_tag = ontology_conditions_by_tag(ont_q) if ont_q else None
    items = []
    for seq in sorted(dataset["sequences"], key=lambda s: s["name"]):
        if not _entity_matches(seq, seq_q):
            continue
        topics = []
        for t in sorted(seq["topics"], key=lambda t: t["locator"]):
            if by_tag is not None and not by_tag.get(t["ontology_tag"]):
                continue
            if not _entity_matches(t, top_q):
                continue
            if by_tag is not None:
                conds = by_tag[t["ontology_tag"]]
                hits = matching_rows(t, conds)
                if not hits:
                    continue
                ts = [r["timestamp_ns"] for r in hits]
                rng = [min(ts), max(ts)]
            else:
                ts = [r["timestamp_ns"] for r in t["rows"]]
                rng = [min(ts), max(ts)] if ts else None
            topics.append({"locator": t["locator"], "ontology_tag": t["ontology_tag"], "timestamp_range": rng})
        if topics:
            items.append({"sequence": seq["name"], "topics": topics})
    return {"items": items}


# ----------------------------------------------------------------------------------------------------------------------
# Clusterize / intersect
# ----------------------------------------------------------------------------------------------------------------------


def find_topic(dataset: dict, locator: str) -> dict:
    loc = locator.strip("/")
    for seq in dataset["sequences"]:
        for t in seq["topics"]:
            if t["locator"] == loc:
                return t
    raise KeyError(locator)


def cluster_windows(timestamps: Iterable[int], dt: int) -> list:
    """[(start, end)] of sorted timestamps; dt == 0: one window [min, max]."""
    ts = sorted(timestamps)
    if not ts:
        return []
    if dt == 0:
        return [(ts[0], ts[-1])]
    out = []
    start = prev = ts[0]
    for t in ts[1:]:
        if t - prev > dt:
            out.append((start, prev))
            start = t
        prev = t
    out.append((start, prev))
    return out


def _body_windows(dataset: dict, body: dict) -> list:
    topic = find_topic(dataset, body["locator"])
    ontology = body.get("ontology") or {}
    validate({"ontology": ontology} if ontology else {}, dataset["tag_schemas"])
    conds = []
    for key, cond in ontology.items():
        tag, path = parse_ontology_key(key)
        (op, arg), = cond.items()
        conds.append((path, op, arg))
    tr = body.get("timestamp_range")
    ts_range = (tr["start_ns"], tr["end_ns"]) if tr else None
    hits = matching_rows(topic, conds, ts_range)
    return cluster_windows((r["timestamp_ns"] for r in hits), body["clustering_dt_ns"])


def _as_replies(windows: list) -> list:
    return [{"ts": {"start_ns": s, "end_ns": e}, "id": i} for i, (s, e) in enumerate(windows)]


def clusterize(dataset: dict, body: dict) -> list:
    """The list of `response` objects the daemon must stream for topic_filter_clusterize."""
    return _as_replies(_body_windows(dataset, body))


def intersect_windows(per_topic: list, dt: int) -> list:
    if len(per_topic) < 2 or any(not w for w in per_topic):
        return []
    pos = [0] * len(per_topic)
    out = []
    while True:
        cur = [per_topic[i][pos[i]] for i in range(len(per_topic))]
        max_start = max(s for s, _ in cur)
        min_end = min(e for _, e in cur)
        idx = [e for _, e in cur].index(min_end)
        if max_start <= min_end + dt:
            if max_start <= min_end:
                out.append((max_start, min_end))
            else:
                lo = dt // 2
                out.append((max_start - lo, min_end + (dt - lo)))
        pos[idx] += 1
        if pos[idx] >= len(per_topic[idx]):
            return out


def intersect(dataset: dict, body: dict) -> list:
    """The list of `response` objects the daemon must stream for topic_filter_intersect."""
    topics = body["topics"]
    per_topic = [_body_windows(dataset, b) for b in topics]
    return _as_replies(intersect_windows(per_topic, body["intersect_dt_ns"]))


# ----------------------------------------------------------------------------------------------------------------------
# Diffs for failure reports
# ----------------------------------------------------------------------------------------------------------------------


def diff_replies(want: dict, got: Any) -> str:
    """Human-readable difference between two query replies ('' when equal)."""
    if want == got:
        return ""
    if not isinstance(got, dict) or not isinstance(got.get("items"), list):
        return f"reply is not {{'items': [...]}}: {str(got)[:500]}"
    lines = []
    wmap = {it["sequence"]: it for it in want["items"]}
    gmap = {}
    for it in got["items"]:
        if isinstance(it, dict) and "sequence" in it:
            gmap[it["sequence"]] = it
    for s in sorted(set(wmap) - set(gmap)):
        lines.append(f"missing sequence {s!r} (topics {[t['locator'] for t in wmap[s]['topics']]})")
    for s in sorted(set(gmap) - set(wmap)):
        lines.append(f"extra sequence {s!r}: {str(gmap[s])[:300]}")
    for s in sorted(set(wmap) & set(gmap)):
        wt = {t["locator"]: t for t in wmap[s]["topics"]}
        gt = {t.get("locator"): t for t in gmap[s].get("topics", []) if isinstance(t, dict)}
        for loc in sorted(set(wt) - set(gt), key=str):
            lines.append(f"missing topic {loc!r} {wt[loc]}")
        for loc in sorted(set(gt) - set(wt), key=str):
            lines.append(f"extra topic {loc!r} {gt[loc]}")
        for loc in sorted(set(wt) & set(gt), key=str):
            if wt[loc] != gt[loc]:
                lines.append(f"topic {loc!r}: want {wt[loc]} got {gt[loc]}")
        if not lines and wmap[s] != gmap[s]:
            lines.append(f"sequence {s!r} item differs (order/keys): want {wmap[s]} got {gmap[s]}")
    if not lines:
        order_w = [it["sequence"] for it in want["items"]]
        order_g = [it.get("sequence") for it in got["items"]]
        if order_w != order_g:
            lines.append(f"item order differs: want {order_w[:10]}... got {order_g[:10]}...")
        else:
            lines.append(f"replies differ in keys or order: got {str(got)[:500]}")
    return "\n".join(lines)


def deepcopy_dataset(dataset: dict) -> dict:
    return copy.deepcopy(dataset)
