"""The platform's own HTTP server (ogc_server.web.server) on 127.0.0.1 for system tests."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ogc_server.web.server import create


@contextmanager
def running(application: Any, threads: int = 4) -> Iterator[str]:
    """Serve ``application`` on a free port; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = create(application, host="127.0.0.1", port=port, threads=threads,
                    ident="ogc-server-test")
    stopping = threading.Event()

    def run() -> None:
        try:
            server.run()
        except (OSError, ValueError):
            if not stopping.is_set():  # closing the socket under select() is expected
                raise

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stopping.set()
        server.task_dispatcher.shutdown()
        server.close()
        thread.join(timeout=5)
