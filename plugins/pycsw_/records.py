"""The catalogue's records as pycsw sees them: one per collection, one per product.

pycsw writes Dublin Core (``csw:Record``) from a record's attributes, named after the columns of
its core model (``title``, ``keywords``, ``links``, ``wkt_geometry`` ...); :class:`Record` carries
them as text. The ISO 19139 view (``gmd:MD_Metadata``) comes from :meth:`Record.iso`: a
collection's INSPIRE record from ``metadata/`` (``ogc_server.metadata``), a product's built by
:mod:`plugins.pycsw_.iso`. Nothing is copied into a table of its own: records are made from the
archive's products and the configuration when a request asks for them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from lxml import etree
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from ogc_server.archive.model import Collection, Product
from ogc_server.ingest.xmlsafe import parse_xml
from ogc_server.links import Links
from ogc_server.metadata import collection_record
from ogc_server.settings import Settings
from plugins.pycsw_ import iso
from plugins.pycsw_.queryables import ONGOING

NS = iso.NSMAP
SENSOR_TYPES = {"SAR-C": "RADAR", "MSI": "OPTICAL", "OLCI": "OPTICAL", "SLSTR": "OPTICAL",
                "SYNERGY": "OPTICAL", "TROPOMI": "ATMOSPHERIC"}
TYPENAME = "gmd:MD_Metadata"


@dataclass(frozen=True, slots=True)
class Link:
    url: str
    protocol: str
    name: str
    description: str
    function: str

    def dc(self) -> str:
        """pycsw's link form ``name,description,protocol,url`` (no commas inside a field)."""
        return ",".join(part.replace(",", ";") for part in
                        (self.name, self.description, self.protocol, self.url))


class Locator:
    """The resource locators of records, from ``ogc_server.links``."""

    def __init__(self, public_url: str):
        self.links = Links(public_url)

    def quicklook(self, product: Product) -> str | None:
        return self.links.quicklook(product)

    def thumbnail(self, product: Product) -> str | None:
        return self.links.thumbnail(product)

    def product_links(self, product: Product) -> list[Link]:
        collection = product.collection or ""
        return [
            Link(self.links.download(product), "WWW:DOWNLOAD-1.0-http--download",
                 "Product download", "The product file as published by the Copernicus ground "
                 "segment", "download"),
            Link(self.links.opensearch_description(collection), "OpenSearch:Description",
                 "OpenSearch description of the collection", "Search the products of the "
                 "collection by area; time and Earth observation attributes", "search"),
            Link(self.links.wms(), "OGC:WMS", "Web Map Service (view service)",
                 "Capabilities of the WMS that shows the products' browse images",
                 "information"),
            Link(self.links.stac_item(product), "STAC:Item", "STAC item",
                 "The product as a SpatioTemporal Asset Catalog item (GeoJSON)", "information"),
        ]

    def collection_links(self, identifier: str) -> list[Link]:
        return [
            Link(self.links.opensearch_description(identifier), "OpenSearch:Description",
                 "OpenSearch description of the collection", "Second step of the two-step "
                 "search: the collection's products", "search"),
            Link(self.links.wms(), "OGC:WMS", "Web Map Service (view service)",
                 "Capabilities of the WMS that shows the products' browse images",
                 "information"),
            Link(self.links.stac_collection(identifier), "STAC:Collection", "STAC collection",
                 "The collection as a SpatioTemporal Asset Catalog collection", "information"),
        ]


def _compact(root: etree._Element) -> etree._Element:
    """The record without indentation (responses are indented as a whole) nor comments."""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if element.text is not None and not element.text.strip() and len(element):
            element.text = None
        if element.tail is not None and not element.tail.strip():
            element.tail = None
    return root


def _texts(root: etree._Element, path: str) -> list[str]:
    found = []
    for element in root.xpath(path, namespaces=NS):
        text = " ".join("".join(element.itertext()).split())
        if text and text not in found:
            found.append(text)
    return found


def _when(text: str | None) -> datetime | None:
    """A GML/ISO date, date-time or year-month as an aware UTC datetime."""
    value = (text or "").strip()
    if not value:
        return None
    if re.fullmatch(r"\d{4}(-\d{2})?", value):
        value = (value + "-01-01")[:10] if len(value) == 4 else value + "-01"
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _wkt(geometry: BaseGeometry) -> str:
    return box(*geometry.bounds).wkt


