"""pygeoapi's configuration and OpenAPI document, generated from our settings.

There is no second, hand-edited pygeoapi configuration: :func:`build_config` derives the
server block, the service metadata, one record collection per archive collection (plus
``products`` across all of them, and ``services``: the records of the platform's network
services, :mod:`plugins.pygeoapi_.services`) and one feature collection of footprints per
archive collection (``<id>-footprints``) from :class:`~ogc_server.settings.Settings`, and the
collection extents from the catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ogc_server.archive.extents import collection_extents
from ogc_server.archive.model import Collection
from ogc_server.archive.store import ProductStore
from ogc_server.links import Links
from ogc_server.settings import Settings
from plugins.pygeoapi_.services import SERVICES, ServiceRecords, resource

PROVIDER = "plugins.pygeoapi_.records.ArchiveRecordsProvider"
FEATURE_PROVIDER = "plugins.pygeoapi_.features.ArchiveFeaturesProvider"
ALL_PRODUCTS = "products"
#: Suffix of the feature collection of a collection's footprints (``S2_MSI_L1C-footprints``).
FOOTPRINTS = "-footprints"
DEFAULT_LIMIT = 10
MAX_LIMIT = 1000
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
ISO_19139 = "application/vnd.iso.19139+xml"
WORLD = (-180.0, -90.0, 180.0, 90.0)
LICENSE = {
    "name": "Legal notice on the use of Copernicus Sentinel data and service information",
    "url": "https://sentinels.copernicus.eu/documents/247904/690755/Sentinel_Data_Legal_Notice",
}
_URL_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True, slots=True)
class Extent:
    bbox: tuple[float, float, float, float]
    start: datetime | None
    end: datetime | None


def collection_ids(settings: Settings) -> dict[str, Collection | None]:
    """pygeoapi collection id -> archive collection (``None``: every product).

    The id is the collection's short name (``S2_MSI_L1C``); where two short names clash, or
    one is ``products`` or ``services``, the whole identifier in a URL-safe spelling is used
    instead.
    """
    short = [c.short_name for c in settings.collection_list]
    ids: dict[str, Collection | None] = {}
    for collection in settings.collection_list:
        name = collection.short_name
        if short.count(name) > 1 or name in (ALL_PRODUCTS, SERVICES) or _URL_SAFE.search(name):
            name = _URL_SAFE.sub("-", collection.identifier).strip("-")
        ids[name] = collection
    ids[ALL_PRODUCTS] = None
    return ids


def footprint_ids(settings: Settings) -> dict[str, Collection]:
    """pygeoapi feature collection id -> archive collection: ``<record id>-footprints``."""
    return {f"{cid}{FOOTPRINTS}": c for cid, c in collection_ids(settings).items()
            if c is not None}


def base_url(settings: Settings) -> str:
    return f"{settings.public_url}/ogcapi"


def catalogue_extents(store: ProductStore) -> dict[str, Extent]:
    """Bounding box and acquisition interval of the products of each archive collection."""
    return {
        name: Extent(extent.bbox, extent.start, extent.end)
        for name, extent in collection_extents(store).items() if extent.bbox
    }


def union(extents: Mapping[str, Extent]) -> Extent | None:
    if not extents:
        return None
    boxes = [e.bbox for e in extents.values()]
    starts = [e.start for e in extents.values() if e.start]
    ends = [e.end for e in extents.values() if e.end]
    return Extent(
        (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
         max(b[3] for b in boxes)),
        min(starts) if starts else None, max(ends) if ends else None,
    )


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite aggregates bypass the column type
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def extents_block(extent: Extent | None, *, temporal: bool = True) -> dict[str, Any]:
    """A resource's ``extents`` (pygeoapi wants real datetimes for the interval)."""
    block: dict[str, Any] = {
        "spatial": {"bbox": list(extent.bbox if extent else WORLD), "crs": CRS84},
    }
    if temporal and extent is not None and extent.start is not None:
        block["temporal"] = {"begin": extent.start, "end": extent.end, "trs": GREGORIAN}
    return block


def resource_extents(ids: Mapping[str, Collection | None],
                     extents: Mapping[str, Extent]) -> dict[str, Extent | None]:
    """The extent of each pygeoapi collection from the catalogue's per-collection extents."""
    return {
        cid: (extents.get(c.identifier) if c is not None else union(extents))
        for cid, c in ids.items()
    }


