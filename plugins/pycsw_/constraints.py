"""CSW constraints parsed into pygeofilter ASTs: OGC Filter 1.1 and FES 2.0 XML, CQL text, and
the KVP search terms of CSW 3.0 (``q``, ``bbox``, ``time``, ``start``, ``stop``) and SortBy.

Property names stay as the request wrote them; :mod:`plugins.pycsw_.queryables` resolves them.
Geometries come out in longitude/latitude order. GML geometries follow the axis order of their
``srsName``: EPSG:4326 in any spelling is latitude/longitude, CRS84 is longitude/latitude, and a
geometry without ``srsName`` is EPSG:4326 (as in pycsw and the ISO application profile). CQL and
KVP boxes are longitude/latitude unless they name EPSG:4326.
"""

from __future__ import annotations

import dataclasses
import math
import re
from datetime import UTC, date, datetime, time
from functools import reduce
from typing import Any

import shapely
from lxml import etree
from pygeofilter import ast, values
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box, mapping

OGC = "http://www.opengis.net/ogc"
FES = "http://www.opengis.net/fes/2.0"
GML_NAMESPACES = ("http://www.opengis.net/gml", "http://www.opengis.net/gml/3.2")
MAX_CQL = 10_000
MAX_SORT_KEYS = 5


class ConstraintError(ValueError):
    """A constraint the catalogue cannot read; ``str()`` is safe to show the client."""

    def __init__(self, text: str, locator: str = "constraint"):
        super().__init__(text)
        self.locator = locator


# Filter XML -----------------------------------------------------------------------------------

_COMPARISONS = {
    "PropertyIsEqualTo": ast.Equal,
    "PropertyIsNotEqualTo": ast.NotEqual,
    "PropertyIsLessThan": ast.LessThan,
    "PropertyIsGreaterThan": ast.GreaterThan,
    "PropertyIsLessThanOrEqualTo": ast.LessEqual,
    "PropertyIsGreaterThanOrEqualTo": ast.GreaterEqual,
}
_MIRRORED = {ast.LessThan: ast.GreaterThan, ast.GreaterThan: ast.LessThan,
             ast.LessEqual: ast.GreaterEqual, ast.GreaterEqual: ast.LessEqual}
_SPATIAL = {
    "Intersects": ast.GeometryIntersects, "Within": ast.GeometryWithin,
    "Contains": ast.GeometryContains, "Disjoint": ast.GeometryDisjoint,
    "Equals": ast.GeometryEquals, "Touches": ast.GeometryTouches,
    "Overlaps": ast.GeometryOverlaps, "Crosses": ast.GeometryCrosses,
}
_TEMPORAL = {
    "After": ast.TimeAfter, "Before": ast.TimeBefore, "During": ast.TimeDuring,
    "TEquals": ast.TimeEquals, "TContains": ast.TimeContains, "TOverlaps": ast.TimeOverlaps,
    "OverlappedBy": ast.TimeOverlappedBy, "Begins": ast.TimeBegins, "BegunBy": ast.TimeBegunBy,
    "Ends": ast.TimeEnds, "EndedBy": ast.TimeEndedBy, "Meets": ast.TimeMeets,
    "MetBy": ast.TimeMetBy, "AnyInteracts": ast.TimeOverlaps,
}
_IDS = {"FeatureId": "fid", "GmlObjectId": "id", "ResourceId": "rid"}


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _children(element: etree._Element) -> list[etree._Element]:
    return [c for c in element if isinstance(c.tag, str)]


def parse_filter(element: etree._Element) -> ast.Node:
    """An ``ogc:Filter`` (Filter Encoding 1.1) or ``fes:Filter`` (FES 2.0) element as an AST."""
    namespace = etree.QName(element).namespace
    if namespace not in (OGC, FES) or _local(element) != "Filter":
        raise ConstraintError("the constraint must be an ogc:Filter (Filter Encoding 1.1) or a "
                              "fes:Filter (FES 2.0)")
    return _FilterReader(namespace).filter(element)


