"""Stored tiles that can never be stale: one MapProxy cache folder per catalogue state.

The unfiltered view of a layer (every product, newest on top) changes only when the catalogue
does. :class:`StoredTiles` keeps a MapProxy application whose tile caches live in
``<data_dir>/mapproxy/cache/<fingerprint>``; when the catalogue's fingerprint changes (checked
on every request after a write of this process, else at most every ``ttl`` seconds) it builds
a new application over a new folder and drops the old folders. A tile made before a product
was added or evicted is never answered after the change is seen.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from mapproxy.wsgiapp import make_wsgi_app

from ogc_server.services import Services
from plugins.mapproxy_.config import build_config, cache_root, write_config

LOGGER = logging.getLogger(__name__)
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
TTL_SECONDS = 2.0


class StoredTiles:
    """The MapProxy application with stored tile caches for the catalogue as it is now."""

    def __init__(self, services: Services, catalogue: str, ttl: float = TTL_SECONDS):
        self.services = services
        self.catalogue = catalogue
        self.ttl = ttl
        self._lock = threading.Lock()
        self._checked = 0.0
        self._generation = -1
        self._tag = ""
        self._app: WSGIApp | None = None

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        return self.current()(environ, start_response)

    def current(self) -> WSGIApp:
        store = self.services.store
        now = time.monotonic()
        if (self._app is not None and store.generation == self._generation
                and now - self._checked < self.ttl):
            return self._app
        with self._lock:
            generation = store.generation
            tag = hashlib.sha256(store.fingerprint().encode()).hexdigest()[:16]
            if self._app is None or tag != self._tag:
                self._app = self._build(tag)
                self._tag = tag
            self._generation = generation
            self._checked = now
            return self._app

    def _build(self, tag: str) -> WSGIApp:
        settings = self.services.settings
        conf = build_config(settings, self.catalogue, cache_tag=tag)
        path = write_config(settings, conf, f"mapproxy-{self.catalogue}-tiles-{tag}.yaml")
        app = make_wsgi_app(str(path), ignore_config_warnings=False)
        self._drop_others(tag)
        LOGGER.info("tile caches now under %s", cache_root(settings) / tag)
        return app

    def _drop_others(self, tag: str) -> None:
        """Remove the folders and configurations of earlier catalogue states."""
        folder = self.services.settings.data_dir / "mapproxy"
        for old in folder.glob(f"mapproxy-{self.catalogue}-tiles-*.yaml"):
            if old.name != f"mapproxy-{self.catalogue}-tiles-{tag}.yaml":
                old.unlink(missing_ok=True)
        root = cache_root(self.services.settings)
        if root.is_dir():
            for old in root.iterdir():
                if old.is_dir() and old.name not in {tag, "live"}:
                    shutil.rmtree(old, ignore_errors=True)
