"""The bulk planner: the same passes as the demo's search, the same kind of products, fast."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import box

from ogc_server.archive.retention import add_months, classify_region
from ogc_server.demo import generate, mgrs, orbits, sentinel2
from ogc_server.demo.bulk import PassFinder, plan_bulk, random_points
from ogc_server.demo.generator import MAX_MONTHS, _allocate, write_product
from ogc_server.ingest.readers import read_product
from ogc_server.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "ogc-server.yml"
NOW = datetime(2025, 11, 24, tzinfo=UTC)
COUNT = 400


@pytest.fixture(scope="module")
def settings():
    return load_settings(CONFIG)


@pytest.fixture(scope="module")
def specs():
    return plan_bulk(products=COUNT, seed=4, now=NOW, config=CONFIG)


@pytest.mark.parametrize(("mission", "ascending", "cross"), [
    ("Sentinel-1", None, (392.0, 582.0)),
    ("Sentinel-2", False, (-140.0, 140.0)),
    ("Sentinel-3", None, (-500.0, 600.0)),
    ("Sentinel-5P", True, (-1100.0, 1100.0)),
])
def test_pass_finder_finds_the_passes_of_the_search(mission, ascending, cross) -> None:
    rng = np.random.default_rng(3)
    lon = rng.uniform(-180, 180, 60)
    lat = rng.uniform(-70, 70, 60)
    start = datetime(2025, 6, 1, tzinfo=UTC)
    stop = start + timedelta(days=24)
    for sat in orbits.FLEET[mission]:
        finder = PassFinder(sat, ascending, cross)
        tracks = finder.tracks(lon, lat)
        for i in range(lon.size):
            expected = [(o, dt) for o, dt, _ in sat.passes(lon[i], lat[i], start, stop,
                                                            ascending=ascending, cross_km=cross)
                        if sat.active(sat.time_of(o, dt))]
            found = sorted((o, dt) for _, o, dt in finder.passes(
                tracks[i], start.timestamp(), stop.timestamp()))
            assert [o for o, _ in found] == sorted(o for o, _ in expected), (sat, i)
            for (_, a), (_, b) in zip(found, sorted(expected), strict=True):
                assert a == pytest.approx(b, abs=1e-3)


def test_same_arguments_same_archive(specs) -> None:
    again = plan_bulk(products=COUNT, seed=4, now=NOW, config=CONFIG, workers=2)
    assert [s.identifier for s in again] == [s.identifier for s in specs]
    other = plan_bulk(products=60, seed=5, now=NOW, config=CONFIG)
    assert not {s.identifier for s in other} & {s.identifier for s in specs}


def test_collection_shares_and_unique_names(specs, settings) -> None:
    assert len(specs) == COUNT == len({s.identifier for s in specs})
    counts = Counter(s.collection for s in specs)
    usable = [c for c in settings.collection_list]
    expected = dict(zip([c.identifier for c in usable], _allocate(
        [_info(c) for c in usable], COUNT), strict=True))
    assert counts == Counter({k: v for k, v in expected.items() if v})
    regions = Counter(s.region for s in specs)
    assert 0.35 < regions["central_europe"] / COUNT < 0.7
    assert regions["europe"] > 20 and regions["global"] > 20


def _info(collection):
    from ogc_server.demo.generator import CollectionInfo

    return CollectionInfo(collection.identifier, tuple(collection.product_types),
                          dict(collection.retention.months))


def test_products_are_real_geometry_and_keep_retention(specs, settings) -> None:
    regions = settings.region_list
    order = [r.key for r in regions]
    for spec in specs:
        fp = spec.footprint
        assert fp.is_valid and not fp.is_empty and fp.geom_type == "Polygon"
        assert box(-180, -90, 180, 90).contains(fp)
        assert classify_region(fp, regions) == spec.region
        coll = next(c for c in settings.collection_list if c.identifier == spec.collection)
        months = coll.retention.months_for(order, spec.region)
        assert months and add_months(NOW, -min(months, MAX_MONTHS)) < spec.start
        assert spec.start <= spec.end <= NOW and spec.end <= spec.created <= NOW
        if spec.orbit is not None:
            sat = next(o for fleet in orbits.FLEET.values() for o in fleet
                       if o.satellite == spec.satellite)
            assert sat.absolute_orbit(spec.start + (spec.end - spec.start) / 2) == spec.orbit
        if spec.tile:
            assert mgrs.is_valid_tile_id(spec.tile) and f"_T{spec.tile}_" in spec.identifier


def test_tile_pool_grows_with_the_archive(settings) -> None:
    rng = np.random.default_rng(1)
    small = sentinel2.tile_pool(rng, settings.region_list)
    assert all(len(v) == 8 for v in small.values())
    large = sentinel2.tile_pool(rng, settings.region_list, per_region=40, attempts_limit=3000)
    assert all(len(v) == 40 for v in large.values())


def test_random_points_stay_in_their_region(settings) -> None:
    regions = settings.region_list
    rng = np.random.default_rng(2)
    europe = next(r for r in regions if r.key == "europe")
    lon, lat = random_points(rng, europe, regions, 200, land=False, lat_limit=70.0)
    from shapely import contains_xy

    assert contains_xy(europe.geometry, lon, lat).all()
    assert not contains_xy(regions[0].geometry, lon, lat).any()
    assert (lat <= 70.0).all()


def test_metadata_only_products_read_like_the_plan(specs, tmp_path) -> None:
    by_type = {}
    for spec in specs:
        by_type.setdefault(spec.product_type, spec)
    assert len(by_type) >= 12
    for spec in by_type.values():
        path = write_product(spec, tmp_path, rasters=False)
        files = [p for p in path.rglob("*")] if path.is_dir() else [path]
        assert not [p for p in files if p.suffix in (".jp2", ".tiff")], spec.identifier
        if path.is_dir():
            assert not list(path.glob("*_radiance.nc"))
        product = read_product(path)
        assert product.identifier == spec.identifier
        assert product.product_type == spec.product_type
        assert abs((product.start - spec.start).total_seconds()) < 1.0
        overlap = (product.footprint.intersection(spec.footprint).area
                   / product.footprint.union(spec.footprint).area)
        assert overlap > 0.97, spec.identifier
        if spec.cloud_cover is not None:
            assert product.cloud_cover == pytest.approx(spec.cloud_cover, abs=1e-3)


def test_metadata_only_generate_keeps_the_metadata(tmp_path) -> None:
    """Without rasters the product metadata files are byte for byte those of the full
    product; only the data files (and the manifests' sizes and checksums of them) differ."""
    full = generate(tmp_path / "full", products=14, seed=2, now=NOW, config=CONFIG,
                    raster_scale=0.1)
    lean = generate(tmp_path / "lean", products=14, seed=2, now=NOW, config=CONFIG,
                    rasters=False)
    assert [p.name for p in full] == [p.name for p in lean]
    compared = 0
    for a, b in zip(full, lean, strict=True):
        if not a.is_dir():
            continue
        assert not [p for p in b.rglob("*") if p.suffix in (".jp2", ".tiff")]
        for mtd in [*a.glob("MTD_MSIL*.xml"), *a.glob("GRANULE/*/MTD_TL.xml")]:
            assert mtd.read_bytes() == (b / mtd.relative_to(a)).read_bytes(), mtd
            compared += 1
        manifests = [n for n in ("manifest.safe", "xfdumanifest.xml") if (a / n).exists()]
        assert manifests and all((b / n).exists() for n in manifests)
    assert compared
