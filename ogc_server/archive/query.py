"""The one query engine: :class:`ProductQuery` (and pygeofilter ASTs) compiled to SQL.

Every interface (OpenSearch, CSW, OGC API Records, STAC, WFS, WMS time lookups) translates its
request into a :class:`ProductQuery` and asks :meth:`ProductStore.query`. Property names and
their aliases are those of :mod:`ogc_server.archive.properties`.

Spatial filters on SQLite go through the 5-D R*Tree (``products_rtree``: lon, lat, time,
collection, cloud cover) read first and joined to the products; the footprint test is refined
exactly with shapely; a footprint whose bounding box lies inside a query rectangle is accepted
without a geometry test. On PostGIS, ``ST_Intersects`` & co use the GiST index.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import shapely
import sqlalchemy as sa
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from ogc_server.archive.properties import (
    ALIASES,
    COLUMNS,
    DATETIME_PROPERTIES,
    GEOMETRY_NAMES,
    SPATIAL_RELATIONS,
    TIME_RELATIONS,
    P,
    resolve_name,
)
from ogc_server.archive.tables import products_rtree
from ogc_server.errors import InvalidQuery

__all__ = ["ALIASES", "COLUMNS", "DATETIME_PROPERTIES", "GEOMETRY_NAMES", "MAX_LIMIT",
           "SPATIAL_RELATIONS", "TIME_RELATIONS", "Compiled", "Like", "ProductQuery", "Range",
           "Refine", "compile_query", "resolve_name"]

MAX_LIMIT = 10_000

@dataclass(frozen=True, slots=True)
class Range:
    """A closed, open or half-open interval; ``None`` leaves a side unbounded."""

    low: Any = None
    high: Any = None
    low_inclusive: bool = True
    high_inclusive: bool = True


@dataclass(frozen=True, slots=True)
class Like:
    """A pattern with ``*`` (any run) and ``?`` (one character); case-insensitive."""

    pattern: str


@dataclass(slots=True)
class ProductQuery:
    """A question to the catalogue. All conditions are AND-ed."""

    collections: Sequence[str] = ()
    identifiers: Sequence[str] = ()
    geometry: BaseGeometry | None = None
    spatial_relation: str = "intersects"
    start: datetime | None = None
    end: datetime | None = None
    time_relation: str = "intersects"
    where: dict[str, Any] = field(default_factory=dict)
    """Property -> value, list of values (any of), :class:`Range` or :class:`Like`."""
    text: str | None = None
    filter: Any = None
    """A pygeofilter AST, AND-ed with the rest."""
    sort: Sequence[tuple[str, bool]] = (("start", False), ("identifier", False))
    """(property, ascending) pairs."""
    limit: int = 50
    offset: int = 0
    count: bool = True


@dataclass(slots=True)
class Compiled:
    """SQL pieces of a query, ready for the store.

    ``rtree`` holds conditions on ``products_rtree`` (SQLite only): when it is not empty the
    store reads the R*Tree first and joins the products to it.
    """

    where: list[Any]
    order_by: list[Any]
    rtree: list[Any] = field(default_factory=list)
    refine: Refine | None = None


@dataclass(frozen=True, slots=True)
class Refine:
    """An exact footprint test the store runs vectorised on the R*Tree's candidates (SQLite)."""

    geometry: BaseGeometry
    relation: str

#: Conditions that make a B-tree index more selective than the R*Tree.
_SELECTIVE = {"identifier", "tile_id", "orbit_number", "relative_orbit_number", "file_name"}


def bbox_geometry(west: float, south: float, east: float, north: float) -> BaseGeometry:
    """A lon/lat box; one crossing the antimeridian (west > east) becomes two boxes."""
    for value in (west, south, east, north):
        if not math.isfinite(value):
            raise InvalidQuery("bbox values must be finite numbers", locator="bbox")
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= north <= 90):
        raise InvalidQuery(
            "bbox must be west,south,east,north in degrees with south <= north",
            locator="bbox",
        )
    if west > east:
        return shapely.MultiPolygon([box(west, south, 180, north), box(-180, south, east, north)])
    return box(west, south, east, north)


