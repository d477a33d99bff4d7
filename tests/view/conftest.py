"""Fixtures of the view tests: the demo archive served by the whole platform on 127.0.0.1."""

from __future__ import annotations

import pytest

from ogc_server.services import Services


@pytest.fixture(scope="session")
def view_services(demo_services: Services) -> Services:
    """Services over the demo archive (SQLite, then PostGIS); read-only."""
    return demo_services


@pytest.fixture(scope="session")
def base_url(demo_server: str) -> str:
    """The whole composed platform served on 127.0.0.1 (public address = the server's)."""
    return demo_server
