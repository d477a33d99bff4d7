"""The TIME dimension and the extents in WMS capabilities, from the catalogue as it is now.

MapProxy writes dimensions only from value lists fixed in its configuration (and expands time
ranges into lists). A rolling archive's extent moves with every ingestion and eviction, so the
wrapper adds the dimension to MapProxy's capabilities document: for each layer the time span of
its collection's products (:func:`ogc_server.archive.extents.collection_extents`), as a
continuous interval ``start/end/PT1S``, the default being the latest acquisition. A request
without TIME shows every product, newest on top: the latest view of every place. The layer's
bounding boxes become the extent of its collection's footprints (MapProxy would say "the
world"), so a client zooms to where the data is.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pyproj
from lxml import etree

from ogc_server.archive.extents import collection_extents
from ogc_server.archive.store import ProductStore
from ogc_server.ingest.xmlsafe import parse_xml
from ogc_server.view.timeparam import format_instant
from plugins.mapproxy_.config import LayerSpec, north_first

WMS_NS = "http://www.opengis.net/wms"
WMTS_NS = "http://www.opengis.net/wmts/1.0"
OWS_NS = "http://www.opengis.net/ows/1.1"
#: Layer children that come before Dimension in both versions' schemas (1.1.1 DTD, 1.3.0 XSD).
BEFORE_DIMENSION = frozenset({"Name", "Title", "Abstract", "KeywordList", "SRS", "CRS",
                              "LatLonBoundingBox", "EX_GeographicBoundingBox", "BoundingBox"})


def call(app: Callable[..., Iterable[bytes]],
         environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """Status, headers and whole body of ``app``'s answer (to edit a document before it goes)."""
    captured: dict[str, Any] = {}

    def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured.update(status=status, headers=headers)
        return lambda data: None

    body = b"".join(app(environ, capture))
    return captured["status"], captured["headers"], body


def with_length(headers: list[tuple[str, str]], body: bytes) -> list[tuple[str, str]]:
    kept = [(k, v) for k, v in headers if k.lower() != "content-length"]
    return [*kept, ("Content-Length", str(len(body)))]


def with_time(document: bytes, store: ProductStore, layers: Mapping[str, LayerSpec]) -> bytes:
    """``document`` (WMS 1.1.1 or 1.3.0 capabilities) with a TIME dimension per layer."""
    tree = etree.ElementTree(parse_xml(document, allow_doctype=True))
    root = tree.getroot()
    v13 = root.tag.startswith("{")
    extents = collection_extents(store)
    for layer in root.iter(f"{{{WMS_NS}}}Layer" if v13 else "Layer"):
        name = layer.find(f"{{{WMS_NS}}}Name" if v13 else "Name")
        spec = layers.get(name.text or "") if name is not None else None
        extent = extents.get(spec.collection) if spec else None
        if extent is None or extent.start is None or extent.end is None:
            continue
        span = f"{format_instant(extent.start)}/{format_instant(extent.end)}/PT1S"
        default = format_instant(extent.end)
        if extent.bbox is not None:
            _set_bounds(layer, extent.bbox, v13)
        position = _insert_position(layer)
        if v13:
            dimension = etree.Element(f"{{{WMS_NS}}}Dimension", name="time", units="ISO8601",
                                      default=default, nearestValue="0")
            dimension.text = span
            layer.insert(position, dimension)
        else:
            extent_el = etree.Element("Extent", name="time", default=default, nearestValue="0")
            extent_el.text = span
            layer.insert(position, extent_el)
            layer.insert(position, etree.Element("Dimension", name="time", units="ISO8601"))
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def _set_bounds(layer: etree._Element, bbox: tuple[float, float, float, float],
                v13: bool) -> None:
    """Write ``bbox`` (lon/lat) into the layer's geographic and CRS bounding boxes."""
    west, south, east, north = bbox
    ns = f"{{{WMS_NS}}}" if v13 else ""
    geographic = layer.find(f"{ns}EX_GeographicBoundingBox")
    if geographic is not None:
        for name, value in (("westBoundLongitude", west), ("eastBoundLongitude", east),
                            ("southBoundLatitude", south), ("northBoundLatitude", north)):
            element = geographic.find(f"{ns}{name}")
            if element is not None:
                element.text = _number(value)
    latlon = layer.find("LatLonBoundingBox")
    if latlon is not None:
        _set_box(latlon, (west, south, east, north))
    for box in layer.findall(f"{ns}BoundingBox"):
        code = box.get("CRS" if v13 else "SRS")
        if not code:
            continue
        try:
            projected = _project(code, (west, south, east, north))
        except pyproj.exceptions.ProjError:
            continue
        if v13 and north_first(code):
            projected = (projected[1], projected[0], projected[3], projected[2])
        _set_box(box, projected)


def _project(code: str, bbox: tuple[float, float, float, float]
             ) -> tuple[float, float, float, float]:
    west, south, east, north = bbox
    if code in {"EPSG:3857", "EPSG:900913"}:  # Web Mercator ends short of the poles
        south, north = max(south, -85.0511), min(north, 85.0511)
    transformer = pyproj.Transformer.from_crs("EPSG:4326", code, always_xy=True)
    result = transformer.transform_bounds(west, south, east, north, densify_pts=21)
    if not all(math.isfinite(v) for v in result):
        raise pyproj.exceptions.ProjError(f"{bbox} has no extent in {code}")
    return result


def _set_box(element: etree._Element, box: tuple[float, float, float, float]) -> None:
    for name, value in zip(("minx", "miny", "maxx", "maxy"), box, strict=True):
        element.set(name, _number(value))


def _number(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def with_wmts_time(document: bytes, store: ProductStore,
                   layers: Mapping[str, LayerSpec]) -> bytes:
    """``document`` (WMTS 1.0 capabilities) with a Time dimension per layer (KVP ``TIME=``)."""
    tree = etree.ElementTree(parse_xml(document, allow_doctype=True))
    extents = collection_extents(store)
    for layer in tree.getroot().iter(f"{{{WMTS_NS}}}Layer"):
        identifier = layer.find(f"{{{OWS_NS}}}Identifier")
        spec = layers.get(identifier.text or "") if identifier is not None else None
        extent = extents.get(spec.collection) if spec else None
        link = layer.find(f"{{{WMTS_NS}}}TileMatrixSetLink")
        if extent is None or extent.start is None or extent.end is None or link is None:
            continue
        dimension = etree.Element(f"{{{WMTS_NS}}}Dimension")
        etree.SubElement(dimension, f"{{{OWS_NS}}}Identifier").text = "Time"
        etree.SubElement(dimension, f"{{{OWS_NS}}}UOM").text = "ISO8601"
        etree.SubElement(dimension, f"{{{WMTS_NS}}}Default").text = format_instant(extent.end)
        etree.SubElement(dimension, f"{{{WMTS_NS}}}Value").text = (
            f"{format_instant(extent.start)}/{format_instant(extent.end)}/PT1S")
        link.addprevious(dimension)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def _insert_position(layer: etree._Element) -> int:
    position = 0
    for index, child in enumerate(layer):
        if isinstance(child.tag, str) and etree.QName(child).localname in BEFORE_DIMENSION:
            position = index + 1
    return position
