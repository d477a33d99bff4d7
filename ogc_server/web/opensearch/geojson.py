"""GeoJSON responses: OGC 17-047 (OpenSearch GeoJSON response encoding) with product
properties per OGC 17-003 (EO dataset metadata) and collection properties per OGC 17-084."""

from __future__ import annotations

from typing import Any

from shapely.geometry import box, mapping

from ogc_server.archive.model import Product
from ogc_server.web.opensearch import om
from ogc_server.web.opensearch.common import (
    DESCRIPTION_TYPE,
    ISO_TYPE,
    STAC_ITEM_TYPE,
    CollectionHit,
    Page,
    compact,
    data_type,
    interval,
    om_url,
)
from ogc_server.web.opensearch.params import FORMATS
from ogc_server.web.opensearch.ranges import as_utc_text

MEDIA_TYPE = "application/geo+json"
OWC_PROFILE = "http://www.opengis.net/spec/owc-geojson/1.0/req/core"


def feature_collection(page: Page) -> dict[str, Any]:
    """The FeatureCollection of one page of products or collections."""
    links: dict[str, list[dict[str, Any]]] = {
        "profiles": [{"href": OWC_PROFILE, "title": "OWC GeoJSON profile"}],
    }
    for rel, href in page.paging("geojson"):
        links[rel] = [{"href": href, "type": MEDIA_TYPE, "title": f"{rel} results"}]
    links["alternates"] = [{"href": page.url("atom"), "type": FORMATS["atom"], "title": "Atom"}]
    links["search"] = [{"href": page.description_url(), "type": DESCRIPTION_TYPE,
                        "title": "OpenSearch description"}]
    if page.is_collection_search:
        features = [collection_feature(page, hit) for hit in page.collections]
    else:
        features = [product_feature(page, product) for product in page.products]
    return {
        "type": "FeatureCollection",
        "id": page.url("geojson"),
        "totalResults": page.total,
        "startIndex": page.request.start_index,
        "itemsPerPage": page.returned,
        "queries": {"request": [_query(page)]},
        "properties": {
            "title": page.title,
            "updated": as_utc_text(page.now),
            "lang": "en",
            "creator": page.settings.contact.organisation,
            "links": links,
        },
        "features": features,
    }


def _query(page: Page) -> dict[str, Any]:
    query: dict[str, Any] = {name: value for name, value in page.query_attributes().items()
                             if name != "role"}
    query["count"], query["startIndex"] = page.request.count, page.request.start_index
    return query


def product_feature(page: Page, product: Product) -> dict[str, Any]:
    links = page.links
    entry_links: dict[str, list[dict[str, Any]]] = {
        "alternates": [
            {"href": links.opensearch_product(product), "type": FORMATS["atom"],
             "title": "Atom format"},
            {"href": links.opensearch_product(product, MEDIA_TYPE), "type": MEDIA_TYPE,
             "title": "GeoJSON format"},
            {"href": om_url(links, product), "type": om.MEDIA_TYPE, "title": "O&M metadata"},
            {"href": links.stac_item(product), "type": STAC_ITEM_TYPE, "title": "STAC item"},
            {"href": links.csw_record(product.identifier), "type": ISO_TYPE,
             "title": "ISO 19139 metadata (CSW)"},
        ],
        "enclosure": [compact({"href": links.download(product), "type": data_type(product),
                               "title": "Download", "length": product.size})],
        "icon": [],
        "previews": [],
        "up": [{"href": links.opensearch_description(product.collection),
                "type": DESCRIPTION_TYPE, "title": "Collection"}],
    }
    thumbnail, quicklook = links.thumbnail(product), links.quicklook(product)
    if thumbnail:
        entry_links["icon"].append({"href": thumbnail, "type": "image/jpeg",
                                    "title": "Thumbnail"})
    for kind, href in (("QUICKLOOK", quicklook), ("THUMBNAIL", thumbnail)):
        if href:
            entry_links["previews"].append({"href": href, "type": "image/jpeg",
                                            "title": kind.title(), "category": kind})
    properties = compact({
        "identifier": product.identifier,
        "parentIdentifier": product.collection,
        "title": product.identifier,
        "date": interval(product.start, product.end),
        "updated": as_utc_text(product.modification_date or product.start),
        "published": as_utc_text(product.ingestion_date) if product.ingestion_date else None,
        "status": product.production_status,
        "onlineState": str(product.online_state.value),
        "acquisitionInformation": [_acquisition(product)],
        "productInformation": _product_information(product),
        "links": {k: v for k, v in entry_links.items() if v},
    })
    return {
        "type": "Feature",
        "id": links.opensearch_product(product, MEDIA_TYPE),
        "bbox": [round(v, 7) for v in product.footprint.bounds],
        "geometry": _rounded(mapping(product.footprint)),
        "properties": properties,
    }


