"""What the demo generator intends for one product, and shared planning helpers."""

from __future__ import annotations

import calendar
import hashlib
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry

from ogc_server.archive.model import Product, Region


@dataclass(slots=True)
class ProductSpec:
    """One product to write; also the record a metadata reader should produce for it."""

    collection: str
    product_type: str
    region: str
    identifier: str
    file_name: str
    """Name of the folder (``.SAFE``/``.SEN3``) or file (``.nc``) in the output folder."""
    platform: str
    satellite: str
    """``S1A``, ``S2B``, ``S5P`` ..."""
    instrument: str
    processing_level: str
    start: datetime
    end: datetime
    created: datetime
    footprint: Polygon
    orbit: int | None = None
    relative_orbit: int | None = None
    orbit_direction: str | None = None
    cloud_cover: float | None = None
    tile: str | None = None
    sensor_mode: str | None = None
    seed: int = 0
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def serial(self) -> str:
        return self.satellite[-1] if self.satellite != "S5P" else ""

    def expected_product(self) -> Product:
        """The catalogue facts the generator put into the product's metadata."""
        return Product(
            identifier=self.identifier,
            platform=self.platform,
            platform_serial_identifier=self.serial,
            instrument=self.instrument,
            product_type=self.product_type,
            processing_level=self.processing_level,
            start=self.start,
            end=self.end,
            footprint=self.footprint,
            sensor_mode=self.sensor_mode,
            creation_date=self.created,
            orbit_number=self.orbit,
            relative_orbit_number=self.relative_orbit,
            orbit_direction=self.orbit_direction,
            cloud_cover=self.cloud_cover,
            tile_id=self.tile,
            processing_baseline=self.params.get("baseline"),
            collection=self.collection,
            region=self.region,
            file_name=self.file_name,
        )


# Time -----------------------------------------------------------------------------------------


def add_months(moment: datetime, months: int) -> datetime:
    index = moment.month - 1 + months
    year = moment.year + index // 12
    month = index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def window(now: datetime, months: int, *, margin_days: float = 2.0,
           max_months: int = 36) -> tuple[datetime, datetime]:
    """Sensing window of a product kept ``months`` months, ending one hour before ``now``."""
    start = add_months(now, -min(months, max_months)) + timedelta(days=margin_days)
    return start, now - timedelta(hours=1)


def random_time(rng: np.random.Generator, start: datetime, stop: datetime) -> datetime:
    span = (stop - start).total_seconds()
    return start + timedelta(seconds=float(rng.uniform(0, span)))


def utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# Space ----------------------------------------------------------------------------------------

#: Land areas outside Europe for optical/radar products of the "global" region (lon/lat boxes).
GLOBAL_LAND: tuple[tuple[float, float, float, float], ...] = (
    (-120.0, 32.0, -82.0, 50.0),   # North America
    (-70.0, -32.0, -42.0, -4.0),   # South America
    (-12.0, 5.0, 30.0, 30.0),      # West and North Africa
    (15.0, -30.0, 35.0, -2.0),     # Southern Africa
    (68.0, 10.0, 88.0, 30.0),      # India
    (100.0, 24.0, 120.0, 40.0),    # East Asia
    (116.0, -34.0, 150.0, -20.0),  # Australia
    (50.0, 45.0, 90.0, 55.0),      # Central Asia
)


def random_point(rng: np.random.Generator, region: Region, regions: list[Region], *,
                 land: bool = True, lat_limit: float = 75.0) -> tuple[float, float]:
    """A point inside ``region`` and outside every narrower region (``regions`` narrow first)."""
    index = [r.key for r in regions].index(region.key)
    narrower = [r.geometry for r in regions[:index]]
    for _ in range(10_000):
        if land and region.geometry.bounds == (-180.0, -90.0, 180.0, 90.0):
            box = GLOBAL_LAND[int(rng.integers(len(GLOBAL_LAND)))]
        else:
            box = region.geometry.bounds
        lon = float(rng.uniform(box[0], box[2]))
        lat = float(rng.uniform(max(box[1], -lat_limit), min(box[3], lat_limit)))
        p = Point(lon, lat)
        if region.geometry.contains(p) and not any(g.contains(p) for g in narrower):
            return lon, lat
    raise RuntimeError(f"no point found in region {region.key}")


def classify(footprint: BaseGeometry, regions: list[Region]) -> str:
    """The narrowest region the footprint touches (the ingest pipeline's rule)."""
    for region in regions:
        if region.geometry.intersects(footprint):
            return region.key
    return regions[-1].key


def polygon(points: list[tuple[float, float]]) -> Polygon:
    """A valid polygon from lon/lat points (not crossing the antimeridian)."""
    poly = Polygon(points)
    if not poly.is_valid:
        poly = poly.buffer(0)
    if poly.geom_type != "Polygon":
        poly = max(poly.geoms, key=lambda g: g.area)
    return poly


def crosses_antimeridian(points: list[tuple[float, float]]) -> bool:
    lons = [p[0] for p in points]
    return max(lons) - min(lons) > 180.0


# Names ----------------------------------------------------------------------------------------


def crc_hex(text: str, digits: int = 4) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:digits].upper()


def seed_of(*parts: Any) -> int:
    return int.from_bytes(hashlib.sha256(repr(parts).encode()).digest()[:8], "big") >> 1


# Sun ------------------------------------------------------------------------------------------


def sun_angles(lon: float, lat: float, moment: datetime) -> tuple[float, float]:
    """Solar zenith and azimuth (degrees, azimuth clockwise from north) - NOAA approximation."""
    moment = moment.astimezone(UTC)
    day = moment.timetuple().tm_yday
    hour = moment.hour + moment.minute / 60 + moment.second / 3600
    g = 2 * math.pi / 365 * (day - 1 + (hour - 12) / 24)
    eqtime = 229.18 * (0.000075 + 0.001868 * math.cos(g) - 0.032077 * math.sin(g)
                       - 0.014615 * math.cos(2 * g) - 0.040849 * math.sin(2 * g))
    decl = (0.006918 - 0.399912 * math.cos(g) + 0.070257 * math.sin(g)
            - 0.006758 * math.cos(2 * g) + 0.000907 * math.sin(2 * g)
            - 0.002697 * math.cos(3 * g) + 0.00148 * math.sin(3 * g))
    tst = hour * 60 + eqtime + 4 * lon
    ha = math.radians(tst / 4 - 180)
    phi = math.radians(lat)
    cos_z = math.sin(phi) * math.sin(decl) + math.cos(phi) * math.cos(decl) * math.cos(ha)
    zenith = math.acos(max(-1.0, min(1.0, cos_z)))
    az = math.degrees(math.atan2(
        math.sin(ha), math.cos(ha) * math.sin(phi) - math.tan(decl) * math.cos(phi)
    )) + 180.0
    return math.degrees(zenith), az % 360.0
