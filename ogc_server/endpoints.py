"""The platform's URL space (one table, shown on the landing page and in /health)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Endpoint:
    key: str
    path: str
    title: str
    standard: str


URL_SPACE: tuple[Endpoint, ...] = (
    Endpoint("opensearch", "/opensearch/description.xml", "EO OpenSearch",
             "OGC 10-032r8 / 13-026r9"),
    Endpoint("csw", "/csw", "Catalogue Service (CSW 2.0.2 / 3.0, INSPIRE)", "OGC 07-006r1"),
    Endpoint("ogcapi", "/ogcapi", "OGC API Records, Features, Coverages, Processes",
             "OGC 20-004, 17-069r4"),
    Endpoint("stac", "/stac", "STAC API", "STAC API 1.0"),
    Endpoint("wms", "/wms", "Web Map Service with TIME", "OGC 06-042"),
    Endpoint("wmts", "/wmts", "Web Map Tile Service", "OGC 07-057r7"),
    Endpoint("tiles", "/tiles", "Tile Map Service (TMS / XYZ tiles)", "OSGeo TMS 1.0"),
    Endpoint("wcs", "/wcs", "Web Coverage Service 2.0", "OGC 09-110r4"),
    Endpoint("wfs", "/wfs?SERVICE=WFS&REQUEST=GetCapabilities", "Web Feature Service 2.0",
             "OGC 09-025r2"),
    Endpoint("dseo", "/dseo", "Download Service for EO products", "OGC 13-043"),
    Endpoint("download", "/download", "Product download (HTTP, Range, metalink)", "RFC 9110"),
    Endpoint("health", "/health", "Health of catalogue and storage", ""),
)
