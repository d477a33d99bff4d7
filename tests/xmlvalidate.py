"""Offline XML Schema validation for the tests.

``validate(doc, schema)`` checks a document against an official schema named by its usual URL
(``http://schemas.opengis.net/...``, ``http://www.isotc211.org/2005/...``, the W3C ones). Every
URL, the one given and every import/include the schemas make, is mapped to a copy under
``tests/schemas/`` through :data:`LOCATIONS`; nothing is fetched from the network
(``allow="local"`` makes any unmapped remote location an error instead of a download). Compiled
schemas are cached per URL tuple and build mode for the life of the test process.

Adding a family of schemas (CSW, WMS, WCS, WFS, O&M, ...):

1. copy its folder from the upstream repository into ``tests/schemas/`` at the same relative path
   the URL has (``http://schemas.opengis.net/csw/2.0.2/`` -> ``tests/schemas/ogc/csw/2.0.2/``),
   together with its ReadMe.txt, and whatever it imports (OWS, Filter, GML 3.1.1, ...);
2. if its URLs are not under a prefix already in :data:`LOCATIONS`, add a row;
3. if it is built on GML 3.1.1 and strict compilation rejects OGC's own restrictions, add its URL
   prefix to :data:`LAX_SCHEMAS` (or pass ``validation="lax"``).

Typical use::

    from tests.xmlvalidate import ISO_METADATA, validate

    validate(response.content, ISO_METADATA)   # AssertionError listing the errors, if any
    validate(xml_bytes, "http://schemas.opengis.net/csw/2.0.2/CSW-discovery.xsd")  # once copied
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import xmlschema
from lxml import etree

SCHEMA_ROOT = Path(__file__).resolve().parent / "schemas"

#: Official URL prefix -> path under ``tests/schemas/``. The longest matching prefix wins, so a
#: specific row may override a broader one. A prefix ending in "/" maps a folder, any other
#: prefix maps one file.
LOCATIONS: dict[str, str] = {
    # OGC schema repository (mirrors the layout of schemas.opengis.net)
    "http://schemas.opengis.net/": "ogc/",
    "https://schemas.opengis.net/": "ogc/",
    # ISO/TC 211 namespace URLs of ISO/TS 19139:2007 -> the OGC-hosted 2007-04-17 copy
    "http://www.isotc211.org/2005/gco/": "ogc/iso/19139/20070417/gco/",
    "http://www.isotc211.org/2005/gmd/": "ogc/iso/19139/20070417/gmd/",
    "http://www.isotc211.org/2005/gmx/": "ogc/iso/19139/20070417/gmx/",
    "http://www.isotc211.org/2005/gsr/": "ogc/iso/19139/20070417/gsr/",
    "http://www.isotc211.org/2005/gss/": "ogc/iso/19139/20070417/gss/",
    "http://www.isotc211.org/2005/gts/": "ogc/iso/19139/20070417/gts/",
    "http://www.isotc211.org/2005/srv/": "ogc/iso/19139/20070417/srv/1.0/",
    # W3C
    "http://www.w3.org/1999/xlink.xsd": "w3c/1999/xlink.xsd",
    # INSPIRE common and view service schemas
    "http://inspire.ec.europa.eu/schemas/": "inspire/",
    "https://www.w3.org/1999/xlink.xsd": "w3c/1999/xlink.xsd",
    "http://www.w3.org/2001/xml.xsd": "w3c/2001/xml.xsd",
    "https://www.w3.org/2001/xml.xsd": "w3c/2001/xml.xsd",
}

#: URL prefixes of schemas compiled and applied in "lax" mode unless the caller says otherwise
#: (xmlschema's lax mode reports what it cannot check instead of refusing the schema). None of
#: the schemas copied so far need it: ISO 19139 with GML 3.2.1 compiles strictly.
LAX_SCHEMAS: tuple[str, ...] = ()

# Handy names for the schemas used most.
GMD = "http://schemas.opengis.net/iso/19139/20070417/gmd/gmd.xsd"
GMX = "http://schemas.opengis.net/iso/19139/20070417/gmx/gmx.xsd"
SRV = "http://schemas.opengis.net/iso/19139/20070417/srv/1.0/srv.xsd"
GML32 = "http://schemas.opengis.net/gml/3.2.1/gml.xsd"
#: ISO 19139 records as INSPIRE writes them: gmd.xsd alone does not declare ``gmx:Anchor`` (the
#: substitute for ``gco:CharacterString`` that INSPIRE recommends), and service records use srv.
ISO_METADATA = (GMD, GMX, SRV)

#: How many errors an AssertionError message lists.
MAX_REPORTED_ERRORS = 20

_cache: dict[tuple[tuple[str, ...], str], xmlschema.XMLSchemaBase] = {}

_parser = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
    remove_blank_text=False,
)


def local_path(url: str) -> Path | None:
    """The copy under ``tests/schemas/`` of an official schema URL (None: not mapped)."""
    best = ""
    for prefix in LOCATIONS:
        if url.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    if not best:
        return None
    target = LOCATIONS[best]
    rest = url[len(best):]
    return SCHEMA_ROOT / (target + rest if best.endswith("/") else target)


def _uri_mapper(url: str) -> str:
    path = local_path(url)
    return path.as_uri() if path is not None else url


def _mode(urls: Iterable[str], validation: str | None) -> str:
    if validation is not None:
        return validation
    return "lax" if any(u.startswith(LAX_SCHEMAS) for u in urls) else "strict"


def get_schema(
    schema: str | Sequence[str], validation: str | None = None
) -> xmlschema.XMLSchemaBase:
    """Compile (once) the schema at ``schema``: one URL, or several whose components are joined
    (e.g. gmd.xsd and gmx.xsd, since gmd.xsd alone does not declare ``gmx:Anchor``).

    ``validation`` is the mode the schema is built in: "strict" (default) refuses a schema with
    errors, "lax" keeps what it can (see :data:`LAX_SCHEMAS`).
    """
    urls = (schema,) if isinstance(schema, str) else tuple(schema)
    if not urls:
        raise ValueError("no schema URL given")
    mode = _mode(urls, validation)
    key = (urls, mode)
    if key not in _cache:
        for url in urls:
            path = local_path(url)
            if path is None or not path.is_file():
                raise LookupError(
                    f"{url}: no local copy (looked for {path}); copy the schema into "
                    f"{SCHEMA_ROOT} and/or add a row to xmlvalidate.LOCATIONS"
                )
        _cache[key] = _compile(urls, mode)
    return _cache[key]


def _compile(urls: tuple[str, ...], mode: str) -> xmlschema.XMLSchemaBase:
    # A failed import is only a warning to xmlschema; the error comes later as an unknown
    # component. Keep the warnings to say which schema is missing from tests/schemas/.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", xmlschema.XMLSchemaImportWarning)
        try:
            return xmlschema.XMLSchema10(
                list(urls) if len(urls) > 1 else urls[0],
                validation=mode,
                uri_mapper=_uri_mapper,
                allow="local",
                defuse="always",
            )
        except xmlschema.XMLSchemaException as exc:
            imports = [str(w.message) for w in caught
                       if issubclass(w.category, xmlschema.XMLSchemaImportWarning)]
            if not imports:
                raise
            raise LookupError(
                f"{' + '.join(urls)} does not compile offline; failed imports (copy the "
                f"schemas into {SCHEMA_ROOT} and/or extend xmlvalidate.LOCATIONS):\n  "
                + "\n  ".join(imports)
            ) from exc


def parse(doc: bytes | str | Path) -> etree._Element:
    """Parse XML bytes, text or a file safely (no entities, no DTD, no network)."""
    if isinstance(doc, Path):
        doc = doc.read_bytes()
    if isinstance(doc, str):
        doc = doc.encode("utf-8")
    return etree.fromstring(doc, _parser)


def errors(
    doc: bytes | str | Path | etree._Element | etree._ElementTree,
    schema: str | Sequence[str],
    *,
    validation: str | None = None,
) -> list[str]:
    """The validation errors of ``doc`` against ``schema``, one line each (empty: valid)."""
    xsd = get_schema(schema, validation)
    if isinstance(doc, etree._ElementTree):
        doc = doc.getroot()
    elif not isinstance(doc, etree._Element):
        doc = parse(doc)
    found = []
    # "lax" here only means "collect every error instead of raising at the first".
    for err in xsd.iter_errors(doc, use_location_hints=False, validation="lax"):
        where = err.path or "/"
        reason = err.reason or str(err.message)
        found.append(f"{where}: {reason}")
    return found


def validate(
    doc: bytes | str | Path | etree._Element | etree._ElementTree,
    schema: str | Sequence[str],
    *,
    validation: str | None = None,
) -> None:
    """Raise AssertionError listing the schema errors of ``doc`` (None when it is valid).

    ``schema``: an official URL (or several, combined), e.g.
    ``http://schemas.opengis.net/iso/19139/20070417/gmd/gmd.xsd`` or
    ``http://www.isotc211.org/2005/gmd/gmd.xsd``; INSPIRE records need :data:`ISO_METADATA`.
    ``validation``: "strict" or "lax" to override the schema build mode chosen from
    :data:`LAX_SCHEMAS`; the document is always checked completely.
    """
    found = errors(doc, schema, validation=validation)
    if found:
        shown = found[:MAX_REPORTED_ERRORS]
        more = len(found) - len(shown)
        lines = "\n  ".join(shown) + (f"\n  ... and {more} more" if more else "")
        raise AssertionError(f"{len(found)} schema error(s):\n  {lines}")
