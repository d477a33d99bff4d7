"""The OpenSearch request parameters (CODE-DE/FedEO dialect) and their parsing.

:data:`PARAMETERS` is the one table of what the search accepts; the description documents are
generated from it. :func:`parse` turns the query string into a :class:`SearchRequest` holding a
:class:`~ogc_server.archive.query.ProductQuery`. Pure: no settings, no database, no Flask.
Unknown parameters are ignored (OpenSearch practice); empty values count as absent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ogc_server.archive.query import Like, ProductQuery
from ogc_server.errors import InvalidQuery
from ogc_server.web.opensearch import geometry as geo
from ogc_server.web.opensearch import ranges
from ogc_server.web.opensearch.normalise import NORMALISERS

DEFAULT_COUNT = 50
MAX_COUNT = 500

#: Response formats: key -> media type.
FORMATS = {
    "atom": "application/atom+xml",
    "geojson": "application/geo+json",
    "sru": "application/sru+xml",
    "om": "application/gml+xml",
}
_FORMAT_NAMES = {
    "application/atom+xml": "atom", "atom": "atom",
    "application/geo+json": "geojson", "application/json": "geojson", "geojson": "geojson",
    "json": "geojson",
    "application/sru+xml": "sru", "sru": "sru",
    "application/gml+xml": "om",
    "application/metalink4+xml": "metalink",
}
TIME_RELATIONS = ("intersects", "during", "contains", "equals", "disjoint")
SPATIAL_RELATIONS = ("intersects", "within", "contains", "disjoint")
RECORD_SCHEMAS = ("om",)
#: ``sortBy`` names -> catalogue properties.
SORT_KEYS = {
    "startDate": "start", "endDate": "end", "completionDate": "end",
    "creationDate": "creation_date", "modificationDate": "modification_date",
    "published": "ingestion_date", "cloudCover": "cloud_cover", "orbitNumber": "orbit_number",
    "uid": "identifier", "identifier": "identifier", "title": "identifier",
}
#: Other spellings clients use for the same parameters (resto, OpenSearch core).
ALIASES = {"maxRecords": "maximumRecords", "count": "maximumRecords",
           "startIndex": "startRecord", "completionDate": "endDate", "q": "query"}


@dataclass(frozen=True, slots=True)
class Parameter:
    """One search parameter: its name in the URL, its OpenSearch token, how to read it."""

    name: str
    token: str
    title: str
    kind: str
    """``text``, ``int``, ``number``, ``date`` (range syntax allowed) or ``special``."""
    prop: str | None = None
    """The catalogue property it filters (``ProductQuery.where`` key)."""
    minimum: float | None = None
    maximum: float | None = None
    options: tuple[str, ...] = ()
    """A closed vocabulary (validated); open vocabularies get their options from the data."""
    pattern: str | None = None
    collections: bool = False
    """Also a parameter of the collection search."""
    family: str | None = None
    """Announced only for collections of this mission family (``sar``, ``opt``)."""


_NUMBER = r"[+-]?\d+(\.\d+)?"
_DATE = r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?"
DATE_PATTERN = _DATE
BOX_PATTERN = rf"{_NUMBER}(,{_NUMBER}){{3}}"

PARAMETERS: tuple[Parameter, ...] = (
    Parameter("query", "searchTerms", "Free text: words of the identifier (collections: of the "
              "title, abstract and keywords)", "special", collections=True),
    Parameter("startDate", "time:start", "Start of the time window (ISO 8601, UTC)", "special",
              pattern=_DATE, collections=True),
    Parameter("endDate", "time:end", "End of the time window (ISO 8601, UTC)", "special",
              pattern=_DATE, collections=True),
    Parameter("timerelation", "time:relation", "Relation of the acquisition time to the window",
              "special", options=TIME_RELATIONS),
    Parameter("bbox", "geo:box", "Bounding box: west,south,east,north (EPSG:4326 degrees)",
              "special", pattern=BOX_PATTERN, collections=True),
    Parameter("geometry", "geo:geometry", "WKT geometry, longitude latitude (EPSG:4326)",
              "special", collections=True),
    Parameter("lat", "geo:lat", "Latitude of the search point (degrees)", "special",
              minimum=-90, maximum=90, collections=True),
    Parameter("lon", "geo:lon", "Longitude of the search point (degrees)", "special",
              minimum=-180, maximum=180, collections=True),
    Parameter("radius", "geo:radius", "Search radius around lat/lon (metres)", "special",
              minimum=geo.MIN_RADIUS, maximum=geo.MAX_RADIUS, collections=True),
    Parameter("relation", "geo:relation", "Spatial relation of the footprint to the search "
              "area", "special", options=SPATIAL_RELATIONS),
    Parameter("uid", "geo:uid", "Identifier of a product (collections: of a collection)",
              "special", collections=True),
    Parameter("platform", "eo:platform", "Platform short name", "text", "platform",
              collections=True),
    Parameter("platformSerialIdentifier", "eo:platformSerialIdentifier",
              "Platform serial identifier", "text", "platform_serial_identifier"),
    Parameter("instrument", "eo:instrument", "Instrument short name", "text", "instrument",
              collections=True),
    Parameter("sensorMode", "eo:sensorMode", "Sensor mode", "text", "sensor_mode"),
    Parameter("productType", "eo:productType", "Product type", "text", "product_type",
              collections=True),
    Parameter("processingLevel", "eo:processingLevel", "Processing level", "text",
              "processing_level", collections=True),
    Parameter("orbitDirection", "eo:orbitDirection", "Orbit direction", "text",
              "orbit_direction", options=("ASCENDING", "DESCENDING")),
    Parameter("orbitNumber", "eo:orbitNumber", "Absolute orbit number (range syntax)", "int",
              "orbit_number", minimum=0),
    Parameter("relativeOrbitNumber", "eo:track", "Relative orbit number (range syntax)", "int",
              "relative_orbit_number", minimum=0),
    Parameter("cloudCover", "eo:cloudCover", "Cloud cover in percent (range syntax)", "number",
              "cloud_cover", minimum=0, maximum=100, family="opt"),
    Parameter("snowCover", "eo:snowCover", "Snow cover in percent (range syntax)", "number",
              "snow_cover", minimum=0, maximum=100, family="opt"),
    Parameter("polarisationMode", "eo:polarisationMode", "Polarisation mode (S single, D dual)",
              "text", "polarisation_mode", family="sar"),
    Parameter("polarisationChannels", "eo:polarisationChannels",
              "Polarisation channels, e.g. VV, VH", "text", "polarisation_channels",
              family="sar"),
    Parameter("antennaLookDirection", "eo:antennaLookDirection", "Antenna look direction",
              "text", "antenna_look_direction", options=("LEFT", "RIGHT"), family="sar"),
    Parameter("minimumIncidenceAngle", "eo:minimumIncidenceAngle",
              "Minimum incidence angle in degrees (range syntax)", "number",
              "minimum_incidence_angle", minimum=0, maximum=90, family="sar"),
    Parameter("maximumIncidenceAngle", "eo:maximumIncidenceAngle",
              "Maximum incidence angle in degrees (range syntax)", "number",
              "maximum_incidence_angle", minimum=0, maximum=90, family="sar"),
    Parameter("resolution", "eo:resolution", "Resolution in metres (range syntax)", "number",
              "resolution", minimum=0),
    Parameter("tileId", "eo:tileId", "MGRS tile, e.g. 32UNE", "text", "tile_id",
              pattern=r"T?\d{2}[A-Za-z]{3}", family="opt"),
    Parameter("productionStatus", "eo:productionStatus", "Production status", "text",
              "production_status"),
    Parameter("creationDate", "eo:creationDate", "Product creation date (range syntax)", "date",
              "creation_date", pattern=_DATE),
    Parameter("modificationDate", "eo:modificationDate",
              "Catalogue modification date (range syntax)", "date", "modification_date",
              pattern=_DATE),
    Parameter("classifiedAs", "semantic:classifiedAs", "Keyword of the collection", "special",
              collections=True),
    Parameter("maximumRecords", "count", "Number of results per page", "special", minimum=0,
              maximum=MAX_COUNT, collections=True),
    Parameter("startRecord", "startIndex", "Index of the first result (1-based)", "special",
              minimum=1, collections=True),
    Parameter("startPage", "startPage", "Page number (1-based)", "special", minimum=1,
              collections=True),
    Parameter("sortKeys", "sru:sortKeys", "Sort keys: name,,1 (ascending) or name,,0",
              "special", collections=False),
    Parameter("recordSchema", "sru:recordSchema", "Record schema of embedded records",
              "special", options=RECORD_SCHEMAS),
    Parameter("parentIdentifier", "eo:parentIdentifier", "Collection identifier", "special"),
)
BY_NAME: dict[str, Parameter] = {p.name: p for p in PARAMETERS}
#: Accepted but not templated: sorting by name and the response format.
EXTRA_NAMES = ("sortBy", "sortDir", "httpAccept")


@dataclass(slots=True)
class SearchRequest:
    """A parsed request: the catalogue question plus paging, format and what to echo."""

    query: ProductQuery
    parent: str | None = None
    count: int = DEFAULT_COUNT
    offset: int = 0
    fmt: str | None = None
    """The ``httpAccept`` format key, or None (negotiate with the Accept header)."""
    record_schema: str | None = None
    classified_as: str | None = None
    terms: list[tuple[str, str]] = field(default_factory=list)
    """(name, cleaned value) of the accepted parameters but paging and format, in request
    order: echoed in links and ``os:Query``."""

    @property
    def start_index(self) -> int:
        return self.offset + 1


def parse(pairs: Iterable[tuple[str, str]]) -> SearchRequest:
    """Parse the query string's (name, value) pairs; the first of a repeated name counts."""
    values: dict[str, str] = {}
    for raw_name, raw_value in pairs:
        name = ALIASES.get(raw_name, raw_name)
        if name in values or (name not in BY_NAME and name not in EXTRA_NAMES):
            continue
        if name == "geometry":
            value = ranges.clean(name, raw_value, geo.MAX_WKT_LENGTH)
        else:
            value = ranges.clean(name, raw_value)
        if value:
            values[name] = value
    request = SearchRequest(query=ProductQuery(sort=[("start", False)]))
    for name, value in values.items():
        if BY_NAME.get(name) and BY_NAME[name].kind != "special":
            _filter(request.query, BY_NAME[name], value)
    _special(request, values)
    request.terms = [(n, v) for n, v in values.items() if n not in _NOT_ECHOED]
    return request


