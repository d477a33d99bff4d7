"""Capabilities: generated from the platform's settings, INSPIRE discovery extended
capabilities, and only what the endpoint really offers."""

from __future__ import annotations

import pytest
from werkzeug.test import Client

from ogc_server.services import Services
from ogc_server.settings import Settings
from plugins.pycsw_.app import build_wsgi_app
from tests.csw.helpers import NS, assert_valid

V2 = {"service": "CSW", "version": "2.0.2", "request": "GetCapabilities"}
V3 = {"service": "CSW", "acceptversions": "3.0.0", "request": "GetCapabilities"}
ISO = "http://www.isotc211.org/2005/gmd"


def _values(root, ows: str, operation: str, parameter: str) -> set[str]:  # noqa: ANN001
    path = (f"{ows}:OperationsMetadata/{ows}:Operation[@name='{operation}']/"
            f"{ows}:Parameter[@name='{parameter}']//{ows}:Value")
    return {v.text for v in root.findall(path, NS)}


def test_capabilities_202(csw: Client, demo_settings: Settings) -> None:
    root = assert_valid(csw.get("/", query_string=V2).get_data())
    operations = {o.get("name") for o in root.findall("ows:OperationsMetadata/ows:Operation",
                                                       NS)}
    assert operations == {"GetCapabilities", "DescribeRecord", "GetDomain", "GetRecords",
                          "GetRecordById", "GetRepositoryItem"}
    assert _values(root, "ows", "GetRecords", "outputSchema") == {
        "http://www.opengis.net/cat/csw/2.0.2", ISO}
    assert _values(root, "ows", "GetRecords", "outputFormat") == {"application/xml"}
    queryables = {v.text for v in root.findall(
        "ows:OperationsMetadata/ows:Operation[@name='GetRecords']/ows:Constraint/ows:Value", NS)}
    assert {"apiso:Title", "apiso:TempExtent_begin", "apiso:CloudCover", "apiso:Platform",
            "apiso:OrbitNumber", "dc:identifier", "csw:AnyText"} <= queryables
    for get in root.findall(".//ows:DCP/ows:HTTP/*", NS):
        assert get.get("{http://www.w3.org/1999/xlink}href") == f"{demo_settings.public_url}/csw"
    inspire = root.find("ows:OperationsMetadata/inspire_ds:ExtendedCapabilities", NS)
    assert inspire is not None

    def text(path: str) -> str | None:
        return inspire.findtext(path, namespaces=NS)

    assert text("inspire_common:ResourceLocator/inspire_common:URL").startswith(
        f"{demo_settings.public_url}/csw?")
    assert text("inspire_common:SpatialDataServiceType") == "discovery"
    assert text("inspire_common:MandatoryKeyword/inspire_common:KeywordValue") == \
        "infoCatalogueService"
    assert text("inspire_common:MetadataPointOfContact/inspire_common:EmailAddress") == \
        demo_settings.contact.email
    themes = {k.text for k in inspire.findall(
        "inspire_common:Keyword/inspire_common:KeywordValue", NS)}
    assert {"Orthoimagery", "Atmospheric conditions", "Land cover"} <= themes
    assert text("inspire_common:SupportedLanguages/inspire_common:DefaultLanguage/"
                "inspire_common:Language") == "eng"


def test_capabilities_300(csw: Client, demo_settings: Settings) -> None:
    root = assert_valid(csw.get("/", query_string=V3).get_data())
    constraints = {c.get("name"): [v.text for v in c.iter("{*}Value")]
                   for c in root.iter("{http://www.opengis.net/ows/2.0}Constraint")}
    conformance = "http://www.opengis.net/spec/csw/3.0/conf/"
    for name in ("Transaction", "OpenSearch", "Harvest-Basic-XML", "GetRecords-Async-KVP"):
        assert constraints[conformance + name] == ["FALSE"]
    for name in ("Filter-CQL", "Filter-FES-XML", "GetRecordById-XML"):
        assert constraints[conformance + name] == ["TRUE"]
    assert constraints["OpenSearchDescriptionDocument"] == [
        f"{demo_settings.public_url}/opensearch/description.xml"]
    assert constraints["PostEncoding"] == ["XML"]
    wrapped = root.find("ows20:OperationsMetadata/ows20:ExtendedCapabilities/"
                        "inspire_ds:ExtendedCapabilities", NS)
    assert wrapped is not None


@pytest.mark.parametrize("version", ["2.0.2", "3.0.0"])
def test_configuration_comes_from_the_settings(version: str, csw_services: Services,
                                               demo_settings: Settings) -> None:
    settings = demo_settings.model_copy(update={
        "title": "Test archive", "public_url": "https://archive.example.org/platform"})
    services = Services(settings=settings, engine=csw_services.engine,
                        store=csw_services.store, storage=csw_services.storage)
    client = Client(build_wsgi_app(services))
    query = V2 if version == "2.0.2" else V3
    body = client.get("/", query_string=query).get_data()
    root = assert_valid(body)
    assert root.findtext("{*}ServiceIdentification/{*}Title") == \
        "Test archive: catalogue service"
    assert b"https://archive.example.org/platform/csw" in body
    assert b"127.0.0.1:8080/csw" not in body and b"127.0.0.1:8080/opensearch" not in body
