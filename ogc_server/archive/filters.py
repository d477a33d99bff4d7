"""pygeofilter ASTs (CQL2 text/JSON, FES, ECQL) compiled to the catalogue's SQL.

Spatial and temporal predicates reuse the same conditions as :class:`ProductQuery`, so a
filter and a query that mean the same thing run the same SQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import shapely
import sqlalchemy as sa
from pygeofilter import ast, values
from shapely.geometry import box, shape
from shapely.geometry.base import BaseGeometry

from ogc_server.archive.query import (
    COLUMNS,
    DATETIME_PROPERTIES,
    GEOMETRY_NAMES,
    Like,
    attribute_condition,
    resolve_name,
    spatial_condition,
    time_condition,
)
from ogc_server.errors import InvalidQuery

MAX_NODES = 500
_COMPARISONS = {
    ast.ComparisonOp.EQ: lambda c, v: c == v,
    ast.ComparisonOp.NE: lambda c, v: c != v,
    ast.ComparisonOp.LT: lambda c, v: c < v,
    ast.ComparisonOp.LE: lambda c, v: c <= v,
    ast.ComparisonOp.GT: lambda c, v: c > v,
    ast.ComparisonOp.GE: lambda c, v: c >= v,
}
_SPATIAL = {
    ast.SpatialComparisonOp.INTERSECTS: "intersects",
    ast.SpatialComparisonOp.WITHIN: "within",
    ast.SpatialComparisonOp.CONTAINS: "contains",
    ast.SpatialComparisonOp.DISJOINT: "disjoint",
}


def compile_filter(node: Any, dialect: str) -> Any:
    """SQL for a pygeofilter AST; :class:`InvalidQuery` for what the catalogue cannot answer."""
    return _Compiler(dialect).compile(node)


_BBOX_CRS = frozenset({"EPSG:4326", "CRS84", "OGC:CRS84",
                       "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
                       "http://www.opengis.net/def/crs/EPSG/0/4326"})
_PERIOD_RELATIONS = {
    ast.TemporalComparisonOp.DISJOINT: "disjoint",
    ast.TemporalComparisonOp.DURING: "during",
    ast.TemporalComparisonOp.TCONTAINS: "contains",
    ast.TemporalComparisonOp.TEQUALS: "equals",
    ast.TemporalComparisonOp.TOVERLAPS: "intersects",
    ast.TemporalComparisonOp.OVERLAPPEDBY: "intersects",
}


class FilterTerms:
    """What single filter terms mean: literal values, places and acquisition periods.

    Shared by the compiler and by :func:`ogc_server.archive.hoist.hoist_filter`, so a term
    means the same whether it is compiled or moved into a query's structured fields.
    """

    def value(self, name: str, value: Any) -> Any:
        """The literal ``value`` as compared with property ``name``."""
        if isinstance(value, ast.Node):
            raise InvalidQuery("only literal values can be compared", locator="filter")
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        if isinstance(value, date):
            return datetime.combine(value, time(), tzinfo=UTC)
        if isinstance(value, bool):
            raise InvalidQuery(f"{name} cannot be compared with a boolean", locator="filter")
        if name in DATETIME_PROPERTIES:
            return _datetime_literal(name, value)
        if _python_type(name) in (int, float) and isinstance(value, str):
            raise InvalidQuery(f"{name} needs a number, not {value!r}", locator="filter")
        if isinstance(value, values.Geometry | values.Envelope | values.Interval):
            raise InvalidQuery(f"{name} cannot be compared with a geometry or interval",
                               locator="filter")
        return value

    def spatial(self, node: Any) -> tuple[BaseGeometry, str] | None:
        """(geometry, relation) of a BBOX or spatial predicate on the footprint, else None."""
        if isinstance(node, ast.BBox):
            self._geometry_attribute(node.lhs)
            if node.crs and str(node.crs) not in _BBOX_CRS:
                raise InvalidQuery(f"bbox CRS {node.crs} is not supported", locator="filter")
            return box(node.minx, node.miny, node.maxx, node.maxy), "intersects"
        if not isinstance(node, ast.SpatialComparisonPredicate):
            return None
        relation = _SPATIAL.get(node.op)
        if relation is None:
            raise InvalidQuery(f"spatial operator {node.op.value} is not supported",
                               locator="filter")
        lhs, rhs = node.lhs, node.rhs
        if isinstance(lhs, values.Geometry | values.Envelope | ast.Function):
            lhs, rhs = rhs, lhs
            relation = {"within": "contains", "contains": "within"}.get(relation, relation)
        self._geometry_attribute(lhs)
        return _geometry(rhs), relation

    def period(self, node: Any) -> tuple[datetime | None, datetime | None, str] | None:
        """(start, end, relation) of a temporal predicate on the acquisition period, else None.

        ``None`` too for the predicates that are no relation to one window (before, after).
        """
        if not isinstance(node, ast.TemporalPredicate) or not isinstance(node.lhs,
                                                                          ast.Attribute):
            return None
        if resolve_name(node.lhs.name) not in {"start", "end"}:
            return None
        relation = _PERIOD_RELATIONS.get(node.op)
        if relation is None:
            return None
        start, end = _interval(node.rhs)
        return start, end, relation

    @staticmethod
    def _geometry_attribute(node: Any) -> None:
        if not isinstance(node, ast.Attribute) or node.name not in GEOMETRY_NAMES:
            name = getattr(node, "name", node)
            raise InvalidQuery(f"spatial predicates apply to the geometry, not {name!r}",
                               locator="filter")


class _Compiler(FilterTerms):
    def __init__(self, dialect: str):
        self.dialect = dialect
        self.nodes = 0

    def compile(self, node: Any) -> Any:  # noqa: C901 - one dispatch over the AST node types
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise InvalidQuery(f"the filter is too large ({MAX_NODES} nodes at most)",
                               locator="filter")
        if isinstance(node, ast.And):
            return sa.and_(self.compile(node.lhs), self.compile(node.rhs))
        if isinstance(node, ast.Or):
            return sa.or_(self.compile(node.lhs), self.compile(node.rhs))
        if isinstance(node, ast.Not):
            return sa.not_(self.compile(node.sub_node))
        if isinstance(node, ast.Include):
            return sa.false() if node.not_ else sa.true()
        if isinstance(node, ast.Comparison):
            return self._comparison(node)
        if isinstance(node, ast.Between):
            name, column = self._attribute(node.lhs)
            low, high = self.value(name, node.low), self.value(name, node.high)
            condition = column.between(low, high)
            return sa.not_(condition) if node.not_ else condition
        if isinstance(node, ast.Like):
            return self._like(node)
        if isinstance(node, ast.In):
            name, _ = self._attribute(node.lhs)
            condition = attribute_condition(name, [self.value(name, v) for v in node.sub_nodes])
            return sa.not_(condition) if node.not_ else condition
        if isinstance(node, ast.IsNull):
            _, column = self._attribute(node.lhs)
            return column.is_not(None) if node.not_ else column.is_(None)
        if isinstance(node, ast.BBox | ast.SpatialComparisonPredicate):
            geometry, relation = self.spatial(node)
            return spatial_condition(geometry, relation, self.dialect)
        if isinstance(node, ast.TemporalPredicate):
            return self._temporal(node)
        raise InvalidQuery(f"the filter uses {type(node).__name__}, which is not supported",
                           locator="filter")

    # Pieces -----------------------------------------------------------------------------------

    def _attribute(self, node: Any) -> tuple[str, sa.Column]:
        if not isinstance(node, ast.Attribute):
            raise InvalidQuery("a comparison must have a property on its left side",
                               locator="filter")
        name = resolve_name(node.name)
        return name, COLUMNS[name]

    def _comparison(self, node: ast.Comparison) -> Any:
        name, column = self._attribute(node.lhs)
        return _COMPARISONS[node.op](column, self.value(name, node.rhs))

    def _like(self, node: ast.Like) -> Any:
        name, column = self._attribute(node.lhs)
        pattern = node.pattern
        # Translate the filter's wildcards to the catalogue's (* and ?), escaping the others.
        out = []
        i = 0
        while i < len(pattern):
            ch = pattern[i]
            if ch == node.escapechar and i + 1 < len(pattern):
                out.append("\\" + pattern[i + 1] if pattern[i + 1] in "*?" else pattern[i + 1])
                i += 2
                continue
            if ch == node.wildcard:
                out.append("*")
            elif ch == node.singlechar:
                out.append("?")
            else:
                out.append(ch)
            i += 1
        # The catalogue's LIKE is case-insensitive whatever the filter asks.
        condition = attribute_condition(name, Like("".join(out)))
        return sa.not_(condition) if node.not_ else condition

    def _temporal(self, node: ast.TemporalPredicate) -> Any:
        if not isinstance(node.lhs, ast.Attribute):
            raise InvalidQuery("a temporal predicate needs a property on its left",
                               locator="filter")
        name = resolve_name(node.lhs.name)
        start, end = _interval(node.rhs)
        op = node.op
        if name in {"start", "end"}:
            # The acquisition interval of the product.
            if op in (ast.TemporalComparisonOp.BEFORE,):
                return COLUMNS["end"] < start
            if op in (ast.TemporalComparisonOp.AFTER,):
                return COLUMNS["start"] > end
            relation = _PERIOD_RELATIONS.get(op)
            if relation is None:
                raise InvalidQuery(f"temporal operator {op.value} is not supported",
                                   locator="filter")
            return time_condition(start, end, relation, self.dialect)
        column = COLUMNS[name]
        if op == ast.TemporalComparisonOp.BEFORE:
            return column < start
        if op == ast.TemporalComparisonOp.AFTER:
            return column > end
        if op in (ast.TemporalComparisonOp.DURING, ast.TemporalComparisonOp.TOVERLAPS):
            return sa.and_(column >= start, column <= end)
        if op == ast.TemporalComparisonOp.TEQUALS:
            return column == start
        if op == ast.TemporalComparisonOp.DISJOINT:
            return sa.or_(column < start, column > end)
        raise InvalidQuery(f"temporal operator {op.value} is not supported", locator="filter")


def _python_type(name: str) -> type:
    try:
        return COLUMNS[name].type.python_type
    except NotImplementedError:
        return object


def _datetime_literal(name: str, value: Any) -> datetime:
    """A date-time property compared with a string holding an ISO 8601 date or date-time."""
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise InvalidQuery(f"{name} needs a date or date-time, not {value!r}", locator="filter")


def _geometry(value: Any) -> BaseGeometry:
    try:
        if isinstance(value, values.Envelope):
            return box(value.x1, value.y1, value.x2, value.y2)
        if isinstance(value, ast.Function) and value.name.lower() in {"bbox", "envelope"}:
            args = [float(a) for a in value.arguments]
            if len(args) != 4:
                raise InvalidQuery("BBOX takes four numbers", locator="filter")
            return box(args[0], args[1], args[2], args[3])
        if isinstance(value, values.Geometry):
            geom = shape(value.geometry)
            if not geom.is_valid:
                geom = shapely.make_valid(geom)
            return geom
    except (TypeError, ValueError, AttributeError, shapely.errors.GEOSException) as exc:
        raise InvalidQuery(f"not a valid geometry: {exc}", locator="filter") from exc
    raise InvalidQuery("a spatial predicate needs a geometry literal", locator="filter")


def _instant(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=UTC)
    raise InvalidQuery(f"not a date or time: {value!r}", locator="filter")


def _interval(value: Any) -> tuple[datetime | None, datetime | None]:
    if isinstance(value, values.Interval):
        start = None if value.start in (None, "..") else value.start
        end = None if value.end in (None, "..") else value.end
        if isinstance(start, timedelta) and end is not None:
            end_dt = _instant(end)
            return end_dt - start, end_dt
        if isinstance(end, timedelta) and start is not None:
            start_dt = _instant(start)
            return start_dt, start_dt + end
        return (_instant(start) if start is not None else None,
                _instant(end) if end is not None else None)
    instant = _instant(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return instant, instant + timedelta(days=1) - timedelta(microseconds=1)
    return instant, instant
