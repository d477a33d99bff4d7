"""Maps drawn from a product's original band files, for deep zoom and for band styles.

The browse COG keeps rendered colours at (at most) the bands' resolution. Two kinds of map
need the bands themselves (:func:`ogc_server.view.render.render_browse` decides which):

* a map finer than the browse's own pixels (deep zoom; a decimated browse of a large swath):
  the bands are read at full resolution and drawn with nearest-neighbour resampling, so a
  10 m pixel shows as a 10 m square;
* a style the browse cannot show (false colour, NDVI, the VV/VH composite,
  :mod:`ogc_server.view.styles`).

Where the bands live follows the SAFE layout, as ingestion reads them
(:mod:`ogc_server.ingest.browse`): Sentinel-2 ``GRANULE/*/IMG_DATA/*_B0x.jp2`` (L2A:
``IMG_DATA/R10m/*_B0x_10m.jp2``), Sentinel-1 GRD ``measurement/*-vv-*.tiff`` and ``-vh-``,
which have no map grid and are georeferenced through their ground control points (a
:class:`~rasterio.vrt.WarpedVRT`).

Every read is bounded: GDAL's warper reads only the source window under the map, from the
overview (JPEG 2000 resolution level) nearest above the map's resolution; a read that would
still need more than :data:`MAX_DECIMATION` source pixels per map pixel along an axis is not
made, nor one that would take the request's reads past :data:`MAX_SOURCE_PIXELS`
(:class:`ReadBudget`): the caller draws the browse COG instead.
"""

from __future__ import annotations

import logging
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import shapely
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.errors import RasterioError
from rasterio.vrt import WarpedVRT
from rasterio.warp import reproject, transform
from shapely.geometry import box

from ogc_server.archive.model import OnlineState, Product
from ogc_server.archive.storage import LocalStorage
from ogc_server.errors import InvalidProduct
from ogc_server.ingest.radiometry import calibration_db, s2_radiometry
from ogc_server.view.mapspec import MapSpec
from ogc_server.view.styles import Style, colour, family

LOGGER = logging.getLogger(__name__)
WGS84 = CRS.from_epsg(4326)
#: Source pixels per map pixel along an axis read at most (after choosing the overview).
MAX_DECIMATION = 4.0
#: Band pixels one map request reads at most, all products and bands together (about 128 MB
#: of 16-bit samples); the products beyond it are drawn from their browse COGs.
MAX_SOURCE_PIXELS = 64_000_000


class ReadBudget:
    """What is left of :data:`MAX_SOURCE_PIXELS` for one map request."""

    def __init__(self, pixels: float = MAX_SOURCE_PIXELS):
        self.left = float(pixels)

    def take(self, pixels: float) -> bool:
        """Reserve ``pixels``; ``False`` (nothing reserved) when they are not left."""
        if pixels > self.left:
            return False
        self.left -= pixels
        return True


def readable(product: Product) -> bool:
    """Whether the product's bands are in the archive (offline products keep only browses)."""
    return product.online_state == OnlineState.ONLINE and bool(product.storage_path)


def render_bands(product: Product, storage: LocalStorage, spec: MapSpec,
                 style: Style, budget: ReadBudget | None = None) -> np.ndarray | None:
    """RGBA (4, height, width) of ``product`` in ``style`` from its original bands, or
    ``None`` when they cannot be read within the bounds (absent, offline, too coarse a map)."""
    fam = family((product.collection or "").rsplit(":", 1)[-1])
    if fam is None or not readable(product):
        return None
    try:
        folder = storage.product_dir(product.storage_path or "")
    except InvalidProduct:
        LOGGER.warning("%s: storage path leaves the archive", product.identifier)
        return None
    files = band_files(folder, fam, style.bands)
    if files is None:
        return None
    values: dict[str, np.ndarray] = {}
    try:
        quant, offsets = s2_radiometry(folder, product) if fam == "S2" else (1.0, {})
        for name, path in files.items():
            dn = warp_band(path, spec, product, budget or ReadBudget())
            if dn is None:
                return None
            if fam == "S2":
                values[name] = (dn + offsets.get(name, 0.0)) / quant
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    values[name] = 10.0 * np.log10(dn * dn) - calibration_db(folder, path)
    except (RasterioError, OSError, ValueError) as exc:
        LOGGER.warning("%s: bands not drawn: %s", product.identifier, exc)
        return None
    return colour(style, values)


