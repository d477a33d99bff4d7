"""The WFS 2.0 service at ``/wfs``: KVP (GET) and XML (POST) requests, one dispatch.

Every failure answers an OWS ``ExceptionReport`` with a WFS 2.0 exception code; bad input
never reaches the generic error handlers. GetFeature turns its request into one
:class:`~ogc_server.archive.query.ProductQuery` and asks the store, like every interface.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Blueprint, Response, request
from lxml import etree

from ogc_server.archive.extents import collection_extents
from ogc_server.errors import InvalidQuery
from ogc_server.links import Links
from ogc_server.web.context import services
from ogc_server.web.wfs import capabilities as docs
from ogc_server.web.wfs.encode import GmlWriter, geojson_collection, geojson_feature
from ogc_server.web.wfs.errors import WfsError, exception_report
from ogc_server.web.wfs.model import (
    GML_32,
    WFS,
    feature_types,
    namespace,
    resolve_type_names,
)
from ogc_server.web.wfs.request import (
    MAX_BODY,
    GetFeature,
    kvp_get_feature,
    parse_xml_request,
    xml_get_feature,
)

LOGGER = logging.getLogger(__name__)

blueprint = Blueprint("wfs", __name__, url_prefix="/wfs")

VERSIONS = ("2.0.0", "2.0.2")
UNSUPPORTED = ("Transaction", "LockFeature", "GetFeatureWithLock", "GetPropertyValue",
               "CreateStoredQuery", "DropStoredQuery")
XML = "application/xml"
SCHEMA = "text/xml; subtype=gml/3.2"


class _Context:
    """What one request needs: the feature types, their namespace and the service URL."""

    def __init__(self) -> None:
        self.services = services()
        settings = self.services.settings
        self.types = feature_types(settings.collection_list)
        self.by_collection = {t.collection.identifier: t for t in self.types.values()}
        self.ns = namespace(settings.public_url)
        self.url = f"{settings.public_url}/wfs"
        self.dialect = self.services.store.dialect


@blueprint.route("", methods=["GET", "POST"], strict_slashes=False)
def wfs() -> Response:
    """One entry point for every operation, as OGC web services have."""
    try:
        context = _Context()
        if request.method == "POST":
            return _post(context)
        return _get(context)
    except WfsError as exc:
        LOGGER.info("WFS exception %s: %s", exc.code, exc.text)
        return exception_report(exc)
    except sa.exc.SQLAlchemyError as exc:
        LOGGER.error("WFS request failed in the catalogue: %s", exc, exc_info=exc)
        return exception_report(WfsError("NoApplicableCode", "the catalogue is unavailable"))
    except Exception as exc:  # the service answers an exception report, whatever failed
        LOGGER.error("WFS request failed", exc_info=exc)
        return exception_report(WfsError("NoApplicableCode", "the server could not answer"))


def _get(context: _Context) -> Response:
    args = {k.upper(): v for k, v in request.args.items()}
    operation = args.get("REQUEST")
    if not operation:
        raise WfsError("MissingParameterValue", "REQUEST is required", "request")
    service = args.get("SERVICE")
    if service is None:
        raise WfsError("MissingParameterValue", "SERVICE is required", "service")
    if service.upper() != "WFS":
        raise WfsError("InvalidParameterValue", "SERVICE must be WFS", "service")
    if operation == "GetCapabilities":
        accepted = args.get("ACCEPTVERSIONS")
        if accepted and not set(accepted.split(",")) & set(VERSIONS):
            raise WfsError("VersionNegotiationFailed", "this service speaks WFS 2.0.0",
                           "AcceptVersions")
    else:
        _check_version(args.get("VERSION"))
    handler = _OPERATIONS.get(operation)
    if handler is None:
        _unsupported(operation)
    return handler(context, args, None)


def _post(context: _Context) -> Response:
    if (request.content_length or 0) > MAX_BODY:
        raise WfsError("OperationParsingFailed", "the request body is too large", "request")
    body = request.get_data(cache=False)
    if len(body) > MAX_BODY:
        raise WfsError("OperationParsingFailed", "the request body is too large", "request")
    if not body.strip():
        raise WfsError("MissingParameterValue", "a POST needs an XML request", "request")
    root = parse_xml_request(body)
    qname = etree.QName(root)
    if qname.namespace != WFS:
        raise WfsError("OperationParsingFailed",
                       "the request must be in the WFS 2.0 namespace", "request")
    if root.get("service", "WFS") != "WFS":
        raise WfsError("InvalidParameterValue", "service must be WFS", "service")
    if qname.localname != "GetCapabilities":
        _check_version(root.get("version"))
    handler = _OPERATIONS.get(qname.localname)
    if handler is None:
        _unsupported(qname.localname)
    args = {k.upper(): v for k, v in root.attrib.items()}
    if qname.localname == "DescribeFeatureType":
        names = [n.text or "" for n in root.iter(f"{{{WFS}}}TypeName")]
        if names:
            args["TYPENAMES"] = ",".join(names)
    if qname.localname == "DescribeStoredQueries":
        ids = [n.text or "" for n in root.iter(f"{{{WFS}}}StoredQueryId")]
        if ids:
            args["STOREDQUERY_ID"] = ",".join(ids)
    return handler(context, args, root)


def _check_version(version: str | None) -> None:
    if version is None:
        raise WfsError("MissingParameterValue", "VERSION is required", "version")
    if version not in VERSIONS:
        raise WfsError("InvalidParameterValue", "this service speaks WFS 2.0.0", "version")


def _unsupported(operation: str) -> None:
    if operation in UNSUPPORTED:
        raise WfsError("OperationNotSupported", f"{operation} is not offered", operation)
    raise WfsError("OperationNotSupported", f"unknown operation {operation!r}", "request")


def _xml(body: bytes, mimetype: str = XML) -> Response:
    return Response(body, content_type=mimetype)


# Operations ---------------------------------------------------------------------------------


def _capabilities(context: _Context, args: Mapping[str, str],
                  root: etree._Element | None) -> Response:
    store = context.services.store
    extents = collection_extents(store)
    boxes = {cid: e.bbox for cid, e in extents.items() if e.bbox}
    links = Links(context.services.settings.public_url)
    metadata = {t.collection.identifier: links.csw_record(t.collection.identifier)
                for t in context.types.values() if t.collection.metadata_file}
    return _xml(docs.capabilities(context.services.settings, context.url, context.ns,
                                  context.types, boxes, metadata))


def _describe_feature_type(context: _Context, args: Mapping[str, str],
                           root: etree._Element | None) -> Response:
    names = args.get("TYPENAMES", args.get("TYPENAME"))
    chosen = (resolve_type_names(names, context.types) if names
              else list(context.types.values()))
    output = args.get("OUTPUTFORMAT")
    if output and output.replace(" ", "") not in {GML_32.replace(" ", ""),
                                                    SCHEMA.replace(" ", ""), "text/xml",
                                                    "application/gml+xml"}:
        raise WfsError("InvalidParameterValue", f"outputFormat {output!r} is not offered",
                       "outputFormat")
    return _xml(docs.describe_feature_type(context.ns, chosen), SCHEMA)


def _list_stored_queries(context: _Context, args: Mapping[str, str],
                         root: etree._Element | None) -> Response:
    return _xml(docs.list_stored_queries(context.ns, list(context.types.values())))


def _describe_stored_queries(context: _Context, args: Mapping[str, str],
                             root: etree._Element | None) -> Response:
    wanted = args.get("STOREDQUERY_ID")
    if wanted:
        for name in wanted.split(","):
            if name.strip() != docs.GET_FEATURE_BY_ID:
                raise WfsError("InvalidParameterValue", f"no stored query {name!r}",
                               "STOREDQUERY_ID")
    return _xml(docs.describe_stored_queries(context.ns, list(context.types.values())))


def _get_feature(context: _Context, args: Mapping[str, str],
                 root: etree._Element | None) -> Response:
    get = (xml_get_feature(root, context.types, context.dialect) if root is not None
           else kvp_get_feature(args, context.types, context.dialect))
    try:
        result = context.services.store.query(get.query)
    except InvalidQuery as exc:
        locator = "FILTER" if exc.locator == "filter" else exc.locator
        raise WfsError("InvalidParameterValue", exc.user_msg, locator) from exc
    members = [(context.by_collection[p.collection], p) for p in result.products
               if p.collection in context.by_collection]
    writer = GmlWriter(context.ns, f"{context.url}?SERVICE=WFS&VERSION=2.0.0"
                       "&REQUEST=DescribeFeatureType", lat_first=get.lat_first,
                       srs_name=get.srs_name)
    if get.by_id:
        if not members:
            raise WfsError("NotFound", "no feature with this identifier", "ID")
        feature_type, product = members[0]
        if get.output == "geojson":
            return _geojson(geojson_feature(feature_type, product))
        return _xml(writer.single(feature_type, product), GML_32)
    matched = result.total
    returned = 0 if get.hits else len(members)
    next_url, previous_url = _paging(context, get, matched, returned)
    if get.output == "geojson":
        return _geojson(geojson_collection(members, matched=matched, returned=returned,
                                           next_url=next_url, previous_url=previous_url,
                                           selected=get.properties))
    body = writer.collection(members, matched=matched, returned=returned, next_url=next_url,
                             previous_url=previous_url, selected=get.properties,
                             type_names=[t.qualified for t in get.types])
    return _xml(body, GML_32)


def _paging(context: _Context, get: GetFeature, matched: int | None,
            returned: int) -> tuple[str | None, str | None]:
    """The next and previous pages as KVP requests (an XML-encoded request's too)."""
    if get.hits:
        return None, None
    query = get.query
    given = get.kvp if get.kvp is not None else request.args.items(multi=True)
    args = [(k, v) for k, v in given if k.upper() not in ("STARTINDEX", "COUNT", "MAXFEATURES")]

    def page(start: int) -> str:
        return (f"{context.url}?"
                + urlencode([*args, ("COUNT", str(query.limit)), ("STARTINDEX", str(start))]))

    next_url = None
    if query.limit and matched is not None and query.offset + returned < matched:
        next_url = page(query.offset + query.limit)
    previous_url = page(max(0, query.offset - query.limit)) if query.offset > 0 else None
    return next_url, previous_url


def _geojson(document: object) -> Response:
    return Response(json.dumps(document, separators=(",", ":")),
                    mimetype="application/geo+json")


_OPERATIONS: dict[str, Callable[[_Context, Mapping[str, str], etree._Element | None],
                                Response]] = {
    "GetCapabilities": _capabilities,
    "DescribeFeatureType": _describe_feature_type,
    "ListStoredQueries": _list_stored_queries,
    "DescribeStoredQueries": _describe_stored_queries,
    "GetFeature": _get_feature,
}
