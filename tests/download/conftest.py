"""Fixtures of the download tests: the demo archive behind our app, and a real server."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from ogc_server.archive.model import OnlineState, Product
from ogc_server.archive.query import ProductQuery
from ogc_server.compose import build_application
from ogc_server.ingest.pipeline import Ingestor
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
def zipped(demo_products: list[Product]) -> Product:
    """A demo product kept as a folder (served as a ZIP built on the fly)."""
    return next(p for p in demo_products
                if p.file_name and p.file_name.endswith(".zip") and p.platform == "Sentinel-2")


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


@pytest.fixture
def writable(settings: Settings, demo_sources: list[Path]) -> Iterator[Services]:
    """A writable catalogue holding two demo products: one online, one offline."""
    services = build_services(settings)
    ingestor = Ingestor(settings, services.store, services.storage, browse=False)
    done = []
    for source in demo_sources:
        outcome = ingestor.ingest(source)
        if outcome.status == "inserted":
            done.append(outcome.identifier)
        if len(done) == 2:
            break
    services.store.set_online_state(done[1], OnlineState.OFFLINE)
    yield services
    services.engine.dispose()