_NOT_ECHOED = ("maximumRecords", "startRecord", "startPage", "httpAccept")


def _special(request: SearchRequest, values: dict[str, str]) -> None:
    query = request.query
    request.parent = values.get("parentIdentifier")
    if "parentIdentifier" in values:
        query.collections = [values["parentIdentifier"]]
    if "query" in values:
        if len(values["query"].split()) > 16:
            raise InvalidQuery("query has too many words (16 at most)", locator="query")
        query.text = values["query"]
    if "uid" in values:
        uid = ranges.text_value("uid", values["uid"])
        query.identifiers = [_strip_prefix(u) for u in (uid if isinstance(uid, list) else [uid])]
    _time(query, values)
    _space(query, values)
    request.classified_as = values.get("classifiedAs")
    request.count = ranges.integer("maximumRecords", values.get("maximumRecords", "50"), 0,
                                   MAX_COUNT)
    start_record = ranges.integer("startRecord", values.get("startRecord", "1"), 1)
    start_page = ranges.integer("startPage", values.get("startPage", "1"), 1)
    request.offset = (start_page - 1) * request.count + start_record - 1
    if request.offset > ranges.INT_MAX:
        raise InvalidQuery("startPage and startRecord point too far", locator="startPage")
    query.limit, query.offset = request.count, request.offset
    query.sort = _sort(values)
    request.fmt = format_key(values["httpAccept"]) if "httpAccept" in values else None
    if "recordSchema" in values:
        schema = values["recordSchema"].lower()
        if schema not in RECORD_SCHEMAS:
            raise InvalidQuery(f"recordSchema must be one of {', '.join(RECORD_SCHEMAS)}",
                               locator="recordSchema")
        request.record_schema = schema


