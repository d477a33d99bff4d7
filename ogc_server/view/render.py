"""Maps drawn from the archive: browse mosaics and footprint outlines, in any CRS.

The renderer asks the catalogue which products of a collection lie in the map (the one query
engine, :meth:`ProductStore.query`), then warps each product's browse COG (made at ingestion,
:mod:`ogc_server.ingest.browse`) into the map's grid with GDAL's warper and lays them over each
other, the first on top: newest first, or for optical data with a time filter least cloudy first
(a mosaic of the clearest views of the period). Work per request is bounded twice:

* at most ``max_products`` products are read (those that would show on top); drawing stops
  earlier once every pixel is opaque;
* each COG is read from the overview whose resolution matches the map's, so a map of a whole
  country reads a few small overview tiles, not full-resolution data.

Everything here is plain numpy/rasterio: the MapProxy adapter (``plugins/mapproxy_``) only
converts its query to a :class:`MapSpec` and the array to an image. Callers run these
functions inside ``rasterio.Env(**settings.gdal_env)``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import rasterio
import shapely
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.errors import RasterioError
from rasterio.features import rasterize
from rasterio.transform import from_bounds
from rasterio.warp import reproject, transform, transform_bounds, transform_geom
from shapely.geometry import box, mapping, shape

from ogc_server.archive.model import Product
from ogc_server.archive.query import ProductQuery, bbox_geometry
from ogc_server.archive.storage import LocalStorage
from ogc_server.archive.store import ProductStore
from ogc_server.errors import InvalidProduct, InvalidQuery
from ogc_server.view.timeparam import TimeFilter

LOGGER = logging.getLogger(__name__)
WGS84 = CRS.from_epsg(4326)
#: Products read from the catalogue per product drawn (the time filter of a list of instants
#: is applied to the candidates, which the query selects by their overall span).
CANDIDATES_PER_PRODUCT = 4
OUTLINE = (255, 140, 0, 255)


@dataclass(frozen=True, slots=True)
class MapSpec:
    """The grid of a map: bounding box (x/y order of ``crs``), CRS and size in pixels."""

    bbox: tuple[float, float, float, float]
    crs: CRS
    width: int
    height: int

    @property
    def transform(self) -> Any:
        return from_bounds(*self.bbox, self.width, self.height)

    @property
    def resolution(self) -> float:
        """The finer of the map's two pixel sizes, in CRS units."""
        return min((self.bbox[2] - self.bbox[0]) / self.width,
                   (self.bbox[3] - self.bbox[1]) / self.height)

    def lonlat_bounds(self) -> tuple[float, float, float, float]:
        """The map's extent in longitude/latitude (west > east across the antimeridian)."""
        if self.crs == WGS84:
            west, south, east, north = self.bbox
        else:
            try:
                west, south, east, north = transform_bounds(self.crs, WGS84, *self.bbox,
                                                            densify_pts=21)
            except RasterioError as exc:
                raise InvalidQuery("the BBOX cannot be expressed in longitude/latitude",
                                   locator="bbox") from exc
        if not all(math.isfinite(v) for v in (west, south, east, north)):
            raise InvalidQuery("the BBOX lies outside the CRS's domain", locator="bbox")
        return (max(west, -180.0), max(south, -90.0), min(east, 180.0), min(north, 90.0))


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
) -> np.ndarray | None:
    """RGBA (4, height, width) uint8 mosaic of the products' browse COGs, the first on top;
    ``None`` when nothing was drawn."""
    colour = np.zeros((3, spec.height, spec.width), dtype=np.float32)
    alpha = np.zeros((spec.height, spec.width), dtype=np.float32)
    drawn = 0
    with rasterio.Env(**dict(gdal_env or {})):
        for product in products:
            layer = _warp_browse(product, storage, spec)
            if layer is None or not layer[3].any():
                continue
            a = layer[3].astype(np.float32) / 255.0
            weight = a * (1.0 - alpha)
            colour += layer[:3].astype(np.float32) * weight
            alpha += weight
            drawn += 1
            if alpha.min() >= 0.999:
                break  # nothing below would show
    if not drawn:
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        rgb = np.where(alpha > 0, colour / alpha, 0.0)
    out = np.empty((4, spec.height, spec.width), dtype=np.uint8)
    out[:3] = np.clip(np.rint(rgb), 0, 255)
    out[3] = np.clip(np.rint(alpha * 255.0), 0, 255)
    return out


def _warp_browse(product: Product, storage: LocalStorage, spec: MapSpec) -> np.ndarray | None:
    """One product's browse warped into the map grid (RGBA), or ``None`` if unreadable."""
    assert product.browse_path
    try:
        path = storage.product_dir(product.browse_path)
    except InvalidProduct:
        LOGGER.warning("%s: browse path leaves the archive", product.identifier)
        return None
    try:
        with rasterio.open(path) as full:
            level = _overview_level(full, spec, product)
        with rasterio.open(path, overview_level=level) if level is not None else \
                rasterio.open(path) as src:
            bands = [1, 2, 3, 4] if src.count >= 4 else [1, 1, 1, 2]
            out = np.zeros((4, spec.height, spec.width), dtype=np.uint8)
            reproject(
                source=rasterio.band(src, bands), destination=out,
                dst_transform=spec.transform, dst_crs=spec.crs,
                resampling=Resampling.bilinear, num_threads=1, init_dest_nodata=True,
                dst_nodata=0, src_nodata=None,
            )
            return out
    except (RasterioError, OSError, ValueError) as exc:
        LOGGER.warning("%s: browse not drawn: %s", product.identifier, exc)
        return None


def _overview_level(src: Any, spec: MapSpec, product: Product) -> int | None:
    """The coarsest overview still at least as fine as the map (``None``: full resolution).

    The source pixel size is measured in map units at the middle of the product's part of the
    map, so it holds for any pair of CRSs (UTM tiles in Web Mercator, swaths in UTM ...).
    """
    factors = src.overviews(1)
    if not factors:
        return None
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
    ratio = spec.resolution / src_pixel
    level = None
    for index, factor in enumerate(factors):
        if factor <= ratio:
            level = index
    return level


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
