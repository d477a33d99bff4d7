"""Slow clients do not hold the server's worker threads (bodies go to wsgi.file_wrapper)."""

from __future__ import annotations

import json
import os
import socket
import time
import urllib.request

import pytest

from ogc_server.archive.model import OnlineState
from ogc_server.archive.query import ProductQuery
from ogc_server.compose import build_application
from ogc_server.services import Services
from tests.web.server import running

pytestmark = pytest.mark.system


def test_stalled_downloads_leave_threads_for_searches(writable: Services) -> None:
    product = next(p for p in writable.store.query(ProductQuery(limit=10)).products
                   if p.online_state == OnlineState.ONLINE)
    folder = writable.storage.product_dir(product.storage_path or "")
    with open(folder / "padding.bin", "wb") as fh:  # more than waitress buffers (16 MB)
        fh.write(os.urandom(40 << 20))
    app = build_application(writable.settings, writable)
    with running(app, threads=2) as url:
        host, port = url.removeprefix("http://").split(":")
        urllib.request.urlopen(f"{url}/download/{product.file_name}",
                               timeout=60).close()  # digests computed once, up front
        stalled = []
        for _ in range(4):  # twice the threads, none of them reading
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect((host, int(port)))
            sock.sendall(f"GET /download/{product.file_name} HTTP/1.1\r\n"
                         f"Host: {host}\r\n\r\n".encode())
            stalled.append(sock)
        try:
            time.sleep(1.0)
            started = time.monotonic()
            with urllib.request.urlopen(f"{url}/health", timeout=10) as response:
                assert json.loads(response.read())["status"] == "ok"
            assert time.monotonic() - started < 5
            first = stalled[0].recv(65536)
            assert first.startswith(b"HTTP/1.1 200")
        finally:
            for sock in stalled:
                sock.close()
