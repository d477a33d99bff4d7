"""MapProxy's configuration, generated from the platform's one declaration.

The fixed part (services, grids, image options) is the template ``mapfiles/mapproxy.yaml``;
this module adds what ``config/ogc-server.yml`` declares: service metadata (titles and abstracts
of :mod:`ogc_server.service_metadata`, as the services' records state them) and contact (with
the INSPIRE view-service metadata, :mod:`plugins.mapproxy_.inspire`), the
CRSs and the size limit, and per collection one layer of footprint outlines and, where the
collection's products get browse images, one map layer, each with its ``ogc_archive`` source and
a tile cache for WMTS and TMS. Styles other than the browse's (false colour, NDVI, the VV/VH
composite: :mod:`ogc_server.view.styles`) are published as layers of their own,
``<short name>_<STYLE>``, which the wrapper also reaches through WMS ``STYLES``.

Two configurations are made from this: the *live* one stores nothing (``disable_storage``) and
answers WMS and every filtered (TIME, PRODUCT) tile request; the *stored* one keeps the tiles
of the unfiltered view in a folder named by the catalogue's fingerprint
(:meth:`ProductStore.fingerprint`), so a product added or evicted starts a fresh cache and no
stale tile is ever served (:mod:`plugins.mapproxy_.tilecache`).
"""

from __future__ import annotations

import copy
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pyproj
import yaml

from ogc_server.archive.model import Collection
from ogc_server.errors import ConfigError
from ogc_server.ingest.browse import has_browse
from ogc_server.service_metadata import describe_service
from ogc_server.settings import Settings
from ogc_server.view.styles import styles_for
from plugins.mapproxy_.inspire import inspire_md

#: The template in the source tree (used when the deployment has no ``mapfiles/`` of its own).
TEMPLATE = Path(__file__).resolve().parents[2] / "mapfiles" / "mapproxy.yaml"
OPTICAL_INSTRUMENTS = frozenset({"MSI", "OLCI"})
FOOTPRINTS_SUFFIX = "_footprints"
CAPABILITIES_SRS = ("EPSG:4326", "EPSG:3857")


@dataclass(frozen=True, slots=True)
class LayerSpec:
    """One WMS/WMTS/TMS layer: a collection drawn as browse mosaic or as footprints."""

    name: str
    title: str
    abstract: str
    collection: str
    style: str
    """``browse`` or ``footprints``."""
    optical: bool
    band_style: str | None = None
    """The :class:`~ogc_server.view.styles.Style` drawn (``None``: the browse as it is)."""
    base: str | None = None
    """For a style variant, the name of the collection's default layer."""

    @property
    def timed(self) -> bool:
        """Whether capabilities advertise a TIME dimension (every layer filters by TIME)."""
        return True


def layer_specs(settings: Settings) -> list[LayerSpec]:
    """The layers, in the order of the collections' declaration."""
    specs = []
    for coll in settings.collection_list:
        optical = coll.instrument in OPTICAL_INSTRUMENTS
        if any(has_browse(t) for t in coll.product_types):
            styles = styles_for(coll.short_name)
            specs.append(LayerSpec(coll.short_name, coll.title, _abstract(coll),
                                   coll.identifier, "browse", optical,
                                   styles[0].name if styles else None))
            specs.extend(
                LayerSpec(f"{coll.short_name}_{style.suffix}", f"{coll.title}: {style.title}",
                          f"{style.title} of the products of {coll.identifier}, drawn from "
                          "their original bands.", coll.identifier, "browse", optical,
                          style.name, coll.short_name)
                for style in styles[1:])
        specs.append(LayerSpec(coll.short_name + FOOTPRINTS_SUFFIX, f"{coll.title}: footprints",
                               f"Footprint outlines of the products of {coll.identifier}.",
                               coll.identifier, "footprints", optical))
    return specs


def _abstract(coll: Collection) -> str:
    return (f"{' '.join(coll.abstract.split())} Browse images of the products, newest on top"
            + (", least cloudy first under a TIME filter." if coll.instrument
               in OPTICAL_INSTRUMENTS else "."))


