"""pycsw's repository over the archive: every product is a record, reached through
``ProductStore.query``; the collections' INSPIRE records come from ``metadata/``, the records of
the platform's network services from the settings (:mod:`plugins.pycsw_.service_records`).

pycsw 2.6 reads a ``repository.source`` class: :class:`ArchiveRepository`. pycsw parses a
request's filter into SQL of its own for a table of its own; here that SQL is never used. The
request guard (:mod:`plugins.pycsw_.guard`) takes the filter and the sort order out of the
request before pycsw sees it, parses them (pygeofilter ASTs, :mod:`plugins.pycsw_.queryables`)
and hands them to the repository through the server object (:class:`Search`). Collections and
services are matched in memory, products by the archive's query engine; the answer lists the
matching collection and service records first, then the products, each group in the requested
order, so paging and totals are exact and no second copy of the catalogue can drift from the
archive.

The repository is read-only: pycsw's insert, update and delete raise.
"""

from __future__ import annotations

import functools
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from pygeofilter import ast

from ogc_server.archive.model import Collection, Product, RetentionPolicy
from ogc_server.archive.query import COLUMNS, ProductQuery
from ogc_server.archive.tables import products
from ogc_server.services import Services
from plugins.pycsw_.matching import evaluate, product_filter
from plugins.pycsw_.queryables import BY_DBCOL, Queryable, pycsw_queryables
from plugins.pycsw_.records import (
    CollectionFacts,
    Locator,
    Record,
    collection_facts,
    product_record,
    series_record,
)
from plugins.pycsw_.service_records import ServiceFacts, service_facts
from plugins.pycsw_.service_records import record as service_record

LOGGER = logging.getLogger(__name__)
READ_ONLY = "the catalogue is read-only: its records come from the archive"
MAX_DOMAIN_VALUES = 1000
LATEST_TTL = 10.0

Segment = Callable[[int, int], tuple[list[Record], int]]


@dataclass(slots=True)
class Search:
    """What a GetRecords request asks, as the guard read it."""

    filter: ast.Node | None = None
    """The resolved filter (queryable keys), or None for every record."""
    sort: list[tuple[Queryable, bool]] = field(default_factory=list)
    hits: bool = False
    """Only the number of matches is wanted."""


