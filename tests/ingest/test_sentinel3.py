"""Sentinel-3 reader on real xfdumanifest.xml files (tests/data/samples)."""

from __future__ import annotations

import json
import shutil
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from shapely.geometry import MultiPolygon, Point, Polygon

from ogc_server.errors import InvalidProduct
from ogc_server.ingest import sentinel3
from ogc_server.ingest.readers import safe_root_in_zip

S3 = Path(__file__).resolve().parent.parent / "data" / "samples" / "sentinel3"
EFR = S3 / (
    "S3A_OL_1_EFR____20211021T073827_20211021T074112_20211021T091357_"
    "0164_077_334_4320_LN1_O_NR_002.SEN3"
)
LST = S3 / (
    "S3A_SL_2_LST____20210510T002955_20210510T003255_20210511T101010_"
    "0179_071_301_5760_LN2_O_NT_004.SEN3"
)
SYN = S3 / (
    "S3A_SY_2_SYN____20210325T005418_20210325T005718_20210325T142858_"
    "0180_070_031_1620_LN2_O_ST_002.SEN3"
)
VGP = S3 / (
    "S3A_SY_2_VGP____20210703T142237_20210703T150700_20210703T211742_"
    "2663_073_310______LN2_O_ST_002.SEN3"
)
ERR = S3 / (
    "S3B_OL_1_ERR____20210831T200148_20210831T204600_20210902T011514_"
    "2652_056_242______LN1_O_NT_002.SEN3"
)
WST = S3 / (
    "S3B_SL_2_WST____20210419T051754_20210419T065853_20210420T160434_"
    "6059_051_247______MAR_O_NT_003.SEN3"
)
SRA_ZIP = (
    S3
    / "zipped"
    / (
        "S3A_SR_1_SRA____20230309T204558_20230309T204623_20230309T225028_"
        "0024_096_214______PS1_O_NR_004.zip"
    )
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_olci_level1_frame() -> None:
    p = sentinel3.read(EFR)
    assert p.identifier == EFR.name[: -len(".SEN3")]
    assert (p.platform, p.platform_serial_identifier, p.instrument) == ("Sentinel-3", "A", "OLCI")
    assert (p.product_type, p.processing_level) == ("OL_1_EFR___", "Level-1")
    assert p.sensor_mode == "Earth Observation"
    assert p.start == utc(2021, 10, 21, 7, 38, 27, 254946)
    assert p.end == utc(2021, 10, 21, 7, 41, 12, 194233)
    assert p.creation_date == utc(2021, 10, 21, 9, 13, 57)
    assert (p.orbit_number, p.relative_orbit_number, p.track) == (29567, 334, 334)
    assert p.orbit_direction == "DESCENDING"
    assert p.frame == 4320
    assert (p.timeliness, p.processing_baseline) == ("NR", "002")
    assert p.cloud_cover is None  # Level-1 OLCI states no cloud cover
    assert p.resolution == 300.0
    assert isinstance(p.footprint, Polygon) and p.footprint.is_valid
    coords = list(p.footprint.exterior.coords)
    assert len(coords) == 47
    assert coords[0] == (-44.0441, -72.343)
    assert coords[-2] == (-36.2917, -71.7164)
    assert p.extra["product_size"] == 546227708
    assert p.extra["pixel_percentages"]["salineWaterPixels"] == 44.0
    assert "Oa01_radiance.nc" in p.extra["files"]
    json.dumps(p.extra)


def test_slstr_level2_lst() -> None:
    p = sentinel3.read(LST)
    assert (p.instrument, p.product_type, p.processing_level) == (
        "SLSTR",
        "SL_2_LST___",
        "Level-2",
    )
    assert p.start == utc(2021, 5, 10, 0, 29, 54, 660731)
    assert p.end == utc(2021, 5, 10, 0, 32, 54, 660731)
    assert (p.orbit_number, p.relative_orbit_number, p.frame) == (27224, 301, 5760)
    assert p.orbit_direction == "ASCENDING"
    assert p.cloud_cover == 57.378222
    assert (p.timeliness, p.processing_baseline, p.resolution) == ("NT", "004", 1000.0)
    coords = list(p.footprint.exterior.coords)
    assert coords[0] == (-41.5076, -8.01962)
    assert coords[-2] == (-40.9597, -10.6377)


def test_synergy_frame_across_the_antimeridian() -> None:
    p = sentinel3.read(SYN)
    assert (p.instrument, p.product_type) == ("SYNERGY", "SY_2_SYN___")
    assert (p.orbit_number, p.relative_orbit_number, p.frame) == (26569, 31, 1620)
    assert p.cloud_cover == 8.166911
    assert p.timeliness == "ST"
    assert isinstance(p.footprint, MultiPolygon) and p.footprint.is_valid
    assert p.footprint.bounds[0] == -180.0 and p.footprint.bounds[2] == 180.0
    assert p.footprint.intersects(Point(133.924, 73.3548))  # first vertex of the file
    assert p.footprint.area < 1000.0  # not a band round the globe


def test_synergy_vegetation_product() -> None:
    p = sentinel3.read(VGP)
    assert (p.product_type, p.processing_level) == ("SY_2_VGP___", "Level-2")
    assert p.start == utc(2021, 7, 3, 14, 22, 36, 678672)
    assert p.end == utc(2021, 7, 3, 15, 7, 0, 249235)
    assert (p.orbit_number, p.relative_orbit_number) == (28003, 310)
    assert p.frame is None  # a stripe, not a frame
    assert (p.cloud_cover, p.snow_cover) == (1.692044, 0.436467)
    assert p.extra["product_unit"] == "STRIPE"
    coords = list(p.footprint.exterior.coords)
    assert coords[0] == (115.456, 71.1889)
    assert coords[-2] == (113.507, 71.1441)


def test_half_orbit_over_the_north_pole() -> None:
    p = sentinel3.read(ERR)
    assert (p.platform_serial_identifier, p.product_type) == ("B", "OL_1_ERR___")
    assert p.start == utc(2021, 8, 31, 20, 1, 47, 783025)
    assert p.end == utc(2021, 8, 31, 20, 46, 0, 217707)
    assert (p.orbit_number, p.relative_orbit_number, p.orbit_direction) == (
        17454,
        242,
        "ASCENDING",
    )
    assert p.resolution == 1200.0
    assert isinstance(p.footprint, MultiPolygon) and p.footprint.is_valid
    west, south, east, north = p.footprint.bounds
    assert (west, east, north) == (-180.0, 180.0, 90.0)
    assert south == -64.2325
    assert p.footprint.intersects(Point(165.07, -59.1187))  # first vertex of the file
    assert not p.footprint.intersects(Point(0.0, -80.0))  # the south pole is not inside


def test_full_orbit_stripe_overlapping_itself_is_merged() -> None:
    p = sentinel3.read(WST)
    assert (p.product_type, p.extra["duration_seconds"]) == ("SL_2_WST___", 6059)
    assert p.footprint.is_valid and not p.footprint.is_empty
    assert "footprint_note" in p.extra


def test_altimetry_product_from_its_zip(tmp_path: Path) -> None:
    with zipfile.ZipFile(SRA_ZIP) as archive:
        root = safe_root_in_zip(archive.namelist())
        archive.extract(f"{root}/xfdumanifest.xml", tmp_path)
    assert root == SRA_ZIP.name[: -len(".zip")] + ".SEN3"
    p = sentinel3.read(tmp_path / root)
    assert (p.instrument, p.product_type, p.processing_level) == ("SRAL", "SR_1_SRA___", "Level-1")
    assert p.start == utc(2023, 3, 9, 20, 45, 58, 338747)
    assert p.end == utc(2023, 3, 9, 20, 46, 23, 310106)
    assert (p.orbit_number, p.relative_orbit_number) == (36762, 214)
    assert p.resolution is None
    assert p.footprint.is_valid
    assert p.footprint.exterior.coords[0] == (1.21834, 63.138)


def test_folder_name_must_be_the_manifest_product_name(tmp_path: Path) -> None:
    renamed = tmp_path / LST.name.replace("_0179_071_301_5760_", "_0179_071_302_5760_")
    shutil.copytree(LST, renamed)
    with pytest.raises(InvalidProduct, match="disagrees with the manifest's productName"):
        sentinel3.read(renamed)


def test_missing_manifest(tmp_path: Path) -> None:
    product = tmp_path / LST.name
    product.mkdir()
    with pytest.raises(InvalidProduct, match="missing xfdumanifest.xml"):
        sentinel3.read(product)
