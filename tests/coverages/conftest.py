"""Fixtures of the coverage tests: the demo archive behind our app, and a real server."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from ogc_server.archive.model import Product


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
def client(demo_client: FlaskClient) -> FlaskClient:
    return demo_client


@pytest.fixture(scope="session")
def server(demo_server: str) -> str:
    """The address of the whole platform served on 127.0.0.1 over the demo archive."""
    return demo_server
