"""Capabilities and DescribeCoverage, valid against the official WCS 2.0 / GMLCOV schemas."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from lxml import etree

from ogc_server.archive.model import Product
from tests.xmlvalidate import parse, validate

WCS_ALL = "http://schemas.opengis.net/wcs/2.0/wcsAll.xsd"
EXTENSIONS = (
    "http://schemas.opengis.net/wcs/crs/1.0/wcsCrs.xsd",
    "http://schemas.opengis.net/wcs/interpolation/1.0/wcsInt.xsd",
)
NS = {"wcs": "http://www.opengis.net/wcs/2.0", "ows": "http://www.opengis.net/ows/2.0",
      "gml": "http://www.opengis.net/gml/3.2", "swe": "http://www.opengis.net/swe/2.0"}


def test_capabilities_are_valid_and_list_the_coverages(client: FlaskClient,
                                                       demo_products: list[Product]) -> None:
    response = client.get("/wcs?service=WCS&request=GetCapabilities")
    assert response.status_code == 200
    validate(response.data, (WCS_ALL, *EXTENSIONS), validation="lax")
    root = parse(response.data)
    ids = root.xpath("//wcs:CoverageSummary/wcs:CoverageId/text()", namespaces=NS)
    expected = {p.identifier for p in demo_products if p.product_type in
                ("S2MSI1C", "S2MSI2A", "GRD")}
    assert set(ids) == expected and len(ids) == len(expected)
    profiles = root.xpath("//ows:Profile/text()", namespaces=NS)
    assert any(p.endswith("WCS_service-extension_scaling/1.0/conf/scaling") for p in profiles)
    assert root.xpath("//wcs:formatSupported/text()", namespaces=NS) == [
        "image/tiff", "application/netcdf"]


def test_capabilities_bounding_box_is_the_footprint(client: FlaskClient, s2: Product) -> None:
    root = parse(client.get("/wcs?service=WCS&request=GetCapabilities").data)
    summary = root.xpath(f"//wcs:CoverageSummary[wcs:CoverageId='{s2.identifier}']",
                         namespaces=NS)[0]
    lower = summary.findtext("ows:WGS84BoundingBox/ows:LowerCorner", namespaces=NS)
    west, south = (float(v) for v in lower.split())
    assert abs(west - s2.footprint.bounds[0]) < 1e-5
    assert abs(south - s2.footprint.bounds[1]) < 1e-5


def test_version_negotiation(client: FlaskClient) -> None:
    response = client.get("/wcs?service=WCS&request=GetCapabilities&acceptVersions=1.0.0")
    assert response.status_code == 400
    assert b'exceptionCode="VersionNegotiationFailed"' in response.data


def test_describe_coverage_is_valid_gmlcov(client: FlaskClient, s2: Product,
                                           grd: Product) -> None:
    response = client.get("/wcs?service=WCS&version=2.0.1&request=DescribeCoverage"
                          f"&coverageId={s2.identifier},{grd.identifier}")
    assert response.status_code == 200
    validate(response.data, WCS_ALL, validation="lax")
    root = parse(response.data)
    first, second = root.xpath("//wcs:CoverageDescription", namespaces=NS)
    assert first.findtext("wcs:CoverageId", namespaces=NS) == s2.identifier
    grid = first.find("gml:domainSet/gml:RectifiedGrid", NS)
    assert re.search(r"/def/crs/EPSG/0/32[67][0-6][0-9]$", grid.get("srsName"))
    assert grid.findtext("gml:axisLabels", namespaces=NS) == "E N"
    fields = first.xpath(".//swe:field/@name", namespaces=NS)
    assert fields == ["B02", "B03", "B04", "B08"]
    envelope = second.find("gml:boundedBy/gml:Envelope", NS)
    assert envelope.get("srsName").endswith("/4326")
    assert envelope.get("axisLabels") == "Lat Long"
    assert second.xpath(".//swe:field/@name", namespaces=NS) == ["VV", "VH"]


def test_the_schema_check_catches_a_broken_description(client: FlaskClient,
                                                      s2: Product) -> None:
    """OWS 2.0 needs lax schema building (an illegal restriction in OGC's own schema): the
    documents are still checked, as a description without its domain set shows."""
    response = client.get("/wcs?service=WCS&version=2.0.1&request=DescribeCoverage"
                          f"&coverageId={s2.identifier}")
    root = parse(response.data)
    domain = root.find(".//gml:domainSet", NS)
    domain.getparent().remove(domain)
    with pytest.raises(AssertionError):
        validate(etree.tostring(root), WCS_ALL, validation="lax")


def test_describe_unknown_coverage(client: FlaskClient) -> None:
    response = client.get("/wcs?service=WCS&version=2.0.1&request=DescribeCoverage"
                          "&coverageId=S2A_MSIL1C_NOPE")
    assert response.status_code == 404
    assert b'exceptionCode="NoSuchCoverage"' in response.data


def test_capabilities_carry_inspire_download_service_facts(client: FlaskClient) -> None:
    """INSPIRE download-service extended capabilities (scenario 1), checked for structure:
    the INSPIRE schemas are not in the offline schema store."""
    root = etree.fromstring(client.get("/wcs?service=WCS&request=GetCapabilities").data)
    ows = "http://www.opengis.net/ows/2.0"
    dls = "http://inspire.ec.europa.eu/schemas/inspire_dls/1.0"
    common = "http://inspire.ec.europa.eu/schemas/common/1.0"
    metadata = root.find(f"{{{ows}}}OperationsMetadata")
    assert metadata is not None
    assert etree.QName(metadata[-1]).localname == "ExtendedCapabilities"
    extended = metadata[-1].find(f"{{{dls}}}ExtendedCapabilities")
    assert extended is not None
    names = [etree.QName(child).localname for child in extended]
    assert names[:3] == ["MetadataUrl", "SupportedLanguages", "ResponseLanguage"]
    assert set(names[3:]) == {"SpatialDataSetIdentifier"}
    url = extended.findtext(f"{{{common}}}MetadataUrl/{{{common}}}URL")
    assert url and "/csw?" in url and "request=GetRecordById" in url
    assert extended.findtext(f"{{{common}}}SupportedLanguages/{{{common}}}DefaultLanguage/"
                             f"{{{common}}}Language") == "eng"
    assert extended.findtext(f"{{{common}}}ResponseLanguage/{{{common}}}Language") == "eng"
    identifiers = {(node.findtext(f"{{{common}}}Code"), node.findtext(f"{{{common}}}Namespace"))
                   for node in extended.iter(f"{{{dls}}}SpatialDataSetIdentifier")}
    assert identifiers == {("S2_MSI_L1C", "EOP:CODE-DE"), ("S2_MSI_L2A", "EOP:CODE-DE"),
                           ("S1_SAR_L1_GRD", "EOP:CODE-DE")}
    for node in extended.iter(f"{{{dls}}}SpatialDataSetIdentifier"):
        code = node.findtext(f"{{{common}}}Code")
        assert f"id=EOP:CODE-DE:{code}&" in node.get("metadataURL", "")