def build_config(settings: Settings, catalogue: Any, extents: Mapping[str, Extent | None],
                 services: ServiceRecords | None = None) -> dict[str, Any]:
    """pygeoapi's configuration. ``catalogue`` is handed to every record provider of the
    archive, ``services`` to the provider of the service records."""
    url = base_url(settings)
    contact = settings.contact
    return {
        "server": {
            "bind": {"host": settings.server.host, "port": settings.server.port},
            "url": url,
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "languages": ["en-US"],
            "pretty_print": False,
            "limits": {"default_items": DEFAULT_LIMIT, "max_items": MAX_LIMIT,
                       "on_exceed": "throttle"},
            "map": {"url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                    "attribution": "&copy; OpenStreetMap contributors"},
        },
        "logging": {"level": "WARNING"},
        "metadata": {
            "identification": {
                "title": settings.title,
                "description": (f"OGC API - Records and Features of {settings.title}: one "
                                "catalogue of product records and one feature collection of "
                                "product footprints per archive collection"),
                "keywords": ["Copernicus", "Sentinel", "earth observation", "catalogue"],
                "keywords_type": "theme",
                "terms_of_service": LICENSE["url"],
                "url": settings.public_url,
            },
            "license": dict(LICENSE),
            "provider": {"name": contact.organisation,
                         "url": contact.url or settings.public_url},
            "contact": {"name": contact.organisation, "email": contact.email,
                        "url": contact.url or settings.public_url},
        },
        "resources": {
            **{cid: _resource(settings, cid, collection, catalogue, extents.get(cid))
               for cid, collection in collection_ids(settings).items()},
            **({SERVICES: resource(services)} if services is not None else {}),
            **{fid: _footprints(fid, collection, catalogue, extents.get(fid))
               for fid, collection in footprint_ids(settings).items()},
        },
    }


def _resource(settings: Settings, cid: str, collection: Collection | None, catalogue: Any,
              extent: Extent | None) -> dict[str, Any]:
    provider = {
        "type": "record",
        "name": PROVIDER,
        "data": catalogue,
        "collection": collection.identifier if collection else None,
        "id_field": "id",
        "time_field": "startDate",
        "title_field": "title",
        "include_extra_query_parameters": True,
    }
    if collection is None:
        return {
            "type": "collection",
            "title": "All products",
            "description": "Every product of the rolling archive, across its collections.",
            "keywords": ["Copernicus", "Sentinel"],
            "links": [],
            "extents": extents_block(extent),
            "providers": [provider],
        }
    return {
        "type": "collection",
        "title": collection.title,
        "description": collection.abstract,
        "keywords": _keywords(collection),
        "links": collection_links(settings, cid, collection),
        "extents": extents_block(extent),
        "providers": [provider],
    }


def _footprints(fid: str, collection: Collection, catalogue: Any,
                extent: Extent | None) -> dict[str, Any]:
    """The feature collection of a collection's product footprints (OGC API Features)."""
    return {
        "type": "collection",
        "title": f"{collection.title}: footprints",
        "description": (f"Footprints of the products of {collection.identifier}, with the "
                        "catalogue's properties, as GeoJSON features."),
        "keywords": [*_keywords(collection), "footprints"],
        "links": [],
        "extents": extents_block(extent),
        "providers": [{
            "type": "feature",
            "name": FEATURE_PROVIDER,
            "data": catalogue,
            "collection": collection.identifier,
            "id_field": "id",
            "time_field": "startDate",
            "title_field": "id",
            "include_extra_query_parameters": True,
        }],
    }


def _keywords(collection: Collection) -> list[str]:
    words = [*collection.keywords, collection.platform, collection.instrument,
             collection.processing_level]
    return list(dict.fromkeys(words))


def collection_links(settings: Settings, cid: str,
                     collection: Collection) -> list[dict[str, str]]:
    """The collection's other representations on the platform."""
    links = Links(settings.public_url)
    out = []
    if collection.metadata_file:
        out.append({"rel": "describedby", "type": ISO_19139,
                    "title": "ISO 19139 (INSPIRE) metadata record",
                    "href": f"{base_url(settings)}/collections/{cid}/metadata"})
    out += [
        {"rel": "alternate", "type": "application/xml",
         "title": "ISO 19139 record through CSW GetRecordById",
         "href": links.csw_record(collection.identifier)},
        {"rel": "search", "type": "application/opensearchdescription+xml",
         "title": "EO OpenSearch description of the collection's products",
         "href": links.opensearch_description(collection.identifier)},
        {"rel": "alternate", "type": "application/json", "title": "STAC Collection",
         "href": links.stac_collection(collection.identifier)},
    ]
    return out


def openapi_document(config: dict[str, Any]) -> dict[str, Any]:
    """pygeoapi's OpenAPI document with the paths and parameters this adapter adds."""
    from pygeoapi.openapi import get_oas

    document = get_oas(config, fail_on_invalid_collection=True)
    paths = document.get("paths", {})
    filter_params = [
        {"name": "filter", "in": "query", "required": False, "schema": {"type": "string"},
         "description": "A CQL2 text or CQL2 JSON filter on the queryables"},
        {"name": "filter-lang", "in": "query", "required": False,
         "schema": {"type": "string", "enum": ["cql2-text", "cql2-json"],
                    "default": "cql2-text"}},
        {"name": "ids", "in": "query", "required": False, "style": "form", "explode": False,
         "schema": {"type": "array", "items": {"type": "string"}},
         "description": "Comma separated record identifiers"},
    ]
    for cid in config["resources"]:
        items = paths.get(f"/collections/{cid}/items", {}).get("get")
        if items is not None:
            items["parameters"].extend(filter_params)
        paths[f"/collections/{cid}/sortables"] = {"get": {
            "summary": "The properties records can be sorted by", "tags": [cid],
            "operationId": f"get{cid}Sortables",
            "responses": {"200": {"description": "JSON Schema of the sortables"}},
        }}
        if any(link["rel"] == "describedby" for link in config["resources"][cid]["links"]):
            paths[f"/collections/{cid}/metadata"] = {"get": {
                "summary": "ISO 19139 metadata record of the collection", "tags": [cid],
                "operationId": f"get{cid}Metadata",
                "responses": {"200": {"description": "the record",
                                      "content": {ISO_19139: {}}},
                              "404": {"description": "no record"}},
            }}
    return document
