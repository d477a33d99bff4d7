"""OGC API - Records and Features at ``/ogcapi``: pygeoapi's handlers behind a WSGI adapter.

``pygeoapi.flask_app`` reads its configuration when imported and keeps one ``API`` in module
globals, which allows one application per process. This module never imports it: every call of
:func:`build_wsgi_app` builds a :class:`pygeoapi.api.API` from a configuration generated from
the settings (:mod:`plugins.pygeoapi_.config`) and routes requests to pygeoapi's
framework-free handlers as flask_app does (``APIRequest.from_flask`` on a werkzeug request,
``(headers, status, content)`` back). Applications with different settings live side by side.

What pygeoapi still keeps per process is neutralised in :mod:`plugins.pygeoapi_.pygeoapi_state`
(template caches, logging set-up, filter readers); ``pygeoapi.api.conformance`` appends to a
module-level list on every call, so conformance is answered here, with the classes this service
implements. The coverage
collections (OGC API - Coverages) are answered through :mod:`plugins.pygeoapi_.coverage_api`.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pygeoapi
import pygeoapi.api as core_api
import pygeoapi.api.itemtypes as itemtypes_api
from pygeoapi.api import API, APIRequest
from pygeoapi.util import render_j2_template, to_json
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.middleware.shared_data import SharedDataMiddleware
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from ogc_server.errors import InvalidQuery, OgcServerError
from ogc_server.metadata import collection_record
from ogc_server.services import Services
from plugins.pygeoapi_ import queryables
from plugins.pygeoapi_.config import (
    ISO_19139,
    Extent,
    build_config,
    catalogue_extents,
    collection_ids,
    extents_block,
    footprint_ids,
    openapi_document,
    resource_extents,
)
from plugins.pygeoapi_.coverage_api import CONFORMANCE as COVERAGE_CONFORMANCE
from plugins.pygeoapi_.coverage_api import Coverages, wants_any_format
from plugins.pygeoapi_.features import FEATURE_PROPERTIES
from plugins.pygeoapi_.pygeoapi_state import APPLICATION_CACHE, install, new_api
from plugins.pygeoapi_.records import RECORD_PROPERTIES, Catalogue, describe
from plugins.pygeoapi_.services import SERVICES, ServiceRecords, check_arguments
from plugins.pygeoapi_.services import schema as service_schema

LOGGER = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
STATIC = Path(pygeoapi.__file__).resolve().parent / "static"
FORMATS = {"json", "html", "jsonld"}
MAX_BODY = 1 << 20
EXTENTS_TTL = 60.0
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
     "trailers", "transfer-encoding", "upgrade"}
)
#: Landing-page links to services pygeoapi always announces but this API does not offer.
UNOFFERED_RELS = {
    "http://www.opengis.net/def/rel/ogc/1.0/processes",
    "http://www.opengis.net/def/rel/ogc/1.0/job-list",
    "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes",
}
_SPEC = "http://www.opengis.net/spec"
CONFORMANCE = [
    f"{_SPEC}/ogcapi-common-1/1.0/conf/core",
    f"{_SPEC}/ogcapi-common-1/1.0/conf/landing-page",
    f"{_SPEC}/ogcapi-common-1/1.0/conf/json",
    f"{_SPEC}/ogcapi-common-1/1.0/conf/html",
    f"{_SPEC}/ogcapi-common-1/1.0/conf/oas30",
    f"{_SPEC}/ogcapi-common-2/1.0/conf/collections",
    f"{_SPEC}/ogcapi-features-1/1.0/conf/core",
    f"{_SPEC}/ogcapi-features-1/1.0/conf/geojson",
    f"{_SPEC}/ogcapi-features-1/1.0/conf/html",
    f"{_SPEC}/ogcapi-features-1/1.0/conf/oas30",
    f"{_SPEC}/ogcapi-features-3/1.0/conf/queryables",
    f"{_SPEC}/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    f"{_SPEC}/ogcapi-features-3/1.0/conf/filter",
    f"{_SPEC}/ogcapi-features-3/1.0/conf/features-filter",
    f"{_SPEC}/ogcapi-records-1/1.0/conf/core",
    f"{_SPEC}/ogcapi-records-1/1.0/conf/record-core",
    f"{_SPEC}/ogcapi-records-1/1.0/conf/record-collection",
    f"{_SPEC}/ogcapi-records-1/1.0/conf/sorting",
    f"{_SPEC}/ogcapi-records-1/1.0/conf/cql-filter",
    f"{_SPEC}/ogcapi-records-1/1.0/conf/json",
    f"{_SPEC}/ogcapi-records-1/1.0/conf/html",
    f"{_SPEC}/cql2/1.0/conf/cql2-text",
    f"{_SPEC}/cql2/1.0/conf/cql2-json",
    f"{_SPEC}/cql2/1.0/conf/basic-cql2",
    f"{_SPEC}/cql2/1.0/conf/advanced-comparison-operators",
    f"{_SPEC}/cql2/1.0/conf/basic-spatial-functions",
    f"{_SPEC}/cql2/1.0/conf/basic-spatial-functions-plus",
]
GET = ["GET"]  # and HEAD
ROUTES = Map([
    Rule("/", endpoint="landing", methods=GET),
    Rule("/openapi", endpoint="openapi", methods=GET),
    Rule("/conformance", endpoint="conformance", methods=GET),
    Rule("/collections", endpoint="collections", methods=GET),
    Rule("/collections/<cid>", endpoint="collection", methods=GET),
    Rule("/collections/<cid>/queryables", endpoint="queryables", methods=GET),
    Rule("/collections/<cid>/sortables", endpoint="sortables", methods=GET),
    Rule("/collections/<cid>/schema", endpoint="schema", methods=GET),
    Rule("/collections/<cid>/metadata", endpoint="metadata", methods=GET),
    Rule("/collections/<cid>/items", endpoint="items", methods=["GET", "POST"]),
    Rule("/collections/<cid>/items/<item_id>", endpoint="item", methods=GET),
    Rule("/collections/<cid>/coverage", endpoint="coverage", methods=GET,
         defaults={"part": "coverage"}),
    Rule("/collections/<cid>/coverage/<any(domainset, rangetype):part>", endpoint="coverage",
         methods=GET),
], strict_slashes=False)

Answer = tuple[dict[str, str], int, str | bytes]


def build_wsgi_app(services: Services) -> WSGIApp:
    """The OGC API - Records application over ``services`` (mounted at ``/ogcapi``)."""
    install()
    return RecordsApp(services)


class RecordsApp:
    """One OGC API - Records application (a WSGI callable)."""

    def __init__(self, services: Services, *, extents_ttl: float = EXTENTS_TTL):
        self.settings = services.settings
        self.extents_ttl = extents_ttl
        self.ids = collection_ids(self.settings)
        self.footprints = footprint_ids(self.settings)
        self.catalogue = Catalogue(services, self.ids)
        self.services = ServiceRecords(self.settings, self.catalogue.base_url,
                                       self.catalogue.collection_id)
        self.coverages = Coverages(services, self.settings.collection_list,
                                   self.catalogue.collection_id)
        self._store = services.store
        self._extents: tuple[float, dict[str, Extent | None]] | None = None
        self._extents_lock = threading.Lock()
        extents = self._live_extents()
        config = build_config(self.settings, self.catalogue, extents, self.services)
        config["resources"].update(self.coverages.resources(
            {cid: extents_block(extents.get(cid)) for cid in self.coverages.ids}))
        document = openapi_document(config)
        self.coverages.document(document)
        self.api = new_api(config, document)
        # pygeoapi answers 400 for a datetime outside a configured temporal extent, where
        # OGC API Features asks for an empty result: items are served without it.
        self._items_api = _view(self.api, {
            cid: {**res, "extents": {k: v for k, v in res["extents"].items() if k != "temporal"}}
            for cid, res in config["resources"].items()
        })
        self._template_cache: dict[Any, Any] = {}
        self._wsgi = SharedDataMiddleware(self._dispatch, {"/static": str(STATIC)})

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        return self._wsgi(environ, start_response)

    # Dispatch ---------------------------------------------------------------------------------

    def _dispatch(self, environ: dict[str, Any], start_response: Callable[..., Any]
                  ) -> Iterable[bytes]:
        request = Request(environ)
        request.max_content_length = MAX_BODY
        api_request, problem = self._api_request(request)
        if problem is None:
            try:
                endpoint, args = ROUTES.bind_to_environ(environ).match()
                with self._templates():
                    answer = getattr(self, f"_{endpoint}")(request, api_request, **args)
            except NotFound:
                answer = self._error(api_request, HTTPStatus.NOT_FOUND, "NotFound",
                                     "no such resource in this API")
            except MethodNotAllowed as exc:
                answer = self._error(api_request, HTTPStatus.METHOD_NOT_ALLOWED,
                                     "InvalidParameterValue",
                                     f"method {request.method} is not allowed here")
                answer[0]["Allow"] = ", ".join(exc.valid_methods or ())
            except Exception:  # the adapter answers, whatever fails below it
                LOGGER.exception("%s %s failed", request.method, request.path)
                answer = self._error(api_request, HTTPStatus.INTERNAL_SERVER_ERROR,
                                     "NoApplicableCode", "the server could not answer")
        else:
            answer = problem
        return _response(answer)(environ, start_response)

    def _api_request(self, request: Request) -> tuple[APIRequest, Answer | None]:
        """pygeoapi's request; an answer instead when the format or the body is refused."""
        environ = request.environ
        try:
            api_request = APIRequest.from_flask(request, self.api.locales)
        except HTTPException as exc:  # a body over MAX_BODY
            plain = APIRequest(Request({**environ, "QUERY_STRING": ""}), self.api.locales)
            return plain, self._error(plain, HTTPStatus(exc.code or 400),
                                      "InvalidParameterValue", "the request body is too large")
        if (api_request.format is None or api_request.format in FORMATS
                or wants_any_format(request.path)):
            return api_request, None
        wanted = request.args.get("f")
        if wanted is not None:
            plain = APIRequest(Request({**environ, "QUERY_STRING": ""}), self.api.locales)
            return plain, self._error(plain, HTTPStatus.BAD_REQUEST, "InvalidParameterValue",
                                      f"f: {wanted!r} is not offered (json, html or jsonld)")
        # an Accept header naming only formats this API does not offer: answer the default
        without_accept = {k: v for k, v in environ.items() if k != "HTTP_ACCEPT"}
        return _with_data(APIRequest(Request(without_accept), self.api.locales),
                          api_request.data), None

    @contextmanager
    def _templates(self) -> Iterator[None]:
        """Templates rendered meanwhile use this application's translated configuration."""
        token = APPLICATION_CACHE.set(self._template_cache)
        try:
            yield
        finally:
            APPLICATION_CACHE.reset(token)

    def _error(self, api_request: APIRequest, status: HTTPStatus, code: str,
               description: str) -> Answer:
        """pygeoapi's exception document (``code``, ``type``, ``description``), JSON or HTML."""
        LOGGER.info("OGC API answer %d: %s", status, description)
        headers = api_request.get_response_headers(core_api.SYSTEM_LOCALE,
                                                   **self.api.api_headers)
        data = {"code": code, "type": code, "description": description}
        if api_request.format == core_api.F_HTML:
            headers["Content-Type"] = core_api.FORMAT_TYPES[core_api.F_HTML]
            with self._templates():
                return headers, status, self._render(api_request, "exception.html", data)
        headers["Content-Type"] = core_api.FORMAT_TYPES[core_api.F_JSON]
        return headers, status, to_json(data, self.api.pretty_print)

    # Endpoints --------------------------------------------------------------------------------

    def _landing(self, request: Request, api_request: APIRequest) -> Answer:
        answer = core_api.landing_page(self.api, api_request)

        def drop_unoffered(doc: dict[str, Any]) -> None:
            doc["links"] = [link for link in doc.get("links", [])
                            if link.get("rel") not in UNOFFERED_RELS]

        return _edit_json(answer, drop_unoffered, self.api.pretty_print)

    def _openapi(self, request: Request, api_request: APIRequest) -> Answer:
        return core_api.openapi_(self.api, api_request)

    def _conformance(self, request: Request, api_request: APIRequest) -> Answer:
        headers = api_request.get_response_headers(**self.api.api_headers)
        data = {"conformsTo": [*CONFORMANCE, *COVERAGE_CONFORMANCE]}
        if api_request.format == core_api.F_HTML:
            return headers, HTTPStatus.OK, self._render(api_request, "conformance.html", data)
        return headers, HTTPStatus.OK, to_json(data, self.api.pretty_print)

    def _collections(self, request: Request, api_request: APIRequest) -> Answer:
        answer = core_api.describe_collections(self._collections_view(), api_request)

        def decorate(doc: dict[str, Any]) -> None:
            for collection in doc.get("collections", []):
                self._decorate(collection)

        return _edit_json(answer, decorate, self.api.pretty_print)

    def _collection(self, request: Request, api_request: APIRequest, cid: str) -> Answer:
        answer = core_api.describe_collections(self._collections_view(), api_request, cid)
        return _edit_json(answer, self._decorate, self.api.pretty_print)

    def _queryables(self, request: Request, api_request: APIRequest, cid: str,
                    kind: str = "queryables") -> Answer:
        if cid not in self.ids and cid not in self.footprints and cid != SERVICES:
            return self._error(api_request, HTTPStatus.NOT_FOUND, "NotFound",
                               f"no collection {cid!r}")
        url = f"{self.api.get_collections_url()}/{cid}"
        title = self.api.config["resources"][cid]["title"]
        doc = (service_schema(f"{url}/{kind}", title) if cid == SERVICES else
               queryables.schema(f"{url}/{kind}", title, role_of_time=kind == "queryables"))
        headers = api_request.get_response_headers(**self.api.api_headers)
        if api_request.format == core_api.F_HTML:
            data = {**doc, "collections_path": self.api.get_collections_url(),
                    "dataset_path": url}
            return headers, HTTPStatus.OK, self._render(api_request,
                                                        "collections/queryables.html", data)
        headers["Content-Type"] = "application/schema+json"
        return headers, HTTPStatus.OK, to_json(doc, self.api.pretty_print)

    def _sortables(self, request: Request, api_request: APIRequest, cid: str) -> Answer:
        return self._queryables(request, api_request, cid, kind="sortables")

    def _schema(self, request: Request, api_request: APIRequest, cid: str) -> Answer:
        return core_api.get_collection_schema(self._items_api, api_request, cid)

    def _metadata(self, request: Request, api_request: APIRequest, cid: str) -> Answer:
        collection = self.ids.get(cid)
        if collection is None or not collection.metadata_file:
            return self._error(api_request, HTTPStatus.NOT_FOUND, "NotFound",
                               f"no ISO 19139 record for collection {cid!r}")
        try:
            body = collection_record(self.settings, collection)
        except (OSError, OgcServerError):
            LOGGER.exception("cannot read the metadata record of %s", collection.identifier)
            return self._error(api_request, HTTPStatus.NOT_FOUND, "NotFound",
                               f"the ISO 19139 record of {cid!r} is not available")
        return {"Content-Type": ISO_19139}, HTTPStatus.OK, body

    def _items(self, request: Request, api_request: APIRequest, cid: str) -> Answer:
        args = request.args
        lang, sortby = None, None
        try:
            if cid == SERVICES:
                sortby = check_arguments(args, api_request.data)
            else:
                lang, sortby = self._check_items(args, api_request, cid)
        except InvalidQuery as exc:
            return self._error(api_request, HTTPStatus.BAD_REQUEST, "InvalidParameterValue",
                               describe(exc))
        changed = _pygeoapi_args(args, lang, sortby)
        if changed is not None:
            environ = {**request.environ,
                       "QUERY_STRING": urlencode(list(changed.items(multi=True)))}
            api_request = _with_data(APIRequest(Request(environ), self.api.locales),
                                     api_request.data)
        answer = itemtypes_api.get_collection_items(self._items_api, api_request, cid)
        return _geojson(answer, api_request)

    def _check_items(self, args: MultiDict[str, str], api_request: APIRequest, cid: str
                     ) -> tuple[str | None, str | None]:
        """The items parameters of the archive's records, read (``InvalidQuery`` if wrong):
        the filter language and ``sortby`` as pygeoapi reads it."""
        lang = queryables.filter_language(args.get("filter-lang"))
        queryables.check_filter_crs(args.get("filter-crs"))
        if "filter" in args:
            queryables.parse_filter(args["filter"], lang)
        elif api_request.data:  # pygeoapi reads a body as CQL2 JSON, whatever the method
            queryables.parse_filter(api_request.data, "cql-json")
        if "bbox" in args:
            queryables.parse_bbox(args["bbox"])
        if "datetime" in args:
            queryables.parse_datetime(args["datetime"])
        sortby = (queryables.format_sortby(queryables.parse_sortby(args["sortby"]))
                  if "sortby" in args else None)
        if "properties" in args:
            queryables.check_properties(args["properties"], FEATURE_PROPERTIES
                                        if cid in self.footprints else RECORD_PROPERTIES)
        return lang, sortby

    def _item(self, request: Request, api_request: APIRequest, cid: str,
              item_id: str) -> Answer:
        answer = itemtypes_api.get_collection_item(self._items_api, api_request, cid, item_id)
        return _geojson(answer, api_request)

    def _coverage(self, request: Request, api_request: APIRequest, cid: str,
                  part: str) -> Answer:
        return self.coverages.answer(self.api, request, self._error, cid, part)

    # Helpers ----------------------------------------------------------------------------------

    def _render(self, api_request: APIRequest, template: str, data: dict[str, Any]) -> str:
        return render_j2_template(self.api.tpl_config, self.api.config["server"]["templates"],
                                  template, data, api_request.locale)

    def _decorate(self, doc: dict[str, Any]) -> None:
        """Record-collection members pygeoapi does not write (coverage links on coverage
        collections; feature collections have none)."""
        if doc.get("id") in self.coverages.ids:
            self.coverages.decorate(self.api, doc)
            return
        if doc.get("id", "") not in self.footprints:
            doc.update(self.catalogue.describe_collection(doc.get("id", "")))

    def _live_extents(self) -> dict[str, Extent | None]:
        with self._extents_lock:
            cached = self._extents
            if cached and time.monotonic() - cached[0] < self.extents_ttl:
                return cached[1]
            extents = resource_extents({**self.ids, **self.footprints, **self.coverages.ids},
                                       catalogue_extents(self._store))
            self._extents = (time.monotonic(), extents)
            return extents

    def _collections_view(self) -> API:
        """The API with the collections' extents as the catalogue has them now."""
        extents = self._live_extents()
        resources = {cid: {**res, "extents": extents_block(extents.get(cid))}
                     for cid, res in self.api.config["resources"].items()}
        return _view(self.api, resources)


