"""WFS 2.0 (OGC 09-025r2) with FES 2.0 filters over the product footprints.

Modules: :mod:`.model` (feature types, attributes, CRSs), :mod:`.request` (GetFeature
requests read into a ProductQuery, pure), :mod:`.fes` (FES 2.0 filters read into pygeofilter
ASTs), :mod:`.capabilities` (capabilities, schemas, stored queries), :mod:`.inspire` (INSPIRE
download-service capabilities), :mod:`.encode` (GML 3.2 and GeoJSON answers), :mod:`.errors`
(exception reports), :mod:`.blueprint` (the route and the dispatch).
"""

from ogc_server.web.wfs.blueprint import blueprint

__all__ = ["blueprint"]
