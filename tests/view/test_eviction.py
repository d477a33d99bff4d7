"""A product removed from the catalogue (evicted) disappears from every fresh view answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from ogc_server.archive.query import ProductQuery
from ogc_server.compose import build_application
from ogc_server.ingest.pipeline import ingest_batch
from ogc_server.services import build_services
from ogc_server.settings import Settings
from tests.view.helpers import get, image
from tests.web.server import running

pytestmark = pytest.mark.system


def test_evicted_product_is_gone_from_maps_tiles_and_capabilities(
        settings: Settings, demo_sources: list[Path]) -> None:
    grd = [p for p in demo_sources if "_GRDH_" in p.name][:2]
    assert ingest_batch(settings, grd, workers=1).ok
    services = build_services(settings)
    products = services.store.query(ProductQuery(sort=[("start", True)])).products
    assert len(products) == 2
    older, newer = products
    west, south, east, north = newer.footprint.bounds
    with running(build_application(settings, services)) as url:
        getmap = (f"{url}/wms?SERVICE=WMS&VERSION=1.1.1&REQUEST=GetMap&LAYERS=S1_SAR_L1_GRD"
                  f"&STYLES=&SRS=EPSG:4326&BBOX={west},{south},{east},{north}"
                  "&WIDTH=128&HEIGHT=128&FORMAT=image/png&TRANSPARENT=TRUE")
        capabilities = f"{url}/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities"
        tile = f"{url}/tiles/S1_SAR_L1_GRD/wgs84/0/0/0.png"
        assert (image(get(getmap)[2])[..., 3] > 0).mean() > 0.2
        assert (image(get(tile)[2])[..., 3] > 0).any()
        stored = {p.relative_to(cache) for p in cache.rglob("*.png")} if (
            cache := settings.data_dir / "mapproxy" / "cache").exists() else set()
        assert stored, "the unfiltered tile is kept in a cache folder"
        folders = {p.parts[0] for p in stored}
        assert len(folders) == 1
        end = newer.end.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert end.encode() in get(capabilities)[2]

        before = services.store.fingerprint()
        services.store.delete(newer.identifier)  # what retention does to the record
        assert services.store.fingerprint() != before

        if not (older.footprint.intersects(newer.footprint)):
            assert (image(get(getmap)[2])[..., 3] > 0).mean() == 0.0
        caps = get(capabilities)[2]
        assert end.encode() not in caps
        assert older.end.strftime("%Y-%m-%dT%H:%M:%SZ").encode() in caps
        services.store.delete(older.identifier)
        assert not (image(get(tile)[2])[..., 3] > 0).any()
        # the tiles of the earlier catalogue states are gone with their folders
        assert not (settings.data_dir / "mapproxy" / "cache" / folders.pop()).exists()
        assert (image(get(getmap)[2])[..., 3] > 0).mean() == 0.0
    services.engine.dispose()
