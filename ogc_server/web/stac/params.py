"""STAC API request parameters, parsed and checked (pure functions, no Flask, no catalogue).

GET query parameters and POST JSON bodies give the same :class:`SearchRequest`. Every error
is an :class:`~ogc_server.errors.InvalidQuery` whose ``locator`` names the parameter.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from ogc_server.archive.query import bbox_geometry
from ogc_server.errors import InvalidQuery
from ogc_server.web.stac import cql
from ogc_server.web.stac.times import parse_instant

DEFAULT_LIMIT = 10
MAX_LIMIT = 1000
MAX_LIST = 1000
MAX_VERTICES = 10_000
MAX_OFFSET = 10**9
GEOMETRY_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon",
                  "MultiPolygon", "GeometryCollection"}
_TOKEN = re.compile(r"(?:next|prev):(\d{1,10})")


@dataclass(slots=True)
class Fields:
    """The fields extension: attribute paths to include and to exclude."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


@dataclass(slots=True)
class SearchRequest:
    collections: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    bbox: tuple[float, float, float, float] | None = None
    intersects: BaseGeometry | None = None
    interval: tuple[datetime | None, datetime | None] | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    sortby: list[tuple[str, bool]] = field(default_factory=list)
    """(STAC property, ascending) pairs."""
    fields: Fields | None = None
    filter: Any = None
    """pygeofilter AST in STAC property names (the filter and the query extension AND-ed)."""

    @property
    def geometry(self) -> BaseGeometry | None:
        if self.intersects is not None:
            return self.intersects
        if self.bbox is not None:
            return bbox_geometry(*self.bbox)
        return None


# GET and POST ---------------------------------------------------------------------------------


def from_args(args: Mapping[str, str]) -> SearchRequest:
    """A search from GET query parameters (``args`` maps a name to its first value)."""
    for name in args:
        no_nul(args[name], name)
    request = SearchRequest(
        collections=parse_list(args.get("collections"), "collections"),
        ids=parse_list(args.get("ids"), "ids"),
        bbox=parse_bbox(args["bbox"]) if args.get("bbox") else None,
        intersects=parse_intersects(_json_text(args["intersects"], "intersects"))
        if args.get("intersects") else None,
        interval=parse_datetime(args["datetime"]) if args.get("datetime") else None,
        limit=parse_limit(args.get("limit")),
        offset=parse_offset(args.get("token"), args.get("offset")),
        sortby=parse_sortby(args.get("sortby")),
        fields=parse_fields(args["fields"]) if "fields" in args else None,
    )
    lang = args.get("filter-lang") or args.get("filter_lang") or "cql2-text"
    expression = args.get("filter")
    if expression and lang == "cql2-json":
        expression = _json_text(expression, "filter")
    parts = [cql.parse_filter(expression, lang, args.get("filter-crs")) if expression else None,
             cql.parse_query(_json_text(args["query"], "query")) if args.get("query") else None]
    request.filter = cql.conjunction(parts)
    _exclusive(request)
    return request


def from_body(body: Any) -> SearchRequest:
    """A search from a POST JSON body."""
    if not isinstance(body, dict):
        raise InvalidQuery("the search body must be a JSON object", locator="body")
    for name, value in body.items():
        no_nul(value, name)
    intersects = body.get("intersects")
    request = SearchRequest(
        collections=parse_list(body.get("collections"), "collections"),
        ids=parse_list(body.get("ids"), "ids"),
        bbox=parse_bbox(body["bbox"]) if body.get("bbox") is not None else None,
        intersects=parse_intersects(intersects) if intersects is not None else None,
        interval=parse_datetime(body["datetime"]) if body.get("datetime") else None,
        limit=parse_limit(body.get("limit")),
        offset=parse_offset(body.get("token"), body.get("offset")),
        sortby=parse_sortby(body.get("sortby")),
        fields=parse_fields(body["fields"]) if body.get("fields") is not None else None,
    )
    expression = body.get("filter")
    lang = body.get("filter-lang") or body.get("filter_lang")
    lang = lang or ("cql2-text" if isinstance(expression, str) else "cql2-json")
    crs = body.get("filter-crs") or body.get("filter_crs")
    parts = [cql.parse_filter(expression, lang, crs) if expression is not None else None,
             cql.parse_query(body["query"]) if body.get("query") is not None else None]
    request.filter = cql.conjunction(parts)
    _exclusive(request)
    return request