class _FilterReader:
    def __init__(self, namespace: str):
        self.namespace = namespace

    def _check(self, element: etree._Element) -> str:
        if etree.QName(element).namespace != self.namespace:
            raise ConstraintError(f"unexpected element {element.tag} in the filter")
        return _local(element)

    def filter(self, element: etree._Element) -> ast.Node:
        children = _children(element)
        if not children:
            raise ConstraintError("the filter is empty")
        names = [self._check(c) for c in children]
        if all(n in _IDS for n in names):
            ids = [self._identifier(c) for c in children]
            return ast.In(ast.Attribute("dc:identifier"), ids, False)
        if len(children) != 1:
            raise ConstraintError("a filter holds exactly one predicate (combine with And/Or)")
        return self.predicate(children[0])

    def _identifier(self, element: etree._Element) -> str:
        value = element.get(_IDS[_local(element)]) or element.get(
            "{http://www.opengis.net/gml}id") or ""
        if not value.strip():
            raise ConstraintError(f"{_local(element)} without an identifier")
        return value.strip()

    def predicate(self, element: etree._Element) -> ast.Node:  # noqa: C901 - one dispatch
        name = self._check(element)
        children = _children(element)
        if name in ("And", "Or"):
            if len(children) < 2:
                raise ConstraintError(f"{name} needs at least two operands")
            parts = [self.predicate(c) for c in children]
            combine = ast.And if name == "And" else ast.Or
            return reduce(lambda a, b: combine(a, b), parts)
        if name == "Not":
            if len(children) != 1:
                raise ConstraintError("Not takes exactly one operand")
            return ast.Not(self.predicate(children[0]))
        if name in _COMPARISONS:
            return self._comparison(element, name, children)
        if name == "PropertyIsLike":
            return self._like(element, children)
        if name in ("PropertyIsNull", "PropertyIsNil"):
            self._arity(name, children, 1)
            return ast.IsNull(self._property(children[0]), False)
        if name == "PropertyIsBetween":
            self._arity(name, children, 3)
            low, high = (self._boundary(c) for c in children[1:])
            return ast.Between(self._property(children[0]), low, high, False)
        if name == "BBOX":
            return self._bbox(children)
        if name in _SPATIAL:
            self._arity(name, children, 2)
            return _SPATIAL[name](self._property(children[0]), _geometry_value(children[1]))
        if name in ("DWithin", "Beyond"):
            raise ConstraintError(f"the spatial operator {name} is not supported")
        if name in _TEMPORAL and self.namespace == FES:
            self._arity(name, children, 2)
            return _TEMPORAL[name](self._property(children[0]), self._temporal(children[1]))
        if name in _IDS:
            return ast.In(ast.Attribute("dc:identifier"), [self._identifier(element)], False)
        raise ConstraintError(f"the filter operator {name} is not supported")

    @staticmethod
    def _arity(name: str, children: list[etree._Element], count: int) -> None:
        if len(children) != count:
            raise ConstraintError(f"{name} takes {count} operand(s), not {len(children)}")

    def _property(self, element: etree._Element) -> ast.Attribute:
        name = self._check(element)
        if name not in ("PropertyName", "ValueReference"):
            raise ConstraintError(f"expected a property name, found {name}")
        text = (element.text or "").strip()
        if not text:
            raise ConstraintError(f"empty {name}")
        return ast.Attribute(text)

    def _literal(self, element: etree._Element) -> Any:
        name = self._check(element)
        if name == "Function":
            raise ConstraintError("filter functions are not supported")
        if name != "Literal":
            raise ConstraintError(f"expected a literal, found {name}")
        inner = _children(element)
        if inner:
            return _temporal_value(inner[0]) if _is_temporal(inner[0]) else \
                _geometry_value(inner[0])
        return element.text or ""

    def _comparison(self, element: etree._Element, name: str,
                    children: list[etree._Element]) -> ast.Node:
        self._arity(name, children, 2)
        node_type = _COMPARISONS[name]
        first, second = children
        if _local(first) == "Literal" and _local(second) in ("PropertyName", "ValueReference"):
            first, second = second, first
            node_type = _MIRRORED.get(node_type, node_type)
        attribute, literal = self._property(first), self._literal(second)
        if element.get("matchCase", "true").lower() == "false" and isinstance(literal, str) \
                and node_type in (ast.Equal, ast.NotEqual):
            pattern = literal.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")
            return ast.Like(attribute, pattern, True, "*", "?", "\\", node_type is ast.NotEqual)
        return node_type(attribute, literal)

    def _like(self, element: etree._Element, children: list[etree._Element]) -> ast.Node:
        self._arity("PropertyIsLike", children, 2)
        wildcard = element.get("wildCard", "%")
        single = element.get("singleChar", "_")
        escape = element.get("escapeChar", element.get("escape", "\\"))
        if len(wildcard) != 1 or len(single) != 1 or len(escape) != 1:
            raise ConstraintError("wildCard, singleChar and escapeChar must be one character")
        pattern = self._literal(children[1])
        if not isinstance(pattern, str):
            raise ConstraintError("PropertyIsLike needs a text pattern")
        return ast.Like(self._property(children[0]), pattern, True, wildcard, single, escape,
                        False)

    def _boundary(self, element: etree._Element) -> Any:
        name = self._check(element)
        inner = _children(element)
        if name not in ("LowerBoundary", "UpperBoundary") or len(inner) != 1:
            raise ConstraintError("PropertyIsBetween needs a LowerBoundary and an UpperBoundary")
        return self._literal(inner[0])

    def _bbox(self, children: list[etree._Element]) -> ast.Node:
        if len(children) == 2:
            attribute = self._property(children[0])
            envelope = children[1]
        elif len(children) == 1:
            attribute, envelope = ast.Attribute("ows:BoundingBox"), children[0]
        else:
            raise ConstraintError("BBOX takes a property name and a gml:Envelope")
        if _local(envelope) not in ("Envelope", "Box"):
            raise ConstraintError("BBOX needs a gml:Envelope")
        return bbox_node(attribute, *_envelope(envelope))

    def _temporal(self, element: etree._Element) -> Any:
        if _local(element) == "Literal":
            return self._literal(element)
        return _temporal_value(element)


