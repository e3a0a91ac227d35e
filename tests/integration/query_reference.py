"""Plain-Python reference evaluator for the `query`, `topic_filter_clusterize` and `topic_filter_intersect` actions.

Written to be obviously right rather than fast: it walks plain dicts and lists. It knows nothing about the daemon.
docs/QUERY.md is the authority; every rule there is implemented here (the rule is quoted next to its code where that
helps), and nothing that QUERY.md leaves open is decided here in a way the generators rely on.

Data model (what query_datagen.py builds, or a test builds from what the daemon stores):

    dataset = {
        "sequences": [
            {"name": "run_1", "created_at_ns": 17..., "user_metadata": {...},
             "topics": [
                 {"name": "sensors/imu",             # stored relative: no leading "/"
                  "locator": "run_1/sensors/imu",     # "<seq>/<topic>", as in the query reply
                  "ontology_tag": "imu",
                  "created_at_ns": 17...,
                  "user_metadata": {...},
                  "rows": [{"timestamp_ns": 1, "acc": {"x": 1.0, ...}, ...}, ...]},   # pyarrow to_pylist() rows
             ]},
        ],
        # schema snapshots per ontology tag, one descriptor per distinct schema of a topic of that tag that HAS a
        # schema (a DoPut stream was opened). A tag absent here (or with an empty list) has no schema at all.
        "tag_schemas": {"imu": [{"timestamp_ns": "int", "acc": {"x": "float"}, "cov": ("list", "float"), ...}]},
    }

Schema descriptors: a leaf is "int" | "float" | "string" | "bool" | "binary" (binary: not queryable; the generators
never address it); a struct is a dict; a list is ("list", element). A single descriptor instead of a list is
accepted too.

Summary of docs/QUERY.md as implemented:
  * Query {"sequence"?:{name, created_at_ns, user_metadata}, "topic"?:{name, ontology_tag, created_at_ns,
    user_metadata}, "ontology"?:{"<tag>.<path>": cond}}; every condition is {op: arg} with exactly one operator; all
    conditions ANDed; an empty section is no condition; unknown section / field -> QueryError naming it.
  * Argument shapes: $ex/$nex any arg; $between/$outside [a, b] (two numbers or two strings); $in a list of at most
    10 000 scalars; $match a non-empty glob string of at most 256 UTF-8 bytes (as sent) that compiles (an unclosed
    "[", an empty class "[]" or a reversed range "[z-a]" is an error; "**" is "*"); $eq/$neq a scalar; $lt..$geq a
    number or a string.
    An integer argument outside int64 is an error (huge ints: nothing can hold them); so is a non-finite float.
  * user_metadata keys: dotted, non-empty segments, at most 64; "*" = any one key, "**" = zero or more levels; only
    objects are descended; the key reaches a set of non-null values; $nex holds when it is empty, any other operator
    when some value satisfies it. Untyped: a value of another kind never matches (never an error).
  * Typed fields: name / ontology_tag take strings, created_at_ns ints; ontology leaves the kind of their Arrow type
    (int and float both "number"); a wrong kind, $match on a non-string, an order operator on a bool -> QueryError.
  * Ontology keys "<tag>.<field>(.<field>)*" with list specifiers [N] / [?] / [!] after a field. Checked against the
    schemas of the tag: no schema of that tag at all -> the tag matches nothing (NOT an error); a path that resolves
    to a scalar leaf in none of them (unknown field, list without specifier, specifier on a non-list, struct leaf)
    -> QueryError; a topic whose own schema lacks the path sees null.
  * topic.name: stored relative ("sensors/imu"), shown by the SDK as "/sensors/imu". $match patterns are matched
    against the shown name; a pattern starting with a literal other than "/" is relative (a "/" is prepended).
    Every other operator: one leading "/" is removed from string arguments, compared with the stored name.
    Sequence names: as stored, no rewriting.
  * Null (absent, JSON null, Arrow null, under a null struct) satisfies only $nex; $ex = present and not null.
    $neq: a non-null value of the same kind that differs. [N] out of range / null / empty list -> no match; [?] some
    element; [!] every element, an empty or null list is false.
  * All ontology conditions of one tag hold on the SAME row. With an ontology section, a topic matches only when its
    tag has conditions and some row satisfies them all; timestamp_range is [min, max] of the matching rows. Without
    it: the topic's data interval, None when it has no rows.
  * Reply {"items": [{"sequence", "topics": [{"locator", "ontology_tag", "timestamp_range"}]}]}: sequences with a
    matching topic, sorted by name; topics sorted by locator (code point order == UTF-8 byte order).
  * Clusterize: rows satisfying the body's ontology (empty: every row), within timestamp_range (inclusive), sorted;
    consecutive rows with a gap <= clustering_dt_ns share a window; clustering_dt_ns == 0: one window [first, last];
    ids 0.. in time order. Negative clustering_dt_ns -> QueryError; unknown locator -> NotFound. Every condition of
    the body applies to the topic's rows, whatever its tag (QUERY.md: "the rows of the topic that satisfy the body's
    ontology conditions"): a condition of another tag reads a path of this topic's rows, one of a tag without schema
    holds on no row. (The SDK only ever sends the conditions of the topic's own tag.)
  * Intersect: fewer than two topics or a topic without windows -> nothing; else the k-way walk of QUERY.md.

Left open by QUERY.md, so never generated by query_datagen (the reference's choice is not a claim): a null section
or argument, timestamp_range with start_ns > end_ns, a negative or missing intersect_dt_ns / missing
clustering_dt_ns, a timestamp_range inside intersect bodies, a bound on [N], $ex/$nex on binary leaves, the same
path being a different kind in two schemas of one tag, duplicate JSON keys.
"""

