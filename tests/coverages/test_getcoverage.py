"""GetCoverage on real rasters: asked bounds, size, CRS and bands; limits; error codes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import rasterio
from flask.testing import FlaskClient
from rasterio.io import MemoryFile
from rasterio.warp import transform_bounds

from ogc_server.archive.model import OnlineState, Product
from ogc_server.coverage.errors import TooLarge
from ogc_server.coverage.grid import CoverageRequest, Limits, Scaling, plan
from ogc_server.coverage.sources import open_source
from ogc_server.ingest.pipeline import Ingestor
from ogc_server.services import Services, build_services
from ogc_server.settings import Settings, WcsSettings
from ogc_server.web import create_app
from tests.xmlvalidate import parse

BASE = "/wcs?service=WCS&version=2.0.1&request=GetCoverage"


def _open(data: bytes) -> rasterio.io.DatasetReader:
    return MemoryFile(data).open()


def _code(response) -> str:  # type: ignore[no-untyped-def]
    node = parse(response.data).find("{http://www.opengis.net/ows/2.0}Exception")
    return str(node.get("exceptionCode"))


def test_whole_coverage_is_the_native_grid(client: FlaskClient, demo_services: Services,
                                           s2: Product) -> None:
    response = client.get(f"{BASE}&coverageId={s2.identifier}")
    assert response.status_code == 200 and response.mimetype == "image/tiff"
    source = open_source(demo_services.storage.product_dir(s2.storage_path), s2)
    with _open(response.data) as out, rasterio.open(source.bands[2].path) as band:
        assert out.crs == source.crs and out.transform == source.transform
        assert (out.width, out.height, out.count) == (source.width, source.height, 4)
        assert out.descriptions == ("B02", "B03", "B04", "B08")
        assert np.array_equal(out.read(3), band.read(1))  # values pass through unresampled


def test_native_subset_snaps_to_the_pixel_grid(client: FlaskClient, demo_services: Services,
                                               s2: Product) -> None:
    source = open_source(demo_services.storage.product_dir(s2.storage_path), s2)
    minx, miny, maxx, maxy = source.bounds
    res = source.resolution[0]
    e0, e1 = minx + 10.5 * res, minx + 40.2 * res
    n0, n1 = maxy - 50.7 * res, maxy - 20.0 * res
    response = client.get(f"{BASE}&coverageId={s2.identifier}&subset=E({e0},{e1})"
                          f"&subset=N({n0},{n1})&rangeSubset=B04")
    assert response.status_code == 200
    with _open(response.data) as out:
        assert out.count == 1 and out.descriptions == ("B04",)
        assert out.bounds.left == pytest.approx(minx + 10 * res)
        assert out.bounds.right == pytest.approx(minx + 41 * res)
        assert out.bounds.top == pytest.approx(maxy - 20 * res)
        assert out.bounds.bottom == pytest.approx(maxy - 51 * res)
        assert (out.width, out.height) == (31, 31)


def test_lat_long_subset_in_4326_with_size_and_bands(client: FlaskClient, s2: Product) -> None:
    west, south, east, north = s2.footprint.bounds
    lon0, lon1 = west + 0.2 * (east - west), west + 0.6 * (east - west)
    lat0, lat1 = south + 0.3 * (north - south), south + 0.7 * (north - south)
    response = client.get(
        f"{BASE}&coverageId={s2.identifier}&subset=Lat({lat0},{lat1})&subset=Long({lon0},{lon1})"
        "&outputCrs=http://www.opengis.net/def/crs/EPSG/0/4326&scaleSize=Long(60),Lat(40)"
        "&rangeSubset=B04,B03,B02&interpolation=http://www.opengis.net/def/interpolation/OGC/1/"
        "linear")
    assert response.status_code == 200, response.data
    with _open(response.data) as out:
        assert out.crs.to_epsg() == 4326
        assert (out.width, out.height, out.count) == (60, 40, 3)
        assert out.descriptions == ("B04", "B03", "B02")
        assert out.bounds.left == pytest.approx(lon0) and out.bounds.right == pytest.approx(lon1)
        assert out.bounds.bottom == pytest.approx(lat0) and out.bounds.top == pytest.approx(lat1)
        assert out.read(1).max() > 0


@pytest.mark.parametrize("epsg", [3857, 3035, 25832])
def test_output_crs(client: FlaskClient, s2: Product, epsg: int) -> None:
    response = client.get(f"{BASE}&coverageId={s2.identifier}&outputCrs=EPSG:{epsg}"
                          "&scaleFactor=0.5&rangeSubset=B08")
    assert response.status_code == 200, response.data
    with _open(response.data) as out:
        assert out.crs.to_epsg() == epsg and out.count == 1
        west, south, east, north = transform_bounds(out.crs, "EPSG:4326", *out.bounds)
        fw, fs, fe, fn = s2.footprint.bounds
        assert west < fe and east > fw and south < fn and north > fs


def test_subsetting_crs(client: FlaskClient, s2: Product) -> None:
    west, south, east, north = s2.footprint.bounds
    x0, y0, x1, y1 = transform_bounds("EPSG:4326", "EPSG:3857", west + 0.3, south + 0.3,
                                      west + 0.6, south + 0.5)
    response = client.get(f"{BASE}&coverageId={s2.identifier}&subsettingCrs=EPSG:3857"
                          f"&subset=x({x0},{x1})&subset=y({y0},{y1})&outputCrs=EPSG:3857")
    assert response.status_code == 200, response.data
    with _open(response.data) as out:
        assert out.bounds.left == pytest.approx(x0) and out.bounds.top == pytest.approx(y1)


def test_grd_through_gcps_and_netcdf(client: FlaskClient, grd: Product, tmp_path: Path) -> None:
    west, south, east, north = grd.footprint.bounds
    lat0, lat1 = south + 0.25 * (north - south), south + 0.75 * (north - south)
    response = client.get(f"{BASE}&coverageId={grd.identifier}&subset=Lat({lat0},{lat1})"
                          "&rangeSubset=VH&format=application/netcdf")
    assert response.status_code == 200 and response.mimetype == "application/netcdf"
    path = tmp_path / "out.nc"
    path.write_bytes(response.data)
    with rasterio.open(path) as out:  # one band: the file is the variable
        assert out.crs.to_epsg() == 4326
        assert out.bounds.bottom == pytest.approx(lat0, abs=0.05)
        assert out.bounds.top == pytest.approx(lat1, abs=0.05)


def test_scale_down_reads_fewer_pixels(client: FlaskClient, grd: Product) -> None:
    response = client.get(f"{BASE}&coverageId={grd.identifier}&scaleAxes=Lat(0.5),Long(0.25)")
    full = client.get(f"{BASE}&coverageId={grd.identifier}")
    with _open(response.data) as small, _open(full.data) as whole:
        assert small.width == round(whole.width * 0.25)
        assert small.height == round(whole.height * 0.5)
        assert small.bounds == pytest.approx(whole.bounds)


def test_oversized_request_is_refused_before_reading(demo_services: Services, s2: Product,
                                                     tmp_path: Path) -> None:
    """The plan works on the description alone: with the band files gone, it still refuses."""
    source = open_source(demo_services.storage.product_dir(s2.storage_path), s2)
    missing = tuple(dataclasses.replace(b, path=tmp_path / "gone.jp2") for b in source.bands)
    ghost = dataclasses.replace(source, bands=missing)
    with pytest.raises(TooLarge):
        plan(ghost, CoverageRequest(scaling=Scaling(factor=100)), Limits())
    with pytest.raises(TooLarge):
        plan(ghost, CoverageRequest(), Limits(max_side=100))
    with pytest.raises(TooLarge):
        plan(ghost, CoverageRequest(), Limits(max_bytes=100_000))


def test_configured_limits_answer_an_exception(demo_services: Services,
                                               demo_settings: Settings, s2: Product) -> None:
    settings = demo_settings.model_copy(update={"wcs": WcsSettings(max_side=64)})
    client = create_app(dataclasses.replace(demo_services, settings=settings)).test_client()
    response = client.get(f"{BASE}&coverageId={s2.identifier}")
    assert response.status_code == 400 and _code(response) == "InvalidParameterValue"
    assert b"at most 64 per side" in response.data
    small = client.get(f"{BASE}&coverageId={s2.identifier}&scaleSize=E(64),N(64)")
    assert small.status_code == 200


@pytest.mark.parametrize(("query", "status", "code"), [
    ("&coverageId=NOPE", 404, "NoSuchCoverage"),
    ("", 400, "MissingParameterValue"),
    ("&coverageId={s2}&subset=Q(1,2)", 400, "InvalidAxisLabel"),
    ("&coverageId={s2}&subset=E(1,2)&subset=E(3,4)", 400, "InvalidAxisLabel"),
    ("&coverageId={s2}&subset=E(1,2)", 400, "InvalidSubsetting"),
    ("&coverageId={s2}&subset=E(9,2)", 400, "InvalidSubsetting"),
    ("&coverageId={s2}&subset=E(a,2)", 400, "InvalidSubsetting"),
    ("&coverageId={s2}&subset=E(nan,2)", 400, "InvalidSubsetting"),
    ("&coverageId={s2}&subset=E(1,2,3)", 400, "InvalidSubsetting"),
    ("&coverageId={s2}&subset=E((", 400, "InvalidSubsetting"),
    ("&coverageId={s2}&subset=Lat(95,96)", 400, "InvalidSubsetting"),
    ("&coverageId={s2}&rangeSubset=B99", 400, "InvalidParameterValue"),
    ("&coverageId={s2}&rangeSubset=B08:B02", 400, "InvalidParameterValue"),
    ("&coverageId={s2}&outputCrs=EPSG:2056", 400, "InvalidParameterValue"),
    ("&coverageId={s2}&outputCrs=urn:foo", 400, "InvalidParameterValue"),
    ("&coverageId={s2}&subsettingCrs=EPSG:999999", 400, "InvalidParameterValue"),
    ("&coverageId={s2}&scaleFactor=-1", 400, "InvalidParameterValue"),
    ("&coverageId={s2}&scaleFactor=x", 400, "InvalidParameterValue"),
    ("&coverageId={s2}&scaleSize=E(10", 400, "InvalidParameterValue"),
    ("&coverageId={s2}&scaleSize=Q(10)", 400, "InvalidAxisLabel"),
    ("&coverageId={s2}&scaleFactor=2&scaleSize=E(10)", 400, "InvalidParameterValue"),
    ("&coverageId={s2}&scaleExtent=E(1:2)", 501, "OperationNotSupported"),
    ("&coverageId={s2}&interpolation=spline", 400, "InterpolationMethodNotSupported"),
    ("&coverageId={s2}&format=image/png", 400, "InvalidParameterValue"),
    ("&coverageId={s2}&mediaType=multipart/related", 400, "InvalidParameterValue"),
    ("&coverageId={s2},{s2}", 400, "InvalidParameterValue"),
])
def test_errors(client: FlaskClient, s2: Product, query: str, status: int, code: str) -> None:
    response = client.get(BASE + query.format(s2=s2.identifier))
    assert response.status_code == status, response.data
    assert response.mimetype == "application/xml"
    assert _code(response) == code
    assert b"Traceback" not in response.data


@pytest.mark.parametrize(("query", "status", "code"), [
    ("", 400, "MissingParameterValue"),
    ("service=WMS&request=GetCapabilities", 400, "InvalidParameterValue"),
    ("service=WCS", 400, "MissingParameterValue"),
    ("service=WCS&request=Transaction", 501, "OperationNotSupported"),
    ("service=WCS&request=GetCoverage&coverageId=x", 400, "MissingParameterValue"),
    ("service=WCS&request=GetCoverage&version=1.0.0&coverageId=x", 400,
     "InvalidParameterValue"),
    ("service=WCS&version=2.0.1&request=DescribeCoverage", 400, "MissingParameterValue"),
])
def test_request_errors(client: FlaskClient, query: str, status: int, code: str) -> None:
    response = client.get(f"/wcs?{query}")
    assert response.status_code == status
    assert _code(response) == code


def test_not_a_coverage(client: FlaskClient, demo_products: list[Product]) -> None:
    other = next(p for p in demo_products if p.product_type.startswith("L2__"))
    response = client.get(f"{BASE}&coverageId={other.identifier}")
    assert response.status_code == 404 and _code(response) == "NoSuchCoverage"


def test_offline_product_is_reloaded_and_answers_503(settings: Settings,
                                                     demo_sources: list[Path]) -> None:
    services = build_services(settings)
    try:
        ingestor = Ingestor(settings, services.store, services.storage, browse=False)
        source = next(s for s in demo_sources if "_GRDH_" in s.name)
        identifier = ingestor.ingest(source).identifier
        services.store.set_online_state(identifier, OnlineState.OFFLINE)
        client = create_app(services).test_client()
        response = client.get(f"{BASE}&coverageId={identifier}")
        assert response.status_code == 503 and response.headers["Retry-After"]
        assert _code(response) == "NoApplicableCode" and b"offline" in response.data
        described = client.get("/wcs?service=WCS&version=2.0.1&request=DescribeCoverage"
                               f"&coverageId={identifier}")
        assert described.status_code == 404 and b"offline" in described.data
    finally:
        services.engine.dispose()


def test_small_picture_of_a_grd_scene_reads_decimated(demo_services: Services,
                                                      grd: Product) -> None:
    """Measurements without overviews are decimated before warping a much coarser output;
    the picture matches the full-resolution warp."""
    from ogc_server.coverage import render

    source = open_source(demo_services.storage.product_dir(grd.storage_path), grd)
    small = plan(source, CoverageRequest(scaling=Scaling(factor=0.1), bands=("VV",)), Limits())
    assert render._decimation(small) >= 4
    full = plan(source, CoverageRequest(bands=("VV",)), Limits())
    assert render._decimation(full) == 1
    picture = render.read(small)[0].astype(float)
    reference = render.read(full)[0].astype(float)
    assert picture.shape == (small.height, small.width)
    assert picture.mean() == pytest.approx(reference.mean(), rel=0.25)
