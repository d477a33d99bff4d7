"""FES 2.0 filters of many shapes: the ones the catalogue answers give 200, every other one
an InvalidParameterValue naming FILTER, never a 500."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from tests.features.conftest import WFS
from tests.features.helpers import exception, fes

URL = (WFS + "&REQUEST=GetFeature&TYPENAMES=codede:S2_MSI_L1C,codede:S1_SAR_L1_GRD"
       "&OUTPUTFORMAT=application/json&FILTER=")
REF = "<fes:ValueReference>{}</fes:ValueReference>"
LIT = "<fes:Literal>{}</fes:Literal>"


def _cmp(op: str, name: str, value: str) -> str:
    return f"<fes:{op}>{REF.format(name)}{LIT.format(value)}</fes:{op}>"


def _polygon(srs: str, pos: str) -> str:
    return (f'<gml:Polygon gml:id="p" srsName="{srs}"><gml:exterior><gml:LinearRing>'
            f"<gml:posList>{pos}</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon>")


ANSWERED = [
    "<fes:PropertyIsBetween>" + REF.format("cloudCover") + "<fes:LowerBoundary>"
    + LIT.format(10) + "</fes:LowerBoundary><fes:UpperBoundary>" + LIT.format(50)
    + "</fes:UpperBoundary></fes:PropertyIsBetween>",
    '<fes:PropertyIsLike wildCard="*" singleChar="." escapeChar="!">' + REF.format("tileId")
    + LIT.format("3*") + "</fes:PropertyIsLike>",
    "<fes:Or>" + _cmp("PropertyIsEqualTo", "platform", "Sentinel-1") + "<fes:Not>"
    "<fes:PropertyIsNull>" + REF.format("tileId") + "</fes:PropertyIsNull></fes:Not></fes:Or>",
    "<fes:Intersects>" + REF.format("footprint")
    + _polygon("urn:ogc:def:crs:EPSG::4326", "40 0 40 20 55 20 55 0 40 0") + "</fes:Intersects>",
    "<fes:Intersects>" + REF.format("footprint")
    + _polygon("EPSG:4326", "0 40 20 40 20 55 0 55 0 40") + "</fes:Intersects>",
    "<fes:Within>" + REF.format("footprint") + "<gml:Envelope><gml:lowerCorner>40 0"
    "</gml:lowerCorner><gml:upperCorner>55 20</gml:upperCorner></gml:Envelope></fes:Within>",
    _cmp("PropertyIsGreaterThan", "startDate", "2026-01-01T00:00:00Z"),
    _cmp("PropertyIsGreaterThan", "orbitNumber", "1.5"),
    _cmp("PropertyIsEqualTo", "eo:cloud_cover", "1"),
]
REFUSED = [
    _cmp("PropertyIsGreaterThan", "startDate", "yesterday"),
    _cmp("PropertyIsGreaterThan", "cloudCover", "1e999"),
    _cmp("PropertyIsGreaterThan", "orbitNumber", "99999999999999999999999"),
    "<fes:During>" + REF.format("cloudCover") + '<gml:TimePeriod gml:id="t"><gml:beginPosition>'
    "2020-01-01</gml:beginPosition><gml:endPosition>2021-01-01</gml:endPosition>"
    "</gml:TimePeriod></fes:During>",
    "<fes:During>" + REF.format("startDate") + '<gml:TimeInstant gml:id="i"><gml:timePosition>'
    "bad</gml:timePosition></gml:TimeInstant></fes:During>",
    '<fes:BBOX><gml:Envelope srsName="EPSG:3857"><gml:lowerCorner>0 0</gml:lowerCorner>'
    "<gml:upperCorner>1 1</gml:upperCorner></gml:Envelope></fes:BBOX>",
    "<fes:BBOX><gml:Envelope><gml:lowerCorner>0</gml:lowerCorner><gml:upperCorner>1 1"
    "</gml:upperCorner></gml:Envelope></fes:BBOX>",
    "<fes:BBOX>" + REF.format("cloudCover") + "<gml:Envelope><gml:lowerCorner>0 0"
    "</gml:lowerCorner><gml:upperCorner>1 1</gml:upperCorner></gml:Envelope></fes:BBOX>",
    "<fes:DWithin>" + REF.format("footprint") + '<gml:Point gml:id="p"><gml:pos>1 1</gml:pos>'
    '</gml:Point><fes:Distance uom="m">10</fes:Distance></fes:DWithin>',
    "<fes:PropertyIsEqualTo>" + LIT.format(1) + LIT.format(1) + "</fes:PropertyIsEqualTo>",
    "<fes:PropertyIsEqualTo>" + REF.format("cloudCover") + "</fes:PropertyIsEqualTo>",
    '<fes:Function name="x"/>',
    "",
    _cmp("PropertyIsEqualTo", "", "1"),
    _cmp("PropertyIsEqualTo", "a:b:c/d", "1"),
    '<fes:PropertyIsLike wildCard="*">' + REF.format("tileId") + LIT.format("3*")
    + "</fes:PropertyIsLike>",
]


@pytest.mark.parametrize("body", ANSWERED, ids=[str(i) for i in range(len(ANSWERED))])
def test_filters_the_catalogue_answers(client: FlaskClient, body: str) -> None:
    response = client.get(URL + quote(fes(body)))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json(force=True)["type"] == "FeatureCollection"


@pytest.mark.parametrize("body", REFUSED, ids=[str(i) for i in range(len(REFUSED))])
def test_filters_refused_with_a_reason(client: FlaskClient, body: str) -> None:
    status, code, locator = exception(client.get(URL + quote(fes(body))))
    assert (status, code, locator) == (400, "InvalidParameterValue", "FILTER")


def test_and_or_take_more_than_two_operands(client: FlaskClient) -> None:
    a = _cmp("PropertyIsGreaterThan", "cloudCover", "5")
    b = _cmp("PropertyIsLessThan", "cloudCover", "95")
    c = _cmp("PropertyIsEqualTo", "platform", "Sentinel-2")
    d = _cmp("PropertyIsEqualTo", "platform", "Sentinel-1")

    def ids(body: str) -> list[str]:
        doc = client.get(URL + quote(fes(body))).get_json(force=True)
        return [f["id"] for f in doc["features"]]

    flat = ids(f"<fes:And>{a}{b}{c}</fes:And>")
    assert flat and flat == ids(f"<fes:And><fes:And>{a}{b}</fes:And>{c}</fes:And>")
    assert ids(f"<fes:Or>{c}{d}{a}</fes:Or>") == ids(
        f"<fes:Or><fes:Or>{c}{d}</fes:Or>{a}</fes:Or>")
