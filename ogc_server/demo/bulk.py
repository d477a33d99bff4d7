"""Bulk planning: a large demo archive (10^5 .. 10^6 products) in minutes.

:func:`~ogc_server.demo.generator.plan_archive` plans one product after the other and searches
the overpasses of each product's point afresh (a few milliseconds per product): right for the
demo's few hundred products, an hour for a million. :func:`plan_bulk` plans the same kind of
archive in bulk:

* the same collection shares, product types, regions, retention windows, MGRS tiles, orbits,
  swaths, frames and granules, and the same mission code builds each product from its pass
  (``from_pass`` of :mod:`.sentinel1` ... :mod:`.sentinel5p`), so the products are as real as
  the demo's and the writers of the demo write them;
* the overpasses are searched once per point and *relative* orbit, for many points at once:
  the model's ground tracks repeat exactly every cycle, so a point's passes in any window are
  the passes of one cycle moved by whole cycles. A cheap first guess (where each track crosses
  the point's latitude) keeps only the tracks that may pass within reach; they then go through
  the same closest-approach iteration as :meth:`~ogc_server.demo.orbits.Orbit.passes`;
* Sentinel-2 tiles come from a pool that grows with the archive (``tiles_per_region``): the
  demo's eight tiles per region would give a million-product archive tens of thousands of
  products per tile.

The draws differ from :func:`plan_archive`'s (another order, vectorised), so the same seed gives
another archive than ``plan_archive``; the same arguments give the same archive.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import shapely

from ogc_server.archive.model import Region
from ogc_server.demo import sentinel1, sentinel2, sentinel3, sentinel5p
from ogc_server.demo.generator import (
    REGION_WEIGHTS,
    SEARCH_DAYS,
    TYPE_WEIGHTS,
    CollectionInfo,
    _allocate,
    _load_config,
    _module,
    _normalise,
    _today,
    accepted,
    sensing_window,
)
from ogc_server.demo.orbits import EARTH_RADIUS_KM, FLEET, Orbit, bearing, distance_km
from ogc_server.demo.spec import GLOBAL_LAND, ProductSpec

__all__ = ["PassFinder", "plan_bulk"]

KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180.0
CHUNK = 2048


# Passes ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Track:
    """A point's pass on one relative orbit: ``orbit`` is that relative orbit's absolute orbit
    in the reference cycle, ``dt`` the seconds after its node of the closest approach."""

    orbit: int
    dt: float


class PassFinder:
    """Overpasses of many points by one satellite, per relative orbit (see the module)."""

    def __init__(self, sat: Orbit, ascending: bool | None, cross_km: tuple[float, float]):
        self.sat = sat
        self.directions = (True, False) if ascending is None else (ascending,)
        self.cross_km = cross_km
        self.cycle_s = sat.cycle_days * 86400.0
        self.orbits = np.arange(sat.ref_orbit, sat.ref_orbit + sat.orbits_per_cycle)
        self.anx_lon = np.degrees(sat._anx_lon(self.orbits))
        self.active_from = sat.active_from.timestamp() if sat.active_from else -math.inf
        self.active_until = sat.active_until.timestamp() if sat.active_until else math.inf

    def tracks(self, lon: np.ndarray, lat: np.ndarray) -> list[list[Track]]:
        """The tracks that pass each point (lon/lat arrays, degrees) within the swath."""
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        out: list[list[Track]] = [[] for _ in range(lon.size)]
        for first in range(0, lon.size, CHUNK):
            part = slice(first, first + CHUNK)
            for asc in self.directions:
                index, orbit, dt = self._search(lon[part], lat[part], asc)
                for i, o, d in zip(index.tolist(), orbit.tolist(), dt.tolist(), strict=True):
                    out[first + i].append(Track(o, d))
        return out

    def _search(self, lon: np.ndarray, lat: np.ndarray, asc: bool
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        sat = self.sat
        inc = math.radians(sat.inclination)
        period = sat.period
        usable = np.abs(lat) <= sat.inclination_limit() - 0.5
        u_asc = np.arcsin(np.clip(np.sin(np.radians(lat)) / math.sin(inc), -1.0, 1.0))
        u0 = np.mod(u_asc, 2 * math.pi) if asc else math.pi - u_asc
        dt0 = u0 * period / (2 * math.pi)
        # first guess: where each track crosses the point's latitude
        offset = np.degrees(np.arctan2(math.cos(inc) * np.sin(u0), np.cos(u0))
                            - 2 * math.pi / 86400.0 * dt0)
        crossing = self.anx_lon[None, :] + offset[:, None]
        gap = (lon[:, None] - crossing + 180.0) % 360.0 - 180.0
        along_parallel = np.abs(gap) * np.cos(np.radians(lat))[:, None] * KM_PER_DEGREE
        # the cross-track distance is the distance along the parallel times cos(heading)
        sin_heading = np.clip(abs(math.cos(inc)) / np.maximum(np.cos(np.radians(lat)), 1e-6),
                              0.0, 0.98)
        reach = max(abs(self.cross_km[0]), abs(self.cross_km[1]))
        bound = 1.25 * reach / np.sqrt(1.0 - sin_heading**2) + 250.0
        near = (along_parallel <= bound[:, None]) & usable[:, None]
        index, column = np.nonzero(near)
        if index.size == 0:
            return index, index, np.zeros(0)
        orbits = self.orbits[column]
        plon_t = lon[index]
        plat_t = lat[index]
        # the closest-approach iteration of Orbit.passes, on the tracks kept
        dt = dt0[index].copy()
        for _ in range(3):
            plon, plat = sat.ground_point(orbits, dt)
            head = sat.heading(orbits, dt)
            dist = distance_km(plon, plat, plon_t, plat_t)
            to_point = bearing(plon, plat, plon_t, plat_t)
            along = np.clip(dist * np.cos(np.radians(to_point - head)), -1500.0, 1500.0)
            dt = dt + along / sat.ground_speed()
        plon, plat = sat.ground_point(orbits, dt)
        head = sat.heading(orbits, dt)
        dist = distance_km(plon, plat, plon_t, plat_t)
        to_point = bearing(plon, plat, plon_t, plat_t)
        cross = dist * np.sin(np.radians(to_point - head))
        ok = (
            (cross >= self.cross_km[0]) & (cross <= self.cross_km[1])
            & (dist < np.abs(cross) + 50.0)
            & (sat.is_ascending(dt) == asc)
        )
        return index[ok], orbits[ok], dt[ok]

    def passes(self, tracks: list[Track], start: float, stop: float
               ) -> list[tuple[Orbit, int, float]]:
        """(satellite, absolute orbit, seconds after its node) of every pass over the tracks
        between the timestamps ``start`` and ``stop`` while the satellite was active."""
        sat = self.sat
        found: list[tuple[Orbit, int, float]] = []
        base = sat.ref_anx.timestamp()
        for track in tracks:
            first = base + (track.orbit - sat.ref_orbit) * sat.period + track.dt
            k = math.ceil((start - first) / self.cycle_s)
            when = first + k * self.cycle_s
            while when < stop:
                if self.active_from <= when < self.active_until:
                    orbit = sat.ref_orbit + math.floor((when - base) / sat.period
                                                       - sat.orbit_start)
                    found.append((sat, orbit, when - (base + (orbit - sat.ref_orbit)
                                                      * sat.period)))
                when += self.cycle_s
        return found


# Points ---------------------------------------------------------------------------------------


def random_points(rng: np.random.Generator, region: Region, regions: list[Region], count: int,
                  *, land: bool, lat_limit: float) -> tuple[np.ndarray, np.ndarray]:
    """``count`` points inside ``region`` and outside every narrower region (vectorised
    :func:`~ogc_server.demo.spec.random_point`)."""
    index = [r.key for r in regions].index(region.key)
    narrower = [r.geometry for r in regions[:index]]
    lons = np.zeros(0)
    lats = np.zeros(0)
    whole_world = region.geometry.bounds == (-180.0, -90.0, 180.0, 90.0)
    boxes = np.array(GLOBAL_LAND if land and whole_world else [region.geometry.bounds])
    for _ in range(1000):
        missing = count - lons.size
        if missing <= 0:
            break
        n = max(64, missing * 2)
        b = boxes[rng.integers(len(boxes), size=n)]
        lon = rng.uniform(b[:, 0], b[:, 2])
        lat = rng.uniform(np.maximum(b[:, 1], -lat_limit), np.minimum(b[:, 3], lat_limit))
        keep = shapely.contains_xy(region.geometry, lon, lat)
        for geometry in narrower:
            keep &= ~shapely.contains_xy(geometry, lon, lat)
        lons = np.concatenate([lons, lon[keep]])
        lats = np.concatenate([lats, lat[keep]])
    if lons.size < count:
        raise RuntimeError(f"no points found in region {region.key}")
    return lons[:count], lats[:count]


# Planning -------------------------------------------------------------------------------------


def _finders(ptype: str) -> list[PassFinder]:
    module = _module(ptype)
    if module is sentinel2:
        half = sentinel2.SWATH_HALF_KM
        return [PassFinder(s, False, (-half, half)) for s in FLEET["Sentinel-2"]]
    if module is sentinel1:
        cross = (sentinel1.NEAR_KM + 30, sentinel1.FAR_KM - 30)
        return [PassFinder(s, None, cross) for s in FLEET["Sentinel-1"]]
    if module is sentinel3:
        ascending, cross = sentinel3.pass_options(ptype)
        return [PassFinder(s, ascending, cross) for s in FLEET["Sentinel-3"]]
    return [PassFinder(s, True, sentinel5p.PASS_CROSS_KM) for s in FLEET["Sentinel-5P"]]


def _finder_key(ptype: str) -> str:
    module = _module(ptype)
    if module is sentinel3:
        return "S3-night" if sentinel3.pass_options(ptype)[0] is None else "S3-day"
    return module.__name__


@dataclass(slots=True)
class _Draft:
    """One product being planned: its type, region, search window and point."""

    ptype: str
    region: str
    start: float
    stop: float
    tile: str | None = None
    lon: float = 0.0
    lat: float = 0.0


def plan_bulk(
    *,
    products: int = 200,
    seed: int = 1,
    now: datetime | None = None,
    collections: Sequence | None = None,
    regions: list[Region] | None = None,
    config: Path | None = None,
    tiles_per_region: int | None = None,
    workers: int = 1,
) -> list[ProductSpec]:
    """``products`` demo products planned in bulk (see the module), grouped by collection.

    ``tiles_per_region``: Sentinel-2 tiles per region; by default 8 (the demo's) up to
    8 000 products and one per thousand products beyond. Each collection is planned with a
    seed of its own, so ``workers`` processes give the same archive as one.
    """
    now = _today() if now is None else now.astimezone(UTC)
    if collections is None or regions is None:
        cfg_collections, cfg_regions = _load_config(config)
        collections = cfg_collections if collections is None else collections
        regions = cfg_regions if regions is None else regions
    infos = _normalise(collections)
    order = [r.key for r in regions]
    sequence = np.random.SeedSequence(seed)
    pool_seed, *collection_seeds = sequence.spawn(len(infos) + 1)
    per_region = tiles_per_region or max(8, products // 1000)
    pools = sentinel2.tile_pool(np.random.default_rng(pool_seed), regions,
                                per_region=per_region, attempts_limit=max(500, 30 * per_region))
    usable = [c for c in infos if any(t in TYPE_WEIGHTS for t in c.product_types)]
    counts = _allocate(usable, products)
    jobs = [
        (info, count, collection_seeds[i], regions, order, now, pools)
        for i, (info, count) in enumerate(zip(usable, counts, strict=True))
    ]
    if workers <= 1 or len(jobs) < 2:
        parts = [_plan_collection(job) for job in jobs]
    else:
        # the largest collections first, so that the workers finish together
        ranked = sorted(range(len(jobs)), key=lambda i: -jobs[i][1])
        with ProcessPoolExecutor(max_workers=workers) as pool:
            done = dict(zip(ranked, pool.map(_plan_collection, [jobs[i] for i in ranked]),
                            strict=True))
        parts = [done[i] for i in range(len(jobs))]
    return [spec for part in parts for spec in part]


def _plan_collection(job: tuple) -> list[ProductSpec]:
    info, count, seed, regions, order, now, pools = job
    planner = _Planner(np.random.default_rng(seed), regions, {r.key: r for r in regions},
                       order, now, pools)
    return planner.collection(info, count)


class _Planner:
    def __init__(self, rng: np.random.Generator, regions: list[Region],
                 by_key: dict[str, Region], order: list[str], now: datetime,
                 pools: dict[str, list[str]]):
        self.rng = rng
        self.regions = regions
        self.by_key = by_key
        self.order = order
        self.now = now
        self.pools = pools
        self.names: set[str] = set()
        self.finders: dict[str, list[PassFinder]] = {}
        self.tile_tracks: dict[tuple[str, str], list[list[Track]]] = {}
        self.tile_footprints: dict[str, object] = {}

    def collection(self, info: CollectionInfo, count: int) -> list[ProductSpec]:
        types = [t for t in info.product_types if t in TYPE_WEIGHTS]
        type_w = np.array([TYPE_WEIGHTS[t] for t in types])
        kept = [k for k in self.order if (info.months(self.order, k) or 0) > 0]
        region_w = np.array([REGION_WEIGHTS.get(k, 0.1) for k in kept])
        out: list[ProductSpec] = []
        rate = 0.9
        for _round in range(200):
            missing = count - len(out)
            if missing <= 0:
                break
            n = int(missing / max(rate, 0.05) * 1.05) + 8
            ptypes = self.rng.choice(len(types), size=n, p=type_w / type_w.sum())
            keys = self.rng.choice(len(kept), size=n, p=region_w / region_w.sum())
            drafts = self._drafts(info, [types[i] for i in ptypes], [kept[i] for i in keys])
            made = self._build(info, drafts, missing)
            rate = max(len(made) / n, 0.01)
            out.extend(made)
        if len(out) < count:
            raise RuntimeError(f"demo: could not plan {count} products of {info.identifier}")
        return out

    def _drafts(self, info: CollectionInfo, ptypes: list[str], keys: list[str]) -> list[_Draft]:
        drafts: list[_Draft] = []
        for ptype, key in zip(ptypes, keys, strict=True):
            span = sensing_window(info, ptype, key, self.order, self.now)
            if span is None:
                continue
            start, stop = (t.timestamp() for t in span)
            length = min(stop - start, SEARCH_DAYS * 86400.0)
            offset = float(self.rng.uniform(0, stop - start - length)) if (
                stop - start > length) else 0.0
            drafts.append(_Draft(ptype, key, start + offset, start + offset + length))
        # points: tiles for Sentinel-2, random points for the others
        groups: dict[tuple[str, bool, float], list[_Draft]] = defaultdict(list)
        for draft in drafts:
            module = _module(draft.ptype)
            if module is sentinel2:
                pool = self.pools.get(draft.region) or []
                draft.tile = pool[int(self.rng.integers(len(pool)))] if pool else None
                continue
            land = module is sentinel1 and draft.ptype != "OCN"
            limit = 70.0 if module is not sentinel5p else 60.0
            groups[(draft.region, land, limit)].append(draft)
        for (key, land, limit), members in groups.items():
            lon, lat = random_points(self.rng, self.by_key[key], self.regions, len(members),
                                     land=land, lat_limit=limit)
            for draft, x, y in zip(members, lon.tolist(), lat.tolist(), strict=True):
                draft.lon, draft.lat = x, y
        return [d for d in drafts if d.tile is not None or _module(d.ptype) is not sentinel2]

    def _finders_for(self, ptype: str) -> tuple[str, list[PassFinder]]:
        key = _finder_key(ptype)
        if key not in self.finders:
            self.finders[key] = _finders(ptype)
        return key, self.finders[key]

    def _tracks(self, drafts: list[_Draft]) -> list[list[list[Track]]]:
        """Per draft, per finder of its product type: the tracks over its point."""
        result: list[list[list[Track]] | None] = [None] * len(drafts)
        by_key: dict[str, list[int]] = defaultdict(list)
        for i, draft in enumerate(drafts):
            key, finders = self._finders_for(draft.ptype)
            if draft.tile is not None:
                result[i] = self._tile_tracks(key, finders, draft.tile)
            else:
                by_key[key].append(i)
        for key, members in by_key.items():
            finders = self.finders[key]
            lon = np.array([drafts[i].lon for i in members])
            lat = np.array([drafts[i].lat for i in members])
            per_finder = [f.tracks(lon, lat) for f in finders]
            for j, i in enumerate(members):
                result[i] = [tracks[j] for tracks in per_finder]
        return result  # type: ignore[return-value]

    def _tile_tracks(self, key: str, finders: list[PassFinder], tile: str
                     ) -> list[list[Track]]:
        cached = self.tile_tracks.get((key, tile))
        if cached is None:
            from ogc_server.demo import mgrs

            lon, lat = mgrs.tile(tile).center_lonlat()
            cached = [f.tracks(np.array([lon]), np.array([lat]))[0] for f in finders]
            self.tile_tracks[(key, tile)] = cached
        return cached

    def _build(self, info: CollectionInfo, drafts: list[_Draft], wanted: int
               ) -> list[ProductSpec]:
        made: list[ProductSpec] = []
        tracks = self._tracks(drafts)
        for draft, per_finder in zip(drafts, tracks, strict=True):
            if len(made) >= wanted:
                break
            _, finders = self._finders_for(draft.ptype)
            candidates: list[tuple[Orbit, int, float]] = []
            for finder, found in zip(finders, per_finder, strict=True):
                candidates += finder.passes(found, draft.start, draft.stop)
            if not candidates:
                continue
            sat, orbit, dt = candidates[int(self.rng.integers(len(candidates)))]
            spec = self._spec(info, draft, sat, orbit, dt)
            if spec is None or spec.identifier in self.names:
                continue
            if not accepted(spec, info, self.order, self.now):
                continue
            self.names.add(spec.identifier)
            made.append(spec)
        return made

    def _spec(self, info: CollectionInfo, draft: _Draft, sat: Orbit, orbit: int, dt: float
              ) -> ProductSpec | None:
        module = _module(draft.ptype)
        common = dict(collection=info.identifier, product_type=draft.ptype,
                      regions=self.regions)
        if module is sentinel2:
            assert draft.tile is not None
            footprint = self.tile_footprints.get(draft.tile)
            if footprint is None:
                footprint = sentinel2.tile_footprint(draft.tile)
                self.tile_footprints[draft.tile] = footprint
            return sentinel2.from_pass(self.rng, sat, orbit, dt, tile_id=draft.tile,
                                       footprint=footprint, **common)  # type: ignore[arg-type]
        if module is sentinel5p:
            return sentinel5p.from_pass(self.rng, orbit, dt, **common)  # type: ignore[arg-type]
        return module.from_pass(self.rng, sat, orbit, dt, **common)  # type: ignore[arg-type]

