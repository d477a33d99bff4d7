"""Plan and write a demo rolling archive: realistic Sentinel products of every collection.

Planning is sequential and seeded (one ``numpy.random.Generator``); writing a product depends
only on its plan, so the archive is the same with any number of worker processes.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from ogc_server.archive.model import Region, RetentionPolicy
from ogc_server.demo import sentinel1, sentinel2, sentinel3, sentinel5p
from ogc_server.demo.spec import ProductSpec, add_months, random_point, window

LOGGER = logging.getLogger(__name__)

DEFAULT_ORDER = ["central_europe", "europe", "global"]
REGION_WEIGHTS = {"central_europe": 0.5, "europe": 0.3, "global": 0.2}
MAX_MONTHS = 36
SEARCH_DAYS = 24

#: Product types the generator can make, with their share inside a collection.
TYPE_WEIGHTS: dict[str, float] = {
    "S2MSI1C": 1.0, "S2MSI2A": 1.0,
    "GRD": 1.0, "SLC": 1.0, "OCN": 1.0,
    "OL_1_EFR___": 3.0, "OL_1_ERR___": 1.0,
    "SL_2_LST___": 3.0, "SL_2_FRP___": 2.0,
    "SY_2_SYN___": 3.0, "SY_2_AOD___": 1.0,
    "SY_2_VGP___": 1.0,
    "L2__NO2___": 4.0, "L2__CO____": 2.0, "L2__AER_AI": 2.0,
    "L1B_RA_BD3": 1.0, "L1B_RA_BD4": 1.0, "L1B_RA_BD6": 1.0,
}
#: Share of the archive per collection, by the product types it takes (the largest wins).
COLLECTION_WEIGHTS: dict[str, float] = {
    "S2MSI1C": 0.19, "S2MSI2A": 0.19, "GRD": 0.19, "SLC": 0.06, "OCN": 0.03,
    "OL_1_EFR___": 0.07, "SL_2_LST___": 0.05, "SY_2_SYN___": 0.04, "SY_2_VGP___": 0.03,
    "L1B_RA_BD4": 0.04, "L2__NO2___": 0.08,
}


@dataclass(frozen=True, slots=True)
class CollectionInfo:
    """What the generator needs to know of a collection."""

    identifier: str
    product_types: tuple[str, ...]
    retention: dict[str, int | None]

    def months(self, order: list[str], region: str) -> int | None:
        return RetentionPolicy(dict(self.retention)).months_for(order, region)


def _module(product_type: str):
    if product_type.startswith("S2MSI"):
        return sentinel2
    if product_type in ("GRD", "SLC", "OCN"):
        return sentinel1
    if product_type[:3] in ("OL_", "SL_", "SY_"):
        return sentinel3
    return sentinel5p


def latency_hours(product_type: str) -> float:
    module = _module(product_type)
    if module is sentinel3:
        return sentinel3.latency(product_type)
    if module is sentinel5p:
        return sentinel5p.latency(product_type)
    return 4.5


def _load_config(config: Path | None) -> tuple[list[CollectionInfo], list[Region]]:
    from ogc_server.settings import load_settings

    settings = load_settings(config)
    infos = [
        CollectionInfo(c.identifier, tuple(c.product_types), dict(c.retention.months))
        for c in settings.collection_list
    ]
    return infos, settings.region_list


def _normalise(collections: Iterable) -> list[CollectionInfo]:
    out = []
    for c in collections:
        if isinstance(c, CollectionInfo):
            out.append(c)
        else:
            identifier, types, months = c
            out.append(CollectionInfo(identifier, tuple(types), dict(months)))
    return out


def _allocate(collections: list[CollectionInfo], products: int) -> list[int]:
    """Products per collection: one each first, the rest by weight (largest remainder)."""
    weights = np.array([
        max([COLLECTION_WEIGHTS.get(t, 0.0) for t in c.product_types] + [0.01])
        for c in collections
    ])
    counts = np.zeros(len(collections), dtype=int)
    if products <= 0:
        return counts.tolist()
    order = np.argsort(-weights, kind="stable")
    base = min(products, len(collections))
    counts[order[:base]] = 1
    rest = products - base
    if rest:
        share = weights / weights.sum() * rest
        counts += np.floor(share).astype(int)
        left = products - counts.sum()
        remainder = share - np.floor(share)
        for i in np.argsort(-remainder, kind="stable")[:left]:
            counts[i] += 1
    return counts.tolist()


def plan_archive(
    *,
    products: int = 200,
    seed: int = 1,
    now: datetime | None = None,
    collections: Sequence | None = None,
    regions: list[Region] | None = None,
    config: Path | None = None,
) -> list[ProductSpec]:
    """The products :func:`generate` writes, in order (no files are touched)."""
    now = _today() if now is None else now.astimezone(UTC)
    if collections is None or regions is None:
        cfg_collections, cfg_regions = _load_config(config)
        collections = cfg_collections if collections is None else collections
        regions = cfg_regions if regions is None else regions
    infos = _normalise(collections)
    order = [r.key for r in regions]
    by_key = {r.key: r for r in regions}
    rng = np.random.default_rng(seed)
    pools = sentinel2.tile_pool(rng, regions)
    usable = [c for c in infos if any(t in TYPE_WEIGHTS for t in c.product_types)]
    for c in infos:
        if c not in usable:
            LOGGER.warning("demo: no generator for the product types of %s", c.identifier)
    counts = _allocate(usable, products)
    specs: list[ProductSpec] = []
    names: set[str] = set()
    for info, count in zip(usable, counts, strict=True):
        types = [t for t in info.product_types if t in TYPE_WEIGHTS]
        type_w = np.array([TYPE_WEIGHTS[t] for t in types])
        kept = [k for k in order if (info.months(order, k) or 0) > 0]
        region_w = np.array([REGION_WEIGHTS.get(k, 0.1) for k in kept])
        for _ in range(count):
            spec = None
            for _attempt in range(40):
                ptype = types[int(rng.choice(len(types), p=type_w / type_w.sum()))]
                key = kept[int(rng.choice(len(kept), p=region_w / region_w.sum()))]
                spec = _plan_one(rng, info, ptype, by_key[key], regions, order, now, pools)
                if spec is not None and spec.identifier not in names:
                    break
                spec = None
            if spec is None:
                raise RuntimeError(f"demo: could not plan a product of {info.identifier}")
            names.add(spec.identifier)
            specs.append(spec)
    return specs


def sensing_window(info: CollectionInfo, ptype: str, region_key: str, order: list[str],
                   now: datetime) -> tuple[datetime, datetime] | None:
    """Where products of ``ptype`` in ``region_key`` may be sensed: the retention window less
    the production latency (``None``: the region keeps no such products)."""
    months = min(info.months(order, region_key) or 0, MAX_MONTHS)
    if months <= 0:
        return None
    start, stop = window(now, months)
    stop = stop - timedelta(hours=latency_hours(ptype))
    if stop <= start:
        return None
    return start, stop


def accepted(spec: ProductSpec, info: CollectionInfo, order: list[str], now: datetime) -> bool:
    """Whether the archive keeps ``spec`` (the region of its footprint and its dates)."""
    # the ingest pipeline classifies by footprint: the date must suit that region's retention
    kept = info.months(order, spec.region) or 0
    if kept <= 0 or spec.start < add_months(now, -min(kept, MAX_MONTHS)) + timedelta(days=1):
        return False
    return not (spec.created > now or spec.end > now)


def _plan_one(rng, info: CollectionInfo, ptype: str, region: Region, regions: list[Region],
              order: list[str], now: datetime, pools: dict[str, list[str]]
              ) -> ProductSpec | None:
    span_window = sensing_window(info, ptype, region.key, order, now)
    if span_window is None:
        return None
    start, stop = span_window
    # a random search window inside the retention window spreads the dates evenly
    span = (stop - start).total_seconds()
    length = min(span, SEARCH_DAYS * 86400.0)
    offset = float(rng.uniform(0, span - length)) if span > length else 0.0
    w0 = start + timedelta(seconds=offset)
    w1 = w0 + timedelta(seconds=length)
    module = _module(ptype)
    kwargs = dict(collection=info.identifier, product_type=ptype, start=w0, stop=w1,
                  regions=regions)
    if module is sentinel2:
        pool = pools.get(region.key) or []
        if not pool:
            return None
        spec = sentinel2.plan(rng, tile_id=pool[int(rng.integers(len(pool)))], **kwargs)
    else:
        land = module is sentinel1 and ptype != "OCN"
        point = random_point(rng, region, regions, land=land,
                             lat_limit=70.0 if module is not sentinel5p else 60.0)
        spec = module.plan(rng, point=point, **kwargs)
    if spec is None or not accepted(spec, info, order, now):
        return None
    return spec


def _today() -> datetime:
    moment = datetime.now(UTC)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def write_product(spec: ProductSpec, out_dir: Path, raster_scale: float = 1.0, *,
                  rasters: bool = True) -> Path:
    """Write one planned product into ``out_dir`` (replacing an older copy).

    ``rasters=False`` writes the metadata only: manifests, metadata and annotation files (and
    for Sentinel-5P the netCDF file with its metadata and a minimal geolocation grid), no
    band, measurement or geophysical data. The manifests still list the data files, like
    products whose data was left out.
    """
    target = out_dir / spec.file_name
    if target.is_dir():
        shutil.rmtree(target)
    elif target.exists():
        target.unlink()
    return _module(spec.product_type).write(spec, out_dir, raster_scale, rasters=rasters)


def _write_star(args: tuple[ProductSpec, Path, float, bool]) -> Path:
    spec, out_dir, raster_scale, rasters = args
    return write_product(spec, out_dir, raster_scale, rasters=rasters)


def generate(
    out_dir: Path,
    *,
    products: int = 200,
    seed: int = 1,
    now: datetime | None = None,
    workers: int = 1,
    collections: Sequence | None = None,
    regions: list[Region] | None = None,
    config: Path | None = None,
    raster_scale: float = 1.0,
    rasters: bool = True,
) -> list[Path]:
    """Write ``products`` demo products into ``out_dir``; returns their paths in plan order.

    ``collections``: ``(collection_id, product_types, {region: months})`` tuples, by default
    those of the configuration (``config`` or the default configuration file), whose regions
    are used too. ``now`` defaults to today 00:00 UTC, so reruns on one day give the same
    archive. ``raster_scale`` shrinks the rasters (tests); ``rasters=False`` writes the
    metadata only (see :func:`write_product`).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    specs = plan_archive(products=products, seed=seed, now=now, collections=collections,
                         regions=regions, config=config)
    jobs = [(spec, out_dir, raster_scale, rasters) for spec in specs]
    if workers <= 1 or len(jobs) < 2:
        return [_write_star(job) for job in jobs]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_write_star, jobs, chunksize=max(1, len(jobs) // (workers * 8))))
