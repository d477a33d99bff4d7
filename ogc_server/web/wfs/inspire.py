"""INSPIRE extended capabilities of the WFS as a direct-access download service.

Scenario 2 of the INSPIRE Technical Guidance for Download Services (3.1): the service's
metadata is written into the capabilities (resource locator, type, temporal reference,
conformity, point of contact, metadata date, service type, mandatory keyword, languages), with
the optional ``MetadataUrl`` to the service's own record in the catalogue
(:mod:`ogc_server.service_metadata`, ``EOP:CODE-DE:SERVICE:WFS``; the metadata date is that
record's date), and each feature type's data set is named by a
``inspire_dls:SpatialDataSetIdentifier`` linked to its ISO 19139 record through CSW: code and
namespace as the record's ``RS_Identifier`` has them (``S2_MSI_L1C`` in ``EOP:CODE-DE`` for
``EOP:CODE-DE:S2_MSI_L1C``).
"""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree

from ogc_server.service_metadata import (
    CSW_RECORD_MEDIA_TYPE,
    NETWORK_SERVICES,
    describe_service,
    metadata_date,
    service_record_url,
)
from ogc_server.settings import Settings
from ogc_server.web.wfs.model import XSI, FeatureType

COMMON = "http://inspire.ec.europa.eu/schemas/common/1.0"
DLS = "http://inspire.ec.europa.eu/schemas/inspire_dls/1.0"
DLS_SCHEMA = "http://inspire.ec.europa.eu/schemas/inspire_dls/1.0/inspire_dls.xsd"
LANGUAGE = "eng"


def _c(parent: etree._Element, local: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{COMMON}}}{local}")
    if text is not None:
        element.text = text
    return element


def extended_capabilities(settings: Settings, types: Mapping[str, FeatureType],
                          metadata_urls: Mapping[str, str]) -> etree._Element:
    """``inspire_dls:ExtendedCapabilities`` (for ``ows:ExtendedCapabilities``)."""
    root = etree.Element(f"{{{DLS}}}ExtendedCapabilities",
                         nsmap={"inspire_dls": DLS, "inspire_common": COMMON, "xsi": XSI})
    locator = _c(root, "ResourceLocator")
    _c(locator, "URL", describe_service(settings, "wfs").capabilities)
    _c(locator, "MediaType", "application/xml")
    _c(root, "ResourceType", "service")
    when = metadata_date(settings).isoformat()
    _c(_c(root, "TemporalReference"), "DateOfLastRevision", when)
    conformity = _c(root, "Conformity")
    specification = _c(conformity, "Specification")
    _c(specification, "Title", NETWORK_SERVICES[0])
    _c(specification, "DateOfPublication", NETWORK_SERVICES[1])
    _c(conformity, "Degree", "notEvaluated")
    contact = _c(root, "MetadataPointOfContact")
    _c(contact, "OrganisationName", settings.contact.organisation)
    _c(contact, "EmailAddress", settings.contact.email)
    _c(root, "MetadataDate", when)
    _c(root, "SpatialDataServiceType", "download")
    # (the element's declared type is the classification of spatial data services)
    _c(_c(root, "MandatoryKeyword"), "KeywordValue", "infoFeatureAccessService")
    _c(_c(_c(root, "SupportedLanguages"), "DefaultLanguage"), "Language", LANGUAGE)
    _c(_c(root, "ResponseLanguage"), "Language", LANGUAGE)
    record = _c(root, "MetadataUrl")
    _c(record, "URL", service_record_url(settings, "wfs"))
    _c(record, "MediaType", CSW_RECORD_MEDIA_TYPE)
    for feature_type in types.values():
        identifier = feature_type.collection.identifier
        node = etree.SubElement(root, f"{{{DLS}}}SpatialDataSetIdentifier")
        if identifier in metadata_urls:
            node.set("metadataURL", metadata_urls[identifier])
        namespace, _, code = identifier.rpartition(":")
        _c(node, "Code", code)
        if namespace:
            _c(node, "Namespace", namespace)
    return root
