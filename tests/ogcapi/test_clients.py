"""Real clients over HTTP, several applications in one process, and live collection extents."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from owslib.ogcapi.records import Records
from werkzeug.test import Client

from ogc_server.compose import build_application
from ogc_server.services import build_services
from ogc_server.settings import Settings, load_settings
from plugins.pygeoapi_.app import _response, build_wsgi_app
from tests.archive.factory import product
from tests.conftest import make_config
from tests.ogcapi.conftest import ids
from tests.web.server import running

pytestmark = pytest.mark.system


def test_owslib_records_client(demo_settings: Settings) -> None:
    services = build_services(demo_settings, migrate=False)
    try:
        with running(build_application(demo_settings, services)) as url:
            api = Records(url + "/ogcapi")
            assert "S2_MSI_L1C" in api.records() and "products" in api.records()
            assert api.collection("S2_MSI_L1C")["properties"]["parentIdentifier"] == (
                "EOP:CODE-DE:S2_MSI_L1C")
            assert "cloudCover" in api.collection_queryables("S2_MSI_L1C")["properties"]
            europe = api.collection_items("products", bbox=[5, 45, 16, 56], limit=4)
            assert europe["numberReturned"] == 4 and europe["numberMatched"] > 4
            first = europe["features"][0]
            record = api.collection_item("products", first["id"])
            assert record["id"] == first["id"]
            assert record["properties"] == first["properties"]
            cql = {"op": "=", "args": [{"property": "productType"}, "GRD"]}
            grd = api.collection_items("products", cql=cql, limit=100)
            assert grd["numberMatched"] > 0
            assert {f["properties"]["productType"] for f in grd["features"]} == {"GRD"}
            dated = api.collection_items("S1_SAR_L1_GRD", datetime_="2026-01-01T00:00:00Z/..")
            assert all(f["properties"]["startDate"] >= "2026" for f in dated["features"])
    finally:
        services.engine.dispose()


def _settings(tmp: Path, title: str, public_url: str) -> Settings:
    tmp.mkdir()
    return load_settings(make_config(tmp), overrides={"title": title, "public_url": public_url})


def test_two_applications_in_one_process(tmp_path: Path) -> None:
    one = _settings(tmp_path / "one", "Archive One", "https://one.example.org")
    two = _settings(tmp_path / "two", "Archive Two", "https://two.example.org/platform")
    services_one, services_two = build_services(one), build_services(two)
    services_one.store.upsert_many(product(i) for i in range(3))
    app_one, app_two = Client(build_wsgi_app(services_one)), Client(build_wsgi_app(services_two))
    try:
        for _ in range(2):  # interleaved, so that neither keeps the other's state
            for client, title, base, count in (
                    (app_one, "Archive One", "https://one.example.org/ogcapi", 3),
                    (app_two, "Archive Two", "https://two.example.org/platform/ogcapi", 0)):
                landing = client.get("/").get_json()
                assert landing["title"] == title
                assert all(link["href"].startswith(base) for link in landing["links"]
                           if link["rel"] != "about")
                html = client.get("/?f=html").get_data(as_text=True)
                assert title in html and f'href="{base}/static/css/default.css"' in html
                items = client.get("/collections/S2_MSI_L1C/items?f=html")
                assert items.status_code == 200 and base in items.get_data(as_text=True)
                doc = client.get("/collections/products/items").get_json()
                assert doc["numberMatched"] == count

        def title_of_landing_page(client: Client) -> str:
            html = client.get("/?f=html").get_data(as_text=True)
            return "Archive One" if "Archive One" in html else "Archive Two"

        with ThreadPoolExecutor(max_workers=6) as pool:  # at the same time, too
            clients = [app_one, app_two] * 12
            titles = list(pool.map(title_of_landing_page, clients))
        assert titles == ["Archive One", "Archive Two"] * 12
    finally:
        services_one.engine.dispose()
        services_two.engine.dispose()


def test_extents_follow_the_catalogue_and_datetime_outside_them_is_empty(
        settings: Settings) -> None:
    services = build_services(settings)
    services.store.upsert_many(product(i) for i in range(3))
    client = Client(build_wsgi_app(services))
    app = client.application
    app.extents_ttl = 0
    try:
        before = client.get("/collections/S2_MSI_L1C").get_json()["extent"]["temporal"]
        assert before["interval"][0][0].startswith("2024-01-01")
        # before the first product: an empty answer, not pygeoapi's "out of range" 400
        early = client.get("/collections/S2_MSI_L1C/items?datetime=2020-01-01/2020-12-31")
        assert early.status_code == 200 and early.get_json()["numberMatched"] == 0
        late = datetime(2030, 5, 1, tzinfo=UTC)
        services.store.upsert(product(50, identifier="S2A_MSIL1C_LATE", start=late,
                                      end=late + timedelta(seconds=5)))
        after = client.get("/collections/S2_MSI_L1C").get_json()["extent"]["temporal"]
        assert after["interval"][0][1].startswith("2030-05-01")
        found = client.get("/collections/S2_MSI_L1C/items?datetime=2030-05-01")
        assert ids(found.get_json()) == ["S2A_MSIL1C_LATE"]
        empty = client.get("/collections/S3_OLCI_L1").get_json()
        assert "temporal" not in empty["extent"]
        assert empty["extent"]["spatial"]["bbox"] == [[-180, -90, 180, 90]]
    finally:
        services.engine.dispose()


def test_hop_by_hop_headers_are_dropped() -> None:
    response = _response(({"Content-Type": "application/json", "Connection": "close",
                           "Transfer-Encoding": "chunked", "X-Kept": "1"}, 200, "{}"))
    assert "Connection" not in response.headers
    assert "Transfer-Encoding" not in response.headers
    assert response.headers["X-Kept"] == "1"
