"""``/wms``, ``/wmts`` and ``/tiles``: MapProxy over the archive, behind a thin WSGI wrapper.

:func:`build_wsgi_app` registers the ``ogc_archive`` source (:mod:`plugins.mapproxy_.source`),
writes the configuration generated from the settings (:mod:`plugins.mapproxy_.config`) and
builds MapProxy's own application from it (``mapproxy.wsgiapp.make_wsgi_app``). compose mounts
the one application at the three prefixes; the wrapper maps each prefix to MapProxy's handler
(``/wms`` -> its WMS, ``/wmts`` -> WMTS KVP and REST, ``/tiles`` -> TMS/XYZ) and writes the
platform's public address into the request, so capabilities name public URLs.

MapProxy knows dimensions only as value lists fixed in its configuration, while the archive
rolls: so the wrapper

* validates what MapProxy does not (:mod:`plugins.mapproxy_.checks`): ``WIDTH``/``HEIGHT``
  against ``view.max_size``, ``BBOX``, ``BGCOLOR``, GetFeatureInfo's pixel, ``TIME``
  (``InvalidDimensionValue``) and the vendor parameter ``PRODUCT`` (one product alone),
  answering an exception report in the request's protocol and version (never a 500);
* hands the parsed filter to the source (MapProxy forwards ``TIME``/``PRODUCT`` of GetMap into
  the source's query; GetFeatureInfo and tiles get it through
  :data:`~plugins.mapproxy_.source.VIEW_FILTER`);
* routes WMS ``STYLES`` to the collections' style layers and lists the styles in
  capabilities (:mod:`plugins.mapproxy_.styles`);
* adds to WMS and WMTS capabilities a TIME dimension per layer with the collection's extent in
  the catalogue now, the default being the latest acquisition
  (:mod:`plugins.mapproxy_.dimensions`);
* sends unfiltered tiles to a second MapProxy application whose caches belong to the current
  catalogue state (:mod:`plugins.mapproxy_.tilecache`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from mapproxy.wsgiapp import make_wsgi_app

from ogc_server.services import Services
from plugins.mapproxy_ import checks, dimensions, styles
from plugins.mapproxy_.config import build_config, layer_specs, write_config
from plugins.mapproxy_.source import NO_FILTER, VIEW_FILTER, install, register_catalogue
from plugins.mapproxy_.tilecache import StoredTiles

LOGGER = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
#: Mount points, each also the name of MapProxy's handler for it.
HANDLERS = ("/wms", "/wmts", "/tiles")


class ViewApp:
    """The WSGI wrapper in front of MapProxy (see the module's docstring)."""

    def __init__(self, mapproxy: WSGIApp, services: Services, tiles: WSGIApp | None = None):
        self.mapproxy = mapproxy
        self.tiles = tiles or mapproxy
        self.services = services
        self.settings = services.settings
        self.layers = {spec.name: spec for spec in layer_specs(services.settings)}
        public = urlsplit(self.settings.public_url)
        self.scheme = public.scheme
        self.host = public.netloc
        self.prefix = public.path.rstrip("/")

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        script = environ.get("SCRIPT_NAME", "")
        mount = next((m for m in HANDLERS if script.endswith(m)), None)
        if mount is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found\n"]
        environ = dict(environ)
        environ["SCRIPT_NAME"] = self.prefix
        environ["PATH_INFO"] = _handler_path(mount, environ)
        environ["HTTP_HOST"] = self.host
        environ["wsgi.url_scheme"] = self.scheme
        if mount == "/wms":
            return self._wms(environ, start_response)
        if mount == "/wmts" and _is_capabilities(environ):
            return self._wmts_capabilities(environ, start_response)
        return self._tiles(environ, start_response)

    def _tiles(self, environ: dict[str, Any],
               start_response: Callable[..., Any]) -> Iterable[bytes]:
        """WMTS and TMS/XYZ tiles; ``TIME`` and ``PRODUCT`` in the query string filter them.

        Unfiltered tiles come from the stored caches (:mod:`plugins.mapproxy_.tilecache`),
        filtered ones are made for the request: in its thread (one tile, no meta tiles), so
        the filter reaches the source through :data:`VIEW_FILTER`.
        """
        params = checks.query_params(environ)
        try:
            view = checks.view_filter(params, self.services.store, "InvalidParameterValue")
        except checks.WmsError as exc:
            return exc.respond_ows(start_response)
        if view == NO_FILTER:
            return _answer(self.tiles, environ, start_response)
        token = VIEW_FILTER.set(view)
        try:
            return _answer(self.mapproxy, environ, start_response)
        finally:
            VIEW_FILTER.reset(token)

    def _wmts_capabilities(self, environ: dict[str, Any],
                           start_response: Callable[..., Any]) -> Iterable[bytes]:
        """MapProxy names its OWS handler (``/service``) as the WMTS KVP address; ours is
        ``/wmts``."""
        status, headers, body = _call(self.mapproxy, environ)
        if status.startswith("200"):
            base = f"{self.scheme}://{self.host}{self.prefix}".encode()
            body = body.replace(base + b"/service?", base + b"/wmts?")
            body = dimensions.with_wmts_time(body, self.services.store, self.layers)
            headers = dimensions.with_length(headers, body)
        start_response(status, headers)
        return [body]

    def _wms(self, environ: dict[str, Any],
             start_response: Callable[..., Any]) -> Iterable[bytes]:
        params = checks.query_params(environ)
        version = params.get("version") or params.get("wmtver") or "1.3.0"
        request = params.get("request", "").lower()
        try:
            view = checks.wms_filter(params, request, self.settings.view.max_size,
                                     self.services.store)
            environ["QUERY_STRING"] = styles.route(environ.get("QUERY_STRING", ""), request,
                                                   self.layers)
        except checks.WmsError as exc:
            return exc.respond(start_response, version)
        if request == "getcapabilities":
            status, headers, body = _call(self.mapproxy, environ)
            content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
            if status.startswith("200") and "xml" in content_type:
                body = styles.with_styles(
                    dimensions.with_time(body, self.services.store, self.layers), self.layers)
                headers = dimensions.with_length(headers, body)
            start_response(status, headers)
            return [body]
        token = VIEW_FILTER.set(view)
        try:
            return _answer(self.mapproxy, environ, start_response)
        finally:
            VIEW_FILTER.reset(token)


def _handler_path(mount: str, environ: dict[str, Any]) -> str:
    """MapProxy's path for a request under ``mount``.

    MapProxy routes by the first path segment and builds its URLs from SCRIPT_NAME and that
    segment: ``/wms`` is its WMS handler's own name; WMTS KVP requests go through its OWS
    handler (``/service``), RESTful ones to ``/wmts/...``; TMS documents (``/tiles/1.0.0/...``)
    to ``/tms/...`` and XYZ tiles to ``/tiles/...``.
    """
    rest = environ.get("PATH_INFO", "")
    if mount == "/wmts" and rest.strip("/") == "":
        return "/service"
    if mount == "/tiles" and rest.startswith("/1.0.0"):
        return "/tms" + rest
    return mount + rest


def _is_capabilities(environ: dict[str, Any]) -> bool:
    if environ["PATH_INFO"].endswith("/WMTSCapabilities.xml"):
        return True
    params = checks.query_params(environ)
    return params.get("request", "").lower() == "getcapabilities"


def _call(app: WSGIApp, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """MapProxy's whole answer, its status corrected: MapProxy answers the exception reports
    of bad requests (XML, or plain ``internal error: <reason>``) with status 500; they are the
    client's errors (400). Its answer to a real failure (plain ``internal error``) stays 500."""
    status, headers, body = dimensions.call(app, environ)
    if status.startswith("500"):
        content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
        if "xml" in content_type or body.startswith(b"internal error: "):
            status = "400 Bad Request"
    return status, headers, body


def _answer(app: WSGIApp, environ: dict[str, Any],
            start_response: Callable[..., Any]) -> list[bytes]:
    status, headers, body = _call(app, environ)
    start_response(status, headers)
    return [body]


def build_wsgi_app(services: Services) -> WSGIApp:
    """MapProxy over ``services``, configured from the settings, behind :class:`ViewApp`."""
    install()
    key = register_catalogue(services)
    path = write_config(services.settings, build_config(services.settings, key),
                        f"mapproxy-{key}.yaml")
    live = make_wsgi_app(str(path), ignore_config_warnings=False)
    tiles = StoredTiles(services, key) if services.settings.view.tile_cache else None
    return ViewApp(live, services, tiles)
