"""Landing page and health through the composed application, over real HTTP."""

from __future__ import annotations

import http.client
import json
import urllib.request
from pathlib import Path

import pytest

from ogc_server.compose import build_application
from ogc_server.services import build_services
from ogc_server.settings import Settings
from tests.archive.factory import product
from tests.web.server import running


@pytest.fixture
def app_url(settings: Settings):
    services = build_services(settings)
    services.store.upsert_many(product(i) for i in range(5))
    services.store.upsert(product(9, identifier="S1A_GRD_X",
                                  collection="EOP:CODE-DE:S1_SAR_L1_GRD"))
    with running(build_application(settings, services)) as url:
        yield url
    services.engine.dispose()


def _get(url: str, accept: str | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def test_landing_json_lists_collections_with_counts(app_url: str) -> None:
    status, headers, body = _get(app_url + "/?f=json")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    doc = json.loads(body)
    counts = {c["id"]: c["products"] for c in doc["collections"]}
    assert counts["EOP:CODE-DE:S2_MSI_L1C"] == 5
    assert counts["EOP:CODE-DE:S1_SAR_L1_GRD"] == 1
    assert counts["EOP:CODE-DE:S5P_TROPOMI_L2"] == 0
    assert len(counts) == 11
    services = {s["id"]: s for s in doc["services"]}
    assert services["health"]["available"] is True
    assert services["opensearch"]["href"].endswith("/opensearch/description.xml")


def test_landing_html(app_url: str) -> None:
    status, headers, body = _get(app_url + "/", accept="text/html")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    page = body.decode()
    assert "EOP:CODE-DE:S2_MSI_L1C" in page and "<td class=\"num\">5</td>" in page
    assert "36\n      / 12\n      / 0" in page  # S1 SLC retention row
    status, headers, _ = _get(app_url + "/", accept="application/json")
    assert headers["Content-Type"].startswith("application/json")


def test_health_reports_catalogue_and_storage(app_url: str, settings: Settings) -> None:
    status, headers, body = _get(app_url + "/health")
    doc = json.loads(body)
    assert status == 200, doc
    assert doc["status"] == "ok"
    assert doc["catalogue"]["products"] == 6
    assert doc["catalogue"]["schema_revision"] == "0002"
    assert doc["storage"]["ok"] is True and doc["storage"]["free_bytes"] > 0
    assert headers["Cache-Control"] == "no-store"


def test_health_fails_when_storage_is_gone(settings: Settings, tmp_path: Path) -> None:
    services = build_services(settings)
    with running(build_application(settings, services)) as url:
        import shutil

        shutil.rmtree(services.storage.root)
        status, _, body = _get(url + "/health")
    assert status == 503
    assert json.loads(body)["storage"]["ok"] is False
    services.engine.dispose()


def test_a_mount_point_without_its_service_answers_a_problem() -> None:
    # (a planned service, or a host whose package is not installed)
    from werkzeug.test import Client

    from ogc_server.compose import _not_yet

    answer = Client(_not_yet("/processes")).get("/processes?f=json")
    assert answer.status_code == 501
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.get_json()["status"] == 501
    assert "/processes" in answer.get_json()["detail"]


def test_unknown_path_is_a_json_404(app_url: str) -> None:
    status, headers, body = _get(app_url + "/nope/../../etc/passwd")
    assert status == 404
    assert json.loads(body)["status"] == 404


def test_keep_alive_connection_reuse(app_url: str) -> None:
    host = app_url.removeprefix("http://")
    conn = http.client.HTTPConnection(host, timeout=10)
    for _ in range(3):
        conn.request("GET", "/health", headers={"Connection": "keep-alive"})
        response = conn.getresponse()
        response.read()
        assert response.status == 200
    conn.close()


def test_server_timing_header(app_url: str) -> None:
    _, headers, _ = _get(app_url + "/health")
    name, duration = headers["Server-Timing"].split(";dur=")
    assert name == "app" and float(duration) > 0
