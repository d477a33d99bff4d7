"""The renderer over the demo archive: which products, in which order, read how, drawn how."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from rasterio.crs import CRS
from rasterio.warp import transform_bounds

from ogc_server.archive.model import Product
from ogc_server.archive.query import ProductQuery
from ogc_server.services import Services
from ogc_server.view.bands import overview_for
from ogc_server.view.render import (
    MapSpec,
    find_products,
    render_browse,
    render_footprints,
)
from ogc_server.view.timeparam import parse_time
from ogc_server.view.warp import BrowseCache, MapGrid

WGS84 = CRS.from_epsg(4326)
WORLD = MapSpec((-180.0, -90.0, 180.0, 90.0), WGS84, 720, 360)
S2 = "EOP:CODE-DE:S2_MSI_L1C"
GRD = "EOP:CODE-DE:S1_SAR_L1_GRD"


def _products(services: Services, collection: str) -> list[Product]:
    result = services.store.query(ProductQuery(collections=[collection], limit=100,
                                               sort=[("start", False)]))
    return [p for p in result.products if p.browse_path]


def _spec(product: Product, crs: str = "EPSG:4326", size: int = 200) -> MapSpec:
    west, south, east, north = product.footprint.bounds
    bbox = (west, south, east, north)
    if crs != "EPSG:4326":
        bbox = transform_bounds("EPSG:4326", crs, *bbox)
    return MapSpec(bbox, CRS.from_user_input(crs), size, size)


def test_newest_first_and_bounded(view_services: Services) -> None:
    found = find_products(view_services.store, GRD, WORLD, limit=50)
    assert len(found) >= 3
    starts = [p.start for p in found]
    assert starts == sorted(starts, reverse=True)
    assert len(find_products(view_services.store, GRD, WORLD, limit=2)) == 2


def test_optical_least_cloudy_first_under_a_time_filter(view_services: Services) -> None:
    time = parse_time("2000-01-01/2030-01-01")
    found = find_products(view_services.store, S2, WORLD, time=time, limit=50,
                          least_cloudy_first=True)
    clouds = [p.cloud_cover for p in found if p.cloud_cover is not None]
    assert len(clouds) >= 2 and clouds == sorted(clouds)
    # without a time filter the newest is on top even for optical data
    newest = find_products(view_services.store, S2, WORLD, limit=50, least_cloudy_first=True)
    assert [p.start for p in newest] == sorted((p.start for p in newest), reverse=True)


def test_time_and_product_filters(view_services: Services) -> None:
    product = _products(view_services, GRD)[-1]
    day = parse_time(product.start.strftime("%Y-%m-%d"))
    found = find_products(view_services.store, GRD, WORLD, time=day)
    assert product.identifier in [p.identifier for p in found]
    assert all(day.matches(p.start, p.end) for p in found)
    alone = find_products(view_services.store, GRD, WORLD, product=product.identifier)
    assert [p.identifier for p in alone] == [product.identifier]
    assert find_products(view_services.store, GRD, WORLD, time=parse_time("1990")) == []


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:3857", "EPSG:3035"])
def test_browse_mosaic_in_several_crs(view_services: Services, crs: str) -> None:
    product = _products(view_services, S2)[0]
    spec = _spec(product, crs)
    image = render_browse([product], view_services.storage, spec)
    assert image is not None and image.shape == (4, 200, 200) and image.dtype == np.uint8
    opaque = image[3] > 0
    assert opaque.mean() > 0.15
    assert image[:3, opaque].max() > 0  # colour, not only alpha


def test_nothing_drawn_is_none(view_services: Services) -> None:
    product = _products(view_services, S2)[0]
    far = MapSpec((-1.0, -1.0, 0.0, 0.0), WGS84, 64, 64)
    assert render_browse([product], view_services.storage, far) is None
    assert render_footprints([product], far) is None


def test_reads_the_overview_that_matches_the_map(view_services: Services) -> None:
    product = _products(view_services, GRD)[0]
    assert product.browse_path
    path = view_services.storage.product_dir(product.browse_path)
    info, _ = BrowseCache().info(path)
    with rasterio.open(path) as src:
        assert src.overviews(1)
        full = _spec(product, size=max(src.width, src.height) * 2)
        small = _spec(product, size=max(4, max(src.width, src.height) // 8))
    for spec, level in ((full, None), (small, len(info.factors) - 1)):
        placement = MapGrid(spec).place(info)
        assert placement is not None
        assert overview_for(list(info.factors), placement.ratio)[0] == level


def test_footprints_are_outlines(view_services: Services) -> None:
    product = _products(view_services, GRD)[0]
    west, south, east, north = product.footprint.bounds
    spec = MapSpec((west - 1, south - 1, east + 1, north + 1), WGS84, 200, 200)
    image = render_footprints([product], spec)
    assert image is not None
    share = (image[3] > 0).mean()
    assert 0.01 < share < 0.2
    centre = product.footprint.representative_point()
    col = int((centre.x - spec.bbox[0]) / (spec.bbox[2] - spec.bbox[0]) * 200)
    row = int((spec.bbox[3] - centre.y) / (spec.bbox[3] - spec.bbox[1]) * 200)
    assert image[3, row, col] == 0  # inside is not filled
