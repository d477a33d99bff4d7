"""Map rendering over HTTP: WMS GetMap (drawn per request) and tiles (drawn, then cached).

    python bench/wms.py [--products 100] [--raster-scale 1.0] [--backends sqlite]
                        [--repeat 40] [--threads 1,8] [--quick] [--results DIR]

1. generates a demo archive (real product structures, browse COGs made by the ingest
   pipeline) and catalogues it;
2. starts ``ogc-server serve`` on 127.0.0.1 over it (``--processes``, default one per core, of
   ``--server-threads`` threads each, default 2);
3. asks ``--repeat`` 256 x 256 PNG maps in EPSG:3857 around randomly drawn products (a
   seeded generator; map widths from a third to three times the product's) once of the fresh
   server, one at a time (``first_pass``: nothing drawn before), then, after every map of the
   run was asked once more without being counted (the warm-up: the steady state of a server
   that has drawn these places before), with 1 and with 8 client threads:

   * ``wms``: GetMap of the product's collection layer, drawn for each request (uncached);
   * ``wms_time``: the same with a TIME interval of the product's day;
   * ``tiles_first``: the XYZ tile around the product, first request (drawn and stored);
   * ``tiles_cached``: the same tiles again (answered from the tile cache);

4. reports the server-side time (``Server-Timing``), the client-side time, p50/p95 and
   requests per second, and how many answers were not a PNG of the asked size; and for the
   WMS requests the ratio of the server's p50 to the bare renderer's (the same maps drawn in
   this process by ``ogc_server.view.render`` and encoded as PNG: what MapProxy and the
   WSGI stack add);
5. asks the same WMS GetMap requests of a peer, MapServer over the same browse COGs
   (:mod:`mapserver_peer`; ``--no-peer`` skips it), first pass and warm-up alike, and reports
   our uncached client-side
   p50/p95 and requests per second as ratios to the peer's (``peer`` in the results;
   p50/p95 ratios below 1 and a req/s ratio above 1 mean we are faster);
6. writes ``wms.json`` (in ``bench/results/`` unless ``--results`` says otherwise).
"""

from __future__ import annotations

import argparse
import io
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import benchlib  # noqa: E402
import mapserver_peer  # noqa: E402
from discovery import ask, start_server  # noqa: E402

from ogc_server.archive.model import Product  # noqa: E402
from ogc_server.archive.query import ProductQuery  # noqa: E402
from ogc_server.demo import generate  # noqa: E402
from ogc_server.ingest.pipeline import ingest_batch  # noqa: E402
from ogc_server.services import Services, build_services  # noqa: E402
from ogc_server.view.png import encode_rgba  # noqa: E402

SIZE = 256
MERCATOR_HALF = 20037508.342789244
KINDS = ("wms", "wms_time", "tiles_first", "tiles_cached")


def build_archive(folder: Path, url: str, products: int, scale: float, seed: int) -> dict:
    """Generate and ingest the demo archive; returns how long that took."""
    settings = benchlib.settings_for(folder, url)
    started = time.perf_counter()
    incoming = folder / "incoming"
    collections = [(c.identifier, list(c.product_types), dict(c.retention.months))
                   for c in settings.collection_list]
    paths = generate(incoming, products=products, seed=seed, collections=collections,
                     raster_scale=scale, workers=settings.ingest.workers)
    summary = ingest_batch(settings, paths, workers=settings.ingest.workers, move=True)
    if not summary.ok:
        raise SystemExit(summary.describe())
    return {"products": products, "raster_scale": scale,
            "seconds": round(time.perf_counter() - started, 1)}


def mercator(lon: float, lat: float) -> tuple[float, float]:
    lat = max(min(lat, 85.0), -85.0)
    x = lon * MERCATOR_HALF / 180.0
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * MERCATOR_HALF / math.pi
    return x, y


def map_around(product: Product, rng: Any) -> tuple[float, float, float]:
    """Centre and half width (EPSG:3857) of a map around ``product``, from a third to three
    times its width (one draw of ``rng``)."""
    centre = product.footprint.centroid
    west, south, east, north = product.footprint.bounds
    x0, y0 = mercator(west, south)
    x1, y1 = mercator(east, north)
    half = max(x1 - x0, y1 - y0) * float(rng.uniform(1 / 3, 3)) / 2
    cx, cy = mercator(centre.x, centre.y)
    return cx, cy, half


