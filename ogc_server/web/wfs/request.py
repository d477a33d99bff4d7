"""GetFeature requests (KVP and XML) read into one :class:`GetFeature` and its ProductQuery.

Nothing here touches the catalogue: a request becomes a
:class:`~ogc_server.archive.query.ProductQuery` (collections, identifiers, a box, a
pygeofilter AST from the FES 2.0 filter, sort keys, limit and offset), which the blueprint
hands to the store like every other interface does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from pygeofilter.parsers.fes import parse as parse_fes
from pygeofilter.parsers.fes.util import NodeParsingError
from shapely.geometry.base import BaseGeometry

from ogc_server.archive.filters import compile_filter
from ogc_server.archive.properties import DATETIME_PROPERTIES, resolve_name
from ogc_server.archive.query import MAX_LIMIT, ProductQuery, bbox_geometry
from ogc_server.errors import InvalidQuery
from ogc_server.ingest.xmlsafe import XMLError, parse_xml
from ogc_server.web.wfs.errors import WfsError
from ogc_server.web.wfs.model import (
    CRS_NAMES,
    CRS_URN,
    FES,
    FIELDS,
    GEOMETRY,
    GET_FEATURE_BY_ID,
    GML,
    OUTPUT_FORMATS,
    WFS,
    FeatureType,
    crs_axis_lat_first,
    resolve_type_names,
)

DEFAULT_COUNT = 100
MAX_COUNT = MAX_LIMIT
MAX_START_INDEX = 10**12
MAX_FILTER_ELEMENTS = 500
MAX_FILTER_BYTES = 256 * 1024
MAX_IDS = 1000
_FIELD_COLUMNS = {f.name: f.column for f in FIELDS}
_NUMERIC = {f.column: f.xsd for f in FIELDS if f.xsd in ("long", "double")}


@dataclass(slots=True)
class GetFeature:
    """A GetFeature request, read and checked."""

    types: list[FeatureType]
    query: ProductQuery
    output: str = "gml"
    """``gml`` or ``geojson``."""
    lat_first: bool = True
    srs_name: str = CRS_URN
    hits: bool = False
    by_id: bool = False
    """The GetFeatureById stored query: one feature, not a collection."""
    properties: list[str] = field(default_factory=list)
    """Attributes to return (empty: all)."""


def kvp_get_feature(args: Mapping[str, str], types: dict[str, FeatureType],
                    dialect: str) -> GetFeature:
    """A GetFeature from KVP ``args`` (keys upper-cased)."""
    stored = args.get("STOREDQUERY_ID")
    if stored is not None:
        return _stored_query(stored, args.get("ID"), types, args)
    names = args.get("TYPENAMES", args.get("TYPENAME"))
    resource_ids = args.get("RESOURCEID", args.get("FEATUREID"))  # (the WFS 1.1 name)
    if names is None and resource_ids is None:
        raise WfsError("MissingParameterValue", "typeNames is required", "typeNames")
    chosen = (resolve_type_names(names, types) if names is not None
              else list(types.values()))
    given = [k for k in ("BBOX", "FILTER", "RESOURCEID", "FEATUREID") if args.get(k)]
    if len(given) > 1:
        raise WfsError("InvalidParameterValue",
                       f"{' and '.join(given)} cannot be given together", given[1])
    request = _base(chosen, args.get("OUTPUTFORMAT"), args.get("SRSNAME"),
                    args.get("RESULTTYPE"), args.get("COUNT", args.get("MAXFEATURES")),
                    args.get("STARTINDEX"))
    if args.get("BBOX"):
        request.query.geometry = parse_bbox(args["BBOX"])
    if args.get("FILTER"):
        language = args.get("FILTER_LANGUAGE", "urn:ogc:def:query:OGC-FES:Filter")
        if language not in ("urn:ogc:def:query:OGC-FES:Filter", "FES", "fes"):
            raise WfsError("InvalidParameterValue",
                           f"filter language {language!r} is not offered", "FILTER_LANGUAGE")
        text = args["FILTER"].strip()
        if text.startswith("(") and text.endswith(")"):
            text = text[1:-1]
        _apply_filter(request.query, _parse(text.encode(), "FILTER"), types, dialect)
    if resource_ids:
        request.query.identifiers = _identifiers(resource_ids.split(","), types)
    if args.get("SORTBY"):
        request.query.sort = parse_sortby(args["SORTBY"])
    if args.get("PROPERTYNAME"):
        request.properties = _property_names(args["PROPERTYNAME"].strip("()").split(","))
    return request


def xml_get_feature(root: etree._Element, types: dict[str, FeatureType],
                    dialect: str) -> GetFeature:
    """A GetFeature from its XML encoding (root ``wfs:GetFeature``)."""
    queries = [c for c in root if isinstance(c.tag, str)
               and c.tag in (f"{{{WFS}}}Query", f"{{{WFS}}}StoredQuery")]
    if len(queries) != 1:
        raise WfsError("OperationNotSupported" if queries else "MissingParameterValue",
                       "GetFeature takes exactly one wfs:Query or wfs:StoredQuery", "Query")
    query = queries[0]
    if query.tag == f"{{{WFS}}}StoredQuery":
        params = {p.get("name", "").upper(): (p.text or "").strip()
                  for p in query.iter(f"{{{WFS}}}Parameter")}
        return _stored_query(query.get("id", ""), params.get("ID"), types, root.attrib)
    names = query.get("typeNames")
    if not names:
        raise WfsError("MissingParameterValue", "wfs:Query needs typeNames", "typeNames")
    request = _base(resolve_type_names(names, types), root.get("outputFormat"),
                    query.get("srsName"), root.get("resultType"), root.get("count"),
                    root.get("startIndex"))
    for child in query:
        if not isinstance(child.tag, str):
            continue
        if child.tag == f"{{{FES}}}Filter":
            _apply_filter(request.query, child, types, dialect)
        elif child.tag == f"{{{FES}}}SortBy":
            keys = []
            for prop in child.iter(f"{{{FES}}}SortProperty"):
                name = prop.findtext(f"{{{FES}}}ValueReference", "")
                order = prop.findtext(f"{{{FES}}}SortOrder", "ASC")
                keys.append(f"{name} {order}")
            request.query.sort = parse_sortby(",".join(keys))
        elif child.tag == f"{{{WFS}}}PropertyName":
            request.properties += _property_names([child.text or ""])
    return request


def parse_xml_request(body: bytes) -> etree._Element:
    """A POSTed request document, read by the project's hardened parser."""
    try:
        return parse_xml(body, max_bytes=MAX_FILTER_BYTES * 4)
    except XMLError as exc:
        raise WfsError("OperationParsingFailed", f"the request is not accepted: {exc}",
                       "request") from exc


