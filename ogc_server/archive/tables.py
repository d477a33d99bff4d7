"""The catalogue's tables (SQLAlchemy Core, 2.0 style) for SQLite and PostgreSQL/PostGIS.

The schema itself is created by the Alembic migrations in ``migrations/``; these table objects
describe it for queries. On SQLite the footprint is WKB in a BLOB and a 3-D R*Tree
(``products_rtree``: lon, lat, julian day) kept in step by triggers serves spatial and temporal
filters; on PostGIS the footprint is ``geometry(Geometry, 4326)`` with a GiST index.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator, UserDefinedType

metadata = sa.MetaData()


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive UTC text)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the catalogue; times must be UTC-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class _PostGISGeometry(UserDefinedType):
    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "geometry(Geometry, 4326)"

    def bind_expression(self, bindvalue: Any) -> Any:
        return sa.func.ST_GeomFromWKB(bindvalue, 4326, type_=self)

    def column_expression(self, col: Any) -> Any:
        return sa.func.ST_AsBinary(col, type_=sa.LargeBinary)


class Footprint(TypeDecorator):
    """WKB bytes in Python; BLOB on SQLite, PostGIS geometry on PostgreSQL."""

    impl = sa.LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(_PostGISGeometry())
        return dialect.type_descriptor(sa.LargeBinary())

    def process_result_value(self, value: Any, dialect: Any) -> bytes | None:
        if value is None:
            return None
        return bytes(value)


products = sa.Table(
    "products",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("identifier", sa.String(255), nullable=False, unique=True),
    sa.Column("collection", sa.String(128), nullable=False),
    sa.Column("platform", sa.String(32), nullable=False),
    sa.Column("platform_serial_identifier", sa.String(8), nullable=False),
    sa.Column("instrument", sa.String(32), nullable=False),
    sa.Column("sensor_mode", sa.String(32)),
    sa.Column("product_type", sa.String(32), nullable=False),
    sa.Column("processing_level", sa.String(32), nullable=False),
    sa.Column("start_time", UTCDateTime, nullable=False),
    sa.Column("end_time", UTCDateTime, nullable=False),
    sa.Column("creation_date", UTCDateTime),
    sa.Column("ingestion_date", UTCDateTime, nullable=False),
    sa.Column("modification_date", UTCDateTime, nullable=False),
    sa.Column("footprint", Footprint, nullable=False),
    sa.Column("minx", sa.Float, nullable=False),
    sa.Column("miny", sa.Float, nullable=False),
    sa.Column("maxx", sa.Float, nullable=False),
    sa.Column("maxy", sa.Float, nullable=False),
    sa.Column("orbit_number", sa.Integer),
    sa.Column("relative_orbit_number", sa.Integer),
    sa.Column("orbit_direction", sa.String(16)),
    sa.Column("cloud_cover", sa.Float),
    sa.Column("snow_cover", sa.Float),
    sa.Column("polarisation_mode", sa.String(8)),
    sa.Column("polarisation_channels", sa.String(32)),
    sa.Column("antenna_look_direction", sa.String(8)),
    sa.Column("minimum_incidence_angle", sa.Float),
    sa.Column("maximum_incidence_angle", sa.Float),
    sa.Column("resolution", sa.Float),
    sa.Column("tile_id", sa.String(16)),
    sa.Column("track", sa.Integer),
    sa.Column("frame", sa.Integer),
    sa.Column("timeliness", sa.String(32)),
    sa.Column("processing_baseline", sa.String(16)),
    sa.Column("production_status", sa.String(32), nullable=False),
    sa.Column("file_name", sa.String(300)),
    sa.Column("size", sa.BigInteger),
    sa.Column("checksum", sa.String(140)),
    sa.Column("online_state", sa.String(16), nullable=False),
    sa.Column("region", sa.String(32), nullable=False),
    sa.Column("retention_deadline", UTCDateTime),
    sa.Column("storage_path", sa.String(1024)),
    sa.Column("quicklook_path", sa.String(1024)),
    sa.Column("thumbnail_path", sa.String(1024)),
    sa.Column("browse_path", sa.String(1024)),
    sa.Column("extra", sa.JSON, nullable=False, default=dict),
)

# SQLite only: the spatio-temporal index (virtual table, created by the migration).
products_rtree = sa.Table(
    "products_rtree",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("minx", sa.Float),
    sa.Column("maxx", sa.Float),
    sa.Column("miny", sa.Float),
    sa.Column("maxy", sa.Float),
    sa.Column("mint", sa.Float),
    sa.Column("maxt", sa.Float),
    sa.Column("minc", sa.Float),
    sa.Column("maxc", sa.Float),
    sa.Column("mincl", sa.Float),
    sa.Column("maxcl", sa.Float),
)

collection_keys = sa.Table(
    "collection_keys",
    metadata,
    sa.Column("key", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("identifier", sa.String(128), nullable=False, unique=True),
)

# Reload orders of offline products (migration 0002): at most one pending order per product.
orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("product", sa.String(255), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("created", UTCDateTime, nullable=False),
    sa.Column("updated", UTCDateTime, nullable=False),
    sa.Column("message", sa.String(1024)),
)

PRODUCT_COLUMNS = [c.name for c in products.columns]


def is_sqlite(engine: Engine | Any) -> bool:
    return engine.dialect.name == "sqlite"