def template_path(settings: Settings) -> Path:
    """``mapfiles/mapproxy.yaml`` beside the configuration's folder (as ``metadata/`` is),
    else the source tree's."""
    config_dir = settings.config_file.parent if settings.config_file else Path.cwd() / "config"
    deployed = config_dir.parent / "mapfiles" / "mapproxy.yaml"
    return deployed if deployed.is_file() else TEMPLATE


def build_config(settings: Settings, catalogue: str, template: Path | None = None,
                 cache_tag: str | None = None) -> dict[str, Any]:
    """The whole MapProxy configuration; ``catalogue`` is the key of the registered services.

    ``template``: default :func:`template_path`. ``cache_tag``: store tiles under
    ``<data_dir>/mapproxy/cache/<cache_tag>`` (``None``: store nothing).
    """
    template = template or template_path(settings)
    try:
        conf: dict[str, Any] = copy.deepcopy(yaml.safe_load(template.read_text()))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{template}: cannot read the MapProxy template: {exc}") from exc
    view = settings.view
    contact = settings.contact
    md = conf["services"]["wms"].setdefault("md", {})
    wms_service, wmts_service = (describe_service(settings, key) for key in ("wms", "wmts"))
    # MapProxy's templates write these texts as they are: escaped here
    md.update(
        title=escape(wms_service.title),
        abstract=escape(wms_service.abstract),
        online_resource=settings.public_url + "/wms",
        contact={"organization": contact.organisation, "email": contact.email},
    )
    wms = conf["services"]["wms"]
    wms["srs"] = list(view.srs)
    wms["bbox_srs"] = [s for s in CAPABILITIES_SRS if s in view.srs]
    wms["max_output_pixels"] = [view.max_size, view.max_size]
    wms["inspire_md"] = inspire_md(settings)
    northing_first = [code for code in view.srs if north_first(code)]
    conf["globals"].setdefault("srs", {}).update(
        axis_order_ne=northing_first,
        axis_order_en=[c for c in view.srs if c not in northing_first])
    conf["services"]["wmts"]["md"] = {"title": escape(wmts_service.title),
                                      "abstract": escape(wmts_service.abstract)}
    cache_dir = cache_root(settings) / (cache_tag or "live")
    conf.setdefault("globals", {}).setdefault("cache", {}).update(
        base_dir=str(cache_dir), lock_dir=str(cache_dir / "locks"),
        tile_lock_dir=str(cache_dir / "tile_locks"))
    sources, caches, layers = {}, {}, []
    for spec in layer_specs(settings):
        sources[spec.name] = {
            "type": "ogc_archive", "catalogue": catalogue, "collection": spec.collection,
            "style": spec.style, "optical": spec.optical, "image": {"transparent": True},
        }
        if spec.band_style:
            sources[spec.name]["band_style"] = spec.band_style
        caches[f"{spec.name}_tiles"] = {
            "sources": [spec.name], "grids": ["webmercator", "wgs84"],
            "disable_storage": cache_tag is None, "format": "image/png",
        }
        layers.append({
            "name": spec.name, "title": spec.title, "sources": [spec.name],
            "tile_sources": [f"{spec.name}_tiles"],
            "md": {"abstract": spec.abstract,
                   "keyword_list": [{"keywords": [spec.collection]}]},
        })
    conf["sources"] = sources
    conf["caches"] = caches
    conf["layers"] = layers
    return conf


def north_first(code: str) -> bool:
    """Whether WMS 1.3.0 axis order of ``code`` is northing first (EPSG:4326, EPSG:3035 ...);
    MapProxy knows only a few CRSs by itself."""
    try:
        return pyproj.CRS.from_user_input(code).axis_info[0].direction in {"north", "south"}
    except pyproj.exceptions.CRSError as exc:
        raise ConfigError(f"view.srs: {code} is not a CRS: {exc}") from exc


def cache_root(settings: Settings) -> Path:
    return settings.data_dir / "mapproxy" / "cache"


def write_config(settings: Settings, conf: dict[str, Any],
                 name: str = "mapproxy.yaml") -> Path:
    """Write ``conf`` to ``<data_dir>/mapproxy/<name>`` (atomically) and return the path."""
    folder = settings.data_dir / "mapproxy"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    temporary.write_text("# Generated from config/ogc-server.yml and mapfiles/mapproxy.yaml;"
                         " do not edit.\n" + yaml.safe_dump(conf, sort_keys=False))
    temporary.replace(target)
    return target
