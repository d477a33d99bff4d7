"""The demo archive generator: determinism, coverage, geometry, retention, rasters, readers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import rasterio
import rasterio.warp
from shapely.geometry import box

from ogc_server.archive.retention import add_months, classify_region
from ogc_server.demo import generate, mgrs, netcdf, orbits, plan_archive
from ogc_server.demo.generator import MAX_MONTHS, CollectionInfo
from ogc_server.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "ogc-server.yml"
NOW = datetime(2025, 11, 24, tzinfo=UTC)
COUNT = 22
SCALE = 0.15


@pytest.fixture(scope="module")
def settings():
    return load_settings(CONFIG)


@pytest.fixture(scope="module")
def archive(tmp_path_factory, settings):
    out = tmp_path_factory.mktemp("demo-a")
    paths = generate(out, products=COUNT, seed=7, now=NOW, config=CONFIG, raster_scale=SCALE)
    specs = plan_archive(products=COUNT, seed=7, now=NOW, config=CONFIG)
    return out, paths, specs


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


# Determinism ----------------------------------------------------------------------------------


def test_same_seed_same_archive(archive, tmp_path) -> None:
    out_a, paths_a, _ = archive
    out_b = tmp_path / "b"
    paths_b = generate(out_b, products=COUNT, seed=7, now=NOW, config=CONFIG,
                       raster_scale=SCALE, workers=2)
    assert [p.name for p in paths_a] == [p.name for p in paths_b]
    a, b = _files(out_a), _files(out_b)
    assert sorted(a) == sorted(b)
    metadata = [n for n in a if n.endswith((".xml", ".safe"))]
    assert len(metadata) > COUNT
    for name in metadata:
        assert a[name] == b[name], name
    # rasters and netCDF are reproducible too
    for name in a:
        assert a[name] == b[name], name


def test_other_seed_other_archive(archive) -> None:
    _, _, specs = archive
    other = plan_archive(products=COUNT, seed=8, now=NOW, config=CONFIG)
    assert {s.identifier for s in specs} != {s.identifier for s in other}
    assert {s.identifier for s in specs} & {s.identifier for s in other} == set()


def test_default_now_is_today(settings) -> None:
    specs = plan_archive(products=11, seed=3, config=CONFIG)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    assert specs == plan_archive(products=11, seed=3, now=today, config=CONFIG)


# Coverage and realism -------------------------------------------------------------------------


def test_every_collection_present(archive, settings) -> None:
    _, paths, specs = archive
    assert len(paths) == len(specs) == COUNT
    assert all(p.exists() for p in paths)
    assert {s.collection for s in specs} == {c.identifier for c in settings.collection_list}
    for spec in specs:
        coll = next(c for c in settings.collection_list if c.identifier == spec.collection)
        assert spec.product_type in coll.product_types


def test_mix_of_the_default_archive(settings) -> None:
    specs = plan_archive(products=200, seed=1, now=NOW, config=CONFIG)
    counts: dict[str, int] = {}
    for s in specs:
        counts[s.collection] = counts.get(s.collection, 0) + 1
    top = sorted(counts, key=counts.get, reverse=True)[:3]
    assert set(top) == {"EOP:CODE-DE:S2_MSI_L1C", "EOP:CODE-DE:S2_MSI_L2A",
                        "EOP:CODE-DE:S1_SAR_L1_GRD"}
    regions = [s.region for s in specs]
    assert 0.35 < regions.count("central_europe") / len(specs) < 0.7
    assert regions.count("europe") > 10 and regions.count("global") > 10
    assert len({s.identifier for s in specs}) == len(specs)


def test_footprints_regions_and_retention(archive, settings) -> None:
    _, _, specs = archive
    regions = settings.region_list
    order = [r.key for r in regions]
    for spec in specs:
        fp = spec.footprint
        assert fp.is_valid and not fp.is_empty and fp.geom_type == "Polygon", spec.identifier
        assert box(-180, -90, 180, 90).contains(fp)
        assert classify_region(fp, regions) == spec.region, spec.identifier
        coll = next(c for c in settings.collection_list if c.identifier == spec.collection)
        months = coll.retention.months_for(order, spec.region)
        assert months, spec.identifier
        assert add_months(NOW, -min(months, MAX_MONTHS)) < spec.start, spec.identifier
        assert spec.start <= spec.end <= NOW
        assert spec.created <= NOW and spec.created >= spec.end


def test_retention_zero_and_null(settings) -> None:
    """S1 SLC keeps no global products; S5P (null, null, 1) keeps everything one month."""
    specs = plan_archive(products=120, seed=5, now=NOW, config=CONFIG)
    order = ["central_europe", "europe", "global"]
    slc = [s for s in specs if s.product_type == "SLC"]
    assert slc and all(s.region != "global" for s in slc)
    s5p = [s for s in specs if s.platform == "Sentinel-5P"]
    assert s5p and all(s.start > add_months(NOW, -1) for s in s5p)
    custom = [CollectionInfo("X:S2", ("S2MSI1C",), {"central_europe": 2, "europe": 0,
                                                     "global": None})]
    few = plan_archive(products=6, seed=2, now=NOW, collections=custom,
                       regions=load_settings(CONFIG).region_list)
    assert all(s.region == "central_europe" for s in few)
    assert all(s.start > add_months(NOW, -2) for s in few)
    assert order  # region order of the configuration


def test_orbit_numbers_follow_the_date(archive) -> None:
    _, _, specs = archive
    for spec in specs:
        if spec.orbit is None:
            continue
        sat = next(o for fleet in orbits.FLEET.values() for o in fleet
                   if o.satellite == spec.satellite)
        middle = spec.start + (spec.end - spec.start) / 2
        assert sat.absolute_orbit(middle) == spec.orbit, spec.identifier
        if spec.relative_orbit is not None:
            assert spec.relative_orbit == sat.relative_orbit(spec.orbit)
            assert 1 <= spec.relative_orbit <= sat.orbits_per_cycle


def test_relative_orbits_match_real_products() -> None:
    assert orbits.S1A.relative_orbit(39156) == 59 and orbits.S1A.cycle(39156) == 238
    assert orbits.S1C.relative_orbit(638) == 15
    assert orbits.S2A.relative_orbit(41826) == 73 and orbits.S2A.relative_orbit(13204) == 51
    assert orbits.S2B.relative_orbit(26649) == 25 and orbits.S2B.relative_orbit(20270) == 81
    assert orbits.S3A.relative_orbit(29567) == 334 and orbits.S3A.cycle(29567) == 77
    assert orbits.S3B.relative_orbit(40884) == 187 and orbits.S3B.cycle(40884) == 117
    assert orbits.S3B.relative_orbit(17454) == 242 and orbits.S3B.cycle(17454) == 56
    # the orbit of a real product's time
    anx = datetime(2021, 8, 9, 17, 27, 46, 469908, tzinfo=UTC)
    assert orbits.S1A.absolute_orbit(anx + timedelta(minutes=12)) == 39156
    assert orbits.S5P.absolute_orbit(datetime(2021, 9, 27, 1, 34, tzinfo=UTC)) == 20496


def test_overpasses_are_the_real_tracks() -> None:
    """Munich: S2 relative orbits 22 and 65, S1 relative orbits 44/117 (asc), 95/168 (desc)."""
    lon, lat = mgrs.tile("32UPU").center_lonlat()
    start = datetime(2025, 3, 1, tzinfo=UTC)
    s2 = {orbits.S2B.relative_orbit(o) for o, _, _ in orbits.S2B.passes(
        lon, lat, start, start + timedelta(days=30), ascending=False, cross_km=(-140, 140))}
    assert s2 == {22, 65}
    s1 = {}
    for o, dt, _ in orbits.S1A.passes(11.58, 48.14, start, start + timedelta(days=24),
                                      cross_km=(380, 590)):
        s1[orbits.S1A.relative_orbit(o)] = bool(orbits.S1A.is_ascending(np.array([dt]))[0])
    assert set(s1) <= {44, 117, 95, 168} and len(s1) >= 3
    assert all(s1[r] for r in s1 if r in (44, 117))
    assert not any(s1[r] for r in s1 if r in (95, 168))


# MGRS -----------------------------------------------------------------------------------------


def test_mgrs_tiles() -> None:
    t = mgrs.tile("32UPU")
    assert (t.zone, t.north, t.epsg) == (32, True, 32632)
    assert t.bounds == (600000.0, 5290200.0, 709800.0, 5400000.0)
    assert mgrs.tile_of(11.58, 48.14).id == "32UPU"  # Munich
    south = mgrs.tile("56HLH")  # Sydney
    assert (south.epsg, south.bounds) == (32756, (300000.0, 6190200.0, 409800.0, 6300000.0))
    assert mgrs.tile_of(151.21, -33.87).id == "56HLH"
    assert mgrs.tile("22HBD").bounds == (200000.0, 5790200.0, 309800.0, 5900000.0)
    for tid in ("33UUP", "31UFT", "31TDH", "46RER", "01WCS", "43MDV"):
        assert mgrs.is_valid_tile_id(tid)
    for bad in ("32IPU", "32UIU", "99UPU", "32UPZ", "32U"):
        assert not mgrs.is_valid_tile_id(bad)
    # the inverse projection agrees with PROJ
    lon, lat = mgrs.utm_to_lonlat(np.array([600000.0]), np.array([5400000.0]), 32, True)
    xs, ys = rasterio.warp.transform("EPSG:32632", "EPSG:4326", [600000.0], [5400000.0])
    assert abs(lon[0] - xs[0]) < 1e-7 and abs(lat[0] - ys[0]) < 1e-7


def test_s2_products_are_mgrs_tiles(archive) -> None:
    _, _, specs = archive
    s2 = [s for s in specs if s.platform == "Sentinel-2"]
    assert s2
    for spec in s2:
        assert mgrs.is_valid_tile_id(spec.tile)
        assert f"_T{spec.tile}_" in spec.identifier
        t = mgrs.tile(spec.tile)
        corners = t.corners_lonlat()
        xs = [c[0] for c in corners]
        ys = [c[1] for c in corners]
        assert spec.footprint.bounds == pytest.approx((min(xs), min(ys), max(xs), max(ys)))


# Files ----------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_rasters_open_with_the_right_crs(archive) -> None:
    out, _, specs = archive
    seen = set()
    for spec in specs:
        root = out / spec.file_name
        if spec.platform == "Sentinel-2":
            bands = sorted(root.glob("GRANULE/*/IMG_DATA/**/*.jp2"))
            assert len(bands) == 4
            t = mgrs.tile(spec.tile)
            for band in bands:
                with rasterio.open(band) as src:
                    assert src.driver == "JP2OpenJPEG"
                    assert src.crs.to_epsg() == t.epsg
                    assert tuple(src.bounds) == pytest.approx(t.bounds)
                    data = src.read(1)
                    assert data.dtype == np.uint16 and data.min() > 0 and data.std() > 0
            seen.add("S2")
        elif spec.product_type == "GRD":
            tiffs = sorted(root.glob("measurement/*.tiff"))
            assert len(tiffs) == 2 and len(list(root.glob("annotation/*.xml"))) == 2
            with rasterio.open(tiffs[0]) as src:
                gcps, crs = src.gcps
                assert crs.to_epsg() == 4326 and len(gcps) == 210
                assert src.transform.is_identity  # like real GRD: no geotransform
                assert src.dtypes[0] == "uint16" and src.read(1).std() > 0
                lons = [g.x for g in gcps]
                lats = [g.y for g in gcps]
            minx, miny, maxx, maxy = spec.footprint.bounds
            assert min(lons) == pytest.approx(minx, abs=0.01)
            assert max(lats) == pytest.approx(maxy, abs=0.01)
            seen.add("GRD")
        elif spec.product_type.startswith("OL_1"):
            assert (root / "geo_coordinates.nc").exists()
            for band in ("Oa04", "Oa06", "Oa08"):
                with rasterio.open(f'NETCDF:"{root / (band + "_radiance.nc")}":'
                                   f'{band}_radiance') as src:
                    assert src.read(1).std() > 0
            seen.add("OLCI")
        elif spec.file_name.endswith(".nc"):
            tree = netcdf.read_tree(root)
            assert tree.attributes["id"][1] == spec.identifier
            assert "EOP_METADATA" in tree.groups["METADATA"].groups
            assert "PRODUCT" in tree.groups
            seen.add("S5P")
    assert {"S2", "GRD", "OLCI", "S5P"} <= seen


def test_manifest_checksums_match_written_files(archive) -> None:
    import hashlib

    from lxml import etree

    out, _, specs = archive
    checked = 0
    for spec in specs:
        root = out / spec.file_name
        manifest = next((root / n for n in ("manifest.safe", "xfdumanifest.xml")
                         if (root / n).exists()), None)
        if manifest is None:
            continue
        tree = etree.parse(str(manifest))
        for stream in tree.iter("{*}byteStream"):
            loc = next(stream.iter("{*}fileLocation"))
            path = root / loc.get("href").removeprefix("./")
            if not path.is_file():
                continue
            assert int(stream.get("size")) == path.stat().st_size, path
            check = next(stream.iter("{*}checksum"))
            algo = {"MD5": "md5", "SHA3-256": "sha3_256"}[check.get("checksumName").upper()]
            assert check.text.lower() == hashlib.new(algo, path.read_bytes()).hexdigest()
            checked += 1
    assert checked > 10


def test_template_metadata_is_restamped(archive) -> None:
    out, _, specs = archive
    for spec in specs:
        root = out / spec.file_name
        if root.is_dir():
            text = "".join(p.read_text(encoding="utf-8") for p in root.rglob("*.xml"))
            text += "".join(p.read_text(encoding="utf-8") for p in root.rglob("*.safe"))
            if spec.platform == "Sentinel-1":  # S1 manifests name the datatake, not the product
                assert f"{spec.params['datatake']:06X}" in text.upper()
            else:
                assert spec.identifier in text
            for stale in ("T46RER", "T01WCS", "039156", "049F13", "026269", "032297",
                          "20210401T052622", "20211021T073827", "20230625T234621"):
                assert stale not in text, (spec.identifier, stale)


# Readers --------------------------------------------------------------------------------------


def test_readers_read_what_was_generated(archive) -> None:
    readers = pytest.importorskip("ogc_server.ingest.readers",
                                  reason="metadata readers not available")
    out, _, specs = archive
    for spec in specs:
        product = readers.read_product(out / spec.file_name)
        assert product.identifier == spec.identifier
        assert product.product_type == spec.product_type
        assert product.platform == spec.platform
        assert abs((product.start - spec.start).total_seconds()) < 1.0, spec.identifier
        assert abs((product.end - spec.end).total_seconds()) < 1.0, spec.identifier
        fp = product.footprint
        overlap = fp.intersection(spec.footprint).area / fp.union(spec.footprint).area
        assert overlap > 0.97, (spec.identifier, overlap)
        if spec.orbit is not None and product.orbit_number is not None:
            assert product.orbit_number == spec.orbit
        if spec.relative_orbit is not None and product.relative_orbit_number is not None:
            assert product.relative_orbit_number == spec.relative_orbit
        if spec.tile:
            assert product.tile_id == spec.tile
        if spec.cloud_cover is not None:
            assert product.cloud_cover == pytest.approx(spec.cloud_cover, abs=1e-3)


def test_s2_cloud_cover_matches_the_raster() -> None:
    from ogc_server.demo import fields, sentinel2

    t = mgrs.tile("32UPU")
    for cloud in (0.0, 7.5, 42.0, 93.0):
        refl, fraction = sentinel2.reflectance(t, 120, seed=5, cloud_cover=cloud, month=7,
                                               top_of_atmosphere=False)
        assert fraction * 100 == pytest.approx(cloud, abs=1.0)
    refl, _ = sentinel2.reflectance(t, 120, seed=5, cloud_cover=0.0, month=7,
                                    top_of_atmosphere=False)
    ndvi = (refl["B08"] - refl["B04"]) / (refl["B08"] + refl["B04"])
    assert ndvi.max() > 0.6  # vegetation: high NIR, low red
    assert (refl["B08"] < 0.05).any()  # water: low NIR
    cloudy, _ = sentinel2.reflectance(t, 120, seed=5, cloud_cover=100.0, month=7,
                                      top_of_atmosphere=False)
    assert all(cloudy[b].min() > 0.4 for b in ("B02", "B03", "B04"))  # bright in the visible
    assert fields.opacity(np.zeros(4), 0.0).max() == 0.0
