"""OGC API Records over the rolling archive: pygeoapi's record provider and the record encoding.

pygeoapi creates a provider for every request from the resource's provider definition; the
definition carries the application's :class:`Catalogue` (``data``) and the archive collection
the pygeoapi collection stands for (``collection``, ``None`` for every product). The provider
turns pygeoapi's parsed parameters into one :class:`~ogc_server.archive.query.ProductQuery`
and asks :meth:`ProductStore.query <ogc_server.archive.store.ProductStore.query>`, so a record
search finds what the same question finds through every other interface.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import sqlalchemy as sa
from pygeoapi.provider.base import (
    BaseProvider,
    ProviderConnectionError,
    ProviderInvalidQueryError,
    ProviderItemNotFoundError,
)
from shapely.geometry import mapping

from ogc_server.archive.filters import compile_filter
from ogc_server.archive.model import Collection, Product
from ogc_server.archive.query import ProductQuery
from ogc_server.errors import InvalidQuery, ProductNotFound
from ogc_server.links import Links
from ogc_server.services import Services
from plugins.pygeoapi_ import queryables
from plugins.pygeoapi_.config import ALL_PRODUCTS, base_url

LOGGER = logging.getLogger(__name__)

RECORD_CORE = "http://www.opengis.net/spec/ogcapi-records-1/1.0/req/record-core"
INSPIRE_THEMES = "http://inspire.ec.europa.eu/theme"
#: INSPIRE spatial data themes that describe Copernicus collections (keyword -> code).
INSPIRE_CODES = {
    "Atmospheric conditions": "ac", "Bio-geographical regions": "br", "Elevation": "el",
    "Environmental monitoring facilities": "ef", "Geology": "ge",
    "Habitats and biotopes": "hb", "Hydrography": "hy", "Land cover": "lc", "Land use": "lu",
    "Meteorological geographical features": "mf", "Natural risk zones": "nz",
    "Oceanographic geographical features": "of", "Orthoimagery": "oi", "Sea regions": "sr",
    "Soil": "so",
}
#: Properties a record's ``properties`` may hold (the ``properties`` parameter chooses some).
RECORD_PROPERTIES = (
    "type", "title", "description", "keywords", "themes", "formats", "contacts", "checksum",
    *(q.name for q in queryables.QUERYABLES if q.name != "id"),
)
MAX_OFFSET = 2**62
MAX_IDS = 1000
#: Where an archive error's locator is not the name of an items parameter.
_PARAMETERS = {"query": "q", "geometry": "bbox", "startDate": "datetime",
               "timerelation": "datetime"}


def describe(exc: InvalidQuery, parameter: str | None = None) -> str:
    """The client's message for ``exc``, starting with the parameter at fault."""
    message = exc.user_msg
    name = parameter or _PARAMETERS.get(exc.locator or "", exc.locator)
    if name and not message.startswith(name):
        return f"{name}: {message}"
    return message


