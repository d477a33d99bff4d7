"""OGC API Features over the footprints (pygeoapi with our feature provider), equal to the
catalogue's answers (SQLite and PostGIS)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from shapely.geometry import box
from werkzeug.test import Client

from ogc_server.archive.query import ProductQuery, Range
from ogc_server.services import Services
from plugins.pygeoapi_.app import build_wsgi_app

L1C = "EOP:CODE-DE:S2_MSI_L1C"
ITEMS = "/collections/S2_MSI_L1C-footprints/items"


@pytest.fixture(scope="session")
def api(demo_services: Services) -> Iterator[Client]:
    yield Client(build_wsgi_app(demo_services))


def _json(api: Client, path: str, status: int = 200) -> Any:
    response = api.get(path)
    assert response.status_code == status, response.get_data(as_text=True)[:1000]
    return response.get_json(force=True)


def _ids(services: Services, **query: Any) -> list[str]:
    result = services.store.query(ProductQuery(limit=10_000, collections=[L1C], **query))
    return [p.identifier for p in result.products]


def test_footprint_collections_sit_beside_the_record_collections(
        api: Client, demo_services: Services) -> None:
    doc = _json(api, "/collections")
    kinds = {c["id"]: c.get("itemType") for c in doc["collections"]}
    for collection in demo_services.settings.collection_list:
        assert kinds[f"{collection.short_name}-footprints"] == "feature"
        assert kinds[collection.short_name] == "record"
    queryables = _json(api, "/collections/S2_MSI_L1C-footprints/queryables")
    assert {"cloudCover", "startDate", "geometry"} <= set(queryables["properties"])


def test_items_are_footprint_features(api: Client, demo_services: Services) -> None:
    doc = _json(api, ITEMS + "?limit=100")
    expected = _ids(demo_services)
    assert doc["numberMatched"] == len(expected) == len(doc["features"])
    feature = doc["features"][0]
    assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert {"cloudCover", "startDate", "tileId"} <= set(feature["properties"])
    assert "keywords" not in feature["properties"]
    one = _json(api, f"{ITEMS}/{feature['id']}")
    assert one["id"] == feature["id"] and one["properties"] == feature["properties"]
    _json(api, "/collections/S1_SAR_L1_GRD-footprints/items/" + feature["id"], 404)


def test_paging_matches_the_catalogue(api: Client, demo_services: Services) -> None:
    seen: list[str] = []
    url: str | None = ITEMS + "?limit=3&sortby=-cloudCover"
    while url:
        doc = _json(api, url)
        seen += [f["id"] for f in doc["features"]]
        following = [link["href"] for link in doc["links"] if link["rel"] == "next"]
        url = None
        if following:
            parts = urlsplit(following[0])
            url = parts.path.split("/ogcapi", 1)[-1] + "?" + parts.query
    assert seen == _ids(demo_services, sort=[("cloud_cover", False), ("identifier", True)])


def test_bbox_datetime_filter_and_properties(api: Client, demo_services: Services) -> None:
    doc = _json(api, ITEMS + "?bbox=-180,-60,20,80&limit=100")
    assert sorted(f["id"] for f in doc["features"]) == sorted(
        _ids(demo_services, geometry=box(-180, -60, 20, 80)))
    doc = _json(api, ITEMS + "?limit=100&filter=" + quote("cloudCover < 30"))
    assert sorted(f["id"] for f in doc["features"]) == sorted(
        _ids(demo_services, where={"cloud_cover": Range(None, 30, high_inclusive=False)}))
    doc = _json(api, ITEMS + "?limit=100&datetime=2020-01-01T00:00:00Z/..")
    assert doc["numberMatched"] == len(_ids(demo_services))
    doc = _json(api, ITEMS + "?limit=2&properties=cloudCover")
    assert all(set(f["properties"]) <= {"cloudCover"} for f in doc["features"])
    bad = _json(api, ITEMS + "?properties=keywords", 400)
    assert bad["code"] == "InvalidParameterValue"


def test_html_pages_render(api: Client) -> None:
    for path in ("/collections/S2_MSI_L1C-footprints", ITEMS, ITEMS + "?limit=2"):
        response = api.get(path + ("&" if "?" in path else "?") + "f=html")
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        assert response.content_type.startswith("text/html")
    first = _json(api, ITEMS + "?limit=1")["features"][0]["id"]
    assert api.get(f"{ITEMS}/{first}?f=html").status_code == 200

