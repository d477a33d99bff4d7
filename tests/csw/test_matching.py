"""Filters answer the same on collections (Python) and products (SQL on SQLite and PostGIS), and
paging, totals and sort orders are exact.

For each filter the expected answer is computed independently: every record's values are built
from the products in Python and the filter is evaluated on them with SQL's three-valued logic;
the catalogue must return exactly those records.
"""

from __future__ import annotations

from typing import Any

import pytest

from ogc_server.archive.model import Product
from ogc_server.archive.store import QueryResult
from plugins.pycsw_.app import CswApp
from plugins.pycsw_.constraints import parse_cql
from plugins.pycsw_.matching import evaluate
from plugins.pycsw_.queryables import GEOMETRY, QUERYABLES, lookup, resolve
from plugins.pycsw_.records import CollectionFacts
from plugins.pycsw_.repository import Search

FILTERS = [
    "apiso:Type = 'dataset'",
    "dc:type = 'series'",
    "apiso:Platform = 'Sentinel-2' AND apiso:CloudCover < 40",
    "NOT apiso:CloudCover < 40",
    "apiso:CloudCover IS NULL",
    "csw:AnyText LIKE '%radar%'",
    "AnyText LIKE '%s2b%'",
    "NOT AnyText LIKE '%Sentinel-1%'",
    "csw:AnyText = 'Level-2'",
    "apiso:Subject = 'SAR'",
    "apiso:Subject LIKE 'level-1%'",
    "apiso:Title LIKE 'S2_\\_MSIL1C%'",
    "apiso:Abstract LIKE '%rolling archive%'",
    "apiso:Format LIKE '%netCDF%'",
    "apiso:SensorType = 'ATMOSPHERIC' OR apiso:OrbitNumber BETWEEN 40000 AND 50000",
    "apiso:TempExtent_begin >= '2026-06-01' AND apiso:TempExtent_end <= '2026-10-31'",
    "apiso:TempExtent_begin DURING 2026-01-01T00:00:00Z/2026-06-30T00:00:00Z",
    "apiso:TempExtent_end BEFORE 2025-01-01T00:00:00Z",
    "apiso:TempExtent_begin AFTER 2026-10-01T00:00:00Z",
    "apiso:Modified > '2000-01-01' AND apiso:CreationDate < '2025-01-01'",
    "BBOX(ows:BoundingBox, 5, 47, 16, 55)",
    "BBOX(ows:BoundingBox, 170, -30, -170, 30)",
    "INTERSECTS(ows:BoundingBox, POLYGON((0 40, 20 40, 20 60, 0 40)))",
    "WITHIN(ows:BoundingBox, POLYGON((-30 30, 45 30, 45 75, -30 75, -30 30)))",
    "DISJOINT(ows:BoundingBox, POLYGON((-30 30, 45 30, 45 75, -30 75, -30 30)))",
    "apiso:ProductType IN ('GRD', 'SLC')",
    "apiso:ProductType = 'OL_1_EFR___'",
    "apiso:ParentIdentifier = 'EOP:CODE-DE:S2_MSI_L2A'",
    "apiso:Identifier = 'EOP:CODE-DE:S2_MSI_L2A'",
    "apiso:TopicCategory = 'environment' AND NOT apiso:Type = 'series'",
    "apiso:Language = 'eng' AND apiso:Instrument <> 'MSI'",
    "apiso:OrbitDirection = 'ASCENDING' OR apiso:SnowCover > 1",
    "NOT (apiso:PolarisationChannels = 'VV, VH' OR apiso:Resolution >= 1000)",
]


def _values(product: Product, facts: CollectionFacts) -> dict[str, Any]:
    """A product record's values, from the product and its collection (Python only)."""
    values: dict[str, Any] = {}
    for q in QUERYABLES:
        if q.constant is not None:
            values[q.key] = q.constant
            continue
        if q.kind == GEOMETRY:
            values[q.key] = product.footprint
            continue
        columns = [getattr(product, column) for column in q.columns]
        fixed = facts.product_values.get(q.key) if q.per_collection else None
        if len(q.columns) + q.per_collection > 1:
            extra = fixed if isinstance(fixed, list) else [fixed]
            values[q.key] = [v for v in [*columns, *extra] if v is not None]
        else:
            values[q.key] = fixed if q.per_collection else columns[0]
    return values


@pytest.mark.parametrize("cql", FILTERS)
def test_filter_answers_like_python(cql: str, csw_app: CswApp,
                                    demo_products: QueryResult) -> None:
    catalogue = csw_app.catalogue
    node = resolve(parse_cql(cql))
    expected = {f.identifier for f in catalogue.in_memory if evaluate(node, f.values) is True}
    expected |= {p.identifier for p in demo_products.products
                 if evaluate(node, _values(p, catalogue.facts[p.collection])) is True}
    total, records = catalogue.search(Search(filter=node), 0, 1000)
    found = [r.identifier for r in records]
    assert len(found) == len(set(found)) == total
    assert set(found) == expected
    hits, page = catalogue.search(Search(filter=node, hits=True), 0, 10)
    assert (hits, page) == (total, [])


SORTS = [
    [],
    [("apiso:CloudCover", True)],
    [("apiso:CloudCover", False)],
    [("apiso:TempExtent_begin", False)],
    [("apiso:Platform", True), ("apiso:OrbitNumber", False)],
    [("dc:title", False)],
    [("apiso:Modified", True)],
]


@pytest.mark.parametrize("keys", SORTS, ids=lambda k: "-".join(f"{n}{a}" for n, a in k) or "none")
def test_paging_and_sorting(keys: list[tuple[str, bool]], csw_app: CswApp) -> None:
    catalogue = csw_app.catalogue
    search = Search(sort=[(lookup(name), ascending) for name, ascending in keys])
    total, everything = catalogue.search(search, 0, 1000)
    identifiers = [r.identifier for r in everything]
    assert total == len(identifiers) == len(set(identifiers))
    paged: list[str] = []
    for offset in range(0, total + 7, 7):
        page_total, page = catalogue.search(search, offset, 7)
        assert page_total == total
        paged += [r.identifier for r in page]
    assert paged == identifiers
    series = [f.identifier for f in catalogue.in_memory]
    # series and services first, then products
    assert set(identifiers[:len(series)]) == set(series)
    for q, ascending in search.sort[:1]:
        values = [getattr(r, q.dbcol) for r in everything[len(series):]]
        present = [v for v in values if v is not None]
        assert values[:len(present)] == present  # missing values last, on every database
        numbers = [float(v) for v in present] if q.kind in ("number", "integer") else present
        assert numbers == sorted(numbers, reverse=not ascending)
