"""OGC API - Records over the demo archive: every resource and items parameter, JSON and HTML."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from shapely.geometry import box, shape

from ogc_server.archive.query import ProductQuery, Range
from ogc_server.services import build_services
from ogc_server.settings import Settings
from plugins.pygeoapi_.app import CONFORMANCE
from plugins.pygeoapi_.coverage_api import CONFORMANCE as COVERAGE_CONFORMANCE
from plugins.pygeoapi_.queryables import QUERYABLES
from tests.conftest import DEMO_PRODUCTS
from tests.ogcapi.conftest import Api, ids

BASE = "http://127.0.0.1:8080/ogcapi"
S2 = "EOP:CODE-DE:S2_MSI_L1C"
SPEC = "http://www.opengis.net/spec"


@pytest.fixture(scope="module")
def oracle(demo_settings: Settings):
    """The catalogue itself, to check the API's answers against."""
    services = build_services(demo_settings, migrate=False)
    yield services.store
    services.engine.dispose()


def total(store, **kwargs) -> int:
    return store.query(ProductQuery(limit=0, **kwargs)).total


def test_landing_page(demo_api: Api) -> None:
    doc = demo_api.json("/")
    rels = {link["rel"]: link["href"] for link in doc["links"]}
    assert rels["conformance"] == f"{BASE}/conformance"
    assert rels["data"] == f"{BASE}/collections"
    assert rels["service-desc"] == f"{BASE}/openapi"
    assert not any("processes" in r or "tiling" in r or "job" in r for r in rels)
    assert doc["title"] == "ogc-server Copernicus rolling archive"


def test_conformance_declares_what_is_implemented(demo_api: Api) -> None:
    classes = demo_api.json("/conformance")["conformsTo"]
    assert classes == [*CONFORMANCE, *COVERAGE_CONFORMANCE]
    for cls in ("ogcapi-records-1/1.0/conf/core", "ogcapi-records-1/1.0/conf/record-core",
                "ogcapi-records-1/1.0/conf/record-collection",
                "ogcapi-records-1/1.0/conf/sorting", "ogcapi-features-3/1.0/conf/filter",
                "cql2/1.0/conf/cql2-text", "cql2/1.0/conf/cql2-json",
                "cql2/1.0/conf/basic-cql2"):
        assert f"{SPEC}/{cls}" in classes
    # asked twice, the list does not grow (pygeoapi's own handler appends on every call)
    assert demo_api.json("/conformance")["conformsTo"] == classes


def test_collections_one_per_archive_collection(demo_api: Api, demo_settings: Settings,
                                                oracle) -> None:
    doc = demo_api.json("/collections")
    by_id = {c["id"]: c for c in doc["collections"]}
    expected = {c.short_name for c in demo_settings.collection_list} | {"products", "services"}
    footprints = {f"{c.short_name}-footprints" for c in demo_settings.collection_list}
    coverages = {cid for cid in by_id if cid.endswith("-coverage")}
    assert coverages
    assert set(by_id) - coverages == expected | footprints
    assert {by_id[f]["itemType"] for f in footprints} == {"feature"}
    s2 = by_id["S2_MSI_L1C"]
    assert s2["itemType"] == "record" and s2["type"] == "Collection"
    assert s2["properties"]["parentIdentifier"] == S2
    assert s2["title"] == next(c.title for c in demo_settings.collection_list
                               if c.identifier == S2)
    stats = oracle.collection_stats()[S2]
    start, end = s2["extent"]["temporal"]["interval"][0]
    assert datetime.fromisoformat(start) == stats.start
    assert datetime.fromisoformat(end) >= stats.end
    west, south, east, north = s2["extent"]["spatial"]["bbox"][0]
    page = oracle.query(ProductQuery(collections=[S2], limit=100))
    for product in page.products:
        assert box(west, south, east, north).covers(product.footprint)
    links = {link["rel"]: link for link in s2["links"] if link["rel"] in (
        "describedby", "search", "items")}
    assert links["describedby"]["href"] == f"{BASE}/collections/S2_MSI_L1C/metadata"
    assert links["search"]["href"].endswith(
        "/opensearch/description.xml?parentIdentifier=EOP:CODE-DE:S2_MSI_L1C")
    assert by_id["products"]["extent"]["temporal"]["interval"][0][0] is not None


