"""What the platform says about each of its own network services, from the settings.

One :class:`ServiceDescription` per service the catalogue publishes a record of: the catalogue
(discovery), the WMS and WMTS (view), and the WCS, WFS, DSEO and EO OpenSearch (download). A
description holds the facts the service's ISO 19119 record (:mod:`.iso`), its capabilities and
the catalogues share: identifier, title, abstract, INSPIRE service type and classification,
versions, addresses, operations, and the collections the service serves. Everything is derived
from :class:`~ogc_server.settings.Settings` when asked (the addresses from ``public_url``), so
a deployment's records name the deployment.

Identifiers follow the collections': the namespace of the collection identifiers
(``EOP:CODE-DE`` for ``EOP:CODE-DE:S2_MSI_L1C``, split at the last colon as everywhere else),
then ``SERVICE`` and the service's name: ``EOP:CODE-DE:SERVICE:WCS``.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path

from ogc_server.archive.model import Collection
from ogc_server.coverage.sources import GRD_TYPES, S2_TYPES
from ogc_server.ingest.xmlsafe import XMLError, parse_xml
from ogc_server.links import Links
from ogc_server.settings import Settings

LOGGER = logging.getLogger(__name__)

#: The media type of a CSW GetRecordById answer (what a ``MetadataUrl`` points to).
CSW_RECORD_MEDIA_TYPE = "application/vnd.ogc.csw.GetRecordByIdResponse_xml"
#: The regulation every INSPIRE network service is declared against (not evaluated here).
NETWORK_SERVICES = ("COMMISSION REGULATION (EC) No 976/2009 of 19 October 2009 implementing "
                    "Directive 2007/2/EC of the European Parliament and of the Council as "
                    "regards the Network Services", "2009-10-20")
WORLD = (-180.0, -90.0, 180.0, 90.0)
_GMD = "{http://www.isotc211.org/2005/gmd}"
_BOX = f"{_GMD}identificationInfo/*/{_GMD}extent/*/{_GMD}geographicElement/" \
       f"{_GMD}EX_GeographicBoundingBox"
_SIDES = ("westBoundLongitude", "southBoundLatitude", "eastBoundLongitude", "northBoundLatitude")


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    url: str


@dataclass(frozen=True, slots=True)
class ServiceDescription:
    """One network service of the platform, as its service metadata record describes it."""

    key: str
    """Short name, lower case: ``wcs``."""
    identifier: str
    """The record's ``fileIdentifier``: ``EOP:CODE-DE:SERVICE:WCS``."""
    title: str
    abstract: str
    service_type: str
    """INSPIRE spatial data service type: ``discovery``, ``view`` or ``download``."""
    category: str
    """ISO 19119 classification of the service (INSPIRE's mandatory keyword)."""
    protocol: str
    """The protocol of its address in the record's online resources, e.g. ``OGC:WMS``."""
    versions: tuple[str, ...]
    """Service type versions, e.g. ``OGC:WMS 1.3.0``."""
    capabilities: str
    """URL of the document that describes the service (its capabilities)."""
    media_type: str
    operations: tuple[Operation, ...]
    coupling: str
    """``tight`` (the service serves the collections it names) or ``loose``."""
    operates_on: tuple[Collection, ...]
    """The collections (their series records) the service serves."""
    keywords: tuple[str, ...]
    bbox: tuple[float, float, float, float]
    """West, south, east, north: the extent of the data the service gives access to."""


@dataclass(frozen=True, slots=True)
class _Service:
    key: str
    name: str
    title: str
    abstract: str
    service_type: str
    category: str
    protocol: str
    versions: tuple[str, ...]
    path: str
    """Below ``public_url``; KVP services are asked for their capabilities there."""
    media_type: str
    operations: tuple[str, ...]
    keywords: tuple[str, ...]
    capabilities_version: str | None = None


