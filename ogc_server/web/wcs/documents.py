"""The WCS 2.0.1 XML documents: Capabilities and CoverageDescriptions (GMLCOV, GML 3.2.1).

The capabilities name the conformance classes we implement (``PROFILES``): WCS core, the KVP
binding, GMLCOV, GeoTIFF coverages, and the CRS, Scaling, Range Subsetting and Interpolation
extensions, and the INSPIRE download-service extended capabilities (:mod:`.inspire`). A
coverage is described as a ``RectifiedGridCoverage`` in its native CRS, axes in
the CRS's own order (EPSG:4326 is latitude first, as its definition says).
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree
from rasterio.crs import CRS

from ogc_server.archive.model import Product
from ogc_server.coverage.grid import axis_labels
from ogc_server.coverage.render import MEDIA_TYPES
from ogc_server.coverage.sources import CoverageSource
from ogc_server.service_metadata import describe_service
from ogc_server.settings import Settings
from ogc_server.web.wcs import inspire
from ogc_server.web.wcs.kvp import INTERPOLATIONS, OUTPUT_CRS, crs_uri

WCS = "http://www.opengis.net/wcs/2.0"
OWS = "http://www.opengis.net/ows/2.0"
GML = "http://www.opengis.net/gml/3.2"
GMLCOV = "http://www.opengis.net/gmlcov/1.0"
SWE = "http://www.opengis.net/swe/2.0"
XLINK = "http://www.w3.org/1999/xlink"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
CRS_EXT = "http://www.opengis.net/wcs/crs/1.0"
INT_EXT = "http://www.opengis.net/wcs/interpolation/1.0"
VERSION = "2.0.1"
OPERATIONS = ("GetCapabilities", "DescribeCoverage", "GetCoverage")
_SPEC = "http://www.opengis.net/spec/"
PROFILES = (
    _SPEC + "WCS/2.0/conf/core",
    _SPEC + "WCS_protocol-binding_get-kvp/1.0/conf/get-kvp",
    _SPEC + "GMLCOV/1.0/conf/gml-coverage",
    _SPEC + "GMLCOV_geotiff-coverages/1.0/conf/geotiff-coverage",
    _SPEC + "WCS_service-extension_crs/1.0/conf/crs",
    _SPEC + "WCS_service-extension_crs/1.0/conf/crs-gridded-coverage",
    _SPEC + "WCS_service-extension_scaling/1.0/conf/scaling",
    _SPEC + "WCS_service-extension_range-subsetting/1.0/conf/record-subsetting",
    _SPEC + "WCS_service-extension_interpolation/1.0/conf/interpolation",
)
NIL_REASON = "http://www.opengis.net/def/nil/OGC/0/missing"
NSMAP = {"wcs": WCS, "ows": OWS, "gml": GML, "gmlcov": GMLCOV, "swe": SWE, "xlink": XLINK,
         "xsi": XSI}


def _el(parent: etree._Element, ns: str, tag: str, text: str | None = None,
        **attributes: str) -> etree._Element:
    node = etree.SubElement(parent, f"{{{ns}}}{tag}", **attributes)
    if text is not None:
        node.text = text
    return node


def capabilities(settings: Settings, products: Iterable[Product]) -> etree._Element:
    """``wcs:Capabilities`` with one ``CoverageSummary`` per product that is a coverage."""
    root = etree.Element(f"{{{WCS}}}Capabilities", version=VERSION,
                         nsmap={**NSMAP, "crs": CRS_EXT, "int": INT_EXT})
    root.set(f"{{{XSI}}}schemaLocation",
             f"{WCS} http://schemas.opengis.net/wcs/2.0/wcsAll.xsd")
    ident = _el(root, OWS, "ServiceIdentification")
    service = describe_service(settings, "wcs")
    _el(ident, OWS, "Title", service.title)
    _el(ident, OWS, "Abstract", service.abstract)
    _el(ident, OWS, "ServiceType", "OGC WCS", codeSpace="OGC")
    _el(ident, OWS, "ServiceTypeVersion", VERSION)
    for profile in PROFILES:
        _el(ident, OWS, "Profile", profile)
    _el(ident, OWS, "Fees", "NONE")
    _el(ident, OWS, "AccessConstraints", "NONE")
    provider = _el(root, OWS, "ServiceProvider")
    _el(provider, OWS, "ProviderName", settings.contact.organisation)
    _el(provider, OWS, "ProviderSite",
        **{f"{{{XLINK}}}href": settings.contact.url or settings.public_url})
    contact = _el(provider, OWS, "ServiceContact")
    address = _el(_el(contact, OWS, "ContactInfo"), OWS, "Address")
    _el(address, OWS, "ElectronicMailAddress", settings.contact.email)
    metadata = _el(root, OWS, "OperationsMetadata")
    for name in OPERATIONS:
        http = _el(_el(_el(metadata, OWS, "Operation", name=name), OWS, "DCP"), OWS, "HTTP")
        _el(http, OWS, "Get", **{f"{{{XLINK}}}href": f"{settings.public_url}/wcs?"})
    inspire.extended_capabilities(metadata, settings)
    service = _el(root, WCS, "ServiceMetadata")
    for media in MEDIA_TYPES:
        _el(service, WCS, "formatSupported", media)
    extension = _el(service, WCS, "Extension")
    interpolation = _el(extension, INT_EXT, "InterpolationMetadata")
    for uri, _ in INTERPOLATIONS.values():
        _el(interpolation, INT_EXT, "interpolationSupported", uri)
    for code in OUTPUT_CRS:
        _el(extension, CRS_EXT, "supportedCrs", crs_uri(CRS.from_epsg(code)))
    contents = _el(root, WCS, "Contents")
    for product in products:
        summary = _el(contents, WCS, "CoverageSummary")
        _el(summary, OWS, "Title", product.identifier)
        west, south, east, north = product.footprint.bounds
        box = _el(summary, OWS, "WGS84BoundingBox")
        _el(box, OWS, "LowerCorner", f"{west:.6f} {south:.6f}")
        _el(box, OWS, "UpperCorner", f"{east:.6f} {north:.6f}")
        _el(summary, WCS, "CoverageId", product.identifier)
        _el(summary, WCS, "CoverageSubtype", "RectifiedGridCoverage")
    return root


def _ordered(crs: CRS, x: float, y: float) -> str:
    """A position in the CRS's axis order (latitude first for EPSG:4326)."""
    return f"{y!r} {x!r}" if crs.is_geographic else f"{x!r} {y!r}"