def compile_query(
    query: ProductQuery, dialect: str, collection_keys: dict[str, int] | None = None
) -> Compiled:
    """Translate ``query`` for ``dialect`` (``sqlite`` or ``postgresql``).

    ``collection_keys`` (SQLite) maps collection identifiers to the R*Tree's collection axis.
    """
    if not 0 <= query.limit <= MAX_LIMIT:
        raise InvalidQuery(f"limit must be between 0 and {MAX_LIMIT}", locator="limit")
    if query.offset < 0:
        raise InvalidQuery("offset must not be negative", locator="offset")
    where: list[Any] = []
    rtree: list[Any] | None = [] if dialect == "sqlite" else None
    resolved = {resolve_name(name): value for name, value in query.where.items()}
    selective = bool(query.identifiers) or any(
        n in _SELECTIVE and not isinstance(v, Range | Like) for n, v in resolved.items()
    )
    if query.collections:
        where.append(P.collection.in_(list(query.collections)))
    if query.identifiers:
        where.append(P.identifier.in_([_text("identifier", i) for i in query.identifiers]))
    refine: Refine | None = None
    if query.geometry is not None:
        condition = spatial_condition(query.geometry, query.spatial_relation, dialect, rtree)
        if isinstance(condition, Refine):
            refine = condition
        else:
            where.append(condition)
    if query.start is not None or query.end is not None:
        if query.geometry is None and selective:
            # a B-tree index (tile, orbit, id) beats the R*Tree: exact times only
            where.append(time_condition(query.start, query.end, query.time_relation,
                                        "exact"))
        else:
            where.append(time_condition(query.start, query.end, query.time_relation, dialect,
                                        rtree))
    for name, value in resolved.items():
        where.append(attribute_condition(name, value))
    if query.text:
        where.append(text_condition(query.text))
    if query.filter is not None:
        from ogc_server.archive.filters import compile_filter

        where.append(compile_filter(query.filter, dialect))
    order_by = _order_by(query.sort)
    if rtree:
        rtree.extend(_rtree_refinements(query, resolved, collection_keys or {}))
    return Compiled(where=where, order_by=order_by, rtree=rtree or [], refine=refine)


def _order_by(sort: Sequence[tuple[str, bool]]) -> list[Any]:
    order_by = []
    for name, ascending in sort:
        column = COLUMNS[resolve_name(name)]
        # products without the value come last on every backend
        order_by.append((column.asc() if ascending else column.desc()).nulls_last())
    if not any(resolve_name(n) == "identifier" for n, _ in sort):
        order_by.append(P.identifier.asc())  # a stable order for paging
    return order_by


def _rtree_refinements(
    query: ProductQuery, resolved: dict[str, Any], keys: dict[str, int]
) -> list[Any]:
    """Collection and cloud cover narrow the R*Tree search (the SQL keeps the exact test)."""
    rt = products_rtree.c
    terms: list[Any] = []
    if query.collections and all(c in keys for c in query.collections):
        wanted = [keys[c] for c in query.collections]
        terms += [rt.minc >= min(wanted), rt.maxc <= max(wanted)]
    cloud = resolved.get("cloud_cover")
    if isinstance(cloud, Range):
        if cloud.low is not None:
            terms.append(rt.maxcl >= float(cloud.low))
        if cloud.high is not None:
            terms.append(rt.mincl <= float(cloud.high))
    elif isinstance(cloud, int | float) and not isinstance(cloud, bool):
        terms += [rt.mincl <= float(cloud), rt.maxcl >= float(cloud)]
    return terms


# Conditions -----------------------------------------------------------------------------------


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _julian(value: datetime) -> float:
    return _utc(value).timestamp() / 86400.0 + 2440587.5


#: The acquisition period as PostgreSQL range, as the GiST index of the migration spells it
#: (``greatest``: a period that ended before it started is no error, just its start).
_PERIOD = sa.func.tstzrange(P.start_time, sa.func.greatest(P.start_time, P.end_time),
                            sa.literal_column("'[]'"))


