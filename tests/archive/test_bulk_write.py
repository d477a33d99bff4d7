"""Bulk writes (upsert_many) store exactly what single upserts store, R*Tree included."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from shapely.geometry import MultiPolygon, box

from ogc_server.archive.database import create_engine, upgrade
from ogc_server.archive.model import OnlineState
from ogc_server.archive.query import ProductQuery, Range, bbox_geometry
from ogc_server.archive.store import ProductStore
from tests.archive.factory import T0, product


def _products():
    out = [product(i, extra={"n": i, "name": f"p{i}"}, online_state=OnlineState.OFFLINE,
                   ingestion_date=T0 + timedelta(days=400), modification_date=T0,
                   snow_cover=None if i % 3 else 1.5)
           for i in range(60)]
    out.append(product(60, identifier="S2A_ANTIMERIDIAN", cloud_cover=None,
                       ingestion_date=T0, modification_date=T0, footprint=MultiPolygon(
                           [box(179, -17, 180, -16), box(-180, -17, -179, -16)])))
    return out


def _dump(store: ProductStore) -> tuple[list, list]:
    with store.engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sa.text(
            "SELECT * FROM products ORDER BY identifier")).all()]
        index = []
        if store.dialect == "sqlite":
            index = [tuple(r) for r in conn.execute(sa.text(
                "SELECT p.identifier, r.minx, r.maxx, r.miny, r.maxy, r.mint, r.maxt, r.minc,"
                " r.maxc, r.mincl, r.maxcl FROM products_rtree r JOIN products p ON p.id = r.id"
                " ORDER BY p.identifier")).all()]
    return [r[1:] for r in rows], index  # ids aside


def test_bulk_equals_single_writes(store: ProductStore, database_url: str, tmp_path) -> None:
    products = _products()
    assert store.upsert_many(products, batch=7) == len(products)
    if store.dialect == "sqlite":
        other_url = f"sqlite:///{tmp_path / 'single.sqlite'}"
    else:
        other_url = database_url
    bulk_rows, bulk_index = _dump(store)
    if store.dialect != "sqlite":
        with store.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM products"))
    engine = create_engine(other_url)
    upgrade(engine)
    single = ProductStore(engine)
    for p in products:
        assert single.upsert(p) == "inserted"
    single_rows, single_index = _dump(single)
    engine.dispose()
    assert bulk_rows == single_rows
    assert bulk_index == single_index


def test_bulk_update_keeps_index_in_step(store: ProductStore) -> None:
    products = _products()
    store.upsert_many(products)
    moved = [p.replace(footprint=box(30, 10, 31, 11), cloud_cover=99.0,
                       start=p.start + timedelta(days=1000), end=p.end + timedelta(days=1000))
             for p in products[:10]]
    assert store.upsert_many(moved) == 10
    assert store.count() == len(products)
    found = store.query(ProductQuery(geometry=bbox_geometry(29.5, 9.5, 31.5, 11.5),
                                     where={"cloud_cover": Range(low=98)}))
    assert sorted(p.identifier for p in found.products) == sorted(p.identifier for p in moved)
    kept = store.get(products[0].identifier)
    assert kept.ingestion_date == products[0].ingestion_date  # not overwritten by the update
    assert kept.extra == {"n": 0, "name": "p0"}


def test_bulk_repeated_identifier_ends_like_single_writes(store: ProductStore) -> None:
    first = product(1, cloud_cover=10.0, ingestion_date=T0, modification_date=T0)
    second = first.replace(cloud_cover=20.0, ingestion_date=T0 + timedelta(days=9),
                           modification_date=T0 + timedelta(days=9))
    assert store.upsert_many([first, product(2), second]) == 3
    assert store.count() == 2
    kept = store.get(first.identifier)
    assert kept.cloud_cover == 20.0 and kept.modification_date == second.modification_date
    assert kept.ingestion_date == T0


def test_optimize_keeps_answers(store: ProductStore) -> None:
    store.upsert_many(_products())
    query = ProductQuery(geometry=bbox_geometry(0, 49, 5, 52), start=T0, limit=100)
    before = [p.identifier for p in store.query(query).products]
    store.optimize()
    store.optimize()  # again: harmless
    assert [p.identifier for p in store.query(query).products] == before
