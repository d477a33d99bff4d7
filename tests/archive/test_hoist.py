"""Filter terms moved into structured query fields: what moves, what stays, same answers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from shapely.geometry import Point, box

from ogc_server.archive.cql2text import parse, standard
from ogc_server.archive.database import create_engine
from ogc_server.archive.filters import compile_filter
from ogc_server.archive.hoist import hoist_filter
from ogc_server.archive.query import ProductQuery, Range
from ogc_server.archive.store import ProductStore
from ogc_server.archive.tables import products
from ogc_server.settings import Settings

S2 = "EOP:CODE-DE:S2_MSI_L1C"


def _cql(text: str):
    return parse(standard(text))


def _hoisted(text: str, **fields) -> ProductQuery:
    return hoist_filter(ProductQuery(filter=_cql(text), **fields))


def test_every_indexable_term_moves() -> None:
    query = _hoisted(
        f"collection = '{S2}' AND BBOX(geometry, 5, 47, 15, 55) AND cloudCover <= 20"
        " AND T_INTERSECTS(datetime, INTERVAL('2026-06-01T00:00:00Z','2026-07-01T00:00:00Z'))"
        " AND tileId = '32UNB'")
    assert query.filter is None
    assert query.collections == [S2]
    assert query.geometry.equals(box(5, 47, 15, 55)) and query.spatial_relation == "intersects"
    assert (query.start, query.end, query.time_relation) == (
        datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC), "intersects")
    assert query.where == {"cloud_cover": Range(high=20), "tile_id": "32UNB"}


def test_start_and_end_comparisons_become_one_period() -> None:
    # how CSW clients ask for a window: TempExtent_begin <= b AND TempExtent_end >= a
    query = _hoisted("start <= TIMESTAMP('2026-07-01T00:00:00Z')"
                     " AND end >= TIMESTAMP('2026-06-01T00:00:00Z')")
    assert query.filter is None
    assert (query.start, query.end, query.time_relation) == (
        datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC), "intersects")
    during = _hoisted("start >= TIMESTAMP('2026-06-01T00:00:00Z')"
                      " AND end <= TIMESTAMP('2026-07-01T00:00:00Z')")
    assert during.filter is None and during.time_relation == "during"


def test_terms_that_do_not_say_the_same_stay() -> None:
    # an inverted pair is no window (a long product may still match both): left alone
    inverted = _hoisted("end >= TIMESTAMP('2026-07-01T00:00:00Z')"
                        " AND start <= TIMESTAMP('2026-06-01T00:00:00Z')")
    assert inverted.start is None and inverted.end is None and inverted.filter is not None
    # OR, NOT, strict time bounds and disjoint relations have no structured field
    for text in ("cloudCover < 3 OR cloudCover > 90", "NOT (tileId = '32UNB')",
                 "start < TIMESTAMP('2026-06-01T00:00:00Z')",
                 "S_DISJOINT(geometry, POINT(10 51))"):
        query = _hoisted(text)
        assert query.filter is not None, text
        assert query.geometry is None and query.start is None and not query.where, text
    # a field the query already has keeps its value; the term stays in the filter
    taken = _hoisted("S_INTERSECTS(geometry, POINT(10 51)) AND cloudCover <= 5",
                     geometry=box(0, 40, 20, 60), where={"cloud_cover": Range(high=50)})
    assert taken.geometry.equals(box(0, 40, 20, 60))
    assert taken.where == {"cloud_cover": Range(high=50)}
    assert taken.filter is not None


def test_point_intersects_moves_and_within_turns_around() -> None:
    point = _hoisted("S_INTERSECTS(geometry, POINT(10 51))")
    assert point.geometry.equals(Point(10, 51)) and point.filter is None
    # a literal on the left: "the polygon is within the footprint" = the footprint contains it
    swapped = _hoisted("S_WITHIN(POLYGON((9 50, 11 50, 11 52, 9 52, 9 50)), geometry)")
    assert swapped.spatial_relation == "contains" and swapped.filter is None


def test_bad_terms_stay_for_the_compiler_to_report() -> None:
    query = _hoisted("tileId = 5 AND cloudCover <= 'many'")
    assert query.where == {"tile_id": 5}  # a number compared with a text column: SQL decides
    assert query.filter is not None  # the cloud term is refused by the compiler, not here


FILTERS = [
    f"collection = '{S2}' AND BBOX(geometry, 5, 47, 15, 55) AND cloudCover <= 40",
    "S_INTERSECTS(geometry, POINT(10.5 51.2))",
    "S_INTERSECTS(geometry, POLYGON((6 48, 14 48, 10 54, 6 48))) AND cloudCover > 10",
    "S_WITHIN(geometry, POLYGON((-20 30, 40 30, 40 72, -20 72, -20 30)))",
    "S_CONTAINS(geometry, POINT(10.5 51.2))",
    "start <= TIMESTAMP('2026-09-01T00:00:00Z') AND end >= TIMESTAMP('2026-03-01T00:00:00Z')",
    "start >= TIMESTAMP('2026-03-01T00:00:00Z') AND end <= TIMESTAMP('2026-09-01T00:00:00Z')",
    "end >= TIMESTAMP('2026-09-01T00:00:00Z') AND start <= TIMESTAMP('2026-03-01T00:00:00Z')",
    "T_INTERSECTS(datetime, INTERVAL('2026-03-01T00:00:00Z','2026-09-01T00:00:00Z'))"
    " AND (cloudCover < 5 OR cloudCover IS NULL)",
    f"collection IN ('{S2}', 'EOP:CODE-DE:S1_SAR_L1_GRD') AND NOT (cloudCover > 30)",
    "relativeOrbitNumber IN (15, 117, 22, 66) AND BBOX(geometry, -10, 35, 30, 70)",
    "cloudCover BETWEEN 5 AND 60 AND S_INTERSECTS(geometry, POINT(10.5 51.2))",
]


@pytest.mark.parametrize("demo_settings", ["sqlite", "postgres"], indirect=True)
def test_same_answer_as_the_filter_alone(demo_settings: Settings) -> None:
    engine = create_engine(demo_settings.database_url)
    store = ProductStore(engine)
    try:
        matched_any = 0
        for text in FILTERS:
            node = _cql(text)
            with engine.connect() as conn:
                expected = set(conn.execute(
                    sa.select(products.c.identifier).where(compile_filter(node,
                                                                          store.dialect))
                ).scalars())
            result = store.query(ProductQuery(filter=node, limit=500))
            assert {p.identifier for p in result.products} == expected, text
            assert result.total == len(expected), text
            assert set(store.identifiers(ProductQuery(filter=node, limit=500))) == expected
            matched_any += bool(expected)
        assert matched_any >= len(FILTERS) // 2  # the filters do find products
    finally:
        engine.dispose()