# Pieces ------------------------------------------------------------------------------------


def _base(chosen: list[FeatureType], output: str | None, srs_name: str | None,
          result_type: str | None, count: str | None, start: str | None) -> GetFeature:
    encoding = "gml"
    if output:
        encoding = _output_format(output)
        if not encoding:
            raise WfsError("InvalidParameterValue", f"outputFormat {output!r} is not offered",
                           "outputFormat")
    lat_first = crs_axis_lat_first(srs_name)
    kind = (result_type or "results").strip().lower()
    if kind not in ("results", "hits"):
        raise WfsError("InvalidParameterValue", "resultType is results or hits", "resultType")
    limit = _integer(count, "count", DEFAULT_COUNT, MAX_COUNT)
    offset = _integer(start, "startIndex", 0, MAX_START_INDEX)
    query = ProductQuery(collections=[t.collection.identifier for t in chosen],
                         limit=0 if kind == "hits" else limit, offset=offset)
    return GetFeature(chosen, query, encoding, lat_first, (srs_name or CRS_URN).strip(),
                      hits=kind == "hits")


def _output_format(output: str) -> str:
    """The encoding an outputFormat asks for ('' if none); a ``+`` left unescaped in a URL
    arrives as a space (``application/geo json``) and is read as meant."""
    text = output.strip()
    for candidate in (text, text.replace(" ", "+"), ";".join(
            p.strip() for p in text.split(";")).replace(";", "; ")):
        if candidate in OUTPUT_FORMATS:
            return OUTPUT_FORMATS[candidate]
    glued = text.replace(" +", "+").split(";")
    if len(glued) == 2:
        head, tail = glued[0].strip().replace(" ", "+"), glued[1].strip()
        return OUTPUT_FORMATS.get(f"{head}; {tail}", "")
    return ""


def _integer(text: str | None, name: str, default: int, highest: int) -> int:
    if text is None or not text.strip():
        return default
    try:
        value = int(text.strip())
    except ValueError:
        raise WfsError("InvalidParameterValue", f"{name} must be an integer",
                       name) from None
    if not 0 <= value <= highest:
        raise WfsError("InvalidParameterValue", f"{name} must be between 0 and {highest}",
                       name)
    return value


def _stored_query(stored: str, identifier: str | None, types: dict[str, FeatureType],
                  options: Mapping[str, Any]) -> GetFeature:
    if stored.strip() != GET_FEATURE_BY_ID:
        raise WfsError("InvalidParameterValue", f"no stored query {stored!r}",
                       "STOREDQUERY_ID")
    if not identifier:
        raise WfsError("MissingParameterValue", "GetFeatureById needs the ID parameter", "ID")
    request = _base(list(types.values()), options.get("OUTPUTFORMAT",
                                                      options.get("outputFormat")),
                    options.get("SRSNAME", options.get("srsName")), None, "1", None)
    request.query.identifiers = _identifiers([identifier], types)
    request.by_id = True
    return request


