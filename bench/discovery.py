"""The catalogue query mix through the four discovery interfaces over HTTP.

    python bench/discovery.py [--products 1000000] [--backends sqlite] [--repeat 20]
                              [--threads 1,8] [--quick] [--results DIR]

1. builds a catalogue exactly as ``bench/catalogue.py`` does (the demo's distributions,
   metadata only);
2. starts ``ogc-server serve`` on 127.0.0.1 over it (a separate process, 8 threads);
3. draws the query mix of ``bench/catalogue.py`` (same seeded generator) and asks each
   question through EO OpenSearch (GeoJSON), STAC (``/stac/search``), OGC API Records and CSW
   (GetRecords, CQL), first page of 50 with the exact total, with 1 and with 8 client threads;
4. reports per interface and query the server-side time (the ``Server-Timing`` header: the
   time the server worked before answering) and the client-side time, p50/p95, the ratio to
   the same question asked of ``ProductStore.query`` directly in this process (the baseline),
   and checks that every interface gave the same total;
5. writes ``discovery.json`` (in ``bench/results/`` unless ``--results`` says otherwise).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import benchlib  # noqa: E402
import catalogue as catalogue_bench  # noqa: E402

from ogc_server.archive.database import create_engine  # noqa: E402
from ogc_server.archive.query import ProductQuery, Range  # noqa: E402
from ogc_server.archive.store import ProductStore  # noqa: E402

INTERFACES = ("opensearch", "stac", "records", "csw")


# Questions as each interface asks them ---------------------------------------------------------


def _iso(moment: Any) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parts(query: ProductQuery) -> dict[str, Any]:
    parts: dict[str, Any] = {"collection": query.collections[0]}
    geometry = query.geometry
    if geometry is not None:
        if geometry.geom_type == "Point":
            parts["point"] = (geometry.x, geometry.y)
        else:
            parts["bbox"] = geometry.bounds
    if query.start is not None:
        parts["window"] = (_iso(query.start), _iso(query.end))
    cloud = query.where.get("cloud_cover")
    if isinstance(cloud, Range):
        parts["cloud_max"] = cloud.high
    if "tile_id" in query.where:
        parts["tile"] = query.where["tile_id"]
    return parts


def opensearch(p: dict[str, Any]) -> str:
    args: dict[str, Any] = {"parentIdentifier": p["collection"], "maximumRecords": 50,
                            "httpAccept": "application/geo+json"}
    if "bbox" in p:
        args["bbox"] = ",".join(f"{v:.6f}" for v in p["bbox"])
    if "point" in p:
        args["geometry"] = f"POINT({p['point'][0]:.6f} {p['point'][1]:.6f})"
    if "window" in p:
        args["startDate"], args["endDate"] = p["window"]
    if "cloud_max" in p:
        args["cloudCover"] = f"[0,{p['cloud_max']}]"
    if "tile" in p:
        args["tileId"] = p["tile"]
    return "/opensearch/request?" + urlencode(args)


def _cql(p: dict[str, Any], prefix: str = "", tile: str = "tileId") -> list[str]:
    terms = []
    if "point" in p:
        terms.append(f"S_INTERSECTS(geometry, POINT({p['point'][0]:.6f} {p['point'][1]:.6f}))")
    if "cloud_max" in p:
        terms.append(f"{prefix}cloudCover <= {p['cloud_max']}")
    if "tile" in p:
        terms.append(f"{tile} = '{p['tile']}'")
    return terms


def stac(p: dict[str, Any]) -> str:
    args: dict[str, Any] = {"collections": p["collection"], "limit": 50}
    if "bbox" in p:
        args["bbox"] = ",".join(f"{v:.6f}" for v in p["bbox"])
    if "window" in p:
        args["datetime"] = "/".join(p["window"])
    terms = []
    if "point" in p:
        args["intersects"] = json.dumps({"type": "Point", "coordinates": list(p["point"])})
    if "cloud_max" in p:
        terms.append(f"eo:cloud_cover <= {p['cloud_max']}")
    if "tile" in p:
        terms.append(f"grid:code = 'MGRS-{p['tile']}'")
    if terms:
        args["filter"], args["filter-lang"] = " AND ".join(terms), "cql2-text"
    return "/stac/search?" + urlencode(args)


def records(p: dict[str, Any]) -> str:
    args: dict[str, Any] = {"limit": 50, "f": "json"}
    if "bbox" in p:
        args["bbox"] = ",".join(f"{v:.6f}" for v in p["bbox"])
    if "window" in p:
        args["datetime"] = "/".join(p["window"])
    terms = _cql(p)
    if terms:
        args["filter"] = " AND ".join(terms)
    short = p["collection"].rsplit(":", 1)[-1]
    return f"/ogcapi/collections/{short}/items?" + urlencode(args)


def csw(p: dict[str, Any]) -> str | None:
    if "tile" in p:
        return None  # no tile queryable in the APISO profile
    terms = [f"apiso:ParentIdentifier = '{p['collection']}'"]
    if "bbox" in p:
        w, s, e, n = p["bbox"]
        terms.append(f"BBOX(apiso:BoundingBox, {w:.6f}, {s:.6f}, {e:.6f}, {n:.6f})")
    if "point" in p:
        x, y = p["point"]
        terms.append(f"INTERSECTS(apiso:BoundingBox, POINT({x:.6f} {y:.6f}))")
    if "window" in p:
        terms.append(f"apiso:TempExtent_begin <= '{p['window'][1]}'")
        terms.append(f"apiso:TempExtent_end >= '{p['window'][0]}'")
    if "cloud_max" in p:
        terms.append(f"apiso:CloudCover <= {p['cloud_max']}")
    args = {"service": "CSW", "version": "2.0.2", "request": "GetRecords",
            "typeNames": "csw:Record", "resultType": "results", "elementSetName": "brief",
            "maxRecords": 50, "constraintLanguage": "CQL_TEXT",
            "constraint_language_version": "1.1.0", "constraint": " AND ".join(terms)}
    return "/csw?" + urlencode(args)


BUILDERS = {"opensearch": opensearch, "stac": stac, "records": records, "csw": csw}


def total_of(interface: str, body: bytes) -> int | None:
    if interface == "csw":
        text = body.decode("utf-8", "replace")
        marker = 'numberOfRecordsMatched="'
        start = text.find(marker)
        return int(text[start + len(marker): text.index('"', start + len(marker))]) \
            if start >= 0 else None
    doc = json.loads(body)
    return doc.get("totalResults", doc.get("numberMatched"))


# Server and client -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(url: str, folder: Path, processes: int = 1,
                 threads: int = 8) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "OGC_SERVER_DATA": str(folder), "OGC_SERVER_DATABASE_URL": url,
           "OGC_SERVER_PUBLIC_URL": base}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ogc_server.cli", "--config", str(benchlib.CONFIG), "serve",
         "--port", str(port), "--threads", str(threads), "--processes", str(processes)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/health", timeout=2):
                return proc, base
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("the server did not start")


def ask(base: str, path: str) -> tuple[float, float, bytes, int]:
    started = time.perf_counter()
    with urllib.request.urlopen(base + path, timeout=120) as response:
        body = response.read()
        timing = response.headers.get("Server-Timing", "app;dur=nan")
        status = response.status
    client = time.perf_counter() - started
    server = float(timing.split("dur=")[1]) / 1000
    return server, client, body, status


def measure(url: str, base: str, repeat: int, seed: int, threads: list[int]) -> dict:
    tiles, collections, _ = catalogue_bench._catalogue_facts(url)
    engine = create_engine(url)
    store = ProductStore(engine)
    out: dict[str, Any] = {}
    rng = np.random.default_rng(seed)
    mix = catalogue_bench.query_mix(rng, tiles, collections)
    questions = {name: [draw() for _ in range(repeat)] for name, draw in mix.items()}
    for name, drawn in questions.items():
        baseline = []
        totals = []
        for query in drawn:
            started = time.perf_counter()
            totals.append(store.query(query).total)
            baseline.append(time.perf_counter() - started)
        base_p50 = benchlib.summary_ms(baseline)["p50_ms"]
        entry: dict[str, Any] = {"baseline": benchlib.summary_ms(baseline)}
        for interface in INTERFACES:
            paths = [BUILDERS[interface](_parts(q)) for q in drawn]
            if any(p is None for p in paths):
                entry[interface] = None
                continue
            per_threads = {}
            for count in threads:
                ask(base, paths[0])  # warm the interface once
                with ThreadPoolExecutor(max_workers=count) as pool:
                    started = time.perf_counter()
                    results = list(pool.map(lambda path: ask(base, path), paths * count))
                    wall = time.perf_counter() - started
                mismatched = sum(
                    1 for i, r in enumerate(results)
                    if r[3] != 200 or total_of(interface, r[2]) != totals[i % len(totals)])
                server = benchlib.summary_ms([r[0] for r in results])
                client = benchlib.summary_ms([r[1] for r in results])
                per_threads[str(count)] = {
                    "server": server, "client": client,
                    "requests_per_s": round(len(results) / wall, 1),
                    "server_p50_x_baseline": round(server["p50_ms"] / base_p50, 2),
                    "wrong_totals": mismatched,
                }
            entry[interface] = per_threads
        out[name] = entry
    engine.dispose()
    return out


def print_table(backend: str, figures: dict) -> None:
    rows = []
    for name, entry in figures.items():
        for interface in INTERFACES:
            per = entry.get(interface)
            if per is None:
                rows.append([backend, catalogue_bench.QUERY_TITLES[name][:40], interface,
                             "n/a", "", "", "", "", ""])
                continue
            for count, fig in per.items():
                rows.append([backend, catalogue_bench.QUERY_TITLES[name][:40], interface, count,
                             fig["server"]["p50_ms"], fig["server"]["p95_ms"],
                             fig["client"]["p95_ms"], fig["requests_per_s"],
                             fig["wrong_totals"]])
    print(benchlib.table(["backend", "query", "interface", "threads", "server p50",
                          "server p95", "client p95", "req/s", "wrong totals"], rows))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--backends", type=benchlib.parse_backends, default=["sqlite"])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--threads", type=benchlib.parse_ints, default=[1, 8])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="5,000 products, 5 repeats")
    parser.add_argument("--results", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument("--database-url", default=None,
                        help="measure this existing catalogue (built by bench/catalogue.py's"
                             " plan) instead of building one; results are not written")
    args = parser.parse_args(argv)
    if args.quick:
        args.products, args.repeat = 5000, 5
    if args.database_url:
        with tempfile.TemporaryDirectory(prefix="bench-discovery-") as tmp:
            proc, base = start_server(args.database_url, Path(tmp))
            try:
                figures = measure(args.database_url, base, args.repeat, args.seed, args.threads)
            finally:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)
        print_table(args.database_url.split(":", 1)[0], figures)
        return 0
    products, planning = catalogue_bench.records(args.products, 1, args.workers)
    payload: dict[str, Any] = {
        "benchmark": "discovery", "timestamp": benchlib.utc_now(),
        "machine": benchlib.machine(args.backends),
        "parameters": {"products": args.products, "repeat": args.repeat,
                       "threads": args.threads, "seed": args.seed},
        "planning": planning, "backends": {},
    }
    with tempfile.TemporaryDirectory(prefix="bench-discovery-") as tmp:
        for backend in args.backends:
            with benchlib.catalogue(backend, Path(tmp)) as url:
                build = catalogue_bench.build(url, products, batch=5000)
                proc, base = start_server(url, Path(tmp) / backend)
                try:
                    figures = measure(url, base, args.repeat, args.seed, args.threads)
                finally:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(timeout=30)
                payload["backends"][backend] = {"build": build, "queries": figures}
                print_table(backend, figures)
    path = benchlib.write_results(args.results, "discovery.json", payload)
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
