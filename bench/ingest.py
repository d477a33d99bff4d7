"""Metadata-only ingest rate of a generated archive, on SQLite and PostGIS.

    python bench/ingest.py [--products 100000] [--backends sqlite,postgres] [--workers 1,2]
                           [--quick] [--results DIR]

1. plans ``--products`` demo products (:func:`ogc_server.demo.bulk.plan_bulk`) and writes them
   metadata-only (manifests, metadata and annotation files, no raster data) into a temporary
   folder; the generation is timed apart;
2. baseline: reads every product with ``read_product`` in one process, no database;
3. for each backend and worker count: a fresh catalogue, then
   ``ingest_batch(settings, sources, workers=N, metadata_only=True)`` timed end to end (pool
   start, parsing in the workers, bulk writes in the main process, commit), and checked: every
   product catalogued exactly once;
4. prints a table and writes ``ingest.json`` (machine, parameters, figures, UTC timestamp).

The temporary folder and the catalogues (SQLite files, PostgreSQL databases) are removed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import benchlib

from ogc_server.archive.database import create_engine
from ogc_server.archive.store import ProductStore
from ogc_server.demo.bulk import plan_bulk
from ogc_server.demo.generator import write_product
from ogc_server.ingest.pipeline import ingest_batch
from ogc_server.ingest.readers import read_product

NOW = datetime(2026, 11, 1, tzinfo=UTC)
GOAL = 1000.0  # products/s on SQLite with 2 workers


def _write_chunk(job: tuple[list, Path]) -> int:
    specs, out_dir = job
    for spec in specs:
        write_product(spec, out_dir, rasters=False)
    return len(specs)


def generate(products: int, seed: int, out_dir: Path, workers: int) -> tuple[list[Path], dict]:
    started = time.perf_counter()
    specs = plan_bulk(products=products, seed=seed, now=NOW, workers=workers)
    planned = time.perf_counter()
    size = max(1, min(500, len(specs) // (workers * 8) or 1))
    chunks = [(specs[i:i + size], out_dir) for i in range(0, len(specs), size)]
    if workers <= 1:
        for chunk in chunks:
            _write_chunk(chunk)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            list(pool.map(_write_chunk, chunks))
    written = time.perf_counter()
    paths = [out_dir / spec.file_name for spec in specs]
    mix: dict[str, int] = {}
    for spec in specs:
        mix[spec.collection] = mix.get(spec.collection, 0) + 1
    return paths, {
        "plan_s": round(planned - started, 2),
        "write_s": round(written - planned, 2),
        "total_s": round(written - started, 2),
        "workers": workers,
        "collections": dict(sorted(mix.items(), key=lambda kv: -kv[1])),
    }


def read_baseline(paths: list[Path]) -> dict:
    for path in paths[:50]:  # imports and first-use caches are not the reading
        read_product(path)
    load_before = benchlib.load_average()
    started = time.perf_counter()
    for path in paths:
        read_product(path)
    elapsed = time.perf_counter() - started
    return {"products": len(paths), "seconds": round(elapsed, 3),
            "products_per_s": round(len(paths) / elapsed, 1),
            "load_average_before": load_before, "load_average_after": benchlib.load_average()}


def ingest_run(backend: str, workers: int, paths: list[Path], folder: Path,
               pg_admin_url: str) -> dict:
    data_dir = folder / f"data-{backend}-{workers}"
    with benchlib.catalogue(backend, folder, pg_admin_url) as url:
        settings = benchlib.settings_for(data_dir, url)
        load_before = benchlib.load_average()
        started = time.perf_counter()
        summary = ingest_batch(settings, paths, workers=workers, metadata_only=True)
        elapsed = time.perf_counter() - started
        counts = summary.counts
        engine = create_engine(url)
        stored = ProductStore(engine).count()
        engine.dispose()
    shutil.rmtree(data_dir, ignore_errors=True)
    ok = counts.get("catalogued", 0) == len(paths) == stored
    if not ok:
        print(f"  !! {backend}/{workers}: {summary.describe()[:2000]} (stored {stored})",
              file=sys.stderr)
    return {
        "backend": backend,
        "workers": workers,
        "products": len(paths),
        "seconds": round(elapsed, 3),
        "products_per_s": round(len(paths) / elapsed, 1),
        "catalogued": counts.get("catalogued", 0),
        "rejected": counts.get("rejected", 0),
        "stored": stored,
        "ok": ok,
        "load_average_before": load_before,
        "load_average_after": benchlib.load_average(),
    }


def _sources(folder: Path, args: argparse.Namespace) -> tuple[list[Path], dict]:
    """The generated archive: reused from ``--sources`` when it holds the same plan."""
    stamp = folder / "plan.json"
    wanted = {"products": args.products, "seed": args.seed, "now": NOW.isoformat()}
    if stamp.is_file():
        known = json.loads(stamp.read_text())
        if known.get("plan") == wanted:
            print(f"reusing the {args.products:,} products in {folder}")
            return [folder / name for name in known["files"]], known["generation"]
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    print(f"generating {args.products:,} metadata-only products in {folder} ...")
    paths, generation = generate(args.products, args.seed, folder, args.gen_workers)
    if args.sources is not None:
        stamp.write_text(json.dumps({"plan": wanted, "generation": generation,
                                     "files": [p.name for p in paths]}))
    return paths, generation


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--workers", default="1,2", help="ingest worker counts, e.g. 1,2")
    parser.add_argument("--gen-workers", type=int, default=os.cpu_count() or 1,
                        help="processes that write the generated archive")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 2,000 products, SQLite, 2 workers")
    parser.add_argument("--results", type=Path, default=benchlib.RESULTS)
    parser.add_argument("--tmp", type=Path, default=None, help="where the archive is written")
    parser.add_argument("--sources", type=Path, default=None,
                        help="keep the generated archive in this folder and reuse it when it "
                             "holds the same plan (products, seed); by default it is removed")
    parser.add_argument("--pg-url", default=benchlib.PG_ADMIN_URL,
                        help="PostgreSQL maintenance database (fresh databases are made)")
    args = parser.parse_args(argv)
    if args.quick:
        args.products = min(args.products, 2_000)
        if args.backends == parser.get_default("backends"):
            args.backends = "sqlite"
        if args.workers == parser.get_default("workers"):
            args.workers = "2"
    backends = benchlib.parse_backends(args.backends)
    worker_counts = benchlib.parse_ints(args.workers)

    folder = Path(tempfile.mkdtemp(prefix="ogc-bench-ingest-", dir=args.tmp))
    try:
        sources = args.sources or folder / "sources"
        paths, generation = _sources(sources, args)
        print(f"  planned in {generation['plan_s']} s, written in {generation['write_s']} s")
        print("reading every product once (baseline, one process, no database) ...")
        baseline = read_baseline(paths)
        print(f"  {baseline['products_per_s']:,.0f} products/s")
        runs = []
        for backend in backends:
            for workers in worker_counts:
                print(f"ingesting into {backend} with {workers} worker(s) ...")
                run = ingest_run(backend, workers, paths, folder, args.pg_url)
                run["ratio_to_read"] = round(run["products_per_s"]
                                             / baseline["products_per_s"], 3)
                print(f"  {run['products_per_s']:,.0f} products/s"
                      f" ({run['ratio_to_read']:.2f} x the read rate)")
                runs.append(run)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    rows = [[r["backend"], r["workers"], r["products"], r["seconds"], r["products_per_s"],
             r["ratio_to_read"], "yes" if r["ok"] else "NO"] for r in runs]
    rows.append(["read only", 1, baseline["products"], baseline["seconds"],
                 baseline["products_per_s"], 1.0, "-"])
    print()
    print(benchlib.table(["backend", "workers", "products", "seconds", "products/s",
                          "x read", "all stored"], rows))
    goal = next((r for r in runs if r["backend"] == "sqlite" and r["workers"] == 2), None)
    if goal is not None:
        verdict = "met" if goal["products_per_s"] >= GOAL else "missed"
        print(f"\ngoal >= {GOAL:,.0f} products/s on SQLite with 2 workers: {verdict}")
    payload = {
        "benchmark": "ingest",
        "timestamp": benchlib.utc_now(),
        "machine": benchlib.machine(backends, args.pg_url),
        "parameters": {
            "products": args.products, "seed": args.seed, "now": NOW.isoformat(),
            "backends": backends, "workers": worker_counts, "quick": args.quick,
            "metadata_only": True, "rasters": False,
        },
        "generation": generation,
        "read_baseline": baseline,
        "runs": runs,
        "goal": {"products_per_s": GOAL, "backend": "sqlite", "workers": 2,
                 "met": None if goal is None else goal["products_per_s"] >= GOAL},
    }
    path = benchlib.write_results(args.results, "ingest.json", payload)
    print(f"results: {path}")
    return 0 if all(r["ok"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