def labels(crs: CRS) -> tuple[str, str]:
    """Axis labels in the CRS's axis order."""
    x, y = axis_labels(crs)
    return (y, x) if crs.is_geographic else (x, y)


def describe(sources: Iterable[CoverageSource]) -> etree._Element:
    """``wcs:CoverageDescriptions`` of the given coverages."""
    root = etree.Element(f"{{{WCS}}}CoverageDescriptions", nsmap=NSMAP)
    root.set(f"{{{XSI}}}schemaLocation",
             f"{WCS} http://schemas.opengis.net/wcs/2.0/wcsDescribeCoverage.xsd")
    for source in sources:
        _description(root, source)
    return root


def _description(root: etree._Element, source: CoverageSource) -> None:
    crs = source.crs
    uri = crs_uri(crs)
    ident = source.identifier
    first, second = labels(crs)
    uom = "deg deg" if crs.is_geographic else "m m"
    node = _el(root, WCS, "CoverageDescription", **{f"{{{GML}}}id": f"C_{ident}"})
    minx, miny, maxx, maxy = source.bounds
    envelope = _el(_el(node, GML, "boundedBy"), GML, "Envelope", srsName=uri,
                   axisLabels=f"{first} {second}", uomLabels=uom, srsDimension="2")
    _el(envelope, GML, "lowerCorner", _ordered(crs, minx, miny))
    _el(envelope, GML, "upperCorner", _ordered(crs, maxx, maxy))
    _el(node, WCS, "CoverageId", ident)
    grid = _el(_el(node, GML, "domainSet"), GML, "RectifiedGrid", dimension="2",
               srsName=uri, **{f"{{{GML}}}id": f"G_{ident}"})
    limits = _el(_el(grid, GML, "limits"), GML, "GridEnvelope")
    _el(limits, GML, "low", "0 0")
    _el(limits, GML, "high", f"{source.width - 1} {source.height - 1}")
    _el(grid, GML, "axisLabels", f"{first} {second}")
    origin_x, origin_y = source.transform @ (0.5, 0.5)  # centre of the first pixel
    point = _el(_el(grid, GML, "origin"), GML, "Point", srsName=uri,
                **{f"{{{GML}}}id": f"P_{ident}"})
    _el(point, GML, "pos", _ordered(crs, origin_x, origin_y))
    t = source.transform
    _el(grid, GML, "offsetVector", _ordered(crs, t.a, t.d), srsName=uri)
    _el(grid, GML, "offsetVector", _ordered(crs, t.b, t.e), srsName=uri)
    record = _el(_el(node, GMLCOV, "rangeType"), SWE, "DataRecord")
    for band in source.bands:
        quantity = _el(_el(record, SWE, "field", name=band.name), SWE, "Quantity",
                       definition="http://www.opengis.net/def/property/OGC/0/Radiance"
                       if not source.by_gcps else
                       "http://www.opengis.net/def/property/OGC/0/Amplitude")
        _el(quantity, SWE, "description", band.description)
        nil = _el(_el(quantity, SWE, "nilValues"), SWE, "NilValues")
        _el(nil, SWE, "nilValue", f"{source.nodata:g}", reason=NIL_REASON)
        _el(quantity, SWE, "uom", code="1")
    params = _el(node, WCS, "ServiceParameters")
    _el(params, WCS, "CoverageSubtype", "RectifiedGridCoverage")
    _el(params, WCS, "nativeFormat", "image/tiff")


def to_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
