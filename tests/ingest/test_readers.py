"""Dispatch on product names, zip member checks, footprint normalisation, error reasons."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from shapely.geometry import MultiPolygon, Point, Polygon

from ogc_server.errors import InvalidProduct
from ogc_server.ingest.readers import (
    footprint,
    parse_time,
    product_name,
    read_product,
    relative_href,
    safe_root_in_zip,
)

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
S1_GRDH = (
    SAMPLES
    / "sentinel1"
    / "S1A_IW_GRDH_1SDV_20210809T173953_20210809T174018_039156_049F13_6FF8.SAFE"
)
S2_L2A = (
    SAMPLES / "sentinel2" / "S2B_MSIL2A_20210122T133229_N0214_R081_T22HBD_20210122T155500.SAFE"
)
S3_LST = (
    SAMPLES
    / "sentinel3"
    / (
        "S3A_SL_2_LST____20210510T002955_20210510T003255_20210511T101010_"
        "0179_071_301_5760_LN2_O_NT_004.SEN3"
    )
)
S3_ZIP = (
    SAMPLES
    / "sentinel3"
    / "zipped"
    / (
        "S3A_SR_1_SRA____20230309T204558_20230309T204623_20230309T225028_"
        "0024_096_214______PS1_O_NR_004.zip"
    )
)
S5P_NO2 = (
    SAMPLES
    / "sentinel5p"
    / "nc"
    / ("S5P_OFFL_L2__NO2____20200303T013547_20200303T031717_12367_01_010302_20200306T053815.nc")
)


# ------------------------------------------------------------------------------ names


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/a/S1A_X.SAFE", "S1A_X"),
        ("/a/S1A_X.SAFE/", "S1A_X"),
        ("S1A_X.safe", "S1A_X"),
        ("/a/S3A_Y.SEN3", "S3A_Y"),
        ("S5P_Z.nc", "S5P_Z"),
        ("S2A_W.zip", "S2A_W"),
        ("S2A_W.SAFE.zip", "S2A_W"),
        ("S2A_W", "S2A_W"),
        (Path("/x/S3B_V.SEN3"), "S3B_V"),
    ],
)
def test_product_name(path: str | Path, name: str) -> None:
    assert product_name(path) == name


# ------------------------------------------------------------------------------ dispatch


def test_dispatch_on_each_mission() -> None:
    assert read_product(S1_GRDH).platform == "Sentinel-1"
    assert read_product(S2_L2A).platform == "Sentinel-2"
    assert read_product(S3_LST).platform == "Sentinel-3"
    assert read_product(S5P_NO2).platform == "Sentinel-5P"
    assert read_product(str(S1_GRDH)).identifier == S1_GRDH.name[:-5]


def test_folder_without_extension_holding_a_manifest(tmp_path: Path) -> None:
    s1 = tmp_path / S1_GRDH.name[:-5]
    shutil.copytree(S1_GRDH, s1)
    assert read_product(s1).identifier == s1.name
    s3 = tmp_path / S3_LST.name[:-5]
    shutil.copytree(S3_LST, s3)
    assert read_product(s3).product_type == "SL_2_LST___"


def test_folder_without_extension_and_without_manifest(tmp_path: Path) -> None:
    folder = tmp_path / S1_GRDH.name[:-5]
    folder.mkdir()
    with pytest.raises(InvalidProduct, match="holds no manifest"):
        read_product(folder)


def test_safe_folder_without_manifest(tmp_path: Path) -> None:
    folder = tmp_path / S1_GRDH.name
    folder.mkdir()
    with pytest.raises(InvalidProduct, match="missing manifest.safe"):
        read_product(folder)


@pytest.mark.parametrize(
    "name",
    [
        "LC08_L1TP_190026_20200101_20200113_01_T1.SAFE",
        "S4A_MSIL1C_20200101T000000.SAFE",
        "random-folder",
    ],
)
def test_unknown_mission_or_name(tmp_path: Path, name: str) -> None:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "manifest.safe").write_bytes(S1_GRDH.joinpath("manifest.safe").read_bytes())
    with pytest.raises(InvalidProduct, match="unknown mission or product name"):
        read_product(folder)


def test_zip_archives_are_not_read(tmp_path: Path) -> None:
    with pytest.raises(InvalidProduct, match="zip archive; unpack it"):
        read_product(S3_ZIP)


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(InvalidProduct, match="does not exist"):
        read_product(tmp_path / S1_GRDH.name)


def test_unknown_file(tmp_path: Path) -> None:
    other = tmp_path / "S1A_notes.txt"
    other.write_text("hello")
    with pytest.raises(InvalidProduct, match="unknown product file"):
        read_product(other)


def test_invalid_xml_manifest(tmp_path: Path) -> None:
    folder = tmp_path / S1_GRDH.name
    folder.mkdir()
    (folder / "manifest.safe").write_bytes(S1_GRDH.joinpath("manifest.safe").read_bytes()[:5000])
    with pytest.raises(InvalidProduct) as info:
        read_product(folder)
    assert "invalid XML: manifest.safe: not well-formed XML" in str(info.value)
    assert info.value.locator == S1_GRDH.name[:-5]


def test_manifest_with_external_entity_is_rejected_unresolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    folder = tmp_path / S1_GRDH.name
    folder.mkdir()
    original = S1_GRDH.joinpath("manifest.safe").read_text()
    head, rest = original.split("\n", 1)
    doctype = f'<!DOCTYPE xfdu:XFDU [<!ENTITY leak SYSTEM "{secret.as_uri()}">]>'
    rest = rest.replace("<safe:number>A</safe:number>", "<safe:number>&leak;</safe:number>")
    (folder / "manifest.safe").write_text(f"{head}\n{doctype}\n{rest}")
    with pytest.raises(InvalidProduct) as info:
        read_product(folder)
    assert "DOCTYPE" in str(info.value)
    assert "TOP-SECRET-VALUE" not in str(info.value)


def test_s2_metadata_with_missing_element_gives_a_reason(tmp_path: Path) -> None:
    folder = tmp_path / S2_L2A.name
    shutil.copytree(S2_L2A, folder)
    metadata = folder / "MTD_MSIL2A.xml"
    text = metadata.read_text()
    start = text.index("<Product_Footprint>")
    end = text.rindex("</Product_Footprint>") + len("</Product_Footprint>")
    metadata.write_text(text[:start] + text[end:])
    with pytest.raises(InvalidProduct, match="EXT_POS_LIST is missing"):
        read_product(folder)


# ------------------------------------------------------------------------------ zip members


def test_zip_root_of_a_real_product_zip() -> None:
    with zipfile.ZipFile(S3_ZIP) as archive:
        names = archive.namelist()
    assert safe_root_in_zip(names) == S3_ZIP.name[:-4] + ".SEN3"


def test_zip_root_without_directory_entries() -> None:
    names = ["P.SAFE/manifest.safe", "P.SAFE/measurement/a.tiff", "./P.SAFE/preview/q.png"]
    assert safe_root_in_zip(names) == "P.SAFE"


@pytest.mark.parametrize(
    ("names", "reason"),
    [
        (["P.SAFE/manifest.safe", "P.SAFE/../../etc/passwd"], "leaves the product folder"),
        (["../P.SAFE/manifest.safe"], "leaves the product folder"),
        (["P.SAFE\\..\\evil.txt"], "leaves the product folder"),
        (["/etc/passwd"], "absolute path"),
        (["C:/temp/x"], "absolute path"),
        (["A.SAFE/manifest.safe", "B.SAFE/manifest.safe"], "2 top folders"),
        (["manifest.safe"], "outside the product folder"),
        (["P.SAFE/"], "empty folder"),
        ([], "empty"),
    ],
)
def test_zip_members_that_are_refused(names: list[str], reason: str) -> None:
    with pytest.raises(InvalidProduct, match=reason):
        safe_root_in_zip(names)


def test_relative_href() -> None:
    assert relative_href("./annotation/a.xml") == "annotation/a.xml"
    assert relative_href("measurement.nc") == "measurement.nc"
    assert relative_href("../x.xml") is None
    assert relative_href("/abs/x.xml") is None
    assert relative_href("C:/x.xml") is None


# ------------------------------------------------------------------------------ values


def test_parse_time_forms() -> None:
    a = parse_time("2021-08-09T17:39:53.153776", "t")
    assert a.isoformat() == "2021-08-09T17:39:53.153776+00:00"
    assert parse_time("2018-01-01T10:54:41.026Z", "t").microsecond == 26000
    assert parse_time("20211021T091357", "t").isoformat() == "2021-10-21T09:13:57+00:00"
    assert parse_time("UTC=2020-03-06T05:38:34", "t").isoformat() == "2020-03-06T05:38:34+00:00"
    with pytest.raises(ValueError, match="not a date-time"):
        parse_time("yesterday", "t")


# ------------------------------------------------------------------------------ footprints


def test_plain_ring_keeps_its_vertices() -> None:
    ring = [(10.0, 40.0), (11.0, 40.0), (11.0, 41.0), (10.0, 41.0)]
    geometry = footprint([ring])
    assert isinstance(geometry, Polygon)
    assert list(geometry.exterior.coords) == [*ring, ring[0]]


def test_ring_across_the_antimeridian_is_split() -> None:
    ring = [(179.0, -10.0), (-179.0, -10.0), (-179.0, -11.0), (179.0, -11.0)]
    geometry = footprint([ring])
    assert isinstance(geometry, MultiPolygon) and geometry.is_valid
    assert sorted(g.bounds for g in geometry.geoms) == [
        (-180.0, -11.0, -179.0, -10.0),
        (179.0, -11.0, 180.0, -10.0),
    ]
    assert geometry.area == pytest.approx(2.0)


def test_clockwise_ring_across_the_antimeridian() -> None:
    ring = [(179.0, -10.0), (179.0, -11.0), (-179.0, -11.0), (-179.0, -10.0)]
    geometry = footprint([ring])
    assert geometry.is_valid and geometry.area == pytest.approx(2.0)


def test_ring_round_the_north_pole_is_closed_over_the_pole() -> None:
    ring = [(lon, 80.0) for lon in range(-180, 180, 30)]
    geometry = footprint([ring])
    assert geometry.is_valid
    assert geometry.bounds == (-180.0, 80.0, 180.0, 90.0)
    assert geometry.intersects(Point(0.0, 89.0)) and not geometry.intersects(Point(0.0, 70.0))


def test_ring_round_the_south_pole_is_closed_over_the_pole() -> None:
    ring = [(lon, -75.0) for lon in range(170, -190, -20)]
    geometry = footprint([ring])
    assert geometry.is_valid
    assert geometry.bounds[1] == -90.0
    assert geometry.intersects(Point(0.0, -89.0)) and not geometry.intersects(Point(0.0, -60.0))


def test_self_intersecting_ring_is_rejected() -> None:
    bowtie = [(0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0)]
    with pytest.raises(ValueError, match="not a valid polygon: Self-intersection"):
        footprint([bowtie])


@pytest.mark.parametrize(
    ("ring", "reason"),
    [
        ([(0.0, 0.0), (1.0, 1.0)], "distinct points"),
        ([(0.0, 0.0), (1.0, 95.0), (2.0, 0.0)], "out of range"),
        ([(0.0, 0.0), (float("nan"), 1.0), (2.0, 0.0)], "finite"),
    ],
)
def test_degenerate_rings(ring: list[tuple[float, float]], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        footprint([ring])


def test_no_ring() -> None:
    with pytest.raises(ValueError, match="footprint is missing"):
        footprint([])
