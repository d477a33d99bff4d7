"""The ISO 19139 / ISO 19119 record of a network service (``gmd:MD_Metadata``, hierarchy level
``service``, ``srv:SV_ServiceIdentification``), as the INSPIRE Technical Guidance for service
metadata asks for it:

* resource title, abstract, type (``service``) and locator (the capabilities, in the
  distribution's online resources, and as the ``GetCapabilities`` connect point);
* spatial data service type (``srv:serviceType``: ``discovery``, ``view`` or ``download``) with
  its versions, and the ISO 19119 classification keyword (``infoMapAccessService`` ...) as an
  anchor into the INSPIRE registry;
* coupled resources: ``srv:operatesOn`` links (``uuidref`` = the series record's identifier,
  ``xlink:href`` = its CSW GetRecordById) with ``srv:couplingType`` ``tight``;
* geographic bounding box of the served collections, conditions of access and use,
  responsible party, metadata point of contact, metadata date and language;
* conformity with the network services regulation, not evaluated (``gmd:pass`` with
  ``gco:nilReason="unknown"``, as for the collection records).
"""

from __future__ import annotations

from datetime import date

from lxml import etree

from ogc_server.iso19139 import GCO, GMD, GMX, SRV, XLINK, XSI
from ogc_server.iso19139 import anchor as _anchor
from ogc_server.iso19139 import code as _code
from ogc_server.iso19139 import language as _language
from ogc_server.iso19139 import string as _string
from ogc_server.iso19139 import sub as _sub
from ogc_server.links import Links
from ogc_server.service_metadata.descriptions import NETWORK_SERVICES, ServiceDescription
from ogc_server.settings import ContactSettings

NSMAP = {"gmd": GMD, "gco": GCO, "gmx": GMX, "srv": SRV, "xlink": XLINK, "xsi": XSI}
SCHEMA_LOCATION = (f"{GMD} http://schemas.opengis.net/iso/19139/20070417/gmd/gmd.xsd "
                   f"{GMX} http://schemas.opengis.net/iso/19139/20070417/gmx/gmx.xsd "
                   f"{SRV} http://schemas.opengis.net/iso/19139/20070417/srv/1.0/srv.xsd")
#: ISO 19119's code lists (coupling type, distributed computing platform).
SRV_CODELISTS = "http://www.isotc211.org/2005/iso19119/resources/Codelist/gmxCodelists.xml"
REGISTRY = "http://inspire.ec.europa.eu/metadata-codelist/"
SERVICE_TYPES = REGISTRY + "SpatialDataServiceType"
LEGAL_NOTICE = "https://sentinel.esa.int/documents/247904/690755/Sentinel_Data_Legal_Notice"
REGULATION_URL = ("https://eur-lex.europa.eu/LexUriServ/LexUriServ.do?"
                  "uri=OJ:L:2009:274:0009:0018:EN:PDF")
USE_CONDITIONS = (
    "The service is free of charge. The data it gives access to are Copernicus Sentinel data, "
    "available to all users under the Copernicus data policy and the Legal Notice on the use "
    "of Copernicus Sentinel Data and Service Information: any use, reproduction and "
    "distribution is allowed, provided the source is credited as 'Copernicus Sentinel data "
    "[year]' (or 'contains modified Copernicus Sentinel data [year]').")


def _date(parent: etree._Element, when: date, kind: str) -> None:
    cited = _sub(_sub(parent, "gmd:date"), "gmd:CI_Date")
    _sub(_sub(cited, "gmd:date"), "gco:Date", when.isoformat())
    _code(cited, "gmd:dateType", "CI_DateTypeCode", kind)


def service_record(service: ServiceDescription, contact: ContactSettings, public_url: str,
                   when: date) -> etree._Element:
    """The full ISO 19139 record of ``service``; ``when`` is its metadata date."""
    links = Links(public_url)
    site = contact.url or public_url
    root = etree.Element(f"{{{GMD}}}MD_Metadata", nsmap=NSMAP)
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
    _string(root, "gmd:fileIdentifier", service.identifier)
    _language(root)
    _code(root, "gmd:characterSet", "MD_CharacterSetCode", "utf8")
    _code(root, "gmd:hierarchyLevel", "MD_ScopeCode", "service")
    _string(root, "gmd:hierarchyLevelName", "service")
    _party(_sub(root, "gmd:contact"), contact, site, "pointOfContact")
    _sub(_sub(root, "gmd:dateStamp"), "gco:Date", when.isoformat())
    _string(root, "gmd:metadataStandardName", "ISO 19115:2003/19119:2005 (ISO/TS 19139:2007)")
    _string(root, "gmd:metadataStandardVersion", "1.0")
    ident = _sub(_sub(root, "gmd:identificationInfo"), "srv:SV_ServiceIdentification")
    _identification(ident, service, contact, site, when, links)
    _distribution(_sub(root, "gmd:distributionInfo"), service)
    _quality(_sub(root, "gmd:dataQualityInfo"))
    return root


def _party(wrapper: etree._Element, contact: ContactSettings, site: str, role: str) -> None:
    party = _sub(wrapper, "gmd:CI_ResponsibleParty")
    _string(party, "gmd:organisationName", contact.organisation)
    info = _sub(_sub(party, "gmd:contactInfo"), "gmd:CI_Contact")
    _string(_sub(_sub(info, "gmd:address"), "gmd:CI_Address"), "gmd:electronicMailAddress",
            contact.email)
    _sub(_sub(_sub(_sub(info, "gmd:onlineResource"), "gmd:CI_OnlineResource"), "gmd:linkage"),
         "gmd:URL", site)
    _code(party, "gmd:role", "CI_RoleCode", role)


