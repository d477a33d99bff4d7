"""Reading the metadata of Sentinel products: dispatch on the product name, shared helpers.

:func:`read_product` turns a product folder (``.SAFE`` / ``.SEN3``) or a Sentinel-5P netCDF
file into a :class:`~ogc_server.archive.model.Product`. Anything unreadable or inconsistent
raises :class:`~ogc_server.errors.InvalidProduct` with a reason a human can act on; no
parser, lookup or conversion error escapes as anything else.

The mission readers (:mod:`.sentinel1` ... :mod:`.sentinel5p`) use the helpers of this module:
time parsing, footprint normalisation (antimeridian and poles) and the error guard.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import numpy as np
import shapely
from lxml import etree
from shapely import make_valid
from shapely.errors import ShapelyError
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union
from shapely.validation import explain_validity

from ogc_server.archive.model import Product
from ogc_server.errors import InvalidProduct
from ogc_server.ingest.xmlsafe import XMLError, parse_xml

__all__ = [
    "check_period",
    "footprint",
    "invalid",
    "latlon_commas",
    "latlon_pairs",
    "name_time",
    "parse_time",
    "product_name",
    "read_product",
    "read_xml",
    "reading",
    "relative_href",
    "safe_root_in_zip",
    "same_second",
    "to_float",
    "to_int",
]

Point = tuple[float, float]
"""(longitude, latitude) in degrees."""

_WORLD = box(-180.0, -90.0, 180.0, 90.0)

_NAME_SUFFIXES = (".safe", ".sen3", ".nc")
_S1_NAME = re.compile(r"S1[A-D]_")
_S2_NAME = re.compile(r"S2[A-D]_MSI")
_S3_NAME = re.compile(r"S3[A-D]_")
_S5P_NAME = re.compile(r"S5P_")
_S2_METADATA = ("MTD_MSIL1C.xml", "MTD_MSIL2A.xml")
_DRIVE = re.compile(r"[A-Za-z]:")


# --------------------------------------------------------------------------------------------
# Dispatch


def product_name(path: Path | str) -> str:
    """The product name of ``path``: its last component without ``.zip`` and ``.SAFE``,
    ``.SEN3`` or ``.nc`` (case-insensitive)."""
    name = PurePosixPath(os.fspath(path).replace("\\", "/").rstrip("/")).name
    if name.lower().endswith(".zip"):
        name = name[:-4]
    lowered = name.lower()
    for suffix in _NAME_SUFFIXES:
        if lowered.endswith(suffix):
            return name[: -len(suffix)]
    return name


def read_product(path: Path | str) -> Product:
    """Read the product at ``path`` (a ``.SAFE``/``.SEN3`` folder or an ``S5P_*.nc`` file).

    A folder whose name lacks the extension is accepted when it holds the mission's
    manifest. Raises :class:`InvalidProduct` for anything that cannot be read.
    """
    path = Path(path)
    name = product_name(path)
    reader = _reader_for(path, name)
    with reading(name):
        return reader(path)


def _reader_for(path: Path, name: str) -> Callable[[Path], Product]:
    # The mission modules import this one; import them when first needed.
    from ogc_server.ingest import sentinel1, sentinel2, sentinel3, sentinel5p

    try:
        is_dir = path.is_dir()
        is_file = not is_dir and path.is_file()
    except OSError as exc:
        raise invalid(name, f"cannot access {path.name}: {exc.strerror or exc}") from None
    lowered = path.name.lower()
    if not is_dir and not is_file:
        raise invalid(name, f"{path.name} does not exist")
    if is_file:
        if lowered.endswith(".zip"):
            raise invalid(name, f"{path.name} is a zip archive; unpack it before reading")
        if _S5P_NAME.match(name) and lowered.endswith(".nc"):
            return sentinel5p.read
        raise invalid(name, f"unknown product file {path.name!r} (expected S5P_*.nc)")
    has_suffix = lowered.endswith((".safe", ".sen3"))
    if _S1_NAME.match(name) and (lowered.endswith(".safe") or _has(path, "manifest.safe")):
        return sentinel1.read
    if _S2_NAME.match(name) and (
        lowered.endswith(".safe") or _has(path, "manifest.safe", *_S2_METADATA)
    ):
        return sentinel2.read
    if _S3_NAME.match(name) and (lowered.endswith(".sen3") or _has(path, "xfdumanifest.xml")):
        return sentinel3.read
    if (_S1_NAME.match(name) or _S2_NAME.match(name) or _S3_NAME.match(name)) and not has_suffix:
        raise invalid(name, f"folder {path.name!r} holds no manifest of a Sentinel product")
    raise invalid(name, f"unknown mission or product name {path.name!r}")


def _has(folder: Path, *names: str) -> bool:
    return any((folder / n).is_file() for n in names)


def safe_root_in_zip(names: list[str]) -> str:
    """The single top folder of a product zip, from the zip's member names.

    Raises :class:`InvalidProduct` for an empty member list, an absolute member, a member
    with a ``..`` component or a drive letter, members outside one common top folder, or a
    top folder that is a file.
    """
    roots: set[str] = set()
    nested = False
    for raw in names:
        member = raw.replace("\\", "/")
        if not member or member in ("/", "./"):
            raise invalid("zip", f"member {raw!r} has no name")
        if member.startswith("/") or _DRIVE.match(member):
            raise invalid("zip", f"member {raw!r} is an absolute path")
        parts = [p for p in member.split("/") if p not in ("", ".")]
        if not parts:
            raise invalid("zip", f"member {raw!r} has no name")
        if ".." in parts:
            raise invalid("zip", f"member {raw!r} leaves the product folder ('..')")
        roots.add(parts[0])
        if len(parts) > 1:
            nested = True
        elif not member.endswith("/"):
            raise invalid("zip", f"member {raw!r} lies outside the product folder")
    if not roots:
        raise invalid("zip", "the zip archive is empty")
    if len(roots) > 1:
        listed = ", ".join(sorted(roots)[:5])
        raise invalid("zip", f"the zip archive has {len(roots)} top folders ({listed})")
    if not nested:
        raise invalid("zip", "the zip archive holds an empty folder")
    return roots.pop()


# --------------------------------------------------------------------------------------------
# Errors


def invalid(name: str, reason: str) -> InvalidProduct:
    """An :class:`InvalidProduct` for product ``name`` with a human ``reason``."""
    return InvalidProduct(f"{name}: {reason}", locator=name)


@contextmanager
def reading(name: str) -> Iterator[None]:
    """Turn every reading error inside the block into :class:`InvalidProduct` for ``name``."""
    try:
        yield
    except InvalidProduct:
        raise
    except XMLError as exc:
        raise invalid(name, f"invalid XML: {exc}") from exc
    except FileNotFoundError as exc:
        missing = Path(exc.filename).name if exc.filename else "a file"
        raise invalid(name, f"missing {missing}") from exc
    except OSError as exc:
        raise invalid(name, f"cannot read: {exc.strerror or exc}") from exc
    except (
        ValueError,
        KeyError,
        IndexError,
        TypeError,
        ArithmeticError,
        etree.LxmlError,
        ShapelyError,
    ) as exc:
        reason = str(exc) or type(exc).__name__
        if isinstance(exc, KeyError | IndexError):
            reason = f"missing metadata element {reason}"
        raise invalid(name, reason) from exc


def relative_href(href: str) -> str | None:
    """A manifest ``href`` as a path relative to the product folder, or None when it is
    absolute or leaves the folder."""
    parts = [p for p in href.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or href.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
        return None
    return "/".join(parts)


def read_xml(path: Path, what: str | None = None) -> etree._Element:
    """Parse the XML file ``path`` with the hardened parser.

    A missing file raises :class:`FileNotFoundError` naming ``what`` (or the file name).
    """
    try:
        return parse_xml(path)
    except FileNotFoundError:
        raise FileNotFoundError(2, "missing", what or path.name) from None


# --------------------------------------------------------------------------------------------
# Values


def parse_time(text: object, what: str) -> datetime:
    """A timezone-aware UTC datetime from ISO 8601 (``Z``, offset or none = UTC), the
    Earth Explorer ``UTC=`` form or the compact ``YYYYMMDDTHHMMSS`` form."""
    if text is None or not str(text).strip():
        raise ValueError(f"{what} is missing")
    value = str(text).strip()
    if value.startswith("UTC="):
        value = value[4:]
    try:
        result = datetime.fromisoformat(value)
    except ValueError:
        try:
            result = datetime.strptime(value, "%Y%m%dT%H%M%S")
        except ValueError:
            raise ValueError(f"{what} is not a date-time: {text!r}") from None
    if result.tzinfo is None:
        return result.replace(tzinfo=UTC)
    return result.astimezone(UTC)


def to_int(text: str | None, what: str) -> int:
    """An integer metadata value; ``what`` names it in the error."""
    if text is None or not text.strip():
        raise ValueError(f"{what} is missing")
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError(f"{what} is not an integer: {text!r}") from None


def to_float(text: str | None, what: str) -> float:
    """A finite number metadata value; ``what`` names it in the error."""
    if text is None or not text.strip():
        raise ValueError(f"{what} is missing")
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError(f"{what} is not a number: {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{what} is not a finite number: {text!r}")
    return value


def check_period(start: datetime, end: datetime) -> None:
    """Refuse a period that ends before it starts."""
    if start > end:
        raise ValueError(f"start {start.isoformat()} is after end {end.isoformat()}")


def same_second(from_name: datetime, from_metadata: datetime) -> bool:
    """Whether a time of a product name (whole seconds, truncated or rounded) matches the
    metadata's."""
    return abs((from_metadata - from_name).total_seconds()) <= 1.0


def name_time(text: str) -> datetime:
    """A ``YYYYMMDDTHHMMSS`` time of a product name, UTC."""
    return datetime.strptime(text, "%Y%m%dT%H%M%S").replace(tzinfo=UTC)


# --------------------------------------------------------------------------------------------
# Footprints


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
