"""Service records over real HTTP: every metadata link of every capabilities document resolves
to the record it names, the capabilities stay valid against their schemas, and the service
records are found through CSW (Dublin Core, ISO 19139, CSW 3.0) and OGC API Records, on
SQLite and PostGIS (the whole platform on 127.0.0.1, ``demo_server``)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from lxml import etree

from ogc_server.ingest.xmlsafe import parse_xml
from ogc_server.service_metadata import KEYS, service_identifier
from ogc_server.settings import Settings
from tests.coverages.test_documents import EXTENSIONS, WCS_ALL
from tests.csw.helpers import assert_valid
from tests.features.helpers import WFS_XSD
from tests.view.helpers import get
from tests.view.test_wms import INSPIRE_VS, SLD_CAPABILITIES, WMS130
from tests.xmlvalidate import ISO_METADATA, validate

pytestmark = pytest.mark.system

GMD = "http://www.isotc211.org/2005/gmd"
COMMON = "http://inspire.ec.europa.eu/schemas/common/1.0"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
NS = {"gmd": GMD, "gco": "http://www.isotc211.org/2005/gco",
      "srv": "http://www.isotc211.org/2005/srv", "dc": "http://purl.org/dc/elements/1.1/",
      "csw": "http://www.opengis.net/cat/csw/2.0.2",
      "csw30": "http://www.opengis.net/cat/csw/3.0"}
#: Capabilities documents with an INSPIRE MetadataUrl: path, service key, schema check.
CAPABILITIES = {
    "csw-2.0.2": ("/csw?service=CSW&version=2.0.2&request=GetCapabilities", "csw"),
    "csw-3.0.0": ("/csw?service=CSW&acceptversions=3.0.0&request=GetCapabilities", "csw"),
    "wms-1.3.0": ("/wms?SERVICE=WMS&REQUEST=GetCapabilities&VERSION=1.3.0", "wms"),
    "wcs-2.0.1": ("/wcs?SERVICE=WCS&REQUEST=GetCapabilities", "wcs"),
    "wfs-2.0.0": ("/wfs?SERVICE=WFS&REQUEST=GetCapabilities", "wfs"),
}


def _xml(url: str) -> tuple[bytes, etree._Element]:
    status, _, body = get(url)
    assert status == 200, (url, body[:300])
    return body, parse_xml(body)


def _schema_check(name: str, body: bytes) -> None:
    if name.startswith("csw"):
        assert_valid(body)  # INSPIRE's discovery schema is not in tests/schemas
    elif name.startswith("wms"):
        validate(body, (WMS130, SLD_CAPABILITIES, INSPIRE_VS))
    elif name.startswith("wcs"):
        validate(body, (WCS_ALL, *EXTENSIONS), validation="lax")
    else:
        validate(body, WFS_XSD)


def _metadata_links(root: etree._Element) -> list[str]:
    """Every link to a metadata record a capabilities document holds: INSPIRE MetadataUrl,
    SpatialDataSetIdentifier/@metadataURL, WFS MetadataURL, WMS layer MetadataURL."""
    links = [u.text.strip() for u in root.iter(f"{{{COMMON}}}URL")
             if etree.QName(u.getparent()).localname == "MetadataUrl"]
    links += [e.get("metadataURL") for e in root.iter() if isinstance(e.tag, str)
              and e.get("metadataURL")]
    for element in root.iter():
        if isinstance(element.tag, str) and etree.QName(element).localname == "MetadataURL":
            href = element.get(XLINK_HREF) or next(
                (c.get(XLINK_HREF) for c in element.iter() if c.get(XLINK_HREF)), None)
            if href:
                links.append(href)
    return links


def _record_answer(url: str) -> etree._Element:
    """The one gmd:MD_Metadata a GetRecordById link answers, checked against ISO 19139."""
    _, root = _xml(url)
    records = root.findall(f"{{{GMD}}}MD_Metadata")
    assert len(records) == 1, url
    validate(records[0], ISO_METADATA)
    return records[0]


@pytest.mark.parametrize("name", CAPABILITIES)
def test_every_metadata_link_resolves_to_the_record_it_names(
        name: str, demo_server: str, demo_settings: Settings) -> None:
    path, key = CAPABILITIES[name]
    body, root = _xml(demo_server + path)
    _schema_check(name, body)
    links = _metadata_links(root)
    own = [u.text.strip() for u in root.iter(f"{{{COMMON}}}URL")
           if etree.QName(u.getparent()).localname == "MetadataUrl"]
    assert len(own) == 1, "one INSPIRE MetadataUrl: the service's own record"
    assert parse_qs(urlsplit(own[0]).query)["id"] == [service_identifier(demo_settings, key)]
    for url in dict.fromkeys(links):
        assert url.startswith(f"{demo_server}/csw?"), url
        wanted = parse_qs(urlsplit(url).query)["id"][0]
        record = _record_answer(url)
        assert record.findtext("gmd:fileIdentifier/gco:CharacterString",
                               namespaces=NS) == wanted


@pytest.mark.parametrize("key", KEYS)
def test_record_links_its_capabilities_and_collections(key: str, demo_server: str,
                                                       demo_settings: Settings) -> None:
    identifier = service_identifier(demo_settings, key)
    query = urlencode({"service": "CSW", "version": "2.0.2", "request": "GetRecordById",
                       "id": identifier, "outputSchema": GMD, "elementSetName": "full"})
    record = _record_answer(f"{demo_server}/csw?{query}")
    locator = record.findtext("gmd:distributionInfo//gmd:CI_OnlineResource/gmd:linkage/gmd:URL",
                              namespaces=NS)
    assert locator.startswith(demo_server + "/")
    _, capabilities = _xml(locator)
    versions = [v.findtext("gco:CharacterString", namespaces=NS) for v in record.iterfind(
        "gmd:identificationInfo/srv:SV_ServiceIdentification/srv:serviceTypeVersion", NS)]
    if capabilities.get("version"):  # OpenSearch descriptions have none
        assert any(v.endswith(" " + capabilities.get("version")) for v in versions), versions
    for link in record.iterfind("gmd:identificationInfo/*/srv:operatesOn", NS):
        series = _record_answer(link.get(XLINK_HREF))
        assert series.findtext("gmd:fileIdentifier/gco:CharacterString",
                               namespaces=NS) == link.get("uuidref")
        assert series.find("gmd:hierarchyLevel/gmd:MD_ScopeCode", NS).get(
            "codeListValue") == "series"


def test_service_records_are_found_through_every_catalogue_door(
        demo_server: str, demo_settings: Settings) -> None:
    expected = {service_identifier(demo_settings, key) for key in KEYS}
    search = {"service": "CSW", "version": "2.0.2", "request": "GetRecords",
              "typeNames": "csw:Record", "resultType": "results", "elementSetName": "brief",
              "maxRecords": 50, "constraintLanguage": "CQL_TEXT",
              "constraint_language_version": "1.1.0", "constraint": "dc:type = 'service'"}
    _, root = _xml(f"{demo_server}/csw?{urlencode(search)}")
    assert {e.text for e in root.iter(f"{{{NS['dc']}}}identifier")} == expected
    for identifier in sorted(expected):
        for version, schema, path in (
                ("2.0.2", None, "csw:Record/dc:identifier"),
                ("2.0.2", GMD, "gmd:MD_Metadata/gmd:fileIdentifier/gco:CharacterString"),
                ("3.0.0", None, "dc:identifier"),
                ("3.0.0", GMD, "gmd:fileIdentifier/gco:CharacterString")):
            args = {"service": "CSW", "version": version, "request": "GetRecordById",
                    "id": identifier, "elementSetName": "full"}
            if schema:
                args["outputSchema"] = schema
            _, answer = _xml(f"{demo_server}/csw?{urlencode(args)}")
            assert answer.findtext(path, namespaces=NS) == identifier, (version, schema)
        status, _, body = get(f"{demo_server}/ogcapi/collections/services/items/{identifier}")
        assert status == 200 and json.loads(body)["id"] == identifier
    status, _, body = get(f"{demo_server}/ogcapi/collections/services/items?limit=50")
    assert {f["id"] for f in json.loads(body)["features"]} == expected
