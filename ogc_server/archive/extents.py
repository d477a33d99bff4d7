"""What each collection holds: bounding box, time span and the values its products take.

One grouped read of the catalogue (cached for a few seconds per store) gives the extents and
summaries that catalogue interfaces publish for a collection (STAC, OGC API Records).
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ogc_server.archive.rows import aware
from ogc_server.archive.store import ProductStore
from ogc_server.archive.tables import products

P = products.c
TTL_SECONDS = 5.0


@dataclass(slots=True)
class CollectionExtent:
    """Facts about the products of one collection (only what the catalogue holds)."""

    collection: str
    count: int = 0
    bbox: tuple[float, float, float, float] | None = None
    start: datetime | None = None
    end: datetime | None = None
    platforms: set[tuple[str, str]] = field(default_factory=set)
    """(platform, platform serial identifier) pairs."""
    orbit_directions: set[str] = field(default_factory=set)
    resolution: tuple[float, float] | None = None
    cloud_cover: tuple[float, float] | None = None


_CACHE: weakref.WeakKeyDictionary[
    ProductStore, tuple[float, int, dict[str, CollectionExtent]]
] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def collection_extents(
    store: ProductStore, ttl: float = TTL_SECONDS
) -> dict[str, CollectionExtent]:
    """Extent and value summaries per collection identifier (cached ``ttl`` seconds)."""
    with _LOCK:
        cached = _CACHE.get(store)
        if (cached and cached[1] == store.generation
                and time.monotonic() - cached[0] < ttl):
            return cached[2]
        generation = store.generation
    stmt = sa.select(
        P.collection, P.platform, P.platform_serial_identifier, P.orbit_direction,
        sa.func.count(), sa.func.min(P.minx), sa.func.min(P.miny), sa.func.max(P.maxx),
        sa.func.max(P.maxy), sa.func.min(P.start_time), sa.func.max(P.end_time),
        sa.func.min(P.resolution), sa.func.max(P.resolution), sa.func.min(P.cloud_cover),
        sa.func.max(P.cloud_cover),
    ).group_by(P.collection, P.platform, P.platform_serial_identifier, P.orbit_direction)
    result: dict[str, CollectionExtent] = {}
    with store.engine.connect() as conn:
        for row in conn.execute(stmt):
            (name, platform, serial, direction, count, minx, miny, maxx, maxy, start, end,
             res_min, res_max, cc_min, cc_max) = row
            extent = result.setdefault(name, CollectionExtent(name))
            extent.count += count
            extent.platforms.add((platform, serial))
            if direction:
                extent.orbit_directions.add(direction)
            extent.bbox = _union_box(extent.bbox, (minx, miny, maxx, maxy))
            extent.start = _earliest(extent.start, aware(start))
            extent.end = _latest(extent.end, aware(end))
            extent.resolution = _union_range(extent.resolution, res_min, res_max)
            extent.cloud_cover = _union_range(extent.cloud_cover, cc_min, cc_max)
    with _LOCK:
        _CACHE[store] = (time.monotonic(), generation, result)
    return result


def _union_box(
    box: tuple[float, float, float, float] | None, other: tuple[Any, Any, Any, Any]
) -> tuple[float, float, float, float] | None:
    if any(v is None for v in other):
        return box
    minx, miny, maxx, maxy = (float(v) for v in other)
    if box is None:
        return (minx, miny, maxx, maxy)
    return (min(box[0], minx), min(box[1], miny), max(box[2], maxx), max(box[3], maxy))


def _union_range(
    current: tuple[float, float] | None, low: Any, high: Any
) -> tuple[float, float] | None:
    if low is None or high is None:
        return current
    if current is None:
        return (float(low), float(high))
    return (min(current[0], float(low)), max(current[1], float(high)))


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)
