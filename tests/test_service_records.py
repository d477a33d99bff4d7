"""The service metadata records of the platform's network services (ISO 19139 / ISO 19119).

Every record is valid against the offline ISO 19139 schemas (gmd, gmx, srv), carries what the
INSPIRE Technical Guidance asks of service metadata, and is made from the settings: the
identifiers from the collections' namespace, the addresses from ``public_url``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from ogc_server.service_metadata import (
    KEYS,
    describe_service,
    describe_services,
    identifier_prefix,
    metadata_date,
    service_identifier,
    service_record,
)
from ogc_server.settings import Settings, load_settings
from tests.conftest import make_config
from tests.test_metadata_records import iso_codelists
from tests.xmlvalidate import ISO_METADATA, validate

NS = {"gmd": "http://www.isotc211.org/2005/gmd", "gco": "http://www.isotc211.org/2005/gco",
      "gmx": "http://www.isotc211.org/2005/gmx", "srv": "http://www.isotc211.org/2005/srv",
      "xlink": "http://www.w3.org/1999/xlink"}
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
SV = "gmd:identificationInfo/srv:SV_ServiceIdentification"
PUBLIC = "https://archive.example.org/platform"
EXPECTED = {  # key -> (INSPIRE service type, classification keyword)
    "csw": ("discovery", "infoCatalogueService"),
    "wms": ("view", "infoMapAccessService"),
    "wmts": ("view", "infoMapAccessService"),
    "wcs": ("download", "infoCoverageAccessService"),
    "wfs": ("download", "infoFeatureAccessService"),
    "dseo": ("download", "infoProductAccessService"),
    "opensearch": ("download", "infoProductAccessService"),
}
#: ISO 19119's code lists are not in the ISO 19139 catalogue of tests/schemas.
SRV_CODES = {"SV_CouplingType": {"loose", "mixed", "tight"}, "DCPList": {"WebServices"}}


@pytest.fixture
def deployed(tmp_path: Path) -> Settings:
    """The settings of a deployment behind another address (``OGC_SERVER_PUBLIC_URL``)."""
    return load_settings(make_config(tmp_path), environ={"OGC_SERVER_PUBLIC_URL": PUBLIC})


def _record(settings: Settings, key: str) -> etree._Element:
    return service_record(describe_service(settings, key), settings.contact,
                          settings.public_url, metadata_date(settings))


def _text(node: etree._Element, path: str) -> str:
    found = node.find(path, NS)
    assert found is not None, path
    return " ".join("".join(found.itertext()).split())


def test_one_record_per_service_type() -> None:
    assert set(KEYS) == set(EXPECTED)


@pytest.mark.parametrize("key", KEYS)
def test_record_is_valid_iso19139(key: str, deployed: Settings) -> None:
    validate(_record(deployed, key), ISO_METADATA)


@pytest.mark.parametrize("key", KEYS)
def test_record_is_an_inspire_service_record(key: str, deployed: Settings) -> None:
    root = _record(deployed, key)
    service = describe_service(deployed, key)
    kind, category = EXPECTED[key]
    assert _text(root, "gmd:fileIdentifier") == service.identifier == \
        f"EOP:CODE-DE:SERVICE:{key.upper()}"
    assert root.find("gmd:hierarchyLevel/gmd:MD_ScopeCode", NS).get("codeListValue") == \
        "service"
    assert _text(root, "gmd:dateStamp") == metadata_date(deployed).isoformat()
    assert _text(root, "gmd:contact//gmd:electronicMailAddress") == deployed.contact.email
    ident = root.find(SV, NS)
    assert _text(ident, "gmd:citation/gmd:CI_Citation/gmd:title") == service.title
    assert service.title.startswith(deployed.title)
    assert _text(ident, "gmd:abstract")
    assert _text(ident, "srv:serviceType/gco:LocalName") == kind
    versions = [_text(v, ".") for v in ident.findall("srv:serviceTypeVersion", NS)]
    assert versions == list(service.versions) and versions
    anchors = {a.text: a.get(XLINK_HREF) for a in ident.iterfind(
        "gmd:descriptiveKeywords/gmd:MD_Keywords/gmd:keyword/gmx:Anchor", NS)}
    assert anchors[category].endswith(f"/SpatialDataServiceCategory/{category}")
    access = ident.find("gmd:resourceConstraints/gmd:MD_LegalConstraints"
                        "[gmd:accessConstraints]/gmd:otherConstraints/gmx:Anchor", NS)
    assert access.get(XLINK_HREF).endswith("LimitationsOnPublicAccess/noLimitations")
    box = [float(_text(ident, f"srv:extent//gmd:{side}/gco:Decimal")) for side in
           ("westBoundLongitude", "southBoundLatitude", "eastBoundLongitude",
            "northBoundLatitude")]
    assert -180 <= box[0] < box[2] <= 180 and -90 <= box[1] < box[3] <= 90
    operations = {_text(o, "srv:operationName"): _text(o, "srv:connectPoint//gmd:URL")
                  for o in ident.iterfind("srv:containsOperations/srv:SV_OperationMetadata",
                                          NS)}
    assert service.capabilities in operations.values()
    locator = _text(root, "gmd:distributionInfo//gmd:CI_OnlineResource/gmd:linkage/gmd:URL")
    assert locator == service.capabilities
    result = root.find("gmd:dataQualityInfo/gmd:DQ_DataQuality/gmd:report/"
                       "gmd:DQ_DomainConsistency/gmd:result/gmd:DQ_ConformanceResult", NS)
    assert "976/2009" in _text(result, "gmd:specification/gmd:CI_Citation/gmd:title")
    passed = result.find("gmd:pass", NS)
    assert passed.get("{http://www.isotc211.org/2005/gco}nilReason") == "unknown"
    assert root.find("gmd:dataQualityInfo//gmd:level/gmd:MD_ScopeCode", NS).get(
        "codeListValue") == "service"


@pytest.mark.parametrize("key", KEYS)
def test_coupling_names_the_served_collections(key: str, deployed: Settings) -> None:
    ident = _record(deployed, key).find(SV, NS)
    coupling = ident.find("srv:couplingType/srv:SV_CouplingType", NS).get("codeListValue")
    links = ident.findall("srv:operatesOn", NS)
    if key == "csw":
        assert coupling == "loose" and not links
        return
    assert coupling == "tight"
    served = {c.identifier for c in deployed.collection_list}
    if key == "wcs":
        served = {"EOP:CODE-DE:S1_SAR_L1_GRD", "EOP:CODE-DE:S2_MSI_L1C",
                  "EOP:CODE-DE:S2_MSI_L2A"}
    assert {link.get("uuidref") for link in links} == served
    for link in links:
        href = link.get(XLINK_HREF)
        assert href.startswith(f"{PUBLIC}/csw?") and "request=GetRecordById" in href
        assert f"id={link.get('uuidref')}&" in href


@pytest.mark.parametrize("key", KEYS)
def test_code_list_values(key: str, deployed: Settings) -> None:
    lists = iso_codelists()
    checked = 0
    for element in _record(deployed, key).iter():
        code_list = element.get("codeList")
        if not code_list or "#" not in code_list:  # ISO 639-2 languages
            continue
        name = code_list.rsplit("#", 1)[1]
        assert name == etree.QName(element).localname
        assert element.get("codeListValue") in SRV_CODES.get(name, lists.get(name, set()))
        checked += 1
    assert checked > 8


def test_addresses_come_from_the_settings(deployed: Settings) -> None:
    for key in KEYS:
        text = etree.tostring(_record(deployed, key)).decode()
        assert "127.0.0.1" not in text
        urls = [u.text for u in _record(deployed, key).iter(f"{{{NS['gmd']}}}URL")]
        assert urls and all(u.startswith(PUBLIC) for u in urls)


def test_identifiers_follow_the_collections_namespace(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    config.write_text(config.read_text().replace("id: EOP:CODE-DE:", "id: EOP:EXAMPLE:"))
    settings = load_settings(config)
    assert identifier_prefix(settings) == "EOP:EXAMPLE"
    assert service_identifier(settings, "wcs") == "EOP:EXAMPLE:SERVICE:WCS"
    assert {s.identifier for s in describe_services(settings)} == {
        f"EOP:EXAMPLE:SERVICE:{k.upper()}" for k in KEYS}


def test_wcs_keeps_its_published_identifier(sqlite_settings: Settings) -> None:
    assert service_identifier(sqlite_settings, "wcs") == "EOP:CODE-DE:SERVICE:WCS"
