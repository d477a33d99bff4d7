"""Download throughput against nginx, and search latency while large downloads run.

    python bench/download.py [--size-mb 1024] [--repeat 3] [--samples 30] [--quick]
                             [--results DIR] [--tmp DIR]

1. generates a few demo products, ingests one kept as a folder into a fresh SQLite catalogue,
   and grows it with an incompressible file to ``--size-mb`` (so the ZIP is built on the fly);
2. starts ``ogc-server serve`` on 127.0.0.1 (a separate process, 8 threads), downloads the
   product once (the first download computes its digests: timed apart) and checks the bytes'
   SHA-256 against ``Repr-Digest``;
3. starts nginx (Debian's ``nginx-light`` is installed if missing) on a free port with its own
   configuration in the temporary folder, serving the same ZIP as a plain file (sendfile on);
4. with 1 and 8 parallel ``curl`` clients, measures the aggregate throughput (bytes / wall
   time, best of ``--repeat``) of each server and the ratio ogc-server / nginx (goal >= 0.8);
5. measures the latency of an OpenSearch search (sequential requests) idle, while 10 clients
   download the product at full speed, and while 10 slow clients (2 MB/s each) download it;
6. writes ``download.json`` (in ``bench/results/`` unless ``--results`` says otherwise).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import benchlib  # noqa: E402
from discovery import _free_port, start_server  # noqa: E402

from ogc_server.archive.query import ProductQuery  # noqa: E402
from ogc_server.demo import generate  # noqa: E402
from ogc_server.ingest.pipeline import Ingestor  # noqa: E402
from ogc_server.services import build_services  # noqa: E402

NGINX_CONF = """daemon off;
worker_processes auto;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    types {{ application/zip zip; }}
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location / {{ }}
    }}
}}
"""


# The product ----------------------------------------------------------------------------------


def make_product(folder: Path, size_mb: int) -> tuple[Any, Any]:
    """A catalogue with one folder product grown to ``size_mb``; (settings, product)."""
    sources = folder / "sources"
    generate(sources, products=6, seed=5, now=datetime.fromisoformat("2026-11-01T00:00:00+00:00"),
             raster_scale=0.25)
    settings = benchlib.settings_for(folder / "data", f"sqlite:///{folder / 'catalogue.sqlite'}")
    services = build_services(settings)
    ingestor = Ingestor(settings, services.store, services.storage, browse=False)
    for source in sorted(p for p in sources.iterdir() if p.suffix in (".SAFE", ".SEN3")):
        if ingestor.ingest(source).status == "inserted":
            break
    product = services.store.query(ProductQuery(limit=1)).products[0]
    data = services.storage.product_dir(product.storage_path or "")
    with open(data / "bench-padding.bin", "wb") as fh:  # incompressible, like image data
        for _ in range(size_mb):
            fh.write(os.urandom(1 << 20))
    services.engine.dispose()
    return settings, product


# Servers --------------------------------------------------------------------------------------


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists()
                                      else None)
    if found:
        return found
    prefix = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*prefix, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run([*prefix, "apt-get", "install", "-y", "-qq", "--no-install-recommends",
                    "nginx-light"], check=True, env=env, stdout=subprocess.DEVNULL)
    return shutil.which("nginx") or "/usr/sbin/nginx"


def start_nginx(folder: Path, root: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    conf = folder / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=folder, port=port, root=root))
    proc = subprocess.Popen([nginx_binary(), "-c", str(conf), "-p", str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/", timeout=2).close()
        except urllib.error.HTTPError:
            return proc, base  # 403/404 for the root: nginx is up
        except OSError:
            time.sleep(0.2)
            continue
        return proc, base
    proc.kill()
    raise RuntimeError("nginx did not start")


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        proc.kill()


# Measures -------------------------------------------------------------------------------------


def curl(url: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(["curl", "-s", "-f", "-o", "/dev/null", *extra, url],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def throughput(url: str, streams: int, size: int, repeat: int) -> float:
    """Best aggregate MB/s of ``streams`` parallel full downloads."""
    best = 0.0
    for _ in range(repeat):
        started = time.perf_counter()
        procs = [curl(url) for _ in range(streams)]
        codes = [p.wait() for p in procs]
        elapsed = time.perf_counter() - started
        if any(codes):
            raise RuntimeError(f"a download of {url} failed: {codes}")
        best = max(best, streams * size / elapsed / 1e6)
    return round(best, 1)


def search_latency(base: str, path: str, samples: int) -> dict[str, float]:
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        with urllib.request.urlopen(base + path, timeout=300) as response:
            response.read()
        times.append(time.perf_counter() - started)
    return benchlib.summary_ms(times)


def under_load(base: str, url: str, path: str, samples: int, rate: str | None) -> dict:
    """Search latency while 10 clients download ``url`` again and again."""
    limit = f"--limit-rate {rate} " if rate else ""
    loop = f"while :; do curl -s -f -o /dev/null {limit}'{url}' || sleep 0.1; done"
    procs = [subprocess.Popen(["sh", "-c", loop], start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for _ in range(10)]
    time.sleep(1.0)  # the downloads are under way
    try:
        return search_latency(base, path, samples)
    finally:
        for proc in procs:
            stop(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="64 MB, one repeat, 10 samples")
    parser.add_argument("--results", type=Path, default=benchlib.RESULTS)
    parser.add_argument("--tmp", type=Path, default=None)
    args = parser.parse_args()
    if args.quick:
        args.size_mb, args.repeat, args.samples = 64, 1, 10
    if shutil.which("curl") is None:
        raise SystemExit("curl is needed")
    with tempfile.TemporaryDirectory(prefix="bench-download-", dir=args.tmp) as tmp:
        folder = Path(tmp)
        os.chmod(folder, 0o755)  # nginx workers (another user when run as root) read it
        settings, product = make_product(folder, args.size_mb)
        server, base = start_server(settings.database_url, folder / "data")
        nginx = None
        try:
            url = f"{base}/download/{product.file_name}"
            started = time.perf_counter()
            head = urllib.request.urlopen(urllib.request.Request(url, method="HEAD"))
            first = time.perf_counter() - started
            size = int(head.headers["Content-Length"])
            digest = base64.b64decode(head.headers["Repr-Digest"].split(":")[1]).hex()
            www = folder / "www"
            www.mkdir()
            served = www / str(product.file_name)
            subprocess.run(["curl", "-s", "-f", "-o", str(served), url], check=True)
            sha = hashlib.sha256()
            with open(served, "rb") as fh:
                while chunk := fh.read(1 << 22):
                    sha.update(chunk)
            if sha.hexdigest() != digest:
                raise SystemExit("the bytes sent do not match Repr-Digest")
            os.chmod(www, 0o755)
            os.chmod(served, 0o644)
            nginx, nginx_base = start_nginx(folder, www)
            nginx_url = f"{nginx_base}/{product.file_name}"
            rows, figures = [], {}
            for streams in (1, 8):
                ours = throughput(url, streams, size, args.repeat)
                theirs = throughput(nginx_url, streams, size, args.repeat)
                ratio = round(ours / theirs, 3)
                figures[f"{streams}_streams"] = {"ogc_server_mb_s": ours, "nginx_mb_s": theirs,
                                                 "ratio": ratio}
                rows.append([streams, ours, theirs, ratio])
            search = (f"/opensearch/request?parentIdentifier={product.collection}"
                      "&maximumRecords=20&httpAccept=application/geo%2Bjson")
            latency = {
                "idle": search_latency(base, search, args.samples),
                "10_fast_downloads": under_load(base, url, search, args.samples, None),
                "10_slow_downloads_2MB_s": under_load(base, url, search, args.samples, "2M"),
                # the same machine load with nginx sending the bytes: what the clients and
                # the kernel cost the search, apart from our server
                "10_fast_downloads_from_nginx": under_load(base, nginx_url, search,
                                                           args.samples, None),
            }
        finally:
            if nginx is not None:
                stop(nginx)
            stop(server)
    print(f"product: {size / 1e6:,.0f} MB ZIP built on the fly; first download's digests "
          f"{first:.1f} s")
    print(benchlib.table(["streams", "ogc-server MB/s", "nginx MB/s", "ratio"], rows))
    print(benchlib.table(["search while", "p50 ms", "p95 ms", "max ms"],
                         [[k, v["p50_ms"], v["p95_ms"], v["max_ms"]]
                          for k, v in latency.items()]))
    payload = {
        "when": benchlib.utc_now(),
        "machine": benchlib.machine([]),
        "load_average": benchlib.load_average(),
        "parameters": {"size_mb": args.size_mb, "repeat": args.repeat,
                       "samples": args.samples, "server_threads": 8},
        "product_bytes": size,
        "first_download_digest_s": round(first, 2),
        "throughput": figures,
        "search_latency": latency,
    }
    path = benchlib.write_results(args.results, "download.json", payload)
    print(f"written {path}")


if __name__ == "__main__":
    main()
