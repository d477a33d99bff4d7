"""What the WFS serves: one feature type per archive collection, its attributes and CRSs.

Every feature type has the same attributes (the catalogue's properties) and one geometry, the
product footprint. Attribute names are the EO OpenSearch spellings where the catalogue has one
(``cloudCover``, ``startDate``), so a filter may use them or any alias of
:mod:`ogc_server.archive.properties`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from ogc_server.archive.model import Collection
from ogc_server.archive.properties import ALIASES, COLUMNS, DATETIME_PROPERTIES
from ogc_server.web.wfs.errors import WfsError

PREFIX = "codede"
GML = "http://www.opengis.net/gml/3.2"
WFS = "http://www.opengis.net/wfs/2.0"
FES = "http://www.opengis.net/fes/2.0"
XSD = "http://www.w3.org/2001/XMLSchema"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XLINK = "http://www.w3.org/1999/xlink"
WFS_SCHEMA = "http://schemas.opengis.net/wfs/2.0/wfs.xsd"
GML_SCHEMA = "http://schemas.opengis.net/gml/3.2.1/gml.xsd"
GEOMETRY = "footprint"
GML_32 = "application/gml+xml; version=3.2"
GEOJSON = "application/geo+json"
#: outputFormat values -> the encoding they ask for.
OUTPUT_FORMATS = {
    GML_32: "gml", "application/gml+xml": "gml", "text/xml; subtype=gml/3.2": "gml",
    "gml32": "gml", "text/xml": "gml", "application/xml": "gml",
    GEOJSON: "geojson", "application/json": "geojson", "json": "geojson",
    "geojson": "geojson",
}
GET_FEATURE_BY_ID = "urn:ogc:def:query:OGC-WFS::GetFeatureById"

CRS_URN = "urn:ogc:def:crs:EPSG::4326"
#: srsName spellings -> whether coordinates are latitude first.
CRS_NAMES = {
    CRS_URN: True,
    "http://www.opengis.net/def/crs/EPSG/0/4326": True,
    "urn:x-ogc:def:crs:EPSG:4326": True,
    "EPSG:4326": False,  # the short form is read and written longitude first, as clients expect
    "urn:ogc:def:crs:OGC:1.3:CRS84": False,
    "http://www.opengis.net/def/crs/OGC/1.3/CRS84": False,
    "CRS84": False,
    "OGC:CRS84": False,
}
OTHER_CRS = ("urn:ogc:def:crs:OGC:1.3:CRS84",)
_NCNAME = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True, slots=True)
class Field:
    """One attribute of the feature types."""

    name: str
    """The name in the feature (``cloudCover``)."""
    column: str
    """The catalogue property (``cloud_cover``)."""
    xsd: str
    """The XML Schema type (``double``)."""


def _xsd_type(column: str) -> str:
    if column in DATETIME_PROPERTIES:
        return "dateTime"
    try:
        python = COLUMNS[column].type.python_type
    except NotImplementedError:
        return "string"
    if issubclass(python, datetime):
        return "dateTime"
    if python is int:
        return "long"
    if python is float:
        return "double"
    return "string"


def _fields() -> tuple[Field, ...]:
    names: dict[str, str] = {}
    for alias, column in ALIASES.items():
        # the first camelCase alias of a property is its EO OpenSearch name
        if column not in names and re.fullmatch(r"[a-z]+(?:[A-Z][a-z]+)+", alias):
            names[column] = alias
    names["start"], names["end"] = "startDate", "endDate"
    names["collection"] = "parentIdentifier"
    return tuple(Field(names.get(c, c), c, _xsd_type(c)) for c in COLUMNS)


FIELDS = _fields()


@dataclass(frozen=True, slots=True)
class FeatureType:
    """A feature type: the footprints of one archive collection."""

    name: str
    """Local name, an NCName (``S2_MSI_L1C``)."""
    collection: Collection

    @property
    def qualified(self) -> str:
        return f"{PREFIX}:{self.name}"


def feature_types(collections: list[Collection]) -> dict[str, FeatureType]:
    """Local name -> feature type, one per collection (names made unique and NCName-safe)."""
    out: dict[str, FeatureType] = {}
    for collection in collections:
        name = _NCNAME.sub("_", collection.short_name)
        if not name[:1].isalpha() and name[:1] != "_":
            name = "_" + name
        if name in out:
            name = _NCNAME.sub("_", collection.identifier)
        out[name] = FeatureType(name, collection)
    return out


def namespace(public_url: str) -> str:
    """The target namespace of the feature types (stable per deployment)."""
    return f"{public_url.rstrip('/')}/wfs/{PREFIX}"


def resolve_type_names(text: str, types: dict[str, FeatureType],
                       locator: str = "typeNames") -> list[FeatureType]:
    """The feature types a ``typeNames`` value names (prefixed or not; comma-separated in
    KVP, space-separated in XML).

    Joins (several names in one parenthesised tuple) are not offered; parentheses around
    single names are accepted.
    """
    names = [n.strip("()") for n in re.split(r"[,\s]+", text.strip())]
    if not any(names):
        raise WfsError("MissingParameterValue", "typeNames is empty", locator)
    out: list[FeatureType] = []
    for name in names:
        if not name:
            continue
        local = name.rpartition(":")[2]
        if name.startswith("{"):  # Clark notation
            local = name.rpartition("}")[2]
        found = types.get(local)
        if found is None:
            raise WfsError("InvalidParameterValue", f"unknown feature type {name!r}", locator)
        if found not in out:
            out.append(found)
    return out


def crs_axis_lat_first(srs_name: str | None, locator: str = "srsName") -> bool:
    """Whether ``srs_name`` (default: the feature types' CRS) puts latitude first."""
    if srs_name is None:
        return True
    try:
        return CRS_NAMES[srs_name.strip()]
    except KeyError:
        raise WfsError("InvalidParameterValue",
                       f"CRS {srs_name!r} is not offered (EPSG:4326 or CRS84)",
                       locator) from None


def gml_id(feature_type: FeatureType, identifier: str) -> str:
    """The ``gml:id`` of a product: ``<type>.<identifier>``, an NCName."""
    return f"{feature_type.name}.{_NCNAME.sub('_', identifier)}"
