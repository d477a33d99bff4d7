"""Bad requests get a 400 (or 404/405/413) with pygeoapi's exception JSON, never a 500."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tests.ogcapi.conftest import Api

ITEMS = "/collections/products/items"


@pytest.mark.parametrize("query, parameter", [
    ("bbox=1,2,3", "bbox"),
    ("bbox=a,b,c,d", "bbox"),
    ("bbox=0,60,10,40", "bbox"),
    ("bbox=0,0,10,95", "bbox"),
    ("bbox=nan,0,10,10", "bbox"),
    ("datetime=yesterday", "datetime"),
    ("datetime=2026-13-45", "datetime"),
    ("datetime=2026-02-01/2026-01-01", "datetime"),
    ("datetime=../..", "datetime"),
    ("datetime=2020-01-01/2020-02-01/2020-03-01", "datetime"),
    ("limit=0", "limit"),
    ("limit=-5", "limit"),
    ("limit=ten", "limit"),
    ("offset=-1", "offset"),
    ("offset=x", "offset"),
    ("offset=99999999999999999999999999", "offset"),
    ("sortby=nothing", "sortby"),
    ("sortby=" + quote("cloudCover;DROP TABLE products"), "sortby"),
    ("properties=nothing", "properties"),
    ("filter=" + quote("nothing = 1"), "filter"),
    ("filter=" + quote("cloudCover < 10; DROP TABLE products"), "filter"),
    ("filter=" + quote("cloudCover <"), "filter"),
    ("filter=" + quote("cloudCover > 'many'"), "filter"),
    ("filter=" + quote("startDate > 5"), "filter"),
    ("filter=" + quote("startDate > 'soon'"), "filter"),
    ("filter=" + quote("cloudCover LIKE '5%'"), "filter"),
    ("filter=" + quote("cloudCover = platform"), "filter"),
    ("filter=" + quote("S_TOUCHES(geometry, POINT(1 1))"), "filter"),
    ("filter=" + quote(" OR ".join(["cloudCover = 1"] * 400)), "filter"),
    ("filter=" + quote("x" * 30_000), "filter"),
    ("filter-lang=cql2-json&filter=" + quote("cloudCover < 3"), "filter"),
    ("filter-lang=sql&filter=1", "filter-lang"),
    ("filter-crs=" + quote("http://www.opengis.net/def/crs/EPSG/0/3857")
     + "&filter=" + quote("cloudCover < 3"), "filter-crs"),
    ("orbitNumber=many", "orbitNumber"),
    ("cloudCover=inf", "cloudCover"),
    ("startDate=later", "startDate"),
    ("unknownParameter=1", "unknownParameter"),
    ("ids=" + ",".join(f"id{i}" for i in range(1001)), "ids"),
    ("q=" + quote(" ".join(["w"] * 40)), "q"),
    ("f=xml", "f"),
], ids=lambda value: value[:48] if isinstance(value, str) else None)
def test_bad_items_parameter_is_a_400_naming_it(demo_api: Api, query: str,
                                                parameter: str) -> None:
    response = demo_api.get(f"{ITEMS}?{query}")
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith("application/json")
    doc = response.get_json(force=True)
    assert set(doc) == {"code", "type", "description"}
    assert doc["code"] in {"InvalidParameterValue", "InvalidQuery"}
    assert parameter in doc["description"], doc


@pytest.mark.parametrize("query", [
    "q=" + quote("' OR 1=1 --"),
    "q=" + quote("%_\\"),
    "productType=" + quote("GRD' OR '1'='1"),
    "ids=" + quote("x') OR ('1'='1"),
    "filter=" + quote("productType = 'GRD OR 1=1 --'"),
    # '' is CQL2's quote inside a string: the whole text is one (unmatched) value
    "filter=" + quote("productType = 'GRD'' OR ''1''=''1'"),
])
def test_injection_attempts_match_nothing(demo_api: Api, query: str) -> None:
    doc = demo_api.json(f"{ITEMS}?{query}")
    assert doc["numberMatched"] == 0 and doc["features"] == []


def test_posted_filters(demo_api: Api) -> None:
    demo_api.post(ITEMS, "not json", status=400)
    demo_api.post(ITEMS, json.dumps({"op": "nonsense", "args": []}), status=400)
    doc = demo_api.post(ITEMS, json.dumps({"op": "=", "args": [{"property": "nothing"}, 1]}),
                        status=400)
    assert "filter" in doc["description"] and "nothing" in doc["description"]
    too_big = demo_api.client.post(ITEMS, data=b"{" + b" " * (2 << 20) + b"}",
                                   content_type="application/json")
    assert too_big.status_code == 413


@pytest.mark.parametrize("path, status", [
    ("/collections/nothing", 404),
    ("/collections/nothing/items", 404),
    ("/collections/nothing/items/x", 404),
    ("/collections/S2_MSI_L1C/items/not-a-product", 404),
    ("/collections/products/metadata", 404),
    ("/collections/../../etc/passwd", 404),
    ("/nothing", 404),
    ("/static/../app.py", 404),
])
def test_unknown_resources_are_404(demo_api: Api, path: str, status: int) -> None:
    response = demo_api.get(path)
    assert response.status_code == status
    if not path.startswith("/static"):
        assert response.get_json(force=True)["code"] == "NotFound"


def test_methods(demo_api: Api) -> None:
    response = demo_api.client.delete("/collections/S2_MSI_L1C/items/x")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]
    assert demo_api.client.put("/collections").status_code == 405
    head = demo_api.client.head("/collections/S2_MSI_L1C")
    assert head.status_code == 200 and head.get_data() == b""


def test_unsupported_accept_falls_back_to_json(demo_api: Api) -> None:
    response = demo_api.get("/collections", Accept="image/png")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