from __future__ import annotations

import copy
import functools
import math
import re
from typing import Any, Iterable, Optional

OPERATORS = ("$eq", "$neq", "$lt", "$leq", "$gt", "$geq", "$between", "$outside", "$in", "$match", "$ex", "$nex")
ORDER_OPS = ("$lt", "$leq", "$gt", "$geq", "$between", "$outside")
SECTIONS = ("sequence", "topic", "ontology")
SEQUENCE_FIELDS = {"name": "string", "created_at_ns": "int"}
TOPIC_FIELDS = {"name": "string", "ontology_tag": "string", "created_at_ns": "int"}

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
MAX_IN_VALUES = 10_000
MAX_GLOB_BYTES = 256
MAX_METADATA_SEGMENTS = 64


class QueryError(ValueError):
    """An invalid query: the daemon must answer INVALID_ARGUMENT naming `key`."""

    def __init__(self, key: str, why: str):
        super().__init__(f"{key}: {why}")
        self.key = key
        self.why = why


class NotFound(LookupError):
    """An unknown topic locator in a clusterize / intersect body: the daemon must answer NOT_FOUND."""

    def __init__(self, locator: str):
        super().__init__(f"unknown topic {locator!r}")
        self.locator = locator


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


# Python compares int with float exactly (no rounding through double) and str by code point, which is UTF-8 byte
# order: exactly QUERY.md's "numbers compare as numbers, int against float exactly; strings by UTF-8 byte order".


# ----------------------------------------------------------------------------------------------------------------------
# Globs (core/glob.h): * any run (also empty; ** == *), ? one character, # one ASCII digit, [..] one character of a
# class of single characters and ranges x-y ('-' last in the class is literal), no negation, no escape. Characters
# are code points. Unclosed "[", empty class "[]", reversed range -> error.
# ----------------------------------------------------------------------------------------------------------------------


class GlobError(ValueError):
    pass


@functools.lru_cache(maxsize=8192)
def glob_tokens(pattern: str) -> tuple:
    """Tokens: ("star",), ("any",), ("digit",), ("class", ((lo, hi), ...)), ("lit", ch). Raises GlobError."""
    toks: list = []
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        i += 1
        if c == "*":
            if not (toks and toks[-1][0] == "star"):
                toks.append(("star",))
        elif c == "?":
            toks.append(("any",))
        elif c == "#":
            toks.append(("digit",))
        elif c == "[":
            ranges = []
            closed = False
            while i < n:
                first = pattern[i]
                i += 1
                if first == "]":
                    if not ranges:
                        raise GlobError("empty character class '[]'")
                    closed = True
                    break
                # "x-y" is a range unless the '-' is the last character of the class ("[a-]" holds 'a' and '-')
                if i < n and pattern[i] == "-" and i + 1 < n and pattern[i + 1] != "]":
                    last = pattern[i + 1]
                    if last < first:
                        raise GlobError("reversed range in character class")
                    ranges.append((first, last))
                    i += 2
                else:
                    ranges.append((first, first))
            if not closed:
                raise GlobError("unclosed '['")
            toks.append(("class", tuple(ranges)))
        else:
            toks.append(("lit", c))
    return tuple(toks)


