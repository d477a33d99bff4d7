"""WCS 2.0 exceptions: OWS 2.0 exception reports with the WCS codes, in one place.

Domain errors of the coverage core map to WCS codes here (``CODES``); anything unexpected is
logged and answered as ``NoApplicableCode`` without a traceback.
"""

from __future__ import annotations

from lxml import etree

from ogc_server.coverage.errors import (
    InvalidAxisLabel,
    InvalidParameter,
    InvalidSubsetting,
    NoSuchCoverage,
    TooLarge,
)
from ogc_server.errors import OgcServerError
from ogc_server.web.ows import OwsError

__all__ = ["CODES", "OwsError", "from_domain", "report"]

OWS = "http://www.opengis.net/ows/2.0"

#: Domain error -> (WCS exception code, HTTP status), most specific first.
CODES: tuple[tuple[type[OgcServerError], str, int], ...] = (
    (NoSuchCoverage, "NoSuchCoverage", 404),
    (InvalidSubsetting, "InvalidSubsetting", 400),
    (InvalidAxisLabel, "InvalidAxisLabel", 400),
    (TooLarge, "InvalidParameterValue", 400),
    (InvalidParameter, "InvalidParameterValue", 400),
)


def from_domain(exc: OgcServerError) -> OwsError | None:
    """The WCS exception of a coverage error, or ``None`` for other domain errors."""
    for cls, code, status in CODES:
        if isinstance(exc, cls):
            return OwsError(code, exc.user_msg, exc.locator, status)
    return None


def report(code: str, text: str, locator: str | None) -> bytes:
    """An ``ows:ExceptionReport`` (OWS 2.0) with one exception."""
    root = etree.Element(f"{{{OWS}}}ExceptionReport", version="2.0.0", nsmap={"ows": OWS})
    root.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
    node = etree.SubElement(root, f"{{{OWS}}}Exception", exceptionCode=code)
    if locator:
        node.set("locator", locator)
    etree.SubElement(node, f"{{{OWS}}}ExceptionText").text = text
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