def requests_for(products: list[Product], repeat: int, seed: int) -> dict[str, list[str]]:
    """WMS request paths and tile places (``tiles``), drawn around random products."""
    rng = np.random.default_rng(seed)
    out: dict[str, list[str]] = {"wms": [], "wms_time": [], "tiles": []}
    for _ in range(repeat):
        product = products[int(rng.integers(len(products)))]
        layer = (product.collection or "").rsplit(":", 1)[-1]
        cx, cy, half = map_around(product, rng)
        params = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": layer,
                  "STYLES": "", "CRS": "EPSG:3857", "WIDTH": SIZE, "HEIGHT": SIZE,
                  "FORMAT": "image/png", "TRANSPARENT": "TRUE",
                  "BBOX": f"{cx - half},{cy - half},{cx + half},{cy + half}"}
        out["wms"].append("/wms?" + urlencode(params))
        day = product.start.strftime("%Y-%m-%d")
        out["wms_time"].append("/wms?" + urlencode({**params, "TIME": f"{day}/{day}"}))
        zoom = int(np.clip(math.floor(math.log2(2 * MERCATOR_HALF / (2 * half))), 0, 12))
        out["tiles"].append(f"{layer} {zoom} {cx} {cy}")
    return out


def tile_paths(tiles: list[str], deeper: int) -> list[str]:
    """XYZ tile paths at the drawn places, ``deeper`` levels below the drawn zoom (each thread
    count of the first-request run gets tiles no run has asked before)."""
    paths = []
    for item in tiles:
        layer, zoom_text, cx_text, cy_text = item.split()
        zoom = int(zoom_text) + deeper
        cx, cy = float(cx_text), float(cy_text)
        tx = int((cx + MERCATOR_HALF) / (2 * MERCATOR_HALF) * 2**zoom)
        ty = int((MERCATOR_HALF - cy) / (2 * MERCATOR_HALF) * 2**zoom)
        paths.append(f"/tiles/{layer}/webmercator/{zoom}/{tx}/{ty}.png")
    return paths


def baseline(services: Services, products: list[Product], repeat: int, seed: int) -> dict:
    """The WMS maps drawn in-process: catalogue query, mosaic and PNG encoding only."""
    from rasterio.crs import CRS


    crs = CRS.from_epsg(3857)
    for _ in range(2):  # the second pass is reported: the steady state, as for the server
        rng = np.random.default_rng(seed)
        seconds = _draw_all(services, products, repeat, rng, crs)
    return benchlib.summary_ms(seconds)


def _draw_all(services: Services, products: list[Product], repeat: int, rng: Any,
              crs: Any) -> list[float]:
    from ogc_server.view.render import MapSpec, find_products, render_browse

    seconds = []
    for _ in range(repeat):  # the same draws as requests_for
        product = products[int(rng.integers(len(products)))]
        cx, cy, half = map_around(product, rng)
        spec = MapSpec((cx - half, cy - half, cx + half, cy + half), crs, SIZE, SIZE)
        started = time.perf_counter()
        drawn = find_products(services.store, product.collection or "", spec,
                              limit=services.settings.view.max_products)
        image = render_browse(drawn, services.storage, spec, services.settings.gdal_env)
        if image is not None:
            encode_rgba(np.ascontiguousarray(image.transpose(1, 2, 0)),
                        services.settings.view.png_compression)
        seconds.append(time.perf_counter() - started)
    return seconds


def _is_map(body: bytes, status: int) -> bool:
    if status != 200:
        return False
    try:
        return Image.open(io.BytesIO(body)).size == (SIZE, SIZE)
    except OSError:
        return False


