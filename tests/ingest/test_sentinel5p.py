"""Sentinel-5P reader on real (cut-down) netCDF-4 products (tests/data/samples)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from shapely.geometry import Point, Polygon

from ogc_server.errors import InvalidProduct
from ogc_server.ingest import sentinel5p

NC = Path(__file__).resolve().parent.parent / "data" / "samples" / "sentinel5p" / "nc"
NO2 = NC / "S5P_OFFL_L2__NO2____20200303T013547_20200303T031717_12367_01_010302_20200306T053815.nc"
O3_TCL = (
    NC / "S5P_OFFL_L2__O3_TCL_20200303T120623_20200309T125248_12373_01_010108_20200318T000106.nc"
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_level2_orbit_swath() -> None:
    p = sentinel5p.read(NO2)
    assert p.identifier == NO2.name[: -len(".nc")]
    assert (p.platform, p.platform_serial_identifier, p.instrument) == (
        "Sentinel-5P",
        "5P",
        "TROPOMI",
    )
    assert (p.product_type, p.processing_level) == ("L2__NO2___", "Level-2")
    # observation period (time_coverage_*), not the orbit span of the file name
    assert p.start == utc(2020, 3, 3, 1, 57, 22)
    assert p.end == utc(2020, 3, 3, 2, 55, 45)
    assert p.creation_date == utc(2020, 3, 6, 5, 38, 34)
    assert p.orbit_number == 12367
    assert p.timeliness == "OFFL"
    assert p.resolution == 3500.0  # "7x3.5km2"
    assert p.extra["processor_version"] == "1.3.2"
    assert p.extra["product_version"] == "1.1.0"
    assert p.extra["processing_mode"] == "Offline"
    assert p.extra["product_doi"] == "10.5270/S5P-s4ljg54"
    assert p.extra["dayside_equator_crossing_longitude"] == 165.46729
    json.dumps(p.extra)
    # The day-side swath of the EOP footprint runs over both polar caps and crosses the
    # antimeridian: the footprint is the swath (the smaller side of the ring), holding both
    # poles, not the rest of the globe.
    assert p.footprint.is_valid
    assert p.footprint.bounds == (-180.0, -90.0, 180.0, 90.0)
    assert p.footprint.intersects(Point(46.37023, 67.30902))  # first vertex of the posList
    assert p.footprint.contains(Point(165.0, 0.0))  # near the dayside equator crossing
    assert p.footprint.contains(Point(0.0, 89.9)) and p.footprint.contains(Point(0.0, -89.9))
    assert not p.footprint.intersects(Point(0.0, 0.0))
    assert not p.footprint.intersects(Point(-90.0, 30.0))
    assert p.footprint.area < 0.25 * 360 * 180


def test_gridded_level2_product_read_through_hdf5() -> None:
    p = sentinel5p.read(O3_TCL)
    assert (p.product_type, p.processing_level) == ("L2__O3_TCL", "Level-2")
    assert p.start == utc(2020, 3, 3, 12, 6, 23)
    assert p.end == utc(2020, 3, 9, 12, 52, 48)
    assert p.orbit_number == 12373
    assert p.timeliness == "OFFL"
    assert p.creation_date == utc(2020, 3, 18, 0, 1, 6)  # only the file name states it
    assert p.extra["processor_version"] == "01.01.08"
    # bounds of the 0.5 x 1 degree latitude_ccd / longitude_ccd grid
    assert isinstance(p.footprint, Polygon)
    assert p.footprint.bounds == (-180.0, -20.0, 180.0, 20.0)


def test_file_name_disagreeing_with_the_product_id(tmp_path: Path) -> None:
    renamed = tmp_path / NO2.name.replace("_12367_", "_12368_")
    shutil.copy(NO2, renamed)
    with pytest.raises(InvalidProduct, match="disagrees with the product id"):
        sentinel5p.read(renamed)


def test_not_a_netcdf_file(tmp_path: Path) -> None:
    broken = tmp_path / NO2.name
    broken.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)
    with pytest.raises(InvalidProduct, match="not a readable netCDF-4/HDF5 file"):
        sentinel5p.read(broken)


def test_unknown_name(tmp_path: Path) -> None:
    other = tmp_path / "S5P_OFFL_XX.nc"
    shutil.copy(O3_TCL, other)
    with pytest.raises(InvalidProduct, match="not a Sentinel-5P product name"):
        sentinel5p.read(other)
