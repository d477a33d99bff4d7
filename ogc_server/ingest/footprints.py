"""Footprints of Sentinel products: coordinate lists to valid lon/lat (Multi)Polygons.

Products state their footprint as rings of latitude/longitude pairs in several notations;
rings that cross the antimeridian are split at +-180 degrees, rings around a pole are closed
over it, and self-overlapping rings are repaired where a mission's metadata is known to
produce them. Errors are :class:`ValueError` with a reason; the readers turn them into
:class:`~ogc_server.errors.InvalidProduct`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import shapely
from shapely import make_valid
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union
from shapely.validation import explain_validity

Point = tuple[float, float]
"""(longitude, latitude) in degrees."""

_WORLD = box(-180.0, -90.0, 180.0, 90.0)


def latlon_pairs(text: str | None, what: str = "footprint") -> list[Point]:
    """(lon, lat) points from a ``lat lon lat lon ...`` list (GML posList, S2 EXT_POS_LIST)."""
    if text is None or not text.strip():
        raise ValueError(f"{what} is missing")
    try:
        values = [float(v) for v in text.split()]
    except ValueError:
        raise ValueError(f"{what} holds a value that is not a number") from None
    if len(values) % 2:
        raise ValueError(f"{what} has an odd number of coordinates ({len(values)})")
    return list(zip(values[1::2], values[0::2], strict=True))


def latlon_commas(text: str | None, what: str = "footprint") -> list[Point]:
    """(lon, lat) points from a ``lat,lon lat,lon ...`` list (GML 2 coordinates)."""
    if text is None or not text.strip():
        raise ValueError(f"{what} is missing")
    points: list[Point] = []
    for tuple_text in text.split():
        parts = tuple_text.split(",")
        if len(parts) < 2:
            raise ValueError(f"{what} has a coordinate without a comma: {tuple_text!r}")
        try:
            points.append((float(parts[1]), float(parts[0])))
        except ValueError:
            raise ValueError(f"{what} holds a value that is not a number") from None
    return points


def footprint(
    rings: Sequence[Sequence[Point]], *, repair_self_overlap: bool = False
) -> BaseGeometry:
    """A valid (Multi)Polygon in lon/lat from one or more exterior rings of (lon, lat) points.

    Rings that cross the antimeridian are split at +-180 degrees into a MultiPolygon; rings
    that go round a pole are closed along the pole; the footprint is always the smaller side
    of a ring (a swath over both polar caps holds both poles). A ring that is not a valid
    polygon in
    lon/lat is re-read with great-circle edges (how footprints are computed); if it is still
    invalid a :class:`ValueError` names the defect, unless ``repair_self_overlap`` allows
    merging a ring that overlaps itself (full-orbit swaths).
    """
    if not rings:
        raise ValueError("footprint is missing")
    parts: list[Polygon] = []
    for ring in rings:
        geometry = _ring_geometry(list(ring), repair_self_overlap)
        parts.extend(_polygons(geometry))
    if len(parts) == 1:
        return parts[0]
    combined = MultiPolygon(parts)
    if combined.is_valid:
        return combined
    merged = unary_union(parts)
    if merged.is_empty or not merged.is_valid:
        raise ValueError(f"footprint is not a valid polygon: {explain_validity(merged)}")
    return merged


def _polygons(geometry: BaseGeometry) -> list[Polygon]:
    if isinstance(geometry, Polygon):
        return [geometry]
    if isinstance(geometry, MultiPolygon):
        return list(geometry.geoms)
    return [g for g in getattr(geometry, "geoms", ()) if isinstance(g, Polygon) and not g.is_empty]


def _ring_geometry(points: list[Point], repair: bool) -> BaseGeometry:
    for lon, lat in points:
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise ValueError("footprint has a coordinate that is not a finite number")
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            raise ValueError(f"footprint coordinate out of range: lat {lat}, lon {lon}")
    if len(set(points)) < 3:
        raise ValueError(f"footprint has {len(set(points))} distinct points, needs 3")
    if points[0] != points[-1]:
        points.append(points[0])
    geometry, defect = _ring_to_geometry(points)
    if defect is None:
        return geometry
    dense = _densify(points)
    if len(dense) > len(points):
        geometry, dense_defect = _ring_to_geometry(dense)
        if dense_defect is None:
            return geometry
    if repair:
        repaired = unary_union(
            [
                make_valid(p, method="structure", keep_collapsed=False)
                for p in _split_ring(dense if len(dense) > len(points) else points)
            ]
        )
        polygons = _polygons(repaired)
        if polygons:
            return polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)
    raise ValueError(f"footprint is not a valid polygon: {defect}")


def _ring_to_geometry(points: list[Point]) -> tuple[BaseGeometry, str | None]:
    """The ring as a geometry and ``None``, or a geometry and the reason it is invalid."""
    polygons = _split_ring(points)
    geometry: BaseGeometry = polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)
    for polygon in polygons:
        if not polygon.is_valid:
            return geometry, explain_validity(polygon)
    if len(polygons) > 1 and not geometry.is_valid:
        return geometry, explain_validity(geometry)
    return geometry, None


def _split_ring(points: list[Point]) -> list[Polygon]:
    """Polygons covering the closed ring ``points``, cut at the antimeridian.

    A ring on the sphere has two sides; the footprint is the smaller one. In longitude/latitude
    the ring is unwrapped across the antimeridian; ``pole_side`` (the integral of
    sin(latitude) over longitude) measures the area enclosed in units where the sphere is 720.
    """
    xs = [x for x, _ in points]
    crosses = any(abs(b - a) > 180.0 for a, b in zip(xs, xs[1:], strict=False))
    if not crosses and max(xs) - min(xs) <= 180.0:
        return [_polygon(points)]  # less than a hemisphere: the plain polygon
    net = 0.0
    twice_area = 0.0
    pole_side = 0.0
    x_prev = points[0][0]
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        step = x1 - x0
        if step > 180.0:
            step -= 360.0
        elif step < -180.0:
            step += 360.0
        x_next = x_prev + step
        twice_area += x_prev * y1 - x_next * y0
        pole_side += step * math.sin(math.radians((y0 + y1) / 2.0))
        net += step
        x_prev = x_next
    if abs(net) < 1e-6:
        # Counter-clockwise in unwrapped longitudes.
        if twice_area < 0:
            points = points[::-1]
        pieces = _join_segments(_segments(points)) if crosses else [_polygon(points)]
        if abs(pole_side) > 360.0:
            # The side without the poles is more than a hemisphere: the footprint is the
            # other side, which holds both poles (a swath over both polar caps).
            return _complement(pieces)
        return pieces
    # The ring goes round a pole: it encloses the pole on the smaller side. Orient it so that
    # the enclosed pole lies to its left (eastward round the north pole).
    north = pole_side * net > 0
    if north != (net > 0):
        points = points[::-1]
    return _join_segments(_segments(points))


def _complement(pieces: list[Polygon]) -> list[Polygon]:
    rest = _WORLD.difference(unary_union(pieces))
    return _polygons(rest)


def _segments(points: list[Point]) -> list[list[Point]]:
    """Cut the closed ring at every antimeridian crossing; each piece runs from one side of
    the antimeridian to the other (or back)."""
    pieces: list[list[Point]] = []
    current: list[Point] = [points[0]]
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        step = x1 - x0
        if step > 180.0:  # westward across -180
            span = x1 - 360.0 - x0
            y = y0 + ((-180.0 - x0) / span) * (y1 - y0) if span else y0
            current.append((-180.0, y))
            pieces.append(current)
            current = [(180.0, y)]
        elif step < -180.0:  # eastward across +180
            span = x1 + 360.0 - x0
            y = y0 + ((180.0 - x0) / span) * (y1 - y0) if span else y0
            current.append((180.0, y))
            pieces.append(current)
            current = [(-180.0, y)]
        if current[-1] != (x1, y1):
            current.append((x1, y1))
    pieces.append(current)
    # The ring's first and last pieces are one piece.
    first = pieces.pop(0)
    pieces[-1].extend(first[1:])
    return pieces


def _join_segments(pieces: list[list[Point]]) -> list[Polygon]:
    """Close the pieces of a counter-clockwise ring along the antimeridian (northward on the
    +180 side, southward on the -180 side) and, where a side has no next piece, over a pole."""
    starts = [(piece[0][0] > 0, piece[0][1], index) for index, piece in enumerate(pieces)]
    remaining = set(range(len(pieces)))
    polygons: list[Polygon] = []
    while remaining:
        first = min(remaining)
        remaining.discard(first)
        ring = list(pieces[first])
        for _ in range(len(pieces) + 1):
            end_lon, end_lat = ring[-1]
            open_ = [s for s in starts if s[2] in remaining or s[2] == first]
            if end_lon > 0:
                ahead = [(lat, i) for east, lat, i in open_ if east and lat >= end_lat]
                if ahead:
                    nxt = min(ahead)[1]
                else:
                    ring += [(180.0, 90.0), (-180.0, 90.0)]
                    other = [(lat, i) for east, lat, i in open_ if not east]
                    nxt = max(other)[1] if other else -1
            else:
                ahead = [(lat, i) for east, lat, i in open_ if not east and lat <= end_lat]
                if ahead:
                    nxt = max(ahead)[1]
                else:
                    ring += [(-180.0, -90.0), (180.0, -90.0)]
                    other = [(lat, i) for east, lat, i in open_ if east]
                    nxt = min(other)[1] if other else -1
            if nxt < 0:
                break
            if nxt == first:
                ring.append(ring[0])
                break
            ring.extend(pieces[nxt])
            remaining.discard(nxt)
        else:
            nxt = -1
        if nxt != first:
            raise ValueError("footprint crosses the antimeridian in a way that cannot be closed")
        polygons.append(_polygon(ring))
    return polygons


def _polygon(points: list[Point]) -> Polygon:
    return shapely.polygons(np.asarray(points, dtype=float))


def _densify(points: list[Point], step_deg: float = 1.0) -> list[Point]:
    """Insert great-circle points on edges longer than ``step_deg`` degrees."""
    out: list[Point] = [points[0]]
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        dlon = abs(x1 - x0)
        dlon = min(dlon, 360.0 - dlon)
        count = int(max(dlon, abs(y1 - y0)) // step_deg)
        if count:
            out.extend(_great_circle(x0, y0, x1, y1, count))
        out.append((x1, y1))
    return out


def _great_circle(x0: float, y0: float, x1: float, y1: float, count: int) -> list[Point]:
    lat0, lon0, lat1, lon1 = map(math.radians, (y0, x0, y1, x1))
    a = (math.cos(lat0) * math.cos(lon0), math.cos(lat0) * math.sin(lon0), math.sin(lat0))
    b = (math.cos(lat1) * math.cos(lon1), math.cos(lat1) * math.sin(lon1), math.sin(lat1))
    dot = max(-1.0, min(1.0, a[0] * b[0] + a[1] * b[1] + a[2] * b[2]))
    omega = math.acos(dot)
    if omega < 1e-12 or omega > math.pi - 1e-9:
        return []
    sin_omega = math.sin(omega)
    points: list[Point] = []
    for k in range(1, count + 1):
        t = k / (count + 1)
        fa = math.sin((1.0 - t) * omega) / sin_omega
        fb = math.sin(t * omega) / sin_omega
        x, y, z = (fa * a[i] + fb * b[i] for i in range(3))
        lon = math.degrees(math.atan2(y, x))
        lat = math.degrees(math.atan2(z, math.hypot(x, y)))
        points.append((lon, lat))
    return points