# GML ------------------------------------------------------------------------------------------


def _gml(element: etree._Element, name: str) -> etree._Element | None:
    for namespace in GML_NAMESPACES:
        found = element.find(f"{{{namespace}}}{name}")
        if found is not None:
            return found
    return None


def axis_order(srs: str | None) -> str:
    """``yx`` (latitude first) or ``xy`` for a CRS name; other CRSs are refused."""
    if srs is None or not srs.strip():
        return "yx"
    text = srs.strip()
    if re.search(r"CRS:?84$", text, re.IGNORECASE):
        return "xy"
    if re.search(r"(EPSG(:|::|/0/|:[\d.]*:)4326|epsg\.xml#4326)$", text, re.IGNORECASE):
        return "yx"
    raise ConstraintError(f"the CRS {srs} is not supported (EPSG:4326 or CRS84 only)")


def _numbers(text: str | None, what: str) -> list[float]:
    try:
        numbers = [float(v) for v in (text or "").replace(",", " ").split()]
    except ValueError:
        raise ConstraintError(f"{what} holds something that is not a number") from None
    if not numbers or not all(math.isfinite(n) for n in numbers):
        raise ConstraintError(f"{what} needs finite numbers")
    return numbers


def _pairs(numbers: list[float], order: str, what: str) -> list[tuple[float, float]]:
    if len(numbers) % 2:
        raise ConstraintError(f"{what} has an odd number of coordinates (2-D only)")
    pairs = list(zip(numbers[::2], numbers[1::2], strict=True))
    return [(b, a) for a, b in pairs] if order == "yx" else pairs


def _srs(element: etree._Element) -> str | None:
    node: etree._Element | None = element
    while node is not None:
        srs = node.get("srsName")
        if srs:
            return srs
        node = node.getparent()
        if node is not None and etree.QName(node).namespace not in GML_NAMESPACES:
            break
    return None


def _envelope(element: etree._Element) -> tuple[float, float, float, float]:
    order = axis_order(_srs(element))
    lower, upper = _gml(element, "lowerCorner"), _gml(element, "upperCorner")
    if lower is not None and upper is not None:
        corners = _pairs(_numbers(lower.text, "lowerCorner") + _numbers(upper.text,
                                                                          "upperCorner"),
                         order, "gml:Envelope")
    else:
        coordinates = _gml(element, "coordinates")
        corners = _pairs(_numbers(coordinates.text if coordinates is not None else None,
                                  "gml:Envelope"), order, "gml:Envelope")
    if len(corners) != 2:
        raise ConstraintError("gml:Envelope needs a lowerCorner and an upperCorner")
    (west, south), (east, north) = corners
    return west, south, east, north


