"""The demo archive as every later interface sees it: all collections, browse, both backends."""

from __future__ import annotations

from ogc_server.archive.query import ProductQuery
from ogc_server.services import build_services
from ogc_server.settings import Settings
from tests.conftest import DEMO_PRODUCTS


def test_demo_catalogue(demo_settings: Settings) -> None:
    services = build_services(demo_settings)
    stats = services.store.collection_stats()
    assert sum(s.count for s in stats.values()) == DEMO_PRODUCTS
    assert set(stats) == {c.identifier for c in demo_settings.collection_list}
    page = services.store.query(ProductQuery(collections=["EOP:CODE-DE:S2_MSI_L1C"], limit=5))
    assert page.products and all(p.quicklook_path for p in page.products)
    for product in page.products:
        assert (services.storage.root / product.quicklook_path).is_file()
    services.engine.dispose()
