"""Plan a coverage request: which bands, which output grid; refuse bad or big requests early.

Everything here runs on the coverage's description alone (no pixel is read), so a request
whose output would exceed the limits is refused before any I/O on the band files.

Axis labels: a projected CRS has ``E`` and ``N`` (``x`` and ``y`` are accepted as the same
axes), a geographic CRS ``Lat`` and ``Long``. Subsets are in the subsetting CRS (by default the
coverage's own); ``Lat``/``Long`` subsets of a projected coverage without a subsetting CRS are
read as EPSG:4326, which is what clients that only know the WGS84 bounding box send. A slice
(``Lat(47.1)``) trims to the one pixel that holds the point: our outputs are 2-D images.

Scaling follows the WCS 2.0 Scaling extension: a factor multiplies the number of pixels of an
axis (0.5 halves it), a size sets it. Without scaling the output keeps the native resolution;
in the native CRS the region is snapped outward to the native pixel grid, so values pass
through unresampled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.errors import CRSError
from rasterio.warp import calculate_default_transform, transform_bounds

from ogc_server.coverage.errors import (
    InvalidAxisLabel,
    InvalidParameter,
    InvalidSubsetting,
    TooLarge,
)
from ogc_server.coverage.sources import Band, CoverageSource

X_LABELS = frozenset({"e", "x", "long", "lon"})
Y_LABELS = frozenset({"n", "y", "lat"})
GEOGRAPHIC_LABELS = frozenset({"long", "lon", "lat"})
WGS84 = CRS.from_epsg(4326)


@dataclass(frozen=True, slots=True)
class Subset:
    """A trim (``low``/``high``; ``None`` for ``*``) or a slice (``low == high``, ``slice``)."""

    axis: str
    low: float | None
    high: float | None
    slice: bool = False


@dataclass(frozen=True, slots=True)
class Scaling:
    """At most one of: a factor for every axis, factors per axis, sizes per axis."""

    factor: float | None = None
    axes: dict[str, float] = field(default_factory=dict)
    size: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CoverageRequest:
    subsets: tuple[Subset, ...] = ()
    subsetting_crs: CRS | None = None
    output_crs: CRS | None = None
    scaling: Scaling = Scaling()
    bands: tuple[str, ...] = ()
    """Band names in output order; empty means all bands."""
    resampling: Resampling = Resampling.nearest
    media_type: str = "image/tiff"


@dataclass(frozen=True, slots=True)
class Limits:
    """The largest output a request may ask for."""

    max_side: int = 8192
    max_pixels: int = 8192 * 8192
    max_bytes: int = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Plan:
    """The output of a request: the bands and the grid the pixels are read onto."""

    source: CoverageSource
    bands: tuple[Band, ...]
    crs: CRS
    transform: Affine
    width: int
    height: int
    resampling: Resampling
    media_type: str

    @property
    def native(self) -> bool:
        """True when the output is on the coverage's own grid (no reprojection)."""
        return not self.source.by_gcps and self.crs == self.source.crs

    @property
    def bytes(self) -> int:
        return self.width * self.height * len(self.bands) * np.dtype(self.source.dtype).itemsize


def axis_labels(crs: CRS) -> tuple[str, str]:
    """The labels of the horizontal and the vertical axis (in that order)."""
    return ("Long", "Lat") if crs.is_geographic else ("E", "N")


def plan(source: CoverageSource, request: CoverageRequest, limits: Limits) -> Plan:
    """The output of ``request`` on ``source``; raises a coverage error, reads no pixel."""
    bands = _bands(source, request.bands)
    out_crs = request.output_crs or source.crs
    subset_crs, (x_range, y_range) = _subsets(source, request)
    extent = _bounds_in(source.crs, subset_crs, source.bounds)
    region = _intersect(extent, x_range, y_range)
    out_extent = _bounds_in(source.crs, out_crs, source.bounds)
    region = _bounds_in(subset_crs, out_crs, region)
    region = (max(region[0], out_extent[0]), max(region[1], out_extent[1]),
              min(region[2], out_extent[2]), min(region[3], out_extent[3]))
    if region[0] > region[2] or region[1] > region[3]:
        raise InvalidSubsetting("the subsets do not intersect the coverage", locator="subset")
    if out_crs == source.crs:
        transform, width, height = _snap(source, region)
    else:
        transform, width, height = _regrid(source, out_crs, region)
    transform, width, height = _scale(transform, width, height, request.scaling)
    result = Plan(source, bands, out_crs, transform, width, height, request.resampling,
                  request.media_type)
    _check(result, limits)
    return result


