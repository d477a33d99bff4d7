"""The STAC API routes under ``/stac`` (landing, conformance, collections, items, search)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, jsonify, request

from ogc_server.archive.extents import collection_extents
from ogc_server.archive.model import Collection
from ogc_server.errors import CollectionNotFound, InvalidQuery, ProductNotFound
from ogc_server.links import Links
from ogc_server.web.context import services
from ogc_server.web.stac import collections as stac_collections
from ogc_server.web.stac import errors, items, landing, openapi, params, properties, search
from ogc_server.web.stac.errors import StacError

blueprint = Blueprint("stac", __name__, url_prefix="/stac")
errors.install(blueprint)

MAX_BODY = 1 << 20
JSON = "application/json"


@blueprint.after_request
def _cors(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type, Accept"
    return response


def _reply(document: Any, mimetype: str = JSON, status: int = 200) -> Response:
    response = jsonify(document)
    response.status_code = status
    response.mimetype = mimetype
    return response


def _links() -> Links:
    return Links(services().settings.public_url)


def _collections() -> list[Collection]:
    return services().settings.collection_list


def _find(collection_id: str) -> Collection:
    for c in _collections():
        if c.identifier == collection_id:
            return c
    raise CollectionNotFound(f"no collection {collection_id!r}", locator="collectionId")


# Landing, conformance, collections ------------------------------------------------------------


@blueprint.get("/", strict_slashes=False)
def landing_page() -> Response:
    settings = services().settings
    return _reply(landing.landing_page(settings.title, _links(), _collections()))


@blueprint.get("/api")
def service_description() -> Response:
    settings = services().settings
    return _reply(openapi.document(f"{_links().base}/stac", settings.title), openapi.MEDIA_TYPE)


@blueprint.get("/conformance")
def conformance() -> Response:
    return _reply({"conformsTo": list(landing.CONFORMANCE)})


@blueprint.get("/collections")
def collection_list() -> Response:
    svc = services()
    links = _links()
    extents = collection_extents(svc.store)
    documents = [stac_collections.collection(c, extents.get(c.identifier), svc.settings, links)
                 for c in _collections()]
    root = f"{links.base}/stac"
    return _reply({
        "collections": documents,
        "links": [{"rel": "self", "type": JSON, "href": f"{root}/collections"},
                  {"rel": "root", "type": JSON, "href": root},
                  {"rel": "parent", "type": JSON, "href": root}],
        "numberMatched": len(documents),
        "numberReturned": len(documents),
    })


@blueprint.get("/collections/<collection_id>")
def collection(collection_id: str) -> Response:
    svc = services()
    c = _find(collection_id)
    extent = collection_extents(svc.store).get(c.identifier)
    return _reply(stac_collections.collection(c, extent, svc.settings, _links()))


@blueprint.get("/queryables")
def queryables() -> Response:
    url = f"{_links().base}/stac/queryables"
    document = properties.queryables_document(url, "Queryables of all collections",
                                              _collections())
    return _reply(document, "application/schema+json")


@blueprint.get("/collections/<collection_id>/queryables")
def collection_queryables(collection_id: str) -> Response:
    c = _find(collection_id)
    url = f"{_links().stac_collection(c.identifier)}/queryables"
    document = properties.queryables_document(url, f"Queryables of {c.title}", [c])
    return _reply(document, "application/schema+json")


# Items and search -------------------------------------------------------------------------------


@blueprint.get("/collections/<collection_id>/items")
def collection_items(collection_id: str) -> Response:
    c = _find(collection_id)
    links = _links()
    href = f"{links.stac_collection(c.identifier)}/items"
    request_ = params.from_args(request.args)
    paging = search.Paging(href, "GET", list(request.args.items(multi=True)))
    collection_href = links.stac_collection(c.identifier)
    extra = [{"rel": "collection", "type": JSON, "href": collection_href},
             {"rel": "parent", "type": JSON, "href": collection_href}]
    document = search.item_collection(services().store, links, request_, _collections(), paging,
                                      collection=c.identifier, extra_links=extra)
    return _reply(document, items.GEOJSON)


@blueprint.get("/collections/<collection_id>/items/<item_id>")
def item(collection_id: str, item_id: str) -> Response:
    c = _find(collection_id)
    try:
        if "\x00" in item_id:
            raise ProductNotFound(f"no product {item_id!r}")
        product = services().store.get(item_id)
    except ProductNotFound as exc:
        raise ProductNotFound(f"no item {item_id!r} in {c.identifier}", locator="itemId") from exc
    if product.collection != c.identifier:
        raise ProductNotFound(f"no item {item_id!r} in {c.identifier}", locator="itemId")
    return _reply(items.item(product, _links()), items.GEOJSON)


@blueprint.route("/search", methods=["GET", "POST"])
def item_search() -> Response:
    links = _links()
    href = f"{links.base}/stac/search"
    if request.method == "POST":
        body = _json_body()
        request_ = params.from_body(body)
        paging = search.Paging(href, "POST", body=body)
    else:
        request_ = params.from_args(request.args)
        paging = search.Paging(href, "GET", list(request.args.items(multi=True)))
    document = search.item_collection(services().store, links, request_, _collections(), paging)
    return _reply(document, items.GEOJSON)


def _json_body() -> Any:
    """The POSTed JSON document: at most :data:`MAX_BODY` bytes (413), valid JSON (400)."""
    mimetype = request.mimetype
    if mimetype and mimetype != JSON and not mimetype.endswith("+json"):
        raise InvalidQuery("the search body must be JSON (Content-Type: application/json)",
                           locator="body")
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise StacError(413, f"the body exceeds {MAX_BODY} bytes", locator="body")
    data = request.stream.read(MAX_BODY + 1)
    if len(data) > MAX_BODY:
        raise StacError(413, f"the body exceeds {MAX_BODY} bytes", locator="body")
    if not data.strip():
        return {}
    try:
        return json.loads(data, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise InvalidQuery("the search body is not valid JSON", locator="body") from exc


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
