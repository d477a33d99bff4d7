"""STAC API 1.0 over the catalogue: collections, items, item search with the filter (CQL2),
query, sort and fields extensions.

Split by responsibility: :mod:`.params` and :mod:`.cql` parse requests (pure),
:mod:`.properties` is the STAC vocabulary of the catalogue, :mod:`.items` and
:mod:`.collections` serialise, :mod:`.search` runs searches, :mod:`.blueprint` holds the
routes and :mod:`.errors` the error answers.
"""

from ogc_server.web.stac.blueprint import blueprint

__all__ = ["blueprint"]
