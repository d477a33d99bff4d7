"""Bad input: 400 (unknown collection: 404) naming the parameter, XML or JSON; never a 500."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from ogc_server.web.opensearch.params import PARAMETERS
from ogc_server.web.opensearch.ranges import MAX_VALUE_LENGTH
from tests.xmlvalidate import parse

S2 = "parentIdentifier=EOP:CODE-DE:S2_MSI_L1C"
OWS = {"ows": "http://www.opengis.net/ows/2.0"}
TOO_MANY_VERTICES = "POLYGON((" + ",".join(f"{i * 0.0001} 0" for i in range(10_001)) + ",0 1,0 0))"

BAD = [
    ("bbox=1,2,3", "bbox"),
    ("bbox=0,95,1,96", "bbox"),
    ("geometry=POLYGON((0 0,1 1", "geometry"),
    ("geometry=POLYGON((0 0,1 1,1 0,0 1,0 0))", "geometry"),
    (f"geometry={quote(TOO_MANY_VERTICES)}", "geometry"),
    ("startDate=2020-13-45", "startDate"),
    ("endDate=tomorrow", "endDate"),
    ("startDate=2021-01-01&endDate=2020-01-01", "startDate"),
    ("creationDate=[2020-01-01,", "creationDate"),
    ("cloudCover=[50,10]", "cloudCover"),
    ("cloudCover=%5B0%2C", "cloudCover"),
    ("orbitNumber=12.5", "orbitNumber"),
    ("maximumRecords=501", "maximumRecords"),
    ("startRecord=0", "startRecord"),
    ("startPage=-1", "startPage"),
    ("radius=1000", "radius"),
    ("lat=50&lon=7&radius=0", "radius"),
    ("lat=50", "lon"),
    ("timerelation=near", "timerelation"),
    ("relation=near", "relation"),
    ("sortKeys=footprint,,1", "sortKeys"),
    ("orbitDirection=' OR 1=1 --", "orbitDirection"),
    ("cloudCover=<script>alert(1)</script>", "cloudCover"),
    ("recordSchema=iso", "recordSchema"),
    (f"query={'x' * (MAX_VALUE_LENGTH + 1)}", "query"),
    ("productType=%00", "productType"),
]


def _check_xml(response, status: int, locator: str) -> None:  # noqa: ANN001
    assert response.status_code == status, response.data[:500]
    assert response.mimetype == "application/xml"
    doc = parse(response.data)
    assert doc.xpath("//ows:Exception/@locator", namespaces=OWS) == [locator]
    assert doc.xpath("//ows:ExceptionText/text()", namespaces=OWS)
    assert b"Traceback" not in response.data


def _check_json(response, status: int, locator: str) -> None:  # noqa: ANN001
    assert response.status_code == status, response.data[:500]
    assert response.mimetype == "application/problem+json"
    assert response.json["parameter"] == locator
    assert response.json["status"] == status


IDS = [query[:40] for query, _ in BAD]


@pytest.mark.parametrize(("query", "locator"), BAD, ids=IDS)
def test_bad_input_atom_and_sru_get_an_xml_exception(demo_client: FlaskClient, query: str,
                                                     locator: str) -> None:
    _check_xml(demo_client.get(f"/opensearch/request?{S2}&{query}"), 400, locator)
    _check_xml(demo_client.get(f"/opensearch/request?{S2}&{query}"
                               "&httpAccept=application/sru%2Bxml"), 400, locator)


@pytest.mark.parametrize(("query", "locator"), BAD, ids=IDS)
def test_bad_input_geojson_gets_a_json_problem(demo_client: FlaskClient, query: str,
                                               locator: str) -> None:
    _check_json(demo_client.get(f"/opensearch/request?{S2}&{query}"
                                "&httpAccept=application/geo%2Bjson"), 400, locator)
    _check_json(demo_client.get(f"/opensearch/request?{S2}&{query}",
                                headers={"Accept": "application/json"}), 400, locator)


def test_unknown_format_and_collection(demo_client: FlaskClient) -> None:
    _check_xml(demo_client.get(f"/opensearch/request?{S2}&httpAccept=text/html"), 400,
               "httpAccept")
    _check_xml(demo_client.get("/opensearch/request?parentIdentifier=' OR 1=1 --"), 404,
               "parentIdentifier")
    _check_json(demo_client.get("/opensearch/request?parentIdentifier=<script>"
                                "&httpAccept=application/geo%2Bjson"), 404, "parentIdentifier")
    _check_xml(demo_client.get("/opensearch/description.xml?parentIdentifier=EOP:X"), 404,
               "parentIdentifier")
    _check_xml(demo_client.get("/opensearch/description.xml?parentIdentifier="
                               + "x" * (MAX_VALUE_LENGTH + 1)), 400, "parentIdentifier")
    _check_xml(demo_client.get("/opensearch/request?httpAccept=application/sru%2Bxml"), 400,
               "httpAccept")  # SRU/O&M is for products
    _check_xml(demo_client.get(f"/opensearch/request?{S2}&httpAccept=application/gml%2Bxml"),
               400, "uid")
    _check_xml(demo_client.get(f"/opensearch/request?{S2}&uid=nothing"
                               "&httpAccept=application/gml%2Bxml"), 404, "uid")


INJECTIONS = ["' OR 1=1 --", "<script>alert(1)</script>", "\"; DROP TABLE products; --",
              "%27%20OR%201%3D1", "../../etc/passwd", "{{7*7}}", "x" * MAX_VALUE_LENGTH]


@pytest.mark.parametrize("value", INJECTIONS, ids=range(len(INJECTIONS)))
def test_injection_attempts_in_every_parameter(demo_client: FlaskClient, value: str) -> None:
    names = [p.name for p in PARAMETERS] + ["sortBy", "sortDir", "httpAccept"]
    for name in names:
        for base in (f"/opensearch/request?{S2}&", "/opensearch/request?"):
            response = demo_client.get(f"{base}{name}={quote(value, safe='')}")
            assert response.status_code in (200, 400, 404), (name, response.data[:300])
            if response.status_code != 200:
                assert name in response.data.decode(), (name, response.data[:300])
            assert b"<script>" not in response.data  # echoed values are escaped


def test_unknown_parameters_are_ignored(demo_client: FlaskClient) -> None:
    response = demo_client.get(f"/opensearch/request?{S2}&whatever=1&bbox=")
    assert response.status_code == 200


def test_exception_reports_are_valid_ows(demo_client: FlaskClient) -> None:
    from tests.xmlvalidate import errors

    schema = "http://schemas.opengis.net/ows/2.0/owsExceptionReport.xsd"
    for url in (f"/opensearch/request?{S2}&bbox=1", "/opensearch/description.xml?"
                "parentIdentifier=EOP:X"):
        assert errors(demo_client.get(url).data, schema, validation="lax") == []
