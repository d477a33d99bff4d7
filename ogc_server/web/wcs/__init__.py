"""``/wcs``: Web Coverage Service 2.0.1 (OGC 09-110r4), KVP binding, over the archive's rasters.

Operations: ``GetCapabilities``, ``DescribeCoverage`` and ``GetCoverage``; one coverage per
product (see :mod:`ogc_server.coverage.sources`). The request is planned on the coverage's
description first, so a request whose output exceeds the configured limits (``wcs.*``) is
refused before a pixel is read. A product whose data is not online answers 503 with
``Retry-After`` and a reload order, like a download. Errors are OWS 2.0 exception reports
with the WCS codes; bad input never gives a traceback.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request
from lxml import etree

from ogc_server.archive.model import OnlineState, Product
from ogc_server.archive.orders import OrderStore
from ogc_server.archive.query import ProductQuery
from ogc_server.coverage import render
from ogc_server.coverage.errors import NoSuchCoverage
from ogc_server.coverage.grid import Limits, plan
from ogc_server.coverage.sources import GRD_TYPES, S2_TYPES, CoverageSource, open_source
from ogc_server.download.access import RETRY_AFTER, authorize_download, order_reload
from ogc_server.errors import NotFound, OgcServerError
from ogc_server.services import Services
from ogc_server.web.context import services
from ogc_server.web.errors import status_for
from ogc_server.web.ows import requested_operation
from ogc_server.web.wcs import documents
from ogc_server.web.wcs.errors import OwsError, from_domain, report
from ogc_server.web.wcs.kvp import coverage_request

LOGGER = logging.getLogger(__name__)
blueprint = Blueprint("wcs", __name__, url_prefix="/wcs")
#: Most coverages one capabilities document lists (the newest first).
CAPABILITIES_LIMIT = 10000


@blueprint.route("", methods=["GET", "HEAD"])
@blueprint.route("/", methods=["GET", "HEAD"])
def wcs() -> Response:
    args: dict[str, str] = {}
    subsets: list[str] = []
    for key, value in request.args.items(multi=True):
        if key.lower() == "subset":
            subsets.append(value)
        else:
            args.setdefault(key.lower(), value)
    match = requested_operation(args, "WCS", documents.OPERATIONS)
    svc = services()
    if match == "GetCapabilities":
        _check_accept_versions(args.get("acceptversions"))
        return _xml(documents.capabilities(svc.settings, _coverage_products(svc)))
    _check_version(args.get("version"))
    if match == "DescribeCoverage":
        ids = [i.strip() for i in (args.get("coverageid") or "").split(",") if i.strip()]
        if not ids:
            raise OwsError("MissingParameterValue", "coverageId is required", "coverageId")
        return _xml(documents.describe(_source(svc, _product(svc, i)) for i in ids))
    return _get_coverage(svc, args, subsets)


def _get_coverage(svc: Services, args: dict[str, str], subsets: list[str]) -> Response:
    coverage_id = (args.get("coverageid") or "").strip()
    if not coverage_id:
        raise OwsError("MissingParameterValue", "coverageId is required", "coverageId")
    if "," in coverage_id:
        raise OwsError("InvalidParameterValue", "GetCoverage takes one coverageId",
                       "coverageId")
    product = _product(svc, coverage_id)
    authorize_download(product, request)
    if product.online_state != OnlineState.ONLINE:
        return _offline(svc, product)
    source = _source(svc, product)
    wanted = coverage_request(args, subsets, source.crs, source.band_names())
    limits = Limits(max_side=svc.settings.wcs.max_side, max_pixels=svc.settings.wcs.max_pixels,
                    max_bytes=svc.settings.wcs.max_bytes)
    planned = plan(source, wanted, limits)
    gdal_env = dict(svc.settings.gdal_env)
    body = render.encode(planned, render.read(planned, gdal_env), gdal_env)
    extension = render.EXTENSIONS[planned.media_type]
    response = Response(body, mimetype=planned.media_type)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{product.identifier}.{extension}"')
    return response


def _coverage_products(svc: Services) -> list[Product]:
    query = ProductQuery(where={"product_type": sorted(S2_TYPES | GRD_TYPES)},
                         sort=(("start", False), ("identifier", True)),
                         limit=CAPABILITIES_LIMIT, count=False)
    return svc.store.query(query).products


def _product(svc: Services, coverage_id: str) -> Product:
    try:
        product = svc.store.get(coverage_id)
    except NotFound:
        raise OwsError("NoSuchCoverage", f"no coverage {coverage_id!r}", "coverageId",
                       status=404) from None
    if product.product_type not in S2_TYPES | GRD_TYPES:
        raise OwsError("NoSuchCoverage", f"product {coverage_id!r} is not offered as a "
                       "coverage", "coverageId", status=404)
    return product


def _source(svc: Services, product: Product) -> CoverageSource:
    if product.online_state != OnlineState.ONLINE or not product.storage_path:
        raise NoSuchCoverage(f"{product.identifier} is {product.online_state.value}",
                             user_msg=f"{product.identifier} is {product.online_state.value}: "
                                      "its data is being reloaded; ask again later",
                             locator="coverageId")
    return open_source(svc.storage.product_dir(product.storage_path), product)


def _offline(svc: Services, product: Product) -> Response:
    """503 with Retry-After: the product's data comes back after a reload (ordered here)."""
    order_reload(OrderStore(svc.engine), product)
    body = report("NoApplicableCode", f"{product.identifier} is {product.online_state.value}: "
                  "it is being reloaded from the long-term archive; ask again later",
                  "coverageId")
    response = Response(body, status=503, content_type="application/xml; charset=utf-8")
    response.headers["Retry-After"] = str(RETRY_AFTER)
    response.headers["Cache-Control"] = "no-store"
    return response