def measure(base: str, paths: dict[str, list[str]], threads: list[int]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind in KINDS:
        per_threads = {}
        for index, count in enumerate(threads):
            if kind == "tiles_first":
                todo = tile_paths(paths["tiles"], index)
            elif kind == "tiles_cached":
                todo = tile_paths(paths["tiles"], 0)  # stored by the first run
            else:
                todo = paths[kind]
            with ThreadPoolExecutor(max_workers=count) as pool:
                started = time.perf_counter()
                results = list(pool.map(lambda path: ask(base, path), todo))
                wall = time.perf_counter() - started
            per_threads[str(count)] = {
                "server": benchlib.summary_ms([r[0] for r in results]),
                "client": benchlib.summary_ms([r[1] for r in results]),
                "requests_per_s": round(len(results) / wall, 1),
                "not_a_map": sum(1 for r in results if not _is_map(r[2], r[3])),
            }
        out[kind] = per_threads
    return out


def first_pass(base: str, paths: list[str]) -> dict[str, Any]:
    """The maps asked once each of a fresh server, one at a time: nothing drawn before (our
    renderer's decoded-overview cache is empty; the files are in the page cache)."""
    started = time.perf_counter()
    results = [ask(base, path) for path in paths]
    wall = time.perf_counter() - started
    return {"server": benchlib.summary_ms([r[0] for r in results]),
            "client": benchlib.summary_ms([r[1] for r in results]),
            "requests_per_s": round(len(results) / wall, 1),
            "not_a_map": sum(1 for r in results if not _is_map(r[2], r[3]))}


def warm_up(base: str, paths: list[str], threads: int) -> None:
    """Every map asked once, not counted, with ``threads`` clients: the steady state of a
    server that has drawn these places before (each process its files, CRSs and caches)."""
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(lambda path: ask(base, path), paths))


def measure_peer(folder: Path, services: Services, products: list[Product],
                 paths: list[str], threads: list[int], ours: dict[str, Any],
                 mode: str) -> dict[str, Any]:
    """The WMS requests asked of MapServer (deployed as ``mode``: ``fastcgi``, ``cgi``), and
    our figures as ratios to its."""
    program = mapserver_peer.ensure_mapserver()
    config = mapserver_peer.write_mapfile(folder / "peer", products, services.storage)
    version = subprocess.run([program, "-v"], capture_output=True, text=True,
                             check=False).stdout.split(" OUTPUT")[0]
    how = (f"{max(threads)} persistent FastCGI processes" if mode == "fastcgi"
           else "CGI, one process per request")
    out: dict[str, Any] = {"peer": f"MapServer {version.removeprefix('MapServer version ')} "
                                   f"(mapserv, {how})"}
    with mapserver_peer.serve(program, config, mode, max(threads)) as base:
        first = first_pass(base, paths)
        out["first_pass"] = {**first, "ours_over_peer": {
            "p50": round(ours["first_pass"]["client"]["p50_ms"] / first["client"]["p50_ms"], 3),
            "p95": round(ours["first_pass"]["client"]["p95_ms"] / first["client"]["p95_ms"], 3),
            "requests_per_s": round(ours["first_pass"]["requests_per_s"]
                                    / first["requests_per_s"], 3)}}
        warm_up(base, paths, max(threads))
        for count in threads:
            with ThreadPoolExecutor(max_workers=count) as pool:
                started = time.perf_counter()
                results = list(pool.map(lambda path: ask(base, path), paths))
                wall = time.perf_counter() - started
            client = benchlib.summary_ms([r[1] for r in results])
            mine = ours[str(count)]
            rate = round(len(results) / wall, 1)
            out[str(count)] = {
                "client": client, "requests_per_s": rate,
                "not_a_map": sum(1 for r in results if not _is_map(r[2], r[3])),
                "ours_over_peer": {
                    "p50": round(mine["client"]["p50_ms"] / client["p50_ms"], 3),
                    "p95": round(mine["client"]["p95_ms"] / client["p95_ms"], 3),
                    "requests_per_s": round(mine["requests_per_s"] / rate, 3)},
            }
    return out


