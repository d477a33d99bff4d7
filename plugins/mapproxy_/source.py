"""The ``ogc_archive`` MapProxy source: maps rendered in-process from the archive.

MapProxy builds sources from YAML only, so the live catalogue cannot be named there: each
application registers its :class:`~ogc_server.services.Services` under a key derived from its
settings (:func:`register_catalogue`) and its generated configuration names that key. The
source then converts MapProxy's query to a :class:`~ogc_server.view.render.MapSpec`, asks the
renderer, and hands back an image.

``TIME`` and ``PRODUCT`` reach the source in two ways, both validated beforehand by the WSGI
wrapper (:mod:`plugins.mapproxy_.app`):

* GetMap: MapProxy forwards request parameters named in a source's ``fwd_req_params`` into
  ``MapQuery.dimensions`` (the mechanism its WMS sources use for dimensions); this source
  names ``time`` and ``product``;
* GetFeatureInfo and tiles: MapProxy's ``InfoQuery`` and its tile requests carry no
  dimensions for this source, so the wrapper also puts the parsed filter in the context
  variable :data:`VIEW_FILTER` for the request (tiles are made in the request's thread).
"""

from __future__ import annotations

import contextvars
import hashlib
import json
from dataclasses import dataclass
from html import escape
from io import BytesIO
from typing import Any

import numpy as np
import rasterio
from mapproxy.config import base_config
from mapproxy.config.configuration.source import SourceConfiguration, register_source_configuration
from mapproxy.config.spec import combined, image_opts, required, source_commons
from mapproxy.extent import DefaultMapExtent
from mapproxy.featureinfo import HTMLFeatureInfoDoc, JSONFeatureInfoDoc, TextFeatureInfoDoc
from mapproxy.image import ImageResult
from mapproxy.image.opts import ImageFormat
from mapproxy.layer import BlankImageError
from mapproxy.layer.map_layer import MapLayer
from mapproxy.query import InfoQuery, MapQuery
from mapproxy.source import InfoSource, LegendSource
from PIL import Image
from rasterio.crs import CRS

from ogc_server.archive.model import Product
from ogc_server.errors import OgcServerError
from ogc_server.links import Links
from ogc_server.services import Services
from ogc_server.view.legend import SIZE as LEGEND_SIZE
from ogc_server.view.legend import legend
from ogc_server.view.png import encode_rgba
from ogc_server.view.render import MapSpec, find_products, render_browse, render_footprints
from ogc_server.view.styles import Style, styles_for
from ogc_server.view.timeparam import TimeFilter, parse_time

SOURCE_TYPE = "ogc_archive"
#: Pixels around a GetFeatureInfo click that count as "under the click".
INFO_TOLERANCE = 3


@dataclass(frozen=True, slots=True)
class ViewFilter:
    """What a request asks to see beyond the map's extent: a time filter and/or one product."""

    time: TimeFilter | None = None
    product: str | None = None


NO_FILTER = ViewFilter()
VIEW_FILTER: contextvars.ContextVar[ViewFilter | None] = contextvars.ContextVar(
    "view_filter", default=None)


def current_filter() -> ViewFilter:
    """The filter the wrapper set for this request (none: every product)."""
    return VIEW_FILTER.get() or NO_FILTER


_CATALOGUES: dict[str, Services] = {}


def register_catalogue(services: Services) -> str:
    """The key under which sources of a generated configuration find ``services``.

    The key is a digest of the settings: every process serving the same settings writes the
    same configuration file, and applications with other settings (another public address,
    another catalogue) write their own.
    """
    key = hashlib.sha256(services.settings.model_dump_json().encode()).hexdigest()[:16]
    _CATALOGUES[key] = services
    return key


