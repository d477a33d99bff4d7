"""Fixtures of the download tests: the demo archive behind our app, and a real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from ogc_server.archive.model import OnlineState, Product
from ogc_server.ingest.pipeline import Ingestor
from ogc_server.services import Services, build_services
from ogc_server.settings import Settings


@pytest.fixture(scope="session")
def zipped(demo_products: list[Product]) -> Product:
    """A demo product kept as a folder (served as a ZIP built on the fly)."""
    return next(p for p in demo_products
                if p.file_name and p.file_name.endswith(".zip") and p.platform == "Sentinel-2")


@pytest.fixture(scope="session")
def client(demo_client: FlaskClient) -> FlaskClient:
    return demo_client


@pytest.fixture(scope="session")
def server(demo_server: str) -> str:
    """The address of the whole platform served on 127.0.0.1 over the demo archive."""
    return demo_server


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