def test_single_collection_and_unknown_one(demo_api: Api) -> None:
    doc = demo_api.json("/collections/S1_SAR_L1_GRD")
    assert doc["id"] == "S1_SAR_L1_GRD" and doc["itemType"] == "record"
    assert "SAR" in doc["keywords"]
    assert demo_api.json("/collections/S1", status=404)["code"] == "NotFound"


def test_collection_metadata_record(demo_api: Api) -> None:
    response = demo_api.get("/collections/S2_MSI_L1C/metadata")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/vnd.iso.19139+xml"
    body = response.get_data(as_text=True)
    assert "EOP:CODE-DE:S2_MSI_L1C" in body and "{public_url}" not in body
    assert demo_api.get("/collections/products/metadata").status_code == 404


def test_queryables_and_sortables(demo_api: Api) -> None:
    response = demo_api.get("/collections/S2_MSI_L1C/queryables")
    assert response.headers["Content-Type"] == "application/schema+json"
    doc = response.get_json(force=True)
    assert doc["$id"] == f"{BASE}/collections/S2_MSI_L1C/queryables"
    props = doc["properties"]
    assert props["geometry"]["x-ogc-role"] == "primary-geometry"
    assert props["cloudCover"] == {"title": "cloudCover", "description": "Cloud cover in percent",
                                   "type": "number", "minimum": 0, "maximum": 100}
    assert props["startDate"]["format"] == "date-time"
    assert props["orbitNumber"]["type"] == "integer"
    assert props["orbitDirection"]["enum"] == ["ASCENDING", "DESCENDING"]
    assert set(props) == {"geometry"} | {q.name for q in QUERYABLES}
    sortables = demo_api.json("/collections/S2_MSI_L1C/sortables")
    assert set(sortables["properties"]) == set(props)
    assert demo_api.json("/collections/nope/queryables", status=404)["code"] == "NotFound"


def test_openapi_document(demo_api: Api) -> None:
    response = demo_api.get("/openapi")
    assert response.status_code == 200
    doc = json.loads(response.get_data(as_text=True))
    assert doc["servers"][0]["url"] == BASE
    params = {p.get("name") or p["$ref"].rsplit("/", 1)[-1]
              for p in doc["paths"]["/collections/S2_MSI_L1C/items"]["get"]["parameters"]}
    assert {"filter", "filter-lang", "ids", "cloudCover", "q.yaml", "bbox", "datetime"} <= params
    assert "/collections/S2_MSI_L1C/sortables" in doc["paths"]


def test_items_page_and_exact_count(demo_api: Api, oracle) -> None:
    response = demo_api.get("/collections/S2_MSI_L1C/items?limit=3")
    assert response.headers["Content-Type"] == "application/geo+json"
    doc = response.get_json(force=True)
    assert doc["type"] == "FeatureCollection"
    assert doc["numberMatched"] == total(oracle, collections=[S2])
    assert doc["numberReturned"] == len(doc["features"]) == 3
    rels = {link["rel"]: link["href"] for link in doc["links"]}
    assert "offset=3" in rels["next"] and "limit=3" in rels["next"]
    record = doc["features"][0]
    assert record["type"] == "Feature" and record["properties"]["type"] == "dataset"
    assert record["properties"]["parentIdentifier"] == S2
    assert record["links"][0] == {
        "rel": "self", "type": "application/geo+json", "title": "This record",
        "href": f"{BASE}/collections/S2_MSI_L1C/items/{record['id']}"}


def test_default_limit_and_max_limit(demo_api: Api) -> None:
    assert demo_api.json("/collections/products/items")["numberReturned"] == 10
    doc = demo_api.json("/collections/products/items?limit=100000")  # clamped to 1000
    assert doc["numberReturned"] == doc["numberMatched"] == DEMO_PRODUCTS


