"""Browse images: COG layout and georeferencing, quicklook sizes, products without images."""

from __future__ import annotations

import shutil
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import rasterio
import rasterio.warp
from rasterio.enums import ColorInterp
from rasterio.errors import NotGeoreferencedWarning
from shapely.geometry import Polygon

from ogc_server.archive.model import Product
from ogc_server.demo import mgrs, sentinel1, sentinel2, sentinel3, sentinel5p
from ogc_server.demo.generator import write_product
from ogc_server.ingest.browse import BrowseFiles, make_browse
from ogc_server.settings import load_settings
from tests.conftest import ROOT, SAMPLES

NOW = datetime(2025, 11, 24, tzinfo=UTC)
SCALE = 0.4
GDAL_ENV = {"GDAL_CACHEMAX": 64, "GDAL_NUM_THREADS": 1}


@pytest.fixture(scope="module")
def products(tmp_path_factory):
    """One small synthetic product of each type that has a browse."""
    regions = load_settings(ROOT / "config" / "ogc-server.yml").region_list
    rng = np.random.default_rng(11)
    start, stop = NOW - timedelta(days=40), NOW - timedelta(days=1)
    common = dict(start=start, stop=stop, regions=regions)
    specs = [
        sentinel2.plan(rng, collection="S2_L1C", product_type="S2MSI1C", tile_id="32UPU",
                       **common),
        sentinel2.plan(rng, collection="S2_L2A", product_type="S2MSI2A", tile_id="56HLH",
                       **common),
        sentinel1.plan(rng, collection="S1_GRD", product_type="GRD", point=(11.6, 48.1),
                       **common),
        sentinel3.plan(rng, collection="S3_OLCI", product_type="OL_1_EFR___",
                       point=(10.0, 50.0), **common),
        sentinel5p.plan(rng, collection="S5P_L2", product_type="L2__NO2___",
                        point=(8.0, 49.0), **common),
    ]
    assert all(specs), "planning failed"
    out = tmp_path_factory.mktemp("browse-products")
    return [(spec, write_product(spec, out, SCALE)) for spec in specs]


def _footprint_in(crs_epsg: int, footprint: Polygon) -> tuple[float, float, float, float]:
    if crs_epsg == 4326:
        return footprint.bounds
    xs, ys = rasterio.warp.transform("EPSG:4326", f"EPSG:{crs_epsg}",
                                     *map(list, zip(*footprint.exterior.coords, strict=True)))
    return min(xs), min(ys), max(xs), max(ys)


def _check_cog(path: Path) -> rasterio.DatasetReader:
    head = path.read_bytes()[:1024]
    assert b"GDAL_STRUCTURAL_METADATA_SIZE" in head  # COG ghost header
    assert b"LAYOUT=IFDS_BEFORE_DATA" in head  # all IFDs before the image data
    src = rasterio.open(path)
    assert src.driver == "GTiff"
    assert src.profile["tiled"] is True
    assert src.block_shapes[0] == (512, 512)
    assert src.overviews(1), "no internal overviews"
    assert src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
    assert src.compression.name.upper() in ("DEFLATE", "JPEG")
    assert set(src.dtypes) == {"uint8"}
    assert src.colorinterp[-1] == ColorInterp.alpha
    assert src.count in (2, 4)
    return src


