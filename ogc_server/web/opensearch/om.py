"""EO O&M records (OGC 10-157r4, ``http://www.opengis.net/eop/2.0``) of products.

One ``{opt|sar|atm}:EarthObservation`` per product, its elements in schema order, valid against
``omeo/1.0``: ``sar`` for SAR (Sentinel-1), ``atm`` for atmospheric (Sentinel-5P), ``opt`` for
optical missions. Reuse :func:`earth_observation` wherever an O&M record is needed.
"""

from __future__ import annotations

import re

from lxml import etree
from shapely.geometry.base import BaseGeometry

from ogc_server.archive.model import Product
from ogc_server.links import Links
from ogc_server.web.opensearch.ranges import as_utc_text
from ogc_server.web.opensearch.xml import element, nsmap, sub

CRS = "http://www.opengis.net/def/crs/EPSG/0/4326"
PROFILE = "http://www.opengis.net/spec/EOMPOM/1.0"
MEDIA_TYPE = f"application/gml+xml;profile={PROFILE}"
_SENSOR_TYPES = {"sar": "RADAR", "opt": "OPTICAL", "atm": "ATMOSPHERIC"}
_STATUS = {"ARCHIVED", "ACQUIRED", "CANCELLED", "FAILED", "PLANNED", "POTENTIAL", "REJECTED",
           "QUALITYDEGRADED"}
_LEVELS = {"1A", "1B", "2", "3"}
_POLARISATION_MODES = {"S", "D", "T", "Q", "UNDEFINED"}
_CHANNELS = {"HH", "HV", "VH", "VV", "HV, VH", "VV, VH", "VV, HV", "VH, HV", "VH, VV",
             "HH, HV", "HH, VH", "HH, VV", "UNDEFINED"}


def family(instrument: str) -> str:
    """The O&M profile of an instrument: ``sar``, ``atm`` or ``opt``."""
    name = instrument.upper()
    if name.startswith("SAR"):
        return "sar"
    if name in {"TROPOMI", "GOME-2", "SCIAMACHY"}:
        return "atm"
    return "opt"


def namespaces(kind: str) -> dict[str | None, str]:
    """The namespaces an O&M record of ``kind`` uses (to declare on a document's root)."""
    return nsmap("gml", "om", "ows", "eop", kind, "xlink")


def earth_observation(product: Product, links: Links,
                      parent: etree._Element | None = None) -> etree._Element:
    """The O&M record of ``product``: a new document root declaring its namespaces, or a child
    of ``parent`` (whose document declares them: see :func:`namespaces`)."""
    kind = family(product.instrument)
    ident = _ncname(product.identifier)
    tag = f"{kind}:EarthObservation"
    root = (element(tag, nsmap_=namespaces(kind), gml__id=f"eo.{ident}") if parent is None
            else sub(parent, tag, gml__id=f"eo.{ident}"))
    period = sub(sub(root, "om:phenomenonTime"), "gml:TimePeriod", gml__id=f"tp.{ident}")
    sub(period, "gml:beginPosition", as_utc_text(product.start))
    sub(period, "gml:endPosition", as_utc_text(product.end))
    instant = sub(sub(root, "om:resultTime"), "gml:TimeInstant", gml__id=f"rt.{ident}")
    sub(instant, "gml:timePosition", as_utc_text(product.creation_date or product.end))
    _equipment(sub(root, "om:procedure"), product, kind, ident)
    sub(root, "om:observedProperty", nilReason="inapplicable")
    _footprint(sub(root, "om:featureOfInterest"), product.footprint, ident)
    _result(sub(root, "om:result"), product, links, kind, ident)
    _metadata(sub(root, "eop:metaDataProperty"), product)
    return root


