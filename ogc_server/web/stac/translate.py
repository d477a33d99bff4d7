"""Filter ASTs in STAC terms rewritten for the catalogue's compiler.

:func:`to_catalogue` rewrites an AST from :mod:`.cql` for :mod:`ogc_server.archive.filters`:
property names become catalogue columns, values are converted (``descending`` ->
``DESCENDING``), derived properties (``platform``, ``instruments`` ...) become conditions on
their columns, and the temporal operators the catalogue's compiler lacks become comparisons of
start and end.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pygeofilter import ast, values

from ogc_server.archive.model import Collection
from ogc_server.errors import InvalidQuery
from ogc_server.web.stac import properties
from ogc_server.web.stac.cql import conjunction
from ogc_server.web.stac.properties import Queryable
from ogc_server.web.stac.times import parse_instant

MAX_NODES = 500
MAX_VERTICES = 10_000
_NEVER = ast.Include(not_=True)
_ALWAYS = ast.Include(not_=False)


def _fail(message: str) -> InvalidQuery:
    return InvalidQuery(message, locator="filter")


def to_catalogue(node: Any, collections: Iterable[Collection]) -> Any:
    """``node`` in catalogue column names and values (see the module docstring)."""
    _check_size(node)
    try:
        return _Translator(list(collections)).visit(node)
    except RecursionError as exc:
        raise _fail("the filter nests too deeply") from exc


def _check_size(root: Any) -> None:
    """At most :data:`MAX_NODES` predicates and :data:`MAX_VERTICES` geometry positions."""
    nodes = positions = 0
    stack = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, values.Geometry):
            stack.append(item.geometry.get("coordinates", []) if isinstance(
                item.geometry, dict) else [])
        elif isinstance(item, int | float) and not isinstance(item, bool):
            positions += 1
        elif isinstance(item, ast.Node):
            nodes += 1
            stack.extend(item.get_sub_nodes())
        if nodes > MAX_NODES:
            raise _fail(f"the filter is too large ({MAX_NODES} predicates at most)")
        if positions > 2 * MAX_VERTICES:  # two numbers a vertex
            raise _fail(f"the filter's geometries are too large ({MAX_VERTICES} vertices "
                        "at most)")


class _Translator:
    def __init__(self, collections: list[Collection]):
        self.collections = collections

    def visit(self, node: Any) -> Any:  # noqa: C901 - one dispatch over the AST node types
        if isinstance(node, ast.And | ast.Or):
            return type(node)(self.visit(node.lhs), self.visit(node.rhs))
        if isinstance(node, ast.Not):
            return ast.Not(self.visit(node.sub_node))
        if isinstance(node, ast.Include):
            return node
        if isinstance(node, ast.Comparison):
            return self._comparison(node)
        if isinstance(node, ast.Between):
            q = self._queryable(node.lhs)
            if q.kind == "derived":
                return self._derived(q, node)
            return ast.Between(self._column(q), self._value(q, node.low),
                               self._value(q, node.high), node.not_)
        if isinstance(node, ast.Like):
            q = self._queryable(node.lhs)
            if not isinstance(node.pattern, str):
                raise _fail("LIKE needs a string pattern")
            like = ast.Like(node.lhs, node.pattern, node.nocase, node.wildcard, "_",
                            node.escapechar, node.not_)
            if q.kind == "derived":
                return self._derived(q, like)
            self._require_text(q, "LIKE")
            return ast.Like(self._column(q), self._convert(q, node.pattern), node.nocase,
                            node.wildcard, "_", node.escapechar, node.not_)
        if isinstance(node, ast.In):
            q = self._queryable(node.lhs)
            if q.kind == "derived":
                return self._derived(q, node)
            return ast.In(self._column(q), [self._value(q, v) for v in node.sub_nodes],
                          node.not_)
        if isinstance(node, ast.IsNull):
            q = self._queryable(node.lhs)
            if q.kind == "derived":  # platform, instruments ... are always known
                return _ALWAYS if node.not_ else _NEVER
            return ast.IsNull(self._column(q), node.not_)
        if isinstance(node, ast.ArrayPredicate):
            q = self._queryable(node.lhs)
            if not q.array:
                raise _fail(f"array operators apply to array properties, not {q.name!r}")
            return self._derived(q, node)
        if isinstance(node, ast.SpatialComparisonPredicate | ast.BBox):
            for side in ("lhs", "rhs"):
                operand = getattr(node, side, None)
                if isinstance(operand, ast.Attribute):
                    q = self._queryable(operand)
                    if q.kind != "geometry":
                        raise _fail(f"spatial operators apply to the geometry, not {q.name!r}")
            return node
        if isinstance(node, ast.TemporalPredicate):
            return self._temporal(node)
        raise _fail(f"the filter uses {type(node).__name__}, which is not supported")

    # Pieces ---------------------------------------------------------------------------------

    def _queryable(self, node: Any) -> Queryable:
        if not isinstance(node, ast.Attribute):
            raise _fail("a predicate must have a queryable property on its left side")
        q = properties.lookup(node.name)
        if q is None:
            raise _fail(f"unknown property {node.name!r} (see /stac/queryables)")
        return q

    @staticmethod
    def _column(q: Queryable) -> ast.Attribute:
        if not q.columns:
            raise _fail(f"use spatial operators (S_INTERSECTS ...) on {q.name!r}")
        return ast.Attribute(q.columns[0])

    @staticmethod
    def _require_text(q: Queryable, what: str) -> None:
        if q.kind != "string":
            raise _fail(f"{what} applies to text properties, not {q.name!r}")

    @staticmethod
    def _convert(q: Queryable, value: Any) -> Any:
        return q.to_catalogue(value) if q.to_catalogue else value

    def _value(self, q: Queryable, value: Any) -> Any:
        value = _literal(value)
        if isinstance(value, ast.Node):
            raise _fail("only literal values can be compared (no property-property)")
        if q.kind == "datetime":
            return _as_datetime(value, q.name)
        if q.kind in ("number", "integer") and (isinstance(value, str | bool)):
            raise _fail(f"{q.name} needs a number, not {value!r}")
        if q.kind == "string" and not isinstance(value, str):
            raise _fail(f"{q.name} needs a string, not {value!r}")
        return self._convert(q, value)

    def _comparison(self, node: ast.Comparison) -> Any:
        lhs, rhs = node.lhs, node.rhs
        if not isinstance(lhs, ast.Attribute) and isinstance(rhs, ast.Attribute):
            flipped = {ast.LessThan: ast.GreaterThan, ast.GreaterThan: ast.LessThan,
                       ast.LessEqual: ast.GreaterEqual, ast.GreaterEqual: ast.LessEqual}
            node = flipped.get(type(node), type(node))(rhs, lhs)
        q = self._queryable(node.lhs)
        if q.kind == "derived":
            return self._derived(q, node)
        return type(node)(self._column(q), self._value(q, node.rhs))

    def _derived(self, q: Queryable, node: Any) -> Any:
        """Evaluate ``node`` over every value ``q`` can take: a condition on its columns."""
        matches = [columns for columns, stac_value in
                   properties.derived_candidates(q, self.collections)
                   if _holds(node, stac_value, q)]
        if not matches:
            return _NEVER
        if len(q.columns) == 1:
            return ast.In(ast.Attribute(q.columns[0]), [m[0] for m in matches], False)
        groups: dict[Any, list[Any]] = {}
        for first, second in matches:
            groups.setdefault(first, []).append(second)
        alternatives = [ast.And(ast.Equal(ast.Attribute(q.columns[0]), first),
                                ast.In(ast.Attribute(q.columns[1]), seconds, False))
                        for first, seconds in groups.items()]
        return functools.reduce(ast.Or, alternatives)

    def _temporal(self, node: ast.TemporalPredicate) -> Any:
        q = self._queryable(node.lhs)
        if q.kind != "datetime":
            raise _fail(f"temporal operators apply to date-time properties, not {q.name!r}")
        rhs = _literal(node.rhs)
        if isinstance(rhs, values.Interval):
            rhs = values.Interval(_literal(rhs.start), _literal(rhs.end))
        if isinstance(rhs, values.Interval) and _interval(rhs) == (None, None):
            # everything lies in an interval open at both ends, and nothing contains it
            return _ALWAYS if node.op in _WITHIN_UNBOUNDED else _NEVER
        if node.op not in _REWRITTEN:
            return type(node)(ast.Attribute(q.columns[0]), rhs)
        if q.name == "datetime":  # the acquisition interval [start, end]
            begin, finish = ast.Attribute("start"), ast.Attribute("end")
        else:  # an instant
            begin = finish = ast.Attribute(q.columns[0])
        low, high = _interval(rhs)
        op = ast.TemporalComparisonOp
        needs = {op.MEETS: (low,), op.METBY: (high,)}.get(node.op, (low, high))
        if any(bound is None for bound in needs):
            raise _fail(f"{node.op.value} needs a closed interval")
        parts = {
            op.BEGINS: [ast.Equal(begin, low), ast.LessThan(finish, high)],
            op.BEGUNBY: [ast.Equal(begin, low), ast.GreaterThan(finish, high)],
            op.ENDS: [ast.Equal(finish, high), ast.GreaterThan(begin, low)],
            op.ENDEDBY: [ast.Equal(finish, high), ast.LessThan(begin, low)],
            op.MEETS: [ast.Equal(finish, low)],
            op.METBY: [ast.Equal(begin, high)],
        }[node.op]
        return conjunction(parts)


_WITHIN_UNBOUNDED = {ast.TemporalComparisonOp.TOVERLAPS, ast.TemporalComparisonOp.DURING,
                     ast.TemporalComparisonOp.OVERLAPPEDBY}
_REWRITTEN = {ast.TemporalComparisonOp.BEGINS, ast.TemporalComparisonOp.BEGUNBY,
              ast.TemporalComparisonOp.ENDS, ast.TemporalComparisonOp.ENDEDBY,
              ast.TemporalComparisonOp.MEETS, ast.TemporalComparisonOp.METBY}


def _literal(value: Any) -> Any:
    """CQL2 ``DATE('...')`` / ``TIMESTAMP('...')`` calls as Python values."""
    if isinstance(value, ast.Function) and value.name.lower() in {"date", "timestamp"}:
        if len(value.arguments) != 1 or not isinstance(value.arguments[0], str):
            raise _fail(f"{value.name.upper()} takes one string")
        text = value.arguments[0]
        try:
            if value.name.lower() == "date":
                return date.fromisoformat(text)
            return _as_datetime(datetime.fromisoformat(text.replace("Z", "+00:00")), "filter")
        except ValueError as exc:
            raise _fail(f"{text[:40]!r} is not a valid {value.name.lower()}") from exc
    if isinstance(value, ast.Function):
        raise _fail(f"the function {value.name}() is not supported")
    return value


def _as_datetime(value: Any, name: str) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=UTC)
    if isinstance(value, str):
        try:
            return parse_instant(value, locator="filter")
        except InvalidQuery as exc:
            raise _fail(f"{name} needs a date-time, not {value[:40]!r}") from exc
    raise _fail(f"{name} needs a date-time, not {value!r}")


def _interval(value: Any) -> tuple[datetime | None, datetime | None]:
    """(first, last) instant of an interval, an instant or a whole day."""
    if isinstance(value, values.Interval):
        start = None if value.start in (None, "..") else value.start
        end = None if value.end in (None, "..") else value.end
        return (_interval(start)[0] if start is not None else None,
                _interval(end)[1] if end is not None else None)
    instant = _as_datetime(value, "filter")
    if isinstance(value, date) and not isinstance(value, datetime):
        return instant, instant + timedelta(days=1, microseconds=-1)
    return instant, instant


# Evaluation of derived properties -------------------------------------------------------------


def _holds(node: Any, value: Any, q: Queryable) -> bool:  # noqa: C901 - one case per predicate
    """Whether the STAC ``value`` (a string, or a list for arrays) satisfies ``node``."""
    if isinstance(node, ast.ArrayPredicate):
        wanted = node.rhs if isinstance(node.rhs, list) else [node.rhs]
        if not all(isinstance(w, str) for w in wanted):
            raise _fail(f"{q.name} holds strings")
        have, want = {v.lower() for v in value}, {w.lower() for w in wanted}
        return {
            ast.ArrayComparisonOp.AEQUALS: have == want,
            ast.ArrayComparisonOp.ACONTAINS: want <= have,
            ast.ArrayComparisonOp.ACONTAINEDBY: have <= want,
            ast.ArrayComparisonOp.AOVERLAPS: bool(have & want),
        }[node.op]
    items = [v.lower() for v in value] if q.array else [value.lower()]
    if isinstance(node, ast.Like):
        if not isinstance(node.pattern, str):
            raise _fail("LIKE needs a string pattern")
        regex = _like_regex(node)
        result = any(regex.fullmatch(v) for v in items)
        return not result if node.not_ else result
    if isinstance(node, ast.In):
        wanted = [_text(v, q) for v in node.sub_nodes]
        result = any(v in wanted for v in items)
        return not result if node.not_ else result
    if isinstance(node, ast.Between):
        low, high = _text(node.low, q), _text(node.high, q)
        result = any(low <= v <= high for v in items)
        return not result if node.not_ else result
    if isinstance(node, ast.Comparison):
        other = _text(node.rhs, q)
        test = {
            ast.ComparisonOp.EQ: lambda v: v == other, ast.ComparisonOp.NE: lambda v: v != other,
            ast.ComparisonOp.LT: lambda v: v < other, ast.ComparisonOp.LE: lambda v: v <= other,
            ast.ComparisonOp.GT: lambda v: v > other, ast.ComparisonOp.GE: lambda v: v >= other,
        }[node.op]
        if node.op == ast.ComparisonOp.NE:
            return all(test(v) for v in items)
        return any(test(v) for v in items)
    raise _fail(f"{type(node).__name__} is not supported on {q.name!r}")


def _text(value: Any, q: Queryable) -> str:
    if not isinstance(value, str):
        raise _fail(f"{q.name} is compared with strings, not {value!r}")
    return value.lower()


def _like_regex(node: ast.Like) -> re.Pattern[str]:
    out, i, pattern = [], 0, node.pattern.lower()
    while i < len(pattern):
        ch = pattern[i]
        if ch == node.escapechar and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == node.wildcard else "." if ch == node.singlechar
                   else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.DOTALL)