def _bands(source: CoverageSource, names: tuple[str, ...]) -> tuple[Band, ...]:
    if not names:
        return source.bands
    by_name = {band.name.upper(): band for band in source.bands}
    chosen = []
    for name in names:
        band = by_name.get(name.upper())
        if band is None:
            raise InvalidParameter(
                f"no band {name!r}; the coverage has {', '.join(source.band_names())}",
                locator="rangeSubset")
        chosen.append(band)
    return tuple(chosen)


def _subsets(source: CoverageSource, request: CoverageRequest
             ) -> tuple[CRS, tuple[tuple[float | None, float | None], ...]]:
    labels = {s.axis.lower() for s in request.subsets}
    subset_crs = request.subsetting_crs or source.crs
    if (request.subsetting_crs is None and not source.crs.is_geographic and labels
            and labels <= GEOGRAPHIC_LABELS):
        subset_crs = WGS84
    allowed = GEOGRAPHIC_LABELS if subset_crs.is_geographic else X_LABELS | Y_LABELS
    if subset_crs.is_geographic:
        allowed = allowed | {"x", "y"}
    ranges: dict[str, tuple[float | None, float | None]] = {}
    for subset in request.subsets:
        label = subset.axis.lower()
        if label not in allowed or (subset_crs.is_geographic and label in ("e", "n")):
            names = " and ".join(axis_labels(subset_crs))
            raise InvalidAxisLabel(f"axis {subset.axis!r} is not an axis of the subsetting "
                                   f"CRS (use {names})", locator=subset.axis)
        key = "x" if label in X_LABELS else "y"
        if key in ranges:
            raise InvalidAxisLabel(f"axis {subset.axis!r} is subset twice", locator=subset.axis)
        low, high = subset.low, subset.high
        if low is not None and high is not None and low > high:
            raise InvalidSubsetting(f"subset {subset.axis}: low {low} is above high {high}",
                                    locator=subset.axis)
        for value in (low, high):
            if value is not None and not math.isfinite(value):
                raise InvalidSubsetting(f"subset {subset.axis}: {value} is not a number",
                                        locator=subset.axis)
        ranges[key] = (low, high)
    return subset_crs, (ranges.get("x", (None, None)), ranges.get("y", (None, None)))


def _intersect(extent: tuple[float, float, float, float],
               x_range: tuple[float | None, float | None],
               y_range: tuple[float | None, float | None]) -> tuple[float, float, float, float]:
    minx = extent[0] if x_range[0] is None else max(extent[0], x_range[0])
    maxx = extent[2] if x_range[1] is None else min(extent[2], x_range[1])
    miny = extent[1] if y_range[0] is None else max(extent[1], y_range[0])
    maxy = extent[3] if y_range[1] is None else min(extent[3], y_range[1])
    if minx > maxx or miny > maxy:
        raise InvalidSubsetting("the subsets lie outside the coverage's extent",
                                locator="subset")
    return minx, miny, maxx, maxy


def _bounds_in(src: CRS, dst: CRS, bounds: tuple[float, float, float, float]
               ) -> tuple[float, float, float, float]:
    if src == dst:
        return bounds
    try:
        minx, miny, maxx, maxy = transform_bounds(src, dst, *bounds, densify_pts=21)
    except (CRSError, ValueError) as exc:
        raise InvalidSubsetting(f"the region cannot be expressed in {dst}: {exc}",
                                locator="subset") from exc
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        raise InvalidSubsetting(f"the region cannot be expressed in {dst}", locator="subset")
    return minx, miny, maxx, maxy


