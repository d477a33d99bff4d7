"""OGC API - Coverages over the archive: one coverage per EO collection, its latest product.

A collection of the rolling archive holds thousands of products on different grids (UTM
zones, orbits), so there is no single raster to serve and we do not mosaic. Each collection
whose products have coverages (Sentinel-2 L1C/L2A, Sentinel-1 GRD) gets one pygeoapi coverage
collection, ``<short name>-coverage``, whose coverage is **the latest online product** of the
collection: the one with the newest acquisition start (identifier breaking ties). With
``datetime`` the coverage is the latest online product whose acquisition intersects that
instant or interval. The served product is named in the collection document, the domain set
and the ``Content-Disposition`` of the output, so a client always knows what it got.

The provider is a thin adapter over :mod:`ogc_server.coverage`: the product's bands and grid
come from :func:`~ogc_server.coverage.sources.open_source`, the output is planned (and refused
when over the WCS limits, before a pixel is read) by :func:`~ogc_server.coverage.grid.plan`
and read and encoded by :mod:`~ogc_server.coverage.render`, exactly as for ``/wcs``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pygeoapi.provider.base import (
    BaseProvider,
    ProviderInvalidQueryError,
    ProviderItemNotFoundError,
)
from rasterio.crs import CRS

from ogc_server.archive.model import Collection, OnlineState, Product
from ogc_server.archive.query import ProductQuery
from ogc_server.coverage import render
from ogc_server.coverage.grid import CoverageRequest, Limits, Scaling, Subset, axis_labels, plan
from ogc_server.coverage.sources import GRD_TYPES, S2_TYPES, CoverageSource, open_source
from ogc_server.errors import InvalidQuery, NotFound, OgcServerError
from ogc_server.services import Services

LOGGER = logging.getLogger(__name__)

PROVIDER = "plugins.pygeoapi_.coverages.ArchiveCoverageProvider"
SUFFIX = "-coverage"
COVERAGE_TYPES = S2_TYPES | GRD_TYPES
#: The one output format (pygeoapi's ``f`` value and media type): CoverageJSON is not offered.
GEOTIFF = {"name": "GTiff", "mimetype": "image/tiff; application=geotiff"}
WGS84 = CRS.from_epsg(4326)


class CoverageArchive:
    """What the coverage providers of one application share: the catalogue, files, limits.

    pygeoapi deep-copies its configuration; the archive is shared, not copied.
    """

    def __init__(self, services: Services):
        self.store = services.store
        self.storage = services.storage
        wcs = services.settings.wcs
        self.limits = Limits(max_side=wcs.max_side, max_pixels=wcs.max_pixels,
                             max_bytes=wcs.max_bytes)
        self.gdal_env = dict(services.settings.gdal_env)

    def __copy__(self) -> CoverageArchive:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> CoverageArchive:
        return self

    def latest(self, collection: str, start: datetime | None = None,
               end: datetime | None = None) -> Product | None:
        """The newest online coverage product of ``collection`` (acquired in the window)."""
        query = ProductQuery(collections=[collection], start=start, end=end,
                             where={"product_type": sorted(COVERAGE_TYPES),
                                    "online_state": OnlineState.ONLINE.value},
                             sort=(("start", False), ("identifier", False)), limit=1,
                             count=False)
        products = self.store.query(query).products
        return products[0] if products else None

    def product(self, identifier: str) -> Product | None:
        try:
            return self.store.get(identifier)
        except NotFound:
            return None

    def source(self, product: Product) -> CoverageSource:
        """The product's bands and grid; raises NoSuchCoverage when its files are unusable."""
        if not product.storage_path:
            raise NotFound(f"{product.identifier} has no data in the archive",
                           user_msg=f"the data of {product.identifier} is not in the archive")
        return open_source(self.storage.product_dir(product.storage_path), product)


def coverage_ids(collections: list[Collection]) -> dict[str, Collection]:
    """pygeoapi coverage collection id -> archive collection (collections with coverages)."""
    return {f"{c.short_name}{SUFFIX}": c for c in collections
            if COVERAGE_TYPES & set(c.product_types)}


def coverage_resource(cid: str, collection: Collection, archive: CoverageArchive,
                      extents: dict[str, Any]) -> dict[str, Any]:
    """The pygeoapi resource of the coverage collection ``cid``."""
    return {
        "type": "collection",
        "title": f"{collection.title}: latest product as a coverage",
        "description": (f"The bands of the latest online product of {collection.title} "
                        "(or, with datetime, the latest acquired in that window) as a "
                        "coverage on the product's own grid, as GeoTIFF. Products are not "
                        "mosaicked."),
        "keywords": [*collection.keywords, "coverage"],
        "links": [],
        "extents": extents,
        "providers": [{
            "type": "coverage",
            "name": PROVIDER,
            "data": archive,
            "collection": collection.identifier,
            "format": dict(GEOTIFF),
        }],
    }


@dataclass(frozen=True, slots=True)
class Extras:
    """Request parameters pygeoapi 0.21 does not route to a provider (set by the adapter)."""

    product: str | None = None
    """The product chosen for the request (the latest in the ``datetime`` window)."""
    scaling: Scaling = Scaling()
    bbox_crs: CRS = WGS84


