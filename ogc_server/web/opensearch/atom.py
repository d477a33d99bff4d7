"""Atom responses (OGC 10-032r8 / 13-026r9, in the CODE-DE/FedEO dialect)."""

from __future__ import annotations

import html

from lxml import etree
from shapely.geometry.base import BaseGeometry

from ogc_server.archive.model import Product
from ogc_server.web.opensearch import om
from ogc_server.web.opensearch.common import (
    DESCRIPTION_TYPE,
    ISO_TYPE,
    STAC_ITEM_TYPE,
    CollectionHit,
    Page,
    data_type,
    interval,
    om_url,
)
from ogc_server.web.opensearch.params import FORMATS
from ogc_server.web.opensearch.ranges import as_utc_text
from ogc_server.web.opensearch.xml import XML_LANG, element, nsmap, sub, to_bytes

MEDIA_TYPE = "application/atom+xml"
_FEED_NS = nsmap("os", "dc", "geo", "time", "eo", "georss", "media", "sru", "semantic",
                 default="atom", gml="gml311")
_ALTERNATES = (("geojson", "GeoJSON"), ("sru", "SRU (EO O&M records)"))


def feed(page: Page) -> bytes:
    """The Atom feed of one page of products or collections."""
    root = element("atom:feed", nsmap_=_FEED_NS)
    root.set(XML_LANG, "en")
    settings = page.settings
    sub(root, "atom:id", page.url("atom"))
    sub(root, "atom:title", page.title)
    sub(root, "atom:subtitle", f"{page.total} results", type="text")
    sub(root, "atom:updated", as_utc_text(page.now))
    author = sub(root, "atom:author")
    sub(author, "atom:name", settings.contact.organisation)
    sub(author, "atom:email", settings.contact.email)
    sub(root, "atom:generator", "ogc-server")
    for rel, href in page.paging("atom"):
        sub(root, "atom:link", rel=rel, type=MEDIA_TYPE, href=href)
    for fmt, title in _ALTERNATES:
        if fmt == "sru" and page.is_collection_search:
            continue
        sub(root, "atom:link", rel="alternate", type=FORMATS[fmt], title=title,
            href=page.url(fmt))
    sub(root, "atom:link", rel="search", type=DESCRIPTION_TYPE, href=page.description_url())
    sub(root, "os:totalResults", page.total)
    sub(root, "os:startIndex", page.request.start_index)
    sub(root, "os:itemsPerPage", page.returned)
    query = sub(root, "os:Query")
    for name, value in page.query_attributes().items():
        query.set(_attribute(name), value)
    if page.is_collection_search:
        for hit in page.collections:
            collection_entry(root, page, hit)
    else:
        embed = page.request.record_schema == "om"
        for product in page.products:
            product_entry(root, page, product, embed_om=embed)
    return to_bytes(root)


def _attribute(token: str) -> str:
    prefix, _, local = token.rpartition(":")
    return f"{{{_FEED_NS[prefix]}}}{local}" if prefix else local


def product_entry(parent: etree._Element, page: Page, product: Product, *,
                  embed_om: bool = False) -> etree._Element:
    links = page.links
    entry = sub(parent, "atom:entry")
    sub(entry, "atom:id", links.opensearch_product(product))
    sub(entry, "atom:title", product.identifier)
    sub(entry, "atom:updated", as_utc_text(product.modification_date or product.start))
    if product.ingestion_date:
        sub(entry, "atom:published", as_utc_text(product.ingestion_date))
    sub(entry, "atom:content", _summary(product), type="html")
    sub(entry, "dc:identifier", product.identifier)
    sub(entry, "dc:date", interval(product.start, product.end))
    _georss(entry, product.footprint)
    sub(entry, "atom:link", rel="enclosure", type=data_type(product), title="Download",
        length=product.size, href=links.download(product))
    thumbnail = links.thumbnail(product)
    if thumbnail:
        sub(entry, "atom:link", rel="icon", type="image/jpeg", title="Thumbnail", href=thumbnail)
    sub(entry, "atom:link", rel="alternate", type=MEDIA_TYPE, title="Atom format",
        href=links.opensearch_product(product))
    sub(entry, "atom:link", rel="alternate", type=om.MEDIA_TYPE, title="O&M metadata",
        href=om_url(links, product))
    sub(entry, "atom:link", rel="alternate", type=STAC_ITEM_TYPE, title="STAC item",
        href=links.stac_item(product))
    sub(entry, "atom:link", rel="alternate", type=ISO_TYPE, title="ISO 19139 metadata (CSW)",
        href=links.csw_record(product.identifier))
    sub(entry, "atom:link", rel="up", type=DESCRIPTION_TYPE, title="Collection",
        href=links.opensearch_description(product.collection))
    _media(entry, page, product)
    _eo_elements(entry, product)
    if embed_om:
        entry.append(om.earth_observation(product, links))
    return entry


