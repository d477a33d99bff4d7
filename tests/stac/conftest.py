"""Fixtures of the STAC API tests: the demo catalogue behind our Flask app and a real server."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from ogc_server.services import Services
from ogc_server.settings import load_settings
from tests.conftest import ROOT

#: The platform's collections (for tests that need no catalogue).
TEST_COLLECTIONS = load_settings(ROOT / "config" / "ogc-server.yml", environ={}).collection_list


@pytest.fixture(scope="session")
def stac_client(demo_services: Services) -> FlaskClient:
    """A test client of our Flask app (without the host applications) over the demo archive."""
    from ogc_server.web import create_app

    return create_app(demo_services).test_client()


@pytest.fixture(scope="session")
def stac_url(demo_server: str) -> str:
    """The STAC API's address on the whole platform served on 127.0.0.1."""
    return demo_server + "/stac"