def glob_check(pattern: str) -> Optional[str]:
    """None when the pattern compiles, else the reason."""
    try:
        glob_tokens(pattern)
        return None
    except GlobError as e:
        return str(e)


def _tok_matches(tok, ch: str) -> bool:
    t = tok[0]
    if t == "any":
        return True
    if t == "digit":
        return "0" <= ch <= "9"
    if t == "lit":
        return ch == tok[1]
    if t == "class":
        return any(lo <= ch <= hi for lo, hi in tok[1])
    raise AssertionError(tok)


def glob_match_simple(pattern: str, text: str) -> bool:
    """Anchored glob match by NFA simulation over a set of pattern positions (the obvious version; slow)."""
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


class _BitGlob:
    """The same NFA with the state set as a bit mask (bit i: tokens[:i] consumed): fast on long patterns and texts."""

    def __init__(self, pattern: str):
        self.toks = glob_tokens(pattern)
        self.m = len(self.toks)
        self.star = sum(1 << i for i, t in enumerate(self.toks) if t[0] == "star")
        self.literal_only = all(t[0] == "lit" for t in self.toks)
        self.pattern = pattern
        self._acc: dict = {}

    def acc(self, ch: str) -> int:
        a = self._acc.get(ch)
        if a is None:
            a = sum(1 << i for i, t in enumerate(self.toks) if t[0] != "star" and _tok_matches(t, ch))
            self._acc[ch] = a
        return a

    def match(self, text: str) -> bool:
        if self.literal_only:
            return text == self.pattern
        star = self.star
        s = 1
        s |= (s & star) << 1  # stars are never adjacent: one epsilon step closes the set
        for ch in text:
            s = (s & star) | ((s & self.acc(ch)) << 1)
            if not s:
                return False
            s |= (s & star) << 1
        return bool(s >> self.m & 1)


@functools.lru_cache(maxsize=8192)
def _bitglob(pattern: str) -> _BitGlob:
    return _BitGlob(pattern)


def glob_match(pattern: str, text: str) -> bool:
    """Anchored glob match: O(len(text) * len(pattern) / wordsize), no backtracking."""
    return _bitglob(pattern).match(text)


# ----------------------------------------------------------------------------------------------------------------------
# One operator on one value
# ----------------------------------------------------------------------------------------------------------------------


def op_holds(op: str, arg: Any, v: Any) -> bool:
    """Does one value v satisfy {op: arg}? v is None for null/absent."""
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
    ((op, arg),) = cond.items()
    if op not in OPERATORS:
        raise QueryError(key, f"unknown operator {op!r}")
    return op, arg


def _check_scalar_value(key: str, x: Any):
    if type(x) is int and not (INT64_MIN <= x <= INT64_MAX):
        raise QueryError(key, f"integer {x} out of the int64 range")
    if type(x) is float and not math.isfinite(x):
        raise QueryError(key, f"non-finite number {x}")


def _check_arg_shape(key: str, op: str, arg: Any):
    """Operator/argument shape, independent of the field's type."""

    def scalar(x):
        return kind(x) is not None

    if op in ("$ex", "$nex"):
        return
    if op in ("$between", "$outside"):
        if not isinstance(arg, list) or len(arg) != 2 or not all(scalar(x) for x in arg):
            raise QueryError(key, f"{op} takes [min, max]")
        if not _ordered(arg[0], arg[1]):
            raise QueryError(key, f"{op} bounds must be two numbers or two strings")
    elif op == "$in":
        if not isinstance(arg, list) or not all(scalar(x) for x in arg):
            raise QueryError(key, "$in takes a list of values")
        if len(arg) > MAX_IN_VALUES:
            raise QueryError(key, f"$in takes at most {MAX_IN_VALUES} values")
    elif op == "$match":
        if not isinstance(arg, str):
            raise QueryError(key, "$match takes a string")
        if arg == "":
            raise QueryError(key, "$match pattern is empty")
        if len(arg.encode("utf-8")) > MAX_GLOB_BYTES:
            raise QueryError(key, f"$match pattern longer than {MAX_GLOB_BYTES} bytes")
        why = glob_check(arg)
        if why:
            raise QueryError(key, f"invalid $match pattern: {why}")
    elif op in ("$lt", "$leq", "$gt", "$geq"):
        if kind(arg) not in ("num", "str"):
            raise QueryError(key, f"{op} takes a number or a string")
    elif not scalar(arg):  # $eq $neq
        raise QueryError(key, f"{op} takes a number, a string or a boolean")
    for x in _arg_values(op, arg):
        _check_scalar_value(key, x)


