"""The CSW endpoint over the demo catalogue (SQLite and PostGIS), built once per backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from werkzeug.test import Client

from ogc_server.archive.query import ProductQuery
from ogc_server.archive.store import QueryResult
from ogc_server.services import Services, build_services
from ogc_server.settings import Settings
from plugins.pycsw_.app import CswApp, build_wsgi_app


@pytest.fixture(scope="session")
def csw_services(demo_settings: Settings) -> Iterator[Services]:
    services = build_services(demo_settings)
    yield services
    services.engine.dispose()


@pytest.fixture(scope="session")
def csw_app(csw_services: Services) -> CswApp:
    app = build_wsgi_app(csw_services)
    assert isinstance(app, CswApp)
    return app


@pytest.fixture
def csw(csw_app: CswApp) -> Client:
    """The endpoint in process (it is mounted at /csw; here it answers at /)."""
    return Client(csw_app)


@pytest.fixture(scope="session")
def demo_products(csw_services: Services) -> QueryResult:
    """Every product of the demo catalogue, by identifier."""
    result = csw_services.store.query(ProductQuery(limit=1000, sort=[("identifier", True)]))
    assert result.total == len(result.products)
    return result