_SERVICES: tuple[_Service, ...] = (
    _Service(
        "csw", "CSW", "catalogue service",
        "Catalogue service (OGC CSW 2.0.2 with the ISO application profile, and CSW 3.0) of "
        "{title}. It holds the INSPIRE metadata record of each collection (a data set "
        "series), one record per archived product (a data set whose parent identifier is "
        "its collection), and the records of the platform's network services, in Dublin "
        "Core and ISO 19139.",
        "discovery", "infoCatalogueService", "OGC:CSW", ("OGC:CSW 2.0.2", "OGC:CSW 3.0.0"),
        "csw", "application/xml",
        ("GetCapabilities", "DescribeRecord", "GetDomain", "GetRecords", "GetRecordById"),
        ("catalogue", "discovery", "metadata"), "2.0.2"),
    _Service(
        "wms", "WMS", "browse views (WMS)",
        "Browse views of the rolling archive's products, one layer per collection with a TIME "
        "dimension, and one layer of footprint outlines per collection.",
        "view", "infoMapAccessService", "OGC:WMS", ("OGC:WMS 1.3.0", "OGC:WMS 1.1.1"),
        "wms", "application/vnd.ogc.wms_xml", ("GetCapabilities", "GetMap", "GetFeatureInfo"),
        ("browse images", "footprints", "view service"), "1.3.0"),
    _Service(
        "wmts", "WMTS", "browse tiles (WMTS)",
        "Tiles of the browse views of the rolling archive's products, one layer per "
        "collection and one of footprint outlines per collection, in Web Mercator and WGS 84 "
        "tile matrix sets.",
        "view", "infoMapAccessService", "OGC:WMTS", ("OGC:WMTS 1.0.0",),
        "wmts", "application/xml", ("GetCapabilities", "GetTile"),
        ("browse images", "tiles", "view service")),
    _Service(
        "wcs", "WCS", "coverages (WCS)",
        "The bands of the rolling archive's products as coverages, read from the original "
        "files: subsetting, reprojection, scaling and band selection, as Cloud-Optimized "
        "GeoTIFF or netCDF.",
        "download", "infoCoverageAccessService", "OGC:WCS", ("OGC:WCS 2.0.1",),
        "wcs", "application/xml", ("GetCapabilities", "DescribeCoverage", "GetCoverage"),
        ("coverages", "download service")),
    _Service(
        "wfs", "WFS", "product footprints (WFS)",
        "Footprints of the products of the rolling archive, one feature type per collection, "
        "with every catalogue property as an attribute.",
        "download", "infoFeatureAccessService", "OGC:WFS", ("OGC:WFS 2.0.0",),
        "wfs", "application/xml", ("GetCapabilities", "DescribeFeatureType", "GetFeature"),
        ("footprints", "download service")),
    _Service(
        "dseo", "DSEO", "product download (DSEO)",
        "Download of whole Copernicus products of the rolling archive by ProductURI, with "
        "HTTP Range and Metalink 4 descriptions.",
        "download", "infoProductAccessService", "OGC:DSEO", ("OGC:DSEO 1.0.0",),
        "dseo", "application/xml", ("GetCapabilities", "GetProduct", "DescribeProduct"),
        ("products", "download service")),
    _Service(
        "opensearch", "OPENSEARCH", "product search and download (EO OpenSearch)",
        "Pre-defined download of the rolling archive's products: the EO OpenSearch "
        "description of each collection, and search results (Atom, GeoJSON) whose entries "
        "link each product file for direct HTTP download.",
        "download", "infoProductAccessService", "OpenSearch:Description",
        ("OGC 13-026r9 (EO OpenSearch)",), "opensearch", "application/opensearchdescription+xml",
        ("Get Download Service Metadata", "Get Spatial Data Set"),
        ("products", "download service", "OpenSearch")),
)
#: The services with a record, by key.
KEYS: tuple[str, ...] = tuple(s.key for s in _SERVICES)


def identifier_prefix(settings: Settings) -> str:
    """The namespace of the collections' identifiers (the most frequent one): ``EOP:CODE-DE``."""
    spaces = [c.identifier.rpartition(":")[0] for c in settings.collection_list]
    counted = Counter(s for s in spaces if s)
    if not counted:
        return ""
    best = max(counted.values())
    return next(s for s in spaces if counted.get(s) == best)


def service_identifier(settings: Settings, key: str) -> str:
    """The identifier of a service's record: ``EOP:CODE-DE:SERVICE:WCS`` for ``wcs``."""
    spec = _spec(key)
    prefix = identifier_prefix(settings)
    return f"{prefix}:SERVICE:{spec.name}" if prefix else f"SERVICE:{spec.name}"


