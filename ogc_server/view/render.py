"""Maps drawn from the archive: browse mosaics and footprint outlines, in any CRS.

The renderer asks the catalogue which products of a collection lie in the map (the one query
engine, :meth:`ProductStore.query`), then warps each product's browse COG (made at ingestion,
:mod:`ogc_server.ingest.browse`) into the map's grid (:mod:`ogc_server.view.warp`: decoded
overviews cached, bilinear sampling; GDAL's warper for maps far coarser than the coarsest
overview) and lays them over each other, the first on top: newest first, or for optical data
with a time filter least cloudy first (a mosaic of the clearest views of the period). Work per
request is bounded twice:

* at most ``max_products`` products are read (those that would show on top); drawing stops
  earlier once every pixel is opaque;
* each COG is read from the overview whose resolution matches the map's, so a map of a whole
  country reads a few small overview tiles, not full-resolution data; where the map is finer
  than the COG or the style needs other bands, the product's original bands are read instead
  (:mod:`ogc_server.view.bands`, with its own bounds).

Everything here is plain numpy/rasterio: the MapProxy adapter (``plugins/mapproxy_``) only
converts its query to a :class:`MapSpec` and the array to an image. Callers run these
functions inside ``rasterio.Env(**settings.gdal_env)``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import rasterio
import shapely
from rasterio.enums import Resampling
from rasterio.errors import RasterioError
from rasterio.features import rasterize
from rasterio.warp import reproject, transform_geom
from shapely.geometry import mapping, shape

from ogc_server.archive.model import Product
from ogc_server.archive.query import ProductQuery, bbox_geometry
from ogc_server.archive.storage import LocalStorage
from ogc_server.archive.store import ProductStore
from ogc_server.errors import InvalidProduct
from ogc_server.view.bands import (
    ReadBudget,
    overview_for,
    readable,
    render_bands,
)
from ogc_server.view.mapspec import WGS84, MapSpec
from ogc_server.view.styles import Style
from ogc_server.view.timeparam import TimeFilter
from ogc_server.view.warp import BrowseCache, MapGrid, band_rows, sample

LOGGER = logging.getLogger(__name__)
#: Products read from the catalogue per product drawn (the time filter of a list of instants
#: is applied to the candidates, which the query selects by their overall span).
CANDIDATES_PER_PRODUCT = 4
OUTLINE = (255, 140, 0, 255)
#: Source pixels per map pixel up to which a browse is drawn by sampling its pixels
#: (:mod:`ogc_server.view.warp`); beyond (a map much coarser than the coarsest overview)
#: GDAL's warper averages them.
MAX_POINT_RATIO = 2.0
#: Browse COG headers and decoded overviews, shared by every map request of the process.
BROWSE = BrowseCache()


def find_products(
    store: ProductStore,
    collection: str,
    spec: MapSpec,
    *,
    time: TimeFilter | None = None,
    product: str | None = None,
    limit: int = 20,
    least_cloudy_first: bool = False,
    with_browse: bool = True,
) -> list[Product]:
    """The products to draw, top first: at most ``limit``.

    Newest first; optical collections under a time filter least cloudy first, newest next.
    """
    west, south, east, north = spec.lonlat_bounds()
    if south >= north:
        return []
    sort: Sequence[tuple[str, bool]] = (("start", False), ("identifier", True))
    if least_cloudy_first and time is not None:
        sort = (("cloud_cover", True), ("start", False), ("identifier", True))
    query = ProductQuery(
        collections=[collection],
        identifiers=[product] if product else (),
        geometry=bbox_geometry(west, south, east, north),
        start=time.start if time else None,
        end=time.end if time else None,
        sort=sort,
        limit=limit * CANDIDATES_PER_PRODUCT,
        count=False,
    )
    found = []
    for candidate in store.query(query).products:
        if time is not None and not time.matches(candidate.start, candidate.end):
            continue
        if with_browse and not candidate.browse_path:
            continue
        found.append(candidate)
        if len(found) == limit:
            break
    return found


def render_browse(
    products: Iterable[Product],
    storage: LocalStorage,
    spec: MapSpec,
    gdal_env: Mapping[str, Any] | None = None,
    style: Style | None = None,
) -> np.ndarray | None:
    """RGBA (4, height, width) uint8 mosaic of the products, the first on top; ``None`` when
    nothing was drawn.

    Each product is drawn from its browse COG, or from its original bands
    (:mod:`ogc_server.view.bands`) where the map is finer than the browse or ``style`` is not
    the browse's; products whose bands cannot be read (offline, too coarse a map) fall back to
    the browse.
    """
    colour = np.zeros((3, spec.height, spec.width), dtype=np.float32)
    alpha = np.zeros((spec.height, spec.width), dtype=np.float32)
    drawn = 0
    first: np.ndarray | None = None
    budget = ReadBudget()
    grid = MapGrid(spec)
    with rasterio.Env(**dict(gdal_env or {})):
        for product in products:
            drawing = _draw(product, storage, spec, style, budget, grid)
            if drawing is None:
                continue
            layer, (rows, cols) = drawing  # only the window can hold the product's pixels
            part = layer[:, rows, cols]
            if not part[3].any():
                continue
            below = alpha[rows, cols]  # a view: updated in place
            weight = part[3].astype(np.float32) / 255.0 * (1.0 - below)
            colour[:, rows, cols] += part[:3].astype(np.float32) * weight
            below += weight
            drawn += 1
            first = layer if drawn == 1 else None
            if alpha.min() >= 0.999:
                break  # nothing below would show
    if not drawn:
        return None
    if first is not None:  # one product alone: the mosaic is its own layer
        first[:3, first[3] == 0] = 0
        return first
    with np.errstate(divide="ignore", invalid="ignore"):
        rgb = np.where(alpha > 0, colour / alpha, 0.0)
    out = np.empty((4, spec.height, spec.width), dtype=np.uint8)
    out[:3] = np.clip(np.rint(rgb), 0, 255)
    out[3] = np.clip(np.rint(alpha * 255.0), 0, 255)
    return out


Window = tuple[slice, slice]
WHOLE: Window = (slice(None), slice(None))


def _draw(product: Product, storage: LocalStorage, spec: MapSpec, style: Style | None,
          budget: ReadBudget, grid: MapGrid) -> tuple[np.ndarray, Window] | None:
    """One product in the map grid (RGBA), from its bands where needed, else its browse; with
    the window of the map outside which it drew nothing."""
    assert product.browse_path
    try:
        path = storage.product_dir(product.browse_path)
    except InvalidProduct:
        LOGGER.warning("%s: browse path leaves the archive", product.identifier)
        return None
    try:
        info, key = BROWSE.info(path)
        placement = grid.place(info)
        if placement is None:
            return None
        ratio = placement.ratio
        # the bands are read for another style than the browse's, or to show pixels finer
        # than the browse's where the browse is not the bands' own grid (swaths resampled at
        # ingestion, decimated large products)
        if style is not None and readable(product) and (
                not style.default or (ratio < 1.0 and not info.band_grid)):
            layer = render_bands(product, storage, spec, style, budget)
            if layer is not None:
                return layer, WHOLE
        level, factor = overview_for(list(info.factors), ratio)
        if ratio / factor > MAX_POINT_RATIO:
            return _warp_with_gdal(path, level, spec), WHOLE
        found = BROWSE.pixels(path, key, info, level, placement)
        if found is None:
            return None
        data, factor, col0, row0 = found
        out = np.zeros((4, spec.height, spec.width), dtype=np.uint8)
        sample(data, band_rows(info), placement, factor, col0, row0, out)
        window = (slice(int(placement.ys.min()), int(placement.ys.max()) + 1),
                  slice(int(placement.xs.min()), int(placement.xs.max()) + 1))
        return out, window
    except (RasterioError, OSError, ValueError) as exc:
        LOGGER.warning("%s: browse not drawn: %s", product.identifier, exc)
        return None


def _warp_with_gdal(path: Any, level: int | None, spec: MapSpec) -> np.ndarray:
    """The browse warped by GDAL, whose bilinear kernel widens with the reduction (for maps
    much coarser than the coarsest overview, where sampling points would alias)."""
    with rasterio.open(path, overview_level=level) if level is not None else \
            rasterio.open(path) as src:
        bands = [1, 2, 3, 4] if src.count >= 4 else [1, 1, 1, 2]
        out = np.zeros((4, spec.height, spec.width), dtype=np.uint8)
        reproject(source=rasterio.band(src, bands), destination=out,
                  dst_transform=spec.transform, dst_crs=spec.crs,
                  resampling=Resampling.bilinear, num_threads=1, init_dest_nodata=True,
                  dst_nodata=0, src_nodata=None)
        return out


def render_footprints(products: Iterable[Product], spec: MapSpec,
                      colour: tuple[int, int, int, int] = OUTLINE) -> np.ndarray | None:
    """RGBA (4, height, width) uint8: the products' footprint outlines, 2 pixels wide."""
    lines = []
    # footprints are lon/lat polygons: densify them so that edges curve as they should in a
    # projected map (in EPSG:4326 nothing changes)
    step = 0.25
    for product in products:
        outline = shapely.segmentize(product.footprint.boundary, step)
        try:
            projected = shape(transform_geom(WGS84, spec.crs, mapping(outline)))
        except (RasterioError, ValueError):
            continue
        if projected.is_empty or not all(math.isfinite(v) for v in projected.bounds):
            continue
        lines.append((projected.buffer(spec.resolution * 0.75), 1))
    if not lines:
        return None
    mask = rasterize(lines, out_shape=(spec.height, spec.width), transform=spec.transform,
                     fill=0, all_touched=True, dtype="uint8")
    out = np.zeros((4, spec.height, spec.width), dtype=np.uint8)
    for band, value in enumerate(colour):
        out[band][mask == 1] = value
    return out if mask.any() else None
