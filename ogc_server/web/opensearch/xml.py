"""Namespaces and a small element builder shared by the XML encoders."""

from __future__ import annotations

from typing import Any

from lxml import etree

NS: dict[str, str] = {
    "atom": "http://www.w3.org/2005/Atom",
    "os": "http://a9.com/-/spec/opensearch/1.1/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "geo": "http://a9.com/-/opensearch/extensions/geo/1.0/",
    "time": "http://a9.com/-/opensearch/extensions/time/1.0/",
    "eo": "http://a9.com/-/opensearch/extensions/eo/1.0/",
    "param": "http://a9.com/-/spec/opensearch/extensions/parameters/1.0/",
    "sru": "http://a9.com/-/opensearch/extensions/sru/2.0/",
    "semantic": "http://a9.com/-/opensearch/extensions/semantic/1.0/",
    "georss": "http://www.georss.org/georss",
    "gml311": "http://www.opengis.net/gml",
    "media": "http://search.yahoo.com/mrss/",
    "xlink": "http://www.w3.org/1999/xlink",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    # EO O&M (OGC 10-157r4) and what it builds on
    "gml": "http://www.opengis.net/gml/3.2",
    "om": "http://www.opengis.net/om/2.0",
    "ows": "http://www.opengis.net/ows/2.0",
    "eop": "http://www.opengis.net/eop/2.0",
    "opt": "http://www.opengis.net/opt/2.0",
    "sar": "http://www.opengis.net/sar/2.0",
    "atm": "http://www.opengis.net/atm/2.0",
    # SRU 2.0 response (OASIS searchRetrieve)
    "srw": "http://docs.oasis-open.org/ns/search-ws/sruResponse",
}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def qname(tag: str) -> str:
    """``prefix:name`` -> ``{uri}name`` (a name without prefix stays as it is)."""
    prefix, _, local = tag.rpartition(":")
    return f"{{{NS[prefix]}}}{local}" if prefix else tag


def nsmap(*prefixes: str, default: str | None = None, **renamed: str) -> dict[str | None, str]:
    """A namespace map of ``prefixes``; ``renamed`` maps a prefix to a key of :data:`NS`."""
    result: dict[str | None, str] = {p: NS[p] for p in prefixes}
    result.update({prefix: NS[key] for prefix, key in renamed.items()})
    if default:
        result[None] = NS[default]
    return result


def element(tag: str, text: Any = None, nsmap_: dict[str | None, str] | None = None,
            **attrs: Any) -> etree._Element:
    """A new root element; attribute names may be ``prefix:name``, None values are left out."""
    node = etree.Element(qname(tag), nsmap=nsmap_)
    _fill(node, text, attrs)
    return node


def sub(parent: etree._Element, tag: str, text: Any = None, **attrs: Any) -> etree._Element:
    """A child of ``parent`` (see :func:`element`)."""
    node = etree.SubElement(parent, qname(tag))
    _fill(node, text, attrs)
    return node


def _fill(node: etree._Element, text: Any, attrs: dict[str, Any]) -> None:
    if text is not None:
        node.text = str(text)
    for name, value in attrs.items():
        if value is not None:
            node.set(qname(name.replace("__", ":")), str(value))


def to_bytes(root: etree._Element) -> bytes:
    """The document, UTF-8 with an XML declaration, indented."""
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
