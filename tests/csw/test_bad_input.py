"""Bad input gets an OWS exception report with the code, locator and HTTP status the service
documents (``plugins.pycsw_.app``), never a traceback, never a 500; nothing reaches the database
as SQL text."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.test import Client

from plugins.pycsw_.app import CswApp
from plugins.pycsw_.guard import MAX_BODY
from plugins.pycsw_.repository import Catalogue
from tests.conftest import DEMO_PRODUCTS
from tests.csw.helpers import assert_valid, exception

CSW2 = "http://www.opengis.net/cat/csw/2.0.2"
V2 = {"service": "CSW", "version": "2.0.2"}
RECORDS = {**V2, "request": "GetRecords", "typenames": "csw:Record", "elementsetname": "brief",
           "resulttype": "results"}


def _cql(text: str, **extra: str) -> dict[str, str]:
    return {**RECORDS, "constraintlanguage": "CQL_TEXT", "constraint": text, **extra}


def _filter(body: str) -> dict[str, str]:
    return {**RECORDS, "constraintlanguage": "FILTER",
            "constraint": f'<ogc:Filter xmlns:ogc="http://www.opengis.net/ogc" '
                          f'xmlns:gml="http://www.opengis.net/gml">{body}</ogc:Filter>'}


def _envelope(lower: str, upper: str, srs: str = "") -> dict[str, str]:
    name = f' srsName="{srs}"' if srs else ""
    return _filter(f"<ogc:BBOX><ogc:PropertyName>ows:BoundingBox</ogc:PropertyName>"
                   f"<gml:Envelope{name}><gml:lowerCorner>{lower}</gml:lowerCorner>"
                   f"<gml:upperCorner>{upper}</gml:upperCorner></gml:Envelope></ogc:BBOX>")


GET_CASES: list[tuple[str, dict[str, str], int, str, str | None]] = [
    ("outputschema", {**RECORDS, "outputschema": "urn:unknown"}, 400, "InvalidParameterValue",
     "outputschema"),
    ("kvp-bbox-three", {**RECORDS, "bbox": "1,2,3"}, 400, "InvalidParameterValue", "bbox"),
    ("kvp-bbox-text", {**RECORDS, "bbox": "a,b,c,d"}, 400, "InvalidParameterValue", "bbox"),
    ("kvp-bbox-range", {**RECORDS, "bbox": "0,100,10,110"}, 400, "InvalidParameterValue",
     "bbox"),
    ("envelope-latitude-over-90", _envelope("47 5", "100 16"), 400, "InvalidParameterValue",
     "constraint"),
    ("envelope-odd", _envelope("5", "16 55"), 400, "InvalidParameterValue", "constraint"),
    ("envelope-crs", _envelope("5 47", "16 55", "EPSG:3857"), 400, "InvalidParameterValue",
     "constraint"),
    ("maxrecords-over", {**RECORDS, "maxrecords": "1001"}, 400, "InvalidParameterValue",
     "maxRecords"),
    ("maxrecords-negative", {**RECORDS, "maxrecords": "-1"}, 400, "InvalidParameterValue",
     "maxRecords"),
    ("maxrecords-text", {**RECORDS, "maxrecords": "ten"}, 400, "InvalidParameterValue",
     "maxRecords"),
    ("startposition-zero", {**RECORDS, "startposition": "0"}, 400, "InvalidParameterValue",
     "startPosition"),
    ("startposition-huge", {**RECORDS, "startposition": "9" * 30}, 400,
     "InvalidParameterValue", "startPosition"),
    ("cql-unknown-property", _cql("apiso:Colour = 'red'"), 400, "InvalidParameterValue",
     "constraint"),
    ("cql-garbage", _cql("dc:title = = 'x'"), 400, "InvalidParameterValue", "constraint"),
    ("cql-injection-statement", _cql("dc:title = 'x'); DROP TABLE products; --"), 400,
     "InvalidParameterValue", "constraint"),
    ("cql-injection-name", _cql("\"dc:title; DROP TABLE products\" = 'x'"), 400,
     "InvalidParameterValue", "constraint"),
    ("cql-like-number", _cql("apiso:CloudCover LIKE '1%'"), 400, "InvalidParameterValue",
     "constraint"),
    ("cql-wrong-type", _cql("apiso:CloudCover = 'cloudy'"), 400, "InvalidParameterValue",
     "constraint"),
    ("cql-bad-date", _cql("apiso:Modified > 'yesterday'"), 400, "InvalidParameterValue",
     "constraint"),
    ("cql-dwithin", _cql("DWITHIN(ows:BoundingBox, POINT(10 50), 10, kilometers)"), 400,
     "InvalidParameterValue", "constraint"),
    ("cql-deep", _cql("NOT (" * 300 + "dc:type = 'x'" + ")" * 300), 400,
     "InvalidParameterValue", "constraint"),
    ("cql-wide", _cql(" OR ".join(["dc:type = 'x'"] * 300)), 400, "InvalidParameterValue",
     "constraint"),
    ("no-language", {**RECORDS, "constraint": "dc:type = 'x'"}, 400, "MissingParameterValue",
     "constraintlanguage"),
    ("bad-language", {**RECORDS, "constraint": "x", "constraintlanguage": "XPATH"}, 400,
     "InvalidParameterValue", "constraintlanguage"),
    ("filter-dtd", {**RECORDS, "constraintlanguage": "FILTER", "constraint":
                    '<!DOCTYPE f [<!ENTITY x SYSTEM "file:///etc/passwd">]><f>&x;</f>'},
     400, "InvalidParameterValue", "constraint"),
    ("filter-not-xml", {**RECORDS, "constraintlanguage": "FILTER", "constraint": "<ogc:Filter"},
     400, "InvalidParameterValue", "constraint"),
    ("filter-unknown-operator", _filter("<ogc:PropertyIsFuzzy/>"), 400,
     "InvalidParameterValue", "constraint"),
    ("sortby-unknown", {**RECORDS, "sortby": "identifier;DROP TABLE products:A"}, 400,
     "InvalidParameterValue", "sortby"),
    ("sortby-unsortable", {**RECORDS, "sortby": "csw:AnyText:A"}, 400,
     "InvalidParameterValue", "sortby"),
    ("time-invalid", {**RECORDS, "time": "2026-13-01/2026-14-01"}, 400,
     "InvalidParameterValue", "constraint"),
    ("time-reversed", {**RECORDS, "time": "2026-02-01/2026-01-01"}, 400,
     "InvalidParameterValue", "time"),
    ("mode-sru", {**RECORDS, "mode": "sru"}, 400, "InvalidParameterValue", "mode"),
    ("mode-opensearch", {**RECORDS, "mode": "opensearch"}, 400, "InvalidParameterValue",
     "mode"),
    ("responsehandler", {**RECORDS, "responsehandler": "mailto:someone@example.org"}, 400,
     "InvalidParameterValue", "responsehandler"),
    ("transaction", {**V2, "request": "Transaction"}, 501, "OperationNotSupported", "request"),
    ("harvest", {**V2, "request": "Harvest", "source": "http://127.0.0.1:9/"}, 501,
     "OperationNotSupported", "request"),
    ("unknown-request", {**V2, "request": "GetEverything"}, 400, "InvalidParameterValue",
     "request"),
    ("wrong-service", {"service": "WMS", "version": "2.0.2", "request": "GetRecords"}, 400,
     "InvalidParameterValue", "service"),
    ("wrong-version", {**RECORDS, "version": "9.9.9"}, 400, "InvalidParameterValue", "version"),
    ("elementsetname", {**RECORDS, "elementsetname": "everything"}, 400,
     "InvalidParameterValue", "elementsetname"),
    ("elementname-not-dublin-core", {**RECORDS, "elementname": "dc:identifier,apiso:CloudCover"},
     400, "InvalidParameterValue", "ElementName"),
    ("updatesequence", {**V2, "request": "GetCapabilities", "updatesequence": "latest"}, 400,
     "InvalidParameterValue", "updateSequence"),
    ("too-many-ids", {**V2, "request": "GetRecordById", "id": ",".join(map(str, range(101)))},
     400, "InvalidParameterValue", "id"),
    ("too-many-parameters", {**RECORDS, **{f"p{i}": "x" for i in range(70)}}, 400,
     "InvalidParameterValue", "request"),
    ("query-too-long", {**RECORDS, "q": "x" * 70_000}, 400, "InvalidParameterValue", "request"),
]


@pytest.mark.parametrize(("params", "status", "code", "locator"),
                         [c[1:] for c in GET_CASES], ids=[c[0] for c in GET_CASES])
def test_bad_get(params: dict[str, str], status: int, code: str, locator: str | None,
                 csw: Client) -> None:
    response = csw.get("/", query_string=params)
    assert response.status_code == status, response.get_data()[:600]
    found_code, found_locator, text = exception(response.get_data())
    assert (found_code, found_locator.lower()) == (code, (locator or "").lower()), text
    assert text


def _getrecords(inner: str, attributes: str = 'resultType="results"') -> bytes:
    return (f'<csw:GetRecords xmlns:csw="{CSW2}" xmlns:ogc="http://www.opengis.net/ogc" '
            f'service="CSW" version="2.0.2" {attributes}><csw:Query typeNames="csw:Record">'
            f"<csw:ElementSetName>brief</csw:ElementSetName>{inner}</csw:Query>"
            "</csw:GetRecords>").encode()


LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
          b'<csw:GetCapabilities xmlns:csw="http://www.opengis.net/cat/csw/2.0.2">&lol2;'
          b"</csw:GetCapabilities>")
XXE = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
       + _getrecords("<csw:Constraint version=\"1.1.0\"><csw:CqlText>&xxe;</csw:CqlText>"
                     "</csw:Constraint>"))
POST_CASES: list[tuple[str, bytes, int, str, str]] = [
    ("xxe", XXE, 400, "InvalidParameterValue", "request"),
    ("billion-laughs", LAUGHS, 400, "InvalidParameterValue", "request"),
    ("malformed", b"<csw:GetRecords", 400, "InvalidParameterValue", "request"),
    ("empty", b"", 400, "InvalidParameterValue", "request"),
    ("not-csw", b"<html><body>hello</body></html>", 400, "InvalidParameterValue", "request"),
    ("soap", b'<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope">'
             b"<soap:Body/></soap:Envelope>", 400, "InvalidParameterValue", "request"),
    ("schema-invalid", f'<csw:GetRecords xmlns:csw="{CSW2}" service="CSW" version="2.0.2">'
                       "<csw:Nonsense/></csw:GetRecords>".encode(), 400, "NoApplicableCode",
     "service"),
    ("transaction", f'<csw:Transaction xmlns:csw="{CSW2}" service="CSW" version="2.0.2">'
                    "<csw:Delete><csw:Constraint version=\"1.1.0\"><csw:CqlText>dc:type = 'x'"
                    "</csw:CqlText></csw:Constraint></csw:Delete></csw:Transaction>".encode(),
     501, "OperationNotSupported", "request"),
    ("unharvest", b'<csw30:UnHarvest xmlns:csw30="http://www.opengis.net/cat/csw/3.0" '
                  b'service="CSW" version="3.0.0"/>', 501, "OperationNotSupported", "request"),
    ("responsehandler", _getrecords("").replace(
        b"<csw:Query", b"<csw:ResponseHandler>ftp://127.0.0.1/x</csw:ResponseHandler>"
                       b"<csw:Query"), 400, "InvalidParameterValue", "ResponseHandler"),
    ("maxrecords", _getrecords("", 'maxRecords="5000"'), 400, "InvalidParameterValue",
     "maxRecords"),
    ("filter-unknown-property", _getrecords(
        '<csw:Constraint version="1.1.0"><ogc:Filter><ogc:PropertyIsEqualTo>'
        "<ogc:PropertyName>gmd:secret</ogc:PropertyName><ogc:Literal>1</ogc:Literal>"
        "</ogc:PropertyIsEqualTo></ogc:Filter></csw:Constraint>"), 400,
     "InvalidParameterValue", "constraint"),
    ("like-without-pattern", _getrecords(
        '<csw:Constraint version="1.1.0"><ogc:Filter><ogc:PropertyIsLike wildCard="%%" '
        'singleChar="_" escapeChar="\\"><ogc:PropertyName>dc:title</ogc:PropertyName>'
        "<ogc:Literal>x</ogc:Literal></ogc:PropertyIsLike></ogc:Filter></csw:Constraint>"),
     400, "InvalidParameterValue", "constraint"),
]


@pytest.mark.parametrize(("body", "status", "code", "locator"),
                         [c[1:] for c in POST_CASES], ids=[c[0] for c in POST_CASES])
def test_bad_post(body: bytes, status: int, code: str, locator: str, csw: Client) -> None:
    response = csw.post("/", data=body, content_type="application/xml")
    assert response.status_code == status, response.get_data()[:600]
    assert exception(response.get_data())[:2] == (code, locator)


def test_body_over_the_limit(csw: Client) -> None:
    body = _getrecords("<!--" + "x" * MAX_BODY + "-->")
    response = csw.post("/", data=body, content_type="application/xml")
    assert response.status_code == 413
    assert exception(response.get_data())[0] == "InvalidParameterValue"


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods(method: str, csw: Client) -> None:
    response = csw.open("/", method=method)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"
    exception(response.get_data())


def test_unknown_path(csw: Client) -> None:
    response = csw.get("/records", query_string=RECORDS)
    assert response.status_code == 404
    exception(response.get_data())


def test_injection_reaches_no_sql(csw: Client, csw_app: CswApp) -> None:
    """Quotes and SQL in values are values: they match nothing and change nothing."""
    requests = [_cql(text) for text in ("dc:title = 'x OR 1=1'",
                                        "csw:AnyText LIKE '%; DELETE FROM products; --%'",
                                        "apiso:Identifier IN ('a)--', 'b')")]
    requests.append(_filter("<ogc:PropertyIsEqualTo><ogc:PropertyName>dc:title</ogc:PropertyName>"
                            "<ogc:Literal>x' OR '1'='1</ogc:Literal></ogc:PropertyIsEqualTo>"))
    for params in requests:
        response = csw.get("/", query_string=params)
        assert response.status_code == 200, response.get_data()[:500]
        root = assert_valid(response.get_data())
        assert root.find(f"{{{CSW2}}}SearchResults").get("numberOfRecordsMatched") == "0"
    assert csw_app.catalogue.store.count() == DEMO_PRODUCTS


def test_config_parameter_is_ignored(csw: Client) -> None:
    response = csw.get("/", query_string={**V2, "request": "GetCapabilities",
                                          "config": "/etc/passwd"})
    assert response.status_code == 200
    assert b"Capabilities" in response.get_data()[:500]
    response = csw.get("/", query_string={"config": "/etc/passwd"})
    assert response.status_code == 200  # CSW 3.0 capabilities, pycsw's default for a bare URL


def test_a_failing_catalogue_answers_500_without_details(csw_app: CswApp,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("connection to server at 10.0.0.1 failed: secret detail")

    monkeypatch.setattr(Catalogue, "search", broken)
    response = Client(csw_app).get("/", query_string=RECORDS)
    assert response.status_code == 500
    code, _, text = exception(response.get_data())
    assert code == "NoApplicableCode" and "secret" not in text
