"""Matching records against a resolved filter (see :mod:`plugins.pycsw_.queryables`).

* collections: :func:`evaluate` runs the filter on the collection's values in Python, with SQL's
  three-valued logic (a record that lacks a property matches no comparison on it, nor its
  negation), so both kinds of records answer a filter the same way;
* products: :func:`product_filter` rewrites it over product properties for
  ``ProductQuery.filter``: a product column; a value fixed by the product's collection (the
  predicate becomes ``collection IN (...)``); a value every product shares (the predicate folds
  to true or false); or several of these, any of which may match (AnyText, Subject). Temporal
  predicates on the acquisition interval follow ``ogc_server.archive.filters``.
"""

from __future__ import annotations

import dataclasses
import operator
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from pygeofilter import ast, values
from shapely.geometry import box, shape

from plugins.pycsw_.constraints import ConstraintError
from plugins.pycsw_.queryables import BY_KEY, INTERVAL_KEYS

_SPATIAL = (ast.GeometryIntersects, ast.GeometryWithin, ast.GeometryContains,
            ast.GeometryDisjoint)


# Evaluation on in-memory records (collections) ------------------------------------------------

_COMPARE: dict[type, Callable[[Any, Any], bool]] = {
    ast.Equal: operator.eq, ast.NotEqual: operator.ne, ast.LessThan: operator.lt,
    ast.LessEqual: operator.le, ast.GreaterThan: operator.gt, ast.GreaterEqual: operator.ge,
}


def evaluate(node: ast.Node, record: Mapping[str, Any]) -> bool | None:
    """A resolved filter on one record's values: True, False, or None (unknown, as SQL NULL).

    A value may be a list: the predicate holds when it holds for one of its items.
    """
    if isinstance(node, ast.And):
        left, right = evaluate(node.lhs, record), evaluate(node.rhs, record)
        if left is False or right is False:
            return False
        return None if left is None or right is None else True
    if isinstance(node, ast.Or):
        left, right = evaluate(node.lhs, record), evaluate(node.rhs, record)
        if left is True or right is True:
            return True
        return None if left is None or right is None else False
    if isinstance(node, ast.Not):
        inner = evaluate(node.sub_node, record)
        return None if inner is None else not inner
    if isinstance(node, ast.Include):
        return not node.not_
    key = node.lhs.name
    value = record.get(key)
    if isinstance(node, ast.IsNull):
        missing = value is None or (isinstance(value, list | tuple) and not value)
        return missing != node.not_
    if isinstance(node, ast.TemporalPredicate) and key in INTERVAL_KEYS:
        return _interval_test(node, record.get("tempextent_begin"),
                              record.get("tempextent_end"))
    if not isinstance(value, list | tuple):
        return _test(node, value)
    # several values (keywords, texts): one that matches is enough; none is a definite no
    results = [_test(node, item) for item in value if item is not None]
    return _any(*results) if results else False


def _test(node: ast.Node, value: Any) -> bool | None:  # noqa: C901 - one dispatch
    if value is None:
        return None
    if isinstance(node, ast.Comparison):
        return _COMPARE[type(node)](value, node.rhs)
    if isinstance(node, ast.Between):
        inside = node.low <= value <= node.high
        return inside != node.not_
    if isinstance(node, ast.Like):
        return bool(_like_regex(node.pattern).fullmatch(str(value))) != node.not_
    if isinstance(node, ast.In):
        return (value in node.sub_nodes) != node.not_
    if isinstance(node, ast.BBox):
        return bool(value.intersects(box(node.minx, node.miny, node.maxx, node.maxy)))
    if isinstance(node, _SPATIAL):
        other = shape(node.rhs.geometry)
        if isinstance(node, ast.GeometryWithin):
            return bool(value.within(other))
        if isinstance(node, ast.GeometryContains):
            return bool(value.contains(other))
        if isinstance(node, ast.GeometryDisjoint):
            return bool(value.disjoint(other))
        return bool(value.intersects(other))
    if isinstance(node, ast.TemporalPredicate):
        return _instant_test(node, value)
    raise ConstraintError(f"the filter uses {type(node).__name__}, which is not supported")


def _bounds(value: Any) -> tuple[datetime | None, datetime | None]:
    if isinstance(value, values.Interval):
        return value.start, value.end
    return value, value


def _any(*tests: bool | None) -> bool | None:
    if any(t is True for t in tests):
        return True
    return None if any(t is None for t in tests) else False


def _all(*tests: bool | None) -> bool | None:
    if any(t is False for t in tests):
        return False
    return None if any(t is None for t in tests) else True


def _cmp(a: Any, op: Callable[[Any, Any], bool], b: Any) -> bool | None:
    return None if a is None or b is None else op(a, b)


