"""The composition root: our Flask app plus the host applications under one URL space.

This is the only module that imports pygeoapi, pycsw and MapProxy applications (the later
services are mounted here, in ``_mounts``).
"""

from __future__ import annotations

import importlib
import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.middleware.dispatcher import DispatcherMiddleware

from ogc_server.services import Services, build_services
from ogc_server.settings import Settings
from ogc_server.web import create_app

LOGGER = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
     "trailers", "transfer-encoding", "upgrade"}
)
#: Host applications: mount point -> "module:factory"; ``factory(services)`` returns the WSGI
#: app. Each factory lives in its plugin package and is called only from here, once per
#: application: a factory named for several mount points serves them all (MapProxy).
HOSTS: dict[str, tuple[str, str]] = {
    "/csw": ("csw", "plugins.pycsw_.app:build_wsgi_app"),
    "/ogcapi": ("ogcapi", "plugins.pygeoapi_.app:build_wsgi_app"),
    "/wms": ("wms", "plugins.mapproxy_.app:build_wsgi_app"),
    "/wmts": ("wmts", "plugins.mapproxy_.app:build_wsgi_app"),
    "/tiles": ("tiles", "plugins.mapproxy_.app:build_wsgi_app"),
}
#: Mount points whose services are not built yet: they answer 501 with a JSON problem.
PLANNED: tuple[str, ...] = ()


def build_application(settings: Settings, services: Services | None = None) -> WSGIApp:
    """The whole platform as one WSGI application."""
    services = services or build_services(settings)
    web = create_app(services)
    mounts: dict[str, WSGIApp] = {}
    available = {"health", *web.config.get("BLUEPRINT_ENDPOINTS", ())}
    built: dict[str, WSGIApp] = {}
    for prefix, (key, target) in HOSTS.items():
        if target not in built:
            factory = _load(target)
            if factory is None:
                mounts[prefix] = _not_yet(prefix)
                continue
            built[target] = factory(services)
        mounts[prefix] = built[target]
        available.add(key)
    for prefix in PLANNED:
        mounts.setdefault(prefix, _not_yet(prefix))
    web.config["AVAILABLE_ENDPOINTS"] = available
    app = DispatcherMiddleware(web.wsgi_app, mounts)
    web.wsgi_app = app  # type: ignore[method-assign]
    return _strip_hop_by_hop(web)


def _load(target: str) -> Callable[[Services], WSGIApp] | None:
    module_name, _, attribute = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            return None  # that service is not part of this installation
        raise
    return getattr(module, attribute)


def _not_yet(prefix: str) -> WSGIApp:
    body = json.dumps(
        {
            "type": "about:blank",
            "title": "Not Implemented",
            "status": 501,
            "detail": f"the service at {prefix} is not available on this server yet",
        }
    ).encode()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response(
            "501 Not Implemented",
            [("Content-Type", "application/problem+json"), ("Content-Length", str(len(body)))],
        )
        return [body]

    return app


def _strip_hop_by_hop(app: WSGIApp) -> WSGIApp:
    """Drop hop-by-hop headers that mounted apps may set (a WSGI server must not get them),
    and tell the client how long the server worked before answering (``Server-Timing``)."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()

        def clean_start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP]
            elapsed = (time.perf_counter() - started) * 1000
            headers.append(("Server-Timing", f"app;dur={elapsed:.2f}"))
            return start_response(status, headers, exc_info)

        return app(environ, clean_start)

    return wrapped
