"""INSPIRE extended capabilities of the WFS as a direct-access download service.

Scenario 2 of the INSPIRE Technical Guidance for Download Services (3.1): the service's
metadata is written into the capabilities (resource locator, type, temporal reference,
conformity, point of contact, metadata date, service type, mandatory keyword, languages), and
each feature type's data set is named by a ``inspire_dls:SpatialDataSetIdentifier`` linked to
its ISO 19139 record through CSW: code and namespace as the record's ``RS_Identifier`` has them
(``S2_MSI_L1C`` in ``EOP:CODE-DE`` for ``EOP:CODE-DE:S2_MSI_L1C``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime

from lxml import etree

from ogc_server.settings import Settings
from ogc_server.web.wfs.model import XSI, FeatureType

COMMON = "http://inspire.ec.europa.eu/schemas/common/1.0"
DLS = "http://inspire.ec.europa.eu/schemas/inspire_dls/1.0"
DLS_SCHEMA = "http://inspire.ec.europa.eu/schemas/inspire_dls/1.0/inspire_dls.xsd"
#: The regulation every INSPIRE network service is declared against (not evaluated here).
NETWORK_SERVICES = ("COMMISSION REGULATION (EC) No 976/2009 of 19 October 2009 implementing "
                    "Directive 2007/2/EC of the European Parliament and of the Council as "
                    "regards the Network Services", "2009-10-20")
LANGUAGE = "eng"


def _c(parent: etree._Element, local: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{COMMON}}}{local}")
    if text is not None:
        element.text = text
    return element


def metadata_date(settings: Settings) -> date:
    """When the service's metadata last changed: the configuration file's date."""
    config = settings.config_file
    if config is not None and config.is_file():
        return datetime.fromtimestamp(config.stat().st_mtime, UTC).date()
    return datetime.now(UTC).date()


def extended_capabilities(settings: Settings, url: str, types: Mapping[str, FeatureType],
                          metadata_urls: Mapping[str, str]) -> etree._Element:
    """``inspire_dls:ExtendedCapabilities`` (for ``ows:ExtendedCapabilities``)."""
    root = etree.Element(f"{{{DLS}}}ExtendedCapabilities",
                         nsmap={"inspire_dls": DLS, "inspire_common": COMMON, "xsi": XSI})
    locator = _c(root, "ResourceLocator")
    _c(locator, "URL", f"{url}?SERVICE=WFS&REQUEST=GetCapabilities")
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