class ArchiveCoverageProvider(BaseProvider):
    """pygeoapi coverage provider of one collection; reads nothing until asked.

    pygeoapi creates a provider for every request (and for its OpenAPI document), so the
    product is looked up lazily: building the provider costs no query and opens no file.
    """

    def __init__(self, provider_def: dict[str, Any]):
        super().__init__(provider_def)
        self.archive: CoverageArchive = provider_def["data"]
        self.collection: str = provider_def["collection"]
        self.extras: Extras = provider_def.get("extras") or Extras()
        self._resolved: tuple[Product, CoverageSource] | None = None
        self._looked_up = False

    # What pygeoapi reads of a coverage provider ----------------------------------------------

    @property  # type: ignore[override]
    def axes(self) -> list[str]:
        """Subset axes: the native CRS's, plus ``Lat``/``Long`` for a projected one."""
        resolved = self._coverage()
        if resolved is None:
            return []
        x, y = axis_labels(resolved[1].crs)
        return [x, y] if resolved[1].crs.is_geographic else [x, y, "Long", "Lat"]

    @axes.setter
    def axes(self, value: list[str]) -> None:  # BaseProvider assigns a default
        pass

    @property
    def fields(self) -> dict[str, Any]:
        """One field per band of the served product (empty when there is no product)."""
        resolved = self._coverage()
        if resolved is None:
            return {}
        source = resolved[1]
        kind = "integer" if source.dtype.startswith(("int", "uint")) else "number"
        return {band.name: {"title": band.name, "description": band.description,
                            "type": kind, "x-ogc-unit": "1"} for band in source.bands}

    def get_fields(self) -> dict[str, Any]:
        return self.fields

    @property
    def _coverage_properties(self) -> dict[str, Any]:
        """The grid pygeoapi writes into the collection document (``None``: no product)."""
        resolved = self._coverage()
        if resolved is None:
            return {"width": None, "height": None, "resx": None, "resy": None}
        source = resolved[1]
        res_x, res_y = source.resolution
        return {"width": source.width, "height": source.height, "resx": res_x, "resy": res_y}

    @property
    def product(self) -> Product | None:
        resolved = self._coverage()
        return None if resolved is None else resolved[0]

    def query(self, properties: list[str] | None = None,
              subsets: dict[str, list[Any]] | None = None, bbox: list[float] | None = None,
              datetime_: str | None = None, format_: str = GEOTIFF["name"],
              **kwargs: Any) -> bytes:
        """The coverage of the served product as GeoTIFF (``datetime_`` is applied by the
        adapter, which picks the product before pygeoapi builds this provider)."""
        if format_ != GEOTIFF["name"]:
            raise ProviderInvalidQueryError(user_msg="f: only GeoTIFF (f=GTiff) is offered")
        resolved = self._coverage()
        if resolved is None:
            raise ProviderItemNotFoundError(user_msg="no online product in this collection "
                                                     "(for this datetime)")
        product, source = resolved
        try:
            request = CoverageRequest(subsets=self._subsets(source, subsets or {}, bbox),
                                      subsetting_crs=self.extras.bbox_crs if bbox else None,
                                      scaling=self.extras.scaling,
                                      bands=tuple(properties or ()))
            planned = plan(source, request, self.archive.limits)
            data = render.read(planned, self.archive.gdal_env)
            body = render.encode(planned, data, self.archive.gdal_env)
        except InvalidQuery as exc:
            raise ProviderInvalidQueryError(user_msg=_message(exc)) from exc
        except OgcServerError as exc:
            raise ProviderItemNotFoundError(user_msg=exc.user_msg) from exc
        self.filename = f"{product.identifier}.{render.EXTENSIONS[planned.media_type]}"
        return body

    # Helpers ----------------------------------------------------------------------------------

    def _coverage(self) -> tuple[Product, CoverageSource] | None:
        if not self._looked_up:
            self._looked_up = True
            product = (self.archive.product(self.extras.product) if self.extras.product
                       else self.archive.latest(self.collection))
            if product is not None and product.online_state == OnlineState.ONLINE:
                try:
                    self._resolved = product, self.archive.source(product)
                except OgcServerError as exc:
                    LOGGER.warning("no coverage for %s: %s", product.identifier, exc)
        return self._resolved

    @staticmethod
    def _subsets(source: CoverageSource, subsets: dict[str, list[Any]],
                 bbox: list[float] | None) -> tuple[Subset, ...]:
        if bbox and subsets:
            raise InvalidQuery("bbox and subset cannot be combined", locator="bbox")
        if bbox:
            return (Subset("x", bbox[0], bbox[2]), Subset("y", bbox[1], bbox[3]))
        out = []
        for axis, values in subsets.items():
            if not values or len(values) > 2 or not all(
                    isinstance(v, int | float) and not isinstance(v, bool) for v in values):
                raise InvalidQuery(f"subset {axis}: give one number or low:high",
                                   locator="subset")
            low, high = float(values[0]), float(values[-1])
            out.append(Subset(axis, low, high, slice=len(values) == 1))
        return tuple(out)


def _message(exc: InvalidQuery) -> str:
    """The client's message, naming the OGC API parameter (the core names the WCS one)."""
    name = {"rangeSubset": "properties", "scaleSize": "scale-size",
            "scaleFactor": "scale-factor"}.get(exc.locator or "", exc.locator)
    if name and not exc.user_msg.startswith(name):
        return f"{name}: {exc.user_msg}"
    return exc.user_msg
