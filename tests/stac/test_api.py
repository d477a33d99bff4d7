"""The STAC API over the demo archive (SQLite and PostGIS): behaviour, counts, paging, errors."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from flask.testing import FlaskClient

from ogc_server.archive.query import ProductQuery, Range
from ogc_server.services import Services
from ogc_server.web.stac import landing
from tests.conftest import DEMO_PRODUCTS
from tests.stac.validation import stac_errors

S2_L1C = "EOP:CODE-DE:S2_MSI_L1C"
S1_GRD = "EOP:CODE-DE:S1_SAR_L1_GRD"


def _get(client: FlaskClient, path: str, status: int = 200) -> Any:
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def _post(client: FlaskClient, body: Any, status: int = 200) -> Any:
    response = client.post("/stac/search", json=body)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def _relative(href: str) -> str:
    parts = urlsplit(href)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _count(services: Services, **query: Any) -> int:
    result = services.store.query(ProductQuery(limit=0, **query))
    assert result.total is not None
    return result.total


# Landing, conformance, collections ------------------------------------------------------------


def test_landing_page(stac_client: FlaskClient) -> None:
    doc = _get(stac_client, "/stac")
    assert doc["type"] == "Catalog" and doc["conformsTo"] == list(landing.CONFORMANCE)
    rels = [(link["rel"], link.get("method")) for link in doc["links"]]
    for expected in [("self", None), ("root", None), ("conformance", None), ("data", None),
                     ("service-desc", None),
                     ("search", "GET"), ("search", "POST"),
                     ("http://www.opengis.net/def/rel/ogc/1.0/queryables", None)]:
        assert expected in rels
    assert sum(rel == "child" for rel, _ in rels) == 11
    assert stac_errors(doc) == []
    assert _get(stac_client, "/stac/conformance") == {"conformsTo": list(landing.CONFORMANCE)}


def test_service_description_covers_every_route(stac_client: FlaskClient) -> None:
    response = stac_client.get("/stac/api")
    assert response.mimetype == "application/vnd.oai.openapi+json"
    doc = response.get_json()
    assert doc["openapi"].startswith("3.0") and doc["servers"] == [
        {"url": "http://127.0.0.1:8080/stac"}]
    routes = {rule.rule.removeprefix("/stac").replace("<collection_id>", "{collectionId}")
              .replace("<item_id>", "{itemId}") or "/"
              for rule in stac_client.application.url_map.iter_rules()
              if rule.endpoint.startswith("stac.")}
    assert routes == set(doc["paths"])


def test_collections_have_extents_from_the_catalogue(stac_client: FlaskClient,
                                                     demo_services: Services) -> None:
    doc = _get(stac_client, "/stac/collections")
    assert doc["numberReturned"] == len(doc["collections"]) == 11
    stats = demo_services.store.collection_stats()
    for collection in doc["collections"]:
        assert stac_errors(collection) == [], collection["id"]
        st = stats[collection["id"]]
        interval = collection["extent"]["temporal"]["interval"][0]
        assert interval[0] == st.start.isoformat().replace("+00:00", "Z")
        bbox = collection["extent"]["spatial"]["bbox"][0]
        assert -180 <= bbox[0] <= bbox[2] <= 180 and -90 <= bbox[1] <= bbox[3] <= 90
        items = _get(stac_client, _relative(next(
            link["href"] for link in collection["links"] if link["rel"] == "items")))
        assert items["numberMatched"] == st.count
        assert _get(stac_client, f"/stac/collections/{collection['id']}") == collection


def test_one_collection_and_its_queryables(stac_client: FlaskClient) -> None:
    doc = _get(stac_client, f"/stac/collections/{S1_GRD}")
    assert doc["summaries"]["instruments"] == ["c-sar"]
    assert set(doc["summaries"]["platform"]) <= {"sentinel-1a", "sentinel-1b", "sentinel-1c"}
    rels = {link["rel"]: link for link in doc["links"]}
    assert rels["license"]["href"].startswith("https://sentinels.copernicus.eu/")
    assert rels["describedby"]["href"].startswith("http://127.0.0.1:8080/csw?")
    assert "parentIdentifier=EOP:CODE-DE:S1_SAR_L1_GRD" in rels["search"]["href"]
    response = stac_client.get(_relative(
        rels["http://www.opengis.net/def/rel/ogc/1.0/queryables"]["href"]))
    assert response.mimetype == "application/schema+json"
    queryables = response.get_json()
    assert "sar:polarizations" in queryables["properties"]
    assert "eo:cloud_cover" not in queryables["properties"]
    everything = _get(stac_client, "/stac/queryables")
    assert {"eo:cloud_cover", "sar:polarizations", "grid:code", "platform"} <= set(
        everything["properties"])
    assert everything["additionalProperties"] is False


def test_items_and_item(stac_client: FlaskClient) -> None:
    page = _get(stac_client, f"/stac/collections/{S2_L1C}/items?limit=2")
    assert page["numberReturned"] == 2
    assert {"collection", "parent", "next"} <= {link["rel"] for link in page["links"]}
    first = page["features"][0]
    self_href = next(link["href"] for link in first["links"] if link["rel"] == "self")
    response = stac_client.get(_relative(self_href))
    assert response.mimetype == "application/geo+json" and response.get_json() == first
    _get(stac_client, f"/stac/collections/{S1_GRD}/items/{first['id']}", 404)


def test_every_item_is_valid_stac(stac_client: FlaskClient) -> None:
    page = _get(stac_client, "/stac/search?limit=100")
    assert page["numberMatched"] == page["numberReturned"] == DEMO_PRODUCTS
    invalid = {f["id"]: stac_errors(f) for f in page["features"]}
    assert {k: v for k, v in invalid.items() if v} == {}
    used = {ext for f in page["features"] for ext in f["stac_extensions"]}
    assert {"eo", "sar", "sat", "view", "file", "processing", "product", "grid"} == {
        url.split("/")[3] for url in used}
    for feature in page["features"]:
        assert None not in feature["properties"].values()


# Search ------------------------------------------------------------------------------------


def test_counts_are_exact(stac_client: FlaskClient, demo_services: Services) -> None:
    from datetime import UTC, datetime

    from shapely.geometry import box

    page = _get(stac_client, "/stac/search?bbox=5,45,16,56&datetime=2026-01-01T00:00:00Z/..")
    assert page["numberMatched"] == _count(demo_services, geometry=box(5, 45, 16, 56),
                                           start=datetime(2026, 1, 1, tzinfo=UTC))
    page = _get(stac_client, f"/stac/search?collections={S2_L1C},{S1_GRD}&limit=1")
    assert page["numberMatched"] == _count(demo_services, collections=[S2_L1C, S1_GRD])
    assert page["numberReturned"] == 1


def test_get_and_post_agree(stac_client: FlaskClient) -> None:
    get = _get(stac_client, "/stac/search?bbox=0,40,20,60&datetime=../2026-06-30"
                            "&sortby=-datetime&limit=50&filter=" + quote("eo:cloud_cover < 50"))
    post = _post(stac_client, {"bbox": [0, 40, 20, 60], "datetime": "../2026-06-30",
                               "sortby": [{"field": "datetime", "direction": "desc"}],
                               "limit": 50, "filter": {"op": "<", "args": [
                                   {"property": "eo:cloud_cover"}, 50]}})
    assert [f["id"] for f in get["features"]] == [f["id"] for f in post["features"]]
    assert get["numberMatched"] == post["numberMatched"] > 0


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_paging_visits_every_item_once(stac_client: FlaskClient, method: str) -> None:
    seen: list[str] = []
    if method == "GET":
        page = _get(stac_client, "/stac/search?limit=7&sortby=id")
    else:
        page = _post(stac_client, {"limit": 7, "sortby": [{"field": "id"}]})
    pages = 1
    while True:
        seen += [f["id"] for f in page["features"]]
        links = {link["rel"]: link for link in page["links"]}
        if pages > 1:
            assert "prev" in links
        if "next" not in links:
            break
        link = links["next"]
        if method == "GET":
            page = _get(stac_client, _relative(link["href"]))
        else:
            assert link["method"] == "POST" and link["merge"] is False
            assert link["body"]["sortby"] == [{"field": "id"}]
            page = _post(stac_client, link["body"])
        pages += 1
    assert len(seen) == len(set(seen)) == DEMO_PRODUCTS and seen == sorted(seen)
    assert pages == 7


def test_sort_fields_and_ids(stac_client: FlaskClient) -> None:
    page = _get(stac_client, f"/stac/search?collections={S2_L1C}&sortby=-eo:cloud_cover"
                             "&fields=id,properties.eo:cloud_cover,-geometry")
    clouds = [f["properties"]["eo:cloud_cover"] for f in page["features"]]
    assert clouds == sorted(clouds, reverse=True) and len(clouds) > 1
    feature = page["features"][0]
    assert "geometry" not in feature and set(feature["properties"]) == {"datetime",
                                                                       "eo:cloud_cover"}
    ids = [f["id"] for f in page["features"][:2]]
    by_id = _post(stac_client, {"ids": ids, "fields": {"include": ["properties"],
                                                       "exclude": ["assets"]}})
    assert sorted(f["id"] for f in by_id["features"]) == sorted(ids)
    assert "assets" not in by_id["features"][0] and "platform" in by_id["features"][0][
        "properties"]


def test_filters(stac_client: FlaskClient, demo_services: Services) -> None:
    text = _get(stac_client, "/stac/search?limit=100&filter=" + quote(
        "platform IN ('sentinel-2a', 'sentinel-2b') AND eo:cloud_cover BETWEEN 0 AND 60 "
        "AND S_INTERSECTS(geometry, POLYGON((-180 -90, 180 -90, 180 90, -180 90, -180 -90)))"))
    json_ = _post(stac_client, {"limit": 100, "filter-lang": "cql2-json", "filter": {
        "op": "and", "args": [
            {"op": "in", "args": [{"property": "platform"}, ["sentinel-2a", "sentinel-2b"]]},
            {"op": "between", "args": [{"property": "eo:cloud_cover"}, 0, 60]},
            {"op": "s_intersects", "args": [{"property": "geometry"}, {
                "type": "Polygon", "coordinates": [[[-180, -90], [180, -90], [180, 90],
                                                    [-180, 90], [-180, -90]]]}]}]}})
    query = _post(stac_client, {"limit": 100, "query": {
        "platform": {"in": ["sentinel-2a", "sentinel-2b"]},
        "eo:cloud_cover": {"gte": 0, "lte": 60}}})
    ids = [f["id"] for f in text["features"]]
    assert ids == [f["id"] for f in json_["features"]] == [f["id"] for f in query["features"]]
    assert text["numberMatched"] == _count(
        demo_services, where={"platform": "Sentinel-2", "platform_serial_identifier": ["A", "B"],
                              "cloud_cover": Range(0, 60)})
    for feature in text["features"]:
        assert feature["properties"]["platform"] in ("sentinel-2a", "sentinel-2b")
    olci = _get(stac_client, "/stac/search?filter=" + quote("instruments = 'olci'"))
    assert olci["numberMatched"] == _count(demo_services, where={"instrument": ["OLCI",
                                                                                "SYNERGY"]})
    dates = _get(stac_client, "/stac/search?limit=100&filter=" + quote(
        "T_INTERSECTS(datetime, INTERVAL('2026-10-01', '..'))"))
    assert dates["numberMatched"] == _get(
        stac_client, "/stac/search?datetime=2026-10-01T00:00:00Z/..")["numberMatched"]


def test_limit_above_the_maximum_is_lowered(stac_client: FlaskClient) -> None:
    page = _get(stac_client, "/stac/search?limit=100000")
    assert page["numberReturned"] == DEMO_PRODUCTS


def test_cors(stac_client: FlaskClient) -> None:
    response = stac_client.options("/stac/search")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]


# Bad input -----------------------------------------------------------------------------------

BIG_RING = [[i * 1e-4, 0.0] for i in range(10_100)] + [[0.5, 0.5], [0.0, 0.0]]
NESTED: dict = {"op": "=", "args": [{"property": "id"}, "a"]}
for _ in range(200):
    NESTED = {"op": "not", "args": [NESTED]}

BAD_GET = [
    ("/stac/search?bbox=1,2,3", "bbox"),
    ("/stac/search?bbox=a,b,c,d", "bbox"),
    ("/stac/search?bbox=0,50,1,40", "bbox"),
    ("/stac/search?bbox=-200,0,0,1", "bbox"),
    ("/stac/search?bbox=0,0,1,95", "bbox"),
    ("/stac/search?bbox=1,2,3,4&intersects=" + quote('{"type":"Point","coordinates":[1,2]}'),
     "intersects"),
    ("/stac/search?intersects=" + quote("{not json"), "intersects"),
    ("/stac/search?intersects=" + quote('{"type":"Point","coordinates":[500,0]}'),
     "intersects"),
    ("/stac/search?datetime=yesterday", "datetime"),
    ("/stac/search?datetime=2026-02-01T00:00:00Z/2026-01-01T00:00:00Z", "datetime"),
    ("/stac/search?datetime=../..", "datetime"),
    ("/stac/search?datetime=2026-01-01T00:00:00", "datetime"),
    ("/stac/search?limit=0", "limit"),
    ("/stac/search?limit=-1", "limit"),
    ("/stac/search?limit=ten", "limit"),
    ("/stac/search?token=page2", "token"),
    ("/stac/search?sortby=nothing", "sortby"),
    ("/stac/search?sortby=" + quote("datetime;DROP TABLE products"), "sortby"),
    ("/stac/search?sortby=geometry", "sortby"),
    ("/stac/search?filter=" + quote("nothing = 1"), "filter"),
    ("/stac/search?filter=" + quote("eo:cloud_cover < 'x'"), "filter"),
    ("/stac/search?filter=" + quote("id = 'a'; DROP TABLE products"), "filter"),
    ("/stac/search?filter=" + quote("id = 'a'") + "&filter-lang=sql", "filter-lang"),
    ("/stac/search?filter=" + quote("id = 'a'") + "&filter-crs=EPSG:3857", "filter-crs"),
    ("/stac/search?filter=" + quote("{") + "&filter-lang=cql2-json", "filter"),
    ("/stac/search?query=" + quote("{bad"), "query"),
    ("/stac/search?query=" + quote('{"eo:cloud_cover": {"like": 1}}'), "query"),
    ("/stac/search?query=" + quote('{"nothing": {"eq": 1}}'), "filter"),
    (f"/stac/collections/{S2_L1C}/items?bbox=1,2", "bbox"),
    (f"/stac/collections/{S2_L1C}/items?filter=" + quote("x = = 1"), "filter"),
]
BAD_POST = [
    ({"bbox": [1, 2, 3]}, "bbox"),
    ({"bbox": ["a", 2, 3, 4]}, "bbox"),
    ({"intersects": {"type": "Polygon", "coordinates": [BIG_RING]}}, "intersects"),
    ({"intersects": {"type": "Circle", "radius": 1}}, "intersects"),
    ({"intersects": "POINT(1 2)"}, "intersects"),
    ({"datetime": 20260101}, "datetime"),
    ({"limit": 0}, "limit"),
    ({"limit": "x"}, "limit"),
    ({"ids": [1, 2]}, "ids"),
    ({"collections": {"a": 1}}, "collections"),
    ({"sortby": [{"field": "datetime", "direction": "sideways"}]}, "sortby"),
    ({"fields": {"include": "id"}}, "fields"),
    ({"filter": {"op": "<", "args": [{"property": "nothing"}, 1]}}, "filter"),
    ({"filter": {"op": "??", "args": []}}, "filter"),
    ({"filter": NESTED}, None),
    ({"filter": " OR ".join(["id = 'a'"] * 2000), "filter-lang": "cql2-text"}, "filter"),
    ({"filter": {"op": "like", "args": [{"property": "id"}, {"property": "id"}]}}, "filter"),
    ({"filter": "id = 'a'", "filter-lang": "cql2-json"}, "filter"),
    ({"query": {"eo:cloud_cover": 5}}, "query"),
    ({"token": "next:x"}, "token"),
    ([1, 2, 3], "body"),
]


@pytest.mark.parametrize("path,parameter", BAD_GET)
def test_bad_get_requests(stac_client: FlaskClient, path: str, parameter: str | None) -> None:
    _assert_problem(stac_client.get(path), 400, parameter)


@pytest.mark.parametrize("body,parameter", BAD_POST)
def test_bad_post_requests(stac_client: FlaskClient, body: Any, parameter: str | None) -> None:
    _assert_problem(stac_client.post("/stac/search", json=body), 400, parameter)


def test_bad_bodies(stac_client: FlaskClient) -> None:
    _assert_problem(stac_client.post("/stac/search", data="limit=5",
                                     content_type="application/x-www-form-urlencoded"),
                    400, "body")
    _assert_problem(stac_client.post("/stac/search", data="{not json",
                                     content_type="application/json"), 400, "body")
    _assert_problem(stac_client.post("/stac/search", data='{"limit": NaN}',
                                     content_type="application/json"), 400, "body")
    _assert_problem(stac_client.post("/stac/search", data="[" * 100_000 + "]" * 100_000,
                                     content_type="application/json"), 400, "body")
    huge = json.dumps({"ids": ["x" * 1000] * 1100})
    _assert_problem(stac_client.post("/stac/search", data=huge,
                                     content_type="application/json"), 413, "body")
    assert stac_client.post("/stac/search", data="", content_type="application/json"
                            ).get_json()["numberMatched"] == DEMO_PRODUCTS


@pytest.mark.parametrize("path,parameter", [
    ("/stac/collections/EOP:CODE-DE:NOPE", "collectionId"),
    ("/stac/collections/EOP:CODE-DE:NOPE/items", "collectionId"),
    ("/stac/collections/EOP:CODE-DE:NOPE/queryables", "collectionId"),
    (f"/stac/collections/{S2_L1C}/items/NOPE", "itemId"),
])
def test_not_found(stac_client: FlaskClient, path: str, parameter: str) -> None:
    _assert_problem(stac_client.get(path), 404, parameter)


def test_injection_attempts_find_nothing(stac_client: FlaskClient) -> None:
    """Values never become SQL: they match nothing or are refused as malformed (400)."""
    for path in ["/stac/search?ids=" + quote("x' OR '1'='1"),
                 "/stac/search?collections=" + quote("x') OR 1=1 --"),
                 "/stac/search?filter=" + quote("id = 'x'' OR ''1''=''1'"),
                 "/stac/search?filter=" + quote("id LIKE '%'' OR 1=1 --'"),
                 "/stac/search?filter=" + quote('"id; DROP TABLE products" = 1')]:
        response = stac_client.get(path)
        assert response.status_code in (200, 400), path
        if response.status_code == 200:
            assert response.get_json()["numberMatched"] == 0, path
    body = {"query": {"id": {"eq": "x' OR '1'='1"}}, "sortby": [{"field": "id"}]}
    assert _post(stac_client, body)["numberMatched"] == 0
    assert _get(stac_client, "/stac/search")["numberMatched"] == DEMO_PRODUCTS


def test_nul_characters_are_no_server_error(stac_client: FlaskClient) -> None:
    for path in ["/stac/search?ids=a%00b", "/stac/search?collections=a%00",
                 f"/stac/collections/{S2_L1C}/items/a%00b",
                 "/stac/search?filter=" + quote("id = 'a\x00b'"),
                 "/stac/search?query=" + quote('{"id": {"startsWith": "a\\u0000"}}')]:
        response = stac_client.get(path)
        assert response.status_code in (200, 400, 404), (path, response.get_data(as_text=True))


def test_wrong_method(stac_client: FlaskClient) -> None:
    response = stac_client.put("/stac/search", json={})
    assert response.status_code == 405


def _assert_problem(response: Any, status: int, parameter: str | None) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    doc = response.get_json()
    assert doc["status"] == status and doc["code"] and doc["description"] == doc["detail"]
    if parameter:
        assert doc.get("parameter") == parameter, doc
