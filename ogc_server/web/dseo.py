"""``/dseo``: the Download Service for EO Products (OGC 13-043, DSEO 1.0), KVP binding.

Operations: ``GetCapabilities``; ``GetProduct`` (``ProductURI``: the product's identifier, its
file name or its ``/download`` address), which answers like ``/download`` (the bytes with Range
support, or 202 with a ``dseo:ProductDownloadResponse`` and a reload order while the product
is offline); and ``DescribeProduct``, which answers the product's Metalink 4 document (file
name, size, hashes, address), the form DSEO names for products a download manager fetches.
Errors are OWS 2.0 exception reports (MissingParameterValue, InvalidParameterValue,
OperationNotSupported, VersionNegotiationFailed, NoApplicableCode).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from urllib.parse import unquote

from flask import Blueprint, Response, request
from lxml import etree

from ogc_server.archive.model import OnlineState, Product
from ogc_server.archive.orders import OrderStore
from ogc_server.download.access import RETRY_AFTER, authorize_download, order_reload
from ogc_server.download.metalink import MEDIA_TYPE, metalink
from ogc_server.errors import NotFound, OgcServerError
from ogc_server.service_metadata import describe_service
from ogc_server.services import Services
from ogc_server.web.context import services
from ogc_server.web.download.blueprint import (
    metalink_files,
    product_by_file_name,
    product_by_identifier,
    representations,
)
from ogc_server.web.download.http import answer
from ogc_server.web.errors import status_for
from ogc_server.web.ows import OwsError, requested_operation

LOGGER = logging.getLogger(__name__)
blueprint = Blueprint("dseo", __name__, url_prefix="/dseo")

DSEO = "http://www.opengis.net/dseo/1.0"
OWS = "http://www.opengis.net/ows/2.0"
XLINK = "http://www.w3.org/1999/xlink"
VERSION = "1.0.0"
OPERATIONS = ("GetCapabilities", "GetProduct", "DescribeProduct")


@blueprint.route("", methods=["GET", "HEAD"])
@blueprint.route("/", methods=["GET", "HEAD"])
def dseo() -> Response:
    args = {k.lower(): v for k, v in request.args.items()}
    match = requested_operation(args, "DSEO", OPERATIONS)
    if match == "GetCapabilities":
        _check_accept_versions(args.get("acceptversions"))
        return _xml(capabilities(services()))
    version = args.get("version")
    if not version:
        raise OwsError("MissingParameterValue", "version is required (1.0.0)", "version")
    if version != VERSION:
        raise OwsError("InvalidParameterValue", f"version {version!r} is not {VERSION}",
                       "version")
    svc = services()
    product = _product(svc, args.get("producturi"))
    if match == "DescribeProduct":
        return Response(metalink(metalink_files(svc, [product])), mimetype=MEDIA_TYPE)
    authorize_download(product, request)
    if product.online_state != OnlineState.ONLINE:
        return _offline(svc, product)
    return answer(representations(svc).get(product), request)


def _check_accept_versions(value: str | None) -> None:
    if value and VERSION not in [v.strip() for v in value.split(",")]:
        raise OwsError("VersionNegotiationFailed", f"this service speaks DSEO {VERSION} only",
                       "AcceptVersions")


def _product(svc: Services, uri: str | None) -> Product:
    if not uri:
        raise OwsError("MissingParameterValue", "ProductURI is required", "ProductURI")
    # an address: its last path segment (no URL parsing, which refuses some bad input)
    path = uri.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    name = unquote(path.rsplit("/", 1)[-1]) if "/" in path else path
    try:
        try:
            return product_by_identifier(svc, name)
        except NotFound:
            return product_by_file_name(svc, name)
    except NotFound:
        raise OwsError("InvalidParameterValue", f"no product {uri!r}", "ProductURI",
                       status=404) from None


def _offline(svc: Services, product: Product) -> Response:
    """202 with ``dseo:ProductDownloadResponse``: the product comes back after a reload."""
    order, created = order_reload(OrderStore(svc.engine), product)
    root = etree.Element(f"{{{DSEO}}}ProductDownloadResponse", nsmap={"dseo": DSEO})
    etree.SubElement(root, f"{{{DSEO}}}ResponseCode").text = (
        "ACCEPTED" if created else "IN_PROGRESS")
    etree.SubElement(root, f"{{{DSEO}}}RetryAfter").text = str(RETRY_AFTER)
    response = _xml(root, status=202)
    response.headers["Retry-After"] = str(RETRY_AFTER)
    response.headers["Cache-Control"] = "no-store"
    return response


def capabilities(svc: Services) -> etree._Element:
    """The DSEO capabilities document (OWS 2.0 service metadata)."""
    settings = svc.settings
    url = f"{settings.public_url}/dseo?"
    root = etree.Element(f"{{{DSEO}}}Capabilities", version=VERSION,
                         nsmap={None: DSEO, "ows": OWS, "xlink": XLINK})
    ident = _ows(root, "ServiceIdentification")
    described = describe_service(settings, "dseo")
    _ows(ident, "Title", described.title)
    _ows(ident, "Abstract", described.abstract)
    _ows(ident, "ServiceType", "DSEO", codeSpace="OGC")
    _ows(ident, "ServiceTypeVersion", VERSION)
    _ows(ident, "Fees", "NONE")
    _ows(ident, "AccessConstraints", "NONE")
    provider = _ows(root, "ServiceProvider")
    _ows(provider, "ProviderName", settings.contact.organisation)
    _ows(provider, "ProviderSite", **{f"{{{XLINK}}}href": settings.contact.url
                                      or settings.public_url})
    contact = _ows(provider, "ServiceContact")
    info = _ows(contact, "ContactInfo")
    address = _ows(info, "Address")
    _ows(address, "ElectronicMailAddress", settings.contact.email)
    metadata = _ows(root, "OperationsMetadata")
    for name in OPERATIONS:
        operation = _ows(metadata, "Operation", name=name)
        http = _ows(_ows(operation, "DCP"), "HTTP")
        _ows(http, "Get", **{f"{{{XLINK}}}href": url})
    return root


def _ows(parent: etree._Element, tag: str, text: str | None = None,
         **attributes: str) -> etree._Element:
    node = etree.SubElement(parent, f"{{{OWS}}}{tag}", **attributes)
    if text is not None:
        node.text = text
    return node


def _xml(root: etree._Element, status: int = 200) -> Response:
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return Response(body, status=status, content_type="application/xml; charset=utf-8")


def exception_report(status: int, code: str, text: str, locator: str | None) -> Response:
    root = etree.Element(f"{{{OWS}}}ExceptionReport", version="2.0.0", nsmap={"ows": OWS})
    root.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
    attributes: Mapping[str, str] = {"exceptionCode": code}
    if locator:
        attributes = {**attributes, "locator": locator}
    node = _ows(root, "Exception", **attributes)
    _ows(node, "ExceptionText", text)
    response = _xml(root, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.errorhandler(OwsError)
def _ows_error(exc: OwsError) -> Response:
    return exception_report(exc.status, exc.code, exc.text, exc.locator)


@blueprint.errorhandler(OgcServerError)
def _domain_error(exc: OgcServerError) -> Response:
    status = status_for(exc)
    if status >= 500:
        LOGGER.error("%s %s failed: %s", request.method, request.path, exc, exc_info=exc)
        return exception_report(500, "NoApplicableCode",
                                "the server could not answer this request", None)
    code = "InvalidParameterValue" if status in (400, 404) else "NoApplicableCode"
    return exception_report(status, code, exc.user_msg, exc.locator)


@blueprint.errorhandler(Exception)
def _unexpected(exc: Exception) -> Response:
    if hasattr(exc, "code") and hasattr(exc, "get_response"):  # an HTTP error of Flask
        return exc.get_response()  # type: ignore[no-any-return]
    LOGGER.error("%s %s failed", request.method, request.path, exc_info=exc)
    return exception_report(500, "NoApplicableCode",
                            "the server could not answer this request", None)
