"""Engines for the catalogue: SQLite (embedded default) and PostgreSQL/PostGIS, and migrations."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import shapely
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

LOGGER = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def create_engine(url: str, *, echo: bool = False, pool_size: int = 8) -> Engine:
    """An engine with the settings the catalogue relies on (WAL, spatial functions ...)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            url,
            echo=echo,
            future=True,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=pool_size,
            max_overflow=pool_size,
            poolclass=sa.pool.QueuePool,
        )
        sa.event.listen(engine, "connect", _sqlite_on_connect)
        sa.event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    return sa.create_engine(
        url, echo=echo, future=True, pool_size=pool_size, max_overflow=pool_size,
        pool_pre_ping=True,
        # bulk writes as multi-row INSERTs instead of one round trip per row
        executemany_mode="values_plus_batch",
        # catalogue queries are short: JIT compilation (tens of ms) would cost more than it saves
        connect_args={"options": "-c jit=off"},
    )


def _sqlite_on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # Let SQLAlchemy (not pysqlite) issue BEGIN, so transactions are real.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA cache_size=-65536")
    # read through the OS page cache without copies (2 GiB is the most SQLite builds allow)
    cur.execute("PRAGMA mmap_size=2147418112")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()
    dbapi_connection.create_function("ogc_intersects", 2, _ogc_intersects, deterministic=True)
    dbapi_connection.create_function("ogc_within", 2, _ogc_within, deterministic=True)
    dbapi_connection.create_function("ogc_contains", 2, _ogc_contains, deterministic=True)


def _sqlite_on_begin(conn: sa.engine.Connection) -> None:
    # Writers take the write lock up front (BEGIN IMMEDIATE): a deferred transaction that
    # reads first cannot wait for the lock later and fails with "database is locked".
    mode = conn.get_execution_options().get("sqlite_begin", "")
    conn.exec_driver_sql(f"BEGIN {mode}".strip())


@contextmanager
def write_transaction(engine: Engine) -> Iterator[sa.engine.Connection]:
    """A transaction that will write: immediate write lock on SQLite, plain on PostgreSQL."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn = conn.execution_options(sqlite_begin="IMMEDIATE")
        with conn.begin():
            yield conn


@lru_cache(maxsize=256)
def _prepared(wkb: bytes) -> shapely.Geometry:
    geom = shapely.from_wkb(wkb)
    shapely.prepare(geom)
    return geom


def _ogc_intersects(footprint: bytes | None, query_wkb: bytes) -> int:
    if footprint is None:
        return 0
    return int(_prepared(bytes(query_wkb)).intersects(shapely.from_wkb(footprint)))


def _ogc_within(footprint: bytes | None, query_wkb: bytes) -> int:
    """The footprint lies within the query geometry."""
    if footprint is None:
        return 0
    return int(_prepared(bytes(query_wkb)).contains(shapely.from_wkb(footprint)))


def _ogc_contains(footprint: bytes | None, query_wkb: bytes) -> int:
    """The footprint contains the query geometry."""
    if footprint is None:
        return 0
    return int(shapely.from_wkb(footprint).contains(_prepared(bytes(query_wkb))))


def _alembic_config(connection: sa.engine.Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the catalogue schema to ``revision`` (idempotent)."""
    with write_transaction(engine) as connection:
        command.upgrade(_alembic_config(connection), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    script = ScriptDirectory(str(MIGRATIONS))
    return script.get_current_head()
