"""Fixtures of the STAC API tests: the demo catalogue behind our Flask app and a real server."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from ogc_server.compose import build_application
from ogc_server.services import Services
from ogc_server.settings import Settings, load_settings
from tests.conftest import ROOT
from tests.web.server import running

#: The platform's collections (for tests that need no catalogue).
TEST_COLLECTIONS = load_settings(ROOT / "config" / "ogc-server.yml", environ={}).collection_list


@pytest.fixture(scope="session")
def stac_client(demo_services: Services) -> FlaskClient:
    """A test client of our Flask app (without the host applications) over the demo archive."""
    from ogc_server.web import create_app

    return create_app(demo_services).test_client()


@pytest.fixture(scope="session")
def stac_url(demo_settings: Settings, demo_services: Services) -> Iterator[str]:
    """The whole composed platform served on 127.0.0.1; yields the STAC API's address.

    The platform writes its links with its public address, so the application is built once
    the server's port is known, with that address as ``public_url``.
    """
    built: dict[str, Any] = {}

    def application(environ: dict[str, Any], start_response: Any) -> Any:
        return built["app"](environ, start_response)

    with running(application) as url:
        settings = demo_settings.model_copy(update={"public_url": url})
        built["app"] = build_application(settings, dataclasses.replace(demo_services,
                                                                       settings=settings))
        yield url + "/stac"
