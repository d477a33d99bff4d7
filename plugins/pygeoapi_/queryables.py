"""What a client can ask the records about, and how the items parameters are read.

The record properties that map to catalogue columns are the queryables: they can be used as
``property=value`` parameters, in ``sortby`` and in CQL2 filters. Their names are the EO
OpenSearch (OGC 13-026r9) names that :mod:`ogc_server.archive.query` already accepts as
aliases, so a filter means the same here as through every other interface.

Every reader raises :class:`~ogc_server.errors.InvalidQuery` whose ``locator`` names the query
parameter at fault.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pygeofilter import ast, values
from pygeofilter.parsers.cql2_json import parse as parse_cql2_json
from pygeofilter.parsers.ecql import parse as parse_ecql
from shapely.geometry.base import BaseGeometry

from ogc_server.archive import cql2text
from ogc_server.archive.query import COLUMNS, Range, bbox_geometry, resolve_name
from ogc_server.archive.tables import UTCDateTime
from ogc_server.errors import InvalidQuery

DATE_TIME = "date-time"
MAX_FILTER_CHARS = 20_000
MAX_FILTER_DEPTH = 50
#: ``filter-lang`` values: ours (OGC API Features Part 3) and the older pygeoapi spellings.
FILTER_LANGS = {"cql2-text": "cql-text", "cql2-json": "cql-json",
                "cql-text": "cql-text", "cql-json": "cql-json"}
CRS84 = {"http://www.opengis.net/def/crs/OGC/1.3/CRS84", "OGC:CRS84", "CRS84"}


@dataclass(frozen=True, slots=True)
class Queryable:
    name: str
    """The record property (EO OpenSearch name)."""
    column: str
    """The catalogue property it is stored as (:data:`ogc_server.archive.query.COLUMNS`)."""
    type: str
    description: str
    format: str | None = None
    enum: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


def _q(name: str, kind: str, description: str, column: str | None = None,
       **extra: Any) -> Queryable:
    return Queryable(name, resolve_name(column or name), kind, description, **extra)


QUERYABLES: tuple[Queryable, ...] = (
    _q("id", "string", "Product identifier (the product name without extension)"),
    _q("parentIdentifier", "string", "Identifier of the collection, e.g. EOP:CODE-DE:S2_MSI_L1C"),
    _q("platform", "string", "Platform (mission) short name, e.g. Sentinel-2"),
    _q("platformSerialIdentifier", "string", "Serial identifier of the platform: A, B, C, 5P"),
    _q("instrument", "string", "Instrument short name: SAR-C, MSI, OLCI, SLSTR, TROPOMI"),
    _q("sensorMode", "string", "Sensor mode, e.g. IW, EW, INS-NOBS"),
    _q("productType", "string", "Mission product type, e.g. S2MSI1C, GRD, OL_1_EFR___"),
    _q("processingLevel", "string", "Processing level, e.g. Level-1C"),
    _q("startDate", "string", "Start of the acquisition", format=DATE_TIME),
    _q("endDate", "string", "End of the acquisition", format=DATE_TIME),
    _q("created", "string", "When the ground segment generated the product", format=DATE_TIME),
    _q("updated", "string", "When the catalogue record last changed", format=DATE_TIME),
    _q("orbitNumber", "integer", "Absolute orbit number"),
    _q("relativeOrbitNumber", "integer", "Relative orbit number"),
    _q("orbitDirection", "string", "Orbit direction at acquisition",
       enum=("ASCENDING", "DESCENDING")),
    _q("cloudCover", "number", "Cloud cover in percent", minimum=0, maximum=100),
    _q("snowCover", "number", "Snow cover in percent", minimum=0, maximum=100),
    _q("polarisationMode", "string", "Polarisation mode: S (single) or D (dual)"),
    _q("polarisationChannels", "string", "Polarisation channels, e.g. 'VV, VH'"),
    _q("antennaLookDirection", "string", "Antenna look direction, e.g. RIGHT"),
    _q("minimumIncidenceAngle", "number", "Minimum incidence angle in degrees"),
    _q("maximumIncidenceAngle", "number", "Maximum incidence angle in degrees"),
    _q("resolution", "number", "Ground sampling distance of the finest band in metres"),
    _q("tileId", "string", "Sentinel-2 MGRS tile, e.g. 32UPU"),
    _q("track", "integer", "Track (relative orbit) of the acquisition"),
    _q("frame", "integer", "Frame or slice number along the track"),
    _q("timeliness", "string", "Timeliness, e.g. NRT, NTC, Fast-24h"),
    _q("processingBaseline", "string", "Processing baseline, e.g. 05.11",
       column="processing_baseline"),
    _q("productionStatus", "string", "Production status, e.g. ARCHIVED"),
    _q("onlineState", "string", "Where the product's data is",
       enum=("online", "staging", "offline")),
    _q("size", "integer", "Size of the downloadable product in bytes", minimum=0),
    _q("retentionDeadline", "string", "When the rolling archive removes the product",
       format=DATE_TIME),
)
BY_NAME: dict[str, Queryable] = {q.name: q for q in QUERYABLES}
GEOMETRY = "geometry"


def fields() -> dict[str, dict[str, Any]]:
    """pygeoapi's field list (a fresh dict: pygeoapi edits what it is given)."""
    out: dict[str, dict[str, Any]] = {}
    for q in QUERYABLES:
        out[q.name] = {"type": q.type, "format": q.format}
    return out