def test_paging_walks_every_record_once(demo_api: Api) -> None:
    seen: list[str] = []
    for offset in range(0, DEMO_PRODUCTS + 7, 7):
        seen += ids(demo_api.json(f"/collections/products/items?limit=7&offset={offset}"))
    assert len(seen) == len(set(seen)) == DEMO_PRODUCTS
    last = demo_api.json(f"/collections/products/items?limit=7&offset={DEMO_PRODUCTS - 2}")
    assert {link["rel"] for link in last["links"]} >= {"prev"}
    assert "next" not in {link["rel"] for link in last["links"]}


def test_bbox(demo_api: Api, oracle) -> None:
    doc = demo_api.json("/collections/products/items?bbox=5,45,16,56&limit=1000")
    query_box = box(5, 45, 16, 56)
    assert doc["numberMatched"] == total(oracle, geometry=query_box) > 0
    for record in doc["features"]:
        assert shape(record["geometry"]).intersects(query_box)
    six = demo_api.json("/collections/products/items?bbox=5,45,0,16,56,100&limit=1000")
    assert ids(six) == ids(doc)


def test_bbox_across_the_antimeridian(demo_api: Api, oracle) -> None:
    doc = demo_api.json("/collections/products/items?bbox=120,-60,-150,0&limit=1000")
    assert doc["numberMatched"] == total(
        oracle, geometry=box(120, -60, 180, 0).union(box(-180, -60, -150, 0)))