def _summary(product: Product) -> str:
    rows = [("Platform", f"{product.platform} {product.platform_serial_identifier}"),
            ("Instrument", product.instrument), ("Product type", product.product_type),
            ("Start", as_utc_text(product.start)), ("End", as_utc_text(product.end))]
    if product.cloud_cover is not None:
        rows.append(("Cloud cover", f"{product.cloud_cover:g} %"))
    cells = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(str(v))}</td></tr>"
                    for k, v in rows)
    return f"<table>{cells}</table>"


def _georss(entry: etree._Element, footprint: BaseGeometry) -> None:
    polygons = list(footprint.geoms) if hasattr(footprint, "geoms") else [footprint]
    if len(polygons) == 1 and not polygons[0].interiors:
        sub(entry, "georss:polygon", om.lat_lon(polygons[0].exterior.coords))
        return
    surface = sub(sub(entry, "georss:where"), "gml311:MultiSurface")
    for polygon in polygons:
        gml_polygon = sub(sub(surface, "gml311:surfaceMember"), "gml311:Polygon")
        ring = sub(sub(gml_polygon, "gml311:exterior"), "gml311:LinearRing")
        sub(ring, "gml311:posList", om.lat_lon(polygon.exterior.coords))
        for interior in polygon.interiors:
            inner = sub(sub(gml_polygon, "gml311:interior"), "gml311:LinearRing")
            sub(inner, "gml311:posList", om.lat_lon(interior.coords))


def _media(entry: etree._Element, page: Page, product: Product) -> None:
    previews = [(kind, href) for kind, href in (("QUICKLOOK", page.links.quicklook(product)),
                                                ("THUMBNAIL", page.links.thumbnail(product)))
                if href]
    if not previews:
        return
    group = sub(entry, "media:group")
    for kind, href in previews:
        content = sub(group, "media:content", url=href, medium="image", type="image/jpeg")
        sub(content, "media:category", kind, scheme=om.PROFILE)


#: Product properties repeated as simple ``eo:`` elements (name, attribute).
EO_ELEMENTS = (
    ("parentIdentifier", "collection"), ("productType", "product_type"),
    ("platform", "platform"), ("platformSerialIdentifier", "platform_serial_identifier"),
    ("instrument", "instrument"), ("sensorMode", "sensor_mode"),
    ("processingLevel", "processing_level"), ("orbitNumber", "orbit_number"),
    ("track", "relative_orbit_number"), ("orbitDirection", "orbit_direction"),
    ("cloudCover", "cloud_cover"), ("snowCover", "snow_cover"),
    ("polarisationMode", "polarisation_mode"), ("polarisationChannels", "polarisation_channels"),
    ("antennaLookDirection", "antenna_look_direction"),
    ("minimumIncidenceAngle", "minimum_incidence_angle"),
    ("maximumIncidenceAngle", "maximum_incidence_angle"), ("resolution", "resolution"),
    ("tileId", "tile_id"), ("productionStatus", "production_status"),
    ("creationDate", "creation_date"), ("timeliness", "timeliness"),
)


def _eo_elements(entry: etree._Element, product: Product) -> None:
    for name, attribute in EO_ELEMENTS:
        value = getattr(product, attribute)
        if value is None:
            continue
        text = as_utc_text(value) if hasattr(value, "tzinfo") else value
        sub(entry, f"eo:{name}", f"{text:g}" if isinstance(text, float) else text)


def collection_entry(parent: etree._Element, page: Page, hit: CollectionHit) -> etree._Element:
    links, collection = page.links, hit.collection
    entry = sub(parent, "atom:entry")
    sub(entry, "atom:id", links.opensearch_description(collection.identifier))
    sub(entry, "atom:title", collection.title)
    sub(entry, "atom:updated", as_utc_text(hit.end or page.now))
    sub(entry, "atom:content", collection.abstract, type="text")
    sub(entry, "dc:identifier", collection.identifier)
    if hit.start:
        sub(entry, "dc:date", interval(hit.start, hit.end))
    if hit.bbox:
        west, south, east, north = hit.bbox
        sub(entry, "georss:box", " ".join(om.coordinate(v) for v in (south, west, north, east)))
    sub(entry, "atom:link", rel="search", type=DESCRIPTION_TYPE,
        title="OpenSearch description of the products",
        href=links.opensearch_description(collection.identifier))
    sub(entry, "atom:link", rel="alternate", type=ISO_TYPE, title="ISO 19139 metadata (CSW)",
        href=links.csw_record(collection.identifier))
    sub(entry, "atom:link", rel="alternate", type="application/json", title="STAC collection",
        href=links.stac_collection(collection.identifier))
    sub(entry, "atom:link", rel="related", type=MEDIA_TYPE, title="Products",
        href=links.opensearch_request([("parentIdentifier", collection.identifier),
                                       ("httpAccept", MEDIA_TYPE)]))
    for keyword in collection.keywords:
        sub(entry, "atom:category", term=keyword)
    query = sub(entry, "os:Query", role="request", totalResults=hit.count)
    query.set(_attribute("eo:parentIdentifier"), collection.identifier)
    sub(entry, "eo:platform", collection.platform)
    sub(entry, "eo:instrument", collection.instrument)
    sub(entry, "eo:processingLevel", collection.processing_level)
    for product_type in collection.product_types:
        sub(entry, "eo:productType", product_type)
    return entry