def _check_accept_versions(value: str | None) -> None:
    if value and not any(v.strip() in ("2.0.1", "2.0.0") for v in value.split(",")):
        raise OwsError("VersionNegotiationFailed", "this service speaks WCS 2.0.1 only",
                       "acceptVersions")


def _check_version(version: str | None) -> None:
    if not version:
        raise OwsError("MissingParameterValue", "version is required (2.0.1)", "version")
    if version not in ("2.0.1", "2.0.0"):
        raise OwsError("InvalidParameterValue", f"version {version!r} is not 2.0.1", "version")


def _xml(root: etree._Element, status: int = 200) -> Response:
    return Response(documents.to_bytes(root), status=status,
                    content_type="application/xml; charset=utf-8")


def _exception(exc: OwsError) -> Response:
    response = Response(report(exc.code, exc.text, exc.locator), status=exc.status,
                        content_type="application/xml; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.errorhandler(OwsError)
def _ows_error(exc: OwsError) -> Response:
    return _exception(exc)


@blueprint.errorhandler(OgcServerError)
def _domain_error(exc: OgcServerError) -> Response:
    mapped = from_domain(exc)
    if mapped is not None:
        return _exception(mapped)
    status = status_for(exc)
    if status >= 500:
        LOGGER.error("%s %s failed: %s", request.method, request.path, exc, exc_info=exc)
        return _exception(OwsError("NoApplicableCode",
                                   "the server could not answer this request", status=500))
    return _exception(OwsError("InvalidParameterValue", exc.user_msg, exc.locator,
                               status=status if status < 500 else 400))


@blueprint.errorhandler(Exception)
def _unexpected(exc: Exception) -> Response:
    if hasattr(exc, "code") and hasattr(exc, "get_response"):  # an HTTP error of Flask
        return exc.get_response()  # type: ignore[no-any-return]
    LOGGER.error("%s %s failed", request.method, request.path, exc_info=exc)
    return _exception(OwsError("NoApplicableCode", "the server could not answer this request",
                               status=500))