def service_record_url(settings: Settings, key: str) -> str:
    """The CSW GetRecordById (ISO 19139) of a service's record: a capabilities' MetadataUrl."""
    return Links(settings.public_url).csw_record(service_identifier(settings, key))


def describe_service(settings: Settings, key: str) -> ServiceDescription:
    """The description of one service (``key``: one of :data:`KEYS`)."""
    spec = _spec(key)
    links = Links(settings.public_url)
    endpoint = f"{links.base}/{spec.path}"
    if spec.key == "opensearch":
        capabilities = links.opensearch_description()
        operations = (Operation(spec.operations[0], capabilities),
                      Operation(spec.operations[1], links.opensearch_request()))
    else:
        capabilities = f"{endpoint}?SERVICE={spec.name}&REQUEST=GetCapabilities"
        if spec.capabilities_version:
            capabilities += f"&VERSION={spec.capabilities_version}"
        operations = tuple(Operation(name, capabilities if name == "GetCapabilities"
                                     else endpoint) for name in spec.operations)
    served = tuple(c for c in served_collections(settings, key) if c.metadata_file)
    return ServiceDescription(
        key=spec.key, identifier=service_identifier(settings, key),
        title=f"{settings.title}: {spec.title}",
        abstract=spec.abstract.format(title=settings.title),
        service_type=spec.service_type, category=spec.category, protocol=spec.protocol,
        versions=spec.versions, capabilities=capabilities, media_type=spec.media_type,
        operations=operations, coupling="loose" if spec.service_type == "discovery" else "tight",
        operates_on=() if spec.service_type == "discovery" else served,
        keywords=("Copernicus", "earth observation", *spec.keywords),
        bbox=_union(settings, served),
    )


def describe_services(settings: Settings) -> tuple[ServiceDescription, ...]:
    return tuple(describe_service(settings, key) for key in KEYS)


def served_collections(settings: Settings, key: str) -> list[Collection]:
    """The collections a service gives access to (the WCS: those whose products are
    coverages; every other service: all of them)."""
    collections = settings.collection_list
    if key == "wcs":
        return [c for c in collections if (S2_TYPES | GRD_TYPES) & set(c.product_types)]
    return list(collections)


def metadata_date(settings: Settings) -> date:
    """When the services' metadata last changed: the latest ``dateStamp`` of the collection
    records they are made from; without any, the configuration file's date."""
    stamps = [stamp for c in settings.collection_list if c.metadata_file
              for stamp in [_facts(settings, c)[1]] if stamp is not None]
    if stamps:
        return max(stamps)
    config = settings.config_file
    if config is not None and config.is_file():
        return datetime.fromtimestamp(config.stat().st_mtime, UTC).date()
    return datetime.now(UTC).date()


def _spec(key: str) -> _Service:
    for spec in _SERVICES:
        if spec.key == key:
            return spec
    raise KeyError(f"no service record for {key!r} (known: {', '.join(KEYS)})")


def _union(settings: Settings,
           collections: tuple[Collection, ...]) -> tuple[float, float, float, float]:
    boxes = [box for c in collections for box in [_facts(settings, c)[0]] if box is not None]
    if not boxes:
        return WORLD
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
            max(b[3] for b in boxes))


def _facts(settings: Settings, collection: Collection
           ) -> tuple[tuple[float, float, float, float] | None, date | None]:
    """The bounding box and the ``dateStamp`` of a collection's record (None: not stated)."""
    path = settings.metadata_dir / (collection.metadata_file or "")
    try:
        return _read_facts(path, path.stat().st_mtime)
    except (OSError, XMLError) as exc:
        LOGGER.warning("cannot read the record %s: %s", path, exc)
        return None, None


@lru_cache(maxsize=64)
def _read_facts(path: Path, mtime: float
                ) -> tuple[tuple[float, float, float, float] | None, date | None]:
    root = parse_xml(path)
    box = None
    element = root.find(_BOX)
    if element is not None:
        try:
            sides = [float((element.findtext(f"{_GMD}{side}/*") or "").strip())
                     for side in _SIDES]
            box = (sides[0], sides[1], sides[2], sides[3])
        except ValueError:
            box = None
    stamp = None
    text = (root.findtext(f"{_GMD}dateStamp/*") or "").strip()
    try:
        stamp = date.fromisoformat(text[:10]) if len(text) >= 10 else None
    except ValueError:
        stamp = None
    return box, stamp
