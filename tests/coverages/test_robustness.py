"""Odd and hostile input never gives a 500 or a traceback; every output CRS works on both
kinds of coverage."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from rasterio.io import MemoryFile

from ogc_server.archive.model import Product
from ogc_server.web.wcs.kvp import OUTPUT_CRS

BASE = "/wcs?service=WCS&version=2.0.1&request=GetCoverage"
ODD = [
    "&subset=E(*,*)",
    "&subset=Lat(-1e300,1e300)&subset=Long(-1e300,1e300)",
    "&subset=E(1e309,2e309)",
    "&subset=E(,)",
    "&subset=(1,2)",
    "&subset=E%28%29",
    "&subset=Lat(0)",
    "&subset=E(1,2)&subsettingCrs=EPSG:4326",
    "&subsettingCrs=EPSG:3857&subset=Lat(45,46)",
    "&scaleSize=E(0),N(0)",
    "&scaleSize=E(99999999),N(99999999)",
    "&scaleFactor=1e-300",
    "&scaleFactor=inf",
    "&scaleAxes=E(nan)",
    "&rangeSubset=,,,",
    "&rangeSubset=B02:",
    "&interpolation=",
    "&format=",
    "&outputCrs=EPSG:",
    "&outputCrs=EPSG:4326&scaleSize=Long(1),Lat(1)",
    "&coverageId=" + "A" * 5000,
    "&coverageId=../../etc/passwd",
    "&coverageId=%00",
]


@pytest.mark.parametrize("extra", ODD)
def test_odd_input_is_an_ows_answer(client: FlaskClient, s2: Product, grd: Product,
                                    extra: str) -> None:
    for product in (s2, grd):
        response = client.get(f"{BASE}&coverageId={product.identifier}{extra}")
        assert response.status_code < 500, (extra, response.data)
        if response.status_code != 200:
            assert b"ows:ExceptionReport" in response.data and b"Traceback" not in response.data


@pytest.mark.parametrize("epsg", OUTPUT_CRS)
def test_every_output_crs_on_both_kinds(client: FlaskClient, s2: Product, grd: Product,
                                        epsg: int) -> None:
    for product in (s2, grd):
        response = client.get(f"{BASE}&coverageId={product.identifier}&outputCrs=EPSG:{epsg}"
                              "&scaleSize=x(32),y(32)")
        assert response.status_code == 200, response.data
        with MemoryFile(response.data) as memory, memory.open() as out:
            assert out.crs.to_epsg() == epsg and (out.width, out.height) == (32, 32)