def _exclusive(request: SearchRequest) -> None:
    if request.bbox is not None and request.intersects is not None:
        raise InvalidQuery("give either bbox or intersects, not both", locator="intersects")


def _json_text(text: str, name: str) -> Any:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InvalidQuery(f"{name} is not valid JSON", locator=name) from exc
    no_nul(value, name)
    return value


def no_nul(value: Any, name: str) -> None:
    """Text with NUL characters is refused (no catalogue value holds one; PostgreSQL rejects
    them in statements)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise InvalidQuery(f"{name} contains a NUL character", locator=name)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


# Single parameters ----------------------------------------------------------------------------


def parse_list(value: Any, name: str) -> list[str]:
    """Comma separated text (GET) or a JSON array of strings (POST)."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        items = [v.strip() for v in value.split(",")]
    elif isinstance(value, list):
        if not all(isinstance(v, str) for v in value):
            raise InvalidQuery(f"{name} must be a list of strings", locator=name)
        items = [v.strip() for v in value]
    else:
        raise InvalidQuery(f"{name} must be a list of strings", locator=name)
    items = [v for v in items if v]
    if len(items) > MAX_LIST:
        raise InvalidQuery(f"{name} lists too many values ({MAX_LIST} at most)", locator=name)
    return list(dict.fromkeys(items))


def parse_bbox(value: Any) -> tuple[float, float, float, float]:
    """``west,south,east,north`` (or the 6 numbers of a 3-D box), in degrees."""
    if isinstance(value, str):
        parts: list[Any] = value.split(",")
    elif isinstance(value, list):
        parts = value
    else:
        raise InvalidQuery("bbox must be four (or six) numbers", locator="bbox")
    if len(parts) not in (4, 6):
        raise InvalidQuery(f"bbox must have four or six numbers, not {len(parts)}",
                           locator="bbox")
    numbers = []
    for part in parts:
        if isinstance(part, bool) or not isinstance(part, str | int | float):
            raise InvalidQuery("bbox values must be numbers", locator="bbox")
        try:
            number = float(part)
        except ValueError as exc:
            raise InvalidQuery(f"bbox value {str(part)[:40]!r} is not a number",
                               locator="bbox") from exc
        if not math.isfinite(number):
            raise InvalidQuery("bbox values must be finite numbers", locator="bbox")
        numbers.append(number)
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    west, south, east, north = numbers
    bbox_geometry(west, south, east, north)  # checks ranges and order
    return west, south, east, north


def parse_intersects(value: Any) -> BaseGeometry:
    """A GeoJSON geometry object (longitude, latitude), at most :data:`MAX_VERTICES` points."""
    if not isinstance(value, dict) or value.get("type") not in GEOMETRY_TYPES:
        raise InvalidQuery("intersects must be a GeoJSON geometry object", locator="intersects")
    count = _count_positions(value, 0)
    if count > MAX_VERTICES:
        raise InvalidQuery(f"intersects has {count} vertices, {MAX_VERTICES} at most",
                           locator="intersects")
    try:
        geometry = shape(value)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError,
            shapely.errors.ShapelyError) as exc:
        raise InvalidQuery(f"intersects is not a valid GeoJSON geometry: {exc}",
                           locator="intersects") from exc
    if geometry.is_empty:
        raise InvalidQuery("intersects is an empty geometry", locator="intersects")
    minx, miny, maxx, maxy = geometry.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise InvalidQuery("intersects lies outside longitude -180..180, latitude -90..90",
                           locator="intersects")
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
    return geometry


def _count_positions(node: Any, depth: int) -> int:
    if depth > 6:
        raise InvalidQuery("intersects nests too deeply", locator="intersects")
    if isinstance(node, dict):
        if node.get("type") == "GeometryCollection":
            members = node.get("geometries")
            if not isinstance(members, list):
                raise InvalidQuery("a GeometryCollection needs geometries", locator="intersects")
            return sum(_count_positions(m, depth + 1) for m in members)
        return _count_positions(node.get("coordinates"), depth + 1)
    if not isinstance(node, list) or not node:
        raise InvalidQuery("intersects has malformed coordinates", locator="intersects")
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in node):
        if len(node) not in (2, 3) or not all(math.isfinite(v) for v in node):
            raise InvalidQuery("a position has two or three finite numbers",
                               locator="intersects")
        return 1
    return sum(_count_positions(child, depth + 1) for child in node)


