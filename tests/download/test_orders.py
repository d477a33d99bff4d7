"""Offline products: 202 with a reload order, one pending order per product."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ogc_server.archive.model import OnlineState
from ogc_server.archive.orders import OrderStore
from ogc_server.archive.query import ProductQuery
from ogc_server.services import Services
from ogc_server.web import create_app


def _offline(services: Services):
    return next(p for p in services.store.query(ProductQuery(limit=10)).products
                if p.online_state != OnlineState.ONLINE)


def test_offline_product_answers_202_with_an_order(writable: Services) -> None:
    client = create_app(writable).test_client()
    product = _offline(writable)
    response = client.get(f"/download/{product.file_name}")
    assert response.status_code == 202
    assert response.headers["Retry-After"].isdigit()
    body = response.get_json()
    order = body["order"]
    assert body["product"] == product.identifier
    assert order["state"] == "queued" and order["product"] == product.identifier
    assert response.headers["Location"] == order["links"][0]["href"]
    again = client.get(f"/download/{product.file_name}").get_json()["order"]
    assert again["id"] == order["id"]  # idempotent while pending
    shown = client.get(f"/download/orders/{order['id']}")
    assert shown.status_code == 200
    assert shown.get_json()["state"] == "queued"
    assert any(link["rel"] == "enclosure" for link in shown.get_json()["links"])


def test_a_new_order_once_the_pending_one_ended(writable: Services) -> None:
    orders = OrderStore(writable.engine)
    product = _offline(writable)
    first, created = orders.request(product.identifier)
    assert created
    orders.set_state(first.id, "done")
    second, created = orders.request(product.identifier)
    assert created and second.id != first.id


def test_concurrent_requests_make_one_order(writable: Services) -> None:
    orders = OrderStore(writable.engine)
    product = _offline(writable)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: orders.request(product.identifier), range(8)))
    assert len({order.id for order, _ in results}) == 1
    assert sum(created for _, created in results) == 1


def test_unknown_order_is_not_found(writable: Services) -> None:
    client = create_app(writable).test_client()
    response = client.get("/download/orders/" + "0" * 32)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"


def test_online_product_of_a_writable_catalogue_downloads(writable: Services) -> None:
    client = create_app(writable).test_client()
    product = next(p for p in writable.store.query(ProductQuery(limit=10)).products
                   if p.online_state == OnlineState.ONLINE)
    assert client.head(f"/download/{product.file_name}").status_code == 200


def test_product_without_file_name_is_found_by_its_link(writable: Services) -> None:
    """Metadata-only records have no file name: their link ``<identifier>.zip`` still works."""
    from ogc_server.links import Links

    product = _offline(writable)
    writable.store.upsert(product.replace(file_name=None, checksum="sha256:changed"))
    bare = writable.store.get(product.identifier)
    assert bare.file_name is None
    href = Links("http://x").download(bare)
    response = create_app(writable).test_client().get(href.removeprefix("http://x"))
    assert response.status_code == 202
