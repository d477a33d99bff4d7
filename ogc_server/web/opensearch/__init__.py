"""EO OpenSearch (OGC 10-032r8, OGC 13-026r9) in the CODE-DE/FedEO dialect.

Modules: :mod:`.params` (request parameters, pure); :mod:`.ranges`, :mod:`.geometry` and
:mod:`.normalise` (their values); :mod:`.description` (description documents); :mod:`.atom`,
:mod:`.geojson`, :mod:`.sru` (responses); :mod:`.om` (EO O&M records); :mod:`.collections`
(the collection search); :mod:`.blueprint` (the Flask routes).
"""

from ogc_server.web.opensearch.blueprint import blueprint

__all__ = ["blueprint"]