def _arg_values(op: str, arg: Any) -> list:
    if op in ("$ex", "$nex"):
        return []
    if op in ("$between", "$outside", "$in"):
        return list(arg)
    return [arg]


def _check_typed(key: str, op: str, arg: Any, leaf: str):
    """A typed field: every argument value must be of the field's kind."""
    if leaf == "binary":
        raise QueryError(key, "a binary field cannot be queried")
    if op == "$match" and leaf != "string":
        raise QueryError(key, "$match on a non-string field")
    if leaf == "bool" and op in ORDER_OPS:
        raise QueryError(key, f"{op} on a boolean field")
    for x in _arg_values(op, arg):
        if leaf == "int!":  # created_at_ns: ints only
            ok = type(x) is int
        else:
            ok = kind(x) == {"int": "num", "float": "num", "string": "str", "bool": "bool"}[leaf]
        if not ok:
            raise QueryError(key, f"value {x!r} does not match the field type {leaf.rstrip('!')}")


# a field is any non-empty run of characters other than '.', '[' and ']' (Arrow field names are free text; QUERY.md
# does not restrict them), followed by list specifiers
_SEG_RE = re.compile(r"^([^.\[\]]+)((?:\[(?:\d+|\?|!)\])*)$")
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


def _leaf_in_schema(schema: dict, path: list) -> tuple[Optional[str], str]:
    """(leaf, '') when `path` ends at a scalar leaf of this schema, else (None, why)."""
    node: Any = schema
    for step, val in path:
        if step == "field":
            if not isinstance(node, dict) or val not in node:
                return None, f"unknown field {val!r}"
            node = node[val]
        else:
            if not (isinstance(node, tuple) and node[0] == "list"):
                return None, "list specifier on a field that is not a list"
            node = node[1]
    if isinstance(node, tuple):
        return None, "a list needs a specifier [N], [?] or [!]"
    if not isinstance(node, str):
        return None, "the key does not name a scalar field"
    return node, ""


def schemas_of(tag_schemas: dict, tag: str) -> list:
    s = tag_schemas.get(tag)
    if s is None:
        return []
    return s if isinstance(s, list) else [s]


def ontology_leaf_type(key: str, schemas: list, path: list) -> str:
    """The leaf kind of `path` in the first schema where it is a scalar leaf; QueryError when it is in none."""
    whys = []
    for schema in schemas:
        leaf, why = _leaf_in_schema(schema, path)
        if leaf is not None:
            return leaf
        whys.append(why)
    raise QueryError(key, whys[0] if whys else "no schema")


def _validate_entity_section(section: str, body: dict):
    fields = SEQUENCE_FIELDS if section == "sequence" else TOPIC_FIELDS
    for field, cond in body.items():
        if field == "user_metadata":
            if not isinstance(cond, dict):
                raise QueryError(field, "user_metadata is an object of conditions")
            for mkey, mcond in cond.items():
                segs = mkey.split(".")
                if not mkey or any(s == "" for s in segs):
                    raise QueryError(mkey or "user_metadata", "empty key segment")
                if len(segs) > MAX_METADATA_SEGMENTS:
                    raise QueryError(mkey, f"more than {MAX_METADATA_SEGMENTS} key segments")
                op, arg = _split_condition(mkey, mcond)
                _check_arg_shape(mkey, op, arg)
            continue
        if field not in fields:
            raise QueryError(field, f"unknown {section} field")
        op, arg = _split_condition(field, cond)
        if section == "topic" and field == "name":
            arg = _strip_topic_name_arg(op, arg)
        _check_arg_shape(field, op, arg)
        _check_typed(field, op, arg, "int!" if fields[field] == "int" else fields[field])


