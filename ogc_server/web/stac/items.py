"""Products as STAC Items (STAC 1.1.0 with the extensions their facts call for)."""

from __future__ import annotations

import json
from typing import Any

import shapely

from ogc_server.archive.model import Product
from ogc_server.links import Links
from ogc_server.web.stac import properties as props
from ogc_server.web.stac.times import format_datetime

STAC_VERSION = "1.1.0"
EXT = {
    "eo": "https://stac-extensions.github.io/eo/v2.0.0/schema.json",
    "file": "https://stac-extensions.github.io/file/v2.1.0/schema.json",
    "grid": "https://stac-extensions.github.io/grid/v1.0.0/schema.json",
    "processing": "https://stac-extensions.github.io/processing/v1.1.0/schema.json",
    "product": "https://stac-extensions.github.io/product/v1.0.0/schema.json",
    "sar": "https://stac-extensions.github.io/sar/v1.2.0/schema.json",
    "sat": "https://stac-extensions.github.io/sat/v1.2.0/schema.json",
    "view": "https://stac-extensions.github.io/view/v1.1.0/schema.json",
}
GEOJSON = "application/geo+json"
COG = "image/tiff; application=geotiff; profile=cloud-optimized"
#: Multihash codes (function code, digest length) of the checksum algorithms products carry.
MULTIHASH = {"sha256": "1220", "sha512": "1340", "sha1": "1114", "md5": "d510"}
#: Centre frequency (GHz) of the SAR instruments.
SAR_BANDS = {"SAR-C": ("C", 5.405)}


def multihash(checksum: str | None) -> str | None:
    """``sha256:<hex>`` -> ``1220<hex>`` (the file extension's ``file:checksum``)."""
    if not checksum or ":" not in checksum:
        return None
    algorithm, _, digest = checksum.partition(":")
    prefix = MULTIHASH.get(algorithm.lower())
    digest = digest.lower()
    if prefix is None or not digest or any(c not in "0123456789abcdef" for c in digest):
        return None
    if int(prefix[2:], 16) * 2 != len(digest):
        return None
    return prefix + digest


def item(product: Product, links: Links) -> dict[str, Any]:
    """The STAC Item of ``product``; facts the product does not state are left out."""
    properties, extensions = item_properties(product)
    assets = item_assets(product, links)
    if any("file:size" in a or "file:checksum" in a for a in assets.values()):
        extensions.add("file")
    minx, miny, maxx, maxy = product.footprint.bounds
    return {
        "type": "Feature",
        "stac_version": STAC_VERSION,
        "stac_extensions": sorted(EXT[e] for e in extensions),
        "id": product.identifier,
        "collection": product.collection,
        "geometry": json.loads(shapely.to_geojson(product.footprint)),
        "bbox": [minx, miny, maxx, maxy],
        "properties": properties,
        "links": item_links(product, links),
        "assets": assets,
    }


def item_properties(p: Product) -> tuple[dict[str, Any], set[str]]:  # noqa: C901 - flat mapping
    """The Item's properties and the extensions (keys of :data:`EXT`) they use."""
    out: dict[str, Any] = {
        "datetime": format_datetime(p.start),
        "start_datetime": format_datetime(p.start),
        "end_datetime": format_datetime(p.end),
    }
    extensions: set[str] = set()
    if p.creation_date:
        out["created"] = format_datetime(p.creation_date)
    if p.modification_date:
        out["updated"] = format_datetime(p.modification_date)
    out["platform"] = props.stac_platform(p.platform, p.platform_serial_identifier)
    out["constellation"] = props.stac_constellation(p.platform)
    out["instruments"] = props.stac_instruments(p.instrument)
    if p.resolution and p.resolution > 0:
        out["gsd"] = p.resolution
    out["product:type"] = p.product_type
    extensions.add("product")
    out["processing:level"] = props.stac_processing_level(p.processing_level)
    facility = p.extra.get("processing_facility")
    if isinstance(facility, str) and facility:
        out["processing:facility"] = facility
    software = _software(p.extra.get("processor"))
    if software:
        out["processing:software"] = software
    extensions.add("processing")
    for key, value in (("eo:cloud_cover", p.cloud_cover), ("eo:snow_cover", p.snow_cover)):
        if value is not None and 0 <= value <= 100:
            out[key] = value
            extensions.add("eo")
    sat = _sat(p)
    if sat:
        out.update(sat)
        extensions.add("sat")
    sar = _sar(p)
    if sar:
        out.update(sar)
        extensions.add("sar")
    if p.minimum_incidence_angle is not None and p.maximum_incidence_angle is not None:
        centre = (p.minimum_incidence_angle + p.maximum_incidence_angle) / 2
        if 0 <= centre <= 90:
            out["view:incidence_angle"] = round(centre, 6)
            extensions.add("view")
    if p.tile_id and p.instrument == "MSI":
        out["grid:code"] = props.stac_grid_code(p.tile_id)
        extensions.add("grid")
    return out, extensions


