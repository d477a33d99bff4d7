"""CSW constraints other than Filter XML, parsed into pygeofilter ASTs: CQL text, the KVP search
terms of CSW 3.0 (``q``, ``bbox``, ``time``, ``start``, ``stop``) and SortBy; and what every
constraint reader shares (errors, CRS axis order, instants, bounding boxes).

Property names stay as the request wrote them; :mod:`plugins.pycsw_.queryables` resolves them.
Geometries come out in longitude/latitude order: CQL and KVP boxes are longitude/latitude unless
they name EPSG:4326 (latitude first); Filter XML is read by :mod:`plugins.pycsw_.fes`.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from datetime import UTC, date, datetime, time
from functools import reduce
from pathlib import Path
from typing import Any

from lxml import etree
from pygeofilter import ast, values
from shapely.geometry import MultiPolygon, box, mapping

MAX_CQL = 10_000
MAX_SORT_KEYS = 5


class ConstraintError(ValueError):
    """A constraint the catalogue cannot read; ``str()`` is safe to show the client."""

    def __init__(self, text: str, locator: str = "constraint"):
        super().__init__(text)
        self.locator = locator


# Shared ---------------------------------------------------------------------------------------


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


@functools.cache
def _cql_parser() -> Any:
    """pygeofilter's ECQL parser, whose grammar also lets ``NOT`` negate a parenthesised
    condition (``NOT (a = 1 OR b = 2)``, which the packaged grammar refuses)."""
    from lark import Lark
    from pygeofilter.parsers.ecql import parser as ecql

    folder = Path(ecql.__file__).parent
    grammar = (folder / "grammar.lark").read_text(encoding="utf-8")
    negation = '| "NOT" predicate'
    if negation not in grammar:
        raise RuntimeError("unexpected ECQL grammar in pygeofilter")
    grammar = grammar.replace(negation, '| "NOT" "(" condition ")" -> not_\n            '
                              + negation, 1)
    return Lark(grammar, parser="lalr", maybe_placeholders=False,
                transformer=ecql.ECQLTransformer(), import_paths=[str(folder.parent)])


def parse_cql(text: str) -> ast.Node:
    """OGC CQL (the catalogue's CQL_TEXT; keywords in any case) as an AST."""
    from lark.exceptions import LarkError

    if len(text) > MAX_CQL:
        raise ConstraintError(f"the CQL text is longer than {MAX_CQL} characters")
    if not text.strip():
        raise ConstraintError("the CQL text is empty")
    words = []
    for token in _CQL_TOKEN.findall(text):
        words.append(token.upper() if token.lower() in _CQL_KEYWORDS else token)
    try:
        node = _cql_parser().parse("".join(words))
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
    for prop in (c for c in element if isinstance(c.tag, str)):
        if etree.QName(prop).localname != "SortProperty":
            raise ConstraintError(f"unexpected {etree.QName(prop).localname} in SortBy",
                                  "sortby")
        name, order = None, "ASC"
        for child in (c for c in prop if isinstance(c.tag, str)):
            local = etree.QName(child).localname
            if local in ("PropertyName", "ValueReference"):
                name = (child.text or "").strip()
            elif local == "SortOrder":
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
