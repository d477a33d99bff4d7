"""The browse warp: the same pixels as GDAL's warper, the cache's keys, bounds and windows."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.warp import reproject, transform, transform_bounds

from ogc_server.archive.model import Product
from ogc_server.archive.query import ProductQuery
from ogc_server.services import Services
from ogc_server.view.bands import overview_for
from ogc_server.view.mapspec import MapSpec
from ogc_server.view.warp import BrowseCache, MapGrid, band_rows, sample

S2 = "EOP:CODE-DE:S2_MSI_L1C"
GRD = "EOP:CODE-DE:S1_SAR_L1_GRD"


def _product(services: Services, collection: str) -> Product:
    found = services.store.query(ProductQuery(collections=[collection], limit=50)).products
    return next(p for p in found if p.browse_path)


def _map(product: Product, crs: str, zoom: float, size: int = 256) -> MapSpec:
    """A map around ``product``: ``zoom`` < 1 shows more than the product, > 1 a part."""
    west, south, east, north = transform_bounds("EPSG:4326", crs, *product.footprint.bounds)
    cx, cy = (west + east) / 2, (south + north) / 2
    half = max(east - west, north - south) / 2 / zoom
    return MapSpec((cx - half, cy - half * 0.8, cx + half, cy + half * 0.8),
                   CRS.from_user_input(crs), size, int(size * 0.8))


def _ours(path: Path, spec: MapSpec, cache: BrowseCache) -> tuple[np.ndarray, int | None]:
    info, key = cache.info(path)
    placement = MapGrid(spec).place(info)
    assert placement is not None
    level = overview_for(list(info.factors), placement.ratio)[0]
    found = cache.pixels(path, key, info, level, placement)
    assert found is not None
    data, factor, col0, row0 = found
    out = np.zeros((4, spec.height, spec.width), dtype=np.uint8)
    sample(data, band_rows(info), placement, factor, col0, row0, out)
    return out, level


def _gdal(path: Path, spec: MapSpec, level: int | None,
          resampling: Resampling = Resampling.bilinear) -> np.ndarray:
    opened = rasterio.open(path, overview_level=level) if level is not None else \
        rasterio.open(path)
    with opened as src:
        bands = [1, 2, 3, 4] if src.count >= 4 else [1, 1, 1, 2]
        out = np.zeros((4, spec.height, spec.width), dtype=np.uint8)
        reproject(source=rasterio.band(src, bands), destination=out,
                  dst_transform=spec.transform, dst_crs=spec.crs,
                  resampling=resampling, init_dest_nodata=True, dst_nodata=0,
                  src_nodata=None)
    return out


def _utm(product: Product) -> str:
    centre = product.footprint.centroid
    zone = int((centre.x + 180) // 6) + 1
    return f"EPSG:{32600 + zone if centre.y >= 0 else 32700 + zone}"


@pytest.mark.parametrize("collection", [S2, GRD])
@pytest.mark.parametrize("crs", ["EPSG:3857", "EPSG:4326", "UTM"])
@pytest.mark.parametrize("zoom", [0.4, 1.0, 3.0, 8.0])
def test_pixels_match_gdals_warper(view_services: Services, collection: str, crs: str,
                                   zoom: float) -> None:
    product = _product(view_services, collection)
    path = view_services.storage.product_dir(product.browse_path or "")
    spec = _map(product, _utm(product) if crs == "UTM" else crs, zoom)
    cache = BrowseCache()
    info, _ = cache.info(path)
    placement = MapGrid(spec).place(info)
    assert placement is not None
    ours, level = _ours(path, spec, cache)
    factor = 1.0 if level is None else info.factors[level]
    enlarged = placement.ratio < factor
    theirs = _gdal(path, spec, level, Resampling.nearest if enlarged else Resampling.bilinear)
    both = (ours[3] > 0) & (theirs[3] > 0)
    assert both.sum() > 0.05 * both.size
    diff = np.abs(ours[:, both].astype(int) - theirs[:, both].astype(int))
    if enlarged:
        # the nearest pixel: the same source pixel but where a map pixel centre lies near a
        # source pixel's edge; GDAL's approximate transformer may be off by an eighth of a
        # map pixel, which near edges picks the neighbour (our own positions are checked
        # against exact ones below)
        assert (diff > 0).any(axis=0).mean() < 0.10
    else:
        # reducing (by less than the next overview): GDAL widens its bilinear kernel by the
        # ratio, a smoother picture of the same pixels
        assert diff.mean() < 3.0
    # the same footprint on the map, up to the edge pixels
    assert np.count_nonzero((ours[3] > 0) != (theirs[3] > 0)) < 0.02 * both.size


@pytest.mark.parametrize("crs", ["EPSG:3857", "EPSG:4326", "UTM", "EPSG:3035"])
def test_interpolated_positions_are_within_an_eighth_of_a_pixel(view_services: Services,
                                                                crs: str) -> None:
    product = _product(view_services, S2)
    info, _ = BrowseCache().info(view_services.storage.product_dir(product.browse_path or ""))
    spec = _map(product, _utm(product) if crs == "UTM" else crs, 1.0, size=512)
    placement = MapGrid(spec).place(info)
    assert placement is not None
    rng = np.random.default_rng(3)
    pick = rng.choice(len(placement.ys), size=min(400, len(placement.ys)), replace=False)
    rows, cols = placement.ys[pick], placement.xs[pick]
    t = spec.transform
    mx = t.c + (cols + 0.5) * t.a
    my = t.f + (rows + 0.5) * t.e
    xs, ys = transform(spec.crs, info.crs, mx.tolist(), my.tolist())
    inverse = ~info.transform
    exact_col = inverse.a * np.array(xs) + inverse.b * np.array(ys) + inverse.c
    exact_row = inverse.d * np.array(xs) + inverse.e * np.array(ys) + inverse.f
    # in map pixels: an error of an eighth of a map pixel at most
    error = np.hypot(placement.col[pick] - exact_col,
                     placement.row[pick] - exact_row) / placement.ratio
    assert float(np.nanmax(error)) < 0.125


def test_cache_keeps_levels_and_sees_a_replaced_file(view_services: Services,
                                                     tmp_path: Path) -> None:
    product = _product(view_services, GRD)
    path = tmp_path / "browse.tif"
    shutil.copy(view_services.storage.product_dir(product.browse_path or ""), path)
    cache = BrowseCache()
    spec = _map(product, "EPSG:3857", 1.0)
    first, _ = _ours(path, spec, cache)
    again, _ = _ours(path, spec, cache)
    assert cache.misses == 1 and cache.hits == 1
    assert np.array_equal(first, again)
    with rasterio.open(path) as src:  # the browse is made again, darker
        profile = src.profile
        data = src.read()
        factors = src.overviews(1) or [2]
    data[:3] //= 2
    path.unlink()
    profile.update(driver="GTiff", tiled=True, blockxsize=256, blockysize=256)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
        dst.build_overviews(factors, Resampling.average)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    darker, _ = _ours(path, spec, cache)
    assert cache.misses == 2
    opaque = darker[3] > 0
    assert darker[0, opaque].mean() < first[0, opaque].mean()


def test_cache_stays_within_its_bytes(view_services: Services) -> None:
    products = [p for p in view_services.store.query(ProductQuery(limit=100)).products
                if p.browse_path][:6]
    cache = BrowseCache(max_bytes=1)  # smaller than any level: only the newest stays
    for product in products:
        path = view_services.storage.product_dir(product.browse_path or "")
        _ours(path, _map(product, "EPSG:3857", 1.0), cache)
        assert len(cache._levels) == 1
        assert cache.bytes == next(iter(cache._levels.values())).nbytes


def test_large_levels_are_read_by_window(view_services: Services) -> None:
    product = _product(view_services, S2)
    path = view_services.storage.product_dir(product.browse_path or "")
    spec = _map(product, "EPSG:3857", 4.0)  # a quarter of the product
    windowed = BrowseCache(whole_level_pixels=0)
    info, key = windowed.info(path)
    placement = MapGrid(spec).place(info)
    assert placement is not None
    level = overview_for(list(info.factors), placement.ratio)[0]
    found = windowed.pixels(path, key, info, level, placement)
    assert found is not None
    data, factor, _, _ = found
    assert data.shape[1] * data.shape[2] < 0.5 * (info.width / factor) * (info.height / factor)
    assert not windowed._levels  # not cached
    ours, _ = _ours(path, spec, windowed)
    whole, _ = _ours(path, spec, BrowseCache())
    # the same pixels (positions relative to the window round differently in float32)
    assert np.abs(ours.astype(int) - whole.astype(int)).max() <= 1


@pytest.mark.parametrize("zoom", [0.2, 1.0, 4.0])
def test_every_pixel_centre_inside_the_raster_is_placed(view_services: Services,
                                                        zoom: float) -> None:
    """The rectangle the coarse grid picks misses no map pixel whose centre is in the COG."""
    product = _product(view_services, GRD)
    info, _ = BrowseCache().info(view_services.storage.product_dir(product.browse_path or ""))
    spec = _map(product, "EPSG:3857", zoom)
    placement = MapGrid(spec).place(info)
    assert placement is not None
    t = spec.transform
    px, py = np.meshgrid(np.arange(spec.width) + 0.5, np.arange(spec.height) + 0.5)
    xs, ys = transform(spec.crs, info.crs, (t.c + px * t.a).ravel().tolist(),
                       (t.f + py * t.e).ravel().tolist())
    inverse = ~info.transform
    col = (inverse.a * np.array(xs) + inverse.c).reshape(px.shape)
    row = (inverse.e * np.array(ys) + inverse.f).reshape(px.shape)
    # away from the raster's edge (where the approximation may put a centre either side)
    inner = (col >= 1) & (col < info.width - 1) & (row >= 1) & (row < info.height - 1)
    placed = np.zeros(px.shape, dtype=bool)
    placed[placement.ys, placement.xs] = True
    assert inner.any()
    assert not (inner & ~placed).any()


def test_a_map_beside_the_raster_places_nothing(view_services: Services) -> None:
    product = _product(view_services, S2)
    info, _ = BrowseCache().info(view_services.storage.product_dir(product.browse_path or ""))
    far = MapSpec((-1.0, -1.0, 0.0, 0.0), CRS.from_epsg(4326), 64, 64)
    assert MapGrid(far).place(info) is None