class QuickPngResult(ImageResult):
    """A drawn map that, asked as a full-colour PNG, is encoded at ``compress_level``.

    MapProxy encodes PNG at zlib's default level 6, which for the noisy pixels of satellite
    imagery costs about three times level 1 for files under a tenth smaller; RGBA maps are
    encoded by :func:`ogc_server.view.png.encode_rgba` (one filter instead of Pillow's
    adaptive choice: half the time again, the same size). A map that
    MapProxy passes through unchanged (one layer, the asked size, a transparent request) is
    encoded here; anything else (another format, a palette, a mode conversion, a merge with
    other layers or a background) goes through MapProxy's own encoding as before.
    """

    def __init__(self, image: Image.Image, *, compress_level: int, **kwargs: Any):
        super().__init__(image, **kwargs)
        self.compress_level = compress_level

    def as_buffer(self, image_opts: Any = None, format: str | None = None,
                  seekable: bool = False) -> Any:
        opts = image_opts or self.image_opts
        wanted = ImageFormat(format) if format else (opts.format if opts else None)
        if (self._buf is None and self._img is not None and wanted is not None
                and wanted.ext == "png" and opts is not None and not opts.colors
                and opts.mode in (None, self._img.mode)
                and not base_config().image.paletted):
            if self._img.mode == "RGBA":
                buffer = BytesIO(encode_rgba(np.asarray(self._img), self.compress_level))
            else:
                buffer = BytesIO()
                self._img.save(buffer, "PNG", compress_level=self.compress_level)
                buffer.seek(0)
            self._buf = buffer
            self.image_opts = opts.copy()
            self.image_opts.format = wanted
        return super().as_buffer(image_opts, format, seekable)


class ArchiveSource(MapLayer):
    """One collection of the archive drawn as browse mosaic or footprint outlines."""

    supports_meta_tiles = True
    fwd_req_params = frozenset({"time", "product"})

    def __init__(self, services: Services, collection: str, style: str, optical: bool,
                 image_opts: Any = None, band_style: str | None = None):
        super().__init__(image_opts=image_opts)
        self.services = services
        self.collection = collection
        self.style = style
        self.optical = optical
        self.band_style = find_style(collection, band_style)
        self.extent = DefaultMapExtent()
        self.res_range = None

    def get_map(self, query: MapQuery) -> ImageResult:
        west, south, east, north = (float(v) for v in query.bbox)
        spec = MapSpec((west, south, east, north), CRS.from_user_input(query.srs.srs_code),
                       int(query.size[0]), int(query.size[1]))
        settings = self.services.settings.view
        try:
            view = self._filter(query.dimensions)  # checked by the wrapper already
            with rasterio.Env(**self.services.settings.gdal_env):
                if self.style == "footprints":
                    products = find_products(
                        self.services.store, self.collection, spec, time=view.time,
                        product=view.product, limit=settings.max_footprints,
                        with_browse=False)
                    array = render_footprints(products, spec)
                else:
                    products = find_products(
                        self.services.store, self.collection, spec, time=view.time,
                        product=view.product, limit=settings.max_products,
                        least_cloudy_first=self.optical)
                    array = render_browse(products, self.services.storage, spec,
                                          style=self.band_style)
        except OgcServerError:
            raise BlankImageError() from None  # e.g. a map outside the CRS's domain
        if array is None:
            raise BlankImageError()
        image = Image.fromarray(array.transpose(1, 2, 0), "RGBA")
        return QuickPngResult(image, size=query.size, image_opts=self.image_opts,
                              compress_level=settings.png_compression)

    @staticmethod
    def _filter(dimensions: dict[str, Any]) -> ViewFilter:
        """The request's filter: MapProxy's forwarded parameters, else the context's."""
        lowered = {k.lower(): v for k, v in (dimensions or {}).items()}
        if "time" not in lowered and "product" not in lowered:
            return current_filter()
        value = lowered.get("time")
        return ViewFilter(time=parse_time(value) if value else None,
                          product=lowered.get("product") or None)


