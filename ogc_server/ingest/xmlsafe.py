"""The one hardened XML parser of the project.

Every XML document the platform reads (SAFE manifests, Sentinel-2 metadata, annotation files,
configuration fragments) goes through :func:`parse_xml`. The parser

* never resolves entities, never loads a DTD and never touches the network;
* keeps libxml2's limits on node depth and text size (``huge_tree=False``);
* refuses any document that carries a ``<!DOCTYPE`` (and therefore any ``<!ENTITY``)
  declaration, because no product format of the archive needs one; documents the platform
  itself produced may keep a DOCTYPE (``allow_doctype``: WMS 1.1.1 capabilities name their
  DTD and declare an element in an internal subset), never one that declares entities;
* refuses malformed documents, including a valid root element followed by trailing junk.

Errors are :class:`XMLError` (a :class:`ValueError`): :class:`UnsafeXML` for forbidden
constructs, :class:`MalformedXML` for documents that are not well-formed.
"""

from __future__ import annotations

import threading
from pathlib import Path

from lxml import etree

__all__ = ["MAX_XML_BYTES", "MalformedXML", "UnsafeXML", "XMLError", "parse_xml"]

MAX_XML_BYTES = 64 * 1024 * 1024
"""Largest XML document accepted (the biggest Sentinel manifests are a few MB)."""

_BOM_UTF8 = b"\xef\xbb\xbf"
_PROLOG_SCAN_LIMIT = 1024 * 1024


class XMLError(ValueError):
    """An XML document was refused; ``str()`` names the reason."""


class UnsafeXML(XMLError):
    """The document carries a construct the platform never accepts (DOCTYPE, ENTITY)."""


class MalformedXML(XMLError):
    """The document is not well-formed XML (syntax error, trailing content, empty)."""


_local = threading.local()


def _parser(doctype: bool = False) -> etree.XMLParser:
    """One parser per thread: lxml parser objects must not be shared between threads.

    ``doctype``: the parser for documents that may carry a DOCTYPE. It keeps libxml2's ID
    collection: without it libxml2 tries to load the external DTD (and, with the network
    forbidden, fails) as soon as the document names one.
    """
    key = "doctype_parser" if doctype else "parser"
    parser = getattr(_local, key, None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            recover=False,
            remove_blank_text=False,
            remove_comments=False,
            remove_pis=False,
            collect_ids=doctype,
        )
        setattr(_local, key, parser)
    return parser


def _check_prolog(data: bytes, name: str, allow_doctype: bool = False) -> None:
    """Refuse a DOCTYPE before the root element without parsing the document.

    Walks the prolog (XML declaration, processing instructions, comments, white space) up to
    the first start tag. Documents in encodings other than ASCII-compatible ones fall through
    to the check on the parsed tree.
    """
    pos = 3 if data.startswith(_BOM_UTF8) else 0
    end = min(len(data), _PROLOG_SCAN_LIMIT)
    while pos < end:
        lt = data.find(b"<", pos, end)
        if lt < 0:
            return
        if data.startswith(b"<?", lt):
            close = data.find(b"?>", lt + 2, end)
            if close < 0:
                return
            pos = close + 2
        elif data.startswith(b"<!--", lt):
            close = data.find(b"-->", lt + 4, end)
            if close < 0:
                return
            pos = close + 3
        elif data.startswith(b"<!DOCTYPE", lt) and allow_doctype:
            close = data.find(b">", lt, end)
            if close >= 0 and b"[" in data[lt:close]:
                close = data.find(b"]", lt, end)  # the internal subset's end
                close = data.find(b">", close, end) if close >= 0 else -1
            if close < 0 or b"<!ENTITY" in data[lt:close]:
                raise UnsafeXML(f"{name}: the DOCTYPE declares entities; not accepted")
            pos = close + 1
        elif data.startswith(b"<!DOCTYPE", lt) or data.startswith(b"<!ENTITY", lt):
            raise UnsafeXML(f"{name}: declares a DOCTYPE; DTDs and entities are not accepted")
        else:
            return


def parse_xml(source: bytes | Path, *, max_bytes: int = MAX_XML_BYTES,
              allow_doctype: bool = False) -> etree._Element:
    """Parse ``source`` (the document's bytes or a file path) and return the root element.

    ``allow_doctype`` admits a DOCTYPE that declares no entities (for documents the platform
    produced itself); the DTD is still neither loaded nor fetched.

    Raises :class:`UnsafeXML` for a DOCTYPE/ENTITY declaration, :class:`MalformedXML` for a
    document that is empty, too large or not well-formed, and :class:`OSError` when the file
    cannot be read.
    """
    if isinstance(source, Path):
        with source.open("rb") as fh:
            data = fh.read(max_bytes + 1)
        name = source.name
    elif isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        name = "XML document"
    else:
        raise TypeError(f"parse_xml() takes bytes or a Path, not {type(source).__name__}")
    if len(data) > max_bytes:
        raise MalformedXML(f"{name}: larger than {max_bytes} bytes")
    if not data or data.isspace():
        raise MalformedXML(f"{name}: empty document")
    _check_prolog(data, name, allow_doctype)
    try:
        root = etree.fromstring(data, _parser(allow_doctype))
    except etree.XMLSyntaxError as exc:
        raise MalformedXML(f"{name}: not well-formed XML: {_syntax_reason(exc)}") from None
    docinfo = root.getroottree().docinfo
    if allow_doctype:
        subset = docinfo.internalDTD
        if subset is not None and list(subset.iterentities()):
            raise UnsafeXML(f"{name}: the DOCTYPE declares entities; not accepted")
    elif docinfo.doctype or docinfo.internalDTD is not None or docinfo.system_url:
        raise UnsafeXML(f"{name}: declares a DOCTYPE; DTDs and entities are not accepted")
    return root


def _syntax_reason(exc: etree.XMLSyntaxError) -> str:
    return (exc.msg or str(exc)).strip() or "syntax error"