def _snap(source: CoverageSource, region: tuple[float, float, float, float]
          ) -> tuple[Affine, int, int]:
    """The native pixels covering ``region`` (outward), at least one pixel."""
    inverse = ~source.transform
    cols, rows = zip(*(inverse @ (x, y) for x in (region[0], region[2])
                       for y in (region[1], region[3])), strict=True)
    eps = 1e-6
    col0 = max(0, min(source.width - 1, math.floor(min(cols) + eps)))
    row0 = max(0, min(source.height - 1, math.floor(min(rows) + eps)))
    col1 = min(source.width, max(col0 + 1, math.ceil(max(cols) - eps)))
    row1 = min(source.height, max(row0 + 1, math.ceil(max(rows) - eps)))
    transform = source.transform @ Affine.translation(col0, row0)
    return transform, col1 - col0, row1 - row0


def _regrid(source: CoverageSource, crs: CRS, region: tuple[float, float, float, float]
            ) -> tuple[Affine, int, int]:
    """A north-up grid over exactly ``region`` in ``crs``, at about the resolution GDAL would
    choose for the whole coverage."""
    try:
        full, _, _ = calculate_default_transform(source.crs, crs, source.width, source.height,
                                                 *source.bounds)
    except (CRSError, ValueError) as exc:
        raise InvalidParameter(f"the coverage cannot be projected to {crs}: {exc}",
                               locator="outputCrs") from exc
    res_x, res_y = abs(full.a), abs(full.e)
    width = max(1, math.ceil((region[2] - region[0]) / res_x - 1e-6))
    height = max(1, math.ceil((region[3] - region[1]) / res_y - 1e-6))
    # the pixels span the region exactly (their size a hair below the native resolution)
    size_x = (region[2] - region[0]) / width or res_x
    size_y = (region[3] - region[1]) / height or res_y
    return Affine(size_x, 0, region[0], 0, -size_y, region[3]), width, height


def _scale(transform: Affine, width: int, height: int, scaling: Scaling
           ) -> tuple[Affine, int, int]:
    factors = {"x": 1.0, "y": 1.0}
    sizes: dict[str, int] = {}
    if scaling.factor is not None:
        factors = {"x": scaling.factor, "y": scaling.factor}
    for label, value in scaling.axes.items():
        factors[_scale_axis(label, "scaleAxes")] = value
    for label, size in scaling.size.items():
        sizes[_scale_axis(label, "scaleSize")] = size
    if any(not math.isfinite(f) or f <= 0 for f in factors.values()):
        raise InvalidParameter("scale factors must be positive numbers", locator="scaleFactor")
    if any(s <= 0 for s in sizes.values()):
        raise InvalidParameter("scale sizes must be positive integers", locator="scaleSize")
    new_w = sizes.get("x") or max(1, round(width * factors["x"]))
    new_h = sizes.get("y") or max(1, round(height * factors["y"]))
    if (new_w, new_h) == (width, height):
        return transform, width, height
    scaled = transform @ Affine.scale(width / new_w, height / new_h)
    return scaled, new_w, new_h


def _scale_axis(label: str, locator: str) -> str:
    low = label.lower()
    if low in X_LABELS:
        return "x"
    if low in Y_LABELS:
        return "y"
    raise InvalidAxisLabel(f"{locator}: {label!r} is not an axis of the coverage",
                           locator=label)


def _check(result: Plan, limits: Limits) -> None:
    if max(result.width, result.height) > limits.max_side:
        raise TooLarge(f"the output would be {result.width} x {result.height} pixels; at most "
                       f"{limits.max_side} per side are served: subset or scale down",
                       locator="subset")
    if result.width * result.height > limits.max_pixels:
        raise TooLarge(f"the output would be {result.width * result.height} pixels; at most "
                       f"{limits.max_pixels} are served: subset or scale down",
                       locator="subset")
    if result.bytes > limits.max_bytes:
        raise TooLarge(f"the output would be {result.bytes} bytes; at most {limits.max_bytes} "
                       "are served: subset, scale down or ask for fewer bands",
                       locator="subset")
