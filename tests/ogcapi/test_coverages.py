"""OGC API - Coverages over the demo archive: the latest product of a collection as GeoTIFF."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from rasterio.io import MemoryFile
from rasterio.warp import transform_bounds

from ogc_server.archive.model import Product
from ogc_server.archive.query import ProductQuery
from ogc_server.services import build_services
from ogc_server.settings import Settings
from plugins.pygeoapi_.app import build_wsgi_app
from tests.ogcapi.conftest import Api

S2 = "S2_MSI_L1C-coverage"
GRD = "S1_SAR_L1_GRD-coverage"
COVERAGES = {S2, "S2_MSI_L2A-coverage", GRD}


def _latest(demo_settings: Settings, collection: str, **kwargs: Any) -> Product:
    services = build_services(demo_settings, migrate=False)
    try:
        query = ProductQuery(collections=[f"EOP:CODE-DE:{collection}"],
                             where={"online_state": "online",
                                    "product_type": ["S2MSI1C", "S2MSI2A", "GRD"]},
                             sort=(("start", False), ("identifier", False)), limit=50,
                             **kwargs)
        return services.store.query(query).products[0]
    finally:
        services.engine.dispose()


def _tiff(api: Api, path: str) -> tuple[Any, dict[str, Any]]:
    response = api.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "image/tiff; application=geotiff"
    with MemoryFile(response.get_data()) as memory, memory.open() as dataset:
        facts = {"count": dataset.count, "crs": dataset.crs, "bounds": dataset.bounds,
                 "width": dataset.width, "height": dataset.height,
                 "descriptions": dataset.descriptions, "driver": dataset.driver}
    return response, facts


def _served(response: Any) -> str:
    match = re.search(r'filename="([^"]+)\.tif"', response.headers["Content-Disposition"])
    assert match
    return match.group(1)


def test_collections_list_the_coverages(demo_api: Api) -> None:
    doc = demo_api.json("/collections")
    ids = {c["id"] for c in doc["collections"]}
    assert ids >= COVERAGES
    assert {"S2_MSI_L1C", "S1_SAR_L1_GRD", "products"} <= ids  # records stay as they were
    coverage = next(c for c in doc["collections"] if c["id"] == S2)
    tiffs = [link for link in coverage["links"]
             if link["rel"].endswith("/coverage")
             and link["type"] == "image/tiff; application=geotiff"]
    assert tiffs and tiffs[0]["href"].endswith(f"/collections/{S2}/coverage?f=GTiff")
    assert not any(link["type"] == "application/prs.coverage+json"
                   for link in coverage["links"])


def test_collection_document(demo_api: Api) -> None:
    doc = demo_api.json(f"/collections/{S2}")
    rels = {link["rel"] for link in doc["links"]}
    assert "http://www.opengis.net/def/rel/ogc/1.0/coverage" in rels
    assert "http://www.opengis.net/def/rel/ogc/1.0/coverage-domainset" in rels
    assert "http://www.opengis.net/def/rel/ogc/1.0/coverage-rangetype" in rels
    assert "http://www.opengis.net/def/rel/ogc/1.0/schema" in rels
    grid = doc["extent"]["spatial"]["grid"]
    assert grid[0]["cellsCount"] > 0 and grid[0]["resolution"] > 0
    assert "latest" in doc["description"]


def test_conformance_and_openapi(demo_api: Api) -> None:
    classes = demo_api.json("/conformance")["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-coverages-1/1.0/conf/core" in classes
    paths = demo_api.json("/openapi?f=json")["paths"]
    names = {p.get("name") for p in paths[f"/collections/{S2}/coverage"]["get"]["parameters"]}
    assert {"subset", "properties", "datetime", "scale-size", "bbox-crs"} <= names
    assert f"/collections/{S2}/coverage/domainset" in paths
    assert f"/collections/{S2}/coverage/rangetype" in paths


def test_latest_product_whole_grid(demo_api: Api, demo_settings: Settings) -> None:
    latest = _latest(demo_settings, "S2_MSI_L1C")
    response, tiff = _tiff(demo_api, f"/collections/{S2}/coverage")
    assert _served(response) == latest.identifier
    domain = demo_api.json(f"/collections/{S2}/coverage/domainset")
    assert domain["product"]["id"] == latest.identifier
    limits = domain["generalGrid"]["gridLimits"]["axis"]
    assert (tiff["width"], tiff["height"]) == (limits[0]["upperBound"] + 1,
                                               limits[1]["upperBound"] + 1)
    assert tiff["crs"].to_epsg() == int(domain["generalGrid"]["srsName"].rsplit("/", 1)[1])
    names = [f["name"] for f in demo_api.json(f"/collections/{S2}/coverage/rangetype")["field"]]
    assert list(tiff["descriptions"]) == names and tiff["count"] == len(names)
    schema = demo_api.json(f"/collections/{S2}/schema")
    assert set(schema["properties"]) == set(names)


def test_bbox_and_bands(demo_api: Api, demo_settings: Settings) -> None:
    latest = _latest(demo_settings, "S2_MSI_L1C")
    domain = demo_api.json(f"/collections/{S2}/coverage/domainset")["generalGrid"]
    crs = domain["srsName"].rsplit("/", 1)[1]
    (x, y) = domain["axis"]
    west, south, east, north = transform_bounds(
        f"EPSG:{crs}", "EPSG:4326", x["lowerBound"], y["lowerBound"], x["upperBound"],
        y["upperBound"])
    box = (west + (east - west) * 0.25, south + (north - south) * 0.25,
           west + (east - west) * 0.6, south + (north - south) * 0.6)
    bbox = ",".join(f"{v:.6f}" for v in box)
    response, tiff = _tiff(demo_api, f"/collections/{S2}/coverage?bbox={bbox}"
                                     "&properties=B04,B03")
    assert _served(response) == latest.identifier
    assert tiff["count"] == 2 and list(tiff["descriptions"]) == ["B04", "B03"]
    got = transform_bounds(tiff["crs"], "EPSG:4326", *tiff["bounds"])
    pixel = x["resolution"] * 2 / 111_000 * 2  # two pixels, in degrees, generously
    for asked, served in zip(box, got, strict=True):
        assert abs(asked - served) < pixel + 0.01 * (east - west)
    full = _tiff(demo_api, f"/collections/{S2}/coverage")[1]
    assert tiff["width"] < full["width"] and tiff["height"] < full["height"]


def test_native_subset_and_scaling(demo_api: Api) -> None:
    domain = demo_api.json(f"/collections/{S2}/coverage/domainset")["generalGrid"]
    (x, y) = domain["axis"]
    res = x["resolution"]
    low_e, low_n = x["lowerBound"] + 4 * res, y["lowerBound"] + 6 * res
    path = (f"/collections/{S2}/coverage?subset=E({low_e}:{low_e + 10 * res})"
            f"&subset=N({low_n}:{low_n + 8 * res})")
    tiff = _tiff(demo_api, path)[1]
    assert (tiff["width"], tiff["height"]) == (10, 8)
    assert tiff["bounds"].left == pytest.approx(low_e)
    assert tiff["bounds"].bottom == pytest.approx(low_n)
    scaled = _tiff(demo_api, f"/collections/{S2}/coverage?scale-size=E(16),N(12)")[1]
    assert (scaled["width"], scaled["height"]) == (16, 12)
    half = _tiff(demo_api, f"/collections/{S2}/coverage?scale-factor=0.5")[1]
    assert half["width"] == round(domain["gridLimits"]["axis"][0]["upperBound"] / 2 + 0.5)


def test_datetime_chooses_the_product(demo_api: Api, demo_settings: Settings) -> None:
    latest = _latest(demo_settings, "S2_MSI_L1C")
    assert latest.start is not None
    cut = latest.start - timedelta(seconds=1)
    older = _latest(demo_settings, "S2_MSI_L1C", end=cut)
    window = cut.strftime("%Y-%m-%dT%H:%M:%SZ")
    response, _ = _tiff(demo_api, f"/collections/{S2}/coverage?datetime=../{window}")
    assert _served(response) == older.identifier != latest.identifier
    start = latest.start.strftime("%Y-%m-%dT%H:%M:%SZ")
    response, _ = _tiff(demo_api, f"/collections/{S2}/coverage?datetime={start}/..")
    assert _served(response) == latest.identifier
    domain = demo_api.json(f"/collections/{S2}/coverage/domainset?datetime=../{window}")
    assert domain["product"]["id"] == older.identifier


def test_grd_in_geographic_subsets(demo_api: Api) -> None:
    domain = demo_api.json(f"/collections/{GRD}/coverage/domainset")["generalGrid"]
    assert domain["axisLabels"] == ["Long", "Lat"]
    (lon, lat) = domain["axis"]
    mid_lon = (lon["lowerBound"] + lon["upperBound"]) / 2
    mid_lat = (lat["lowerBound"] + lat["upperBound"]) / 2
    path = (f"/collections/{GRD}/coverage?subset=Lat({lat['lowerBound']}:{mid_lat}),"
            f"Long({lon['lowerBound']}:{mid_lon})&properties=VV")
    tiff = _tiff(demo_api, path)[1]
    assert tiff["count"] == 1 and tiff["crs"].to_epsg() == 4326
    step = abs(lat["resolution"]) * 2
    assert tiff["bounds"].top == pytest.approx(mid_lat, abs=step)
    assert tiff["bounds"].right == pytest.approx(mid_lon, abs=abs(lon["resolution"]) * 2)


BAD = [
    ("?properties=B99", 400),
    ("?properties=", 200),
    ("?bbox=1,2,3", 400),
    ("?bbox=a,b,c,d", 400),
    ("?bbox=10,50,9,51", 400),
    ("?bbox=0,-95,1,95", 400),
    ("?bbox=nan,1,2,3", 400),
    ("?bbox=0,0,1,1", 400),  # outside the product
    ("?bbox-crs=EPSG:x&bbox=0,0,1,1", 400),
    ("?bbox-crs=http://www.opengis.net/def/crs/EPSG/0/999999&bbox=0,0,1,1", 400),
    ("?subset=Q(1:2)", 400),
    ("?subset=E(1:2", 400),
    ("?subset=E(%22a%22:%22b%22)", 400),
    ("?subset=E(5:1)", 400),
    ("?subset=E(inf:1)", 400),
    ("?subset=E(1:2)&bbox=1,2,3,4", 400),
    ("?f=json", 400),
    ("?f=html", 400),
    ("?f=png", 400),
    ("?datetime=yesterday", 400),
    ("?datetime=1990-01-01/1990-02-01", 404),
    ("?scale-factor=0", 400),
    ("?scale-factor=abc", 400),
    ("?scale-factor=1e400", 400),
    ("?scale-size=E(0),N(5)", 400),
    ("?scale-size=Q(5)", 400),
    ("?scale-size=E(5.5)", 400),
    ("?scale-axes=E(0.5)&scale-factor=2", 400),
    ("?scale-factor=1000", 400),  # over the limits
]


@pytest.mark.parametrize(("query", "status"), BAD)
def test_bad_input_is_a_problem(demo_api: Api, query: str, status: int) -> None:
    response = demo_api.get(f"/collections/{S2}/coverage{query}")
    assert response.status_code == status, response.get_data(as_text=True)
    if status >= 400:
        doc = response.get_json(force=True)
        assert doc["code"] and doc["description"]


@pytest.mark.parametrize("path", [
    "/collections/nothing-coverage/coverage",
    "/collections/S2_MSI_L1C/coverage",
    "/collections/S3_OLCI_L1-coverage/coverage",
    "/collections/nothing/coverage/domainset",
    "/collections/S2_MSI_L1C/coverage/rangetype",
])
def test_unknown_coverages_are_404(demo_api: Api, path: str) -> None:
    response = demo_api.get(path)
    assert response.status_code == 404, response.get_data(as_text=True)
    assert response.get_json(force=True)["code"]


@pytest.mark.parametrize("path", [
    f"/collections/{S2}/items", f"/collections/{S2}/queryables",
    f"/collections/{S2}/metadata", f"/collections/{S2}/coverage/domainset?datetime=x",
    f"/collections/{S2}?f=html", f"/collections/{S2}/schema?f=html",
])
def test_other_endpoints_never_fail(demo_api: Api, path: str) -> None:
    assert demo_api.get(path).status_code < 500


def test_limits_refuse_before_reading(demo_settings: Settings) -> None:
    small = demo_settings.model_copy(update={"wcs": demo_settings.wcs.model_copy(
        update={"max_side": 16})})
    services = build_services(small, migrate=False)
    try:
        api = Api(build_wsgi_app(services))
        response = api.get(f"/collections/{S2}/coverage")
        assert response.status_code == 400
        assert "16 per side" in response.get_json()["description"]
        assert _tiff(api, f"/collections/{S2}/coverage?scale-size=E(16),N(16)")[1]["width"] \
            == 16
    finally:
        services.engine.dispose()
