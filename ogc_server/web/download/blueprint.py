"""``/download/<file name>`` (whole products), reload orders, and Metalink 4 documents.

Products are looked up in the catalogue by file name or identifier; what the client sends is
never joined into a path. Names that no product could have answer 404 before the catalogue is
asked. Offline products answer 202 with a reload order to follow.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask import Blueprint, Response, current_app, jsonify, request

from ogc_server.archive.model import OnlineState, Product
from ogc_server.archive.orders import Order, OrderNotFound, OrderStore
from ogc_server.download.access import RETRY_AFTER, authorize_download, order_reload
from ogc_server.download.metalink import MEDIA_TYPE, MetalinkFile, metalink
from ogc_server.download.representation import Representations
from ogc_server.errors import InvalidQuery, ProductNotFound
from ogc_server.links import Links
from ogc_server.services import Services
from ogc_server.web.context import services
from ogc_server.web.download.http import answer

blueprint = Blueprint("download", __name__)

#: What a product's file name or identifier can look like (anything else is not found).
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,299}$")
_ORDER = re.compile(r"^[0-9a-f]{32}$")
#: Products one basket metalink may name.
MAX_BASKET = 1000
MAX_BODY = 1 << 20


# Routes ---------------------------------------------------------------------------------------


@blueprint.route("/download/<name>", methods=["GET", "HEAD"])
def download(name: str) -> Response:
    svc = services()
    try:
        product = product_by_file_name(svc, name)
    except ProductNotFound:
        if name.endswith(".meta4"):
            return _metalink_response([product_by_file_name(svc, name[: -len(".meta4")])])
        raise
    authorize_download(product, request)
    if product.online_state != OnlineState.ONLINE:
        return _offline(svc, product)
    return answer(representations(svc).get(product), request)


@blueprint.get("/download/orders/<order_id>")
def order(order_id: str) -> Response:
    svc = services()
    if not _ORDER.match(order_id):
        raise OrderNotFound(f"no order {order_id!r}", locator="order")
    found = OrderStore(svc.engine).get(order_id)
    return jsonify(_order_json(svc, found))


@blueprint.get("/metalink/<identifier>")
def product_metalink(identifier: str) -> Response:
    return _metalink_response([product_by_identifier(services(), identifier)])


@blueprint.post("/metalink")
def basket_metalink() -> Response:
    """A metalink of the products named by a JSON list of identifiers (or ``{"ids": [..]}``)."""
    if (request.content_length or 0) > MAX_BODY:
        raise InvalidQuery(f"the basket is larger than {MAX_BODY} bytes", locator="ids")
    data = request.get_json(silent=True, force=True)
    if isinstance(data, dict):
        data = data.get("ids")
    if (not isinstance(data, list) or not data or len(data) > MAX_BASKET
            or not all(isinstance(i, str) for i in data)):
        raise InvalidQuery(f"send a JSON list of 1 to {MAX_BASKET} product identifiers",
                           locator="ids")
    svc = services()
    return _metalink_response([product_by_identifier(svc, i) for i in dict.fromkeys(data)])


# Helpers --------------------------------------------------------------------------------------


def representations(svc: Services) -> Representations:
    """The app's cache of product representations (one per storage)."""
    cache = current_app.extensions.get("download")
    if cache is None or cache.storage is not svc.storage:
        cache = current_app.extensions["download"] = Representations(svc.storage)
    return cache


def product_by_file_name(svc: Services, name: str) -> Product:
    """The product downloaded as ``name``.

    A product catalogued without a file name (metadata only) is linked as
    ``<identifier>.zip`` (see :class:`~ogc_server.links.Links`): that name finds it too.
    """
    if not _NAME.match(name):
        raise ProductNotFound(f"no product file {name!r}", locator="file name")
    try:
        return svc.store.get_by_file_name(name)
    except ProductNotFound:
        stem = name.removesuffix(".zip")
        if stem != name:
            try:
                product = svc.store.get(stem)
            except ProductNotFound:
                pass
            else:
                if not product.file_name:
                    return product
        raise


def product_by_identifier(svc: Services, identifier: str) -> Product:
    if not _NAME.match(identifier):
        raise ProductNotFound(f"no product {identifier!r}", locator="identifier")
    return svc.store.get(identifier)


def _offline(svc: Services, product: Product) -> Response:
    found, _created = order_reload(OrderStore(svc.engine), product)
    body = {
        "status": 202,
        "title": "Accepted",
        "detail": f"{product.identifier} is {product.online_state.value}: it is being reloaded "
                  "from the long-term archive; ask again later",
        "product": product.identifier,
        "order": _order_json(svc, found),
    }
    response = jsonify(body)
    response.status_code = 202
    response.headers["Retry-After"] = str(RETRY_AFTER)
    response.headers["Location"] = Links(svc.settings.public_url).download_order(found.id)
    response.headers["Cache-Control"] = "no-store"
    return response


def _order_json(svc: Services, found: Order) -> dict[str, object]:
    links = Links(svc.settings.public_url)
    out: list[dict[str, str]] = [
        {"rel": "self", "href": links.download_order(found.id), "type": "application/json"},
    ]
    try:
        product = svc.store.get(found.product)
        out.append({"rel": "enclosure", "href": links.download(product),
                    "title": "the product, once it is online"})
    except ProductNotFound:
        pass
    return {"id": found.id, "product": found.product, "state": found.state,
            "created": found.created.isoformat(), "updated": found.updated.isoformat(),
            "message": found.message, "links": out}


def metalink_files(svc: Services, products: Iterable[Product]) -> list[MetalinkFile]:
    """The metalink entries of ``products``: size and hashes of the bytes sent, where online."""
    links = Links(svc.settings.public_url)
    files = []
    for product in products:
        name = product.file_name or f"{product.identifier}.zip"
        if product.online_state == OnlineState.ONLINE and product.storage_path:
            rep = representations(svc).get(product)
            files.append(MetalinkFile(name, links.download(product), rep.size,
                                      {"sha-256": rep.sha256.hex(), "md5": rep.md5.hex()},
                                      identity=product.identifier))
        else:
            files.append(MetalinkFile(name, links.download(product), identity=product.identifier))
    return files


def _metalink_response(products: list[Product]) -> Response:
    body = metalink(metalink_files(services(), products))
    response = Response(body, mimetype=MEDIA_TYPE)
    if len(products) == 1:
        name = (products[0].file_name or products[0].identifier) + ".meta4"
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
