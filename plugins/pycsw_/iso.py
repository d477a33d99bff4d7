"""ISO 19139 (``gmd:MD_Metadata``) records of products, and the APISO element sets.

A product's record is a data set (``hierarchyLevel`` = ``dataset``) whose ``parentIdentifier`` is
its collection. What the product states (identifier, times, footprint, platform, instrument,
cloud cover, processing level, size) is written from the catalogue; what belongs to the series
(INSPIRE themes and keywords, originators, use and access constraints, topic categories, the
conformity statement) is copied from the collection's INSPIRE record, so a product record is as
complete for INSPIRE as its series' record. The resource locators are the platform's: download,
OpenSearch description of the collection, WMS, STAC item, and the quicklook as graphic overview.

:func:`element_set` cuts a full record (a product's, a collection's or a service's) down to the
APISO brief or summary set; both stay valid ISO 19139.
"""

from __future__ import annotations

import copy
import re
from datetime import datetime
from typing import TYPE_CHECKING

from lxml import etree

from ogc_server.archive.model import Product
from ogc_server.iso19139 import GCO, GMD, GML, GMX, XLINK, XSI, qname
from ogc_server.iso19139 import code as _code
from ogc_server.iso19139 import language as _language
from ogc_server.iso19139 import string as _string
from ogc_server.iso19139 import sub as _sub

if TYPE_CHECKING:
    from plugins.pycsw_.records import CollectionFacts, Locator

NSMAP = {"gmd": GMD, "gco": GCO, "gmx": GMX, "gml": GML, "xlink": XLINK, "xsi": XSI}
SCHEMA_LOCATION = (f"{GMD} http://schemas.opengis.net/iso/19139/20070417/gmd/gmd.xsd "
                   f"{GMX} http://schemas.opengis.net/iso/19139/20070417/gmx/gmx.xsd")

#: MD_Metadata children kept by the brief and summary element sets (all others: full only).
_BRIEF = {"fileIdentifier", "hierarchyLevel", "contact", "dateStamp", "identificationInfo"}
_SUMMARY = _BRIEF | {"language", "characterSet", "parentIdentifier", "metadataStandardName",
                     "metadataStandardVersion", "referenceSystemInfo", "contentInfo",
                     "distributionInfo"}
#: Identification children kept by brief (MD_DataIdentification's, and SV_ServiceIdentification's
#: service type and version with what ISO 19119 makes mandatory); summary drops only
#: _SUMMARY_DROPS.
_BRIEF_IDENTIFICATION = {"citation", "abstract", "graphicOverview", "language", "extent",
                         "serviceType", "serviceTypeVersion", "couplingType",
                         "containsOperations"}
_SUMMARY_DROPS = {"pointOfContact", "resourceMaintenance", "resourceConstraints", "purpose",
                  "credit", "resourceSpecificUsage", "aggregationInfo"}


