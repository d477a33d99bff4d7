"""A peer WMS for ``bench/wms.py``: MapServer drawing the same browse COGs.

MapServer (Debian ``cgi-mapserver``, installed here with apt when ``mapserv`` is missing) gets
a mapfile with one raster layer per collection, named like ours, whose tile index
(``gdaltindex``, one shapefile per collection, each COG's own CRS in ``src_srs``) lists the
same browse COGs our WMS mosaics. The same GetMap query strings go to ``mapserv`` through a
minimal front, a threaded HTTP server on 127.0.0.1 that reports MapServer's time in
``Server-Timing``, in one of two deployments:

* ``fastcgi`` (the default, how MapServer is run in production): as many persistent
  ``mapserv`` FastCGI processes as client threads, sharing one listening socket (as
  ``spawn-fcgi`` starts them), asked through a small FastCGI client (:func:`fastcgi_call`);
* ``cgi``: ``mapserv`` run per request, as a plain CGI deployment does.

The peer does less than our WMS: no catalogue query (the tile index is static), no TIME, no
limit on the products drawn and no ordering by date or cloud cover.
"""

from __future__ import annotations

import os
import shutil
import socket
import struct
import subprocess
import tempfile
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


# FastCGI 1.0 record types and the responder role
_BEGIN, _END, _PARAMS, _STDIN, _STDOUT = 1, 3, 4, 5, 6
_RESPONDER = 1


def _record(kind: int, content: bytes, request: int = 1) -> bytes:
    return struct.pack(">BBHHBx", 1, kind, request, len(content), 0) + content


def _pair(name: bytes, value: bytes) -> bytes:
    def size(n: int) -> bytes:
        return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)
    return size(len(name)) + size(len(value)) + name + value


def fastcgi_call(path: str, params: dict[str, str]) -> bytes:
    """One FastCGI request to the application listening on the Unix socket ``path``; returns
    its standard output (CGI headers and body)."""
    body = b"".join(_pair(k.encode(), v.encode()) for k, v in params.items())
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.connect(path)
        conn.sendall(_record(_BEGIN, struct.pack(">HB5x", _RESPONDER, 0))
                     + b"".join(_record(_PARAMS, body[i:i + 65535])
                                for i in range(0, len(body), 65535))
                     + _record(_PARAMS, b"") + _record(_STDIN, b""))
        stream = conn.makefile("rb")
        out = bytearray()
        while True:
            header = stream.read(8)
            if len(header) < 8:
                break
            _, kind, _, length, padding = struct.unpack(">BBHHBx", header)
            content = stream.read(length + padding)[:length]
            if kind == _STDOUT:
                out += content
            elif kind == _END:
                break
        return bytes(out)


@contextmanager
def fastcgi_pool(program: str, config: Path, processes: int) -> Iterator[str]:
    """``processes`` persistent ``mapserv`` FastCGI processes on one listening Unix socket;
    yields the socket's path."""
    folder = tempfile.mkdtemp(prefix="mapserv-")
    path = os.path.join(folder, "mapserv.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(128)
    env = {"PATH": os.environ.get("PATH", ""), "MAPSERVER_CONFIG_FILE": str(config)}
    procs = [subprocess.Popen([program], stdin=listener.fileno(), env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for _ in range(processes)]
    try:
        yield path
    finally:
        # mapserv waits in accept() through SIGTERM: ended with SIGKILL, by process
        for proc in procs:
            proc.kill()
        for proc in procs:
            proc.wait(timeout=30)
        listener.close()
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def serve(program: str, config: Path, mode: str = "fastcgi",
          processes: int = 8) -> Iterator[str]:
    """The HTTP front on 127.0.0.1 over MapServer deployed as ``mode`` (``fastcgi`` or
    ``cgi``); yields its base URL (GetMap at ``/wms?...``)."""
    with fastcgi_pool(program, config, processes) if mode == "fastcgi" else \
            _nothing() as socket_path, _front(program, config, socket_path) as url:
        yield url


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


@contextmanager
def _front(program: str, config: Path, socket_path: str | None) -> Iterator[str]:

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server name)
            query = self.path.partition("?")[2]
            env = {"PATH": os.environ.get("PATH", ""), "REQUEST_METHOD": "GET",
                   "QUERY_STRING": query, "MAPSERVER_CONFIG_FILE": str(config),
                   "SERVER_NAME": "127.0.0.1", "GATEWAY_INTERFACE": "CGI/1.1"}
            started = time.perf_counter()
            if socket_path is not None:
                output, ok = fastcgi_call(socket_path, env), True
            else:
                done = subprocess.run([program], env=env, capture_output=True, check=False)
                output, ok = done.stdout, done.returncode == 0
            took = (time.perf_counter() - started) * 1000.0
            head, _, body = output.partition(b"\r\n\r\n")
            if not body:
                head, _, body = output.partition(b"\n\n")
            headers = [line.split(":", 1) for line in head.decode("latin-1").splitlines()
                       if ":" in line]
            status = 200 if ok and body else 500
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
