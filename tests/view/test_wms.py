"""The WMS at ``/wms`` through real clients (OWSLib 1.1.1 and 1.3.0, GDAL) on 127.0.0.1."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import rasterio
from owslib.wms import WebMapService

from ogc_server.archive.extents import collection_extents
from ogc_server.archive.model import Product
from ogc_server.archive.query import ProductQuery
from ogc_server.services import Services
from ogc_server.view.timeparam import format_instant
from tests.view.helpers import get, image
from tests.xmlvalidate import validate

pytestmark = pytest.mark.system

WMS130 = "http://schemas.opengis.net/wms/1.3.0/capabilities_1_3_0.xsd"
#: The SLD extension of WMS 1.3.0 capabilities (declares sld:GetLegendGraphic).
SLD_CAPABILITIES = "http://schemas.opengis.net/sld/1.1.0/sld_capabilities.xsd"
#: The INSPIRE extension (declares inspire_vs:ExtendedCapabilities).
INSPIRE_VS = "http://inspire.ec.europa.eu/schemas/inspire_vs/1.0/inspire_vs.xsd"
BROWSE_LAYERS = {
    "S2_MSI_L1C": "EOP:CODE-DE:S2_MSI_L1C",
    "S2_MSI_L2A": "EOP:CODE-DE:S2_MSI_L2A",
    "S1_SAR_L1_GRD": "EOP:CODE-DE:S1_SAR_L1_GRD",
    "S3_OLCI_L1": "EOP:CODE-DE:S3_OLCI_L1",
    "S5P_TROPOMI_L2": "EOP:CODE-DE:S5P_TROPOMI_L2",
}


def newest(services: Services, collection: str, skip: int = 0) -> Product:
    """The newest product of ``collection`` that has a browse image."""
    result = services.store.query(ProductQuery(collections=[collection], limit=100,
                                               sort=[("start", False)]))
    products = [p for p in result.products if p.browse_path]
    assert len(products) > skip, collection
    return products[skip]


def around(product: Product, margin: float = 0.05) -> tuple[float, float, float, float]:
    west, south, east, north = product.footprint.bounds
    dx, dy = (east - west) * margin, (north - south) * margin
    return (west - dx, south - dy, east + dx, north + dy)


def opaque_share(data: bytes, size: tuple[int, int]) -> float:
    pixels = image(data)
    assert pixels.shape[:2] == (size[1], size[0])
    return float((pixels[..., 3] > 0).mean())


@pytest.fixture(scope="session")
def wms130(base_url: str) -> WebMapService:
    return WebMapService(base_url + "/wms", version="1.3.0")


@pytest.fixture(scope="session")
def wms111(base_url: str) -> WebMapService:
    return WebMapService(base_url + "/wms", version="1.1.1")


def test_capabilities_1_3_0_are_valid_and_carry_time(base_url: str, wms130: WebMapService,
                                                      view_services: Services) -> None:
    status, _, body = get(base_url + "/wms?SERVICE=WMS&REQUEST=GetCapabilities&VERSION=1.3.0")
    assert status == 200
    validate(body, (WMS130, SLD_CAPABILITIES, INSPIRE_VS))
    extents = collection_extents(view_services.store)
    for name, collection in BROWSE_LAYERS.items():
        layer = wms130[name]
        assert layer.title
        assert {"EPSG:4326", "EPSG:3857", "EPSG:25832", "EPSG:3035"} <= set(layer.crsOptions)
        extent = extents[collection]
        assert extent.start and extent.end
        time = layer.dimensions["time"]
        assert time["units"] == "ISO8601"
        assert time["values"] == [
            f"{format_instant(extent.start)}/{format_instant(extent.end)}/PT1S"]
        assert layer.defaulttimeposition == format_instant(extent.end)
        assert extent.bbox is not None
        assert layer.boundingBoxWGS84 == pytest.approx(extent.bbox, abs=1e-5)
        assert f"{name}_footprints" in wms130.contents
    assert wms130.getOperationByName("GetMap").methods[0]["url"].startswith(base_url + "/wms")


def test_capabilities_1_1_1_carry_time(wms111: WebMapService, view_services: Services) -> None:
    extents = collection_extents(view_services.store)
    for name, collection in BROWSE_LAYERS.items():
        extent = extents[collection]
        assert extent.start and extent.end
        layer = wms111[name]
        assert extent.bbox is not None
        assert layer.boundingBoxWGS84 == pytest.approx(extent.bbox, abs=1e-5)
        assert layer.timepositions == [
            f"{format_instant(extent.start)}/{format_instant(extent.end)}/PT1S"]
        assert "EPSG:4326" in layer.crsOptions


@pytest.mark.parametrize("name", sorted(BROWSE_LAYERS))
def test_getmap_draws_products_in_both_versions(wms130: WebMapService, wms111: WebMapService,
                                                view_services: Services, name: str) -> None:
    product = newest(view_services, BROWSE_LAYERS[name])
    bbox = around(product)
    for wms, size in ((wms130, (256, 256)), (wms111, (300, 200))):
        response = wms.getmap(layers=[name], styles=[""], srs="EPSG:4326", bbox=bbox,
                              size=size, format="image/png", transparent=True)
        assert response.info()["Content-Type"] == "image/png"
        assert opaque_share(response.read(), size) > 0.2


@pytest.mark.parametrize("crs", ["EPSG:3857", "EPSG:25832", "EPSG:25833", "EPSG:3035"])
def test_getmap_in_projected_crs(base_url: str, view_services: Services, crs: str) -> None:
    """A European product in each offered projected CRS."""
    from rasterio.warp import transform_bounds

    result = view_services.store.query(ProductQuery(
        collections=list(BROWSE_LAYERS.values()), limit=200, sort=[("start", False)]))
    product = next(p for p in result.products if p.browse_path
                   and 0 < p.footprint.centroid.x < 20 and 45 < p.footprint.centroid.y < 56)
    layer = product.collection.rsplit(":", 1)[-1]  # type: ignore[union-attr]
    bbox = transform_bounds("EPSG:4326", crs, *around(product))
    if crs == "EPSG:3035":  # northing first in WMS 1.3.0
        bbox = (bbox[1], bbox[0], bbox[3], bbox[2])
    status, headers, body = get(
        f"{base_url}/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS={layer}&STYLES="
        f"&CRS={crs}&BBOX={','.join(map(str, bbox))}&WIDTH=256&HEIGHT=256&FORMAT=image/png"
        "&TRANSPARENT=TRUE")
    assert status == 200, body[:500]
    assert opaque_share(body, (256, 256)) > 0.2


def test_getmap_in_the_products_own_utm(base_url: str, view_services: Services) -> None:
    """A Sentinel-2 tile in the UTM zone of its own grid (when the WMS offers that zone)."""
    from rasterio.warp import transform_bounds

    offered = set(view_services.settings.view.srs)
    result = view_services.store.query(ProductQuery(
        collections=["EOP:CODE-DE:S2_MSI_L1C", "EOP:CODE-DE:S2_MSI_L2A"], limit=200))
    for product in result.products:
        assert product.browse_path
        with rasterio.open(view_services.storage.product_dir(product.browse_path)) as src:
            crs = f"EPSG:{src.crs.to_epsg()}"
        if crs in offered:
            break
    else:  # the demo archive's Sentinel-2 tiles lie in zones 31-34 N
        raise AssertionError("no Sentinel-2 product in an offered UTM zone")
    layer = product.collection.rsplit(":", 1)[-1]  # type: ignore[union-attr]
    bbox = transform_bounds("EPSG:4326", crs, *around(product))
    status, _, body = get(
        f"{base_url}/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS={layer}&STYLES="
        f"&CRS={crs}&BBOX={','.join(map(str, bbox))}&WIDTH=200&HEIGHT=200&FORMAT=image/png")
    assert status == 200
    assert opaque_share(body, (200, 200)) > 0.2


def test_time_and_product_select_what_is_drawn(wms130: WebMapService,
                                               view_services: Services) -> None:
    product = newest(view_services, "EOP:CODE-DE:S1_SAR_L1_GRD")
    bbox = around(product)

    def share(**kwargs: str) -> float:
        response = wms130.getmap(layers=["S1_SAR_L1_GRD"], styles=[""], srs="EPSG:4326",
                                 bbox=bbox, size=(128, 128), format="image/png",
                                 transparent=True, **kwargs)
        return opaque_share(response.read(), (128, 128))

    day = product.start.strftime("%Y-%m-%d")
    assert share(time=day) > 0.2
    assert share(time=f"{day}T00:00:00Z/{day}T23:59:59Z") > 0.2
    assert share(time=f"1999-01-01,{day}") > 0.2
    assert share(time="1999-01-01") == 0.0
    assert share(PRODUCT=product.identifier) > 0.2


def test_footprints_layer_draws_outlines(wms130: WebMapService,
                                         view_services: Services) -> None:
    product = newest(view_services, "EOP:CODE-DE:S2_MSI_L1C")
    response = wms130.getmap(layers=["S2_MSI_L1C_footprints"], styles=[""], srs="EPSG:4326",
                             bbox=around(product, 0.2), size=(200, 200), format="image/png",
                             transparent=True)
    share = opaque_share(response.read(), (200, 200))
    assert 0.01 < share < 0.3  # outlines, not filled shapes


def test_getfeatureinfo_names_the_products_under_the_click(
        wms130: WebMapService, view_services: Services) -> None:
    import json

    product = newest(view_services, "EOP:CODE-DE:S3_OLCI_L1")
    centre = product.footprint.representative_point()
    bbox = (centre.x - 0.5, centre.y - 0.5, centre.x + 0.5, centre.y + 0.5)
    response = wms130.getfeatureinfo(
        layers=["S3_OLCI_L1"], srs="EPSG:4326", bbox=bbox, size=(101, 101),
        format="image/png", query_layers=["S3_OLCI_L1"], info_format="application/json",
        xy=(50, 50), feature_count=10)
    features = json.loads(response.read())["features"]
    assert product.identifier in [f["id"] for f in features]
    found = next(f for f in features if f["id"] == product.identifier)
    assert found["properties"]["quicklook"].endswith("/quicklook.jpg")


def test_gdal_reads_the_wms_into_a_geotiff(base_url: str, view_services: Services,
                                           tmp_path: Path) -> None:
    product = newest(view_services, "EOP:CODE-DE:S5P_TROPOMI_L2")
    west, south, east, north = around(product)
    description = tmp_path / "wms.xml"
    description.write_text(f"""<GDAL_WMS>
  <Service name="WMS">
    <Version>1.1.1</Version>
    <ServerUrl>{base_url}/wms?</ServerUrl>
    <SRS>EPSG:4326</SRS>
    <ImageFormat>image/png</ImageFormat>
    <Layers>S5P_TROPOMI_L2</Layers>
    <Transparent>TRUE</Transparent>
  </Service>
  <DataWindow>
    <UpperLeftX>{west}</UpperLeftX><UpperLeftY>{north}</UpperLeftY>
    <LowerRightX>{east}</LowerRightX><LowerRightY>{south}</LowerRightY>
    <SizeX>400</SizeX><SizeY>300</SizeY>
  </DataWindow>
  <BandsCount>4</BandsCount>
  <BlockSizeX>256</BlockSizeX><BlockSizeY>256</BlockSizeY>
