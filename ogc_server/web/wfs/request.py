"""GetFeature requests (KVP and XML) read into one :class:`GetFeature` and its ProductQuery.

Nothing here touches the catalogue: a request becomes a
:class:`~ogc_server.archive.query.ProductQuery` (collections, identifiers, a box, a
pygeofilter AST from the FES 2.0 filter, sort keys, limit and offset), which the blueprint
hands to the store like every other interface does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from shapely.geometry.base import BaseGeometry

from ogc_server.archive.query import MAX_LIMIT, ProductQuery, bbox_geometry
from ogc_server.errors import InvalidQuery
from ogc_server.ingest.xmlsafe import XMLError, parse_xml
from ogc_server.web.wfs.errors import WfsError
from ogc_server.web.wfs.fes import column, parse_filter, read_filter
from ogc_server.web.wfs.model import (
    CRS_URN,
    FES,
    FIELDS,
    GEOMETRY,
    GET_FEATURE_BY_ID,
    OUTPUT_FORMATS,
    WFS,
    FeatureType,
    crs_axis_lat_first,
    resolve_type_names,
)

DEFAULT_COUNT = 100
MAX_COUNT = MAX_LIMIT
MAX_START_INDEX = 10**12
MAX_BODY = 1 << 20
MAX_IDS = 1000
_FIELD_COLUMNS = {f.name: f.column for f in FIELDS}


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
    kvp: list[tuple[str, str]] | None = None
    """The same request as KVP, for the paging links of an XML-encoded request."""


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
        _apply_filter(request.query, parse_filter(text.encode()), types, dialect)
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
    kvp = [("SERVICE", "WFS"), ("VERSION", "2.0.0"), ("REQUEST", "GetFeature"),
           ("TYPENAMES", ",".join(t.qualified for t in request.types))]
    for key, value in (("SRSNAME", query.get("srsName")),
                       ("OUTPUTFORMAT", root.get("outputFormat"))):
        if value:
            kvp.append((key, value))
    request.kvp = kvp
    for child in query:
        if not isinstance(child.tag, str):
            continue
        if child.tag == f"{{{FES}}}Filter":
            kvp.append(("FILTER", etree.tostring(child, encoding="unicode")))
            _apply_filter(request.query, child, types, dialect)
        elif child.tag == f"{{{FES}}}SortBy":
            keys = []
            for prop in child.iter(f"{{{FES}}}SortProperty"):
                name = prop.findtext(f"{{{FES}}}ValueReference", "")
                order = prop.findtext(f"{{{FES}}}SortOrder", "ASC")
                keys.append(f"{name} {order}")
            request.query.sort = parse_sortby(",".join(keys))
            kvp.append(("SORTBY", ",".join(keys)))
        elif child.tag == f"{{{WFS}}}PropertyName":
            request.properties += _property_names([child.text or ""])
    if request.properties:
        kvp.append(("PROPERTYNAME", ",".join(request.properties)))
    return request


def parse_xml_request(body: bytes) -> etree._Element:
    """A POSTed request document, read by the project's hardened parser."""
    try:
        return parse_xml(body, max_bytes=MAX_BODY)
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
        keys.append((column(words[0], "SORTBY"), order in ("ASC", "A")))
    if not any(name == "identifier" for name, _ in keys):
        keys.append(("identifier", True))
    return keys


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


def _apply_filter(query: ProductQuery, root: etree._Element, types: dict[str, FeatureType],
                  dialect: str) -> None:
    """Put the FES 2.0 filter ``root`` into ``query``: resource ids or a pygeofilter AST."""
    read = read_filter(root, dialect)
    if isinstance(read, list):
        query.identifiers = _identifiers(read, types)
    else:
        query.filter = read