@dataclass(slots=True)
class CollectionFacts:
    """A collection: its configuration, its INSPIRE record, and what its products inherit."""

    collection: Collection
    xml: bytes | None
    root: Any
    identifier: str
    title: str
    abstract: str
    keywords: list[str]
    topics: list[str]
    format: str | None
    modified: datetime | None
    created: datetime | None
    begin: datetime | None
    end: datetime | None
    bbox: BaseGeometry
    originator: str | None
    texts: list[str]
    product_abstract: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    product_values: dict[str, Any] = field(default_factory=dict)

    @property
    def sensor_type(self) -> str | None:
        return SENSOR_TYPES.get(self.collection.instrument)


def collection_facts(settings: Settings | None, collection: Collection) -> CollectionFacts:
    xml, root = None, etree.Element(iso.qname("gmd", "MD_Metadata"))
    if collection.metadata_file and settings is not None:
        xml = collection_record(settings, collection)
        root = _compact(parse_xml(xml))
    ident = "gmd:identificationInfo/gmd:MD_DataIdentification/"
    bounds = [_texts(root, f"{ident}gmd:extent//gmd:{side}/gco:Decimal")
              for side in ("westBoundLongitude", "southBoundLatitude", "eastBoundLongitude",
                           "northBoundLatitude")]
    try:
        bbox = box(*(float(b[0]) for b in bounds))
    except (IndexError, ValueError):
        bbox = box(-180, -90, 180, 90)
    end_text = _texts(root, f"{ident}gmd:extent//gml:endPosition")
    facts = CollectionFacts(
        collection=collection, xml=xml, root=root, identifier=collection.identifier,
        title=(_texts(root, f"{ident}gmd:citation/gmd:CI_Citation/gmd:title")
               or [collection.title])[0],
        abstract=(_texts(root, f"{ident}gmd:abstract") or [collection.abstract])[0],
        keywords=_texts(root, f"{ident}gmd:descriptiveKeywords/gmd:MD_Keywords/gmd:keyword")
        or list(collection.keywords),
        topics=_texts(root, f"{ident}gmd:topicCategory/gmd:MD_TopicCategoryCode"),
        format=(_texts(root, "gmd:distributionInfo//gmd:MD_Format/gmd:name") or [None])[0],
        modified=_when((_texts(root, "gmd:dateStamp/*") or [None])[0]),
        created=_when((_texts(root, f"{ident}gmd:citation//gmd:CI_Date[gmd:dateType/"
                              "gmd:CI_DateTypeCode/@codeListValue='creation']/gmd:date/*")
                       or [None])[0]),
        begin=_when((_texts(root, f"{ident}gmd:extent//gml:beginPosition") or [None])[0]),
        end=_when(end_text[0]) if end_text else None,
        bbox=bbox,
        originator=(_texts(root, f"{ident}gmd:pointOfContact/gmd:CI_ResponsibleParty["
                                 "gmd:role/gmd:CI_RoleCode/@codeListValue='originator']/"
                                 "gmd:organisationName") or [None])[0],
        texts=[" ".join(t.split()) for t in root.itertext() if t.strip()],
    )
    facts.product_abstract = (f"A product of the collection {facts.title} "
                              f"({collection.identifier}). {collection.abstract}")
    _fill_values(facts)
    return facts


def _fill_values(facts: CollectionFacts) -> None:
    c = facts.collection
    subject = facts.keywords + facts.topics
    described = [c.platform, c.instrument, c.processing_level, *c.product_types,
                 facts.sensor_type]
    facts.values = {
        "identifier": facts.identifier, "title": facts.title, "abstract": facts.abstract,
        "anytext": facts.texts + [t for t in described if t],
        "subject": subject, "type": "series", "format": facts.format,
        "modified": facts.modified, "creationdate": facts.created, "language": "eng",
        "parentidentifier": None, "topiccategory": facts.topics,
        "tempextent_begin": facts.begin, "tempextent_end": facts.end or ONGOING,
        "bbox": facts.bbox, "platform": c.platform, "instrument": c.instrument,
        "sensortype": facts.sensor_type, "producttype": list(c.product_types),
        "processinglevel": c.processing_level,
    }
    facts.product_values = {
        "abstract": facts.product_abstract,
        "anytext": [t for t in (facts.title, facts.product_abstract, *subject, facts.format,
                                facts.sensor_type) if t],
        "subject": subject, "format": facts.format, "topiccategory": facts.topics,
        "sensortype": facts.sensor_type,
    }