def _validate_ontology(body: dict, tag_schemas: dict) -> dict:
    """Validates an ontology section; returns {tag: [(path, op, arg)]} with unknown tags mapped to None."""
    by_tag: dict = {}
    for key, cond in body.items():
        tag, path = parse_ontology_key(key)
        op, arg = _split_condition(key, cond)
        _check_arg_shape(key, op, arg)
        schemas = schemas_of(tag_schemas, tag)
        if not schemas:
            by_tag[tag] = None  # "no topic of that tag has a schema -> the tag simply matches nothing"
            continue
        leaf = ontology_leaf_type(key, schemas, path)
        _check_typed(key, op, arg, leaf)
        if by_tag.get(tag, []) is not None:
            by_tag.setdefault(tag, []).append((path, op, arg))
    return by_tag


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
            _validate_entity_section(section, body)
        else:
            _validate_ontology(body, tag_schemas)


# ----------------------------------------------------------------------------------------------------------------------
# Evaluation
# ----------------------------------------------------------------------------------------------------------------------


def _strip_topic_name_arg(op: str, arg: Any) -> Any:
    """topic.name, every operator but $match: one leading '/' is removed from string arguments."""

    def strip(x):
        return x[1:] if isinstance(x, str) and x.startswith("/") else x

    if op in ("$ex", "$nex", "$match"):
        return arg
    if op in ("$between", "$outside", "$in"):
        return [strip(x) for x in arg] if isinstance(arg, list) else arg
    return strip(arg)


def topic_name_glob_holds(pattern: str, stored_name: str) -> bool:
    """topic.name $match (QUERY.md "Topic names"): against the name as the SDK shows it, "/" + the stored name. A
    pattern whose first character is a literal other than "/" could never match that, so it is taken relative."""
    if pattern[:1] not in ("/", "*", "?", "#", "["):
        pattern = "/" + pattern
    return glob_match(pattern, "/" + stored_name)


def metadata_values(md: Any, key: str) -> list:
    """All values reached by the dotted key (with * and ** segments) in a JSON object (duplicates possible)."""
    nodes = [md]

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

    for seg in key.split("."):
        nodes = descendants_or_self(nodes) if seg == "**" else step(nodes, seg)
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
        # absent field (older/newer schema), null struct: the field is null
        child = value.get(val) if isinstance(value, dict) else None
        return _path_holds(child, rest, op, arg)
    # list specifier: a null or empty list has no element ([N]/[?] find none, [!] is false)
    if not isinstance(value, list) or len(value) == 0:
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


def _entity_matches(entity: dict, section: dict, is_topic: bool) -> bool:
    for field, cond in section.items():
        if field == "user_metadata":
            for mkey, mcond in cond.items():
                ((op, arg),) = mcond.items()
                if not metadata_condition(entity.get("user_metadata") or {}, mkey, op, arg):
                    return False
            continue
        ((op, arg),) = cond.items()
        if is_topic and field == "name" and op == "$match":
            if not topic_name_glob_holds(arg, entity["name"]):
                return False
            continue
        if is_topic and field == "name":
            arg = _strip_topic_name_arg(op, arg)
        if not op_holds(op, arg, entity[field]):
            return False
    return True


def matching_rows(topic: dict, conds: Optional[list], ts_range: Optional[tuple] = None) -> list:
    """Rows satisfying conds (None: an unknown tag, nothing matches; []: every row), within ts_range inclusive."""
    if conds is None:
        return []
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
    by_tag = _validate_ontology(ont_q, dataset["tag_schemas"]) if ont_q else None
    items = []
    for seq in sorted(dataset["sequences"], key=lambda s: s["name"]):
        if not _entity_matches(seq, seq_q, False):
            continue
        topics = []
        for t in sorted(seq["topics"], key=lambda t: t["locator"]):
            if by_tag is not None and t["ontology_tag"] not in by_tag:
                continue  # with an ontology section, topics of other tags do not match
            if not _entity_matches(t, top_q, True):
                continue
            if by_tag is not None:
                hits = matching_rows(t, by_tag[t["ontology_tag"]])
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
    raise NotFound(locator)


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


def _is_int(x: Any) -> bool:
    return type(x) is int and INT64_MIN <= x <= INT64_MAX