class Catalogue:
    """What the record providers of one application need: the store and the addresses.

    pygeoapi deep-copies its configuration; a catalogue is shared, not copied.
    """

    def __init__(self, services: Services, ids: dict[str, Collection | None]):
        settings = services.settings
        self.store = services.store
        self.links = Links(settings.public_url)
        self.base_url = base_url(settings)
        self.ids = ids
        self._cids = {c.identifier: cid for cid, c in ids.items() if c is not None}
        self._collections = {c.identifier: c for c in settings.collection_list}
        contact = settings.contact
        self._contact: dict[str, Any] = {
            "organization": contact.organisation,
            "emails": [{"value": contact.email}],
            "roles": ["host", "pointOfContact"],
        }
        if contact.url:
            self._contact["links"] = [{"href": contact.url, "rel": "about", "type": "text/html"}]

    def __copy__(self) -> Catalogue:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Catalogue:
        return self

    def describe_collection(self, cid: str) -> dict[str, Any]:
        """Members of a record collection document that pygeoapi does not write."""
        extra: dict[str, Any] = {"type": "Collection", "contacts": [dict(self._contact)]}
        collection = self.ids.get(cid)
        if collection is not None:
            themes = _themes(collection)
            if themes:
                extra["themes"] = themes
            extra["properties"] = {
                "parentIdentifier": collection.identifier,
                "platform": collection.platform,
                "instrument": collection.instrument,
                "processingLevel": collection.processing_level,
                "productTypes": list(collection.product_types),
            }
        return extra

    def collection_id(self, identifier: str | None) -> str | None:
        """The pygeoapi collection of an archive collection identifier."""
        return self._cids.get(identifier or "")

    def record(self, product: Product, *, self_cid: str | None = None,
               collection_link: bool = True) -> dict[str, Any]:
        """``product`` as an OGC API Records GeoJSON record.

        ``self_cid`` adds a ``self`` link under that pygeoapi collection (listings; pygeoapi
        adds its own to a single record, and the link to the collection it was asked from).
        """
        collection = self._collections.get(product.collection or "")
        return {
            "id": product.identifier,
            "type": "Feature",
            "conformsTo": [RECORD_CORE],
            "time": {"interval": [_iso(product.start), _iso(product.end)]},
            "geometry": mapping(product.footprint),
            "properties": self._properties(product, collection),
            "links": self._links(product, collection, self_cid, collection_link),
        }

    def _properties(self, product: Product, collection: Collection | None) -> dict[str, Any]:
        props: dict[str, Any] = {
            "type": "dataset",
            "title": product.identifier,
            "description": _description(product),
            "keywords": _keywords(product, collection),
            "themes": _themes(collection),
            "formats": [_format(product)],
            "contacts": [dict(self._contact)],
        }
        for q in queryables.QUERYABLES:
            if q.name != "id":
                props[q.name] = json_value(getattr(product, q.column))
        props["checksum"] = product.checksum
        return {k: v for k, v in props.items() if v not in (None, [], "")}

    def _links(self, product: Product, collection: Collection | None, self_cid: str | None,
               collection_link: bool) -> list[dict[str, Any]]:
        links = self.links
        out: list[dict[str, Any]] = []
        if self_cid:
            out.append({"rel": "self", "type": "application/geo+json",
                        "title": "This record",
                        "href": f"{self.base_url}/collections/{self_cid}/items/"
                                f"{product.identifier}"})
        cid = self.collection_id(product.collection)
        if collection_link and cid and collection is not None:
            out.append({"rel": "collection", "type": "application/json",
                        "title": collection.title,
                        "href": f"{self.base_url}/collections/{cid}"})
        download: dict[str, Any] = {"rel": "enclosure", "type": _format(product)["mediaType"],
                                    "title": "Download the product",
                                    "href": links.download(product)}
        if product.size:
            download["length"] = product.size
        out.append(download)
        for title, href in (("Quicklook", links.quicklook(product)),
                            ("Thumbnail", links.thumbnail(product))):
            if href:
                out.append({"rel": "preview", "type": "image/jpeg", "title": title,
                            "href": href})
        out += [
            {"rel": "alternate", "type": "application/geo+json", "title": "STAC Item",
             "href": links.stac_item(product)},
            {"rel": "alternate", "type": "application/atom+xml",
             "title": "EO OpenSearch entry", "href": links.opensearch_product(product)},
            {"rel": "alternate", "type": "application/xml",
             "title": "ISO 19139 record through CSW GetRecordById",
             "href": links.csw_record(product.identifier)},
        ]
        return out


