"""WFS 2.0 exceptions: an OWS 1.1 ``ExceptionReport`` with the WFS 2.0 exception codes."""

from __future__ import annotations

from flask import Response
from lxml import etree

OWS = "http://www.opengis.net/ows/1.1"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

#: WFS 2.0 (OGC 09-025r2, Table 3) and OWS 1.1 exception codes -> HTTP status.
STATUS = {
    "OperationParsingFailed": 400,
    "OperationProcessingFailed": 500,
    "InvalidParameterValue": 400,
    "MissingParameterValue": 400,
    "OperationNotSupported": 501,
    "OptionNotSupported": 400,
    "VersionNegotiationFailed": 400,
    "NotFound": 404,
    "NoApplicableCode": 500,
}


class WfsError(Exception):
    """A request the service answers with an exception report (``code`` of :data:`STATUS`)."""

    def __init__(self, code: str, text: str, locator: str | None = None):
        super().__init__(text)
        self.code = code
        self.text = text
        self.locator = locator

    @property
    def status(self) -> int:
        return STATUS.get(self.code, 400)


def exception_report(error: WfsError) -> Response:
    """The ``ows:ExceptionReport`` of ``error`` with the status WFS 2.0 gives its code."""
    root = etree.Element(f"{{{OWS}}}ExceptionReport", nsmap={"ows": OWS}, version="2.0.0")
    root.set(XML_LANG, "en")
    node = etree.SubElement(root, f"{{{OWS}}}Exception", exceptionCode=error.code)
    if error.locator:
        node.set("locator", error.locator)
    etree.SubElement(node, f"{{{OWS}}}ExceptionText").text = error.text
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    response = Response(body, status=error.status, mimetype="application/xml")
    response.headers["Cache-Control"] = "no-store"
    return response