def parse_datetime(value: Any) -> tuple[datetime | None, datetime | None]:
    """An instant or an interval ``start/end`` whose open ends are ``..`` or empty."""
    if not isinstance(value, str):
        raise InvalidQuery("datetime must be an RFC 3339 string", locator="datetime")
    if "/" not in value:
        return parse_instant(value), parse_instant(value, end=True)
    parts = value.split("/")
    if len(parts) != 2:
        raise InvalidQuery("a datetime interval has exactly one '/'", locator="datetime")
    start_text, end_text = (p.strip() for p in parts)
    start = None if start_text in ("", "..") else parse_instant(start_text)
    end = None if end_text in ("", "..") else parse_instant(end_text, end=True)
    if start is None and end is None:
        raise InvalidQuery("a datetime interval needs at least one bound", locator="datetime")
    if start and end and start > end:
        raise InvalidQuery("the datetime interval starts after it ends", locator="datetime")
    return start, end


def parse_limit(value: Any) -> int:
    """1 .. :data:`MAX_LIMIT`; larger values are lowered to the maximum (as OGC API says)."""
    if value is None or value == "":
        return DEFAULT_LIMIT
    if isinstance(value, bool):
        raise InvalidQuery("limit must be a positive integer", locator="limit")
    try:
        number = int(value) if isinstance(value, int | str) else None
    except ValueError:
        number = None
    if number is None or number < 1:
        raise InvalidQuery("limit must be a positive integer", locator="limit")
    return min(number, MAX_LIMIT)


def parse_offset(token: Any, offset: Any = None) -> int:
    """The start of the page from a paging ``token`` (``next:N``) or a plain ``offset``."""
    if token not in (None, ""):
        match = _TOKEN.fullmatch(token) if isinstance(token, str) else None
        if not match or int(match.group(1)) > MAX_OFFSET:
            raise InvalidQuery("token is not a paging token of this server", locator="token")
        return int(match.group(1))
    if offset in (None, ""):
        return 0
    if isinstance(offset, bool) or not isinstance(offset, int | str):
        raise InvalidQuery("offset must be a non-negative integer", locator="offset")
    text = str(offset)
    if not text.isdigit() or int(text) > MAX_OFFSET:
        raise InvalidQuery("offset must be a non-negative integer", locator="offset")
    return int(text)


def parse_sortby(value: Any) -> list[tuple[str, bool]]:
    """GET ``+field,-field`` (no sign: ascending) or POST ``[{"field", "direction"}]``."""
    if value in (None, "", []):
        return []
    keys: list[tuple[str, bool]] = []
    if isinstance(value, str):
        for part in value.split(","):
            # a "+" left unencoded in a URL arrives as a space
            text = part.strip(" ")
            ascending = not text.startswith("-")
            keys.append((text.lstrip("+-").strip(), ascending))
    elif isinstance(value, list):
        for entry in value:
            if not isinstance(entry, dict) or not isinstance(entry.get("field"), str):
                raise InvalidQuery("sortby entries are {\"field\": ..., \"direction\": ...}",
                                   locator="sortby")
            direction = str(entry.get("direction", "asc")).lower()
            if direction not in ("asc", "desc"):
                raise InvalidQuery("sortby direction is asc or desc", locator="sortby")
            keys.append((entry["field"].strip(), direction == "asc"))
    else:
        raise InvalidQuery("sortby must be a list of sort keys", locator="sortby")
    if any(not name for name, _ in keys) or len(keys) > 16:
        raise InvalidQuery("sortby has an empty or too many sort keys", locator="sortby")
    return keys


def parse_fields(value: Any) -> Fields:
    """GET ``a,-b,+c`` or POST ``{"include": [...], "exclude": [...]}``."""
    include: list[str] = []
    exclude: list[str] = []
    if isinstance(value, str):
        for part in value.split(","):
            text = part.strip()
            if text.startswith("-"):
                exclude.append(text[1:].strip())
            elif text:
                include.append(text.lstrip("+").strip())
    elif isinstance(value, dict):
        for name, target in (("include", include), ("exclude", exclude)):
            entries = value.get(name) or []
            if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
                raise InvalidQuery(f"fields.{name} must be a list of strings", locator="fields")
            target.extend(e.strip() for e in entries)
    else:
        raise InvalidQuery("fields must be an object with include and exclude",
                           locator="fields")
    if len(include) + len(exclude) > 200:
        raise InvalidQuery("fields names too many attributes", locator="fields")
    return Fields(tuple(i for i in include if i), tuple(e for e in exclude if e))