@pytest.mark.parametrize("index", range(5), ids=["S2MSI1C", "S2MSI2A", "GRD", "OLCI", "NO2"])
def test_browse_files(products, index, tmp_path) -> None:
    spec, path = products[index]
    out = tmp_path / "browse"
    files = make_browse(path, spec.expected_product(), out, quicklook_size=500,
                        thumbnail_size=120, gdal_env=GDAL_ENV)
    assert isinstance(files, BrowseFiles)
    assert files.browse == out / "browse.tif"
    assert files.quicklook == out / "quicklook.jpg"
    assert files.thumbnail == out / "thumbnail.jpg"
    assert sorted(p.name for p in out.iterdir()) == ["browse.tif", "quicklook.jpg",
                                                     "thumbnail.jpg"]  # no temporaries left
    with _check_cog(files.browse) as src:
        epsg = src.crs.to_epsg()
        if spec.platform == "Sentinel-2":
            tile = mgrs.tile(spec.tile)
            assert epsg == tile.epsg  # the tile's own UTM grid, unresampled
            assert tuple(src.bounds) == pytest.approx(tile.bounds)
            with rasterio.open(next(path.glob("GRANULE/*/IMG_DATA/**/*B04*.jp2"))) as band:
                assert (src.width, src.height) == (band.width, band.height)
                assert src.transform.almost_equals(band.transform)
        else:
            assert epsg == 4326
        left, bottom, right, top = _footprint_in(epsg, spec.footprint)
        rx, ry = abs(src.res[0]), abs(src.res[1])
        # the browse holds the whole footprint, give or take two pixels
        assert src.bounds.left <= left + 2 * rx and src.bounds.right >= right - 2 * rx
        assert src.bounds.bottom <= bottom + 2 * ry and src.bounds.top >= top - 2 * ry
        # and not much more
        assert src.bounds.left >= left - 3 * rx and src.bounds.right <= right + 3 * rx
        assert src.bounds.bottom >= bottom - 3 * ry and src.bounds.top <= top + 3 * ry
        data = src.read()
        alpha = data[-1]
        assert alpha.max() == 255
        colour = data[:-1][:, alpha == 255]
        assert colour.std() > 2, "flat image"
    for file, size in ((files.quicklook, 500), (files.thumbnail, 120)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            jpg = rasterio.open(file)
        with jpg:
            assert jpg.driver == "JPEG"
            assert max(jpg.width, jpg.height) == size
            assert jpg.read().std() > 2


def test_s2_offset_and_quantification(products, tmp_path) -> None:
    """Baseline >= 04.00: DN 1000 + 10000 * reflectance; bright clouds stay white."""
    spec, path = products[0]
    files = make_browse(path, spec.expected_product(), tmp_path, gdal_env=GDAL_ENV)
    with rasterio.open(files.browse) as src, rasterio.open(
        next(path.glob("GRANULE/*/IMG_DATA/*_B04.jp2"))
    ) as b04:
        red = src.read(1).astype(float)
        dn = b04.read(1).astype(float)
    reflectance = (dn - 1000) / 10000
    expected = 255 * np.clip(reflectance * 3, 0, 1) ** (1 / 1.5)
    assert np.abs(red - expected).mean() < 1.0


def test_real_sample_without_measurements_has_no_browse(tmp_path) -> None:
    """Like the metadata-only samples: measurement files absent, or empty placeholders."""
    name = "S1A_IW_GRDH_1SDV_20210809T173953_20210809T174018_039156_049F13_6FF8.SAFE"
    folder = tmp_path / name
    shutil.copytree(SAMPLES / "sentinel1" / name, folder)
    product = Product(
        identifier=name[:-5], platform="Sentinel-1", platform_serial_identifier="A",
        instrument="SAR-C", product_type="GRD", processing_level="Level-1",
        start=datetime(2021, 8, 9, 17, 39, 53, tzinfo=UTC),
        end=datetime(2021, 8, 9, 17, 40, 18, tzinfo=UTC),
        footprint=Polygon([(1.5, 46.0), (4.9, 46.4), (5.2, 44.9), (1.9, 44.5)]),
    )
    assert make_browse(folder, product, tmp_path / "b1", gdal_env=GDAL_ENV) is None
    measurement = folder / "measurement"
    measurement.mkdir(exist_ok=True)
    for pol, n in (("vh", 2), ("vv", 1)):
        (measurement / f"s1a-iw-grd-{pol}-20210809t173953-20210809t174018-039156-049f13-"
                       f"00{n}.tiff").touch()
    assert make_browse(folder, product, tmp_path / "b2", gdal_env=GDAL_ENV) is None
    assert not (tmp_path / "b2").exists() or not any((tmp_path / "b2").iterdir())

    olci = ("S3A_OL_1_EFR____20211021T073827_20211021T074112_20211021T091357_0164_077_334_"
            "4320_LN1_O_NR_002.SEN3")
    folder = tmp_path / olci
    shutil.copytree(SAMPLES / "sentinel3" / olci, folder)
    for band in ("Oa04", "Oa06", "Oa08"):
        (folder / f"{band}_radiance.nc").touch()
    (folder / "geo_coordinates.nc").touch()
    olci_product = product.replace(identifier=olci[:-5], platform="Sentinel-3",
                                   product_type="OL_1_EFR___", instrument="OLCI")
    assert make_browse(folder, olci_product, tmp_path / "b3", gdal_env=GDAL_ENV) is None


def test_types_without_browse(products, tmp_path) -> None:
    spec, path = products[2]
    for ptype in ("SLC", "OCN", "SL_2_LST___", "SY_2_SYN___", "L1B_RA_BD4"):
        product = spec.expected_product().replace(product_type=ptype)
        assert make_browse(path, product, tmp_path / ptype, gdal_env=GDAL_ENV) is None


def test_rewrite_replaces_files(products, tmp_path) -> None:
    spec, path = products[2]
    first = make_browse(path, spec.expected_product(), tmp_path, gdal_env=GDAL_ENV)
    size = first.browse.stat().st_size
    second = make_browse(path, spec.expected_product(), tmp_path, gdal_env=GDAL_ENV)
    assert second == first and second.browse.stat().st_size == size
    assert sorted(p.name for p in tmp_path.iterdir()) == ["browse.tif", "quicklook.jpg",
                                                          "thumbnail.jpg"]


def test_no_warning_leaks(products, tmp_path) -> None:
    spec, path = products[2]
    with warnings.catch_warnings():
        warnings.simplefilter("error", NotGeoreferencedWarning)
        assert make_browse(path, spec.expected_product(), tmp_path, gdal_env=GDAL_ENV)