def _view(api: API, resources: dict[str, Any]) -> API:
    """A shallow copy of ``api`` whose configuration has other ``resources``."""
    view = copy.copy(api)
    view.config = {**api.config, "resources": resources}
    return view


def _pygeoapi_args(args: MultiDict[str, str], lang: str | None,
                   sortby: str | None) -> MultiDict[str, str] | None:
    """The items parameters as pygeoapi reads them, or ``None`` when they are already so.

    pygeoapi knows the older ``filter-lang`` spellings only, reads ``sortby`` without spaces
    (a ``+`` in a URL is one), and warns in its log about every request without ``offset``
    (which its paging links leave out anyway).
    """
    wanted = {"offset": args.get("offset", "0")}
    if lang is not None:
        wanted["filter-lang"] = lang
    if sortby is not None:
        wanted["sortby"] = sortby
    if all(args.get(k) == v for k, v in wanted.items()):
        return None
    changed = MultiDict(args)
    for key, value in wanted.items():
        changed[key] = value
    return changed


def _with_data(api_request: APIRequest, data: bytes) -> APIRequest:
    api_request._data = data  # as APIRequest.from_flask sets it
    return api_request


def _edit_json(answer: Answer, edit: Callable[[dict[str, Any]], None],
               pretty: bool) -> Answer:
    headers, status, content = answer
    if int(status) != 200 or not headers.get("Content-Type", "").startswith(
            "application/json"):
        return answer
    doc = json.loads(content)
    edit(doc)
    return headers, status, to_json(doc, pretty)


def _geojson(answer: Answer, api_request: APIRequest) -> Answer:
    headers, status, content = answer
    if int(status) == 200 and api_request.format in (None, core_api.F_JSON):
        headers["Content-Type"] = "application/geo+json"
    return headers, status, content


def _response(answer: Answer) -> Response:
    headers, status, content = answer
    clean = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}
    return Response(content, status=int(status), headers=clean)
