"""Fixtures of the OpenSearch tests: the demo catalogue behind our Flask app, schemas."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient
from lxml import etree

from ogc_server.services import Services, build_services
from ogc_server.settings import Settings
from ogc_server.web import create_app
from tests.opensearch.clients import client_python, relax_ng
from tests.xmlvalidate import SCHEMA_ROOT

OPENSEARCH_SCHEMAS = SCHEMA_ROOT / "ogc" / "opensearchgeo" / "1.0" / "schemas"


@pytest.fixture(scope="session")
def demo_client(demo_services: Services) -> FlaskClient:
    """A test client of our Flask app over the demo archive (SQLite, then PostGIS)."""
    return create_app(demo_services).test_client()


@pytest.fixture
def client(settings: Settings) -> FlaskClient:
    """A test client over an empty, writable catalogue."""
    return create_app(build_services(settings)).test_client()


@pytest.fixture(scope="session")
def clients_python() -> Path:
    return client_python()


@pytest.fixture(scope="session")
def osdd_schema(clients_python: Path) -> etree.RelaxNG:
    """OpenSearch 1.1 description documents (OGC 10-032r8, osdd.rnc)."""
    return etree.RelaxNG(etree.fromstring(relax_ng(clients_python,
                                                   OPENSEARCH_SCHEMAS / "osdd.rnc")))


@pytest.fixture(scope="session")
def atom_schema(clients_python: Path) -> etree.RelaxNG:
    """Atom feeds (RFC 4287, atom_feed.rnc of OGC 10-032r8)."""
    return etree.RelaxNG(etree.fromstring(relax_ng(clients_python,
                                                   OPENSEARCH_SCHEMAS / "atom_feed.rnc")))
