"""What the wrapper checks before MapProxy sees a request, and the exceptions it answers.

MapProxy itself reports unknown layers, CRSs and formats with the right codes; it does not know
our TIME and PRODUCT parameters and accepts any size and any numbers as BBOX. The checks here
turn those into ServiceExceptions (WMS) or ExceptionReports (WMTS) with status 400.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape, quoteattr

from ogc_server.archive.store import ProductStore
from ogc_server.errors import InvalidQuery
from ogc_server.view.timeparam import parse_time
from plugins.mapproxy_.source import ViewFilter

#: A BBOX coordinate beyond this is not a place on Earth in any offered CRS.
MAX_COORDINATE = 1e8
_COLOUR = re.compile(r"^(0x|#)?[0-9a-fA-F]{6}$")


def query_params(environ: Mapping[str, Any]) -> dict[str, str]:
    """The query string's parameters by lower-case name; of a repeated name the first, as
    MapProxy reads it (so what is checked is what is drawn)."""
    params: dict[str, str] = {}
    for key, value in parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True):
        params.setdefault(key.lower(), value)
    return params


class WmsError(Exception):
    """A ServiceException the wrapper answers itself, in the request's WMS version."""

    def __init__(self, message: str, code: str | None, locator: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.locator = locator

    def respond(self, start_response: Callable[..., Any], version: str) -> list[bytes]:
        code = f" code={quoteattr(self.code)}" if self.code else ""
        if version.startswith("1.1"):
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE ServiceExceptionReport SYSTEM'
                ' "http://schemas.opengis.net/wms/1.1.1/exception_1_1_1.dtd">\n'
                f'<ServiceExceptionReport version="1.1.1"><ServiceException{code}>'
                f"{escape(self.message)}</ServiceException></ServiceExceptionReport>\n")
            mimetype = "application/vnd.ogc.se_xml"
        else:
            locator = f" locator={quoteattr(self.locator)}" if self.locator else ""
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>\n<ServiceExceptionReport version="1.3.0"'
                ' xmlns="http://www.opengis.net/ogc"'
                ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
                ' xsi:schemaLocation="http://www.opengis.net/ogc'
                ' http://schemas.opengis.net/wms/1.3.0/exceptions_1_3_0.xsd">'
                f"<ServiceException{code}{locator}>{escape(self.message)}</ServiceException>"
                "</ServiceExceptionReport>\n")
            mimetype = "text/xml"
        return _respond(start_response, body, mimetype)

    def respond_ows(self, start_response: Callable[..., Any]) -> list[bytes]:
        """The same error as an OWS 1.1 ExceptionReport (WMTS)."""
        locator = f" locator={quoteattr(self.locator)}" if self.locator else ""
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<ExceptionReport'
            ' xmlns="http://www.opengis.net/ows/1.1" version="1.1.0" xml:lang="en">'
            f'<Exception exceptionCode={quoteattr(self.code or "NoApplicableCode")}{locator}>'
            f"<ExceptionText>{escape(self.message)}</ExceptionText></Exception>"
            "</ExceptionReport>\n")
        return _respond(start_response, body, "text/xml")


def _respond(start_response: Callable[..., Any], body: str, mimetype: str) -> list[bytes]:
    data = body.encode()
    start_response("400 Bad Request", [("Content-Type", f"{mimetype}; charset=UTF-8"),
                                       ("Content-Length", str(len(data)))])
    return [data]


def wms_filter(params: Mapping[str, str], request: str, max_size: int,
               store: ProductStore) -> ViewFilter:
    """The filter of a WMS request (lower-case ``params``) after the checks; :class:`WmsError`."""
    if request not in {"getmap", "getfeatureinfo"}:
        return ViewFilter()
    for name in ("width", "height"):
        value = params.get(name)
        if value is None:
            continue  # MapProxy reports missing parameters
        try:
            size = int(value)
        except ValueError:
            raise WmsError(f"{name.upper()} must be a whole number", "InvalidParameterValue",
                           name) from None
        if not 1 <= size <= max_size:
            raise WmsError(f"{name.upper()} must be between 1 and {max_size}",
                           "InvalidParameterValue", name)
    if "bbox" in params:
        _check_bbox(params["bbox"])
    if params.get("bgcolor") and not _COLOUR.match(params["bgcolor"]):
        raise WmsError("BGCOLOR must be a hexadecimal RGB colour (0xRRGGBB)",
                       "InvalidParameterValue", "bgcolor")
    if request == "getfeatureinfo":
        _check_point(params)
    return view_filter(params, store, "InvalidDimensionValue")


def _check_point(params: Mapping[str, str]) -> None:
    """I/J (1.3.0) or X/Y (1.1.1) of GetFeatureInfo: a pixel of the map."""
    for name, size in (("i", "width"), ("j", "height")):
        other = {"i": "x", "j": "y"}[name]
        value = params.get(name, params.get(other))
        if value is None:
            continue  # MapProxy reports missing parameters
        try:
            pixel = int(value)
            inside = 0 <= pixel < int(params.get(size, "0"))
        except ValueError:
            inside = False
        if not inside:
            raise WmsError(f"{name.upper()} must be a pixel of the map", "InvalidPoint", name)


def view_filter(params: Mapping[str, str], store: ProductStore, time_code: str) -> ViewFilter:
    """``TIME`` and ``PRODUCT`` of a request, checked; ``time_code`` names a bad TIME."""
    time = None
    if params.get("time"):
        try:
            time = parse_time(params["time"])
        except InvalidQuery as exc:
            raise WmsError(exc.user_msg, time_code, "time") from None
    product = params.get("product") or None
    if product is not None and not store.exists(product):
        raise WmsError(f"no product {product!r} in the archive", "InvalidParameterValue",
                       "product")
    return ViewFilter(time=time, product=product)


def _check_bbox(text: str) -> None:
    parts = text.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise WmsError("BBOX must be four numbers: minx,miny,maxx,maxy",
                       "InvalidParameterValue", "bbox")
    if values[0] >= values[2] or values[1] >= values[3]:
        raise WmsError("BBOX minimum must be less than its maximum", "InvalidParameterValue",
                       "bbox")
    if any(abs(v) > MAX_COORDINATE for v in values):
        raise WmsError("BBOX lies far outside any offered CRS", "InvalidParameterValue", "bbox")
