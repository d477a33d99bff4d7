"""Sentinel-1 reader on real SAFE manifests and annotation files (tests/data/samples).

No Level-2 OCN sample exists in the sample collection, so OCN is not exercised here.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from shapely.geometry import MultiPolygon, Polygon

from ogc_server.errors import InvalidProduct
from ogc_server.ingest import sentinel1

S1 = Path(__file__).resolve().parent.parent / "data" / "samples" / "sentinel1"
IW_GRDH = S1 / "S1A_IW_GRDH_1SDV_20210809T173953_20210809T174018_039156_049F13_6FF8.SAFE"
S4_GRDH = S1 / "S1C_S4_GRDH_1SDH_20250118T171404_20250118T171421_000638_000538_4B8B.SAFE"
IW_SLC = S1 / "S1B_IW_SLC__1SDV_20210401T052622_20210401T052650_026269_032297_EFA4.SAFE"
EW_GRDM = S1 / "S1A_EW_GRDM_1SDH_20221130T014342_20221130T014446_046117_058549_BB15.SAFE"
WV_SLC = S1 / "S1B_WV_SLC__1SSV_20210403T083025_20210403T084452_026300_032390_D542.SAFE"
MALFORMED = S1 / "_malformed" / "S1A_IW_GRDH_1SDV_20230310T075746_manifest.safe-with-trailing-junk"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_iw_grdh_dual_pol_manifest() -> None:
    p = sentinel1.read(IW_GRDH)
    assert p.identifier == IW_GRDH.name[: -len(".SAFE")]
    assert (p.platform, p.platform_serial_identifier, p.instrument) == ("Sentinel-1", "A", "SAR-C")
    assert (p.product_type, p.processing_level, p.sensor_mode) == ("GRD", "Level-1", "IW")
    assert p.start == utc(2021, 8, 9, 17, 39, 53, 153776)
    assert p.end == utc(2021, 8, 9, 17, 40, 18, 152800)
    assert p.creation_date == utc(2021, 8, 9, 20, 19, 58)
    assert (p.orbit_number, p.relative_orbit_number, p.track) == (39156, 59, 59)
    assert p.orbit_direction == "ASCENDING"
    assert (p.polarisation_mode, p.polarisation_channels) == ("D", "VV, VH")
    assert p.antenna_look_direction == "RIGHT"
    assert p.frame == 7
    assert p.timeliness == "NRT-3h"
    assert p.production_status == "ARCHIVED"
    # manifest-only sample: no annotation file, so no incidence angles are invented
    assert p.minimum_incidence_angle is None and p.maximum_incidence_angle is None
    assert p.resolution == 10.0  # IW GRD high resolution pixel spacing (table)
    assert isinstance(p.footprint, Polygon) and p.footprint.is_valid
    coords = list(p.footprint.exterior.coords)
    assert coords[0] == (1.512143, 46.03389)  # "46.033890,1.512143" is lat,lon
    assert coords[-2] == (1.937196, 44.536255)
    assert len(coords) == 5
    assert p.extra["mission_datatake_id"] == 302867
    assert p.extra["datatake_id_hex"] == "049F13"
    assert p.extra["ipf_version"] == "003.31"
    assert p.extra["product_class"] == "S"
    assert p.extra["total_slices"] == 20
    assert p.extra["measurement_files"] == [
        "measurement/s1a-iw-grd-vh-20210809t173953-20210809t174018-039156-049f13-002.tiff",
        "measurement/s1a-iw-grd-vv-20210809t173953-20210809t174018-039156-049f13-001.tiff",
    ]
    json.dumps(p.extra)  # JSON-safe


def test_s1c_stripmap_grdh_with_annotation() -> None:
    p = sentinel1.read(S4_GRDH)
    assert p.platform_serial_identifier == "C"
    assert (p.product_type, p.sensor_mode) == ("GRD", "SM")
    assert p.extra["swaths"] == ["S4"]
    assert p.start == utc(2025, 1, 18, 17, 14, 4, 727079)
    assert p.end == utc(2025, 1, 18, 17, 14, 21, 971707)
    assert (p.orbit_number, p.relative_orbit_number) == (638, 15)
    assert p.orbit_direction == "ASCENDING"
    assert p.polarisation_channels == "HH, HV"
    # geolocation grid of annotation/s1c-s4-grd-hh-...-001.xml
    assert p.minimum_incidence_angle == 34.46147545407975
    assert p.maximum_incidence_angle == 39.68644870945465
    assert p.resolution == 10.0  # rangePixelSpacing 1.000000e+01 of the annotation
    assert p.timeliness == "Fast-24h"
    coords = list(p.footprint.exterior.coords)
    assert coords[0] == (8.441154, 46.195118)
    assert coords[-2] == (8.694749, 45.158257)


def test_iw_slc() -> None:
    p = sentinel1.read(IW_SLC)
    assert (p.platform_serial_identifier, p.product_type, p.sensor_mode) == ("B", "SLC", "IW")
    assert p.extra["swaths"] == ["IW1", "IW2", "IW3"]
    assert p.start == utc(2021, 4, 1, 5, 26, 22, 396989)
    assert p.end == utc(2021, 4, 1, 5, 26, 50, 325833)
    assert p.creation_date == utc(2021, 4, 1, 6, 59, 12)
    assert (p.orbit_number, p.relative_orbit_number) == (26269, 168)
    assert p.orbit_direction == "DESCENDING"
    assert (p.polarisation_mode, p.polarisation_channels) == ("D", "VV, VH")
    assert p.frame == 7
    assert p.resolution == 5.0  # IW single-look ground resolution (table)
    coords = list(p.footprint.exterior.coords)
    assert coords[0] == (11.986685, 45.526531)
    assert coords[-2] == (12.466462, 47.199459)


def test_ew_grdm_without_product_annotation() -> None:
    p = sentinel1.read(EW_GRDM)
    assert (p.product_type, p.sensor_mode, p.polarisation_channels) == ("GRD", "EW", "HH, HV")
    assert p.extra["resolution_class"] == "M"
    assert p.resolution == 40.0
    assert p.minimum_incidence_angle is None
    assert p.timeliness == "Fast-24h"
    assert p.footprint.exterior.coords[0] == (91.651596, 76.879097)


def test_wave_mode_has_one_footprint_per_vignette() -> None:
    p = sentinel1.read(WV_SLC)
    assert (p.sensor_mode, p.polarisation_mode, p.polarisation_channels) == ("WV", "S", "VV")
    assert p.frame is None  # wave mode products have no slice number
    assert isinstance(p.footprint, MultiPolygon) and p.footprint.is_valid
    assert len(p.footprint.geoms) == 60
    first = p.footprint.geoms[0].exterior.coords[0]
    assert first == (-34.578793, 35.943001)


def test_incidence_angles_need_every_swath(tmp_path: Path) -> None:
    """Annotation files of only some swaths give no incidence angles, not partial ones."""
    product = tmp_path / S4_GRDH.name
    shutil.copytree(S4_GRDH, product)
    for annotation in (product / "annotation").glob("*.xml"):
        annotation.unlink()
    p = sentinel1.read(product)
    assert p.minimum_incidence_angle is None and p.maximum_incidence_angle is None
    assert p.resolution == 10.0  # SM GRD high resolution pixel spacing (table)


def test_intermediate_product_type_in_the_name_is_rejected(tmp_path: Path) -> None:
    # Level-1 intermediate products ("SL1") are not distributed; the manifest says GRD.
    renamed = tmp_path / IW_GRDH.name.replace("_GRDH_1SDV_", "_SL1__1_DV_")
    shutil.copytree(IW_GRDH, renamed)
    with pytest.raises(InvalidProduct) as info:
        sentinel1.read(renamed)
    message = str(info.value)
    assert "product name disagrees with the manifest" in message
    assert "product type 'SL1' is not one of SLC, GRD, OCN" in message
    assert "'SL1' vs manifest 'GRD'" in message


def test_trailing_junk_after_the_manifest_is_rejected(tmp_path: Path) -> None:
    product = tmp_path / "S1A_IW_GRDH_1SDV_20230310T075746_20230310T075811_047579_05B6B2_0000.SAFE"
    product.mkdir()
    shutil.copy(MALFORMED, product / "manifest.safe")
    with pytest.raises(InvalidProduct) as info:
        sentinel1.read(product)
    assert "invalid XML" in str(info.value)
    assert "Extra content at the end of the document" in str(info.value)


def test_name_disagreeing_with_manifest(tmp_path: Path) -> None:
    renamed = tmp_path / IW_GRDH.name.replace("_039156_", "_039157_")
    shutil.copytree(IW_GRDH, renamed)
    with pytest.raises(InvalidProduct) as info:
        sentinel1.read(renamed)
    assert "absolute orbit 39157 vs manifest 39156" in str(info.value)


def test_start_after_end_is_rejected(tmp_path: Path) -> None:
    product = tmp_path / IW_GRDH.name
    shutil.copytree(IW_GRDH, product)
    manifest = product / "manifest.safe"
    text = manifest.read_text()
    text = text.replace(
        "<safe:stopTime>2021-08-09T17:40:18.152800</safe:stopTime>",
        "<safe:stopTime>2021-08-09T17:39:18.152800</safe:stopTime>",
    )
    manifest.write_text(text)
    with pytest.raises(InvalidProduct, match="is after end"):
        sentinel1.read(product)


def test_missing_orbit_number_is_a_reason_not_a_crash(tmp_path: Path) -> None:
    product = tmp_path / IW_GRDH.name
    shutil.copytree(IW_GRDH, product)
    manifest = product / "manifest.safe"
    text = manifest.read_text().replace(
        '<safe:orbitNumber type="start">39156</safe:orbitNumber>', ""
    )
    manifest.write_text(text)
    with pytest.raises(InvalidProduct, match="absolute orbit number is missing"):
        sentinel1.read(product)
