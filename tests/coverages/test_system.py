"""Real clients against the whole platform on 127.0.0.1: OWSLib, GDAL's WCS driver, HTTP."""

from __future__ import annotations

import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest
import rasterio
from owslib.wcs import WebCoverageService
from rasterio.io import MemoryFile

from ogc_server.archive.model import Product

pytestmark = pytest.mark.system


def test_owslib_reads_capabilities_and_gets_a_geotiff(server: str, s2: Product) -> None:
    wcs = WebCoverageService(f"{server}/wcs", version="2.0.1")
    assert s2.identifier in wcs.contents
    west, south, east, north = s2.footprint.bounds
    lon0, lon1 = west + 0.25 * (east - west), west + 0.75 * (east - west)
    lat0, lat1 = south + 0.25 * (north - south), south + 0.75 * (north - south)
    answer = wcs.getCoverage(
        identifier=[s2.identifier], format="image/tiff",
        subsets=[("Long", lon0, lon1), ("Lat", lat0, lat1)],
        outputcrs="http://www.opengis.net/def/crs/EPSG/0/4326", scalesize="Long(80),Lat(50)",
        rangesubset="B04,B03,B02")
    with MemoryFile(answer.read()) as memory, memory.open() as out:
        assert out.crs.to_epsg() == 4326
        assert (out.width, out.height, out.count) == (80, 50, 3)
        assert out.bounds.left == pytest.approx(lon0) and out.bounds.right == pytest.approx(lon1)
        assert out.bounds.bottom == pytest.approx(lat0) and out.bounds.top == pytest.approx(lat1)


def _gdal(args: list[str], cwd: Path) -> str:
    """Run a GDAL tool. HOME is the test's folder: the WCS driver keeps its cache there, in
    .aux.xml files (so GDAL_PAM_ENABLED=NO would crash it)."""
    if shutil.which(args[0]) is None:
        pytest.fail(f"{args[0]} is needed (run.sh installs gdal-bin)")
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120,
                            env={"GDAL_HTTP_TIMEOUT": "60", "PATH": "/usr/bin:/bin",
                                 "HOME": str(cwd)})
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_gdal_wcs_driver_describes_and_translates(server: str, s2: Product,
                                                  tmp_path: Path) -> None:
    url = f"WCS:{server}/wcs?version=2.0.1&coverage={s2.identifier}"
    info = _gdal(["gdalinfo", url], tmp_path)
    assert "Size is 137, 137" in info
    assert "UTM zone" in info
    out = tmp_path / "out.tif"
    _gdal(["gdal_translate", "-q", "-outsize", "40", "40", url, str(out)], tmp_path)
    with rasterio.open(out) as dst:
        assert (dst.width, dst.height, dst.count) == (40, 40, 4)
        assert dst.crs.to_epsg() is not None and dst.crs.to_epsg() // 100 in (326, 327)
        assert dst.read(1).max() > 0


def test_gdal_wcs_driver_subsets_a_latitude_first_coverage(server: str, grd: Product,
                                                           tmp_path: Path) -> None:
    """EPSG:4326 coverages are described latitude first; GDAL still gets the asked window."""
    west, south, east, north = grd.footprint.bounds
    lon0, lon1 = west + 0.3 * (east - west), west + 0.6 * (east - west)
    lat0, lat1 = south + 0.3 * (north - south), south + 0.6 * (north - south)
    url = f"WCS:{server}/wcs?version=2.0.1&coverage={grd.identifier}"
    out = tmp_path / "grd.tif"
    _gdal(["gdal_translate", "-q", "-projwin", str(lon0), str(lat1), str(lon1), str(lat0),
           url, str(out)], tmp_path)
    with rasterio.open(out) as dst:
        assert dst.crs.to_epsg() == 4326 and dst.count == 2
        pixel = dst.res[0]
        assert dst.bounds.left == pytest.approx(lon0, abs=pixel)
        assert dst.bounds.right == pytest.approx(lon1, abs=pixel)
        assert dst.bounds.top == pytest.approx(lat1, abs=pixel)
        assert dst.bounds.bottom == pytest.approx(lat0, abs=pixel)


def test_ogcapi_coverage_through_the_composed_server(server: str) -> None:
    """OGC API - Coverages at /ogcapi of the whole platform: a band subset, scaled, as GeoTIFF."""
    url = (f"{server}/ogcapi/collections/S2_MSI_L1C-coverage/coverage"
           "?properties=B04,B08&scale-size=E(20),N(10)")
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - our own server
        assert response.headers["Content-Type"] == "image/tiff; application=geotiff"
        body = response.read()
    with MemoryFile(body) as memory, memory.open() as out:
        assert (out.width, out.height, out.count) == (20, 10, 2)
        assert out.descriptions == ("B04", "B08")



def test_gdal_ogcapi_driver_reads_the_coverage(server: str, tmp_path: Path) -> None:
    out = _gdal(["gdalinfo", f"OGCAPI:{server}/ogcapi/collections/S2_MSI_L1C-coverage"],
                tmp_path)
    assert "Driver: OGCAPI" in out and "Band 1" in out