def time_condition(
    start: datetime | None,
    end: datetime | None,
    relation: str,
    dialect: str,
    rtree: list[Any] | None = None,
) -> Any:
    """Products whose [start, end] acquisition interval stands in ``relation`` to the query's.

    ``dialect``: ``sqlite`` (R*Tree terms too), ``postgresql`` (the period range too) or
    anything else for the plain comparisons.
    """
    if relation not in TIME_RELATIONS:
        raise InvalidQuery(
            f"time relation must be one of {', '.join(sorted(TIME_RELATIONS))}",
            locator="timerelation",
        )
    start = _utc(start) if start else None
    end = _utc(end) if end else None
    if start and end and start > end:
        raise InvalidQuery("the start of the time window is after its end", locator="startDate")
    if relation == "disjoint":
        alternatives = []
        if start is not None:
            alternatives.append(P.end_time < start)
        if end is not None:
            alternatives.append(P.start_time > end)
        return sa.or_(*alternatives)
    # (column compared with the query's start, with its end) per relation
    first, second = {
        "intersects": ((P.end_time, "ge"), (P.start_time, "le")),
        "during": ((P.start_time, "ge"), (P.end_time, "le")),
        "contains": ((P.start_time, "le"), (P.end_time, "ge")),
        "equals": ((P.start_time, "eq"), (P.end_time, "eq")),
    }[relation]
    parts: list[Any] = []
    for (column, op), bound in ((first, start), (second, end)):
        if bound is not None:
            parts.append(getattr(column, f"__{op}__")(bound))
    if dialect == "postgresql" and relation in {"intersects", "during"}:
        # the test on the period as a range: the GiST index over collection, period and
        # footprint serves it. For "intersects" it replaces the start comparison (with the
        # end comparison it is the exact test, also for a period that ends before it starts):
        # left beside it, the planner adds a scan of the whole start index below the range.
        overlap = _PERIOD.op("&&")(sa.func.tstzrange(start, end, sa.literal_column("'[]'")))
        if relation == "intersects" and end is not None:
            parts.pop()  # start_time <= end: the overlap holds it
        parts.insert(0, overlap)
    if dialect == "sqlite" and relation in {"intersects", "during"}:
        rt = products_rtree.c
        box_parts = []
        if end is not None:
            box_parts.append(rt.mint <= _julian(end))
        if start is not None:
            box_parts.append(rt.maxt >= _julian(start))
        if rtree is not None:
            rtree.extend(box_parts)
        else:
            parts.insert(0, P.id.in_(sa.select(rt.id).where(*box_parts)))
    return sa.and_(*parts)


def spatial_condition(
    geometry: BaseGeometry, relation: str, dialect: str, rtree: list[Any] | None = None
) -> Any:
    """Products whose footprint stands in ``relation`` to ``geometry`` (EPSG:4326)."""
    if relation not in SPATIAL_RELATIONS:
        raise InvalidQuery(
            f"spatial relation must be one of {', '.join(sorted(SPATIAL_RELATIONS))}",
            locator="relation",
        )
    if geometry.is_empty or not geometry.is_valid:
        raise InvalidQuery("the query geometry is empty or not valid", locator="geometry")
    minx, miny, maxx, maxy = geometry.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise InvalidQuery("the query geometry lies outside -180..180, -90..90",
                           locator="geometry")
    wkb = shapely.to_wkb(geometry)
    if dialect == "postgresql":
        query_geom = sa.func.ST_GeomFromWKB(sa.literal(wkb, sa.LargeBinary), 4326)
        function = {
            "intersects": sa.func.ST_Intersects,
            "within": sa.func.ST_Within,
            "contains": sa.func.ST_Contains,
            "disjoint": sa.func.ST_Disjoint,
        }[relation]
        return function(P.footprint, query_geom)
    return _sqlite_spatial(geometry, wkb, relation, rtree)


def _is_rectangles(geometry: BaseGeometry) -> list[tuple[float, float, float, float]] | None:
    parts = list(geometry.geoms) if geometry.geom_type == "MultiPolygon" else [geometry]
    boxes = []
    for part in parts:
        if part.geom_type != "Polygon" or not part.equals(box(*part.bounds)):
            return None
        boxes.append(part.bounds)
    return boxes


