"""Sentinel-5P TROPOMI products: one netCDF-4 file ``S5P_<class>_<type>_..._<created>.nc``.

The global attributes and the ``METADATA`` group are read through GDAL (rasterio): the netCDF
driver exposes the groups ``EOP_METADATA``, ``GRANULE_DESCRIPTION`` and ``ESA_METADATA`` as
JSON metadata domains. Gridded products the netCDF driver does not open are read with the
HDF5 driver, which flattens group attributes into ``METADATA_<GROUP>_<name>``.

``start``/``end`` are the observation period (``time_coverage_start``/``_end``), which is
shorter than the orbit span in the file name. The footprint is the EOP footprint polygon;
gridded products without one get the bounds of their latitude/longitude grid.
``platform_serial_identifier`` is ``5P`` (Sentinel-5P is a single satellite).
"""

from __future__ import annotations

import json
import logging
import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shapely.geometry import Polygon

from ogc_server.archive.model import Product
from ogc_server.ingest.readers import (
    check_period,
    footprint,
    invalid,
    latlon_pairs,
    parse_time,
    product_name,
    reading,
    to_float,
)

__all__ = ["PLATFORM_SERIAL", "read"]

PLATFORM_SERIAL = "5P"

_NAME = re.compile(
    r"S5P_(?P<cls>[A-Z]{4})_(?P<type>(?P<level>L1B|L2_)_[A-Z0-9_]{6})_"
    r"(?P<start>\d{8}T\d{6})_(?P<stop>\d{8}T\d{6})_(?P<orbit>\d{5})_(?P<collection>\d{2})_"
    r"(?P<processor>\d{6})_(?P<created>\d{8}T\d{6})"
)
_LEVELS = {"L1B": "Level-1B", "L2_": "Level-2"}
_RESOLUTION = re.compile(r"([\d.]+)\s*x\s*([\d.]+)\s*(km|m)")
_GLOBAL = "NC_GLOBAL#"
_HDF5_GRANULE = "METADATA_GRANULE_DESCRIPTION_"
_HDF5_ESA = "METADATA_ESA_METADATA_earth_explorer_header_fixed_header_"
_GRIDS = (("latitude_ccd", "longitude_ccd"), ("latitude", "longitude"))


