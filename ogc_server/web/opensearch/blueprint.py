"""``/opensearch``: description documents and the search (Atom, GeoJSON, SRU/O&M).

Routes: ``/opensearch/description.xml[?parentIdentifier=ID]`` and ``/opensearch/request`` (with
or without a trailing slash). Bad input answers 400 (unknown collection: 404) with an OWS
exception report, or a JSON problem when GeoJSON was asked for; the parameter is named.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Blueprint, Response, current_app, json, request

from ogc_server.archive.extents import collection_extents
from ogc_server.download import metalink
from ogc_server.errors import InvalidQuery, NotFound, OgcServerError
from ogc_server.metadata import find_collection
from ogc_server.services import Services
from ogc_server.web.context import services
from ogc_server.web.errors import status_for
from ogc_server.web.opensearch import atom, collections, description, geojson, params, sru
from ogc_server.web.opensearch.common import Page
from ogc_server.web.opensearch.errors import error_response, exception_report
from ogc_server.web.opensearch.ranges import clean

LOGGER = logging.getLogger(__name__)
blueprint = Blueprint("opensearch", __name__, url_prefix="/opensearch")

#: Seconds the options of a description and the collections' extents are reused.
CACHE_SECONDS = 60.0
_NEGOTIABLE = ["application/atom+xml", "application/geo+json", "application/json",
               "application/sru+xml"]
#: Catalogue properties whose values become the options of a product description.
_OPTION_PROPERTIES = {
    "platformSerialIdentifier": "platform_serial_identifier",
    "sensorMode": "sensor_mode", "productType": "product_type",
    "orbitDirection": "orbit_direction", "polarisationMode": "polarisation_mode",
    "polarisationChannels": "polarisation_channels",
    "antennaLookDirection": "antenna_look_direction", "productionStatus": "production_status",
}


# Routes ---------------------------------------------------------------------------------------


@blueprint.get("")
@blueprint.get("/")
@blueprint.get("/description.xml")
def describe() -> Response:
    svc = services()
    raw = request.args.get("parentIdentifier", "")
    parent = clean("parentIdentifier", raw) if raw else ""
    settings = svc.settings
    if not parent:
        collections_ = settings.collection_list
        options = {"platform": sorted({c.platform for c in collections_}),
                   "instrument": sorted({c.instrument for c in collections_}),
                   "processingLevel": sorted({c.processing_level for c in collections_}),
                   "productType": sorted({t for c in collections_ for t in c.product_types})}
        body = description.description(settings, None, options)
    else:
        collection = find_collection(settings, parent)
        options, extent, period = _collection_facts(svc, collection.identifier)
        options = {"platform": [collection.platform], "instrument": [collection.instrument],
                   "processingLevel": [collection.processing_level],
                   **options,
                   "productType": sorted({*collection.product_types,
                                          *options.get("productType", [])})}
        body = description.description(settings, collection, options, extent, period)
    return _respond(body, description.MEDIA_TYPE)


@blueprint.get("/request")
@blueprint.get("/request/")
def search() -> Response:
    svc = services()
    parsed = params.parse(request.args.items(multi=True))
    fmt = parsed.fmt or _negotiate()
    settings = svc.settings
    if parsed.parent:
        find_collection(settings, parsed.parent)
    if _is_collection_search(parsed, fmt, settings):
        if fmt in ("sru", "om", "metalink"):
            raise InvalidQuery("SRU, O&M and metalink responses are for product searches: add "
                               "parentIdentifier", locator="httpAccept")
        stats = svc.store.collection_stats()
        hits, total = collections.search(parsed, settings.collection_list, stats,
                                         _extents(svc))
        page = Page(parsed, settings, total, collections=hits, is_collection_search=True)
    else:
        if fmt == "om" and not parsed.query.identifiers:
            raise InvalidQuery("O&M records are given for one product: add uid", locator="uid")
        result = svc.store.query(parsed.query)
        page = Page(parsed, settings, result.total or 0, products=result.products)
        if fmt == "om" and not page.products:
            raise NotFound(f"no product {parsed.query.identifiers[0]!r}", locator="uid")
    return _encode(page, fmt)


def _is_collection_search(parsed: params.SearchRequest, fmt: str, settings: Any) -> bool:
    """No parentIdentifier: the collection search, unless ``uid`` names a product (the links
    of product entries do so) or an O&M record is asked for."""
    if parsed.parent:
        return False
    if fmt == "om":
        return False
    identifiers = list(parsed.query.identifiers)
    known = {c.identifier for c in settings.collection_list}
    return not identifiers or all(i in known for i in identifiers)


def _encode(page: Page, fmt: str) -> Response:
    if fmt == "geojson":
        body = json.dumps(geojson.feature_collection(page), ensure_ascii=False).encode()
        return _respond(body, geojson.MEDIA_TYPE)
    if fmt == "sru":
        return _respond(sru.search_retrieve_response(page), sru.MEDIA_TYPE)
    if fmt == "om":
        return _respond(sru.record(page), "application/gml+xml")
    if fmt == "metalink":  # the page's products as one download basket
        from ogc_server.web.download.blueprint import metalink_files

        files = metalink_files(services(), page.products)
        return _respond(metalink.metalink(files), metalink.MEDIA_TYPE)
    return _respond(atom.feed(page), atom.MEDIA_TYPE)


def _respond(body: bytes, media_type: str) -> Response:
    response = Response(body, mimetype=media_type)
    if media_type.endswith("xml"):
        response.content_type = f"{media_type}; charset=utf-8"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.vary.add("Accept")
    return response


def _negotiate() -> str:
    best = request.accept_mimetypes.best_match(_NEGOTIABLE, default="application/atom+xml")
    return params.format_key(best or "application/atom+xml")


# Catalogue facts, cached per application ------------------------------------------------------


def _cache() -> dict[str, tuple[float, Any]]:
    return current_app.extensions.setdefault("opensearch", {})


def _cached(key: str, compute: Any) -> Any:
    cache = _cache()
    hit = cache.get(key)
    now = time.monotonic()
    if hit and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    value = compute()
    cache[key] = (now, value)
    return value


def _extents(svc: Services) -> dict[str, tuple[float, float, float, float]]:
    return {name: extent.bbox for name, extent in collection_extents(svc.store).items()
            if extent.bbox}


def _collection_facts(svc: Services, identifier: str) -> tuple[dict[str, list[str]], Any, Any]:
    def compute() -> tuple[dict[str, list[str]], Any, Any]:
        options = {name: [str(v) for v in svc.store.distinct_values(prop, [identifier])]
                   for name, prop in _OPTION_PROPERTIES.items()}
        stats = svc.store.collection_stats().get(identifier)
        period = (stats.start, stats.end) if stats and stats.start and stats.end else None
        return {k: v for k, v in options.items() if v}, _extents(svc).get(identifier), period

    return _cached(f"facts:{identifier}", compute)


# Errors ---------------------------------------------------------------------------------------


def _wants_json() -> bool:
    if request.path.rstrip("/").endswith(("description.xml", "/opensearch")):
        return False
    value = request.args.get("httpAccept")
    if value:
        try:
            return params.format_key(value) == "geojson"
        except InvalidQuery:
            return False
    best = request.accept_mimetypes.best_match(_NEGOTIABLE, default="application/atom+xml")
    return best in ("application/geo+json", "application/json")


@blueprint.errorhandler(OgcServerError)
def _domain_error(exc: OgcServerError) -> Response:
    status = status_for(exc)
    if status >= 500:
        LOGGER.error("%s %s failed: %s", request.method, request.path, exc, exc_info=exc)
        return error_response(500, "the server could not answer this request", None,
                              _wants_json())
    if isinstance(exc, NotFound) and exc.locator is None:
        exc.locator = "parentIdentifier"
    return error_response(status, exc.user_msg, exc.locator or "query", _wants_json())


@blueprint.errorhandler(Exception)
def _unexpected(exc: Exception) -> Response:
    if hasattr(exc, "code") and hasattr(exc, "get_response"):  # an HTTP error of Flask
        return exc.get_response()  # type: ignore[no-any-return]
    LOGGER.error("%s %s failed", request.method, request.path, exc_info=exc)
    if _wants_json():
        return error_response(500, "the server could not answer this request", None, True)
    return exception_report(500, "the server could not answer this request")