class ArchiveInfoSource(InfoSource):
    """GetFeatureInfo: the products under the click (identifier, time, cloud cover, links)."""

    def __init__(self, services: Services, collection: str):
        self.services = services
        self.collection = collection

    def get_info(self, query: InfoQuery) -> Any:
        view = current_filter()
        x, y = query.pos
        width = (query.bbox[2] - query.bbox[0]) / query.size[0]
        height = (query.bbox[3] - query.bbox[1]) / query.size[1]
        cx = query.bbox[0] + (x + 0.5) * width
        cy = query.bbox[3] - (y + 0.5) * height
        tol = INFO_TOLERANCE
        spec = MapSpec((cx - tol * width, cy - tol * height, cx + tol * width, cy + tol * height),
                       CRS.from_user_input(query.srs.srs_code), 2 * tol + 1, 2 * tol + 1)
        try:
            with rasterio.Env(**self.services.settings.gdal_env):
                products = find_products(self.services.store, self.collection, spec,
                                         time=view.time, product=view.product,
                                         limit=_count(query.feature_count), with_browse=False)
        except OgcServerError:
            products = []
        links = Links(self.services.settings.public_url)
        features = [_feature(p, links) for p in products]
        if query.info_format in ("application/json", "json"):
            return JSONFeatureInfoDoc(json.dumps({"type": "FeatureCollection",
                                                  "features": features}))
        if query.info_format in ("text/html", "html"):
            rows = "".join(
                f"<tr><td>{escape(f['id'])}</td><td>{escape(f['properties']['start'])}</td>"
                f"<td>{f['properties']['cloudCover']}</td></tr>" for f in features)
            return HTMLFeatureInfoDoc(
                "<html><body><table><tr><th>identifier</th><th>start</th><th>cloud cover</th>"
                f"</tr>{rows}</table></body></html>")
        return TextFeatureInfoDoc("\n".join(
            f"{f['id']} {f['properties']['start']} cloudCover={f['properties']['cloudCover']}"
            for f in features) + "\n")


class ArchiveLegendSource(LegendSource):
    """GetLegendGraphic: what the layer's colours mean (:mod:`ogc_server.view.legend`)."""

    size = LEGEND_SIZE

    def __init__(self, collection: str, style: str, band_style: str | None = None):
        self.collection = collection
        self.style = style
        self.band_style = band_style

    def get_legend(self, query: Any) -> ImageResult:
        return ImageResult(legend(self.style, self.collection, self.band_style),
                           size=LEGEND_SIZE)


def find_style(collection: str, name: str | None) -> Style | None:
    """The collection's style called ``name`` (``None``: draw the browse as it is)."""
    styles = {s.name: s for s in styles_for(collection.rsplit(":", 1)[-1])}
    return styles.get(name) if name else None


def _count(value: Any, default: int = 10, most: int = 50) -> int:
    """FEATURE_COUNT as a number within bounds (MapProxy passes the request's text)."""
    try:
        return max(1, min(int(value), most))
    except (TypeError, ValueError):
        return default


def _feature(product: Product, links: Links) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": product.identifier,
        "geometry": None,
        "properties": {
            "collection": product.collection,
            "start": product.start.isoformat(),
            "end": product.end.isoformat(),
            "cloudCover": product.cloud_cover,
            "quicklook": links.quicklook(product),
            "metadata": links.stac_item(product),
            "download": links.download(product),
        },
    }


class ArchiveSourceConfiguration(SourceConfiguration):
    """``type: ogc_archive`` with ``catalogue`` (registered key), ``collection``, ``style``
    (``browse`` or ``footprints``), ``optical`` and ``band_style`` (a style of
    :mod:`ogc_server.view.styles`, drawn from the original bands where needed)."""

    source_type = (SOURCE_TYPE,)
    supports_meta_tiles = True

    def _services(self) -> Services:
        return _CATALOGUES[self.conf["catalogue"]]

    def source(self, params: Any = None) -> ArchiveSource:
        return ArchiveSource(self._services(), self.conf["collection"],
                             self.conf.get("style", "browse"), self.conf.get("optical", False),
                             image_opts=self.image_opts(format="image/png"),
                             band_style=self.conf.get("band_style"))

    def fi_source(self, params: Any = None) -> ArchiveInfoSource:
        return ArchiveInfoSource(self._services(), self.conf["collection"])

    def lg_source(self, params: Any = None) -> ArchiveLegendSource:
        return ArchiveLegendSource(self.conf["collection"], self.conf.get("style", "browse"),
                                   self.conf.get("band_style"))


def install() -> None:
    """Register the source type and its YAML schema with MapProxy (idempotent)."""
    register_source_configuration(SOURCE_TYPE, ArchiveSourceConfiguration, SOURCE_TYPE,
                                  combined(source_commons, {
                                      required("catalogue"): "",
                                      required("collection"): "",
                                      "style": "",
                                      "optical": False,
                                      "band_style": "",
                                      "image": image_opts,
                                  }))