def _strip_prefix(uid: str) -> str:
    """``EOP:CODE-DE:S2_MSI_L1C:/S2A_...`` (FedEO's form) -> ``S2A_...``."""
    return uid.rsplit(":/", 1)[-1]


def _time(query: ProductQuery, values: dict[str, str]) -> None:
    for name, prop in (("startDate", "start"), ("endDate", "end")):
        if name not in values:
            continue
        text = values[name]
        if any(c in text for c in "[]{}"):
            query.where[prop] = ranges.date_range(name, text)
        elif name == "startDate":
            query.start = ranges.moment(name, text)
        else:
            query.end = ranges.moment(name, text, end_of_day=True)
    if query.start and query.end and query.start > query.end:
        raise InvalidQuery("startDate is after endDate", locator="startDate")
    relation = values.get("timerelation", "intersects").lower()
    if relation not in TIME_RELATIONS:
        raise InvalidQuery(f"timerelation must be one of {', '.join(TIME_RELATIONS)}",
                           locator="timerelation")
    query.time_relation = relation


def _space(query: ProductQuery, values: dict[str, str]) -> None:
    areas = []
    if "bbox" in values:
        areas.append(("bbox", geo.parse_bbox(values["bbox"])))
    if "geometry" in values:
        areas.append(("geometry", geo.parse_wkt(values["geometry"])))
    circle = geo.point_radius(values.get("lat"), values.get("lon"), values.get("radius"))
    if circle is not None:
        areas.append(("lat", circle))
    if len(areas) > 1:
        raise InvalidQuery("give one search area: bbox, geometry or lat/lon/radius",
                           locator=areas[1][0])
    if areas:
        query.geometry = areas[0][1]
    relation = values.get("relation", "intersects").lower()
    if relation not in SPATIAL_RELATIONS:
        raise InvalidQuery(f"relation must be one of {', '.join(SPATIAL_RELATIONS)}",
                           locator="relation")
    query.spatial_relation = relation


