"""Metalink 4 documents (RFC 5854): the files of one product or of a basket, with their hashes.

Download managers (aria2, wget2 and others) fetch every file of a metalink, resume them and
check each one against its hashes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lxml import etree

NS = "urn:ietf:params:xml:ns:metalink"
MEDIA_TYPE = "application/metalink4+xml"
GENERATOR = "ogc-server"


@dataclass(frozen=True, slots=True)
class MetalinkFile:
    name: str
    """File name a client saves the download as (no folder part)."""
    url: str
    size: int | None = None
    hashes: dict[str, str] = field(default_factory=dict)
    """IANA hash name (``sha-256``, ``md5``) -> lower-case hex digest."""
    identity: str | None = None
    description: str | None = None


def metalink(files: Iterable[MetalinkFile], published: datetime | None = None) -> bytes:
    """The metalink document of ``files`` (UTF-8 XML)."""
    root = etree.Element(f"{{{NS}}}metalink", nsmap={None: NS})
    etree.SubElement(root, f"{{{NS}}}generator").text = GENERATOR
    when = (published or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    etree.SubElement(root, f"{{{NS}}}published").text = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    for item in files:
        node = etree.SubElement(root, f"{{{NS}}}file", name=item.name)
        if item.identity:
            etree.SubElement(node, f"{{{NS}}}identity").text = item.identity
        if item.description:
            etree.SubElement(node, f"{{{NS}}}description").text = item.description
        if item.size is not None:
            etree.SubElement(node, f"{{{NS}}}size").text = str(item.size)
        for kind, value in item.hashes.items():
            etree.SubElement(node, f"{{{NS}}}hash", type=kind).text = value
        etree.SubElement(node, f"{{{NS}}}url", priority="1").text = item.url
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
