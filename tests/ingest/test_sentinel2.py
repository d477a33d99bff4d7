"""Sentinel-2 reader on real MTD_MSIL1C.xml / MTD_MSIL2A.xml files (tests/data/samples)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from shapely.geometry import MultiPolygon, Point, Polygon

from ogc_server.errors import InvalidProduct
from ogc_server.ingest import sentinel2

S2 = Path(__file__).resolve().parent.parent / "data" / "samples" / "sentinel2"
L1C_31TDH = S2 / "S2A_MSIL1C_20180101T105441_N0206_R051_T31TDH_20180101T124911.SAFE"
L1C_01LAC_REPO = S2 / "S2A_MSIL1C_20200717T221941_R029_T01LAC_20200717T234135.SAFE"
L1C_01LAC_URI = "S2A_MSIL1C_20200717T221941_N0209_R029_T01LAC_20200717T234135.SAFE"
L2A_01WCS = S2 / "S2A_MSIL2A_20230625T234621_N0509_R073_T01WCS_20230626T022157.SAFE"
L2A_22HBD = S2 / "S2B_MSIL2A_20210122T133229_N0214_R081_T22HBD_20210122T155500.SAFE"
L2A_43MDV = S2 / "S2A_MSIL2A_20180721T053721_N0212_R062_T43MDV_20201011T181419.SAFE"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_l1c() -> None:
    p = sentinel2.read(L1C_31TDH)
    assert p.identifier == "S2A_MSIL1C_20180101T105441_N0206_R051_T31TDH_20180101T124911"
    assert (p.platform, p.platform_serial_identifier, p.instrument) == ("Sentinel-2", "A", "MSI")
    assert (p.product_type, p.processing_level) == ("S2MSI1C", "Level-1C")
    assert p.start == utc(2018, 1, 1, 10, 54, 41, 26000)
    assert p.end == utc(2018, 1, 1, 10, 54, 41, 26000)
    assert p.creation_date == utc(2018, 1, 1, 12, 49, 11)
    assert p.sensor_mode == "INS-NOBS"
    assert (p.orbit_number, p.relative_orbit_number, p.track) == (13204, 51, 51)
    assert p.orbit_direction == "DESCENDING"
    assert p.cloud_cover == 11.9204
    assert p.snow_cover is None  # L1C states no snow cover
    assert (p.tile_id, p.processing_baseline, p.resolution) == ("31TDH", "02.06", 10.0)
    assert p.polarisation_mode is None and p.minimum_incidence_angle is None
    assert isinstance(p.footprint, Polygon) and p.footprint.is_valid
    coords = list(p.footprint.exterior.coords)
    assert coords[0] == (2.760995427838501, 43.35104159537638)
    assert coords[-2] == (1.7656944498199, 43.346194685301704)
    assert p.extra["datatake_id"] == "GS2A_20180101T105441_013204_N02.06"
    assert (
        p.extra["granule_id"] == "S2A_OPER_MSI_L1C_TL_SGS__20180101T124911_A013204_T31TDH_N02.06"
    )
    assert len(p.extra["image_files"]) == 14
    assert p.extra["image_files"][0] == (
        "GRANULE/L1C_T31TDH_A013204_20180101T105435/IMG_DATA/T31TDH_20180101T105441_B01"
    )
    assert p.extra["quality_checks"]["GEOMETRIC_QUALITY"] == "PASSED"
    json.dumps(p.extra)


def test_l2a_on_the_antimeridian_is_split() -> None:
    p = sentinel2.read(L2A_01WCS)
    assert (p.product_type, p.processing_level, p.tile_id) == ("S2MSI2A", "Level-2A", "01WCS")
    assert p.start == utc(2023, 6, 25, 23, 46, 21, 24000)
    assert p.creation_date == utc(2023, 6, 26, 2, 21, 57)
    assert (p.orbit_number, p.relative_orbit_number) == (41826, 73)
    assert p.cloud_cover == 83.930558
    assert p.snow_cover == 5.747677
    assert p.processing_baseline == "05.09"
    assert p.extra["product_doi"] == "https://doi.org/10.5270/S2_-znk9xsj"
    assert isinstance(p.footprint, MultiPolygon) and p.footprint.is_valid
    west, south, east, north = p.footprint.bounds
    assert (west, east) == (-180.0, 180.0)
    assert south == 68.37248323563581 and north == 69.39446086298774
    east_part, west_part = sorted(p.footprint.geoms, key=lambda g: -g.bounds[0])
    assert east_part.bounds[0] == 179.00590015953946 and east_part.bounds[2] == 180.0
    assert west_part.bounds[0] == -180.0 and west_part.bounds[2] == -179.197
    # the first vertex of the file lies on the footprint; nothing spans the globe
    assert p.footprint.intersects(Point(179.00590015953946, 68.37248323563581))
    assert p.footprint.area < 2.0


def test_l1c_on_the_antimeridian_is_split() -> None:
    # The sample's folder name lacks the N0209 token; the identifier is the PRODUCT_URI.
    p = sentinel2.read(L1C_01LAC_REPO)
    assert p.identifier == L1C_01LAC_URI[: -len(".SAFE")]
    assert (p.tile_id, p.cloud_cover, p.processing_baseline) == ("01LAC", 5.4828, "02.09")
    assert (p.orbit_number, p.relative_orbit_number) == (26481, 29)
    assert p.start == utc(2020, 7, 17, 22, 19, 41, 24000)
    assert isinstance(p.footprint, MultiPolygon) and p.footprint.is_valid
    parts = sorted(p.footprint.geoms, key=lambda g: g.bounds[0])
    assert parts[0].bounds == (-180.0, -16.35172398794926, -179.70343, -15.35591136701329)
    assert parts[1].bounds[0] == 179.25694918943802 and parts[1].bounds[2] == 180.0


def test_folder_name_disagreeing_with_the_product_uri(tmp_path: Path) -> None:
    renamed = tmp_path / L1C_31TDH.name.replace("_T31TDH_", "_T31TDJ_")
    shutil.copytree(L1C_31TDH, renamed)
    with pytest.raises(InvalidProduct) as info:
        sentinel2.read(renamed)
    assert "disagrees with the metadata's PRODUCT_URI" in str(info.value)
    assert "(tile)" in str(info.value)


def test_l2a_second_platform() -> None:
    p = sentinel2.read(L2A_22HBD)
    assert p.platform_serial_identifier == "B"
    assert p.start == utc(2021, 1, 22, 13, 32, 29, 24000)
    assert (p.cloud_cover, p.snow_cover) == (0.447807, 0.0)
    assert p.footprint.exterior.coords[0] == (-54.140594, -37.992633567956354)
    assert p.extra["nodata_pixel_percentage"] == 0.913129


def test_lower_case_metadata_file_name() -> None:
    p = sentinel2.read(L2A_43MDV)  # holds MTD_MSIL2a.xml
    assert (p.tile_id, p.cloud_cover, p.snow_cover) == ("43MDV", 99.999999, 0.0)
    assert p.creation_date == utc(2020, 10, 11, 18, 14, 19, 598000)
    assert p.footprint.exterior.coords[0] == (74.12003646590342, 0.0)


def test_missing_metadata_file(tmp_path: Path) -> None:
    product = tmp_path / L1C_31TDH.name
    product.mkdir()
    with pytest.raises(InvalidProduct, match="missing MTD_MSIL1C.xml"):
        sentinel2.read(product)


def test_self_intersecting_footprint_is_rejected(tmp_path: Path) -> None:
    product = tmp_path / L1C_31TDH.name
    shutil.copytree(L1C_31TDH, product)
    metadata = product / "MTD_MSIL1C.xml"
    text = metadata.read_text()
    start = text.index("<EXT_POS_LIST>") + len("<EXT_POS_LIST>")
    end = text.index("</EXT_POS_LIST>")
    bowtie = "43.0 2.0 42.0 3.0 43.0 3.0 42.0 2.0 43.0 2.0"
    metadata.write_text(text[:start] + bowtie + text[end:])
    with pytest.raises(InvalidProduct) as info:
        sentinel2.read(product)
    assert "footprint is not a valid polygon: Self-intersection" in str(info.value)


def test_name_disagreeing_with_the_metadata(tmp_path: Path) -> None:
    product = tmp_path / L1C_31TDH.name
    shutil.copytree(L1C_31TDH, product)
    metadata = product / "MTD_MSIL1C.xml"
    text = metadata.read_text().replace(
        "<SENSING_ORBIT_NUMBER>51</SENSING_ORBIT_NUMBER>",
        "<SENSING_ORBIT_NUMBER>52</SENSING_ORBIT_NUMBER>",
    )
    metadata.write_text(text)
    with pytest.raises(InvalidProduct, match="relative orbit R051 vs 52"):
        sentinel2.read(product)
