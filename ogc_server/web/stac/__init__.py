"""STAC API 1.0 over the catalogue: collections, items, item search with the filter (CQL2),
query, sort and fields extensions.

Split by responsibility: :mod:`.params`, :mod:`.cql` and :mod:`.cql2text` parse requests
(pure), :mod:`.translate` puts filters in catalogue terms, :mod:`.properties` is the STAC
vocabulary of the catalogue, :mod:`.items`, :mod:`.collections`, :mod:`.landing` and
:mod:`.openapi` serialise, :mod:`.search` runs searches, :mod:`.blueprint` holds the routes and
:mod:`.errors` the error answers.
"""

from ogc_server.web.stac.blueprint import blueprint

__all__ = ["blueprint"]
