"""The direct HDF5 reading of Sentinel-5P metadata gives what GDAL's netCDF driver gives."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ogc_server.ingest import hdf5meta, sentinel5p

NC = Path(__file__).resolve().parent.parent / "data" / "samples" / "sentinel5p" / "nc"
NO2 = NC / "S5P_OFFL_L2__NO2____20200303T013547_20200303T031717_12367_01_010302_20200306T053815.nc"
O3_TCL = (
    NC / "S5P_OFFL_L2__O3_TCL_20200303T120623_20200309T125248_12373_01_010108_20200318T000106.nc"
)


def _through_gdal(monkeypatch: pytest.MonkeyPatch, path: Path):
    with monkeypatch.context() as m:
        m.setattr(sentinel5p, "_load_hdf5", lambda _path: None)
        return sentinel5p.read(path)


def test_only_swath_products_take_the_direct_path(tmp_path) -> None:
    from ogc_server.demo.bulk import plan_bulk
    from ogc_server.demo.generator import write_product

    now = datetime(2025, 11, 24, tzinfo=UTC)
    spec = next(s for s in plan_bulk(products=200, seed=6, now=now)
                if s.platform == "Sentinel-5P")
    assert sentinel5p._load_hdf5(write_product(spec, tmp_path, rasters=False)) is not None
    # a gridded product and the cut-down sample (no /PRODUCT/latitude) are left to GDAL
    assert sentinel5p._load_hdf5(O3_TCL) is None
    assert sentinel5p._load_hdf5(NO2) is None


def test_same_product_as_through_gdal(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from ogc_server.demo.bulk import plan_bulk
    from ogc_server.demo.generator import write_product

    now = datetime(2025, 11, 24, tzinfo=UTC)
    s5p = [s for s in plan_bulk(products=400, seed=6, now=now) if s.platform == "Sentinel-5P"]
    specs = [s for s in s5p if s.product_type.startswith("L1B")][:4]
    specs += [s for s in s5p if s.product_type.startswith("L2")][:4]
    assert {s.product_type[:3] for s in specs} == {"L1B", "L2_"}
    paths = [NO2, O3_TCL]
    paths += [write_product(s, tmp_path, 0.1, rasters=bool(i % 2)) for i, s in enumerate(specs)]
    for path in paths:
        assert sentinel5p.read(path) == _through_gdal(monkeypatch, path), path.name


def test_group_values_as_gdal_gives_them() -> None:
    groups = hdf5meta.read_groups(NO2, ["/", "/METADATA/GRANULE_DESCRIPTION"])
    granule = groups["/METADATA/GRANULE_DESCRIPTION"]
    assert granule["ProductFormatVersion"] == "10100"  # integers as text
    assert granule["LongitudeOfDaysideNadirEquatorCrossing"] == 165.46729  # 8 digits (float)
    assert groups["/"]["orbit"] == "12367"


def test_missing_pieces_are_os_errors(tmp_path) -> None:
    with pytest.raises(OSError):
        hdf5meta.read_groups(NO2, ["/"], require=("/PRODUCT/nothing",))
    other = tmp_path / "not.nc"
    other.write_bytes(b"not HDF5 at all")
    with pytest.raises(OSError):
        hdf5meta.read_groups(other, ["/"])
