"""Browse COGs warped into a map's grid: exact where it matters, without GDAL's per-call cost.

A map draws a few browse COGs (:mod:`ogc_server.view.render`); GDAL's warper spends most of
its time per call setting itself up, which for a 256 x 256 map costs more than the resampling.
Here the work is split by what it depends on:

* :class:`MapGrid` (per map and source CRS): where each map pixel centre lies in the source
  raster, transformed exactly on a grid every :data:`GRID_STEP` pixels and interpolated
  bilinearly in between (what GDAL's approximate transformer does, with its error bound of an
  eighth of a pixel at map scales), only over the part of the map that can reach the raster;
* :class:`BrowseCache` (per file and overview level, shared by all requests): the COG's
  georeferencing and its decoded overview levels, kept in a bounded least-recently-used cache
  keyed by the file's path, size and modification time (a replaced browse is read again, an
  evicted product's is never asked for); levels larger than :data:`WHOLE_LEVEL_PIXELS` are
  not cached whole: only the window under the map is read from them;
* :func:`sample` (per product): the decoded pixels under the map's pixel centres, bilinear
  where the map is coarser than the level and nearest where it is finer (a pixel shows as a
  square), outside the raster transparent black (as GDAL's warper with destination no-data 0
  gives).
"""

from __future__ import annotations

import math
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.crs import CRS
from rasterio.errors import RasterioError
from rasterio.warp import transform
from rasterio.windows import Window

from ogc_server.ingest.browse import BAND_GRID_TAG
from ogc_server.view.mapspec import MapSpec

#: Map pixels between two exactly transformed points.
GRID_STEP = 16
#: Overview levels up to this many pixels are decoded and cached whole.
WHOLE_LEVEL_PIXELS = 2048 * 2048
#: Decoded pixels kept for all requests together.
CACHE_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class BrowseInfo:
    """What a browse COG's header says: grid, bands and overview factors."""

    crs: CRS
    transform: Any
    width: int
    height: int
    bands: tuple[int, ...]  # the file's bands as red, green, blue, alpha
    factors: tuple[int, ...]
    band_grid: bool = False  # the pixels are the product bands' own (ingest's BAND_GRID_TAG)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a map's pixel centres fall in a COG's full-resolution pixel grid."""

    ys: np.ndarray  # map rows and columns of the pixel centres inside the raster
    xs: np.ndarray
    col: np.ndarray  # their (fractional) column and row in the COG's full-resolution grid
    row: np.ndarray
    ratio: float  # source pixels per map pixel (> 1: the map is coarser than the COG)


class MapGrid:
    """The map's pixel centres in other CRSs, computed once per CRS and map."""

    def __init__(self, spec: MapSpec):
        self.spec = spec
        self._grids: dict[str, tuple[np.ndarray, ...] | None] = {}

    def grid(self, crs: CRS) -> tuple[np.ndarray, ...] | None:
        """(gx, gy, sx, sy): the map pixels of the exactly transformed grid (columns ``gx``,
        rows ``gy``) and their (x, y) in ``crs`` (NaN where not transformable); ``None`` if
        no point is."""
        key = crs.to_wkt()
        if key not in self._grids:
            self._grids[key] = self._compute(crs)
        return self._grids[key]

    def _compute(self, crs: CRS) -> tuple[np.ndarray, ...] | None:
        spec = self.spec
        gx = np.unique(np.r_[np.arange(0, spec.width, GRID_STEP), spec.width - 1])
        gy = np.unique(np.r_[np.arange(0, spec.height, GRID_STEP), spec.height - 1])
        px, py = np.meshgrid(gx.astype(np.float64) + 0.5, gy.astype(np.float64) + 0.5)
        t = spec.transform
        mx = t.c + px * t.a + py * t.b
        my = t.f + px * t.d + py * t.e
        if crs == spec.crs:
            return gx, gy, mx, my
        try:
            xs, ys = transform(spec.crs, crs, mx.ravel().tolist(), my.ravel().tolist())
        except (RasterioError, ValueError):
            return None
        sx = np.asarray(xs, dtype=np.float64).reshape(px.shape)
        sy = np.asarray(ys, dtype=np.float64).reshape(px.shape)
        bad = ~(np.isfinite(sx) & np.isfinite(sy))
        if bad.all():
            return None
        sx[bad] = np.nan
        sy[bad] = np.nan
        return gx, gy, sx, sy

    def place(self, info: BrowseInfo) -> Placement | None:
        """The map's pixel centres in ``info``'s pixel grid; ``None`` if none falls inside.

        The grid points go to the raster's pixel grid (an affine step), which says which part
        of the map can reach the raster (grid points within a grid cell's reach of it, one
        cell more around them); only that rectangle is interpolated pixel by pixel (the
        affine step commutes with the interpolation, so interpolating pixel positions is
        interpolating coordinates).
        """
        found = self.grid(info.crs)
        if found is None:
            return None
        gx, gy, sx, sy = found
        inverse = ~info.transform
        gc = inverse.a * sx + inverse.b * sy + inverse.c
        gr = inverse.d * sx + inverse.e * sy + inverse.f
        with np.errstate(invalid="ignore"):
            reach = max(_largest_step(gc), _largest_step(gr), 1.0)
            near = ((gc >= -reach) & (gc <= info.width + reach)
                    & (gr >= -reach) & (gr <= info.height + reach))
        if not near.any():
            return None
        rows, cols = np.nonzero(near)
        y0 = int(gy[max(int(rows.min()) - 1, 0)])
        y1 = int(gy[min(int(rows.max()) + 1, len(gy) - 1)]) + 1
        x0 = int(gx[max(int(cols.min()) - 1, 0)])
        x1 = int(gx[min(int(cols.max()) + 1, len(gx) - 1)]) + 1
        col = _densify(gc, gx, gy, x0, x1, y0, y1)
        row = _densify(gr, gx, gy, x0, x1, y0, y1)
        with np.errstate(invalid="ignore"):
            inside = (col >= 0) & (col < info.width) & (row >= 0) & (row < info.height)
        at_y, at_x = np.nonzero(inside)
        if not len(at_y):
            return None
        ratio = _ratio(col, row, at_y, at_x)
        if ratio is None:
            return None
        return Placement(at_y + y0, at_x + x0, col[at_y, at_x], row[at_y, at_x], ratio)