</GDAL_WMS>
""")
    target = tmp_path / "out.tif"
    subprocess.run(["gdal_translate", "-q", "-of", "GTiff", str(description), str(target)],
                   check=True, timeout=120, env={"GDAL_HTTP_TIMEOUT": "60", "PATH": "/usr/bin"})
    with rasterio.open(target) as out:
        assert (out.width, out.height, out.count) == (400, 300, 4)
        assert out.crs.to_epsg() == 4326
        alpha = out.read(4)
    assert np.mean(alpha > 0) > 0.2


@pytest.mark.parametrize("layer", ["S5P_TROPOMI_L2", "S1_SAR_L1_GRD", "S2_MSI_L1C",
                                   "S2_MSI_L1C_footprints"])
def test_getlegendgraphic(base_url: str, wms130: WebMapService, layer: str) -> None:
    style = wms130[layer].styles
    assert style and "legend" in next(iter(style.values()))
    status, headers, body = get(f"{base_url}/wms?SERVICE=WMS&VERSION=1.3.0"
                                f"&REQUEST=GetLegendGraphic&LAYER={layer}&FORMAT=image/png"
                                "&SLD_VERSION=1.1.0")
    assert status == 200 and headers["Content-Type"] == "image/png"
    pixels = image(body)
    assert pixels.shape == (40, 200, 4) and (pixels[..., 3] > 0).any()
