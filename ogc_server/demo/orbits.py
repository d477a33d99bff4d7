"""A small model of the Sentinels' sun-synchronous repeat orbits, good to a few kilometres.

Circular orbit over a spherical Earth: the satellite crosses the equator northwards (ascending
node, ANX) once per nodal period ``P = cycle_days * 86400 / orbits_per_cycle``; the ground
track repeats after one cycle. Sun-synchronous means the ascending node stays at a fixed local
mean solar time (LTAN), so the longitude of the node follows from its UTC time alone:
``lon_anx = 15 * (LTAN - UTC hours)``. Within an orbit, with ``u`` the angle travelled since
the node::

    lat = asin(sin i * sin u)
    lon = lon_anx + atan2(cos i * sin u, cos u) - omega * (t - t_anx)

where ``omega`` is the Earth's rotation relative to the mean sun (360 degrees per 86 400 s).

Each satellite is pinned by one ascending node time of a real product (the ``ascendingNodeTime``
of an S1 annotation; for S2, S3 and S5P the node time that puts a real product's scene under
the track) and its absolute orbit number; the absolute orbit of any time follows, and the
relative orbit is ``((absolute - offset) % orbits_per_cycle) + 1`` as in the mission's products.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

EARTH_RADIUS_KM = 6371.0
OMEGA = 2 * math.pi / 86400.0  # rad/s, Earth relative to the mean sun


def _ts(moment: datetime) -> float:
    return moment.timestamp()


@dataclass(frozen=True, slots=True)
class Orbit:
    """The orbit of one satellite."""

    satellite: str
    """``S1A`` ... ``S5P``."""
    inclination: float
    orbits_per_cycle: int
    cycle_days: int
    ltan_hours: float
    ref_orbit: int
    ref_anx: datetime
    rel_offset: int
    cycle_offset: int = 1
    orbit_start: float = 0.0
    """Where the products' orbit count turns, in periods after the ascending node."""
    active_from: datetime | None = None
    active_until: datetime | None = None

    @property
    def period(self) -> float:
        """Nodal period in seconds."""
        return self.cycle_days * 86400.0 / self.orbits_per_cycle

    def active(self, moment: datetime) -> bool:
        return (self.active_from is None or moment >= self.active_from) and (
            self.active_until is None or moment < self.active_until
        )

    # Numbers ----------------------------------------------------------------------------------

    def absolute_orbit(self, moment: datetime) -> int:
        """Absolute orbit number at ``moment`` (orbits start at the ascending node)."""
        elapsed = (_ts(moment) - _ts(self.ref_anx)) / self.period
        return self.ref_orbit + math.floor(elapsed - self.orbit_start)

    def anx_time(self, orbit: int) -> datetime:
        return self.ref_anx + timedelta(seconds=(orbit - self.ref_orbit) * self.period)

    def relative_orbit(self, orbit: int) -> int:
        return (orbit - self.rel_offset) % self.orbits_per_cycle + 1

    def cycle(self, orbit: int) -> int:
        return (orbit - self.rel_offset) // self.orbits_per_cycle + self.cycle_offset

    # Geometry (vectorised over orbit numbers and seconds since the node) ---------------------

    def _anx_seconds(self, orbit: np.ndarray) -> np.ndarray:
        return _ts(self.ref_anx) + (np.asarray(orbit, dtype=float) - self.ref_orbit) * self.period

    def _anx_lon(self, orbit: np.ndarray) -> np.ndarray:
        t = self._anx_seconds(orbit)
        utc_hours = (t % 86400.0) / 3600.0
        return np.radians(((15.0 * (self.ltan_hours - utc_hours)) + 180.0) % 360.0 - 180.0)

    def ground_point(self, orbit: np.ndarray, dt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sub-satellite longitude and latitude (degrees) ``dt`` seconds after the node."""
        inc = math.radians(self.inclination)
        u = 2 * math.pi * np.asarray(dt, dtype=float) / self.period
        lat = np.arcsin(math.sin(inc) * np.sin(u))
        lon = self._anx_lon(orbit) + np.arctan2(math.cos(inc) * np.sin(u), np.cos(u)) - OMEGA * dt
        return _wrap(np.degrees(lon)), np.degrees(lat)

    def heading(self, orbit: np.ndarray, dt: np.ndarray) -> np.ndarray:
        """Azimuth of the ground track (degrees clockwise from north)."""
        lon0, lat0 = self.ground_point(orbit, np.asarray(dt, dtype=float) - 0.5)
        lon1, lat1 = self.ground_point(orbit, np.asarray(dt, dtype=float) + 0.5)
        return bearing(lon0, lat0, lon1, lat1)

    def swath_point(
        self, orbit: np.ndarray, dt: np.ndarray, cross_km: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Point ``cross_km`` to the right of the track (negative: left) at ``dt``."""
        lon, lat = self.ground_point(orbit, dt)
        return destination(lon, lat, self.heading(orbit, dt) + 90.0, cross_km)

    def ground_speed(self) -> float:
        """km/s along the ground track (sphere, ignoring the Earth's rotation)."""
        return 2 * math.pi * EARTH_RADIUS_KM / self.period

    def is_ascending(self, dt: np.ndarray) -> np.ndarray:
        u = (np.asarray(dt, dtype=float) / self.period) % 1.0
        return (u < 0.25) | (u > 0.75)

    # Passes -----------------------------------------------------------------------------------

    def passes(
        self,
        lon: float,
        lat: float,
        start: datetime,
        stop: datetime,
        *,
        ascending: bool | None = None,
        cross_km: tuple[float, float] = (-100.0, 100.0),
    ) -> list[tuple[int, float, float]]:
        """Overpasses of a point between ``start`` and ``stop``.

        Returns ``(orbit, seconds after the node of closest approach, cross-track km)`` with the
        cross-track distance (positive to the right of the flight direction) inside
        ``cross_km``. ``ascending`` picks one kind of pass (``None``: both).
        """
        if abs(lat) > self.inclination_limit() - 0.5:
            return []
        first = self.absolute_orbit(start) - 1
        last = self.absolute_orbit(stop) + 1
        orbits = np.arange(first, last + 1)
        inc = math.radians(self.inclination)
        u_asc = math.asin(max(-1.0, min(1.0, math.sin(math.radians(lat)) / math.sin(inc))))
        found: list[tuple[int, float, float]] = []
        for asc, u0 in ((True, u_asc % (2 * math.pi)), (False, math.pi - u_asc)):
            if ascending is not None and asc != ascending:
                continue
            dt = np.full(orbits.shape, u0 * self.period / (2 * math.pi))
            for _ in range(3):  # move to the point of closest approach
                plon, plat = self.ground_point(orbits, dt)
                head = self.heading(orbits, dt)
                dist = distance_km(plon, plat, lon, lat)
                to_point = bearing(plon, plat, np.full_like(plon, lon), np.full_like(plat, lat))
                along = np.clip(dist * np.cos(np.radians(to_point - head)), -1500.0, 1500.0)
                dt = dt + along / self.ground_speed()
            plon, plat = self.ground_point(orbits, dt)
            head = self.heading(orbits, dt)
            dist = distance_km(plon, plat, lon, lat)
            to_point = bearing(plon, plat, np.full_like(plon, lon), np.full_like(plat, lat))
            cross = dist * np.sin(np.radians(to_point - head))
            when = self._anx_seconds(orbits) + dt
            ok = (
                (cross >= cross_km[0]) & (cross <= cross_km[1])
                & (dist < abs(cross) + 50.0)
                & (self.is_ascending(dt) == asc)
                & (when >= _ts(start)) & (when < _ts(stop))
            )
            for when_s, c in zip(when[ok], cross[ok], strict=True):
                moment = datetime.fromtimestamp(float(when_s), UTC)
                orbit = self.absolute_orbit(moment)
                found.append((orbit, float(when_s - self._anx_seconds(np.array(orbit))), float(c)))
        found.sort(key=lambda item: float(self._anx_seconds(np.array(item[0]))) + item[1])
        return found

    def inclination_limit(self) -> float:
        return 180.0 - self.inclination if self.inclination > 90 else self.inclination

    def time_of(self, orbit: int, dt: float) -> datetime:
        return self.anx_time(orbit) + timedelta(seconds=dt)


# Spherical helpers ----------------------------------------------------------------------------


def _wrap(lon: np.ndarray) -> np.ndarray:
    return (np.asarray(lon) + 180.0) % 360.0 - 180.0


def bearing(lon0, lat0, lon1, lat1) -> np.ndarray:
    """Initial great-circle azimuth from point 0 to point 1 (degrees)."""
    p0, p1 = np.radians(lat0), np.radians(lat1)
    dl = np.radians(np.asarray(lon1) - np.asarray(lon0))
    y = np.sin(dl) * np.cos(p1)
    x = np.cos(p0) * np.sin(p1) - np.sin(p0) * np.cos(p1) * np.cos(dl)
    return np.degrees(np.arctan2(y, x))


def distance_km(lon0, lat0, lon1, lat1) -> np.ndarray:
    p0, p1 = np.radians(lat0), np.radians(lat1)
    dl = np.radians(np.asarray(lon1) - np.asarray(lon0))
    a = np.sin((p1 - p0) / 2) ** 2 + np.cos(p0) * np.cos(p1) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def destination(lon, lat, azimuth, km) -> tuple[np.ndarray, np.ndarray]:
    """Point ``km`` away from (lon, lat) along ``azimuth`` (degrees) on the sphere."""
    p = np.radians(lat)
    az = np.radians(azimuth)
    d = np.asarray(km, dtype=float) / EARTH_RADIUS_KM
    p2 = np.arcsin(np.sin(p) * np.cos(d) + np.cos(p) * np.sin(d) * np.cos(az))
    l2 = np.radians(lon) + np.arctan2(
        np.sin(az) * np.sin(d) * np.cos(p), np.cos(d) - np.sin(p) * np.sin(p2)
    )
    return _wrap(np.degrees(l2)), np.degrees(p2)


# The fleet ------------------------------------------------------------------------------------

def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


#: Sentinel-1: 175 orbits in 12 days, 98.18 degrees, dawn-dusk (node at 18:00). S1A pinned by
#: S1A_IW_GRDH_1SDV_20210809T173953_..._039156 (ANX 17:27:46.469908, relative orbit 59);
#: S1C by S1C_S4_GRDH_1SDH_20250118T171404_..._000638 (ANX 17:01:49.302142, relative 15).
S1A = Orbit("S1A", 98.18, 175, 12, 18.0, 39156, _utc("2021-08-09T17:27:46.469908"), 73, 15)
S1C = Orbit("S1C", 98.18, 175, 12, 18.0, 638, _utc("2025-01-18T17:01:49.302142"), 99, 4,
            active_from=_utc("2025-05-20T00:00:00"))
#: Sentinel-2: 143 orbits in 10 days, 98.62 degrees, descending node 10:30 (ascending 22:30).
#: Relative orbits as in the products (S2A 041826 -> R073, S2B 026649 -> R025); node times
#: fitted to the tile sensing times of ten sample tiles (all then lie within 190 km of nadir).
S2A = Orbit("S2A", 98.62, 143, 10, 22.5, 41826, _utc("2023-06-25T23:16:18.000000"), -2,
            active_until=_utc("2025-01-21T00:00:00"))
S2B = Orbit("S2B", 98.62, 143, 10, 22.5, 26649, _utc("2022-04-13T14:42:41.000000"), 27)
#: S2C took over S2A's place in the constellation on 2025-01-21 (same ground tracks, so the
#: node times continue S2A's); absolute orbits counted from its launch on 2024-09-05.
S2C = Orbit("S2C", 98.62, 143, 10, 22.5, 1987, _utc("2025-01-21T00:06:38.979021"), 127,
            active_from=_utc("2025-01-21T00:00:00"))
#: Sentinel-3: 385 orbits in 27 days, 98.65 degrees, descending node 10:00. The frame
#: products' along-track coordinate is the frame start in seconds after the node: S3A pinned by
#: S3A_OL_1_EFR____20211021T073827 (orbit 29567, frame 4320), S3B by
#: S3B_OL_2_WFR____20260301T234556 (orbit 40884, frame 2520).
S3A = Orbit("S3A", 98.65, 385, 27, 22.0, 29567, _utc("2021-10-21T06:26:27.254946"), -26, 1)
S3B = Orbit("S3B", 98.65, 385, 27, 22.0, 40884, _utc("2026-03-01T23:03:55.931306"), -112, 11)
#: Sentinel-5P: 227 orbits in 16 days, 98.74 degrees, ascending node 13:30. Pinned by
#: S5P_NRTI_L2__NO2____20210827T012135_..._20056 (equator crossing at 01:23:57 UTC). The
#: products count orbits from a quarter period before the node (the southern turning point).
S5P = Orbit("S5P", 98.74, 227, 16, 13.5, 20056, _utc("2021-08-27T01:23:57.000000"), 0, 1,
            orbit_start=-0.25)

FLEET: dict[str, tuple[Orbit, ...]] = {
    "Sentinel-1": (S1A, S1C),
    "Sentinel-2": (S2A, S2B, S2C),
    "Sentinel-3": (S3A, S3B),
    "Sentinel-5P": (S5P,),
}
