"""``/browse/<id>/...``: the browse files of a product over HTTP, cached and by ranges."""

from __future__ import annotations

import json

import pytest
import rasterio
from rasterio.io import MemoryFile

from ogc_server.archive.model import Product
from ogc_server.archive.query import ProductQuery
from ogc_server.links import Links
from ogc_server.services import Services
from tests.view.helpers import get

pytestmark = pytest.mark.system


@pytest.fixture(scope="session")
def with_browse(view_services: Services) -> Product:
    result = view_services.store.query(ProductQuery(limit=500))
    return next(p for p in result.products if p.browse_path and p.quicklook_path)


@pytest.fixture(scope="session")
def without_browse(view_services: Services) -> Product:
    result = view_services.store.query(ProductQuery(limit=500))
    return next(p for p in result.products if not p.browse_path)


@pytest.mark.parametrize(("name", "media"), [
    ("quicklook.jpg", "image/jpeg"), ("thumbnail.jpg", "image/jpeg"),
    ("browse.tif", "image/tiff; application=geotiff; profile=cloud-optimized"),
])
def test_browse_files_with_caching_headers(base_url: str, with_browse: Product, name: str,
                                           media: str) -> None:
    links = Links(base_url)
    url = {"quicklook.jpg": links.quicklook, "thumbnail.jpg": links.thumbnail,
           "browse.tif": links.browse_cog}[name](with_browse)
    assert url == f"{base_url}/browse/{with_browse.identifier}/{name}"
    status, headers, body = get(url)
    assert status == 200
    assert headers["Content-Type"] == media
    assert int(headers["Content-Length"]) == len(body) > 100
    assert "max-age=3600" in headers["Cache-Control"]
    assert headers["Last-Modified"] and headers["ETag"]
    if name.endswith(".jpg"):
        assert body[:3] == b"\xff\xd8\xff"
    else:
        with MemoryFile(body) as memory, memory.open() as dataset:
            assert dataset.crs is not None and dataset.overviews(1)
    status, _, body = get(url, {"If-None-Match": headers["ETag"]})
    assert (status, body) == (304, b"")
    status, _, body = get(url, {"If-Modified-Since": headers["Last-Modified"]})
    assert (status, body) == (304, b"")
    status, _, _ = get(url, {"If-None-Match": '"something-else"'})
    assert status == 200


def test_cog_is_served_by_ranges(base_url: str, with_browse: Product) -> None:
    url = Links(base_url).browse_cog(with_browse)
    assert url
    _, _, whole = get(url)
    status, headers, part = get(url, {"Range": "bytes=0-15"})
    assert status == 206
    assert headers["Content-Range"] == f"bytes 0-15/{len(whole)}"
    assert part == whole[:16]
    assert headers["Accept-Ranges"] == "bytes"
    # GDAL reads the COG over HTTP by ranges, as a GIS would
    with rasterio.Env(GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR"), rasterio.open(
            f"/vsicurl/{url}") as dataset:
        assert dataset.read(1, out_shape=(8, 8)).shape == (8, 8)


@pytest.mark.parametrize("path", [
    "/browse/NO_SUCH_PRODUCT/quicklook.jpg",
    "/browse/..%2F..%2Fconfig/quicklook.jpg",
    "/browse/%2E%2E/thumbnail.jpg",
    "/browse/x/../../etc/passwd",
    "/browse/NO_SUCH_PRODUCT/other.png",
])
def test_unknown_products_and_paths_are_json_404(base_url: str, path: str) -> None:
    status, headers, body = get(base_url + path)
    assert status == 404
    assert headers["Content-Type"] == "application/problem+json"
    assert json.loads(body)["status"] == 404


def test_product_without_browse_is_404(base_url: str, without_browse: Product) -> None:
    status, headers, body = get(f"{base_url}/browse/{without_browse.identifier}/browse.tif")
    assert status == 404
    assert "has no browse.tif" in json.loads(body)["detail"]
