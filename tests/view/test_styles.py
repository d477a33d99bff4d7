"""Styles and full-resolution reads: maps drawn from the products' original bands."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import rasterio
from owslib.wms import WebMapService
from rasterio.crs import CRS
from rasterio.windows import from_bounds

from ogc_server.archive.model import OnlineState, Product
from ogc_server.ingest.radiometry import s2_radiometry, tone
from ogc_server.services import Services
from ogc_server.view.bands import MAX_SOURCE_PIXELS, ReadBudget, band_files, render_bands
from ogc_server.view.render import MapSpec, render_browse
from ogc_server.view.styles import S1_STYLES, S2_STYLES, ndvi_colours
from ogc_server.view.warp import BrowseCache
from tests.view.helpers import get, image
from tests.view.test_wms import around, newest

S2 = "EOP:CODE-DE:S2_MSI_L1C"
GRD = "EOP:CODE-DE:S1_SAR_L1_GRD"
TRUE, FALSE, NDVI = S2_STYLES
VV, VVVH = S1_STYLES


def _deep_zoom(services: Services, product: Product, band: str = "B04",
               zoom: int = 2) -> tuple[MapSpec, dict[str, np.ndarray]]:
    """A 256 x 256 map in the tile's own grid, ``zoom`` map pixels per band pixel, and the
    reflectance of the bands under it read straight from the JPEG 2000 files."""
    folder = services.storage.product_dir(product.storage_path or "")
    files = band_files(folder, "S2", ("B02", "B03", "B04", "B08"))
    assert files is not None
    quant, offsets = s2_radiometry(folder, product)
    with rasterio.open(files[band]) as src:
        res = src.transform.a
        cells = 256 // zoom
        assert src.width > cells + 5 and src.height > cells + 5
        west, north = src.transform.c + 5 * res, src.transform.f - 5 * res
        bbox = (west, north - cells * res, west + cells * res, north)
        spec = MapSpec(bbox, src.crs, 256, 256)
    reflectance = {}
    for name, path in files.items():
        with rasterio.open(path) as src:
            dn = src.read(1, window=from_bounds(*bbox, src.transform)).astype(np.float32)
        assert dn.shape == (cells, cells)
        up = np.repeat(np.repeat(dn, zoom, axis=0), zoom, axis=1)
        reflectance[name] = (up + offsets[name]) / quant
    return spec, reflectance


def test_deep_zoom_shows_the_band_pixels(view_services: Services) -> None:
    """A 10 m pixel shows as 10 m: each band pixel is a 2 x 2 block of the map, its colour the
    band's value (not the browse's bilinear blend)."""
    product = newest(view_services, S2)
    spec, reflectance = _deep_zoom(view_services, product)
    drawn = render_browse([product], view_services.storage, spec, style=TRUE)
    assert drawn is not None and (drawn[3] == 255).all()
    for index, band in enumerate(("B04", "B03", "B02")):
        expected = tone(reflectance[band]).astype(int)
        assert np.abs(drawn[index].astype(int) - expected).max() <= 1
    # the S2 browse keeps the bands' own grid (tagged at ingestion): the browse alone, as for
    # a product whose bands are offline, draws the same 10 m squares without reading a band
    path = view_services.storage.product_dir(product.browse_path or "")
    assert BrowseCache().info(path)[0].band_grid
    offline = dataclasses.replace(product, online_state=OnlineState.OFFLINE)
    browse = render_browse([offline], view_services.storage, spec, style=TRUE)
    assert browse is not None
    assert np.abs(browse.astype(int) - drawn.astype(int)).max() <= 1


def test_ndvi_follows_the_formula(view_services: Services) -> None:
    product = newest(view_services, S2)
    spec, reflectance = _deep_zoom(view_services, product)
    drawn = render_browse([product], view_services.storage, spec, style=NDVI)
    assert drawn is not None
    nir, red = reflectance["B08"], reflectance["B04"]
    expected = ndvi_colours((nir - red) / (nir + red)).astype(int)
    assert np.abs(drawn[:3].astype(int) - expected).max() <= 1
    false = render_browse([product], view_services.storage, spec, style=FALSE)
    assert false is not None
    assert np.abs(false[0].astype(int) - tone(nir, 2.0).astype(int)).max() <= 1


def test_band_reads_stay_within_the_request_budget(view_services: Services) -> None:
    product = newest(view_services, S2)
    spec, _ = _deep_zoom(view_services, product)
    storage = view_services.storage
    assert render_bands(product, storage, spec, NDVI, ReadBudget(0)) is None
    budget = ReadBudget()
    assert render_bands(product, storage, spec, NDVI, budget) is not None
    # two bands, each read over the map at half the map's resolution
    assert MAX_SOURCE_PIXELS - budget.left == pytest.approx(2 * 256 * 256 / 4, rel=1e-3)


def test_styles_at_every_zoom_and_offline_products(view_services: Services) -> None:
    """A whole-tile map draws the band styles too (from overviews where the files have them);
    an offline product (bands evicted) draws its browse."""
    product = newest(view_services, S2)
    spec = MapSpec(around(product), CRS.from_epsg(4326), 256, 256)
    browse = render_browse([product], view_services.storage, spec)
    ndvi = render_browse([product], view_services.storage, spec, style=NDVI)
    assert browse is not None and ndvi is not None
    assert (ndvi[3] > 0).mean() > 0.2 and not np.array_equal(ndvi[:3], browse[:3])
    offline = product.replace(online_state=OnlineState.OFFLINE)
    assert np.array_equal(
        render_browse([offline], view_services.storage, spec, style=NDVI), browse)


def test_sentinel1_composite(view_services: Services) -> None:
    product = newest(view_services, GRD)
    spec = MapSpec(around(product), CRS.from_epsg(4326), 256, 256)
    vv = render_browse([product], view_services.storage, spec, style=VV)
    composite = render_browse([product], view_services.storage, spec, style=VVVH)
    assert vv is not None and composite is not None
    inside = composite[3] > 0
    assert inside.mean() > 0.2
    assert np.array_equal(vv[0], vv[1])  # grey
    assert (composite[0][inside] != composite[1][inside]).mean() > 0.5  # colour


def _getmap(base_url: str, query: str) -> tuple[int, bytes]:
    status, _, body = get(
        f"{base_url}/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&CRS=EPSG:4326"
        f"&WIDTH=256&HEIGHT=256&FORMAT=image/png&TRANSPARENT=TRUE&{query}")
    return status, body


def test_styles_through_the_wms(base_url: str, view_services: Services) -> None:
    """STYLES=ndvi on the collection's layer is its NDVI layer, drawn as the renderer draws."""
    product = newest(view_services, S2)
    west, south, east, north = around(product)
    where = f"BBOX={south},{west},{north},{east}&PRODUCT={product.identifier}"
    status, styled = _getmap(base_url, f"LAYERS=S2_MSI_L1C&STYLES=ndvi&{where}")
    assert status == 200, styled[:300]
    status, layer = _getmap(base_url, f"LAYERS=S2_MSI_L1C_NDVI&STYLES=&{where}")
    assert status == 200
    assert np.array_equal(image(styled), image(layer))
    spec = MapSpec((west, south, east, north), CRS.from_epsg(4326), 256, 256)
    expected = render_browse([product], view_services.storage, spec, style=NDVI)
    assert expected is not None
    assert np.abs(image(styled).transpose(2, 0, 1).astype(int) - expected).max() <= 1
    status, default = _getmap(base_url, f"LAYERS=S2_MSI_L1C&STYLES=default&{where}")
    assert status == 200 and not np.array_equal(image(default), image(styled))