def _sqlite_spatial(
    geometry: BaseGeometry, wkb: bytes, relation: str, rtree: list[Any] | None
) -> Any:
    """R*Tree prefilter (hoisted into ``rtree`` when given) and the exact test."""
    rt = products_rtree.c
    parts = list(geometry.geoms) if hasattr(geometry, "geoms") else [geometry]
    query_wkb = sa.literal(wkb, sa.LargeBinary)
    if relation == "disjoint":
        return sa.func.ogc_intersects(P.footprint, query_wkb) == 0
    if relation == "contains":
        mx, my, xx, xy = geometry.bounds
        boxes = [sa.and_(rt.minx <= mx, rt.maxx >= xx, rt.miny <= my, rt.maxy >= xy)]
        if rtree is not None:
            rtree.append(boxes[0])
            return Refine(geometry, relation)
        exact = sa.func.ogc_contains(P.footprint, query_wkb) == 1
    else:
        boxes = [
            sa.and_(rt.minx <= b[2], rt.maxx >= b[0], rt.miny <= b[3], rt.maxy >= b[1])
            for b in (p.bounds for p in parts)
        ]
        rectangles = _is_rectangles(geometry)
        if rtree is not None and len(boxes) == 1 and not rectangles:
            # every candidate needs the exact test: the store runs it vectorised
            rtree.append(boxes[0])
            return Refine(geometry, relation)
        if relation == "within":
            exact = (sa.or_(*[_bbox_inside(b) for b in rectangles]) if rectangles
                     else sa.func.ogc_within(P.footprint, query_wkb) == 1)
        else:
            exact = sa.func.ogc_intersects(P.footprint, query_wkb) == 1
            if rectangles:
                # A footprint whose bounding box lies inside a query rectangle intersects it.
                exact = sa.or_(*[_bbox_inside(b) for b in rectangles], exact)
    if rtree is not None and len(boxes) == 1:
        rtree.append(boxes[0])
        return exact
    return sa.and_(P.id.in_(sa.select(rt.id).where(sa.or_(*boxes))), exact)


def _bbox_inside(b: tuple[float, float, float, float]) -> Any:
    return sa.and_(P.minx >= b[0], P.maxx <= b[2], P.miny >= b[1], P.maxy <= b[3])


def _coerce(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in DATETIME_PROPERTIES:
        if isinstance(value, datetime):
            return _utc(value)
        raise InvalidQuery(f"{name} needs a date-time value", locator=name)
    column = COLUMNS[name]
    python_type = column.type.python_type if hasattr(column.type, "python_type") else str
    try:
        if python_type is int:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            return int(value)
        if python_type is float:
            number = float(value)
            if not math.isfinite(number):
                raise ValueError(value)
            return number
    except (TypeError, ValueError) as exc:
        raise InvalidQuery(f"{name} needs a number, not {value!r}", locator=name) from exc
    return _text(name, str(value))


def _text(name: str, value: str) -> str:
    """A string value the database can hold (no NUL characters)."""
    if "\x00" in value:
        raise InvalidQuery(f"{name}: a value must not contain NUL characters", locator=name)
    return value


def attribute_condition(name: str, value: Any) -> Any:
    column = COLUMNS[name]
    if isinstance(value, Range):
        parts = []
        if value.low is not None:
            low = _coerce(name, value.low)
            parts.append(column >= low if value.low_inclusive else column > low)
        if value.high is not None:
            high = _coerce(name, value.high)
            parts.append(column <= high if value.high_inclusive else column < high)
        if not parts:
            raise InvalidQuery(f"{name}: an empty range", locator=name)
        return sa.and_(*parts)
    if isinstance(value, Like):
        pattern = _text(name, value.pattern).lower()
        return sa.func.lower(column).like(_like_pattern(pattern), escape="\\")
    if isinstance(value, list | tuple | set | frozenset):
        values = [_coerce(name, v) for v in value]
        if not values:
            raise InvalidQuery(f"{name}: an empty list of values", locator=name)
        return column.in_(values)
    if value is None:
        return column.is_(None)
    return column == _coerce(name, value)


def _like_pattern(pattern: str) -> str:
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


def text_condition(text: str) -> Any:
    """Free text: every word must occur in the identifier (case-insensitive)."""
    words = [w for w in _text("query", text).split() if w]
    if len(words) > 16:
        raise InvalidQuery("free text has too many words (16 at most)", locator="query")
    return sa.and_(
        *[
            sa.func.lower(P.identifier).like(f"%{_like_pattern(w.lower())}%", escape="\\")
            for w in words
        ]
    )
