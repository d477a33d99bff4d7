"""Catalogue rows and :class:`~ogc_server.archive.model.Product` objects, both ways."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

import shapely

from ogc_server.archive.model import OnlineState, Product
from ogc_server.archive.tables import products

_FIELD_TO_COLUMN = {"start": "start_time", "end": "end_time"}
_PRODUCT_FIELDS = [f.name for f in fields(Product)]
ROW_COLUMNS = [c.name for c in products.columns if c.name != "id"]
_PLAIN_FIELDS = [(name, _FIELD_TO_COLUMN.get(name, name)) for name in _PRODUCT_FIELDS
                 if name not in ("footprint", "extra", "online_state")]


def aware(value: Any) -> datetime | None:
    """``value`` as an aware UTC date-time (databases may hand back naive ones or text)."""
    if value is None:
        return None
    if isinstance(value, str):  # SQLite aggregates bypass the column type
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def to_row(product: Product) -> dict[str, Any]:
    """The table row for ``product`` (archive facts must be set)."""
    if product.collection is None or product.region is None:
        raise ValueError(f"{product.identifier}: collection and region must be set")
    now = datetime.now(UTC)
    geom = product.footprint
    minx, miny, maxx, maxy = geom.bounds
    row: dict[str, Any] = {column: getattr(product, name) for name, column in _PLAIN_FIELDS}
    row.update(
        footprint=shapely.to_wkb(geom),
        minx=minx,
        miny=miny,
        maxx=maxx,
        maxy=maxy,
        extra=dict(product.extra),
        online_state=OnlineState(product.online_state).value,
        ingestion_date=product.ingestion_date or now,
        modification_date=product.modification_date or now,
    )
    return row


def from_row(row: Any, footprint: Any = None) -> Product:
    """The product of a table row; ``footprint`` may pass the geometry already decoded."""
    data = dict(row)
    values = {name: data[column] for name, column in _PLAIN_FIELDS if column in data}
    values["footprint"] = shapely.from_wkb(data["footprint"]) if footprint is None else footprint
    values["online_state"] = OnlineState(data["online_state"])
    values["extra"] = dict(data["extra"] or {})
    return Product(**values)


def from_rows(rows: Sequence[Any]) -> list[Product]:
    """:func:`from_row` for many rows, the footprints decoded in one call."""
    if not rows:
        return []
    footprints = shapely.from_wkb([r["footprint"] for r in rows])
    return [from_row(r, f) for r, f in zip(rows, footprints, strict=True)]
