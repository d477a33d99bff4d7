"""OGC API Features over the product footprints: pygeoapi's feature provider.

A sibling of the record provider (:mod:`plugins.pygeoapi_.records`): the same parameters
(bbox, datetime, limit/offset, property filters, sortby, CQL2 filter) become the same
:class:`~ogc_server.archive.query.ProductQuery`; only the items differ. A footprint feature
carries the catalogue's properties flat, as the WFS feature types do, without the record's
descriptive members (keywords, themes, contacts).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pygeoapi.provider.base import ProviderConnectionError, ProviderItemNotFoundError
from shapely.geometry import mapping

from ogc_server.archive.model import Product
from ogc_server.errors import ProductNotFound
from plugins.pygeoapi_ import queryables
from plugins.pygeoapi_.config import FOOTPRINTS
from plugins.pygeoapi_.records import ArchiveRecordsProvider, json_value

#: Properties a footprint's ``properties`` may hold (the ``properties`` parameter chooses).
FEATURE_PROPERTIES = tuple(q.name for q in queryables.QUERYABLES if q.name != "id")


class ArchiveFeaturesProvider(ArchiveRecordsProvider):
    """pygeoapi feature provider over the footprints of one archive collection."""

    def __init__(self, provider_def: dict[str, Any]):
        super().__init__(provider_def)
        self.fid = f"{self.cid}{FOOTPRINTS}"
        self.properties = list(FEATURE_PROPERTIES)

    def get(self, identifier: str, **kwargs: Any) -> dict[str, Any]:
        try:
            product = self.catalogue.store.get(identifier)
        except ProductNotFound as exc:
            raise ProviderItemNotFoundError(user_msg=f"no feature {identifier!r}") from exc
        except sa.exc.SQLAlchemyError as exc:
            raise ProviderConnectionError() from exc
        if product.collection != self.collection:
            raise ProviderItemNotFoundError(
                user_msg=f"no feature {identifier!r} in collection {self.fid}")
        feature = self._encode(product)
        feature["links"] = [link for link in feature["links"] if link["rel"] != "self"]
        return feature

    def _encode(self, product: Product) -> dict[str, Any]:
        base = self.catalogue.base_url
        properties = {q.name: json_value(getattr(product, q.column))
                      for q in queryables.QUERYABLES if q.name != "id"}
        links = [
            {"rel": "self", "type": "application/geo+json", "title": "This feature",
             "href": f"{base}/collections/{self.fid}/items/{product.identifier}"},
            {"rel": "enclosure", "type": "application/zip", "title": "Download the product",
             "href": self.catalogue.links.download(product)},
            {"rel": "alternate", "type": "application/geo+json",
             "title": "The product's catalogue record",
             "href": f"{base}/collections/{self.cid}/items/{product.identifier}"},
        ]
        return {
            "type": "Feature",
            "id": product.identifier,
            "geometry": mapping(product.footprint),
            "properties": {k: v for k, v in properties.items() if v not in (None, "")},
            "links": links,
        }

    def __repr__(self) -> str:
        return f"<ArchiveFeaturesProvider> {self.fid}"