@pytest.mark.parametrize("value, start, end", [
    ("2026-01-01T00:00:00Z/..", datetime(2026, 1, 1, tzinfo=UTC), None),
    ("../2025-06-30T00:00:00Z", None, datetime(2025, 6, 30, tzinfo=UTC)),
    ("2025-01-01/2025-12-31", datetime(2025, 1, 1, tzinfo=UTC),
     datetime(2025, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
    ("2010-01-01T00:00:00Z/2010-02-01T00:00:00Z", datetime(2010, 1, 1, tzinfo=UTC),
     datetime(2010, 2, 1, tzinfo=UTC)),
])
def test_datetime(demo_api: Api, oracle, value: str, start, end) -> None:
    doc = demo_api.json(f"/collections/products/items?datetime={quote(value)}&limit=1000")
    assert doc["numberMatched"] == total(oracle, start=start, end=end)


def test_datetime_instant_on_a_product(demo_api: Api, oracle) -> None:
    product = oracle.query(ProductQuery(collections=[S2], limit=1)).products[0]
    instant = product.start.isoformat().replace("+00:00", "Z")
    doc = demo_api.json(f"/collections/S2_MSI_L1C/items?datetime={quote(instant)}")
    assert product.identifier in ids(doc)


def test_free_text(demo_api: Api, oracle) -> None:
    doc = demo_api.json("/collections/products/items?q=MSIL1C&limit=1000")
    assert doc["numberMatched"] == total(oracle, text="MSIL1C") > 0
    assert all("MSIL1C" in i for i in ids(doc))


def test_property_filters(demo_api: Api, oracle) -> None:
    doc = demo_api.json("/collections/products/items?productType=GRD&orbitDirection=ASCENDING"
                        "&limit=1000")
    expected = total(oracle, where={"product_type": "GRD", "orbit_direction": "ASCENDING"})
    assert doc["numberMatched"] == expected > 0
    for record in doc["features"]:
        assert record["properties"]["productType"] == "GRD"
        assert record["properties"]["orbitDirection"] == "ASCENDING"
    dated = demo_api.json("/collections/products/items?startDate=2026-01-01/..&limit=1000")
    assert dated["numberMatched"] == total(
        oracle, where={"start": Range(datetime(2026, 1, 1, tzinfo=UTC))})


def test_ids_and_type(demo_api: Api) -> None:
    first = ids(demo_api.json("/collections/products/items?limit=2"))
    doc = demo_api.json(f"/collections/products/items?ids={','.join(first)}")
    assert sorted(ids(doc)) == sorted(first)
    assert demo_api.json("/collections/products/items?type=dataset")["numberMatched"] == (
        DEMO_PRODUCTS)
    assert demo_api.json("/collections/products/items?type=service")["numberMatched"] == 0


def test_sortby(demo_api: Api) -> None:
    doc = demo_api.json("/collections/S2_MSI_L1C/items?sortby=-cloudCover&limit=100")
    clouds = [f["properties"]["cloudCover"] for f in doc["features"]]
    assert clouds == sorted(clouds, reverse=True)
    doc = demo_api.json("/collections/S2_MSI_L1C/items?sortby=%2BorbitNumber,-startDate")
    orbits = [f["properties"]["orbitNumber"] for f in doc["features"]]
    assert orbits == sorted(orbits)
    assert "sortby=orbitNumber,-startDate" in next(
        link["href"] for link in doc["links"] if link["rel"] == "self")


@pytest.mark.parametrize("text", [
    "cloudCover < 30 AND platform = 'Sentinel-2'",
    "cloudCover BETWEEN 0 AND 30 AND platform IN ('Sentinel-2')",
    "productType LIKE 'S2MSI%' AND cloudCover < 30",
    "S_INTERSECTS(geometry, BBOX(-180, -90, 180, 90)) AND cloudCover < 30"
    " AND platform = 'Sentinel-2'",
])
def test_cql2_text_filters(demo_api: Api, oracle, text: str) -> None:
    doc = demo_api.json(f"/collections/products/items?filter={quote(text)}&limit=1000")
    expected = total(oracle, where={"platform": "Sentinel-2",
                                    "cloud_cover": Range(None, 30, high_inclusive=False)})
    if "BETWEEN" in text:
        expected = total(oracle, where={"platform": "Sentinel-2", "cloud_cover": Range(0, 30)})
    assert doc["numberMatched"] == expected > 0
    assert all(f["properties"]["cloudCover"] <= 30 for f in doc["features"])


def test_cql2_temporal_and_spatial_filters(demo_api: Api, oracle) -> None:
    text = ("startDate >= TIMESTAMP('2026-01-01T00:00:00Z') AND "
            "S_INTERSECTS(geometry, POLYGON((5 45, 16 45, 16 56, 5 56, 5 45)))")
    doc = demo_api.json(f"/collections/products/items?filter={quote(text)}&limit=1000")
    assert doc["numberMatched"] == total(
        oracle, geometry=box(5, 45, 16, 56),
        where={"start": Range(datetime(2026, 1, 1, tzinfo=UTC))})
    dated = demo_api.json("/collections/products/items?limit=1000&filter="
                          + quote("startDate < DATE('2025-01-01')"))
    assert dated["numberMatched"] == total(
        oracle, where={"start": Range(None, datetime(2025, 1, 1, tzinfo=UTC),
                                      high_inclusive=False)})


def test_cql2_json_filter_in_the_url_and_posted(demo_api: Api, oracle) -> None:
    cql = {"op": "and", "args": [
        {"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [5, 45, 16, 56]}]},
        {"op": "between", "args": [{"property": "cloudCover"}, 0, 50]},
    ]}
    expected = total(oracle, geometry=box(5, 45, 16, 56), where={"cloud_cover": Range(0, 50)})
    url = ("/collections/products/items?limit=1000&filter-lang=cql2-json&filter="
           + quote(json.dumps(cql)))
    assert demo_api.json(url)["numberMatched"] == expected > 0
    posted = demo_api.post("/collections/products/items?limit=1000", json.dumps(cql))
    assert posted["numberMatched"] == expected


def test_filter_paging_links_keep_the_filter(demo_api: Api) -> None:
    doc = demo_api.json("/collections/products/items?limit=2&filter-lang=cql2-text&filter="
                        + quote("platform = 'Sentinel-1'"))
    next_link = next(link["href"] for link in doc["links"] if link["rel"] == "next")
    assert "filter=platform" in next_link
    path = next_link.split("/ogcapi", 1)[1]
    following = demo_api.json(path)
    assert all(f["properties"]["platform"] == "Sentinel-1" for f in following["features"])
    assert not set(ids(following)) & set(ids(doc))


def test_properties_skip_geometry_and_hits(demo_api: Api) -> None:
    doc = demo_api.json("/collections/products/items?properties=title,cloudCover"
                        "&skipGeometry=true&limit=3")
    for record in doc["features"]:
        assert set(record["properties"]) <= {"title", "cloudCover"}
        assert record["geometry"] is None
    hits = demo_api.json("/collections/products/items?resulttype=hits")
    assert hits["numberMatched"] == DEMO_PRODUCTS and hits["features"] == []


def test_single_record(demo_api: Api, oracle) -> None:
    product = oracle.query(ProductQuery(collections=[S2], limit=1)).products[0]
    doc = demo_api.json(f"/collections/S2_MSI_L1C/items/{product.identifier}")
    assert doc["id"] == product.identifier
    assert doc["time"]["interval"][0].startswith(product.start.strftime("%Y-%m-%dT%H:%M:%S"))
    assert shape(doc["geometry"]).equals_exact(product.footprint, 1e-9)
    props = doc["properties"]
    assert props["title"] == product.identifier
    assert props["cloudCover"] == product.cloud_cover
    assert props["orbitNumber"] == product.orbit_number
    assert props["formats"] == [{"name": "SAFE", "mediaType": "application/zip"}]
    assert props["contacts"][0]["emails"] == [{"value": "ops@example.org"}]
    links = {(link["rel"], link.get("title")): link["href"] for link in doc["links"]}
    assert links[("enclosure", "Download the product")].endswith(f"/download/{product.file_name}")
    assert ("preview", "Quicklook") in links and ("preview", "Thumbnail") in links
    assert links[("alternate", "STAC Item")].endswith(
        f"/stac/collections/{S2}/items/{product.identifier}")
    assert "uid=" + product.identifier in links[("alternate", "EO OpenSearch entry")]
    assert "GetRecordById" in links[("alternate",
                                     "ISO 19139 record through CSW GetRecordById")]
    assert links[("collection", "Sentinel-2 MSI Level-1C top-of-atmosphere reflectance")] == (
        f"{BASE}/collections/S2_MSI_L1C")
    # the same record under "products"; another collection does not hold it
    assert demo_api.json(f"/collections/products/items/{product.identifier}")["id"] == (
        product.identifier)
    assert demo_api.json(f"/collections/S1_SAR_L1_GRD/items/{product.identifier}",
                         status=404)["code"] == "NotFound"


@pytest.mark.parametrize("path", [
    "/", "/collections", "/collections/S2_MSI_L1C", "/collections/S2_MSI_L1C/items",
    "/collections/products/items?bbox=5,45,16,56", "/collections/S2_MSI_L1C/queryables",
    "/collections/S2_MSI_L1C/sortables", "/collections/S2_MSI_L1C/schema", "/conformance",
    "/openapi",
])
def test_html(demo_api: Api, path: str) -> None:
    sep = "&" if "?" in path else "?"
    response = demo_api.get(f"{path}{sep}f=html")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.get_data(as_text=True).lstrip().lower().startswith(("<!doctype", "<!--"))
    by_accept = demo_api.get(path, Accept="text/html,application/xhtml+xml;q=0.9")
    assert by_accept.headers["Content-Type"].startswith("text/html")


def test_html_record_and_html_errors(demo_api: Api) -> None:
    record = ids(demo_api.json("/collections/S2_MSI_L1C/items?limit=1"))[0]
    page = demo_api.get(f"/collections/S2_MSI_L1C/items/{record}?f=html")
    assert page.status_code == 200 and record in page.get_data(as_text=True)
    missing = demo_api.get("/collections/S2_MSI_L1C/items/nothing?f=html")
    assert missing.status_code == 404 and missing.headers["Content-Type"].startswith("text/html")
    bad = demo_api.get("/collections/products/items?bbox=1,2&f=html")
    assert bad.status_code == 400 and "bbox" in bad.get_data(as_text=True)


def test_static_files_for_the_html_pages(demo_api: Api) -> None:
    response = demo_api.get("/static/css/default.css")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/css")