def schema(schema_id: str, title: str, role_of_time: bool = True) -> dict[str, Any]:
    """The queryables (or sortables) as a JSON Schema (OGC API Features Part 3)."""
    properties: dict[str, Any] = {
        GEOMETRY: {"title": "Footprint", "format": "geometry-any",
                   "x-ogc-role": "primary-geometry"},
    }
    for q in QUERYABLES:
        item: dict[str, Any] = {"title": q.name, "description": q.description, "type": q.type}
        if q.format:
            item["format"] = q.format
        if q.enum:
            item["enum"] = list(q.enum)
        if q.minimum is not None:
            item["minimum"] = q.minimum
        if q.maximum is not None:
            item["maximum"] = q.maximum
        if q.name == "id":
            item["x-ogc-role"] = "id"
        elif role_of_time and q.name == "startDate":
            item["x-ogc-role"] = "primary-interval-start"
        elif role_of_time and q.name == "endDate":
            item["x-ogc-role"] = "primary-interval-end"
        properties[q.name] = item
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_id,
        "type": "object",
        "title": title,
        "properties": properties,
        "additionalProperties": False,
    }


# Parameters -----------------------------------------------------------------------------------


def parse_bbox(text: str) -> BaseGeometry:
    """``minx,miny,maxx,maxy`` (or six values with heights) in CRS84; west > east crosses 180."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) not in (4, 6):
        raise InvalidQuery("bbox needs 4 numbers (minx,miny,maxx,maxy) or 6 with heights",
                           locator="bbox")
    try:
        numbers = [float(p) for p in parts]
    except ValueError as exc:
        raise InvalidQuery("bbox values must be numbers", locator="bbox") from exc
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    return bbox_geometry(*numbers)


def _instant(text: str, *, end: bool, locator: str) -> datetime:
    """An RFC 3339 date-time or full date; a date as an end means the end of that day."""
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day, time(), tzinfo=UTC)
            return moment + timedelta(days=1) - timedelta(microseconds=1) if end else moment
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidQuery(f"{locator}: {text!r} is not an RFC 3339 date or date-time",
                           locator=locator) from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_datetime(text: str, locator: str = "datetime") -> tuple[datetime | None,
                                                                  datetime | None]:
    """An instant or a closed/half-open interval (``a/b``, ``../b``, ``a/..``, ``a/``, ``/b``)."""
    value = text.strip()
    if not value:
        raise InvalidQuery(f"{locator}: empty value", locator=locator)
    if "/" not in value:
        if value == "..":
            raise InvalidQuery(f"{locator}: '..' is only allowed in an interval",
                               locator=locator)
        start = _instant(value, end=False, locator=locator)
        end = _instant(value, end=True, locator=locator) if len(value) == 10 else start
        return start, end
    first, _, second = value.partition("/")
    if "/" in second:
        raise InvalidQuery(f"{locator}: an interval has one '/'", locator=locator)
    start = None if first in ("", "..") else _instant(first, end=False, locator=locator)
    end = None if second in ("", "..") else _instant(second, end=True, locator=locator)
    if start is None and end is None:
        raise InvalidQuery(f"{locator}: an interval needs at least one end", locator=locator)
    if start and end and start > end:
        raise InvalidQuery(f"{locator}: the interval starts after it ends", locator=locator)
    return start, end


def parse_sortby(text: str) -> list[tuple[str, bool]]:
    """``[+|-]name,...`` -> (catalogue column, ascending) pairs."""
    keys: list[tuple[str, bool]] = []
    for raw in text.split(","):
        item = raw.strip()
        ascending = not item.startswith("-")
        name = item.lstrip("+-").strip()
        queryable = BY_NAME.get(name)
        if queryable is None:
            raise InvalidQuery(f"sortby: {name!r} is not a sortable property", locator="sortby")
        keys.append((queryable.column, ascending))
    return keys


def format_sortby(keys: list[tuple[str, bool]]) -> str:
    """``sortby`` in pygeoapi's spelling (``name`` / ``-name``) from :func:`parse_sortby`."""
    names = {q.column: q.name for q in QUERYABLES}
    return ",".join(("" if ascending else "-") + names[column] for column, ascending in keys)


