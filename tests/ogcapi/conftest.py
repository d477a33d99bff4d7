"""Fixtures of the OGC API - Records tests: the adapter over the demo archive."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.test import Client

from ogc_server.services import build_services
from ogc_server.settings import Settings
from plugins.pygeoapi_.app import build_wsgi_app


class Api:
    """GET/POST on the records application, with JSON decoded."""

    def __init__(self, app: Any):
        self.client = Client(app)

    def get(self, path: str, **headers: str) -> Any:
        return self.client.get(path, headers=headers)

    def json(self, path: str, status: int = 200) -> Any:
        response = self.client.get(path)
        assert response.status_code == status, response.get_data(as_text=True)
        return response.get_json(force=True)

    def post(self, path: str, body: str, status: int = 200) -> Any:
        response = self.client.post(path, data=body, content_type="application/json")
        assert response.status_code == status, response.get_data(as_text=True)
        return response.get_json(force=True)


@pytest.fixture(scope="session")
def demo_api(demo_settings: Settings) -> Iterator[Api]:
    """The records application over the demo archive (SQLite, then PostGIS)."""
    services = build_services(demo_settings, migrate=False)
    yield Api(build_wsgi_app(services))
    services.engine.dispose()


def ids(doc: dict[str, Any]) -> list[str]:
    return [f["id"] for f in doc["features"]]
