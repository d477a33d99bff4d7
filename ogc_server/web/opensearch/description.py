"""OpenSearch description documents (OpenSearch 1.1 with OGC 10-032r8 and 13-026r9).

Without a collection: the collection search (first step of the two-step search). With one:
the product search in that collection, its parameters' options taken from the catalogue.
Only the response types the server answers are announced.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from urllib.parse import quote

from ogc_server.archive.model import Collection
from ogc_server.links import Links
from ogc_server.settings import Settings
from ogc_server.web.opensearch import om
from ogc_server.web.opensearch.params import FORMATS, PARAMETERS, Parameter
from ogc_server.web.opensearch.ranges import as_utc_text
from ogc_server.web.opensearch.xml import NS, element, nsmap, sub, to_bytes

MEDIA_TYPE = "application/opensearchdescription+xml"
_NAMESPACES = nsmap("geo", "time", "eo", "param", "sru", "semantic", "atom", default="os")
#: Parameters only the collection search has, and those only the product search has.
_COLLECTION_ONLY = {"classifiedAs"}
_PRODUCT_ONLY = {"parentIdentifier", "recordSchema", "sortKeys", "timerelation", "relation"}


def description(settings: Settings, collection: Collection | None,
                options: Mapping[str, Sequence[str]],
                extent: tuple[float, float, float, float] | None = None,
                period: tuple[datetime, datetime] | None = None) -> bytes:
    """The description document; ``options`` maps parameter names to their known values,
    ``extent`` and ``period`` (of the collection's products) make the example query."""
    links = Links(settings.public_url)
    root = element("os:OpenSearchDescription", nsmap_=_NAMESPACES)
    if collection is None:
        sub(root, "os:ShortName", _cut("ogc-server", 16))
        sub(root, "os:LongName", _cut(f"{settings.title} collections", 48))
        sub(root, "os:Description", _cut(
            f"{settings.title}: search the collections of the archive (first step), then "
            "the products of a collection with its own description document.", 1024))
        tags = ["EO", "Copernicus", "Sentinel", "collections"]
    else:
        sub(root, "os:ShortName", _cut(collection.short_name, 16))
        sub(root, "os:LongName", _cut(collection.title, 48))
        sub(root, "os:Description", _cut(collection.abstract, 1024))
        tags = ["EO", "Copernicus", collection.platform, collection.instrument,
                collection.processing_level, *collection.keywords]
    sub(root, "os:Tags", _cut(" ".join(t.replace(" ", "-") for t in tags), 256))
    sub(root, "os:Contact", settings.contact.email)
    formats = ["atom", "geojson"] + (["sru"] if collection is not None else [])
    for fmt in formats:
        _url(root, links, collection, fmt, options)
    sub(root, "os:Url", type=MEDIA_TYPE, rel="self",
        template=links.opensearch_description(collection.identifier if collection else None))
    _example(root, collection, extent, period)
    sub(root, "os:Developer", _cut(settings.contact.organisation, 64))
    sub(root, "os:Attribution", "Contains modified Copernicus Sentinel data")
    sub(root, "os:SyndicationRight", "open")
    sub(root, "os:AdultContent", "false")
    sub(root, "os:Language", "en")
    sub(root, "os:InputEncoding", "UTF-8")
    sub(root, "os:OutputEncoding", "UTF-8")
    return to_bytes(root)


def _cut(text: str, length: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def announced(collection: Collection | None) -> list[Parameter]:
    """The parameters a description announces (collection search or product search)."""
    if collection is None:
        return [p for p in PARAMETERS if p.collections and p.name not in _PRODUCT_ONLY]
    kind = om.family(collection.instrument)
    return [p for p in PARAMETERS
            if p.name not in _COLLECTION_ONLY and p.name != "parentIdentifier"
            and (p.family is None or p.family == kind)]


def _url(root: object, links: Links, collection: Collection | None, fmt: str,
         options: Mapping[str, Sequence[str]]) -> None:
    parameters = announced(collection)
    if fmt == "sru":
        parameters = [p for p in parameters if p.name != "recordSchema"]
    fixed = [("parentIdentifier", collection.identifier)] if collection else []
    pieces = [f"{name}={quote(value, safe=':')}" for name, value in fixed]
    pieces += [f"{p.name}={{{p.token}?}}" for p in parameters]
    pieces.append(f"httpAccept={quote(FORMATS[fmt], safe='')}")
    if fmt == "sru":
        pieces.append("recordSchema=om")
    template = f"{links.opensearch_request()}?{'&'.join(pieces)}"
    url = sub(root, "os:Url", type=FORMATS[fmt], rel="results" if collection else "collection",
              template=template, indexOffset="1", pageOffset="1")
    for parameter in parameters:
        _parameter(url, parameter, options.get(parameter.name, ()))


def _parameter(url: object, parameter: Parameter, values: Sequence[str]) -> None:
    attributes: dict[str, str] = {"name": parameter.name, "value": f"{{{parameter.token}}}",
                                  "title": parameter.title, "minimum": "0", "maximum": "1"}
    if parameter.minimum is not None:
        attributes["minInclusive"] = _number(parameter.minimum)
    if parameter.maximum is not None:
        attributes["maxInclusive"] = _number(parameter.maximum)
    if parameter.pattern:
        attributes["pattern"] = parameter.pattern
    node = sub(url, "param:Parameter", **attributes)
    for value in values or parameter.options:
        sub(node, "param:Option", value=value, label=value)


def _example(root: object, collection: Collection | None,
             extent: tuple[float, float, float, float] | None,
             period: tuple[datetime, datetime] | None) -> None:
    query = sub(root, "os:Query", role="example", count="10")
    if collection is None:
        query.set("searchTerms", "Sentinel-2")
        return
    query.set(f"{{{NS['eo']}}}parentIdentifier", collection.identifier)
    if extent:
        query.set(f"{{{NS['geo']}}}box", ",".join(_fixed(v) for v in extent))
    if period:
        query.set(f"{{{NS['time']}}}start", as_utc_text(period[0]))
        query.set(f"{{{NS['time']}}}end", as_utc_text(period[1]))


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _fixed(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