def _ring(element: etree._Element, order: str) -> list[tuple[float, float]]:
    poslist = _gml(element, "posList")
    if poslist is not None:
        return _pairs(_numbers(poslist.text, "gml:posList"), order, "gml:posList")
    positions = [p for ns in GML_NAMESPACES for p in element.findall(f"{{{ns}}}pos")]
    if positions:
        return [_pairs(_numbers(p.text, "gml:pos"), order, "gml:pos")[0] for p in positions]
    coordinates = _gml(element, "coordinates")
    if coordinates is not None:
        return _pairs(_numbers(coordinates.text, "gml:coordinates"), order, "gml:coordinates")
    raise ConstraintError(f"gml:{_local(element)} without coordinates")


def _polygon(element: etree._Element, order: str) -> Polygon:
    rings = []
    for ns in GML_NAMESPACES:
        for tag in ("exterior", "outerBoundaryIs", "interior", "innerBoundaryIs"):
            for boundary in element.findall(f"{{{ns}}}{tag}"):
                ring = _gml(boundary, "LinearRing")
                if ring is None:
                    raise ConstraintError("a gml:Polygon boundary needs a gml:LinearRing")
                rings.append((tag in ("exterior", "outerBoundaryIs"), _ring(ring, order)))
    exterior = [r for outer, r in rings if outer]
    if len(exterior) != 1 or len(exterior[0]) < 4:
        raise ConstraintError("a gml:Polygon needs one exterior ring of four or more positions")
    return Polygon(exterior[0], [r for outer, r in rings if not outer])


def _geometry_value(element: etree._Element) -> Any:
    """A GML geometry as a pygeofilter value (lon/lat)."""
    if etree.QName(element).namespace not in GML_NAMESPACES:
        raise ConstraintError(f"expected a GML geometry, found {element.tag}")
    name = _local(element)
    order = axis_order(_srs(element))
    if name in ("Envelope", "Box"):
        west, south, east, north = _envelope(element)
        return values.Geometry(mapping(box(west, south, east, north)))
    try:
        if name == "Point":
            coords = _ring(element, order)
            geometry: Any = Point(coords[0])
        elif name == "LineString":
            geometry = LineString(_ring(element, order))
        elif name == "Polygon":
            geometry = _polygon(element, order)
        elif name in ("MultiPolygon", "MultiSurface"):
            polygons = [_polygon(p, order) for ns in GML_NAMESPACES
                        for p in element.iter(f"{{{ns}}}Polygon")]
            geometry = MultiPolygon(polygons)
        else:
            raise ConstraintError(f"the geometry gml:{name} is not supported")
    except (ValueError, shapely.errors.GEOSException) as exc:
        raise ConstraintError(f"gml:{name} is not a valid geometry: {exc}") from None
    return values.Geometry(mapping(geometry))


def _is_temporal(element: etree._Element) -> bool:
    return etree.QName(element).namespace in GML_NAMESPACES and _local(element) in (
        "TimeInstant", "TimePeriod")


def _temporal_value(element: etree._Element) -> Any:
    if not _is_temporal(element):
        raise ConstraintError("a temporal operator needs a gml:TimeInstant or gml:TimePeriod")
    if _local(element) == "TimeInstant":
        position = _gml(element, "timePosition")
        return parse_instant(position.text if position is not None else None)
    begin = _gml(element, "beginPosition")
    if begin is None:
        begin = _instant_position(_gml(element, "begin"))
    end = _gml(element, "endPosition")
    if end is None:
        end = _instant_position(_gml(element, "end"))
    if begin is None or end is None:
        raise ConstraintError("gml:TimePeriod needs a begin and an end")
    return values.Interval(parse_instant(begin.text), parse_instant(end.text))


def _instant_position(wrapper: etree._Element | None) -> etree._Element | None:
    instant = _gml(wrapper, "TimeInstant") if wrapper is not None else None
    return _gml(instant, "timePosition") if instant is not None else None


