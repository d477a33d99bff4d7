"""Reload orders: a request to bring an offline product back online.

An order is created when someone asks for a product whose data is not online. At most one order
per product is pending (``queued`` or ``running``): asking again joins it. The long-term-archive
reload that moves orders on (offline -> staging -> online) lives with the archive lifecycle; this
module only records and reads orders.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ogc_server.archive.database import write_transaction
from ogc_server.archive.tables import orders
from ogc_server.errors import NotFound

OC = orders.c
PENDING = ("queued", "running")
STATES = (*PENDING, "done", "failed")


class OrderNotFound(NotFound):
    pass


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    product: str
    """Identifier of the product to reload."""
    state: str
    """``queued``, ``running``, ``done`` or ``failed``."""
    created: datetime
    updated: datetime
    message: str | None = None

    @property
    def pending(self) -> bool:
        return self.state in PENDING


class OrderStore:
    """Orders in the catalogue's database (same engine as the products)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def request(self, product: str) -> tuple[Order, bool]:
        """The pending order of ``product``, created if there is none; ``(order, created)``.

        Idempotent under concurrency: a unique index allows one pending order per product, so
        a request that loses the race reads the winner's order.
        """
        existing = self.pending(product)
        if existing is not None:
            return existing, False
        now = datetime.now(UTC)
        order = Order(secrets.token_hex(16), product, "queued", now, now)
        try:
            with write_transaction(self.engine) as conn:
                conn.execute(orders.insert().values(
                    id=order.id, product=product, state=order.state, created=now, updated=now))
        except sa.exc.IntegrityError:
            existing = self.pending(product)
            if existing is None:  # pragma: no cover - the pending order ended meanwhile
                raise
            return existing, False
        return order, True

    def pending(self, product: str) -> Order | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(orders).where(OC.product == product, OC.state.in_(PENDING))
            ).first()
        return _order(row._mapping) if row else None

    def get(self, order_id: str) -> Order:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(orders).where(OC.id == order_id)).first()
        if row is None:
            raise OrderNotFound(f"no order {order_id!r}", locator="order")
        return _order(row._mapping)

    def set_state(self, order_id: str, state: str, message: str | None = None) -> None:
        """Move an order on (for the reload that processes them)."""
        if state not in STATES:
            raise ValueError(f"unknown order state {state!r}")
        with write_transaction(self.engine) as conn:
            result = conn.execute(orders.update().where(OC.id == order_id).values(
                state=state, message=message, updated=datetime.now(UTC)))
        if result.rowcount == 0:
            raise OrderNotFound(f"no order {order_id!r}", locator="order")


def _order(row: Any) -> Order:
    return Order(id=row["id"], product=row["product"], state=row["state"],
                 created=row["created"], updated=row["updated"], message=row["message"])
