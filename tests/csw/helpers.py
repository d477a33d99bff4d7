"""Shared checks of the CSW tests: schema validation of every kind of response, and the
normalisation the golden files use."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable

from lxml import etree

from tests.xmlvalidate import ISO_METADATA, errors, parse

CSW2 = "http://www.opengis.net/cat/csw/2.0.2"
CSW3 = "http://www.opengis.net/cat/csw/3.0"
OWS1 = "http://www.opengis.net/ows"
OWS2 = "http://www.opengis.net/ows/2.0"
GMD = "http://www.isotc211.org/2005/gmd"
INSPIRE_DS = "http://inspire.ec.europa.eu/schemas/inspire_ds/1.0"
INSPIRE_COMMON = "http://inspire.ec.europa.eu/schemas/common/1.0"
NS = {"csw": CSW2, "csw30": CSW3, "ows": OWS1, "ows20": OWS2, "gmd": GMD,
      "gco": "http://www.isotc211.org/2005/gco", "dc": "http://purl.org/dc/elements/1.1/",
      "dct": "http://purl.org/dc/terms/", "gml": "http://www.opengis.net/gml/3.2",
      "inspire_ds": INSPIRE_DS, "inspire_common": INSPIRE_COMMON,
      "xlink": "http://www.w3.org/1999/xlink"}

#: Every schema a CSW response may need, compiled once as one set (shared imports such as GML
#: 3.2.1 compile once): CSW 2.0.2 discovery, CSW 3.0, ISO 19139 (records inside responses are
#: checked with them) and both OWS exception reports. The OGC schemas built on GML 3.1.1 and OWS
#: 2.0 compile in xmlschema's "lax" build mode only; the documents are still checked completely.
RESPONSE_SCHEMAS = (
    "http://schemas.opengis.net/csw/2.0.2/CSW-discovery.xsd",
    "http://schemas.opengis.net/cat/csw/3.0/cswAll.xsd",
    *ISO_METADATA,
    "http://schemas.opengis.net/ows/1.0.0/owsExceptionReport.xsd",
    "http://schemas.opengis.net/ows/2.0/owsExceptionReport.xsd",
)
TRACEBACK = re.compile(r"Traceback|File \"|line \d+, in ")


def schema_errors(body: bytes) -> list[str]:
    """Schema errors of a CSW response (any version, any operation, exception reports)."""
    return errors(without_inspire(parse(body)), RESPONSE_SCHEMAS, validation="lax")


def without_inspire(root: etree._Element) -> etree._Element:
    """The capabilities without the INSPIRE extended capabilities, whose schemas are not in
    ``tests/schemas`` (their content is checked by ``inspire_capabilities``)."""
    root = copy.deepcopy(root)
    for element in root.findall(".//inspire_ds:ExtendedCapabilities", NS):
        parent = element.getparent()
        if etree.QName(parent).localname == "ExtendedCapabilities":  # CSW 3.0 wraps it
            parent.getparent().remove(parent)
        else:
            parent.remove(element)
    return root


def assert_valid(body: bytes) -> etree._Element:
    found = schema_errors(body)
    assert not found, "\n".join(found[:20])
    return parse(body)


def exception(body: bytes) -> tuple[str, str, str]:
    """(exceptionCode, locator, text) of an exception report; asserts it is one."""
    root = assert_valid(body)
    assert etree.QName(root).localname == "ExceptionReport", body[:500]
    node = root.find("{*}Exception")
    text = node.findtext("{*}ExceptionText") or ""
    assert not TRACEBACK.search(body.decode("utf-8", "replace")), text
    return node.get("exceptionCode"), node.get("locator"), text


STAMP_ATTRIBUTES = re.compile(
    r'\b(timestamp|timeStamp|expires|elapsedTime|updateSequence)="[^"]*"')


def normalise(body: bytes, public_url: str, stamps: Iterable[str]) -> str:
    """A response as the golden files hold it: the server's address, the request's time and
    the times of the catalogue's ingestion replaced by placeholders."""
    text = body.decode("utf-8")
    text = text.replace(public_url, "{public_url}")
    text = STAMP_ATTRIBUTES.sub(r'\1="{now}"', text)
    for stamp in sorted(set(stamps), key=len, reverse=True):
        text = text.replace(stamp, "{ingested}")
    return text if text.endswith("\n") else text + "\n"
