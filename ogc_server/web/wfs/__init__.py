"""WFS 2.0 (OGC 09-025r2) with FES 2.0 filters over the product footprints.

Modules: :mod:`.model` (feature types, attributes, CRSs), :mod:`.request` (GetFeature
requests read into a ProductQuery, pure), :mod:`.capabilities` (capabilities, schemas, stored
queries), :mod:`.encode` (GML 3.2 and GeoJSON answers), :mod:`.errors` (exception reports),
:mod:`.blueprint` (the route and the dispatch).
"""

from ogc_server.web.wfs.blueprint import blueprint

__all__ = ["blueprint"]