def print_table(backend: str, figures: dict) -> None:
    rows = []
    for kind, per in figures.items():
        for count, fig in per.items():
            rows.append([backend, kind, count, fig["server"]["p50_ms"], fig["server"]["p95_ms"],
                         fig["client"]["p50_ms"], fig["client"]["p95_ms"],
                         fig["requests_per_s"], fig["not_a_map"]])
    print(benchlib.table(["backend", "requests", "threads", "server p50", "server p95",
                          "client p50", "client p95", "req/s", "not a map"], rows))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100)
    parser.add_argument("--raster-scale", type=float, default=1.0)
    parser.add_argument("--backends", type=benchlib.parse_backends, default=["sqlite"])
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--threads", type=benchlib.parse_ints, default=[1, 8])
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1,
                        help="server processes (default: one per core)")
    parser.add_argument("--server-threads", type=int, default=2,
                        help="worker threads per server process (default 2: maps are CPU "
                             "work, and more threads per process only queue for its "
                             "interpreter lock)")
    parser.add_argument("--quick", action="store_true", help="24 small products, 8 repeats")
    parser.add_argument("--results", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument("--no-peer", action="store_true", help="skip the MapServer peer")
    parser.add_argument("--peer-mode", choices=("fastcgi", "cgi"), default="fastcgi",
                        help="MapServer as persistent FastCGI processes or CGI per request")
    args = parser.parse_args(argv)
    if args.quick:
        args.products, args.raster_scale, args.repeat = 24, 0.25, 8
    payload: dict[str, Any] = {
        "benchmark": "wms", "timestamp": benchlib.utc_now(),
        "machine": benchlib.machine(args.backends), "load_average": benchlib.load_average(),
        "parameters": {"products": args.products, "raster_scale": args.raster_scale,
                       "repeat": args.repeat, "threads": args.threads, "seed": args.seed,
                       "size": SIZE, "peer_mode": None if args.no_peer else args.peer_mode,
                       "server_processes": args.processes,
                       "server_threads": args.server_threads},
        "backends": {},
    }
    with tempfile.TemporaryDirectory(prefix="bench-wms-") as tmp:
        for backend in args.backends:
            folder = Path(tmp) / backend
            with benchlib.catalogue(backend, Path(tmp)) as url:
                archive = build_archive(folder, url, args.products, args.raster_scale,
                                        args.seed)
                services = build_services(benchlib.settings_for(folder, url), migrate=False)
                products = [p for p in services.store.query(ProductQuery(limit=10_000)).products
                            if p.browse_path]
                paths = requests_for(products, args.repeat, args.seed)
                bare = baseline(services, products, args.repeat, args.seed)
                proc, base = start_server(url, folder, args.processes, args.server_threads)
                try:
                    first = first_pass(base, paths["wms"])
                    warm_up(base, paths["wms"] + paths["wms_time"], max(args.threads))
                    figures = measure(base, paths, args.threads)
                    figures["wms"]["first_pass"] = first
                    for per in figures["wms"].values():
                        per["server_p50_x_renderer"] = round(
                            per["server"]["p50_ms"] / bare["p50_ms"], 2)
                finally:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(timeout=30)
                peer = None if args.no_peer else measure_peer(
                    folder, services, products, paths["wms"], args.threads, figures["wms"],
                    args.peer_mode)
                services.engine.dispose()
                payload["backends"][backend] = {"archive": archive,
                                                "browse_products": len(products),
                                                "renderer_in_process": bare,
                                                "requests": figures, "peer": peer}
                print_table(backend, figures)
                for count, fig in (peer or {}).items():
                    if count not in ("peer", "first_pass"):
                        print(f"peer, {count} thread(s): p50 {fig['client']['p50_ms']} ms,"
                              f" p95 {fig['client']['p95_ms']} ms,"
                              f" {fig['requests_per_s']} req/s; ours/peer {fig['ours_over_peer']}")
                if peer:
                    fig = peer["first_pass"]
                    print(f"first pass (fresh servers, 1 thread): ours p50/p95 "
                          f"{first['client']['p50_ms']}/{first['client']['p95_ms']} ms, peer "
                          f"{fig['client']['p50_ms']}/{fig['client']['p95_ms']} ms; "
                          f"ours/peer {fig['ours_over_peer']}")
                print(f"renderer in process: p50 {bare['p50_ms']} ms, p95 {bare['p95_ms']} ms")
    path = benchlib.write_results(args.results, "wms.json", payload)
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