def check_properties(text: str, known: Iterable[str]) -> None:
    """The ``properties`` parameter names only properties a record has."""
    names = set(known)
    for name in (p.strip() for p in text.split(",")):
        if not name:
            raise InvalidQuery("properties: an empty property name", locator="properties")
        if name not in names:
            raise InvalidQuery(f"properties: a record has no property {name!r}",
                               locator="properties")


def property_value(name: str, raw: str) -> Any:
    """The condition of a ``name=raw`` query parameter for :attr:`ProductQuery.where`."""
    queryable = BY_NAME[name]
    if queryable.format == DATE_TIME:
        start, end = parse_datetime(raw, locator=name)
        return Range(start, end)
    if queryable.type in ("integer", "number"):
        try:
            number = int(raw) if queryable.type == "integer" else float(raw)
        except ValueError as exc:
            kind = "an integer" if queryable.type == "integer" else "a number"
            raise InvalidQuery(f"{name}: {raw!r} is not {kind}", locator=name) from exc
        if isinstance(number, float) and not math.isfinite(number):
            raise InvalidQuery(f"{name}: {raw!r} is not a finite number", locator=name)
        return number
    return raw


# Filters --------------------------------------------------------------------------------------


def filter_language(value: str | None) -> str | None:
    """The pygeoapi spelling of a ``filter-lang`` value (``None``: not given)."""
    if value is None:
        return None
    lang = FILTER_LANGS.get(value.strip().lower())
    if lang is None:
        raise InvalidQuery(
            f"filter-lang: {value!r} is not supported (use cql2-text or cql2-json)",
            locator="filter-lang")
    return lang


def check_filter_crs(value: str | None) -> None:
    if value is not None and value.strip() not in CRS84:
        raise InvalidQuery("filter-crs: only http://www.opengis.net/def/crs/OGC/1.3/CRS84 "
                           "is supported", locator="filter-crs")


def parse_filter(text: str | bytes, lang: str | None = None) -> ast.Node:
    """A CQL2 text or CQL2 JSON filter as a pygeofilter AST the catalogue can compile.

    ``lang`` (pygeoapi spelling) chooses the encoding; without it a JSON object is CQL2 JSON
    and anything else CQL2 text (ECQL is accepted where CQL2 text does not parse).
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidQuery("filter: not UTF-8 text", locator="filter") from exc
    if len(text) > MAX_FILTER_CHARS:
        raise InvalidQuery(f"filter: longer than {MAX_FILTER_CHARS} characters",
                           locator="filter")
    stripped = text.strip()
    if not stripped:
        raise InvalidQuery("filter: empty filter", locator="filter")
    as_json = lang == "cql-json" or (lang is None and stripped.startswith("{"))
    try:
        node = _parse_json(stripped) if as_json else _parse_text(stripped)
    except InvalidQuery:
        raise
    except Exception as exc:  # the parsers raise lark, JSON, value and type errors
        kind = "CQL2 JSON" if as_json else "CQL2 text"
        raise InvalidQuery(f"filter: not valid {kind} ({type(exc).__name__})",
                           locator="filter") from exc
    if not isinstance(node, ast.Node):
        raise InvalidQuery("filter: not a condition", locator="filter")
    if _depth(node) > MAX_FILTER_DEPTH:
        raise InvalidQuery(f"filter: nested more than {MAX_FILTER_DEPTH} levels deep "
                           "(use IN for long lists of values)", locator="filter")
    return _Normaliser(from_json=as_json).visit(node)


def _depth(node: ast.Node) -> int:
    """How deep the AST is (counted without recursion: the tree may be very deep)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(node, 1)]
    while stack and deepest <= MAX_FILTER_DEPTH:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        children = item.get_sub_nodes() if isinstance(item, ast.Node) else item
        stack.extend((c, depth + 1) for c in children if isinstance(c, ast.Node | list))
    return deepest


