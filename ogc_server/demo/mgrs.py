"""The Sentinel-2 tiling grid: MGRS 100 km squares in UTM/WGS84, computed from the definition.

An MGRS tile id is ``<UTM zone><latitude band><column letter><row letter>`` (``32UPU``):

* latitude bands of 8 degrees from 80 S, lettered C..X without I and O (X spans 72..84 N);
* 100 km column letters repeat every three zones: A..H in zones 1, 4, 7 ..., J..R in zones
  2, 5, 8 ..., S..Z in zones 3, 6, 9 ... (column 1 starts at easting 100 000 m);
* 100 km row letters cycle through A..V (20 letters without I and O) with the northing; in even
  zones the cycle is shifted by five letters (the "AA" lettering of WGS84).

A Sentinel-2 tile is the 100 km square widened by 9 800 m to the east and to the south
(109.8 km x 109.8 km, 10 980 pixels of 10 m), in the zone's UTM projection (EPSG:326zz north,
327zz south).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

BANDS = "CDEFGHJKLMNPQRSTUVWX"
COLUMN_SETS = ("STUVWXYZ", "ABCDEFGH", "JKLMNPQR")  # indexed by zone % 3
ROW_LETTERS = "ABCDEFGHJKLMNPQRSTUV"
TILE_SIZE = 109_800.0
SQUARE = 100_000.0

# WGS84 ellipsoid and UTM constants
_A = 6_378_137.0
_F = 1 / 298.257223563
_K0 = 0.9996
_E2 = _F * (2 - _F)
_EP2 = _E2 / (1 - _E2)


@dataclass(frozen=True, slots=True)
class Tile:
    """One tile of the Sentinel-2 grid."""

    id: str
    zone: int
    north: bool
    xmin: float
    ymin: float

    @property
    def epsg(self) -> int:
        return (32600 if self.north else 32700) + self.zone

    @property
    def xmax(self) -> float:
        return self.xmin + TILE_SIZE

    @property
    def ymax(self) -> float:
        return self.ymin + TILE_SIZE

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return (self.xmin, self.ymin, self.xmax, self.ymax)

    def corners_lonlat(self, per_edge: int = 1) -> list[tuple[float, float]]:
        """Outline in longitude/latitude, clockwise from the upper left corner, not closed.

        ``per_edge`` > 1 adds points along each edge (the edges are not straight in degrees).
        """
        xs: list[float] = []
        ys: list[float] = []
        ring = [
            (self.xmin, self.ymax),
            (self.xmax, self.ymax),
            (self.xmax, self.ymin),
            (self.xmin, self.ymin),
        ]
        for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
            for k in range(per_edge):
                xs.append(x0 + (x1 - x0) * k / per_edge)
                ys.append(y0 + (y1 - y0) * k / per_edge)
        lon, lat = utm_to_lonlat(np.array(xs), np.array(ys), self.zone, self.north)
        return list(zip(lon.tolist(), lat.tolist(), strict=True))

    def center_lonlat(self) -> tuple[float, float]:
        lon, lat = utm_to_lonlat(
            np.array([self.xmin + TILE_SIZE / 2]), np.array([self.ymin + TILE_SIZE / 2]),
            self.zone, self.north,
        )
        return float(lon[0]), float(lat[0])


# UTM ------------------------------------------------------------------------------------------


def _meridian_arc(phi: np.ndarray) -> np.ndarray:
    e2, e4, e6 = _E2, _E2**2, _E2**3
    return _A * (
        (1 - e2 / 4 - 3 * e4 / 64 - 5 * e6 / 256) * phi
        - (3 * e2 / 8 + 3 * e4 / 32 + 45 * e6 / 1024) * np.sin(2 * phi)
        + (15 * e4 / 256 + 45 * e6 / 1024) * np.sin(4 * phi)
        - (35 * e6 / 3072) * np.sin(6 * phi)
    )


def central_meridian(zone: int) -> float:
    return zone * 6.0 - 183.0


def lonlat_to_utm(
    lon: np.ndarray, lat: np.ndarray, zone: int, north: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Transverse Mercator forward (Snyder's series; millimetre accuracy inside a zone)."""
    phi = np.radians(np.asarray(lat, dtype=float))
    dlam = np.radians(np.asarray(lon, dtype=float) - central_meridian(zone))
    n = _A / np.sqrt(1 - _E2 * np.sin(phi) ** 2)
    t = np.tan(phi) ** 2
    c = _EP2 * np.cos(phi) ** 2
    a = np.cos(phi) * dlam
    m = _meridian_arc(phi)
    x = _K0 * n * (
        a + (1 - t + c) * a**3 / 6 + (5 - 18 * t + t**2 + 72 * c - 58 * _EP2) * a**5 / 120
    ) + 500_000.0
    y = _K0 * (
        m + n * np.tan(phi) * (
            a**2 / 2 + (5 - t + 9 * c + 4 * c**2) * a**4 / 24
            + (61 - 58 * t + t**2 + 600 * c - 330 * _EP2) * a**6 / 720
        )
    )
    if not north:
        y = y + 10_000_000.0
    return x, y


