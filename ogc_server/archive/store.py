"""ProductStore: the catalogue's one door for reads and writes."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import shapely
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.selectable import Join
from sqlalchemy.sql.util import ClauseAdapter
from sqlalchemy.sql.visitors import iterate

from ogc_server.archive.database import write_transaction
from ogc_server.archive.hoist import hoist_filter
from ogc_server.archive.model import OnlineState, Product
from ogc_server.archive.query import COLUMNS, Compiled, ProductQuery, compile_query, resolve_name
from ogc_server.archive.rows import ROW_COLUMNS, aware, from_row, from_rows, to_row
from ogc_server.archive.tables import collection_keys, products, products_rtree
from ogc_server.errors import InvalidQuery, ProductNotFound

LOGGER = logging.getLogger(__name__)
P = products.c

class _RtreeFirst(Join):
    """``products_rtree CROSS JOIN products``: SQLite then reads the R*Tree first."""

    inherit_cache = True


@compiles(_RtreeFirst)
def _compile_rtree_first(element: _RtreeFirst, compiler: Any, **kw: Any) -> str:
    kw.pop("asfrom", None)
    return (
        f"{compiler.process(element.left, asfrom=True, **kw)} CROSS JOIN "
        f"{compiler.process(element.right, asfrom=True, **kw)} ON "
        f"{compiler.process(element.onclause, **kw)}"
    )


@dataclass(slots=True)
class QueryResult:
    products: list[Product]
    total: int | None
    """Exact number of matches, or ``None`` when the query asked for no count."""
    offset: int
    limit: int


@dataclass(frozen=True, slots=True)
class CollectionStats:
    collection: str
    count: int
    start: datetime | None
    end: datetime | None


class ProductStore:
    """Products in a SQL catalogue (SQLite or PostgreSQL/PostGIS), same API on both."""

    def __init__(self, engine: Engine, *, stats_ttl: float = 5.0):
        self.engine = engine
        self.dialect = engine.dialect.name
        if self.dialect not in {"sqlite", "postgresql"}:
            raise ValueError(f"unsupported database {self.dialect}")
        self._stats_ttl = stats_ttl
        self._stats: tuple[float, dict[str, CollectionStats]] | None = None
        self._keys: dict[str, int] | None = None
        self._lock = threading.Lock()
        self.generation = 0
        """Counts this store's writes: caches of derived facts compare it (other processes'
        writes show after the caches' time limits)."""

    def _changed(self) -> None:
        self._stats = None
        self.generation += 1

    # Writes -----------------------------------------------------------------------------------

    def upsert(self, product: Product, connection: sa.engine.Connection | None = None) -> str:
        """Insert or replace ``product`` by identifier: ``inserted``, ``updated`` or ``unchanged``.

        Pass ``connection`` to take part in a caller's transaction.
        """
        row = to_row(product)
        if connection is None:
            with write_transaction(self.engine) as conn:
                return self._upsert(conn, row)
        return self._upsert(connection, row)

    def _upsert(self, conn: sa.engine.Connection, row: dict[str, Any]) -> str:
        existing = conn.execute(
            sa.select(P.id, P.checksum, P.storage_path).where(P.identifier == row["identifier"])
        ).first()
        if existing is None:
            conn.execute(products.insert().values(**row))
            self._changed()
            self._keys = None
            return "inserted"
        if existing.checksum and existing.checksum == row["checksum"] and (
            existing.storage_path == row["storage_path"]
        ):
            return "unchanged"
        row = dict(row)
        row.pop("ingestion_date", None)
        conn.execute(products.update().where(P.id == existing.id).values(**row))
        self._changed()
        return "updated"

    def upsert_many(self, items: Iterable[Product], batch: int = 1000) -> int:
        """Bulk insert-or-replace (one statement per batch, one transaction); returns the
        number written."""
        written = 0
        chunk: list[dict[str, Any]] = []
        with write_transaction(self.engine) as conn:
            write = self._bulk_writer(conn)
            for product in items:
                chunk.append(to_row(product))
                if len(chunk) >= batch:
                    write(chunk)
                    written += len(chunk)
                    chunk = []
            if chunk:
                write(chunk)
                written += len(chunk)
        self._changed()
        self._keys = None
        return written

    def _bulk_writer(self, conn: sa.engine.Connection) -> Any:
        """A function that upserts a list of rows on ``conn``.

        The statement is compiled once and the rows, converted by the columns' own bind
        processors, go straight to the driver: on SQLite to ``executemany`` (the per-row
        parameter handling of a generic ``execute`` costs as much as SQLite's insert itself),
        on PostgreSQL as multi-row INSERTs.
        """
        insert = sqlite.insert if self.dialect == "sqlite" else postgresql.insert
        stmt = insert(products)
        update = {
            c.name: stmt.excluded[c.name]
            for c in products.columns
            if c.name not in {"id", "identifier", "ingestion_date"}
        }
        stmt = stmt.on_conflict_do_update(index_elements=["identifier"], set_=update)
        compiled = stmt.compile(dialect=conn.dialect, column_keys=ROW_COLUMNS)
        processors = compiled._bind_processors
        sql = compiled.string
        if self.dialect == "sqlite":
            convert = [(name, processors.get(name)) for name in compiled.positiontup]

            def write(rows: list[dict[str, Any]]) -> None:
                conn.exec_driver_sql(sql, [
                    tuple(row[name] if fn is None else fn(row[name]) for name, fn in convert)
                    for row in rows
                ])

            return write
        # PostgreSQL: many rows per INSERT (psycopg2's execute_values) instead of one round
        # trip per row; ON CONFLICT cannot touch a row twice in one statement, so a batch
        # keeps one row per identifier: the last, with the first one's ingestion date, which
        # is what upserting them one after the other leaves.
        from psycopg2.extras import execute_values

        template = f"({compiled.insert_single_values_expr})"
        if template not in sql:  # pragma: no cover - a SQLAlchemy that compiles otherwise
            return lambda rows: conn.execute(stmt, rows)
        sql = sql.replace(template, "%s")
        constants = {k: v for k, v in compiled.construct_params(_check=False).items()
                     if k not in ROW_COLUMNS}
        convert = [(name, processors.get(name)) for name in ROW_COLUMNS]

        def write_values(rows: list[dict[str, Any]]) -> None:
            cursor = conn.connection.cursor()
            try:
                params = [
                    {**constants, **{name: row[name] if fn is None else fn(row[name])
                                     for name, fn in convert}}
                    for row in _last_per_identifier(rows)
                ]
                execute_values(cursor, sql, params, template=template, page_size=1000)
            finally:
                cursor.close()

        return write_values

    def delete(self, identifier: str) -> None:
        with write_transaction(self.engine) as conn:
            result = conn.execute(products.delete().where(P.identifier == identifier))
        if result.rowcount == 0:
            raise ProductNotFound(f"no product {identifier!r}", locator="identifier")
        self._changed()

    def set_online_state(self, identifier: str, state: OnlineState) -> None:
        with write_transaction(self.engine) as conn:
            result = conn.execute(
                products.update()
                .where(P.identifier == identifier)
                .values(online_state=state.value, modification_date=datetime.now(UTC))
            )
        if result.rowcount == 0:
            raise ProductNotFound(f"no product {identifier!r}", locator="identifier")

    # Reads ------------------------------------------------------------------------------------

    def get(self, identifier: str) -> Product:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(products).where(P.identifier == identifier)).first()
        if row is None:
            raise ProductNotFound(f"no product {identifier!r}", locator="identifier")
        return from_row(row._mapping)

    def get_by_file_name(self, file_name: str) -> Product:
        """The product whose downloadable file is called ``file_name`` (indexed lookup).

        Should two products share a file name, the newest ingestion wins.
        """
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(products).where(P.file_name == file_name)
                .order_by(P.ingestion_date.desc()).limit(1)
            ).first()
        if row is None:
            raise ProductNotFound(f"no product file {file_name!r}", locator="file name")
        return from_row(row._mapping)

    def exists(self, identifier: str) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(P.id).where(P.identifier == identifier)
            ).first() is not None

    def query(self, query: ProductQuery) -> QueryResult:
        """Products matching ``query``, one page of them, and the exact total."""
        query = hoist_filter(query)
        compiled = self._compile(query)
        with self.engine.connect() as conn:
            try:
                if compiled.rtree:
                    rows, total = self._query_rtree(conn, compiled, query)
                elif self.dialect == "postgresql" and query.geometry is not None:
                    # the GiST index answers the whole match once; a LIMIT must not make the
                    # planner walk the date index and test every footprint instead
                    rows, total = self._query_rtree(conn, compiled, query, source=products)
                else:
                    rows, total = self._query_plain(conn, compiled, query)
            except sa.exc.DataError as exc:  # values the database itself refuses
                raise InvalidQuery(f"a query value is out of range: {exc.orig}") from exc
        return QueryResult(
            products=from_rows(rows), total=total, offset=query.offset,
            limit=query.limit,
        )

    def _compile(self, query: ProductQuery) -> Compiled:
        keys = self.collection_keys() if self.dialect == "sqlite" else None
        return compile_query(query, self.dialect, keys)

    def _query_plain(self, conn: sa.engine.Connection, compiled: Compiled,
                     query: ProductQuery) -> tuple[list[Any], int | None]:
        page = (
            sa.select(products).where(*compiled.where).order_by(*compiled.order_by)
            .limit(query.limit).offset(query.offset)
        )
        rows = [r._mapping for r in conn.execute(page)] if query.limit else []
        total = None
        if query.count:
            if query.offset == 0 and len(rows) < query.limit:
                total = len(rows)
            else:
                total = conn.execute(
                    sa.select(sa.func.count()).select_from(products).where(*compiled.where)
                ).scalar_one()
        return rows, total

    def _query_rtree(self, conn: sa.engine.Connection, compiled: Compiled,
                     query: ProductQuery, source: Any = None) -> tuple[list[Any], int | None]:
        """R*Tree first (or ``source``); one narrow pass gives the page's ids and the total
        (window count), then the page's rows are read by id."""
        joined = source if source is not None else _RtreeFirst(
            products_rtree, products, products_rtree.c.id == P.id)
        if compiled.refine is not None:
            return self._query_refined(conn, joined, compiled, query)
        if source is products:
            page = _materialized_page(compiled, query)
        else:
            columns: list[Any] = [P.id]
            if query.count:
                columns.append(sa.func.count().over())
            page = (
                sa.select(*columns).select_from(joined).where(*compiled.rtree, *compiled.where)
                .order_by(*compiled.order_by).limit(max(query.limit, 1)).offset(query.offset)
            )
        hits = conn.execute(page).all()
        total = hits[0][1] if (hits and query.count) else None
        if query.count and total is None:
            total = conn.execute(
                sa.select(sa.func.count()).select_from(joined)
                .where(*compiled.rtree, *compiled.where)
            ).scalar_one()
        ids = [h[0] for h in hits][: query.limit]
        if not ids:
            return [], total
        rows = {r.id: r._mapping for r in conn.execute(sa.select(products).where(P.id.in_(ids)))}
        return [rows[i] for i in ids], total

    def _query_refined(self, conn: sa.engine.Connection, joined: Any, compiled: Compiled,
                       query: ProductQuery) -> tuple[list[Any], int | None]:
        """Every candidate in order, the exact footprint test vectorised, then the page."""
        assert compiled.refine is not None
        stmt = (
            sa.select(P.id, P.footprint).select_from(joined)
            .where(*compiled.rtree, *compiled.where).order_by(*compiled.order_by)
        )
        candidates = conn.execute(stmt).all()
        if not candidates:
            return [], 0
        ids = np.fromiter((c[0] for c in candidates), dtype=np.int64, count=len(candidates))
        footprints = shapely.from_wkb([c[1] for c in candidates])
        geometry = compiled.refine.geometry
        shapely.prepare(geometry)
        relation = compiled.refine.relation
        if relation == "within":
            mask = shapely.contains(geometry, footprints)
        elif relation == "contains":
            mask = shapely.contains(footprints, geometry)
        else:
            mask = shapely.intersects(geometry, footprints)
        matched = ids[mask]
        page_ids = [int(i) for i in matched[query.offset: query.offset + query.limit]]
        rows = {r.id: r._mapping for r in conn.execute(
            sa.select(products).where(P.id.in_(page_ids)))} if page_ids else {}
        return [rows[i] for i in page_ids], int(matched.size) if query.count else None

    def collection_keys(self) -> dict[str, int]:
        """Collection identifier -> the R*Tree's collection axis (SQLite)."""
        keys = self._keys
        if keys is None:
            with self.engine.connect() as conn:
                keys = dict(conn.execute(sa.select(collection_keys.c.identifier,
                                                   collection_keys.c.key)).all())
            self._keys = keys if keys else None
        return keys or {}

    def identifiers(self, query: ProductQuery) -> list[str]:
        """Only the identifiers of the page (cheap; for time lookups and tests)."""
        query = hoist_filter(query)
        compiled = self._compile(query)
        if compiled.refine is not None:  # the exact footprint test runs on whole rows
            return [p.identifier for p in self.query(replace(query, count=False)).products]
        stmt = (
            sa.select(P.identifier)
            .where(*compiled.where)
            .order_by(*compiled.order_by)
            .limit(query.limit)
            .offset(query.offset)
        )
        if compiled.rtree:
            stmt = stmt.where(P.id.in_(sa.select(products_rtree.c.id).where(*compiled.rtree)))
        with self.engine.connect() as conn:
            return list(conn.execute(stmt).scalars())

    def collection_stats(self) -> dict[str, CollectionStats]:
        """Count and time extent per collection (cached for a few seconds)."""
        with self._lock:
            cached = self._stats
            if cached and time.monotonic() - cached[0] < self._stats_ttl:
                return cached[1]
        stmt = sa.select(
            P.collection, sa.func.count(), sa.func.min(P.start_time), sa.func.max(P.start_time)
        ).group_by(P.collection)
        with self.engine.connect() as conn:
            result = {}
            for name, count, start, end in conn.execute(stmt):
                result[name] = CollectionStats(name, count, aware(start), aware(end))
        with self._lock:
            self._stats = (time.monotonic(), result)
        return result

    def distinct_values(self, name: str, collections: Sequence[str] = ()) -> list[Any]:
        """The distinct non-null values of property ``name`` (in ``collections``), sorted."""
        column = COLUMNS[resolve_name(name)]
        stmt = sa.select(column).where(column.is_not(None)).distinct().order_by(column)
        if collections:
            stmt = stmt.where(P.collection.in_(list(collections)))
        with self.engine.connect() as conn:
            return list(conn.execute(stmt).scalars())

    def fingerprint(self) -> str:
        """A short text that changes whenever a product is added, replaced or removed, by this
        process or another (count, highest row id, latest modification): caches of derived
        results (rendered tiles) key on it."""
        stmt = sa.select(sa.func.count(), sa.func.max(P.id), sa.func.max(P.modification_date))
        with self.engine.connect() as conn:
            count, last_id, modified = conn.execute(stmt).one()
        modified = aware(modified)
        stamp = f"{modified.timestamp():.6f}" if modified else "0"
        return f"{count}-{last_id or 0}-{stamp}"

    def count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(products)).scalar_one()

    def optimize(self) -> None:
        """Refresh the query planner's statistics, as after a bulk load.

        SQLite: ``ANALYZE``; PostgreSQL: ``VACUUM ANALYZE`` of the products (statistics and
        the visibility map that index-only counts need).
        """
        if self.dialect == "sqlite":
            with write_transaction(self.engine) as conn:
                conn.exec_driver_sql("ANALYZE")
            return
        with self.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.exec_driver_sql("VACUUM ANALYZE products")

    def ping(self) -> None:
        """Raise if the database cannot answer."""
        with self.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))


