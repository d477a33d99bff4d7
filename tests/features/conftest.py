"""Fixtures of the WFS and OGC API Features tests: the demo catalogue behind our Flask app
and the whole platform on a real server."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from ogc_server.compose import build_application
from ogc_server.services import Services, build_services
from ogc_server.settings import Settings
from tests.web.server import running

WFS = "/wfs?SERVICE=WFS&VERSION=2.0.0"


@pytest.fixture(scope="session")
def demo_services(demo_settings: Settings) -> Iterator[Services]:
    """Services over the demo archive (SQLite, then PostGIS); read-only."""
    services = build_services(demo_settings, migrate=False)
    yield services
    services.engine.dispose()


@pytest.fixture(scope="session")
def client(demo_services: Services) -> FlaskClient:
    """A test client of our Flask app (without the host applications)."""
    from ogc_server.web import create_app

    return create_app(demo_services).test_client()


@pytest.fixture(scope="session")
def server_url(demo_settings: Settings, demo_services: Services) -> Iterator[str]:
    """The whole composed platform served on 127.0.0.1 (its public address set to it)."""
    built: dict[str, Any] = {}

    def application(environ: dict[str, Any], start_response: Any) -> Any:
        return built["app"](environ, start_response)

    with running(application) as url:
        settings = demo_settings.model_copy(update={"public_url": url})
        built["app"] = build_application(settings, dataclasses.replace(demo_services,
                                                                       settings=settings))
        yield url
