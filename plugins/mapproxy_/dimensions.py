"""The TIME dimension in WMS capabilities, from the catalogue as it is now.

MapProxy writes dimensions only from value lists fixed in its configuration (and expands time
ranges into lists). A rolling archive's extent moves with every ingestion and eviction, so the
wrapper adds the dimension to MapProxy's capabilities document: for each layer the time span of
its collection's products (:func:`ogc_server.archive.extents.collection_extents`), as a
continuous interval ``start/end/PT1S``, the default being the latest acquisition. A request
without TIME shows every product, newest on top: the latest view of every place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from lxml import etree

from ogc_server.archive.extents import collection_extents
from ogc_server.archive.store import ProductStore
from ogc_server.view.timeparam import format_instant
from plugins.mapproxy_.config import LayerSpec

WMS_NS = "http://www.opengis.net/wms"
WMTS_NS = "http://www.opengis.net/wmts/1.0"
OWS_NS = "http://www.opengis.net/ows/1.1"
#: Layer children that come before Dimension in both versions' schemas (1.1.1 DTD, 1.3.0 XSD).
BEFORE_DIMENSION = frozenset({"Name", "Title", "Abstract", "KeywordList", "SRS", "CRS",
                              "LatLonBoundingBox", "EX_GeographicBoundingBox", "BoundingBox"})
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                          huge_tree=False)


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


def add_time(status: str, headers: list[tuple[str, str]], body: bytes,
             start_response: Callable[..., Any], store: ProductStore,
             layers: Mapping[str, LayerSpec]) -> list[bytes]:
    """Answer MapProxy's GetCapabilities document with the TIME dimensions added."""
    content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
    if status.startswith("200") and "xml" in content_type:
        body = with_time(body, store, layers)
        headers = with_length(headers, body)
    start_response(status, headers)
    return [body]


def with_time(document: bytes, store: ProductStore, layers: Mapping[str, LayerSpec]) -> bytes:
    """``document`` (WMS 1.1.1 or 1.3.0 capabilities) with a TIME dimension per layer."""
    tree = etree.ElementTree(etree.fromstring(document, _PARSER))
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


def with_wmts_time(document: bytes, store: ProductStore,
                   layers: Mapping[str, LayerSpec]) -> bytes:
    """``document`` (WMTS 1.0 capabilities) with a Time dimension per layer (KVP ``TIME=``)."""
    tree = etree.ElementTree(etree.fromstring(document, _PARSER))
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