def _largest_step(values: np.ndarray) -> float:
    """The largest change of ``values`` between neighbouring grid points (0 if none)."""
    steps = [float(np.nanmax(np.abs(np.diff(values, axis=axis))))
             for axis in (0, 1) if values.shape[axis] > 1 and not np.isnan(values).all()]
    finite = [v for v in steps if math.isfinite(v)]
    return max(finite, default=0.0)


def _densify(values: np.ndarray, gx: np.ndarray, gy: np.ndarray, x0: int, x1: int, y0: int,
             y1: int) -> np.ndarray:
    """Bilinear interpolation of grid ``values`` (at map pixels ``gy`` x ``gx``) to the map
    pixels of rows ``y0:y1`` and columns ``x0:x1``."""
    cols = np.arange(x0, x1, dtype=np.float64)
    rows = np.arange(y0, y1, dtype=np.float64)
    across = np.empty((len(gy), len(cols)), dtype=np.float64)
    for i in range(len(gy)):
        across[i] = np.interp(cols, gx, values[i]) if len(gx) > 1 else values[i, 0]
    if len(gy) == 1:
        return np.repeat(across, len(rows), axis=0)
    index = np.clip(np.searchsorted(gy, rows, side="right") - 1, 0, len(gy) - 2)
    weight = ((rows - gy[index]) / (gy[index + 1] - gy[index]))[:, None]
    return across[index] * (1.0 - weight) + across[index + 1] * weight


def _ratio(col: np.ndarray, row: np.ndarray, at_y: np.ndarray,
           at_x: np.ndarray) -> float | None:
    """Source pixels per map pixel, measured at the middle of the map's part in the raster
    (the smaller of the steps along the map's rows and columns)."""
    middle = len(at_y) // 2
    y, x = int(at_y[middle]), int(at_x[middle])
    height, width = col.shape
    x1 = x + 1 if x + 1 < width else x - 1
    y1 = y + 1 if y + 1 < height else y - 1
    steps = []
    if x1 >= 0:
        steps.append(math.hypot(col[y, x1] - col[y, x], row[y, x1] - row[y, x]))
    if y1 >= 0:
        steps.append(math.hypot(col[y1, x] - col[y, x], row[y1, x] - row[y, x]))
    steps = [v for v in steps if math.isfinite(v) and v > 0]
    return min(steps) if steps else None