def _interval_test(node: ast.TemporalPredicate, begin: Any, end: Any) -> bool | None:
    """The acquisition interval against an instant or interval (``archive.filters``' rules)."""
    start, stop = _bounds(node.rhs)
    if isinstance(node, ast.TimeBefore):
        return _cmp(end, operator.lt, start)
    if isinstance(node, ast.TimeAfter):
        return _cmp(begin, operator.gt, stop)
    if isinstance(node, ast.TimeDisjoint):
        return _any(*(t for t, bound in ((_cmp(end, operator.lt, start), start),
                                         (_cmp(begin, operator.gt, stop), stop)) if bound))
    checks = {
        ast.TimeDuring: ((begin, operator.ge, start), (end, operator.le, stop)),
        ast.TimeContains: ((begin, operator.le, start), (end, operator.ge, stop)),
        ast.TimeEquals: ((begin, operator.eq, start), (end, operator.eq, stop)),
        ast.TimeOverlaps: ((end, operator.ge, start), (begin, operator.le, stop)),
        ast.TimeOverlappedBy: ((end, operator.ge, start), (begin, operator.le, stop)),
    }[type(node)]
    return _all(*(_cmp(a, op, b) for a, op, b in checks if b is not None))


def _instant_test(node: ast.TemporalPredicate, value: Any) -> bool | None:
    start, stop = _bounds(node.rhs)
    if isinstance(node, ast.TimeBefore):
        return _cmp(value, operator.lt, start)
    if isinstance(node, ast.TimeAfter):
        return _cmp(value, operator.gt, stop)
    if isinstance(node, ast.TimeEquals):
        return _cmp(value, operator.eq, start)
    if isinstance(node, ast.TimeDisjoint):
        return _any(_cmp(value, operator.lt, start), _cmp(value, operator.gt, stop))
    return _all(_cmp(value, operator.ge, start), _cmp(value, operator.le, stop))


_REGEX_CACHE: dict[str, re.Pattern[str]] = {}


def _like_regex(pattern: str) -> re.Pattern[str]:
    compiled = _REGEX_CACHE.get(pattern)
    if compiled is None:
        out, i = [], 0
        while i < len(pattern):
            ch = pattern[i]
            if ch == "\\" and i + 1 < len(pattern):
                out.append(re.escape(pattern[i + 1]))
                i += 2
                continue
            out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
            i += 1
        compiled = re.compile("".join(out), re.IGNORECASE | re.DOTALL)
        if len(_REGEX_CACHE) < 1024:
            _REGEX_CACHE[pattern] = compiled
    return compiled


# Products -------------------------------------------------------------------------------------


def product_filter(node: ast.Node,
                   per_collection: Mapping[str, Mapping[str, Any]]) -> ast.Node | bool:
    """The filter over product properties: an AST, or True (every product) or False (none).

    ``per_collection`` maps each collection to the values its products take for the
    queryables fixed by the collection.
    """
    if isinstance(node, ast.And):
        left, right = (product_filter(n, per_collection) for n in (node.lhs, node.rhs))
        if left is False or right is False:
            return False
        if left is True:
            return right
        return left if right is True else ast.And(left, right)
    if isinstance(node, ast.Or):
        left, right = (product_filter(n, per_collection) for n in (node.lhs, node.rhs))
        if left is True or right is True:
            return True
        if left is False:
            return right
        return left if right is False else ast.Or(left, right)
    if isinstance(node, ast.Not):
        inner = product_filter(node.sub_node, per_collection)
        return (not inner) if isinstance(inner, bool) else ast.Not(inner)
    if isinstance(node, ast.Include):
        return not node.not_
    return _product_predicate(node, per_collection)


def _product_predicate(node: ast.Node,
                       per_collection: Mapping[str, Mapping[str, Any]]) -> ast.Node | bool:
    q = BY_KEY[node.lhs.name]
    if q.constant is not None:
        return evaluate(node, {q.key: q.constant}) is True
    parts: list[ast.Node] = [dataclasses.replace(node, lhs=ast.Attribute(column))
                             for column in q.columns]
    if len(q.columns) + q.per_collection > 1:
        # one of several values: a product that lacks one of them is no unknown
        parts = [ast.And(ast.IsNull(ast.Attribute(column), True), part)
                 for column, part in zip(q.columns, parts, strict=True)]
    if q.per_collection:
        chosen = [cid for cid, record in per_collection.items()
                  if evaluate(node, record) is True]
        if len(chosen) == len(per_collection) and not q.columns:
            return True
        if chosen:
            parts.append(ast.In(ast.Attribute("collection"), chosen, False))
    if not parts:
        return False
    combined = parts[0]
    for part in parts[1:]:
        combined = ast.Or(combined, part)
    return combined
