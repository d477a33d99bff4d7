"""The OpenAPI 3.0 description of the STAC API (the landing page's ``service-desc``)."""

from __future__ import annotations

from typing import Any

from ogc_server.web.stac.params import DEFAULT_LIMIT, MAX_LIMIT

MEDIA_TYPE = "application/vnd.oai.openapi+json;version=3.0"


def _query(name: str, description: str, schema: dict[str, Any],
           style: str | None = None) -> dict[str, Any]:
    parameter: dict[str, Any] = {"name": name, "in": "query", "required": False,
                                 "description": description, "schema": schema}
    if style:
        parameter.update(style=style, explode=False)
    return parameter


_STRINGS = {"type": "array", "items": {"type": "string"}}
_SEARCH_PARAMETERS = [
    _query("bbox", "west,south,east,north (or six numbers) in degrees (CRS84)",
           {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 6},
           "form"),
    _query("datetime", "RFC 3339 instant or interval (`..` for an open end)",
           {"type": "string"}),
    _query("limit", f"items per page, 1 to {MAX_LIMIT} (larger values are lowered)",
           {"type": "integer", "minimum": 1, "default": DEFAULT_LIMIT}),
    _query("token", "paging token from a next or prev link", {"type": "string"}),
    _query("sortby", "sort keys: +field or -field, comma separated", {"type": "string"}),
    _query("fields", "attributes to include (name) or exclude (-name), comma separated",
           {"type": "string"}),
    _query("filter", "CQL2 filter (see /stac/queryables)", {"type": "string"}),
    _query("filter-lang", "cql2-text (default) or cql2-json",
           {"type": "string", "enum": ["cql2-text", "cql2-json"]}),
    _query("filter-crs", "only CRS84",
           {"type": "string", "enum": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"]}),
    _query("query", "query extension as JSON text", {"type": "string"}),
]
_ITEM_SEARCH = _SEARCH_PARAMETERS + [
    _query("collections", "collection identifiers", _STRINGS, "form"),
    _query("ids", "item identifiers", _STRINGS, "form"),
    _query("intersects", "GeoJSON geometry as JSON text", {"type": "string"}),
]
_COLLECTION_ID = {"name": "collectionId", "in": "path", "required": True,
                  "schema": {"type": "string"}}
_ITEM_ID = {"name": "itemId", "in": "path", "required": True, "schema": {"type": "string"}}


def _answer(description: str, media_type: str = "application/json") -> dict[str, Any]:
    return {"200": {"description": description, "content": {media_type: {}}},
            "400": {"description": "bad request (a problem document naming the parameter)",
                    "content": {"application/problem+json": {}}},
            "404": {"description": "not found", "content": {"application/problem+json": {}}}}


def document(root: str, title: str) -> dict[str, Any]:
    geojson = "application/geo+json"
    return {
        "openapi": "3.0.3",
        "info": {"title": f"{title}: STAC API", "version": "1.0.0",
                 "description": "STAC API 1.0 over the Copernicus Sentinel rolling archive."},
        "servers": [{"url": root}],
        "paths": {
            "/": {"get": {"summary": "Landing page", "operationId": "landingPage",
                          "responses": _answer("the landing page (a STAC Catalog)")}},
            "/conformance": {"get": {"summary": "Conformance classes",
                                     "operationId": "conformance",
                                     "responses": _answer("conformance classes")}},
            "/api": {"get": {"summary": "This document", "operationId": "serviceDesc",
                             "responses": _answer("OpenAPI document", MEDIA_TYPE)}},
            "/queryables": {"get": {"summary": "Queryables of all collections",
                                    "operationId": "queryables",
                                    "responses": _answer("JSON Schema",
                                                         "application/schema+json")}},
            "/collections": {"get": {"summary": "Collections", "operationId": "collections",
                                     "responses": _answer("STAC Collections")}},
            "/collections/{collectionId}": {"get": {
                "summary": "One collection", "operationId": "collection",
                "parameters": [_COLLECTION_ID], "responses": _answer("a STAC Collection")}},
            "/collections/{collectionId}/queryables": {"get": {
                "summary": "Queryables of one collection", "operationId": "collectionQueryables",
                "parameters": [_COLLECTION_ID],
                "responses": _answer("JSON Schema", "application/schema+json")}},
            "/collections/{collectionId}/items": {"get": {
                "summary": "Items of one collection", "operationId": "items",
                "parameters": [_COLLECTION_ID, *_SEARCH_PARAMETERS],
                "responses": _answer("a page of Items", geojson)}},
            "/collections/{collectionId}/items/{itemId}": {"get": {
                "summary": "One item", "operationId": "item",
                "parameters": [_COLLECTION_ID, _ITEM_ID],
                "responses": _answer("a STAC Item", geojson)}},
            "/search": {
                "get": {"summary": "Item search", "operationId": "searchGet",
                        "parameters": _ITEM_SEARCH,
                        "responses": _answer("a page of Items", geojson)},
                "post": {"summary": "Item search", "operationId": "searchPost",
                         "requestBody": {"required": False, "content": {
                             "application/json": {"schema": {"type": "object"}}}},
                         "responses": {**_answer("a page of Items", geojson),
                                       "413": {"description": "body over 1 MiB"}}},
            },
        },
    }
