"""The STAC API landing page and the conformance classes it declares."""

from __future__ import annotations

from typing import Any

from ogc_server.archive.model import Collection
from ogc_server.links import Links
from ogc_server.web.stac.collections import QUERYABLES_REL
from ogc_server.web.stac.items import GEOJSON, STAC_VERSION

STAC_API = "https://api.stacspec.org"
CQL2 = "http://www.opengis.net/spec/cql2/1.0/conf"
FEATURES_1 = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf"
FEATURES_3 = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf"

CONFORMANCE: tuple[str, ...] = (
    f"{STAC_API}/v1.0.0/core",
    f"{STAC_API}/v1.0.0/collections",
    f"{STAC_API}/v1.0.0/ogcapi-features",
    f"{STAC_API}/v1.0.0/item-search",
    f"{STAC_API}/v1.0.0/item-search#fields",
    f"{STAC_API}/v1.0.0/ogcapi-features#fields",
    f"{STAC_API}/v1.0.0/item-search#sort",
    f"{STAC_API}/v1.0.0/ogcapi-features#sort",
    f"{STAC_API}/v1.0.0-rc.1/item-search#query",
    f"{STAC_API}/v1.0.0-rc.1/ogcapi-features#query",
    f"{STAC_API}/v1.0.0-rc.2/item-search#filter",
    f"{FEATURES_1}/core",
    f"{FEATURES_1}/geojson",
    f"{FEATURES_3}/filter",
    f"{FEATURES_3}/features-filter",
    f"{CQL2}/cql2-text",
    f"{CQL2}/cql2-json",
    f"{CQL2}/basic-cql2",
    f"{CQL2}/advanced-comparison-operators",
    f"{CQL2}/basic-spatial-operators",
    f"{CQL2}/basic-spatial-functions",
    f"{CQL2}/basic-spatial-functions-plus",
    f"{CQL2}/array-operators",
)


def landing_page(title: str, links: Links, collections: list[Collection]) -> dict[str, Any]:
    root = f"{links.base}/stac"
    page_links = [
        {"rel": "self", "type": "application/json", "href": root},
        {"rel": "root", "type": "application/json", "href": root},
        {"rel": "service-desc", "type": "application/vnd.oai.openapi+json;version=3.0",
         "href": f"{root}/api", "title": "OpenAPI description"},
        {"rel": "conformance", "type": "application/json", "href": f"{root}/conformance",
         "title": "Conformance classes"},
        {"rel": "data", "type": "application/json", "href": f"{root}/collections",
         "title": "Collections"},
        {"rel": "search", "type": GEOJSON, "href": f"{root}/search", "method": "GET",
         "title": "Item search"},
        {"rel": "search", "type": GEOJSON, "href": f"{root}/search", "method": "POST",
         "title": "Item search"},
        {"rel": QUERYABLES_REL, "type": "application/schema+json",
         "href": f"{root}/queryables", "title": "Queryables"},
        {"rel": "alternate", "type": "application/opensearchdescription+xml",
         "href": links.opensearch_description(), "title": "EO OpenSearch"},
    ]
    page_links += [
        {"rel": "child", "type": "application/json", "href": links.stac_collection(c.identifier),
         "title": c.title}
        for c in collections
    ]
    return {
        "type": "Catalog",
        "stac_version": STAC_VERSION,
        "id": "ogc-server",
        "title": title,
        "description": "STAC API of the Copernicus Sentinel rolling archive: every product of "
                       "the catalogue, searchable by place, time and properties.",
        "conformsTo": list(CONFORMANCE),
        "links": page_links,
    }