class _AxisNoise(logging.Filter):
    """Drops GDAL's notes that a swath dimension is not a longitude/latitude axis: true for
    every Sentinel-5P file and of no use in the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (
            "is not a Longitude/X dimension" in message
            or "is not a Latitude/Y dimension" in message
        )


logging.getLogger("rasterio._env").addFilter(_AxisNoise())


@dataclass
class _Metadata:
    attributes: dict[str, str]
    granule: dict[str, Any] = field(default_factory=dict)
    eop: dict[str, Any] | None = None
    esa: dict[str, Any] = field(default_factory=dict)
    grid_bounds: tuple[float, float, float, float] | None = None


def read(path: Path) -> Product:
    """Read the Sentinel-5P netCDF file ``path``."""
    path = Path(path)
    name = product_name(path)
    with reading(name):
        return _read(path, name)


def _read(path: Path, name: str) -> Product:
    match = _NAME.fullmatch(name)
    if match is None:
        raise invalid(name, "not a Sentinel-5P product name (S5P_CCCC_TTTTTTTTTT_start_...)")
    if not path.is_file():
        raise FileNotFoundError(2, "missing", path.name)
    meta = _load(path, name)
    attrs = meta.attributes

    product_id = attrs.get("id", "").strip()
    if product_id and product_id != name:
        raise invalid(name, f"file name disagrees with the product id {product_id!r}")
    product_type = str(meta.granule.get("ProductShortName") or match["type"]).strip()
    mission = str(meta.granule.get("MissionShortName") or attrs.get("platform") or "").strip()
    if mission and mission.upper() != "S5P":
        raise invalid(name, f"metadata names mission {mission!r}, not S5P")

    start = parse_time(
        _dig(meta.eop, "om:phenomenonTime", "gml:beginPosition")
        or attrs.get("time_coverage_start")
        or meta.granule.get("GranuleStart"),
        "time_coverage_start",
    )
    end = parse_time(
        _dig(meta.eop, "om:phenomenonTime", "gml:endPosition")
        or attrs.get("time_coverage_end")
        or meta.granule.get("GranuleEnd"),
        "time_coverage_end",
    )
    check_period(start, end)
    created = attrs.get("date_created") or meta.esa.get("Creation_Date") or match["created"]
    creation = parse_time(created, "date_created")

    orbit_text = attrs.get("orbit") or _eop_orbit(meta.eop)
    orbit = int(float(orbit_text)) if orbit_text else int(match["orbit"])
    file_class = str(meta.esa.get("File_Class") or attrs.get("processingMode") or "").strip()

    problems: list[str] = []
    if product_type != match["type"]:
        problems.append(f"product type {match['type']} vs metadata {product_type}")
    if orbit != int(match["orbit"]):
        problems.append(f"orbit {int(match['orbit'])} vs metadata {orbit}")
    if file_class and file_class != match["cls"]:
        problems.append(f"processing class {match['cls']} vs metadata {file_class}")
    if problems:
        raise invalid(name, "product name disagrees with the metadata: " + "; ".join(problems))

    geometry = _footprint(meta)
    processor = attrs.get("processor_version") or meta.granule.get("ProcessorVersion")
    extra: dict[str, Any] = {
        "collection": match["collection"],
        "processor_version_in_name": match["processor"],
        "processor_version": str(processor).strip() if processor else None,
        "product_version": attrs.get("product_version"),
        "algorithm_version": attrs.get("algorithm_version"),
        "processing_mode": meta.granule.get("ProcessingMode") or attrs.get("processingMode"),
        "processing_status": attrs.get("processing_status"),
        "processing_centre": meta.granule.get("ProcessingCenter"),
        "product_doi": attrs.get("identifier_product_doi"),
        "spatial_resolution": attrs.get("spatial_resolution"),
        "tracking_id": attrs.get("tracking_id"),
        "name_start": match["start"],
        "name_stop": match["stop"],
    }
    crossing = meta.granule.get("LongitudeOfDaysideNadirEquatorCrossing")
    if crossing not in (None, ""):
        extra["dayside_equator_crossing_longitude"] = to_float(
            str(crossing), "LongitudeOfDaysideNadirEquatorCrossing"
        )
    return Product(
        identifier=name,
        platform="Sentinel-5P",
        platform_serial_identifier=PLATFORM_SERIAL,
        instrument="TROPOMI",
        product_type=product_type,
        processing_level=_LEVELS[match["level"]],
        start=start,
        end=end,
        footprint=geometry,
        creation_date=creation,
        orbit_number=orbit,
        resolution=_resolution(attrs.get("spatial_resolution")),
        timeliness=match["cls"],
        production_status="ARCHIVED",
        extra={k: v for k, v in extra.items() if v not in (None, [], "")},
    )


def _dig(document: Any, *keys: str) -> Any:
    """``document[k1][k2]...`` or None where the JSON has another shape."""
    for key in keys:
        if not isinstance(document, dict):
            return None
        document = document.get(key)
    return document


def _eop_orbit(eop: dict[str, Any] | None) -> str | None:
    value = _dig(eop, "om:procedure", "eop:acquisitionParameters", "eop:orbitNumber")
    return str(value) if value not in (None, "") else None


def _footprint(meta: _Metadata) -> Any:
    members = _dig(meta.eop, "om:featureOfInterest", "eop:multiExtentOf", "gml:surfaceMembers")
    if isinstance(members, dict):
        members = [members]
    rings = []
    for member in members if isinstance(members, list) else []:
        pos = _dig(member, "gml:exterior", "gml:posList")
        if pos:
            rings.append(latlon_pairs(str(pos), "EOP footprint posList"))
    if rings:
        return footprint(rings)
    if meta.grid_bounds is not None:
        west, south, east, north = meta.grid_bounds
        return Polygon([(west, south), (east, south), (east, north), (west, north), (west, south)])
    raise ValueError("the product states no footprint (no EOP footprint, no lat/lon grid)")


def _resolution(text: str | None) -> float | None:
    """Finest ground pixel size in metres from e.g. ``7x3.5km2`` or ``5.5x3.5 km2``."""
    if not text:
        return None
    found = _RESOLUTION.search(text)
    if found is None:
        return None
    scale = 1000.0 if found.group(3) == "km" else 1.0
    return min(float(found.group(1)), float(found.group(2))) * scale


# --------------------------------------------------------------------------------------------
# GDAL access


def _load(path: Path, name: str) -> _Metadata:
    fast = _load_hdf5(path)
    if fast is not None:
        return fast
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning, RasterioError, RasterioIOError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.Env():
                try:
                    with rasterio.open(path, driver="netCDF") as dataset:
                        return _from_netcdf(dataset)
                except RasterioIOError:
                    pass
                with rasterio.open(path, driver="HDF5") as dataset:
                    meta = _from_hdf5(dataset)
                meta.grid_bounds = _grid_bounds(rasterio, path)
                return meta
    except RasterioError as exc:
        raise invalid(name, f"not a readable netCDF-4/HDF5 file: {exc}") from None


_GRANULE_GROUP = "/METADATA/GRANULE_DESCRIPTION"
_EOP_GROUP = "/METADATA/EOP_METADATA"
_ESA_HEADER = "/METADATA/ESA_METADATA/earth_explorer_header/fixed_header"
_EOP_PARTS = ("om:phenomenonTime", "om:procedure/eop:acquisitionParameters",
              "om:featureOfInterest")
#: The global attributes :func:`_read` uses.
_ROOT_ATTRIBUTES = ("id", "platform", "time_coverage_start", "time_coverage_end",
                    "date_created", "orbit", "processingMode", "processor_version",
                    "product_version", "algorithm_version", "processing_status",
                    "identifier_product_doi", "spatial_resolution", "tracking_id")


def _load_hdf5(path: Path) -> _Metadata | None:
    """The metadata of a swath product (``/PRODUCT/latitude``, the files GDAL's netCDF
    driver opens) read straight from HDF5, as :func:`_from_netcdf` gives it; ``None`` when
    the file is of another kind or the HDF5 library is not usable (GDAL then reads it)."""
    from ogc_server.ingest.hdf5meta import HDF5Unavailable, read_groups

    try:
        # only what :func:`_read` uses: of ESA_METADATA the fixed header (the processing
        # history is long), of EOP_METADATA the period, orbit and footprint sub-trees
        groups = read_groups(path, ["/", _GRANULE_GROUP, _ESA_HEADER,
                                    *(f"{_EOP_GROUP}/{part}" for part in _EOP_PARTS)],
                             require=("/PRODUCT/latitude", "/PRODUCT/longitude", _EOP_GROUP),
                             root_names=_ROOT_ATTRIBUTES)
    except (HDF5Unavailable, OSError):
        return None
    attributes = {k: _as_text(v) for k, v in groups["/"].items()}
    eop: dict[str, Any] = {}
    for part in _EOP_PARTS:
        tree = groups.get(f"{_EOP_GROUP}/{part}")
        if tree is not None:
            node = eop
            *parents, last = part.split("/")
            for name in parents:
                node = node.setdefault(name, {})
            node[last] = tree
    header = groups.get(_ESA_HEADER)
    esa = dict(header) if isinstance(header, dict) else {}
    created = _dig(header, "source", "Creation_Date")
    if created:
        esa["Creation_Date"] = created
    return _Metadata(
        attributes=attributes,
        granule=groups.get(_GRANULE_GROUP) or {},
        eop=eop,
        esa=esa,
    )


def _as_text(value: Any) -> str:
    """A global attribute as GDAL's metadata gives it (text; lists comma separated)."""
    if isinstance(value, list):
        return ",".join(_as_text(v) for v in value)
    return str(value)


