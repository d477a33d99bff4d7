"""OpenSearch exceptions: an OWS 2.0 ExceptionReport (XML requests) or a JSON problem."""

from __future__ import annotations

from flask import Response

from ogc_server.web.errors import problem
from ogc_server.web.opensearch.xml import XML_LANG, element, nsmap, sub, to_bytes

_CODES = {400: "InvalidParameterValue", 404: "InvalidParameterValue",
          500: "NoApplicableCode"}


def exception_report(status: int, text: str, locator: str | None = None) -> Response:
    """``ows:ExceptionReport`` naming the parameter in ``locator``."""
    root = element("ows:ExceptionReport", nsmap_=nsmap("ows"), version="2.0.0")
    root.set(XML_LANG, "en")
    node = sub(root, "ows:Exception", exceptionCode=_CODES.get(status, "NoApplicableCode"),
               locator=locator)
    sub(node, "ows:ExceptionText", text)
    response = Response(to_bytes(root), status=status, mimetype="application/xml")
    response.headers["Cache-Control"] = "no-store"
    return response


def error_response(status: int, text: str, locator: str | None, as_json: bool) -> Response:
    if as_json:
        return problem(status, text, locator=locator)
    return exception_report(status, text, locator)