class BrowseCache:
    """Georeferencing and decoded overview levels of browse COGs, least recently used out."""

    def __init__(self, max_bytes: int = CACHE_BYTES,
                 whole_level_pixels: int = WHOLE_LEVEL_PIXELS):
        self.max_bytes = max_bytes
        self.whole_level_pixels = whole_level_pixels
        self.bytes = 0
        self._lock = threading.Lock()
        self._infos: OrderedDict[tuple, BrowseInfo] = OrderedDict()
        self._levels: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def info(self, path: Path) -> tuple[BrowseInfo, tuple]:
        """The COG's :class:`BrowseInfo` and the key of this version of the file."""
        stat = os.stat(path)
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        with self._lock:
            hit = self._infos.get(key)
            if hit is not None:
                self._infos.move_to_end(key)
                return hit, key
        with rasterio.open(path) as src:
            bands = (1, 2, 3, 4) if src.count >= 4 else (1, 1, 1, 2)
            info = BrowseInfo(src.crs, src.transform, src.width, src.height, bands,
                              tuple(src.overviews(1)),
                              src.tags().get(BAND_GRID_TAG, "").lower() == "yes")
        with self._lock:
            self._infos[key] = info
            while len(self._infos) > 4096:
                self._infos.popitem(last=False)
        return info, key

    def pixels(self, path: Path, key: tuple, info: BrowseInfo, level: int | None,
               placement: Placement) -> tuple[np.ndarray, float, float, float] | None:
        """The decoded bands of overview ``level`` under the placement (the distinct bands of
        ``info.bands`` in ascending order: see :func:`band_rows`), the level's factor and the
        (column, row) in the level of the array's first pixel; ``None`` if nothing is under."""
        factor = 1.0 if level is None else float(info.factors[level])
        width = math.ceil(info.width / factor)
        height = math.ceil(info.height / factor)
        distinct = sorted(set(info.bands))
        if width * height <= self.whole_level_pixels:
            cache_key = (*key, level)
            with self._lock:
                hit = self._levels.get(cache_key)
                if hit is not None:
                    self._levels.move_to_end(cache_key)
                    self.hits += 1
                    return hit, factor, 0.0, 0.0
            data = self._read(path, level, distinct, None)
            data.flags.writeable = False
            with self._lock:
                self.misses += 1
                if cache_key not in self._levels:
                    self._levels[cache_key] = data
                    self.bytes += data.nbytes
                while self.bytes > self.max_bytes and len(self._levels) > 1:
                    _, dropped = self._levels.popitem(last=False)
                    self.bytes -= dropped.nbytes
            return data, factor, 0.0, 0.0
        cols = placement.col / factor
        rows = placement.row / factor
        c0 = max(int(math.floor(float(cols.min()))) - 1, 0)
        r0 = max(int(math.floor(float(rows.min()))) - 1, 0)
        c1 = min(int(math.ceil(float(cols.max()))) + 2, width)
        r1 = min(int(math.ceil(float(rows.max()))) + 2, height)
        if c1 <= c0 or r1 <= r0:
            return None
        window = Window(c0, r0, c1 - c0, r1 - r0)
        return self._read(path, level, distinct, window), factor, float(c0), float(r0)

    @staticmethod
    def _read(path: Path, level: int | None, bands: list[int],
              window: Window | None) -> np.ndarray:
        opened = rasterio.open(path, overview_level=level) if level is not None else \
            rasterio.open(path)
        with opened as src:
            return src.read(bands, window=window)

    def clear(self) -> None:
        with self._lock:
            self._infos.clear()
            self._levels.clear()
            self.bytes = 0


def band_rows(info: BrowseInfo) -> list[int]:
    """For each output band (red, green, blue, alpha), its row in :meth:`BrowseCache.pixels`."""
    distinct = sorted(set(info.bands))
    return [distinct.index(band) for band in info.bands]


def sample(data: np.ndarray, band_rows: list[int], placement: Placement, factor: float,
           col0: float, row0: float, out: np.ndarray) -> None:
    """Samples of ``data`` (bands, h, w) at the placement's pixel centres, written into
    ``out`` (len(band_rows), H, W) uint8 where the centres fall inside the raster.

    Where the map is finer than the level (an enlargement) the nearest pixel, so that a
    source pixel shows as a square of its true size; otherwise bilinear.
    """
    height, width = data.shape[1:]
    ys, xs = placement.ys, placement.xs
    flat = data.reshape(data.shape[0], -1)
    done: dict[int, np.ndarray] = {}
    if placement.ratio < factor:
        col_index = np.floor(placement.col / factor - col0).astype(np.intp)
        row_index = np.floor(placement.row / factor - row0).astype(np.intp)
        np.clip(col_index, 0, width - 1, out=col_index)
        np.clip(row_index, 0, height - 1, out=row_index)
        where = row_index * width + col_index
        for index, band in enumerate(band_rows):
            if band not in done:
                done[band] = flat[band][where]
            out[index, ys, xs] = done[band]
        return
    # pixel centres of the level's grid sit at half-pixel offsets
    col = placement.col / factor - col0 - 0.5
    row = placement.row / factor - row0 - 0.5
    np.clip(col, 0.0, width - 1, out=col)
    np.clip(row, 0.0, height - 1, out=row)
    c0 = col.astype(np.intp)
    r0 = row.astype(np.intp)
    c1 = np.minimum(c0 + 1, width - 1)
    top = r0 * width
    bottom = np.minimum(r0 + 1, height - 1) * width
    # fixed point: weights in 1/128ths, rounded after each direction (within one level of
    # the exact blend), in 16-bit integers: three times faster than floating point
    right = np.rint((col - c0) * 128).astype(np.int16)
    left = 128 - right
    lower = np.rint((row - r0) * 128).astype(np.int16)
    upper = 128 - lower
    for index, band in enumerate(band_rows):
        if band not in done:
            v = flat[band]
            above = (v[top + c0].astype(np.int16) * left
                     + v[top + c1].astype(np.int16) * right + 64) >> 7
            below = (v[bottom + c0].astype(np.int16) * left
                     + v[bottom + c1].astype(np.int16) * right + 64) >> 7
            done[band] = ((above * upper + below * lower + 64) >> 7).astype(np.uint8)
        out[index, ys, xs] = done[band]