def _from_netcdf(dataset: Any) -> _Metadata:
    tags = dataset.tags()
    attributes = {k[len(_GLOBAL) :]: v for k, v in tags.items() if k.startswith(_GLOBAL)}
    domains = set(dataset.tag_namespaces())
    esa_doc = _json_domain(dataset, "json:ESA_METADATA", domains) or {}
    header = _dig(esa_doc, "earth_explorer_header", "fixed_header")
    esa = dict(header) if isinstance(header, dict) else {}
    created = _dig(header, "source", "Creation_Date")
    if created:
        esa["Creation_Date"] = created
    return _Metadata(
        attributes=attributes,
        granule=_json_domain(dataset, "json:GRANULE_DESCRIPTION", domains) or {},
        eop=_json_domain(dataset, "json:EOP_METADATA", domains),
        esa=esa,
    )


def _json_domain(dataset: Any, domain: str, domains: set[str]) -> dict[str, Any] | None:
    """A JSON metadata domain as a dict.

    GDAL returns the document as one string; rasterio splits it at the first ``:`` or ``=``
    into a key and a value, so the document is joined back before decoding.
    """
    if domain not in domains:
        return None
    items = dataset.tags(ns=domain)
    if not items:
        return None
    if len(items) != 1:
        raise ValueError(f"metadata group {domain[5:]} is not one JSON document")
    ((key, value),) = items.items()
    for separator in (":", "="):
        try:
            document = json.loads(f"{key}{separator}{value}")
        except json.JSONDecodeError:
            continue
        if isinstance(document, dict):
            return document
    raise ValueError(f"metadata group {domain[5:]} is not valid JSON")