def parse_bbox(text: str) -> BaseGeometry:
    """``BBOX=a,b,c,d[,crs]``: corners in the axis order of ``crs`` (default: EPSG:4326,
    latitude first, as the feature types' default CRS is)."""
    parts = [p.strip() for p in text.split(",")]
    crs = parts.pop() if len(parts) == 5 else None
    if len(parts) != 4:
        raise WfsError("InvalidParameterValue", "BBOX takes four numbers and an optional CRS",
                       "BBOX")
    try:
        a, b, c, d = (float(p) for p in parts)
    except ValueError:
        raise WfsError("InvalidParameterValue", "BBOX values must be numbers",
                       "BBOX") from None
    lat_first = crs_axis_lat_first(crs, "BBOX")
    west, south, east, north = (b, a, d, c) if lat_first else (a, b, c, d)
    try:
        return bbox_geometry(west, south, east, north)
    except InvalidQuery as exc:
        raise WfsError("InvalidParameterValue", exc.user_msg, "BBOX") from exc


def parse_sortby(text: str) -> list[tuple[str, bool]]:
    """``SORTBY=name [ASC|DESC], ...`` -> (property, ascending) with a stable tie-breaker."""
    keys: list[tuple[str, bool]] = []
    for part in text.split(","):
        words = part.replace("+", " ").split()
        if not words or len(words) > 2:
            raise WfsError("InvalidParameterValue", f"SORTBY: cannot read {part!r}", "SORTBY")
        order = words[1].upper() if len(words) == 2 else "ASC"
        if order not in ("ASC", "DESC", "A", "D"):
            raise WfsError("InvalidParameterValue", f"SORTBY: unknown order {words[1]!r}",
                           "SORTBY")
        keys.append((_column(words[0], "SORTBY"), order in ("ASC", "A")))
    if not any(name == "identifier" for name, _ in keys):
        keys.append(("identifier", True))
    return keys


def _column(name: str, locator: str) -> str:
    local = name.rpartition(":")[2].lstrip("/")
    try:
        return resolve_name(_FIELD_COLUMNS.get(local, local))
    except InvalidQuery:
        raise WfsError("InvalidParameterValue", f"unknown property {name!r}",
                       locator) from None


def _property_names(names: list[str]) -> list[str]:
    out = []
    for name in names:
        local = name.strip().rpartition(":")[2]
        if local == GEOMETRY or not local:
            continue
        if local not in _FIELD_COLUMNS:
            raise WfsError("InvalidParameterValue", f"unknown property {name!r}",
                           "PROPERTYNAME")
        out.append(local)
    return out


def _identifiers(values: list[str], types: dict[str, FeatureType]) -> list[str]:
    """Product identifiers from resource ids (``<type>.<identifier>`` or the identifier)."""
    out = []
    for value in values:
        value = value.strip()
        head, dot, tail = value.partition(".")
        out.append(tail if dot and head in types else value)
    if len(out) > MAX_IDS:
        raise WfsError("InvalidParameterValue", f"at most {MAX_IDS} resource ids",
                       "RESOURCEID")
    return [i for i in out if i]


def _parse(body: bytes, locator: str) -> etree._Element:
    if len(body) > MAX_FILTER_BYTES:
        raise WfsError("InvalidParameterValue", "the filter is too large", locator)
    try:
        return parse_xml(body, max_bytes=MAX_FILTER_BYTES)
    except XMLError as exc:
        raise WfsError("OperationParsingFailed", f"the filter is not accepted: {exc}",
                       locator) from exc


def _apply_filter(query: ProductQuery, root: etree._Element, types: dict[str, FeatureType],
                  dialect: str) -> None:
    """Put the FES 2.0 filter ``root`` into ``query``: resource ids or a pygeofilter AST."""
    if root.tag != f"{{{FES}}}Filter":
        raise WfsError("OperationParsingFailed", "the filter must be a fes:Filter (FES 2.0)",
                       "FILTER")
    if sum(1 for _ in root.iter()) > MAX_FILTER_ELEMENTS:
        raise WfsError("InvalidParameterValue",
                       f"the filter is too large ({MAX_FILTER_ELEMENTS} elements at most)",
                       "FILTER")
    children = [c for c in root if isinstance(c.tag, str)]
    rids = [c for c in children if c.tag == f"{{{FES}}}ResourceId"]
    if rids:
        if len(rids) != len(children):
            raise WfsError("InvalidParameterValue",
                           "fes:ResourceId cannot be mixed with other operators", "FILTER")
        query.identifiers = _identifiers([c.get("rid", "") for c in rids], types)
        return
    _normalise(root)
    try:
        node = parse_fes(root)
    except NodeParsingError as exc:
        tag = str(exc).rpartition("}")[2] or "?"
        raise WfsError("InvalidParameterValue",
                       f"the filter uses fes:{tag}, which this service does not read",
                       "FILTER") from exc
    except Exception as exc:  # the FES reader raises many kinds on what it cannot read
        raise WfsError("InvalidParameterValue",
                       "the filter is not a complete FES 2.0 filter (an operand, attribute "
                       "or value is missing or malformed)", "FILTER") from exc
    try:
        compile_filter(node, dialect)
    except InvalidQuery as exc:
        raise WfsError("InvalidParameterValue", f"filter: {exc.user_msg}", "FILTER") from exc
    query.filter = node