def parse_instant(text: str | None) -> datetime:
    """An ISO 8601 date or date-time as an aware UTC datetime (a date is its midnight)."""
    value = (text or "").strip()
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
        parsed = datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise ConstraintError(f"not an ISO 8601 date or time: {value[:40]!r}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def bbox_node(attribute: ast.Attribute, west: float, south: float, east: float,
              north: float) -> ast.Node:
    """A bounding box predicate; one crossing the antimeridian becomes two boxes."""
    for value, limit in ((west, 180), (east, 180), (south, 90), (north, 90)):
        if not -limit <= value <= limit:
            raise ConstraintError("the bounding box lies outside -180..180, -90..90 (is the "
                                  "axis order right? EPSG:4326 is latitude first)")
    if south > north:
        raise ConstraintError("the bounding box has its south above its north")
    if west > east:
        parts = MultiPolygon([box(west, south, 180, north), box(-180, south, east, north)])
        return ast.GeometryIntersects(attribute, values.Geometry(mapping(parts)))
    return ast.BBox(attribute, west, south, east, north, None)


# CQL text -------------------------------------------------------------------------------------

_CQL_KEYWORDS = {
    "and", "or", "not", "like", "ilike", "between", "in", "is", "null", "before", "after",
    "during", "include", "exclude", "true", "false", "exists", "bbox", "intersects",
    "disjoint", "contains", "within", "touches", "crosses", "overlaps", "equals", "relate",
    "dwithin", "beyond", "point", "linestring", "polygon", "multipoint", "multilinestring",
    "multipolygon", "geometrycollection", "envelope", "date", "timestamp",
}
_CQL_TOKEN = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|\d[\w:.+-]*|[A-Za-z_][\w:.-]*|\s+|.",
                        re.DOTALL)


