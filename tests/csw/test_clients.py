"""Real clients against the composed platform (``compose.build_application``) served on
127.0.0.1: OWSLib's CatalogueServiceWeb searches, fetches ISO records, and harvests the whole
catalogue page by page the way an INSPIRE harvester does."""

from __future__ import annotations

import http.client
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from owslib.csw import CatalogueServiceWeb
from owslib.fes import And, BBox, PropertyIsEqualTo, PropertyIsLike, SortBy, SortProperty
from owslib.iso import MD_Metadata

from ogc_server.compose import build_application
from ogc_server.service_metadata import KEYS as SERVICE_KEYS
from ogc_server.settings import Settings
from tests.conftest import DEMO_PRODUCTS
from tests.web.server import running

pytestmark = pytest.mark.system
GMD = "http://www.isotc211.org/2005/gmd"
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
              "trailers", "transfer-encoding", "upgrade"}


@pytest.fixture(scope="module")
def platform(demo_settings: Settings) -> Iterator[str]:
    """The composed platform on a free port; its public URL is that address."""
    holder: dict[str, Callable[..., Any]] = {}

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return holder["app"](environ, start_response)

    with running(app) as base:
        holder["app"] = build_application(demo_settings.model_copy(update={"public_url": base}))
        yield base


@pytest.fixture(scope="module")
def client(platform: str) -> CatalogueServiceWeb:
    return CatalogueServiceWeb(f"{platform}/csw", timeout=60)


def test_capabilities_through_owslib(client: CatalogueServiceWeb, platform: str) -> None:
    assert "catalogue service" in client.identification.title
    names = [op.name for op in client.operations]
    assert {"GetCapabilities", "DescribeRecord", "GetRecords", "GetRecordById"} <= set(names)
    assert "Transaction" not in names and "Harvest" not in names
    get_records = client.get_operation_by_name("GetRecords")
    assert all(m["url"] == f"{platform}/csw" for m in get_records.methods)
    assert GMD in get_records.parameters["outputSchema"]["values"]


def test_getrecords_bbox_and_like(client: CatalogueServiceWeb) -> None:
    germany = BBox([47.0, 5.0, 55.5, 16.0], crs="urn:ogc:def:crs:EPSG::4326")
    sentinel2 = PropertyIsLike("dc:title", "S2%")
    client.getrecords2(constraints=[And([germany, sentinel2])], esn="summary", maxrecords=50,
                       sortby=SortBy([SortProperty("dc:identifier", "ASC")]))
    assert client.results["matches"] == client.results["returned"] == len(client.records) > 0
    assert list(client.records) == sorted(client.records)
    for record in client.records.values():
        assert record.identifier.startswith("S2") and record.type == "dataset"
        assert record.bbox is not None and record.references
    client.getrecords2(constraints=[sentinel2], esn="brief", maxrecords=0, resulttype="hits")
    assert client.results["matches"] > len(client.records) == 0


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_getrecordbyid_iso(client: CatalogueServiceWeb) -> None:
    products = And([PropertyIsLike("apiso:Platform", "Sentinel-1"),
                    PropertyIsEqualTo("apiso:Type", "dataset")])
    client.getrecords2(constraints=[products], typenames="gmd:MD_Metadata", esn="brief",
                       maxrecords=1)
    product = next(iter(client.records))
    client.getrecordbyid(id=["EOP:CODE-DE:S1_SAR_L1_GRD", product], outputschema=GMD)
    series, record = (client.records[i] for i in ("EOP:CODE-DE:S1_SAR_L1_GRD", product))
    assert isinstance(series, MD_Metadata) and isinstance(record, MD_Metadata)
    assert series.hierarchy == "series" and series.parentidentifier is None
    assert record.hierarchy == "dataset" and record.parentidentifier == series.identifier
    assert record.identification.title == product
    urls = [r.url for r in record.distribution.online]
    assert any("/download/" in u for u in urls)
    assert any("/opensearch/description.xml?parentIdentifier=" in u for u in urls)


@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.parametrize("version", ["2.0.2", "3.0.0"])
def test_inspire_harvest_pages_through_everything(platform: str, version: str) -> None:
    harvester = CatalogueServiceWeb(f"{platform}/csw", version=version, timeout=60)
    seen: list[str] = []
    position, total = 1, None
    search = harvester.getrecords2 if version == "2.0.2" else harvester.getrecords
    while position:
        search(outputschema=GMD, typenames="gmd:MD_Metadata", esn="full",
               startposition=position, maxrecords=10)
        total = harvester.results["matches"]
        seen += list(harvester.records)
        for record in harvester.records.values():
            assert isinstance(record, MD_Metadata) and record.identifier
            assert record.hierarchy in ("series", "dataset", "service")
        position = harvester.results["nextrecord"]
        assert len(seen) <= total
    assert total == DEMO_PRODUCTS + 11 + len(SERVICE_KEYS)
    assert len(seen) == len(set(seen)) == total


def test_http_headers_are_clean(platform: str) -> None:
    parts = urlsplit(platform)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        for method, path, body in (
            ("GET", "/csw?service=CSW&version=2.0.2&request=GetCapabilities", None),
            ("POST", "/csw", b"<not-xml"),
            ("GET", "/csw?service=CSW&version=2.0.2&request=Transaction", None),
        ):
            connection.request(method, path, body=body,
                               headers={"Content-Type": "application/xml"} if body else {})
            response = connection.getresponse()
            data = response.read()
            assert int(response.getheader("Content-Length")) == len(data)
            assert response.getheader("Content-Type").startswith("application/xml")
            assert not {k.lower() for k, _ in response.getheaders()} & (HOP_BY_HOP - {
                "connection", "keep-alive"})  # the server's own connection handling
            assert data.startswith(b"<?xml")
    finally:
        connection.close()
