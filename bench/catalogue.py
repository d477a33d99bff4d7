"""Catalogue query latency at a million products, on SQLite and PostGIS.

    python bench/catalogue.py [--products 1000000] [--backends sqlite,postgres] [--repeat 30]
                              [--quick] [--results DIR]

1. plans ``--products`` demo products in bulk (:func:`ogc_server.demo.bulk.plan_bulk`: the
   demo's collection shares, regions, retention windows, MGRS tiles and orbits; metadata
   only, no files) and turns them into catalogue records (:class:`Product` with the archive's
   facts: collection, region, retention deadline, offline);
2. per backend: a fresh catalogue, the records written with ``ProductStore.upsert_many``
   (timed: the build rate), then the statistics a deployment's maintenance keeps
   (``ProductStore.optimize``);
3. a fixed query mix through ``ProductStore.query`` (first page of 50 and the exact total),
   each query ``--repeat`` times with parameters drawn from a seeded generator (other months,
   points, tiles, weeks, collections), cold and warm:

   * cold: the first execution on a new engine (new connection, empty connection caches;
     the operating system's file cache and PostgreSQL's shared buffers stay warm);
   * warm: executions on an engine that has answered the same kind of query before;

   plus a trivial indexed lookup (``ProductStore.get`` of one identifier) as the yardstick:
   each query's p50 is also given as a multiple of the lookup's, so that a noisy machine shows;
4. prints a table and writes ``catalogue.json`` (machine, parameters, figures, UTC timestamp).

The catalogues (SQLite file, PostgreSQL database) are removed afterwards.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import benchlib
import numpy as np
import sqlalchemy as sa
from shapely.geometry import Point

from ogc_server.archive.database import create_engine, upgrade
from ogc_server.archive.model import OnlineState, Product
from ogc_server.archive.query import ProductQuery, Range, bbox_geometry
from ogc_server.archive.retention import add_months, retention_deadline, retention_months
from ogc_server.archive.store import ProductStore
from ogc_server.demo.bulk import plan_bulk

NOW = datetime(2026, 11, 1, tzinfo=UTC)
GOAL_MS = 50.0  # p95 of every query of the mix
GERMANY = (5.87, 47.27, 15.04, 55.06)
GERMANY_INNER = (6.5, 47.8, 14.5, 54.5)  # where the points of the point query fall
EUROPE = (-25.0, 34.0, 45.0, 72.0)
L1C = "EOP:CODE-DE:S2_MSI_L1C"
GRD = "EOP:CODE-DE:S1_SAR_L1_GRD"


# Records --------------------------------------------------------------------------------------


def records(products: int, seed: int, workers: int) -> tuple[list[Product], dict]:
    """Catalogue records of a planned archive, as the ingest pipeline would file them."""
    started = time.perf_counter()
    specs = plan_bulk(products=products, seed=seed, now=NOW, workers=workers)
    planned = time.perf_counter()
    settings = benchlib.settings_for(Path(tempfile.gettempdir()), "sqlite://")
    by_id = {c.identifier: c for c in settings.collection_list}
    order = [r.key for r in settings.region_list]
    out: list[Product] = []
    for spec in specs:
        product = spec.expected_product()
        months = retention_months(by_id[spec.collection], order, spec.region) or 0
        product.retention_deadline = retention_deadline(product.start, months)
        product.ingestion_date = product.modification_date = spec.created + timedelta(hours=1)
        product.online_state = OnlineState.OFFLINE
        product.size = 1_000_000 + spec.seed % 900_000_000
        out.append(product)
    del specs
    gc.collect()
    converted = time.perf_counter()
    mix: dict[str, int] = {}
    for product in out:
        mix[product.collection] = mix.get(product.collection, 0) + 1  # type: ignore[index]
    return out, {
        "plan_s": round(planned - started, 2),
        "records_s": round(converted - planned, 2),
        "plan_workers": workers,
        "collections": dict(sorted(mix.items(), key=lambda kv: -kv[1])),
    }


def build(url: str, products: list[Product], batch: int) -> dict:
    engine = create_engine(url)
    upgrade(engine)
    store = ProductStore(engine)
    load_before = benchlib.load_average()
    started = time.perf_counter()
    written = store.upsert_many(products, batch=batch)
    loaded = time.perf_counter()
    store.optimize()
    optimized = time.perf_counter()
    count = store.count()
    engine.dispose()
    return {
        "products": written,
        "stored": count,
        "seconds": round(loaded - started, 2),
        "products_per_s": round(written / (loaded - started), 1),
        "optimize_s": round(optimized - loaded, 2),
        "batch": batch,
        "load_average_before": load_before,
        "load_average_after": benchlib.load_average(),
    }


# The query mix --------------------------------------------------------------------------------


def _month(rng: np.random.Generator, months_back: int) -> tuple[datetime, datetime]:
    first = add_months(NOW.replace(day=1), -int(rng.integers(1, months_back)))
    return first, add_months(first, 1) - timedelta(microseconds=1)


def query_mix(rng: np.random.Generator, tiles: list[str], collections: list[str]
              ) -> dict[str, Callable[[], ProductQuery]]:
    """name -> a function that draws the next parameters of that query."""

    def germany_month() -> ProductQuery:
        start, end = _month(rng, 35)
        return ProductQuery(collections=[L1C], geometry=bbox_geometry(*GERMANY), start=start,
                            end=end, where={"cloud_cover": Range(high=20)}, limit=50)

    def point() -> ProductQuery:
        lon = float(rng.uniform(GERMANY_INNER[0], GERMANY_INNER[2]))
        lat = float(rng.uniform(GERMANY_INNER[1], GERMANY_INNER[3]))
        return ProductQuery(collections=[L1C], geometry=Point(lon, lat), limit=50)

    def tile_series() -> ProductQuery:
        tile = tiles[int(rng.integers(len(tiles)))]
        return ProductQuery(collections=[L1C], where={"tile_id": tile},
                            start=add_months(NOW, -36), end=NOW, limit=50)

    def collection_by_date() -> ProductQuery:
        # the default order: newest first (then identifier)
        return ProductQuery(collections=[collections[int(rng.integers(len(collections)))]],
                            limit=50)

    def europe_week() -> ProductQuery:
        start = NOW - timedelta(days=float(rng.uniform(7, 360)))
        return ProductQuery(collections=[GRD], geometry=bbox_geometry(*EUROPE), start=start,
                            end=start + timedelta(days=7), limit=50)

    return {
        "a_s2_germany_month_cloud": germany_month,
        "b_s2_point_all_time": point,
        "c_s2_tile_3_years": tile_series,
        "d_collection_by_date": collection_by_date,
        "e_s1_grd_europe_week": europe_week,
    }


QUERY_TITLES = {
    "a_s2_germany_month_cloud": "(a) S2 L1C, bbox Germany, one month, cloud <= 20",
    "b_s2_point_all_time": "(b) S2 L1C, a point in Germany, all time",
    "c_s2_tile_3_years": "(c) S2 L1C, one tile, 3 years",
    "d_collection_by_date": "(d) one collection, global, by date",
    "e_s1_grd_europe_week": "(e) S1 GRD, bbox Europe, one week",
}


def _catalogue_facts(url: str) -> tuple[list[str], list[str], list[str]]:
    """Central European S2 tiles, collections and a sample of identifiers."""
    engine = create_engine(url)
    with engine.connect() as conn:
        tiles = list(conn.execute(sa.text(
            "SELECT tile_id FROM products WHERE tile_id IS NOT NULL AND region = "
            "'central_europe' GROUP BY tile_id ORDER BY tile_id")).scalars())
        collections = list(conn.execute(sa.text(
            "SELECT DISTINCT collection FROM products ORDER BY collection")).scalars())
        count = conn.execute(sa.text("SELECT max(id) FROM products")).scalar_one()
        rng = np.random.default_rng(99)
        ids = [int(i) for i in rng.integers(1, count + 1, size=200)]
        identifiers = list(conn.execute(
            sa.text("SELECT identifier FROM products WHERE id IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)), {"ids": ids}).scalars())
    engine.dispose()
    return tiles, collections, identifiers


def measure(url: str, repeat: int, seed: int, explain: bool = False) -> dict:
    tiles, collections, identifiers = _catalogue_facts(url)
    result: dict = {"tiles": len(tiles), "queries": {},
                    "load_average_before": benchlib.load_average()}
    # connection alone, for reference: a new engine and SELECT 1
    connect = []
    for _ in range(repeat):
        started = time.perf_counter()
        engine = create_engine(url)
        ProductStore(engine).ping()
        connect.append(time.perf_counter() - started)
        engine.dispose()
    result["connect"] = benchlib.summary_ms(connect)

    lookup_ids = iter(identifiers * 4)
    cold_lookup = []
    for _ in range(repeat):
        identifier = next(lookup_ids)
        engine = create_engine(url)
        store = ProductStore(engine)
        started = time.perf_counter()
        store.get(identifier)
        cold_lookup.append(time.perf_counter() - started)
        engine.dispose()

    names = list(query_mix(np.random.default_rng(seed), tiles, collections))
    cold: dict[str, list[float]] = {n: [] for n in names}
    totals: dict[str, list[int]] = {n: [] for n in names}
    cold_mix = query_mix(np.random.default_rng(seed), tiles, collections)
    for _ in range(repeat):
        for name in names:
            query = cold_mix[name]()
            engine = create_engine(url)
            store = ProductStore(engine)
            started = time.perf_counter()
            answer = store.query(query)
            cold[name].append(time.perf_counter() - started)
            totals[name].append(answer.total or 0)
            engine.dispose()

    engine = create_engine(url)
    store = ProductStore(engine)
    warm_mix = query_mix(np.random.default_rng(seed + 1), tiles, collections)
    for name in names:  # one unmeasured run of each kind
        store.query(warm_mix[name]())
    store.get(identifiers[0])
    warm: dict[str, list[float]] = {n: [] for n in names}
    for _ in range(repeat):
        for name in names:
            query = warm_mix[name]()
            started = time.perf_counter()
            answer = store.query(query)
            warm[name].append(time.perf_counter() - started)
            totals[name].append(answer.total or 0)
    warm_lookup = []
    for _ in range(repeat):
        identifier = next(lookup_ids)
        started = time.perf_counter()
        store.get(identifier)
        warm_lookup.append(time.perf_counter() - started)
    if explain:
        _explain(store, query_mix(np.random.default_rng(seed), tiles, collections))
    engine.dispose()

    result["load_average_after"] = benchlib.load_average()
    result["lookup"] = {"cold": benchlib.summary_ms(cold_lookup),
                        "warm": benchlib.summary_ms(warm_lookup)}
    base_cold = result["lookup"]["cold"]["p50_ms"]
    base_warm = result["lookup"]["warm"]["p50_ms"]
    for name in names:
        c = benchlib.summary_ms(cold[name])
        w = benchlib.summary_ms(warm[name])
        result["queries"][name] = {
            "title": QUERY_TITLES[name],
            "cold": c,
            "warm": w,
            "x_lookup_cold": round(c["p50_ms"] / base_cold, 1) if base_cold else None,
            "x_lookup_warm": round(w["p50_ms"] / base_warm, 1) if base_warm else None,
            "total_median": int(np.median(totals[name])),
            "total_max": int(max(totals[name])),
            "goal_met": max(c["p95_ms"], w["p95_ms"]) <= GOAL_MS,
        }
    return result


def _explain(store: ProductStore, mix: dict[str, Callable[[], ProductQuery]]) -> None:
    """Print the plan of each query's statements (SQLite EXPLAIN QUERY PLAN, EXPLAIN ANALYZE)."""
    engine = store.engine
    statements: list[tuple[str, str, dict]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        statements.append((current, statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", capture)
    for current, make in mix.items():  # noqa: B007 - read by capture
        store.query(make())
    sa.event.remove(engine, "before_cursor_execute", capture)
    with engine.connect() as conn:
        raw = conn.connection
        cursor = raw.cursor()
        for name, statement, parameters in statements:
            prefix = "EXPLAIN QUERY PLAN " if store.dialect == "sqlite" else "EXPLAIN ANALYZE "
            cursor.execute(prefix + statement, parameters)
            print(f"--- {name}: {' '.join(statement.split())[:160]}")
            for row in cursor.fetchall():
                print("   ", row if store.dialect == "sqlite" else row[0])


# Main -----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--batch", type=int, default=5000, help="rows per bulk statement")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="processes that plan the archive")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 3,000 products, SQLite, 5 repetitions")
    parser.add_argument("--explain", action="store_true", help="print the query plans")
    parser.add_argument("--results", type=Path, default=benchlib.RESULTS)
    parser.add_argument("--tmp", type=Path, default=None, help="where SQLite files go")
    parser.add_argument("--pg-url", default=benchlib.PG_ADMIN_URL,
                        help="PostgreSQL maintenance database (fresh databases are made)")
    args = parser.parse_args(argv)
    if args.quick:
        args.products = min(args.products, 3_000)
        if args.backends == parser.get_default("backends"):
            args.backends = "sqlite"
        if args.repeat == parser.get_default("repeat"):
            args.repeat = 5
    backends = benchlib.parse_backends(args.backends)

    print(f"planning {args.products:,} products ...")
    products, plan = records(args.products, args.seed, args.workers)
    print(f"  planned in {plan['plan_s']} s, records in {plan['records_s']} s")
    folder = Path(tempfile.mkdtemp(prefix="ogc-bench-catalogue-", dir=args.tmp))
    runs = {}
    try:
        for backend in backends:
            with benchlib.catalogue(backend, folder, args.pg_url) as url:
                print(f"{backend}: building the catalogue ...")
                built = build(url, products, args.batch)
                print(f"  {built['products_per_s']:,.0f} products/s"
                      f" ({built['seconds']} s, statistics {built['optimize_s']} s)")
                print(f"{backend}: {len(QUERY_TITLES)} queries x {args.repeat}, cold and warm")
                measured = measure(url, args.repeat, args.seed, args.explain)
                runs[backend] = {"build": built, **measured}
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    print()
    rows = []
    for backend, run in runs.items():
        lookup = run["lookup"]
        rows.append([backend, "lookup by identifier", lookup["cold"]["p50_ms"],
                     lookup["cold"]["p95_ms"], lookup["warm"]["p50_ms"],
                     lookup["warm"]["p95_ms"], 1.0, "-", "-"])
        for q in run["queries"].values():
            rows.append([backend, q["title"], q["cold"]["p50_ms"], q["cold"]["p95_ms"],
                         q["warm"]["p50_ms"], q["warm"]["p95_ms"], q["x_lookup_warm"] or 0.0,
                         q["total_median"], "yes" if q["goal_met"] else "NO"])
    print(benchlib.table(["backend", "query", "cold p50", "cold p95", "warm p50", "warm p95",
                          "x lookup", "total", "p95<=50ms"], rows))
    for backend, run in runs.items():
        b = run["build"]
        print(f"{backend}: built {b['products']:,} products at {b['products_per_s']:,.0f}/s;"
              f" connect p50 {run['connect']['p50_ms']} ms")
    payload = {
        "benchmark": "catalogue",
        "timestamp": benchlib.utc_now(),
        "machine": benchlib.machine(backends, args.pg_url),
        "parameters": {
            "products": args.products, "seed": args.seed, "now": NOW.isoformat(),
            "backends": backends, "repeat": args.repeat, "batch": args.batch,
            "quick": args.quick, "page_size": 50, "goal_p95_ms": GOAL_MS,
        },
        "plan": plan,
        "runs": runs,
    }
    path = benchlib.write_results(args.results, "catalogue.json", payload)
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