def _acquisition(product: Product) -> dict[str, Any]:
    kind = om.family(product.instrument)
    parameters = compact({
        "acquisitionType": "NOMINAL",
        "beginningDateTime": as_utc_text(product.start),
        "endingDateTime": as_utc_text(product.end),
        "orbitNumber": product.orbit_number,
        "orbitDirection": product.orbit_direction,
        "relativeOrbitNumber": product.relative_orbit_number,
        "frame": product.frame,
        "polarisationMode": product.polarisation_mode,
        "polarisationChannels": product.polarisation_channels,
        "antennaLookDirection": product.antenna_look_direction,
        "minimumIncidenceAngle": product.minimum_incidence_angle,
        "maximumIncidenceAngle": product.maximum_incidence_angle,
        "tileId": product.tile_id,
    })
    return {
        "platform": {"platformShortName": product.platform,
                     "platformSerialIdentifier": product.platform_serial_identifier,
                     "orbitType": "LEO"},
        "instrument": compact({"instrumentShortName": product.instrument,
                               "sensorType": {"sar": "RADAR", "opt": "OPTICAL",
                                              "atm": "ATMOSPHERIC"}[kind],
                               "sensorMode": product.sensor_mode,
                               "sensorResolution": product.resolution}),
        "acquisitionParameters": parameters,
    }


def _product_information(product: Product) -> dict[str, Any]:
    return compact({
        "productType": product.product_type,
        "processingLevel": product.processing_level,
        "timeliness": product.timeliness,
        "processingBaseline": product.processing_baseline,
        "creationDate": as_utc_text(product.creation_date) if product.creation_date else None,
        "availabilityTime": (as_utc_text(product.ingestion_date) if product.ingestion_date
                             else None),
        "cloudCover": product.cloud_cover,
        "snowCover": product.snow_cover,
        "size": product.size,
        "fileName": product.file_name,
    })


def collection_feature(page: Page, hit: CollectionHit) -> dict[str, Any]:
    links, collection = page.links, hit.collection
    geometry = mapping(box(*hit.bbox)) if hit.bbox else None
    return {
        "type": "Feature",
        "id": links.opensearch_description(collection.identifier),
        "bbox": [round(v, 7) for v in hit.bbox] if hit.bbox else None,
        "geometry": _rounded(geometry) if geometry else None,
        "properties": compact({
            "type": "collection",
            "identifier": collection.identifier,
            "title": collection.title,
            "abstract": collection.abstract,
            "date": interval(hit.start, hit.end),
            "updated": as_utc_text(hit.end or page.now),
            "keyword": list(collection.keywords),
            "totalResults": hit.count,
            "acquisitionInformation": [{
                "platform": {"platformShortName": collection.platform},
                "instrument": {"instrumentShortName": collection.instrument},
            }],
            "productInformation": {"processingLevel": collection.processing_level,
                                   "productType": list(collection.product_types)},
            "links": {
                "search": [{"href": links.opensearch_description(collection.identifier),
                            "type": DESCRIPTION_TYPE,
                            "title": "OpenSearch description of the products"}],
                "alternates": [
                    {"href": links.csw_record(collection.identifier), "type": ISO_TYPE,
                     "title": "ISO 19139 metadata (CSW)"},
                    {"href": links.stac_collection(collection.identifier),
                     "type": "application/json", "title": "STAC collection"},
                ],
                "related": [{"href": links.opensearch_request(
                    [("parentIdentifier", collection.identifier),
                     ("httpAccept", MEDIA_TYPE)]), "type": MEDIA_TYPE, "title": "Products"}],
            },
        }),
    }


def _rounded(geometry: Any) -> Any:
    """GeoJSON coordinates rounded to 7 decimals (about 1 cm)."""
    def walk(value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return [walk(v) for v in value]
        return round(value, 7) if isinstance(value, float) else value

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}