class ArchiveRecordsProvider(BaseProvider):
    """pygeoapi record provider over the catalogue (read-only)."""

    def __init__(self, provider_def: dict[str, Any]):
        super().__init__(provider_def)
        self.catalogue: Catalogue = provider_def["data"]
        self.collection: str | None = provider_def.get("collection")
        self.cid = (self.catalogue.collection_id(self.collection) if self.collection
                    else ALL_PRODUCTS)
        self._fields = queryables.fields()
        self.properties = list(RECORD_PROPERTIES)

    def get_fields(self) -> dict[str, dict[str, Any]]:
        return self._fields

    def query(self, offset: int = 0, limit: int = 10, resulttype: str = "results",
              bbox: Sequence[float] | None = None, datetime_: str | None = None,
              properties: Iterable[tuple[str, str]] = (),
              sortby: Iterable[dict[str, str]] = (), select_properties: Sequence[str] = (),
              skip_geometry: bool = False, q: str | None = None, filterq: Any = None,
              **kwargs: Any) -> dict[str, Any]:
        try:
            query = self._product_query(offset, limit, bbox, datetime_, properties, sortby,
                                        q, filterq)
            if query is None:
                total, found = 0, []
            else:
                if resulttype == "hits":
                    query.limit = 0
                result = self.catalogue.store.query(query)
                total, found = result.total or 0, result.products
        except InvalidQuery as exc:
            raise ProviderInvalidQueryError(user_msg=describe(exc)) from exc
        except sa.exc.SQLAlchemyError as exc:
            LOGGER.error("record search failed: %s", exc, exc_info=exc)
            raise ProviderConnectionError() from exc
        features = [self._shape(self._encode(p), select_properties, skip_geometry)
                    for p in found]
        return {"type": "FeatureCollection", "features": features, "numberMatched": total,
                "numberReturned": len(features)}

    def get(self, identifier: str, **kwargs: Any) -> dict[str, Any]:
        try:
            product = self.catalogue.store.get(identifier)
        except ProductNotFound as exc:
            raise ProviderItemNotFoundError(user_msg=f"no record {identifier!r}") from exc
        except sa.exc.SQLAlchemyError as exc:
            LOGGER.error("record lookup failed: %s", exc, exc_info=exc)
            raise ProviderConnectionError() from exc
        if self.collection is not None and product.collection != self.collection:
            raise ProviderItemNotFoundError(
                user_msg=f"no record {identifier!r} in collection {self.cid}")
        # pygeoapi links a single record to the collection it was asked from
        return self.catalogue.record(product, collection_link=self.collection is None)

    # Pieces -----------------------------------------------------------------------------------

    def _encode(self, product: Product) -> dict[str, Any]:
        """``product`` as an item of a listing (a record here; a subclass may choose)."""
        return self.catalogue.record(product, self_cid=self.cid)

    def _product_query(self, offset: int, limit: int, bbox: Sequence[float] | None,
                       datetime_: str | None, properties: Iterable[tuple[str, str]],
                       sortby: Iterable[dict[str, str]], q: str | None,
                       filterq: Any) -> ProductQuery | None:
        """The question for the store; ``None`` when no record can match."""
        if offset > MAX_OFFSET:
            raise InvalidQuery(f"offset: at most {MAX_OFFSET}", locator="offset")
        query = ProductQuery(collections=[self.collection] if self.collection else (),
                             limit=limit, offset=offset)
        if bbox:
            query.geometry = queryables.parse_bbox(",".join(str(v) for v in bbox))
        if datetime_:
            query.start, query.end = queryables.parse_datetime(datetime_)
        if q and q.strip():
            query.text = q
        if not self._parameters(query, properties):
            return None
        keys = [(queryables.BY_NAME[s["property"]].column, s.get("order", "+") != "-")
                for s in sortby]
        if keys:
            query.sort = keys
        if filterq is not None:
            try:
                compile_filter(filterq, self.catalogue.store.dialect)
            except InvalidQuery as exc:
                raise InvalidQuery(describe(exc, "filter"), locator="filter") from exc
            query.filter = filterq
        return query

    @staticmethod
    def _parameters(query: ProductQuery, parameters: Iterable[tuple[str, str]]) -> bool:
        """Add the ``name=value`` parameters to ``query``; ``False`` when none can match."""
        for name, value in parameters:
            if name in queryables.BY_NAME:
                column = queryables.BY_NAME[name].column
                query.where[column] = queryables.property_value(name, value)
            elif name == "ids":
                query.identifiers = [i.strip() for i in value.split(",") if i.strip()]
                if len(query.identifiers) > MAX_IDS:
                    raise InvalidQuery(f"ids: at most {MAX_IDS} identifiers", locator="ids")
            elif name == "type":
                if "dataset" not in {t.strip() for t in value.split(",")}:
                    return False  # every record is a dataset
            elif not (name.startswith("_") or name.endswith("_")):
                # (a name with an underscore at either end is a client's own marker, such as
                # a cache buster or OWSLib's datetime_: ignored)
                raise InvalidQuery(f"unknown query parameter {name!r}", locator=name)
        return True

    @staticmethod
    def _shape(record: dict[str, Any], select: Sequence[str], skip_geometry: bool
               ) -> dict[str, Any]:
        if select:
            wanted = set(select)
            record["properties"] = {k: v for k, v in record["properties"].items()
                                    if k in wanted}
        if skip_geometry:
            record["geometry"] = None
        return record

    def __repr__(self) -> str:
        return f"<ArchiveRecordsProvider> {self.cid}"


# Encoding helpers -----------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, Enum):
        return value.value
    return value


def _mission(product: Product) -> str:
    serial = product.platform_serial_identifier or ""
    return product.platform if product.platform.endswith(serial) else product.platform + serial


def _description(product: Product) -> str:
    when = (f"at {_iso(product.start)}" if product.start == product.end
            else f"from {_iso(product.start)} to {_iso(product.end)}")
    return (f"{_mission(product)} {product.instrument} {product.product_type} product "
            f"({product.processing_level}), acquired {when}")


def _keywords(product: Product, collection: Collection | None) -> list[str]:
    words = [_mission(product), product.platform, product.instrument, product.product_type,
             product.processing_level, product.sensor_mode,
             *(collection.keywords if collection else ())]
    return list(dict.fromkeys(w for w in words if w))


def _themes(collection: Collection | None) -> list[dict[str, Any]]:
    concepts = [
        {"id": INSPIRE_CODES[k], "title": k, "url": f"{INSPIRE_THEMES}/{INSPIRE_CODES[k]}"}
        for k in (collection.keywords if collection else ()) if k in INSPIRE_CODES
    ]
    return [{"concepts": concepts, "scheme": INSPIRE_THEMES}] if concepts else []


def _format(product: Product) -> dict[str, str]:
    name = (product.file_name or "").lower()
    if name.endswith(".nc"):
        return {"name": "netCDF-4", "mediaType": "application/x-netcdf"}
    if name.endswith(".zip") or not name:
        return {"name": "SAFE", "mediaType": "application/zip"}
    return {"name": name.rsplit(".", 1)[-1].upper(), "mediaType": "application/octet-stream"}