class Record:
    """One record with the attributes pycsw reads; :meth:`iso` gives its ISO 19139 view."""

    typename = TYPENAME
    schema = iso.GMD
    mdsource = "local"

    def __init__(self, iso_full: Callable[[], etree._Element], **attributes: Any):
        self._iso_full = iso_full
        self._iso_cache: etree._Element | None = None
        self.__dict__.update(attributes)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return None  # pycsw asks for columns the record does not have

    def iso(self, esn: str | None = "full") -> etree._Element:
        if self._iso_cache is None:
            self._iso_cache = self._iso_full()
        return iso.element_set(self._iso_cache, esn)

    @property
    def xml(self) -> bytes:
        """The full ISO 19139 record (pycsw's GetRepositoryItem)."""
        return etree.tostring(self.iso("full"), encoding="UTF-8", xml_declaration=True)


def _keywords(words: list[str]) -> str | None:
    cleaned = [w.replace(",", ";") for w in words if w]
    return ",".join(cleaned) if cleaned else None


def _number(value: float | int | None) -> str | None:
    return None if value is None else f"{value:g}"


def series_record(facts: CollectionFacts, locator: Locator, publisher: str) -> Record:
    root = facts.root
    c = facts.collection
    return Record(
        lambda: root,
        identifier=facts.identifier, title=facts.title, type="series",
        abstract=facts.abstract, keywords=_keywords(facts.keywords),
        topicategory=facts.topics[0] if facts.topics else None, format=facts.format,
        links="^".join(link.dc() for link in locator.collection_links(facts.identifier)),
        date_modified=_iso(facts.modified), insert_date=_iso(facts.modified),
        date=_iso(facts.created), date_creation=_iso(facts.created),
        time_begin=_iso(facts.begin), time_end=_iso(facts.end),
        wkt_geometry=_wkt(facts.bbox), language="eng", creator=facts.originator,
        publisher=publisher, accessconstraints="otherRestrictions", platform=c.platform,
        instrument=c.instrument, sensortype=facts.sensor_type,
        producttype=_keywords(list(c.product_types)), processinglevel=c.processing_level,
    )


def product_record(product: Product, facts: CollectionFacts, locator: Locator,
                   contact: tuple[str, str, str]) -> Record:
    words = facts.keywords + iso.product_keywords(product)
    return Record(
        lambda: iso.product_record(product, facts, locator, contact),
        identifier=product.identifier, title=product.identifier, type="dataset",
        abstract=facts.product_abstract, keywords=_keywords(list(dict.fromkeys(words))),
        topicategory=facts.topics[0] if facts.topics else None, format=facts.format,
        links="^".join(link.dc() for link in locator.product_links(product)),
        relation=facts.identifier, parentidentifier=facts.identifier,
        date_modified=_iso(product.modification_date),
        insert_date=_iso(product.ingestion_date), date=_iso(product.start),
        date_creation=_iso(product.creation_date), time_begin=_iso(product.start),
        time_end=_iso(product.end), wkt_geometry=_wkt(product.footprint), language="eng",
        creator=facts.originator, publisher=contact[0], accessconstraints="otherRestrictions",
        platform=product.platform, platformserialidentifier=product.platform_serial_identifier,
        instrument=product.instrument, sensortype=facts.sensor_type,
        sensormode=product.sensor_mode, producttype=product.product_type,
        processinglevel=product.processing_level, cloudcover=_number(product.cloud_cover),
        snowcover=_number(product.snow_cover), orbitnumber=_number(product.orbit_number),
        relativeorbitnumber=_number(product.relative_orbit_number),
        orbitdirection=product.orbit_direction,
        polarisationchannels=product.polarisation_channels,
        resolution=_number(product.resolution),
    )