class Catalogue:
    """The records of the platform: collections (series), its network services (services)
    and products (datasets)."""

    def __init__(self, services: Services):
        settings = services.settings
        self.store = services.store
        self.engine = services.engine
        self.locator = Locator(settings.public_url)
        contact = settings.contact
        self.contact = (contact.organisation, contact.email, contact.url or settings.public_url)
        self.facts = {c.identifier: collection_facts(settings, c)
                      for c in settings.collection_list}
        self.series = [f for f in self.facts.values() if f.xml is not None]
        self.per_collection = {cid: f.product_values for cid, f in self.facts.items()}
        self._latest: tuple[float, datetime] | None = None
        self.services = service_facts(settings)
        self.in_memory: list[CollectionFacts | ServiceFacts] = [*self.series, *self.services]
        """The records made from the configuration (series, services), matched in memory."""
        self._records = {
            f.identifier: series_record(f, self.locator, contact.organisation)
            for f in self.series}
        self._records.update((f.identifier, service_record(f, contact.organisation))
                             for f in self.services)

    # Records ----------------------------------------------------------------------------------

    def product_record(self, product: Product) -> Record:
        return product_record(product, self._facts_of(product), self.locator, self.contact)

    def _facts_of(self, product: Product) -> CollectionFacts:
        identifier = product.collection or ""
        facts = self.facts.get(identifier)
        if facts is None:  # a collection no longer configured: a record without series data
            facts = collection_facts(None, Collection(
                identifier=identifier, title=identifier, abstract="", platform=product.platform,
                instrument=product.instrument, processing_level=product.processing_level,
                product_types=(), retention=RetentionPolicy({})))
            self.facts[identifier] = facts
        return facts

    def find(self, identifiers: Iterable[str]) -> list[Record]:
        """The records with these identifiers, in the order asked (unknown ones left out)."""
        wanted = list(dict.fromkeys(i.strip() for i in identifiers if i and i.strip()))
        found: dict[str, Record] = {i: self._records[i] for i in wanted if i in self._records}
        others = [i for i in wanted if i not in found]
        if others:
            result = self.store.query(ProductQuery(identifiers=others, limit=len(others),
                                                   count=False))
            found.update((p.identifier, self.product_record(p)) for p in result.products)
        return [found[i] for i in wanted if i in found]

    # Search -----------------------------------------------------------------------------------

    def search(self, search: Search, offset: int, limit: int) -> tuple[int, list[Record]]:
        """(total, page): matching collections and services first, then products, each
        group in order."""
        records: list[Record] = []
        total = 0
        limit = 0 if search.hits else max(limit, 0)
        for segment in self._segments(search):
            segment_offset = max(0, offset - total)
            wanted = max(0, limit - len(records))
            page, count = segment(segment_offset, wanted)
            records.extend(page)
            total += count
        return total, records

    def _segments(self, search: Search) -> list[Segment]:
        matched = [f for f in self.in_memory
                   if search.filter is None or evaluate(search.filter, f.values) is True]
        if search.sort:
            matched.sort(key=functools.cmp_to_key(_series_order(search.sort)))
        first = [self._records[f.identifier] for f in matched]
        segments: list[Segment] = [lambda off, lim: (first[off:off + lim], len(first))]
        condition = True if search.filter is None else product_filter(search.filter,
                                                                      self.per_collection)
        if condition is False:
            return segments
        base = None if condition is True else condition
        order = [(q.sort_column, asc) for q, asc in search.sort if q.sort_column]
        if order and COLUMNS[order[0][0]].nullable:
            # products that lack the first sort property come last, on every database
            present = ast.IsNull(ast.Attribute(order[0][0]), True)
            absent = ast.IsNull(ast.Attribute(order[0][0]), False)
            segments.append(self._products(_and(base, present), order))
            segments.append(self._products(_and(base, absent), order[1:]))
        else:
            segments.append(self._products(base, order))
        return segments

    def _products(self, condition: ast.Node | None, order: list[tuple[str, bool]]) -> Segment:
        def fetch(offset: int, limit: int) -> tuple[list[Record], int]:
            query = ProductQuery(filter=condition, limit=limit, offset=offset, count=True)
            if order:
                query.sort = order
            result = self.store.query(query)
            return [self.product_record(p) for p in result.products], result.total or 0
        return fetch

    # Domains and dates ------------------------------------------------------------------------

    def domain(self, q: Queryable) -> list[tuple[str, int]]:
        """The values of ``q`` in the catalogue and how many records have each (GetDomain)."""
        if not q.domain:
            return []
        counts: Counter[str] = Counter()

        def add(value: Any, count: int) -> None:
            items = value if isinstance(value, list | tuple) else [value]
            for item in dict.fromkeys(str(i) for i in items if i is not None and str(i).strip()):
                counts[item] += count

        for facts in self.in_memory:
            add(facts.values.get(q.key), 1)
        if q.constant is not None:
            add(q.constant, self.store.count())
        if q.per_collection:
            for identifier, stats in self.store.collection_stats().items():
                add(self.per_collection.get(identifier, {}).get(q.key), stats.count)
        if q.columns:
            column = COLUMNS[q.columns[0]]
            stmt = (sa.select(column, sa.func.count()).where(column.is_not(None))
                    .group_by(column).limit(MAX_DOMAIN_VALUES))
            with self.engine.connect() as conn:
                for value, count in conn.execute(stmt):
                    add(value, count)
        return sorted(counts.items())[:MAX_DOMAIN_VALUES]

    def latest_change(self) -> datetime:
        """When the catalogue last changed (pycsw's updateSequence; kept a few seconds, as
        the column has no index and every GetCapabilities asks)."""
        cached = self._latest
        if cached is not None and time.monotonic() - cached[0] < LATEST_TTL:
            return cached[1]
        latest = self._latest_change()
        self._latest = (time.monotonic(), latest)
        return latest

    def _latest_change(self) -> datetime:
        with self.engine.connect() as conn:
            latest = conn.execute(sa.select(sa.func.max(products.c.modification_date))).scalar()
        dates = [f.modified for f in self.in_memory if f.modified]
        if isinstance(latest, str):  # SQLite aggregates bypass the column type
            latest = datetime.fromisoformat(latest)
        if latest is not None:
            dates.append(latest if latest.tzinfo else latest.replace(tzinfo=UTC))
        return max(dates) if dates else datetime(1970, 1, 1, tzinfo=UTC)


