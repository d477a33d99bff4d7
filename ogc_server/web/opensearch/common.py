"""What every response encoding shares: the page of results, its links, the echoed query."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ogc_server.archive.model import Collection, Product
from ogc_server.links import Links
from ogc_server.settings import Settings
from ogc_server.web.opensearch.params import BY_NAME, FORMATS, SearchRequest
from ogc_server.web.opensearch.ranges import as_utc_text

_DATA_TYPES = {".zip": "application/zip", ".nc": "application/x-netcdf",
               ".tar": "application/x-tar", ".tgz": "application/gzip"}
STAC_ITEM_TYPE = "application/geo+json"
ISO_TYPE = "application/vnd.iso.19139+xml"
DESCRIPTION_TYPE = "application/opensearchdescription+xml"


@dataclass(slots=True)
class CollectionHit:
    """A collection found by the collection search, with what the catalogue knows of it."""

    collection: Collection
    count: int = 0
    start: datetime | None = None
    end: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None


@dataclass(slots=True)
class Page:
    """One page of search results, ready for an encoder."""

    request: SearchRequest
    settings: Settings
    total: int
    products: list[Product] = field(default_factory=list)
    collections: list[CollectionHit] = field(default_factory=list)
    is_collection_search: bool = False
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def links(self) -> Links:
        return Links(self.settings.public_url)

    @property
    def title(self) -> str:
        if self.is_collection_search:
            return f"{self.settings.title}: collections"
        return f"{self.settings.title}: {self.request.parent or 'products'}"

    @property
    def returned(self) -> int:
        return len(self.collections) if self.is_collection_search else len(self.products)

    def url(self, fmt: str, start_index: int | None = None) -> str:
        """This search in format ``fmt`` from ``start_index`` (default: this page's)."""
        request = self.request
        params = list(request.terms)
        params += [("maximumRecords", str(request.count)),
                   ("startRecord", str(start_index or request.start_index)),
                   ("httpAccept", FORMATS[fmt])]
        return self.links.opensearch_request(params)

    def paging(self, fmt: str) -> list[tuple[str, str]]:
        """(rel, url) of self, first, previous, next and last."""
        count, start, total = self.request.count, self.request.start_index, self.total
        result = [("self", self.url(fmt)), ("first", self.url(fmt, 1))]
        if count <= 0:
            return result
        if start > 1:
            result.append(("previous", self.url(fmt, max(1, start - count))))
        if start + count <= total:
            result.append(("next", self.url(fmt, start + count)))
        last = ((total - 1) // count) * count + 1 if total > 0 else 1
        result.append(("last", self.url(fmt, last)))
        return result

    def description_url(self) -> str:
        return self.links.opensearch_description(self.request.parent)

    def query_attributes(self) -> dict[str, str]:
        """The ``os:Query role="request"`` attributes: OpenSearch token -> value."""
        attributes = {"role": "request", "count": str(self.request.count),
                      "startIndex": str(self.request.start_index)}
        for name, value in self.request.terms:
            parameter = BY_NAME.get(name)
            if parameter is not None:
                attributes[parameter.token] = value
        return attributes


def data_type(product: Product) -> str:
    """Media type of the downloadable file."""
    name = (product.file_name or "").lower()
    for suffix, media in _DATA_TYPES.items():
        if name.endswith(suffix):
            return media
    return "application/zip" if not name else "application/octet-stream"


def om_url(links: Links, product: Product) -> str:
    return links.opensearch_product(product, "application/gml+xml")


def interval(start: datetime | None, end: datetime | None) -> str | None:
    if start is None:
        return None
    return f"{as_utc_text(start)}/{as_utc_text(end or start)}"


def compact(mapping: dict[str, Any]) -> dict[str, Any]:
    """``mapping`` without None values and empty containers."""
    return {k: v for k, v in mapping.items() if v is not None and v != [] and v != {}}