def validate_clusterize_body(body: Any, tag_schemas: dict, with_range: bool = True) -> dict:
    """QueryError for a malformed body; returns the conditions by tag (None for a tag no schema knows)."""
    if not isinstance(body, dict):
        raise QueryError("<body>", "a clusterize body is a JSON object")
    if not isinstance(body.get("locator"), str):
        raise QueryError("locator", "locator is a string")
    dt = body.get("clustering_dt_ns")
    if not _is_int(dt):
        raise QueryError("clustering_dt_ns", "clustering_dt_ns is an integer")
    if dt < 0:
        raise QueryError("clustering_dt_ns", "clustering_dt_ns must not be negative")
    ontology = body.get("ontology") or {}
    if not isinstance(ontology, dict):
        raise QueryError("ontology", "ontology is an object")
    if with_range:
        tr = body.get("timestamp_range")
        if tr is not None:
            if not isinstance(tr, dict) or not _is_int(tr.get("start_ns")) or not _is_int(tr.get("end_ns")):
                raise QueryError("timestamp_range", "timestamp_range is {start_ns, end_ns} or null")
            if tr["start_ns"] > tr["end_ns"]:
                raise QueryError("timestamp_range", "start_ns is after end_ns")
    return _validate_ontology(ontology, tag_schemas)


def _body_windows(dataset: dict, body: dict, with_range: bool = True) -> list:
    """docs/QUERY.md: only the conditions of the topic's own tag apply (the SDK sends each topic its own); an
    ontology with conditions, none of them for the topic's tag, matches no row; an empty ontology every row."""
    by_tag = validate_clusterize_body(body, dataset["tag_schemas"], with_range)
    topic = find_topic(dataset, body["locator"])
    if not by_tag:
        conds: Optional[list] = []
    else:
        conds = by_tag.get(topic["ontology_tag"])  # None: no condition for this tag, or the tag has no schema
    if conds is None:
        return []
    tr = body.get("timestamp_range") if with_range else None
    ts_range = (tr["start_ns"], tr["end_ns"]) if tr else None
    hits = matching_rows(topic, conds, ts_range)
    return cluster_windows((r["timestamp_ns"] for r in hits), body["clustering_dt_ns"])


def _as_replies(windows: list) -> list:
    return [{"ts": {"start_ns": s, "end_ns": e}, "id": i} for i, (s, e) in enumerate(windows)]


def clusterize(dataset: dict, body: dict) -> list:
    """The list of `response` objects the daemon must stream for topic_filter_clusterize. QueryError / NotFound."""
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
        idx = [e for _, e in cur].index(min_end)  # the first topic whose current window ends first
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
    """The list of `response` objects the daemon must stream for topic_filter_intersect. QueryError / NotFound."""
    if not isinstance(body, dict) or not isinstance(body.get("topics"), list):
        raise QueryError("topics", "topics is a list of clusterize bodies")
    dt = body.get("intersect_dt_ns")
    if not _is_int(dt):
        raise QueryError("intersect_dt_ns", "intersect_dt_ns is an integer")
    for b in body["topics"]:
        validate_clusterize_body(b, dataset["tag_schemas"], with_range=False)
    per_topic = [_body_windows(dataset, b, with_range=False) for b in body["topics"]]
    return _as_replies(intersect_windows(per_topic, dt))


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


def diff_windows(want: list, got: Any) -> str:
    """Difference between two clusterize/intersect result lists ('' when equal)."""
    if want == got:
        return ""
    if not isinstance(got, list):
        return f"reply is not a list of windows: {str(got)[:500]}"

    def fmt(ws):
        out = []
        for w in ws:
            try:
                out.append(f"#{w['id']} [{w['ts']['start_ns']}, {w['ts']['end_ns']}]")
            except Exception:  # noqa: BLE001
                out.append(repr(w)[:200])
        return out

    fw, fg = fmt(want), fmt(got)
    lines = [f"want {len(want)} windows, got {len(got)}"]
    for i in range(max(len(fw), len(fg))):
        a = fw[i] if i < len(fw) else "-"
        b = fg[i] if i < len(fg) else "-"
        if a != b:
            lines.append(f"  window {i}: want {a}  got {b}")
        if len(lines) > 12:
            lines.append("  ...")
            break
    return "\n".join(lines)


def deepcopy_dataset(dataset: dict) -> dict:
    return copy.deepcopy(dataset)