def _parse_text(text: str) -> Any:
    try:
        return cql2text.parse(cql2text.standard(text))
    except Exception:  # try the older ECQL grammar before giving up
        return parse_ecql(text)


def _parse_json(text: str) -> Any:
    document = json.loads(text)
    if isinstance(document, Mapping) and "filter" in document:
        document = document["filter"]
    return parse_cql2_json(_between_args(document))


def _between_args(node: Any) -> Any:
    """CQL2 JSON ``between`` has three arguments; the parser expects ``[value, [low, high]]``."""
    if isinstance(node, list):
        return [_between_args(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _between_args(v) for k, v in node.items()}
    args = node.get("args")
    if node.get("op") == "between" and isinstance(args, list) and len(args) == 3:
        node["args"] = [args[0], [args[1], args[2]]]
    return node


class _Normaliser:
    """Literal fixes so that the catalogue's filter compiler gets plain values.

    * ``DATE('...')`` / ``TIMESTAMP('...')`` calls become dates and datetimes;
    * a value compared with a date-time property must be (or become) a datetime;
    * CQL2 JSON ``bbox`` arrays become envelopes in the right axis order;
    * LIKE applies to text properties, with CQL2's wildcards ``%`` and ``_``.
    """

    _VALUES = {"rhs", "low", "high", "sub_nodes"}

    def __init__(self, from_json: bool):
        self.from_json = from_json

    def visit(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.visit(n) for n in node]
        if isinstance(node, ast.Function):
            return self._function(node)
        if isinstance(node, values.Envelope) and self.from_json:
            # the parser reads [minx, miny, maxx, maxy] into (x1, x2, y1, y2)
            return values.Envelope(x1=node.x1, x2=node.y1, y1=node.x2, y2=node.y2)
        if isinstance(node, ast.Not):
            return ast.Not(self.visit(node.sub_node))
        if isinstance(node, ast.Attribute):
            queryable = BY_NAME.get(node.name)
            return ast.Attribute(queryable.column) if queryable else node
        if isinstance(node, ast.Like):
            if _kind(node.lhs) not in (None, "string"):
                raise InvalidQuery(f"filter: LIKE needs a text property, not {node.lhs.name}",
                                   locator="filter")
            return dataclasses.replace(node, lhs=self.visit(node.lhs), singlechar="_")
        if not (isinstance(node, ast.Node) and dataclasses.is_dataclass(node)):
            return node
        timed = isinstance(node, ast.Comparison | ast.Between | ast.In) and (
            _kind(node.lhs) == "datetime")
        changes = {}
        for f in dataclasses.fields(node):
            if f.init:
                value = self.visit(getattr(node, f.name))
                if timed and f.name in self._VALUES:
                    value = _timestamps(value, node.lhs.name)
                changes[f.name] = value
        return dataclasses.replace(node, **changes)

    def _function(self, node: ast.Function) -> Any:
        name = node.name.lower()
        args = node.arguments
        if name in ("date", "timestamp") and len(args) == 1 and isinstance(args[0], str):
            moment = _instant(args[0], end=False, locator="filter")
            return moment.date() if name == "date" else moment
        return ast.Function(node.name, [self.visit(a) for a in args])


def _timestamps(value: Any, name: str) -> Any:
    """``value`` (or each of a list) as a date or datetime for the date-time property."""
    if isinstance(value, list):
        return [_timestamps(v, name) for v in value]
    if isinstance(value, date | ast.Node):
        return value  # datetimes are dates; nodes are reported by the compiler
    if isinstance(value, str):
        try:
            return _instant(value, end=False, locator="filter")
        except InvalidQuery:
            pass
    raise InvalidQuery(f"filter: {name} needs a timestamp, not {value!r}", locator="filter")


def _kind(node: Any) -> str | None:
    """``datetime``, ``number`` or ``string`` for a known property, else ``None``."""
    if not isinstance(node, ast.Attribute):
        return None
    queryable = BY_NAME.get(node.name)
    try:
        column = COLUMNS[queryable.column if queryable else resolve_name(node.name)]
    except InvalidQuery:
        return None  # the compiler reports unknown properties
    if isinstance(column.type, UTCDateTime):
        return "datetime"
    return "string" if column.type.python_type is str else "number"