def _software(processor: Any) -> dict[str, str] | None:
    """``Sentinel-1 IPF 003.31`` -> ``{"Sentinel-1 IPF": "003.31"}``."""
    if not isinstance(processor, str) or not processor.strip():
        return None
    name, _, version = processor.strip().rpartition(" ")
    if not name or not any(ch.isdigit() for ch in version):
        return None
    return {name: version}


def _sat(p: Product) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if p.orbit_direction and p.orbit_direction.lower() in ("ascending", "descending"):
        out["sat:orbit_state"] = p.orbit_direction.lower()
    if p.orbit_number and p.orbit_number >= 1:
        out["sat:absolute_orbit"] = p.orbit_number
    if p.relative_orbit_number and p.relative_orbit_number >= 1:
        out["sat:relative_orbit"] = p.relative_orbit_number
    designator = p.extra.get("nssdc_identifier")
    if isinstance(designator, str) and designator:
        out["sat:platform_international_designator"] = designator
    return out


def _sar(p: Product) -> dict[str, Any]:
    """SAR fields; none unless the band and the polarisations are known (both required)."""
    band = SAR_BANDS.get(p.instrument)
    polarizations = props.stac_polarizations(p.polarisation_channels)
    if band is None or not polarizations or not set(polarizations) <= {"HH", "VV", "HV", "VH"}:
        return {}
    out: dict[str, Any] = {
        "sar:frequency_band": band[0],
        "sar:center_frequency": band[1],
        "sar:polarizations": polarizations,
        "sar:product_type": p.product_type,
    }
    if p.sensor_mode:
        out["sar:instrument_mode"] = p.sensor_mode
    if p.antenna_look_direction and p.antenna_look_direction.lower() in ("left", "right"):
        out["sar:observation_direction"] = p.antenna_look_direction.lower()
    return out


def item_assets(p: Product, links: Links) -> dict[str, dict[str, Any]]:
    name = p.file_name or f"{p.identifier}.zip"
    media = "application/x-netcdf" if name.lower().endswith(".nc") else "application/zip"
    download: dict[str, Any] = {
        "href": links.download(p),
        "type": media,
        "title": f"Product ({name.rsplit('.', 1)[-1].upper()})",
        "roles": ["data"],
    }
    if p.size is not None and p.size >= 0:
        download["file:size"] = p.size
    checksum = multihash(p.checksum)
    if checksum:
        download["file:checksum"] = checksum
    assets = {"download": download}
    browse = (
        ("thumbnail", links.thumbnail(p), "image/jpeg", "Thumbnail", ["thumbnail"]),
        ("quicklook", links.quicklook(p), "image/jpeg", "Quicklook", ["overview"]),
        ("visual", links.browse_cog(p), COG, "Browse image (Cloud-Optimized GeoTIFF)",
         ["visual"]),
    )
    for key, href, media_type, title, roles in browse:
        if href:
            assets[key] = {"href": href, "type": media_type, "title": title, "roles": roles}
    return assets


def item_links(p: Product, links: Links) -> list[dict[str, Any]]:
    collection = links.stac_collection(p.collection or "")
    return [
        {"rel": "self", "type": GEOJSON, "href": links.stac_item(p)},
        {"rel": "parent", "type": "application/json", "href": collection},
        {"rel": "collection", "type": "application/json", "href": collection},
        {"rel": "root", "type": "application/json", "href": f"{links.base}/stac"},
        {"rel": "alternate", "type": "application/atom+xml", "title": "EO OpenSearch entry",
         "href": links.opensearch_product(p)},
    ]
