"""CQL2 filters (text and JSON) and the query extension, parsed to pygeofilter ASTs.

The ASTs name STAC properties; :mod:`.translate` puts them in catalogue terms.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

from pygeofilter import ast
from pygeofilter.parsers.cql2_json import parse as parse_cql2_json

from ogc_server.archive import cql2text
from ogc_server.errors import InvalidQuery
from ogc_server.web.stac import properties

MAX_FILTER_CHARS = 16_384
MAX_DEPTH = 100
MAX_JSON_NODES = 2_000
#: Date-time literals cost the parser milliseconds each: a filter may hold this many.
MAX_TIME_LITERALS = 100
CRS84 = {"http://www.opengis.net/def/crs/OGC/1.3/CRS84",
         "https://www.opengis.net/def/crs/OGC/1.3/CRS84", "OGC:CRS84",
         "urn:ogc:def:crs:OGC:1.3:CRS84"}
_QUERY_OPS = {"eq", "neq", "lt", "lte", "gt", "gte", "startsWith", "endsWith", "contains", "in"}
_COMPARE = {"eq": ast.Equal, "neq": ast.NotEqual, "lt": ast.LessThan, "lte": ast.LessEqual,
            "gt": ast.GreaterThan, "gte": ast.GreaterEqual}


def _fail(message: str, locator: str = "filter") -> InvalidQuery:
    return InvalidQuery(message, locator=locator)


# Parsing ------------------------------------------------------------------------------------


def parse_filter(expression: Any, lang: str, crs: str | None = None) -> Any:
    """The AST of a ``cql2-text`` string or a ``cql2-json`` object."""
    if crs not in (None, "") and crs not in CRS84:
        raise _fail("filter-crs must be CRS84 (http://www.opengis.net/def/crs/OGC/1.3/CRS84)",
                    "filter-crs")
    try:
        if lang == "cql2-text":
            if not isinstance(expression, str):
                raise _fail("a cql2-text filter is a string")
            if len(expression) > MAX_FILTER_CHARS:
                raise _fail(f"the filter is too long ({MAX_FILTER_CHARS} characters at most)")
            if len(_TIME_LITERAL.findall(expression)) > MAX_TIME_LITERALS:
                raise _fail(f"the filter has too many dates ({MAX_TIME_LITERALS} at most)")
            return cql2text.parse(cql2text.standard(expression))
        if lang == "cql2-json":
            if not isinstance(expression, dict):
                raise _fail("a cql2-json filter is a JSON object")
            _check_json_size(expression)
            return parse_cql2_json(_standard_json(expression, 0))
    except InvalidQuery:
        raise
    except RecursionError as exc:
        raise _fail("the filter nests too deeply") from exc
    except Exception as exc:  # the parsers raise lark, key, type and value errors
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _fail(f"the {lang} filter cannot be parsed: {first_line[:200]}") from exc
    raise _fail("filter-lang must be cql2-text or cql2-json", "filter-lang")


_TIME_LITERAL = re.compile(r"\b(?:TIMESTAMP|DATE|INTERVAL)\s*\(", re.IGNORECASE)


def _check_json_size(root: Any) -> None:
    nodes = times = 0
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if depth > MAX_DEPTH or nodes > MAX_JSON_NODES:
            raise _fail("the filter is too large or nests too deeply")
        if isinstance(node, dict):
            times += sum(1 for key in ("timestamp", "date", "interval") if key in node)
            # geometry coordinates are counted by the translation (in vertices)
            stack.extend((v, depth + 1) for k, v in node.items() if k != "coordinates")
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    if times > MAX_TIME_LITERALS:
        raise _fail(f"the filter has too many dates ({MAX_TIME_LITERALS} at most)")


def _standard_json(node: Any, depth: int) -> Any:
    """CQL2 JSON as the parser reads it (``between`` takes ``[property, [low, high]]`` there,
    ``t_disjoint`` is missing)."""
    if depth > MAX_DEPTH:
        raise _fail(f"the filter nests too deeply ({MAX_DEPTH} levels at most)")
    if isinstance(node, list):
        return [_standard_json(n, depth + 1) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _standard_json(v, depth + 1) for k, v in node.items()}
    args, op = out.get("args"), out.get("op")
    if op == "between" and isinstance(args, list) and len(args) == 3:
        out["args"] = [args[0], [args[1], args[2]]]
    elif op == "t_disjoint":  # unknown to the parser: the negation of t_intersects
        return {"op": "not", "args": [{**out, "op": "t_intersects"}]}
    elif op == "a_containedBy":
        out["op"] = "a_containedby"
    return out


def parse_query(query: Any) -> Any:
    """The query extension (``{"eo:cloud_cover": {"lt": 10}}``) as an AST."""
    if not isinstance(query, dict):
        raise _fail("query must be an object of property -> {operator: value}", "query")
    parts = []
    for name, condition in query.items():
        if not isinstance(condition, dict) or not condition:
            raise _fail(f"query.{name} must be an object of operator -> value", "query")
        attribute = ast.Attribute(name)
        for op, value in condition.items():
            if op not in _QUERY_OPS:
                raise _fail(f"query operator {op!r} is not one of "
                            f"{', '.join(sorted(_QUERY_OPS))}", "query")
            parts.append(_query_node(attribute, op, value))
    return conjunction(parts)


def _query_node(attribute: ast.Attribute, op: str, value: Any) -> Any:
    value = [_query_value(attribute.name, v) for v in value] if isinstance(value, list) \
        else _query_value(attribute.name, value)
    if op == "in":
        if not isinstance(value, list) or not value or not all(_scalar(v) for v in value):
            raise _fail(f"query {attribute.name}: in takes a list of values", "query")
        return ast.In(attribute, list(value), False)
    if not _scalar(value):
        raise _fail(f"query {attribute.name}: {op} takes a single value", "query")
    if op in _COMPARE:
        return _COMPARE[op](attribute, value)
    if not isinstance(value, str):
        raise _fail(f"query {attribute.name}: {op} takes a string", "query")
    escaped = re.sub(r"([%_\\])", r"\\\1", value)
    pattern = {"startsWith": f"{escaped}%", "endsWith": f"%{escaped}",
               "contains": f"%{escaped}%"}[op]
    return ast.Like(attribute, pattern, False, "%", "_", "\\", False)


def _query_value(name: str, value: Any) -> Any:
    """Numbers given as text (``"eo:cloud_cover<30"`` shorthands) become numbers."""
    queryable = properties.lookup(name)
    if queryable is not None and queryable.kind in ("number", "integer") and \
            isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
        return int(number) if queryable.kind == "integer" and number.is_integer() else number
    return value


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def conjunction(parts: Iterable[Any]) -> Any:
    present = [p for p in parts if p is not None]
    return functools.reduce(ast.And, present) if present else None
