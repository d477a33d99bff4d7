"""Spatial parameters of OpenSearch Geo (OGC 10-032r8): ``bbox``, ``geometry`` (WKT) and
``lat``/``lon``/``radius``. Pure functions; errors name the parameter.
"""

from __future__ import annotations

import math
import re

import shapely
from shapely import affinity
from shapely.geometry import Point, Polygon, box
from shapely.geometry.base import BaseGeometry

from ogc_server.archive.query import bbox_geometry
from ogc_server.errors import InvalidQuery
from ogc_server.web.opensearch.ranges import clean, number

#: Most vertices of a query geometry.
MAX_VERTICES = 10_000
#: Longest WKT text accepted (characters).
MAX_WKT_LENGTH = 400_000
#: Radius limits of a point-radius search, metres.
MIN_RADIUS = 1.0
MAX_RADIUS = 1_000_000.0
#: Metres per degree of latitude (mean).
METRES_PER_DEGREE = 111_320.0
_CIRCLE_SEGMENTS = 64
_WKT_TYPES = ("POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON")


def parse_bbox(text: str, name: str = "bbox") -> BaseGeometry:
    """``west,south,east,north`` in degrees; west > east crosses the antimeridian."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 4:
        raise InvalidQuery(f"{name} must be west,south,east,north (4 numbers)", locator=name)
    west, south, east, north = (number(name, p) for p in parts)
    try:
        return bbox_geometry(west, south, east, north)
    except InvalidQuery as exc:
        raise InvalidQuery(exc.user_msg, locator=name) from None


def parse_wkt(raw: str, name: str = "geometry") -> BaseGeometry:
    """A WKT geometry in EPSG:4326 (longitude first), at most :data:`MAX_VERTICES` vertices."""
    text = clean(name, raw, MAX_WKT_LENGTH)
    head = re.match(r"\s*([A-Za-z]+)", text)
    if not head or head[1].upper() not in _WKT_TYPES:
        raise InvalidQuery(
            f"{name} must be WKT: {', '.join(_WKT_TYPES)} (longitude latitude)", locator=name
        )
    if text.count(",") >= MAX_VERTICES:
        raise InvalidQuery(f"{name} has more than {MAX_VERTICES} vertices", locator=name)
    try:
        geometry = shapely.from_wkt(text)
    except (shapely.errors.GEOSException, ValueError):
        raise InvalidQuery(f"{name} is not valid WKT", locator=name) from None
    if geometry is None or geometry.is_empty:
        raise InvalidQuery(f"{name} is empty", locator=name)
    if shapely.get_num_coordinates(geometry) > MAX_VERTICES:
        raise InvalidQuery(f"{name} has more than {MAX_VERTICES} vertices", locator=name)
    if shapely.has_z(geometry):
        geometry = shapely.force_2d(geometry)
    return check_geometry(geometry, name)


def check_geometry(geometry: BaseGeometry, name: str) -> BaseGeometry:
    """A valid geometry within -180..180, -90..90."""
    minx, miny, maxx, maxy = geometry.bounds
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        raise InvalidQuery(f"{name} has coordinates that are not finite", locator=name)
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise InvalidQuery(f"{name} lies outside -180..180 (lon), -90..90 (lat)", locator=name)
    if not geometry.is_valid:
        raise InvalidQuery(f"{name} is not a valid geometry ({shapely.is_valid_reason(geometry)})",
                           locator=name)
    return geometry


def point_radius(lat: str | None, lon: str | None, radius: str | None) -> BaseGeometry | None:
    """The search area of ``lat``/``lon``/``radius`` (metres): a point, or a circle polygon."""
    if lat is None and lon is None:
        if radius is not None:
            raise InvalidQuery("radius needs lat and lon", locator="radius")
        return None
    if lat is None or lon is None:
        missing = "lat" if lat is None else "lon"
        raise InvalidQuery(f"{missing} is needed with {'lon' if lat is None else 'lat'}",
                           locator=missing)
    y = number("lat", lat, -90, 90)
    x = number("lon", lon, -180, 180)
    if radius is None:
        return Point(x, y)
    metres = number("radius", radius)
    if not MIN_RADIUS <= metres <= MAX_RADIUS:
        raise InvalidQuery(f"radius must be between {MIN_RADIUS:g} and {MAX_RADIUS:g} metres",
                           locator="radius")
    return circle(x, y, metres)


def circle(lon: float, lat: float, metres: float) -> BaseGeometry:
    """A polygon approximating the circle of ``metres`` around (lon, lat), split at the
    antimeridian and clipped at the poles."""
    dlat = metres / METRES_PER_DEGREE
    cos_lat = math.cos(math.radians(lat))
    dlon = dlat / cos_lat if cos_lat > 1e-9 else 360.0
    if dlon >= 180 or lat + dlat >= 90 or lat - dlat <= -90:
        # a circle around a pole: the latitude band that holds it
        return box(-180, max(-90.0, lat - dlat), 180, min(90.0, lat + dlat))
    ring = [
        (lon + dlon * math.cos(a), lat + dlat * math.sin(a))
        for a in (2 * math.pi * i / _CIRCLE_SEGMENTS for i in range(_CIRCLE_SEGMENTS))
    ]
    shape = Polygon(ring)
    world = box(-180, -90, 180, 90)
    parts = [shape.intersection(world)]
    if shape.bounds[2] > 180:
        parts.append(affinity.translate(shape.intersection(box(180, -90, 540, 90)), -360))
    if shape.bounds[0] < -180:
        parts.append(affinity.translate(shape.intersection(box(-540, -90, -180, 90)), 360))
    return shapely.union_all([p for p in parts if not p.is_empty])