def _and(left: ast.Node | None, right: ast.Node) -> ast.Node:
    return right if left is None else ast.And(left, right)


def _series_order(keys: list[tuple[Queryable, bool]]) -> Callable[[Any, Any], int]:
    def compare(a: CollectionFacts | ServiceFacts, b: CollectionFacts | ServiceFacts) -> int:
        for q, ascending in keys:
            left, right = _sort_value(a, q), _sort_value(b, q)
            if left == right:
                continue
            if left is None or right is None:  # missing values last
                return 1 if left is None else -1
            result = -1 if left < right else 1
            return result if ascending else -result
        return 0
    return compare


def _sort_value(facts: CollectionFacts | ServiceFacts, q: Queryable) -> Any:
    value = facts.values.get(q.key)
    if isinstance(value, list | tuple):
        return value[0] if value else None
    return value


class ArchiveRepository:
    """pycsw's ``repository.source``: the catalogue, read-only.

    pycsw builds one per request with its context; the server object (the request's
    ``plugins.pycsw_.app`` server) carries the catalogue and the guard's :class:`Search`.
    """

    def __init__(self, context: Any, repo_filter: str | None = None):
        server = context.server
        self.context = context
        self.server = server
        self.catalogue: Catalogue = server.catalogue
        self.search: Search = server.search
        self.dbtype = self.catalogue.store.dialect
        self.fts = False
        self.filter = None
        typenames = context.model["typenames"]
        apiso: dict[str, Any] = {}
        for group in typenames.get("gmd:MD_Metadata", {}).get("queryables", {}).values():
            apiso.update(group)
        dublin_core = typenames["csw:Record"]["queryables"]["SupportedDublinCoreQueryables"]
        self.queryables = pycsw_queryables(apiso, dublin_core)

    def query_ids(self, ids: list[str]) -> list[Record]:
        return self._guarded(lambda: self.catalogue.find(ids))

    def query_domain(self, domain: str, typenames: Any, domainquerytype: str = "list",
                     count: bool = False) -> list[tuple[Any, ...]]:
        q = BY_DBCOL.get(domain)
        found = self._guarded(lambda: self.catalogue.domain(q)) if q else []
        if domainquerytype == "range":
            return [(found[0][0], found[-1][0])] if found else []
        return [(value, number) if count else (value,) for value, number in found]

    def query_insert(self, direction: str = "max") -> str:
        return self.catalogue.latest_change().strftime("%Y-%m-%dT%H:%M:%SZ")

    def query(self, constraint: Any, sortby: Any = None, typenames: Any = None,
              maxrecords: int | str = 10, startposition: int | str = 0) -> list[Any]:
        total, records = self._guarded(lambda: self.catalogue.search(
            self.search, int(startposition), int(maxrecords)))
        return [str(total), records]

    def _guarded(self, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except Exception as exc:
            self.server.failure = exc  # pycsw reports any error as bad input; we know better
            raise

    def query_source(self, source: str) -> list[Record]:
        raise RuntimeError(READ_ONLY)

    def insert(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError(READ_ONLY)

    def update(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError(READ_ONLY)

    def delete(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError(READ_ONLY)
