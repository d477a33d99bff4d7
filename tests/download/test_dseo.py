"""DSEO 1.0 (OGC 13-043) at /dseo: capabilities, GetProduct, DescribeProduct, exceptions."""

from __future__ import annotations

import hashlib

import pytest
from flask.testing import FlaskClient
from lxml import etree

from ogc_server.archive.model import OnlineState, Product
from ogc_server.archive.query import ProductQuery
from ogc_server.download.metalink import MEDIA_TYPE, NS
from ogc_server.services import Services
from ogc_server.web import create_app
from ogc_server.web.dseo import DSEO, OWS
from tests.xmlvalidate import validate

OWS_SCHEMA = "http://schemas.opengis.net/ows/2.0/owsExceptionReport.xsd"
OWS_METADATA = "http://schemas.opengis.net/ows/2.0/owsGetCapabilities.xsd"
N = {"ows": OWS, "dseo": DSEO}


def _exception(response, status: int, code: str, locator: str | None) -> None:
    assert response.status_code == status
    assert response.mimetype == "application/xml"
    validate(response.data, OWS_SCHEMA, validation="lax")
    node = etree.fromstring(response.data).find("ows:Exception", N)
    assert node.get("exceptionCode") == code
    assert node.get("locator") == locator


def test_capabilities(client: FlaskClient) -> None:
    response = client.get("/dseo?service=DSEO&request=GetCapabilities")
    assert response.status_code == 200
    root = etree.fromstring(response.data)
    assert root.tag == f"{{{DSEO}}}Capabilities" and root.get("version") == "1.0.0"
    names = [o.get("name") for o in root.iterfind("ows:OperationsMetadata/ows:Operation", N)]
    assert names == ["GetCapabilities", "GetProduct", "DescribeProduct"]
    assert root.findtext("ows:ServiceIdentification/ows:ServiceType", namespaces=N) == "DSEO"
    for part in ("ServiceIdentification", "ServiceProvider", "OperationsMetadata"):
        validate(etree.tostring(root.find(f"ows:{part}", N)), OWS_METADATA,
                 validation="lax")


def test_get_product_sends_the_product(client: FlaskClient, zipped: Product) -> None:
    whole = client.get(f"/download/{zipped.file_name}").data
    for uri in (zipped.identifier, zipped.file_name,
                f"http://127.0.0.1:8080/download/{zipped.file_name}"):
        response = client.get("/dseo", query_string={
            "service": "DSEO", "version": "1.0.0", "request": "GetProduct", "ProductURI": uri})
        assert response.status_code == 200, uri
        assert response.data == whole
        assert zipped.file_name in response.headers["Content-Disposition"]
    ranged = client.get("/dseo", headers={"Range": "bytes=0-3"}, query_string={
        "SERVICE": "dseo", "VERSION": "1.0.0", "REQUEST": "getproduct",
        "producturi": zipped.identifier})
    assert ranged.status_code == 206 and ranged.data == b"PK\x03\x04"


def test_describe_product_is_a_metalink(client: FlaskClient, zipped: Product) -> None:
    whole = client.get(f"/download/{zipped.file_name}").data
    response = client.get("/dseo", query_string={
        "service": "DSEO", "version": "1.0.0", "request": "DescribeProduct",
        "ProductURI": zipped.identifier})
    assert response.status_code == 200 and response.mimetype == MEDIA_TYPE
    node = etree.fromstring(response.data).find(f"{{{NS}}}file")
    assert node.get("name") == zipped.file_name
    assert node.find(f"{{{NS}}}hash[@type='sha-256']").text == hashlib.sha256(whole).hexdigest()


@pytest.mark.parametrize(("query", "status", "code", "locator"), [
    ("", 400, "MissingParameterValue", "service"),
    ("service=WMS&request=GetCapabilities", 400, "InvalidParameterValue", "service"),
    ("service=DSEO", 400, "MissingParameterValue", "request"),
    ("service=DSEO&request=GetMap", 501, "OperationNotSupported", "request"),
    ("service=DSEO&request=GetCapabilities&AcceptVersions=2.0.0", 400,
     "VersionNegotiationFailed", "AcceptVersions"),
    ("service=DSEO&request=GetProduct&ProductURI=x", 400, "MissingParameterValue", "version"),
    ("service=DSEO&request=GetProduct&version=2.0&ProductURI=x", 400,
     "InvalidParameterValue", "version"),
    ("service=DSEO&request=GetProduct&version=1.0.0", 400, "MissingParameterValue",
     "ProductURI"),
    ("service=DSEO&request=GetProduct&version=1.0.0&ProductURI=nothing", 404,
     "InvalidParameterValue", "ProductURI"),
    ("service=DSEO&request=GetProduct&version=1.0.0&ProductURI=..%2F..%2Fetc%2Fpasswd", 404,
     "InvalidParameterValue", "ProductURI"),
    ("service=DSEO&request=GetProduct&version=1.0.0&ProductURI=%00", 404,
     "InvalidParameterValue", "ProductURI"),
    ("service=DSEO&request=DescribeProduct&version=1.0.0&ProductURI=file%3A%2F%2F%2Fetc",
     404, "InvalidParameterValue", "ProductURI"),
    ("service=DSEO&request=GetProduct&version=1.0.0&ProductURI=http%3A%2F%2F%5B%3A%3A1", 404,
     "InvalidParameterValue", "ProductURI"),
    ("service=DSEO&request=GetProduct&version=1.0.0&ProductURI=%2F%2F%2F", 404,
     "InvalidParameterValue", "ProductURI"),
])
def test_exceptions(client: FlaskClient, query: str, status: int, code: str,
                    locator: str | None) -> None:
    _exception(client.get(f"/dseo?{query}"), status, code, locator)


def test_offline_product_is_accepted(writable: Services) -> None:
    client = create_app(writable).test_client()
    product = next(p for p in writable.store.query(ProductQuery(limit=10)).products
                   if p.online_state != OnlineState.ONLINE)
    query = {"service": "DSEO", "version": "1.0.0", "request": "GetProduct",
             "ProductURI": product.identifier}
    codes = []
    for _ in range(2):
        response = client.get("/dseo", query_string=query)
        assert response.status_code == 202
        assert response.headers["Retry-After"].isdigit()
        root = etree.fromstring(response.data)
        assert root.tag == f"{{{DSEO}}}ProductDownloadResponse"
        codes.append(root.findtext("dseo:ResponseCode", namespaces=N))
        assert root.findtext("dseo:RetryAfter", namespaces=N).isdigit()
    assert codes == ["ACCEPTED", "IN_PROGRESS"]
