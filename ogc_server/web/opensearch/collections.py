"""The collection search (first step of the two-step search) over the configured collections.

Filters: free text (identifier, title, abstract, keywords, platform, instrument), ``platform``,
``instrument``, ``processingLevel``, ``productType``, ``uid``, ``classifiedAs``, the search area
(against the extent of the collection's products) and the time window (against their sensing
period). Other product parameters do not apply to collections and are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

from shapely.geometry import box

from ogc_server.archive.model import Collection
from ogc_server.archive.query import Like, ProductQuery, Range
from ogc_server.archive.store import CollectionStats
from ogc_server.web.opensearch.common import CollectionHit
from ogc_server.web.opensearch.params import SearchRequest

#: ``where`` property -> the collection's values.
_FIELDS = {
    "platform": lambda c: [c.platform],
    "instrument": lambda c: [c.instrument],
    "processing_level": lambda c: [c.processing_level],
    "product_type": lambda c: list(c.product_types),
}


def search(request: SearchRequest, collections: Sequence[Collection],
           stats: Mapping[str, CollectionStats],
           extents: Mapping[str, tuple[float, float, float, float]]) -> tuple[list[CollectionHit],
                                                                                 int]:
    """The page of collections matching ``request`` and their total number."""
    hits = []
    for collection in collections:
        st = stats.get(collection.identifier)
        hit = CollectionHit(collection, count=st.count if st else 0,
                            start=st.start if st else None, end=st.end if st else None,
                            bbox=extents.get(collection.identifier))
        if matches(request, hit):
            hits.append(hit)
    page = hits[request.offset: request.offset + request.count]
    return page, len(hits)


def matches(request: SearchRequest, hit: CollectionHit) -> bool:
    query = request.query
    collection = hit.collection
    if query.identifiers and collection.identifier not in query.identifiers:
        return False
    if query.text and not _text_matches(query.text, collection):
        return False
    if request.classified_as and not _classified(request.classified_as, collection):
        return False
    for name, values in _FIELDS.items():
        wanted = query.where.get(name)
        if wanted is not None and not _value_matches(wanted, values(collection)):
            return False
    if query.geometry is not None and not _in_space(query, hit):
        return False
    return _in_time(query, hit)


def _text_matches(text: str, collection: Collection) -> bool:
    haystack = " ".join([collection.identifier, collection.title, collection.abstract,
                         collection.platform, collection.instrument, collection.processing_level,
                         *collection.keywords, *collection.product_types]).lower()
    return all(word.lower() in haystack for word in text.split())


def _classified(term: str, collection: Collection) -> bool:
    term = term.lower().rstrip("/")
    words = [k.lower() for k in (*collection.keywords, collection.platform,
                                 collection.instrument)]
    return any(term == w or term.endswith("/" + w.replace(" ", "")) for w in words)


def _value_matches(wanted: Any, values: Iterable[str]) -> bool:
    candidates = [v.lower() for v in values]
    if isinstance(wanted, Like):
        pattern = wanted.pattern.lower()
        return any(fnmatchcase(c, pattern) for c in candidates)
    options = wanted if isinstance(wanted, list) else [wanted]
    return any(str(o).lower() in candidates for o in options)


def _in_space(query: ProductQuery, hit: CollectionHit) -> bool:
    if hit.bbox is None:
        return False
    extent = box(*hit.bbox)
    relation = query.spatial_relation
    if relation == "within":
        return query.geometry.contains(extent)
    if relation == "contains":
        return extent.contains(query.geometry)
    if relation == "disjoint":
        return not extent.intersects(query.geometry)
    return extent.intersects(query.geometry)


def _in_time(query: ProductQuery, hit: CollectionHit) -> bool:
    start, end = query.start, query.end
    for prop, value in (("start", query.where.get("start")), ("end", query.where.get("end"))):
        if isinstance(value, Range):
            start = value.low if prop == "start" else start
            end = value.high if prop == "end" else end
    if start is None and end is None:
        return True
    if hit.start is None:
        return False
    return _overlaps(hit.start, hit.end or hit.start, start, end)


def _overlaps(first: datetime, last: datetime, start: datetime | None,
              end: datetime | None) -> bool:
    return (end is None or first <= end) and (start is None or last >= start)