def _last_per_identifier(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per identifier: the last, keeping the first row's ingestion date."""
    kept: dict[str, dict[str, Any]] = {}
    for row in rows:
        earlier = kept.get(row["identifier"])
        if earlier is not None:
            row = {**row, "ingestion_date": earlier["ingestion_date"]}
        kept[row["identifier"]] = row
    return list(kept.values()) if len(kept) < len(rows) else rows


def _materialized_page(compiled: Compiled, query: ProductQuery) -> Any:
    """The page's ids (and the window count) from the whole match read once (PostgreSQL).

    Asked with ``ORDER BY ... LIMIT`` over the table, the planner may walk the index that gives
    the order (collection, newest first) and test every product of the collection against the
    footprint and period, because it expects to stop after one page; the window count makes it
    read to the end. A materialized CTE holds only the match (read through the GiST index over
    collection, period and footprint) with the sort columns; the sort of those rows is cheap.
    """
    needed = {P.id}
    for expression in compiled.order_by:
        needed |= {c for c in iterate(expression)
                   if isinstance(c, sa.Column) and c.table is products}
    match = (sa.select(*sorted(needed, key=lambda c: c.name)).where(*compiled.where)
             .cte("match").prefix_with("MATERIALIZED"))
    adapter = ClauseAdapter(match)
    columns: list[Any] = [match.c.id]
    if query.count:
        columns.append(sa.func.count().over())
    return (sa.select(*columns).select_from(match)
            .order_by(*[adapter.traverse(e) for e in compiled.order_by])
            .limit(max(query.limit, 1)).offset(query.offset))
