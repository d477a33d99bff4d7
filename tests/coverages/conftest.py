"""Fixtures of the coverage tests: the demo archive behind our app, and a real server."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from ogc_server.archive.model import Product
from ogc_server.archive.query import ProductQuery
from ogc_server.compose import build_application
from ogc_server.services import Services, build_services
from ogc_server.settings import Settings
from ogc_server.web import create_app
from tests.web.server import running


@pytest.fixture(scope="session")
def demo_services(demo_settings: Settings) -> Iterator[Services]:
    """Services over the demo archive (SQLite, then PostGIS); read-only catalogue."""
    services = build_services(demo_settings, migrate=False)
    yield services
    services.engine.dispose()


@pytest.fixture(scope="session")
def demo_products(demo_services: Services) -> list[Product]:
    return demo_services.store.query(ProductQuery(limit=1000)).products


@pytest.fixture(scope="session")
def s2(demo_products: list[Product]) -> Product:
    """An online Sentinel-2 L1C product (JP2 bands on a UTM grid)."""
    return next(p for p in demo_products if p.product_type == "S2MSI1C"
                and p.online_state == "online")


@pytest.fixture(scope="session")
def grd(demo_products: list[Product]) -> Product:
    """An online Sentinel-1 GRD product (GeoTIFF measurements with GCPs)."""
    return next(p for p in demo_products if p.product_type == "GRD"
                and p.online_state == "online")


@pytest.fixture(scope="session")
def client(demo_services: Services) -> FlaskClient:
    return create_app(demo_services).test_client()


@pytest.fixture(scope="session")
def server(demo_settings: Settings, demo_services: Services) -> Iterator[str]:
    """The whole composed platform on 127.0.0.1 over the demo archive; yields its address."""
    built: dict[str, Any] = {}

    def application(environ: dict[str, Any], start_response: Any) -> Any:
        return built["app"](environ, start_response)

    with running(application) as url:
        settings = demo_settings.model_copy(update={"public_url": url})
        built["app"] = build_application(settings, dataclasses.replace(demo_services,
                                                                       settings=settings))
        yield url