def _identification(ident: etree._Element, service: ServiceDescription,
                    contact: ContactSettings, site: str, when: date, links: Links) -> None:
    citation = _sub(_sub(ident, "gmd:citation"), "gmd:CI_Citation")
    _string(citation, "gmd:title", service.title)
    _date(citation, when, "revision")
    code = _sub(_sub(citation, "gmd:identifier"), "gmd:RS_Identifier")
    space, _, local = service.identifier.rpartition(":")
    _string(code, "gmd:code", local)
    if space:
        _string(code, "gmd:codeSpace", space)
    _string(ident, "gmd:abstract", service.abstract)
    _party(_sub(ident, "gmd:pointOfContact"), contact, site, "pointOfContact")
    keywords = _sub(_sub(ident, "gmd:descriptiveKeywords"), "gmd:MD_Keywords")
    _anchor(keywords, "gmd:keyword", f"{REGISTRY}SpatialDataServiceCategory/{service.category}",
            service.category)
    free = _sub(_sub(ident, "gmd:descriptiveKeywords"), "gmd:MD_Keywords")
    for word in service.keywords:
        _string(free, "gmd:keyword", word)
    _code(free, "gmd:type", "MD_KeywordTypeCode", "theme")
    _constraints(ident)
    _sub(_sub(ident, "srv:serviceType"), "gco:LocalName", service.service_type,
         codeSpace=SERVICE_TYPES)
    for version in service.versions:
        _string(ident, "srv:serviceTypeVersion", version)
    extent = _sub(_sub(ident, "srv:extent"), "gmd:EX_Extent")
    box = _sub(_sub(extent, "gmd:geographicElement"), "gmd:EX_GeographicBoundingBox")
    west, south, east, north = service.bbox
    for side, value in (("westBoundLongitude", west), ("eastBoundLongitude", east),
                        ("southBoundLatitude", south), ("northBoundLatitude", north)):
        _sub(_sub(box, f"gmd:{side}"), "gco:Decimal", f"{value:.6f}")
    _code(ident, "srv:couplingType", "SV_CouplingType", service.coupling, SRV_CODELISTS)
    for operation in service.operations:
        meta = _sub(_sub(ident, "srv:containsOperations"), "srv:SV_OperationMetadata")
        _string(meta, "srv:operationName", operation.name)
        _code(meta, "srv:DCP", "DCPList", "WebServices", SRV_CODELISTS)
        _online(_sub(meta, "srv:connectPoint"), operation.url, service.protocol,
                operation.name, f"{operation.name} of the {service.title}", "information")
    for collection in service.operates_on:
        _sub(ident, "srv:operatesOn", uuidref=collection.identifier,
             xlink__href=links.csw_record(collection.identifier),
             xlink__title=collection.title)


def _constraints(ident: etree._Element) -> None:
    access = _sub(_sub(ident, "gmd:resourceConstraints"), "gmd:MD_LegalConstraints")
    _code(access, "gmd:accessConstraints", "MD_RestrictionCode", "otherRestrictions")
    _anchor(access, "gmd:otherConstraints", f"{REGISTRY}LimitationsOnPublicAccess/noLimitations",
            "No limitations to public access")
    use = _sub(_sub(ident, "gmd:resourceConstraints"), "gmd:MD_LegalConstraints")
    _code(use, "gmd:useConstraints", "MD_RestrictionCode", "otherRestrictions")
    _string(use, "gmd:otherConstraints", USE_CONDITIONS)
    _anchor(use, "gmd:otherConstraints", LEGAL_NOTICE,
            "Legal Notice on the use of Copernicus Sentinel Data and Service Information")


def _online(wrapper: etree._Element, url: str, protocol: str, name: str, description: str,
            function: str) -> None:
    resource = _sub(wrapper, "gmd:CI_OnlineResource")
    _sub(_sub(resource, "gmd:linkage"), "gmd:URL", url)
    _string(resource, "gmd:protocol", protocol)
    _string(resource, "gmd:name", name)
    _string(resource, "gmd:description", description)
    _code(resource, "gmd:function", "CI_OnLineFunctionCode", function)


def _distribution(wrapper: etree._Element, service: ServiceDescription) -> None:
    options = _sub(_sub(_sub(wrapper, "gmd:MD_Distribution"), "gmd:transferOptions"),
                   "gmd:MD_DigitalTransferOptions")
    function = "search" if service.service_type == "discovery" else "information"
    _online(_sub(options, "gmd:onLine"), service.capabilities, service.protocol,
            service.title, f"Capabilities of the {service.title} ({service.media_type})",
            function)


def _quality(wrapper: etree._Element) -> None:
    quality = _sub(wrapper, "gmd:DQ_DataQuality")
    scope = _sub(_sub(quality, "gmd:scope"), "gmd:DQ_Scope")
    _code(scope, "gmd:level", "MD_ScopeCode", "service")
    _string(_sub(_sub(scope, "gmd:levelDescription"), "gmd:MD_ScopeDescription"), "gmd:other",
            "service")
    report = _sub(_sub(quality, "gmd:report"), "gmd:DQ_DomainConsistency")
    result = _sub(_sub(report, "gmd:result"), "gmd:DQ_ConformanceResult")
    specification = _sub(_sub(result, "gmd:specification"), "gmd:CI_Citation")
    _anchor(specification, "gmd:title", REGULATION_URL, NETWORK_SERVICES[0])
    _date(specification, date.fromisoformat(NETWORK_SERVICES[1]), "publication")
    _string(result, "gmd:explanation", "See the referenced specification")
    _sub(result, "gmd:pass", gco__nilReason="unknown")
