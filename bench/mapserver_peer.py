"""A peer WMS for ``bench/wms.py``: MapServer drawing the same browse COGs.

MapServer (Debian ``cgi-mapserver``, installed here with apt when ``mapserv`` is missing) gets
a mapfile with one raster layer per collection, named like ours, whose tile index
(``gdaltindex``, one shapefile per collection, each COG's own CRS in ``src_srs``) lists the
same browse COGs our WMS mosaics. The same GetMap query strings go to ``mapserv`` through a
minimal CGI front (a threaded HTTP server on 127.0.0.1 that runs ``mapserv`` per request, as a
plain CGI deployment does), which reports the CGI's duration in ``Server-Timing``.

The peer does less than our WMS: no catalogue query (the tile index is static), no TIME, no
limit on the products drawn and no ordering by date or cloud cover.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ogc_server.archive.model import Product
from ogc_server.archive.storage import LocalStorage


def ensure_mapserver() -> str:
    """The ``mapserv`` program, installed from Debian's packages when absent."""
    if shutil.which("mapserv") is None or shutil.which("gdaltindex") is None:
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends",
                        "cgi-mapserver", "mapserver-bin", "gdal-bin"], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    program = shutil.which("mapserv")
    if program is None:
        raise SystemExit("mapserv is not available")
    return program


def write_mapfile(folder: Path, products: list[Product], storage: LocalStorage) -> Path:
    """A mapfile with one tile-indexed raster layer per collection of ``products``."""
    folder.mkdir(parents=True, exist_ok=True)
    by_layer: dict[str, list[str]] = {}
    for product in products:
        if product.browse_path:
            layer = (product.collection or "").rsplit(":", 1)[-1]
            by_layer.setdefault(layer, []).append(
                str(storage.product_dir(product.browse_path)))
    layers = []
    for layer, files in sorted(by_layer.items()):
        index = folder / f"{layer}.shp"
        subprocess.run(["gdaltindex", "-t_srs", "EPSG:4326", "-src_srs_name", "src_srs",
                        str(index), *files], check=True, capture_output=True)
        layers.append(f"""
  LAYER
    NAME "{layer}"
    TYPE RASTER
    STATUS ON
    TILEINDEX "{index}"
    TILEITEM "location"
    TILESRS "src_srs"
    PROJECTION "init=epsg:4326" END
    PROCESSING "RESAMPLE=BILINEAR"
    METADATA "wms_title" "{layer}" "wms_srs" "EPSG:3857 EPSG:4326" END
  END""")
    mapfile = folder / "peer.map"
    mapfile.write_text(f"""MAP
  NAME "peer"
  EXTENT -180 -90 180 90
  SIZE 256 256
  MAXSIZE 4096
  PROJECTION "init=epsg:4326" END
  OUTPUTFORMAT
    NAME "png"
    DRIVER AGG/PNG
    MIMETYPE "image/png"
    IMAGEMODE RGBA
    TRANSPARENT ON
    EXTENSION "png"
  END
  WEB
    METADATA
      "wms_title" "peer"
      "wms_onlineresource" "http://127.0.0.1/peer?"
      "wms_srs" "EPSG:3857 EPSG:4326"
      "wms_enable_request" "*"
    END
  END
{''.join(layers)}
END
""")
    config = folder / "mapserver.conf"
    config.write_text(f'CONFIG\n  ENV\n    MS_MAPFILE "{mapfile}"\n  END\nEND\n')
    return config


@contextmanager
def serve(program: str, config: Path) -> Iterator[str]:
    """The CGI front on 127.0.0.1; yields its base URL (GetMap at ``/wms?...``)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server name)
            query = self.path.partition("?")[2]
            env = {"PATH": os.environ.get("PATH", ""), "REQUEST_METHOD": "GET",
                   "QUERY_STRING": query, "MAPSERVER_CONFIG_FILE": str(config),
                   "SERVER_NAME": "127.0.0.1", "GATEWAY_INTERFACE": "CGI/1.1"}
            started = time.perf_counter()
            done = subprocess.run([program], env=env, capture_output=True, check=False)
            took = (time.perf_counter() - started) * 1000.0
            head, _, body = done.stdout.partition(b"\r\n\r\n")
            if not body:
                head, _, body = done.stdout.partition(b"\n\n")
            headers = [line.split(":", 1) for line in head.decode("latin-1").splitlines()
                       if ":" in line]
            status = 200 if done.returncode == 0 and body else 500
            self.send_response(status)
            for key, value in headers:
                if key.lower() not in {"content-length", "status"}:
                    self.send_header(key.strip(), value.strip())
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Server-Timing", f"app;dur={took:.3f}")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
