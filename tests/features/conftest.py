"""Fixtures of the WFS and OGC API Features tests: the demo catalogue behind our Flask app
and the whole platform on a real server."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

WFS = "/wfs?SERVICE=WFS&VERSION=2.0.0"


@pytest.fixture(scope="session")
def client(demo_client: FlaskClient) -> FlaskClient:
    return demo_client


@pytest.fixture(scope="session")
def server_url(demo_server: str) -> str:
    """The address of the whole platform served on 127.0.0.1 over the demo archive."""
    return demo_server