def _datetime(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _gml_id(text: str) -> str:
    return "tp_" + re.sub(r"[^A-Za-z0-9_.-]", "_", text)


def _copy(target: etree._Element, source: etree._Element, path: str) -> None:
    for element in source.findall(path, NSMAP):
        target.append(copy.deepcopy(element))


def product_record(product: Product, facts: CollectionFacts, locator: Locator,
                   contact: tuple[str, str, str]) -> etree._Element:
    """The full ISO 19139 record of ``product`` (``contact``: organisation, e-mail, URL)."""
    series = facts.root
    ident_source = series.find("gmd:identificationInfo/gmd:MD_DataIdentification", NSMAP)
    root = etree.Element(qname("gmd", "MD_Metadata"), nsmap=NSMAP)
    root.set(qname("xsi", "schemaLocation"), SCHEMA_LOCATION)
    _string(root, "gmd:fileIdentifier", product.identifier)
    _language(root)
    _code(root, "gmd:characterSet", "MD_CharacterSetCode", "utf8")
    _string(root, "gmd:parentIdentifier", facts.identifier)
    _code(root, "gmd:hierarchyLevel", "MD_ScopeCode", "dataset")
    _party(_sub(root, "gmd:contact"), contact, "pointOfContact")
    _sub(_sub(root, "gmd:dateStamp"), "gco:DateTime",
         _datetime(product.modification_date or product.start))
    _string(root, "gmd:metadataStandardName", "ISO 19115:2003/19139")
    _string(root, "gmd:metadataStandardVersion", "1.0")
    _copy(root, series, "gmd:referenceSystemInfo")
    _identification(_sub(_sub(root, "gmd:identificationInfo"), "gmd:MD_DataIdentification"),
                    product, facts, locator, ident_source)
    _content(_sub(root, "gmd:contentInfo"), product)
    _distribution(_sub(root, "gmd:distributionInfo"), product, facts, locator)
    _quality(_sub(root, "gmd:dataQualityInfo"), product, series)
    return root


def _party(wrapper: etree._Element, contact: tuple[str, str, str], role: str) -> None:
    organisation, email, url = contact
    party = _sub(wrapper, "gmd:CI_ResponsibleParty")
    _string(party, "gmd:organisationName", organisation)
    info = _sub(_sub(party, "gmd:contactInfo"), "gmd:CI_Contact")
    address = _sub(_sub(info, "gmd:address"), "gmd:CI_Address")
    _string(address, "gmd:electronicMailAddress", email)
    resource = _sub(_sub(info, "gmd:onlineResource"), "gmd:CI_OnlineResource")
    _sub(_sub(resource, "gmd:linkage"), "gmd:URL", url)
    _code(party, "gmd:role", "CI_RoleCode", role)


def _identification(ident: etree._Element, product: Product, facts: CollectionFacts,
                    locator: Locator, source: etree._Element | None) -> None:
    citation = _sub(_sub(ident, "gmd:citation"), "gmd:CI_Citation")
    _string(citation, "gmd:title", product.identifier)
    cdate = _sub(_sub(citation, "gmd:date"), "gmd:CI_Date")
    _sub(_sub(cdate, "gmd:date"), "gco:DateTime", _datetime(product.creation_date
                                                             or product.start))
    _code(cdate, "gmd:dateType", "CI_DateTypeCode", "creation")
    code = _sub(_sub(citation, "gmd:identifier"), "gmd:RS_Identifier")
    _string(code, "gmd:code", product.identifier)
    _string(code, "gmd:codeSpace", facts.identifier)
    _string(ident, "gmd:abstract", facts.product_abstract)
    _code(ident, "gmd:status", "MD_ProgressCode", "completed")
    if source is not None:
        _copy(ident, source, "gmd:pointOfContact")
    for url, description in ((locator.quicklook(product), "quicklook"),
                             (locator.thumbnail(product), "thumbnail")):
        if url:
            graphic = _sub(_sub(ident, "gmd:graphicOverview"), "gmd:MD_BrowseGraphic")
            _string(graphic, "gmd:fileName", url)
            _string(graphic, "gmd:fileDescription", description)
            _string(graphic, "gmd:fileType", "image/jpeg")
    if source is not None:
        _copy(ident, source, "gmd:descriptiveKeywords")
    keywords = _sub(_sub(ident, "gmd:descriptiveKeywords"), "gmd:MD_Keywords")
    for word in product_keywords(product):
        _string(keywords, "gmd:keyword", word)
    _code(keywords, "gmd:type", "MD_KeywordTypeCode", "theme")
    if source is not None:
        _copy(ident, source, "gmd:resourceConstraints")
        _copy(ident, source, "gmd:spatialRepresentationType")
    if product.resolution:
        resolution = _sub(_sub(ident, "gmd:spatialResolution"), "gmd:MD_Resolution")
        _sub(_sub(resolution, "gmd:distance"), "gco:Distance", f"{product.resolution:g}",
             uom="m")
    _language(ident)
    if source is not None:
        _copy(ident, source, "gmd:topicCategory")
    extent = _sub(_sub(ident, "gmd:extent"), "gmd:EX_Extent")
    west, south, east, north = product.footprint.bounds
    bbox = _sub(_sub(extent, "gmd:geographicElement"), "gmd:EX_GeographicBoundingBox")
    for tag, value in (("westBoundLongitude", west), ("eastBoundLongitude", east),
                       ("southBoundLatitude", south), ("northBoundLatitude", north)):
        _sub(_sub(bbox, f"gmd:{tag}"), "gco:Decimal", f"{value:.6f}")
    temporal = _sub(_sub(extent, "gmd:temporalElement"), "gmd:EX_TemporalExtent")
    period = _sub(_sub(temporal, "gmd:extent"), "gml:TimePeriod",
                  gml__id=_gml_id(product.identifier))
    _sub(period, "gml:beginPosition", _datetime(product.start))
    _sub(period, "gml:endPosition", _datetime(product.end))


def product_keywords(product: Product) -> list[str]:
    """The product's own keywords (the collection's are copied from its record)."""
    words = [product.platform, product.instrument, product.product_type,
             product.processing_level]
    return [w for i, w in enumerate(words) if w and w not in words[:i]]


def _content(wrapper: etree._Element, product: Product) -> None:
    image = _sub(wrapper, "gmd:MD_ImageDescription")
    _sub(_sub(image, "gmd:attributeDescription"), "gco:RecordType", product.product_type)
    level = product.processing_level.lower()
    content = "image" if level.startswith("level-1") else "physicalMeasurement"
    _code(image, "gmd:contentType", "MD_CoverageContentTypeCode", content)
    if product.cloud_cover is not None:
        _sub(_sub(image, "gmd:cloudCoverPercentage"), "gco:Real", f"{product.cloud_cover:g}")
    identifier = _sub(_sub(image, "gmd:processingLevelCode"), "gmd:MD_Identifier")
    _string(identifier, "gmd:code", product.processing_level)


def _online(parent: etree._Element, url: str, protocol: str, name: str, description: str,
            function: str) -> None:
    resource = _sub(_sub(parent, "gmd:onLine"), "gmd:CI_OnlineResource")
    _sub(_sub(resource, "gmd:linkage"), "gmd:URL", url)
    _string(resource, "gmd:protocol", protocol)
    _string(resource, "gmd:name", name)
    _string(resource, "gmd:description", description)
    _code(resource, "gmd:function", "CI_OnLineFunctionCode", function)


def _distribution(wrapper: etree._Element, product: Product, facts: CollectionFacts,
                  locator: Locator) -> None:
    distribution = _sub(wrapper, "gmd:MD_Distribution")
    fmt = _sub(_sub(distribution, "gmd:distributionFormat"), "gmd:MD_Format")
    _string(fmt, "gmd:name", facts.format or "unknown")
    _sub(fmt, "gmd:version", gco__nilReason="unknown")
    options = _sub(_sub(distribution, "gmd:transferOptions"), "gmd:MD_DigitalTransferOptions")
    if product.size:
        _sub(_sub(options, "gmd:transferSize"), "gco:Real", f"{product.size / 1e6:.6f}")
    for link in locator.product_links(product):
        _online(options, link.url, link.protocol, link.name, link.description, link.function)


def _quality(wrapper: etree._Element, product: Product, series: etree._Element) -> None:
    quality = _sub(wrapper, "gmd:DQ_DataQuality")
    _code(_sub(_sub(quality, "gmd:scope"), "gmd:DQ_Scope"), "gmd:level", "MD_ScopeCode",
          "dataset")
    _copy(quality, series, "gmd:dataQualityInfo/gmd:DQ_DataQuality/gmd:report")
    statement = (f"Product {product.identifier} generated by the Copernicus ground segment"
                 + (f" on {_datetime(product.creation_date)}" if product.creation_date else "")
                 + (f" with processing baseline {product.processing_baseline}"
                    if product.processing_baseline else "")
                 + (f" ({product.timeliness} timeliness)" if product.timeliness else "")
                 + ", checked and catalogued unchanged by the platform's rolling archive"
                 + (f", which keeps it until {_datetime(product.retention_deadline)}"
                    if product.retention_deadline else "") + ".")
    lineage = _sub(_sub(quality, "gmd:lineage"), "gmd:LI_Lineage")
    _string(lineage, "gmd:statement", statement)


def element_set(full: etree._Element, esn: str | None) -> etree._Element:
    """A copy of ``full`` cut down to the APISO ``brief`` or ``summary`` element set."""
    record = copy.deepcopy(full)
    if esn not in ("brief", "summary"):
        return record
    keep = _BRIEF if esn == "brief" else _SUMMARY
    for child in list(record):
        if isinstance(child.tag, str) and etree.QName(child).localname not in keep:
            record.remove(child)
    for ident in record.findall("gmd:identificationInfo/*", NSMAP):
        for child in list(ident):
            if not isinstance(child.tag, str):
                continue
            name = etree.QName(child).localname
            if (esn == "brief" and name not in _BRIEF_IDENTIFICATION) or \
                    (esn == "summary" and name in _SUMMARY_DROPS):
                ident.remove(child)
    etree.cleanup_namespaces(record)
    return record