def _from_hdf5(dataset: Any) -> _Metadata:
    tags = dataset.tags()
    attributes = {k: v for k, v in tags.items() if not k.startswith(("METADATA_", "PRODUCT_"))}
    granule = {k[len(_HDF5_GRANULE) :]: v for k, v in tags.items() if k.startswith(_HDF5_GRANULE)}
    esa = {k[len(_HDF5_ESA) :]: v for k, v in tags.items() if k.startswith(_HDF5_ESA)}
    if "source_Creation_Date" in esa:
        esa["Creation_Date"] = esa["source_Creation_Date"]
    mode = tags.get("METADATA_processingMode")
    if mode:
        attributes.setdefault("processingMode", mode)
    return _Metadata(attributes=attributes, granule=granule, esa=esa)


def _grid_bounds(rasterio: Any, path: Path) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of a regular lat/lon grid, from its cell centres."""
    from rasterio.errors import RasterioError

    location = str(path.resolve())
    for lat_name, lon_name in _GRIDS:
        try:
            with rasterio.open(f'HDF5:"{location}"://PRODUCT/{lat_name}') as lat_ds:
                lats = lat_ds.read(1).ravel()
            with rasterio.open(f'HDF5:"{location}"://PRODUCT/{lon_name}') as lon_ds:
                lons = lon_ds.read(1).ravel()
        except RasterioError:
            continue
        if lats.size < 2 or lons.size < 2:
            continue
        lat_half = abs(float(lats[1]) - float(lats[0])) / 2.0
        lon_half = abs(float(lons[1]) - float(lons[0])) / 2.0
        south = max(-90.0, float(lats.min()) - lat_half)
        north = min(90.0, float(lats.max()) + lat_half)
        west = max(-180.0, float(lons.min()) - lon_half)
        east = min(180.0, float(lons.max()) + lon_half)
        if all(map(math.isfinite, (south, north, west, east))) and south < north and west < east:
            return west, south, east, north
    return None
