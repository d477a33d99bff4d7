"""The records of the platform's network services in OGC API - Records: the ``services``
record collection, next to the collections' record collections.

Each service of :mod:`ogc_server.service_metadata` is one record (``properties.type`` =
``service``) with its INSPIRE service type, versions and coupling, the collections it serves
(``operatesOn``, and ``related`` links to their record collections), a ``service-desc`` link to
its capabilities and an ``alternate`` link to its ISO 19139 record through CSW. The records are
made from the settings when the application is built and searched in memory: ``q``, ``bbox``,
``datetime`` (a service states no time: nothing matches), ``ids``, ``type``, equality on their
properties and ``sortby``; CQL2 filters are answered for the archive's records only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pygeoapi.provider.base import (
    BaseProvider,
    ProviderInvalidQueryError,
    ProviderItemNotFoundError,
)
from shapely.geometry import box, mapping, shape

from ogc_server.errors import InvalidQuery
from ogc_server.links import Links
from ogc_server.service_metadata import ServiceDescription, describe_services, metadata_date
from ogc_server.settings import Settings
from plugins.pygeoapi_ import queryables

SERVICES = "services"
PROVIDER = "plugins.pygeoapi_.services.ServiceRecordsProvider"
RECORD_CORE = "http://www.opengis.net/spec/ogcapi-records-1/1.0/req/record-core"
CATEGORIES = "http://inspire.ec.europa.eu/metadata-codelist/SpatialDataServiceCategory"
#: Properties of a service record that ``name=value`` and ``sortby`` may use.
FIELDS: dict[str, tuple[str, str]] = {
    "id": ("string", "Identifier of the service's record, e.g. EOP:CODE-DE:SERVICE:WMS"),
    "title": ("string", "Title of the service"),
    "serviceType": ("string", "INSPIRE spatial data service type: discovery, view, download"),
    "couplingType": ("string", "tight (serves the collections it names) or loose"),
}
PROPERTIES = ("type", "title", "description", "keywords", "themes", "contacts", "updated",
              "serviceType", "serviceTypeVersion", "couplingType", "operatesOn")
FILTERS_REFUSED = ("filter: the service records are searched with q, bbox, datetime, ids, "
                   f"type, sortby and equality on {', '.join(FIELDS)}; CQL2 filters search "
                   "the archive's records")


class ServiceRecords:
    """The service records of one application (shared by its providers, never copied)."""

    def __init__(self, settings: Settings, base_url: str,
                 collection_id: Callable[[str | None], str | None]):
        links = Links(settings.public_url)
        contact = settings.contact
        updated = f"{metadata_date(settings).isoformat()}T00:00:00Z"
        self.records = [_record(s, links, base_url, collection_id, contact.organisation,
                                contact.email, updated) for s in describe_services(settings)]

    def __copy__(self) -> ServiceRecords:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> ServiceRecords:
        return self


def resource(records: ServiceRecords) -> dict[str, Any]:
    """pygeoapi's resource of the ``services`` record collection."""
    return {
        "type": "collection",
        "title": "Network services of the platform",
        "description": ("The service metadata records (ISO 19119 / INSPIRE) of the platform's "
                        "discovery, view and download services, with the collections each "
                        "serves."),
        "keywords": ["services", "INSPIRE", "discovery", "view", "download"],
        "links": [],
        "extents": {"spatial": {"bbox": [-180.0, -90.0, 180.0, 90.0],
                                "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
        "providers": [{
            "type": "record", "name": PROVIDER, "data": records, "id_field": "id",
            "title_field": "title", "include_extra_query_parameters": True,
        }],
    }


def check_arguments(args: Mapping[str, str], body: bytes | None) -> str | None:
    """The items parameters a service search cannot answer, as :class:`InvalidQuery`; the
    ``sortby`` value as pygeoapi reads it (``name`` / ``-name``), if one was given."""
    if "filter" in args or body:
        raise InvalidQuery(FILTERS_REFUSED, locator="filter")
    if "bbox" in args:
        queryables.parse_bbox(args["bbox"])
    if "datetime" in args:
        queryables.parse_datetime(args["datetime"])
    if "properties" in args:
        queryables.check_properties(args["properties"], PROPERTIES)
    if "sortby" not in args:
        return None
    keys = []
    for raw in args["sortby"].split(","):
        name = raw.strip().lstrip("+-").strip()
        if name not in FIELDS:
            raise InvalidQuery(f"sortby: {name!r} is not a sortable property of the service "
                               f"records ({', '.join(FIELDS)})", locator="sortby")
        keys.append(("-" if raw.strip().startswith("-") else "") + name)
    return ",".join(keys)


def schema(schema_id: str, title: str) -> dict[str, Any]:
    """The queryables (and sortables) of the service records as a JSON Schema."""
    properties: dict[str, Any] = {
        "geometry": {"title": "Extent", "format": "geometry-any",
                     "x-ogc-role": "primary-geometry"},
    }
    for name, (kind, description) in FIELDS.items():
        properties[name] = {"title": name, "description": description, "type": kind}
    properties["id"]["x-ogc-role"] = "id"
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": schema_id,
            "type": "object", "title": title, "properties": properties,
            "additionalProperties": False}


class ServiceRecordsProvider(BaseProvider):
    """pygeoapi record provider over the service records (read-only, in memory)."""

    def __init__(self, provider_def: dict[str, Any]):
        super().__init__(provider_def)
        self.records: ServiceRecords = provider_def["data"]
        self.properties = list(PROPERTIES)
        self._fields = {name: {"type": kind} for name, (kind, _) in FIELDS.items()}

    def get_fields(self) -> dict[str, dict[str, Any]]:
        return self._fields

    def query(self, offset: int = 0, limit: int = 10, resulttype: str = "results",
              bbox: Sequence[float] | None = None, datetime_: str | None = None,
              properties: Iterable[tuple[str, str]] = (),
              sortby: Iterable[dict[str, str]] = (), select_properties: Sequence[str] = (),
              skip_geometry: bool = False, q: str | None = None, filterq: Any = None,
              **kwargs: Any) -> dict[str, Any]:
        if filterq is not None:
            raise ProviderInvalidQueryError(user_msg=FILTERS_REFUSED)
        try:
            found = [r for r in self.records.records if _matches(r, bbox, datetime_,
                                                                  properties, q)]
        except InvalidQuery as exc:
            raise ProviderInvalidQueryError(user_msg=exc.user_msg) from exc
        for key in reversed(list(sortby)):
            found.sort(key=lambda r, k=key["property"]: str(_value(r, k)),
                       reverse=key.get("order", "+") == "-")
        page = [] if resulttype == "hits" else found[offset:offset + limit]
        features = [_shape(r, select_properties, skip_geometry) for r in page]
        return {"type": "FeatureCollection", "features": features,
                "numberMatched": len(found), "numberReturned": len(features)}

    def get(self, identifier: str, **kwargs: Any) -> dict[str, Any]:
        for record in self.records.records:
            if record["id"] == identifier:
                return _shape(record, (), False, self_link=False)
        raise ProviderItemNotFoundError(user_msg=f"no service record {identifier!r}")

    def __repr__(self) -> str:
        return f"<ServiceRecordsProvider> {SERVICES}"


def _record(service: ServiceDescription, links: Links, base_url: str,
            collection_id: Callable[[str | None], str | None], organisation: str, email: str,
            updated: str) -> dict[str, Any]:
    out: list[dict[str, Any]] = [
        {"rel": "self", "type": "application/geo+json", "title": "This record",
         "href": f"{base_url}/collections/{SERVICES}/items/{service.identifier}"},
        {"rel": "service-desc", "type": service.media_type,
         "title": f"Capabilities of the {service.title}", "href": service.capabilities},
        {"rel": "alternate", "type": "application/xml",
         "title": "ISO 19139 record through CSW GetRecordById",
         "href": links.csw_record(service.identifier)},
    ]
    for collection in service.operates_on:
        cid = collection_id(collection.identifier)
        if cid:
            out.append({"rel": "related", "type": "application/json",
                        "title": f"Serves {collection.title}",
                        "href": f"{base_url}/collections/{cid}"})
    return {
        "id": service.identifier,
        "type": "Feature",
        "conformsTo": [RECORD_CORE],
        "time": None,
        "geometry": mapping(box(*service.bbox)),
        "properties": {
            "type": "service",
            "title": service.title,
            "description": service.abstract,
            "keywords": [service.category, *service.keywords],
            "themes": [{"concepts": [{"id": service.category,
                                      "url": f"{CATEGORIES}/{service.category}"}],
                        "scheme": CATEGORIES}],
            "contacts": [{"organization": organisation, "emails": [{"value": email}],
                          "roles": ["pointOfContact"]}],
            "updated": updated,
            "serviceType": service.service_type,
            "serviceTypeVersion": list(service.versions),
            "couplingType": service.coupling,
            "operatesOn": [c.identifier for c in service.operates_on],
        },
        "links": out,
    }


def _value(record: dict[str, Any], name: str) -> Any:
    return record["id"] if name == "id" else record["properties"].get(name)


def _matches(record: dict[str, Any], bbox: Sequence[float] | None, datetime_: str | None,
             parameters: Iterable[tuple[str, str]], q: str | None) -> bool:
    if datetime_:
        return False  # a service record states no time
    if bbox and not queryables.parse_bbox(",".join(str(v) for v in bbox)).intersects(
            shape(record["geometry"])):
        return False
    if q and q.strip():
        props = record["properties"]
        text = " ".join([props["title"], props["description"], *props["keywords"]]).lower()
        if not all(word in text for word in q.lower().split()):
            return False
    for name, value in parameters:
        if name == "ids":
            if record["id"] not in {i.strip() for i in value.split(",")}:
                return False
        elif name == "type":
            if "service" not in {t.strip() for t in value.split(",")}:
                return False
        elif name in FIELDS:
            if str(_value(record, name)) != value:
                return False
        elif not (name.startswith("_") or name.endswith("_")):
            raise InvalidQuery(f"unknown query parameter {name!r}", locator=name)
    return True


def _shape(record: dict[str, Any], select: Sequence[str], skip_geometry: bool,
           self_link: bool = True) -> dict[str, Any]:
    shaped = {**record, "properties": dict(record["properties"]),
              "links": [dict(link) for link in record["links"]
                        if self_link or link["rel"] != "self"]}
    if select:
        wanted = set(select)
        shaped["properties"] = {k: v for k, v in shaped["properties"].items() if k in wanted}
    if skip_geometry:
        shaped["geometry"] = None
    return shaped
