"""Item search: a :class:`SearchRequest` asked of the catalogue, answered as an ItemCollection."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from ogc_server.archive.model import Collection
from ogc_server.archive.query import ProductQuery
from ogc_server.archive.store import ProductStore
from ogc_server.errors import InvalidQuery
from ogc_server.links import Links
from ogc_server.web.stac import items, properties, translate
from ogc_server.web.stac.params import Fields, SearchRequest

DEFAULT_SORT = (("start", False),)
#: What the fields extension always keeps (a valid Item that pystac can read).
DEFAULT_FIELDS = ("type", "stac_version", "stac_extensions", "id", "collection", "geometry",
                  "bbox", "links", "assets", "properties.datetime")


@dataclass(slots=True)
class Paging:
    """How to ask for another page of the same search (GET parameters or a POST body)."""

    href: str
    method: str = "GET"
    args: Sequence[tuple[str, str]] = ()
    body: dict[str, Any] | None = None

    def link(self, rel: str, token: str | None = None) -> dict[str, Any]:
        if self.method == "POST":
            link: dict[str, Any] = {"rel": rel, "type": items.GEOJSON, "href": self.href,
                                    "method": "POST"}
            if token is not None:
                body = {k: v for k, v in (self.body or {}).items()
                        if k not in ("token", "offset")}
                link.update(body={**body, "token": token}, merge=False)
            return link
        args = [(k, v) for k, v in self.args if token is None or k not in ("token", "offset")]
        if token is not None:
            args.append(("token", token))
        query = urlencode(args, safe=",:/")
        return {"rel": rel, "type": items.GEOJSON,
                "href": f"{self.href}?{query}" if query else self.href}


def product_query(
    request: SearchRequest, collections: list[Collection], collection: str | None = None
) -> ProductQuery:
    """The catalogue query of ``request`` (``collection``: the items of one collection)."""
    start, end = request.interval or (None, None)
    return ProductQuery(
        collections=[collection] if collection else list(request.collections),
        identifiers=list(request.ids),
        geometry=request.geometry,
        spatial_relation="intersects",
        start=start,
        end=end,
        time_relation="intersects",
        filter=translate.to_catalogue(request.filter, collections) if request.filter is not None
        else None,
        sort=sort_keys(request.sortby) or DEFAULT_SORT,
        limit=request.limit,
        offset=request.offset,
        count=True,
    )


def sort_keys(sortby: Sequence[tuple[str, bool]]) -> list[tuple[str, bool]]:
    keys: list[tuple[str, bool]] = []
    for name, ascending in sortby:
        queryable = properties.lookup(name)
        if queryable is None or not queryable.columns:
            raise InvalidQuery(f"cannot sort by {name!r} (see /stac/queryables)",
                               locator="sortby")
        keys += [(column, ascending) for column in queryable.columns
                 if column not in {k for k, _ in keys}]
    return keys


def item_collection(
    store: ProductStore,
    links: Links,
    request: SearchRequest,
    collections: list[Collection],
    paging: Paging,
    collection: str | None = None,
    extra_links: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """Run the search; one page of Items with the exact number matched and paging links."""
    result = store.query(product_query(request, collections, collection))
    features = [select_fields(items.item(p, links), request.fields) for p in result.products]
    page_links = [paging.link("self"),
                  {"rel": "root", "type": "application/json", "href": f"{links.base}/stac"},
                  *extra_links]
    total = result.total or 0
    if request.offset + len(features) < total:
        page_links.append(paging.link("next", f"next:{request.offset + request.limit}"))
    if request.offset > 0:
        page_links.append(paging.link("prev", f"prev:{max(request.offset - request.limit, 0)}"))
    return {
        "type": "FeatureCollection",
        "features": features,
        "links": page_links,
        "numberMatched": total,
        "numberReturned": len(features),
    }


def select_fields(feature: dict[str, Any], fields: Fields | None) -> dict[str, Any]:
    """The fields extension: the default attributes plus ``include``, minus ``exclude``."""
    if fields is None:
        return feature
    out: dict[str, Any] = {}
    for path in (*DEFAULT_FIELDS, *fields.include):
        _copy(feature, out, path.split("."))
    for path in fields.exclude:
        _remove(out, path.split("."))
    return out


def _copy(source: dict[str, Any], target: dict[str, Any], path: list[str]) -> None:
    head = path[0]
    if head not in source:
        return
    if len(path) == 1:
        target[head] = copy.deepcopy(source[head])
        return
    if not isinstance(source[head], dict):
        return
    child = target.get(head)
    if not isinstance(child, dict):
        child = target[head] = {}
    _copy(source[head], child, path[1:])


def _remove(target: dict[str, Any], path: list[str]) -> None:
    node: Any = target
    for key in path[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
        if node is None:
            return
    if isinstance(node, dict):
        node.pop(path[-1], None)