def test_styles_in_capabilities_with_legends(base_url: str) -> None:
    wms = WebMapService(base_url + "/wms", version="1.3.0")
    assert {"falsecolor", "ndvi"} <= set(wms["S2_MSI_L1C"].styles)
    assert "ndvi" in wms["S2_MSI_L2A"].styles and "vvvh" in wms["S1_SAR_L1_GRD"].styles
    assert "S2_MSI_L1C_NDVI" in wms.contents and "S1_SAR_L1_GRD_VVVH" in wms.contents
    legends = {}
    for style in ("ndvi", "vvvh"):
        layer = "S2_MSI_L1C" if style == "ndvi" else "S1_SAR_L1_GRD"
        url = wms[layer].styles[style]["legend"]
        assert f"_{style.upper()}" in url
        status, headers, body = get(url)
        assert status == 200 and headers["Content-Type"] == "image/png"
        legends[style] = body
        status, _, styled = get(
            f"{base_url}/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetLegendGraphic&LAYER={layer}"
            f"&STYLE={style}&FORMAT=image/png&SLD_VERSION=1.1.0")
        assert status == 200 and styled == body
    assert legends["ndvi"] != legends["vvvh"]
    old = WebMapService(base_url + "/wms", version="1.1.1")
    assert {"falsecolor", "ndvi"} <= set(old["S2_MSI_L1C"].styles)
    assert "vvvh" in old["S1_SAR_L1_GRD"].styles


@pytest.mark.parametrize("version", ["1.3.0", "1.1.1"])
def test_unknown_legend_style(base_url: str, version: str) -> None:
    status, _, body = get(
        f"{base_url}/wms?SERVICE=WMS&VERSION={version}&REQUEST=GetLegendGraphic"
        "&LAYER=S2_MSI_L1C&STYLE=nonsense&FORMAT=image/png&SLD_VERSION=1.1.0")
    assert status == 400 and b"StyleNotDefined" in body


def test_sentinel1_deep_zoom_reads_the_measurement(view_services: Services) -> None:
    """Finer than the browse, VV comes from the measurement (through its GCPs): the same
    calibration and place as the browse, drawn as blocks instead of a bilinear blend."""
    product = newest(view_services, GRD)
    assert product.browse_path
    with rasterio.open(view_services.storage.product_dir(product.browse_path)) as src:
        step = src.res[0] * 64 / 256  # 64 browse pixels across a 256-pixel map
    centre = product.footprint.representative_point()
    bbox = (centre.x - 128 * step, centre.y - 128 * step,
            centre.x + 128 * step, centre.y + 128 * step)
    spec = MapSpec(bbox, CRS.from_epsg(4326), 256, 256)
    bands = render_browse([product], view_services.storage, spec, style=VV)
    browse = render_browse([product], view_services.storage, spec)
    assert bands is not None and browse is not None
    both = (bands[3] == 255) & (browse[3] == 255)
    assert both.mean() > 0.5
    difference = np.abs(bands[0][both].astype(int) - browse[0][both].astype(int))
    assert difference.mean() < 25 and not np.array_equal(bands[0], browse[0])
