"""Collections of the rolling archive as STAC Collections, with extents from the catalogue."""

from __future__ import annotations

from typing import Any

from ogc_server.archive.extents import CollectionExtent
from ogc_server.archive.model import Collection
from ogc_server.links import Links
from ogc_server.settings import Settings
from ogc_server.web.stac import properties as props
from ogc_server.web.stac.items import EXT, GEOJSON, STAC_VERSION
from ogc_server.web.stac.times import format_datetime

LEGAL_NOTICE = "https://sentinels.copernicus.eu/documents/247904/690755/Sentinel_Data_Legal_Notice"
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
WORLD = [-180.0, -90.0, 180.0, 90.0]


def collection(
    c: Collection, extent: CollectionExtent | None, settings: Settings, links: Links
) -> dict[str, Any]:
    """The STAC Collection of ``c``; ``extent`` is what the catalogue holds of it (or none)."""
    summaries, extensions = _summaries(c, extent)
    self_href = links.stac_collection(c.identifier)
    return {
        "type": "Collection",
        "stac_version": STAC_VERSION,
        "stac_extensions": sorted(EXT[e] for e in extensions),
        "id": c.identifier,
        "title": c.title,
        "description": c.abstract,
        "keywords": list(dict.fromkeys([*c.keywords, "Copernicus", c.platform, c.instrument])),
        "license": "other",
        "providers": _providers(settings),
        "extent": _extent(extent),
        "summaries": summaries,
        "item_assets": _item_assets(c),
        "links": _links(c, self_href, links),
    }


def _extent(extent: CollectionExtent | None) -> dict[str, Any]:
    bbox = list(extent.bbox) if extent and extent.bbox else WORLD
    start = format_datetime(extent.start) if extent and extent.start else None
    end = format_datetime(extent.end) if extent and extent.end else None
    return {"spatial": {"bbox": [bbox]}, "temporal": {"interval": [[start, end]]}}


def _summaries(
    c: Collection, extent: CollectionExtent | None
) -> tuple[dict[str, Any], set[str]]:
    summaries: dict[str, Any] = {
        "constellation": [props.stac_constellation(c.platform)],
    }
    if extent and extent.platforms:
        summaries["platform"] = sorted({props.stac_platform(*p) for p in extent.platforms})
    summaries["instruments"] = props.stac_instruments(c.instrument)
    if extent and extent.resolution:
        low, high = extent.resolution
        summaries["gsd"] = [low] if low == high else {"minimum": low, "maximum": high}
    summaries["product:type"] = list(dict.fromkeys(c.product_types))
    summaries["processing:level"] = [props.stac_processing_level(c.processing_level)]
    extensions = {"product", "processing"}
    directions = sorted(d.lower() for d in (extent.orbit_directions if extent else ())
                        if d.lower() in ("ascending", "descending"))
    if directions:
        summaries["sat:orbit_state"] = directions
        extensions.add("sat")
    if extent and extent.cloud_cover and c.instrument in {"MSI", "OLCI", "SLSTR", "SYNERGY"}:
        low, high = extent.cloud_cover
        summaries["eo:cloud_cover"] = {"minimum": low, "maximum": high}
        extensions.add("eo")
    if c.instrument == "SAR-C":
        summaries["sar:frequency_band"] = ["C"]
        summaries["sar:center_frequency"] = [5.405]
        extensions.add("sar")
    return summaries, extensions


def _providers(settings: Settings) -> list[dict[str, Any]]:
    host_url = settings.contact.url or settings.public_url
    return [
        {"name": "European Space Agency (ESA)", "roles": ["producer"],
         "url": "https://www.esa.int"},
        {"name": "European Commission, Copernicus programme", "roles": ["licensor"],
         "url": "https://www.copernicus.eu"},
        {"name": settings.contact.organisation, "roles": ["host"], "url": host_url},
    ]


def _item_assets(c: Collection) -> dict[str, Any]:
    netcdf = c.platform.upper().endswith("5P")
    return {
        "download": {"title": "Product (NC)" if netcdf else "Product (ZIP)",
                     "type": "application/x-netcdf" if netcdf else "application/zip",
                     "roles": ["data"]},
        "thumbnail": {"title": "Thumbnail", "type": "image/jpeg", "roles": ["thumbnail"]},
        "quicklook": {"title": "Quicklook", "type": "image/jpeg", "roles": ["overview"]},
        "visual": {"title": "Browse image (Cloud-Optimized GeoTIFF)",
                   "type": "image/tiff; application=geotiff; profile=cloud-optimized",
                   "roles": ["visual"]},
    }


def _links(c: Collection, self_href: str, links: Links) -> list[dict[str, Any]]:
    root = f"{links.base}/stac"
    out = [
        {"rel": "self", "type": "application/json", "href": self_href},
        {"rel": "root", "type": "application/json", "href": root},
        {"rel": "parent", "type": "application/json", "href": root},
        {"rel": "items", "type": GEOJSON, "href": f"{self_href}/items"},
        {"rel": QUERYABLES_REL, "type": "application/schema+json",
         "href": f"{self_href}/queryables", "title": "Queryables"},
        {"rel": "license", "type": "application/pdf", "href": LEGAL_NOTICE,
         "title": "Legal notice on the use of Copernicus Sentinel Data and Service Information"},
        {"rel": "search", "type": "application/opensearchdescription+xml",
         "href": links.opensearch_description(c.identifier), "title": "EO OpenSearch"},
    ]
    if c.metadata_file:
        out.append({"rel": "describedby", "type": "application/xml",
                    "href": links.csw_record(c.identifier),
                    "title": "INSPIRE metadata record (ISO 19139)"})
    return out