def utm_to_lonlat(
    x: np.ndarray, y: np.ndarray, zone: int, north: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Transverse Mercator inverse (Snyder's series)."""
    x = np.asarray(x, dtype=float) - 500_000.0
    y = np.asarray(y, dtype=float)
    if not north:
        y = y - 10_000_000.0
    m = y / _K0
    mu = m / (_A * (1 - _E2 / 4 - 3 * _E2**2 / 64 - 5 * _E2**3 / 256))
    e1 = (1 - math.sqrt(1 - _E2)) / (1 + math.sqrt(1 - _E2))
    phi1 = (
        mu
        + (3 * e1 / 2 - 27 * e1**3 / 32) * np.sin(2 * mu)
        + (21 * e1**2 / 16 - 55 * e1**4 / 32) * np.sin(4 * mu)
        + (151 * e1**3 / 96) * np.sin(6 * mu)
        + (1097 * e1**4 / 512) * np.sin(8 * mu)
    )
    n1 = _A / np.sqrt(1 - _E2 * np.sin(phi1) ** 2)
    t1 = np.tan(phi1) ** 2
    c1 = _EP2 * np.cos(phi1) ** 2
    r1 = _A * (1 - _E2) / (1 - _E2 * np.sin(phi1) ** 2) ** 1.5
    d = x / (n1 * _K0)
    lat = phi1 - (n1 * np.tan(phi1) / r1) * (
        d**2 / 2
        - (5 + 3 * t1 + 10 * c1 - 4 * c1**2 - 9 * _EP2) * d**4 / 24
        + (61 + 90 * t1 + 298 * c1 + 45 * t1**2 - 252 * _EP2 - 3 * c1**2) * d**6 / 720
    )
    lon = (
        d
        - (1 + 2 * t1 + c1) * d**3 / 6
        + (5 - 2 * c1 + 28 * t1 - 3 * c1**2 + 8 * _EP2 + 24 * t1**2) * d**5 / 120
    ) / np.cos(phi1)
    lon = (np.degrees(lon) + central_meridian(zone) + 180.0) % 360.0 - 180.0
    return lon, np.degrees(lat)


# MGRS -----------------------------------------------------------------------------------------


def utm_zone(lon: float, lat: float) -> int:
    """UTM zone of a point, with the Norway and Svalbard exceptions."""
    lon = ((lon + 180.0) % 360.0) - 180.0
    zone = int((lon + 180.0) // 6.0) + 1
    if 56.0 <= lat < 64.0 and 3.0 <= lon < 12.0:
        zone = 32
    if 72.0 <= lat < 84.0:
        for lo, hi, z in ((0.0, 9.0, 31), (9.0, 21.0, 33), (21.0, 33.0, 35), (33.0, 42.0, 37)):
            if lo <= lon < hi:
                zone = z
    return min(zone, 60)


def latitude_band(lat: float) -> str:
    if not -80.0 <= lat <= 84.0:
        raise ValueError(f"latitude {lat} is outside the MGRS bands (80 S .. 84 N)")
    return BANDS[min(int((lat + 80.0) // 8.0), len(BANDS) - 1)]


def _band_range(band: str) -> tuple[float, float]:
    index = BANDS.index(band)
    south = -80.0 + 8.0 * index
    return south, 84.0 if band == "X" else south + 8.0


def square_letters(zone: int, easting: float, northing: float) -> str:
    """The two 100 km square letters of a UTM coordinate."""
    column = int(easting // SQUARE)
    if not 1 <= column <= 8:
        raise ValueError(f"easting {easting} is outside a UTM zone")
    col_letter = COLUMN_SETS[zone % 3][column - 1]
    row = int(northing // SQUARE)
    shift = 5 if zone % 2 == 0 else 0
    row_letter = ROW_LETTERS[(row + shift) % 20]
    return col_letter + row_letter


def tile_of(lon: float, lat: float) -> Tile:
    """The tile whose 100 km square holds the point."""
    zone = utm_zone(lon, lat)
    north = lat >= 0
    x, y = lonlat_to_utm(np.array([lon]), np.array([lat]), zone, north)
    ex, ny = float(x[0]), float(y[0])
    tile_id = f"{zone:02d}{latitude_band(lat)}{square_letters(zone, ex, ny)}"
    return Tile(tile_id, zone, north, (ex // SQUARE) * SQUARE,
                (ny // SQUARE) * SQUARE + SQUARE - TILE_SIZE)


@lru_cache(maxsize=4096)
def tile(tile_id: str) -> Tile:
    """The tile of an id such as ``32UPU`` (UTM extent of the 109.8 km tile)."""
    tile_id = tile_id.upper().removeprefix("T")
    if len(tile_id) != 5 or not tile_id[:2].isdigit():
        raise ValueError(f"not an MGRS tile id: {tile_id!r}")
    zone = int(tile_id[:2])
    band, col_letter, row_letter = tile_id[2], tile_id[3], tile_id[4]
    if not 1 <= zone <= 60 or band not in BANDS:
        raise ValueError(f"not an MGRS tile id: {tile_id!r}")
    columns = COLUMN_SETS[zone % 3]
    if col_letter not in columns or row_letter not in ROW_LETTERS:
        raise ValueError(f"not an MGRS tile id: {tile_id!r}")
    xmin = (columns.index(col_letter) + 1) * SQUARE
    south, north_lat = _band_range(band)
    north = south >= 0
    cm = central_meridian(zone)
    _, ys = lonlat_to_utm(np.array([cm, cm]), np.array([south, north_lat]), zone, north)
    y_lo, y_hi = float(ys[0]), float(ys[1])
    shift = 5 if zone % 2 == 0 else 0
    wanted = ROW_LETTERS.index(row_letter)
    best: float | None = None
    centre = (y_lo + y_hi) / 2
    for row in range(int(y_lo // SQUARE) - 12, int(y_hi // SQUARE) + 13):
        if (row + shift) % 20 != wanted:
            continue
        y0 = row * SQUARE
        # the square must overlap the band (squares straddling a band edge belong to both)
        if y0 + SQUARE <= y_lo - 1 or y0 >= y_hi + 1:
            continue
        if best is None or abs(y0 + SQUARE / 2 - centre) < abs(best + SQUARE / 2 - centre):
            best = y0
    if best is None:
        raise ValueError(f"tile {tile_id} does not exist: row {row_letter} is not in band {band}")
    return Tile(tile_id, zone, north, xmin, best + SQUARE - TILE_SIZE)


def is_valid_tile_id(tile_id: str) -> bool:
    try:
        t = tile(tile_id)
    except ValueError:
        return False
    # the square must lie (at least partly) inside its zone and band
    lon, lat = t.center_lonlat()
    south, north_lat = _band_range(tile_id[2])
    dlon = (lon - central_meridian(t.zone) + 180.0) % 360.0 - 180.0
    return south - 1.0 <= lat <= north_lat + 1.0 and abs(dlon) < 9.0
