"""The two policy hooks of downloads: who may download, and how an offline product comes back.

Both are the single place their later implementations go: access rules (accounts, roles,
quotas) in :func:`authorize_download`, the long-term-archive reload in :func:`order_reload`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from ogc_server.archive.model import Product
from ogc_server.archive.orders import Order, OrderStore

#: Seconds a client is told to wait before asking again for a product being reloaded.
RETRY_AFTER = 300


class Requester(Protocol):
    """What the access check may know of a request (a Flask request has all of it)."""

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def remote_addr(self) -> str | None: ...


def authorize_download(product: Product, request: Requester) -> None:
    """Raise a domain error (e.g. :class:`~ogc_server.errors.QuotaExceeded`) to refuse.

    Every product may be downloaded by everyone for now.
    """
    return None


def order_reload(orders: OrderStore, product: Product) -> tuple[Order, bool]:
    """The reload order of an offline ``product``: the pending one, or a new ``queued`` one.

    Returns ``(order, created)``. Whatever processes the queue moves the order on and sets
    the product online.
    """
    return orders.request(product.identifier)
