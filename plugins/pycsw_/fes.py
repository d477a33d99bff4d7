"""OGC Filter Encoding 1.1 (``ogc:Filter``) and FES 2.0 (``fes:Filter``) read into pygeofilter
ASTs, with the GML geometries and times they hold.

Property names stay as the request wrote them; :mod:`plugins.pycsw_.queryables` resolves them.
Geometries come out in longitude/latitude order, following the axis order of their ``srsName``
(:func:`plugins.pycsw_.constraints.axis_order`): EPSG:4326 in any spelling is latitude first,
CRS84 longitude first, and a geometry without ``srsName`` is EPSG:4326 (as in pycsw and the ISO
application profile). Operands ``And``/``Or`` take any number of operands.
"""

from __future__ import annotations

import math
from functools import reduce
from typing import Any

import shapely
from lxml import etree
from pygeofilter import ast, values
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box, mapping

from plugins.pycsw_.constraints import ConstraintError, axis_order, bbox_node, parse_instant

OGC = "http://www.opengis.net/ogc"
FES = "http://www.opengis.net/fes/2.0"
GML_NAMESPACES = ("http://www.opengis.net/gml", "http://www.opengis.net/gml/3.2")


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
