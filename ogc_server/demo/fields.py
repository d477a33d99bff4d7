"""Seeded, smooth random fields for the demo rasters.

Land cover comes from one fixed synthetic "world": value noise evaluated at longitude/latitude
with a hash of the integer lattice, so every product that covers a place shows the same lakes,
fields and towns there, whatever its sensor or date. Clouds and speckle come from per-product
seeds. Everything is plain numpy and deterministic.
"""

from __future__ import annotations

import numpy as np

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser (uint64 in, uint64 out)."""
    h = h ^ (h >> np.uint64(30))
    h = h * _M1
    h = h ^ (h >> np.uint64(27))
    h = h * _M2
    return h ^ (h >> np.uint64(31))


def _hash(ix: np.ndarray, iy: np.ndarray, seed: int) -> np.ndarray:
    """Uniform [0, 1) value of integer lattice points (nested splitmix64)."""
    with np.errstate(over="ignore"):
        key = _mix(iy.astype(np.int64).astype(np.uint64)
                   + np.uint64(seed & 0xFFFFFFFFFFFFFFFF) * np.uint64(0x9E3779B97F4A7C15))
        h = _mix(ix.astype(np.int64).astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F) + key)
    return (h >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def value_noise(x: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray:
    """Smoothly interpolated lattice noise in [0, 1) (lattice spacing 1)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    x0 = np.floor(x)
    y0 = np.floor(y)
    fx = x - x0
    fy = y - y0
    sx = fx * fx * (3 - 2 * fx)
    sy = fy * fy * (3 - 2 * fy)
    v00 = _hash(x0, y0, seed)
    v10 = _hash(x0 + 1, y0, seed)
    v01 = _hash(x0, y0 + 1, seed)
    v11 = _hash(x0 + 1, y0 + 1, seed)
    top = v00 + (v10 - v00) * sx
    bottom = v01 + (v11 - v01) * sx
    return top + (bottom - top) * sy


def fbm(x: np.ndarray, y: np.ndarray, seed: int, octaves: int = 4,
        gain: float = 0.5) -> np.ndarray:
    """Fractal sum of ``octaves`` value-noise layers, normalised to [0, 1]."""
    total = np.zeros(np.broadcast(x, y).shape)
    amplitude = 1.0
    norm = 0.0
    frequency = 1.0
    for k in range(octaves):
        total += amplitude * value_noise(x * frequency, y * frequency, seed + 7919 * k)
        norm += amplitude
        amplitude *= gain
        frequency *= 2.03
    return total / norm


def world(lon: np.ndarray, lat: np.ndarray, layer: int, scale_deg: float,
          octaves: int = 4) -> np.ndarray:
    """A layer of the fixed synthetic world at (lon, lat), smooth at ``scale_deg`` degrees."""
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    x = lon * np.cos(np.radians(np.clip(lat, -85, 85))) / scale_deg
    y = lat / scale_deg
    return fbm(x, y, 1000 + layer, octaves)


def upsample(a: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of a 2-D grid to ``shape`` (corner-aligned)."""
    rows, cols = a.shape
    r = np.linspace(0, rows - 1, shape[0])
    c = np.linspace(0, cols - 1, shape[1])
    r0 = np.clip(np.floor(r).astype(int), 0, max(rows - 2, 0))
    c0 = np.clip(np.floor(c).astype(int), 0, max(cols - 2, 0))
    fr = (r - r0)[:, None]
    fc = (c - c0)[None, :]
    r1 = np.minimum(r0 + 1, rows - 1)
    c1 = np.minimum(c0 + 1, cols - 1)
    a00 = a[np.ix_(r0, c0)]
    a01 = a[np.ix_(r0, c1)]
    a10 = a[np.ix_(r1, c0)]
    a11 = a[np.ix_(r1, c1)]
    return (a00 * (1 - fc) + a01 * fc) * (1 - fr) + (a10 * (1 - fc) + a11 * fc) * fr


def land_cover(lon: np.ndarray, lat: np.ndarray) -> dict[str, np.ndarray]:
    """Fractions (0..1, summing to 1) of water, vegetation, bare soil and built-up land."""
    water_n = world(lon, lat, 1, 0.35, 5)
    veg_n = world(lon, lat, 2, 0.12, 4)
    urban_n = world(lon, lat, 3, 0.05, 3)
    arid = np.clip((np.abs(np.asarray(lat)) < 35) * (1 - np.abs(np.abs(lat) - 23) / 12), 0, 1)
    water = np.clip((0.36 - water_n) / 0.03, 0, 1)
    urban = np.clip((urban_n - 0.70) / 0.05, 0, 1) * (1 - water)
    veg_share = np.clip((veg_n - 0.35 - 0.35 * arid) / 0.15, 0, 1)
    rest = 1 - water - urban
    return {
        "water": water,
        "vegetation": rest * veg_share,
        "soil": rest * (1 - veg_share),
        "urban": urban,
    }


def cloud_noise(lon: np.ndarray, lat: np.ndarray, seed: int, scale_deg: float = 0.08
                ) -> np.ndarray:
    """The cloud field of one acquisition (seeded), smooth at ``scale_deg`` degrees."""
    return world(lon, lat, 10_000 + seed % 1_000_000, scale_deg, 5)


def opacity(noise: np.ndarray, fraction: float) -> np.ndarray:
    """Cloud opacity 0..1 whose opaque part (>= 0.5) covers ``fraction`` of the pixels."""
    if fraction <= 0:
        return np.zeros_like(noise)
    if fraction >= 1:
        return np.ones_like(noise)
    threshold = float(np.quantile(noise, 1 - fraction))
    return np.clip((noise - threshold) / 0.04 + 0.5, 0, 1)
