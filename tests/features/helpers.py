"""Helpers of the WFS tests: requests, parsing, schema validation of our own documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import xmlschema
from lxml import etree

from tests.xmlvalidate import _uri_mapper, local_path

WFS_XSD = "http://schemas.opengis.net/wfs/2.0/wfs.xsd"
NS = {
    "wfs": "http://www.opengis.net/wfs/2.0",
    "gml": "http://www.opengis.net/gml/3.2",
    "ows": "http://www.opengis.net/ows/1.1",
    "fes": "http://www.opengis.net/fes/2.0",
    "xsd": "http://www.w3.org/2001/XMLSchema",
}


def xml(response: Any, status: int = 200) -> etree._Element:
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return etree.fromstring(response.get_data())


def member_ids(root: etree._Element) -> list[str]:
    return [m[0].findtext("gml:identifier", namespaces=NS) for m in
            root.findall("wfs:member", NS)]


def application_schema(dft: bytes, folder: Path) -> xmlschema.XMLSchemaBase:
    """WFS 2.0 together with our DescribeFeatureType schema, compiled offline."""
    path = folder / "features.xsd"
    path.write_bytes(dft)
    wfs = local_path(WFS_XSD)
    assert wfs is not None
    return xmlschema.XMLSchema10([str(wfs), str(path)], uri_mapper=_uri_mapper,
                                 allow="local", defuse="always")


def exception(response: Any) -> tuple[int, str, str | None]:
    """(status, exceptionCode, locator) of an OWS exception report."""
    assert response.content_type.startswith("application/xml"), response.content_type
    root = etree.fromstring(response.get_data())
    assert etree.QName(root).localname == "ExceptionReport"
    node = root.find("ows:Exception", NS)
    return response.status_code, node.get("exceptionCode"), node.get("locator")


FILTER = ('<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0" '
          'xmlns:gml="http://www.opengis.net/gml/3.2">{}</fes:Filter>')


def fes(body: str) -> str:
    return FILTER.format(body)