def parse_cql(text: str) -> ast.Node:
    """OGC CQL (the catalogue's CQL_TEXT; keywords in any case) as an AST."""
    from lark.exceptions import LarkError
    from pygeofilter.parsers.ecql import parse

    if len(text) > MAX_CQL:
        raise ConstraintError(f"the CQL text is longer than {MAX_CQL} characters")
    if not text.strip():
        raise ConstraintError("the CQL text is empty")
    words = []
    for token in _CQL_TOKEN.findall(text):
        words.append(token.upper() if token.lower() in _CQL_KEYWORDS else token)
    try:
        node = parse("".join(words))
    except (LarkError, ValueError, TypeError, RecursionError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConstraintError(f"not valid CQL: {reason[:200]}") from None
    return _cql_functions(node)


def _cql_functions(node: Any) -> Any:
    """Read CQL's own forms: ``LIKE`` with ``%`` and ``_``, ``DATE('...')`` and
    ``TIMESTAMP('...')`` as instants, ``BBOX`` in its CRS (CRS84 when none)."""
    if isinstance(node, list):
        return [_cql_functions(v) for v in node]
    if isinstance(node, ast.Function):
        if node.name.upper() in ("DATE", "TIMESTAMP") and len(node.arguments) == 1 \
                and isinstance(node.arguments[0], str):
            return parse_instant(node.arguments[0])
        raise ConstraintError(f"the CQL function {node.name} is not supported")
    if isinstance(node, ast.Not):
        return ast.Not(_cql_functions(node.sub_node))
    if isinstance(node, ast.BBox):
        return cql_bbox(node)
    if isinstance(node, ast.Like):
        return ast.Like(node.lhs, node.pattern, True, node.wildcard, "_", node.escapechar,
                        node.not_)
    if isinstance(node, ast.Node) and dataclasses.is_dataclass(node):
        return type(node)(**{f.name: _cql_functions(getattr(node, f.name))
                             for f in dataclasses.fields(node)})
    return node


def cql_bbox(node: ast.BBox) -> ast.Node:
    """A CQL ``BBOX`` with its CRS (CRS84 when none) in longitude/latitude."""
    order = axis_order(node.crs) if node.crs else "xy"
    minx, miny, maxx, maxy = (float(v) for v in (node.minx, node.miny, node.maxx, node.maxy))
    if order == "yx":
        minx, miny, maxx, maxy = miny, minx, maxy, maxx
    return bbox_node(node.lhs, minx, miny, maxx, maxy)


# KVP search terms and sorting -----------------------------------------------------------------


def kvp_terms(params: dict[str, str]) -> ast.Node | None:
    """``q``, ``bbox``, ``time``, ``start`` and ``stop`` (CSW 3.0 / OpenSearch) AND-ed."""
    parts: list[ast.Node] = []
    q = params.get("q", "").strip()
    for word in q.split()[:16]:
        parts.append(ast.Like(ast.Attribute("csw:AnyText"), f"%{word}%", True, "%", "_", "\\",
                              False))
    if params.get("bbox", "").strip():
        parts.append(_kvp_bbox(params["bbox"]))
    start, end = None, None
    if params.get("time", "").strip():
        first, sep, second = params["time"].strip().partition("/")
        start = None if first in ("", "..") else parse_instant(first)
        end = (None if second in ("", "..") else parse_instant(second)) if sep else start
    if params.get("start", "").strip():
        start = parse_instant(params["start"])
    if params.get("stop", "").strip():
        end = parse_instant(params["stop"])
    if start and end and start > end:
        raise ConstraintError("the time interval starts after it ends", "time")
    if start is not None:
        parts.append(ast.GreaterEqual(ast.Attribute("apiso:TempExtent_end"), start))
    if end is not None:
        parts.append(ast.LessEqual(ast.Attribute("apiso:TempExtent_begin"), end))
    return reduce(lambda a, b: ast.And(a, b), parts) if parts else None


def _kvp_bbox(text: str) -> ast.Node:
    items = [v.strip() for v in text.split(",")]
    if len(items) not in (4, 5):
        raise ConstraintError("bbox must be west,south,east,north[,crs]", "bbox")
    try:
        numbers = [float(v) for v in items[:4]]
    except ValueError:
        raise ConstraintError("bbox must be four numbers: west,south,east,north", "bbox") \
            from None
    if not all(math.isfinite(n) for n in numbers):
        raise ConstraintError("bbox values must be finite numbers", "bbox")
    order = axis_order(items[4]) if len(items) == 5 else "xy"
    minx, miny, maxx, maxy = numbers
    if order == "yx":
        minx, miny, maxx, maxy = miny, minx, maxy, maxx
    try:
        return bbox_node(ast.Attribute("ows:BoundingBox"), minx, miny, maxx, maxy)
    except ConstraintError as exc:
        raise ConstraintError(str(exc), "bbox") from None


def sort_keys_xml(element: etree._Element) -> list[tuple[str, bool]]:
    """``ogc:SortBy`` / ``fes:SortBy`` as (property, ascending) pairs."""
    keys = []
    for prop in _children(element):
        if _local(prop) != "SortProperty":
            raise ConstraintError(f"unexpected {_local(prop)} in SortBy", "sortby")
        name, order = None, "ASC"
        for child in _children(prop):
            if _local(child) in ("PropertyName", "ValueReference"):
                name = (child.text or "").strip()
            elif _local(child) == "SortOrder":
                order = (child.text or "").strip().upper()
        if not name or order not in ("ASC", "DESC"):
            raise ConstraintError("a SortProperty needs a property name and ASC or DESC",
                                  "sortby")
        keys.append((name, order == "ASC"))
    return _limit_sort(keys)


def sort_keys_kvp(text: str) -> list[tuple[str, bool]]:
    """``sortby=name[:A|:D],...`` as (property, ascending) pairs."""
    keys = []
    for item in text.split(","):
        name, sep, order = item.strip().rpartition(":")
        if not sep or order.upper() not in ("A", "D", "ASC", "DESC"):
            name, order = item.strip(), "A"
        if not name:
            raise ConstraintError("sortby must be property:A or property:D", "sortby")
        keys.append((name, order.upper() in ("A", "ASC")))
    return _limit_sort(keys)


def _limit_sort(keys: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    if not keys:
        raise ConstraintError("SortBy names no property", "sortby")
    if len(keys) > MAX_SORT_KEYS:
        raise ConstraintError(f"at most {MAX_SORT_KEYS} sort properties", "sortby")
    return keys
