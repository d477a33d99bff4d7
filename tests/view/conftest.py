"""Fixtures of the view tests: the demo archive served by the whole platform on 127.0.0.1."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from ogc_server.compose import build_application
from ogc_server.services import Services, build_services
from ogc_server.settings import Settings
from tests.web.server import running


@pytest.fixture(scope="session")
def view_services(demo_settings: Settings) -> Iterator[Services]:
    """Services over the demo archive (SQLite, then PostGIS); read-only."""
    services = build_services(demo_settings, migrate=False)
    yield services
    services.engine.dispose()


@pytest.fixture(scope="session")
def base_url(demo_settings: Settings, view_services: Services) -> Iterator[str]:
    """The whole composed platform served on 127.0.0.1 (public address = the server's)."""
    built: dict[str, Any] = {}

    def application(environ: dict[str, Any], start_response: Any) -> Any:
        return built["app"](environ, start_response)

    with running(application, threads=4) as url:
        settings = demo_settings.model_copy(update={"public_url": url})
        built["app"] = build_application(settings, dataclasses.replace(view_services,
                                                                       settings=settings))
        yield url