def band_files(folder: Path, fam: str, names: tuple[str, ...]) -> dict[str, Path] | None:
    """The file of each band in the product folder (``None`` if one is missing or empty)."""
    found: dict[str, Path] = {}
    for name in names:
        if fam == "S2":
            candidates = sorted(folder.glob(f"GRANULE/*/IMG_DATA/R10m/*_{name}_10m.jp2"))
            candidates += sorted(folder.glob(f"GRANULE/*/IMG_DATA/*_{name}.jp2"))
        else:
            candidates = [p for p in sorted(folder.glob("measurement/*.tif*"))
                          if re.search(rf"-{name}-", p.name.lower())]
        candidates = [p for p in candidates if p.is_file() and p.stat().st_size > 0]
        if not candidates:
            return None
        found[name] = candidates[0]
    return found


def warp_band(path: Path, spec: MapSpec, product: Product,
              budget: ReadBudget) -> np.ndarray | None:
    """Band 1 of ``path`` warped into the map grid, float32 with NaN where there is no data
    (DN 0); ``None`` when the read would exceed :data:`MAX_DECIMATION` or ``budget``."""
    with rasterio.open(path) as src:
        gcps, gcp_crs = src.gcps
        if src.crs is None and gcps:
            # thin-plate spline through the GCPs, as the browse is warped: both sources of
            # a product draw it in the same place
            with WarpedVRT(src, src_crs=gcp_crs or WGS84, src_nodata=0,
                           SRC_METHOD="GCP_TPS") as vrt:
                ratio = pixel_ratio(vrt, spec, product)
                if ratio is None or not _affordable(spec, ratio, budget):
                    return None
                return _reproject(vrt, spec, ratio)
        ratio = pixel_ratio(src, spec, product)
        if ratio is None:
            return None
        level, factor = overview_for(src.overviews(1), ratio)
    if not _affordable(spec, ratio / factor, budget):
        return None
    with rasterio.open(path, overview_level=level) if level is not None else \
            rasterio.open(path) as src:
        return _reproject(src, spec, ratio / factor)


def _affordable(spec: MapSpec, ratio: float, budget: ReadBudget) -> bool:
    """Whether reading the source at ``ratio`` (map pixel over source pixel) stays within
    :data:`MAX_DECIMATION` and the request's budget (at most the map's area in source pixels;
    the product may cover only part of it)."""
    return ratio <= MAX_DECIMATION and budget.take(spec.width * spec.height * ratio * ratio)


def _reproject(src: Any, spec: MapSpec, ratio: float) -> np.ndarray:
    """Nearest neighbour when the map is finer than the source (pixels stay visible as
    squares), the average of the source pixels otherwise."""
    out = np.full((spec.height, spec.width), np.nan, dtype=np.float32)
    reproject(source=rasterio.band(src, 1), destination=out, src_nodata=0,
              dst_transform=spec.transform, dst_crs=spec.crs, dst_nodata=np.nan,
              resampling=Resampling.nearest if ratio < 1.0 else Resampling.average,
              num_threads=1)
    return out


def overview_for(factors: list[int], ratio: float) -> tuple[int | None, float]:
    """The coarsest overview (index, factor) still at least as fine as the map; ``None`` and
    1 for full resolution."""
    level, chosen = None, 1.0
    for index, factor in enumerate(factors):
        if factor <= ratio:
            level, chosen = index, float(factor)
    return level, chosen


def pixel_ratio(src: Any, spec: MapSpec, product: Product) -> float | None:
    """Map pixel size over the source's full-resolution pixel size (> 1: the map is coarser).

    The source pixel is measured in map units at the middle of the product's part of the map,
    so the ratio holds for any pair of CRSs (UTM tiles in Web Mercator, swaths in UTM ...).
    ``None`` when the product is not in the map or the CRSs cannot be related there.
    """
    try:
        west, south, east, north = spec.lonlat_bounds()
        part = box(west, south, east, north).intersection(product.footprint)
        if part.is_empty:
            return None
        centre = part.representative_point()
        xs, ys = transform(WGS84, src.crs, [centre.x], [centre.y])
        step = src.res[0]
        mx, my = transform(src.crs, spec.crs, [xs[0], xs[0] + step], [ys[0], ys[0]])
        src_pixel = math.hypot(mx[1] - mx[0], my[1] - my[0])
    except (RasterioError, ValueError, shapely.errors.GEOSException):
        return None
    if not math.isfinite(src_pixel) or src_pixel <= 0:
        return None
    return spec.resolution / src_pixel