def _sort(values: dict[str, str]) -> list[tuple[str, bool]]:
    if "sortKeys" in values:
        keys = []
        for item in values["sortKeys"].split():
            parts = item.split(",")
            name = parts[0]
            ascending = parts[2] if len(parts) > 2 else "1"
            if name not in SORT_KEYS or ascending not in ("0", "1") or len(parts) > 4:
                raise InvalidQuery(
                    f"sortKeys: {item!r}; use key,,1 or key,,0 with key one of "
                    f"{', '.join(SORT_KEYS)}", locator="sortKeys")
            keys.append((SORT_KEYS[name], ascending == "1"))
        if len(keys) > 4:
            raise InvalidQuery("sortKeys: 4 keys at most", locator="sortKeys")
        return keys
    name = values.get("sortBy", "startDate")
    if name not in SORT_KEYS:
        raise InvalidQuery(f"sortBy must be one of {', '.join(SORT_KEYS)}", locator="sortBy")
    direction = values.get("sortDir", "DESC" if "sortBy" not in values else "ASC").upper()
    if direction not in ("ASC", "DESC", "ASCENDING", "DESCENDING"):
        raise InvalidQuery("sortDir must be ASC or DESC", locator="sortDir")
    return [(SORT_KEYS[name], direction.startswith("ASC"))]


def format_key(value: str) -> str:
    """The format key of an ``httpAccept`` value (media type parameters are ignored)."""
    media = value.split(";", 1)[0].strip().lower()
    if media not in _FORMAT_NAMES:
        raise InvalidQuery(
            f"httpAccept: {value!r} is not served; use one of {', '.join(FORMATS.values())}",
            locator="httpAccept",
        )
    return _FORMAT_NAMES[media]


# Filters on properties --------------------------------------------------------------------


def _filter(query: ProductQuery, param: Parameter, text: str) -> None:
    name = param.name
    if param.kind == "int":
        value: Any = ranges.numeric_range(name, text, integer_values=True)
    elif param.kind == "number":
        value = ranges.numeric_range(name, text, low=param.minimum, high=param.maximum)
    elif param.kind == "date":
        value = ranges.date_range(name, text)
    else:
        value = _text(param, text)
    if name == "platform":
        value = _platform(query, value)
    if param.prop:
        query.where[param.prop] = value


def _text(param: Parameter, text: str) -> Any:
    value = ranges.text_value(param.name, text)
    normalise = NORMALISERS.get(param.name, str.strip)
    items = [normalise(v) for v in (value if isinstance(value, list) else [value])]
    if param.options:
        for item in items:
            if item not in param.options:
                raise InvalidQuery(
                    f"{param.name} must be one of {', '.join(param.options)}",
                    locator=param.name)
    if param.pattern:
        for item in items:
            if "*" not in item and "?" not in item and not re.fullmatch(param.pattern, item):
                raise InvalidQuery(f"{param.name}: {item!r} is not a valid value",
                                   locator=param.name)
    wild = [i for i in items if "*" in i or "?" in i]
    if wild:
        if len(items) > 1:
            raise InvalidQuery(f"{param.name}: wildcards are not allowed in a set",
                               locator=param.name)
        return Like(wild[0])
    if param.name == "sensorMode":
        return Like(items[0]) if len(items) == 1 else items  # "Earth Observation", "IW" ...
    return items if isinstance(value, list) else items[0]


def _platform(query: ProductQuery, value: Any) -> Any:
    """``S2A`` (short form) also sets the serial identifier."""
    if isinstance(value, str):
        match = re.fullmatch(r"Sentinel-(\d)([A-D])", value)
        if match:
            query.where.setdefault("platform_serial_identifier", match[2])
            return f"Sentinel-{match[1]}"
    return value
