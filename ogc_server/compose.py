"""The composition root: our Flask app plus the host applications under one URL space.

This is the only module that imports pygeoapi, pycsw and MapProxy applications (the later
services are mounted here, in ``_mounts``).
"""

from __future__ import annotations

import json
import logging
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
#: Mount points whose services are not built yet: they answer 501 with a JSON problem.
PLANNED = ("/csw", "/ogcapi", "/wms", "/wmts", "/tiles", "/wcs", "/wfs", "/dseo", "/stac",
           "/opensearch", "/download")


def build_application(settings: Settings, services: Services | None = None) -> WSGIApp:
    """The whole platform as one WSGI application."""
    services = services or build_services(settings)
    web = create_app(services)
    mounts: dict[str, WSGIApp] = {}
    available = {"health"}
    for prefix in PLANNED:
        mounts.setdefault(prefix, _not_yet(prefix))
    web.config["AVAILABLE_ENDPOINTS"] = available
    app = DispatcherMiddleware(web.wsgi_app, mounts)
    web.wsgi_app = app  # type: ignore[method-assign]
    return _strip_hop_by_hop(web)


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
    """Drop hop-by-hop headers that mounted apps may set (a WSGI server must not get them)."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def clean_start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP]
            return start_response(status, headers, exc_info)

        return app(environ, clean_start)

    return wrapped