_TEMPORAL_OPS = {"After", "Before", "Begins", "BegunBy", "TContains", "During", "TEquals",
                 "TOverlaps", "Meets", "OverlappedBy", "MetBy", "Ends", "EndedBy",
                 "AnyInteracts"}
_SPATIAL_OPS = {"BBOX", "Intersects", "Within", "Contains", "Disjoint", "Equals", "Touches",
                "Overlaps", "Crosses", "DWithin", "Beyond"}


def _normalise(root: etree._Element) -> None:
    """Make the filter say what the reader expects: binary ``And``/``Or`` (FES allows more
    operands), property names as the catalogue's, the geometry named in every spatial operator,
    and GML coordinates with an explicit axis order (the reader does not turn envelopes given
    latitude first)."""
    for tag in ("And", "Or"):
        for op in list(root.iter(f"{{{FES}}}{tag}")):
            _binary(op)
    for ref in root.iter(f"{{{FES}}}ValueReference"):
        name = (ref.text or "").strip()
        local = name.rpartition(":")[2].lstrip("/")
        ref.text = GEOMETRY if local == GEOMETRY else _column(name, "FILTER")
        parent = ref.getparent()
        if ref.text in _NUMERIC and parent is not None:
            # literals come untyped from most clients: read them as the property's numbers
            for literal in parent.iter(f"{{{FES}}}Literal"):
                _type_literal(literal, _NUMERIC[ref.text])
    for op in root.iter():
        if not isinstance(op.tag, str):
            continue
        if etree.QName(op).localname in _TEMPORAL_OPS:
            ref = op.find(f"{{{FES}}}ValueReference")
            if ref is not None and ref.text not in DATETIME_PROPERTIES:
                raise WfsError("InvalidParameterValue",
                               f"temporal operators apply to times, not {ref.text!r}", "FILTER")
        if etree.QName(op).localname not in _SPATIAL_OPS:
            continue
        if op.find(f"{{{FES}}}ValueReference") is None:
            ref = etree.Element(f"{{{FES}}}ValueReference")
            ref.text = GEOMETRY
            op.insert(0, ref)
        for geometry in op:
            if isinstance(geometry.tag, str) and geometry.tag.startswith(f"{{{GML}}}"):
                _axis_order(geometry)


def _binary(op: etree._Element) -> None:
    """Nest an ``And``/``Or`` of more than two operands as binary ones (same meaning)."""
    operands = [c for c in op if isinstance(c.tag, str)]
    while len(operands) > 2:
        first, second = operands[0], operands[1]
        pair = etree.Element(op.tag)
        op.insert(op.index(first), pair)
        pair.append(first)
        pair.append(second)
        operands = [pair, *operands[2:]]


def _type_literal(literal: etree._Element, xsd: str) -> None:
    """Type an untyped literal compared with a number; a whole number must fit 64 bits."""
    if literal.get("type"):
        return
    text = (literal.text or "").strip()
    try:
        value = int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            return  # not a number: the compiler names the property and the value
        if not math.isfinite(number):
            raise WfsError("InvalidParameterValue", f"{text} is not a finite number",
                           "FILTER") from None
        literal.set("type", "xs:double")
        return
    if not -(2**63) <= value < 2**63:
        raise WfsError("InvalidParameterValue", f"the number {text} is out of range", "FILTER")
    literal.set("type", f"xs:{xsd}")


def _axis_order(geometry: etree._Element) -> None:
    srs = geometry.get("srsName")
    if srs is not None and srs.strip() not in CRS_NAMES:
        raise WfsError("InvalidParameterValue", f"CRS {srs!r} is not offered", "FILTER")
    lat_first = srs is None or CRS_NAMES[srs.strip()]
    # the reader turns geometries (not envelopes) named in a latitude-first CRS; without a
    # srsName it reads longitude first
    if geometry.tag != f"{{{GML}}}Envelope" and lat_first:
        geometry.set("srsName", CRS_URN)
        return
    if lat_first:
        for corner in geometry:
            values = (corner.text or "").split()
            if len(values) == 2:
                corner.text = f"{values[1]} {values[0]}"
    geometry.attrib.pop("srsName", None)