def _ncname(identifier: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", identifier)
    return name if name[:1].isalpha() or name[:1] == "_" else f"_{name}"


def _equipment(parent: etree._Element, product: Product, kind: str, ident: str) -> None:
    equipment = sub(parent, "eop:EarthObservationEquipment", gml__id=f"eq.{ident}")
    platform = sub(sub(equipment, "eop:platform"), "eop:Platform")
    sub(platform, "eop:shortName", product.platform)
    sub(platform, "eop:serialIdentifier", product.platform_serial_identifier)
    sub(platform, "eop:orbitType", "LEO")
    instrument = sub(sub(equipment, "eop:instrument"), "eop:Instrument")
    sub(instrument, "eop:shortName", product.instrument)
    sensor = sub(sub(equipment, "eop:sensor"), "eop:Sensor")
    sub(sensor, "eop:sensorType", _SENSOR_TYPES[kind])
    if product.sensor_mode:
        sub(sensor, "eop:operationalMode", product.sensor_mode,
            codeSpace=f"urn:esa:eop:{_mission(product)}:{product.instrument}:operationalMode")
    if product.resolution is not None:
        sub(sensor, "eop:resolution", _num(product.resolution), uom="m")
    if kind == "sar" and product.sensor_mode:
        sub(sensor, "eop:swathIdentifier", product.sensor_mode,
            codeSpace=f"urn:esa:eop:{_mission(product)}:{product.instrument}:swathIdentifier")
    acquisition = sub(sub(equipment, "eop:acquisitionParameters"),
                      "sar:Acquisition" if kind == "sar" else "eop:Acquisition")
    _acquisition(acquisition, product, kind)


def _mission(product: Product) -> str:
    return product.platform.replace("-", "")


def _acquisition(acquisition: etree._Element, product: Product, kind: str) -> None:
    if product.orbit_number is not None:
        sub(acquisition, "eop:orbitNumber", product.orbit_number)
    if product.orbit_direction in ("ASCENDING", "DESCENDING"):
        sub(acquisition, "eop:orbitDirection", product.orbit_direction)
    track = product.relative_orbit_number if product.track is None else product.track
    if track is not None:
        sub(acquisition, "eop:wrsLongitudeGrid", track,
            codeSpace=f"urn:esa:eop:{_mission(product)}:relativeOrbits")
    if product.frame is not None:
        sub(acquisition, "eop:wrsLatitudeGrid", product.frame,
            codeSpace=f"urn:esa:eop:{_mission(product)}:frames")
    if kind != "sar":
        return
    if product.polarisation_mode:
        mode = product.polarisation_mode.upper()
        sub(acquisition, "sar:polarisationMode", mode if mode in _POLARISATION_MODES
            else "UNDEFINED")
    if product.polarisation_channels:
        channels = product.polarisation_channels
        sub(acquisition, "sar:polarisationChannels", channels if channels in _CHANNELS
            else "UNDEFINED")
    if product.antenna_look_direction in ("LEFT", "RIGHT"):
        sub(acquisition, "sar:antennaLookDirection", product.antenna_look_direction)
    if product.minimum_incidence_angle is not None:
        sub(acquisition, "sar:minimumIncidenceAngle", _num(product.minimum_incidence_angle),
            uom="deg")
    if product.maximum_incidence_angle is not None:
        sub(acquisition, "sar:maximumIncidenceAngle", _num(product.maximum_incidence_angle),
            uom="deg")


def _footprint(parent: etree._Element, footprint: BaseGeometry, ident: str) -> None:
    node = sub(parent, "eop:Footprint", gml__id=f"fp.{ident}")
    surface = sub(sub(node, "eop:multiExtentOf"), "gml:MultiSurface", gml__id=f"ms.{ident}",
                  srsName=CRS)
    polygons = list(footprint.geoms) if hasattr(footprint, "geoms") else [footprint]
    for index, polygon in enumerate(polygons):
        gml_polygon = sub(sub(surface, "gml:surfaceMember"), "gml:Polygon",
                          gml__id=f"p{index}.{ident}")
        ring = sub(sub(gml_polygon, "gml:exterior"), "gml:LinearRing")
        sub(ring, "gml:posList", lat_lon(polygon.exterior.coords))
        for interior in polygon.interiors:
            inner = sub(sub(gml_polygon, "gml:interior"), "gml:LinearRing")
            sub(inner, "gml:posList", lat_lon(interior.coords))
    centre = footprint.representative_point() if len(polygons) > 1 else footprint.centroid
    point = sub(sub(node, "eop:centerOf"), "gml:Point", gml__id=f"c.{ident}", srsName=CRS)
    sub(point, "gml:pos", f"{coordinate(centre.y)} {coordinate(centre.x)}")


def lat_lon(coords: object) -> str:
    """``lat lon lat lon ...`` (EPSG:4326 axis order) of (lon, lat) coordinates."""
    return " ".join(f"{coordinate(y)} {coordinate(x)}" for x, y, *_ in coords)  # type: ignore[attr-defined]


def coordinate(value: float) -> str:
    return f"{round(value, 7):.7f}".rstrip("0").rstrip(".")


def _num(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else repr(float(value))


def _result(parent: etree._Element, product: Product, links: Links, kind: str,
            ident: str) -> None:
    result = sub(parent, "eop:EarthObservationResult" if kind == "sar"
                 else f"{kind}:EarthObservationResult", gml__id=f"r.{ident}")
    for browse_type, href in (("QUICKLOOK", links.quicklook(product)),
                              ("THUMBNAIL", links.thumbnail(product))):
        if href:
            browse = sub(sub(result, "eop:browse"), "eop:BrowseInformation")
            sub(browse, "eop:type", browse_type)
            sub(browse, "eop:referenceSystemIdentifier", "epsg:4326", codeSpace="EPSG")
            _reference(sub(browse, "eop:fileName"), href)
    info = sub(sub(result, "eop:product"), "eop:ProductInformation")
    _reference(sub(info, "eop:fileName"), links.download(product))
    if product.processing_baseline:
        sub(info, "eop:version", product.processing_baseline)
    if product.size is not None:
        sub(info, "eop:size", product.size, uom="B")
    if kind in ("opt", "atm"):
        if product.cloud_cover is not None:
            sub(result, f"{kind}:cloudCoverPercentage", _num(product.cloud_cover), uom="%")
        if product.snow_cover is not None:
            sub(result, f"{kind}:snowCoverPercentage", _num(product.snow_cover), uom="%")


def _reference(parent: etree._Element, href: str) -> None:
    reference = sub(parent, "ows:ServiceReference", xlink__href=href)
    sub(reference, "ows:RequestMessage")


def _metadata(parent: etree._Element, product: Product) -> None:
    meta = sub(parent, "eop:EarthObservationMetaData")
    sub(meta, "eop:identifier", product.identifier)
    if product.collection:
        sub(meta, "eop:parentIdentifier", product.collection)
    sub(meta, "eop:acquisitionType", "NOMINAL")
    sub(meta, "eop:productType", product.product_type)
    status = product.production_status.upper()
    sub(meta, "eop:status", status if status in _STATUS else "ARCHIVED")
    sub(meta, "eop:statusDetail", str(product.online_state.value))
    if product.ingestion_date:
        archive = sub(sub(meta, "eop:archivedIn"), "eop:ArchivingInformation")
        sub(archive, "eop:archivingCenter", "ogc-server")
        sub(archive, "eop:archivingDate", as_utc_text(product.ingestion_date))
    processing = sub(sub(meta, "eop:processing"), "eop:ProcessingInformation")
    centre = product.extra.get("processing_centre")
    if isinstance(centre, str) and centre:
        sub(processing, "eop:processingCenter", centre)
    version = product.extra.get("processor_version") or product.processing_baseline
    if isinstance(version, str) and version:
        sub(processing, "eop:processorVersion", version)
    sub(processing, "eop:processingLevel", processing_level(product.processing_level))
    for name, value in (("tileId", product.tile_id), ("timeliness", product.timeliness)):
        if value:
            specific = sub(sub(meta, "eop:vendorSpecific"), "eop:SpecificInformation")
            sub(specific, "eop:localAttribute", name)
            sub(specific, "eop:localValue", value)


def processing_level(level: str) -> str:
    """``Level-2`` -> ``2``; levels outside the O&M list -> ``other: L1C``."""
    short = re.sub(r"(?i)^level-?", "", level).upper()
    if short in _LEVELS:
        return short
    word = re.sub(r"\W", "", short)
    return f"other: L{word}" if word else "other: unknown"
