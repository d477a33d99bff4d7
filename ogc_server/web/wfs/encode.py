"""GetFeature answers: a WFS 2.0 ``wfs:FeatureCollection`` of GML 3.2 features, or GeoJSON.

Coordinates follow the requested CRS's axis order: latitude first for EPSG:4326 in its URN
and URI forms (the default), longitude first for CRS84 and the short ``EPSG:4326``. GeoJSON
is always longitude first (RFC 7946).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from lxml import etree
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from ogc_server.archive.model import Product
from ogc_server.web.wfs.model import (
    FIELDS,
    GEOMETRY,
    GML,
    GML_SCHEMA,
    PREFIX,
    WFS,
    WFS_SCHEMA,
    XSI,
    FeatureType,
    gml_id,
)

_FIELD_BY_NAME = {f.name: f for f in FIELDS}


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Enum):
        return value.value
    return value


def attributes(product: Product, selected: Sequence[str] = ()) -> list[tuple[str, Any]]:
    """(attribute name, value) of ``product`` in schema order, without empty values."""
    fields = FIELDS if not selected else [f for f in FIELDS if f.name in set(selected)]
    out = []
    for f in fields:
        value = getattr(product, f.column, None)
        if value is not None and value != "":
            out.append((f.name, value))
    return out


class GmlWriter:
    """Writes features of the feature types in namespace ``ns``."""

    def __init__(self, ns: str, describe_url: str, *, lat_first: bool, srs_name: str):
        self.ns = ns
        self.describe_url = describe_url
        self.lat_first = lat_first
        self.srs_name = srs_name
        self.nsmap = {"wfs": WFS, "gml": GML, PREFIX: ns, "xsi": XSI}

    def collection(self, members: Sequence[tuple[FeatureType, Product]], *,
                   matched: int | None, returned: int, next_url: str | None = None,
                   previous_url: str | None = None, selected: Sequence[str] = (),
                   type_names: Sequence[str] = ()) -> bytes:
        root = etree.Element(f"{{{WFS}}}FeatureCollection", nsmap=self.nsmap)
        locations = f"{WFS} {WFS_SCHEMA} {GML} {GML_SCHEMA}"
        if type_names:
            locations += f" {self.ns} {self.describe_url}&TYPENAMES={','.join(type_names)}"
        root.set(f"{{{XSI}}}schemaLocation", locations)
        root.set("timeStamp", iso(datetime.now(UTC)))
        root.set("numberMatched", "unknown" if matched is None else str(matched))
        root.set("numberReturned", str(returned))
        if next_url:
            root.set("next", next_url)
        if previous_url:
            root.set("previous", previous_url)
        for feature_type, product in members:
            member = etree.SubElement(root, f"{{{WFS}}}member")
            member.append(self.feature(feature_type, product, selected))
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    def single(self, feature_type: FeatureType, product: Product) -> bytes:
        element = self.feature(feature_type, product, ())
        element.set(f"{{{XSI}}}schemaLocation",
                    f"{GML} {GML_SCHEMA} {self.ns} {self.describe_url}"
                    f"&TYPENAMES={feature_type.qualified}")
        return etree.tostring(element, xml_declaration=True, encoding="UTF-8")

    def feature(self, feature_type: FeatureType, product: Product,
                selected: Sequence[str]) -> etree._Element:
        ns = self.ns
        fid = gml_id(feature_type, product.identifier)
        element = etree.Element(f"{{{ns}}}{feature_type.name}", nsmap=self.nsmap)
        element.set(f"{{{GML}}}id", fid)
        etree.SubElement(element, f"{{{GML}}}identifier",
                         codeSpace=feature_type.collection.identifier).text = product.identifier
        west, south, east, north = product.footprint.bounds
        bounded = etree.SubElement(element, f"{{{GML}}}boundedBy")
        envelope = etree.SubElement(bounded, f"{{{GML}}}Envelope", srsName=self.srs_name,
                                    srsDimension="2")
        etree.SubElement(envelope, f"{{{GML}}}lowerCorner").text = self._pos(west, south)
        etree.SubElement(envelope, f"{{{GML}}}upperCorner").text = self._pos(east, north)
        for name, value in attributes(product, selected):
            etree.SubElement(element, f"{{{ns}}}{name}").text = _text(value)
        geometry = etree.SubElement(element, f"{{{ns}}}{GEOMETRY}")
        geometry.append(self.geometry(product.footprint, fid))
        return element

    def geometry(self, geom: BaseGeometry, fid: str) -> etree._Element:
        """A GML 3.2 Polygon or MultiSurface (the footprints' shapes)."""
        if geom.geom_type == "Polygon":
            return self._polygon(geom, f"{fid}.geom", self.srs_name)
        if geom.geom_type == "MultiPolygon":
            multi = etree.Element(f"{{{GML}}}MultiSurface", srsName=self.srs_name,
                                  srsDimension="2")
            multi.set(f"{{{GML}}}id", f"{fid}.geom")
            for i, part in enumerate(geom.geoms):
                member = etree.SubElement(multi, f"{{{GML}}}surfaceMember")
                member.append(self._polygon(part, f"{fid}.geom.{i}", None))
            return multi
        # any other shape: its envelope, so that a feature always has a surface
        return self._polygon(geom.envelope, f"{fid}.geom", self.srs_name)

    def _polygon(self, polygon: Any, gid: str, srs_name: str | None) -> etree._Element:
        element = etree.Element(f"{{{GML}}}Polygon")
        element.set(f"{{{GML}}}id", gid)
        if srs_name:
            element.set("srsName", srs_name)
            element.set("srsDimension", "2")
        rings = [("exterior", polygon.exterior)] + [("interior", r) for r in polygon.interiors]
        for kind, ring in rings:
            holder = etree.SubElement(element, f"{{{GML}}}{kind}")
            linear = etree.SubElement(holder, f"{{{GML}}}LinearRing")
            etree.SubElement(linear, f"{{{GML}}}posList").text = " ".join(
                self._pos(x, y) for x, y, *_ in ring.coords)
        return element

    def _pos(self, x: float, y: float) -> str:
        a, b = (y, x) if self.lat_first else (x, y)
        return f"{_num(a)} {_num(b)}"


def _num(value: float) -> str:
    text = f"{value:.8f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


def geojson_feature(feature_type: FeatureType, product: Product,
                    selected: Sequence[str] = ()) -> dict[str, Any]:
    """A GeoJSON feature (longitude first) with the same attributes as the GML one."""
    return {
        "type": "Feature",
        "id": gml_id(feature_type, product.identifier),
        "geometry": mapping(product.footprint),
        "properties": {"featureType": feature_type.qualified,
                       **{n: _json(v) for n, v in attributes(product, selected)}},
    }


def geojson_collection(members: Sequence[tuple[FeatureType, Product]], *,
                       matched: int | None, returned: int, next_url: str | None,
                       previous_url: str | None, selected: Sequence[str] = ()
                       ) -> dict[str, Any]:
    links = []
    if next_url:
        links.append({"rel": "next", "type": "application/geo+json", "href": next_url})
    if previous_url:
        links.append({"rel": "prev", "type": "application/geo+json", "href": previous_url})
    return {
        "type": "FeatureCollection",
        "timeStamp": iso(datetime.now(UTC)),
        "numberMatched": matched,
        "numberReturned": returned,
        "features": [geojson_feature(t, p, selected) for t, p in members],
        "links": links,
    }
