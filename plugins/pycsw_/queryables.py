"""The catalogue's CSW queryables and how a filter on them is answered.

Two kinds of records answer a search: each collection's INSPIRE record (type ``series``) and one
record per product (type ``dataset``, parent identifier = its collection). :data:`QUERYABLES`
says where each queryable's value is for both. A filter (a pygeofilter AST from
:mod:`plugins.pycsw_.fes` or :mod:`plugins.pycsw_.constraints`) is resolved once by
:func:`resolve`: property names become queryable keys and literals the queryable's type;
:mod:`plugins.pycsw_.matching` then answers it for collections and products.

Text matching follows pycsw: ``PropertyIsLike`` is case-insensitive, and a comparison on AnyText
matches when one of the record's texts contains the value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import shapely
from pygeofilter import ast, values
from shapely.geometry import box, shape

from plugins.pycsw_.constraints import ConstraintError, parse_instant

TEXT, NUMBER, INTEGER, DATETIME, GEOMETRY = "text", "number", "integer", "datetime", "geometry"
MAX_NODES = 200
#: The end of a series that is still going on, for comparisons.
ONGOING = datetime(9999, 12, 31, tzinfo=UTC)
PREFIXES = {"apiso", "dc", "dct", "csw", "csw30", "ows", "ows20"}
INTERVAL_KEYS = {"tempextent_begin", "tempextent_end"}


@dataclass(frozen=True, slots=True)
class Queryable:
    key: str
    names: tuple[str, ...]
    """Names a filter may use; the ``apiso:`` and Dublin Core ones are advertised."""
    kind: str
    dbcol: str
    """The record attribute pycsw reads (its core model's column name where it has one)."""
    columns: tuple[str, ...] = ()
    """Product properties (``ProductQuery`` names) that hold the value."""
    per_collection: bool = False
    """Products also take a value fixed by their collection."""
    constant: Any = None
    """The value every product has (None: it varies)."""
    eo: bool = False
    """An Earth observation addition to the ISO queryables (listed as AdditionalQueryables)."""
    domain: bool = False
    """GetDomain lists its values (single-source queryables only, so counts are exact)."""

    @property
    def sort_column(self) -> str | None:
        if len(self.columns) == 1 and not self.per_collection:
            return self.columns[0]
        return None

    @property
    def sortable(self) -> bool:
        return self.kind != GEOMETRY and (self.sort_column is not None
                                          or self.constant is not None)


def _q(key: str, names: tuple[str, ...], kind: str, dbcol: str, **kw: Any) -> Queryable:
    return Queryable(key, names, kind, dbcol, **kw)


ANYTEXT_COLUMNS = ("identifier", "collection", "platform", "platform_serial_identifier",
                   "instrument", "product_type", "processing_level", "sensor_mode",
                   "orbit_direction", "tile_id", "polarisation_channels", "timeliness")
SUBJECT_COLUMNS = ("platform", "instrument", "product_type", "processing_level")

QUERYABLES: tuple[Queryable, ...] = (
    _q("identifier", ("apiso:Identifier", "dc:identifier"), TEXT, "identifier",
       columns=("identifier",)),
    _q("title", ("apiso:Title", "dc:title"), TEXT, "title", columns=("identifier",)),
    _q("abstract", ("apiso:Abstract", "dct:abstract"), TEXT, "abstract", per_collection=True),
    _q("anytext", ("apiso:AnyText", "csw:AnyText"), TEXT, "anytext", columns=ANYTEXT_COLUMNS,
       per_collection=True),
    _q("subject", ("apiso:Subject", "dc:subject"), TEXT, "keywords", columns=SUBJECT_COLUMNS,
       per_collection=True),
    _q("type", ("apiso:Type", "dc:type"), TEXT, "type", constant="dataset", domain=True),
    _q("format", ("apiso:Format", "dc:format"), TEXT, "format", per_collection=True,
       domain=True),
    _q("modified", ("apiso:Modified", "dct:modified"), DATETIME, "date_modified",
       columns=("modification_date",)),
    _q("creationdate", ("apiso:CreationDate",), DATETIME, "date_creation",
       columns=("creation_date",)),
    _q("language", ("apiso:Language", "dc:language"), TEXT, "language", constant="eng",
       domain=True),
    _q("parentidentifier", ("apiso:ParentIdentifier",), TEXT, "parentidentifier",
       columns=("collection",), domain=True),
    _q("topiccategory", ("apiso:TopicCategory",), TEXT, "topicategory", per_collection=True,
       domain=True),
    _q("tempextent_begin", ("apiso:TempExtent_begin",), DATETIME, "time_begin",
       columns=("start",)),
    _q("tempextent_end", ("apiso:TempExtent_end",), DATETIME, "time_end", columns=("end",)),
    _q("bbox", ("apiso:BoundingBox", "ows:BoundingBox"), GEOMETRY, "wkt_geometry",
       columns=("footprint",)),
    _q("platform", ("apiso:Platform",), TEXT, "platform", columns=("platform",), eo=True,
       domain=True),
    _q("platformserialidentifier", ("apiso:PlatformSerialIdentifier",), TEXT,
       "platformserialidentifier", columns=("platform_serial_identifier",), eo=True,
       domain=True),
    _q("instrument", ("apiso:Instrument",), TEXT, "instrument", columns=("instrument",),
       eo=True, domain=True),
    _q("sensortype", ("apiso:SensorType",), TEXT, "sensortype", per_collection=True, eo=True,
       domain=True),
    _q("sensormode", ("apiso:SensorMode",), TEXT, "sensormode", columns=("sensor_mode",),
       eo=True, domain=True),
    _q("producttype", ("apiso:ProductType",), TEXT, "producttype", columns=("product_type",),
       eo=True, domain=True),
    _q("processinglevel", ("apiso:ProcessingLevel",), TEXT, "processinglevel",
       columns=("processing_level",), eo=True, domain=True),
    _q("cloudcover", ("apiso:CloudCover",), NUMBER, "cloudcover", columns=("cloud_cover",),
       eo=True),
    _q("snowcover", ("apiso:SnowCover",), NUMBER, "snowcover", columns=("snow_cover",),
       eo=True),
    _q("orbitnumber", ("apiso:OrbitNumber",), INTEGER, "orbitnumber",
       columns=("orbit_number",), eo=True),
    _q("relativeorbitnumber", ("apiso:RelativeOrbitNumber",), INTEGER, "relativeorbitnumber",
       columns=("relative_orbit_number",), eo=True),
    _q("orbitdirection", ("apiso:OrbitDirection",), TEXT, "orbitdirection",
       columns=("orbit_direction",), eo=True, domain=True),
    _q("polarisationchannels", ("apiso:PolarisationChannels",), TEXT, "polarisationchannels",
       columns=("polarisation_channels",), eo=True, domain=True),
    _q("resolution", ("apiso:Resolution",), NUMBER, "resolution", columns=("resolution",),
       eo=True),
)
BY_KEY = {q.key: q for q in QUERYABLES}
BY_DBCOL = {q.dbcol: q for q in QUERYABLES}
_BY_NAME: dict[str, Queryable] = {}
for _queryable in QUERYABLES:
    for _name in _queryable.names:
        _BY_NAME[_name.lower()] = _queryable
        _BY_NAME.setdefault(_name.split(":", 1)[1].lower(), _queryable)


def lookup(name: str, locator: str = "constraint") -> Queryable:
    """The queryable ``name`` denotes (prefix optional, any case) or a ConstraintError."""
    text = name.strip()
    prefix, sep, local = text.rpartition(":")
    found = _BY_NAME.get(text.lower())
    if found is None and (not sep or prefix.lower() in PREFIXES):
        found = _BY_NAME.get(local.lower())
    if found is None:
        raise ConstraintError(f"unknown property {name[:80]!r}; GetCapabilities lists the "
                              "queryables", locator)
    return found


# Resolution -----------------------------------------------------------------------------------

_ORDERINGS = (ast.LessThan, ast.LessEqual, ast.GreaterThan, ast.GreaterEqual)
_SPATIAL = (ast.GeometryIntersects, ast.GeometryWithin, ast.GeometryContains,
            ast.GeometryDisjoint)
_INTERVAL_TEMPORAL = (ast.TimeAfter, ast.TimeBefore, ast.TimeDuring, ast.TimeEquals,
                      ast.TimeContains, ast.TimeOverlaps, ast.TimeOverlappedBy,
                      ast.TimeDisjoint)
_INSTANT_TEMPORAL = (ast.TimeAfter, ast.TimeBefore, ast.TimeDuring, ast.TimeEquals,
                     ast.TimeOverlaps, ast.TimeDisjoint)


def resolve(node: ast.Node) -> ast.Node:
    """The filter with queryable keys for names and typed literals; ConstraintError if the
    catalogue cannot answer it."""
    return _Resolver().node(node)


class _Resolver:
    def __init__(self) -> None:
        self.count = 0

    def node(self, node: Any) -> ast.Node:  # noqa: C901 - one dispatch over node types
        self.count += 1
        if self.count > MAX_NODES:
            raise ConstraintError(f"the filter is too large ({MAX_NODES} operators at most)")
        if isinstance(node, ast.And | ast.Or):
            return type(node)(self.node(node.lhs), self.node(node.rhs))
        if isinstance(node, ast.Not):
            return ast.Not(self.node(node.sub_node))
        if isinstance(node, ast.Include):
            return node
        if isinstance(node, ast.Comparison):
            return self._comparison(node)
        if isinstance(node, ast.Between):
            q = self._attribute(node.lhs, (TEXT, NUMBER, INTEGER, DATETIME), single=True)
            return ast.Between(ast.Attribute(q.key), coerce(q, node.low), coerce(q, node.high),
                               node.not_)
        if isinstance(node, ast.Like):
            q = self._attribute(node.lhs, (TEXT,))
            if not isinstance(node.pattern, str):
                raise ConstraintError("PropertyIsLike needs a text pattern")
            pattern = canonical_pattern(node.pattern, node.wildcard, node.singlechar,
                                        node.escapechar)
            return _like(q, pattern, node.not_)
        if isinstance(node, ast.In):
            q = self._attribute(node.lhs, (TEXT, NUMBER, INTEGER, DATETIME))
            if not node.sub_nodes:
                raise ConstraintError("IN needs at least one value")
            return ast.In(ast.Attribute(q.key), [coerce(q, v) for v in node.sub_nodes],
                          node.not_)
        if isinstance(node, ast.IsNull):
            q = self._attribute(node.lhs, (TEXT, NUMBER, INTEGER, DATETIME, GEOMETRY))
            return ast.IsNull(ast.Attribute(q.key), node.not_)
        if isinstance(node, ast.BBox):
            self._attribute(node.lhs, (GEOMETRY,))
            _check_extent(box(node.minx, node.miny, node.maxx, node.maxy))
            return ast.BBox(ast.Attribute("bbox"), float(node.minx), float(node.miny),
                            float(node.maxx), float(node.maxy), None)
        if isinstance(node, _SPATIAL):
            self._attribute(node.lhs, (GEOMETRY,))
            geometry = _geometry(node.rhs)
            return type(node)(ast.Attribute("bbox"), values.Geometry(geometry.__geo_interface__))
        if isinstance(node, ast.TemporalPredicate):
            q = self._attribute(node.lhs, (DATETIME,), single=True)
            allowed = _INTERVAL_TEMPORAL if q.key in INTERVAL_KEYS else _INSTANT_TEMPORAL
            if not isinstance(node, allowed):
                raise ConstraintError(f"the temporal operator {node.op.value} is not supported "
                                      f"on {q.names[0]}")
            return type(node)(ast.Attribute(q.key), _temporal(node.rhs))
        if isinstance(node, ast.SpatialComparisonPredicate | ast.SpatialDistancePredicate):
            raise ConstraintError(f"the spatial operator {type(node).__name__} is not supported")
        raise ConstraintError(f"the filter uses {type(node).__name__}, which is not supported")

    def _attribute(self, node: Any, kinds: tuple[str, ...], single: bool = False) -> Queryable:
        if not isinstance(node, ast.Attribute):
            raise ConstraintError("a predicate needs a property name on its left side")
        q = lookup(str(node.name))
        if q.kind not in kinds:
            raise ConstraintError(f"{q.names[0]} cannot be used with this operator")
        if single and q.key in ("anytext", "subject"):
            raise ConstraintError(f"{q.names[0]} can only be compared for (in)equality or "
                                  "matched with PropertyIsLike")
        return q

    def _comparison(self, node: ast.Comparison) -> ast.Node:
        q = self._attribute(node.lhs, (TEXT, NUMBER, INTEGER, DATETIME),
                            single=isinstance(node, _ORDERINGS))
        value = coerce(q, node.rhs)
        if q.key == "anytext" and isinstance(node, ast.Equal | ast.NotEqual):
            # pycsw's AnyText: an equality test is a (case-insensitive) "contains"
            escaped = value.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")
            return _like(q, escaped, isinstance(node, ast.NotEqual))
        return type(node)(ast.Attribute(q.key), value)


def _like(q: Queryable, pattern: str, not_: bool) -> ast.Like:
    if q.key == "anytext":
        if not pattern.startswith("*"):
            pattern = "*" + pattern
        if not pattern.endswith("*") or pattern.endswith("\\*"):
            pattern += "*"
    return ast.Like(ast.Attribute(q.key), pattern, True, "*", "?", "\\", not_)


def canonical_pattern(pattern: str, wildcard: str, single: str, escape: str) -> str:
    """A LIKE pattern in the catalogue's form: ``*`` any run, ``?`` one character, ``\\``
    escapes (the form ``ogc_server.archive.filters`` reads with those three characters)."""
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == escape and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            out.append("\\" + nxt if nxt in "*?\\" else nxt)
            i += 2
            continue
        if ch == wildcard:
            out.append("*")
        elif ch == single:
            out.append("?")
        elif ch in "*?\\":
            out.append("\\" + ch)
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def coerce(q: Queryable, value: Any) -> Any:
    """``value`` as the queryable's type, or a ConstraintError naming the property."""
    if isinstance(value, ast.Node | values.Geometry | values.Envelope | values.Interval):
        raise ConstraintError(f"{q.names[0]} can only be compared with a literal value")
    if isinstance(value, bool):
        raise ConstraintError(f"{q.names[0]} cannot be compared with a boolean")
    try:
        if q.kind == TEXT:
            if isinstance(value, datetime | date):
                raise ValueError(value)
            return str(value)
        if q.kind == NUMBER:
            number = float(value)
            if not math.isfinite(number):
                raise ValueError(value)
            return number
        if q.kind == INTEGER:
            number = float(value)
            if not number.is_integer() or abs(number) > 2**31:
                raise ValueError(value)
            return int(number)
        if q.kind == DATETIME:
            return _instant(value)
    except (TypeError, ValueError, OverflowError):
        kind = {TEXT: "text", NUMBER: "a number", INTEGER: "an integer",
                DATETIME: "a date or date-time"}[q.kind]
        raise ConstraintError(f"{q.names[0]} needs {kind}, not {str(value)[:40]!r}") from None
    raise ConstraintError(f"{q.names[0]} cannot be compared with a value")


def _instant(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=UTC)
    if isinstance(value, str):
        return parse_instant(value)
    raise ValueError(value)


def _temporal(value: Any) -> Any:
    """An instant or an interval (open sides, or a duration on one side) in UTC."""
    try:
        if isinstance(value, values.Interval):
            start, end = value.start, value.end
            start = None if start in (None, "..") else start
            end = None if end in (None, "..") else end
            if isinstance(start, timedelta) and end is not None:
                start = _instant(end) - start
            if isinstance(end, timedelta) and start is not None:
                end = _instant(start) + end
            start = None if start is None else _instant(start)
            end = None if end is None else _instant(end)
            if start is None and end is None:
                raise ConstraintError("a time interval needs a start or an end")
            if start and end and start > end:
                raise ConstraintError("the time interval starts after it ends")
            return values.Interval(start, end)
        return _instant(value)
    except ConstraintError:
        raise
    except (TypeError, ValueError, OverflowError):
        raise ConstraintError(f"not a date, time or interval: {str(value)[:40]!r}") from None


def _check_extent(geometry: Any) -> None:
    minx, miny, maxx, maxy = geometry.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise ConstraintError("the geometry lies outside -180..180, -90..90 (is the axis order "
                              "right? EPSG:4326 is latitude first)")


def _geometry(value: Any) -> Any:
    try:
        if isinstance(value, values.Envelope):
            geometry = box(value.x1, value.y1, value.x2, value.y2)
        elif isinstance(value, values.Geometry):
            geometry = shape(value.geometry)
        else:
            raise ConstraintError("a spatial operator needs a geometry")
    except (TypeError, ValueError, KeyError, AttributeError, shapely.errors.GEOSException):
        raise ConstraintError("the filter's geometry is not valid") from None
    if geometry.is_empty or not geometry.is_valid:
        raise ConstraintError("the filter's geometry is empty or not valid")
    _check_extent(geometry)
    return geometry


def sort_keys(keys: list[tuple[str, bool]]) -> list[tuple[Queryable, bool]]:
    """Requested (name, ascending) pairs as queryables; ConstraintError for what cannot sort."""
    resolved = []
    for name, ascending in keys:
        q = lookup(name, "sortby")
        if not q.sortable:
            raise ConstraintError(f"the records cannot be sorted by {q.names[0]}", "sortby")
        resolved.append((q, ascending))
    return resolved


def pycsw_queryables(apiso: Mapping[str, Mapping[str, Any]],
                     dublin_core: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The ``queryables`` mapping pycsw reads from a repository.

    Groups list what filters may use (GetCapabilities advertises them); ``_all`` also holds
    every name pycsw's record writers look up.
    """
    dc_group, iso_group, eo_group = {}, {}, {}
    for q in QUERYABLES:
        for name in q.names:
            entry = {"dbcol": q.dbcol, "xpath": (apiso.get(name) or {}).get("xpath", name)}
            if name.startswith("apiso:"):
                (eo_group if q.eo else iso_group)[name] = entry
            else:
                dc_group[name] = entry
    everything: dict[str, Any] = {}
    for source in (dublin_core, apiso):
        for name, entry in source.items():
            everything[name] = {"dbcol": entry["dbcol"], "xpath": entry.get("xpath", name)}
    everything.update(dc_group)
    everything.update(iso_group)
    everything.update(eo_group)
    return {
        "SupportedDublinCoreQueryables": dc_group,
        "SupportedISOQueryables": iso_group,
        "AdditionalQueryables": eo_group,
        "_all": everything,
    }
