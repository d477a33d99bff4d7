"""Bad WFS requests answer an OWS exception report with the WFS 2.0 code, never a 500."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from tests.features.conftest import WFS
from tests.features.helpers import exception, fes

GET = WFS + "&REQUEST=GetFeature"
L1C = "&TYPENAMES=codede:S2_MSI_L1C"


def _f(body: str) -> str:
    return "&FILTER=" + quote(body)


CASES = [
    ("/wfs", 400, "MissingParameterValue", "request"),
    ("/wfs?REQUEST=GetCapabilities", 400, "MissingParameterValue", "service"),
    ("/wfs?SERVICE=WMS&REQUEST=GetCapabilities", 400, "InvalidParameterValue", "service"),
    ("/wfs?SERVICE=WFS&REQUEST=GetCapabilities&ACCEPTVERSIONS=1.1.0", 400,
     "VersionNegotiationFailed", "AcceptVersions"),
    ("/wfs?SERVICE=WFS&REQUEST=GetFeature" + L1C, 400, "MissingParameterValue", "version"),
    ("/wfs?SERVICE=WFS&VERSION=1.0.0&REQUEST=GetFeature" + L1C, 400,
     "InvalidParameterValue", "version"),
    (WFS + "&REQUEST=Transaction", 501, "OperationNotSupported", "Transaction"),
    (WFS + "&REQUEST=Dance", 501, "OperationNotSupported", "request"),
    (GET, 400, "MissingParameterValue", "typeNames"),
    (GET + "&TYPENAMES=codede:nope", 400, "InvalidParameterValue", "typeNames"),
    (GET + "&TYPENAMES=", 400, "MissingParameterValue", "typeNames"),
    (WFS + "&REQUEST=DescribeFeatureType&TYPENAMES=nope", 400, "InvalidParameterValue",
     "typeNames"),
    (GET + L1C + "&COUNT=10001", 400, "InvalidParameterValue", "count"),
    (GET + L1C + "&COUNT=-1", 400, "InvalidParameterValue", "count"),
    (GET + L1C + "&COUNT=ten", 400, "InvalidParameterValue", "count"),
    (GET + L1C + "&STARTINDEX=99999999999999999999", 400, "InvalidParameterValue",
     "startIndex"),
    (GET + L1C + "&RESULTTYPE=all", 400, "InvalidParameterValue", "resultType"),
    (GET + L1C + "&OUTPUTFORMAT=shape-zip", 400, "InvalidParameterValue", "outputFormat"),
    (GET + L1C + "&SRSNAME=EPSG:3857", 400, "InvalidParameterValue", "srsName"),
    (GET + L1C + "&BBOX=1,2,3", 400, "InvalidParameterValue", "BBOX"),
    (GET + L1C + "&BBOX=a,b,c,d", 400, "InvalidParameterValue", "BBOX"),
    (GET + L1C + "&BBOX=1,2,3,4,EPSG:32632", 400, "InvalidParameterValue", "BBOX"),
    (GET + L1C + "&BBOX=95,0,100,10", 400, "InvalidParameterValue", "BBOX"),
    (GET + L1C + "&BBOX=nan,0,1,10", 400, "InvalidParameterValue", "BBOX"),
    (GET + L1C + "&BBOX=0,0,1,1&RESOURCEID=x", 400, "InvalidParameterValue", "RESOURCEID"),
    (GET + L1C + "&SORTBY=nothing DESC", 400, "InvalidParameterValue", "SORTBY"),
    (GET + L1C + "&SORTBY=cloudCover SIDEWAYS", 400, "InvalidParameterValue", "SORTBY"),
    (GET + L1C + "&PROPERTYNAME=colour", 400, "InvalidParameterValue", "PROPERTYNAME"),
    (GET + L1C + _f("<not xml"), 400, "OperationParsingFailed", "FILTER"),
    (GET + L1C + _f('<!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>'), 400,
     "OperationParsingFailed", "FILTER"),
    (GET + L1C + _f("<Filter/>"), 400, "OperationParsingFailed", "FILTER"),
    (GET + L1C + _f(fes("<fes:PropertyIsEqualTo><fes:ValueReference>colour"
                        "</fes:ValueReference><fes:Literal>red</fes:Literal>"
                        "</fes:PropertyIsEqualTo>")), 400, "InvalidParameterValue", "FILTER"),
    (GET + L1C + _f(fes("<fes:PropertyIsLessThan><fes:ValueReference>cloudCover"
                        "</fes:ValueReference><fes:Literal>cloudy</fes:Literal>"
                        "</fes:PropertyIsLessThan>")), 400, "InvalidParameterValue", "FILTER"),
    (GET + L1C + _f(fes("<fes:Touches><fes:ValueReference>footprint</fes:ValueReference>"
                        '<gml:Point gml:id="p"><gml:pos>1 2</gml:pos></gml:Point>'
                        "</fes:Touches>")), 400, "InvalidParameterValue", "FILTER"),
    (GET + L1C + _f(fes("<fes:Wobble/>")), 400, "InvalidParameterValue", "FILTER"),
    (GET + L1C + _f(fes("<fes:And>" + "<fes:PropertyIsNull><fes:ValueReference>track"
                        "</fes:ValueReference></fes:PropertyIsNull>" * 300 + "</fes:And>")),
     400, "InvalidParameterValue", "FILTER"),
    (GET + L1C + "&FILTER_LANGUAGE=CQL&FILTER=x", 400, "InvalidParameterValue",
     "FILTER_LANGUAGE"),
    (GET + "&STOREDQUERY_ID=urn:nope", 400, "InvalidParameterValue", "STOREDQUERY_ID"),
    (GET + "&STOREDQUERY_ID=urn:ogc:def:query:OGC-WFS::GetFeatureById", 400,
     "MissingParameterValue", "ID"),
    (GET + "&STOREDQUERY_ID=urn:ogc:def:query:OGC-WFS::GetFeatureById&ID=nothing", 404,
     "NotFound", "ID"),
    (WFS + "&REQUEST=DescribeStoredQueries&STOREDQUERY_ID=urn:x", 400,
     "InvalidParameterValue", "STOREDQUERY_ID"),
]


@pytest.mark.parametrize(("url", "status", "code", "locator"), CASES,
                         ids=[str(i) for i in range(len(CASES))])
def test_bad_get_requests(client: FlaskClient, url: str, status: int, code: str,
                          locator: str) -> None:
    assert exception(client.get(url)) == (status, code, locator)


POSTS = [
    (b"", 400, "MissingParameterValue", "request"),
    (b"<broken", 400, "OperationParsingFailed", "request"),
    (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><lolz>&lol;</lolz>', 400,
     "OperationParsingFailed", "request"),
    (b"<GetFeature/>", 400, "OperationParsingFailed", "request"),
    (b'<wfs:GetFeature xmlns:wfs="http://www.opengis.net/wfs/2.0" service="WFS" '
     b'version="2.0.0"/>', 400, "MissingParameterValue", "Query"),
    (b'<wfs:GetFeature xmlns:wfs="http://www.opengis.net/wfs/2.0" service="WFS" '
     b'version="2.0.0"><wfs:Query typeNames="codede:x"/></wfs:GetFeature>', 400,
     "InvalidParameterValue", "typeNames"),
    (b'<wfs:GetFeature xmlns:wfs="http://www.opengis.net/wfs/2.0" service="WFS" '
     b'version="2.0.0" count="x"><wfs:Query typeNames="codede:S2_MSI_L1C"/></wfs:GetFeature>',
     400, "InvalidParameterValue", "count"),
    (b'<wfs:Transaction xmlns:wfs="http://www.opengis.net/wfs/2.0" service="WFS" '
     b'version="2.0.0"/>', 501, "OperationNotSupported", "Transaction"),
    (b"<x>" + b"a" * (2 << 20) + b"</x>", 400, "OperationParsingFailed", "request"),
]


@pytest.mark.parametrize(("body", "status", "code", "locator"), POSTS,
                         ids=[str(i) for i in range(len(POSTS))])
def test_bad_post_requests(client: FlaskClient, body: bytes, status: int, code: str,
                           locator: str) -> None:
    response = client.post("/wfs", data=body, content_type="application/xml")
    assert exception(response) == (status, code, locator)
